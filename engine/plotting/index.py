"""Figures of index runs and what is built from them: levels, reviews, comparisons of two
methodologies, observed and implied series, sweeps, calibrations and data checks."""

from __future__ import annotations

import matplotlib.ticker as mticker
import numpy as np
import pandas as pd

from engine.plotting._base import _COLORS, _axes, _figure, _head, _new, mark_dates


def index_figure(res, ax=None, fig=None):
    """The price, gross and net levels of an ``IndexResult``, with light vertical lines on review
    effective dates."""
    ax = _axes(ax, fig, (9, 4.5))
    for v in ("price", "gross", "net"):
        ax.plot(res.levels.index, res.levels[v].to_numpy(), label=v, linewidth=1.2)
    if len(res.events):
        for d in res.events.loc[res.events["kind"] == "review", "date"]:
            ax.axvline(d, color="grey", alpha=0.25, linewidth=0.8)
    ax.set_title(
        f"{res.name}: price, gross and net total return (base {res.base_value:g} on "
        f"{res.base_date.date()}){res.tag}"
    )
    ax.set_ylabel("level")
    ax.legend(loc="best")
    return ax.figure


def schedule_figure(sched, ax=None, fig=None):
    """Constituents per review of a ``ReviewSchedule`` (bars, one colour per methodology version)
    and the one-way turnover of target weights (``per_review()``, right axis, %)."""
    ax = _axes(ax, fig, (9, 4))
    per = sched.per_review()
    x = np.arange(len(per))
    for k, (version, part) in enumerate(per.groupby("methodology", sort=False)):
        ax.bar(x[part.index], part["constituents"], color=f"C{k}", label=str(version))
    ax.set_xticks(
        x, [d.strftime("%Y-%m-%d") for d in per["effective_date"]], rotation=60, fontsize=7
    )
    ax.set_ylabel("constituents")
    twin = ax.twinx()
    twin.plot(x, per["one_way_turnover"].to_numpy() * 100, color="black", marker=".", lw=1)
    twin.set_ylabel("one-way turnover of target weights, %")
    ax.legend(loc="upper left", fontsize=8)
    ax.set_title(f"Reviews of {sched.history}{sched.tag}")
    return ax.figure


_STYLES = (
    {"ls": "-", "lw": 2.2, "alpha": 0.55},
    {"ls": "--", "lw": 1.4},
    {"ls": ":", "lw": 1.6},
    {"ls": "-.", "lw": 1.2},
)
"""Line styles per series: a wide translucent solid first, then dashed / dotted, so series that
coincide over a period (variants before a revision, gross and net) all stay visible."""


def index_levels_figure(
    results: dict, mark=("2025-08-11", "revision"), variant: str = "price", ax=None, zoom=None
):
    """Levels of several ``IndexResult`` runs, two panels: the whole history on a log scale, and a
    zoom (default: from 1 January of the marked year) rebased to 1 at its first session, so the
    revision's effect reads as relative moves. ``mark`` is a ``(date, label)`` pair or None.
    With ``ax`` given only the whole-history panel is drawn there."""
    marks = (mark,) if mark else ()
    synthetic = any(bool(getattr(r, "synthetic", False)) for r in results.values())
    axes = [ax] if ax is not None else _new(2, figsize=(9, 7.5))[1]
    full = axes[0]
    for k, (name, res) in enumerate(results.items()):
        lv = res.levels[variant]
        full.plot(lv.index, lv.to_numpy(), label=str(name), **_STYLES[k % len(_STYLES)])
    full.set_yscale("log")
    plain = mticker.FuncFormatter(lambda v, _pos: f"{v:,.0f}")
    full.yaxis.set_major_formatter(plain)
    full.yaxis.set_minor_formatter(plain)
    full.tick_params(axis="y", which="minor", labelsize=7)
    full.set_ylabel(f"{variant} level (log scale)")
    full.legend(loc="best", fontsize=8)
    full.grid(alpha=0.3, which="both")
    _head(full, f"Index levels ({variant}), whole history", synthetic)
    mark_dates(full, marks)
    if len(axes) == 1:
        return full.figure
    zs = pd.Timestamp(zoom) if zoom is not None else None
    if zs is None and marks:
        zs = pd.Timestamp(year=pd.Timestamp(marks[0][0]).year, month=1, day=1)
    z = axes[1]
    for k, (name, res) in enumerate(results.items()):
        lv = res.levels[variant]
        part, style = lv[lv.index >= zs] if zs is not None else lv, _STYLES[k % len(_STYLES)]
        if len(part):
            z.plot(part.index, part.to_numpy() / float(part.iloc[0]), label=str(name), **style)
    z.set_ylabel("rebased to 1")
    if z.get_lines():
        z.legend(loc="best", fontsize=8)
    else:
        z.text(0.5, 0.5, "no sessions in the zoom window", ha="center", transform=z.transAxes)
    z.grid(alpha=0.3)
    since = f" from {zs.date()}" if zs is not None else ""
    z.set_title(f"Zoom{since}, rebased to 1", fontsize=10)
    mark_dates(z, marks)
    return z.figure


