"""Numba kernel of the ETF simulation: one pass over the fund's sessions.

Only NumPy arrays and scalars cross this boundary; :mod:`engine.fund.backtest` builds the inputs.

State (HKD)
-----------
Holdings :math:`h_i` (shares), ``cash``, dividends receivable ``recv``, accrued unpaid fees ``accrued``,
redemptions payable ``payable`` and the number of units :math:`U`.  The NAV at the close of session
:math:`t` is

.. math:: NAV_t = \\sum_i h_i P_{i,t} + cash + recv - accrued - payable .

Order of events in session :math:`t` (row 0 is the inception day)
-----------------------------------------------------------------
0. (row 0 only) the initial units are issued; their cash is invested at the close at the index weights
   :math:`w_i = q_i P_i / \\sum_j q_j P_j`, keeping ``buffer`` of the NAV in cash.
1. Corporate actions with ex-date :math:`t`, on the holdings at the open (their adjusted prior close
   :math:`P^{adj}` is tracked as the index does it): split of ratio :math:`r` (:math:`h \\leftarrow rh`),
   bonus (:math:`h \\leftarrow (1+r)h`), rights (:math:`rh` new shares paid at :math:`S` from cash), cash
   dividend :math:`d` (entitlement :math:`hd`, withholding :math:`\\tau hd` recorded as a cost, the net
   amount a receivable until the pay date).  With whole shares, fractional shares from a split or
   bonus are paid as cash in lieu at the ex-date close and a rights entitlement is rounded down.
2. Deletions: a holding whose close is NaN is sold at its last (adjusted) close.
3. ``immediate`` (the cash-drag effect off): the net cash :math:`X` of steps 1-2 (dividends counted
   at once) is reinvested (or financed) at :math:`P^{adj}` by scaling every holding by
   :math:`(V + X)/V`, :math:`V = \\sum_i h_i P^{adj}_i`; this mirrors the index divisor exactly.
   :math:`P^{adj}` follows the index's total-return convention: a dividend lowers the prior close by
   :math:`d (1 - \\tau)`, so with withholding off the fund tracks the gross index and with it on
   (same rates) the net index.
   Otherwise a negative cash balance (a rights take-up larger than the cash) is covered by selling
   the same fraction of every holding, the rights stock included, at the ex-date close (lots rounded
   up, so the fund keeps its weights and ends the day with cash >= 0).
4. Dividends whose pay date is :math:`t` move from ``recv`` to ``cash``.
5. Fees accrue: :math:`accrued \\mathrel{+}= NAV_t \\cdot f_k \\cdot days_t / 365` per fee kind.
6. Review whose repricing close is :math:`t`: target holdings
   :math:`h^*_i = (1 - buffer) NAV_t \\, q'_i / \\sum_j q'_j P_{j,t}`; sells first (rounded to whole lots,
   a full exit sells everything), then buys, rounded down to lots and scaled so cash stays >= 0 after
   costs.
7. Flows: units created (+) or cancelled (-) at :math:`NAV_t / U`; creation cash enters ``cash`` now,
   redemptions become ``payable``; both are traded ``lag`` sessions later.
8. Flows due at :math:`t`: redemptions are paid (selling pro rata, lots rounded up, when cash is short);
   creations invest the cash above ``buffer * NAV`` (less fees accrued, payables and creation cash
   not yet due) towards the index weights (see :func:`invest`).  The same idle cash is also invested
   on any close where it exceeds ``sweep * NAV`` (dividends received, deletion proceeds, rounding
   leftovers).
9. On fee-payment days the accrued fees are paid from cash (selling pro rata if short).

Trading costs per side are ``value * trade_rates[k]`` for each kind ``k``.
"""

from __future__ import annotations

import numpy as np

from engine._jit import njit

# action kinds (the index kernel's codes)
ACT_SPLIT = 1
ACT_BONUS = 2
ACT_RIGHTS = 3
ACT_CASH_DIVIDEND = 4

# trade reasons and event kinds are floats: an int constant passed to a jitted helper is typed as a
# literal and would compile one more specialisation per value
R_INCEPTION = 0.0
R_REVIEW = 1.0
R_CREATION = 2.0
R_REDEMPTION = 3.0
R_RIGHTS = 4.0
R_FEE = 5.0
R_DELETION = 6.0
R_REINVEST = 7.0
REASON_NAMES = (
    "inception",
    "review",
    "creation",
    "redemption",
    "rights",
    "fee",
    "deletion",
    "reinvest",
)

