"""Which holdings caused the tracking difference: per-code contributions, linked over the period.

Notation (session :math:`t` runs from the close of :math:`t-1` to the close of :math:`t`; HKD unless
said):  :math:`NAV_{t}` the fund's NAV at the close, :math:`U_t` its units, :math:`h_{i,t}` shares held,
:math:`P_{i,t}` the close, :math:`fx_t` CNY per HKD (the fund's valuation fixing).

**Fund side.**  Each position's P&L :math:`\\pi_{i,t} = h_{i,t}P_{i,t} - h_{i,t-1}P_{i,t-1} + x_{i,t}`
(:math:`x`: the day's sales - purchases at their trade prices + dividends before withholding + cash in
lieu - rights paid, from ``FundResult.trades`` and ``events``), its weight
:math:`w^f_{i} = h_{i,t-1}P_{i,t-1}/NAV_{t-1}` and contribution :math:`f_i = \\pi_{i,t}/NAV_{t-1}`.
The NAV per unit's HKD return is

.. math:: \\rho^f_t = \\sum_i f_i - \\sum_k C_{k,t}/NAV_{t-1} + \\delta_t,
          \\qquad \\delta_t = \\frac{X_t}{NAV_{t-1}}\\Big(\\frac{U_{t-1}}{U_t} - 1\\Big),

:math:`C_k` the day's costs of kind :math:`k` (``FundResult.costs``), :math:`X_t = NAV_t - p_t U_t` the
costs booked after the day's units were issued or cancelled at :math:`p_t` (creation: subscription
cash over units; redemption: the payable booked over units).  :math:`\\delta_t` is what those costs
weigh less (or more) per unit because the new units share them; 0 on a day without flows.

**Benchmark side.**  The index return (the fund's benchmark variant, HKD) splits exactly into
:math:`b_i = q_{i,t}(P_{i,t} - \\tilde P_{i,t-1})/C_t` with weights
:math:`w^b_i = q_{i,t}\\tilde P_{i,t-1}/C_t`, :math:`C_t = \\sum_j q_{j,t}\\tilde P_{j,t-1}`
(:math:`q_t` the index shares in force on :math:`t`, after its review and corporate actions,
:math:`\\tilde P` the prior close adjusted as the index adjusts it; see
:func:`engine.analytics.contributions_nb.index_contributions`).

**Rows.**  Measured relative to the benchmark's return :math:`\\rho^b_t`, so that the part of the NAV
not in shares carries its own drag:

==========================  =================================================================
code :math:`i`              :math:`f_i - b_i - (w^f_i - w^b_i)\\,\\rho^b_t`  (= :math:`(w^f_i - w^b_i)(r_i - \\rho^b_t)` when both earn :math:`r_i`)
cash, receivable, ...       :math:`-s\\,\\rho^b_t`, :math:`s` = cash (dividends receivable, minus fees accrued,
                            minus redemptions payable) over :math:`NAV_{t-1}`
cost: <kind>                :math:`-C_{k,t}/NAV_{t-1}` (management fee, custody fee, trading costs,
                            withholding tax, FX conversion)
flows: unit dilution        :math:`\\delta_t`
fx                          :math:`(\\rho^f_t - \\rho^b_t)\\, x_t`, :math:`x_t = fx_t/fx_{t-1} - 1`
benchmark: not by code      :math:`-(\\rho^b_t - \\sum_i b_i)` (0 to rounding when ``market`` is given)
==========================  =================================================================

They add up to the daily active return :math:`a_t = r^f_t - r^b_t` of the NAV per unit in CNY against
the benchmark in CNY (:math:`(1 + r) = (1 + \\rho)(1 + x)` for both), as
:func:`engine.analytics.fund_tracking` defines them.  Linked with Carino (default) or Menchero
coefficients :math:`\\beta_t` (:mod:`engine.analytics.contributions_nb`), the per-row totals
:math:`\\sum_t \\beta_t c_{t}` add up to the tracking difference :math:`TD = R^f - R^b` of
``FundResult.summary()`` (arithmetic TD; geometric linking factors); ``residual`` is what is left
(floating-point rounding).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.analytics import contributions_nb as _nb
from engine.analytics.contributions_result import Contributions
from engine.analytics.tracking import benchmark_label, fund_benchmark
from engine.enums import ACT_BONUS, ACT_RIGHTS, ACT_SPLIT, TRADING_COST_KINDS
from engine.errors import DataError
from engine.prepare import action_records, withholding_rates

LINKINGS = ("carino", "menchero")
"""Linking methods of :func:`contributions`."""

COST_ROWS = {
    "management_fee": "cost: management fee",
    "custody_fee": "cost: custody fee",
    **{k: "cost: trading costs" for k in TRADING_COST_KINDS},
    "withholding_tax": "cost: withholding tax",
    "fx": "cost: FX conversion",
}
"""Row of each ``FundResult.costs`` kind (the six trading-cost kinds share one row)."""

NON_SECURITY_ROWS = {
    "cash_hkd": ("cash", 1.0),
    "receivable_hkd": ("dividends receivable", 1.0),
    "accrued_fees_hkd": ("fees accrued", -1.0),
    "payable_hkd": ("redemptions payable", -1.0),
}
"""NAV frame column -> (row, sign of its weight): the part of the NAV not in shares."""

NAV_COLUMNS = ("nav_hkd", "nav_per_unit_cny", "units", "fx", "flow_units", *NON_SECURITY_ROWS)
"""Columns of ``FundResult.nav`` the contributions read."""

FLOW_ROW = "flows: unit dilution"
FX_ROW = "fx: fixing change x HKD active return"
UNSPLIT_ROW = "benchmark: not split by code"


# ------------------------------------------------------------------------------------- fund side
def contributions(fund, index, market=None, linking: str = "carino") -> Contributions:
    """Contributions of every holding, cash, cost, flow and FX row to a fund's tracking difference.

    Parameters
    ----------
    fund : FundResult
        A run of :func:`engine.fund.backtest`.
    index : IndexResult
        The index the fund was run against (the one it was built on: same market).
    market : MarketData, optional
        The market both were run on.  Gives the security names, the withholding class of each code
        and the corporate actions that adjust the index's prior closes; without it the index side
        puts corporate-action adjustments into the row ``benchmark: not split by code`` and the
        withholding tax of a day with several dividends is split pro rata to their net amounts.
    linking : {"carino", "menchero"}
        How daily contributions are linked over the period (see :mod:`contributions_nb`).

    Returns
    -------
    Contributions
        ``by_code`` adds up to ``FundResult.summary()["tracking_difference"]`` (up to
        ``residual``, rounding only).  The maths is in the module docstring.

    Raises
    ------
    DataError
        ``linking`` unknown; ``fund`` run on another market than ``index`` (or ``market``); ``index``
        not covering the fund's valuation dates; a fund without holdings, prices or NAV columns.
    """
    check_linking(linking)
    _check_inputs(fund, index, market)
    nav = fund.nav
    dates = pd.DatetimeIndex(nav.index)
    variant = fund_benchmark(fund)
    against = benchmark_label(getattr(index, "name", "index"), variant)
    codes, close, hold, q = _panels(fund, index, dates)
    bench_c, bench_w = index_side(close, q, dates, codes, market, index, variant)
    nav_hkd = nav["nav_hkd"].to_numpy(dtype=float)
    nav_prev = nav_hkd[:-1]
    flow_cash = _position_cash(fund, dates, codes, market)
    pnl = np.zeros((len(dates) - 1, len(codes)))
    value_prev = np.zeros_like(pnl)
    _nb.position_pnl(close, hold, flow_cash, pnl, value_prev)
    fund_c = pnl / nav_prev[:, None]
    fund_w = value_prev / nav_prev[:, None]
    level = index.levels[variant].reindex(dates).to_numpy(dtype=float)
    rho_b = level[1:] / level[:-1] - 1.0
    code_rows = np.empty_like(fund_c)
    _nb.active_rows(fund_c, fund_w, bench_c, bench_w, rho_b, code_rows)
    extra_labels, extra_kinds, extra = _other_rows(fund, nav, nav_prev, rho_b, bench_c)
    daily = np.concatenate([code_rows, extra], axis=1)
    r_f, r_b, big = _cny_returns(fund)
    beta = linking_coefficients(r_f, r_b, big, linking)
    return Contributions(
        daily=daily,
        dates=dates,
        labels=tuple(codes) + tuple(extra_labels),
        kinds=("code",) * len(codes) + tuple(extra_kinds),
        names=_names(market, codes),
        returns=pd.DataFrame(
            {"subject": r_f, "benchmark": r_b, "active": r_f - r_b},
            index=pd.DatetimeIndex(dates[1:], name="date"),
        ),
        beta=beta,
        start_weights=(fund_w, bench_w),
        period_returns=big,
        linking=linking,
        subject="fund NAV per unit (CNY)",
        against=against,
        synthetic=bool(getattr(fund, "synthetic", False) or getattr(index, "synthetic", False)),
        meta={"benchmark_variant": variant, "market_given": market is not None},
    )


def linking_coefficients(r_a, r_b, period_returns, linking: str = "carino") -> np.ndarray:
    """The coefficient :math:`\\beta_t` of each day (see :mod:`engine.analytics.contributions_nb`):
    :math:`\\sum_t \\beta_t (r^a_t - r^b_t) = R^a - R^b`."""
    check_linking(linking)
    ra = np.ascontiguousarray(r_a, dtype=float)
    rb = np.ascontiguousarray(r_b, dtype=float)
    big_a, big_b = (float(x) for x in period_returns)
    kernel = _nb.carino_coefficients if linking == "carino" else _nb.menchero_coefficients
    return kernel(ra, rb, big_a, big_b)


def check_linking(linking) -> None:
    """DataError naming ``linking`` unless it is one of :data:`LINKINGS`."""
    if linking not in LINKINGS:
        fix = f"use one of {LINKINGS}"
        raise DataError("unknown linking method", field="linking", value=linking, fix=fix)


def _check_inputs(fund, index, market) -> None:
    """Types, same market, and an index covering every fund valuation date."""
    for name, obj, attrs in (
        ("fund", fund, ("nav", "holdings", "prices", "trades", "events", "costs", "cash")),
        ("index", index, ("levels", "index_shares")),
    ):
        missing = [a for a in attrs if getattr(obj, a, None) is None]
        if missing:
            what = f"{name} lacks {', '.join(missing)}"
            fix = "pass a FundResult from engine.fund.backtest and the IndexResult it ran on"
            raise DataError(what, field=name, value=type(obj).__name__, fix=fix)
    absent = [c for c in NAV_COLUMNS if c not in fund.nav.columns]
    if absent:
        what = "the fund's NAV frame lacks columns the contributions read"
        fix = "pass a FundResult from engine.fund.backtest"
        value = ", ".join(absent)
        raise DataError(what, source="fund.nav", field="fund", value=value, fix=fix)
    fund_fp = (getattr(fund, "meta", None) or {}).get("data_fingerprint")
    index_fp = (getattr(index, "meta", None) or {}).get("data_fingerprint")
    here = market.fingerprint() if market is not None else None
    for name, other in (("index", index_fp), ("market", here)):
        if fund_fp and other and fund_fp != other:
            what = f"the fund was run on another market than the {name}"
            fix = "pass the fund backtested on this index and market"
            value = f"fund {fund_fp} != {name} {other}"
            raise DataError(what, field="fund", value=value, fix=fix)
    dates = pd.DatetimeIndex(fund.nav.index)
    if len(dates) < 2:
        raise DataError("the fund has fewer than two valuation dates", field="fund")
    gap = dates.difference(pd.DatetimeIndex(index.levels.index))
    if len(gap):
        what = f"the index does not cover {len(gap)} fund valuation date(s)"
        fix = "pass the index the fund was backtested on (it covers the fund's sessions)"
        raise DataError(what, field="index", date=gap[0], fix=fix)


def _panels(fund, index, dates):
    """Codes held or in the index over the fund's dates (market order), their closes, the holdings
    and the index shares in force on each date, ``[date, code]``."""
    prices = fund.prices
    all_codes = pd.Index(prices.columns)
    q_np, q_codes = _rows_of(index.index_shares, dates)
    in_index = np.zeros(len(all_codes), dtype=bool)
    pos = all_codes.get_indexer(q_codes[(q_np != 0).any(axis=0)])
    in_index[pos[pos >= 0]] = True
    keep = np.flatnonzero(in_index | all_codes.isin(fund.holdings.columns))
    codes = list(all_codes[keep])
    close = np.ascontiguousarray(np.asarray(prices.to_numpy(dtype=float))[:, keep])
    hold = np.zeros((len(dates), len(codes)))
    held = pd.Index(codes).get_indexer(fund.holdings.columns)
    hold[:, held[held >= 0]] = fund.holdings.to_numpy(dtype=float)[:, held >= 0]
    cols = q_codes.get_indexer(codes)
    q = q_np[:, np.maximum(cols, 0)]
    q[:, cols < 0] = 0.0
    return codes, close, hold, np.ascontiguousarray(q)


def _rows_of(frame: pd.DataFrame, dates) -> tuple[np.ndarray, pd.Index]:
    """The rows of a ``[date, code]`` frame on ``dates`` as an array (a view when they are one
    contiguous block) and its columns."""
    rows = pd.DatetimeIndex(frame.index).get_indexer(dates)
    values = frame.to_numpy(dtype=float)
    if len(rows) and (np.diff(rows) == 1).all():
        return values[rows[0] : rows[-1] + 1], pd.Index(frame.columns)
    return values[rows], pd.Index(frame.columns)


def _position_cash(fund, dates, codes, market) -> np.ndarray:
    """:math:`x_{t,i}`: sales - purchases + gross dividends + cash in lieu - rights paid (HKD)."""
    flow = np.zeros((len(dates), len(codes)))
    col_of = pd.Index(codes)
    tr = fund.trades
    if len(tr):
        r = dates.get_indexer(pd.DatetimeIndex(tr["date"]))
        c = col_of.get_indexer(tr["code"])
        sign = np.where(tr["side"].to_numpy() == "sell", 1.0, -1.0)
        np.add.at(flow, (r, c), sign * tr["value_hkd"].to_numpy(dtype=float))
    ev = fund.events
    if len(ev):
        kind = ev["kind"].to_numpy()
        cash_kinds = np.isin(kind, ("dividend", "cash_in_lieu", "rights"))
        sub = ev[cash_kinds]
        r = dates.get_indexer(pd.DatetimeIndex(sub["date"]))
        c = col_of.get_indexer(sub["code"])
        np.add.at(flow, (r, c), sub["cash_hkd"].to_numpy(dtype=float))
        _add_withholding(flow, fund, ev[kind == "dividend"], dates, col_of, market)
    return flow


def _add_withholding(flow, fund, divs, dates, col_of, market) -> None:
    """Gross up each dividend by its share of the day's withholding tax (``costs.withholding_tax``):
    in proportion to :math:`net \\, \\tau / (1 - \\tau)` with the fund's rates when ``market`` gives
    each code's class, else to the net amounts."""
    costs = fund.costs
    if "withholding_tax" not in costs.columns or not len(divs):
        return
    tax_hkd = (costs["withholding_tax"] / fund.nav["fx"]).reindex(dates).fillna(0.0).to_numpy()
    r = dates.get_indexer(pd.DatetimeIndex(divs["date"]))
    c = col_of.get_indexer(divs["code"])
    net = divs["cash_hkd"].to_numpy(dtype=float)
    share = net.copy()
    if market is not None:
        rates = dict(getattr(fund.config, "withholding", ()) or ())
        tau_all = withholding_rates(market, rates, np.zeros(len(market.codes), dtype=bool))
        tau = tau_all[pd.Index(market.codes).get_indexer(divs["code"])]
        share = np.where(tau < 1.0, net * tau / np.where(tau < 1.0, 1.0 - tau, 1.0), 0.0)
    day_total = np.zeros(len(dates))
    np.add.at(day_total, r, share)
    fallback = np.zeros(len(dates))
    np.add.at(fallback, r, 1.0)
    use = day_total[r] > 0
    part = np.where(use, share / np.where(use, day_total[r], 1.0), 1.0 / fallback[r])
    np.add.at(flow, (r, c), part * tax_hkd[r])


