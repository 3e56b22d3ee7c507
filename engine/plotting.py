"""Matplotlib figures of the results (Agg-safe: built on ``matplotlib.figure.Figure``, never
``pyplot``, so nothing depends on a display or leaks global figure state).

A leaf module: it imports no stage (only NumPy, pandas, matplotlib and :mod:`engine.errors`), so any
stage's result may import it for its ``plot()``. Each function draws a result by reading its
attributes (``levels``, ``active``, ``contributions_by(basis)``, ...) and computes no figure of its
own: the numbers drawn are the ones the result reports.

Every function takes the result first and returns the ``Figure``; when ``ax`` is given (where
accepted) it draws into that axes instead, and ``fig=`` (where accepted) draws into a given empty
figure: results' ``plot()``
methods pass a ``pyplot`` figure there (through :func:`engine._display.plot_axes`) so that notebooks
show it inline, and return its main ``Axes``. A result marked synthetic gets "SYNTHETIC" in its title.
"""

from __future__ import annotations

import io
import textwrap

import matplotlib.dates as mdates
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from engine.errors import DataError, describe

SYNTHETIC_TAG = "SYNTHETIC"
_COLORS = {
    "fund": "#1f4e79",
    "benchmark": "#c55a11",
    "pos": "#2e7d32",
    "neg": "#c62828",
    "total": "#455a64",
}


def _title(text: str, synthetic: bool) -> str:
    return f"{text} [{SYNTHETIC_TAG} DATA]" if synthetic else text


def _new(nrows: int = 1, figsize=(9, 4.2), layout: str | None = None, fig=None):
    """A figure of ``nrows`` stacked axes: a new ``Figure``, or ``fig`` (an empty one, e.g. from
    ``pyplot``, so that a result's ``plot()`` shows inline) resized and laid out the same way."""
    if fig is None:
        fig = Figure(figsize=figsize, layout=layout)
    else:
        fig.set_size_inches(figsize)
        if layout is not None:
            fig.set_layout_engine(layout)
    if layout is None:  # fixed margins: constrained layout costs more than the drawing itself
        fig.subplots_adjust(
            left=0.09, right=0.97, top=0.92 if nrows == 1 else 0.95, bottom=0.1, hspace=0.35
        )
    axes = fig.subplots(nrows, 1, squeeze=False)[:, 0]
    return fig, axes


