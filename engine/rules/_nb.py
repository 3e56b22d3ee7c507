"""Numba kernels of the rules stage (NumPy arrays, records and scalars only).

Records: :data:`SNAPSHOT_DT` (one security at one review: what the rules read from the market) and
:data:`RULES_DT` (one review's settings).  :func:`reviews_kernel` runs screens, ranking, buffer
selection and capping of every review in order; :mod:`engine.rules.compiled` builds its inputs.

Naming, in every kernel module of the engine: a compiled pass that Python calls ends in ``_kernel``
(:func:`reviews_kernel`, :func:`engine.index._nb.index_kernel`,
:func:`engine.index.batch_nb.variants_kernel`); the compiled twin of a Python function carries its
name and ``_nb`` (:func:`cap_weights_nb` of :func:`engine.rules.capping.cap_weights`); a step that
only kernels call starts with ``_``; other compiled helpers are named for what they compute; a
record dtype ends in ``_DT``.
"""

from __future__ import annotations

import numpy as np

from engine._jit import njit
from engine.enums import (
    RS_BELOW_BUFFER,
    RS_BELOW_CUT,
    RS_CUT_OVERFLOW,
    RS_CXO,
    RS_DELISTED,
    RS_FILLS_VACANCY,
    RS_GONE,
    RS_INDUSTRY,
    RS_KEPT_AT_REPLACEMENT,
    RS_KEPT_BY_BUFFER,
    RS_LIQUIDITY,
    RS_LONG_SUSPENDED,
    RS_NEWCOMER_RANK,
    RS_NOT_HSCI,
    RS_NOT_LISTED,
    RS_NOT_SOUTHBOUND,
    RS_RELEVANCE,
    RS_REPLACES,
    RS_SELECTED,
    RS_SUSPENDED,
    RS_TOO_YOUNG,
)

SNAPSHOT_DT = np.dtype(
    [
        ("listed", np.bool_),  # a close at the cut-off and at the cap date
        ("young", np.bool_),  # listed less than min_listed_months before the cut-off
        ("suspended", np.bool_),  # at the cut-off
        ("long_suspended", np.bool_),  # suspended > max_suspended_sessions sessions to the cut-off
        ("suspended_sessions", np.int64),  # consecutive suspended sessions ending at the cut-off
        ("hsci", np.bool_),  # member at the cut-off
        ("southbound", np.bool_),
        ("cxo", np.bool_),
        ("industry_ok", np.bool_),
        ("priced_before_effective", np.bool_),  # a close on the session before the effective date
        ("score", np.float64),  # relevance score in force at the cut-off (0 where none)
        ("avg_tv", np.float64),  # mean traded value over the liquidity window, HKD
        ("ffmc_cutoff", np.float64),  # close x shares x FAF at the cut-off, HKD
        ("ffmc_cap", np.float64),  # close x shares x FAF at the cap date, HKD
        ("shares", np.float64),  # issued shares at the cap date
        ("free_float", np.float64),  # FAF at the cap date
        ("float_shares", np.float64),  # shares x FAF at the cap date
        ("price_close", np.float64),  # close on the session before the effective date, HKD
        ("gone", np.bool_),  # no close on or after the effective date (replace_delisted only)
    ]
)
"""One security at one review: what the screens, ranking and capping read from the market
(:func:`engine.rules.compiled.prepare_snapshots`)."""


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


@njit
def _suspended_sessions(suspended, t, j):
    """Consecutive suspended sessions of security ``j`` ending at row ``t`` (inclusive)."""
    s = t
    while s >= 0 and suspended[s, j]:
        s -= 1
    return t - s


