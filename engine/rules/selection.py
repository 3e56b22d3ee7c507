"""Ranking of eligible securities and selection with a buffer zone.

Ranking (rank 1 = best), over eligible securities only:

* ``ranking = "relevance"``: relevance score descending, ties by free-float market cap at the cut-off
  descending, then by code;
* ``ranking = "ffmc"``: free-float market cap descending, then by code.

Selection with ``K = max_constituents``, ``A = buffer_add_rank`` and ``R = buffer_remove_rank``
(``A <= K <= R``):

1. current constituents with rank ``<= R`` stay;
2. non-constituents with rank ``<= A`` enter;
3. if more than ``K`` qualify, the best-ranked ``K`` are kept;
4. if fewer than ``K`` qualify, the best-ranked remaining eligible securities fill the vacancies.

Without current constituents (the first review of a run) the selection is the plain top ``K``.
"""

from __future__ import annotations

import numpy as np

from engine.rules.methodology import SelectionRules


def rank(
    eligible: np.ndarray, relevance: np.ndarray, ffmc: np.ndarray, codes, ranking: str
) -> np.ndarray:
    """Ranks 1..n of the eligible securities (float, NaN for the others).

    Parameters
    ----------
    eligible
        Boolean mask.
    relevance, ffmc
        Relevance score and free-float market cap per security.
    codes
        Security codes (last tie-breaker, ascending).
    ranking
        ``"relevance"`` or ``"ffmc"``.
    """
    idx = np.flatnonzero(eligible)
    out = np.full(len(eligible), np.nan)
    if len(idx) == 0:
        return out
    code_order = np.argsort(np.asarray(codes, dtype=object)[idx].astype(str), kind="stable")
    code_key = np.empty(len(idx))
    code_key[code_order] = np.arange(len(idx))
    keys = [code_key, -np.nan_to_num(ffmc[idx], nan=-np.inf)]
    if ranking == "relevance":
        keys.append(-relevance[idx])
    order = np.lexsort(keys)  # the last key is the primary one
    out[idx[order]] = np.arange(1, len(idx) + 1, dtype=float)
    return out


def select(
    ranks: np.ndarray, current: np.ndarray, rules: SelectionRules
) -> tuple[np.ndarray, np.ndarray]:
    """Buffer-zone selection (see module docstring).

    Parameters
    ----------
    ranks
        Ranks from :func:`rank` (NaN = not eligible).
    current
        Boolean mask of the current constituents (all False at the first review).
    rules
        ``max_constituents``, ``buffer_add_rank``, ``buffer_remove_rank``.

    Returns
    -------
    selected : ndarray of bool
    reason : ndarray of object
        For every ranked security the selection reason ("selected: rank 5",
        "selected: rank 45 kept by buffer (<=48)", "out: rank 41 below the cut", ...); ``""`` for
        unranked ones.
    """
    n = len(ranks)
    k, add, remove = rules.max_constituents, rules.buffer_add_rank, rules.buffer_remove_rank
    ranked = ~np.isnan(ranks)
    r = np.where(ranked, ranks, np.inf)
    first = not current.any()
    if first:
        qualify = ranked & (r <= k)
    else:
        qualify = ranked & ((current & (r <= remove)) | (~current & (r <= add)))
    selected = np.zeros(n, dtype=bool)
    order = np.flatnonzero(qualify)[np.argsort(r[qualify], kind="stable")]
    selected[order[:k]] = True
    overflow = set(order[k:].tolist())
    filled = np.zeros(n, dtype=bool)
    if selected.sum() < k:
        rest = np.flatnonzero(ranked & ~selected)
        rest = rest[np.argsort(r[rest], kind="stable")][: k - int(selected.sum())]
        selected[rest] = True
        filled[rest] = True
    reason = np.full(n, "", dtype=object)
    for j in np.flatnonzero(ranked):
        rk = int(r[j])
        if selected[j]:
            if filled[j]:
                reason[j] = f"selected: rank {rk} fills a vacancy"
            elif rk > k:
                reason[j] = f"selected: rank {rk} kept by buffer (<={remove})"
            else:
                reason[j] = f"selected: rank {rk}"
        elif int(j) in overflow:
            reason[j] = f"out: rank {rk} cut (more than {k} qualified)"
        elif current[j]:
            reason[j] = f"out: rank {rk} below the buffer (>{remove})"
        elif not first and rk <= k:
            reason[j] = f"out: rank {rk}, a newcomer needs rank <={add}"
        else:
            reason[j] = f"out: rank {rk} below the cut"
    return selected, reason


__all__ = ["rank", "select"]
