"""Numba kernels of the rules stage (NumPy arrays and scalars only)."""

from __future__ import annotations

import numpy as np

from engine._jit import njit
from engine.codes import (
    RS_BELOW_BUFFER,
    RS_BELOW_CUT,
    RS_CUT_OVERFLOW,
    RS_CXO,
    RS_DELISTED,
    RS_FILLS_VACANCY,
    RS_INDUSTRY,
    RS_KEPT_BY_BUFFER,
    RS_LIQUIDITY,
    RS_LONG_SUSPENDED,
    RS_NEWCOMER_RANK,
    RS_NOT_HSCI,
    RS_NOT_LISTED,
    RS_NOT_SOUTHBOUND,
    RS_RELEVANCE,
    RS_SELECTED,
    RS_SUSPENDED,
    RS_TOO_YOUNG,
)
from engine.rules._replace_nb import exclude_gone, select_replacement


@njit
def cap_weights_nb(raw: np.ndarray, cap: float) -> np.ndarray:
    """Iterative capping with a locked set.

    Start from raw weights :math:`w^0 = r / \\sum r`.  In each pass, every unlocked weight above the
    cap is set to ``cap`` and locked; the weight left, :math:`1 - cap \\cdot |L|`, is shared by the
    unlocked securities in proportion to their raw weights,

    .. math:: w_i = r_i \\frac{1 - cap \\, |L|}{\\sum_{j \\notin L} r_j}, \\quad i \\notin L.

    Passes repeat until no unlocked weight exceeds the cap.  Each pass either stops or locks at least
    one more security, so it ends after at most ``N`` passes.  Pro-rata scaling keeps the order of the
    weights, and the result sums to 1 whenever ``cap * N >= 1`` (the caller checks this).

    Parameters
    ----------
    raw
        Positive raw weights (any scale; they are normalised here).
    cap
        The single-stock cap in (0, 1].

    Returns
    -------
    ndarray
        Capped weights, same order as ``raw``.
    """
    n = raw.shape[0]
    out = np.empty(n)
    locked = np.zeros(n, dtype=np.bool_)
    total = 0.0
    for i in range(n):
        total += raw[i]
    for i in range(n):
        out[i] = raw[i] / total
    tol = 1e-12
    for _ in range(n + 1):
        n_locked = 0
        free_raw = 0.0
        for i in range(n):
            if locked[i]:
                n_locked += 1
            else:
                free_raw += raw[i]
        if n_locked == n or free_raw <= 0.0:
            break
        scale = (1.0 - cap * n_locked) / free_raw
        breach = False
        for i in range(n):
            if not locked[i]:
                out[i] = raw[i] * scale
                if out[i] > cap * (1.0 + tol):
                    breach = True
        if not breach:
            break
        for i in range(n):
            if not locked[i] and out[i] > cap * (1.0 + tol):
                locked[i] = True
                out[i] = cap
    return out


@njit
def cap_factors_nb(raw: np.ndarray, capped: np.ndarray) -> np.ndarray:
    """Cap factors :math:`CF_i = (c_i / r_i) / \\max_j (c_j / r_j)`, so the largest is 1.

    With index shares :math:`q_i = IS_i \\cdot FAF_i \\cdot CF_i` the weights at the cap-date close are
    :math:`q_i P_i / \\sum_j q_j P_j = c_i` exactly, because :math:`r_i \\propto IS_i FAF_i P_i`.
    """
    n = raw.shape[0]
    total = 0.0
    for i in range(n):
        total += raw[i]
    ratio = np.empty(n)
    top = 0.0
    for i in range(n):
        ratio[i] = capped[i] / (raw[i] / total)
        if ratio[i] > top:
            top = ratio[i]
    for i in range(n):
        ratio[i] = ratio[i] / top
    return ratio