def _other_rows(fund, nav, nav_prev, rho_b, bench_c):
    """The rows that are not codes: cash and other non-security NAV, costs, unit dilution, FX and
    the benchmark's part not split by code."""
    labels, kinds, cols = [], [], []
    for col, (label, sign) in NON_SECURITY_ROWS.items():
        s = sign * nav[col].to_numpy(dtype=float)[:-1] / nav_prev
        labels.append(label)
        kinds.append("cash")
        cols.append(-s * rho_b)
    fx = nav["fx"].to_numpy(dtype=float)
    costs_hkd = fund.costs.reindex(nav.index).fillna(0.0).div(fx, axis=0)
    for row in dict.fromkeys(COST_ROWS.values()):
        kinds_in = [k for k, r in COST_ROWS.items() if r == row and k in costs_hkd.columns]
        c = costs_hkd[kinds_in].sum(axis=1).to_numpy()[1:] if kinds_in else np.zeros(len(nav_prev))
        labels.append(row)
        kinds.append("cost")
        cols.append(-c / nav_prev)
    labels.append(FLOW_ROW)
    kinds.append("flows")
    cols.append(unit_dilution(fund))
    nav_hkd = nav["nav_hkd"].to_numpy(dtype=float)
    units = nav["units"].to_numpy(dtype=float)
    per_unit = nav_hkd / units
    rho_f = per_unit[1:] / per_unit[:-1] - 1.0
    x = fx[1:] / fx[:-1] - 1.0
    labels.append(FX_ROW)
    kinds.append("fx")
    cols.append((rho_f - rho_b) * x)
    labels.append(UNSPLIT_ROW)
    kinds.append("benchmark")
    cols.append(-(rho_b - bench_c.sum(axis=1)))
    return labels, kinds, np.column_stack(cols)


