"""PDF rendering of a tracking report: uniform A4 portrait pages (matplotlib ``PdfPages``).

Pages, always in this order: title (banner, headline, notes, warnings, provenance, assumptions);
settings (assumptions marked); tracking metrics; then one page per section of the content, each with
its title, its figure (drawn to the page width), its caption and its table.
"""

from __future__ import annotations

import io
import textwrap

import matplotlib.image as mpimg
import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from engine.plotting import SYNTHETIC_TAG, to_png
from engine.report.html import _fmt, display_metrics

A4 = (8.27, 11.69)
"""Page size in inches (portrait); every page has it."""
LEFT, WIDTH = 0.06, 0.88


def _page(title: str, synthetic: bool) -> Figure:
    fig = Figure(figsize=A4)
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
    fig.text(LEFT, 0.945, title, fontsize=13, weight="bold", va="top")
    return fig


def _text(fig, y: float, text: str, *, width: int = 110, size: float = 7.5, **kw) -> float:
    """Wrapped text from ``y`` down; returns the y below it."""
    step = size / 72 / A4[1] * 1.35
    for line in textwrap.wrap(text, width) or [""]:
        fig.text(LEFT, y, line, fontsize=size, va="top", **kw)
        y -= step
    return y


def _table(fig, y: float, frame: pd.DataFrame, *, fontsize=6.5, widths=None, bottom=0.03) -> None:
    """A table from ``y`` down to ``bottom`` (shrinks the rows to fit)."""
    if frame is None or frame.empty:
        fig.text(LEFT, y, "(empty)", fontsize=7, va="top")
        return
    frame = frame.reset_index() if frame.index.name else frame
    n = len(frame.columns)
    fr = list(widths) if widths is not None else [1.0 / n] * n
    # characters that fit a column at this font size (about 0.55 em per character)
    fit = [max(8, int(w * (WIDTH + 0.04) * A4[0] * 72 / (0.55 * fontsize)) - 2) for w in fr]
    cells = [
        [textwrap.shorten(_fmt(v), fit[j], placeholder="...") for j, v in enumerate(row)]
        for row in frame.itertuples(index=False)
    ]
    heads = [textwrap.fill(str(c), 22) for c in frame.columns]
    row_h = min(0.018, (y - bottom) / (len(cells) + 2))
    height = row_h * (len(cells) + 1.6)
    ax = fig.add_axes((LEFT - 0.02, y - height, WIDTH + 0.04, height))
    ax.axis("off")
    tbl = ax.table(
        cellText=cells, colLabels=heads, loc="upper center", cellLoc="left", colWidths=widths
    )
    tbl.auto_set_font_size(False)
    tbl.set_fontsize(fontsize)
    tbl.scale(1, 1.0)
    for (r, _c), cell in tbl.get_celld().items():
        cell.set_height(1.0 / (len(cells) + 1.6) * (1.6 if r == 0 else 1.0))
        if r == 0:
            cell.set_facecolor("#eef2f7")


def _title_page(content) -> Figure:
    fig = _page(content.title, content.synthetic)
    y = _text(fig, 0.915, content.subtitle, size=8.5, color="#333")
    y -= 0.01
    for note in content.notes:
        y = _text(fig, y, "NOTE: " + note, color="#8a4b00")
    warnings = getattr(content, "warnings", ())
    if warnings:
        y = _text(
            fig,
            y - 0.005,
            "Warnings (carried by the market and the results)",
            size=9,
            weight="bold",
        )
        for w in warnings:
            y = _text(fig, y, "- " + w, color="#8a4b00")
    y = _text(fig, y - 0.01, "Provenance", size=9, weight="bold")
    for key, val in content.provenance.itertuples(index=False):
        y = _text(fig, y, f"{key}: {val}", family="monospace", size=6.5, width=120)
    y = _text(fig, y - 0.01, "Assumptions and conventions", size=9, weight="bold")
    for a in content.assumptions:
        y = _text(fig, y, "- " + a, size=7)
    return fig


def _table_page(title: str, intro: str, frame, synthetic: bool, **table) -> Figure:
    """A page with a title, an introductory line and one table."""
    fig = _page(title, synthetic)
    y = _text(fig, 0.915, intro, color="#444")
    _table(fig, y - 0.01, frame, **table)
    return fig


def _settings_page(content) -> Figure:
    return _table_page(
        "Fund settings",
        "status ASSUMPTION: the value is not confirmed from the fund contract; 'source [Sn]': the "
        "reference that gives it (see reference/methodology-research.md).",
        content.settings,
        content.synthetic,
        fontsize=5.5,
        widths=[0.15, 0.19, 0.1, 0.56],
    )


def _metrics_page(content) -> Figure:
    metrics = display_metrics(content.metrics_table).drop(columns=["metric"], errors="ignore")
    n = len(metrics.columns)
    return _table_page(
        "Tracking metrics",
        "One column per benchmark; the first is the fund's benchmark, the one every headline figure, "
        "the waterfall and the fund summary use.",
        metrics,
        content.synthetic,
        fontsize=5.5,
        widths=[0.2] + [0.5 / (n - 2)] * (n - 2) + [0.3],
    )


def _section_page(sec, synthetic: bool) -> Figure:
    fig = _page(sec.title, synthetic)
    y = 0.915
    if sec.figure is not None:
        img = mpimg.imread(io.BytesIO(to_png(sec.figure, dpi=150)), format="png")
        h_px, w_px = img.shape[:2]
        height = WIDTH * A4[0] * h_px / w_px / A4[1]
        max_h = 0.55 if sec.table is not None else 0.75
        height = min(height, max_h)
        ax = fig.add_axes((LEFT, y - height, WIDTH, height))
        ax.imshow(img, interpolation="antialiased")
        ax.axis("off")
        y -= height + 0.01
    y = _text(fig, y, sec.caption, size=7.5, color="#333", style="italic")
    if sec.table is not None:
        _table(fig, y - 0.01, sec.table, fontsize=6)
    return fig


def page_count(content) -> int:
    """Number of pages :func:`render` writes for ``content``: title, settings, metrics, one per section."""
    return 3 + len(content.sections)


def render(content) -> bytes:
    """Render a :class:`engine.report.tracking.ReportContent` to PDF bytes (A4 pages)."""
    buf = io.BytesIO()
    with PdfPages(
        buf, metadata={"Title": content.title, "Creator": f"hsidi-engine {content.engine_version}"}
    ) as pdf:
        pdf.savefig(_title_page(content))
        pdf.savefig(_settings_page(content))
        pdf.savefig(_metrics_page(content))
        for sec in content.sections:
            pdf.savefig(_section_page(sec, content.synthetic))
    return buf.getvalue()


__all__ = ["A4", "page_count", "render"]
