"""Rebalance capacity: a hand-worked review of three securities, the windows, the masks, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from support.fakes import make_fund, make_index, real_pipeline
from support.markets import market_from_closes, sessions

from engine._display import Summary
from engine.analytics.capacity import COLUMNS, CapacitySettings, RebalanceCapacity, capacity
from engine.errors import DataError

T = 30
TRADE = 24  # the review is effective on row 25, so the index trades at the close of row 24


def _panels():
    """A: 10 HKD, 2-for-1 split on row 10 (5 HKD after); B: 20 HKD flat; C: 5.0 on even rows, 5.5 on
    odd rows.  Traded value A 1e6 a day (1e9 on row 3, outside the ADV window; 3e6 on row 23,
    inside), B 2e6, C 4e6."""
    dates = sessions(T)
    codes = pd.Index(["A", "B", "C"], name="code")
    a = np.where(np.arange(T) < 10, 10.0, 5.0)
    c = np.where(np.arange(T) % 2 == 0, 5.0, 5.5)
    closes = pd.DataFrame({"A": a, "B": 20.0, "C": c}, index=dates, columns=codes)
    traded = pd.DataFrame({"A": 1e6, "B": 2e6, "C": 4e6}, index=dates, columns=codes)
    traded.iloc[3, 0] = 1e9
    traded.iloc[23, 0] = 3e6
    suspended = pd.DataFrame(False, index=dates, columns=codes)
    actions = pd.DataFrame(
        {"ex_date": [dates[10]], "code": ["A"], "kind": ["split"], "ratio": [2.0]}
    )
    return dates, closes, traded, suspended, actions


def _market(closes, traded, suspended, actions, fx=0.92):
    return market_from_closes(
        closes,
        traded_value_hkd=traded,
        suspended=suspended,
        actions=actions,
        fx=pd.Series(fx, index=closes.index),
    )


@pytest.fixture
def case():
    dates, closes, traded, suspended, actions = _panels()
    index = make_index(closes, [(0, {"A": 100.0, "B": 50.0}), (TRADE + 1, {"B": 50.0, "C": 400.0})])
    return index, _market(closes, traded, suspended, actions), closes


def test_hand_worked_review(case):
    index, market, closes = case
    # assets: 9.2e6 CNY / 0.92 = 1e7 HKD.  Old: A 100 x 5 = 500, B 50 x 20 = 1000 -> 1/3, 2/3.
    # New: B 1000, C 400 x 5 = 2000 -> 1/3, 2/3.  |dw| = 1/3, 1/3, 2/3.
    res = capacity(index, market, aum_cny=9.2e6, participation=0.2)
    rows = res.review(closes.index[TRADE + 1]).set_index("code")
    assert list(res.to_frame().columns) == [*COLUMNS[:2], "tracked_assets_hkd", *COLUMNS[2:]]
    assert rows.loc["A", "trade_date"] == closes.index[TRADE]
    np.testing.assert_allclose(rows["tracked_assets_hkd"], 1e7)
    np.testing.assert_allclose(rows.loc[["A", "B", "C"], "weight_before"], [1 / 3, 2 / 3, 0])
    np.testing.assert_allclose(rows.loc[["A", "B", "C"], "weight_after"], [0, 1 / 3, 2 / 3])
    value = np.array([1e7 / 3, 1e7 / 3, 2e7 / 3])
    np.testing.assert_allclose(rows.loc[["A", "B", "C"], "value_to_trade_hkd"], value)
    assert list(rows.loc[["A", "B", "C"], "side"]) == ["sell", "sell", "buy"]
    # ADV over rows 4..23: A has 19 x 1e6 + 3e6 (the 1e9 on row 3 is outside)
    adv = np.array([(19 * 1e6 + 3e6) / 20, 2e6, 4e6])
    np.testing.assert_allclose(rows.loc[["A", "B", "C"], "adv_hkd"], adv)
    days = value / (0.2 * adv)
    np.testing.assert_allclose(rows.loc[["A", "B", "C"], "days_to_trade"], days)
    assert list(rows.loc[["A", "B", "C"], "over_one_day"]) == list(days > 1)
    # volatility: A's only move is the split's ex-date, left out -> 0; B flat -> 0;
    # C alternates +10% (odd rows 1..23) and 5/5.5 - 1 (even rows 2..22)
    c_rets = [0.1 if t % 2 else 5 / 5.5 - 1 for t in range(1, TRADE)]
    sigma_c = float(np.std(c_rets, ddof=1))
    np.testing.assert_allclose(rows.loc[["A", "B"], "daily_vol"], 0.0, atol=1e-15)
    np.testing.assert_allclose(rows.loc["C", "daily_vol"], sigma_c)
    impact_c = sigma_c * np.sqrt(value[2] / adv[2])
    np.testing.assert_allclose(rows.loc["C", "impact_bp"], impact_c * 1e4)
    np.testing.assert_allclose(rows.loc["C", "impact_cost_hkd"], value[2] * impact_c)
    br = res.by_review.iloc[0]
    np.testing.assert_allclose(br["one_way_turnover"], 2 / 3)
    np.testing.assert_allclose(br["value_to_trade_hkd"], value.sum())
    assert br["max_days_code"] == "A"
    assert br["names_over_one_day"] == int((days > 1).sum())


def test_first_review_skipped_and_named(case):
    index, market, closes = case
    res = capacity(index, market, aum_cny=9.2e6)
    assert list(res.skipped["review"]) == [closes.index[0]]
    assert "no composition before" in res.skipped["reason"].iloc[0]
    assert "1 skipped" in res.summary().to_frame().set_index("metric").at["reviews", "note"]


def test_participation_and_coefficient_scale(case):
    index, market, closes = case
    a = capacity(index, market, aum_cny=9.2e6, participation=0.2).to_frame()
    b = capacity(index, market, aum_cny=9.2e6, participation=0.1, impact_coefficient=2.0).to_frame()
    np.testing.assert_allclose(b["days_to_trade"], 2 * a["days_to_trade"])
    np.testing.assert_allclose(b["impact_bp"], 2 * a["impact_bp"])
    c = capacity(index, market, aum_cny=4 * 9.2e6).to_frame()  # 4x assets: sqrt(4) x impact
    np.testing.assert_allclose(c["impact_bp"], 2 * a["impact_bp"])


def test_suspended_throughout_window_has_no_adv(case):
    _, closes, traded, suspended, actions = _panels()
    traded.iloc[:, 2] = 0.0  # C never traded
    suspended.iloc[:, 2] = True
    closes.iloc[:, 2] = 5.0  # a suspended day carries the last close (5.0 on row 0)
    index, _, _ = case
    res = capacity(index, _market(closes, traded, suspended, actions), aum_cny=9.2e6)
    row = res.to_frame().set_index("code").loc["C"]
    assert np.isinf(row["days_to_trade"]) and row["over_one_day"]
    assert np.isnan(row["impact_bp"]) and np.isnan(row["daily_vol"])
    assert res.by_review["names_without_adv"].iloc[0] == 1
    assert np.isfinite(res.by_review["impact_cost_hkd"].iloc[0])


def test_fund_nav_is_the_default_assets(case):
    index, market, closes = case
    nav = pd.DataFrame({"nav_hkd": 2e7}, index=closes.index[20:])
    res = capacity(index, market, fund=make_fund(nav, index))
    np.testing.assert_allclose(res.to_frame()["tracked_assets_hkd"], 2e7)
    assert "fund's NAV" in res.basis
    # a fund started after the trade date: the review is skipped and named
    late = make_fund(pd.DataFrame({"nav_hkd": 2e7}, index=closes.index[26:]), index)
    res = capacity(index, market, fund=late)
    assert res.to_frame().empty
    assert "no NAV on the trade date" in res.skipped["reason"].iloc[-1]


@pytest.mark.parametrize("bad", [0, -0.1, 1.5, float("nan"), True])
def test_participation_outside_unit_interval(case, bad):
    index, market, _ = case
    with pytest.raises(DataError, match="participation"):
        capacity(index, market, aum_cny=1e6, participation=bad)


@pytest.mark.parametrize("bad", [-1.0, 0.0, float("inf"), "1e6"])
def test_bad_aum(case, bad):
    index, market, _ = case
    with pytest.raises(DataError, match="aum_cny"):
        capacity(index, market, aum_cny=bad)


def test_no_assets_names_both_arguments(case):
    index, market, _ = case
    with pytest.raises(DataError, match="aum_cny / fund"):
        capacity(index, market)


@pytest.mark.parametrize(
    "kw, field",
    [
        ({"adv_window": 0}, "adv_window"),
        ({"vol_window": 1}, "vol_window"),
        ({"impact_coefficient": -1.0}, "impact_coefficient"),
    ],
)
def test_bad_settings(kw, field):
    with pytest.raises(DataError, match=field):
        CapacitySettings(**kw)


def test_participation_one_allowed(case):
    index, market, _ = case
    assert capacity(index, market, aum_cny=1e6, participation=1.0).settings.participation == 1.0


def test_protocol(case):
    index, market, closes = case
    res = capacity(index, market, aum_cny=9.2e6)
    assert isinstance(res, RebalanceCapacity)
    assert isinstance(res.summary(), Summary)
    assert res.summary()["participation"] == 0.2
    assert "RebalanceCapacity(1 reviews" in repr(res)
    assert "<table" in res._repr_html_()
    assert isinstance(res.plot(), Axes)
    assert isinstance(res.plot(review=closes.index[TRADE + 1]), Axes)
    with pytest.raises(DataError, match="date"):
        res.review("2030-01-01")


@pytest.mark.slow
def test_default_revision_sells_every_cxo_name():
    """On the default run, the 2025-08-11 revision sells each CXO constituent in full: value to trade
    = the fund's NAV on 2025-08-08 (HKD) x its weight before, and nothing is bought back."""
    market, idx, _, fund = real_pipeline()
    rows = capacity(idx, market, fund=fund).review("2025-08-11").set_index("code")
    cxo = market.securities.set_index("code")["is_cxo"]
    held_cxo = [c for c in rows.index if cxo.get(c, False) and rows.at[c, "weight_before"] > 0]
    assert held_cxo
    nav_hkd = float(fund.nav.loc["2025-08-08", "nav_hkd"])
    for code in held_cxo:
        assert rows.at[code, "weight_after"] == 0 and rows.at[code, "side"] == "sell"
        np.testing.assert_allclose(
            rows.at[code, "value_to_trade_hkd"], nav_hkd * rows.at[code, "weight_before"]
        )
    np.testing.assert_allclose(rows["weight_after"].sum(), 1.0)
    np.testing.assert_allclose(rows["weight_before"].sum(), 1.0)