def unit_dilution(fund) -> np.ndarray:
    """:math:`\\delta_t = X_t (U_{t-1}/U_t - 1) / NAV_{t-1}` for sessions ``1..T-1`` (see the module
    docstring): :math:`X_t = NAV_t - p_t U_t`, the issue price :math:`p_t` = subscription cash / units
    created, or the redemption booked (payable change + redemptions paid + the participants' costs
    withheld - the fund's FX conversion cost) / units cancelled."""
    nav = fund.nav
    u = nav["flow_units"].to_numpy(dtype=float)
    units = nav["units"].to_numpy(dtype=float)
    nav_hkd = nav["nav_hkd"].to_numpy(dtype=float)
    cash = fund.cash
    subs = cash["subscriptions_hkd"].to_numpy(dtype=float)
    paid = cash["redemptions_paid_hkd"].to_numpy(dtype=float)
    payable = nav["payable_hkd"].to_numpy(dtype=float)
    d_payable = np.diff(payable, prepend=0.0)
    tr = fund.trades
    withheld = np.zeros(len(nav))
    if len(tr):
        red = tr[tr["reason"] == "redemption"]
        r = nav.index.get_indexer(pd.DatetimeIndex(red["date"]))
        np.add.at(withheld, r, red["participant_cost_hkd"].to_numpy(dtype=float))
    fx_cost = np.zeros(len(nav))
    if "fx" in fund.costs.columns:
        fx_cost = (fund.costs["fx"] / nav["fx"]).reindex(nav.index).fillna(0.0).to_numpy()
    booked = np.where(u > 0, subs, d_payable + paid + withheld - fx_cost)
    price = np.divide(booked, np.abs(u), out=np.zeros_like(u), where=u != 0)
    x_post = nav_hkd - price * units
    prev_units = np.concatenate([[units[0]], units[:-1]])
    delta = np.where(u != 0, x_post * (prev_units / units - 1.0), 0.0)
    return delta[1:] / nav_hkd[:-1]


