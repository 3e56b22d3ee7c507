"""engine.plotting: a leaf module (no stage imported) that draws the numbers the results report."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import engine
from engine import plotting
from engine.analytics.attribution import BASES, waterfall

BASE_MODULES = {"engine.errors", "engine._display", "engine.conventions"}
"""The engine modules the plotting package may import (base modules, no stage)."""


def test_plotting_imports_no_stage():
    files = sorted(Path(plotting.__file__).parent.glob("*.py"))
    assert len(files) > 1  # a package: every module of it is checked
    imported = set()
    nodes = (n for f in files for n in ast.walk(ast.parse(f.read_text(encoding="utf-8"))))
    for node in nodes:  # function-level imports too
        if isinstance(node, ast.Import):
            imported |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
            if node.module == "engine":
                imported |= {f"engine.{a.name}" for a in node.names}
    own = {m for m in imported if m.startswith("engine.plotting")}
    from_engine = {m for m in imported - own if m == "engine" or m.startswith("engine.")}
    assert from_engine <= BASE_MODULES, from_engine - BASE_MODULES
    third_party = {m.split(".")[0] for m in imported - from_engine - own}
    assert third_party <= {"__future__", "io", "textwrap", "numpy", "pandas", "matplotlib"}


def _wf():
    dates = pd.bdate_range("2024-01-02", periods=260)
    rng = np.random.default_rng(3)
    base = pd.Series(100 * np.cumprod(1 + rng.normal(4e-4, 0.01, len(dates))), index=dates)
    steps = [("benchmark", base)]
    for label, drift in (("dividends", 1e-4), ("fees", -2e-5), ("cash", -3e-5)):
        steps.append((label, steps[-1][1] * np.cumprod(np.full(len(dates), 1 + drift))))
    return waterfall(steps, against="benchmark price index")


def _floating_bars(ax):
    """Heights of the floating bars (every bar but the last, the total)."""
    return np.array([p.get_height() for p in ax.patches[:-1]]), ax.patches[-1].get_height()


@pytest.mark.parametrize("basis", BASES)
def test_waterfall_bars_are_the_contributions_the_result_reports(basis):
    wf = _wf()
    fig = plotting.waterfall_figure(wf, basis=basis)
    bars, total = _floating_bars(fig.axes[0])
    np.testing.assert_allclose(bars, wf.contributions_by(basis).to_numpy() * 1e4, rtol=1e-12)
    assert total == pytest.approx(wf.total_by(basis) * 1e4, rel=1e-12)
    assert wf.basis_label(basis) in fig.axes[0].get_title()
    assert "benchmark price index" in fig.axes[0].get_title()


def test_waterfall_annualised_bars_are_differences_of_annualised_returns():
    wf = _wf()
    fig = plotting.waterfall_figure(wf, annualised=True)
    bars, total = _floating_bars(fig.axes[0])
    a = wf.annualised_returns.to_numpy()
    np.testing.assert_allclose(bars, np.diff(a) * 1e4, rtol=1e-9)
    assert total == pytest.approx((a[-1] - a[0]) * 1e4, rel=1e-9)
    assert "difference of annualised returns" in fig.axes[0].get_title()


def test_unknown_basis_label_names_the_field():
    with pytest.raises(engine.errors.DataError, match="basis"):
        _wf().basis_label("geometric")


def test_waterfall_reproduces_its_last_step_only():
    wf = _wf()
    last = wf.levels.iloc[:, -1]
    assert wf.reproduces(last * 3.0)  # rebased: the scale does not matter
    bumped = last.copy()
    bumped.iloc[100] *= 1 + 1e-6
    assert not wf.reproduces(bumped)
    assert not wf.reproduces(last.iloc[:-1])  # a missing date is not a match


def test_unknown_tracking_kind_is_a_clear_error():
    with pytest.raises(engine.errors.DataError, match="kind"):
        plotting.tracking_axes(object(), kind="drawdown")