@njit
def fill_market_fields(
    x,
    close,
    shares,
    free_float,
    suspended,
    cxo,
    listed_ns,
    cut_rows,
    cap_rows,
    price_rows,
    latest_ns,
):
    """Fill every field of the ``[review, security]`` snapshots ``x`` in one pass (``x`` may come
    from ``np.empty``).

    For review ``k`` with cut-off row :math:`c`, cap row :math:`p` and pricing row :math:`e` (the
    session before the effective date, clipped at 0): ``listed`` = closes at :math:`c` and
    :math:`p`; ``young`` = listed (``listed_ns``, int64 nanoseconds, the largest int64 when
    unknown) after ``latest_ns[k]`` (the largest int64: no such screen); ``suspended`` and
    ``suspended_sessions`` at :math:`c`;
    ``ffmc_cutoff`` :math:`= P_c S_c F_c`; ``ffmc_cap`` :math:`= P_p S_p F_p`; ``shares``,
    ``free_float``, ``float_shares`` :math:`= S_p F_p` at :math:`p`; ``price_close`` :math:`= P_e`
    and ``priced_before_effective`` = a close at :math:`e`; ``cxo`` from the master.  The fields
    the caller fills when a review's methodology needs them start as: ``long_suspended``,
    ``hsci``, ``southbound``, ``industry_ok``, ``gone`` False, ``score`` 0, ``avg_tv`` NaN.
    """
    R, N = x.shape
    for k in range(R):
        c, p, e, latest = cut_rows[k], cap_rows[k], price_rows[k], latest_ns[k]
        for j in range(N):
            y = x[k, j]
            y["listed"] = not (np.isnan(close[c, j]) or np.isnan(close[p, j]))
            y["young"] = listed_ns[j] > latest
            y["suspended"] = suspended[c, j]
            y["long_suspended"] = False
            y["suspended_sessions"] = _suspended_sessions(suspended, c, j)
            y["hsci"] = False
            y["southbound"] = False
            y["cxo"] = cxo[j]
            y["industry_ok"] = False
            y["priced_before_effective"] = not np.isnan(close[e, j])
            y["score"] = 0.0
            y["avg_tv"] = np.nan
            y["ffmc_cutoff"] = close[c, j] * shares[c, j] * free_float[c, j]
            y["ffmc_cap"] = close[p, j] * shares[p, j] * free_float[p, j]
            y["shares"] = shares[p, j]
            y["free_float"] = free_float[p, j]
            y["float_shares"] = shares[p, j] * free_float[p, j]
            y["price_close"] = close[e, j]
            y["gone"] = False


# ------------------------------------------------------------------------------------ all reviews
RULES_DT = np.dtype(
    [
        ("min_relevance", np.float64),  # universe.min_relevance: eligible above this score
        ("min_tv_hkd", np.float64),  # liquidity.min_avg_traded_value_hkd
        ("cap", np.float64),  # weighting.cap, in (0, 1]
        ("max_constituents", np.int64),  # selection.max_constituents (K)
        ("add_rank", np.int64),  # selection.buffer_add_rank: a newcomer needs rank <= this
        ("remove_rank", np.int64),  # selection.buffer_remove_rank: an incumbent stays to this rank
        ("by_relevance", np.bool_),  # selection.ranking == "relevance"
        ("rebalance", np.bool_),  # weighting.shares_at == "rebalance_close"
        # the optional screens the review's methodology switches on
        ("exclude_suspended", np.bool_),  # universe.exclude_suspended_at_cutoff
        ("require_hsci", np.bool_),
        ("require_southbound", np.bool_),
        ("exclude_cxo", np.bool_),
        ("industry_screen", np.bool_),  # universe.industries is not empty
        ("liquidity_screen", np.bool_),  # liquidity.enabled
        ("young_screen", np.bool_),  # universe.min_listed_months > 0
        ("long_suspended_screen", np.bool_),  # universe.max_suspended_sessions > 0
        # selection.replace_delisted (engine.rules.replace): exclude the securities gone at the
        # effective date; this review is an ad-hoc replacement (keep the incumbents, fill by rank)
        ("replace_delisted", np.bool_),
        ("replacement", np.bool_),
        ("drop_check", np.bool_),  # the session before the effective date is after the cap date
    ]
)
"""The rules settings of one review (:func:`reviews_kernel` takes ``RULES_DT[R]``, the batch
``RULES_DT[V, R]``); :func:`engine.rules.compiled.version_settings` fills one version's."""
# review status codes
RV_OK, RV_EMPTY, RV_CAP, RV_RAW = 0, 1, 2, 3