def to_png(fig, dpi: int = 110) -> bytes:
    """PNG bytes of a figure."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def mark_dates(ax, marks=(), *, text: bool = True) -> None:
    """Draw a dotted vertical line at each ``(date, label)`` of ``marks`` inside the x range of ``ax``,
    labelled at the top (e.g. the 2025-08-11 methodology revision)."""
    if not marks:
        return
    lo, hi = ax.get_xlim()
    for date, label in marks:
        ts = pd.Timestamp(date)
        x = mdates.date2num(ts)
        if not (lo <= x <= hi):
            continue
        ax.axvline(ts, color="#6a1b9a", ls=":", lw=1.1, zorder=0)
        if text:
            right = (x - lo) / (hi - lo) > 0.75 if hi > lo else False
            ax.text(
                ts,
                1.0,
                f"{label} {ts.date()} " if right else f" {label} {ts.date()}",
                transform=ax.get_xaxis_transform(),
                va="top",
                ha="right" if right else "left",
                fontsize=7,
                color="#6a1b9a",
            )


# ----------------------------------------------------------------- one figure per result class
def _axes(ax, fig, figsize, layout: str | None = None):
    """``ax``, else the one axes of ``fig`` (an empty figure, resized) or of a new ``Figure``."""
    if ax is not None:
        return ax
    if fig is None:
        fig = Figure(figsize=figsize, layout=layout)
    else:
        fig.set_size_inches(figsize)
        if layout is not None:
            fig.set_layout_engine(layout)
    return fig.subplots()


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


def fund_figure(fund, ax=None, fig=None):
    """A ``FundResult``'s NAV per unit against its benchmark in CNY and the index (gross and price
    in HKD), all rebased to the first NAV per unit (``fund.to_frame()``)."""
    ax = _axes(ax, fig, (9, 4.5))
    frame = fund.to_frame()
    ax.plot(frame.index, frame["nav_per_unit_cny"], label="ETF NAV per unit (CNY)", lw=1.6)
    if "benchmark_cny" in frame:
        bench = fund.benchmark_cny().name
        ax.plot(frame.index, frame["benchmark_cny"], lw=1.1, alpha=0.8, label=f"benchmark: {bench}")
    for variant, style in (("gross", "--"), ("price", ":")):
        if f"index_{variant}" in frame:
            label = f"{fund.index_name} {variant} in HKD"
            ax.plot(frame.index, frame[f"index_{variant}"], style, lw=1.1, label=label)
    ax.set_title(f"ETF vs {fund.index_name}{fund.tag}")
    ax.set_ylabel("NAV per unit / rebased level")
    ax.legend(loc="best", fontsize="small")
    ax.grid(alpha=0.3)
    return ax.figure


def observed_figure(obs, ax=None, fig=None, window: int = 20):
    """An ``ObservedComparison``: rebased levels, the ``window``-day rolling correlation and the
    cumulative difference, the revision marked (into a given ``ax``: levels, and the correlation
    on a twin axis)."""
    if ax is None:
        if fig is None:
            fig = Figure(figsize=(9, 7))
        else:
            fig.set_size_inches((9, 7))
        ratios = {"height_ratios": [3, 1.3, 1.3]}
        axes = list(fig.subplots(3, 1, sharex=True, gridspec_kw=ratios))
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
    for a in axes:
        if a is not None and lv.index[0] <= obs.split <= lv.index[-1]:
            a.axvline(obs.split, color="grey", ls="--", lw=1)
    axes[0].annotate(
        "revision", (obs.split, axes[0].get_ylim()[1]), fontsize=8, ha="left", va="top"
    )
    return axes[0].figure


def implied_figure(iw, ax=None, fig=None, reconstructed=None, top: int = 15):
    """Bars of the latest implied weights of an ``ImpliedWeights`` (beside ``reconstructed``
    when given), the ``top`` first."""
    ax = _axes(ax, fig, (9, 4))
    frame = (iw.beside(reconstructed) if reconstructed is not None else iw.last.to_frame()).head(
        top
    )
    cols = [c for c in ("implied", "reconstructed") if c in frame]
    frame[cols].plot.bar(ax=ax)
    ax.set_ylabel("weight")
    ax.set_title(f"Implied weights (R2 {iw.fit['r2'].iloc[-1]:.3f})")
    return ax.figure


def exante_figure(risk, ax=None, fig=None):
    """An ``ExAnteRisk``: with a series, the daily ex-ante TE beside the realised rolling TE
    ("anticipated against realised"); on one date, the ten largest component contributions
    (cash left out)."""
    ax = _axes(ax, fig, (9, 4.5))
    if len(risk.series) > 1:
        s = risk.series * 100
        model = f"EWMA h={risk.halflife:g}" if risk.model == "ewma" else risk.model
        ax.plot(
            s.index,
            s["te_ex_ante"],
            label=f"anticipated (ex-ante): {model}, {risk.window} sessions, vs {risk.benchmark}",
        )
        ax.plot(
            s.index,
            s["te_realised"],
            label=f"realised: rolling {risk.realised_window}-session STD vs "
            f"{risk.realised_benchmark}",
        )
        ax.set_xlabel(f"annualised with p = {risk.periods_per_year} sessions a year")
        ax.set_title(f"Tracking error: anticipated against realised{risk.tag}")
        ax.set_ylabel("tracking error, % a year")
        ax.legend(loc="best", fontsize="small")
    else:
        c = risk.contributions.drop(risk.cash)
        top = c.reindex(c.abs().nlargest(10).index)[::-1] * 100
        ax.barh([str(k) for k in top.index], top.to_numpy())
        ax.set_xlabel(f"component contribution to the ex-ante TE, % a year (TE {risk.te:.2%})")
        ax.set_title(f"Ex-ante TE against {risk.benchmark} on {risk.date.date()}{risk.tag}")
    ax.grid(alpha=0.3)
    return ax.figure


def _twin_legend(ax, right) -> None:
    lines, more = ax.get_legend_handles_labels(), right.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], loc="best", fontsize="small")


def concentration_figure(conc, ax=None, fig=None):
    """A ``Concentration``: largest weight, top five and top ten (% of weight) by day, the
    effective number of names on a second axis, reviews marked."""
    ax = _axes(ax, fig, (9, 4.5))
    d = conc.daily
    for col in ("top1", "top5", "top10"):
        ax.plot(d.index, d[col] * 100, label=col)
    ax.set_ylabel("% of weight")
    right = ax.twinx()
    right.plot(d.index, d["effective_n"], color="grey", ls="--", lw=1, label="effective_n")
    right.set_ylabel("effective number of names (1 / HHI)")
    for day in conc.per_review["date"]:
        ax.axvline(day, color="lightgrey", lw=0.6, zorder=0)
    _twin_legend(ax, right)
    ax.set_title(f"Concentration of the {conc.kind} {conc.name}{conc.tag}")
    return ax.figure


def fund_rules_figure(fr, ax=None, fig=None):
    """A ``FundRules``: largest weight and top five per review against their limits; constituents
    on a second axis against the minimum."""
    ax = _axes(ax, fig, (9, 4.5))
    t, rs = fr.table, fr.rules
    for col, limit, color in (
        ("max_weight", rs.max_weight, "C0"),
        ("top5_weight", rs.max_top5_weight, "C1"),
    ):
        ax.plot(t["date"], t[col] * 100, "o-", color=color, label=f"{col} per review")
        ax.axhline(limit * 100, color=color, ls="--", lw=1, label=f"limit {limit:.0%}")
    ax.set_ylabel("% of index weight")
    right = ax.twinx()
    right.step(t["date"], t["constituents"], where="post", color="grey", label="constituents")
    minimum = f"minimum {rs.min_constituents} names"
    right.axhline(rs.min_constituents, color="grey", ls=":", lw=1, label=minimum)
    right.set_ylabel("constituents")
    _twin_legend(ax, right)
    passing = int(t["passed"].sum())
    status = " (rules UNCONFIRMED)" if rs.status.startswith("UNCONFIRMED") else ""
    ax.set_title(f"{fr.name} against {rs.name}: {passing} of {len(t)} reviews pass{status}{fr.tag}")
    return ax.figure


def capacity_figure(cap, ax=None, fig=None, review=None):
    """Days to trade of a ``RebalanceCapacity``: per code at ``review`` (a date), or the largest
    finite one per review when None; a dashed line at one day; names without traded value in the
    window (infinite days) are counted in the x labels."""
    ax = _axes(ax, fig, (9, 4), layout="constrained")
    t = cap.table if review is None else cap.review(review)
    finite = t["days_to_trade"].where(np.isfinite(t["days_to_trade"]))
    if review is None:
        days = finite.groupby(t["review"]).max()
        none = (~(t["adv_hkd"] > 0)).groupby(t["review"]).sum()
        x = [f"{d.date()}" + (f" ({n} no ADV)" if n else "") for d, n in none.items()]
        ax.bar(x, days.fillna(0.0).to_numpy(), color="#1f4e79")
        title = "Largest days to trade at each review"
    else:
        x = [
            c + (" (no ADV)" if not a > 0 else "")
            for c, a in zip(t["code"], t["adv_hkd"], strict=True)
        ]
        colors = np.where(t["over_one_day"], "#c62828", "#1f4e79")
        ax.bar(x, finite.fillna(0.0).to_numpy(), color=colors)
        title = f"Days to trade at the review of {pd.Timestamp(review).date()}"
    ax.set_title(title + cap.tag)
    ax.tick_params(axis="x", rotation=90, labelsize=7)
    ax.axhline(1.0, color="#455a64", ls="--", lw=1)
    ax.set_ylabel(f"days at {cap.settings.participation:.0%} of ADV")
    return ax.figure


def regulatory_figure(reg, ax=None, fig=None):
    """A ``RegulatoryReport``: rolling figures against their limits (rolling monitor) or
    calendar-year TD and TE (year monitor), in %, limits dashed, breaches marked."""
    ax = _axes(ax, fig, (9, 4), layout="constrained")
    p = reg.preset
    if p.monitor == "rolling":
        for figure, limit_field, label in reg.checks:
            limit = getattr(p, limit_field)
            s = reg.rolling[figure].dropna()
            if limit is None or s.empty:
                continue
            (line,) = ax.plot(s.index, s.to_numpy() * 100, lw=1.2, label=f"rolling {label}")
            ax.axhline(limit * 100, color=line.get_color(), ls="--", lw=1)
            hit = reg.breaches[reg.breaches["limit_field"] == limit_field]
            ax.scatter(hit["window_end"], hit["value"] * 100, color="#c62828", s=8, zorder=3)
    elif len(reg.by_year):
        x = np.arange(len(reg.by_year))
        ax.bar(x - 0.2, reg.by_year["tracking_difference"] * 100, 0.4, label="TD")
        ax.bar(x + 0.2, reg.by_year["tracking_error"] * 100, 0.4, label="TE")
        ax.set_xticks(x, [str(y) for y in reg.by_year.index])
        for _, limit_field, label in reg.checks:
            if getattr(p, limit_field) is not None:
                ax.axhline(getattr(p, limit_field) * 100, ls="--", lw=1, label=label)
    ax.set_ylabel("%")
    title = (
        f"{p.name}: {p.te_method.upper()} of {p.difference} differences x sqrt("
        f"{p.periods_per_year}), vs {reg.benchmark}"
    )
    ax.set_title(title + reg.tag, fontsize=9)
    if p.monitor == "rolling":
        ax.tick_params(axis="x", rotation=30, labelsize=7)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)
    return ax.figure


def onboarding_figure(onb, ax=None, fig=None):
    """Number of priced codes per session of an ``Onboarding``'s market."""
    ax = _axes(ax, fig, (8, 3))
    m = onb.market
    pd.Series(m.listed().sum(axis=1), index=m.dates).plot(ax=ax)
    ax.set_ylabel("priced codes")
    ax.set_title(f"Onboarded market ({onb.approximation})")
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
    lo = float(r["objective"].min())
    hi = float(r["objective"].max())
    ax.set_ylim(lo - 0.1 * (hi - lo + 1e-9), hi + 0.1 * (hi - lo + 1e-9))
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


