"""engine.analytics.compare (versions): rules behind membership changes, effects, CXO, report, CLI."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from support.fakes import make_index
from support.markets import market_from_closes

import engine
from engine import analytics
from engine.analytics.versions import (
    cxo_around,
    effects,
    linked_effects,
    max_drawdown,
    year_to_date_return,
)
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


def test_unknown_linking_is_named_before_anything_is_built(market):
    with pytest.raises(engine.errors.DataError, match=r"unknown linking method.*field=linking"):
        analytics.compare("hsidi-2023-05", "hsidi", market=market, linking="frongello")


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
    assert e["selection"].iloc[1] == pytest.approx(0.0, abs=1e-15)
    np.testing.assert_allclose(e["residual"], 0.0, atol=1e-15)


DATES3 = pd.DatetimeIndex(["2025-01-02", "2025-01-03", "2025-01-06"])


def _fake(q, levels):
    return SimpleNamespace(
        index_shares=pd.DataFrame(q, index=DATES3, columns=["X", "Y", "Z"], dtype=float),
        levels=pd.DataFrame({"price": levels}, index=DATES3),
        meta={},
    )


def _split_market():
    """Three codes on three sessions; Z splits 2-for-1 on the last (its close halves)."""
    from engine.enums import ACT_SPLIT
    from engine.prepare import ACTION_DT

    close = np.array([[10.0, 10.0, 10.0], [11.0, 10.0, 9.0], [11.0, 12.0, 4.5]])
    actions = np.zeros(1, dtype=ACTION_DT)
    actions[0] = (2, 2, ACT_SPLIT, 2.0, 0.0, 0.0, 2, 0)
    return SimpleNamespace(
        dates=DATES3,
        codes=["X", "Y", "Z"],
        close_hkd=close,
        arrays=lambda: SimpleNamespace(actions=actions),
        panel=lambda name: pd.DataFrame(close, index=DATES3, columns=["X", "Y", "Z"]),
    )


def _hand_pair():
    # a holds X and Y (1 share each); b holds Y (3) and Z (1, 2 after Z's split on the last day)
    qa = [[1, 1, 0]] * 3
    qb = [[0, 3, 1], [0, 3, 1], [0, 3, 2]]
    la = [100.0, 105.0, 105.0 * 23 / 21]
    lb = [100.0, 100 * 39 / 40, 100 * 39 / 40 * (36 + 9) / (30 + 9)]
    return _fake(qa, la), _fake(qb, lb)


def test_effects_adjust_for_a_split_hand_worked():
    e = effects(*_hand_pair(), _split_market())
    # day 1: r = X +10%, Y 0, Z -10%; wa = (.5,.5,0), wb = (0,.75,.25)
    assert e["weighting"].iloc[0] == pytest.approx((0.75 - 0.5) * 0.0)
    assert e["selection"].iloc[0] == pytest.approx(0.25 * -0.1 - 0.5 * 0.1)
    # day 2: Z's prior close adjusted for the split (9 / 2 = 4.5), so Z earns 0, not -50%;
    # r = X 0, Y +20%; wa = (11/21, 10/21, 0), wb = (0, 30/39, 9/39)
    assert e["weighting"].iloc[1] == pytest.approx((30 / 39 - 10 / 21) * 0.2)
    assert e["selection"].iloc[1] == pytest.approx(0.0, abs=1e-15)
    np.testing.assert_allclose(e["residual"], 0.0, atol=1e-15)


def test_effects_linked_add_up_to_the_compounded_difference_hand_worked():
    e = effects(*_hand_pair(), _split_market())
    ra = np.array([0.05, 2 / 21])
    rb = np.array([39 / 40 - 1, 45 / 39 - 1])
    big_a, big_b = np.prod(1 + ra) - 1, np.prod(1 + rb) - 1  # 15%, 12.5%
    assert (big_a, big_b) == (pytest.approx(0.15), pytest.approx(0.125))
    # Carino: k_t = ln((1 + r^b_t) / (1 + r^a_t)) / (r^b_t - r^a_t), over K of the period
    k = (np.log1p(rb) - np.log1p(ra)) / (rb - ra)
    big_k = (np.log1p(big_b) - np.log1p(big_a)) / (big_b - big_a)
    np.testing.assert_allclose(e["beta"], k / big_k, rtol=1e-14)
    link = linked_effects(e, big_b - big_a)
    assert link["selection"] == pytest.approx(k[0] / big_k * (0.25 * -0.1 - 0.5 * 0.1), rel=1e-13)
    assert link["weighting"] == pytest.approx(k[1] / big_k * (6 / 39 - 2 / 21), rel=1e-13)
    assert abs(link["selection"] + link["weighting"] - (-0.025)) < 1e-15
    assert abs(link["residual"]) < 1e-15


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
    # the CXO weight: removed by the chained run only; the launch run's change is drift
    launch = cmp.cxo.loc["launch"]
    assert launch["removed"] == 0.0 and launch["drift"] == launch["at"] - launch["before"] != 0
    assert s["cxo_removed_chained"] == pytest.approx(c["before"])
    names = set(s.to_frame()["metric"])
    assert "cxo_removed_launch" not in names and s["cxo_drift_launch"] == launch["drift"]
    assert (
        s.to_frame().set_index("metric").at["selection_effect", "against"] == "launch index (price)"
    )
    # linked selection + weighting = the compounded return difference shown beside them
    total = s["selection_effect"] + s["weighting_effect"]
    assert abs(total - s["return_difference"]) < 1e-12 and abs(s["effects_residual"]) < 1e-12
    assert s["return_difference"] == pytest.approx(
        cmp.base.levels["chained"].iloc[-1] / cmp.base.levels["chained"].iloc[0]
        - cmp.base.levels["launch"].iloc[-1] / cmp.base.levels["launch"].iloc[0],
        abs=1e-13,
    )
    np.testing.assert_allclose(e["residual"], 0.0, atol=1e-12)  # corporate actions included
    notes = s.to_frame().set_index("metric")["note"]
    assert "Carino-linked" in notes["selection_effect"] and "arithmetic" in notes["active_sum"]
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
    """A market of four codes, A and D CXOs; only ``securities`` is read."""

    class _Market:
        securities = pd.DataFrame(
            {"code": ["A", "B", "C", "D"], "is_cxo": [True, False, False, True]}
        )

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
    assert c["removed"] == 0.25 and c["drift"] == 0.0
    # a split on a holiday: the first session after it
    c = cxo_around(w, _cxo_market(), "2025-08-09")
    assert c["at_date"] == pd.Timestamp("2025-08-11") and c["before"] == 0.25
    # no session before the split: NaN and NaT, not an error
    c = cxo_around(w, _cxo_market(), "2025-01-01")
    assert pd.isna(c["before_date"]) and np.isnan(c["before"]) and np.isnan(c["removed"])


def test_cxo_drift_is_not_a_removal_hand_worked():
    dates = pd.DatetimeIndex(["2025-08-08", "2025-08-11"])
    # A (CXO) stays and its weight drifts from 25% to 22%: nothing removed
    w = pd.DataFrame({"A": [0.25, 0.22], "B": [0.75, 0.78]}, index=dates)
    c = cxo_around(w, _cxo_market(), "2025-08-11")
    assert c["removed"] == 0.0 and c["drift"] == pytest.approx(-0.03)
    # A leaves (10% before), D stays and drifts from 20% to 24%: 10% removed, +4 points drift
    w = pd.DataFrame({"A": [0.1, 0.0], "D": [0.2, 0.24], "B": [0.7, 0.76]}, index=dates)
    c = cxo_around(w, _cxo_market(), "2025-08-11")
    assert c["removed"] == pytest.approx(0.1) and c["drift"] == pytest.approx(0.04)
    assert c["at"] == pytest.approx(c["before"] - c["removed"] + c["drift"])


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
