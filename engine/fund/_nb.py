"""Numba kernel of the ETF simulation: named steps over a small state record, one pass per variant.

Only NumPy arrays, structured arrays and scalars cross this boundary; :mod:`engine.fund.backtest`
builds the inputs.  Codes (trade reasons, events, cost kinds, payers) come from :mod:`engine.codes`.

Records
-------
``STATE_DT`` (one record, the fund between steps, HKD): ``cash_hkd``, dividends ``receivable_hkd``,
accrued unpaid fees ``accrued_hkd``, redemptions ``payable_hkd``, ``units``, creation cash not yet
due ``not_due_hkd``, and the cursors ``next_action``, ``next_payment``, ``next_review``,
``n_trades``, ``n_events``.  Holdings :math:`h_i` are a separate float array.
``PARAMS_DT`` (one record per variant): the plain-number settings (fee rates, buffer, sweep level,
FX spread, lot rounding on/off, flow lag, who bears creation costs, ...).
``TRADE_DT``, ``EVENT_DT``, ``DAY_DT``, ``ACTION_DT``: trades, corporate-action events, one row per
session (state at the close and the day's cash movements), and corporate actions; all filled by
field name.  Trades and events go into buffers of fixed capacity: a step writes a record only when
there is room but always counts it, so a caller whose buffer was too small runs again with the
counted size (the run is deterministic).

The NAV at the close of session :math:`t` is

.. math:: NAV_t = \\sum_i h_i P_{i,t} + cash + recv - accrued - payable .

Order of events in session :math:`t` (row 0 is the inception day)
-----------------------------------------------------------------
0. :func:`launch` (row 0 only): the initial units are issued; their cash is invested at the close at
   the index weights :math:`w_i = q_i P_i / \\sum_j q_j P_j`, keeping ``cash_buffer`` of the NAV in cash.
1. :func:`apply_actions`: corporate actions with ex-date :math:`t`, on the holdings at the open
   (their adjusted prior close :math:`P^{adj}` is tracked as the index does it): split of ratio
   :math:`r` (:math:`h \\leftarrow rh`), bonus (:math:`h \\leftarrow (1+r)h`), rights (:math:`rh` new
   shares paid at :math:`S` from cash), cash dividend :math:`d` (entitlement :math:`hd`, withholding
   :math:`\\tau hd` recorded as a cost, the net amount a receivable until the pay date).  With whole
   shares, fractional shares from a split or bonus are paid as cash in lieu at the ex-date close and
   a rights entitlement is rounded down.
2. :func:`sell_deletions`: a holding whose close is NaN is sold at its last (adjusted) close.
3. :func:`settle_action_cash`: ``immediate`` (the cash-drag effect off): the net cash :math:`X` of
   steps 1-2 (dividends counted at once) is reinvested (or financed) at :math:`P^{adj}` by scaling
   every holding by :math:`(V + X)/V`, :math:`V = \\sum_i h_i P^{adj}_i`; this mirrors the index
   divisor exactly.  :math:`P^{adj}` follows the index's total-return convention: a dividend lowers
   the prior close by :math:`d (1 - \\tau)`, so with withholding off the fund tracks the gross index
   and with it on (same rates) the net index.  Otherwise a negative cash balance (a rights take-up
   larger than the cash) is covered by selling the same fraction of every holding, the rights stock
   included, at the ex-date close (lots rounded up, so the fund keeps its weights and ends the day
   with cash >= 0).
4. :func:`receive_dividends`: dividends whose pay date is :math:`t` move from ``recv`` to ``cash``.
5. :func:`accrue_fees`: :math:`accrued \\mathrel{+}= NAV_t \\cdot f_k \\cdot days_t / 365` per fee kind.
6. :func:`rebalance`: review whose repricing close is :math:`t`: target holdings
   :math:`h^*_i = (1 - buffer) NAV_t \\, q'_i / \\sum_j q'_j P_{j,t}`; sells first (rounded to whole
   lots, a full exit sells everything), then buys, rounded down to lots and scaled so cash stays >= 0
   after costs.
7. :func:`issue_units`: units created (+) or cancelled (-) at :math:`NAV_t / U`; creation cash
   enters ``cash`` now, redemptions become ``payable``; both are traded ``lag`` sessions later.
8. :func:`settle_flows`: redemptions due are paid (selling pro rata, lots rounded up, when cash is
   short); creations invest the cash above ``buffer * NAV`` (less fees accrued, payables and
   creation cash not yet due) towards the index weights (see :func:`invest`).  The same idle cash
   is also invested on any close where it exceeds ``sweep * NAV`` (dividends received, deletion
   proceeds, rounding leftovers).
9. :func:`pay_fees`: on fee-payment days the accrued fees are paid from cash (selling pro rata if
   short).

Costs and who bears them
------------------------
Trading costs per side are ``value * rates[k]`` for each kind ``k``.  A trade carries a participant
share :math:`s \\in [0, 1]`: the fund's cash moves by :math:`\\pm v - (1 - s) c` and the participant
bears :math:`s c` (booked in the participant cost array, not in the NAV).  Under
``creation_payer == PAYER_PARTICIPANT`` the inception purchase (the seed participant), the investment
of creation cash (:math:`s = \\min(1, D / A)`, :math:`D` the creation cash due, :math:`A` the amount
invested that close) and the sales that raise redemption cash (:math:`s = 1`, deducted from the
payout) carry participant shares, and so do the CNY<->HKD conversion costs of the flows; every other
trade has :math:`s = 0`.
"""