# -------------------------------------------------------------------------------------- tracking
def _draw_levels(ax, tr) -> None:
    lv = tr.levels / tr.levels.iloc[0]
    ax.plot(lv.index, lv["fund"], color=_COLORS["fund"], lw=1.4, label=tr.labels[0])
    ax.plot(
        lv.index,
        lv["benchmark"],
        color=_COLORS["benchmark"],
        lw=1.1,
        ls="--",
        label=f"benchmark: {tr.labels[1]}",
    )
    ax.set_ylabel("rebased to 1")
    ax.legend(loc="best", fontsize=8)
    ax.grid(alpha=0.3)
    ax.set_title(_title("NAV per unit vs benchmark", tr.synthetic), fontsize=10)


def _draw_active(ax, tr) -> None:
    a = tr.active * 1e4
    v = a.to_numpy()
    pos = v >= 0
    # one LineCollection per sign (thousands of sessions: far cheaper than one bar patch per day)
    ax.vlines(a.index[pos], 0.0, v[pos], color=_COLORS["pos"], lw=1.0)
    ax.vlines(a.index[~pos], 0.0, v[~pos], color=_COLORS["neg"], lw=1.0)
    ax.axhline(0, color="black", lw=0.6)
    ax.set_ylabel("bp")
    ax.grid(alpha=0.3)
    ax.set_title(_title(f"Daily active return, fund - {tr.labels[1]}", tr.synthetic), fontsize=10)


