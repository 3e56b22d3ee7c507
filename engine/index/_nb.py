"""Numba kernel of the index calculation: one pass over the sessions, three divisors.

:func:`index_kernel` is the pass, a loop over the steps of a session (``_review_step``,
``_prior_capitalisation``, ``_actions_step``, ``_deletions_step``, ``_close_step``);
:func:`index_dense` wraps it for dense inputs.  Names follow the rule of :mod:`engine.rules._nb`.

Only NumPy arrays and scalars cross this boundary; :mod:`engine.index.compute` builds the inputs from
:class:`~engine.data.market.MarketData` and :class:`~engine.rules.schedule.ReviewSchedule`.

The maths
---------
Index shares :math:`q_{i,t}` (shared by the three variants), raw closes :math:`P_{i,t}` in HKD and one
divisor :math:`D^v_t` per variant :math:`v \\in \\{price, gross, net\\}`:

.. math:: I^v_t = \\frac{\\sum_i q_{i,t} P_{i,t}}{D^v_t}.

At the base row :math:`b` the first review's shares :math:`q^{(0)}` are priced and
:math:`D^v_b = \\sum_i q^{(0)}_i P_{i,b} / B` so that :math:`I^v_b = B` (the base value).

On each later session :math:`t`, the kernel keeps per variant an *adjusted prior capitalisation*
:math:`C^v`, starting from :math:`C_0 = \\sum_i q_i P_{i,t-1}`, and every event that changes it from
:math:`a` to :math:`a'` scales the divisor by :math:`a'/a` (the level at the close of :math:`t-1`,
measured on the adjusted basis, does not move).  Events are applied in this order:

1. review effective at :math:`t`: :math:`q \\leftarrow q'` and :math:`D^v = \\sum_i q'_i P_{i,t-1} / I^v_{t-1}`;
2. capital changes with ex-date :math:`t` on constituents, in input order

   * split of ratio :math:`r`: :math:`q_i \\leftarrow r q_i`, :math:`P^{adj}_i = P_{i,t-1}/r` (cap unchanged);
   * bonus of :math:`r` per share: :math:`q_i \\leftarrow (1+r) q_i`, :math:`P^{adj}_i = P_{i,t-1}/(1+r)`;
   * rights, :math:`r` new per old at price :math:`S`: :math:`q_i \\leftarrow (1+r) q_i`,
     :math:`P^{adj}_i = (P_{i,t-1} + rS)/(1+r)` (the TERP), so :math:`C^v` grows by :math:`q^{old}_i r S`;

3. cash dividends :math:`d` (per share held on the ex-date): the price divisor is unchanged, the gross
   and net totals reinvest on the ex-date: :math:`C^{gross} \\leftarrow C^{gross} - q_i d` and
   :math:`C^{net} \\leftarrow C^{net} - q_i d (1 - \\tau_i)` with :math:`\\tau_i` the withholding rate;
4. deletion of a constituent whose close is NaN at :math:`t`: it leaves at its last close,
   :math:`C^v \\leftarrow C^v - q_i P^{adj}_i`, then :math:`q_i = 0`.

Cost: the kernel keeps the current constituents in *slots* (the review's columns, ascending), so a
session costs :math:`O(K)` for :math:`K` constituents and a review :math:`O(N)`; the dense
``[day, code]`` shares and weights are built only on request (:func:`dense_shares`,
:func:`dense_weights`) from the per-slot shares it records.

Hence the chain-linked identity :math:`I^v_t = I^v_{t-1} \\sum_i q_{i,t} P_{i,t} / C^v` that the tests
use as an oracle.  The caller must order the action records by row, with capital changes before cash
dividends inside a row (``compute`` does).
"""

from __future__ import annotations

import numpy as np

from engine._jit import njit
from engine.enums import (
    ACT_BONUS,
    ACT_CASH_DIVIDEND,
    ACT_RIGHTS,
    ACT_SPLIT,
    EV_DELETION,
    EV_REVIEW,
    EVENT_LABELS,
)
from engine.prepare import ACTION_DT

