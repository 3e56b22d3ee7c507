"""engine.data.onboard: vendor prices plus optional tables -> MarketData, every approximation warned."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import engine
from engine.data import hkex_sessions
from engine.data.onboard import onboard, reference_table
from engine.errors import DataError
from engine.rules.methodology import load_history
from engine.rules.requirements import requirements

pytestmark = pytest.mark.filterwarnings("ignore:market .*placeholder fixing")


def _long(codes=("1801", "9926", "9999"), start="2025-01-02", end="2025-03-31", seed=0):
    days = hkex_sessions(start, end)
    rng = np.random.default_rng(seed)
    rows = []
    for k, c in enumerate(codes):
        px = 10.0 * (k + 1) * np.cumprod(1 + rng.normal(0, 0.02, len(days)))
        vol = rng.uniform(1e6, 5e6, len(days))
        rows.append(pd.DataFrame({"date": days, "code": c, "close": px, "volume": vol}))
    return pd.concat(rows, ignore_index=True)


def test_one_error_lists_everything_missing():
    with pytest.raises(DataError) as e:
        engine.onboard(_long(), reference=False)
    msg = str(e.value)
    for need in (
        "shares",
        "memberships.hsci",
        "memberships.southbound",
        "relevance",
        "classification.industry",
        "classification.is_cxo",
        "classification.wht_class",
    ):
        assert need in msg, need
    assert msg.startswith("7 input(s) missing")


def test_requirements_of_the_history():
    need = requirements("hsidi")
    assert set(need) == {
        "shares",
        "memberships.hsci",
        "memberships.southbound",
        "relevance",
        "classification.industry",
        "classification.is_cxo",
        "volume",
    }
    assert (
        "hsidi-2023-05" in need["memberships.hsci"] and "hsidi-2025-08" in need["memberships.hsci"]
    )
    assert "hsidi-2023-05" not in need["memberships.southbound"]


def test_equal_approximation_gives_unit_market_caps_and_warns():
    ob = onboard(
        _long(), approximation="equal", memberships="all", relevance=1.0, wht_default="foreign"
    )
    m = ob.market
    cap = m.close_hkd * m.shares * m.free_float
    assert np.allclose(cap[m.listed()], 1.0, rtol=1e-12)
    w = "\n".join(ob.warnings)
    assert (
        "approximation='equal'" in w and "memberships='all'" in w and "relevance approximated" in w
    )
    assert "wht_default" in w and "9999" in w
    assert ob.provided["shares"] == "equal"


def test_traded_value_proxy_matches_a_rolling_mean():
    prices = _long()
    ob = onboard(
        prices,
        approximation="traded_value",
        memberships="all",
        relevance=1.0,
        wht_default="foreign",
        proxy_window=5,
    )
    m = ob.market
    for c in ("1801", "9999"):
        p = prices[prices["code"] == c].set_index("date")
        tv = (p["close"] * p["volume"]).rolling(5, min_periods=1).mean()
        j = m.col(c)
        got = pd.Series(m.close_hkd[:, j] * m.shares[:, j], index=m.dates).reindex(tv.index)
        np.testing.assert_allclose(got.to_numpy(), tv.to_numpy(), rtol=1e-10)
    assert any("traded value" in w for w in ob.warnings)


def test_market_cap_snapshots_set_shares_on_their_dates():
    prices = _long()
    snap = pd.DataFrame(
        {
            "date": ["2025-01-02", "2025-01-02", "2025-01-02", "2025-02-03"],
            "code": ["1801", "9926", "9999", "1801"],
            "market_cap_hkd": [1e10, 2e10, 3e9, 4e10],
        }
    )
    ob = onboard(
        prices,
        approximation="market_cap",
        market_cap=snap,
        memberships="all",
        relevance=1.0,
        wht_default="foreign",
    )
    m = ob.market
    j = m.col("1801")
    assert m.close_hkd[m.row("2025-01-02"), j] * m.shares[m.row("2025-01-02"), j] == pytest.approx(
        1e10
    )
    assert m.close_hkd[m.row("2025-02-03"), j] * m.shares[m.row("2025-02-03"), j] == pytest.approx(
        4e10
    )
    # held between snapshots: same shares on 2025-01-27 as on 2025-01-02
    assert m.shares[m.row("2025-01-27"), j] == m.shares[m.row("2025-01-02"), j]
    assert any("adjusted" in w or "market-cap snapshots" in w for w in ob.warnings)


def test_reference_fills_known_codes_and_lists_unknown_ones():
    ob = onboard(
        _long(), approximation="equal", memberships="all", relevance=1.0, wht_default="foreign"
    )
    sec = ob.market.securities.set_index("code")
    ref = reference_table().set_index("code")
    assert sec.at["1801", "industry"] == ref.at["1801", "industry"] == "Biotechnology"
    assert sec.at["9926", "name"] == "Akeso"
    assert set(ob.taken["code"]) == {"1801", "9926"}
    assert (ob.taken["source"] != "").all()
    # the unknown code is kept, listed and warned about (industry blank, CXO flag a placeholder)
    assert ob.unclassified == ("9999",)
    assert "9999" in ob.market.codes
    assert sec.at["9999", "industry"] == ""
    assert any("placeholder CXO flag" in w and "9999" in w for w in ob.warnings)
    assert ob.to_frame().at["9999", "classified_by"] == "none"
    assert ob.summary()["unclassified"] == 1


def test_user_classification_wins_field_by_field():
    cls = pd.DataFrame(
        {
            "code": ["1801", "9999"],
            "industry": ["Pharmaceuticals", "Biotechnology"],
            "is_cxo": [False, True],
            "wht_class": [None, "H"],
        }
    )
    ob = onboard(
        _long(), approximation="equal", memberships="all", relevance=1.0, classification=cls
    )
    sec = ob.market.securities.set_index("code")
    assert sec.at["1801", "industry"] == "Pharmaceuticals"
    assert sec.at["1801", "name"] == "Innovent Biologics"  # still from the reference
    assert bool(sec.at["9999", "is_cxo"]) and sec.at["9999", "wht_class"] == "H"
    assert ob.unclassified == ()
    assert "industry" not in set(ob.taken.loc[ob.taken["code"] == "1801", "field"])


def test_reference_rows_carry_a_source():
    ref = reference_table()
    assert ref["code"].is_unique
    assert (ref["source"].str.len() > 0).all()
    assert ref.set_index("code").loc[["2359", "2269", "2268"], "is_cxo"].all()


def test_gap_inside_a_priced_life_is_filled_and_reported():
    prices = _long()
    prices = prices[~((prices["code"] == "1801") & (prices["date"] == "2025-02-04"))]
    ob = onboard(
        prices, approximation="equal", memberships="all", relevance=1.0, wht_default="foreign"
    )
    assert ob.market.suspended[ob.market.row("2025-02-04"), ob.market.col("1801")]
    assert any("1801 2025-02-04" in w for w in ob.warnings)
    with pytest.raises(DataError, match="fill_gaps"):
        onboard(
            prices,
            approximation="equal",
            memberships="all",
            relevance=1.0,
            wht_default="foreign",
            fill_gaps=False,
        )


def test_shares_table_and_adjusted_prices_warn():
    prices = _long().rename(columns={"close": "close_adj"})
    shares = pd.DataFrame({"code": ["1801", "9926", "9999"], "shares": [1e9, 2e9, 3e9]})
    ob = onboard(
        prices,
        shares=shares,
        free_float=0.5,
        memberships="all",
        relevance=1.0,
        wht_default="foreign",
    )
    assert ob.market.is_adjusted
    assert np.all(ob.market.shares[ob.market.listed()[:, 1], 1] == 2e9)
    assert np.all(ob.market.free_float[ob.market.listed()] == 0.5)
    assert any("vendor-adjusted" in w for w in ob.warnings)
    with pytest.raises(DataError, match="does not apply"):
        onboard(prices, shares=shares, approximation="equal", memberships="all", relevance=1.0)


def test_build_index_runs_on_an_onboarded_market():
    codes = ("1801", "9926", "6160", "1093", "2269", "9999")
    prices = _long(codes, start="2024-06-03", end="2025-09-30")
    prices["volume"] *= 10  # traded value well above the HKD 20m liquidity threshold
    ob = onboard(
        prices,
        approximation="traded_value",
        memberships="all",
        relevance=1.0,
        wht_default="foreign",
    )
    h = load_history("hsidi").replace(base_date="2024-12-31", cap=0.5)
    idx = engine.build_index(ob.market, h)
    last = idx.schedule.reviews[-1]
    # the revision drops the CXO (2269) and the unclassified code (blank industry)
    assert "2269" not in last.constituents and "9999" not in last.constituents
    assert "2269" in idx.schedule.reviews[0].constituents
    assert np.isfinite(idx.levels["price"]).all()


@pytest.mark.realdata
def test_real_folder_onboards_and_builds(real_data):
    folder = real_data / "hk_hsci_yfinance_luciusneo" / "raw"
    ob = onboard(
        folder,
        start="2024-06-01",
        approximation="traded_value",
        memberships="all",
        relevance=1.0,
        wht_default="foreign",
    )
    assert ob.market.is_adjusted and len(ob.market.codes) == 72
    assert set(ob.unclassified).isdisjoint(reference_table()["code"])
    assert {"2359", "2269", "2268"} <= set(ob.taken["code"])
    idx = engine.build_index(ob.market, load_history("hsidi").replace(base_date="2024-12-31"))
    rev = [r for r in idx.schedule.reviews if r.effective_date == pd.Timestamp("2025-08-11")][0]
    assert not {"2359", "2269", "2268"} & set(rev.constituents)


def test_tidy_price_csv_with_a_short_line_names_the_line(tmp_path):
    """A tidy ``date,code,close,volume`` CSV given to onboard: a short line in the middle of it is
    an error naming the file and line, not a silently empty volume."""
    from engine.data.onboard import read_prices

    path = tmp_path / "prices.csv"
    _long().to_csv(path, index=False)
    lines = path.read_text().splitlines()
    lines[10] = lines[10].rsplit(",", 1)[0]  # the volume and its comma lost on line 11
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"line 11 has 3 fields, the header has 4 .*prices\.csv"):
        read_prices(path)
