"""The active return seen three ways for a tearsheet: its drawdown, its monthly tracking difference
and the distribution of its daily values.

Every function reads a :class:`~engine.analytics.tracking.TrackingResult` (fund levels :math:`L^f`,
benchmark levels :math:`L^b`, daily active returns :math:`a_t = r^f_t - r^b_t`) and returns plain
tables; the reports draw and print these tables and compute nothing themselves.

Quick use::

    from engine.analytics import active_drawdown, active_distribution, td_by_month, fund_tracking
    tr = fund_tracking(fund_result, idx)
    active_drawdown(tr)["drawdown"].min()   # worst fall of the fund relative to its benchmark
    td_by_month(tr)                         # year x month table of tracking differences
    active_distribution(tr)                 # histogram (bp) of the daily active returns
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine import metrics
from engine._display import Summary
from engine.errors import DataError

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
"""Column names of :func:`td_by_month` (calendar months)."""


def _levels(tr) -> pd.DataFrame:
    lv = getattr(tr, "levels", None)
    if not isinstance(lv, pd.DataFrame) or list(lv.columns[:2]) != ["fund", "benchmark"]:
        what = "expected a TrackingResult (levels with columns fund, benchmark)"
        fix = "pass engine.analytics.fund_tracking(fund_result, index_result)"
        raise DataError(what, field="tr", value=type(tr).__name__, fix=fix)
    if len(lv) < 2:
        what = "at least two aligned levels are needed"
        fix = "track over a longer period"
        raise DataError(what, field="tr.levels", value=len(lv), fix=fix)
    return lv.astype(float)


def active_drawdown(tr) -> pd.DataFrame:
    """The drawdown of the fund relative to its benchmark.

    The relative level is :math:`A_t = (L^f_t / L^f_0) / (L^b_t / L^b_0)` (1 at the start; it rises
    when the fund beats the benchmark, compounded, not a sum of active returns); its drawdown is
    :math:`D_t = A_t / \\max_{u \\le t} A_u - 1` (a fraction, 0 at a new high, negative below).
    ``min(D)`` equals :func:`engine.metrics.max_drawdown` of :math:`A`.

    Returns
    -------
    DataFrame
        ``[date]``: ``relative_level`` (:math:`A_t`) and ``drawdown`` (:math:`D_t`, fraction).
    """
    lv = _levels(tr)
    rel = (lv["fund"] / lv["fund"].iloc[0]) / (lv["benchmark"] / lv["benchmark"].iloc[0])
    peak = np.maximum.accumulate(rel.to_numpy())
    out = pd.DataFrame({"relative_level": rel, "drawdown": rel.to_numpy() / peak - 1.0})
    out.index.name = "date"
    return out


def td_by_month(tr) -> pd.DataFrame:
    """Tracking difference by calendar month, one row per year.

    Month :math:`m` runs from the last level of the month before (or the first level, for the first
    month) to the last level of :math:`m`:
    :math:`TD_m = (L^f_{end}/L^f_{start} - 1) - (L^b_{end}/L^b_{start} - 1)`, arithmetic (a
    difference of period returns, so the months do not add up to the year). ``full_year`` holds the
    calendar year's TD on the same rule (the figure of ``TrackingResult.td_by_year``).

    Returns
    -------
    DataFrame
        Index ``year``; columns :data:`MONTHS` (fractions; NaN for a month without levels) and
        ``full_year``.
    """
    lv = _levels(tr)
    f, b = lv["fund"].to_numpy(), lv["benchmark"].to_numpy()
    idx = lv.index
    period = idx.year * 12 + (idx.month - 1)
    ends = np.flatnonzero(np.r_[period[1:] != period[:-1], True])
    starts = np.r_[0, ends[:-1]]
    td = (f[ends] / f[starts] - 1.0) - (b[ends] / b[starts] - 1.0)
    years = np.unique(idx.year)
    out = pd.DataFrame(np.nan, index=pd.Index(years, name="year"), columns=[*MONTHS, "full_year"])
    for e, v in zip(ends, td, strict=True):
        out.loc[idx[e].year, MONTHS[idx[e].month - 1]] = v
    by_year = tr.td_by_year()["td"]
    out["full_year"] = by_year.reindex(out.index).to_numpy()
    return out


def active_distribution(tr, bin_bp: float | None = None) -> pd.DataFrame:
    """Histogram of the daily active returns :math:`a_t`, in basis points.

    Parameters
    ----------
    tr : TrackingResult
    bin_bp : float, optional
        Bin width in bp; default the Freedman-Diaconis width :math:`2\\,IQR\\,n^{-1/3}` rounded up to
        0.5 bp (at least 0.5 bp). Bins are aligned on multiples of the width, so 0 is an edge.

    Returns
    -------
    DataFrame
        One row per bin: ``low_bp``, ``high_bp`` (the bin is :math:`[low, high)`, the last one
        closed), ``count`` (days) and ``share`` (fraction of the days; the shares add up to 1).
    """
    a = tr.active.dropna().to_numpy(dtype=float) * 1e4
    if len(a) == 0:
        what = "no active returns to count"
        raise DataError(what, field="tr.active", fix="track a longer period")
    if bin_bp is None:
        q75, q25 = np.percentile(a, [75, 25])
        width = 2.0 * (q75 - q25) * len(a) ** (-1.0 / 3.0)
        bin_bp = max(0.5, float(np.ceil(width * 2.0) / 2.0))
    elif not (np.isfinite(bin_bp) and bin_bp > 0):
        what = "bin width must be positive"
        raise DataError(what, field="bin_bp", value=bin_bp, fix="e.g. 1.0")
    lo = np.floor(a.min() / bin_bp) * bin_bp
    hi = (np.floor(a.max() / bin_bp) + 1.0) * bin_bp
    edges = np.arange(round((hi - lo) / bin_bp) + 1) * bin_bp + lo
    counts, _ = np.histogram(a, bins=edges)
    return pd.DataFrame(
        {
            "low_bp": edges[:-1],
            "high_bp": edges[1:],
            "count": counts.astype(int),
            "share": counts / len(a),
        }
    )


def active_stats(tr) -> Summary:
    """The daily active returns in a few figures (bp per day, not annualised): mean, standard deviation
    (``ddof`` of the result's conventions), skewness and excess kurtosis (moment ratios), the 1st,
    5th, 95th and 99th percentiles (linear interpolation), the share of days with :math:`|a_t|` above
    1 bp, and the maximum drawdown of the relative level (:func:`active_drawdown`)."""
    a = tr.active.dropna().to_numpy(dtype=float)
    ddof = tr.conventions.ddof
    against = tr.benchmark
    c = a - a.mean()
    m2 = float(np.mean(c**2))
    skew = float(np.mean(c**3) / m2**1.5) if m2 > 0 else float("nan")
    kurt = float(np.mean(c**4) / m2**2 - 3.0) if m2 > 0 else float("nan")
    p1, p5, p95, p99 = np.percentile(a, [1, 5, 95, 99])
    rows = [
        ("active_mean_daily", a.mean(), "bp", "mean of a_t, per day"),
        ("active_std_daily", metrics.std(a, tr.conventions), "bp", f"std of a_t, ddof={ddof}"),
        ("active_skewness", skew, "ratio", "third central moment / std^3 (population)"),
        ("active_excess_kurtosis", kurt, "ratio", "fourth central moment / std^4 - 3"),
        ("active_p01", p1, "bp", "1st percentile of a_t"),
        ("active_p05", p5, "bp", "5th percentile of a_t"),
        ("active_p95", p95, "bp", "95th percentile of a_t"),
        ("active_p99", p99, "bp", "99th percentile of a_t"),
        ("share_days_above_1bp", float(np.mean(np.abs(a) > 1e-4)), "%", "days with |a_t| > 1 bp"),
        (
            "active_max_drawdown",
            metrics.max_drawdown(active_drawdown(tr)["relative_level"].to_numpy()),
            "%",
            "min of A_t / max(A_u, u <= t) - 1, A = fund level / benchmark level, both rebased",
        ),
    ]
    return Summary(
        [
            {"metric": m, "value": float(v), "unit": u, "against": against, "note": n}
            for m, v, u, n in rows
        ],
        title=f"Daily active returns vs {against}" + (" [SYNTHETIC]" if tr.synthetic else ""),
    )


__all__ = ["MONTHS", "active_distribution", "active_drawdown", "active_stats", "td_by_month"]