def _draw_rolling(ax, tr) -> None:
    r = tr.rolling * 100
    ax.plot(
        r.index,
        r["te_std"],
        color=_COLORS["fund"],
        lw=1.3,
        label=f"TE vs {tr.labels[1]}, STD (ddof=1)",
    )
    ax.plot(
        r.index,
        r["te_rms"],
        color=_COLORS["benchmark"],
        lw=1.1,
        ls="--",
        label=f"TE vs {tr.labels[1]}, RMS (uncentred)",
    )
    ax.set_ylabel("% p.a.")
    ax.grid(alpha=0.3)
    if len(r.index) > 1:  # the whole run, like the other time axes (the first window is NaN)
        ax.set_xlim(r.index[0], r.index[-1])
    if r.notna().any().any():
        ax.legend(loc="best", fontsize=8)
    else:
        ax.text(
            0.5,
            0.5,
            f"fewer than {tr.window} returns: no rolling window",
            ha="center",
            transform=ax.transAxes,
        )
    ax.set_title(
        _title(f"Rolling tracking error, {tr.window} sessions, annualised", tr.synthetic),
        fontsize=10,
    )


_TRACKING_KINDS = {"levels": _draw_levels, "active": _draw_active, "rolling": _draw_rolling}


def tracking_axes(tr, kind: str = "all", ax=None, marks=(), fig=None):
    """Draw a :class:`~engine.analytics.tracking.TrackingResult`: ``levels``, ``active``, ``rolling`` or
    ``all``; ``marks`` (``(date, label)`` pairs) are drawn on every time axis.  Without ``ax`` the
    panels go into ``fig`` (an empty figure) or a new ``Figure``; into a given ``ax``, ``all`` draws
    its main panel, the levels."""
    if kind == "all" and ax is not None:
        kind = "levels"
    if kind == "all":
        fig, axes = _new(3, figsize=(9, 9), fig=fig)
        for a, k in zip(axes, ("levels", "active", "rolling"), strict=True):
            _TRACKING_KINDS[k](a, tr)
            mark_dates(a, marks)
        return fig
    if kind not in _TRACKING_KINDS:
        raise DataError(
            describe(
                "unknown plot kind",
                field="kind",
                value=kind,
                fix=f"use one of {['all', *_TRACKING_KINDS]}",
            )
        )
    if ax is None:
        fig, (ax,) = _new(1, fig=fig)
    _TRACKING_KINDS[kind](ax, tr)
    mark_dates(ax, marks)
    return ax.figure


