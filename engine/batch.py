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
    results: list = [None] * n
    errors: list[tuple[int, str]] = []
    it = range(n)
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(it, desc="variants", unit="variant")
    for i in it:
        h = histories[i]
        if isinstance(h, Exception):
            errors.append((i, str(h)))
            continue
        try:
            results[i] = compute(market, run_reviews(market, h))
        except EngineError as exc:
            errors.append((i, str(exc)))
    base = next((r for r in results if r is not None), None)
    if base is None:
        base_hist = compute(market, run_reviews(market, history))
        dates = base_hist.levels.index
    else:
        dates = results[0].levels.index if results[0] is not None else base.levels.index
    levels = {k: np.full((len(dates), n), np.nan) for k in kinds}
    total = {k: np.full(n, np.nan) for k in kinds}
    turnover = np.full(n, np.nan)
    n_const = np.full(n, np.nan)
    n_rev = np.full(n, np.nan)
    for i, r in enumerate(results):
        if r is None:
            continue
        lv = r.levels.reindex(dates)
        for k in kinds:
            if keep_levels:
                levels[k][:, i] = lv[k].to_numpy(dtype=float)
            total[k][i] = float(r.levels[k].iloc[-1] / r.levels[k].iloc[0] - 1.0)
        applied = int((r.events["kind"] == "review").sum())
        n_rev[i] = applied
        n_const[i] = len(r.schedule.reviews[applied - 1].constituents)
        turnover[i] = review_turnover(r)
    return IndexBatch(
        dates=pd.DatetimeIndex(dates),
        levels=levels if keep_levels else {},
        total_return=total,
        turnover=turnover,
        n_constituents=n_const,
        n_reviews=n_rev,
        variants=variants,
        errors=errors,
    )


def _is_grid_mistake(message: str) -> bool:
    """Unknown or ambiguous keys are mistakes in the grid, not outcomes of a variant."""
    return message.startswith(("unknown setting", "ambiguous setting"))


__all__ = ["IndexBatch", "index_batch", "review_turnover"]
