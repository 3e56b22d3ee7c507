"""PDF rendering of a tracking report (matplotlib ``PdfPages``, one section per page).

Pages, always in this order (a section without data gets a page saying why): title with banner,
provenance, settings and assumptions; metrics table; one page per figure section of the content.
"""

from __future__ import annotations

import io
import textwrap

import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from engine.report.figures import SYNTHETIC_TAG
from engine.report.html import _fmt, display_metrics

A4 = (8.27, 11.69)


def _banner(fig, synthetic: bool) -> None:
    if synthetic:
        fig.text(
            0.5,
            0.985,
            f"{SYNTHETIC_TAG} DATA - generated market data, not real prices",
            ha="center",
            va="top",
            fontsize=12,
            weight="bold",
            color="white",
            bbox={"facecolor": "#b71c1c", "edgecolor": "none", "pad": 6},
        )


def _table_page(
    title: str,
    frame: pd.DataFrame,
    synthetic: bool,
    *,
    widths=None,
    fontsize=6.5,
    caption: str = "",
) -> Figure:
    fig = Figure(figsize=A4)
    _banner(fig, synthetic)
    fig.text(0.06, 0.94, title, fontsize=13, weight="bold")
    for k, line in enumerate(textwrap.wrap(caption, 120)):
        fig.text(0.06, 0.925 - 0.013 * k, line, fontsize=7, color="#444")
    ax = fig.add_axes((0.04, 0.03, 0.92, 0.88))
    ax.axis("off")
    cells = [[textwrap.shorten(_fmt(v), 110) for v in row] for row in frame.itertuples(index=False)]
    if cells:
        tbl = ax.table(
            cellText=cells,
            colLabels=[str(c) for c in frame.columns],
            loc="upper center",
            cellLoc="left",
            colWidths=widths,
        )
        tbl.auto_set_font_size(False)
        tbl.set_fontsize(fontsize)
        tbl.scale(1, 1.25)
    else:
        ax.text(0.5, 0.9, "(empty)", ha="center")
    return fig


def _title_page(content) -> Figure:
    fig = Figure(figsize=A4)
    _banner(fig, content.synthetic)
    fig.text(0.06, 0.93, content.title, fontsize=16, weight="bold")
    for k, line in enumerate(textwrap.wrap(content.subtitle, 105)):
        fig.text(0.06, 0.905 - 0.014 * k, line, fontsize=8, color="#444")
    y = 0.86
    lines = []
    for note in content.notes:
        lines += textwrap.wrap("NOTE: " + note, 110)
    lines.append("")
    lines.append("Provenance")
    for key, val in content.provenance.itertuples(index=False):
        lines += textwrap.wrap(f"  {key}: {val}", 110, subsequent_indent="      ")
    lines.append("")
    lines.append("Settings")
    for row in content.settings.itertuples(index=False):
        lines += textwrap.wrap(f"  {row[0]} = {row[1]}", 110, subsequent_indent="      ")
    lines.append("")
    lines.append("Assumptions and conventions")
    for a in content.assumptions:
        lines += textwrap.wrap("  - " + a, 110, subsequent_indent="    ")
    step = min(0.0135, 0.84 / max(len(lines), 1))
    size = max(4.0, min(7.5, step * 560))
    for line in lines:
        fig.text(0.06, y, line, fontsize=size, family="monospace", va="top")
        y -= step
    return fig


def _section_page(sec, synthetic: bool) -> Figure:
    if sec.figure is not None:
        return sec.figure  # its title already carries the SYNTHETIC tag
    if sec.table is not None:
        frame = sec.table.reset_index() if sec.table.index.name else sec.table
        return _table_page(sec.title, frame, synthetic, fontsize=7, caption=sec.caption)
    fig = Figure(figsize=A4)
    _banner(fig, synthetic)
    fig.text(0.06, 0.94, sec.title, fontsize=13, weight="bold")
    for k, line in enumerate(textwrap.wrap(sec.caption, 100)):
        fig.text(0.06, 0.9 - 0.02 * k, line, fontsize=9)
    return fig


def page_count(content) -> int:
    """Number of pages :func:`render` writes for ``content``: title + metrics + one per section."""
    return 2 + len(content.sections)


def render(content) -> bytes:
    """Render a :class:`engine.report.tracking.ReportContent` to PDF bytes."""
    buf = io.BytesIO()
    with PdfPages(
        buf, metadata={"Title": content.title, "Creator": f"hsidi-engine {content.engine_version}"}
    ) as pdf:
        pdf.savefig(_title_page(content))
        metrics = display_metrics(content.metrics_table).drop(columns=["metric"], errors="ignore")
        pdf.savefig(
            _table_page(
                "Tracking metrics",
                metrics,
                content.synthetic,
                widths=[0.2, 0.12, 0.12, 0.08, 0.48],
                fontsize=5.5,
            )
        )
        for sec in content.sections:
            pdf.savefig(_section_page(sec, content.synthetic))
    return buf.getvalue()


__all__ = ["page_count", "render"]