# ------------------------------------------------------------------------------------- waterfall
def waterfall_figure(wf, ax=None, annualised: bool = False, basis: str = "arithmetic", fig=None):
    """Waterfall bar chart of the contributions to the difference from the benchmark (bp).

    ``basis``: ``"arithmetic"`` (differences of period returns, adding up to the tracking
    difference), ``"log"`` (log contributions, total) or ``"log_per_year"`` (log contributions per
    ACT/365 year, to read against rates); ``annualised=True`` draws differences of annualised
    returns instead. The first bar is the benchmark's zero line (its return in the label), each step
    floats from the running total by its contribution, and the last bar is the total, which the
    floating bars add up to. The title names the basis and the benchmark. ``wf`` is a
    :class:`~engine.analytics.attribution.Waterfall`; the bars are its contributions as it reports
    them.
    """
    if ax is None:
        fig, (ax,) = _new(1, figsize=(9, 4.8), layout="constrained", fig=fig)
    if annualised:
        contrib = wf.contributions_annualised.to_numpy() * 1e4
        total = wf.total_annualised * 1e4
        kind = "difference of annualised returns"
        unit = "bp per year"
    else:
        contrib = wf.contributions_by(basis).to_numpy() * 1e4
        total = wf.total_by(basis) * 1e4
        kind = wf.basis_label(basis)
        unit = "bp per year" if basis == "log_per_year" else "bp"
    labels = list(wf.labels)
    x = np.arange(len(labels) + 1)
    running = 0.0
    tops = [0.0]
    contrib = np.where(np.abs(contrib) < 5e-9, 0.0, contrib)  # -2e-11 bp rounding reads as zero
    for k, c in enumerate(contrib, start=1):
        ax.bar(
            x[k], c, bottom=running, color=_COLORS["pos"] if c >= 0 else _COLORS["neg"], width=0.7
        )
        ax.text(x[k], running + max(c, 0.0), f"{c:+.1f}", ha="center", va="bottom", fontsize=7)
        running += c
        tops.append(running)
    ax.bar(x[-1], total, color=_COLORS["total"], width=0.7)
    ax.text(x[-1], max(total, 0.0), f"{total:+.1f}", ha="center", va="bottom", fontsize=7)
    ax.plot([x[0] - 0.35, x[0] + 0.35], [0, 0], color=_COLORS["total"], lw=3)
    r0 = float(wf.period_returns.iloc[0])
    first = textwrap.fill(labels[0], 28)
    ticks = [f"{first}\n(return {r0:+.2%})", *labels[1:], f"total ({kind})"]
    ax.set_xticks(x, ticks, rotation=30, ha="right", fontsize=7)
    ax.set_ylabel(f"{unit} vs benchmark")
    ax.axhline(0, color="black", lw=0.6)
    ax.grid(axis="y", alpha=0.3)
    lo, hi = min(0.0, min(tops), total), max(0.0, max(tops), total)
    span = max(hi - lo, 1e-9)
    if np.isfinite(span):
        ax.set_ylim(lo - 0.08 * span, hi + 0.15 * span)
    ax.set_title(
        _title(
            f"Attribution vs {wf.benchmark} ({kind}): {total:+.1f} {unit}",
            wf.synthetic,
        ),
        fontsize=10,
    )
    return ax.figure


def contributions_figure(ct, ax=None, top: int = 10, fig=None):
    """Horizontal bars of the ``top`` largest and ``top`` smallest code contributions (bp, linked as
    the result says) of a :class:`~engine.analytics.contributions.Contributions`, each labelled with
    its code and security name; the title names the benchmark and the total difference."""
    if ax is None:
        fig, (ax,) = _new(1, figsize=(8, 0.28 * 2 * top + 1.6), layout="constrained", fig=fig)
    tab = ct.table()
    codes = tab.loc[tab["kind"] == "code", "contribution"]
    pick = pd.concat([codes.head(top), codes.tail(top)])
    pick = pick[~pick.index.duplicated()].sort_values()
    values = pick.to_numpy() * 1e4
    colours = [_COLORS["neg"] if v < 0 else _COLORS["pos"] for v in values]
    names = [f"{code} {ct.names.get(code, '')}".strip() for code in pick.index]
    ax.barh(names, values, color=colours)
    ax.axvline(0.0, color="black", lw=0.6)
    ax.grid(axis="x", alpha=0.3)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_xlabel(f"contribution, bp (arithmetic, {ct.linking.capitalize()}-linked)")
    title = f"Top and bottom {top} contributors vs {ct.against}: total {ct.total * 1e4:+.1f} bp"
    ax.set_title(_title(title, ct.synthetic), fontsize=9)
    return ax.figure