# events
EV_DIVIDEND = 0.0
EV_SPLIT = 1.0
EV_BONUS = 2.0
EV_RIGHTS = 3.0
EV_DELETION = 4.0
EV_CASH_IN_LIEU = 5.0
EV_DIVIDEND_PAID = 6.0
EVENT_NAMES = ("dividend", "split", "bonus", "rights", "deletion", "cash_in_lieu", "dividend_paid")

# cost columns (engine.fund.config.COST_KINDS)
C_MGMT = 0
C_CUSTODY = 1
C_TRADING0 = 2  # first of the six trading-cost kinds
C_WHT = 8
C_FX = 9
N_COSTS = 10

# state columns
S_CASH = 0
S_RECV = 1
S_ACCRUED = 2
S_PAYABLE = 3
S_UNITS = 4
S_NAV = 5
S_VALUE = 6
STATE_NAMES = (
    "cash_hkd",
    "receivable_hkd",
    "accrued_fees_hkd",
    "payable_hkd",
    "units",
    "nav_hkd",
    "value_hkd",
)

# ledger columns (cash movements of the day, HKD, all >= 0)
L_SUBS = 0
L_REDS = 1
L_DIVS = 2
L_FEES = 3
L_BUYS = 4
L_SELLS = 5
L_TCOSTS = 6
L_RIGHTS = 7
L_LIEU = 8
LEDGER_NAMES = (
    "subscriptions_hkd",
    "redemptions_paid_hkd",
    "dividends_received_hkd",
    "fees_paid_hkd",
    "buys_hkd",
    "sells_hkd",
    "trading_costs_hkd",
    "rights_paid_hkd",
    "cash_in_lieu_hkd",
)

# trade record columns
TRADE_FIELDS = (
    "row",
    "col",
    "side",
    "shares",
    "price_hkd",
    "value_hkd",
    "cost_hkd",
    "cash_after_hkd",
    "reason",
)
EVENT_FIELDS = ("row", "col", "kind", "shares_before", "shares_after", "cash_hkd")


@njit
def _room(buf, n):
    """``buf`` with room for row ``n``: the same array, or a copy of twice the rows when it is full."""
    if n < buf.shape[0]:
        return buf
    new = np.zeros((buf.shape[0] * 2, buf.shape[1]))
    new[:n] = buf[:n]
    return new


@njit
def _push_trade(buf, n, row, col, side, shares, price, value, cost, cash_after, reason):
    buf = _room(buf, n)
    buf[n, 0] = row
    buf[n, 1] = col
    buf[n, 2] = side
    buf[n, 3] = shares
    buf[n, 4] = price
    buf[n, 5] = value
    buf[n, 6] = cost
    buf[n, 7] = cash_after
    buf[n, 8] = reason
    return buf, n + 1


@njit
def _push_event(buf, n, row, col, kind, before, after, cash):
    buf = _room(buf, n)
    buf[n, 0] = row
    buf[n, 1] = col
    buf[n, 2] = kind
    buf[n, 3] = before
    buf[n, 4] = after
    buf[n, 5] = cash
    return buf, n + 1


@njit
def _valid(p):
    return np.isfinite(p) and p > 0.0


@njit
def _trading_costs(costs, t, value, trade_rates):
    """Book :math:`value \\cdot c_k` in each trading-cost column of day ``t``; return :math:`\\sum_k value \\cdot c_k`."""
    c = 0.0
    for k in range(trade_rates.shape[0]):
        costs[t, C_TRADING0 + k] += value * trade_rates[k]
        c += value * trade_rates[k]
    return c


