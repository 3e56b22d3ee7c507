"""Why a fund's weights differ from its index's: the active weight per code, split by cause.

The simulator does not tag a holding with the reason it is off its index weight: a share bought at a
review may later be short of its weight because of a board lot, a creation invested a session late, the
cash buffer or the costs that scaled a purchase down.  Each cause is therefore measured by a chain of
counterfactual runs (:func:`engine.fund.backtest` on the same index, market, flows and fixing), each
switching one more effect of :data:`CAUSES` off, in that order.  With :math:`w^{(0)}` the actual
fund's start-of-day weights and :math:`w^{(k)}` those of the run with the first :math:`k` causes off,

.. math:: w^f_i - w^b_i = \\sum_{k=1}^{4} \\big(w^{(k-1)}_i - w^{(k)}_i\\big) + \\big(w^{(4)}_i - w^b_i\\big),

the last term (``other``) holding what fees, withholding and FX leave (they move the NAV, not the
basket, so it is near 0: the run with every effect off holds the index weights exactly).  Effects
interact, so the split depends on the order, which is fixed and stated.  *Review trading* is not a
separate cause: the fund trades at the index's own repricing close (the close before the effective
date), so a review leaves it off the new weights only through lots, costs and the buffer, which are
separated; the trades themselves are in ``FundResult.trades`` (reason ``review``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.analytics import contributions_nb as _nb
from engine.analytics.contributions import _panels, index_side
from engine.analytics.tracking import fund_benchmark
from engine.errors import DataError
from engine.fund.backtest import backtest as run_fund

CAUSES = (
    ("lot_rounding", "board_lots"),
    ("flow_timing", "flow_lag"),
    ("cash_drag", "cash_buffer"),
    ("trading_costs", "trading_costs"),
)
"""(``EtfConfig`` effect switched off, column) in chain order."""


def deviation_causes(fund, index, market, *, backtest=None) -> pd.DataFrame:
    """Start-of-day active weight :math:`w^f_i - w^b_i` per session and code, split by cause.

    Parameters
    ----------
    fund : FundResult
    index : IndexResult
        The index the fund ran against.
    market : MarketData
        The market both ran on (the counterfactual runs need it).
    backtest : callable, optional
        ``backtest(index, market, config, flows=..., fx=...)``; default :func:`engine.fund.backtest`.

    Returns
    -------
    DataFrame
        Indexed by ``(date, code)`` (the session whose return the weight earns; rows where any
        column is non-zero), columns ``active_weight`` and its parts ``board_lots``, ``flow_lag``,
        ``cash_buffer``, ``trading_costs``, ``other`` (fractions of the NAV; they add up to
        ``active_weight``).  A cause whose effect is already off in ``fund.config`` is 0.
    """
    if market is None:
        what = "the causes need the market the fund ran on (counterfactual runs)"
        fix = "pass engine.data.default_market() or the MarketData the fund used"
        raise DataError(what, field="market", fix=fix)
    backtest = run_fund if backtest is None else backtest
    nav = fund.nav
    dates = pd.DatetimeIndex(nav.index)
    codes, close, _, q = _panels(fund, index, dates)
    _, bench_w = index_side(close, q, dates, codes, market, index, fund_benchmark(fund))
    flows = pd.Series(nav["flow_units"].to_numpy(dtype=float), index=dates, name="units")
    config = fund.config
    on = list(config.effects)
    prev = fund_weights(fund, codes)
    columns = {"active_weight": prev - bench_w}
    for effect, column in CAUSES:
        if effect not in on:
            columns[column] = np.zeros_like(prev)
            continue
        on.remove(effect)
        run = backtest(index, market, config.with_effects(tuple(on)), flows=flows, fx=nav["fx"])
        nxt = fund_weights(run, codes)
        columns[column] = prev - nxt
        prev = nxt
    columns["other"] = prev - bench_w
    keep = np.zeros(prev.shape, dtype=bool)
    for arr in columns.values():
        keep |= arr != 0
    t_idx, c_idx = np.nonzero(keep)
    index_ = pd.MultiIndex.from_arrays(
        [dates[1:][t_idx], pd.Index(codes)[c_idx]], names=["date", "code"]
    )
    return pd.DataFrame({k: v[keep] for k, v in columns.items()}, index=index_)


def fund_weights(fund, codes) -> np.ndarray:
    """:math:`h_{i,t} P_{i,t} / NAV_t` at each close but the last, ``[T - 1, len(codes)]``: the
    weight each holding carries into the next session."""
    extra = sorted(set(fund.holdings.columns) - set(codes))
    if extra:
        what = "a counterfactual run holds a code outside the actual fund's universe"
        fix = "run the counterfactuals on the same index and market"
        raise DataError(what, field="fund", code=extra[0], fix=fix)
    cols = pd.Index(fund.prices.columns).get_indexer(codes)
    close = np.ascontiguousarray(fund.prices.to_numpy(dtype=float)[:, cols])
    hold = np.ascontiguousarray(fund.holdings.reindex(columns=codes, fill_value=0.0), dtype=float)
    pnl = np.zeros((len(close) - 1, len(codes)))
    value = np.zeros_like(pnl)
    _nb.position_pnl(close, hold, np.zeros_like(close), pnl, value)
    return value / fund.nav["nav_hkd"].to_numpy(dtype=float)[:-1, None]


__all__ = ["CAUSES", "deviation_causes", "fund_weights"]
