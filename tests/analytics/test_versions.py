"""engine.analytics.compare (versions): rules behind membership changes, effects, CXO, report, CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from support.fakes import make_index
from support.markets import market_from_closes

import engine
from engine import analytics
from engine.analytics.versions import cxo_around, effects, max_drawdown, year_to_date_return
from engine.report import comparison_report

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

REV = pd.Timestamp("2025-08-11")


@pytest.fixture(scope="module")
def market():
    return engine.data.default_market()


@pytest.fixture(scope="module")
def cmp(market):
    return analytics.compare("hsidi-2023-05", "hsidi", market=market, labels=("launch", "chained"))


def test_both_names_resolve():
    from engine.analytics.compare import IndexComparison, compare_indexes

    assert callable(compare_indexes) and IndexComparison.__name__ == "IndexComparison"
    assert analytics.compare.__module__ == "engine.analytics.versions"


def test_max_drawdown_hand_worked():
    assert max_drawdown(pd.Series([1.0, 2.0, 1.5, 3.0, 1.2, 2.0])) == pytest.approx(1.2 / 3 - 1)
    assert max_drawdown(pd.Series([1.0, 1.1, 1.2])) == 0.0


def test_effects_hand_worked():
    dates = pd.DatetimeIndex(["2025-01-02", "2025-01-03", "2025-01-06"])
    close = pd.DataFrame(
        {"X": [10.0, 11.0, 11.0], "Y": [10.0, 10.0, 12.0], "Z": [10.0, 9.0, 9.0]}, index=dates
    )
    market = market_from_closes(close)
    # a holds X and Y equally, b holds Y (3/4) and Z (1/4); shares fixed, start weights at t-1 close
    a = make_index(close, [(1, {"X": 1.0, "Y": 1.0})])
    b = make_index(close, [(1, {"Y": 3.0, "Z": 1.0})])
    la = [100.0, 105.0, 105.0 * 23 / 21]
    lb = [100.0, 100 * (30 + 9) / 40, 100 * (30 + 9) / 40 * (36 + 9) / 39]
    np.testing.assert_allclose(a.levels["price"], 10 * np.array(la), rtol=1e-14)
    np.testing.assert_allclose(b.levels["price"], 10 * np.array(lb), rtol=1e-14)
    e = effects(a, b, market)
    # day 1: r = X +10%, Y 0, Z -10%; wa = (.5,.5,0), wb = (0,.75,.25)
    assert e["weighting"].iloc[0] == pytest.approx((0.75 - 0.5) * 0.0)
    assert e["selection"].iloc[0] == pytest.approx(0.25 * -0.1 - 0.5 * 0.1)
    # day 2: r = X 0, Y +20%, Z 0; wa = (11/21, 10/21, 0), wb = (0, 30/39, 9/39)
    assert e["weighting"].iloc[1] == pytest.approx((30 / 39 - 10 / 21) * 0.2)
    assert e["selection"].iloc[1] == pytest.approx(0.0)
    np.testing.assert_allclose(e["residual"], 0.0, atol=1e-12)


def test_default_market_revision(cmp, market):
    at = cmp.changes[(cmp.changes["effective_date"] == REV) & (cmp.changes["label"] == "chained")]
    left = at[at["change"] == "left"].set_index("code")["rule"]
    assert left["2269"] == "out: CXO excluded" and left["2359"] == "out: CXO excluded"
    assert all(r.startswith("selected") for r in at.loc[at["change"] == "entered", "rule"])
    c = cmp.cxo.loc["chained"]
    assert c["at"] == 0.0 and c["removed"] == pytest.approx(c["before"]) and c["before"] > 0.05
    # the effects add up to the daily return differences (residual: corporate-action days only)
    e = cmp.effects
    np.testing.assert_allclose(e["selection"] + e["weighting"] + e["residual"], e["active"])
    assert e.loc[e.index < REV, ["selection", "weighting"]].abs().max().max() < 1e-12
    s = cmp.summary()
    assert s["return_difference"] == pytest.approx(
        s["return_chained"] - s["return_launch"], rel=1e-12
    )
    assert (
        s.to_frame().set_index("metric").at["selection_effect", "against"] == "launch index (price)"
    )
    assert cmp.risk.loc["launch", "max_drawdown"] == pytest.approx(
        max_drawdown(cmp.base.levels["launch"])
    )


def test_fund_cost_and_report(market, cmp, tmp_path):
    full = analytics.compare("hsidi-2023-05", "hsidi", market=market, fund=True)
    fc = full.fund_cost
    assert fc["date"] == pd.Timestamp("2025-08-08") and fc["cost_hkd"] > 0 and fc["trades"] > 0
    paths = comparison_report(cmp, tmp_path / "cmp")
    text = paths["html"].read_text()
    assert "Membership changes at 2025-08-11" in text and "out: CXO excluded" in text
    assert paths["pdf"].read_bytes()[:4] == b"%PDF"
    assert "SYNTHETIC" in text


def test_cli_compare(tmp_path, capsys):
    from engine.cli import main

    assert (
        main(
            [
                "compare",
                "hsidi-2023-05",
                "hsidi-2025-08",
                "--out",
                str(tmp_path),
                "--quiet",
                "--no-fund",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "return_difference" in out and (tmp_path / "compare.html").exists()
    assert (tmp_path / "compare_changes.csv").exists()


def _cxo_market():
    """A market of three codes, A a CXO; only ``securities`` is read."""

    class _Market:
        securities = pd.DataFrame({"code": ["A", "B", "C"], "is_cxo": [True, False, False]})

    return _Market()


def test_cxo_around_hand_worked():
    dates = pd.DatetimeIndex(["2025-08-07", "2025-08-08", "2025-08-11", "2025-08-12"])
    w = pd.DataFrame(
        {"A": [0.3, 0.25, 0.0, 0.0], "B": [0.7, 0.75, 0.6, 0.6], "C": [0.0, 0.0, 0.4, 0.4]},
        index=dates,
    )
    c = cxo_around(w, _cxo_market(), "2025-08-11")
    assert c["before_date"] == pd.Timestamp("2025-08-08") and c["before"] == 0.25
    assert c["at_date"] == pd.Timestamp("2025-08-11") and c["at"] == 0.0
    assert c["removed"] == 0.25
    # a split on a holiday: the first session after it
    c = cxo_around(w, _cxo_market(), "2025-08-09")
    assert c["at_date"] == pd.Timestamp("2025-08-11") and c["before"] == 0.25
    # no session before the split: NaN and NaT, not an error
    c = cxo_around(w, _cxo_market(), "2025-01-01")
    assert pd.isna(c["before_date"]) and np.isnan(c["before"]) and np.isnan(c["removed"])


def test_year_to_date_return_hand_worked():
    lv = pd.Series(
        [100.0, 110.0, 121.0, 99.0],
        index=pd.DatetimeIndex(["2024-12-30", "2024-12-31", "2025-01-02", "2025-03-03"]),
    )
    assert year_to_date_return(lv) == (2025, pytest.approx(99.0 / 110.0 - 1))
    year, r = year_to_date_return(lv.iloc[2:])
    assert year == 2025 and np.isnan(r)  # no close of an earlier year


def test_the_report_is_written_by_the_report_stage_only():
    assert not hasattr(analytics.VersionComparison, "report")