from __future__ import annotations

import numpy as np

from engine._jit import njit, prange
from engine.codes import (
    ACT_BONUS,
    ACT_CASH_DIVIDEND,
    ACT_RIGHTS,
    ACT_SPLIT,
    COST_CUSTODY_FEE,
    COST_FX,
    COST_MANAGEMENT_FEE,
    COST_TRADING0,
    COST_WITHHOLDING,
    EVENT_BONUS,
    EVENT_CASH_IN_LIEU,
    EVENT_DELETION,
    EVENT_DIVIDEND,
    EVENT_DIVIDEND_PAID,
    EVENT_RIGHTS,
    EVENT_SPLIT,
    N_COSTS,
    PAYER_PARTICIPANT,
    TRADE_CREATION,
    TRADE_DELETION,
    TRADE_FEE,
    TRADE_INCEPTION,
    TRADE_REDEMPTION,
    TRADE_REINVEST,
    TRADE_REVIEW,
    TRADE_RIGHTS,
)
from engine.prepare import ACTION_DTYPE

_F = np.float64
_I = np.int64

STATE_DT = np.dtype(
    [
        ("cash_hkd", _F),
        ("receivable_hkd", _F),
        ("accrued_hkd", _F),
        ("payable_hkd", _F),
        ("units", _F),
        ("not_due_hkd", _F),
        ("next_action", _I),
        ("next_payment", _I),
        ("next_review", _I),
        ("n_trades", _I),
        ("n_events", _I),
    ]
)
PARAMS_DT = np.dtype(
    [
        ("management_fee", _F),
        ("custody_fee", _F),
        ("cash_buffer", _F),
        ("sweep", _F),
        ("fx_spread", _F),
        ("initial_value_hkd", _F),
        ("initial_units", _F),
        ("use_lots", np.bool_),
        ("immediate", np.bool_),
        ("lag", _I),
        ("creation_payer", _I),
        ("true_up", np.bool_),
    ]
)
TRADE_DT = np.dtype(
    [
        ("row", _I),
        ("col", _I),
        ("side", _I),
        ("shares", _F),
        ("price_hkd", _F),
        ("value_hkd", _F),
        ("cost_hkd", _F),
        ("participant_cost_hkd", _F),
        ("cash_after_hkd", _F),
        ("reason", _I),
    ]
)
EVENT_DT = np.dtype(
    [
        ("row", _I),
        ("col", _I),
        ("kind", _I),
        ("shares_before", _F),
        ("shares_after", _F),
        ("cash_hkd", _F),
    ]
)
ACTION_DT = ACTION_DTYPE  # engine.prepare: one record per corporate action
DAY_STATE_FIELDS = (
    "cash_hkd",
    "receivable_hkd",
    "accrued_fees_hkd",
    "payable_hkd",
    "units",
    "nav_hkd",
    "value_hkd",
)
LEDGER_FIELDS = (
    "subscriptions_hkd",
    "redemptions_paid_hkd",
    "dividends_received_hkd",
    "fees_paid_hkd",
    "buys_hkd",
    "sells_hkd",
    "trading_costs_hkd",
    "rights_paid_hkd",
    "cash_in_lieu_hkd",
    "participant_costs_hkd",
)
"""The day's cash movements (HKD, all >= 0).  ``trading_costs_hkd`` are the fund's;
``participant_costs_hkd`` the trading and conversion costs borne by creating/redeeming participants
(paid by them, outside the NAV)."""
DAY_DT = np.dtype([(name, _F) for name in DAY_STATE_FIELDS + LEDGER_FIELDS])