# event kinds: the event codes of engine.enums (a corporate action is logged under its kind's code)
EV_SPLIT = ACT_SPLIT
EV_BONUS = ACT_BONUS
EV_RIGHTS = ACT_RIGHTS
EV_CASH_DIVIDEND = ACT_CASH_DIVIDEND
EVENT_NAMES = EVENT_LABELS[: EV_DELETION + 1]

# status codes returned by the kernel (compute turns them into errors)
ST_OK = 0
ST_EMPTY = 1  # every constituent left the index (no capitalisation to divide by)
ST_NAN_PRICE = 2  # a constituent has no close on the session before a review brings it in
ST_BAD_DIVIDEND = 3  # a cash dividend would take the adjusted prior capitalisation to zero or below


@njit(inline="always")
def _fail(status, code, row, col):
    status[0] = code
    status[1] = row
    status[2] = col


@njit
def _load_review(k, rev_ptr, rev_col, rev_q, close, prow, cols, q, pos, status):
    """Set the slots to review ``k`` and return :math:`\\sum_s q_s P_{s,prow}` (NaN price: status)."""
    for s in range(cols.shape[0]):
        if cols[s] >= 0:
            pos[cols[s]] = -1
        cols[s] = -1
        q[s] = 0.0
    c0 = 0.0
    lo = rev_ptr[k]
    for s in range(rev_ptr[k + 1] - lo):
        j = rev_col[lo + s]
        cols[s] = j
        q[s] = rev_q[lo + s]
        pos[j] = s
        if np.isnan(close[prow, j]):
            _fail(status, ST_NAN_PRICE, prow, j)
            return c0
        c0 += q[s] * close[prow, j]
    if not c0 > 0.0:
        _fail(status, ST_EMPTY, prow, -1)
    return c0


@njit(inline="always")
def _log(ev, ev_div, n_ev, row, kind, col, ref, div):
    """Append an event with the divisors before it; returns its position."""
    ev[n_ev]["row"] = row
    ev[n_ev]["kind"] = kind
    ev[n_ev]["col"] = col
    ev[n_ev]["ref"] = ref
    for v in range(3):
        ev_div[n_ev, v] = div[v]
    return n_ev


@njit(inline="always")
def _logged(ev_div, e, div):
    """Record the divisors after event ``e``."""
    for v in range(3):
        ev_div[e, 3 + v] = div[v]


@njit(inline="always")
def _rescale(div, cap, v, new_cap):
    div[v] *= new_cap / cap[v]
    cap[v] = new_cap


@njit
def _apply_action(a, act, s, q, padj, div, cap, wht_j):
    """Apply action ``a`` to slot ``s`` (see the module docstring, steps 2 and 3)."""
    kind = act["kind"][a]
    r = act["ratio"][a]
    if kind == EV_SPLIT:
        q[s] *= r
        padj[s] /= r
    elif kind == EV_BONUS:
        q[s] *= 1.0 + r
        padj[s] /= 1.0 + r
    elif kind == EV_RIGHTS:
        extra = q[s] * r * act["price_hkd"][a]
        q[s] *= 1.0 + r
        padj[s] = (padj[s] + r * act["price_hkd"][a]) / (1.0 + r)
        for v in range(3):
            _rescale(div, cap, v, cap[v] + extra)
    elif kind == EV_CASH_DIVIDEND:
        cash = q[s] * act["amount_hkd"][a]
        _rescale(div, cap, 1, cap[1] - cash)
        _rescale(div, cap, 2, cap[2] - cash * (1.0 - wht_j))


EVENT_DT = np.dtype(
    [
        ("row", np.int64),
        ("kind", np.int64),
        ("col", np.int64),  # -1 for reviews
        ("ref", np.int64),  # review number or action position; -1 for deletions
    ]
)
"""One event of the index run; its divisors (before then after, price/gross/net) go in ``ev_div``."""