# ------------------------------------------------------------------------------------ all reviews
# screen flags (columns of ``flags``): which optional screens a review's methodology switches on
F_SUSPENDED, F_HSCI, F_SOUTHBOUND, F_CXO, F_INDUSTRY, F_LIQUIDITY, F_YOUNG, F_LONG_SUSPENDED = (
    range(8)
)
# selection.replace_delisted (engine.rules._replace_nb): exclude securities gone at the effective
# date; this review is an ad-hoc replacement (keep the incumbents, fill the vacancies by rank)
F_REPLACE_DELISTED, F_REPLACEMENT = 8, 9
N_FLAGS = 10
# review status codes
RV_OK, RV_EMPTY, RV_CAP, RV_RAW = 0, 1, 2, 3


@njit
def _screen(k, x, flags, min_relevance, min_tv, reason, eligible):
    """Screens of review ``k`` in their fixed order; the first failure is the reason code."""
    N = eligible.shape[1]
    for j in range(N):
        code = 0
        if not x[k, j]["listed"]:
            code = RS_NOT_LISTED
        elif flags[k, F_YOUNG] and x[k, j]["young"]:
            code = RS_TOO_YOUNG
        elif flags[k, F_LONG_SUSPENDED] and x[k, j]["long_suspended"]:
            code = RS_LONG_SUSPENDED
        elif flags[k, F_SUSPENDED] and x[k, j]["suspended"]:
            code = RS_SUSPENDED
        elif flags[k, F_HSCI] and not x[k, j]["hsci"]:
            code = RS_NOT_HSCI
        elif flags[k, F_SOUTHBOUND] and not x[k, j]["southbound"]:
            code = RS_NOT_SOUTHBOUND
        elif flags[k, F_CXO] and x[k, j]["cxo"]:
            code = RS_CXO
        elif flags[k, F_INDUSTRY] and not x[k, j]["industry_ok"]:
            code = RS_INDUSTRY
        elif x[k, j]["score"] <= min_relevance[k]:
            code = RS_RELEVANCE
        elif flags[k, F_LIQUIDITY] and not (x[k, j]["avg_tv"] >= min_tv[k]):
            code = RS_LIQUIDITY
        reason[k, j] = code
        eligible[k, j] = code == 0


@njit
def _rank(k, x, eligible, code_order, by_relevance, ranks):
    """Ranks 1..n of review ``k``'s eligible securities: a lexicographic sort by stable passes."""
    N = eligible.shape[1]
    idx = np.flatnonzero(eligible[k])
    n = idx.shape[0]
    for j in range(N):
        ranks[k, j] = np.nan
    if n == 0:
        return
    order = np.empty(n, dtype=np.int64)  # eligible securities in code order
    m = 0
    for i in range(N):
        j = code_order[i]
        if eligible[k, j]:
            order[m] = j
            m += 1
    key = np.empty(n)
    for i in range(n):
        f = x[k, order[i]]["ffmc_cutoff"]
        key[i] = np.inf if np.isnan(f) else -f
    order = order[np.argsort(key, kind="mergesort")]
    if by_relevance:
        for i in range(n):
            key[i] = -x[k, order[i]]["score"]
        order = order[np.argsort(key, kind="mergesort")]
    for i in range(n):
        ranks[k, order[i]] = i + 1.0


@njit
def _select(k, ranks, current, first, K, add, remove, reason, selected):
    """Buffer-zone selection of review ``k`` (see :mod:`engine.rules.selection`)."""
    N = ranks.shape[1]
    r = np.empty(N)
    qualify = np.zeros(N, dtype=np.bool_)
    n_q = 0
    for j in range(N):
        ranked = not np.isnan(ranks[k, j])
        r[j] = ranks[k, j] if ranked else np.inf
        if ranked:
            if first:
                qualify[j] = r[j] <= K
            else:
                qualify[j] = (current[j] and r[j] <= remove) or (not current[j] and r[j] <= add)
            if qualify[j]:
                n_q += 1
    q_idx = np.flatnonzero(qualify)
    order = q_idx[np.argsort(r[q_idx], kind="mergesort")]
    overflow = np.zeros(N, dtype=np.bool_)
    n_sel = 0
    for i in range(order.shape[0]):
        if i < K:
            selected[k, order[i]] = True
            n_sel += 1
        else:
            overflow[order[i]] = True
    filled = np.zeros(N, dtype=np.bool_)
    if n_sel < K:
        rest = np.empty(N, dtype=np.int64)
        m = 0
        for j in range(N):
            if not np.isnan(ranks[k, j]) and not selected[k, j]:
                rest[m] = j
                m += 1
        rest = rest[:m]
        rest = rest[np.argsort(r[rest], kind="mergesort")]
        for i in range(min(m, K - n_sel)):
            selected[k, rest[i]] = True
            filled[rest[i]] = True
    for j in range(N):
        if np.isnan(ranks[k, j]):
            continue
        if selected[k, j]:
            if filled[j]:
                reason[k, j] = RS_FILLS_VACANCY
            elif r[j] > K:
                reason[k, j] = RS_KEPT_BY_BUFFER
            else:
                reason[k, j] = RS_SELECTED
        elif overflow[j]:
            reason[k, j] = RS_CUT_OVERFLOW
        elif current[j]:
            reason[k, j] = RS_BELOW_BUFFER
        elif not first and r[j] <= K:
            reason[k, j] = RS_NEWCOMER_RANK
        else:
            reason[k, j] = RS_BELOW_CUT


