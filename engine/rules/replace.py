"""Ad-hoc replacement of a constituent delisted between reviews (``selection.replace_delisted``).

A security is *delisted at session* :math:`t` when it has no close from :math:`t` to the end of the
market data (a suspended day carries a close, so a suspension is not a delisting); its last close is
on :math:`t-1`.  With ``replace_delisted = false`` (the default) nothing here runs: the index deletes
such a constituent at its last close and the vacancy stays open until the next review.

With ``replace_delisted = true`` (an **assumption**: HSI's ad-hoc rules for this index are not
public; the usual practice of Hang Seng indexes is to replace a deleted constituent by the
highest-ranked non-constituent of the latest review's reserve list) the rules stage adds, for each
session :math:`t` strictly between two effective dates on which a constituent of the earlier review
is delisted, a review of kind ``"replacement"``

* effective on :math:`t`, with announcement and cap date :math:`t-1` (the last close), under the
  methodology version of the review it follows (the version in force);
* with cut-off :math:`t-1` (``replacement_cutoff = "last_close"``, the default) or the cut-off of the
  latest review that is not a replacement (``"review_cutoff"``: the ranking that review's reserve
  list was drawn from);
* selecting :math:`S' = (S \\setminus G) \\cup N`: :math:`S` the previous review's constituents,
  :math:`G` those delisted at :math:`t`, and :math:`N` the :math:`|S| - |S \\setminus G|`
  best-ranked securities that pass the version's screens at the cut-off, are not in :math:`S` and
  still trade on :math:`t` (:func:`engine.rules._nb.select_replacement_nb`;
  :func:`select_replacement` is the plain Python version).  Incumbents stay whatever the screens say
  (they act at the next regular review);
* with capped free-float weights recomputed over :math:`S'` on the close of :math:`t-1`, as at a
  regular review (**assumption**; the index shares of the other constituents are reset too, so the
  event has turnover beyond the newcomer).  Keeping the others' index shares and giving the newcomer
  the deleted name's weight would need the index's shares of :math:`t-1` (restated for capital
  changes since the last review) inside the rules stage, which runs before the index.

The index stage needs nothing new: the replacement is a review effective on :math:`t` whose divisor
is set on the closes of :math:`t-1`, so the level is continuous and the delisted name, not in
:math:`q'`, is never deleted at a price.  A later regular review's buffer compares against the
replacement's selection (it is the previous review of the run).

The same setting also makes every review of the version leave out a security listed at its cut-off
but delisted at its effective date (reason ``out: delisted (last close d)``), so that the review's
own selection fills the place: a constituent delisted on a regular review's effective date is
replaced by that review, and one delisted between the cap date and the effective date (possible
when ``cap_factor_lag_sessions > 1``) no longer leaves the review one name short.

The reviews are found by fixed-point iteration: run the compiled reviews, find the earliest session
on which a constituent is delisted between two effective dates, insert a replacement review there,
and run again until there is none.  Reviews before an inserted one do not change, so each pass adds
a review strictly later than the last, and a market with ``n`` such sessions takes ``n + 1`` passes.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from engine import enums as C
from engine.data.market import MarketData
from engine.errors import EngineError
from engine.rules._reasons import (
    _last_close,
    first_gone_rows,
    gone_at,
    gone_text,
    replacement_notes,
    replacement_texts,
)
from engine.rules.calendar import REVIEW_DATE_COLUMNS
from engine.rules.compiled import run_compiled
from engine.rules.selection import RANK_TEXTS

KIND = "replacement"
"""The ``kind`` of an ad-hoc replacement review (plan rows and :class:`~engine.rules.Review`)."""


def enabled(versions) -> bool:
    """Does any methodology version switch ``selection.replace_delisted`` on?"""
    return any(m.selection.replace_delisted for m in versions)


# ---------------------------------------------------------------- the plain Python path (run_review)
def exclude_gone(market: MarketData, eligible, reason, cutoff, cap_date, effective):
    """Python twin of :func:`engine.rules._nb.exclude_gone_nb`.

    Returns ``(eligible, reason, gone, left)``: the screens' outcome with the securities listed at
    the cut-off and cap date but delisted at ``effective`` out (``left``), and every security
    without a close from ``effective`` on (``gone``).
    """
    row = int(market.dates.searchsorted(pd.Timestamp(effective), side="left"))
    first_gone = first_gone_rows(market)
    gone = first_gone <= row
    close = market.close_hkd
    listed = ~np.isnan(close[market.row(cutoff)]) & ~np.isnan(close[market.row(cap_date)])
    left = gone & listed
    eligible, reason = eligible & ~left, np.asarray(reason, dtype=object).copy()
    for j in np.flatnonzero(left):
        reason[j] = gone_text(_last_close(market, first_gone, j))
    return eligible, reason, gone, left


def select_replacement(market: MarketData, ranks, current, gone, left):
    """Python twin of :func:`engine.rules._nb.select_replacement_nb`: ``(selected, reason)``,
    the reasons of the ranked securities and the kept incumbents as text (``gone``, ``left``: from
    :func:`exclude_gone`)."""
    n = len(ranks)
    ranked = ~np.isnan(ranks)
    kept = np.flatnonzero(current & ~gone)
    rest = np.flatnonzero(ranked & ~current)
    rest = rest[np.argsort(ranks[rest], kind="stable")]
    vacancies = int(current.sum()) - len(kept)
    new = rest[:vacancies]
    selected = np.zeros(n, dtype=bool)
    selected[kept] = True
    selected[new] = True
    reason = np.full(n, "", dtype=object)
    for j in rest[vacancies:]:
        reason[j] = RANK_TEXTS[C.RS_BELOW_CUT].format(rank=int(ranks[j]))
    first_gone = first_gone_rows(market)
    texts = replacement_texts(
        market.codes,
        ranks,
        np.flatnonzero(current & left),
        new,
        kept,
        lambda j: _last_close(market, first_gone, j),
    )
    for j, text in texts.items():
        reason[j] = text
    return selected, reason


def _first_delisting(plan, selected, eff_rows, first_gone, by_name, n_rows):
    """``(k, row)``: the earliest session ``row`` strictly between review ``k``'s effective date and
    the next one (or the end of the data) on which a constituent of review ``k`` is delisted, among
    the first ``len(selected)`` reviews of ``plan`` whose version replaces delisted constituents;
    None when there is none."""
    names = plan["methodology"].to_numpy()
    for k in range(len(selected)):
        if not by_name[names[k]].selection.replace_delisted:
            continue
        lo = eff_rows[k]
        hi = eff_rows[k + 1] if k + 1 < len(plan) else n_rows
        d = first_gone[selected[k]]
        d = d[(d > lo) & (d < hi)]
        if len(d):
            return k, int(d.min())
    return None


def _longest_prefix(market, plan, by_name) -> int:
    """The most leading reviews of ``plan`` that run without an error (``plan`` itself fails)."""
    lo, hi = 0, len(plan) - 1  # plan[:lo] runs (trivially for 0), plan[:hi + 1] fails
    while lo < hi:
        mid = (lo + hi + 1) // 2
        try:
            run_compiled(market, plan.iloc[:mid], by_name)
            lo = mid
        except EngineError:
            hi = mid - 1
    return lo


def replacement_row(plan: pd.DataFrame, k: int, m, dates: pd.DatetimeIndex, row: int) -> dict:
    """The plan row of a replacement effective on session ``row`` that follows review ``k`` of
    ``plan``, under ``k``'s methodology ``m``: announcement and cap date on the session before (the
    last close); cut-off there too, or with ``replacement_cutoff = "review_cutoff"`` the cut-off of
    the latest review up to ``k`` that is not itself a replacement."""
    last = dates[row - 1]
    cutoff = last
    if m.selection.replacement_cutoff == "review_cutoff":
        kinds = plan["kind"].to_numpy()
        src = max(i for i in range(k + 1) if kinds[i] != KIND)
        cutoff = pd.Timestamp(plan["cutoff_date"].iloc[src])
    return {
        "kind": KIND,
        "methodology": m.name,
        "cutoff_date": cutoff,
        "announcement_date": last,
        "cap_date": last,
        "effective_date": dates[row],
    }


def run_with_replacements(market: MarketData, plan: pd.DataFrame, by_name: dict):
    """:func:`engine.rules.compiled.run_compiled` of ``plan`` with the replacement reviews added
    (see the module docstring); a single run when no version replaces delisted constituents.

    A pass that fails at some review still places the replacements that come before it (the
    reviews that ran are read from the longest prefix of the plan that runs), so the error raised,
    if any, is that of the final plan.  Only the final pass's warnings are shown.

    Returns
    -------
    reviews, arrays
        As :func:`~engine.rules.compiled.run_compiled`, for the plan with its replacement reviews.
    """
    if not enabled(by_name.values()):
        return run_compiled(market, plan, by_name)
    dates = market.dates
    first_gone = first_gone_rows(market)
    while True:
        result, failure = None, None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = run_compiled(market, plan, by_name)
            except EngineError as exc:
                failure = exc
        selected = None if result is None else result[1]["selected"]
        if failure is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                n_ok = _longest_prefix(market, plan, by_name)
                if n_ok:
                    selected = run_compiled(market, plan.iloc[:n_ok], by_name)[1]["selected"]
        eff_rows = dates.get_indexer(pd.DatetimeIndex(plan["effective_date"]))
        found = None
        if selected is not None:
            found = _first_delisting(plan, selected, eff_rows, first_gone, by_name, len(dates))
        if found is None:
            for w in caught:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
            if failure is not None:
                raise failure
            return result
        k, row = found
        m = by_name[plan["methodology"].iloc[k]]
        extra = pd.DataFrame([replacement_row(plan, k, m, dates, row)], columns=REVIEW_DATE_COLUMNS)
        plan = (
            pd.concat([plan, extra], ignore_index=True)
            .sort_values("effective_date", kind="stable")
            .reset_index(drop=True)
        )


__all__ = [
    "KIND",
    "enabled",
    "exclude_gone",
    "first_gone_rows",
    "gone_at",
    "replacement_notes",
    "replacement_texts",
    "run_with_replacements",
    "select_replacement",
]