def comparison_figure(cmp, ax=None, fig=None):
    """Rebased levels, active share (:func:`active_share_axes`) and one-way turnover per review
    (:func:`turnover_axes`) of an ``IndexComparison`` (only the levels when drawn into ``ax``; the
    three panels go into ``fig`` or a new ``Figure``)."""
    axes = [ax] if ax is not None else _new(3, figsize=(9, 9), layout="constrained", fig=fig)[1]
    lv = cmp.levels / cmp.levels.iloc[0]
    for c in lv.columns:
        axes[0].plot(lv.index, lv[c], lw=1.2, label=str(c))
    axes[0].legend(fontsize=8)
    axes[0].grid(alpha=0.3)
    title = f"{cmp.labels[0]} vs {cmp.labels[1]}: {cmp.variant} levels rebased to 1"
    _head(axes[0], title, cmp.synthetic)
    if ax is None:
        active_share_axes(cmp, axes[1])
        turnover_axes(cmp, axes[2])
    return axes[0].figure


def active_share_axes(cmp, ax):
    """Active share :math:`\\tfrac12 \\sum |w_b - w_a|` of an ``IndexComparison`` by day, in %."""
    s = cmp.active_share
    ax.plot(s.index, s.to_numpy() * 100, color=_COLORS["total"], lw=1.1)
    ax.set_ylabel("% of weight")
    ax.grid(alpha=0.3)
    title = f"Active share of {cmp.labels[1]} against {cmp.labels[0]}, 0.5 x sum|w_b - w_a|"
    _head(ax, title, cmp.synthetic)
    return ax