# The steps of a session are inlined into index_kernel and entered only when they have work (a review,
# an action, a missing close): a call per session with a dozen array arguments made the run ~1.9x
# slower (the 10,000-variant sweep runs it once per distinct variant).
@njit(inline="always")
def _review_step(
    t, ri, rev_ptr, rev_col, rev_q, close, cols, q, pos, div, levels, ev, ev_div, n_ev, status
):
    """Session ``t``, step 1: review ``ri`` takes effect; its shares priced at the closes of
    ``t - 1`` set every divisor so that the level is unchanged.  Returns the events logged."""
    c0 = _load_review(ri, rev_ptr, rev_col, rev_q, close, t - 1, cols, q, pos, status)
    if status[0] != ST_OK:
        if status[0] == ST_EMPTY:
            status[1] = t
        return n_ev
    e = _log(ev, ev_div, n_ev, t, EV_REVIEW, -1, ri, div)
    for v in range(3):
        div[v] = c0 / levels[t - 1, v]
    _logged(ev_div, e, div)
    return n_ev + 1


@njit(inline="always")
def _prior_capitalisation(t, n_slots, close, cols, q, padj, cap):
    """The prior capitalisation :math:`C = \\sum_s q_s P_{s,t-1}` of every variant, from the raw
    prior closes (``padj``: the prior close of each slot, adjusted by the actions of ``t``).
    Returns whether a constituent has no close at ``t`` (step 4 then runs)."""
    c0 = 0.0
    missing = False
    for s in range(n_slots):
        if q[s] > 0.0:
            padj[s] = close[t - 1, cols[s]]
            c0 += q[s] * padj[s]
            missing |= np.isnan(close[t, cols[s]])
    for v in range(3):
        cap[v] = c0
    return missing


@njit(inline="always")
def _actions_step(t, ai, act, pos, q, padj, div, cap, wht, ev, ev_div, n_ev, status):
    """Session ``t``, steps 2 and 3: the corporate actions with ex-date ``t`` (from ``ai`` on) on
    constituents, capital changes before cash dividends.  Returns the next action and the events
    logged (stops with :data:`ST_BAD_DIVIDEND` on a dividend worth the whole capitalisation)."""
    A = act.shape[0]
    while ai < A and act["row"][ai] == t:
        j = act["col"][ai]
        s = pos[j]
        if s >= 0 and q[s] > 0.0:
            if act["kind"][ai] == EV_CASH_DIVIDEND and not (
                cap[1] - q[s] * act["amount_hkd"][ai] > 0.0
            ):
                _fail(status, ST_BAD_DIVIDEND, t, j)
                break
            e = _log(ev, ev_div, n_ev, t, act["kind"][ai], j, ai, div)
            _apply_action(ai, act, s, q, padj, div, cap, wht[j])
            _logged(ev_div, e, div)
            n_ev += 1
        ai += 1
    return ai, n_ev


@njit(inline="always")
def _deletions_step(t, n_slots, close, cols, q, padj, div, cap, ev, ev_div, n_ev, status):
    """Session ``t``, step 4: a constituent without a close at ``t`` leaves at its (adjusted) last
    close, every divisor rescaled; :data:`ST_EMPTY` when none is left.  Returns the events logged."""
    active = 0
    for s in range(n_slots):
        if q[s] > 0.0 and np.isnan(close[t, cols[s]]):
            gone = q[s] * padj[s]
            e = _log(ev, ev_div, n_ev, t, EV_DELETION, cols[s], -1, div)
            for v in range(3):
                _rescale(div, cap, v, cap[v] - gone)
            _logged(ev_div, e, div)
            n_ev += 1
            q[s] = 0.0
        if q[s] > 0.0:
            active += 1
    if active == 0:
        _fail(status, ST_EMPTY, t, -1)
    return n_ev


@njit(inline="always")
def _close_step(t, n_slots, close, cols, q, div, review, levels, divisors, slot_q, seg):
    """The close of ``t``: :math:`I^v_t = \\sum_s q_s P_{s,t} / D^v`, the shares and the review in
    force recorded."""
    total = 0.0
    for s in range(n_slots):
        if q[s] > 0.0:
            total += q[s] * close[t, cols[s]]
    for s in range(n_slots):
        slot_q[t, s] = q[s]
    seg[t] = review
    for v in range(3):
        divisors[t, v] = div[v]
        levels[t, v] = total / div[v]


