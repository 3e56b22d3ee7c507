"""`SweepResult`: one row per variant, its parameters and its reduced metrics."""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine._display import Summary
from engine.sweep.metrics import AGAINST_METRICS, METRICS

_TURNOVER_OF = {
    ("turnover_drifted", False): "; the index's, at its reviews",
    ("turnover_drifted", True): "; of the index the fund tracks, not the fund's trades",
    ("turnover_fund", True): "; the fund's own trades over its valuation sessions, annualised",
}
"""Which turnover a sweep's turnover metric is, by (metric, fund sweep)."""


@dataclass(frozen=True, eq=False)
class SweepResult:
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
            {"metric": "variants", "value": len(self.frame), "unit": "count"},
            {
                "metric": "failed",
                "value": len(self.frame) - len(ok),
                "unit": "count",
                "note": "see .failed for the messages",
            },
        ]
        fund = self.kind == "nav_per_unit_cny"
        for m in self.metrics:
            x = ok[m].to_numpy(dtype=float)
            x = x[np.isfinite(x)]
            against = self.against if m in AGAINST_METRICS else ""
            for stat, fn in (("min", np.min), ("median", np.median), ("max", np.max)):
                rows.append(
                    {
                        "metric": f"{m}_{stat}",
                        "value": float(fn(x)) if x.size else np.nan,
                        "unit": METRICS[m],
                        "against": against or "",
                        "note": f"{stat} over variants of {self.kind}{_TURNOVER_OF.get((m, fund), '')}",
                    }
                )
        return Summary(
            rows, title=f"Sweep of {self.base}: {len(self.frame)} variants ({self.kind})"
        )

    def plot(self, metric: str | None = None, ax=None):
        """``metric`` (default: the first) against the first axis, one line per value of the second
        axis (median over the other axes); a bar per variant for a grid without axes.  Returns the Axes."""
        import matplotlib.pyplot as plt

        metric = metric or self.metrics[0]
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4))
        f = self.frame[self.frame["error"] == ""]
        if not self.axes:
            ax.bar(f["variant"].astype(str), f[metric])
            ax.set_xlabel("variant")
        else:
            x = self.axes[0]
            xs = f[x].map(repr) if f[x].map(lambda v: isinstance(v, tuple)).any() else f[x]
            f = f.assign(_x=xs)
            if len(self.axes) > 1:
                hue = self.axes[1]
                for value, part in f.groupby(f[hue].map(repr), sort=False):
                    med = part.groupby("_x", sort=False)[metric].median()
                    ax.plot(
                        med.index.astype(str) if med.index.dtype == object else med.index,
                        med.to_numpy(),
                        marker="o",
                        label=f"{hue}={value}",
                    )
                ax.legend(fontsize=8)
            else:
                med = f.groupby("_x", sort=False)[metric].median()
                ax.plot(
                    med.index.astype(str) if med.index.dtype == object else med.index,
                    med.to_numpy(),
                    marker="o",
                )
            ax.set_xlabel(x)
        ax.set_ylabel(metric)
        ax.set_title(f"{self.base}: {metric} by variant", fontsize=10)
        ax.grid(alpha=0.3)
        return ax

    def __repr__(self) -> str:
        axes = " x ".join(self.axes) or "base only"
        return (
            f"SweepResult({len(self.frame)} variants over {axes}; {self.kind}; "
            f"{len(self.failed)} failed; metrics: {', '.join(self.metrics)})"
        )

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(repr(self))}</p>" + self.frame.head(20).to_html()
