"""The implementations raced: each takes a :class:`workload.Workload` and returns levels by date."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
from numba import njit
from workload import CAP, Workload, cap_weights, methodology, targets


# ------------------------------------------------------------------------------ bare Numba reference
@njit(cache=True)
def cap_nb(x, cap):
    w = x / x.sum()
    capped = np.zeros(len(w), dtype=np.bool_)
    while True:
        any_over = False
        for i in range(len(w)):
            if not capped[i] and w[i] > cap * (1 + 1e-15):
                capped[i] = True
                any_over = True
        if not any_over:
            return w
        rest, n_cap = 0.0, 0
        for i in range(len(w)):
            if capped[i]:
                n_cap += 1
            else:
                rest += x[i]
        for i in range(len(w)):
            w[i] = cap if capped[i] else x[i] / rest * (1.0 - cap * n_cap)


@njit(cache=True)
def levels_nb(close, ffmc, eligible, review_rows, top, cap):
    T = close.shape[0]
    level = np.full(T, np.nan)
    first = review_rows[0] + 1
    level[first] = 1.0
    idx = np.zeros(0, dtype=np.int64)
    q = np.zeros(0)
    for r in range(len(review_rows)):
        row = review_rows[r]
        cand = np.flatnonzero(eligible[r])
        key = -ffmc[row, cand]
        order = np.argsort(key, kind="mergesort")[:top]  # ties by code (stable)
        sel = np.sort(cand[order])
        w = cap_nb(ffmc[row, sel], cap)
        t = row + 1
        if r > 0:  # hold the old basket up to the rebalance close
            start = review_rows[r - 1] + 1
            base = 0.0
            for k in range(len(idx)):
                base += q[k] * close[start, idx[k]]
            for s in range(start + 1, t + 1):
                v = 0.0
                for k in range(len(idx)):
                    v += q[k] * close[s, idx[k]]
                level[s] = level[start] * v / base
        idx = sel
        q = w * level[t] / close[t, sel]
    start = review_rows[-1] + 1
    base = 0.0
    for k in range(len(idx)):
        base += q[k] * close[start, idx[k]]
    for s in range(start + 1, T):
        v = 0.0
        for k in range(len(idx)):
            v += q[k] * close[s, idx[k]]
        level[s] = level[start] * v / base
    return level


def reference(w: Workload) -> pd.Series:
    """A short divisor-free shares loop in Numba: select, cap, set shares at R+1, hold."""
    out = levels_nb(w.close, w.ffmc, w.eligible, w.review_rows, 31, CAP)
    return pd.Series(out, index=w.dates)


# ------------------------------------------------------------------------------ engine (public API)
def engine_market(w: Workload):
    from engine.data import MarketData

    return MarketData.from_frames(w.prices, w.securities, fx=w.fx, synthetic=True, source="bench")


def engine_build(w: Workload, market=None, m=None) -> pd.Series:
    import engine

    market = engine_market(w) if market is None else market
    res = engine.build_index(market, methodology(w) if m is None else m)
    return res.levels["price"]


# ------------------------------------------------------------------------------ pandas
def pandas_levels(w: Workload) -> pd.Series:
    px = pd.DataFrame(w.close, index=w.dates, columns=w.codes)
    ffmc = pd.DataFrame(w.ffmc, index=w.dates, columns=w.codes)
    elig = pd.DataFrame(w.eligible, index=w.dates[w.review_rows], columns=w.codes)
    level = pd.Series(np.nan, index=w.dates)
    rows = list(w.review_rows + 1) + [len(w.dates) - 1]
    level.iloc[rows[0]] = 1.0
    for r, R in enumerate(w.dates[w.review_rows]):
        f = ffmc.loc[R][elig.loc[R]]
        top = f.sort_index().sort_values(ascending=False, kind="mergesort").head(31).sort_index()
        wt = pd.Series(cap_weights(top.to_numpy()), index=top.index)
        start, stop = rows[r], rows[r + 1]
        seg = px.iloc[start : stop + 1][wt.index]
        q = wt * level.iloc[start] / seg.iloc[0]
        value = seg.mul(q, axis=1).sum(axis=1)
        level.iloc[start + 1 : stop + 1] = value.iloc[1:].to_numpy()
    return level


# ------------------------------------------------------------------------------ weights for peers
def _target_frame(w: Workload, capped: bool) -> pd.DataFrame:
    """Target weights on the rebalance rows R+1 (NaN elsewhere), codes as columns."""
    tw = np.full(w.close.shape, np.nan)
    for r, (idx, raw) in enumerate(targets(w)):
        row = w.review_rows[r] + 1
        tw[row] = 0.0
        tw[row, idx] = cap_weights(raw) if capped else raw
    return pd.DataFrame(tw, index=w.dates, columns=w.codes)


def _vectorbt_close(w: Workload) -> pd.DataFrame:
    """Closes for vectorbt: NaN before listing filled (no position is held there, so no value moves)."""
    return pd.DataFrame(w.close, index=w.dates, columns=w.codes).ffill().bfill()


def vectorbt_levels(w: Workload) -> pd.Series:
    """``Portfolio.from_orders``: target percents on the R+1 rows, one cash-sharing group, sells first."""
    import vectorbt as vbt

    px = _vectorbt_close(w)
    tw = _target_frame(w, capped=True)
    pf = vbt.Portfolio.from_orders(
        px,
        tw,
        size_type="targetpercent",
        group_by=True,
        cash_sharing=True,
        call_seq="auto",
        init_cash=1e9,
        freq="1D",
    )
    return pf.value()


@functools.cache
def _vectorbt_order_funcs():
    """The compiled callbacks of :func:`vectorbt_of_levels`, built on first use (vectorbt imported then)."""
    from vectorbt.portfolio import nb as vnb
    from vectorbt.portfolio.enums import Direction, NoOrder, SizeType

    target_percent, long_only = SizeType.TargetPercent, Direction.LongOnly

    @njit
    def pre_group(c):
        return (np.empty(c.group_len),)  # the order values of a segment, reused

    @njit
    def pre_segment(c, order_value, weights):
        """Value the group at this close, then order the calls by order value: sells first."""
        value = c.last_cash[c.group]
        for k in range(c.group_len):
            col = c.from_col + k
            c.last_val_price[col] = c.close[c.i, col]  # trade and value at this close
            value += c.last_position[col] * c.last_val_price[col]
        for k in range(c.group_len):
            col = c.from_col + k
            held = c.last_position[col] * c.last_val_price[col]
            order_value[k] = weights[c.i, col] * value - held
        c.call_seq_now[:] = np.argsort(order_value, kind="mergesort")
        return ()

    @njit
    def order(c, weights):
        """Target percent of the group's value at the close; nothing where nothing is held or wanted."""
        wt = weights[c.i, c.col]
        if wt == 0.0 and c.position_now == 0.0:
            return NoOrder
        return vnb.order_nb(
            size=wt, price=c.close[c.i, c.col], size_type=target_percent, direction=long_only
        )

    return pre_group, pre_segment, order


