"""Review reasons as text, and the delisting facts they cite.

The rules kernel decides a reason code per security and review (:mod:`engine.enums`, ``RS_*``); the
review table turns the codes into text only when a table is read (:func:`review_table`), with the
rank, score, traded value or last close the text needs.  The compiled run
(:mod:`engine.rules.compiled`) and the ad-hoc replacements (:mod:`engine.rules.replace`) both read
these texts, so they live here, below both: neither imports the other for them.
"""

from __future__ import annotations

import warnings
from collections import Counter

import numpy as np
import pandas as pd

from engine import enums as C
from engine.data.market import MarketData
from engine.errors import DataError
from engine.rules.schedule import REVIEW_TABLE_COLUMNS
from engine.rules.screens import screen_text
from engine.rules.selection import RANK_TEXTS, rank, rank_text


def first_gone_rows(market: MarketData) -> np.ndarray:
    """``int64[N]``: per security the first row from which it has no close to the end of the data
    (its last close's row + 1; ``len(market.dates)`` when it trades on the last session, 0 when it
    never trades)."""
    priced = ~np.isnan(market.close_hkd)
    T = priced.shape[0]
    last = T - 1 - np.argmax(priced[::-1], axis=0)
    return np.where(priced.any(axis=0), last + 1, 0).astype(np.int64)


def gone_at(market: MarketData, rows) -> np.ndarray:
    """``bool[len(rows), N]``: no close on or after each row (delisted by then)."""
    rows = np.asarray(rows, dtype=np.int64)
    return first_gone_rows(market)[None, :] <= rows[:, None]


def _last_close(market: MarketData, first_gone: np.ndarray, j: int) -> str:
    return str(market.dates[first_gone[j] - 1].date())


def gone_text(last_close: str) -> str:
    """Reason of a security left out because it is delisted at the effective date."""
    return f"out: delisted (last close {last_close})"


def replacement_texts(codes, ranks, gone, new, kept, last_close) -> dict:
    """``{column: reason}`` of a replacement review's newcomers and kept incumbents.

    ``gone``: the previous constituents delisted at it; ``new``: the newcomers in rank order;
    ``kept``: the incumbents that stay; ``last_close(j)``: the date text of ``j``'s last close.  The
    best-ranked newcomer replaces the first delisted code in code order, and so on; a newcomer
    beyond the delisted names fills a place left open earlier.
    """
    codes = np.asarray(codes, dtype=object)
    gone = [int(g) for g in sorted(gone, key=lambda g: str(codes[g]))]
    names = ", ".join(str(codes[g]) for g in gone) or "none"
    out = {}
    for i, j in enumerate(new):
        rk = int(ranks[j])
        if i < len(gone):
            g = gone[i]
            out[int(j)] = (
                f"selected: rank {rk} replaces {codes[g]} (delisted, last close {last_close(g)})"
            )
        else:
            out[int(j)] = RANK_TEXTS[C.RS_FILLS_VACANCY].format(rank=rk)
    for j in kept:
        rk = ranks[j]
        how = (
            f"rank {int(rk)}"
            if np.isfinite(rk)
            else "not ranked: the screens act at the next regular review"
        )
        out[int(j)] = f"selected: kept at the replacement of {names} ({how})"
    return out


def replacement_notes(market: MarketData, out: dict, n_reviews: int) -> None:
    """The review-table texts of :data:`engine.enums.RS_REPLACE_CODES` for the first ``n_reviews``
    reviews of a compiled run, into ``out["delisted"][(k, j)]`` (see :func:`replacement_texts`)."""
    reason = out["reason"][:n_reviews]
    if not np.isin(reason, C.RS_REPLACE_CODES).any():
        return
    first_gone = first_gone_rows(market)
    notes = out["delisted"]

    def last(j):
        return _last_close(market, first_gone, j)

    for k, j in zip(*np.nonzero(reason == C.RS_GONE), strict=True):
        notes[(int(k), int(j))] = gone_text(last(j))
    replacing = np.isin(reason, (C.RS_REPLACES, C.RS_KEPT_AT_REPLACEMENT)).any(axis=1)
    for k in np.flatnonzero(replacing):
        k = int(k)
        gone = np.flatnonzero(out["selected"][k - 1] & (reason[k] == C.RS_GONE))
        new = np.flatnonzero(reason[k] == C.RS_REPLACES)
        ranks = review_ranks(k, out)  # the full ranking: a kept incumbent may rank below K
        new = new[np.argsort(ranks[new], kind="stable")]
        kept = np.flatnonzero(reason[k] == C.RS_KEPT_AT_REPLACEMENT)
        texts = replacement_texts(out["codes"], ranks, gone, new, kept, last)
        notes.update({(k, j): text for j, text in texts.items()})


_FACTS = {
    C.RS_TOO_YOUNG: "listing_date",
    C.RS_LONG_SUSPENDED: "suspended_sessions",
    C.RS_INDUSTRY: "industry",
    C.RS_RELEVANCE: "score",
    C.RS_LIQUIDITY: "avg_tv",
}