# ------------------------------------------------------------------------------------ records
def records(shape, dtype) -> np.recarray:
    """Zeroed records of ``dtype``, as a recarray so that the kernels' attribute access
    (``st.cash_hkd += x``) also works as plain Python under ``NUMBA_DISABLE_JIT=1``."""
    return np.zeros(shape, dtype=dtype).view(np.recarray)


@njit
def push_trade(st, trades, t, col, side, shares, price, value, cost, pcost, reason):
    """Append one trade record (written when the buffer has room, always counted)."""
    k = st.n_trades
    if k < trades.shape[0]:
        rec = trades[k]
        rec.row = t
        rec.col = col
        rec.side = side
        rec.shares = shares
        rec.price_hkd = price
        rec.value_hkd = value
        rec.cost_hkd = cost
        rec.participant_cost_hkd = pcost
        rec.cash_after_hkd = st.cash_hkd
        rec.reason = reason
    st.n_trades = k + 1


@njit
def push_event(st, events, t, col, kind, before, after, cash):
    """Append one event record (written when the buffer has room, always counted)."""
    k = st.n_events
    if k < events.shape[0]:
        rec = events[k]
        rec.row = t
        rec.col = col
        rec.kind = kind
        rec.shares_before = before
        rec.shares_after = after
        rec.cash_hkd = cash
    st.n_events = k + 1


@njit
def _valid(p):
    return np.isfinite(p) and p > 0.0


@njit
def _value(h, price):
    v = 0.0
    for i in range(h.shape[0]):
        if h[i] != 0.0 and _valid(price[i]):
            v += h[i] * price[i]
    return v


@njit
def nav_hkd(st, h, price):
    """:math:`\\sum_i h_i P_i + cash + recv - accrued - payable`."""
    return _value(h, price) + st.cash_hkd + st.receivable_hkd - st.accrued_hkd - st.payable_hkd


@njit
def book_trading_costs(costs, pcosts, t, value, rates, share):
    """Book :math:`value \\cdot c_k` per trading-cost kind, the share ``share`` in ``pcosts`` (the
    participant's) and the rest in ``costs`` (the fund's); return :math:`\\sum_k value \\cdot c_k`."""
    c = 0.0
    for k in range(rates.shape[0]):
        x = value * rates[k]
        costs[t, COST_TRADING0 + k] += x * (1.0 - share)
        if share > 0.0:
            pcosts[t, COST_TRADING0 + k] += x * share
        c += x
    return c


# ------------------------------------------------------------------------------------ trading
@njit
def execute(st, t, h, delta, price, lot, rates, costs, pcosts, day, trades, reason, share):
    """Trade ``delta`` shares (``+`` buy, ``-`` sell) at ``price``: sells first, then buys.

    Sells are taken as given (the caller rounds them; never more than held).  Buys are scaled by one
    factor :math:`s = \\min(1, cash / (B (1 + c)))`, :math:`B = \\sum` buy values, :math:`c` the
    per-side cost rate the fund bears (:math:`(1 - share) \\sum_k c_k`), then rounded down to whole
    lots (``lot[i] == 0``: fractional) so that cash never goes below zero.  Trades are executed in
    ascending order of their signed value (``argsort``), so the largest sells come first.
    Returns the trading costs borne by the participant (:math:`share \\cdot` the costs).
    """
    n = h.shape[0]
    crate = 0.0
    for k in range(rates.shape[0]):
        crate += rates[k]
    crate *= 1.0 - share
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
        v = sh * price[i]
        c = book_trading_costs(costs, pcosts, t, v, rates, share)
        fc = c * (1.0 - share)
        st.cash_hkd += v - fc
        h[i] -= sh
        day.sells_hkd += v
        day.trading_costs_hkd += fc
        day.participant_costs_hkd += c - fc
        paid += c - fc
        push_trade(st, trades, t, i, -1, sh, price[i], v, c, c - fc, reason)
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
        v = sh * price[i]
        if v * (1.0 + crate) > st.cash_hkd:
            if lot[i] > 0.0:
                sh = np.floor(st.cash_hkd / (lot[i] * price[i] * (1.0 + crate))) * lot[i]
            else:
                sh = st.cash_hkd / (price[i] * (1.0 + crate))
            if sh <= 0.0:
                continue
            v = sh * price[i]
        c = book_trading_costs(costs, pcosts, t, v, rates, share)
        fc = c * (1.0 - share)
        st.cash_hkd -= v + fc
        h[i] += sh
        day.buys_hkd += v
        day.trading_costs_hkd += fc
        day.participant_costs_hkd += c - fc
        paid += c - fc
        push_trade(st, trades, t, i, 1, sh, price[i], v, c, c - fc, reason)
    return paid