def turnover_axes(cmp, ax):
    """One-way turnover per review of both runs of an ``IndexComparison``, in % (at most about 16
    dates labelled)."""
    tv = cmp.turnover()
    if len(tv):
        x = np.arange(len(tv))
        width = 0.8 / max(len(tv.columns), 1)
        for k, c in enumerate(tv.columns):
            ax.bar(x + k * width, tv[c].to_numpy() * 100, width=width, label=str(c))
        step = max(1, len(tv) // 16)
        ax.set_xticks(
            x[::step] + 0.4 - width / 2,
            [d.strftime("%Y-%m-%d") for d in tv.index[::step]],
            rotation=45,
            ha="right",
            fontsize=7,
        )
        ax.legend(fontsize=8)
    ax.set_ylabel("% one-way, at each review")
    ax.grid(axis="y", alpha=0.3)
    _head(ax, "One-way turnover per review", cmp.synthetic)
    return ax


def _split_line(axes, split, index) -> None:
    """A dashed grey line at ``split`` on every axes of ``axes`` when it falls inside ``index``."""
    for a in axes:
        if a is not None and index[0] <= split <= index[-1]:
            a.axvline(split, color="grey", ls="--", lw=1)


def versions_figure(vc, ax=None, fig=None):
    """Two panels of a :class:`~engine.analytics.versions.VersionComparison`: both runs' levels
    rebased to 1, and the cumulative selection and weighting effects (arithmetic sums of its daily
    ``effects``), with the split date dashed. Into a given ``ax`` the effects go on a twin axis."""
    if ax is not None:
        axes = [ax, ax.twinx()]
    else:
        axes = _figure(fig, (9, 6)).subplots(2, 1, sharex=True)
    lv = vc.base.levels
    for c in lv.columns:
        axes[0].plot(lv.index, lv[c] / lv[c].iloc[0], label=c)
    axes[0].legend()
    axes[0].set_ylabel("rebased to 1")
    axes[0].set_title(vc.summary().title)
    cum = vc.effects[["selection", "weighting"]].cumsum()
    for c in cum.columns:
        axes[1].plot(cum.index, cum[c], label=f"{c} (cumulative, arithmetic)")
    axes[1].legend()
    _split_line(axes, vc.split, lv.index)
    return axes[0].figure


def observed_figure(obs, ax=None, fig=None, window: int = 20):
    """An ``ObservedComparison``: rebased levels, the ``window``-day rolling correlation and the
    cumulative difference, the revision marked (into a given ``ax``: levels, and the correlation
    on a twin axis)."""
    if ax is None:
        ratios = {"height_ratios": [3, 1.3, 1.3]}
        axes = list(_figure(fig, (9, 7)).subplots(3, 1, sharex=True, gridspec_kw=ratios))
    else:
        axes = [ax, ax.twinx(), None]
    lv = obs.levels
    axes[0].plot(lv.index, lv["observed"], label=f"{obs.label} ({obs.kind})")
    axes[0].plot(lv.index, lv["index"], label=obs.against)
    axes[0].set_ylabel("rebased to 1")
    axes[0].legend(loc="upper left")
    axes[0].set_title(f"{obs.label} against {obs.against}")
    rc = obs.rolling_correlation(window)
    axes[1].plot(rc.index, rc, color="tab:green")
    axes[1].set_ylabel(f"{window}-day corr")
    if axes[2] is not None:
        axes[2].plot(lv.index, lv["observed"] - lv["index"], color="tab:red")
        axes[2].set_ylabel("cum. diff")
    _split_line(axes, obs.split, lv.index)
    axes[0].annotate(
        "revision", (obs.split, axes[0].get_ylim()[1]), fontsize=8, ha="left", va="top"
    )
    return axes[0].figure


def implied_figure(iw, ax=None, fig=None, reconstructed=None, top: int = 15):
    """Bars of the latest implied weights of an ``ImpliedWeights`` (beside ``reconstructed``
    when given), the ``top`` first."""
    ax = _axes(ax, fig, (9, 4))
    frame = iw.beside(reconstructed) if reconstructed is not None else iw.last.to_frame()
    frame = frame.head(top)
    cols = [c for c in ("implied", "reconstructed") if c in frame]
    frame[cols].plot.bar(ax=ax)
    ax.set_ylabel("weight")
    ax.set_title(f"Implied weights (R2 {iw.fit['r2'].iloc[-1]:.3f})")
    return ax.figure


def _median_line(ax, f, metric: str, label=None) -> None:
    med = f.groupby("_x", sort=False)[metric].median()
    x = med.index.astype(str) if med.index.dtype == object else med.index
    ax.plot(x, med.to_numpy(), marker="o", label=label)


def sweep_figure(sweep, ax=None, fig=None, metric: str | None = None):
    """A ``SweepResult``'s ``metric`` (default: the first) against its first axis, one line per
    value of the second axis (median over the other axes, named in the title); a bar per variant for
    a grid without axes. Failed variants are left out."""
    metric = metric or sweep.metrics[0]
    ax = _axes(ax, fig, (7, 4))
    f = sweep.frame[sweep.frame["error"] == ""]
    if not sweep.axes:
        ax.bar(f["variant"].astype(str), f[metric])
        ax.set_xlabel("variant")
    else:
        x = sweep.axes[0]
        xs = f[x].map(repr) if f[x].map(lambda v: isinstance(v, tuple)).any() else f[x]
        f = f.assign(_x=xs)
        if len(sweep.axes) > 1:
            hue = sweep.axes[1]
            for value, part in f.groupby(f[hue].map(repr), sort=False):
                _median_line(ax, part, metric, label=f"{hue}={value}")
            ax.legend(fontsize=8)
        else:
            _median_line(ax, f, metric)
        ax.set_xlabel(x)
    ax.set_ylabel(metric)
    over = sweep.axes[2:]  # each point is the median over these axes' values
    median = f" (median over {', '.join(over)})" if over else ""
    ax.set_title(f"{sweep.base}: {metric} by variant{median}", fontsize=10)
    ax.grid(alpha=0.3)
    return ax.figure


def calibration_figure(cal, ax=None, fig=None, top: int = 15):
    """Objective of the best ``top`` variants of a ``Calibration`` (bar chart)."""
    ax = _axes(ax, fig, (9, 3.5))
    r = cal.ranking.head(top)
    labels = [cal.params(k + 1) for k in range(len(r))]
    ax.bar(range(len(r)), r["objective"])
    ax.set_xticks(range(len(r)), labels, rotation=60, ha="right", fontsize=7)
    ax.set_ylabel(cal.objective)
    ax.set_title(f"Calibration by {cal.objective}")
    lo, hi = float(r["objective"].min()), float(r["objective"].max())
    ax.set_ylim(lo - 0.1 * (hi - lo + 1e-9), hi + 0.1 * (hi - lo + 1e-9))
    return ax.figure


def onboarding_figure(onb, ax=None, fig=None):
    """Number of priced codes per session of an ``Onboarding``'s market."""
    ax = _axes(ax, fig, (8, 3))
    m = onb.market
    pd.Series(m.listed().sum(axis=1), index=m.dates).plot(ax=ax)
    ax.set_ylabel("priced codes")
    ax.set_title(f"Onboarded market ({onb.approximation})")
    return ax.figure


def check_figure(report, ax=None, fig=None):
    """Problems per file of a data-folder ``CheckReport`` (bars), warnings counted in the title."""
    ax = _axes(ax, fig, (8, 3))
    per = report.problems["file"].fillna("(no file)").astype(str).value_counts(sort=False)
    ax.bar(per.index.tolist(), per.to_numpy(), color=_COLORS["neg"])
    if not len(per):
        ax.text(0.5, 0.5, "no problems", ha="center", transform=ax.transAxes)
    ax.set_ylabel("problems")
    ax.set_title(f"Check of {report.path}: {len(report.warnings)} warning(s)")
    return ax.figure
