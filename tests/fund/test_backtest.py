"""The simulator end to end on small random markets (reviews, corporate actions, a delisting)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from support.cases import random_fund_case
from support.markets import fund_market, sessions
from support.reviews import make_review, make_schedule

from engine.conventions import PERIODS_PER_YEAR
from engine.errors import DataError, FundConfigError
from engine.fund import COST_KINDS, EFFECTS, EtfConfig, FundResult, backtest
from engine.index import compute

QDII = {"H": 0.1, "red_chip": 0.1, "p_chip": 0.0, "foreign": 0.0, "hk": 0.0}


def cfg_for(market, row=3, **kw) -> EtfConfig:
    kw.setdefault("initial_units", 2e7)  # ~18m HKD: board lots matter but do not dominate
    kw.setdefault("creation_unit", 1e5)
    return EtfConfig(inception_date=market.dates[row], **kw)


def some_flows(market) -> pd.Series:
    # creations and redemptions, including on review closes (rows 30, 40), an ex-date (12) and the
    # session of the delisting (55)
    rows = [5, 12, 30, 31, 40, 55, 60]
    units = [5e5, -3e5, 2e6, -1e6, 4e5, -8e6, 1e5]
    return pd.Series(units, index=market.dates[rows])


def rel_path(result: FundResult, variant="gross", col="nav_per_unit_cny") -> np.ndarray:
    nav = result.nav[col]
    lv = result.index_levels[variant]
    return ((nav / nav.iloc[0]) / (lv / lv.iloc[0])).to_numpy() - 1.0


# ---------------------------------------------------------------------------- ideal == gross TR
@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("with_flows", [False, True])
def test_ideal_fund_reproduces_gross_total_return(seed, with_flows):
    market, idx = random_fund_case(seed)
    flows = some_flows(market) if with_flows else pd.Series(dtype=float)
    res = backtest(idx, market, cfg_for(market).with_effects(()), flows=flows)
    # every index event of the run happened inside the fund's life
    assert {"review", "split", "bonus", "rights", "cash_dividend", "deletion"} <= set(
        idx.events["kind"]
    )
    assert np.abs(rel_path(res)).max() < 1e-10
    if with_flows:
        assert res.nav["units"].iloc[-1] == 2e7 + some_flows(market).sum()
    # ideal: no costs of any kind and (almost) no cash
    assert res.costs.to_numpy().sum() == 0.0
    assert np.abs(res.nav["cash_hkd"] / res.nav["nav_hkd"]).max() < 1e-9


def test_ideal_holdings_are_index_shares_over_gross_divisor():
    market, idx = random_fund_case(4)
    res = backtest(idx, market, cfg_for(market).with_effects(()), flows=pd.Series(dtype=float))
    dates = res.nav.index
    q = idx.index_shares.reindex(index=dates, columns=market.codes).fillna(0.0)
    c = q.div(idx.divisors["gross"].reindex(dates), axis=0)
    h = res.holdings.reindex(columns=market.codes, fill_value=0.0)
    # on a review's repricing close the fund already holds the new basket, the index from the next
    # session: compare every other close
    cap_rows = [
        dates.get_loc(r.effective_date) - 1
        for r in idx.schedule.reviews
        if r.effective_date in dates
    ]
    keep = np.setdiff1d(np.arange(len(dates)), cap_rows)
    assert len(keep) >= len(dates) - 2
    h, c = h.to_numpy()[keep], c.to_numpy()[keep]
    ratio = h.sum(axis=1) / c.sum(axis=1)
    np.testing.assert_allclose(h, c * ratio[:, None], rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-10)  # one constant c for the whole run


def test_ideal_from_the_base_date():
    market, idx = random_fund_case(5)
    res = backtest(idx, market, cfg_for(market, row=0).with_effects(()), flows=some_flows(market))
    assert res.nav.index[0] == idx.base_date
    assert np.abs(rel_path(res)).max() < 1e-10


def test_fx_only_tracks_gross_times_fx():
    market, idx = random_fund_case(2, fx_vol=0.01)
    res = backtest(idx, market, cfg_for(market).with_effects(["fx"]), flows=pd.Series(dtype=float))
    fx = market.fx.reindex(res.nav.index)
    g = idx.levels["gross"].reindex(res.nav.index)
    expected = (g / g.iloc[0]) * (fx / fx.iloc[0])
    got = res.nav["nav_cny"] / res.nav["nav_cny"].iloc[0]
    np.testing.assert_allclose(got, expected, rtol=1e-10)
    assert fx.std() > 0.001  # the FX moved
    # fx off: a constant fixing, equal to the inception fixing
    ideal = backtest(idx, market, cfg_for(market).with_effects(()), flows=pd.Series(dtype=float))
    assert (ideal.nav["fx"] == fx.iloc[0]).all()
    # fx_source="constant" also holds the fixing
    const = backtest(
        idx,
        market,
        cfg_for(market, fx_source="constant").with_effects(["fx"]),
        flows=pd.Series(dtype=float),
    )
    assert (const.nav["fx"] == fx.iloc[0]).all()


def test_withholding_only_tracks_net_total_return():
    market, idx = random_fund_case(3)
    res = backtest(
        idx, market, cfg_for(market).with_effects(["withholding_tax"]), flows=some_flows(market)
    )
    assert np.abs(rel_path(res, "net")).max() < 1e-10
    assert np.abs(rel_path(res, "gross")).max() > 1e-5  # and it is not the gross index
    assert res.costs["withholding_tax"].sum() > 0


def test_fees_only_cost_their_rate():
    market, idx = random_fund_case(1)
    cfg = cfg_for(market).with_effects(["fees"])
    res = backtest(idx, market, cfg, flows=pd.Series(dtype=float))
    days = (res.nav.index[-1] - res.nav.index[0]).days
    gap = rel_path(res)[-1]
    # NAV loses (0.5 % + 0.1 %) a year accrued on calendar days
    assert gap == pytest.approx(-0.006 * days / 365, rel=0.02)
    fees = res.costs[["management_fee", "custody_fee"]].sum()
    assert fees["management_fee"] == pytest.approx(5 * fees["custody_fee"], rel=1e-9)
    # fees are paid on month ends (and the last day): nothing accrued is left at the end
    assert res.nav["accrued_fees_hkd"].iloc[-1] == 0.0
    month_end = res.nav.index.to_series().dt.month != res.nav.index.to_series().shift(-1).dt.month
    paid = res.cash["fees_paid_hkd"] > 0
    assert (paid <= month_end).all()


# ---------------------------------------------------------------------------- invariants, full config
@pytest.fixture(scope="module")
def full_case():
    market, idx = random_fund_case(7)
    res = backtest(idx, market, cfg_for(market), flows=some_flows(market))
    return market, idx, res


def test_cash_never_negative(full_case):
    _, _, res = full_case
    assert (res.nav["cash_hkd"] >= -1e-6).all()
    # within a day too, except right after a rights take-up at the open (financed by the sells)
    tr = res.trades[res.trades["reason"] != "rights"]
    assert (tr["cash_after_hkd"] >= -1e-6).all()


def test_costs_non_negative_and_by_kind(full_case):
    _, _, res = full_case
    assert list(res.costs.columns) == list(COST_KINDS)
    assert (res.costs.to_numpy() >= 0).all()
    tot = res.total_costs()
    for kind in (
        "management_fee",
        "custody_fee",
        "stamp_duty",
        "sfc_levy",
        "trading_fee",
        "brokerage",
        "market_impact",
        "withholding_tax",
    ):
        assert tot[kind] > 0, kind
    # stamp duty is 0.1 % of all consideration traded (converted at each day's fixing), borne by
    # the fund or, for trades that invest creation cash or raise redemption cash, by participants
    tr = res.trades.copy()
    fx = res.nav["fx"].reindex(tr["date"]).to_numpy()
    tr_cny = (tr["value_hkd"] * fx).sum()
    borne = res.participant_costs["stamp_duty"].sum()
    assert borne > 0  # the default: creating and redeeming participants pay their own costs
    assert tot["stamp_duty"] + borne == pytest.approx(0.001 * tr_cny, rel=1e-9)
    share = (tr["participant_cost_hkd"] / tr["cost_hkd"]).to_numpy()
    assert borne == pytest.approx(0.001 * (tr["value_hkd"] * fx * share).sum(), rel=1e-9)


def test_sells_before_buys_on_review_days(full_case):
    _, idx, res = full_case
    rev = res.trades[res.trades["reason"] == "review"]
    assert len(rev) > 0
    for _date, day in rev.groupby("date"):
        sides = day["side"].tolist()
        assert sides == sorted(sides, key=lambda s: s == "buy"), sides
        # the cash path of the day never dips below zero
        assert (day["cash_after_hkd"] >= -1e-6).all()
    # the trades happen at the close of the session before each effective date
    eff = [r.effective_date for r in idx.schedule.reviews]
    dates = res.nav.index
    expected = {dates[dates.get_loc(e) - 1] for e in eff if e in dates and dates.get_loc(e) > 0}
    assert set(rev["date"]) <= expected


def test_holdings_whole_board_lots_without_actions():
    market, idx = random_fund_case(8, with_actions=False, with_delisting=False)
    res = backtest(idx, market, cfg_for(market), flows=some_flows(market).iloc[:5])
    lots = market.securities.set_index("code")["board_lot"]
    for code in res.holdings.columns:
        h = res.holdings[code].to_numpy()
        np.testing.assert_allclose(np.mod(h, lots[code]), 0.0, atol=1e-6)
    assert (res.trades["shares"] % res.trades["code"].map(lots) == 0).all()


def test_trading_costs_explain_the_nav_gap():
    market, idx = random_fund_case(6)
    base = cfg_for(market).with_effects(["flow_timing"])
    # no flows: a creation at the lower NAV per unit (or a redemption) would move the gap as well
    flows = pd.Series(dtype=float)
    on = backtest(idx, market, base.with_effects(["flow_timing", "trading_costs"]), flows=flows)
    off = backtest(idx, market, base, flows=flows)
    kinds = ["stamp_duty", "sfc_levy", "afrc_levy", "trading_fee", "brokerage", "market_impact"]
    per_day = on.costs[kinds].sum(axis=1)
    # each cost compounds with the fund from the day it is paid to the end
    g = on.index_levels["gross"]
    compounded = (per_day * g.iloc[-1] / g).sum()
    gap = off.nav["nav_cny"].iloc[-1] - on.nav["nav_cny"].iloc[-1]
    assert gap > 0
    assert gap == pytest.approx(compounded, rel=0.05)
    assert per_day.sum() == pytest.approx(gap, rel=0.3)


def test_dividends_net_of_withholding(full_case):
    market, _, res = full_case
    ev = res.events
    divs = ev[ev["kind"] == "dividend"]
    assert len(divs) >= 2
    act = market.actions.set_index(["ex_date", "code"])
    wht = market.securities.set_index("code")["wht_class"].map(QDII)
    tax_cny = 0.0
    for _, row in divs.iterrows():
        amount = act.loc[(row["date"], row["code"]), "amount_hkd"]
        rate = wht[row["code"]]
        assert row["cash_hkd"] == pytest.approx(row["shares_before"] * amount * (1 - rate))
        tax_cny += row["shares_before"] * amount * rate * res.nav.loc[row["date"], "fx"]
    assert res.total_costs()["withholding_tax"] == pytest.approx(tax_cny)
    # 0001's dividend (H share, 10 %) is paid 5 sessions after its ex-date: a receivable in between
    d = divs[divs["code"] == "0001"].iloc[0]
    paid = ev[(ev["kind"] == "dividend_paid") & (ev["code"] == "0001")].iloc[0]
    assert paid["date"] > d["date"] and paid["cash_hkd"] == pytest.approx(d["cash_hkd"])
    between = res.nav.loc[d["date"] : paid["date"]].iloc[:-1]
    assert (between["receivable_hkd"] >= d["cash_hkd"] - 1e-9).all()
    assert res.cash.loc[paid["date"], "dividends_received_hkd"] >= d["cash_hkd"] - 1e-9


def test_rights_taken_up_and_split_bonus_applied(full_case):
    market, _, res = full_case
    ev = res.events.set_index("kind")
    r = ev.loc["rights"]
    assert r["shares_after"] == pytest.approx(
        r["shares_before"] + np.floor(r["shares_before"] * 0.2 + 1e-9)
    )
    sub = market.actions.loc[market.actions["kind"] == "rights", "price_hkd"].iloc[0]
    assert r["cash_hkd"] == pytest.approx(-(r["shares_after"] - r["shares_before"]) * sub)
    s = ev.loc["split"]
    assert s["shares_after"] == 2 * s["shares_before"]
    b = ev.loc["bonus"]
    assert b["shares_after"] == np.floor(1.1 * b["shares_before"] + 1e-9)
    # the delisted 0006 was sold at its last close
    dele = ev.loc["deletion"]
    assert dele["code"] == "0006" and dele["shares_after"] == 0.0
    assert (res.holdings["0006"].loc[dele["date"] :] == 0).all()


def test_bonus_fraction_paid_as_cash_in_lieu():
    dates = sessions(12)
    close = pd.DataFrame({"0001": 10.0, "0002": 20.0}, index=dates)
    close.iloc[6:, 0] = 8.8889  # 1-for-8 bonus: 10 / 1.125
    actions = pd.DataFrame([{"ex_date": dates[6], "code": "0001", "kind": "bonus", "ratio": 0.125}])
    market = fund_market(close, actions=actions, lots=[100, 100], wht=["hk", "hk"])
    idx = compute(
        market,
        make_schedule(
            [make_review(dates[1], dates[0], {"0001": 1e6, "0002": 1e6})], base_value=1000.0
        ),
        base_date=dates[0],
        withholding=QDII,
    )
    cfg = EtfConfig(
        inception_date=dates[1], initial_units=1e5, creation_unit=1e4, effects=("lot_rounding",)
    )
    res = backtest(idx, market, cfg, flows=pd.Series(dtype=float))
    # 100,000 HKD (fixing 1.0) at weights 1/3 (q*P = 10e6) and 2/3 (20e6):
    # 0001: 33,333.33 / 10 = 3333.3 sh -> 33 lots = 3300 sh; 0002: 66,666.67 / 20 -> 3300 sh.
    assert res.holdings.loc[dates[5], "0001"] == 3300.0
    assert res.holdings.loc[dates[5], "0002"] == 3300.0
    # bonus: 3300 * 1.125 = 3712.5 -> 3712 shares and 0.5 share paid at the ex-date close 8.8889
    ev = res.events.set_index("kind")
    assert ev.loc["bonus", "shares_before"] == 3300.0 and ev.loc["bonus", "shares_after"] == 3712.0
    assert ev.loc["cash_in_lieu", "cash_hkd"] == pytest.approx(0.5 * 8.8889)
    assert res.cash.loc[dates[6], "cash_in_lieu_hkd"] == pytest.approx(0.5 * 8.8889)
    assert res.holdings.loc[dates[-1], "0001"] == 3712.0


def test_inception_before_base_date_rejected():
    market, idx = random_fund_case(1)
    early = EtfConfig(inception_date=market.dates[0] - pd.Timedelta(days=7))
    with pytest.raises(FundConfigError, match="before the index base date.*field=inception_date"):
        backtest(idx, market, early)


def test_unknown_withholding_class_rejected():
    market, idx = random_fund_case(1)
    cfg = cfg_for(market, withholding={"H": 0.1})
    with pytest.raises(FundConfigError, match=r"no withholding-tax rate.*code=0002.*'red_chip'"):
        backtest(idx, market, cfg, flows=pd.Series(dtype=float))
    # with withholding switched off the classes are not needed
    backtest(idx, market, cfg.with_effects(()), flows=pd.Series(dtype=float))


def test_config_type_checked():
    market, idx = random_fund_case(1)
    with pytest.raises(FundConfigError, match="EtfConfig"):
        backtest(idx, market, {"cash_buffer": 0.01})
    with pytest.raises(
        FundConfigError, match="index_result must be an IndexResult.*value='DataFrame'"
    ):
        backtest(idx.levels, market)
    with pytest.raises(FundConfigError, match="market must be a MarketData"):
        backtest(idx, market.to_frames())


# ---------------------------------------------------------------------------- result object
def test_result_frames_and_methods(full_case):
    market, idx, res = full_case
    assert {
        "nav_cny",
        "nav_per_unit_cny",
        "units",
        "value_hkd",
        "cash_hkd",
        "cash_cny",
        "fx",
    } <= set(res.nav)
    np.testing.assert_allclose(res.nav["nav_cny"], res.nav["nav_hkd"] * res.nav["fx"])
    np.testing.assert_allclose(
        res.nav["nav_hkd"],
        res.nav["value_hkd"]
        + res.nav["cash_hkd"]
        + res.nav["receivable_hkd"]
        - res.nav["accrued_fees_hkd"]
        - res.nav["payable_hkd"],
    )
    # holdings value equals the value column
    px = res.prices.reindex(columns=res.holdings.columns)
    np.testing.assert_allclose((res.holdings * px).fillna(0).sum(axis=1), res.nav["value_hkd"])
    assert {"date", "code", "side", "shares", "price_hkd", "value_hkd", "reason"} <= set(res.trades)
    assert set(res.trades["reason"]) <= {
        "inception",
        "review",
        "creation",
        "redemption",
        "rights",
        "fee",
        "deletion",
        "reinvest",
    }
    s = res.summary()
    assert s["final_units"] == res.nav["units"].iloc[-1]
    nav_pu = res.nav["nav_per_unit_cny"].to_numpy()
    assert s["total_return"] == pytest.approx(nav_pu[-1] / nav_pu[0] - 1)
    # annualised by session count: compounding the daily returns p / n times a year
    daily = nav_pu[1:] / nav_pu[:-1]
    assert s["annualised_return"] == pytest.approx(
        np.prod(daily) ** (PERIODS_PER_YEAR / len(daily)) - 1, rel=1e-10
    )
    assert s["cost_total_cny"] == pytest.approx(res.costs.to_numpy().sum())
    assert 0 <= s["leftover_cash_weight"] < 0.2
    frame = res.to_frame()
    assert {"index_gross", "index_price", "costs_cny", "benchmark_cny"} <= set(frame)
    fx = res.nav["fx"]
    # the configured benchmark (the price index by default) at the fund's fixing, rebased alike
    assert res.config.benchmark == "price"
    np.testing.assert_allclose(frame["benchmark_cny"], frame["index_price"] * fx / fx.iloc[0])
    # the benchmark of the summary is config.benchmark (default: the price index) in CNY
    b = idx.levels[res.config.benchmark].reindex(res.nav.index)
    assert s["benchmark_return"] == pytest.approx(
        b.iloc[-1] / b.iloc[0] * fx.iloc[-1] / fx.iloc[0] - 1
    )
    assert s["tracking_difference"] == pytest.approx(s["total_return"] - s["benchmark_return"])
    assert frame["index_gross"].iloc[0] == pytest.approx(frame["nav_per_unit_cny"].iloc[0])
    w = res.weights()
    assert w["fund"].sum() == pytest.approx(1.0)
    assert w["index"].sum() == pytest.approx(1.0)
    assert w["difference"].abs().max() < 0.05
    with pytest.raises(DataError, match="not a valuation day"):
        res.weights("1999-01-04")
    ax = res.plot()
    assert "SYNTHETIC" in ax.get_title()
    plt.close(ax.figure)
    assert "SYNTHETIC" in repr(res)


def test_waterfall_chain_runs_every_effect():
    market, idx = random_fund_case(2)
    navs = []
    for k in range(len(EFFECTS) + 1):
        cfg = cfg_for(market).with_effects(EFFECTS[:k])
        res = backtest(idx, market, cfg, flows=some_flows(market))
        assert res.config.effects == EFFECTS[:k]
        navs.append(res.nav["nav_per_unit_cny"].iloc[-1])
    assert len(set(navs)) == len(navs)  # every effect changes the result


def test_progress_bar_runs(capsys):
    market, idx = random_fund_case(1)
    res = backtest(idx, market, cfg_for(market), flows=pd.Series(dtype=float), progress=True)
    assert len(res.nav) == len(market.dates) - 3


# --------------------------------------------------------------------------- valuation fixing
def test_own_valuation_fixing_drives_nav_cny():
    market, index = random_fund_case(11)
    config = EtfConfig.default().replace(inception_date=market.dates[0]).with_effects(("fx",))
    fixing = pd.Series(np.linspace(0.90, 0.95, len(market.dates)), index=market.dates)
    res = backtest(index, market, config, flows=pd.Series(dtype=float), fx=fixing)
    nav = res.nav
    assert np.allclose(nav["fx"].to_numpy(), fixing.reindex(nav.index).to_numpy())
    # with only fx on, NAV in CNY is the gross index times the fixing ratio (independent check)
    gross = index.levels["gross"].reindex(nav.index)
    expected = (gross / gross.iloc[0]) * (fixing.reindex(nav.index) / fixing.iloc[0])
    np.testing.assert_allclose(
        nav["nav_per_unit_cny"] / nav["nav_per_unit_cny"].iloc[0], expected, rtol=1e-10
    )


def test_valuation_fixing_with_a_gap_names_the_session():
    market, index = random_fund_case(11)
    fixing = pd.Series(0.91, index=market.dates).drop(market.dates[3])
    config = EtfConfig.default().replace(inception_date=market.dates[0])
    with pytest.raises(
        DataError, match=rf"fixing is missing.*source=fx, date={market.dates[3].date()}"
    ):
        backtest(index, market, config, flows=pd.Series(dtype=float), fx=fixing)


def test_the_trade_buffer_fits_the_default_fund_in_one_kernel_run(monkeypatch):
    """``run_kernel`` sizes its trade buffer for the reviews and the creation/redemption days, so the
    default fund (about 8,600 trades, most from its daily flows) simulates once, not twice."""
    import importlib

    import engine

    module = importlib.import_module("engine.fund.backtest")
    market = engine.data.default_market()
    index = engine.build_index(market, "hsidi")
    calls = []
    simulate = module._nb.simulate
    monkeypatch.setattr(module._nb, "simulate", lambda *a: calls.append(1) or simulate(*a))
    fund = backtest(index, market)
    assert len(calls) == 1 and len(fund.trades) > 8000
