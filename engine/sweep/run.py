"""`run`: evaluate every variant of a grid and reduce each to a row of metrics.

Variants are cut into chunks; each chunk is one call of the batch index core
(:func:`engine.index.batch.index_batch`) or, for fund sweeps, one index build and one call of the
batch fund core (:func:`engine.fund.batch.fund_batch`) over the fund variants that share that index.
Each chunk's level matrix ``[n_dates, distinct variants]`` (index variants of a chunk that come out
the same share one column, :attr:`engine.index.batch.IndexBatch.column`) is reduced to metrics
(:mod:`engine.sweep.metrics`) and dropped, so the work memory is bounded by one chunk unless
``keep="levels"``; variants are made per chunk (never a mapping for every variant at once), and a
result whose estimated size (:func:`estimate_bytes`) exceeds ``max_bytes``
(:data:`MAX_RESULT_BYTES`, 1 GiB by default) is refused before anything is computed. With
``client=`` (a ``dask.distributed.Client``) the same chunks are evaluated on the cluster's workers:
the results are identical to the local run because the chunks and the function are the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.conventions import DEFAULT, Conventions
from engine.errors import EngineError, FundConfigError, MethodologyError, SweepError
from engine.rules.methodology import resolve
from engine.sweep.grid import FUND_PREFIX, Grid, split
from engine.sweep.grid import grid as make_grid
from engine.sweep.metrics import check_against, check_metrics, reduce
from engine.sweep.result import SweepResult

KINDS = ("price", "gross", "net")
CHUNK_BYTES = 64 * 2**20
"""Budget of one chunk's level matrix (``n_dates x chunk x 8`` bytes) when ``chunk_size`` is not given."""
MAX_CHUNK = 4096

INSTALL_DISTRIBUTED = (
    "pip install 'hsidi-engine[distributed]'  (or: pip install 'dask[distributed]')"
)


@dataclass(frozen=True)
class _Spec:
    """What every chunk computes (sent once with each chunk to the workers)."""

    kind: str
    metrics: tuple[str, ...]
    against: pd.Series | None
    against_name: str | None
    keep_levels: bool
    fund: object | None
    flows: object | None
    fx: object | None
    conventions: Conventions


def _error(what: str, **where) -> SweepError:
    """A :class:`SweepError` from ``sweep.run`` (``where`` as for :func:`engine.errors.describe`)."""
    return SweepError(what, source="sweep.run", **where)


def _evaluate(market, base, ids: np.ndarray, changes: list[tuple[dict, dict]], spec: _Spec) -> dict:
    """Metrics (and levels when kept) of one chunk: variants ``ids`` and their ``(index changes,
    fund changes)`` (:func:`engine.sweep.grid.split`)."""
    if spec.fund is None:
        from engine.index.batch import index_batch

        b = index_batch(
            market,
            base,
            [index for index, _ in changes],
            kinds=(spec.kind,),
            keep_levels=False,
            chunk_size=max(len(ids), 1),
        )
        # metrics once per distinct variant (variants with the same index share a column)
        levels, dates, column, errors = b.distinct_levels[spec.kind], b.dates, b.column, b.errors
        extra = {"turnover_drifted": np.asarray(b.turnover, float)}
    else:
        from engine.fund.batch import fund_batch
        from engine.pipeline import build_index

        index_changes = changes[0][0]
        try:
            idx = build_index(market, base.replace(**index_changes) if index_changes else base)
        except EngineError as exc:
            nan = np.full(len(ids), np.nan)
            errors = [(int(i), str(exc)) for i in ids]
            return {"ids": ids, "values": dict.fromkeys(spec.metrics, nan), "errors": errors}
        fb = fund_batch(
            idx,
            market,
            spec.fund,
            [f for _, f in changes],
            flows=spec.flows,
            fx=spec.fx,
            keep_nav=True,
        )
        levels, dates, errors = fb.nav_per_unit_cny, fb.dates, fb.errors
        column = np.arange(len(ids), dtype=np.int64)
        p, n = spec.conventions.periods_per_year, max(len(dates) - 1, 1)
        extra = {
            "turnover_drifted": np.full(len(ids), _index_turnover(idx)),
            "turnover_fund": np.asarray(fb.turnover, float) * p / n,  # annualised
        }
    per_column = reduce(
        levels, dates, spec.metrics, against=spec.against, conventions=spec.conventions
    )
    ran = column >= 0
    values = {}
    for m in spec.metrics:
        values[m] = np.full(len(ids), np.nan)
        values[m][ran] = extra[m][ran] if m in extra else per_column[m][column[ran]]
    out = {"ids": ids, "values": values, "errors": [(int(ids[k]), msg) for k, msg in errors]}
    if spec.keep_levels:
        full = np.full((len(dates), len(ids)), np.nan)
        full[:, ran] = levels[:, column[ran]]
        out["levels"] = pd.DataFrame(full, index=pd.DatetimeIndex(dates, name="date"), columns=ids)
    return out


