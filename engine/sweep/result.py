"""`SweepResult`: one row per variant, its parameters and its reduced metrics."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine._display import Result, Summary
from engine._display import row as _row
from engine.sweep.metrics import AGAINST_METRICS, METRICS

_TURNOVER_OF = {
    ("turnover_drifted", False): "; the index's, at its reviews",
    ("turnover_drifted", True): "; of the index the fund tracks, not the fund's trades",
    ("turnover_fund", True): "; the fund's own trades over its valuation sessions, annualised",
}
"""Which turnover a sweep's turnover metric is, by (metric, fund sweep)."""


@dataclass(frozen=True, eq=False)
class SweepResult(Result):
    """Output of :func:`engine.sweep.run`.

    Attributes
    ----------
    frame : DataFrame
        One row per variant: ``variant`` id, one column per axis, one per metric, and ``error``
        (empty, or the message of the engine error that variant raised; its metrics are NaN).
    axes, metrics : tuple of str
        Axis names and metric names, in column order.
    levels : DataFrame or None
        ``[date, variant]`` levels (index sweeps) or NAV per unit (fund sweeps) when ``keep="levels"``.
    kind : str
        What the levels are: ``price``, ``gross``, ``net`` or ``nav_per_unit_cny``.
    base : str
        Name of the base methodology.
    against : str or None
        Name of the series TD / TE / correlation are measured against.
    """

    _figure = "sweep_figure"

    frame: pd.DataFrame
    axes: tuple[str, ...]
    metrics: tuple[str, ...]
    levels: pd.DataFrame | None
    kind: str
    base: str
    against: str | None = None

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def failed(self) -> pd.DataFrame:
        """Rows of the variants that raised an error."""
        return self.frame[self.frame["error"] != ""]

    def to_frame(self) -> pd.DataFrame:
        """The tidy table (a copy): ``variant``, the axes, the metrics, ``error``."""
        return self.frame.copy()

    def best(self, metric: str, n: int = 5, *, largest: bool = True) -> pd.DataFrame:
        """The ``n`` variants with the largest (or smallest) ``metric``."""
        f = self.frame[self.frame["error"] == ""]
        return f.nlargest(n, metric) if largest else f.nsmallest(n, metric)

    def summary(self) -> Summary:
        """Variant counts, then the minimum, median and maximum of every metric over the variants."""
        ok = self.frame[self.frame["error"] == ""]
        rows = [
            _row("variants", len(self.frame), "count"),
            _row("failed", len(self.frame) - len(ok), "count", note="see .failed for the messages"),
        ]
        fund = self.kind == "nav_per_unit_cny"
        for m in self.metrics:
            x = ok[m].to_numpy(dtype=float)
            x = x[np.isfinite(x)]
            against = self.against if m in AGAINST_METRICS else ""
            for stat, fn in (("min", np.min), ("median", np.median), ("max", np.max)):
                value = float(fn(x)) if x.size else np.nan
                note = f"{stat} over variants of {self.kind}{_TURNOVER_OF.get((m, fund), '')}"
                rows.append(_row(f"{m}_{stat}", value, METRICS[m], against or "", note))
        return Summary(
            rows, title=f"Sweep of {self.base}: {len(self.frame)} variants ({self.kind})"
        )

    def plot(self, metric: str | None = None, ax=None):
        """``metric`` (default: the first) against the first axis, one line per value of the second
        axis (:func:`engine.plotting.sweep_figure`); returns the ``Axes``."""
        return super().plot(ax=ax, metric=metric)

    def __repr__(self) -> str:
        axes = " x ".join(self.axes) or "base only"
        return (
            f"SweepResult({len(self.frame)} variants over {axes}; {self.kind}; "
            f"{len(self.failed)} failed; metrics: {', '.join(self.metrics)})"
        )
