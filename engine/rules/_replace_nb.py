"""Numba kernels of ``selection.replace_delisted`` (NumPy arrays and scalars only).

Called by :func:`engine.rules._nb.reviews_kernel` for the reviews whose settings switch them on; the
plan of ad-hoc replacement reviews is made by :mod:`engine.rules.replace`.

A security is *gone* at review :math:`k` when it has no close on or after the review's effective
date (snapshot field ``gone``): it stopped trading for good, whereas a suspended day carries a close.

Numba's on-disk cache of :func:`~engine.rules._nb.reviews_kernel` is keyed on ``_nb.py`` only: after
editing this file, clear the cache (the ``__pycache__/*.nbi``/``*.nbc`` files, or run with a fresh
``NUMBA_CACHE_DIR``) so that the kernel is compiled with the change.
"""

from __future__ import annotations

import numpy as np

from engine._jit import njit
from engine.codes import RS_BELOW_CUT, RS_GONE, RS_KEPT_AT_REPLACEMENT, RS_REPLACES


@njit
def exclude_gone(k, x, reason, eligible):
    """A security listed at the cut-off but gone at the effective date is out, reason ``RS_GONE``.

    It cannot take part in a composition that starts on a session where it no longer trades, so it
    is neither ranked nor selected; its vacancy is filled by the review's own selection (a regular
    review's buffer rules, a replacement review's :func:`select_replacement`).
    """
    N = eligible.shape[1]
    for j in range(N):
        if x[k, j]["gone"] and x[k, j]["listed"]:
            reason[k, j] = RS_GONE
            eligible[k, j] = False


@njit
def select_replacement(k, x, ranks, current, reason, selected):
    """An ad-hoc replacement review: keep the incumbents, fill the vacancies by rank.

    With :math:`S` the previous review's constituents (``current``) and :math:`G` the securities gone
    at this review's effective date, the selection is

    .. math:: S' = (S \\setminus G) \\cup \\{\\text{the } |S| - |S \\setminus G| \\text{ best-ranked
              eligible } j \\notin S\\}.

    Incumbents stay whatever the screens at the replacement's cut-off say (the screens act at the
    next regular review; reason ``RS_KEPT_AT_REPLACEMENT``, ``eligible`` and ``rank`` as the screens
    found them); newcomers get ``RS_REPLACES``; the other ranked securities ``RS_BELOW_CUT``.  Fewer
    eligible non-constituents than vacancies leaves the rest empty.
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
    rest = np.empty(N, dtype=np.int64)
    key = np.empty(N)
    m = 0
    for j in range(N):
        if not current[j] and not np.isnan(ranks[k, j]):
            rest[m] = j
            key[m] = ranks[k, j]
            m += 1
    rest = rest[:m][np.argsort(key[:m], kind="mergesort")]
    vacancies = n_prev - n_kept
    for i in range(m):
        j = rest[i]
        if i < vacancies:
            selected[k, j] = True
            reason[k, j] = RS_REPLACES
        else:
            reason[k, j] = RS_BELOW_CUT
