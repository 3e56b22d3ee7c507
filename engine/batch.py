"""`index_batch`: many methodology variants of one index on one market, reduced to a few numbers each.

A variant is a mapping of :meth:`~engine.rules.methodology.MethodologyHistory.replace` keys
(``{"cap": 0.15, "max_constituents": 30}``; ``{}`` is the base methodology).  For every variant
:math:`v` the batch gives exactly what ``engine.build_index(market, history.replace(**v))`` gives:
the levels of the requested kinds (``price``, ``gross``, ``net``), their total return
:math:`I_{end}/I_{base} - 1`, the mean one-way turnover per review after the first

.. math:: \\tau_k = \\tfrac12 \\sum_i |w^{post}_{i,k} - w^{pre}_{i,k}|,

with :math:`w^{pre}` the end-of-day index weights on the review's cap date (the old composition) and
:math:`w^{post}` the review's capped target weights on the same close, the constituent count at the
last review and the number of reviews applied.  A variant whose rules cannot be met (an impossible
cap, no eligible security, ...) raises an :class:`~engine.errors.EngineError`; the batch records its
message in :attr:`IndexBatch.errors` and leaves its columns NaN.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine.data.market import MarketData
from engine.errors import DataError, EngineError, describe
from engine.index.result import VARIANTS


@dataclass(frozen=True, eq=False)
class IndexBatch:
    """Result of :func:`index_batch`: one column (or entry) per variant.

    Attributes
    ----------
    dates : DatetimeIndex
        The index sessions (base date to the last market session) of the base methodology.
    levels : dict
        ``kind -> float64[n_days, V]`` levels (only when ``keep_levels``; NaN columns for failed
        variants and on dates a variant does not cover).
    total_return : dict
        ``kind -> float64[V]``, :math:`I_{end}/I_{base} - 1`.
    turnover : ndarray
        ``float64[V]``, mean one-way turnover per review after the first (a fraction; NaN with a
        single review).
    n_constituents : ndarray
        ``float64[V]``, constituents of the last review applied.
    n_reviews : ndarray
        ``float64[V]``, reviews applied (effective within the market).
    variants : list
        The variant mappings given.
    errors : list
        ``(variant_index, message)`` for each variant that raised an engine error.
    """

    dates: pd.DatetimeIndex
    levels: dict
    total_return: dict
    turnover: np.ndarray
    n_constituents: np.ndarray
    n_reviews: np.ndarray
    variants: list
    errors: list = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """One row per variant: its settings (as text), ``total_return_<kind>``, ``turnover``,
        ``n_constituents``, ``n_reviews`` and ``error`` ("" when it ran)."""
        err = dict(self.errors)
        data = {"variant": [", ".join(f"{k}={v!r}" for k, v in m.items()) for m in self.variants]}
        for kind, tr in self.total_return.items():
            data[f"total_return_{kind}"] = tr
        data["turnover"] = self.turnover
        data["n_constituents"] = self.n_constituents
        data["n_reviews"] = self.n_reviews
        data["error"] = [err.get(i, "") for i in range(len(self.variants))]
        return pd.DataFrame(data)

    def __repr__(self) -> str:
        return (
            f"IndexBatch({len(self.variants)} variants, {len(self.dates)} sessions, "
            f"kinds={list(self.total_return)}, {len(self.errors)} errors)"
        )


def _history(methodology):
    from engine.rules.methodology import MethodologyHistory, resolve

    spec = resolve(methodology)
    if isinstance(spec, MethodologyHistory):
        return spec
    return MethodologyHistory(spec.name, (spec,))


def _check_kinds(kinds) -> tuple[str, ...]:
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    bad = [k for k in kinds if k not in VARIANTS]
    if bad or not kinds:
        raise DataError(
            describe(
                "unknown index kind",
                source="index_batch",
                field="kinds",
                value=bad or kinds,
                fix=f"use some of {VARIANTS}",
            )
        )
    return kinds


def review_turnover(result) -> float:
    """Mean one-way turnover per review after the first of an :class:`IndexResult` (see module)."""
    events = result.events
    applied = int((events["kind"] == "review").sum()) if len(events) else 0
    reviews = result.schedule.reviews[:applied]
    if len(reviews) < 2:
        return float("nan")
    weights = result.weights
    out = []
    for rv in reviews[1:]:
        cap = pd.Timestamp(rv.cap_date)
        pre = weights.loc[cap].to_numpy(dtype=float) if cap in weights.index else None
        t = rv.table
        post = pd.Series(np.where(t["selected"], t["weight"], 0.0), index=t["code"].to_numpy())
        post = post.reindex(weights.columns, fill_value=0.0).to_numpy(dtype=float)
        if pre is None or not pre.sum() > 0:
            out.append(np.nan)
            continue
        out.append(0.5 * np.abs(post - pre).sum())
    return float(np.mean(out))


def index_batch(
    market: MarketData,
    methodology,
    variants: Sequence[Mapping],
    *,
    kinds=("price",),
    keep_levels: bool = True,
    progress: bool = False,
    chunk_size: int = 1024,
) -> IndexBatch:
    """Build ``len(variants)`` variants of ``methodology`` on ``market``.

    Parameters
    ----------
    market
        The market data.
    methodology
        Anything :func:`engine.rules.run_reviews` accepts (history name, version name, path,
        ``Methodology``, ``MethodologyHistory``).
    variants
        Mappings of :meth:`MethodologyHistory.replace` keys; ``{}`` is the base methodology.
    kinds
        Index kinds to return, some of ``("price", "gross", "net")``.
    keep_levels
        Keep the ``[n_days, V]`` levels (otherwise only the reduced figures).
    progress
        Show a tqdm progress bar over the variants.
    chunk_size
        Variants per compiled call (bounds the working memory: ``chunk_size x n_days x 3`` levels).

    Returns
    -------
    IndexBatch
        For every variant :math:`v`, ``levels[kind][:, v]`` equals
        ``engine.build_index(market, history.replace(**variants[v])).levels[kind]``.

    Raises
    ------
    MethodologyError
        A variant key that is not a setting (a mistake in the grid, not an outcome of a variant).
        Every other engine error of a variant (a value out of range, an impossible cap, no eligible
        security) lands in :attr:`IndexBatch.errors`.
    """
    from engine.index import compute
    from engine.rules import run_reviews
    from engine.rules.methodology import MethodologyError

    kinds = _check_kinds(kinds)
    history = _history(methodology)
    variants = [dict(v) for v in variants]
    n = len(variants)
    histories = []
    for v in variants:  # grid mistakes (unknown key, bad type) raise before anything runs
        try:
            histories.append(history.replace(**v) if v else history)
        except MethodologyError as exc:
            if _is_grid_mistake(str(exc)):
                raise
            histories.append(exc)
    fast = _FastPath(market)
    results: dict[int, tuple] = {}
    errors: list[tuple[int, str]] = []
    groups: dict = {}
    for i, h in enumerate(histories):
        if isinstance(h, Exception):
            errors.append((i, str(h)))
            continue
        key = fast.key(h)
        if key is None:  # the full build decides (and names any error)
            _run_full(market, h, i, results, errors)
        else:
            groups.setdefault(key[0], []).append((i, key[1]))
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n, desc="variants", unit="variant")
        bar.update(n - sum(len(g) for g in groups.values()))
    for gkey, members in groups.items():
        for lo in range(0, len(members), chunk_size):
            chunk = members[lo : lo + chunk_size]
            for i, out in zip(
                [i for i, _ in chunk], fast.run(gkey, [v for _, v in chunk]), strict=True
            ):
                if out is None:
                    _run_full(market, histories[i], i, results, errors)
                else:
                    results[i] = out
            if bar is not None:
                bar.update(len(chunk))
    if bar is not None:
        bar.close()
    errors.sort()
    if results:
        dates = market.dates[results[min(results)][1] :]
    else:  # every variant failed: the base methodology's sessions
        dates = compute(market, run_reviews(market, history)).levels.index
    levels = {k: np.full((len(dates), n), np.nan) for k in kinds} if keep_levels else {}
    total = {k: np.full(n, np.nan) for k in kinds}
    turnover = np.full(n, np.nan)
    n_const = np.full(n, np.nan)
    n_rev = np.full(n, np.nan)
    for i, (lv, base_row, tv, nk, nr) in results.items():
        own = lv  # [T - base_row, 3] from base_row on
        if len(own) != len(dates):  # a variant with another base date: on the first one's dates
            own = pd.DataFrame(own, index=market.dates[base_row:]).reindex(dates).to_numpy()
        for kind in kinds:
            col = own[:, VARIANTS.index(kind)]
            if keep_levels:
                levels[kind][:, i] = col
            total[kind][i] = col[-1] / col[0] - 1.0
        turnover[i], n_const[i], n_rev[i] = tv, nk, nr
    return IndexBatch(
        dates=pd.DatetimeIndex(dates),
        levels=levels,
        total_return=total,
        turnover=turnover,
        n_constituents=n_const,
        n_reviews=n_rev,
        variants=variants,
        errors=errors,
    )


def _run_full(market, history, i, results, errors) -> None:
    """One full build (rules and index) reduced to what the batch keeps, or its error."""
    from engine.index import compute
    from engine.rules import run_reviews

    try:
        r = compute(market, run_reviews(market, history))
    except EngineError as exc:
        errors.append((i, str(exc)))
        return
    base_row = market.row(r.base_date)
    applied = int((r.events["kind"] == "review").sum())
    results[i] = (
        r.levels[list(VARIANTS)].to_numpy(),
        base_row,
        review_turnover(r),
        len(r.schedule.reviews[applied - 1].constituents),
        applied,
    )


class _Review:
    """The dates of a review that :func:`engine.prepare.capital_change_factors` reads."""

    def __init__(self, cap_date, effective_date, shares_as_of):
        self.cap_date, self.effective_date, self.shares_as_of = (
            cap_date,
            effective_date,
            shares_as_of,
        )


class _FastPath:
    """Variants grouped by what they share (review calendar, market snapshots, restatement
    factors, base date, withholding rates), each group run by
    :func:`engine.index._nb.variants_kernel`; a variant the kernel cannot finish (an error to
    name) goes to the full build.
    """

    def __init__(self, market):
        from engine.rules.compiled import code_order

        self.market = market
        self.plans: dict = {}
        self.groups: dict = {}
        self.base_rows: dict = {}
        self.code_order = code_order(market.codes)

    def _plan(self, history):
        from engine.rules import review_dates

        key = tuple(
            (
                m.name,
                m.schedule,
                m.weighting.cap_factor_lag_sessions,
                m.index.base_date,
                m.meta.effective_from,
            )
            for m in history.versions
        )
        if key not in self.plans:
            plan = review_dates(history, self.market.dates)
            eff = self.market.dates.get_indexer(pd.DatetimeIndex(plan["effective_date"]))
            names = list(dict.fromkeys(plan["methodology"]))
            vi = np.array([names.index(x) for x in plan["methodology"]], dtype=np.int64)
            ok = not plan.empty and plan["kind"].iloc[0] == "initial" and not (eff < 0).any()
            self.plans[key] = (plan, eff, names, vi, ok)
        return key, self.plans[key]

    def key(self, history):
        """``(group key, per-version kernel settings)`` of a variant, or None for the full build."""
        from engine.rules.compiled import version_settings

        market = self.market
        first = history.first
        base = first.index.base_date
        dates = market.dates
        if not len(dates) or not dates[0] <= base <= dates[-1]:
            return None
        if any(m.selection.replace_delisted for m in history.versions):  # ad-hoc reviews
            return None
        pkey, (_plan, eff_rows, names, _vi, ok) = self._plan(history)
        if not ok:
            return None
        base_row = self.base_rows.get(base)
        if base_row is None:
            base_row = self.base_rows[base] = int(dates.get_indexer([base])[0])
        if base_row < 0 or eff_rows[0] != base_row + 1:
            return None
        by_name = {m.name: m for m in history.versions}
        versions = [by_name[name] for name in names]
        snap = tuple(
            (
                m.universe.industries,
                m.universe.min_listed_months,
                m.universe.max_suspended_sessions,
                m.liquidity.enabled,
                m.liquidity.window_sessions,
                m.universe.require_hsci,
                m.universe.require_southbound,
                m.weighting.shares_at,
            )
            for m in versions
        )
        gkey = (
            pkey,
            snap,
            base_row,
            float(first.index.base_value),
            tuple(sorted(first.index.withholding_rates.items())),
        )
        if gkey not in self.groups:
            self.groups[gkey] = self._group(gkey, versions)
        return gkey, [version_settings(m) for m in versions]

    def _group(self, gkey, versions):
        """Everything a group of variants shares."""
        from engine.prepare import action_records, capital_change_factors, withholding_rates
        from engine.rules.compiled import drop_checks, prepare_snapshots

        market = self.market
        pkey, _snap, base_row, _bv, rates = gkey
        plan, eff_rows, names, vi, _ok = self.plans[pkey]
        by_name = dict(zip(names, versions, strict=True))
        per_review = [by_name[x] for x in plan["methodology"]]
        x = prepare_snapshots(market, plan, per_review)
        dates = market.dates
        reviews = []
        for k, row in enumerate(plan.itertuples()):
            rebalance = per_review[k].weighting.shares_at == "rebalance_close"
            as_of = dates[eff_rows[k] - 1] if rebalance else pd.Timestamp(row.cap_date)
            reviews.append(_Review(row.cap_date, row.effective_date, as_of))
        rates = dict(rates)
        known = market.securities.set_index("code")["wht_class"].reindex(market.codes)
        known = known.isin(list(rates)).to_numpy(dtype=bool)
        return {
            "x": x,
            "vi": vi,
            "drop": drop_checks(plan, market),
            "factors": capital_change_factors(reviews, market),
            "known": known,
            "wht": withholding_rates(market, rates, np.zeros(len(market.codes), dtype=bool)),
            "act": action_records(market, after_row=base_row),
            "eff": eff_rows.astype(np.int64),
            "cap_rows": dates.get_indexer(pd.DatetimeIndex(plan["cap_date"])).astype(np.int64),
            "n_reviews": len(plan),
        }

    def run(self, gkey, settings: list) -> list:
        """Run the variants of one group; one ``(levels, base_row, turnover, n, reviews)`` or None
        per variant."""
        from engine.index import _nb as inb
        from engine.rules.compiled import expand_settings

        g = self.groups[gkey]
        _pkey, _snap, base_row, base_value, _rates = gkey
        per = [expand_settings(s, g["vi"]) for s in settings]
        stacked = [np.ascontiguousarray(np.stack([p[c] for p in per])) for c in range(len(per[0]))]
        levels, turnover, n_const, ok = inb.variants_kernel(
            g["x"],
            *stacked,
            g["drop"],
            self.code_order,
            g["factors"],
            g["known"],
            self.market.close_hkd,
            base_row,
            base_value,
            g["eff"],
            g["cap_rows"],
            g["act"],
            g["wht"],
            np.arange(3, dtype=np.int64),
        )
        return [
            (levels[v], base_row, float(turnover[v]), float(n_const[v]), g["n_reviews"])
            if ok[v]
            else None
            for v in range(len(settings))
        ]


def _is_grid_mistake(message: str) -> bool:
    """Unknown or ambiguous keys are mistakes in the grid, not outcomes of a variant."""
    return message.startswith(("unknown setting", "ambiguous setting"))


__all__ = ["IndexBatch", "index_batch", "review_turnover"]
