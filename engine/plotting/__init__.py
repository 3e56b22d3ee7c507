"""Matplotlib figures of the results (Agg-safe: built on ``matplotlib.figure.Figure``, never
``pyplot``, so nothing depends on a display or leaks global figure state).

A leaf package: it imports no stage (only NumPy, pandas, matplotlib and :mod:`engine.errors`), so any
stage's result may import it for its ``plot()``. Each function draws a result by reading its
attributes (``levels``, ``active``, ``contributions_by(basis)``, ...) and computes no figure of its
own: the numbers drawn are the ones the result reports.

Every function takes the result first and returns the ``Figure``; when ``ax`` is given (where
accepted) it draws into that axes instead, and ``fig=`` (where accepted) draws into a given empty
figure: results' ``plot()`` methods pass a ``pyplot`` figure there (through
:func:`engine._display.plot_axes`) so that notebooks show it inline, and return its main ``Axes``.
A result marked synthetic gets "SYNTHETIC" in its title. The ``*_axes`` functions draw one panel
of a report into a given axes.

The figures live by topic (``engine.plotting.index``: index runs, comparisons, sweeps and data;
``engine.plotting.fund``: a fund against its benchmark; ``engine.plotting.desk``: the tracking
desk's results); this package imports every public figure, so ``engine.plotting.<name>`` reaches
any of them.
"""

from engine.plotting._base import SYNTHETIC_TAG, mark_dates, to_png  # noqa: F401
from engine.plotting.desk import (  # noqa: F401
    capacity_figure,
    concentration_figure,
    exante_figure,
    frontier_figure,
    fund_rules_figure,
    regulatory_figure,
)
from engine.plotting.fund import (  # noqa: F401
    active_drawdown_axes,
    active_histogram_axes,
    contributions_figure,
    costs_figure,
    flows_axes,
    fund_figure,
    holdings_axes,
    tracking_axes,
    units_axes,
    waterfall_figure,
)
from engine.plotting.index import (  # noqa: F401
    active_share_axes,
    calibration_figure,
    check_figure,
    comparison_figure,
    implied_figure,
    index_figure,
    index_levels_figure,
    observed_figure,
    onboarding_figure,
    schedule_figure,
    sweep_figure,
    turnover_axes,
    versions_figure,
)