@njit
def index_kernel(
    close, base_row, base_value, review_rows, rev_ptr, rev_col, rev_q, act, wht, ev, ev_div
):
    """Run the divisor recursion over the sessions ``base_row .. T-1``.

    Parameters
    ----------
    close : float64[T, N]
        Raw closes in HKD, NaN outside a security's priced life.
    base_row : int
        Row of the base date; ``review_rows[0]`` must be ``base_row + 1``.
    base_value : float
        Level of every variant at ``base_row``.
    review_rows : int64[R]
        Rows of the effective dates, strictly increasing.
    rev_ptr : int64[R + 1]
        Review ``k``'s constituents are ``rev_col[rev_ptr[k]:rev_ptr[k+1]]`` (ascending columns).
    rev_col, rev_q : int64[M], float64[M]
        Constituent columns and their index shares (positive).
    act : ACTION_DT[A]
        Corporate actions (:func:`engine.prepare.action_records`), sorted by row, capital changes
        before cash dividends within a row.
    wht : float64[N]
        Withholding-tax rate per security for the net total return.
    ev : EVENT_DT[E], ev_div : float64[E, 6]
        Room (``E >= R + A + M + 1``) for the event log, filled by field name, and each event's
        divisors before (``price, gross, net``) then after it.

    Returns
    -------
    levels, divisors : float64[T, 3]
        ``price, gross, net`` levels (NaN before ``base_row``) and the divisors at each close.
    slot_q : float64[T, K]
        Index shares in force at each close, by slot of the review in force (``K`` the largest
        constituent count).
    seg : int64[T]
        Review in force at each close (-1 before ``base_row`` or after a failure).
    n_ev : int
        Events logged in ``ev``.
    status : int64[3]
        ``(code, row, column)``; code :data:`ST_OK` when the run completed, otherwise the kernel stops
        at ``row`` (``column`` = the security concerned, -1 when none).
    """
    T, N = close.shape
    R = review_rows.shape[0]
    A = act.shape[0]
    K = 0
    for k in range(R):
        K = max(K, rev_ptr[k + 1] - rev_ptr[k])
    levels = np.full((T, 3), np.nan)
    divisors = np.full((T, 3), np.nan)
    slot_q = np.zeros((T, K))
    seg = np.full(T, -1, dtype=np.int64)
    status = np.zeros(3, dtype=np.int64)
    status[1] = -1
    status[2] = -1
    n_ev = 0
    cols = np.full(K, -1, dtype=np.int64)
    q = np.zeros(K)
    padj = np.zeros(K)
    pos = np.full(N, -1, dtype=np.int64)
    div = np.zeros(3)
    cap = np.zeros(3)

    # ---- base row: price the first composition so that every level equals base_value
    c0 = _load_review(0, rev_ptr, rev_col, rev_q, close, base_row, cols, q, pos, status)
    if status[0] != ST_OK:
        return levels, divisors, slot_q, seg, n_ev, status
    for v in range(3):
        div[v] = c0 / base_value
        levels[base_row, v] = base_value
        divisors[base_row, v] = div[v]
    for s in range(K):
        slot_q[base_row, s] = q[s]
    seg[base_row] = 0

    ri = 0
    ai = 0
    while ai < A and act["row"][ai] <= base_row:
        ai += 1

    for t in range(base_row + 1, T):
        if ri < R and review_rows[ri] == t:  # 1. a review effective at t
            n_ev = _review_step(
                t,
                ri,
                rev_ptr,
                rev_col,
                rev_q,
                close,
                cols,
                q,
                pos,
                div,
                levels,
                ev,
                ev_div,
                n_ev,
                status,
            )
            if status[0] != ST_OK:
                break
            ri += 1
        n_slots = rev_ptr[ri] - rev_ptr[ri - 1]
        missing = _prior_capitalisation(t, n_slots, close, cols, q, padj, cap)
        if ai < A and act["row"][ai] == t:  # 2./3. corporate actions with ex-date t
            ai, n_ev = _actions_step(
                t, ai, act, pos, q, padj, div, cap, wht, ev, ev_div, n_ev, status
            )
            if status[0] != ST_OK:
                break
        if missing:  # 4. constituents without a close leave at their last close
            n_ev = _deletions_step(
                t, n_slots, close, cols, q, padj, div, cap, ev, ev_div, n_ev, status
            )
            if status[0] != ST_OK:
                break
        _close_step(t, n_slots, close, cols, q, div, ri - 1, levels, divisors, slot_q, seg)

    return levels, divisors, slot_q, seg, n_ev, status


