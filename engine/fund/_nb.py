"""Numba kernel of the ETF simulation: named steps over one fund record, one pass per variant.

Only NumPy arrays, structured arrays, named tuples of them and scalars cross this boundary;
:mod:`engine.fund.backtest` builds the inputs.  Codes (trade reasons, events, cost kinds, payers)
come from :mod:`engine.enums`.  The trading routines are in :mod:`engine.fund.trading_nb`, the
corporate-action steps in :mod:`engine.fund.actions_nb`.

Records
-------
:data:`FundArrays` (the inputs shared by every variant), :data:`Books` (what a run fills) and
:data:`Fund` (both, with the variant's settings and the working arrays: built once by
:func:`open_fund`, the one argument every step takes besides the session row ``t``).
Three hot routines take the few arrays they touch instead: :func:`accrue_fees` and
:func:`record_day` (every session) and :func:`engine.fund.trading_nb.fill` (every trade).  Numba
counts a reference for each of the record's 25 arrays whenever a routine receives it (about 130 ns
a call); on the default market's 8,574 trades that doubled the kernel's time.
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

from collections import namedtuple

import numpy as np

from engine._jit import njit, prange
from engine.enums import (
    COST_CUSTODY_FEE,
    COST_FX,
    COST_MANAGEMENT_FEE,
    N_COSTS,
    PAYER_PARTICIPANT,
    TRADE_CREATION,
    TRADE_FEE,
    TRADE_INCEPTION,
    TRADE_REDEMPTION,
    TRADE_REINVEST,
)
from engine.fund.actions_nb import (
    apply_actions,
    receive_dividends,
    sell_deletions,
    settle_action_cash,
)
from engine.fund.trading_nb import _value, invest, nav_hkd, raise_cash, rebalance_reviews


def _dtype(spec: str) -> np.dtype:
    """A record dtype from ``"name name:i name:b ..."``: float64 fields, ``:i`` int64, ``:b`` bool."""
    kinds = {"": np.float64, "i": np.int64, "b": np.bool_}
    return np.dtype([(n, kinds[k]) for n, _, k in (f.partition(":") for f in spec.split())])


STATE_DT = _dtype(
    "cash_hkd receivable_hkd accrued_hkd payable_hkd units not_due_hkd "
    "next_action:i next_payment:i next_review:i n_trades:i n_events:i"
)
PARAMS_DT = _dtype(
    "management_fee custody_fee cash_buffer sweep fx_spread initial_value_hkd initial_units "
    "use_lots:b immediate:b lag:i creation_payer:i true_up:b"
)
TRADE_DT = _dtype(
    "row:i col:i side:i shares price_hkd value_hkd cost_hkd participant_cost_hkd cash_after_hkd "
    "reason:i"
)
EVENT_DT = _dtype("row:i col:i kind:i shares_before shares_after cash_hkd")

DAY_STATE_FIELDS = tuple(
    "cash_hkd receivable_hkd accrued_fees_hkd payable_hkd units nav_hkd value_hkd".split()
)
LEDGER_FIELDS = tuple(
    "subscriptions_hkd redemptions_paid_hkd dividends_received_hkd fees_paid_hkd buys_hkd "
    "sells_hkd trading_costs_hkd rights_paid_hkd cash_in_lieu_hkd participant_costs_hkd".split()
)
"""The day's cash movements (HKD, all >= 0).  ``trading_costs_hkd`` are the fund's;
``participant_costs_hkd`` the trading and conversion costs borne by creating/redeeming participants
(paid by them, outside the NAV)."""
DAY_DT = _dtype(" ".join(DAY_STATE_FIELDS + LEDGER_FIELDS))

FundArrays = namedtuple(
    "FundArrays",
    "close lot_raw wht days_elapsed pay_fee_days target_q rev_rows rev_q actions flow_units",
)
"""The inputs of a run, shared by every variant with the same sessions, lots, withholding and flows:

