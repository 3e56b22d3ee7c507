"""PDF rendering of a report: uniform A4 portrait pages (matplotlib ``PdfPages``), vector figures.

Pages, in this order: page one (banner, title, subtitle, the generated stamp, the key figures and the
headline chart); notes, warnings and the metrics table; then the sections flowed down the pages (a
section starts a new page only when it does not fit below the one before, so two figures share a page
where they fit); settings (assumptions marked); assumptions and provenance; the sources in full.

Each section's figure is drawn by its ``draw`` function straight onto axes placed on the page, so the
PDF holds lines and text (vector), not pictures; a legacy section that carries a finished
``Figure`` is embedded as a 150-dpi picture.
"""

from __future__ import annotations

import io
import textwrap

import matplotlib.image as mpimg
import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from engine.plotting import SYNTHETIC_TAG, to_png
from engine.report.content import FIGURE_WIDTH_IN
from engine.report.html import _fmt, display_metrics
from engine.report.sources import plain

A4 = (8.27, 11.69)
"""Page size in inches (portrait); every page has it."""
LEFT, WIDTH = 0.06, 0.88
TOP, BOTTOM = 0.915, 0.04
SCALE = WIDTH * A4[0] / FIGURE_WIDTH_IN
"""Figures are designed 9 inches wide and drawn at the page width: inches times SCALE."""
ROW = 0.0155
"""Height of a table row (page fraction) at the default font size."""
MIN_ROW = 0.0115


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
    if title:
        fig.text(LEFT, 0.945, plain(title), fontsize=13, weight="bold", va="top")
    return fig


def _step(size: float) -> float:
    return size / 72 / A4[1] * 1.35


def _lines(text: str, width: int) -> list[str]:
    return textwrap.wrap(plain(text), width) or [""]


def _text(fig, y: float, text: str, *, width: int = 110, size: float = 7.5, **kw) -> float:
    """Wrapped text from ``y`` down; returns the y below it."""
    for line in _lines(text, width):
        fig.text(LEFT, y, line, fontsize=size, va="top", **kw)
        y -= _step(size)
    return y


def _table_height(frame) -> float:
    return 0.02 if frame is None or frame.empty else ROW * (len(frame) + 1.6)


def _table(fig, y: float, frame: pd.DataFrame, *, fontsize=6.5, widths=None, bottom=BOTTOM):
    """A table from ``y`` down to at most ``bottom`` (rows shrink to fit; rows that still do not
    fit are left to the HTML report, which says so).  Returns the y below it."""
    if frame is None or frame.empty:
        fig.text(LEFT, y, "(empty)", fontsize=7, va="top")
        return y - 0.02
    frame = frame.reset_index() if frame.index.name else frame
    fits = max(1, int((y - bottom) / MIN_ROW - 1.6))
    more = len(frame) - fits
    if more > 0:
        frame = frame.head(fits - 1)
    n = len(frame.columns)
    fr = list(widths) if widths is not None else [1.0 / n] * n
    # characters that fit a column at this font size (about 0.55 em per character)
    fit = [max(8, int(w * (WIDTH + 0.04) * A4[0] * 72 / (0.55 * fontsize)) - 2) for w in fr]
    cells = [
        [textwrap.shorten(plain(_fmt(v)), fit[j], placeholder="...") for j, v in enumerate(row)]
        for row in frame.itertuples(index=False)
    ]
    heads = [textwrap.fill(plain(c), 22) for c in frame.columns]
    row_h = min(ROW, (y - bottom) / (len(cells) + 2.6 if more > 0 else len(cells) + 1.6))
    height = row_h * (len(cells) + 1.6)
    ax = fig.add_axes((LEFT - 0.02, y - height, WIDTH + 0.04, height))
    ax.axis("off")
    tbl = ax.table(
        cellText=cells, colLabels=heads, loc="upper center", cellLoc="left", colWidths=widths
    )
    tbl.auto_set_font_size(False)
    tbl.set_fontsize(fontsize if row_h >= ROW * 0.9 else fontsize * 0.85)
    for (r, _c), cell in tbl.get_celld().items():
        cell.set_height(1.0 / (len(cells) + 1.6) * (1.6 if r == 0 else 1.0))
        if r == 0:
            cell.set_facecolor("#eef2f7")
    y -= height
    if more > 0:
        fig.text(LEFT, y - 0.002, f"... {more + 1} more rows in the HTML report.", fontsize=6.5,
                 va="top", style="italic")  # fmt: skip
        y -= 0.015
    return y


def _figure_height(sec) -> float:
    return sec.height * SCALE / A4[1] if sec.draw is not None else 0.0


def _draw(fig, sec, y: float, height: float) -> None:
    """The section's figure in the band ``[y - height, y]``: vector axes, or a legacy picture."""
    if not sec.vector:
        img = mpimg.imread(io.BytesIO(to_png(sec.figure, dpi=150)), format="png")
        ax = fig.add_axes((LEFT, y - height, WIDTH, height))
        ax.imshow(img, interpolation="antialiased", aspect="auto")
        ax.axis("off")
        return
    ph = height / sec.panels
    below = sec.bottom * SCALE / A4[1]
    above = 0.32 * SCALE / A4[1]
    axes = [
        fig.add_axes((LEFT + 0.075, y - (k + 1) * ph + below, WIDTH - 0.135, ph - below - above))
        for k in range(sec.panels)
    ]
    sec.draw(axes)