def _index_turnover(result) -> float:
    """Mean one-way turnover per review after the first of an ``IndexResult`` (NaN with one review):
    the index a fund sweep's variants track."""
    from engine.analytics.compare import membership_changes

    tv = membership_changes(result)["turnover"].to_numpy(dtype=float)[1:]
    tv = tv[np.isfinite(tv)]
    return float(tv.mean()) if tv.size else float("nan")


def _chunk_ids(g: Grid, fund_sweep: bool, size: int) -> list[np.ndarray]:
    """Variant ids in consecutive chunks of at most ``size``; for fund sweeps one index variant per
    chunk (the variants sharing the index-axis values, in order of first appearance)."""
    n = len(g)
    if not fund_sweep or not g.index_axes:
        return [np.arange(i, min(i + size, n), dtype=np.int64) for i in range(0, n, size)]
    index_cols = [k for k, name in enumerate(g.names) if name in g.index_axes]
    pos = g.positions()[:, index_cols]
    key = np.ravel_multi_index(pos.T, [len(g.axes[k][1]) for k in index_cols])
    order = np.argsort(key, kind="stable")  # key order is first-appearance order
    bounds = np.flatnonzero(np.diff(key[order])) + 1
    return [
        group[i : i + size] for group in np.split(order, bounds) for i in range(0, len(group), size)
    ]


def _changes(g: Grid, ids: np.ndarray) -> list[tuple[dict, dict]]:
    """The ``(index changes, fund changes)`` of variants ``ids`` (made when their chunk is
    evaluated)."""
    return [split(v) for v in g.variants(ids)]


MAX_RESULT_BYTES = 2**30
"""Default bound on the memory a sweep's result may take (1 GiB; see :func:`estimate_bytes`)."""


def estimate_bytes(
    n_variants: int, n_dates: int, n_axes: int, n_metrics: int, keep_levels: bool
) -> int:
    """Memory a sweep's result and its assembly take, in bytes, before anything is allocated.

    Per variant: the result frame's ``variant`` id, one 8-byte cell per axis, per metric and for the
    ``error`` column, and the per-metric arrays the chunks are assembled into (:math:`8 (2 + A + 2M)`
    bytes for :math:`A` axes and :math:`M` metrics); with ``keep="levels"`` also the level matrix
    and its assembled copy (:math:`16 T` bytes for :math:`T` dates).  The chunk being
    evaluated adds at most :data:`CHUNK_BYTES` when ``chunk_size`` is left at its default.
    """
    per_variant = 8 * (2 + n_axes + 2 * n_metrics)
    if keep_levels:
        per_variant += 2 * 8 * n_dates
    return int(n_variants) * per_variant


def _check_axes(g: Grid, base, fund) -> None:
    """Each axis value against the base settings; SweepError naming the axis and the value.

    An index value that fails on its own is an error when it is the grid's only index axis (nothing
    else in the grid can make it valid); with several index axes a combination may still be valid, so
    failing combinations are reported per variant in the result's ``error`` column.
    """
    only = len(g.index_axes) == 1
    for name, values in g.axes:
        is_fund = name.startswith(FUND_PREFIX)
        if not (is_fund or only):
            continue
        target = fund if is_fund else base
        for value in values:
            try:
                target.replace(**split({name: value})[is_fund])
            except (MethodologyError, FundConfigError, TypeError) as exc:
                raise _error(
                    f"bad value on axis {name!r}: {exc}", field=name, value=value
                ) from None


