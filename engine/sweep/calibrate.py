"""Calibration: rank variants of the unconfirmed rules by how well they reproduce an observed series.

:func:`calibrate` runs the grid through :func:`engine.sweep.run` (``keep="levels"``), compares each
variant's levels with the observed series by :func:`engine.analytics.compare_observed` (calendar
alignment, lag, price limits), ranks the variants by one fit figure (:data:`OBJECTIVES`) and
measures how separable the best variant is from the runner-up with a **moving-block bootstrap**:
blocks of ``block`` consecutive pairs are drawn with replacement (the same draws for both
variants), the objective is recomputed for each, and the gap :math:`g^* = f^*_{best} -
f^*_{runner}` (sign-adjusted so that positive means "best is better") is summarised by its 5-95%
interval and :math:`P(g^* > 0)`.  An interval that straddles 0 means the data cannot tell the two
rules apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine._args import date_argument
from engine._display import Result, Summary
from engine._display import row as _row
from engine.analytics.observed import (
    SPLIT_DATE,
    check_calendar,
    compare_observed,
    fit_figures,
    pair_returns,
)
from engine.conventions import DEFAULT, Conventions
from engine.errors import DataError, SweepError
from engine.sweep.run import run

OBJECTIVES = {
    # name: (figure, merged limit days, larger is better)
    "r2_lag": ("r2_lag", False, True),
    "r2_lag_merged": ("r2_lag", True, True),
    "r2_same": ("r2_same", False, True),
    "r2_same_merged": ("r2_same", True, True),
    "corr_1d": ("corr_1d", False, True),
    "corr_1d_merged": ("corr_1d", True, True),
    "corr_5d": ("corr_5d", False, True),
    "te": ("te", False, False),
    "te_merged": ("te", True, False),
    "abs_td": ("td", False, False),
}
"""Objectives :func:`calibrate` can rank by (figures of :func:`compare_observed`, period ``all``);
``abs_td`` ranks by :math:`|TD|`."""

FIGURES = {
    "r2_lag": ("ratio", "R2 of observed returns on the index's same-day and previous-day returns"),
    "r2_same": ("ratio", "R2 of observed returns on the index's same-day returns"),
    "corr_1d": ("ratio", "correlation of daily returns"),
    "corr_1d_merged": ("ratio", "correlation of daily returns, price-limit days merged"),
    "corr_5d": ("ratio", "correlation of 5-session returns"),
    "td": ("%", "tracking difference R_observed - R_index (period)"),
    "te": ("%", "tracking error, STD of observed - index daily returns, annualised"),
}
"""Unit (:data:`engine._display.UNITS`; ``%`` values are fractions) and meaning of each fit figure
the summary shows and each objective ranks by."""

RANKING = {
    # ranking column: (period, price-limit days merged, figure of compare_observed)
    "corr_1d": ("all", False, "corr_1d"),
    "corr_1d_merged": ("all", True, "corr_1d"),
    "r2_same": ("all", False, "r2_same"),
    "r2_lag": ("all", False, "r2_lag"),
    "r2_lag_merged": ("all", True, "r2_lag"),
    "corr_5d": ("all", False, "corr_5d"),
    "td": ("all", False, "td"),
    "te": ("all", False, "te"),
    "te_merged": ("all", True, "te"),
    "return_index": ("all", False, "return_index"),
    "td_before": ("before", False, "td"),
    "td_after": ("after", False, "td"),
}
"""The fit figures of each variant in :attr:`Calibration.ranking`, after its objective."""


def objective_unit(objective: str) -> str:
    """The unit of ``objective``'s values (and of the gaps between them)."""
    return FIGURES[OBJECTIVES[objective][0]][0]


def _value(figs: dict, objective: str) -> float:
    name, _, larger = OBJECTIVES[objective]
    v = abs(figs[name]) if objective == "abs_td" else figs[name]
    return float(v if larger else -v)  # larger is better after this sign