def _cny_returns(fund):
    """Daily and period returns of the NAV per unit and of the fund's benchmark, both CNY, exactly
    as ``FundResult.summary()`` computes the tracking difference."""
    nav_pu = fund.nav["nav_per_unit_cny"].to_numpy(dtype=float)
    bench = fund.benchmark_cny().to_numpy(dtype=float)
    r_f = nav_pu[1:] / nav_pu[:-1] - 1.0
    r_b = bench[1:] / bench[:-1] - 1.0
    big = (float(nav_pu[-1] / nav_pu[0] - 1.0), float(bench[-1] / bench[0] - 1.0))
    return r_f, r_b, big


def _names(market, codes) -> dict:
    if market is None or "name" not in market.securities.columns:
        return {}
    pos = pd.Index(market.codes).get_indexer(codes)
    names = np.asarray(market.master_column("name"), dtype=object)
    return {c: (str(names[p]) if p >= 0 else "") for c, p in zip(codes, pos, strict=True)}


# ------------------------------------------------------------------------------------ index side
def index_side(close, q, dates, codes, market, index, variant):
    """Per-code index contributions and start-of-day weights (``[n, K]`` each) of ``variant``, with
    the prior closes adjusted for the corporate actions of ``market`` (none without it)."""
    rows, cols, prices = _adjusted_prior_closes(close, dates, codes, market, index, variant)
    n, k = close.shape[0] - 1, close.shape[1]
    contrib = np.zeros((n, k))
    weight = np.zeros((n, k))
    _nb.index_contributions(close, q, rows, cols, prices, contrib, weight)
    return contrib, weight