* ``close`` float64[T, N]: raw closes in HKD (NaN when not listed);
* ``lot_raw`` float64[N]: board lot per security (used when ``params.use_lots``; 0 = fractional);
* ``wht`` float64[N]: dividend withholding rate per security;
* ``days_elapsed`` float64[T]: calendar days since the previous session (0 on row 0);
* ``pay_fee_days`` bool[T]: sessions on which accrued fees are paid (and always the last one);
* ``target_q`` float64[T, N]: index shares used to invest creation cash at each close (the new ones
  on a review's close);
* ``rev_rows``, ``rev_q`` int64[R], float64[R, N]: rows of the review closes (ascending) and the
  reviews' index shares;
* ``actions`` ACTION_DT[A]: corporate actions sorted by ex-date row (capital changes before cash
  dividends in a row); the pay row is ``T`` when it falls after the last session;
* ``flow_units`` float64[T]: units created (+) or cancelled (-) at each close.
"""
Books = namedtuple("Books", "state hold days costs pcosts trades events")
"""What a run fills:

* ``state`` STATE_DT[1]: zeroed on entry; holds the cursors and counts on exit;
* ``hold`` float64[T, N] or float64[0, N]: shares held at each close (not recorded without rows);
* ``days`` DAY_DT[T]: the state at each close and the day's cash movements;
* ``costs``, ``pcosts`` float64[T, N_COSTS]: costs borne by the fund and by participants, HKD, by
  kind (:data:`engine.enums.COST_KINDS`);
* ``trades``, ``events`` TRADE_DT[M], EVENT_DT[E]: filled up to their capacity;
  ``state[0].n_trades`` and ``n_events`` count them all.
"""
Fund = namedtuple(
    "Fund",
    FundArrays._fields[:1]
    + FundArrays._fields[2:]
    + ("params", "rates")
    + Books._fields
    + ("h", "lot", "padj", "pend_in", "pend_out", "recv_amt", "pay_order"),
)
"""The one record every step takes: the :data:`FundArrays` (but ``lot_raw``), ``params``
(PARAMS_DT[1], the variant's settings), ``rates`` (float64[K], the per-side trading-cost rates in
:data:`engine.enums.TRADING_COST_KINDS` order), the :data:`Books`, and the working arrays: holdings
``h`` (shares), ``lot`` (the board lots in use, 0 = fractional), the adjusted prior close ``padj``,
creation cash ``pend_in`` and redemptions ``pend_out`` by due row, dividends receivable per action
``recv_amt`` and the actions in pay-date order ``pay_order``."""


def records(shape, dtype) -> np.recarray:
    """Zeroed records of ``dtype``, as a recarray so that the kernels' attribute access
    (``st.cash_hkd += x``) also works as plain Python under ``NUMBA_DISABLE_JIT=1``."""
    return np.zeros(shape, dtype=dtype).view(np.recarray)


def books(T: int, N: int, n_trades: int, n_events: int, keep_holdings: bool = True) -> Books:
    """Zeroed :data:`Books` for ``T`` sessions of ``N`` securities."""
    return Books(
        records(1, STATE_DT),
        np.zeros((T if keep_holdings else 0, N)),
        records(T, DAY_DT),
        np.zeros((T, N_COSTS)),
        np.zeros((T, N_COSTS)),
        records(n_trades, TRADE_DT),
        records(n_events, EVENT_DT),
    )


@njit
def open_fund(a, params, rates, b):
    """The :data:`Fund` record of one run of ``params`` (PARAMS_DT[1]) on ``a`` into ``b``."""
    T, n = a.close.shape
    n_act = a.actions.shape[0]
    pay_rows = np.zeros(n_act)  # float64: sorted by the argsort execute compiles anyway
    for k in range(n_act):
        pay_rows[k] = a.actions[k].pay_row
    lag = params[0].lag
    return Fund(
        a.close, a.wht, a.days_elapsed, a.pay_fee_days, a.target_q, a.rev_rows, a.rev_q,
        a.actions, a.flow_units, params, rates,
        b.state, b.hold, b.days, b.costs, b.pcosts, b.trades, b.events,
        np.zeros(n), a.lot_raw * 1.0 if params[0].use_lots else np.zeros(n), np.zeros(n),
        np.zeros(T + lag + 1), np.zeros(T + lag + 1), np.zeros(n_act),
        np.argsort(pay_rows, kind="mergesort"),
    )  # fmt: skip


# ------------------------------------------------------------------------------------ day steps
@njit(inline="always")
def _conversion_cost(f, t, fxc, participant):
    """Book the CNY<->HKD conversion cost ``fxc`` of a flow as the participant's or the fund's;
    returns the fund's part."""
    if participant:
        f.pcosts[t, COST_FX] += fxc
        f.days[t].participant_costs_hkd += fxc
        return 0.0
    f.costs[t, COST_FX] += fxc
    return fxc


@njit(inline="always")
def launch(f, t):
    """Row ``t`` = 0: issue the initial units and invest their cash (less the buffer) at the index weights.

    The seed participant pays ``initial_value_hkd``; the conversion cost :math:`x \\cdot spread` and
    the purchase costs are borne by the fund (``creation_payer`` fund: the inception NAV per unit is
    struck after them) or by the seed participant (the NAV per unit at the inception close is then
    exactly ``initial_value_hkd / initial_units`` in HKD)."""
    st, params = f.state[0], f.params[0]
    participant = params.creation_payer == PAYER_PARTICIPANT
    st.units = params.initial_units
    x = params.initial_value_hkd
    st.cash_hkd = x - _conversion_cost(f, t, x * params.fx_spread, participant)
    f.days[t].subscriptions_hkd += x
    amount = st.cash_hkd * (1.0 - params.cash_buffer)
    invest(f, t, amount, TRADE_INCEPTION, 1.0 if participant else 0.0)


@njit(inline="always")
def accrue_fees(st, params, h, price, days_elapsed, costs):
    """Step 5: :math:`accrued \\mathrel{+}= NAV_t f_k \\, days_t / 365` for management and custody
    (``costs`` the session's row of the fund's cost book)."""
    if days_elapsed > 0.0:
        nav = nav_hkd(st, h, price)
        fee = nav * params.management_fee * days_elapsed / 365.0
        if fee > 0.0:
            st.accrued_hkd += fee
            costs[COST_MANAGEMENT_FEE] += fee
        fee = nav * params.custody_fee * days_elapsed / 365.0
        if fee > 0.0:
            st.accrued_hkd += fee
            costs[COST_CUSTODY_FEE] += fee


@njit(inline="always")
def issue_units(f, t):
    """Step 7: create (``u > 0``) or cancel units at :math:`NAV_t / U`; the cash is traded ``lag``
    sessions later.  The conversion cost is the fund's or the participant's (``creation_payer``)."""
    st, params = f.state[0], f.params[0]
    u = f.flow_units[t]
    if u == 0.0 or st.units <= 0.0:
        return
    participant = params.creation_payer == PAYER_PARTICIPANT
    nav_per_unit = nav_hkd(st, f.h, f.close[t]) / st.units
    due = t + params.lag
    if u > 0.0:
        cash_in = u * nav_per_unit
        fxc = _conversion_cost(f, t, cash_in * params.fx_spread, participant)
        st.cash_hkd += cash_in - fxc
        f.days[t].subscriptions_hkd += cash_in
        f.pend_in[due] += cash_in - fxc
        st.not_due_hkd += cash_in - fxc
    else:
        out = -u * nav_per_unit
        fxc = _conversion_cost(f, t, out * params.fx_spread, participant)
        st.payable_hkd += out + fxc
        f.pend_out[due] += out + fxc
    st.units += u


@njit(inline="always")
def true_up_creation(f, t):
    """Step 7b (``EtfConfig.creation_true_up``, with a lag): the creation cash due at ``t`` is
    corrected by :math:`x = D (V_t / V_{t-lag} - 1)`, :math:`V` the holdings :math:`h` valued at each
    close, paid in (or refunded) by the participant, so that the price move over the lag is not the
    fund's."""
    pend_in = f.pend_in
    if not pend_in[t] > 0.0:
        return
    h, price_then, price = f.h, f.close[t - f.params[0].lag], f.close[t]
    v_then = 0.0
    v_now = 0.0
    for i in range(h.shape[0]):
        if h[i] != 0.0 and price_then[i] > 0.0 and price[i] > 0.0:
            v_then += h[i] * price_then[i]
            v_now += h[i] * price[i]
    if v_then <= 0.0:
        return
    st = f.state[0]
    x = pend_in[t] * (v_now / v_then - 1.0)
    st.cash_hkd += x
    st.not_due_hkd += x
    pend_in[t] += x
    f.days[t].subscriptions_hkd += x


@njit(inline="always")
def settle_flows(f, t):
    """Step 8: pay the redemptions due (raising cash pro rata when short) and invest the creation cash
    due, or idle cash above the sweep level, at the index weights."""
    st, params, price, pend_out = f.state[0], f.params[0], f.close[t], f.pend_out
    participant = params.creation_payer == PAYER_PARTICIPANT
    due_out = pend_out[t]
    if t == f.close.shape[0] - 1:
        for k in range(t + 1, pend_out.shape[0]):
            due_out += pend_out[k]
    if due_out > 0.0:
        charged = 0.0
        if st.cash_hkd < due_out:
            share = 1.0 if participant else 0.0
            need = due_out - st.cash_hkd
            charged = raise_cash(f, t, need, price, TRADE_REDEMPTION, share)
        st.cash_hkd -= due_out
        st.payable_hkd -= due_out
        f.days[t].redemptions_paid_hkd += (
            due_out - charged
        )  # the participant's selling costs withheld
    due_in = f.pend_in[t]
    st.not_due_hkd -= due_in
    if st.not_due_hkd < 0.0:
        st.not_due_hkd = 0.0
    nav = nav_hkd(st, f.h, price)
    amount = (
        st.cash_hkd - st.accrued_hkd - st.payable_hkd - params.cash_buffer * nav - st.not_due_hkd
    )
    if amount > 1e-9 * abs(nav) and (due_in > 0.0 or amount > params.sweep * nav):
        reason = TRADE_CREATION if due_in > 0.0 else TRADE_REINVEST
        share = 0.0
        if participant and due_in > 0.0:
            share = due_in / amount if due_in < amount else 1.0
        invest(f, t, amount, reason, share)


@njit(inline="always")
def pay_fees(f, t):
    """Step 9 (a fee-payment day, and the last session): pay the accrued fees from cash, selling
    pro rata when cash is short."""
    st = f.state[0]
    if not st.accrued_hkd > 0.0:
        return
    if st.cash_hkd < st.accrued_hkd:
        raise_cash(f, t, st.accrued_hkd - st.cash_hkd, f.close[t], TRADE_FEE, 0.0)
    st.cash_hkd -= st.accrued_hkd
    f.days[t].fees_paid_hkd += st.accrued_hkd
    st.accrued_hkd = 0.0


@njit(inline="always")
def record_day(st, day, h, price, hold, t):
    """The state at the close into the day record (and the holdings, when they are kept)."""
    value = _value(h, price)
    day.cash_hkd = st.cash_hkd
    day.receivable_hkd = st.receivable_hkd
    day.accrued_fees_hkd = st.accrued_hkd
    day.payable_hkd = st.payable_hkd
    day.units = st.units
    day.nav_hkd = value + st.cash_hkd + st.receivable_hkd - st.accrued_hkd - st.payable_hkd
    day.value_hkd = value
    if hold.shape[0] > t:
        for i in range(h.shape[0]):  # a loop: hold[t] = h compiles NumPy's shape-error formatting
            hold[t, i] = h[i]


# ------------------------------------------------------------------------------------ the loop
@njit
def simulate(a, params, rates, b):
    """Simulate the fund over the sessions ``0 .. T-1`` (row 0 = inception) for one variant.

    ``a`` are the :data:`FundArrays`, ``params`` the variant's PARAMS_DT[1] record, ``rates`` its
    per-side trading-cost rates (float64[6]: stamp duty, SFC levy, AFRC levy, trading fee, brokerage,
    impact); ``b`` the :data:`Books` the run fills.  Each session runs the steps of the module's
    order of events on the one :data:`Fund` record.
    """
    f = open_fund(a, params, rates, b)
    st, p = b.state[0], params[0]
    T, n_rev = a.close.shape[0], a.rev_rows.shape[0]
    close, padj, rev_rows = a.close, f.padj, a.rev_rows
    flow_units, pay_fee_days = a.flow_units, a.pay_fee_days
    actions, pay_order, n_act = a.actions, f.pay_order, a.actions.shape[0]
    for t in range(T):  # the guards keep the steps' calls to the sessions they act on
        if t == 0:
            launch(f, t)
        else:  # steps 1-4; the adjusted prior close starts at the previous close
            for i in range(padj.shape[0]):
                padj[i] = close[t - 1, i]
            x_now = 0.0
            if st.next_action < n_act and actions[st.next_action].row <= t:
                x_now = apply_actions(f, t)
            x_now += sell_deletions(f, t)
            if x_now != 0.0 or st.cash_hkd < 0.0:
                settle_action_cash(f, t, x_now)
            if st.next_payment < n_act and actions[pay_order[st.next_payment]].pay_row <= t:
                receive_dividends(f, t)
        accrue_fees(st, p, f.h, close[t], a.days_elapsed[t], b.costs[t])
        if st.next_review < n_rev and rev_rows[st.next_review] <= t:
            rebalance_reviews(f, t)
        if flow_units[t] != 0.0:
            issue_units(f, t)
        if p.true_up and p.lag > 0 and t >= p.lag:
            true_up_creation(f, t)
        settle_flows(f, t)
        if pay_fee_days[t] or t == T - 1:
            pay_fees(f, t)
        record_day(st, b.days[t], f.h, close[t], b.hold, t)


@njit(parallel=True)
def simulate_batch(a, fx, params, rates, states, days, no_trades, no_events, costs_cny, pcosts_cny):
    """:func:`simulate` for every record of ``params`` (``rates[v]`` its cost rates), in parallel.

    ``states`` (``STATE_DT[V]``, zeroed) and ``days`` (``DAY_DT[V, T]``) are filled per variant;
    ``no_trades`` and ``no_events`` are empty buffers (trades and events are only counted), holdings
    are not kept.  ``costs_cny`` and ``pcosts_cny`` (``float64[V, N_COSTS]``) receive each variant's
    fund and participant costs over the run in CNY, :math:`\\sum_t c_{t,k} fx_t`."""
    T, n = a.close.shape
    for v in prange(params.shape[0]):
        costs = np.zeros((T, N_COSTS))
        pcosts = np.zeros((T, N_COSTS))
        b = Books(states[v : v + 1], np.zeros((0, n)), days[v], costs, pcosts, no_trades, no_events)
        simulate(a, params[v : v + 1], rates[v], b)
        for k in range(N_COSTS):
            x = 0.0
            y = 0.0
            for t in range(T):
                x += costs[t, k] * fx[t]
                y += pcosts[t, k] * fx[t]
            costs_cny[v, k] = x
            pcosts_cny[v, k] = y