@dataclass(frozen=True, eq=False)
class Calibration(Result):
    """Result of :func:`calibrate`.

    Attributes
    ----------
    ranking : DataFrame
        One row per variant that ran, best first: ``rank``, ``variant``, the axes, ``objective``
        (the figure itself), then the main fit figures.
    separability : dict
        Bootstrap of the best against the runner-up: ``gap`` (point), ``gap_lo``, ``gap_hi``
        (5% / 95%), ``p_better`` and ``separable`` (the 5-95% interval excludes 0).
    comparisons : dict
        Variant id -> :class:`~engine.analytics.observed.ObservedComparison` of the best few.
    failed : DataFrame
        Variants the sweep could not build (their errors).
    """

    _figure = "calibration_figure"

    ranking: pd.DataFrame
    separability: dict
    comparisons: dict
    failed: pd.DataFrame
    objective: str
    axes: tuple[str, ...]
    base: str
    meta: dict = field(default_factory=dict)

    @property
    def best(self) -> pd.Series:
        return self.ranking.iloc[0]

    def params(self, rank: int = 1) -> str:
        """``axis=value, ...`` of the variant ranked ``rank`` (values in their own types)."""
        return ", ".join(f"{a}={self.ranking[a].iloc[rank - 1]}" for a in self.axes) or "(base)"

    def to_frame(self) -> pd.DataFrame:
        return self.ranking.copy()

    def summary(self) -> Summary:
        """The variants, the best one, its objective and fit figures, the runner-up and the
        bootstrap of the gap between them."""
        b, s = self.best, self.separability
        against = f"observed ({self.meta.get('label', 'observed')})"
        unit = objective_unit(self.objective)
        meaning = FIGURES[OBJECTIVES[self.objective][0]][1]
        if self.objective == "abs_td":
            meaning = f"|{meaning}|"
        if OBJECTIVES[self.objective][1]:
            meaning += ", price-limit days merged"
        note = f"{self.objective}: {meaning}"
        rows = [
            _row("variants", len(self.ranking), "count"),
            _row("failed", len(self.failed), "count"),
            _row("objective", self.objective, "text"),
            _row("best_variant", self.params(1), "text"),
            _row("best_objective", float(b["objective"]), unit, against, note),
        ]
        for name in ("corr_1d", "corr_1d_merged", "r2_lag", "corr_5d", "td", "te"):
            rows.append(_row(f"best_{name}", float(b[name]), FIGURES[name][0], against))
        if len(self.ranking) > 1:
            r = self.ranking.iloc[1]
            runner_up = ", ".join(f"{a}={r[a]}" for a in self.axes)
            rows.append(_row("runner_up", runner_up, "text"))
        boot = f"block bootstrap, {s.get('n_boot', 0)} draws, blocks of {s.get('block', 0)}"
        rows += [
            _row(
                "gap_to_runner_up",
                s.get("gap", np.nan),
                unit,
                note=f"{self.objective}, best - runner-up (sign: positive = best better)",
            ),
            _row("gap_lo_5pct", s.get("gap_lo", np.nan), unit, note=boot),
            _row("gap_hi_95pct", s.get("gap_hi", np.nan), unit),
            _row(
                "p_best_better",
                s.get("p_better", np.nan),
                "ratio",
                note="share of bootstrap draws with a positive gap (a probability, 0 to 1)",
            ),
            _row(
                "separable",
                str(s.get("separable", False)),
                "text",
                note="the 5-95% gap interval excludes 0",
            ),
        ]
        for k, w in enumerate(self.meta.get("warnings", ())):
            rows.append(_row(f"warning_{k + 1}", w, "text"))
        return Summary(rows, title=f"Calibration of {self.base} by {self.objective}")

    def __repr__(self) -> str:
        return (
            f"Calibration({len(self.ranking)} variants by {self.objective}, best "
            f"{float(self.best['objective']):.4f}, separable={self.separability.get('separable')})"
        )