@njit
def execute(t, h, cash, delta, price, lot, trade_rates, costs, ledger, trades, n_tr, reason):
    """Trade ``delta`` shares (``+`` buy, ``-`` sell) at ``price``: sells first, then buys.

    Sells are taken as given (the caller rounds them; never more than held).  Buys are scaled by one
    factor :math:`s = \\min(1, cash / (B (1 + c)))`, :math:`B = \\sum` buy values, :math:`c` the
    per-side cost rate, then rounded down to whole lots (``lot[i] == 0``: fractional) so that cash
    never goes below zero.  Trades are executed in ascending order of their signed value
    (``argsort``), so the largest sells come first.  Returns ``(cash, trades, n_trades)``.
    """
    n = h.shape[0]
    crate = 0.0
    for k in range(trade_rates.shape[0]):
        crate += trade_rates[k]
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
        c = _trading_costs(costs, t, v, trade_rates)
        cash += v - c
        h[i] -= sh
        ledger[t, L_SELLS] += v
        ledger[t, L_TCOSTS] += c
        trades, n_tr = _push_trade(trades, n_tr, t, i, -1.0, sh, price[i], v, c, cash, reason)
    total = 0.0
    for i in range(n):
        if val[i] > 0.0:
            total += val[i]
    if total <= 0.0:
        return cash, trades, n_tr
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
        if v * (1.0 + crate) > cash:
            if lot[i] > 0.0:
                sh = np.floor(cash / (lot[i] * price[i] * (1.0 + crate))) * lot[i]
            else:
                sh = cash / (price[i] * (1.0 + crate))
            if sh <= 0.0:
                continue
            v = sh * price[i]
        c = _trading_costs(costs, t, v, trade_rates)
        cash -= v + c
        h[i] += sh
        ledger[t, L_BUYS] += v
        ledger[t, L_TCOSTS] += c
        trades, n_tr = _push_trade(trades, n_tr, t, i, 1.0, sh, price[i], v, c, cash, reason)
    return cash, trades, n_tr


@njit
def raise_cash(t, h, cash, need, price, lot, trade_rates, costs, ledger, trades, n_tr, reason):
    """Sell the same fraction :math:`f = need / (V (1 - c))` of every holding (:math:`V = \\sum h_i P_i`),
    rounded UP to whole lots (capped at the holding), so the proceeds after costs cover ``need``."""
    if need <= 0.0:
        return cash, trades, n_tr
    n = h.shape[0]
    crate = 0.0
    for k in range(trade_rates.shape[0]):
        crate += trade_rates[k]
    value = 0.0
    for i in range(n):
        if h[i] > 0.0 and _valid(price[i]):
            value += h[i] * price[i]
    if value <= 0.0:
        return cash, trades, n_tr
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
    return execute(t, h, cash, delta, price, lot, trade_rates, costs, ledger, trades, n_tr, reason)


@njit
def invest(t, h, cash, amount, q, price, lot, trade_rates, costs, ledger, trades, n_tr, reason):
    """Buy ``amount`` HKD of the index basket, filling the most underweight names first.

    With basket value :math:`V = \\sum_{q_i > 0} h_i P_i` and index weights
    :math:`w_i = q_i P_i / \\sum_j q_j P_j`, the gap of each name is
    :math:`g_i = \\max(0, (V + amount) w_i - h_i P_i)` and the buy is
    :math:`\\Delta h_i = g_i \\, (amount / \\sum_j g_j) / P_i`.  When the holdings are proportional to
    the index shares this is exactly :math:`amount \\, w_i / P_i` (pro rata).
    """
    if amount <= 0.0:
        return cash, trades, n_tr
    n = h.shape[0]
    cap = 0.0
    basket = 0.0
    for i in range(n):
        if q[i] > 0.0 and _valid(price[i]):
            cap += q[i] * price[i]
            basket += h[i] * price[i]
    if cap <= 0.0:
        return cash, trades, n_tr
    gap = np.zeros(n)
    total_gap = 0.0
    for i in range(n):
        if q[i] > 0.0 and _valid(price[i]):
            g = (basket + amount) * q[i] * price[i] / cap - h[i] * price[i]
            if g > 0.0:
                gap[i] = g
                total_gap += g
    if total_gap <= 0.0:
        return cash, trades, n_tr
    scale = amount / total_gap
    if scale > 1.0:
        scale = 1.0
    delta = np.zeros(n)
    for i in range(n):
        if gap[i] > 0.0:
            delta[i] = gap[i] * scale / price[i]
    return execute(t, h, cash, delta, price, lot, trade_rates, costs, ledger, trades, n_tr, reason)