@njit
def raise_cash(st, t, h, need, price, lot, rates, costs, pcosts, day, trades, reason, share):
    """Sell the same fraction :math:`f = need / (V (1 - c))` of every holding (:math:`V = \\sum h_i
    P_i`, :math:`c` the cost rate the fund bears), rounded UP to whole lots (capped at the holding),
    so the proceeds after the fund's costs cover ``need``.  Returns the participant's costs."""
    if need <= 0.0:
        return 0.0
    n = h.shape[0]
    crate = 0.0
    for k in range(rates.shape[0]):
        crate += rates[k]
    crate *= 1.0 - share
    value = 0.0
    for i in range(n):
        if h[i] > 0.0 and _valid(price[i]):
            value += h[i] * price[i]
    if value <= 0.0:
        return 0.0
    f = need / (value * (1.0 - crate))
    if f > 1.0:
        f = 1.0
    delta = np.zeros(n)
    for i in range(n):
        if h[i] > 0.0 and _valid(price[i]):
            sh = h[i] * f
            if lot[i] > 0.0:
                sh = np.ceil(sh / lot[i] - 1e-9) * lot[i]
            if sh > h[i]:
                sh = h[i]
            delta[i] = -sh
    return execute(st, t, h, delta, price, lot, rates, costs, pcosts, day, trades, reason, share)


@njit
def invest(st, t, h, amount, q, price, lot, rates, costs, pcosts, day, trades, reason, share):
    """Buy ``amount`` HKD of the index basket, filling the most underweight names first.

    With basket value :math:`V = \\sum_{q_i > 0} h_i P_i` and index weights
    :math:`w_i = q_i P_i / \\sum_j q_j P_j`, the gap of each name is
    :math:`g_i = \\max(0, (V + amount) w_i - h_i P_i)` and the buy is
    :math:`\\Delta h_i = g_i \\, (amount / \\sum_j g_j) / P_i`.  When the holdings are proportional to
    the index shares this is exactly :math:`amount \\, w_i / P_i` (pro rata).  Returns the
    participant's costs.
    """
    if amount <= 0.0:
        return 0.0
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
    return execute(st, t, h, delta, price, lot, rates, costs, pcosts, day, trades, reason, share)


@njit
def rebalance(st, t, h, nav, buffer, q_new, price, lot, rates, costs, pcosts, day, trades):
    """Rebalance to :math:`h^*_i = (1 - buffer) NAV q'_i / \\sum_j q'_j P_j` (see :func:`execute`)."""
    n = h.shape[0]
    cap = 0.0
    for i in range(n):
        if q_new[i] > 0.0 and _valid(price[i]):
            cap += q_new[i] * price[i]
    target_value = nav * (1.0 - buffer)
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
    execute(st, t, h, delta, price, lot, rates, costs, pcosts, day, trades, TRADE_REVIEW, 0.0)


# ------------------------------------------------------------------------------------ day steps
@njit
def launch(st, h, price, q, lot, rates, params, costs, pcosts, day, trades):
    """Row 0: issue the initial units and invest their cash (less the buffer) at the index weights.

    The seed participant pays ``initial_value_hkd``; the conversion cost :math:`x \\cdot spread` and
    the purchase costs are borne by the fund (``creation_payer`` fund: the inception NAV per unit is
    struck after them) or by the seed participant (the NAV per unit at the inception close is then
    exactly ``initial_value_hkd / initial_units`` in HKD)."""
    participant = params.creation_payer == PAYER_PARTICIPANT
    share = 1.0 if participant else 0.0
    st.units = params.initial_units
    x = params.initial_value_hkd
    fxc = x * params.fx_spread
    if participant:
        pcosts[0, COST_FX] += fxc
        day.participant_costs_hkd += fxc
        st.cash_hkd = x
    else:
        costs[0, COST_FX] += fxc
        st.cash_hkd = x - fxc
    day.subscriptions_hkd += x
    amount = st.cash_hkd * (1.0 - params.cash_buffer)
    invest(
        st, 0, h, amount, q, price, lot, rates, costs, pcosts, day, trades, TRADE_INCEPTION, share
    )