@njit
def _screen(k, x, rules, reason, eligible):
    """Screens of review ``k`` in their fixed order; the first failure is the reason code."""
    N = eligible.shape[1]
    r = rules[k]
    for j in range(N):
        y = x[k, j]
        code = 0
        if not y["listed"]:
            code = RS_NOT_LISTED
        elif r["young_screen"] and y["young"]:
            code = RS_TOO_YOUNG
        elif r["long_suspended_screen"] and y["long_suspended"]:
            code = RS_LONG_SUSPENDED
        elif r["exclude_suspended"] and y["suspended"]:
            code = RS_SUSPENDED
        elif r["require_hsci"] and not y["hsci"]:
            code = RS_NOT_HSCI
        elif r["require_southbound"] and not y["southbound"]:
            code = RS_NOT_SOUTHBOUND
        elif r["exclude_cxo"] and y["cxo"]:
            code = RS_CXO
        elif r["industry_screen"] and not y["industry_ok"]:
            code = RS_INDUSTRY
        elif y["score"] <= r["min_relevance"]:
            code = RS_RELEVANCE
        elif r["liquidity_screen"] and not (y["avg_tv"] >= r["min_tv_hkd"]):
            code = RS_LIQUIDITY
        reason[k, j] = code
        eligible[k, j] = code == 0


@njit
def _before(a, b, pa, pb):
    """Lexicographic ``(a, b) < (pa, pb)``: strictly ahead in the ranking."""
    return a < pa or (a == pa and b < pb)


@njit
def _rank(k, x, eligible, code_order, by_relevance, depth, ranks):
    """Ranks 1..``depth`` of review ``k``'s eligible securities; the other eligible ones get ``inf``
    (ranked below ``depth``), the ineligible ones NaN.

    The ranking is lexicographic: relevance score descending (when ``by_relevance``), free-float
    market cap at the cut-off descending (NaN last), code ascending.  Walking the eligible securities
    in code order, each is inserted into a sorted buffer of the best ``depth`` so far behind every
    equal key (which keeps the code tie-break), so the pass costs about ``N`` comparisons rather than
    a full sort.  ``depth = max(K, buffer ranks)`` is every rank the selection reads; the full
    ranking of a review, for its table, is :func:`engine.rules.selection.rank`.
    """
    N = eligible.shape[1]
    buf_j = np.empty(depth, dtype=np.int64)
    buf_a = np.empty(depth)
    buf_b = np.empty(depth)
    n_buf = 0
    for i in range(N):
        j = code_order[i]
        if not eligible[k, j]:
            ranks[k, j] = np.nan
            continue
        ranks[k, j] = np.inf
        f = x[k, j]["ffmc_cutoff"]
        b = np.inf if np.isnan(f) else -f
        a = -x[k, j]["score"] if by_relevance else 0.0
        if n_buf == depth:
            if not _before(a, b, buf_a[depth - 1], buf_b[depth - 1]):
                continue
            p = depth - 1
        else:
            p = n_buf
            n_buf += 1
        while p > 0 and _before(a, b, buf_a[p - 1], buf_b[p - 1]):
            buf_j[p], buf_a[p], buf_b[p] = buf_j[p - 1], buf_a[p - 1], buf_b[p - 1]
            p -= 1
        buf_j[p], buf_a[p], buf_b[p] = j, a, b
    for p in range(n_buf):
        ranks[k, buf_j[p]] = p + 1.0


