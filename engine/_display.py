"""What a reader sees of a result: one summary shape and one way to format numbers.

Every result's ``summary()`` returns a :class:`Summary`: a labelled table of metrics, one row each,
with the value, its unit and what it is measured against.  Units are a closed set (:data:`UNITS`);
the value is kept exact (a float, a date, a count) and formatted only for display:

========  ===================================  =====================
unit      value stored as                      shown as
========  ===================================  =====================
``%``     a fraction (0.0123)                  ``1.23%``
``bp``    a fraction (0.0123)                  ``123.0 bp``
``CNY``   an amount                            ``4,501,600 CNY``
``HKD``   an amount                            ``4,501,600 HKD``
``count`` an integer                           ``1,234``
``ratio`` a plain number (beta, correlation)   ``0.9871``
``level`` an index level or NAV per unit       ``3,829.41``
``date``  a timestamp                          ``2025-08-11``
``text``  a string                             as is
========  ===================================  =====================
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from engine.metrics import ALIASES, canonical

UNITS = ("%", "bp", "CNY", "HKD", "count", "ratio", "level", "date", "text")
COLUMNS = ("metric", "value", "unit", "against", "note")


def fmt(value, unit: str) -> str:
    """``value`` formatted for a reader in ``unit`` (see the module table); NaN shows as ``n/a``."""
    if value is None:
        return "n/a"
    if unit == "text":
        return str(value)
    if unit == "date":
        return "n/a" if pd.isna(value) else str(pd.Timestamp(value).date())
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(x):
        return "n/a"
    if abs(x) < 5e-13:  # -1.1102e-11 style noise reads as zero
        x = 0.0
    if unit == "%":
        return f"{x * 100:.2f}%"
    if unit == "bp":
        return f"{x * 1e4:.1f} bp"
    if unit in ("CNY", "HKD"):
        return f"{x:,.0f} {unit}"
    if unit == "count":
        return f"{x:,.0f}"
    if unit == "level":
        return f"{x:,.2f}"
    if unit == "ratio":
        return f"{x:.4f}"
    raise ValueError(f"unknown unit {unit!r}; use one of {UNITS}")


class Summary:
    """A labelled table of metrics: ``metric, value, unit, against, note``.

    ``s["total_return"]`` gives the stored value; ``s.to_frame()`` the tidy table; the repr and
    ``_repr_html_`` show the values formatted by unit.  ``title`` heads the display.
    """

    def __init__(self, rows: Iterable[Mapping], title: str = ""):
        frame = pd.DataFrame(list(rows))
        for col in COLUMNS:
            if col not in frame:
                frame[col] = "" if col != "value" else np.nan
        frame = frame[list(COLUMNS)]
        frame["against"] = frame["against"].fillna("").astype(str)
        frame["note"] = frame["note"].fillna("").astype(str)
        bad = sorted(set(frame["unit"]) - set(UNITS))
        if bad:
            raise ValueError(f"unknown unit(s) {bad}; use one of {UNITS}")
        dup = frame["metric"][frame["metric"].duplicated()].tolist()
        if dup:
            raise ValueError(f"duplicated metric(s) {dup}")
        self._frame = frame.reset_index(drop=True)
        self.title = title

    def to_frame(self) -> pd.DataFrame:
        """The table (a copy), one row per metric."""
        return self._frame.copy()

    @property
    def metrics(self) -> list[str]:
        return self._frame["metric"].tolist()

    def __contains__(self, metric) -> bool:
        return metric in set(self._frame["metric"])

    def __getitem__(self, metric):
        hit = self._frame.index[self._frame["metric"] == metric]
        if not len(hit) and metric in ALIASES:  # a name of release 0.1 (deprecated)
            return self[canonical(metric)]
        if not len(hit):
            raise KeyError(f"{metric!r} is not in this summary; metrics: {self.metrics}")
        return self._frame.at[hit[0], "value"]

    def unit(self, metric) -> str:
        self[metric]
        return str(self._frame.loc[self._frame["metric"] == metric, "unit"].iloc[0])

    def formatted(self) -> pd.DataFrame:
        """Display table: ``value`` as text in its unit; ``unit`` dropped (the text carries it)."""
        out = self._frame.copy()
        out["value"] = [fmt(v, u) for v, u in zip(out["value"], out["unit"], strict=True)]
        return out.drop(columns="unit").set_index("metric")

    def __len__(self) -> int:
        return len(self._frame)

    def __repr__(self) -> str:
        head = f"{self.title}\n" if self.title else ""
        return head + self.formatted().to_string()

    def _repr_html_(self) -> str:
        head = f"<p><b>{html.escape(self.title)}</b></p>" if self.title else ""
        return head + self.formatted().to_html(escape=True)


def result_html(result) -> str:
    """``_repr_html_`` of a result: its one-line repr, then its summary table."""
    head = f"<p><code>{html.escape(repr(result))}</code></p>"
    summary = result.summary() if hasattr(result, "summary") else None
    if summary is None:
        return head
    if isinstance(summary, pd.Series):
        summary = summary.to_frame()
    if isinstance(summary, pd.DataFrame):
        return head + summary.to_html(float_format=_plain)
    if hasattr(summary, "_repr_html_"):
        return head + summary._repr_html_()
    return head + f"<pre>{html.escape(str(summary))}</pre>"


def plot_axes(draw, result, ax=None, **kw):
    """What a result's ``plot()`` returns: the ``Axes`` that ``draw`` drew ``result`` on.

    ``draw`` is a figure function of :mod:`engine.report.figures` (``draw(result, ax=..., **kw)``
    or ``draw(result, fig=..., **kw)``).  With ``ax`` it draws there and ``ax`` is returned; without,
    it draws into a new ``pyplot`` figure (shown inline in a notebook, like every other result's
    plot) and returns that figure's first, main ``Axes`` (the other panels of a multi-panel figure
    are ``ax.figure.axes[1:]``).
    """
    if ax is not None:
        draw(result, ax=ax, **kw)
        return ax
    import matplotlib.pyplot as plt

    fig = plt.figure()
    try:
        draw(result, fig=fig, **kw)
    except BaseException:
        plt.close(fig)
        raise
    return fig.axes[0]


def _plain(x: float) -> str:
    """A number without exponent noise: thousands separators, 4 significant digits; below 1e-9 (float
    rounding such as -1.1102e-11 in a sum of returns) it shows as 0."""
    if abs(x) < 1e-9:
        return "0"
    return f"{x:,.0f}" if abs(x) >= 1e3 else f"{x:.4g}"


__all__ = ["COLUMNS", "UNITS", "Summary", "fmt", "plot_axes", "result_html"]