@njit
def review_trades(
    t, h, cash, nav, buffer, q_new, price, lot, trade_rates, costs, ledger, trades, n_tr
):
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
    return execute(
        t, h, cash, delta, price, lot, trade_rates, costs, ledger, trades, n_tr, R_REVIEW
    )


@njit
def _value(h, price):
    v = 0.0
    for i in range(h.shape[0]):
        if h[i] != 0.0 and _valid(price[i]):
            v += h[i] * price[i]
    return v


@njit
def fund_kernel(
    close,
    lot,
    wht,
    trade_rates,
    fee_rates,
    days,
    pay_fees,
    buffer,
    immediate,
    fx_spread,
    initial_value_hkd,
    initial_units,
    target_q,
    rev_rows,
    rev_q,
    act_row,
    act_col,
    act_kind,
    act_ratio,
    act_price,
    act_amount,
    act_pay_row,
    flow_units,
    lag,
    sweep,
):
    """Simulate the fund over the sessions ``0 .. T-1`` (row 0 = inception).

    Parameters
    ----------
    close : float64[T, N]
        Raw closes in HKD (NaN when not listed).
    lot : float64[N]
        Board lot per security; 0 = fractional shares allowed.
    wht : float64[N]
        Dividend withholding rate per security.
    trade_rates : float64[6]
        Per-side trading-cost rates (stamp duty, SFC levy, AFRC levy, trading fee, brokerage, impact).
    fee_rates : float64[2]
        Management and custody fee per year.
    days : float64[T]
        Calendar days since the previous session (0 on row 0).
    pay_fees : bool[T]
        Sessions on which accrued fees are paid.
    buffer, immediate, fx_spread, initial_value_hkd, initial_units, lag
        Cash buffer weight; cash-drag effect off; CNY<->HKD conversion cost; inception cash (HKD) and
        units; sessions between issuing units and trading their cash.
    target_q : float64[T, N]
        Index shares used to invest creation cash at each close (the new ones on a review's close).
    rev_rows, rev_q : int64[R], float64[R, N]
        Rows of the review closes (ascending) and the reviews' index shares.
    act_row ... act_pay_row : 1-D arrays
        Corporate actions sorted by ex-date row (capital changes before cash dividends in a row); the
        pay row is ``T`` when it falls after the last session.
    flow_units : float64[T]
        Units created (+) or cancelled (-) at each close.
    sweep : float
        Idle cash above ``buffer * NAV`` is invested at the index weights on any close where it
        exceeds ``sweep * NAV`` (and always on a close where creation cash falls due).

    Returns
    -------
    hold[T, N], state[T, 7], costs[T, 10], ledger[T, 9], trades[M, 9], events[E, 6]
    """
    T, n = close.shape
    h = np.zeros(n)
    hold = np.zeros((T, n))
    state = np.zeros((T, 7))
    costs = np.zeros((T, N_COSTS))
    ledger = np.zeros((T, len(LEDGER_NAMES)))
    trades = np.zeros((256, 9))
    n_tr = np.int64(0)  # not a literal 0 (see the note on the reason codes)
    events = np.zeros((64, 6))
    n_ev = np.int64(0)
    pend_in = np.zeros(T + lag + 1)
    pend_out = np.zeros(T + lag + 1)
    n_act = act_row.shape[0]
    recv_amt = np.zeros(n_act)
    pay_order = np.argsort(act_pay_row, kind="mergesort")
    cash = 0.0
    recv = 0.0
    accrued = 0.0
    payable = 0.0
    units = 0.0
    not_due = 0.0
    a = 0
    p = 0
    r = 0
    n_rev = rev_rows.shape[0]
    padj = np.zeros(n)

    for t in range(T):
        price = close[t]
        if t == 0:
            units = initial_units
            fxc = initial_value_hkd * fx_spread
            costs[t, C_FX] += fxc
            cash = initial_value_hkd - fxc
            ledger[t, L_SUBS] += initial_value_hkd
            amount = cash * (1.0 - buffer)
            cash, trades, n_tr = invest(
                t,
                h,
                cash,
                amount,
                target_q[t],
                price,
                lot,
                trade_rates,
                costs,
                ledger,
                trades,
                n_tr,
                R_INCEPTION,
            )
        else:
            # 1. corporate actions at the open
            for i in range(n):
                padj[i] = close[t - 1, i]
            x_now = 0.0
            while a < n_act and act_row[a] < t:
                a += 1
            while a < n_act and act_row[a] == t:
                j = act_col[a]
                kind = act_kind[a]
                before = h[j]
                if kind == ACT_SPLIT or kind == ACT_BONUS:
                    mult = act_ratio[a] if kind == ACT_SPLIT else 1.0 + act_ratio[a]
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
                        ev_kind = EV_SPLIT if kind == ACT_SPLIT else EV_BONUS
                        events, n_ev = _push_event(events, n_ev, t, j, ev_kind, before, new, 0.0)
                        if lieu > 0.0:
                            cash += lieu
                            x_now += lieu
                            ledger[t, L_LIEU] += lieu
                            events, n_ev = _push_event(
                                events, n_ev, t, j, EV_CASH_IN_LIEU, new, new, lieu
                            )
                elif kind == ACT_RIGHTS:
                    ratio = act_ratio[a]
                    sub = act_price[a]
                    padj[j] = (padj[j] + ratio * sub) / (1.0 + ratio)
                    if before > 0.0:
                        new_sh = before * ratio
                        if lot[j] > 0.0:
                            new_sh = np.floor(new_sh + 1e-9)
                        pay = new_sh * sub
                        h[j] = before + new_sh
                        cash -= pay
                        x_now -= pay
                        ledger[t, L_RIGHTS] += pay
                        events, n_ev = _push_event(
                            events, n_ev, t, j, EV_RIGHTS, before, h[j], -pay
                        )
                elif kind == ACT_CASH_DIVIDEND:
                    d = act_amount[a]
                    # the index's adjusted prior close: the net TR reinvests d (1 - tau) (tau = 0: gross)
                    padj[j] = padj[j] - d * (1.0 - wht[j])
                    if before > 0.0:
                        gross = before * d
                        tax = gross * wht[j]
                        net = gross - tax
                        costs[t, C_WHT] += tax
                        if immediate or act_pay_row[a] <= t:
                            cash += net
                            x_now += net
                            ledger[t, L_DIVS] += net
                        else:
                            recv += net
                            recv_amt[a] = net
                        events, n_ev = _push_event(
                            events, n_ev, t, j, EV_DIVIDEND, before, before, net
                        )
                a += 1
            # 2. deletions at the last (adjusted) close
            for j in range(n):
                if h[j] > 0.0 and not _valid(price[j]):
                    before = h[j]
                    if _valid(padj[j]):
                        delta = np.zeros(n)
                        delta[j] = -h[j]
                        cash0 = cash
                        cash, trades, n_tr = execute(
                            t,
                            h,
                            cash,
                            delta,
                            padj,
                            lot,
                            trade_rates,
                            costs,
                            ledger,
                            trades,
                            n_tr,
                            R_DELETION,
                        )
                        x_now += cash - cash0
                        events, n_ev = _push_event(
                            events, n_ev, t, j, EV_DELETION, before, h[j], cash - cash0
                        )
                    else:
                        h[j] = 0.0
                        events, n_ev = _push_event(
                            events, n_ev, t, j, EV_DELETION, before, 0.0, 0.0
                        )
            # 3. immediate reinvestment / financing, or cover a negative balance
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
                        cash, trades, n_tr = execute(
                            t,
                            h,
                            cash,
                            delta,
                            padj,
                            lot,
                            trade_rates,
                            costs,
                            ledger,
                            trades,
                            n_tr,
                            R_REINVEST,
                        )
                elif x_now < 0.0:
                    cash, trades, n_tr = raise_cash(
                        t,
                        h,
                        cash,
                        -x_now,
                        padj,
                        lot,
                        trade_rates,
                        costs,
                        ledger,
                        trades,
                        n_tr,
                        R_REINVEST,
                    )
            if cash < 0.0:
                cash, trades, n_tr = raise_cash(
                    t,
                    h,
                    cash,
                    -cash,
                    price,
                    lot,
                    trade_rates,
                    costs,
                    ledger,
                    trades,
                    n_tr,
                    R_RIGHTS,
                )
            # 4. dividends paid today
            while p < n_act and act_pay_row[pay_order[p]] <= t:
                k = pay_order[p]
                if recv_amt[k] > 0.0:
                    cash += recv_amt[k]
                    recv -= recv_amt[k]
                    ledger[t, L_DIVS] += recv_amt[k]
                    events, n_ev = _push_event(
                        events,
                        n_ev,
                        t,
                        act_col[k],
                        EV_DIVIDEND_PAID,
                        h[act_col[k]],
                        h[act_col[k]],
                        recv_amt[k],
                    )
                    recv_amt[k] = 0.0
                p += 1
            if -1e-6 < recv < 0.0:
                recv = 0.0  # rounding residue of paid receivables
        # 5. fee accrual on the close NAV
        nav = _value(h, price) + cash + recv - accrued - payable
        if days[t] > 0.0:
            for k in range(2):
                fee = nav * fee_rates[k] * days[t] / 365.0
                if fee > 0.0:
                    accrued += fee
                    costs[t, C_MGMT + k] += fee
        # 6. review trades at this close
        while r < n_rev and rev_rows[r] < t:
            r += 1
        while r < n_rev and rev_rows[r] == t:
            nav = _value(h, price) + cash + recv - accrued - payable
            cash, trades, n_tr = review_trades(
                t,
                h,
                cash,
                nav,
                buffer,
                rev_q[r],
                price,
                lot,
                trade_rates,
                costs,
                ledger,
                trades,
                n_tr,
            )
            r += 1
        # 7. flows at today's NAV per unit
        nav = _value(h, price) + cash + recv - accrued - payable
        u = flow_units[t]
        if u != 0.0 and units > 0.0:
            nav_per_unit = nav / units
            if u > 0.0:
                cash_in = u * nav_per_unit
                fxc = cash_in * fx_spread
                costs[t, C_FX] += fxc
                cash += cash_in - fxc
                ledger[t, L_SUBS] += cash_in
                pend_in[t + lag] += cash_in - fxc
                not_due += cash_in - fxc
            else:
                out = -u * nav_per_unit
                fxc = out * fx_spread
                costs[t, C_FX] += fxc
                payable += out + fxc
                pend_out[t + lag] += out + fxc
            units += u
        # 8. flows due today
        due_out = pend_out[t]
        if t == T - 1:
            for k in range(t + 1, T + lag + 1):
                due_out += pend_out[k]
        if due_out > 0.0:
            if cash < due_out:
                cash, trades, n_tr = raise_cash(
                    t,
                    h,
                    cash,
                    due_out - cash,
                    price,
                    lot,
                    trade_rates,
                    costs,
                    ledger,
                    trades,
                    n_tr,
                    R_REDEMPTION,
                )
            cash -= due_out
            payable -= due_out
            ledger[t, L_REDS] += due_out
        due_in = pend_in[t]
        not_due -= due_in
        if not_due < 0.0:
            not_due = 0.0
        nav = _value(h, price) + cash + recv - accrued - payable
        amount = cash - accrued - payable - buffer * nav - not_due
        if amount > 1e-9 * abs(nav) and (due_in > 0.0 or amount > sweep * nav):
            reason = R_CREATION if due_in > 0.0 else R_REINVEST
            cash, trades, n_tr = invest(
                t,
                h,
                cash,
                amount,
                target_q[t],
                price,
                lot,
                trade_rates,
                costs,
                ledger,
                trades,
                n_tr,
                reason,
            )
        # 9. fee payment
        if (pay_fees[t] or t == T - 1) and accrued > 0.0:
            if cash < accrued:
                cash, trades, n_tr = raise_cash(
                    t,
                    h,
                    cash,
                    accrued - cash,
                    price,
                    lot,
                    trade_rates,
                    costs,
                    ledger,
                    trades,
                    n_tr,
                    R_FEE,
                )
            cash -= accrued
            ledger[t, L_FEES] += accrued
            accrued = 0.0
        # record
        value = _value(h, price)
        for i in range(n):
            hold[t, i] = h[i]
        state[t, S_CASH] = cash
        state[t, S_RECV] = recv
        state[t, S_ACCRUED] = accrued
        state[t, S_PAYABLE] = payable
        state[t, S_UNITS] = units
        state[t, S_NAV] = value + cash + recv - accrued - payable
        state[t, S_VALUE] = value
    return hold, state, costs, ledger, trades[:n_tr].copy(), events[:n_ev].copy()
