"""The content model of a report: sections (a figure, a caption, a table) and everything around them.

A section's figure is a drawing function, not a picture: :mod:`engine.report.pdf` calls it on axes
placed on the A4 page, so the PDF holds vector drawings (lines, text), and :mod:`engine.report.html`
calls it on a figure of its own and embeds that as a PNG.  :attr:`Section.figure` builds that figure
(once) for code and tests that want to look at it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd
from matplotlib.figure import Figure

FIGURE_WIDTH_IN = 9.0
"""Width in inches of a section's figure in the HTML (the PDF scales to its page width)."""


@dataclass(frozen=True, eq=False)
class Section:
    """One report section: a drawing (or None), a caption, and an optional table.

    ``draw`` is called with a list of ``panels`` stacked Axes and draws into them (a legacy
    ``matplotlib.figure.Figure`` is accepted too and is embedded as a picture); ``height`` is the
    figure's height in inches at :data:`FIGURE_WIDTH_IN` wide; ``bottom`` the room under each panel
    for tick labels (inches) in the PDF."""

    title: str
    draw: Callable | Figure | None
    caption: str
    table: pd.DataFrame | None = None
    panels: int = 1
    height: float = 3.4
    bottom: float = 0.45

    @property
    def vector(self) -> bool:
        """True when the section draws into given axes (vector in the PDF)."""
        return callable(self.draw) and not isinstance(self.draw, Figure)

    @cached_property
    def figure(self) -> Figure | None:
        """The section's own figure (built on first use), or None."""
        if self.draw is None or isinstance(self.draw, Figure):
            return self.draw
        fig = Figure(figsize=(FIGURE_WIDTH_IN, self.height), layout="constrained")
        axes = fig.subplots(self.panels, 1, squeeze=False)[:, 0]
        self.draw(list(axes))
        return fig


def drawing(fn, *args, **kwargs) -> Callable:
    """A ``draw`` for one panel: ``fn(*args, ax=axes[0], **kwargs)``."""

    def draw(axes):
        fn(*args, ax=axes[0], **kwargs)

    return draw


@dataclass(frozen=True, eq=False)
class ReportContent:
    """Everything a rendered report shows (renderers add layout only).

    Page one holds the title, the subtitle, :attr:`key_figures` and the :attr:`headline` chart; then
    the metrics table, the sections, the settings, assumptions, provenance and :attr:`sources`."""

    title: str
    subtitle: str
    synthetic: bool
    metrics_table: pd.DataFrame
    sections: tuple[Section, ...]
    settings: pd.DataFrame
    assumptions: tuple[str, ...]
    provenance: pd.DataFrame
    notes: tuple[str, ...] = ()
    engine_version: str = ""
    extra: dict = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    """Warnings carried by the market and the results (plausibility findings, approximations)."""
    key_figures: pd.DataFrame | None = None
    """``figure, value, measured against`` rows shown first (text values)."""
    headline: Section | None = None
    """The chart of page one."""
    stamp: str = ""
    """What generated the file: date (``SOURCE_DATE_EPOCH`` when set), engine version, data fingerprint."""
    sources: pd.DataFrame | None = None
    """The cited sources in full (:func:`engine.report.sources.appendix`)."""
    settings_title: str = "Fund settings"
    settings_intro: str = (
        "status ASSUMPTION: the value is not confirmed from the fund contract; 'source [Sn]': the "
        "reference that gives it (listed in full under Sources)."
    )
    metrics_title: str = "Tracking metrics"
    metrics_intro: str = (
        "One column per benchmark; the first is the fund's benchmark, the one every headline "
        "figure, the waterfall and the fund summary use."
    )


__all__ = ["FIGURE_WIDTH_IN", "ReportContent", "Section", "drawing"]