@njit
def apply_actions(
    st, t, h, padj, price, lot, wht, actions, recv_amt, immediate, costs, day, events
):
    """Corporate actions with ex-date ``t`` on the holdings at the open (step 1); updates the
    adjusted prior close ``padj`` in place and returns the net cash they bring in (:math:`X`)."""
    x_now = 0.0
    n_act = actions.shape[0]
    a = st.next_action
    while a < n_act and actions[a].row < t:
        a += 1
    while a < n_act and actions[a].row == t:
        act = actions[a]
        j = act.col
        kind = act.kind
        before = h[j]
        if kind == ACT_SPLIT or kind == ACT_BONUS:
            mult = act.ratio if kind == ACT_SPLIT else 1.0 + act.ratio
            padj[j] = padj[j] / mult
            if before > 0.0:
                new = before * mult
                lieu = 0.0
                if lot[j] > 0.0:
                    whole = np.floor(new + 1e-9)
                    frac = new - whole
                    new = whole
                    if frac > 1e-9 and _valid(price[j]):
                        lieu = frac * price[j]
                h[j] = new
                ev_kind = EVENT_SPLIT if kind == ACT_SPLIT else EVENT_BONUS
                push_event(st, events, t, j, ev_kind, before, new, 0.0)
                if lieu > 0.0:
                    st.cash_hkd += lieu
                    x_now += lieu
                    day.cash_in_lieu_hkd += lieu
                    push_event(st, events, t, j, EVENT_CASH_IN_LIEU, new, new, lieu)
        elif kind == ACT_RIGHTS:
            ratio = act.ratio
            sub = act.price_hkd
            padj[j] = (padj[j] + ratio * sub) / (1.0 + ratio)
            if before > 0.0:
                new_sh = before * ratio
                if lot[j] > 0.0:
                    new_sh = np.floor(new_sh + 1e-9)
                pay = new_sh * sub
                h[j] = before + new_sh
                st.cash_hkd -= pay
                x_now -= pay
                day.rights_paid_hkd += pay
                push_event(st, events, t, j, EVENT_RIGHTS, before, h[j], -pay)
        elif kind == ACT_CASH_DIVIDEND:
            d = act.amount_hkd
            # the index's adjusted prior close: the net TR reinvests d (1 - tau) (tau = 0: gross)
            padj[j] = padj[j] - d * (1.0 - wht[j])
            if before > 0.0:
                gross = before * d
                tax = gross * wht[j]
                net = gross - tax
                costs[t, COST_WITHHOLDING] += tax
                if immediate or act.pay_row <= t:
                    st.cash_hkd += net
                    x_now += net
                    day.dividends_received_hkd += net
                else:
                    st.receivable_hkd += net
                    recv_amt[a] = net
                push_event(st, events, t, j, EVENT_DIVIDEND, before, before, net)
        a += 1
    st.next_action = a
    return x_now


@njit
def sell_deletions(st, t, h, padj, price, lot, rates, costs, pcosts, day, trades, events):
    """Sell every holding whose close is NaN at its last (adjusted) close (step 2); returns the cash."""
    n = h.shape[0]
    x_now = 0.0
    for j in range(n):
        if h[j] > 0.0 and not _valid(price[j]):
            before = h[j]
            if _valid(padj[j]):
                delta = np.zeros(n)
                delta[j] = -h[j]
                cash0 = st.cash_hkd
                execute(
                    st,
                    t,
                    h,
                    delta,
                    padj,
                    lot,
                    rates,
                    costs,
                    pcosts,
                    day,
                    trades,
                    TRADE_DELETION,
                    0.0,
                )
                x_now += st.cash_hkd - cash0
                push_event(st, events, t, j, EVENT_DELETION, before, h[j], st.cash_hkd - cash0)
            else:
                h[j] = 0.0
                push_event(st, events, t, j, EVENT_DELETION, before, 0.0, 0.0)
    return x_now


@njit
def settle_action_cash(
    st, t, h, x_now, padj, price, lot, rates, immediate, costs, pcosts, day, trades
):
    """Step 3: reinvest (or finance) the actions' cash at once (``immediate``), then cover any
    negative balance by selling pro rata at the close."""
    n = h.shape[0]
    if immediate:
        if x_now > 0.0:
            base = 0.0
            for i in range(n):
                if h[i] > 0.0 and _valid(padj[i]) and _valid(price[i]):
                    base += h[i] * padj[i]
            if base > 0.0:
                delta = np.zeros(n)
                for i in range(n):
                    if h[i] > 0.0 and _valid(padj[i]) and _valid(price[i]):
                        delta[i] = h[i] * x_now / base
                execute(
                    st,
                    t,
                    h,
                    delta,
                    padj,
                    lot,
                    rates,
                    costs,
                    pcosts,
                    day,
                    trades,
                    TRADE_REINVEST,
                    0.0,
                )
        elif x_now < 0.0:
            raise_cash(
                st, t, h, -x_now, padj, lot, rates, costs, pcosts, day, trades, TRADE_REINVEST, 0.0
            )
    if st.cash_hkd < 0.0:
        raise_cash(
            st, t, h, -st.cash_hkd, price, lot, rates, costs, pcosts, day, trades, TRADE_RIGHTS, 0.0
        )


