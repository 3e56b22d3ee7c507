"""Numba kernels of the fund's corporate-action steps (steps 1-4 of a session, :mod:`engine.fund._nb`):
actions at the open, deletions, the actions' cash, dividends paid.

Every step takes the fund record ``f`` (:data:`engine.fund._nb.Fund`) and the session row ``t``.
"""

from __future__ import annotations

import numpy as np

from engine._jit import njit
from engine.enums import (
    ACT_BONUS,
    ACT_CASH_DIVIDEND,
    ACT_RIGHTS,
    ACT_SPLIT,
    COST_WITHHOLDING,
    EVENT_BONUS,
    EVENT_CASH_IN_LIEU,
    EVENT_DELETION,
    EVENT_DIVIDEND,
    EVENT_DIVIDEND_PAID,
    EVENT_RIGHTS,
    EVENT_SPLIT,
    TRADE_DELETION,
    TRADE_REINVEST,
    TRADE_RIGHTS,
)
from engine.fund.trading_nb import _valid, execute, raise_cash


@njit(inline="always")
def push_event(f, t, col, kind, before, after, cash):
    """Append one event record (written when the buffer has room, always counted)."""
    st = f.state[0]
    k = st.n_events
    if k < f.events.shape[0]:
        rec = f.events[k]
        rec.row = t
        rec.col = col
        rec.kind = kind
        rec.shares_before = before
        rec.shares_after = after
        rec.cash_hkd = cash
    st.n_events = k + 1


@njit(inline="always")
def apply_actions(f, t):
    """Corporate actions with ex-date ``t`` on the holdings at the open (step 1); updates the
    adjusted prior close ``f.padj`` in place and returns the net cash they bring in (:math:`X`)."""
    st, day, h, padj, price, lot = f.state[0], f.days[t], f.h, f.padj, f.close[t], f.lot
    actions = f.actions
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
                push_event(
                    f, t, j, EVENT_SPLIT if kind == ACT_SPLIT else EVENT_BONUS, before, new, 0.0
                )
                if lieu > 0.0:
                    st.cash_hkd += lieu
                    x_now += lieu
                    day.cash_in_lieu_hkd += lieu
                    push_event(f, t, j, EVENT_CASH_IN_LIEU, new, new, lieu)
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
                push_event(f, t, j, EVENT_RIGHTS, before, h[j], -pay)
        elif kind == ACT_CASH_DIVIDEND:
            d = act.amount_hkd
            # the index's adjusted prior close: the net TR reinvests d (1 - tau) (tau = 0: gross)
            padj[j] = padj[j] - d * (1.0 - f.wht[j])
            if before > 0.0:
                gross = before * d
                tax = gross * f.wht[j]
                net = gross - tax
                f.costs[t, COST_WITHHOLDING] += tax
                if f.params[0].immediate or act.pay_row <= t:
                    st.cash_hkd += net
                    x_now += net
                    day.dividends_received_hkd += net
                else:
                    st.receivable_hkd += net
                    f.recv_amt[a] = net
                push_event(f, t, j, EVENT_DIVIDEND, before, before, net)
        a += 1
    st.next_action = a
    return x_now


@njit(inline="always")
def sell_deletions(f, t):
    """Sell every holding whose close is NaN at its last (adjusted) close (step 2); returns the cash."""
    st, h, padj, price = f.state[0], f.h, f.padj, f.close[t]
    n = h.shape[0]
    x_now = 0.0
    for j in range(n):
        if h[j] > 0.0 and not _valid(price[j]):
            before = h[j]
            if _valid(padj[j]):
                delta = np.zeros(n)
                delta[j] = -h[j]
                cash0 = st.cash_hkd
                execute(f, t, delta, padj, TRADE_DELETION, 0.0)
                x_now += st.cash_hkd - cash0
                push_event(f, t, j, EVENT_DELETION, before, h[j], st.cash_hkd - cash0)
            else:
                h[j] = 0.0
                push_event(f, t, j, EVENT_DELETION, before, 0.0, 0.0)
    return x_now


@njit(inline="always")
def settle_action_cash(f, t, x_now):
    """Step 3: reinvest (or finance) the actions' cash at once (``immediate``), then cover any
    negative balance by selling pro rata at the close."""
    st, h, padj, price = f.state[0], f.h, f.padj, f.close[t]
    n = h.shape[0]
    if f.params[0].immediate:
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
                execute(f, t, delta, padj, TRADE_REINVEST, 0.0)
        elif x_now < 0.0:
            raise_cash(f, t, -x_now, padj, TRADE_REINVEST, 0.0)
    if st.cash_hkd < 0.0:
        raise_cash(f, t, -st.cash_hkd, price, TRADE_RIGHTS, 0.0)


@njit(inline="always")
def receive_dividends(f, t):
    """Step 4: receivables whose pay date is ``t`` become cash."""
    st, actions, recv_amt = f.state[0], f.actions, f.recv_amt
    n_act = actions.shape[0]
    p = st.next_payment
    while p < n_act and actions[f.pay_order[p]].pay_row <= t:
        k = f.pay_order[p]
        if recv_amt[k] > 0.0:
            j = actions[k].col
            st.cash_hkd += recv_amt[k]
            st.receivable_hkd -= recv_amt[k]
            f.days[t].dividends_received_hkd += recv_amt[k]
            push_event(f, t, j, EVENT_DIVIDEND_PAID, f.h[j], f.h[j], recv_amt[k])
            recv_amt[k] = 0.0
        p += 1
    st.next_payment = p
    if -1e-6 < st.receivable_hkd < 0.0:
        st.receivable_hkd = 0.0  # rounding residue of paid receivables
