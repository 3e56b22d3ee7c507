"""Tracking metrics of a fund NAV against a benchmark level series.

Notation: :math:`L^f_t` fund NAV per unit (CNY), :math:`L^b_t` benchmark level, on the :math:`n + 1`
aligned dates :math:`t = 0..n`; :math:`r^f_t, r^b_t` their simple daily returns
(:func:`engine.conventions.simple_returns`), :math:`a_t = r^f_t - r^b_t` the **active return**,
:math:`p` periods per year (:data:`engine.conventions.PERIODS_PER_YEAR`).

================================  ===============================================================
tracking difference (period)      :math:`TD = R^f - R^b`, :math:`R = L_n / L_0 - 1`
tracking difference (annualised)  :math:`(1 + R^f)^{p/n} - (1 + R^b)^{p/n}`
tracking error, STD               :math:`\\sqrt{p} \\, \\sqrt{\\sum_t (a_t - \\bar a)^2 / (n - 1)}`
tracking error, RMS               :math:`\\sqrt{p} \\, \\sqrt{\\sum_t a_t^2 / n}` (uncentred: includes the
                                  systematic drift, i.e. the tracking difference)
information ratio                 :math:`p \\bar a / TE_{STD}`; NaN (not 0) when :math:`TE_{STD} = 0`
beta                              :math:`\\mathrm{cov}(r^f, r^b) / \\mathrm{var}(r^b)`
correlation                       :math:`\\mathrm{corr}(r^f, r^b)`
================================  ===============================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine import __version__, metrics
from engine._display import Result, Summary
from engine._display import row as _row
from engine.conventions import DEFAULT, Conventions, check_levels, simple_returns
from engine.data.fx import to_cny
from engine.errors import DataError
from engine.fund.result import benchmark_label, fund_benchmark
from engine.index.result import VARIANTS

FUND_ONLY = frozenset(k for k in metrics.TRACKING if not metrics.REGISTRY[k].relative)
"""Metrics of :data:`METRICS` that do not depend on the benchmark (no ``against``)."""

DEFAULT_WINDOW = 60
"""Default rolling window in sessions (about one quarter of HKEX sessions)."""

METRICS: dict[str, tuple[str, str, str]] = {
    k: (metrics.REGISTRY[k].label, metrics.REGISTRY[k].unit, metrics.REGISTRY[k].definition)
    for k in metrics.TRACKING
}
"""Canonical name -> (label, unit, definition) of every tracking metric, read from
:data:`engine.metrics.REGISTRY` (kept for callers of release 0.1)."""


# ---------------------------------------------------------------------------------------------- core
def metrics_from_returns(
    r_fund: np.ndarray,
    r_bench: np.ndarray,
    conventions: Conventions = DEFAULT,
) -> dict[str, float]:
    """Every metric of :data:`METRICS` from two aligned daily return arrays (no NaN): the levels
    :math:`L_t = \\prod_{u \\le t} (1 + r_u)` from 1 through :func:`engine.metrics.tracking_metrics`."""
    rf = np.asarray(r_fund, dtype=float)
    rb = np.asarray(r_bench, dtype=float)
    if rf.shape != rb.shape or rf.ndim != 1:
        what = "return arrays must be 1-D and of equal length"
        raise DataError(what, value=(rf.shape, rb.shape))
    lf = np.concatenate(([1.0], np.cumprod(1.0 + rf)))
    lb = np.concatenate(([1.0], np.cumprod(1.0 + rb)))
    return metrics.tracking_metrics(lf, lb, conventions)


def rolling_tracking_error(
    active: pd.Series | pd.DataFrame,
    window: int = DEFAULT_WINDOW,
    *,
    method: str = "std",
    conventions: Conventions = DEFAULT,
) -> pd.Series | pd.DataFrame:
    """Annualised rolling tracking error of daily active returns over ``window`` sessions
    (:func:`engine.metrics.rolling_tracking_error`): ``method="std"``
    :math:`\\sqrt{p}\\, \\mathrm{std}(a_{t-w+1..t}, ddof)`, ``"rms"``
    :math:`\\sqrt{p}\\, \\sqrt{\\mathrm{mean}(a_{t-w+1..t}^2)}`.  The first ``window - 1``
    values (and any window containing NaN) are NaN.
    """
    _check_window(window)
    frame = active.to_frame() if isinstance(active, pd.Series) else active
    raw = metrics.rolling_tracking_error(
        frame.to_numpy(dtype=float), int(window), method, conventions
    )
    if isinstance(active, pd.Series):
        return pd.Series(raw[:, 0], index=active.index, name=f"te_{method}_{window}")
    return pd.DataFrame(raw, index=frame.index, columns=frame.columns)


def _check_window(window) -> None:
    if not isinstance(window, int | np.integer) or isinstance(window, bool) or window < 2:
        what = "rolling window must be an integer of at least 2 sessions"
        fix = f"use e.g. {DEFAULT_WINDOW} (about a quarter) or 246 (a year)"
        raise DataError(what, field="window", value=window, fix=fix)


# ---------------------------------------------------------------------------------------- alignment
def align(
    fund: pd.Series,
    benchmark: pd.Series,
    *,
    strict: bool = True,
    labels: tuple[str, str] = ("fund", "benchmark"),
) -> tuple[pd.DataFrame, pd.DatetimeIndex]:
    """Align two level series on their common dates.

    Dates before the later start or after the earlier end are trimmed (a fund usually starts after
    its benchmark). Inside the common span every date must be in both series when ``strict``;
    otherwise only the common dates are kept and the dropped ones are returned.

    Returns
    -------
    (DataFrame, DatetimeIndex)
        Columns ``labels``, and the dates inside the common span present in only one series.

    Raises
    ------
    DataError
        The series do not overlap (both date ranges named), fewer than two common dates, a bad
        level (date named), or, when ``strict``, a date inside the span missing from one series.
    """
    check_levels(fund, source=labels[0])
    check_levels(benchmark, source=labels[1])
    if len(fund) == 0 or len(benchmark) == 0:
        what = "cannot align an empty series"
        raise DataError(what, source=labels[0] if len(fund) == 0 else labels[1])
    lo = max(fund.index[0], benchmark.index[0])
    hi = min(fund.index[-1], benchmark.index[-1])
    span_f = fund.index[(fund.index >= lo) & (fund.index <= hi)]
    span_b = benchmark.index[(benchmark.index >= lo) & (benchmark.index <= hi)]
    common = span_f.intersection(span_b)
    if len(common) < 2:
        raise DataError(
            "the series share fewer than two dates",
            source=f"{labels[0]} {_span(fund)} vs {labels[1]} {_span(benchmark)}",
            value=len(common),
            fix="use a benchmark covering the fund's life (e.g. cut the index at the fund's inception)",
        )
    only_f = span_f.difference(span_b)
    only_b = span_b.difference(span_f)
    dropped = only_f.union(only_b)
    if strict and len(dropped):
        first = [d.strftime("%Y-%m-%d") for d in dropped[:5]]
        what = (
            f"{len(only_f)} date(s) of {labels[0]} missing from {labels[1]} and "
            f"{len(only_b)} the other way, inside the common span"
        )
        fix = (
            "fill the missing dates, or pass strict=False to use common dates only "
            "(the dropped dates are kept in the result's `excluded`)"
        )
        value = ", ".join(first) + (" ..." if len(dropped) > 5 else "")
        raise DataError(what, date=dropped[0], value=value, fix=fix)
    frame = pd.DataFrame(
        {
            labels[0]: fund.reindex(common).to_numpy(dtype=float),
            labels[1]: benchmark.reindex(common).to_numpy(dtype=float),
        },
        index=pd.DatetimeIndex(common, name="date"),
    )
    return frame, pd.DatetimeIndex(dropped, name="date")


def provenance(index_result) -> dict:
    """Methodology name and hash, data fingerprint and index name of an ``IndexResult`` (empty strings
    where the run did not record them)."""
    sched = getattr(index_result, "schedule", None)
    return {
        "index": getattr(index_result, "name", ""),
        "methodology": getattr(sched, "history", ""),
        "methodology_hash": getattr(sched, "methodology_hash", ""),
        "data_fingerprint": getattr(sched, "data_fingerprint", ""),
    }


def _span(s: pd.Series) -> str:
    if len(s) == 0:
        return "(empty)"
    return f"{pd.Timestamp(s.index[0]).date()}..{pd.Timestamp(s.index[-1]).date()}"


# ------------------------------------------------------------------------------------------- result
@dataclass(frozen=True, eq=False)
class TrackingResult(Result):
    """Tracking of one fund NAV against one benchmark.

    Attributes
    ----------
    levels : DataFrame
        Aligned levels, columns ``fund, benchmark``.
    returns : DataFrame
        Daily simple returns ``fund, benchmark`` and ``active`` = fund - benchmark.
    rolling : DataFrame
        Annualised rolling tracking error over ``window`` sessions: ``te_std``, ``te_rms``.
    metrics : dict
        The values of :data:`METRICS` (fractions, not percent).
    excluded : DatetimeIndex
        Dates present in only one series inside the common span (only with ``strict=False``).
    """

    _figure = "tracking_axes"

    levels: pd.DataFrame
    returns: pd.DataFrame
    rolling: pd.DataFrame
    metrics: dict
    window: int
    conventions: Conventions = DEFAULT
    labels: tuple[str, str] = ("fund", "benchmark")
    excluded: pd.DatetimeIndex = field(default_factory=lambda: pd.DatetimeIndex([], name="date"))
    synthetic: bool = False
    meta: dict = field(default_factory=dict)
    """Provenance: engine version, methodology hash, data fingerprint, benchmark description."""

    @property
    def active(self) -> pd.Series:
        """Daily active returns :math:`a_t = r^f_t - r^b_t`."""
        return self.returns["active"]

    def __getitem__(self, key: str) -> float:
        return self.metrics[metrics.canonical(key)]

    def to_frame(self) -> pd.DataFrame:
        """Daily table: levels, returns, active return and rolling tracking error (NaN on the first date)."""
        lv = self.levels.add_suffix("_level")
        rt = self.returns.rename(columns={"fund": "fund_return", "benchmark": "benchmark_return"})
        out = lv.join(rt, how="left").join(self.rolling, how="left")
        out.index.name = "date"
        return out

    @property
    def benchmark(self) -> str:
        """What the fund is measured against (e.g. ``"HSIDI price index (CNY)"``)."""
        return self.labels[1]

    def summary(self) -> Summary:
        """Every metric of :data:`METRICS` as a :class:`~engine._display.Summary`; the tracking
        difference, tracking error and every other relative metric name the benchmark in ``against``;
        ``note`` holds the label and the definition (periods per year and window stated)."""
        a = self.active
        where = {
            "active_max": f"on {a.idxmax().date()}; " if len(a) else "",
            "active_min": f"on {a.idxmin().date()}; " if len(a) else "",
            "n_returns": f"{self.levels.index[0].date()} to {self.levels.index[-1].date()}; ",
        }
        rows = [
            metrics.row(
                key,
                self.metrics[key],
                against=self.benchmark,
                note=where.get(key, ""),
                conventions=self.conventions,
            )
            for key in metrics.TRACKING
        ]
        window = "sessions in the window of the rolling tracking error"
        rows.append(_row("rolling_window", self.window, "count", note=window))
        note = "HKEX sessions per year used to annualise (assumption)"
        if len(self.excluded):
            note += f"; {len(self.excluded)} date(s) excluded by alignment"
        rows.append(_row("periods_per_year", self.conventions.periods_per_year, "count", note=note))
        title = f"Tracking of {self.labels[0]} vs {self.benchmark}"
        return Summary(rows, title=title + self.tag)

    def td_by_year(self) -> pd.DataFrame:
        """Tracking difference by calendar year.

        For year :math:`y` the period runs from the last level of the previous year (or the first level
        of :math:`y` when there is none) to the last level of :math:`y`:
        :math:`TD_y = (L^f_{end}/L^f_{start} - 1) - (L^b_{end}/L^b_{start} - 1)`.
        """
        lv = self.levels
        years = lv.index.year
        rows = []
        for y in np.unique(years):
            in_year = np.flatnonzero(years == y)
            end = in_year[-1]
            start = in_year[0] - 1 if in_year[0] > 0 else in_year[0]
            rf = lv.iloc[end, 0] / lv.iloc[start, 0] - 1.0
            rb = lv.iloc[end, 1] / lv.iloc[start, 1] - 1.0
            rows.append(
                {
                    "year": int(y),
                    "start": lv.index[start],
                    "end": lv.index[end],
                    "sessions": int(end - start),
                    "fund_return": float(rf),
                    "benchmark_return": float(rb),
                    "td": float(rf - rb),
                }
            )
        return pd.DataFrame(rows).set_index("year")

    def plot(self, kind: str = "all", ax=None):
        """Draw ``"levels"`` (both rebased to 1), ``"active"`` (daily active returns, bp),
        ``"rolling"`` (rolling TE, STD and RMS, %) or ``"all"`` (three stacked panels).

        Returns the matplotlib ``Axes`` drawn on (for ``"all"`` the top, levels panel; the others
        are ``ax.figure.axes[1:]``). Draws into ``ax`` when given (``"all"`` then draws its main
        panel, the levels).
        """
        return super().plot(ax=ax, kind=kind)

    def __repr__(self) -> str:
        m = self.metrics
        return (
            f"TrackingResult({int(m['n_returns'])} returns {self.levels.index[0].date()}.."
            f"{self.levels.index[-1].date()}, TD={m['tracking_difference']:.4%}, TE_std={m['tracking_error_std']:.4%}, "
            f"TE_rms={m['tracking_error_rms']:.4%} vs {self.benchmark}{self.tag})"
        )


def tracking(
    fund: pd.Series,
    benchmark: pd.Series,
    *,
    window: int = DEFAULT_WINDOW,
    conventions: Conventions = DEFAULT,
    strict: bool = True,
    labels: tuple[str, str] = ("fund", "benchmark"),
    synthetic: bool = False,
    meta: dict | None = None,
) -> TrackingResult:
    """Tracking metrics of ``fund`` levels (e.g. NAV per unit, CNY) against ``benchmark`` levels.

    Parameters
    ----------
    fund, benchmark : Series
        Strictly positive levels indexed by date. Only relative moves matter (rebasing changes nothing).
    window : int
        Rolling tracking-error window in sessions.
    conventions : Conventions
        Periods per year and ddof (default: 246 HKEX sessions, ddof=1).
    strict : bool
        Require identical dates inside the common span (see :func:`align`).
    labels : (str, str)
        Names used in error messages and plots.
    synthetic : bool
        Mark the result (and every figure/report from it) as SYNTHETIC.
    meta : dict, optional
        Provenance recorded in the result (engine version is always added).
    """
    _check_window(window)
    lv, dropped = align(fund, benchmark, strict=strict, labels=labels)
    lv.columns = ["fund", "benchmark"]
    rf = simple_returns(lv["fund"], name="fund")
    rb = simple_returns(lv["benchmark"], name="benchmark")
    rets = pd.DataFrame({"fund": rf, "benchmark": rb})
    rets["active"] = rets["fund"] - rets["benchmark"]
    values = metrics.tracking_metrics(
        lv["fund"].to_numpy(), lv["benchmark"].to_numpy(), conventions
    )
    n = int(values["n_returns"])
    if n >= window:
        roll = pd.DataFrame(
            {
                "te_std": rolling_tracking_error(
                    rets["active"], window, method="std", conventions=conventions
                ),
                "te_rms": rolling_tracking_error(
                    rets["active"], window, method="rms", conventions=conventions
                ),
            }
        )
    else:
        roll = pd.DataFrame({"te_std": np.nan, "te_rms": np.nan}, index=rets.index)
    return TrackingResult(
        levels=lv,
        returns=rets,
        rolling=roll,
        metrics=values,
        window=int(window),
        conventions=conventions,
        labels=labels,
        excluded=dropped,
        synthetic=bool(synthetic),
        meta={"engine_version": __version__, **(meta or {})},
    )


# -------------------------------------------------------------------------------------- benchmarks
CURRENCIES = ("CNY", "HKD")


def _check_choice(value, allowed: tuple[str, ...], field: str) -> None:
    """Raise :class:`DataError` when ``value`` is not one of ``allowed`` (``field``: variant, currency)."""
    if value not in allowed:
        what = f"unknown benchmark {field}"
        raise DataError(what, field=field, value=value, fix=f"use one of {allowed}")


def convert_to_cny(levels_hkd: pd.Series, fx, *, source: str = "benchmark") -> pd.Series:
    """Deprecated name of :func:`engine.data.fx.to_cny` (kept for one release)."""
    return to_cny(levels_hkd, fx, source=source)


def benchmark_series(
    index_result, fx=None, variant: str = "price", currency: str = "CNY"
) -> pd.Series:
    """The benchmark level: index ``variant`` converted at the valuation fixing.

    :math:`B_t = I_t \\, fx_t / fx_0` (CNY) or :math:`I_t` (HKD). The ETF's official benchmark is most
    plausibly the **price-return** index adjusted by the valuation FX rate (assumption by analogy with
    peer ETF 159567 [S48]); ``variant="net"`` gives the net total-return alternative.

    Parameters
    ----------
    index_result : IndexResult
    fx : Series or MarketData
        CNY per HKD by date (required for ``currency="CNY"``).
    variant : {"price", "gross", "net"}
    currency : {"CNY", "HKD"}
    """
    _check_choice(variant, VARIANTS, "variant")
    _check_choice(currency, CURRENCIES, "currency")
    levels = index_result.levels[variant].astype(float)
    name = f"{getattr(index_result, 'name', 'index')}_{variant}_{currency.lower()}"
    if currency == "HKD":
        return levels.rename(name)
    if fx is None:
        what = "a CNY benchmark needs the HKD->CNY fixing"
        raise DataError(what, field="fx", fix="pass fx=market.fx")
    return to_cny(levels, fx, source=name).rename(name)


def fund_tracking(
    fund_result,
    index_result,
    *,
    fx=None,
    variant: str | None = None,
    window: int = DEFAULT_WINDOW,
    conventions: Conventions = DEFAULT,
) -> TrackingResult:
    """Tracking of a ``FundResult``'s NAV per unit (CNY) against ``benchmark_series(index_result, ...)``.

    ``variant`` defaults to the fund's ``config.benchmark`` (:attr:`engine.fund.EtfConfig.benchmark`),
    so this, ``FundResult.summary()``, the attribution waterfall and the report give one number.

    The benchmark is cut to the fund's valuation dates first (the index usually starts earlier).
    ``fx`` defaults to the fund's own valuation fixing (``fund_result.nav["fx"]``); pass ``market.fx``
    when the fund ran with FX switched off but the benchmark should still use real fixings.
    """
    nav = fund_result.nav
    if "nav_per_unit_cny" not in nav.columns:
        what = "fund NAV frame has no nav_per_unit_cny column"
        raise DataError(what, source="fund_result.nav", field="nav_per_unit_cny")
    nav_pu = nav["nav_per_unit_cny"].astype(float)
    variant = fund_benchmark(fund_result, variant)
    levels = index_result.levels[variant]
    missing = nav_pu.index.difference(levels.index)
    if len(missing):
        what = f"{len(missing)} fund valuation date(s) have no index level"
        fix = "run the fund on the same market and index result"
        raise DataError(what, source="fund_result.nav", date=missing[0], fix=fix)
    bench = to_cny(
        levels.reindex(nav_pu.index).astype(float),
        fx if fx is not None else nav,
        source="benchmark",
    )
    synthetic = bool(
        getattr(fund_result, "synthetic", False) or getattr(index_result, "synthetic", False)
    )
    return tracking(
        nav_pu,
        bench,
        window=window,
        conventions=conventions,
        labels=(
            "fund NAV per unit (CNY)",
            benchmark_label(getattr(index_result, "name", "index"), variant),
        ),
        synthetic=synthetic,
        meta={
            **provenance(index_result),
            "benchmark": f"{variant} index * fx_t / fx_0 (CNY)",
            "benchmark_variant": variant,
        },
    )


__all__ = [
    "DEFAULT_WINDOW",
    "FUND_ONLY",
    "METRICS",
    "TrackingResult",
    "align",
    "benchmark_label",
    "benchmark_series",
    "convert_to_cny",
    "fund_benchmark",
    "fund_tracking",
    "metrics_from_returns",
    "provenance",
    "rolling_tracking_error",
    "tracking",
]