@njit
def dense_shares(slot_q, seg, rev_ptr, rev_col, n_codes, first_row):
    """``[T - first_row, N]`` index shares from the per-slot record of :func:`index_dense`."""
    T = slot_q.shape[0]
    out = np.zeros((T - first_row, n_codes))
    for t in range(first_row, T):
        k = seg[t]
        if k < 0:
            continue
        lo = rev_ptr[k]
        for s in range(rev_ptr[k + 1] - lo):
            out[t - first_row, rev_col[lo + s]] = slot_q[t, s]
    return out


@njit
def dense_weights(slot_q, seg, rev_ptr, rev_col, close, first_row):
    """``[T - first_row, N]`` end-of-day weights :math:`q_{i,t} P_{i,t} / \\sum_j q_{j,t} P_{j,t}`."""
    T, N = close.shape
    out = np.zeros((T - first_row, N))
    for t in range(first_row, T):
        if seg[t] >= 0:
            weights_at(slot_q, seg, rev_ptr, rev_col, close, t, out[t - first_row])
    return out


@njit
def weights_at(slot_q, seg, rev_ptr, rev_col, close, t, out):
    """The end-of-day index weights of session ``t`` (review ``seg[t] >= 0`` in force) written into
    ``out [N]`` at the constituents' columns (the other entries are left as they are)."""
    k = seg[t]
    lo = rev_ptr[k]
    n = rev_ptr[k + 1] - lo
    total = 0.0
    for s in range(n):
        if slot_q[t, s] > 0.0:
            total += slot_q[t, s] * close[t, rev_col[lo + s]]
    for s in range(n):
        if slot_q[t, s] > 0.0:
            out[rev_col[lo + s]] = slot_q[t, s] * close[t, rev_col[lo + s]] / total


def sparse_reviews(review_q: np.ndarray):
    """``rev_ptr, rev_col, rev_q`` of :func:`index_kernel` from dense ``[review, security]`` shares."""
    # row-major: each review's columns ascending (a flat boolean search is ~10x np.nonzero's 2-D one)
    rows, cols = np.divmod(np.flatnonzero(review_q != 0), review_q.shape[1])
    ptr = np.zeros(review_q.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=review_q.shape[0]), out=ptr[1:])
    return ptr, cols.astype(np.int64), np.ascontiguousarray(review_q[rows, cols], dtype=np.float64)


def index_dense(close, base_row, base_value, review_rows, review_q, actions, wht):
    """:func:`index_kernel` on dense inputs with dense outputs (tests, benchmarks, one-off use).

    Takes ``review_q`` as ``float64[R, N]`` and the actions as ``(row, col, kind, ratio, price_hkd,
    amount_hkd)`` tuples; returns ``levels, divisors, q_daily [T, N], weights [T, N], events
    (EVENT_DT[E]), ev_div [E, 6], status``.
    """
    act = np.zeros(len(actions), dtype=ACTION_DT)
    for i, a in enumerate(actions):
        act[i] = (*a, 0, 0)  # pay_row, source_row: not read by the index
    ptr, cols, q = sparse_reviews(np.asarray(review_q, dtype=np.float64))
    n_ev = len(review_rows) + len(act) + len(cols) + 1
    ev = np.zeros(n_ev, dtype=EVENT_DT)
    ev_div = np.zeros((n_ev, 6))
    levels, divisors, slot_q, seg, n, status = index_kernel(
        close, base_row, base_value, review_rows, ptr, cols, q, act, wht, ev, ev_div
    )
    shares = dense_shares(slot_q, seg, ptr, cols, close.shape[1], 0)
    weights = dense_weights(slot_q, seg, ptr, cols, close, 0)
    return levels, divisors, shares, weights, ev[:n], ev_div[:n], status