@njit
def receive_dividends(st, t, h, actions, pay_order, recv_amt, day, events):
    """Step 4: receivables whose pay date is ``t`` become cash."""
    n_act = actions.shape[0]
    p = st.next_payment
    while p < n_act and actions[pay_order[p]].pay_row <= t:
        k = pay_order[p]
        if recv_amt[k] > 0.0:
            j = actions[k].col
            st.cash_hkd += recv_amt[k]
            st.receivable_hkd -= recv_amt[k]
            day.dividends_received_hkd += recv_amt[k]
            push_event(st, events, t, j, EVENT_DIVIDEND_PAID, h[j], h[j], recv_amt[k])
            recv_amt[k] = 0.0
        p += 1
    st.next_payment = p
    if -1e-6 < st.receivable_hkd < 0.0:
        st.receivable_hkd = 0.0  # rounding residue of paid receivables


@njit
def accrue_fees(st, t, nav, days_elapsed, params, costs):
    """Step 5: :math:`accrued \\mathrel{+}= NAV_t f_k \\, days_t / 365` for management and custody."""
    if days_elapsed > 0.0:
        fee = nav * params.management_fee * days_elapsed / 365.0
        if fee > 0.0:
            st.accrued_hkd += fee
            costs[t, COST_MANAGEMENT_FEE] += fee
        fee = nav * params.custody_fee * days_elapsed / 365.0
        if fee > 0.0:
            st.accrued_hkd += fee
            costs[t, COST_CUSTODY_FEE] += fee


@njit
def issue_units(st, t, u, nav, params, pend_in, pend_out, costs, pcosts, day):
    """Step 7: create (``u > 0``) or cancel units at :math:`NAV_t / U`; the cash is traded ``lag``
    sessions later.  The conversion cost is the fund's or the participant's (``creation_payer``)."""
    if u == 0.0 or st.units <= 0.0:
        return
    participant = params.creation_payer == PAYER_PARTICIPANT
    nav_per_unit = nav / st.units
    lag = params.lag
    if u > 0.0:
        cash_in = u * nav_per_unit
        fxc = cash_in * params.fx_spread
        if participant:
            pcosts[t, COST_FX] += fxc
            day.participant_costs_hkd += fxc
            fxc = 0.0
        else:
            costs[t, COST_FX] += fxc
        st.cash_hkd += cash_in - fxc
        day.subscriptions_hkd += cash_in
        pend_in[t + lag] += cash_in - fxc
        st.not_due_hkd += cash_in - fxc
    else:
        out = -u * nav_per_unit
        fxc = out * params.fx_spread
        if participant:
            pcosts[t, COST_FX] += fxc
            day.participant_costs_hkd += fxc
            fxc = 0.0
        else:
            costs[t, COST_FX] += fxc
        st.payable_hkd += out + fxc
        pend_out[t + lag] += out + fxc
    st.units += u


@njit
def true_up_creation(st, t, h, price_then, price, pend_in, day):
    """Step 7b (``EtfConfig.creation_true_up``): the creation cash due at ``t`` is corrected by
    :math:`x = D (V_t / V_{t-lag} - 1)`, :math:`V` the holdings :math:`h` valued at each close, paid
    in (or refunded) by the participant, so that the price move over the lag is not the fund's."""
    v_then = 0.0
    v_now = 0.0
    for i in range(h.shape[0]):
        if h[i] != 0.0 and price_then[i] > 0.0 and price[i] > 0.0:
            v_then += h[i] * price_then[i]
            v_now += h[i] * price[i]
    if v_then <= 0.0:
        return
    x = pend_in[t] * (v_now / v_then - 1.0)
    st.cash_hkd += x
    st.not_due_hkd += x
    pend_in[t] += x
    day.subscriptions_hkd += x