def vectorbt_of_levels(w: Workload) -> pd.Series:
    r"""``Portfolio.from_order_func``: the same orders as :func:`vectorbt_levels` from Numba callbacks.

    Segments (one cash-sharing group) are active on the rebalance rows R+1 only; the pre-segment
    callback sets the valuation prices to that close, values the group :math:`V = c + \sum_j q_j P_j`
    and sorts the call sequence by order value :math:`w_j V - q_j P_j` (sells first); the order
    callback asks for target percent :math:`w_j` at the close (long only).
    """
    import vectorbt as vbt

    pre_group, pre_segment, order = _vectorbt_order_funcs()
    px = _vectorbt_close(w)
    weights = np.nan_to_num(_target_frame(w, capped=True).to_numpy())
    mask = np.zeros((len(w.dates), 1), dtype=bool)
    mask[w.review_rows + 1] = True
    pf = vbt.Portfolio.from_order_func(
        px,
        order,
        weights,
        pre_group_func_nb=pre_group,
        pre_segment_func_nb=pre_segment,
        pre_segment_args=(weights,),
        segment_mask=mask,
        group_by=True,
        cash_sharing=True,
        init_cash=1e9,
        fill_pos_record=False,  # no position records are read
        max_logs=1,  # as from_orders does without logging
        freq="1D",
    )
    return pf.value()


def bt_levels(w: Workload) -> pd.Series:
    import bt

    px = pd.DataFrame(w.close, index=w.dates, columns=[f"s{c}" for c in w.codes]).ffill().bfill()
    raw = _target_frame(w, capped=False)
    raw.columns = px.columns
    dates = list(w.dates[w.review_rows + 1])
    weights = raw.loc[dates]
    strat = bt.Strategy(
        "standard",
        [
            bt.algos.RunOnDate(*dates),
            bt.algos.SelectWhere(weights.fillna(0) > 0),
            bt.algos.WeighTarget(weights),
            bt.algos.LimitWeights(CAP),
            bt.algos.Rebalance(),
        ],
    )
    res = bt.run(
        bt.Backtest(strat, px, integer_positions=False, initial_capital=1e9, progress_bar=False)
    )
    out = res.prices.iloc[:, 0]
    return out[out.index >= w.dates[0]]


IMPLS = {
    "reference": reference,
    "engine": engine_build,
    "pandas": pandas_levels,
    "bt": bt_levels,
    "vectorbt": vectorbt_levels,
    "vectorbt_of": vectorbt_of_levels,
}
