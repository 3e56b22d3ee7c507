"""Ex-ante tracking error: hand-worked cases, identities, the daily series, bad input (the kernel
oracles are in ``test_exante_kernels.py``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.fakes import real_pipeline, tiny_fund
from support.markets import closes_from_returns, market_from_closes

from engine.analytics.exante import (
    CASH,
    constituent_returns,
    decompose,
    ex_ante,
)
from engine.conventions import Conventions
from engine.errors import DataError

# ------------------------------------------------------------------------------------ hand-worked


def test_decompose_two_securities_by_hand():
    # S = [[4, 1], [1, 9]] e-4, a = (0.1, -0.1), p = 250:
    # a'Sa = 1e-2 (4 + 9 - 2) e-4 = 1.1e-5, TE = sqrt(250 * 1.1e-5); S a = (3e-5, -8e-5)
    cov = np.array([[4e-4, 1e-4], [1e-4, 9e-4]])
    te, m, c = decompose(cov, np.array([0.1, -0.1]), 250)
    assert te == pytest.approx(np.sqrt(2.75e-3), rel=1e-12)
    assert m == pytest.approx([250 * 3e-5 / te, -250 * 8e-5 / te], rel=1e-12)
    assert c == pytest.approx([7.5e-4 / te, 2e-3 / te], rel=1e-12)
    assert c.sum() == pytest.approx(te, rel=1e-12)


@given(seed=st.integers(0, 10_000), n=st.integers(1, 8))
def test_components_add_up_and_marginals_are_the_derivative(seed, n):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 0.02, size=(n + 5, n))
    cov = np.cov(x.T).reshape(n, n)
    a = rng.normal(0, 0.05, n)
    te, m, c = decompose(cov, a, 246)
    assert c.sum() == pytest.approx(te, rel=1e-12)
    h = 1e-7
    for i in range(n):
        up, down = a.copy(), a.copy()
        up[i] += h
        down[i] -= h
        fd = (decompose(cov, up, 246)[0] - decompose(cov, down, 246)[0]) / (2 * h)
        assert m[i] == pytest.approx(fd, rel=1e-5, abs=1e-9)


def _three_codes():
    # A: +1%, -1%, +1%, -1%; B: +1%, -1%, -1%, +1% (uncorrelated with A, same variance);
    # C: flat.  Sample covariance (n - 1 = 3): var = 4e-4 / 3, cov(A, B) = 0, C zero.
    r = np.array([[1, 1, 0], [-1, -1, 0], [1, -1, 0], [-1, 1, 0]]) * 0.01
    return market_from_closes(closes_from_returns(r, ["0001", "0002", "0003"]))


def test_three_securities_sample_by_hand():
    market = _three_codes()
    fund = tiny_fund(
        market,
        {"0001": 0.50, "0002": 0.29, "0003": 0.20},
        {"0001": 0.48, "0002": 0.30, "0003": 0.22},
    )
    res = ex_ante(fund, market, model="sample", window=4)
    a = np.array([0.02, -0.01, -0.02])
    var = 4e-4 / 3
    expected = np.sqrt(246 * (a[0] ** 2 + a[1] ** 2) * var)
    assert res.te == pytest.approx(expected, rel=1e-12)
    assert res.active_weights.loc[["0001", "0002", "0003"]].to_numpy() == pytest.approx(
        a, abs=1e-12
    )
    # cash: 1% of NAV, an active weight with zero variance: no contribution
    assert res.active_weights[CASH] == pytest.approx(0.01, abs=1e-12)
    assert res.active_weights.sum() == pytest.approx(0.0, abs=1e-12)
    assert res.contributions[CASH] == 0.0
    assert res.contributions["0003"] == pytest.approx(0.0, abs=1e-15)  # flat: zero variance
    # component of A: a_A * p * var * a_A / TE
    assert res.contributions["0001"] == pytest.approx(246 * var * a[0] ** 2 / expected, rel=1e-12)
    assert res.contributions.sum() == pytest.approx(res.te, rel=1e-12)
    assert res.covariance.loc["0001", "0001"] == pytest.approx(var, rel=1e-12)
    assert res.periods_per_year == 246
    s = res.summary()
    assert s["ex_ante_te"] == pytest.approx(expected) and s.unit("ex_ante_te") == "%"
    note = s.to_frame().set_index("metric").loc["ex_ante_te"]
    assert "sample" in note["note"] and "window 4" in note["note"] and "246" in note["note"]
    assert note["against"] == "TINY index weights"


def test_annualisation_follows_the_conventions():
    market = _three_codes()
    fund = tiny_fund(market, {"0001": 0.6, "0002": 0.4}, {"0001": 0.5, "0002": 0.5})
    a = ex_ante(fund, market, model="sample", window=4)
    b = ex_ante(
        fund, market, model="sample", window=4, conventions=Conventions(periods_per_year=252)
    )
    assert b.te == pytest.approx(a.te * np.sqrt(252 / 246), rel=1e-12)
    assert b.periods_per_year == 252


def test_returns_restated_for_a_split_and_a_dividend():
    closes = pd.DataFrame(
        {"0001": [10.0, 11.0, 5.5, 5.0]}, index=closes_from_returns(np.zeros((3, 1)), ["x"]).index
    )
    actions = pd.DataFrame(
        {
            "ex_date": [closes.index[2], closes.index[3]],
            "code": ["0001", "0001"],
            "kind": ["split", "cash_dividend"],
            "amount_hkd": [np.nan, 0.5],
            "ratio": [2.0, np.nan],
            "price_hkd": [np.nan, np.nan],
            "pay_date": [pd.NaT, closes.index[3]],
        }
    )
    market = market_from_closes(closes, actions=actions)
    r = constituent_returns(market)["0001"].to_numpy()
    # 10 -> 11: +10%; split 2-for-1 at 5.5: 2 x 5.5 / 11 - 1 = 0; dividend 0.5: (5 + 0.5) / 5.5 - 1 = 0
    assert np.isnan(r[0])
    assert r[1:] == pytest.approx([0.1, 0.0, 0.0], abs=1e-12)


def test_returns_restated_for_rights_and_a_bonus_issue():
    index = closes_from_returns(np.zeros((2, 1)), ["x"]).index
    closes = pd.DataFrame({"0001": [10.0, 9.2, 8.5]}, index=index)
    actions = pd.DataFrame(
        {
            "ex_date": [index[1], index[2]],
            "code": ["0001", "0001"],
            "kind": ["rights", "bonus"],
            "amount_hkd": [np.nan, np.nan],
            "ratio": [0.5, 0.1],
            "price_hkd": [8.0, np.nan],
            "pay_date": [pd.NaT, pd.NaT],
        }
    )
    r = constituent_returns(market_from_closes(closes, actions=actions))["0001"].to_numpy()
    # rights 1 new per 2 at 8: (1.5 x 9.2 - 0.5 x 8) / 10 - 1 = -2%; bonus 1 per 10: 1.1 x 8.5 / 9.2 - 1
    assert r[1:] == pytest.approx([-0.02, 1.1 * 8.5 / 9.2 - 1], abs=1e-12)


# ------------------------------------------------------------------------------ series end to end
def _random_fund(n_days=120, seed=0):
    rng = np.random.default_rng(seed)
    r = rng.normal(0.0005, 0.02, size=(n_days, 3))
    market = market_from_closes(closes_from_returns(r, ["0001", "0002", "0003"]))
    nav_pu = np.cumprod(1 + rng.normal(0, 0.01, n_days + 1 - 40))
    fund = tiny_fund(market, {"0001": 0.5, "0002": 0.3, "0003": 0.19}, {"0001": 0.45, "0002": 0.35, "0003": 0.2},
                     start=40, nav_per_unit=nav_pu)  # fmt: skip
    return market, fund


@pytest.mark.parametrize("model", ["ewma", "sample", "ledoit-wolf", "ledoit-wolf-identity"])
def test_series_matches_one_date_at_a_time(model):
    market, fund = _random_fund()
    res = ex_ante(
        fund, market, model=model, window=30, halflife=10, dates="all", realised_window=20
    )
    assert list(res.series.index) == list(fund.nav.index)
    for day in fund.nav.index[[0, 17, -1]]:
        one = ex_ante(fund, market, date=day, model=model, window=30, halflife=10)
        assert res.series.at[day, "te_ex_ante"] == pytest.approx(one.te, rel=1e-9)
        assert one.contributions.sum() == pytest.approx(one.te, rel=1e-12)
    assert res.te == pytest.approx(res.series["te_ex_ante"].iloc[-1], rel=1e-9)
    # realised: sqrt(p) * std(active, ddof=1) over the last 20 daily differences
    nav = fund.nav["nav_per_unit_cny"]
    bench = fund.benchmark_cny()
    active = (nav.pct_change() - bench.pct_change()).to_numpy()[-20:]
    assert res.series["te_realised"].iloc[-1] == pytest.approx(
        np.sqrt(246) * active.std(ddof=1), rel=1e-10
    )
    ax = res.plot()
    assert "anticipated against realised" in ax.get_title()


def test_missing_returns_counted_or_refused():
    r = np.random.default_rng(1).normal(0, 0.02, size=(30, 2))
    closes = closes_from_returns(r, ["0001", "0002"])
    closes.iloc[:10, 1] = np.nan  # 0002 lists on session 10
    market = market_from_closes(closes)
    fund = tiny_fund(market, {"0001": 0.5, "0002": 0.5}, {"0001": 0.6, "0002": 0.4}, start=25)
    day = market.dates[25]
    res = ex_ante(fund, market, date=day, window=20, model="sample")
    # window: returns on sessions 6..25; 0002's first return is on session 11: 5 missing
    assert res.missing.to_dict() == {"0002": 5}
    assert res.summary()["codes_zero_filled"] == 1
    with pytest.raises(DataError, match="missing"):
        ex_ante(fund, market, date=day, window=20, missing="raise")
    assert ex_ante(fund, market, date=day, window=15, missing="raise").missing.empty
    assert ex_ante(fund, market, window=20, missing="raise").missing.empty  # last day: rows 11..30


# -------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"date": "2030-01-02"}, "field=date"),
        ({"window": 500}, "field=window"),
        ({"window": 1}, "field=window"),
        ({"model": "garch"}, "field=model"),
        ({"halflife": 0}, "field=halflife"),
        ({"halflife": -5.0}, "field=halflife"),
        ({"dates": "some"}, "field=dates"),
        ({"missing": "drop"}, "field=missing"),
    ],
)
def test_bad_input_names_the_argument(kwargs, field):
    market, fund = _random_fund(60)
    with pytest.raises(DataError, match=field):
        ex_ante(fund, market, **{"window": 20, **kwargs})


def test_window_longer_than_the_data_says_how_long_it_may_be():
    market, fund = _random_fund(60)
    with pytest.raises(DataError, match=r"window <= 60"):
        ex_ante(fund, market, window=61)
    assert ex_ante(fund, market, window=60).te > 0


def test_index_timing_next_measures_against_the_composition_of_the_next_session():
    r = np.random.default_rng(4).normal(0, 0.02, size=(40, 3))
    market = market_from_closes(closes_from_returns(r, ["0001", "0002", "0003"]))
    new = {"0001": 0.5, "0002": 0.5}
    fund = tiny_fund(market, new, {"0001": 0.4, "0002": 0.3, "0003": 0.3}, start=30)
    # a review effective on session 35: the index holds `new` from there (weights drift with prices)
    eff = market.dates[35]
    p = market.panel("close")
    drift = p.loc[eff:, ["0001", "0002"]] * 0.5 / p.loc[market.dates[34], ["0001", "0002"]]
    fund.index_weights.loc[eff:, :] = 0.0
    fund.index_weights.loc[eff:, ["0001", "0002"]] = drift.div(drift.sum(axis=1), axis=0)
    day = market.dates[34]  # the fund already holds `new` at this close
    close = ex_ante(fund, market, date=day, window=20, index_timing="close")
    nxt = ex_ante(fund, market, date=day, window=20)
    assert close.te > 0.01
    assert nxt.te == pytest.approx(0.0, abs=1e-12)
    assert nxt.weights.loc[["0001", "0002", "0003"], "index_weight"].to_numpy() == pytest.approx(
        [0.5, 0.5, 0.0]
    )
    # away from the review the two agree (weights drift, the composition does not change)
    later = market.dates[37]
    a = ex_ante(fund, market, date=later, window=20, index_timing="close")
    b = ex_ante(fund, market, date=later, window=20)
    assert a.te == pytest.approx(b.te, rel=1e-9)
    with pytest.raises(DataError, match="field=index_timing"):
        ex_ante(fund, market, window=20, index_timing="open")


@pytest.mark.slow
def test_default_market_run():
    from engine.analytics import fund_tracking

    market, idx, _, fund = real_pipeline()
    day = fund.nav.index[120]
    res = ex_ante(fund, market, date=day, index_timing="close")
    w = fund.weights(day)
    assert res.weights["fund_weight"].reindex(w.index).to_numpy() == pytest.approx(
        w["fund_nav"].to_numpy(), abs=1e-12
    )
    assert res.weights["index_weight"].reindex(w.index).to_numpy() == pytest.approx(
        w["index"].to_numpy(), abs=1e-12
    )
    assert res.contributions.sum() == pytest.approx(res.te, rel=1e-10)
    assert 0 < res.te < 0.05
    series = ex_ante(fund, market, dates="all")
    assert series.series["te_ex_ante"].iloc[120] == pytest.approx(
        ex_ante(fund, market, date=day).te, rel=1e-9
    )
    roll = fund_tracking(fund, idx).rolling["te_std"]
    pd.testing.assert_series_equal(
        series.series["te_realised"], roll.reindex(series.series.index), check_names=False
    )