def _adjusted_prior_closes(close, dates, codes, market, index, variant):
    """``(row, col, price)`` records: the prior close of ``codes[col]`` as the index adjusts it on
    session ``dates[row]``: split / bonus :math:`P / m`, rights :math:`(P + rS)/(1 + r)`, then a cash
    dividend :math:`d` lowers it by :math:`d` (gross), :math:`d(1 - \\tau)` (net) or not at all
    (price)."""
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    if market is None:
        return empty
    act = action_records(market)
    mpos = pd.DatetimeIndex(market.dates).get_indexer(dates)
    row_of = np.full(len(market.dates) + 1, -1, dtype=np.int64)
    row_of[mpos[mpos >= 0]] = np.flatnonzero(mpos >= 0)
    col_of = np.full(len(market.codes), -1, dtype=np.int64)
    col_of[pd.Index(market.codes).get_indexer(codes)] = np.arange(len(codes))
    r_all = row_of[np.clip(act["row"], 0, len(market.dates))]
    c_all = col_of[act["col"]]
    sel = np.flatnonzero((r_all >= 1) & (c_all >= 0))
    if not len(sel):
        return empty
    tau = np.zeros(len(market.codes))
    if variant == "net":
        rates = (index.meta or {}).get("withholding") or {}
        tau = withholding_rates(market, rates, np.zeros(len(market.codes), dtype=bool))
    adj: dict[tuple[int, int], float] = {}
    for a in sel:  # action_records order: capital changes before dividends within a session
        key = (int(r_all[a]), int(c_all[a]))
        p = adj.get(key, close[key[0] - 1, key[1]])
        rec = act[a]
        kind = int(rec["kind"])
        if kind == ACT_SPLIT:
            p = p / rec["ratio"]
        elif kind == ACT_BONUS:
            p = p / (1.0 + rec["ratio"])
        elif kind == ACT_RIGHTS:
            p = (p + rec["ratio"] * rec["price_hkd"]) / (1.0 + rec["ratio"])
        elif variant != "price":
            p = p - rec["amount_hkd"] * (1.0 - (tau[rec["col"]] if variant == "net" else 0.0))
        adj[key] = p
    keys = sorted(adj)
    return (
        np.array([k[0] for k in keys], dtype=np.int64),
        np.array([k[1] for k in keys], dtype=np.int64),
        np.array([adj[k] for k in keys], dtype=float),
    )