@njit
def settle_flows(
    st, t, T, h, price, q, lot, rates, params, pend_in, pend_out, costs, pcosts, day, trades
):
    """Step 8: pay the redemptions due (raising cash pro rata when short) and invest the creation cash
    due, or idle cash above the sweep level, at the index weights."""
    participant = params.creation_payer == PAYER_PARTICIPANT
    due_out = pend_out[t]
    if t == T - 1:
        for k in range(t + 1, pend_out.shape[0]):
            due_out += pend_out[k]
    if due_out > 0.0:
        charged = 0.0
        if st.cash_hkd < due_out:
            share = 1.0 if participant else 0.0
            charged = raise_cash(
                st,
                t,
                h,
                due_out - st.cash_hkd,
                price,
                lot,
                rates,
                costs,
                pcosts,
                day,
                trades,
                TRADE_REDEMPTION,
                share,
            )
        st.cash_hkd -= due_out
        st.payable_hkd -= due_out
        day.redemptions_paid_hkd += due_out - charged  # the participant's selling costs withheld
    due_in = pend_in[t]
    st.not_due_hkd -= due_in
    if st.not_due_hkd < 0.0:
        st.not_due_hkd = 0.0
    nav = nav_hkd(st, h, price)
    amount = (
        st.cash_hkd - st.accrued_hkd - st.payable_hkd - params.cash_buffer * nav - st.not_due_hkd
    )
    if amount > 1e-9 * abs(nav) and (due_in > 0.0 or amount > params.sweep * nav):
        reason = TRADE_CREATION if due_in > 0.0 else TRADE_REINVEST
        share = 0.0
        if participant and due_in > 0.0:
            share = due_in / amount if due_in < amount else 1.0
        invest(st, t, h, amount, q, price, lot, rates, costs, pcosts, day, trades, reason, share)


@njit
def pay_fees(st, t, h, price, lot, rates, costs, pcosts, day, trades):
    """Step 9: pay the accrued fees from cash, selling pro rata when cash is short."""
    if st.accrued_hkd > 0.0:
        if st.cash_hkd < st.accrued_hkd:
            raise_cash(
                st,
                t,
                h,
                st.accrued_hkd - st.cash_hkd,
                price,
                lot,
                rates,
                costs,
                pcosts,
                day,
                trades,
                TRADE_FEE,
                0.0,
            )
        st.cash_hkd -= st.accrued_hkd
        day.fees_paid_hkd += st.accrued_hkd
        st.accrued_hkd = 0.0


@njit
def record_day(st, h, price, day):
    """The state at the close into the day record."""
    value = _value(h, price)
    day.cash_hkd = st.cash_hkd
    day.receivable_hkd = st.receivable_hkd
    day.accrued_fees_hkd = st.accrued_hkd
    day.payable_hkd = st.payable_hkd
    day.units = st.units
    day.nav_hkd = value + st.cash_hkd + st.receivable_hkd - st.accrued_hkd - st.payable_hkd
    day.value_hkd = value


