"""Numba kernels of the fund's trading: one trade, a set of trades, raising cash, investing cash, a
review's rebalance.

Every routine takes the fund record ``f`` (:data:`engine.fund._nb.Fund`: holdings ``f.h``, lots,
cost rates, the state, the cost and day books, the trade buffer) and the session row ``t``, except
:func:`fill`, which runs once per trade and takes the arrays :func:`execute` binds once (handing
it the record would count a reference per array per trade); see :mod:`engine.fund._nb` for the
records and the order of events.  Costs per side are
``value * rates[k]`` for each trading-cost kind ``k``; a trade carries a participant share
:math:`s \\in [0, 1]` of them (booked in ``f.pcosts``, outside the NAV), the fund bears the rest.
"""

from __future__ import annotations

import numpy as np

from engine._jit import njit
from engine.enums import COST_TRADING0, TRADE_REVIEW


@njit(no_cpython_wrapper=True)
def _valid(p):
    return np.isfinite(p) and p > 0.0


@njit(no_cpython_wrapper=True)
def _value(h, price):
    v = 0.0
    for i in range(h.shape[0]):
        if h[i] != 0.0 and _valid(price[i]):
            v += h[i] * price[i]
    return v


@njit
def nav_hkd(st, h, price):
    """:math:`\\sum_i h_i P_i + cash + recv - accrued - payable` (``st`` the state record)."""
    return _value(h, price) + st.cash_hkd + st.receivable_hkd - st.accrued_hkd - st.payable_hkd


@njit(inline="always")
def _cost_rate(rates, share):
    """The per-side cost rate the fund bears: :math:`(1 - share) \\sum_k c_k`."""
    crate = 0.0
    for k in range(rates.shape[0]):
        crate += rates[k]
    return crate * (1.0 - share)


@njit(inline="always")
def book_trading_costs(rates, costs, pcosts, value, share):
    """Book :math:`value \\cdot c_k` per trading-cost kind into one session's cost rows, the share
    ``share`` in ``pcosts`` (the participant's) and the rest in ``costs`` (the fund's); return
    :math:`\\sum_k value \\cdot c_k`."""
    c = 0.0
    for k in range(rates.shape[0]):
        x = value * rates[k]
        costs[COST_TRADING0 + k] += x * (1.0 - share)
        if share > 0.0:
            pcosts[COST_TRADING0 + k] += x * share
        c += x
    return c


@njit(inline="always")
def fill(st, day, h, trades, rates, costs, pcosts, t, i, signed, price, reason, share):
    """Buy (``signed`` > 0) or sell ``|signed|`` shares of security ``i`` at ``price[i]``: the fund's
    cash moves by :math:`\\mp v - (1 - s) c`, the trade is logged.  Returns the participant's costs
    :math:`s c`.  ``st`` and ``day`` are the state and the session's day record, ``costs`` and
    ``pcosts`` the session's rows of the cost books."""
    side = 1 if signed > 0.0 else -1
    shares = abs(signed)
    v = shares * price[i]
    c = book_trading_costs(rates, costs, pcosts, v, share)
    fc = c * (1.0 - share)
    if side > 0:
        st.cash_hkd -= v + fc
        h[i] += shares
        day.buys_hkd += v
    else:
        st.cash_hkd += v - fc
        h[i] -= shares
        day.sells_hkd += v
    day.trading_costs_hkd += fc
    day.participant_costs_hkd += c - fc
    k = st.n_trades  # the trade record: written when the buffer has room, always counted
    if k < trades.shape[0]:
        rec = trades[k]
        rec.row = t
        rec.col = i
        rec.side = side
        rec.shares = shares
        rec.price_hkd = price[i]
        rec.value_hkd = v
        rec.cost_hkd = c
        rec.participant_cost_hkd = c - fc
        rec.cash_after_hkd = st.cash_hkd
        rec.reason = reason
    st.n_trades = k + 1
    return c - fc


@njit
def execute(f, t, delta, price, reason, share):
    """Trade ``delta`` shares (``+`` buy, ``-`` sell) at ``price``: sells first, then buys.

    Sells are taken as given (the caller rounds them; never more than held).  Buys are scaled by one
    factor :math:`s = \\min(1, cash / (B (1 + c)))`, :math:`B = \\sum` buy values, :math:`c` the
    per-side cost rate the fund bears (:math:`(1 - share) \\sum_k c_k`), then rounded down to whole
    lots (``lot[i] == 0``: fractional) so that cash never goes below zero.  Trades are executed in
    ascending order of their signed value (``argsort``), so the largest sells come first.
    Returns the trading costs borne by the participant (:math:`share \\cdot` the costs).
    """
    h, lot, st, day, trades = f.h, f.lot, f.state[0], f.days[t], f.trades
    rates, costs, pcosts = f.rates, f.costs[t], f.pcosts[t]
    n = h.shape[0]
    crate = _cost_rate(rates, share)
    paid = 0.0
    val = np.zeros(n)
    for i in range(n):
        if delta[i] != 0.0 and _valid(price[i]):
            val[i] = delta[i] * price[i]
    order = np.argsort(val, kind="mergesort")
    for k in range(n):
        i = order[k]
        if val[i] >= 0.0:
            continue
        sh = -delta[i]
        if sh > h[i]:
            sh = h[i]
        if sh <= 0.0:
            continue
        paid += fill(st, day, h, trades, rates, costs, pcosts, t, i, -sh, price, reason, share)
    total = 0.0
    for i in range(n):
        if val[i] > 0.0:
            total += val[i]
    if total <= 0.0:
        return paid
    cash = st.cash_hkd
    avail = cash if cash > 0.0 else 0.0
    s = 1.0
    if total * (1.0 + crate) > avail:
        s = avail / (total * (1.0 + crate))
    for k in range(n):
        i = order[k]
        if val[i] <= 0.0:
            continue
        sh = delta[i] * s
        if lot[i] > 0.0:
            sh = np.floor(sh / lot[i] + 1e-9) * lot[i]
        if sh <= 0.0:
            continue
        if sh * price[i] * (1.0 + crate) > st.cash_hkd:
            if lot[i] > 0.0:
                sh = np.floor(st.cash_hkd / (lot[i] * price[i] * (1.0 + crate))) * lot[i]
            else:
                sh = st.cash_hkd / (price[i] * (1.0 + crate))
            if sh <= 0.0:
                continue
        paid += fill(st, day, h, trades, rates, costs, pcosts, t, i, sh, price, reason, share)
    return paid


