"""Matplotlib figures of the analytics results (Agg-safe: built on ``matplotlib.figure.Figure``,
never ``pyplot``, so nothing depends on a display or leaks global figure state).

Every function returns the ``Figure``; when ``ax`` is given it draws into that axes instead.
A result marked synthetic gets "SYNTHETIC" in its title.
"""

from __future__ import annotations

import io

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

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


def _new(nrows: int = 1, figsize=(9, 4.2), layout: str | None = None):
    fig = Figure(figsize=figsize, layout=layout)
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


# -------------------------------------------------------------------------------------- tracking
def _draw_levels(ax, tr) -> None:
    lv = tr.levels / tr.levels.iloc[0]
    ax.plot(lv.index, lv["fund"], color=_COLORS["fund"], lw=1.4, label=tr.labels[0])
    ax.plot(
        lv.index, lv["benchmark"], color=_COLORS["benchmark"], lw=1.1, ls="--", label=tr.labels[1]
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
    ax.set_title(_title("Daily active return (fund - benchmark)", tr.synthetic), fontsize=10)


def _draw_rolling(ax, tr) -> None:
    r = tr.rolling * 100
    ax.plot(r.index, r["te_std"], color=_COLORS["fund"], lw=1.3, label="TE, STD (ddof=1)")
    ax.plot(
        r.index,
        r["te_rms"],
        color=_COLORS["benchmark"],
        lw=1.1,
        ls="--",
        label="TE, RMS (uncentred)",
    )
    ax.set_ylabel("% p.a.")
    ax.grid(alpha=0.3)
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


def tracking_axes(tr, kind: str = "all", ax=None):
    """Draw a :class:`~engine.analytics.tracking.TrackingResult`: ``levels``, ``active``, ``rolling`` or ``all``."""
    from engine.errors import DataError, describe

    if kind == "all":
        if ax is not None:
            raise DataError(
                describe(
                    "kind='all' draws three panels and cannot use one ax",
                    field="kind",
                    fix="pass ax=None",
                )
            )
        fig, axes = _new(3, figsize=(9, 9))
        for a, k in zip(axes, ("levels", "active", "rolling"), strict=True):
            _TRACKING_KINDS[k](a, tr)
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
        fig, (ax,) = _new(1)
    _TRACKING_KINDS[kind](ax, tr)
    return ax.figure


# ------------------------------------------------------------------------------------- waterfall
def waterfall_figure(wf, ax=None, annualised: bool = False):
    """Waterfall bar chart of the difference to the first step (bp).

    The first bar is the zero line of the starting point (its own return is printed in the label),
    each step floats from the running total by its contribution, and the last bar is the total
    difference (last step - first step), which the floating bars add up to.
    """
    if ax is None:
        fig, (ax,) = _new(1, figsize=(9, 4.8), layout="constrained")
    r = (wf.annualised_returns if annualised else wf.period_returns).to_numpy() * 1e4
    contrib = np.diff(r)
    labels = list(wf.labels)
    x = np.arange(len(labels) + 1)
    running = 0.0
    tops = [0.0]
    for k, c in enumerate(contrib, start=1):
        ax.bar(
            x[k], c, bottom=running, color=_COLORS["pos"] if c >= 0 else _COLORS["neg"], width=0.7
        )
        ax.text(x[k], running + max(c, 0.0), f"{c:+.1f}", ha="center", va="bottom", fontsize=7)
        running += c
        tops.append(running)
    total = r[-1] - r[0]
    ax.bar(x[-1], total, color=_COLORS["total"], width=0.7)
    ax.text(x[-1], max(total, 0.0), f"{total:+.1f}", ha="center", va="bottom", fontsize=7)
    ax.plot([x[0] - 0.35, x[0] + 0.35], [0, 0], color=_COLORS["total"], lw=3)
    unit = " p.a." if annualised else ""
    ticks = [f"{labels[0]}\n(return {r[0]:.0f} bp{unit})", *labels[1:], "total difference"]
    ax.set_xticks(x, ticks, rotation=30, ha="right", fontsize=7)
    ax.set_ylabel("bp vs first step" + unit)
    ax.axhline(0, color="black", lw=0.6)
    ax.grid(axis="y", alpha=0.3)
    lo, hi = min(0.0, min(tops), total), max(0.0, max(tops), total)
    span = max(hi - lo, 1e-9)
    if np.isfinite(span):
        ax.set_ylim(lo - 0.08 * span, hi + 0.15 * span)
    kind = "annualised return" if annualised else "period return"
    ax.set_title(
        _title(
            f"Attribution waterfall ({kind}, bp): total difference {total:+.1f} bp",
            wf.synthetic,
        ),
        fontsize=10,
    )
    return ax.figure


# ----------------------------------------------------------------------------------- costs, weights
def costs_figure(costs_wide: pd.DataFrame, ax=None, synthetic: bool = False):
    """Cumulative costs by kind (CNY), stacked; ``costs_wide`` is ``[date] x kind``."""
    if ax is None:
        fig, (ax,) = _new(1)
    if costs_wide is None or costs_wide.empty:
        ax.text(0.5, 0.5, "no costs recorded", ha="center", transform=ax.transAxes)
    else:
        cum = costs_wide.fillna(0.0).sort_index().cumsum()
        cum = cum.loc[:, cum.iloc[-1].abs().sort_values(ascending=False).index]
        ax.stackplot(cum.index, cum.to_numpy().T, labels=[str(c) for c in cum.columns], alpha=0.85)
        ax.legend(loc="upper left", fontsize=7, ncol=2)
    ax.set_ylabel("CNY, cumulative")
    ax.grid(alpha=0.3)
    ax.set_title(_title("Costs by kind (cumulative, stacked)", synthetic), fontsize=10)
    return ax.figure


def weights_figure(
    weights: pd.DataFrame, ax=None, synthetic: bool = False, top: int = 25, date=None
):
    """Horizontal bars: fund holding weight vs index weight per code (``weights`` columns ``fund, index``)."""
    if ax is None:
        fig, (ax,) = _new(1, figsize=(9, 6), layout="constrained")
    w = weights.fillna(0.0)
    w = w.loc[w.max(axis=1).sort_values(ascending=False).index[:top]].iloc[::-1]
    y = np.arange(len(w))
    ax.barh(
        y - 0.2, w["index"].to_numpy() * 100, height=0.4, color=_COLORS["benchmark"], label="index"
    )
    ax.barh(y + 0.2, w["fund"].to_numpy() * 100, height=0.4, color=_COLORS["fund"], label="fund")
    ax.set_yticks(y, [str(c) for c in w.index], fontsize=7)
    ax.set_xlabel("weight, %")
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    when = f" on {pd.Timestamp(date).date()}" if date is not None else ""
    ax.set_title(
        _title(f"Holding weight vs index weight{when} (top {len(w)})", synthetic), fontsize=10
    )
    return ax.figure


# ------------------------------------------------------------------------------------ index runs
def index_levels_figure(
    results: dict, mark=("2025-08-11", "revision"), variant: str = "price", ax=None
):
    """Levels of several ``IndexResult`` variants, with a dated vertical marker."""
    if ax is None:
        fig, (ax,) = _new(1, figsize=(9, 4.5))
    synthetic = False
    styles = ("-", "--", "-.", ":")  # variants that coincide over a period stay visible
    for k, (name, res) in enumerate(results.items()):
        lv = res.levels[variant]
        ax.plot(lv.index, lv.to_numpy(), lw=1.6 - 0.3 * (k % 2), ls=styles[k % 4], label=str(name))
        synthetic |= bool(getattr(res, "synthetic", False))
    if mark:
        ts = pd.Timestamp(mark[0])
        ax.axvline(ts, color="black", ls=":", lw=1)
        right_side = (
            ax.transData.transform((mdates.date2num(ts), 0))[0]
            > ax.transAxes.transform((0.75, 0))[0]
        )
        ax.text(
            ts,
            ax.get_ylim()[1],
            f"{mark[1]} {ts.date()} " if right_side else f" {mark[1]} {ts.date()}",
            va="top",
            ha="right" if right_side else "left",
            fontsize=8,
        )
    ax.set_ylabel(f"{variant} level")
    ax.legend(loc="best", fontsize=8)
    ax.grid(alpha=0.3)
    ax.set_title(_title(f"Index levels ({variant})", synthetic), fontsize=10)
    return ax.figure


def comparison_figure(cmp, ax=None):
    """Rebased levels, active share and one-way turnover per review of an ``IndexComparison``."""
    if ax is not None:
        lv = cmp.levels / cmp.levels.iloc[0]
        for c in lv.columns:
            ax.plot(lv.index, lv[c], label=str(c))
        ax.legend(fontsize=8)
        ax.set_title(_title("Levels rebased to 1", cmp.synthetic), fontsize=10)
        return ax.figure
    fig, axes = _new(3, figsize=(9, 9), layout="constrained")
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


__all__ = [
    "SYNTHETIC_TAG",
    "comparison_figure",
    "costs_figure",
    "index_levels_figure",
    "to_png",
    "tracking_axes",
    "waterfall_figure",
    "weights_figure",
]
