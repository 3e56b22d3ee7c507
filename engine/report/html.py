"""Self-contained HTML rendering of a tracking report, and the atomic file writer the report uses.

The page has inline CSS and figures embedded as base64 PNG ``data:`` URIs: no external asset, no
script, no network access when opened.
"""

from __future__ import annotations

import base64
import html as _html

import pandas as pd

from engine._display import fmt
from engine._files import write_bytes
from engine.plotting import SYNTHETIC_TAG, to_png
from engine.report.sources import plain

CSS = """
body { font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; margin: 2em auto;
       max-width: 1000px; color: #1b1b1b; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { font-size: 1.2em; border-bottom: 1px solid #ccc;
     padding-bottom: 0.2em; margin-top: 1.8em; }
.warn-banner { background: #b71c1c; color: #fff; font-weight: bold; font-size: 1.3em; padding: 0.7em 1em;
               text-align: center; border-radius: 4px; letter-spacing: 0.05em; }
.note { background: #fff8e1; border-left: 4px solid #ffb300; padding: 0.4em 0.8em; margin: 0.6em 0; }
table { border-collapse: collapse; font-size: 0.82em; margin: 0.6em 0; }
th, td { border: 1px solid #d0d0d0; padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: #eef2f7; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 0.85em; color: #555; }
.meta { color: #555; font-size: 0.9em; }
"""


write_atomic = write_bytes
"""Write bytes to a path atomically (:func:`engine._files.write_bytes`): on any failure the
temporary file is removed and the path is left untouched."""


def _esc(x) -> str:
    return _html.escape(plain(x), quote=True)


def _fmt(v) -> str:
    if v is pd.NaT:  # a date that does not exist reads n/a, never NaT
        return "n/a"
    if isinstance(v, float):
        if v != v:  # NaN
            return "NaN"
        if abs(v) >= 1e5 or (v != 0 and abs(v) < 1e-4):
            return f"{v:.4e}"
        return f"{v:.6g}"
    if isinstance(v, pd.Timestamp):
        return str(v.date()) if v == v.normalize() else str(v)
    if isinstance(v, list | tuple):
        return ", ".join(str(x) for x in v)
    return str(v)


def display_metrics(frame: pd.DataFrame) -> pd.DataFrame:
    """Format the value columns of a metric table by its ``unit`` column with
    :func:`engine._display.fmt` (``%`` as percent, ratios with 4 decimals, counts as integers; NaN as
    ``n/a``); the ``unit`` column is dropped (the text carries it)."""
    out = frame.copy()
    value_cols = [
        c for c in out.columns if c not in ("metric", "label", "unit", "definition", "note")
    ]
    for c in value_cols:
        out[c] = [fmt(v, u) for v, u in zip(frame[c], frame["unit"], strict=True)]
    return out.drop(columns=["unit"])


def table_html(frame: pd.DataFrame, *, index: bool = True) -> str:
    """A plain HTML table (escaped cells, numbers right-aligned)."""
    cols = list(frame.columns)
    head = "".join(
        f"<th>{_esc(c)}</th>" for c in ([frame.index.name or ""] if index else []) + cols
    )
    rows = []
    for idx, row in frame.iterrows():
        cells = [f"<th>{_esc(_fmt(idx))}</th>"] if index else []
        for c in cols:
            v = row[c]
            cls = ' class="num"' if isinstance(v, int | float) and not isinstance(v, bool) else ""
            cells.append(f"<td{cls}>{_esc(_fmt(v))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def img_html(fig, alt: str) -> str:
    """An ``<img>`` with the figure embedded as a base64 PNG."""
    b64 = base64.b64encode(to_png(fig)).decode("ascii")
    return f'<img alt="{_esc(alt)}" src="data:image/png;base64,{b64}">'


def _section_html(sec) -> list[str]:
    parts = [f"<h2>{_esc(sec.title)}</h2>"]
    fig = sec.figure
    if fig is not None:
        parts.append(
            f"<figure>{img_html(fig, sec.title)}<figcaption>{_esc(sec.caption)}</figcaption></figure>"
        )
    elif sec.caption:
        parts.append(f'<div class="note">{_esc(sec.caption)}</div>')
    if sec.table is not None:
        parts.append(table_html(sec.table))
    return parts


def render(content) -> str:
    """Render a :class:`engine.report.content.ReportContent` to one self-contained HTML string.

    Page one: banner, title, subtitle, the generated stamp, the key figures and the headline chart;
    then notes, warnings, the metrics table, the sections, settings, assumptions, provenance and the
    sources in full.  Every text passes through :func:`engine.report.sources.plain` (no code markup).
    """
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_esc(content.title)}</title>",
        f"<style>{CSS}</style></head><body>",
    ]
    if content.synthetic:
        parts.append(
            f'<div class="warn-banner">{SYNTHETIC_TAG} DATA: generated market data, not real prices. '
            "Figures illustrate the method only.</div>"
        )
    parts += [f"<h1>{_esc(content.title)}</h1>", f'<p class="meta">{_esc(content.subtitle)}</p>']
    if content.stamp:
        parts.append(f'<p class="meta stamp">{_esc(content.stamp)}</p>')
    if content.key_figures is not None:
        parts += ["<h2>Key figures</h2>", table_html(content.key_figures, index=False)]
    if content.headline is not None:
        parts.extend(_section_html(content.headline)[1:])
    parts.extend(f'<div class="note">{_esc(note)}</div>' for note in content.notes)
    if content.warnings:
        parts.append("<h2>Warnings</h2><ul>")
        parts.extend(f'<li class="note">{_esc(w)}</li>' for w in content.warnings)
        parts.append("</ul>")
    parts += [
        f"<h2>{_esc(content.metrics_title)}</h2>",
        f'<p class="meta">{_esc(content.metrics_intro)}</p>',
        table_html(display_metrics(content.metrics_table), index=False),
    ]
    for sec in content.sections:
        parts.extend(_section_html(sec))
    parts += [
        f'<h2>{_esc(content.settings_title)}</h2><p class="meta">{_esc(content.settings_intro)}</p>',
        table_html(content.settings, index=False),
        "<h2>Assumptions and conventions</h2><ul>",
        *(f"<li>{_esc(a)}</li>" for a in content.assumptions),
        "</ul>",
        "<h2>Provenance</h2>",
        table_html(content.provenance, index=False),
    ]
    if content.sources is not None and len(content.sources):
        parts += ["<h2>Sources</h2>", table_html(content.sources, index=False)]
    parts.append("</body></html>")
    return "\n".join(parts)


__all__ = ["CSS", "display_metrics", "img_html", "render", "table_html", "write_atomic"]