@njit
def _by_rank(ranks, among):
    """``by_rank[r]``: the column ranked ``r`` among the columns ``among`` (-1: none); the finite
    ranks are distinct integers, so the securities are walked in rank order without a sort."""
    by_rank = np.full(ranks.shape[0] + 1, -1, dtype=np.int64)
    for j in range(ranks.shape[0]):
        if among[j] and np.isfinite(ranks[j]):
            by_rank[int(ranks[j])] = j
    return by_rank


@njit
def _select(k, ranks, current, first, K, add, remove, reason, selected):
    """Buffer-zone selection of review ``k`` (see :mod:`engine.rules.selection`), walking the
    securities in rank order (:func:`_by_rank`)."""
    N = ranks.shape[1]
    by_rank = _by_rank(ranks[k], np.ones(N, dtype=np.bool_))
    # 1. qualifiers (the first review: rank <= K; later: incumbents within the remove rank,
    #    newcomers within the add rank), best first, up to K; the rest of them overflow
    overflow = np.zeros(N, dtype=np.bool_)
    n_sel = 0
    for r in range(1, N + 1):
        j = by_rank[r]
        if j < 0:
            continue
        if first:
            qualify = r <= K
        else:
            qualify = (current[j] and r <= remove) or (not current[j] and r <= add)
        if qualify:
            if n_sel < K:
                selected[k, j] = True
                n_sel += 1
            else:
                overflow[j] = True
    # 2. vacancies: the best-ranked securities not selected
    filled = np.zeros(N, dtype=np.bool_)
    for r in range(1, N + 1):
        if n_sel >= K:
            break
        j = by_rank[r]
        if j >= 0 and not selected[k, j]:
            selected[k, j] = True
            filled[j] = True
            n_sel += 1
    for j in range(N):
        if np.isnan(ranks[k, j]):
            continue
        r = ranks[k, j]  # inf below the ranking depth
        if selected[k, j]:
            if filled[j]:
                reason[k, j] = RS_FILLS_VACANCY
            elif r > K:
                reason[k, j] = RS_KEPT_BY_BUFFER
            else:
                reason[k, j] = RS_SELECTED
        elif overflow[j]:
            reason[k, j] = RS_CUT_OVERFLOW
        elif current[j]:
            reason[k, j] = RS_BELOW_BUFFER
        elif not first and r <= K:
            reason[k, j] = RS_NEWCOMER_RANK
        else:
            reason[k, j] = RS_BELOW_CUT


@njit
def _weigh(k, x, selected, cap, rebalance, weight, cap_factor):
    """Capped weights and cap factors of review ``k``'s selection; returns a status code."""
    N = selected.shape[1]
    idx = np.empty(N, dtype=np.int64)
    n = 0
    for j in range(N):
        if selected[k, j]:
            idx[n] = j
            n += 1
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
        cf = np.empty(n)
        top = 0.0
        for i in range(n):
            cf[i] = capped[i] / (x[k, idx[i]]["price_close"] * x[k, idx[i]]["float_shares"])
            top = max(top, cf[i])
        for i in range(n):
            cf[i] /= top
    else:
        cf = cap_factors_nb(raw, capped)
    for i in range(n):
        weight[k, idx[i]] = capped[i]
        cap_factor[k, idx[i]] = cf[i]
    return RV_OK


@njit
def exclude_gone_nb(k, x, reason, eligible):
    """``selection.replace_delisted``: a security listed at the cut-off but gone at the effective
    date (no close on or after it, snapshot field ``gone``; a suspended day carries a close) is
    out, reason ``RS_GONE``.

    It cannot take part in a composition that starts on a session where it no longer trades, so it
    is neither ranked nor selected; its vacancy is filled by the review's own selection (a regular
    review's buffer rules, a replacement review's :func:`select_replacement_nb`).  The plan of ad-hoc
    replacement reviews is made by :mod:`engine.rules.replace`.
    """
    N = eligible.shape[1]
    for j in range(N):
        if x[k, j]["gone"] and x[k, j]["listed"]:
            reason[k, j] = RS_GONE
            eligible[k, j] = False