def _check_bootstrap(n_boot, block) -> None:
    """SweepError naming ``n_boot`` or ``block`` unless each is a whole number >= 1."""
    for name, value in (("n_boot", n_boot), ("block", block)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            what = f"{name} must be a whole number >= 1"
            fix = "n_boot: bootstrap samples (e.g. 200); block: sessions per block (e.g. 10)"
            raise SweepError(what, source="calibrate", field=name, value=value, fix=fix)


def block_bootstrap_gap(
    a,
    b,
    objective: str,
    *,
    n_boot: int = 200,
    block: int = 10,
    seed: int = 0,
    conventions: Conventions = DEFAULT,
) -> dict:
    """Bootstrap of ``objective(a) - objective(b)`` over blocks of aligned pairs.

    ``a`` and ``b`` are ``(observed, index, index_lag)`` arrays on the same pairs.
    """
    _check_bootstrap(n_boot, block)
    n = len(a[0])
    if n < 2 * block:
        return {
            "gap": np.nan,
            "gap_lo": np.nan,
            "gap_hi": np.nan,
            "p_better": np.nan,
            "separable": False,
            "n_boot": 0,
            "block": block,
        }
    rng = np.random.default_rng(seed)
    starts = np.arange(n - block + 1)
    k = int(np.ceil(n / block))
    gaps = np.empty(n_boot)
    for t in range(n_boot):
        idx = (rng.choice(starts, k)[:, None] + np.arange(block)).ravel()[:n]
        fa = fit_figures(a[0][idx], a[1][idx], a[2][idx], conventions)
        fb = fit_figures(b[0][idx], b[1][idx], b[2][idx], conventions)
        gaps[t] = _value(fa, objective) - _value(fb, objective)
    gap = _value(fit_figures(*a, conventions), objective) - _value(
        fit_figures(*b, conventions), objective
    )
    lo, hi = np.nanpercentile(gaps, [5, 95])
    return {
        "gap": float(gap),
        "gap_lo": float(lo),
        "gap_hi": float(hi),
        "p_better": float(np.mean(gaps > 0)),
        "separable": bool(lo > 0),
        "n_boot": n_boot,
        "block": block,
    }


def calibrate(
    observed: pd.Series,
    market,
    base="hsidi",
    grid=None,
    objective: str = "r2_lag_merged",
    *,
    calendar: str = "XSHG",
    split=SPLIT_DATE,
    start=None,
    end=None,
    kind: str = "price",
    keep_best: int = 3,
    n_boot: int = 200,
    block: int = 10,
    seed: int = 0,
    label: str | None = None,
    warnings: tuple[str, ...] | list[str] = (),
    progress: bool = False,
) -> Calibration:
    """Rank the variants of ``grid`` (around ``base``) by their fit to ``observed``.

    Parameters
    ----------
    observed
        Observed series (e.g. 520500's closes), on ``calendar`` sessions.
    market, base, grid
        As for :func:`engine.sweep.run` (``grid`` from :func:`engine.sweep.grid`).
    objective
        A key of :data:`OBJECTIVES` (default: R2 of the fit with the previous day's index return,
        limit days merged).
    calendar, split, start, end
        Passed to :func:`engine.analytics.compare_observed`.
    warnings
        Approximations the market rests on (e.g. ``Onboarding.warnings``; default: the market's
        own ``warnings`` when it has that field); carried into every comparison and the summary.
    keep_best
        How many of the best variants keep their full comparison in ``comparisons``.
    n_boot, block, seed
        Moving-block bootstrap of the best-versus-runner-up gap (``n_boot`` samples of blocks of
        ``block`` pairs; each a whole number >= 1).

    Raises
    ------
    SweepError, DataError, CalendarError
        Checked before anything is swept: ``n_boot`` or ``block`` below 1 or not whole, an unknown
        ``calendar``, a ``split``/``start``/``end`` that is not a day; each names the argument.
    """
    _check_arguments(objective, n_boot, block, calendar, split, start, end)
    warns = tuple(warnings) or tuple(getattr(market, "warnings", ()) or ())
    res = run(
        market, base, grid, metrics=("total_return",), keep="levels", kind=kind, progress=progress
    )
    frame = res.to_frame()
    kw = {"split": split, "start": start, "end": end, "label": label, "warnings": warns}
    cmps = {
        v: compare_observed(res.levels[v].dropna().rename(f"variant {v}"), observed, calendar, **kw)
        for v in frame.loc[frame["error"] == "", "variant"]
    }
    ranking = _ranking(frame, res.axes, cmps, objective, base)
    keep = set(ranking["variant"].head(keep_best))
    return Calibration(
        ranking=ranking,
        separability=_separability(ranking, cmps, objective, n_boot, block, seed),
        comparisons={v: c for v, c in cmps.items() if v in keep},
        failed=frame[frame["error"] != ""],
        objective=objective,
        axes=tuple(res.axes),
        base=str(res.base),
        meta={
            "label": label or str(getattr(observed, "name", None) or "observed"),
            "warnings": warns,
        },
    )


def _check_arguments(objective, n_boot, block, calendar, split, start, end) -> None:
    """The checks :func:`calibrate` makes before anything is swept."""
    if objective not in OBJECTIVES:
        what = "unknown calibration objective"
        raise DataError(what, value=objective, fix=f"use one of {sorted(OBJECTIVES)}")
    _check_bootstrap(n_boot, block)
    check_calendar(calendar, "calibrate")
    for name, value in (("split", split), ("start", start), ("end", end)):
        date_argument(value, name, "calibrate")


def _ranking(frame: pd.DataFrame, axes, cmps: dict, objective: str, base) -> pd.DataFrame:
    """The variants that ran, best first by ``objective``: ``rank``, ``variant``, the axes, then
    their fit figures (:func:`_fit`); DataError when none ran."""
    ok = frame[frame["error"] == ""]
    if ok.empty:
        what = "no variant of the grid could be built"
        value = frame["error"].iloc[0] if len(frame) else None
        raise DataError(what, source=str(base), value=value)
    rows = [
        {"variant": v, **{a: ok[a].at[i] for a in axes}, **_fit(cmps[v], objective)}
        for i, v in ok["variant"].items()
    ]
    ranking = pd.DataFrame(rows).sort_values("_score", ascending=False, kind="stable")
    ranking = ranking.drop(columns="_score").reset_index(drop=True)
    ranking.insert(0, "rank", np.arange(1, len(ranking) + 1))
    return ranking


def _fit(c, objective: str) -> dict:
    """A ranking row's figures from comparison ``c``: ``objective`` (the figure itself), ``_score``
    (larger is better) and the :data:`RANKING` figures."""
    name, merged, _ = OBJECTIVES[objective]
    on = c.figures.loc[("all", merged)].to_dict()
    return {
        "objective": float(abs(on[name]) if objective == "abs_td" else on[name]),
        "_score": _value(on, objective),
        **{col: c.figures.at[(p, m), f] for col, (p, m, f) in RANKING.items()},
    }


def _separability(ranking: pd.DataFrame, cmps: dict, objective: str, n_boot, block, seed) -> dict:
    """:func:`block_bootstrap_gap` of the best variant against the runner-up (on the same pairs)."""
    if len(ranking) < 2:
        return {"separable": False}
    merged = OBJECTIVES[objective][1]
    va, vb = ranking["variant"].iloc[0], ranking["variant"].iloc[1]
    a, b = (pair_returns(cmps[v].pairs, "all", merged) for v in (va, vb))
    if len(a[0]) != len(b[0]):
        return {"separable": False}
    kw = {"n_boot": n_boot, "block": block, "seed": seed, "conventions": cmps[va].conventions}
    return block_bootstrap_gap(a, b, objective, **kw)


__all__ = [
    "Calibration",
    "FIGURES",
    "OBJECTIVES",
    "block_bootstrap_gap",
    "calibrate",
    "objective_unit",
]
