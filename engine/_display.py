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

import dataclasses
import html
import math
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine import __version__
from engine.metrics import ALIASES, canonical

UNITS = ("%", "bp", "CNY", "HKD", "count", "ratio", "level", "date", "text")
COLUMNS = ("metric", "value", "unit", "against", "note")
WIDTH = 100
"""Columns a summary's text fits in (a terminal's width; notes that do not fit become footnotes)."""


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


def row(metric: str, value, unit: str, against: str = "", note: str = "") -> dict:
    """A :class:`Summary` row of a figure outside :data:`engine.metrics.REGISTRY` (counts, dates,
    texts): ``metric``, its ``value`` in ``unit`` (:data:`UNITS`), the series it is measured
    ``against`` and a ``note``.  A registered metric's row is :func:`engine.metrics.row`."""
    return {"metric": metric, "value": value, "unit": unit, "against": against, "note": note}


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
        return self.text()

    def text(self, width: int = WIDTH) -> str:
        """The table as text at most ``width`` columns wide: a note that does not fit beside its row
        becomes a numbered footnote under the table, wrapped to ``width``; a metric name or an
        ``against`` longer than a third of ``width`` stands on its own line above its row."""
        f = self.formatted()
        cap = width // 3
        cells = [
            (str(m), str(v), str(a))
            for m, v, a in zip(f.index, f["value"], f["against"], strict=True)
        ]
        w = [
            max([len(h)] + [len(c[i]) for c in cells if i == 1 or len(c[i]) <= cap])
            for i, h in enumerate(("metric", "value", "against"))
        ]
        lines = [self.title] if self.title else []
        lines.append(f"{'metric':<{w[0]}}  {'value':>{w[1]}}  {'against':<{w[2]}}  note".rstrip())
        notes: list[str] = []
        for (m, v, a), note in zip(cells, f["note"], strict=True):
            if len(m) > cap or len(a) > cap:
                lines += [m] + ([f"  against {a}"] if a else [])
                m, a = "", ""
            row = f"{m:<{w[0]}}  {v:>{w[1]}}  {a:<{w[2]}}"
            if note and len(row) + 2 + len(note) > width:
                notes.append(note)
                note = f"[{len(notes)}]"
            lines.append(f"{row}  {note}".rstrip())
        for k, note in enumerate(notes, 1):
            lines += textwrap.wrap(note, width, initial_indent=f"[{k}] ", subsequent_indent="    ")
        return "\n".join(lines)

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

    ``draw`` is a figure function of :mod:`engine.plotting` (``draw(result, ax=..., **kw)``
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


@dataclass(frozen=True)
class Provenance:
    """Where a result came from: the engine version, the methodology hash, the settings hash and
    the data fingerprint (empty strings where a result does not rest on one)."""

    engine_version: str = ""
    methodology_hash: str = ""
    settings_hash: str = ""
    data_fingerprint: str = ""

    @classmethod
    def of(cls, index_result=None, config=None, market=None) -> Provenance:
        """The provenance of a result built from ``index_result`` (its schedule's methodology hash
        and data fingerprint), fund settings ``config`` (their ``hash``) and ``market`` (its
        fingerprint, when no index result gave one)."""
        sched = getattr(index_result, "schedule", None)
        fingerprint = getattr(sched, "data_fingerprint", "") or getattr(market, "fingerprint", "")
        return cls(
            engine_version=__version__,
            methodology_hash=str(getattr(sched, "methodology_hash", "") or ""),
            settings_hash=str(getattr(config, "hash", "") or ""),
            data_fingerprint=str(fingerprint or ""),
        )

    @classmethod
    def from_record(cls, record) -> Provenance:
        """The provenance recorded in ``record`` (a result's ``meta``, or the result itself: the keys or
        attributes named like the fields); ``engine_version`` is the running engine's where none is
        recorded (a result is built by the engine that holds it)."""
        get = record.get if isinstance(record, Mapping) else lambda k, d="": getattr(record, k, d)
        values = {f.name: str(get(f.name, "") or "") for f in dataclasses.fields(cls)}
        values["engine_version"] = values["engine_version"] or __version__
        return cls(**values)

    def to_record(self) -> dict:
        return dataclasses.asdict(self)


class Result:
    """Base of every result object: its :class:`Provenance`, ``_repr_html_``, ``plot()`` and the
    SYNTHETIC tag.

    A subclass names its figure in ``_figure`` (a function of :mod:`engine.plotting` that draws the
    result by reading its attributes, ``draw(result, ax=...)`` or ``draw(result, fig=...)``) and
    writes its own ``to_frame()``, ``summary()`` and one-line ``__repr__`` (with :attr:`tag` where
    the data were synthetic).  Provenance has one storage: the result's ``meta`` dict (keys
    ``engine_version``, ``methodology_hash``, ``settings_hash``, ``data_fingerprint``), or, for a
    result without ``meta``, its attributes of those names.
    """

    _figure: str = ""
    synthetic: bool = False

    def _repr_html_(self) -> str:
        return result_html(self)

    def plot(self, ax=None, **kw):
        """Draw the result with the class's figure function in :mod:`engine.plotting` (named by
        ``_figure``; keyword arguments such as ``kind=``, ``window=`` or ``top=`` go to it); returns
        the ``Axes`` drawn on (the main panel of a multi-panel figure; the others are
        ``ax.figure.axes[1:]``)."""
        from engine import plotting  # matplotlib loads on the first plot only

        return plot_axes(getattr(plotting, self._figure), self, ax=ax, **kw)

    @property
    def provenance(self) -> Provenance:
        """Engine version, methodology hash, settings hash and data fingerprint of this result (empty
        strings where it does not rest on one), read from its ``meta`` (see the class notes)."""
        meta = getattr(self, "meta", None)
        return Provenance.from_record(self if meta is None else meta)

    @property
    def tag(self) -> str:
        """``" [SYNTHETIC]"`` for a result built on synthetic data, else ``""``."""
        return " [SYNTHETIC]" if self.synthetic else ""


def _plain(x: float) -> str:
    """A number without exponent noise: thousands separators, 4 significant digits; below 1e-9 (float
    rounding such as -1.1102e-11 in a sum of returns) it shows as 0."""
    if abs(x) < 1e-9:
        return "0"
    return f"{x:,.0f}" if abs(x) >= 1e3 else f"{x:.4g}"


__all__ = [
    "COLUMNS",
    "UNITS",
    "Provenance",
    "Result",
    "Summary",
    "fmt",
    "plot_axes",
    "result_html",
]