def cap_drag(
    index, market, *, start=None, end=None, variant: str = "price", linking: str = "carino"
) -> Contributions:
    """Each code's contribution to the capped index's return against the same index uncapped.

    The uncapped index holds :math:`q^u_{i,t} = q_{i,t} / CF_i` (the cap factor :math:`CF_i` of the
    review in force, ``review.table["cap_factor"]``): free-float market-cap weights.  Both are
    priced on the same adjusted closes (:func:`index_side`), so code :math:`i` contributes
    :math:`b^{cap}_i - b^{u}_i - (w^{cap}_i - w^{u}_i)\\, r^{u}_t` each day, linked like
    :func:`contributions`; ``by_code`` adds up to :math:`R^{cap} - R^{u}` (HKD, ``variant``), the cap
    drag (negative when capping held back the heaviest names while they outran the rest).

    Parameters
    ----------
    index : IndexResult
    market : MarketData
        The market the index was built on (closes, corporate actions, names).
    start, end : date-like, optional
        The period (default: the index's whole span); ``start`` is the first close.
    variant : {"price", "gross", "net"}
    linking : {"carino", "menchero"}
    """
    check_linking(linking)
    dates = _index_dates(index, start, end, "start")
    codes, close, q = _index_panels(index, market, dates)
    cf = _cap_factors(index, dates, codes)
    q_u = np.divide(q, cf, out=np.zeros_like(q), where=(q != 0) & (cf > 0))
    name = str(getattr(index, "name", "index")).upper()
    return _index_pair(
        close,
        q,
        q_u,
        dates,
        codes,
        market,
        index,
        variant,
        linking,
        subject=f"{name} {variant} index, capped (HKD)",
        against=f"{name} {variant} index, uncapped free-float weights (HKD)",
    )