def _caption_height(sec) -> float:
    return len(_lines(sec.caption, 120)) * _step(7.0)


def _section_height(sec) -> float:
    t = sec.table
    return (
        0.035
        + _figure_height(sec)
        + _caption_height(sec)
        + 0.01
        + (_table_height(t) if t is not None else 0.0)
    )


def _place(fig, sec, y: float) -> float:
    """Draw ``sec`` from ``y`` down; returns the y below it."""
    fig.text(LEFT, y, plain(sec.title), fontsize=11, weight="bold", va="top")
    y -= 0.03
    if sec.draw is not None:
        room = y - BOTTOM - _caption_height(sec) - (0.08 if sec.table is not None else 0.0)
        h = min(_figure_height(sec), room)
        _draw(fig, sec, y, h)
        y -= h + 0.005
    y = _text(fig, y, sec.caption, width=120, size=7.0, color="#333", style="italic")
    if sec.table is not None:
        y = _table(fig, y - 0.008, sec.table, fontsize=6)
    return y - 0.02


def _flow(sections, synthetic: bool) -> list[Figure]:
    """Sections down the pages: a new page when the next one does not fit below."""
    pages: list[Figure] = []
    fig, y = None, TOP
    for sec in sections:
        need = _section_height(sec)
        if fig is None or (need > y - BOTTOM and y < TOP):
            fig, y = _page("", synthetic), 0.945
            pages.append(fig)
        y = _place(fig, sec, y)
    return pages


def _first_page(content) -> Figure:
    fig = _page(content.title, content.synthetic)
    y = _text(fig, 0.915, content.subtitle, size=8.5, color="#333")
    if content.stamp:
        y = _text(fig, y - 0.004, content.stamp, size=7, color="#555")
    if content.key_figures is not None:
        y = _text(fig, y - 0.01, "Key figures", size=10, weight="bold")
        y = _table(fig, y - 0.005, content.key_figures, fontsize=7, widths=[0.27, 0.23, 0.5])
    if content.headline is not None:
        _place(fig, content.headline, y - 0.015)
    return fig


def _table_page(title: str, intro: str, frame, synthetic: bool, **table) -> Figure:
    """A page with a title, an introductory line and one table."""
    fig = _page(title, synthetic)
    y = _text(fig, 0.915, intro, color="#444")
    _table(fig, y - 0.01, frame, **table)
    return fig


def _metrics_page(content) -> Figure:
    fig = _page(content.metrics_title, content.synthetic)
    y = 0.915
    for note in content.notes:
        y = _text(fig, y, "NOTE: " + note, color="#8a4b00")
    if content.warnings:
        y = _text(fig, y - 0.005, "Warnings (carried by the market and the results)", size=9,
                  weight="bold")  # fmt: skip
        for w in content.warnings:
            y = _text(fig, y, "- " + w, color="#8a4b00")
    y = _text(fig, y - 0.005, content.metrics_intro, color="#444")
    metrics = display_metrics(content.metrics_table).drop(columns=["metric"], errors="ignore")
    n = len(metrics.columns)
    widths = [0.2] + [0.5 / (n - 2)] * (n - 2) + [0.3] if n > 2 else None
    _table(fig, y - 0.01, metrics, fontsize=5.5, widths=widths)
    return fig


def _closing_pages(content) -> list[Figure]:
    settings = _table_page(
        content.settings_title,
        content.settings_intro,
        content.settings,
        content.synthetic,
        fontsize=5.5,
        widths=[0.15, 0.19, 0.1, 0.56] if len(content.settings.columns) == 4 else None,
    )
    fig = _page("Assumptions and provenance", content.synthetic)
    y = 0.915
    for a in content.assumptions:
        y = _text(fig, y, "- " + a, size=7)
    y = _text(fig, y - 0.01, "Provenance", size=9, weight="bold")
    for key, val in content.provenance.itertuples(index=False):
        y = _text(fig, y, f"{key}: {val}", family="monospace", size=6.5, width=120)
    pages = [settings, fig]
    if content.sources is not None and len(content.sources):
        pages.append(
            _table_page(
                "Sources",
                "Sources cited in this report ([Sn]: index and fund facts; [Rn]: regulatory "
                "conventions), as far as known; dates are publication dates.",
                content.sources,
                content.synthetic,
                fontsize=5.5,
                widths=[0.06, 0.36, 0.2, 0.28, 0.1],
            )
        )
    return pages


def pages(content) -> list[Figure]:
    """Every page of the report, in order (A4 ``Figure`` objects)."""
    out = [_first_page(content), _metrics_page(content)]
    out.extend(_flow(content.sections, content.synthetic))
    out.extend(_closing_pages(content))
    return out


def page_count(content) -> int:
    """Number of pages :func:`render` writes for ``content``."""
    return len(pages(content))


def render(content) -> bytes:
    """Render a :class:`engine.report.content.ReportContent` to PDF bytes (A4 pages)."""
    buf = io.BytesIO()
    with PdfPages(
        buf, metadata={"Title": content.title, "Creator": f"hsidi-engine {content.engine_version}"}
    ) as pdf:
        for page in pages(content):
            pdf.savefig(page)
    return buf.getvalue()


__all__ = ["A4", "page_count", "pages", "render"]
