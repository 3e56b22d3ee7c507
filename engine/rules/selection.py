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

from engine import enums as C
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


RANK_TEXTS = {
    C.RS_SELECTED: "selected: rank {rank}",
    C.RS_KEPT_BY_BUFFER: "selected: rank {rank} kept by buffer (<={remove})",
    C.RS_FILLS_VACANCY: "selected: rank {rank} fills a vacancy",
    C.RS_CUT_OVERFLOW: "out: rank {rank} cut (more than {k} qualified)",
    C.RS_BELOW_BUFFER: "out: rank {rank} below the buffer (>{remove})",
    C.RS_NEWCOMER_RANK: "out: rank {rank}, a newcomer needs rank <={add}",
    C.RS_BELOW_CUT: "out: rank {rank} below the cut",
}
"""The review-table text of each selection outcome (:mod:`engine.enums`), by rank and rules."""


def rank_text(code: int, rank: float, rules: SelectionRules) -> str:
    """:data:`RANK_TEXTS` of ``code`` at ``rank`` under ``rules``."""
    return RANK_TEXTS[code].format(
        rank=int(rank),
        k=rules.max_constituents,
        add=rules.buffer_add_rank,
        remove=rules.buffer_remove_rank,
    )


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
        if selected[j] and filled[j]:
            code = C.RS_FILLS_VACANCY
        elif selected[j]:
            code = C.RS_KEPT_BY_BUFFER if r[j] > k else C.RS_SELECTED
        elif int(j) in overflow:
            code = C.RS_CUT_OVERFLOW
        elif current[j]:
            code = C.RS_BELOW_BUFFER
        else:
            code = C.RS_NEWCOMER_RANK if not first and r[j] <= k else C.RS_BELOW_CUT
        reason[j] = rank_text(code, r[j], rules)
    return selected, reason


__all__ = ["RANK_TEXTS", "rank", "rank_text", "select"]