def cxo_removal(
    chained, launch, market, *, date="2025-08-11", end=None, variant="price", linking="carino"
) -> Contributions:
    """Each code's contribution to the chained index (launch rules, then the revision that removes
    CXO firms from ``date``) against the launch-rules index over the period after the revision.

    The period starts at the close before ``date`` (where both hold the same basket) and ends at
    ``end`` (default: the last common session).  Code :math:`i` contributes
    :math:`b^{ch}_i - b^{L}_i - (w^{ch}_i - w^{L}_i)\\, r^{L}_t` each day, linked like
    :func:`contributions`; ``by_code`` adds up to :math:`R^{chained} - R^{launch}`.  The summary's
    ``group: CXO codes`` row is the total of the codes flagged ``is_cxo`` in the security master:
    what removing them cost or earned; the other codes hold the effect of their larger weights and
    of any other rule change of the revision.
    """
    check_linking(linking)
    first = pd.Timestamp(date)
    common = pd.DatetimeIndex(chained.levels.index).intersection(launch.levels.index)
    before = common[common < first]
    if not len(before):
        what = "no common session before the revision date"
        fix = "pass a revision date inside both indexes' span"
        raise DataError(what, field="date", value=str(first.date()), fix=fix)
    dates = _index_dates(chained, before[-1], end, "date", within=common)
    codes, close, q_ch = _index_panels(chained, market, dates, other=launch)
    _, _, q_l = _index_panels(launch, market, dates, codes=codes)
    cxo = market.securities.set_index("code")["is_cxo"].reindex(codes).fillna(False)
    group = [c for c in codes if bool(cxo[c])]
    return _index_pair(
        close,
        q_ch,
        q_l,
        dates,
        codes,
        market,
        chained,
        variant,
        linking,
        subject=f"{str(chained.name).upper()} {variant} index, chained (HKD)",
        against=f"{str(launch.name).upper()} {variant} index, launch rules (HKD)",
        groups={"CXO codes (is_cxo)": group},
    )