# ----------------------------------------------------------------------------------- costs, weights
def costs_figure(drag_wide: pd.DataFrame, ax=None, synthetic: bool = False, marks=()):
    """Cumulative costs by kind in bp of NAV, stacked: ``drag_wide`` is ``[date] x kind`` of each
    day's cost over that day's NAV (:func:`engine.analytics.cost_drag`); kinds that cost nothing
    are left out."""
    if ax is None:
        fig, (ax,) = _new(1)
    if drag_wide is None or drag_wide.empty or not (drag_wide.to_numpy() != 0).any():
        ax.text(0.5, 0.5, "no costs recorded", ha="center", transform=ax.transAxes)
    else:
        cum = drag_wide.fillna(0.0).sort_index().cumsum() * 1e4
        last = cum.iloc[-1]
        cum = cum.loc[:, last[last != 0].abs().sort_values(ascending=False).index]
        labels = [f"{c} ({cum[c].iloc[-1]:.1f} bp)" for c in cum.columns]
        ax.stackplot(cum.index, cum.to_numpy().T, labels=labels, alpha=0.85)
        ax.legend(loc="upper left", fontsize=7, ncol=2)
        mark_dates(ax, marks)
    ax.set_ylabel("bp of NAV, cumulative")
    ax.grid(alpha=0.3)
    ax.set_title(
        _title("Costs by kind in bp of NAV (sum of daily cost / NAV, stacked)", synthetic),
        fontsize=10,
    )
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
    if ax is not None:
        axes = [ax]
    else:
        fig, axes = _new(2, figsize=(9, 7.5))
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
    full.set_title(_title(f"Index levels ({variant}), whole history", synthetic), fontsize=10)
    mark_dates(full, marks)
    if len(axes) == 1:
        return full.figure
    zs = pd.Timestamp(zoom) if zoom is not None else None
    if zs is None and marks:
        zs = pd.Timestamp(year=pd.Timestamp(marks[0][0]).year, month=1, day=1)
    z = axes[1]
    for k, (name, res) in enumerate(results.items()):
        lv = res.levels[variant]
        part = lv[lv.index >= zs] if zs is not None else lv
        if len(part):
            z.plot(
                part.index,
                part.to_numpy() / float(part.iloc[0]),
                label=str(name),
                **_STYLES[k % len(_STYLES)],
            )
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
    """Rebased levels, active share and one-way turnover per review of an ``IndexComparison``
    (only the levels when drawn into ``ax``; the three panels go into ``fig`` or a new ``Figure``)."""
    if ax is not None:
        lv = cmp.levels / cmp.levels.iloc[0]
        for c in lv.columns:
            ax.plot(lv.index, lv[c], label=str(c))
        ax.legend(fontsize=8)
        ax.set_title(_title("Levels rebased to 1", cmp.synthetic), fontsize=10)
        return ax.figure
    fig, axes = _new(3, figsize=(9, 9), layout="constrained", fig=fig)
    lv = cmp.levels / cmp.levels.iloc[0]
    for c in lv.columns:
        axes[0].plot(lv.index, lv[c], lw=1.2, label=str(c))
    axes[0].legend(fontsize=8)
    axes[0].grid(alpha=0.3)
    axes[0].set_title(
        _title(
            f"{cmp.labels[0]} vs {cmp.labels[1]}: {cmp.variant} levels rebased to 1", cmp.synthetic
        ),
        fontsize=10,
    )
    s = cmp.active_share
    axes[1].plot(s.index, s.to_numpy() * 100, color=_COLORS["total"], lw=1.1)
    axes[1].set_ylabel("%")
    axes[1].grid(alpha=0.3)
    axes[1].set_title("Active share 0.5 * sum|w_b - w_a|", fontsize=10)
    tv = cmp.turnover()
    if len(tv):
        x = np.arange(len(tv))
        width = 0.8 / max(len(tv.columns), 1)
        for k, c in enumerate(tv.columns):
            axes[2].bar(x + k * width, tv[c].to_numpy() * 100, width=width, label=str(c))
        axes[2].set_xticks(
            x + 0.4 - width / 2,
            [d.strftime("%Y-%m-%d") for d in tv.index],
            rotation=45,
            ha="right",
            fontsize=7,
        )
        axes[2].legend(fontsize=8)
    axes[2].set_ylabel("% one-way")
    axes[2].grid(axis="y", alpha=0.3)
    axes[2].set_title("One-way turnover per review", fontsize=10)
    return fig