@njit
def select_replacement_nb(k, x, ranks, current, reason, selected):
    """An ad-hoc replacement review: keep the incumbents, fill the vacancies by rank.

    With :math:`S` the previous review's constituents (``current``) and :math:`G` the securities gone
    at this review's effective date, the selection is

    .. math:: S' = (S \\setminus G) \\cup \\{\\text{the } |S| - |S \\setminus G| \\text{ best-ranked
              eligible } j \\notin S\\}.

    Incumbents stay whatever the screens at the replacement's cut-off say (the screens act at the
    next regular review; reason ``RS_KEPT_AT_REPLACEMENT``, ``eligible`` and ``rank`` as the screens
    found them); newcomers get ``RS_REPLACES``; the other ranked securities ``RS_BELOW_CUT``.  Fewer
    eligible non-constituents than vacancies leaves the rest empty.  The vacancies never exceed the
    ranking depth (``K``), so the finite ranks, walked in order, are all it reads.
    """
    N = ranks.shape[1]
    n_prev = 0
    n_kept = 0
    for j in range(N):
        if current[j]:
            n_prev += 1
            if not x[k, j]["gone"]:
                selected[k, j] = True
                reason[k, j] = RS_KEPT_AT_REPLACEMENT
                n_kept += 1
        elif not np.isnan(ranks[k, j]):
            reason[k, j] = RS_BELOW_CUT
    by_rank = _by_rank(ranks[k], ~current)
    vacancies = n_prev - n_kept
    for r in range(1, N + 1):
        if vacancies == 0:
            break
        j = by_rank[r]
        if j >= 0:
            selected[k, j] = True
            reason[k, j] = RS_REPLACES
            vacancies -= 1


@njit
def reviews_kernel(x, rules, code_order):
    """Screens, ranking, buffer selection and capping of every review in order.

    ``x`` holds the ``[review, security]`` snapshots prepared by :mod:`engine.rules.compiled` and
    ``rules`` the :data:`RULES_DT` settings of each review; each review's buffer compares against
    the previous review's selection.  Stops at the first review that fails (no selection,
    impossible cap, bad raw weights) and returns its number and status.  ``ranks`` holds ranks
    1..``max(K, add, remove)`` (all the selection reads), ``inf`` for the eligible securities below
    and NaN for the others (:func:`_rank`).
    """
    R, N = x.shape
    reason = np.zeros((R, N), dtype=np.int8)
    eligible = np.zeros((R, N), dtype=np.bool_)
    ranks = np.full((R, N), np.nan)
    selected = np.zeros((R, N), dtype=np.bool_)
    weight = np.zeros((R, N))
    cap_factor = np.full((R, N), np.nan)
    current = np.zeros(N, dtype=np.bool_)
    n_current = 0
    for k in range(R):
        r = rules[k]
        K, add, remove = r["max_constituents"], r["add_rank"], r["remove_rank"]
        _screen(k, x, rules, reason, eligible)
        if r["replace_delisted"]:
            exclude_gone_nb(k, x, reason, eligible)
        _rank(k, x, eligible, code_order, r["by_relevance"], max(K, add, remove, 1), ranks)
        if r["replacement"]:
            select_replacement_nb(k, x, ranks, current, reason, selected)
        else:
            _select(k, ranks, current, n_current == 0, K, add, remove, reason, selected)
        if r["drop_check"]:
            for j in range(N):
                if selected[k, j] and not x[k, j]["priced_before_effective"]:
                    selected[k, j] = False
                    reason[k, j] = RS_DELISTED
        status = _weigh(k, x, selected, r["cap"], r["rebalance"], weight, cap_factor)
        if status != RV_OK:
            return reason, eligible, ranks, selected, weight, cap_factor, k, status
        n_current = 0  # a loop, not current[:] = ... and current.any(): compiles seconds faster
        for j in range(N):
            current[j] = selected[k, j]
            n_current += 1 if current[j] else 0
    return reason, eligible, ranks, selected, weight, cap_factor, R, RV_OK
