"""Reduced metrics of many level series at once: one value per variant (column).

Notation: :math:`L_{t,v}` the level of variant :math:`v` on the :math:`n + 1` dates :math:`t = 0..n`,
:math:`r_{t,v} = L_{t,v} / L_{t-1,v} - 1`, :math:`p` periods per year and the sample standard deviation
with ``ddof`` from :mod:`engine.conventions`.

======================  =====================================================================
``total_return``        :math:`R_v = L_{n,v} / L_{0,v} - 1`
``annualised_return``   :math:`(1 + R_v)^{p/n} - 1` (:func:`engine.conventions.annualise_return`)
``volatility``          :math:`\\sqrt{p}\\,\\mathrm{std}(r_{\\cdot,v})`
``max_drawdown``        :math:`\\min_t L_{t,v} / \\max_{s \\le t} L_{s,v} - 1` (a fraction <= 0)
``turnover_drifted``    mean one-way turnover per review after the first, drifted to target (index
                        sweeps; in a fund sweep, asked for by name: of the index the fund tracks)
``turnover_fund``       the fund's own one-way turnover, annualised (fund sweeps):
                        :math:`\\min(\\sum B, \\sum S) / \\overline{NAV} \\cdot p / n` over the fund's
                        valuation sessions (:attr:`engine.fund.batch.FundBatch.turnover`)
``tracking_difference`` :math:`R_v - R_b` over the dates the variant and ``against`` share
``tracking_error_std``  :math:`\\sqrt{p}\\,\\mathrm{std}(r_{\\cdot,v} - r^b)` on those dates
``correlation``         :math:`\\mathrm{corr}(r_{\\cdot,v}, r^b)` on those dates
======================  =====================================================================

The last three follow :func:`engine.analytics.tracking.metrics_from_returns` (``td_period``,
``te_std``, ``correlation``); returns on the shared dates are taken between consecutive shared dates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine import metrics as core
from engine.conventions import DEFAULT, Conventions, level_series
from engine.errors import DataError, SweepError

METRICS: dict[str, str] = {
    "total_return": "%",
    "annualised_return": "%",
    "volatility": "%",
    "max_drawdown": "%",
    "turnover_drifted": "%",
    "turnover_fund": "%",
    "tracking_difference": "%",
    "tracking_error_std": "%",
    "correlation": "ratio",
}
"""Metric name -> unit (:data:`engine._display.UNITS`)."""

DEFAULT_METRICS = (
    "total_return",
    "annualised_return",
    "volatility",
    "max_drawdown",
    "turnover_drifted",
)
FUND_DEFAULT_METRICS = (*DEFAULT_METRICS[:-1], "turnover_fund")
"""Default metrics of a fund sweep: the turnover is the fund's, from its trades."""
AGAINST_METRICS = ("tracking_difference", "tracking_error_std", "correlation")
TURNOVER_METRICS = ("turnover_drifted", "turnover_fund")


def check_metrics(metrics, against, fund_sweep: bool = False) -> tuple[str, ...]:
    """The metric names to compute: the given ones (validated; a name of release 0.1 such as
    ``turnover`` or ``tracking_error`` is read as its canonical name with a DeprecationWarning),
    plus TD/TE/correlation with ``against``; ``None``: :data:`DEFAULT_METRICS`, or
    :data:`FUND_DEFAULT_METRICS` for a fund sweep."""
    if metrics is None:
        metrics = FUND_DEFAULT_METRICS if fund_sweep else DEFAULT_METRICS
    if isinstance(metrics, str):
        metrics = (metrics,)
    metrics = tuple(core.canonical(m) if isinstance(m, str) else m for m in metrics)
    for m in metrics:
        if m not in METRICS:
            what = "unknown metric"
            fix = f"use some of {list(METRICS)}"
            raise SweepError(what, source="sweep.run", field="metrics", value=m, fix=fix)
        if m == "turnover_fund" and not fund_sweep:
            what = "turnover_fund is the fund's turnover: it needs a fund sweep"
            fix = "pass fund=EtfConfig.default() (or a fund. axis), or use turnover_drifted"
            raise SweepError(what, source="sweep.run", field="metrics", value=m, fix=fix)
        if m in AGAINST_METRICS and against is None:
            what = f"metric {m!r} needs a series to compare with"
            fix = "pass against=<observed or reference levels>"
            raise SweepError(what, source="sweep.run", field="against", fix=fix)
    if against is not None:
        metrics += tuple(m for m in AGAINST_METRICS if m not in metrics)
    return metrics


def check_against(against) -> pd.Series | None:
    """A valid ``against`` level series (positive, dated, ascending, moving) or None."""
    if against is None:
        return None
    name = str(getattr(against, "name", None) or "against")
    out = level_series(against, source=name, field="against")
    if len(out) and float(out.min()) == float(out.max()):
        what = "the `against` series never moves (zero variance): correlation is undefined"
        raise DataError(what, source=name, field="against", value=float(out.iloc[0]))
    return out


def reduce(
    levels: np.ndarray,
    dates: pd.DatetimeIndex,
    metrics: tuple[str, ...],
    *,
    against: pd.Series | None = None,
    turnover: np.ndarray | None = None,
    conventions: Conventions = DEFAULT,
) -> dict[str, np.ndarray]:
    """Each metric of ``metrics`` for every column of ``levels`` ``[n_dates, V]`` (NaN columns stay NaN).

    Raises
    ------
    DataError
        ``against`` shares fewer than two dates with ``dates``.
    """
    L = np.asarray(levels, dtype=float)
    p = conventions.periods_per_year
    n = L.shape[0] - 1
    out: dict[str, np.ndarray] = {}
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if L.shape[0] >= 2:
            # variant-major for the kernel: a transposed view of the batch's levels needs no copy
            total, std, mdd = core.level_stats(L, conventions)
        else:  # one date: no period return
            total = L[-1] / L[0] - 1.0
            std, mdd = np.full(L.shape[1], np.nan), L[0] / L[0] - 1.0
        for m in metrics:
            if m == "total_return":
                out[m] = total
            elif m == "annualised_return":
                out[m] = core.annualised_return(total, n, conventions)
            elif m == "volatility":
                out[m] = std * np.sqrt(p)
            elif m == "max_drawdown":
                out[m] = mdd
            elif m in TURNOVER_METRICS:  # filled by the caller (engine.sweep.run)
                out[m] = (
                    np.full(L.shape[1], np.nan) if turnover is None else np.asarray(turnover, float)
                )
        if against is not None and any(m in AGAINST_METRICS for m in metrics):
            common = dates.intersection(against.index)
            if len(common) < 2:
                raise DataError(
                    "the variants and `against` share fewer than two dates",
                    source=str(against.name or "against"),
                    value=len(common),
                    fix=f"give levels on some of the sessions {dates[0].date()}..{dates[-1].date()}",
                )
            Lc = L[dates.get_indexer(common)]
            b = against.reindex(common).to_numpy(dtype=float)
            rv = Lc[1:] / Lc[:-1] - 1.0
            rb = (b[1:] / b[:-1] - 1.0)[:, None]
            a = rv - rb
            out["tracking_difference"] = (Lc[-1] / Lc[0] - 1.0) - (b[-1] / b[0] - 1.0)
            out["tracking_error_std"] = core.tracking_error(a, conventions)
            out["correlation"] = core.correlation_2d(rv, rb[:, 0])
    return {m: out[m] for m in metrics}