def versions_figure(vc, ax=None, fig=None):
    """Two panels of a :class:`~engine.analytics.versions.VersionComparison`: both runs' levels
    rebased to 1, and the cumulative selection and weighting effects (arithmetic sums of its daily
    ``effects``), with the split date dashed. Into a given ``ax`` the effects go on a twin axis."""
    if ax is not None:
        axes = [ax, ax.twinx()]
    else:
        if fig is None:
            fig = Figure(figsize=(9, 6))
        else:
            fig.set_size_inches((9, 6))
        axes = fig.subplots(2, 1, sharex=True)
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
    for a in axes:
        if lv.index[0] <= vc.split <= lv.index[-1]:
            a.axvline(vc.split, color="grey", ls="--", lw=1)
    return axes[0].figure


def frontier_figure(fr, ax=None, fig=None):
    """A ``ReplicationFrontier``: realised (solid) and ex-ante (dashed) tracking error against the
    number of names, one colour per policy, the full fund's realised tracking error as the
    reference line."""
    ax = _axes(ax, fig, (8, 4.5))
    parts = fr.table[fr.table["policy"] != "full"].groupby("policy", sort=False)
    for k, (policy, part) in enumerate(parts):
        part = part.sort_values("names")
        for column, style, what in (
            ("tracking_error_std", "o-", "realised"),
            ("te_ex_ante_policy", "--", "ex-ante (mean over reviews)"),
        ):
            ax.plot(
                part["names"], part[column] * 100, style, color=f"C{k}", label=f"{policy}: {what}"
            )
    ax.axhline(
        fr.full["tracking_error_std"] * 100,
        color="black",
        lw=1,
        label=f"full replication ({int(fr.full['names'])} names): realised",
    )
    ax.set_xlabel("names held (N)")
    ax.set_ylabel("tracking error, STD annualised (%)")
    ax.set_title(f"Replication frontier, against {fr.benchmark}{fr.tag}")
    ax.legend(fontsize="small")
    return ax


__all__ = [
    "frontier_figure",
    "SYNTHETIC_TAG",
    "calibration_figure",
    "capacity_figure",
    "check_figure",
    "comparison_figure",
    "concentration_figure",
    "costs_figure",
    "exante_figure",
    "fund_figure",
    "fund_rules_figure",
    "implied_figure",
    "index_figure",
    "index_levels_figure",
    "mark_dates",
    "observed_figure",
    "onboarding_figure",
    "regulatory_figure",
    "schedule_figure",
    "sweep_figure",
    "to_png",
    "tracking_axes",
    "versions_figure",
    "waterfall_figure",
]


# ------------------------------------------------------------------------- tearsheet (appended)
def active_drawdown_axes(dd: pd.DataFrame, ax, benchmark: str, synthetic: bool = False, marks=()):
    """The drawdown of the relative level (``dd`` from :func:`engine.analytics.active_drawdown`:
    ``drawdown`` as a fraction), in %, filled below zero; the worst point labelled."""
    d = dd["drawdown"] * 100
    ax.fill_between(d.index, d.to_numpy(), 0.0, color=_COLORS["neg"], alpha=0.35, lw=0)
    ax.plot(d.index, d.to_numpy(), color=_COLORS["neg"], lw=0.9)
    if len(d):
        at = d.idxmin()
        ax.annotate(
            f"{d.min():.2f}% on {pd.Timestamp(at).date()}",
            (at, d.min()),
            xytext=(4, 4),
            textcoords="offset points",
            fontsize=7,
        )
    ax.axhline(0, color="black", lw=0.6)
    ax.set_ylabel("% below the best relative level")
    ax.grid(alpha=0.3)
    mark_dates(ax, marks)
    ax.set_title(
        _title(f"Drawdown of the fund relative to {benchmark} (compounded)", synthetic),
        fontsize=10,
    )
    return ax