@njit
def raise_cash(f, t, need, price, reason, share):
    """Sell the same fraction :math:`f = need / (V (1 - c))` of every holding (:math:`V = \\sum h_i
    P_i`, :math:`c` the cost rate the fund bears), rounded UP to whole lots (capped at the holding),
    so the proceeds after the fund's costs cover ``need``.  Returns the participant's costs."""
    if need <= 0.0:
        return 0.0
    h, lot = f.h, f.lot
    n = h.shape[0]
    crate = _cost_rate(f.rates, share)
    value = 0.0
    for i in range(n):
        if h[i] > 0.0 and _valid(price[i]):
            value += h[i] * price[i]
    if value <= 0.0:
        return 0.0
    frac = need / (value * (1.0 - crate))
    if frac > 1.0:
        frac = 1.0
    delta = np.zeros(n)
    for i in range(n):
        if h[i] > 0.0 and _valid(price[i]):
            sh = h[i] * frac
            if lot[i] > 0.0:
                sh = np.ceil(sh / lot[i] - 1e-9) * lot[i]
            if sh > h[i]:
                sh = h[i]
            delta[i] = -sh
    return execute(f, t, delta, price, reason, share)


@njit
def invest(f, t, amount, reason, share):
    """Buy ``amount`` HKD of the index basket at the close of row ``t``, filling the most underweight
    names first.

    With basket value :math:`V = \\sum_{q_i > 0} h_i P_i` and index weights
    :math:`w_i = q_i P_i / \\sum_j q_j P_j` (:math:`q` = ``f.target_q[t]``), the gap of each name is
    :math:`g_i = \\max(0, (V + amount) w_i - h_i P_i)` and the buy is
    :math:`\\Delta h_i = g_i \\, (amount / \\sum_j g_j) / P_i`.  When the holdings are proportional to
    the index shares this is exactly :math:`amount \\, w_i / P_i` (pro rata).  Returns the
    participant's costs.
    """
    if amount <= 0.0:
        return 0.0
    h, q, price = f.h, f.target_q[t], f.close[t]
    n = h.shape[0]
    cap = 0.0
    basket = 0.0
    for i in range(n):
        if q[i] > 0.0 and _valid(price[i]):
            cap += q[i] * price[i]
            basket += h[i] * price[i]
    if cap <= 0.0:
        return 0.0
    gap = np.zeros(n)
    total_gap = 0.0
    for i in range(n):
        if q[i] > 0.0 and _valid(price[i]):
            g = (basket + amount) * q[i] * price[i] / cap - h[i] * price[i]
            if g > 0.0:
                gap[i] = g
                total_gap += g
    if total_gap <= 0.0:
        return 0.0
    scale = amount / total_gap
    if scale > 1.0:
        scale = 1.0
    delta = np.zeros(n)
    for i in range(n):
        if gap[i] > 0.0:
            delta[i] = gap[i] * scale / price[i]
    return execute(f, t, delta, price, reason, share)


@njit
def rebalance(f, t, q_new):
    """Rebalance at the close of row ``t`` to :math:`h^*_i = (1 - buffer) NAV q'_i / \\sum_j q'_j P_j`
    (``buffer`` = ``params.cash_buffer``, see :func:`execute`): a full exit sells every share,
    other sells are rounded to the nearest lot."""
    h, lot, price = f.h, f.lot, f.close[t]
    n = h.shape[0]
    cap = 0.0
    for i in range(n):
        if q_new[i] > 0.0 and _valid(price[i]):
            cap += q_new[i] * price[i]
    target_value = nav_hkd(f.state[0], h, price) * (1.0 - f.params[0].cash_buffer)
    delta = np.zeros(n)
    for i in range(n):
        if not _valid(price[i]):
            continue
        target = 0.0
        if q_new[i] > 0.0 and cap > 0.0:
            target = target_value * q_new[i] / cap
        d = target - h[i]
        if target <= 0.0:
            d = -h[i]  # full exit, odd lots included
        elif d < 0.0 and lot[i] > 0.0:
            sh = np.floor(-d / lot[i] + 0.5) * lot[i]
            if sh > h[i]:
                sh = h[i]
            d = -sh
        delta[i] = d
    execute(f, t, delta, price, TRADE_REVIEW, 0.0)


@njit(inline="always")
def rebalance_reviews(f, t):
    """Step 6: rebalance for every review whose repricing close is row ``t``."""
    st = f.state[0]
    r = st.next_review
    n_rev = f.rev_rows.shape[0]
    while r < n_rev and f.rev_rows[r] < t:
        r += 1
    while r < n_rev and f.rev_rows[r] == t:
        rebalance(f, t, f.rev_q[r])
        r += 1
    st.next_review = r
