"""Numba kernel of the index calculation: one pass over the sessions, three divisors.

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

Hence the chain-linked identity :math:`I^v_t = I^v_{t-1} \\sum_i q_{i,t} P_{i,t} / C^v` that the tests
use as an oracle.  The caller must order the action records by row, with capital changes before cash
dividends inside a row (``compute`` does).
"""

from __future__ import annotations

import numpy as np

from engine._jit import njit

# event kinds (also the action kind codes for the four corporate actions)
EV_REVIEW = 0
EV_SPLIT = 1
EV_BONUS = 2
EV_RIGHTS = 3
EV_CASH_DIVIDEND = 4
EV_DELETION = 5
EVENT_NAMES = ("review", "split", "bonus", "rights", "cash_dividend", "deletion")

# status codes returned by the kernel (compute turns them into errors)
ST_OK = 0
ST_EMPTY = 1  # every constituent left the index (no capitalisation to divide by)
ST_NAN_PRICE = 2  # a constituent has no close on the session before a review brings it in
ST_BAD_DIVIDEND = 3  # a cash dividend would take the adjusted prior capitalisation to zero or below


@njit
def index_kernel(
    close,
    base_row,
    base_value,
    review_rows,
    review_q,
    act_row,
    act_col,
    act_kind,
    act_ratio,
    act_price,
    act_amount,
    wht,
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
    review_q : float64[R, N]
        Index shares of each review (0 for non-constituents).
    act_row, act_col, act_kind : int64[A]
        Ex-date row, column and kind code (:data:`EV_SPLIT` .. :data:`EV_CASH_DIVIDEND`) of each action,
        sorted by row, capital changes before cash dividends within a row.
    act_ratio, act_price, act_amount : float64[A]
        Ratio (split, bonus, rights), subscription price (rights) and cash amount per share (dividend).
    wht : float64[N]
        Withholding-tax rate per security for the net total return.

    Returns
    -------
    levels : float64[T, 3]
        ``price, gross, net`` levels (NaN before ``base_row``).
    divisors : float64[T, 3]
        Divisors in force at each close.
    q_daily : float64[T, N]
        Index shares in force at each close.
    weights : float64[T, N]
        End-of-day weights :math:`q_{i,t} P_{i,t} / \\sum_j q_{j,t} P_{j,t}`.
    ev_row, ev_kind, ev_col, ev_ref : int64[E]
        Event row, kind, column (-1 for reviews) and reference (review number or action position;
        -1 for deletions).
    ev_div : float64[E, 6]
        Divisors before (``price, gross, net``) then after each event.
    status : int64[3]
        ``(code, row, column)``; code :data:`ST_OK` when the run completed, otherwise the kernel stops
        at ``row`` (``column`` = the security concerned, -1 when none) and returns what it has.
    """
    T, N = close.shape
    R = review_rows.shape[0]
    A = act_row.shape[0]
    levels = np.full((T, 3), np.nan)
    divisors = np.full((T, 3), np.nan)
    q_daily = np.zeros((T, N))
    weights = np.zeros((T, N))
    n_ev_max = R + A + N + 1
    ev_row = np.empty(n_ev_max, dtype=np.int64)
    ev_kind = np.empty(n_ev_max, dtype=np.int64)
    ev_col = np.empty(n_ev_max, dtype=np.int64)
    ev_ref = np.empty(n_ev_max, dtype=np.int64)
    ev_div = np.empty((n_ev_max, 6))
    status = np.full(3, -1, dtype=np.int64)
    status[0] = ST_OK
    n_ev = 0

    q = np.zeros(N)
    padj = np.zeros(N)
    div = np.zeros(3)
    cap = np.zeros(3)

    # ---- base row: price the first composition so that every level equals base_value
    c0 = 0.0
    for j in range(N):
        q[j] = review_q[0, j]
        if q[j] > 0.0:
            if np.isnan(close[base_row, j]):
                status[0] = ST_NAN_PRICE
                status[1] = base_row
                status[2] = j
                break
            c0 += q[j] * close[base_row, j]
    if status[0] == ST_OK and not c0 > 0.0:
        status[0] = ST_EMPTY
        status[1] = base_row
    if status[0] == ST_OK:
        for v in range(3):
            div[v] = c0 / base_value
            levels[base_row, v] = base_value
            divisors[base_row, v] = div[v]
        for j in range(N):
            if q[j] > 0.0:
                q_daily[base_row, j] = q[j]
                weights[base_row, j] = q[j] * close[base_row, j] / c0
    first_row = base_row + 1 if status[0] == ST_OK else T  # skip the loop after a failure

    ri = 0
    ai = 0
    while ai < A and act_row[ai] <= base_row:
        ai += 1

    for t in range(first_row, T):
        # ---- 1. review effective at t
        if ri < R and review_rows[ri] == t:
            c0 = 0.0
            for j in range(N):
                q[j] = review_q[ri, j]
                if q[j] > 0.0:
                    if np.isnan(close[t - 1, j]):
                        status[0] = ST_NAN_PRICE
                        status[1] = t - 1
                        status[2] = j
                        break
                    c0 += q[j] * close[t - 1, j]
            if status[0] == ST_OK and not c0 > 0.0:
                status[0] = ST_EMPTY
                status[1] = t
            if status[0] != ST_OK:
                break
            ev_row[n_ev] = t
            ev_kind[n_ev] = EV_REVIEW
            ev_col[n_ev] = -1
            ev_ref[n_ev] = ri
            for v in range(3):
                ev_div[n_ev, v] = div[v]
                div[v] = c0 / levels[t - 1, v]
                ev_div[n_ev, 3 + v] = div[v]
            n_ev += 1
            ri += 1

        # ---- adjusted prior capitalisation, starting from the raw prior closes
        c0 = 0.0
        for j in range(N):
            if q[j] > 0.0:
                padj[j] = close[t - 1, j]
                c0 += q[j] * padj[j]
        for v in range(3):
            cap[v] = c0

        # ---- 2./3. corporate actions with ex-date t (constituents only)
        while ai < A and act_row[ai] == t:
            j = act_col[ai]
            kind = act_kind[ai]
            if q[j] > 0.0:
                if kind == EV_CASH_DIVIDEND and not cap[1] - q[j] * act_amount[ai] > 0.0:
                    status[0] = ST_BAD_DIVIDEND
                    status[1] = t
                    status[2] = j
                    break
                ev_row[n_ev] = t
                ev_kind[n_ev] = kind
                ev_col[n_ev] = j
                ev_ref[n_ev] = ai
                for v in range(3):
                    ev_div[n_ev, v] = div[v]
                r = act_ratio[ai]
                if kind == EV_SPLIT:
                    q[j] *= r
                    padj[j] /= r
                elif kind == EV_BONUS:
                    q[j] *= 1.0 + r
                    padj[j] /= 1.0 + r
                elif kind == EV_RIGHTS:
                    extra = q[j] * r * act_price[ai]
                    q[j] *= 1.0 + r
                    padj[j] = (padj[j] + r * act_price[ai]) / (1.0 + r)
                    for v in range(3):
                        new_cap = cap[v] + extra
                        div[v] *= new_cap / cap[v]
                        cap[v] = new_cap
                elif kind == EV_CASH_DIVIDEND:
                    cash = q[j] * act_amount[ai]
                    new_cap = cap[1] - cash
                    div[1] *= new_cap / cap[1]
                    cap[1] = new_cap
                    new_cap = cap[2] - cash * (1.0 - wht[j])
                    div[2] *= new_cap / cap[2]
                    cap[2] = new_cap
                for v in range(3):
                    ev_div[n_ev, 3 + v] = div[v]
                n_ev += 1
            ai += 1
        if status[0] != ST_OK:
            break

        # ---- 4. deletions: constituents without a close today leave at their last close
        for j in range(N):
            if q[j] > 0.0 and np.isnan(close[t, j]):
                gone = q[j] * padj[j]
                ev_row[n_ev] = t
                ev_kind[n_ev] = EV_DELETION
                ev_col[n_ev] = j
                ev_ref[n_ev] = -1
                for v in range(3):
                    ev_div[n_ev, v] = div[v]
                    new_cap = cap[v] - gone
                    div[v] *= new_cap / cap[v]
                    cap[v] = new_cap
                    ev_div[n_ev, 3 + v] = div[v]
                n_ev += 1
                q[j] = 0.0
        active = 0
        for j in range(N):
            if q[j] > 0.0:
                active += 1
        if active == 0:
            status[0] = ST_EMPTY
            status[1] = t
            break

        # ---- close of t
        total = 0.0
        for j in range(N):
            if q[j] > 0.0:
                total += q[j] * close[t, j]
        for j in range(N):
            if q[j] > 0.0:
                q_daily[t, j] = q[j]
                weights[t, j] = q[j] * close[t, j] / total
        for v in range(3):
            divisors[t, v] = div[v]
            levels[t, v] = total / div[v]

    return (
        levels,
        divisors,
        q_daily,
        weights,
        ev_row[:n_ev],
        ev_kind[:n_ev],
        ev_col[:n_ev],
        ev_ref[:n_ev],
        ev_div[:n_ev],
        status,
    )
