"""Contributions to the tracking difference on the default run: the identity (sum == TD), a pandas
oracle, Menchero, the index side (cap drag, CXO removal), the causes, bad input.  Hand-worked toys
and the kernel oracles are in test_contributions_kernels.py."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from support.fakes import real_pipeline

from engine._display import Summary
from engine.analytics import cap_drag, contributions, cxo_removal, fund_tracking
from engine.analytics.contributions import FLOW_ROW, UNSPLIT_ROW
from engine.analytics.contributions_causes import deviation_causes
from engine.errors import DataError
from engine.fund import backtest


# -------------------------------------------------------------------------------- default run
@pytest.fixture(scope="module")
def run():
    market, idx, _, fund = real_pipeline()
    return market, idx, fund, contributions(fund, idx, market)


def pandas_oracle(fund, index, market):
    """The per-code daily active contributions a user would write in pandas: positions' P&L from
    holdings, trades and dividend events, index contributions from index shares and closes (the
    default run has no capital change on a constituent inside the fund's span)."""
    px, nav = fund.prices, fund.nav
    h = fund.holdings.reindex(columns=px.columns, fill_value=0.0)
    value = (h * px).fillna(0.0)
    cash = pd.DataFrame(0.0, index=px.index, columns=px.columns)
    for row in fund.trades.itertuples():
        cash.loc[row.date, row.code] += row.value_hkd * (1 if row.side == "sell" else -1)
    rates = dict(fund.config.withholding)
    cls = market.securities.set_index("code")["wht_class"]
    for row in fund.events[fund.events["kind"] == "dividend"].itertuples():
        cash.loc[row.date, row.code] += row.cash_hkd / (1 - rates[cls[row.code]])  # gross
    pnl = value.diff().iloc[1:] + cash.iloc[1:]
    nav_prev = nav["nav_hkd"].shift(1).iloc[1:]
    f = pnl.div(nav_prev, axis=0)
    wf = value.shift(1).iloc[1:].div(nav_prev, axis=0)
    q = index.index_shares.reindex(index=px.index, columns=px.columns).fillna(0.0)
    open_cap = (q * px.shift(1)).iloc[1:]
    wb = open_cap.div(open_cap.sum(axis=1), axis=0)
    b = (q * (px - px.shift(1))).iloc[1:].fillna(0.0).div(open_cap.sum(axis=1), axis=0)
    lv = index.levels["price"].reindex(px.index)
    rb = lv.pct_change().iloc[1:]
    return f - b - (wf - wb).mul(rb, axis=0)


def test_identity_on_the_default_run(run):
    market, idx, fund, ct = run
    daily = ct.to_frame()
    assert (daily.sum(axis=1) - ct.returns["active"]).abs().max() < 1e-14
    td = fund.summary()["tracking_difference"]
    assert ct.total == td
    assert fund_tracking(fund, idx).metrics["tracking_difference"] == pytest.approx(td, abs=1e-15)
    assert abs(ct.residual) < 1e-12
    assert math.fsum(ct.by_code) == pytest.approx(td, abs=1e-12)
    assert daily[UNSPLIT_ROW].abs().max() < 1e-14  # the market splits the index return by code
    no_flow = fund.nav["flow_units"].iloc[1:].to_numpy() == 0
    assert (daily[FLOW_ROW].to_numpy()[no_flow] == 0).all()
    men = contributions(fund, idx, market, linking="menchero")
    assert abs(men.residual) < 1e-12
    assert np.allclose(men.to_frame(), daily, atol=0, rtol=0)  # linking changes only the totals


def test_codes_match_a_pandas_oracle(run):
    market, idx, fund, ct = run
    expected = pandas_oracle(fund, idx, market)
    got = ct.to_frame()[[c for c, k in zip(ct.labels, ct.kinds, strict=True) if k == "code"]]
    diff = (got - expected.reindex(columns=got.columns)).abs().max().max()
    assert diff < 1e-13


def test_cost_rows_are_the_costs_over_the_prior_nav(run):
    _, _, fund, ct = run
    nav = fund.nav  # costs are CNY at the day's fixing; the NAV before them HKD
    fees = (fund.costs["management_fee"] / nav["fx"]).iloc[1:] / nav["nav_hkd"].shift(1).iloc[1:]
    assert np.allclose(ct.to_frame()["cost: management fee"], -fees, atol=1e-15)


def test_summary_plot_and_reprs(run):
    market, _, _, ct = run
    s = ct.summary()
    assert isinstance(s, Summary)
    frame = s.to_frame()
    assert set(frame["unit"]) == {"%"}
    assert (frame["against"] == "HSIDI price index (CNY)").all()
    top = frame.set_index("metric").loc["top_1"]
    best = ct.table().query("kind == 'code'").iloc[-1]
    assert top["value"] == best["contribution"]
    name = market.securities.set_index("code").loc[best.name, "name"]
    assert best.name in top["note"] and name in top["note"]
    assert "arithmetic, Carino-linked" in top["note"]
    ax = ct.plot()
    assert isinstance(ax, Axes) and len(ax.patches) == 20
    assert "Contributions(" in repr(ct) and "<code>" in ct._repr_html_()


def test_without_market_the_totals_still_add_up(run):
    _, idx, fund, ct = run
    bare = contributions(fund, idx)
    assert abs(bare.residual) < 1e-12
    assert bare.names == {}
    kinds = pd.Series(ct.kinds, index=ct.labels)
    codes, others = kinds.index[kinds == "code"], kinds.index[kinds != "code"].drop(UNSPLIT_ROW)
    assert np.allclose(bare.by_code[others], ct.by_code[others], atol=1e-15)
    # a day with dividends at two withholding rates splits its tax pro rata to the net amounts
    assert bare.by_code[codes].sum() == pytest.approx(ct.by_code[codes].sum(), abs=1e-13)


# ---------------------------------------------------------------------------------- bad input
def test_bad_linking(run):
    _, idx, fund, _ = run
    with pytest.raises(DataError, match="linking"):
        contributions(fund, idx, linking="frongello")


def test_fund_from_another_market(run):
    market, idx, fund, _ = run
    other = dataclasses.replace(fund, meta={**fund.meta, "data_fingerprint": "elsewhere"})
    with pytest.raises(DataError, match="field=fund"):
        contributions(other, idx, market)


def test_index_not_covering_the_fund(run):
    _, idx, fund, _ = run
    short = dataclasses.replace(idx, levels=idx.levels.iloc[:-5])
    with pytest.raises(DataError, match="field=index"):
        contributions(fund, short)


# --------------------------------------------------------------------------------- index side
@pytest.mark.parametrize("variant", ["price", "gross", "net"])
def test_cap_drag_adds_up_and_the_capped_side_is_the_index(run, variant):
    # over the index's whole span: splits, bonus and rights issues and (gross, net) dividends
    market, idx, _, _ = run
    cd = cap_drag(idx, market, variant=variant)
    level = idx.levels[variant]
    assert np.allclose(cd.returns["subject"], level.pct_change().iloc[1:], rtol=0, atol=1e-14)
    assert abs(cd.residual) < 1e-12
    capped = cd.weights["benchmark"] != cd.weights["subject"]
    assert capped.any()  # some names are capped in the default index
    kinds = set(idx.events["kind"])
    assert {"split", "bonus", "rights", "cash_dividend"} <= kinds


@pytest.mark.parametrize("variant", ["gross", "net"])
def test_total_return_benchmarks_split_by_code(run, variant):
    market, idx, fund, _ = run
    other = backtest(idx, market, fund.config.replace(benchmark=variant))
    ct = contributions(other, idx, market)
    assert ct.against.startswith(f"HSIDI {'gross' if variant == 'gross' else 'net'}")
    assert ct.to_frame()[UNSPLIT_ROW].abs().max() < 1e-14  # dividends adjusted code by code
    assert abs(ct.residual) < 1e-12
    bare = contributions(other, idx)  # without the market the reinvested dividends stay unsplit
    assert bare.to_frame()[UNSPLIT_ROW].abs().max() > 1e-6
    assert abs(bare.residual) < 1e-12


def test_cxo_removal(run):
    market, chained, _, _ = run
    from engine import build_index

    launch = build_index(market, "hsidi-2023-05")
    cx = cxo_removal(chained, launch, market)
    assert cx.dates[0] == pd.Timestamp("2025-08-08")
    for res, r in ((chained, cx.period_returns[0]), (launch, cx.period_returns[1])):
        lv = res.levels["price"].loc[cx.dates[0] : cx.dates[-1]]
        assert r == pytest.approx(lv.iloc[-1] / lv.iloc[0] - 1, abs=1e-12)
    assert abs(cx.residual) < 1e-12
    cxo = cx.meta["groups"]["CXO codes (is_cxo)"]
    flags = market.securities.set_index("code")["is_cxo"]
    assert cxo and all(flags[c] for c in cxo)
    w = cx.weights.xs(cxo[0], level="code")
    assert (w["subject"] == 0).all() and (w["benchmark"] > 0).any()  # removed by the revision
    assert "group: CXO codes (is_cxo)" in cx.summary()
    with pytest.raises(DataError, match="field=date"):
        cxo_removal(chained, launch, market, date="1990-01-01")


def test_deviation_causes_add_up(run):
    market, idx, fund, ct = run
    d = deviation_causes(fund, idx, market)
    parts = d.drop(columns="active_weight").sum(axis=1)
    assert (parts - d["active_weight"]).abs().max() < 1e-15
    active = ct.weights["active"].reindex(d.index).fillna(0.0)
    assert np.allclose(d["active_weight"], active, atol=1e-15)
    assert d["other"].abs().max() < 1e-4  # fees, withholding and FX barely move the basket
    assert d["flow_lag"].abs().max() > 0 and d["board_lots"].abs().max() > 0
    with pytest.raises(DataError, match="field=market"):
        deviation_causes(fund, idx, None)


def test_not_a_fund_and_a_period_outside_the_index(run):
    market, idx, _, _ = run
    with pytest.raises(DataError, match="field=fund"):
        contributions(pd.DataFrame(), idx)
    with pytest.raises(DataError, match="field=start"):
        cap_drag(idx, market, start="2030-01-01")


def test_a_nav_frame_without_the_units(run):
    _, idx, fund, _ = run
    bare = dataclasses.replace(fund, nav=fund.nav.drop(columns="units"))
    with pytest.raises(DataError, match="units"):
        contributions(bare, idx)


def test_a_cause_already_off_is_zero(run):
    market, idx, fund, _ = run
    on = tuple(e for e in fund.config.effects if e != "lot_rounding")
    no_lots = backtest(idx, market, fund.config.with_effects(on))
    d = deviation_causes(no_lots, idx, market)
    assert (d["board_lots"] == 0).all() and d["flow_lag"].abs().max() > 0
    assert (d.drop(columns="active_weight").sum(axis=1) - d["active_weight"]).abs().max() < 1e-15
