"""Attribution waterfall: exact additivity, a hand-worked chain, the counterfactual chain of attribute()."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.axes import Axes
from support.fakes import DRAG, FakeConfig, fake_backtest, make_index, make_market, real_pipeline
from support.markets import random_closes, random_fx

from engine.analytics import attribute, waterfall
from engine.conventions import PERIODS_PER_YEAR
from engine.errors import DataError

DATES = pd.bdate_range("2024-01-02", periods=4)


def _lv(values):
    return pd.Series(values, index=DATES, dtype=float)


def test_hand_worked_three_steps():
    # returns: 10%, 12%, 9% -> contributions +2%, -3%; total -1%
    wf = waterfall(
        [
            ("benchmark", _lv([100, 101, 105, 110])),
            ("with dividends", _lv([50, 51, 53, 56])),
            ("fund", _lv([1.0, 1.02, 1.05, 1.09])),
        ]
    )
    np.testing.assert_allclose(wf.period_returns.to_numpy(), [0.10, 0.12, 0.09], atol=1e-14)
    np.testing.assert_allclose(wf.contributions.to_numpy(), [0.02, -0.03], atol=1e-14)
    assert wf.total == pytest.approx(-0.01, abs=1e-14)
    # annualised over n = 3 sessions: (1 + R)^(p/3) - 1
    p = PERIODS_PER_YEAR
    want = [(1.10) ** (p / 3) - 1, (1.12) ** (p / 3) - 1, (1.09) ** (p / 3) - 1]
    np.testing.assert_allclose(wf.annualised_returns.to_numpy(), want, rtol=1e-12)
    assert wf.contributions_annualised.sum() == pytest.approx(want[2] - want[0], rel=1e-12)
    frame = wf.to_frame()
    assert list(frame.index) == ["benchmark", "with dividends", "fund"]
    assert math.isnan(frame["contribution"].iloc[0])
    assert frame["cumulative"].iloc[-1] == pytest.approx(-0.01, abs=1e-14)
    s = wf.summary()
    assert s["with dividends (arithmetic, total)"] == pytest.approx(0.02, abs=1e-14)
    assert s["fund (arithmetic, total)"] == pytest.approx(-0.03, abs=1e-14)
    assert s["total (last step - first step), arithmetic, total"] == pytest.approx(-0.01, abs=1e-14)
    assert s.unit("total (last step - first step), arithmetic, total") == "bp"
    assert set(s.to_frame()["against"]) == {"benchmark", ""}  # residual row has no basis
    # log contributions by hand: ln(1.12/1.10), ln(1.09/1.12); total ln(1.09/1.10)
    assert s["with dividends (log (geometric), total)"] == pytest.approx(
        math.log(1.12 / 1.10), rel=1e-12
    )
    assert s["total (last step - first step), log (geometric), total"] == pytest.approx(
        math.log(1.09 / 1.10), rel=1e-12
    )
    years = (DATES[-1] - DATES[0]).days / 365
    assert s["fund (log (geometric), per year)"] == pytest.approx(
        math.log(1.09 / 1.12) / years, rel=1e-12
    )
    t = wf.table()
    assert list(t.columns) == [
        "arithmetic, total (bp)",
        "log (geometric), total (bp)",
        "log (geometric), per year (bp)",
    ]
    assert t.loc["total (fund - benchmark)", "arithmetic, total (bp)"] == pytest.approx(-100.0)
    assert t.loc["residual (rounding)", "arithmetic, total (bp)"] == pytest.approx(0.0, abs=1e-9)
    for kw in ({}, {"annualised": True}, {"basis": "log"}, {"basis": "log_per_year"}):
        assert isinstance(wf.plot(**kw), Axes)
    title = wf.plot(basis="log_per_year").get_title()
    assert "log (geometric), per year" in title and "vs benchmark" in title
    with pytest.raises(DataError, match="basis"):
        wf.contributions_by("geometric")


def test_constant_fee_on_a_constant_growth_market():
    # a fee f a year accrued on calendar days (NAV x (1 - f d_t / 365) each session) on a market
    # growing 0.3% a session: the log contribution is the sum of ln(1 - f d_t / 365) whatever the
    # market did; the arithmetic one is scaled by the market's growth (1 + R); per year it reads -f
    fee = 0.006
    dates = pd.bdate_range("2025-01-02", "2025-12-31")
    days = np.diff(dates.to_numpy()).astype("timedelta64[D]").astype(float)
    bench = pd.Series(1.003 ** np.arange(len(dates)), index=dates)
    factor = np.concatenate([[1.0], np.cumprod(1 - fee * days / 365)])
    wf = waterfall([("benchmark", bench), ("+ fees", bench * factor)])
    want_log = float(np.sum(np.log(1 - fee * days / 365)))
    assert wf.contributions_log["+ fees"] == pytest.approx(want_log, abs=1e-12)
    # with the same days every session the sum is n ln(1 - f d / 365): check the closed form
    daily = pd.date_range("2025-01-01", periods=366)
    b2 = pd.Series(1.002 ** np.arange(366), index=daily)
    wf2 = waterfall([("b", b2), ("+ fees", b2 * (1 - fee / 365) ** np.arange(366))])
    assert wf2.contributions_log["+ fees"] == pytest.approx(
        365 * math.log(1 - fee / 365), abs=1e-12
    )
    assert wf2.contributions_log_per_year["+ fees"] == pytest.approx(-fee, rel=0.01)
    R = float(bench.iloc[-1] / bench.iloc[0] - 1)
    assert wf.contributions["+ fees"] == pytest.approx((1 + R) * math.expm1(want_log), rel=1e-12)
    assert wf.contributions["+ fees"] < 1.5 * wf.contributions_log["+ fees"]  # scaled by 1 + R
    assert wf.contributions_log_per_year["+ fees"] == pytest.approx(-fee, rel=0.01)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.floats(0.01, 1e4, allow_nan=False), min_size=5, max_size=5),
        min_size=2,
        max_size=9,
    )
)
def test_contributions_add_up_exactly(chains):
    wf = waterfall(
        [
            (f"s{k}", pd.Series(v, index=pd.bdate_range("2024-01-02", periods=5)))
            for k, v in enumerate(chains)
        ]
    )
    total = wf.period_returns.iloc[-1] - wf.period_returns.iloc[0]
    assert math.fsum(wf.contributions) == pytest.approx(
        total, rel=1e-14, abs=1e-14 * max(1.0, abs(wf.period_returns).max())
    )
    assert abs(wf.residual) <= 1e-12 * max(1.0, abs(wf.period_returns).max())
    # telescoping: the running sum reaches every step's return from the first one
    np.testing.assert_allclose(
        wf.period_returns.iloc[0] + np.cumsum(wf.contributions.to_numpy()),
        wf.period_returns.iloc[1:].to_numpy(),
        rtol=1e-12,
        atol=1e-12 * max(1.0, abs(wf.period_returns).max()),
    )


def test_waterfall_errors_name_the_step_and_date():
    a = _lv([1, 2, 3, 4])
    b = a.iloc[:3]
    with pytest.raises(DataError) as exc:
        waterfall([("a", a), ("b", b)])
    assert "step 'b'" in str(exc.value) and str(DATES[3].date()) in str(exc.value)
    with pytest.raises(DataError, match="at least two steps"):
        waterfall([("a", a)])
    with pytest.raises(DataError, match="unique"):
        waterfall([("a", a), ("a", a)])
    with pytest.raises(DataError, match="not positive"):
        waterfall([("a", a), ("b", _lv([1, 0, 3, 4]))])


def _setup(synthetic=False):
    closes = random_closes(60, ["A", "B", "C"], seed=11)
    idx = make_index(
        closes,
        [(1, {"A": 1.0, "B": 2.0, "C": 0.5}), (30, {"A": 1.0, "C": 3.0})],
        synthetic=synthetic,
    )
    fx = random_fx(closes.index)
    return idx, make_market(closes, fx, synthetic=synthetic), fx


def test_attribute_chain_with_an_injected_backtest():
    idx, market, fx = _setup(synthetic=True)
    wf = attribute(idx, market, FakeConfig(), backtest=fake_backtest)
    assert wf.labels == (
        "benchmark: FAKE price index (CNY)",
        "+ index dividends (gross TR, CNY)",
        "ideal fund (fx on)",
        "+ withholding_tax",
        "+ fees",
        "+ cash_drag",
        "+ trading_costs",
        "+ lot_rounding",
        "+ flow_timing (actual fund)",
    )
    dates = idx.levels.index[5:]
    n = len(dates) - 1
    price = idx.levels["price"].reindex(dates) * fx.reindex(dates)
    gross = idx.levels["gross"].reindex(dates) * fx.reindex(dates)
    r_price = price.iloc[-1] / price.iloc[0] - 1
    r_gross = gross.iloc[-1] / gross.iloc[0] - 1
    c = wf.contributions
    assert c.iloc[0] == pytest.approx(r_gross - r_price, rel=1e-12)
    # the fake ideal fund reproduces the gross index in CNY: model residual 0
    assert c.iloc[1] == pytest.approx(0.0, abs=1e-13)
    # each effect's contribution = (1 + R_gross) * ((1-d_prev)^n - (1-d_prev-d)^n), by construction of the fake
    cum = 0.0
    for k, eff in enumerate(
        ["withholding_tax", "fees", "cash_drag", "trading_costs", "lot_rounding", "flow_timing"]
    ):
        want = (1 + r_gross) * ((1 - cum - DRAG[eff]) ** n - (1 - cum) ** n)
        assert c.iloc[2 + k] == pytest.approx(want, rel=1e-9), eff
        cum += DRAG[eff]
    actual = fake_backtest(idx, market, FakeConfig()).nav["nav_per_unit_cny"]
    assert wf.total == pytest.approx((actual.iloc[-1] / actual.iloc[0] - 1) - r_price, rel=1e-12)
    assert wf.synthetic and wf.meta["effects_on"][0] == "fx"
    assert wf.benchmark == "FAKE price index (CNY)"
    # log contributions of the fake: each effect multiplies the NAV by (1 - d)^n relative to the last
    g = wf.contributions_log
    cum = 0.0
    for eff in DRAG:  # the fake's effects, in waterfall order
        lab = f"+ {eff}" + (" (actual fund)" if eff == "flow_timing" else "")
        want = n * (math.log(1 - cum - DRAG[eff]) - math.log(1 - cum))
        assert g[lab] == pytest.approx(want, rel=1e-9), eff
        cum += DRAG[eff]
    assert math.fsum(g) == pytest.approx(wf.total_log, abs=1e-14)


def test_attribute_skips_effects_that_are_off_and_gross_benchmark():
    idx, market, _ = _setup()
    cfg = FakeConfig().with_effects(("fees", "trading_costs"))
    wf = attribute(idx, market, cfg, benchmark="gross", backtest=fake_backtest)
    assert wf.labels == (
        "benchmark: FAKE gross total-return index (CNY)",
        "ideal fund (fx off)",
        "+ fees",
        "+ trading_costs (actual fund)",
    )
    only_fx = attribute(idx, market, FakeConfig().with_effects(("fx",)), backtest=fake_backtest)
    assert only_fx.labels[-1] == "ideal fund (fx on) = actual fund"
    with pytest.raises(DataError, match="benchmark"):
        attribute(idx, market, cfg, benchmark="total", backtest=fake_backtest)
    # the default benchmark is the config's own
    net_cfg = dataclasses.replace(cfg, benchmark="net")
    wf_net = attribute(idx, market, net_cfg, backtest=fake_backtest)
    assert wf_net.labels[0] == "benchmark: FAKE net total-return index (CNY)"
    assert wf_net.benchmark == "FAKE net total-return index (CNY)"


@pytest.mark.slow
def test_attribute_with_the_real_fund_engine():
    world = real_pipeline()
    market, idx, fund, res = world
    wf = attribute(idx, market, res.config)
    nav = res.nav["nav_per_unit_cny"]
    bench = idx.levels["price"].reindex(nav.index) * market.fx.reindex(nav.index)
    want = (nav.iloc[-1] / nav.iloc[0] - 1) - (bench.iloc[-1] / bench.iloc[0] - 1)
    assert wf.total == pytest.approx(want, rel=1e-9, abs=1e-12)
    assert abs(wf.residual) < 1e-12
    # the ideal fund with fx on reproduces the gross index in CNY (fund-engine contract)
    assert abs(wf.contributions.iloc[1]) < 1e-8
    assert wf.labels[-1] == "+ flow_timing (actual fund)" and len(wf.labels) == 9
    # costs and fees can only lower the fund's return
    c = wf.contributions
    assert c["+ fees"] < 0 and c["+ trading_costs"] < 0 and c["+ withholding_tax"] <= 0


def test_fx_off_converts_the_benchmark_at_the_fund_fixing():
    # a fund that holds FX constant is compared with the index at that same constant fixing: the whole
    # FX move must not show up as a model residual in the "ideal fund" step
    idx, market, _ = _setup()
    cfg = FakeConfig().with_effects(("fees",))
    wf = attribute(idx, market, cfg, backtest=fake_backtest)
    assert wf.contributions["ideal fund (fx off)"] == pytest.approx(0.0, abs=1e-13)
    nav = fake_backtest(idx, market, cfg).nav["nav_per_unit_cny"]
    price = idx.levels["price"].reindex(
        nav.index
    )  # constant fixing: the CNY benchmark moves like HKD
    want = (nav.iloc[-1] / nav.iloc[0] - 1) - (price.iloc[-1] / price.iloc[0] - 1)
    assert wf.total == pytest.approx(want, rel=1e-12)


@pytest.mark.slow
def test_waterfall_total_equals_reported_tracking_difference_with_fx_off():
    world = real_pipeline()
    market, idx, fund, _ = world
    from engine.analytics import fund_tracking

    config = fund.EtfConfig.default().with_effects(("fees", "trading_costs", "cash_drag"))
    flows = fund.default_flows(market, config)
    res = fund.backtest(idx, market, config, flows=flows)
    wf = attribute(idx, market, config, flows=flows)
    assert wf.total == pytest.approx(
        fund_tracking(res, idx, variant="price")["tracking_difference"], abs=1e-12
    )
    assert abs(wf.contributions["ideal fund (fx off)"]) < 1e-10


def test_given_actual_run_is_used_instead_of_running_it_again():
    idx, market, _ = _setup()
    calls = []

    def counting_backtest(*args, **kwargs):
        calls.append(args[2])
        return fake_backtest(*args, **kwargs)

    cfg = FakeConfig()
    fresh = attribute(idx, market, cfg, backtest=counting_backtest)
    n_fresh = len(calls)
    calls.clear()
    given = attribute(
        idx, market, cfg, backtest=counting_backtest, actual=fake_backtest(idx, market, cfg)
    )
    assert len(calls) == n_fresh - 1
    pd.testing.assert_series_equal(given.contributions, fresh.contributions)