def _default_chunk(n_dates: int) -> int:
    return int(max(1, min(MAX_CHUNK, CHUNK_BYTES // (8 * max(n_dates, 1)))))


def _distributed(client, market, base, g, chunks, spec, bar) -> list[dict]:
    """The chunks evaluated on the workers of ``client``, in chunk order."""
    try:
        from distributed import as_completed
    except ImportError:
        what = "client= needs dask.distributed, which is not installed"
        raise _error(what, field="client", fix=INSTALL_DISTRIBUTED) from None
    if not hasattr(client, "submit") or not hasattr(client, "scatter"):
        raise _error(
            "client must be a dask.distributed.Client",
            field="client",
            value=type(client).__name__,
            fix="Client('tcp://scheduler:8786') or Client(LocalCluster())",
        )
    market_f, base_f, spec_f = (client.scatter(x, broadcast=True) for x in (market, base, spec))
    futures = [
        client.submit(_evaluate, market_f, base_f, c, _changes(g, c), spec_f, pure=False)
        for c in chunks
    ]
    order = {f.key: k for k, f in enumerate(futures)}
    out: list[dict | None] = [None] * len(futures)
    for fut in as_completed(futures):
        k = order[fut.key]
        out[k] = fut.result()
        bar.update(len(chunks[k]))
    return out


def run(
    market,
    base="hsidi",
    grid=None,
    metrics=None,
    against: pd.Series | None = None,
    keep: str | None = None,
    kind: str = "price",
    fund=None,
    client=None,
    chunk_size: int | None = None,
    progress: bool = False,
    *,
    flows=None,
    fx=None,
    conventions: Conventions = DEFAULT,
    max_bytes: int = MAX_RESULT_BYTES,
) -> SweepResult:
    """Evaluate every variant of ``grid`` on ``market`` and reduce each to metrics.

    Parameters
    ----------
    market
        A :class:`engine.data.MarketData`.
    base
        The methodology the index axes change: a history name (``"hsidi"``), a version name, a TOML
        path, a ``Methodology`` or ``MethodologyHistory``.
    grid
        A :class:`Grid` from :func:`engine.sweep.grid` (or a mapping of axes); None: the base only.
    metrics
        Names from :data:`engine.sweep.metrics.METRICS`; TD / TE / correlation are added when
        ``against`` is given.  Default: :data:`~engine.sweep.metrics.DEFAULT_METRICS`, or for a fund
        sweep :data:`~engine.sweep.metrics.FUND_DEFAULT_METRICS`, whose turnover is the fund's own
        (``turnover_fund``, from its trades over its valuation sessions); ``turnover_drifted`` asked
        for in a fund sweep is the turnover of the index the fund tracks.
    against
        Levels (or prices) to compare with, a Series on its own dates; the comparison uses the dates
        it shares with the variants.
    keep
        ``"levels"`` keeps every variant's levels (``result.levels``, ``[date, variant]``); None
        keeps only the metrics (memory bounded by one chunk).
    kind
        Index level kind of an index sweep (``"price"``, ``"gross"``, ``"net"``).
    fund
        An :class:`engine.fund.EtfConfig`: sweep the fund (metrics on the NAV per unit); implied by
        any ``fund.`` axis (default settings then).
    client
        A ``dask.distributed.Client``: evaluate the chunks on its cluster.
    chunk_size
        Variants per chunk (default: a level matrix of at most 64 MiB, at most 4,096 variants).
    progress
        Show a progress bar over the variants.
    flows, fx
        Passed to the fund backtest (fund sweeps).
    conventions
        Annualisation settings (:mod:`engine.conventions`).
    max_bytes
        Memory bound of the result in bytes (default :data:`MAX_RESULT_BYTES`, 1 GiB): a sweep whose
        :func:`estimate_bytes` exceeds it is refused before anything is computed or allocated.
        Variants are made chunk by chunk, so the bound holds for any grid size (10 million variants
        with 5 metrics take about 1.1 GB; with ``keep="levels"`` about 16 bytes per date more).

    Returns
    -------
    SweepResult

    Raises
    ------
    SweepError
        A bad grid (see :func:`engine.sweep.grid`), a value that the base settings reject (the axis
        and the value are named), an unknown metric or keep, ``client`` without dask.distributed, a
        result estimated above ``max_bytes`` (the estimate is named), or every variant failing.
    """
    g = _check_grid(grid)
    spec = _make_spec(g, metrics, against, keep, kind, fund, flows, fx, conventions)
    _check_size(g, market.shape[0], len(spec.metrics), spec.keep_levels, max_bytes)
    base_obj = resolve(base)
    _check_axes(g, base_obj, spec.fund)
    parts = _evaluate_all(market, base_obj, g, spec, client, chunk_size, progress)
    return _assemble(g, parts, spec, base_obj)


def _make_spec(g, metrics, against, keep, kind, fund, flows, fx, conventions) -> _Spec:
    """What every chunk computes, from :func:`run`'s arguments once checked."""
    _check_choice("unknown level kind", "kind", kind, KINDS)
    _check_choice("unknown keep", "keep", keep, (None, "levels"))
    against_name = None if against is None else str(getattr(against, "name", None) or "against")
    against = check_against(against)
    if fund is None and g.fund_axes:
        from engine.fund.config import EtfConfig

        fund = EtfConfig.default()
    names = check_metrics(metrics, against, fund_sweep=fund is not None)
    return _Spec(kind, names, against, against_name, keep == "levels", fund, flows, fx, conventions)


def _evaluate_all(market, base, g, spec, client, chunk_size, progress) -> list[dict]:
    """Every chunk evaluated, here or on ``client``'s cluster, in chunk order."""
    from tqdm.auto import tqdm

    size = _default_chunk(market.shape[0]) if chunk_size is None else int(chunk_size)
    if size < 1:
        raise _error("chunk_size must be >= 1", field="chunk_size", value=chunk_size)
    chunks = _chunk_ids(g, spec.fund is not None, size)
    with tqdm(total=len(g), desc="sweep", unit="variant", disable=not progress) as bar:
        if client is not None:
            return _distributed(client, market, base, g, chunks, spec, bar)
        parts = []
        for c in chunks:
            parts.append(_evaluate(market, base, c, _changes(g, c), spec))
            bar.update(len(c))
    return parts


def _check_grid(grid) -> Grid:
    """``grid`` as a :class:`Grid` (a mapping of axes, or None for the base only)."""
    if isinstance(grid, Grid):
        return grid
    if isinstance(grid, Mapping | type(None)):
        return make_grid(**(grid or {}))
    what = "grid must be a Grid (engine.sweep.grid(...))"
    raise _error(what, field="grid", value=type(grid).__name__)


def _check_choice(what: str, name: str, value, allowed: tuple) -> None:
    """SweepError ``what`` naming argument ``name`` unless ``value`` is one of ``allowed``."""
    if value not in allowed:
        raise _error(what, field=name, value=value, fix=f"use one of {allowed}")


def _check_size(g: Grid, n_dates: int, n_metrics: int, keep_levels: bool, max_bytes) -> None:
    """SweepError, before any allocation, when the result would exceed ``max_bytes``."""
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int | float) or not max_bytes > 0:
        what = "max_bytes must be a positive number of bytes"
        raise _error(what, field="max_bytes", value=max_bytes)
    need = estimate_bytes(len(g), n_dates, len(g.axes), n_metrics, keep_levels)
    if need > max_bytes:
        raise _error(
            f"the result of {len(g):,} variants would take about {need:,} bytes "
            f"({need / 2**30:.1f} GiB), above max_bytes={int(max_bytes):,}",
            field="max_bytes",
            value=repr(g),
            fix="sweep fewer variants (split the grid and run the parts one after another), "
            + ("drop keep='levels', " if keep_levels else "")
            + "or raise max_bytes if the machine has the memory",
        )


def _assemble(g, parts, spec: _Spec, base) -> SweepResult:
    V = len(g)
    values = {m: np.full(V, np.nan) for m in spec.metrics}
    error = np.full(V, "", dtype=object)
    for part in parts:
        for m in spec.metrics:
            values[m][part["ids"]] = part["values"][m]
        for i, msg in part["errors"]:
            error[i] = msg
            for m in spec.metrics:
                values[m][i] = np.nan
    if V and (error != "").all():
        raise _error(f"every variant failed; the first: {error[0]}")
    frame = g.to_frame()
    for m in spec.metrics:
        frame[m] = values[m]
    frame["error"] = error
    levels = None
    if spec.keep_levels:
        levels = pd.concat([p.get("levels") for p in parts], axis=1).sort_index(axis=1)
        levels.columns.name = "variant"
    return SweepResult(
        frame=frame,
        axes=g.names,
        metrics=spec.metrics,
        levels=levels,
        kind="nav_per_unit_cny" if spec.fund is not None else spec.kind,
        base=getattr(base, "name", str(base)),
        against=spec.against_name,
    )
