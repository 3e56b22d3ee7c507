"""Figures of a fund run against its benchmark: NAV, tracking, attribution, costs, units and
flows, holdings, and the active return's drawdown and distribution."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd

from engine.errors import DataError
from engine.plotting._base import _COLORS, _axes, _head, _new, mark_dates


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


# -------------------------------------------------------------------------------------- tracking
def _fund_and_benchmark(ax, fund, benchmark, labels, lw: float) -> None:
    """The fund's series (solid, fund colour, width ``lw``) and the benchmark's (dashed)."""
    ax.plot(fund.index, fund, color=_COLORS["fund"], lw=lw, label=labels[0])
    ax.plot(
        benchmark.index, benchmark, color=_COLORS["benchmark"], lw=1.1, ls="--", label=labels[1]
    )


def _draw_levels(ax, tr) -> None:
    lv = tr.levels / tr.levels.iloc[0]
    labels = (tr.labels[0], f"benchmark: {tr.labels[1]}")
    _fund_and_benchmark(ax, lv["fund"], lv["benchmark"], labels, lw=1.4)
    ax.set_ylabel("rebased to 1")
    ax.legend(loc="best", fontsize=8)
    ax.grid(alpha=0.3)
    _head(ax, "NAV per unit vs benchmark", tr.synthetic)


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
    _head(ax, f"Daily active return, fund - {tr.labels[1]}", tr.synthetic)


def _draw_rolling(ax, tr) -> None:
    r = tr.rolling * 100
    bench = tr.labels[1]
    labels = (f"TE vs {bench}, STD (ddof=1)", f"TE vs {bench}, RMS (uncentred)")
    _fund_and_benchmark(ax, r["te_std"], r["te_rms"], labels, lw=1.3)
    ax.set_ylabel("% p.a.")
    ax.grid(alpha=0.3)
    if len(r.index) > 1:  # the whole run, like the other time axes (the first window is NaN)
        ax.set_xlim(r.index[0], r.index[-1])
    if r.notna().any().any():
        ax.legend(loc="best", fontsize=8)
    else:
        no_window = f"fewer than {tr.window} returns: no rolling window"
        ax.text(0.5, 0.5, no_window, ha="center", transform=ax.transAxes)
    _head(ax, f"Rolling tracking error, {tr.window} sessions, annualised", tr.synthetic)


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
            "unknown plot kind",
            field="kind",
            value=kind,
            fix=f"use one of {['all', *_TRACKING_KINDS]}",
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
    _head(ax, f"Attribution vs {wf.benchmark} ({kind}): {total:+.1f} {unit}", wf.synthetic)
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
    _head(ax, title, ct.synthetic, fontsize=9)
    return ax.figure


# ----------------------------------------------------------------------------------- costs, flows
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
    _head(ax, "Costs by kind in bp of NAV (sum of daily cost / NAV, stacked)", synthetic)
    return ax.figure


def units_axes(fund, ax, synthetic: bool = False, marks=()):
    """Units outstanding (millions) of a fund result's NAV frame, one panel."""
    units = fund.nav["units"].astype(float) / 1e6
    ax.plot(units.index, units.to_numpy(), color=_COLORS["fund"], lw=1.4)
    ax.set_ylabel("million units")
    ax.grid(alpha=0.3)
    mark_dates(ax, marks)
    title = f"Units outstanding: {units.iloc[0]:,.0f}m to {units.iloc[-1]:,.0f}m"
    _head(ax, title, synthetic)
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
    _head(ax, f"Largest holdings on {pd.Timestamp(date).date()}: fund vs index", synthetic)
    return ax


# ---------------------------------------------------------------------------- the active return
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
    _head(ax, f"Drawdown of the fund relative to {benchmark} (compounded)", synthetic)
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
    _head(ax, f"Distribution of daily active returns ({w:g} bp bins)", synthetic)
    return ax