def reason_text(code: int, j: int, k: int, out: dict) -> str:
    """The review table's text for reason ``code`` of security ``j`` at review ``k``."""
    m = out["versions"][k]
    x = out["x"]
    if code in RANK_TEXTS:
        return rank_text(code, review_ranks(k, out)[j], m.selection)
    if code in _FACTS:  # a screen's text, with the fact it read (from the master or the snapshot)
        name = _FACTS[code]
        return screen_text(code, m, out[name][j] if name in out else x[k, j][name])
    if code == C.RS_DELISTED or code in C.RS_REPLACE_CODES:  # texts of delisted_notes, replace
        return out["delisted"][(k, j)]
    return C.REASON_LABELS[code] if code != C.RS_NONE else ""


def review_ranks(k: int, out: dict) -> np.ndarray:
    """Review ``k``'s full ranking (NaN = not eligible).  The kernel ranks only as deep as the
    selection reads (``inf`` below that); the rest is ranked here, once, by
    :func:`engine.rules.selection.rank`, the same lexicographic order."""
    ranks = out["ranks"][k]
    if not np.isinf(ranks).any():
        return ranks
    if k not in out["full_ranks"]:
        x = out["x"][k]
        out["full_ranks"][k] = rank(
            out["eligible"][k],
            x["score"],
            x["ffmc_cutoff"],
            out["codes"],
            out["versions"][k].selection.ranking,
        )
    return out["full_ranks"][k]


def no_selection_error(name: str, effective, reasons) -> DataError:
    """The error of a review of version ``name`` at which no security passes the screens; its
    value counts the four most common of the others' ``reasons``."""
    return DataError(
        "no security passes the screens at this review",
        source=name,
        date=effective,
        value=dict(Counter(reasons).most_common(4)),
        fix="check memberships, relevance scores and prices around the cut-off date",
    )


def table_frame(codes, reason, **columns) -> pd.DataFrame:
    """A review table (:data:`REVIEW_TABLE_COLUMNS`) from its ``columns``, with ``codes`` and the
    ``reason`` texts as object columns."""
    data = {"code": pd.Series(codes, dtype=object), **columns}
    data["reason"] = pd.Series(reason, dtype=object)
    return pd.DataFrame(data, columns=REVIEW_TABLE_COLUMNS)


def review_table(k: int, out: dict) -> pd.DataFrame:
    """Review ``k``'s table (:data:`REVIEW_TABLE_COLUMNS`) from the compact arrays of a run."""
    x = out["x"]
    reason = out["reason"][k]
    text = np.full(reason.shape[0], "", dtype=object)
    for j in np.flatnonzero(reason):
        text[j] = reason_text(int(reason[j]), int(j), k, out)
    return table_frame(
        out["codes"],
        text,
        eligible=out["eligible"][k],
        rank=review_ranks(k, out),
        selected=out["selected"][k],
        shares=x["shares"][k],
        free_float=x["free_float"][k],
        cap_factor=out["cap_factor"][k],
        weight=out["weight"][k],
    )


def delisted_notes(market: MarketData, out: dict, plan: pd.DataFrame, n_reviews: int) -> None:
    """Reason texts and warnings of the selected securities dropped at the first ``n_reviews``
    reviews of a compiled run (no close on the session before the effective date), into
    ``out["delisted"][(k, j)]`` (see :func:`dropped_texts`)."""
    dropped = out["reason"][:n_reviews] == C.RS_DELISTED
    for k in np.flatnonzero(dropped.any(axis=1)):
        k = int(k)
        texts = dropped_texts(
            market,
            out["versions"][k].name,
            plan["cap_date"].iloc[k],
            plan["effective_date"].iloc[k],
            np.flatnonzero(dropped[k]),
            stacklevel=5,  # dropped_texts <- delisted_notes <- run_compiled <- ... <- run_reviews
        )
        out["delisted"].update({(k, j): text for j, text in texts.items()})


def dropped_texts(market, name, cap_date, effective, gone, *, stacklevel: int) -> dict:
    """``{column: reason}`` of the selected securities ``gone`` dropped at a review of version
    ``name`` because they have no close on the session before ``effective`` (delisted after
    ``cap_date``), and the :class:`UserWarning` that names them and their last closes."""
    price_row = int(market.dates.searchsorted(effective, side="left")) - 1
    texts, notes = {}, []
    for j in gone:
        priced = np.flatnonzero(~np.isnan(market.close_hkd[: price_row + 1, j]))
        last = market.dates[priced[-1]].date()
        texts[int(j)] = (
            f"out: delisted after the cap date {cap_date.date()} (last close {last}, "
            f"review effective {effective.date()})"
        )
        notes.append(f"{market.codes[j]} (last close {last})")
    warnings.warn(
        f"{name} review effective {effective.date()}: {len(gone)} selected security(ies) stopped "
        f"trading between the cap date {cap_date.date()} and the effective date and are dropped "
        f"from the review: {', '.join(notes)}",
        UserWarning,
        stacklevel=stacklevel,
    )
    return texts
