"""Numba kernels of the index batch: many methodology variants of one index on one review calendar.

:func:`variants_kernel` runs, in parallel over variants, the rules kernel
(:func:`engine.rules._nb.reviews_kernel`), packs each variant's selected cells, numbers the distinct
ones (:func:`distinct_variants`: variants with bitwise the same cells have the same index) and runs
the index recursion (:func:`engine.index._nb.index_kernel`) once per distinct variant, with its
turnover (:func:`review_turnover_nb`).  :mod:`engine.index.batch` builds the inputs: the rules
settings as one ``RULES_DT[V, R]`` record array.  Names follow the rule of :mod:`engine.rules._nb`.
"""

from __future__ import annotations

import numpy as np

from engine._jit import njit, prange
from engine.index._nb import EVENT_DT, ST_OK, index_kernel, weights_at
from engine.rules._nb import reviews_kernel


@njit
def review_turnover_nb(slot_q, seg, rev_ptr, rev_col, close, cap_rows, weight, base_row):
    """Mean over reviews ``k >= 1`` of :math:`\\tfrac12 \\sum_i |w^{post}_{i,k} - w^{pre}_{i,k}|`:
    end-of-day index weights on the cap date against the review's target weights (NaN when a cap
    date has no index weights)."""
    R, N = weight.shape
    if R < 2:
        return np.nan
    acc = 0.0
    pre = np.zeros(N)
    for k in range(1, R):
        t = cap_rows[k]
        if t < base_row or seg[t] < 0:
            return np.nan
        pre[:] = 0.0
        weights_at(slot_q, seg, rev_ptr, rev_col, close, t, pre)
        if not pre.sum() > 0:
            return np.nan
        d = 0.0
        for j in range(N):
            d += abs(weight[k, j] - pre[j])
        acc += 0.5 * d
    return acc / (R - 1)


_FNV_PRIME = 16777619  # 32-bit FNV-1a on 32-bit words, kept in an int64 (no overflow)
_FNV_BASIS = 2166136261
_LOW32 = 0xFFFFFFFF


@njit
def _mix32(h, word):
    """The low 32 bits of ``word`` into a 32-bit running hash."""
    return ((h ^ (word & _LOW32)) * _FNV_PRIME) & _LOW32


@njit
def _mix(h, word):
    """A 64-bit word into a 32-bit running hash, its two halves in turn."""
    return _mix32(_mix32(h, word), word >> 32)


@njit
def _same_cells(a, b, off, n_cells, cell, q_bits, w_bits):
    """Do variants ``a`` and ``b`` have bitwise the same packed cells?"""
    if n_cells[a] != n_cells[b]:
        return False
    da, db = off[a], off[b]
    for m in range(n_cells[a]):
        if (
            cell[da + m] != cell[db + m]
            or q_bits[da + m] != q_bits[db + m]
            or w_bits[da + m] != w_bits[db + m]
        ):
            return False
    return True


@njit
def distinct_variants(ruled, digest, off, n_cells, cell, q_bits, w_bits):
    """Classes of variants with bitwise identical cells, numbered in order of first appearance.

    Returns ``column int64[V]`` (the class of each variant, -1 where ``ruled`` is False) and
    ``first int64[U]`` (the first variant of each class).  Equal digests are confirmed cell by
    cell, so a hash collision only costs a comparison.
    """
    V = ruled.shape[0]
    column = np.full(V, -1, dtype=np.int64)
    first = np.empty(V, dtype=np.int64)
    order = np.argsort(digest, kind="mergesort")  # stable: equal digests in variant order
    U = 0
    i = 0
    while i < V:
        e = i
        while e < V and digest[order[e]] == digest[order[i]]:
            e += 1
        g0 = U  # classes of this digest start here
        for p in range(i, e):
            v = order[p]
            if not ruled[v]:
                continue
            u = g0
            while u < U and not _same_cells(v, first[u], off, n_cells, cell, q_bits, w_bits):
                u += 1
            if u == U:
                first[U] = v
                U += 1
            column[v] = u
        i = e
    # renumber the classes by their first variant
    by_first = np.argsort(first[:U])
    rank = np.empty(U, dtype=np.int64)
    for r in range(U):
        rank[by_first[r]] = r
    for v in range(V):
        if column[v] >= 0:
            column[v] = rank[column[v]]
    return column, first[:U][by_first]


@njit
def _room(rules, N):
    """``off int64[V + 1]``: variant ``v``'s packed cells go in ``off[v]:off[v + 1]``, room for at
    most ``min(K, N)`` selected securities per review."""
    V, R = rules.shape
    off = np.zeros(V + 1, dtype=np.int64)
    for v in range(V):
        room = 0
        for k in range(R):
            room += max(0, min(rules[v, k]["max_constituents"], N))
        off[v + 1] = off[v] + room
    return off


@njit
def _rule_variant(x, rules, code_order, factors, known_wht, lo, hi, cell, q_cell, w_cell):
    """Step 1 for one variant: its rules, then its selected cells ``k * N + j`` with their index
    shares :math:`q_{k,j} = shares \\times FAF \\times CF \\times factor` and target weights
    :math:`w_{k,j}` packed in row-major order into ``[lo, hi)``.

    Returns ``(ruled, n_cells, digest, n_constituents)``; ``ruled`` is False where the rules stopped
    or a selected security has no withholding class."""
    R, N = x.shape
    _r, _e, _rk, selected, weight, cf, _stop, status = reviews_kernel(x, rules, code_order)
    if status != 0:
        return False, 0, 0, np.nan
    w_bits = w_cell.view(np.int64)
    m = lo
    h = _FNV_BASIS
    for k in range(R):
        for j in range(N):
            if selected[k, j]:
                if not known_wht[j] or m == hi:
                    return False, 0, 0, np.nan
                cell[m] = k * N + j
                q_cell[m] = x[k, j]["shares"] * x[k, j]["free_float"] * cf[k, j] * factors[k, j]
                w_cell[m] = weight[k, j]
                h = _mix(_mix32(h, cell[m]), w_bits[m])
                m += 1
    return True, m - lo, h, float(selected[R - 1].sum())


