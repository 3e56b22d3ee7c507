"""Every review of a run in one compiled pass over ``[review, security]`` arrays.

:func:`prepare_snapshots` reads, once, what the screens, ranking and capping need from the market at
each review's cut-off, cap and pricing sessions (:data:`~engine.rules._nb.SNAPSHOT_DT`); per-review settings become
one record array (:data:`~engine.rules._nb.RULES_DT`); :func:`engine.rules._nb.reviews_kernel` runs screens, ranking, buffer selection and
capping for all reviews in order.  The result keeps compact integer reason codes
(:mod:`engine.enums`, ``RS_*``); a review's table, with the reasons as text, is built only when it is
read (:func:`engine.rules._reasons.review_table`).  The rules are those of :mod:`engine.rules.screens`,
:mod:`engine.rules.selection` and :mod:`engine.rules.capping`; ``tests/rules`` compares the two
paths on random markets.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.data.market import MarketData
from engine.errors import DataError
from engine.rules import _nb
from engine.rules._reasons import (
    delisted_notes,
    gone_at,
    no_selection_error,
    reason_text,
    replacement_notes,
    review_table,
)
from engine.rules.calendar import plan_rows
from engine.rules.capping import cap_weights
from engine.rules.schedule import plan_reviews
from engine.rules.screens import latest_listing_ns, listing_ns

SNAPSHOT_DTYPE = _nb.SNAPSHOT_DT  # deprecated alias of engine.rules._nb.SNAPSHOT_DT


def _relevance(market: MarketData, cutoffs: pd.DatetimeIndex) -> np.ndarray:
    """``[review, security]`` relevance score in force at each cut-off (latest ``as_of`` <= it)."""
    out = np.zeros((len(cutoffs), len(market.codes)))
    rel = market.relevance
    if len(rel) == 0:
        return out
    rel = rel.sort_values("as_of", kind="stable")
    col = {c: j for j, c in enumerate(market.codes)}
    cols = np.array([col.get(c, -1) for c in rel["code"]], dtype=np.int64)
    asof = pd.DatetimeIndex(rel["as_of"])
    score = rel["score"].to_numpy(dtype=float)
    keep = cols >= 0
    cols, asof, score = cols[keep], asof[keep], score[keep]
    n_in = asof.searchsorted(cutoffs, side="right")
    for k, n in enumerate(n_in):
        out[k, cols[:n]] = score[:n]  # later assignments win: the latest as_of
    return out


def _window_mean(market: MarketData, rows: np.ndarray, window: np.ndarray) -> np.ndarray:
    """Mean traded value over the listed sessions of the window ending at each cut-off row."""
    out = np.full((len(rows), len(market.codes)), np.nan)
    for k, (tc, w) in enumerate(zip(rows, window, strict=True)):
        lo = max(0, tc - w + 1)
        listed = ~np.isnan(market.close_hkd[lo : tc + 1])
        count = listed.sum(axis=0)
        total = np.where(listed, np.nan_to_num(market.traded_value_hkd[lo : tc + 1]), 0.0).sum(
            axis=0
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            out[k] = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return out


def prepare_snapshots(market: MarketData, plan: pd.DataFrame, versions: list) -> np.ndarray:
    """The ``[review, security]`` :data:`~engine.rules._nb.SNAPSHOT_DT` array of a review plan.

    ``plan`` has the :data:`~engine.rules.calendar.REVIEW_DATE_COLUMNS`; ``versions[k]`` is the
    methodology of review ``k``.
    """
    R, N = len(plan), len(market.codes)
    x = np.empty((R, N), dtype=_nb.SNAPSHOT_DT)  # every field written below
    if R == 0:
        return x
    dates = market.dates
    tc, tk, price_row = plan_rows(plan, dates)
    if (tc < 0).any() or (tk < 0).any():
        bad = plan["cutoff_date"].iloc[int(np.flatnonzero((tc < 0) | (tk < 0))[0])]
        raise DataError("date is not a session of this market", date=bad)
    uni = [m.universe for m in versions]
    cutoffs = pd.DatetimeIndex(plan["cutoff_date"])
    months = np.array([u.min_listed_months for u in uni])
    latest = np.full(R, np.iinfo(np.int64).max)  # screen 1a off: nobody is too young
    for n in set(months.tolist()) - {0}:
        ks = months == n
        latest[ks] = latest_listing_ns(cutoffs[ks], n)
    _nb.fill_market_fields(
        x,
        market.close_hkd,
        market.shares,
        market.free_float,
        market.suspended,
        np.asarray(market.master_column("is_cxo"), dtype=np.bool_),
        listing_ns(market.master_column("listing_date")),
        tc.astype(np.int64),
        tk.astype(np.int64),
        np.maximum(price_row, 0).astype(np.int64),
        latest,
    )
    for k, u in enumerate(uni):
        if u.max_suspended_sessions:
            x["long_suspended"][k] = x["suspended_sessions"][k] > u.max_suspended_sessions
    if any(u.require_hsci for u in uni):
        x["hsci"] = market.membership("hsci")[tc]
    if any(u.require_southbound for u in uni):
        x["southbound"] = market.membership("southbound")[tc]
    industry = market.master_column("industry")
    for k, u in enumerate(uni):
        if u.industries:
            x["industry_ok"][k] = [v in set(u.industries) for v in industry]
    if len(market.relevance):
        x["score"] = _relevance(market, cutoffs)
    if any(m.liquidity.enabled for m in versions):
        x["avg_tv"] = _window_mean(
            market, tc, np.array([m.liquidity.window_sessions for m in versions])
        )
    if any(m.selection.replace_delisted for m in versions):  # engine.rules.replace
        x["gone"] = gone_at(market, price_row + 1)
    return x


def version_settings(m) -> tuple:
    """One methodology version's rules settings: a :data:`~engine.rules._nb.RULES_DT` row as a
    tuple (``np.array(rows, dtype=RULES_DT)`` stacks them; the per-review fields ``replacement``
    and ``drop_check`` False)."""
    u, sel = m.universe, m.selection
    fields = {
        "min_relevance": u.min_relevance,
        "min_tv_hkd": m.liquidity.min_avg_traded_value_hkd,
        "cap": m.weighting.cap,
        "max_constituents": sel.max_constituents,
        "add_rank": sel.buffer_add_rank,
        "remove_rank": sel.buffer_remove_rank,
        "by_relevance": sel.ranking == "relevance",
        "rebalance": m.weighting.shares_at == "rebalance_close",
        "exclude_suspended": u.exclude_suspended_at_cutoff,
        "require_hsci": u.require_hsci,
        "require_southbound": u.require_southbound,
        "exclude_cxo": u.exclude_cxo,
        "industry_screen": bool(u.industries),
        "liquidity_screen": m.liquidity.enabled,
        "young_screen": u.min_listed_months > 0,
        "long_suspended_screen": u.max_suspended_sessions > 0,
        "replace_delisted": sel.replace_delisted,
    }
    return tuple(fields.get(name, False) for name in _nb.RULES_DT.names)


def review_settings(out: np.ndarray, plan: pd.DataFrame, market: MarketData) -> np.ndarray:
    """``out``, the ``RULES_DT[..., R]`` settings of each review of ``plan`` from its version's
    :func:`version_settings`, with the per-review fields filled in."""
    out["replacement"] = (plan["kind"] == "replacement").to_numpy()  # engine.rules.replace
    dates = market.dates
    price_row = dates.searchsorted(pd.DatetimeIndex(plan["effective_date"]), side="left") - 1
    out["drop_check"] = price_row > dates.get_indexer(pd.DatetimeIndex(plan["cap_date"]))
    return out


def code_order(codes) -> np.ndarray:
    """Column indices in ascending code order (the last ranking tie-breaker)."""
    return np.argsort(np.asarray(codes, dtype=object).astype(str), kind="stable").astype(np.int64)


def run_compiled(market: MarketData, plan: pd.DataFrame, by_name: dict):
    """Run every review of ``plan`` (methodology versions looked up in ``by_name``).

    Returns
    -------
    reviews : tuple of Review
        Their tables are built on first access.
    arrays : dict
        ``selected``, ``q`` (index shares, 0 where not selected), ``weight`` ``[review, security]``
        and ``codes``, for the index stage.

    Raises
    ------
    DataError
        A review where no security passes the screens (the message counts the reasons).
    CappingError
        A cap that cannot be met, or raw weights that are not positive finite numbers.
    """
    versions = [by_name[name] for name in plan["methodology"]]
    x = prepare_snapshots(market, plan, versions)
    codes = market.codes
    settings = {n: version_settings(by_name[n]) for n in set(plan["methodology"])}  # once a version
    per_review = np.array([settings[name] for name in plan["methodology"]], dtype=_nb.RULES_DT)
    rules = review_settings(per_review, plan, market)
    reason, eligible, ranks, selected, weight, cf, stop, status = _nb.reviews_kernel(
        x, rules, code_order(codes)
    )
    out = {
        "x": x,
        "versions": versions,
        "codes": codes,
        "reason": reason,
        "eligible": eligible,
        "ranks": ranks,
        "selected": selected,
        "weight": weight,
        "cap_factor": cf,
        "industry": market.master_column("industry"),
        "listing_date": pd.DatetimeIndex(market.master_column("listing_date")),
        "delisted": {},
        "full_ranks": {},
    }
    n_run = min(stop + 1, len(plan))
    delisted_notes(market, out, plan, n_run)
    if any(m.selection.replace_delisted for m in versions):  # engine.rules.replace
        replacement_notes(market, out, n_run)
    if status != _nb.RV_OK:
        _raise_review(status, stop, plan.iloc[stop], out, x)
    reviews = plan_reviews(plan, versions, market.dates, lambda k: review_table(k, out))
    q = np.zeros(selected.shape)  # q = shares x FAF x CF where selected
    at = np.nonzero(selected)
    y = x[at]
    q[at] = y["shares"] * y["free_float"] * cf[at]
    arrays = {"codes": codes, "selected": selected, "q": q, "weight": weight}
    return reviews, arrays


def _raise_review(status, k, row, out, x) -> None:
    m = out["versions"][k]
    effective = pd.Timestamp(row["effective_date"])
    if status == _nb.RV_EMPTY:
        bad = ~out["eligible"][k]
        texts = [reason_text(int(out["reason"][k, j]), int(j), k, out) for j in np.flatnonzero(bad)]
        raise no_selection_error(m.name, effective, texts)
    idx = np.flatnonzero(out["selected"][k])
    cap_weights(
        x["ffmc_cap"][k, idx], m.weighting.cap, date=effective.strftime("%Y-%m-%d"), source=m.name
    )  # raises the CappingError that names the problem
    raise AssertionError("unreachable: the kernel reported a capping failure")  # pragma: no cover


__all__ = [
    "SNAPSHOT_DTYPE",
    "code_order",
    "prepare_snapshots",
    "reason_text",
    "review_table",
    "run_compiled",
]