# ------------------------------------------------------------------------------------ the loop
@njit
def simulate(
    close,
    lot_raw,
    wht,
    days_elapsed,
    pay_fee_days,
    target_q,
    rev_rows,
    rev_q,
    actions,
    flow_units,
    params,
    rates,
    state,
    hold,
    days,
    costs,
    pcosts,
    trades,
    events,
):
    """Simulate the fund over the sessions ``0 .. T-1`` (row 0 = inception) for one settings record.

    Parameters
    ----------
    close : float64[T, N]
        Raw closes in HKD (NaN when not listed).
    lot_raw : float64[N]
        Board lot per security (used when ``params.use_lots``; 0 = fractional shares).
    wht : float64[N]
        Dividend withholding rate per security.
    days_elapsed : float64[T]
        Calendar days since the previous session (0 on row 0).
    pay_fee_days : bool[T]
        Sessions on which accrued fees are paid (and always the last one).
    target_q : float64[T, N]
        Index shares used to invest creation cash at each close (the new ones on a review's close).
    rev_rows, rev_q : int64[R], float64[R, N]
        Rows of the review closes (ascending) and the reviews' index shares.
    actions : ACTION_DT[A]
        Corporate actions sorted by ex-date row (capital changes before cash dividends in a row); the
        pay row is ``T`` when it falls after the last session.
    flow_units : float64[T]
        Units created (+) or cancelled (-) at each close.
    params : PARAMS_DT record
        The variant's plain-number settings.
    rates : float64[6]
        Per-side trading-cost rates (stamp duty, SFC levy, AFRC levy, trading fee, brokerage, impact).
    state : STATE_DT record
        Zeroed on entry; holds the cursors and counts on exit.
    hold : float64[T, N] or float64[0, N]
        Shares held at each close (not recorded when it has no rows).
    days : DAY_DT[T]
        Filled: the state at each close and the day's cash movements.
    costs, pcosts : float64[T, N_COSTS]
        Filled: costs borne by the fund and by participants, HKD, by kind (:data:`engine.codes.COST_KINDS`).
    trades, events : TRADE_DT[M], EVENT_DT[E]
        Filled up to their capacity; ``state.n_trades`` and ``state.n_events`` count them all.
    """
    T, n = close.shape
    h = np.zeros(n)
    lot = lot_raw * 1.0 if params.use_lots else np.zeros(n)
    lag = params.lag
    immediate = params.immediate
    pend_in = np.zeros(T + lag + 1)
    pend_out = np.zeros(T + lag + 1)
    n_act = actions.shape[0]
    recv_amt = np.zeros(n_act)
    pay_rows = np.zeros(n_act, dtype=np.int64)
    for k in range(n_act):
        pay_rows[k] = actions[k].pay_row
    pay_order = np.argsort(pay_rows, kind="mergesort")
    n_rev = rev_rows.shape[0]
    padj = np.zeros(n)
    record_hold = hold.shape[0] == T
    for t in range(T):
        price = close[t]
        day = days[t]
        if t == 0:
            launch(state, h, price, target_q[0], lot, rates, params, costs, pcosts, day, trades)
        else:
            for i in range(n):
                padj[i] = close[t - 1, i]
            x_now = apply_actions(
                state, t, h, padj, price, lot, wht, actions, recv_amt, immediate, costs, day, events
            )
            x_now += sell_deletions(
                state, t, h, padj, price, lot, rates, costs, pcosts, day, trades, events
            )
            settle_action_cash(
                state, t, h, x_now, padj, price, lot, rates, immediate, costs, pcosts, day, trades
            )
            receive_dividends(state, t, h, actions, pay_order, recv_amt, day, events)
        accrue_fees(state, t, nav_hkd(state, h, price), days_elapsed[t], params, costs)
        r = state.next_review
        while r < n_rev and rev_rows[r] < t:
            r += 1
        while r < n_rev and rev_rows[r] == t:
            rebalance(
                state,
                t,
                h,
                nav_hkd(state, h, price),
                params.cash_buffer,
                rev_q[r],
                price,
                lot,
                rates,
                costs,
                pcosts,
                day,
                trades,
            )
            r += 1
        state.next_review = r
        issue_units(
            state,
            t,
            flow_units[t],
            nav_hkd(state, h, price),
            params,
            pend_in,
            pend_out,
            costs,
            pcosts,
            day,
        )
        if params.true_up and lag > 0 and t >= lag and pend_in[t] > 0.0:
            true_up_creation(state, t, h, close[t - lag], price, pend_in, day)
        settle_flows(
            state,
            t,
            T,
            h,
            price,
            target_q[t],
            lot,
            rates,
            params,
            pend_in,
            pend_out,
            costs,
            pcosts,
            day,
            trades,
        )
        if pay_fee_days[t] or t == T - 1:
            pay_fees(state, t, h, price, lot, rates, costs, pcosts, day, trades)
        record_day(state, h, price, day)
        if record_hold:
            for i in range(n):
                hold[t, i] = h[i]


@njit(parallel=True)
def simulate_batch(
    close,
    lot_raw,
    wht,
    days_elapsed,
    pay_fee_days,
    target_q,
    rev_rows,
    rev_q,
    actions,
    flow_units,
    fx,
    params,
    rates,
    states,
    days,
    no_trades,
    no_events,
    cost_totals_cny,
    pcost_totals_cny,
):
    """:func:`simulate` for every record of ``params`` (``rates[v]`` its cost rates), in parallel.

    ``states`` (``STATE_DT[V]``, zeroed) and ``days`` (``DAY_DT[V, T]``) are filled per variant (``no_trades`` and ``no_events``: empty
    ``TRADE_DT`` / ``EVENT_DT`` buffers, so trades and events are only counted); ``cost_totals_cny`` and ``pcost_totals_cny``
    (``float64[V, N_COSTS]``) receive each variant's fund and participant costs over the run in CNY,
    :math:`\\sum_t c_{t,k} fx_t`.  Trades, events and holdings are not kept."""
    V = params.shape[0]
    T, n = close.shape
    for v in prange(V):
        hold = np.zeros((0, n))
        costs = np.zeros((T, N_COSTS))
        pcosts = np.zeros((T, N_COSTS))
        simulate(
            close,
            lot_raw,
            wht,
            days_elapsed,
            pay_fee_days,
            target_q,
            rev_rows,
            rev_q,
            actions,
            flow_units,
            params[v],
            rates[v],
            states[v],
            hold,
            days[v],
            costs,
            pcosts,
            no_trades,
            no_events,
        )
        for k in range(N_COSTS):
            a = 0.0
            b = 0.0
            for t in range(T):
                a += costs[t, k] * fx[t]
                b += pcosts[t, k] * fx[t]
            cost_totals_cny[v, k] = a
            pcost_totals_cny[v, k] = b