@njit
def _weigh(k, x, selected, cap, rebalance, weight, cap_factor):
    """Capped weights and cap factors of review ``k``'s selection; returns a status code."""
    idx = np.flatnonzero(selected[k])
    n = idx.shape[0]
    if n == 0:
        return RV_EMPTY
    raw = np.empty(n)
    for i in range(n):
        raw[i] = x[k, idx[i]]["ffmc_cap"]
        if not (np.isfinite(raw[i]) and raw[i] > 0.0):
            return RV_RAW
    if cap * n < 1 - 1e-12:
        return RV_CAP
    capped = cap_weights_nb(raw, cap)
    if rebalance:
        ratio = np.empty(n)
        for i in range(n):
            ratio[i] = capped[i] / (x[k, idx[i]]["price_close"] * x[k, idx[i]]["float_shares"])
        cf = ratio / ratio.max()
    else:
        cf = cap_factors_nb(raw, capped)
    for i in range(n):
        weight[k, idx[i]] = capped[i]
        cap_factor[k, idx[i]] = cf[i]
    return RV_OK


@njit
def reviews_kernel(
    x,
    flags,
    min_relevance,
    min_tv,
    by_relevance,
    K,
    add,
    remove,
    cap,
    rebalance,
    drop_check,
    code_order,
):
    """Screens, ranking, buffer selection and capping of every review in order.

    ``x`` holds the ``[review, security]`` snapshots prepared by :mod:`engine.rules.compiled`; each
    review's buffer compares against the previous review's selection.  Stops at the first review
    that fails (no selection, impossible cap, bad raw weights) and returns its number and status.
    """
    R, N = x.shape
    reason = np.zeros((R, N), dtype=np.int8)
    eligible = np.zeros((R, N), dtype=np.bool_)
    ranks = np.full((R, N), np.nan)
    selected = np.zeros((R, N), dtype=np.bool_)
    weight = np.zeros((R, N))
    cap_factor = np.full((R, N), np.nan)
    current = np.zeros(N, dtype=np.bool_)
    for k in range(R):
        _screen(k, x, flags, min_relevance, min_tv, reason, eligible)
        if flags[k, F_REPLACE_DELISTED]:
            exclude_gone(k, x, reason, eligible)
        _rank(k, x, eligible, code_order, by_relevance[k], ranks)
        first = not current.any()
        if flags[k, F_REPLACEMENT]:
            select_replacement(k, x, ranks, current, reason, selected)
        else:
            _select(k, ranks, current, first, K[k], add[k], remove[k], reason, selected)
        if drop_check[k]:
            for j in range(N):
                if selected[k, j] and not x[k, j]["priced_before_effective"]:
                    selected[k, j] = False
                    reason[k, j] = RS_DELISTED
        status = _weigh(k, x, selected, cap[k], rebalance[k], weight, cap_factor)
        if status != RV_OK:
            return reason, eligible, ranks, selected, weight, cap_factor, k, status
        for j in range(N):
            current[j] = selected[k, j]
    return reason, eligible, ranks, selected, weight, cap_factor, R, RV_OK