def _index_dates(index, start, end, field_name, within=None) -> pd.DatetimeIndex:
    """The index's sessions from ``start`` to ``end`` (at least two), else a DataError naming
    ``field_name``."""
    dates = pd.DatetimeIndex(index.levels.index if within is None else within)
    lo = dates[0] if start is None else pd.Timestamp(start)
    hi = dates[-1] if end is None else pd.Timestamp(end)
    out = dates[(dates >= lo) & (dates <= hi)]
    if len(out) < 2:
        what = "the period holds fewer than two index sessions"
        fix = f"use dates inside {dates[0].date()}..{dates[-1].date()}"
        value = f"{lo.date()}..{hi.date()}"
        raise DataError(what, field=field_name, value=value, fix=fix)
    return out


def _index_panels(index, market, dates, other=None, codes=None):
    """Codes ever in ``index`` (or ``other``) on ``dates`` in market order, closes and shares."""
    q_all = index.index_shares
    rows = pd.DatetimeIndex(q_all.index).get_indexer(dates)
    q_np = q_all.to_numpy(dtype=float)[rows]
    q_codes = pd.Index(q_all.columns)
    if codes is None:
        keep = set(q_codes[(q_np != 0).any(axis=0)])
        if other is not None:
            o = other.index_shares
            o_np = o.to_numpy(dtype=float)[pd.DatetimeIndex(o.index).get_indexer(dates)]
            keep |= set(pd.Index(o.columns)[(o_np != 0).any(axis=0)])
        codes = [c for c in market.codes if c in keep]
    mrows = pd.DatetimeIndex(market.dates).get_indexer(dates)
    mcols = pd.Index(market.codes).get_indexer(codes)
    close = np.ascontiguousarray(np.asarray(market.close_hkd)[np.ix_(mrows, mcols)], dtype=float)
    cols = q_codes.get_indexer(codes)
    q = q_np[:, np.maximum(cols, 0)]
    q[:, cols < 0] = 0.0
    return codes, close, np.ascontiguousarray(q)


def _cap_factors(index, dates, codes) -> np.ndarray:
    """Cap factor of the review in force on each date, ``[date, code]`` (1 where not selected)."""
    reviews = list(index.schedule.reviews)
    eff = pd.DatetimeIndex([pd.Timestamp(r.effective_date) for r in reviews])
    seg = np.maximum(eff.searchsorted(dates, side="right") - 1, 0)
    cf = np.ones((len(reviews), len(codes)))
    col = pd.Index(codes)
    for k, review in enumerate(reviews):
        tab = review.table
        sel = tab[tab["selected"]]
        j = col.get_indexer(sel["code"])
        ok = j >= 0
        cf[k, j[ok]] = sel["cap_factor"].to_numpy(dtype=float)[ok]
    return cf[seg]


def _index_pair(close, q_a, q_b, dates, codes, market, index, variant, linking, **labels):
    """:class:`Contributions` of the index with shares ``q_a`` against the one with ``q_b``."""
    c_a, w_a = index_side(close, q_a, dates, codes, market, index, variant)
    c_b, w_b = index_side(close, q_b, dates, codes, market, index, variant)
    r_a, r_b = c_a.sum(axis=1), c_b.sum(axis=1)
    rows = np.empty_like(c_a)
    _nb.active_rows(c_a, w_a, c_b, w_b, r_b, rows)
    big = (float(np.prod(1.0 + r_a) - 1.0), float(np.prod(1.0 + r_b) - 1.0))
    groups = labels.pop("groups", {})
    return Contributions(
        daily=rows,
        dates=dates,
        labels=tuple(codes),
        kinds=("code",) * len(codes),
        names=_names(market, codes),
        returns=pd.DataFrame(
            {"subject": r_a, "benchmark": r_b, "active": r_a - r_b},
            index=pd.DatetimeIndex(dates[1:], name="date"),
        ),
        beta=linking_coefficients(r_a, r_b, big, linking),
        start_weights=(w_a, w_b),
        period_returns=big,
        linking=linking,
        synthetic=bool(getattr(index, "synthetic", False)),
        meta={"benchmark_variant": variant, "groups": groups},
        **labels,
    )


__all__ = [
    "LINKINGS",
    "Contributions",
    "cap_drag",
    "check_linking",
    "contributions",
    "cxo_removal",
    "index_side",
    "linking_coefficients",
    "unit_dilution",
]