@njit
def _index_variant(cell, q_cell, w_cell, R, inputs, out):
    """Step 3 for one distinct variant (its packed cells): :func:`index_kernel` on the cells with
    :math:`q \\ne 0`, its levels of the requested kinds from ``base_row`` on written into ``out``.
    Returns ``(ran, turnover)`` (:func:`review_turnover_nb`); ``ran`` False where the run stopped."""
    close, base_row, base_value, review_rows, cap_rows, act, wht, kinds = inputs
    N = close.shape[1]
    weight = np.zeros((R, N))
    ptr = np.zeros(R + 1, dtype=np.int64)
    for m in range(cell.shape[0]):
        k = cell[m] // N
        weight[k, cell[m] - k * N] = w_cell[m]
        if q_cell[m] != 0.0:
            ptr[k + 1] += 1
    ptr[1:] = np.cumsum(ptr[1:])
    keep = q_cell != 0.0
    cols = cell[keep] % N
    vals = q_cell[keep]
    n_ev = R + act.shape[0] + cols.shape[0] + 1
    ev = np.empty(n_ev, dtype=EVENT_DT)  # each event is written before it is read
    ev_div = np.zeros((n_ev, 6))
    levels, _d, slot_q, seg, _n, st = index_kernel(
        close, base_row, base_value, review_rows, ptr, cols, vals, act, wht, ev, ev_div
    )
    if st[0] != ST_OK:
        return False, np.nan
    for t in range(out.shape[0]):
        for c in range(kinds.shape[0]):
            out[t, c] = levels[base_row + t, kinds[c]]
    return True, review_turnover_nb(slot_q, seg, ptr, cols, close, cap_rows, weight, base_row)


@njit(parallel=True)
def variants_kernel(x, rules, code_order, factors, known_wht, inputs):
    """Rules and index of ``V`` variants on one review calendar, in parallel over variants.

    ``rules`` is ``RULES_DT[V, R]`` (:data:`engine.rules._nb.RULES_DT`, one row per variant);
    ``x`` (the snapshots), the restatement ``factors [R, N]``, ``known_wht bool[N]`` (a withholding
    class known) and ``inputs`` (``close, base_row, base_value, review_rows, cap_rows, act, wht,
    kinds``: the arguments of :func:`index_kernel`, the cap-date rows and the kinds' columns) are
    shared.

    1. For every variant (in parallel): :func:`_rule_variant`, its rules and packed cells.
    2. Variants with bitwise the same cells get the same index (the recursion sees nothing else):
       :func:`distinct_variants` numbers the ``U`` distinct ones.
    3. For each distinct variant (in parallel): :func:`_index_variant`.

    Returns
    -------
    levels : float64[U, T - base_row, len(kinds)]
        Levels of each distinct variant from ``base_row`` on.
    column : int64[V]
        The distinct variant whose levels variant ``v`` has (-1 where its rules stopped; ``ok``
        says whether the index run finished).
    turnover, n_constituents : float64[V]
    ok : bool[V]
        False where a variant stopped (no selection, impossible cap, a constituent without a
        withholding class or without a price): the caller asks the full build for the error.
    """
    V, R = rules.shape
    N = x.shape[1]
    close, base_row, kinds = inputs[0], inputs[1], inputs[7]
    off = _room(rules, N)
    cell = np.empty(off[V], dtype=np.int64)
    q_cell = np.empty(off[V])
    w_cell = np.empty(off[V])
    n_cells = np.zeros(V, dtype=np.int64)
    digest = np.zeros(V, dtype=np.int64)  # of the cells and weights (the shares are compared)
    n_const = np.full(V, np.nan)
    ruled = np.zeros(V, dtype=np.bool_)
    for v in prange(V):  # ---- 1. rules
        lo, hi = off[v], off[v + 1]
        ruled[v], n_cells[v], digest[v], n_const[v] = _rule_variant(
            x, rules[v], code_order, factors, known_wht, lo, hi, cell, q_cell, w_cell
        )
    q_bits, w_bits = q_cell.view(np.int64), w_cell.view(np.int64)
    column, first = distinct_variants(ruled, digest, off, n_cells, cell, q_bits, w_bits)
    U = first.shape[0]  # ---- 2. distinct variants
    levels = np.full((U, close.shape[0] - base_row, kinds.shape[0]), np.nan)
    ran = np.zeros(U, dtype=np.bool_)
    turnover_u = np.full(U, np.nan)
    for u in prange(U):  # ---- 3. one index run per distinct variant
        lo = off[first[u]]
        hi = lo + n_cells[first[u]]
        ran[u], turnover_u[u] = _index_variant(
            cell[lo:hi], q_cell[lo:hi], w_cell[lo:hi], R, inputs, levels[u]
        )
    ok = np.zeros(V, dtype=np.bool_)
    turnover = np.full(V, np.nan)
    for v in range(V):
        if column[v] >= 0 and ran[column[v]]:
            ok[v] = True
            turnover[v] = turnover_u[column[v]]
    return levels, column, turnover, n_const, ok
