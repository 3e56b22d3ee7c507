"""What every figure module shares: colours, the synthetic title, new figures and dated marks."""

from __future__ import annotations

import io

import matplotlib.dates as mdates
import pandas as pd
from matplotlib.figure import Figure

SYNTHETIC_TAG = "SYNTHETIC"
_COLORS = {
    "fund": "#1f4e79",
    "benchmark": "#c55a11",
    "pos": "#2e7d32",
    "neg": "#c62828",
    "total": "#455a64",
}


def _head(ax, text: str, synthetic: bool = False, fontsize=10) -> None:
    """Set the title of ``ax``, "[SYNTHETIC DATA]" added when ``synthetic``."""
    ax.set_title(f"{text} [{SYNTHETIC_TAG} DATA]" if synthetic else text, fontsize=fontsize)


def _figure(fig, figsize, layout: str | None = None):
    """A new ``Figure``, or ``fig`` (an empty one, e.g. from ``pyplot``, so that a result's
    ``plot()`` shows inline) resized and laid out the same way."""
    if fig is None:
        return Figure(figsize=figsize, layout=layout)
    fig.set_size_inches(figsize)
    if layout is not None:
        fig.set_layout_engine(layout)
    return fig


def _new(nrows: int = 1, figsize=(9, 4.2), layout: str | None = None, fig=None):
    """A figure of ``nrows`` stacked axes (see :func:`_figure`); without a layout engine, fixed
    margins (constrained layout costs more than the drawing itself)."""
    fig = _figure(fig, figsize, layout)
    if layout is None:
        fig.subplots_adjust(
            left=0.09, right=0.97, top=0.92 if nrows == 1 else 0.95, bottom=0.1, hspace=0.35
        )
    axes = fig.subplots(nrows, 1, squeeze=False)[:, 0]
    return fig, axes


def _axes(ax, fig, figsize, layout: str | None = None):
    """``ax``, else the one axes of ``fig`` (an empty figure, resized) or of a new ``Figure``."""
    return ax if ax is not None else _figure(fig, figsize, layout).subplots()


def _twin_legend(ax, right) -> None:
    lines, more = ax.get_legend_handles_labels(), right.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], loc="best", fontsize="small")


def to_png(fig, dpi: int = 110) -> bytes:
    """PNG bytes of a figure."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def mark_dates(ax, marks=(), *, text: bool = True) -> None:
    """Draw a dotted vertical line at each ``(date, label)`` of ``marks`` inside the x range of ``ax``,
    labelled at the top (e.g. the 2025-08-11 methodology revision)."""
    if not marks:
        return
    lo, hi = ax.get_xlim()
    for date, label in marks:
        ts = pd.Timestamp(date)
        x = mdates.date2num(ts)
        if not (lo <= x <= hi):
            continue
        ax.axvline(ts, color="#6a1b9a", ls=":", lw=1.1, zorder=0)
        if text:
            right = (x - lo) / (hi - lo) > 0.75 if hi > lo else False
            ax.text(
                ts,
                1.0,
                f"{label} {ts.date()} " if right else f" {label} {ts.date()}",
                transform=ax.get_xaxis_transform(),
                va="top",
                ha="right" if right else "left",
                fontsize=7,
                color="#6a1b9a",
            )