def active_histogram_axes(hist: pd.DataFrame, ax, benchmark: str, synthetic: bool = False):
    """Bars of the daily active returns' histogram (``hist`` from
    :func:`engine.analytics.active_distribution`: bin edges in bp, ``share`` a fraction), in % of
    days."""
    width = (hist["high_bp"] - hist["low_bp"]).to_numpy()
    ax.bar(
        hist["low_bp"].to_numpy(),
        hist["share"].to_numpy() * 100,
        width=width,
        align="edge",
        color=_COLORS["fund"],
        edgecolor="white",
        lw=0.4,
    )
    ax.axvline(0, color="black", lw=0.6)
    ax.set_xlabel(f"daily active return vs {benchmark}, bp (fund - benchmark)")
    ax.set_ylabel("% of days")
    ax.grid(axis="y", alpha=0.3)
    w = float(width[0]) if len(width) else float("nan")
    ax.set_title(
        _title(f"Distribution of daily active returns ({w:g} bp bins)", synthetic), fontsize=10
    )
    return ax


def units_axes(fund, ax, synthetic: bool = False, marks=()):
    """Units outstanding (millions) of a fund result's NAV frame, one panel."""
    units = fund.nav["units"].astype(float) / 1e6
    ax.plot(units.index, units.to_numpy(), color=_COLORS["fund"], lw=1.4)
    ax.set_ylabel("million units")
    ax.grid(alpha=0.3)
    mark_dates(ax, marks)
    ax.set_title(
        _title(f"Units outstanding: {units.iloc[0]:,.0f}m to {units.iloc[-1]:,.0f}m", synthetic),
        fontsize=10,
    )
    return ax


def flows_axes(fund, ax, marks=()):
    """The day's units created (+) or redeemed (-) (``flow_units``, millions), one panel."""
    nav = fund.nav
    f = nav["flow_units"].astype(float).fillna(0.0) / 1e6 if "flow_units" in nav else None
    if f is None:
        ax.text(0.5, 0.5, "no flows recorded", ha="center", transform=ax.transAxes)
    else:
        v = f.to_numpy()
        ax.vlines(f.index[v > 0], 0, v[v > 0], color=_COLORS["pos"], lw=1.2, label="created")
        ax.vlines(f.index[v < 0], 0, v[v < 0], color=_COLORS["neg"], lw=1.2, label="redeemed")
        if (v != 0).any():
            ax.legend(loc="upper left", fontsize=7)
        if len(f) > 1:
            ax.set_xlim(f.index[0], f.index[-1])
    ax.axhline(0, color="black", lw=0.6)
    ax.set_ylabel("million units / day")
    ax.grid(alpha=0.3)
    mark_dates(ax, marks)
    ax.set_title("Daily flows (units created or redeemed)", fontsize=10)
    return ax


def holdings_axes(table: pd.DataFrame, ax, date, synthetic: bool = False, top: int = 15):
    """Horizontal bars of fund against index weight in % (``table`` columns ``name``, ``fund``,
    ``index`` as fractions, indexed by code), the ``top`` largest, labelled ``code name``."""
    w = table.head(top).iloc[::-1]
    y = np.arange(len(w))
    ax.barh(
        y - 0.2, w["index"].to_numpy() * 100, height=0.4, color=_COLORS["benchmark"], label="index"
    )
    ax.barh(y + 0.2, w["fund"].to_numpy() * 100, height=0.4, color=_COLORS["fund"], label="fund")
    labels = [
        f"{c} {textwrap.shorten(str(n), 22, placeholder='...')}"
        for c, n in zip(w.index, w["name"], strict=True)
    ]
    ax.set_yticks(y, labels, fontsize=7)
    ax.set_xlabel("weight, % (stocks only, excluding cash)")
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(
        _title(f"Largest holdings on {pd.Timestamp(date).date()}: fund vs index", synthetic),
        fontsize=10,
    )
    return ax


def active_share_axes(cmp, ax):
    """Active share :math:`\\tfrac12 \\sum |w_b - w_a|` of an ``IndexComparison`` by day, in %."""
    s = cmp.active_share
    ax.plot(s.index, s.to_numpy() * 100, color=_COLORS["total"], lw=1.1)
    ax.set_ylabel("% of weight")
    ax.grid(alpha=0.3)
    ax.set_title(
        _title(f"Active share of {cmp.labels[1]} against {cmp.labels[0]}, 0.5 x sum|w_b - w_a|",
               cmp.synthetic),
        fontsize=10,
    )  # fmt: skip
    return ax


def turnover_axes(cmp, ax):
    """One-way turnover per review of both runs of an ``IndexComparison``, in %."""
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
    ax.set_title(_title("One-way turnover per review", cmp.synthetic), fontsize=10)
    return ax
