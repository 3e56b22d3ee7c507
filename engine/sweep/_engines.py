"""The batch engines a sweep evaluates chunks with.

``index_batch`` (contract B, :mod:`engine.batch`) and ``fund_batch`` (contract C,
:mod:`engine.fund.batch`) evaluate many variants in one compiled call.  Until those modules are
merged, the same interface is served by loops over :func:`engine.build_index` and
:func:`engine.fund.backtest` (exact by construction, slow); the loops go when the batch cores land.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine.errors import EngineError


def index_turnover(result) -> float:
    """Mean one-way turnover per review after the first of an ``IndexResult`` (NaN with one review)."""
    from engine.analytics.compare import membership_changes

    tv = membership_changes(result)["turnover"].to_numpy(dtype=float)[1:]
    tv = tv[np.isfinite(tv)]
    return float(tv.mean()) if tv.size else float("nan")


@dataclass
class _LoopIndexBatch:
    dates: pd.DatetimeIndex
    levels: dict
    total_return: dict
    turnover: np.ndarray
    n_constituents: np.ndarray
    n_reviews: np.ndarray
    variants: list
    errors: list = field(default_factory=list)


def _index_batch_loop(
    market, methodology, variants, *, kinds=("price",), keep_levels=True, progress=False
):
    from engine.pipeline import build_index
    from engine.rules.methodology import resolve

    base = resolve(methodology)
    variants = list(variants)
    V = len(variants)
    series = {k: [None] * V for k in kinds}
    turnover, n_con, n_rev = np.full(V, np.nan), np.full(V, np.nan), np.full(V, np.nan)
    errors, dates = [], None
    for i, v in enumerate(variants):
        try:
            res = build_index(market, base.replace(**v) if v else base)
        except EngineError as exc:
            errors.append((i, str(exc)))
            continue
        dates = res.levels.index if dates is None else dates
        for k in kinds:
            series[k][i] = res.levels[k]
        turnover[i] = index_turnover(res)
        n_con[i] = len(res.schedule.reviews[-1].constituents)
        n_rev[i] = len(res.schedule.reviews)
    dates = pd.DatetimeIndex([]) if dates is None else dates
    levels = {
        k: np.column_stack(
            [np.full(len(dates), np.nan) if s is None else s.reindex(dates).to_numpy() for s in col]
        )
        if V
        else np.zeros((len(dates), 0))
        for k, col in series.items()
    }
    total = {k: L[-1] / L[0] - 1.0 if len(L) else np.full(V, np.nan) for k, L in levels.items()}
    return _LoopIndexBatch(
        dates, levels if keep_levels else {}, total, turnover, n_con, n_rev, variants, errors
    )


@dataclass
class _LoopFundBatch:
    dates: pd.DatetimeIndex
    nav_per_unit_cny: np.ndarray
    total_return: np.ndarray
    variants: list
    errors: list = field(default_factory=list)


def _fund_batch_loop(index, market, config, variants, *, flows=None, fx=None, keep_nav=True):
    from engine.fund import backtest

    variants = list(variants)
    navs, errors, dates = [None] * len(variants), [], None
    for i, v in enumerate(variants):
        try:
            res = backtest(index, market, config.replace(**v) if v else config, flows=flows, fx=fx)
        except EngineError as exc:
            errors.append((i, str(exc)))
            continue
        navs[i] = res.nav["nav_per_unit_cny"]
        dates = navs[i].index if dates is None else dates
    dates = pd.DatetimeIndex([]) if dates is None else dates
    nav = (
        np.column_stack(
            [
                np.full(len(dates), np.nan) if s is None else s.reindex(dates).to_numpy()
                for s in navs
            ]
        )
        if navs
        else np.zeros((len(dates), 0))
    )
    total = nav[-1] / nav[0] - 1.0 if len(nav) else np.full(len(variants), np.nan)
    return _LoopFundBatch(dates, nav, total, variants, errors)


try:  # contract B
    from engine.batch import index_batch
except ImportError:  # not merged yet: the loop serves the same interface
    index_batch = _index_batch_loop

try:  # contract C
    from engine.fund.batch import fund_batch
except ImportError:
    fund_batch = _fund_batch_loop
