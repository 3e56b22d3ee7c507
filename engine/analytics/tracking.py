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

from engine._display import Summary
from engine.analytics import _nb
from engine.conventions import (
    DEFAULT,
    Conventions,
    annualise_mean,
    annualise_return,
    annualise_vol,
    check_levels,
    compound,
    sample_std,
    simple_returns,
    total_return,
)
from engine.errors import DataError, describe

FUND_ONLY = frozenset({"n_returns", "years", "fund_return", "fund_return_ann", "fund_vol"})
"""Metrics of :data:`METRICS` that do not depend on the benchmark (no ``against``)."""

DEFAULT_WINDOW = 60
"""Default rolling window in sessions (about one quarter of HKEX sessions)."""

METRICS: dict[str, tuple[str, str, str]] = {
    # key: (label, unit of engine._display.UNITS, definition); annualised figures are per year
    "n_returns": ("Daily returns", "count", "n = number of aligned daily returns"),
    "years": ("Length in years", "ratio", "n / p, p = periods per year"),
    "fund_return": ("Fund return", "%", "R_f = L_f(end) / L_f(start) - 1"),
    "benchmark_return": ("Benchmark return", "%", "R_b = L_b(end) / L_b(start) - 1"),
    "td_period": ("Tracking difference (period)", "%", "TD = R_f - R_b"),
    "fund_return_ann": ("Fund return (annualised)", "%", "(1 + R_f)^(p/n) - 1"),
    "benchmark_return_ann": (
        "Benchmark return (annualised)",
        "%",
        "(1 + R_b)^(p/n) - 1",
    ),
    "td_ann": (
        "Tracking difference (annualised)",
        "%",
        "(1 + R_f)^(p/n) - (1 + R_b)^(p/n)",
    ),
    "active_mean_ann": (
        "Mean active return (annualised)",
        "%",
        "p * mean(a), a = r_f - r_b daily",
    ),
    "te_std": (
        "Tracking error, STD (annualised)",
        "%",
        "sqrt(p) * std(a, ddof=1): dispersion of active returns around their mean",
    ),
    "te_rms": (
        "Tracking error, RMS (annualised)",
        "%",
        "sqrt(p) * sqrt(mean(a^2)): uncentred, includes the systematic drift",
    ),
    "information_ratio": (
        "Information ratio",
        "ratio",
        "p * mean(a) / TE_STD; NaN when TE_STD = 0",
    ),
    "fund_vol": ("Fund volatility (annualised)", "%", "sqrt(p) * std(r_f, ddof=1)"),
    "benchmark_vol": (
        "Benchmark volatility (annualised)",
        "%",
        "sqrt(p) * std(r_b, ddof=1)",
    ),
    "beta": ("Beta", "ratio", "cov(r_f, r_b) / var(r_b); NaN when var(r_b) = 0"),
    "correlation": ("Correlation", "ratio", "corr(r_f, r_b); NaN when either variance is 0"),
    "active_max": ("Largest daily active return", "%", "max_t a_t"),
    "active_min": ("Smallest daily active return", "%", "min_t a_t"),
}


# ---------------------------------------------------------------------------------------------- core
def metrics_from_returns(
    r_fund: np.ndarray,
    r_bench: np.ndarray,
    conventions: Conventions = DEFAULT,
) -> dict[str, float]:
    """Every metric of :data:`METRICS` from two aligned daily return arrays (no NaN).

    Period returns are compounded from the daily returns (identical to the level ratio).
    """
    rf = np.asarray(r_fund, dtype=float)
    rb = np.asarray(r_bench, dtype=float)
    if rf.shape != rb.shape or rf.ndim != 1:
        raise DataError(
            describe("return arrays must be 1-D and of equal length", value=(rf.shape, rb.shape))
        )
    p, ddof = conventions.periods_per_year, conventions.ddof
    n = rf.size
    a = rf - rb
    out: dict[str, float] = {"n_returns": float(n), "years": n / p}
    R_f = compound(rf)
    R_b = compound(rb)
    out["fund_return"] = R_f
    out["benchmark_return"] = R_b
    out["td_period"] = R_f - R_b
    out["fund_return_ann"] = annualise_return(R_f, n, p)
    out["benchmark_return_ann"] = annualise_return(R_b, n, p)
    out["td_ann"] = out["fund_return_ann"] - out["benchmark_return_ann"]
    mean_a = float(a.mean()) if n else float("nan")
    out["active_mean_ann"] = annualise_mean(mean_a, p)
    te_std = annualise_vol(sample_std(a, ddof), p)
    out["te_std"] = te_std
    out["te_rms"] = annualise_vol(float(np.sqrt(np.mean(a * a))), p) if n else float("nan")
    out["information_ratio"] = out["active_mean_ann"] / te_std if te_std > 0 else float("nan")
    out["fund_vol"] = annualise_vol(sample_std(rf, ddof), p)
    out["benchmark_vol"] = annualise_vol(sample_std(rb, ddof), p)
    if n > ddof:
        cf = rf - rf.mean()
        cb = rb - rb.mean()
        var_b = float(cb @ cb)
        var_f = float(cf @ cf)
        cov = float(cf @ cb)
        out["beta"] = cov / var_b if var_b > 0 else float("nan")
        out["correlation"] = (
            cov / np.sqrt(var_f * var_b) if var_b > 0 and var_f > 0 else float("nan")
        )
    else:
        out["beta"] = out["correlation"] = float("nan")
    out["active_max"] = float(a.max()) if n else float("nan")
    out["active_min"] = float(a.min()) if n else float("nan")
    return out


def rolling_tracking_error(
    active: pd.Series | pd.DataFrame,
    window: int = DEFAULT_WINDOW,
    *,
    method: str = "std",
    conventions: Conventions = DEFAULT,
) -> pd.Series | pd.DataFrame:
    """Annualised rolling tracking error of daily active returns over ``window`` sessions.

    ``method="std"``: :math:`\\sqrt{p}\\, \\mathrm{std}(a_{t-w+1..t}, ddof)`;
    ``method="rms"``: :math:`\\sqrt{p}\\, \\sqrt{\\mathrm{mean}(a_{t-w+1..t}^2)}`.
    The first ``window - 1`` values (and any window containing NaN) are NaN.
    """
    if not isinstance(window, int | np.integer) or window < 2:
        raise DataError(
            describe(
                "rolling window must be an integer of at least 2 sessions",
                field="window",
                value=window,
            )
        )
    if method not in ("std", "rms"):
        raise DataError(
            describe(
                "unknown tracking-error method",
                field="method",
                value=method,
                fix="use 'std' or 'rms'",
            )
        )
    frame = active.to_frame() if isinstance(active, pd.Series) else active
    x = np.ascontiguousarray(frame.to_numpy(dtype=float))
    if x.ndim == 1:
        x = x[:, None]
    if method == "std":
        raw = _nb.rolling_std(x, int(window), int(conventions.ddof))
    else:
        raw = _nb.rolling_rms(x, int(window))
    raw = raw * np.sqrt(conventions.periods_per_year)
    if isinstance(active, pd.Series):
        return pd.Series(raw[:, 0], index=active.index, name=f"te_{method}_{window}")
    return pd.DataFrame(raw, index=frame.index, columns=frame.columns)


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
        raise DataError(
            describe(
                "cannot align an empty series", source=labels[0] if len(fund) == 0 else labels[1]
            )
        )
    lo = max(fund.index[0], benchmark.index[0])
    hi = min(fund.index[-1], benchmark.index[-1])
    span_f = fund.index[(fund.index >= lo) & (fund.index <= hi)]
    span_b = benchmark.index[(benchmark.index >= lo) & (benchmark.index <= hi)]
    common = span_f.intersection(span_b)
    if len(common) < 2:
        raise DataError(
            describe(
                "the series share fewer than two dates",
                source=f"{labels[0]} {_span(fund)} vs {labels[1]} {_span(benchmark)}",
                value=len(common),
                fix="use a benchmark covering the fund's life (e.g. cut the index at the fund's inception)",
            )
        )
    only_f = span_f.difference(span_b)
    only_b = span_b.difference(span_f)
    dropped = only_f.union(only_b)
    if strict and len(dropped):
        first = [d.strftime("%Y-%m-%d") for d in dropped[:5]]
        raise DataError(
            describe(
                f"{len(only_f)} date(s) of {labels[0]} missing from {labels[1]} and "
                f"{len(only_b)} the other way, inside the common span",
                date=dropped[0],
                value=", ".join(first) + (" ..." if len(dropped) > 5 else ""),
                fix="fill the missing dates, or pass strict=False to use common dates only "
                "(the dropped dates are kept in the result's `excluded`)",
            )
        )
    frame = pd.DataFrame(
        {
            labels[0]: fund.reindex(common).to_numpy(dtype=float),
            labels[1]: benchmark.reindex(common).to_numpy(dtype=float),
        },
        index=pd.DatetimeIndex(common, name="date"),
    )
    return frame, pd.DatetimeIndex(dropped, name="date")


def _engine_version() -> str:
    import engine

    return getattr(engine, "__version__", "")


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
class TrackingResult:
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
        return self.metrics[key]

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
            {
                "metric": key,
                "value": self.metrics[key],
                "unit": unit,
                "against": "" if key in FUND_ONLY else self.benchmark,
                "note": f"{where.get(key, '')}{label}: {definition}",
            }
            for key, (label, unit, definition) in METRICS.items()
        ]
        rows.append(
            {
                "metric": "rolling_window",
                "value": self.window,
                "unit": "count",
                "note": "sessions in the window of the rolling tracking error",
            }
        )
        excluded = (
            f"; {len(self.excluded)} date(s) excluded by alignment" if len(self.excluded) else ""
        )
        rows.append(
            {
                "metric": "periods_per_year",
                "value": self.conventions.periods_per_year,
                "unit": "count",
                "note": "HKEX sessions per year used to annualise (assumption)" + excluded,
            }
        )
        title = f"Tracking of {self.labels[0]} vs {self.benchmark}"
        return Summary(rows, title=title + (" [SYNTHETIC]" if self.synthetic else ""))

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
        from engine import plotting
        from engine._display import plot_axes

        return plot_axes(plotting.tracking_axes, self, ax=ax, kind=kind)

    def __repr__(self) -> str:
        m = self.metrics
        tag = " SYNTHETIC" if self.synthetic else ""
        return (
            f"TrackingResult({int(m['n_returns'])} returns {self.levels.index[0].date()}.."
            f"{self.levels.index[-1].date()}, TD={m['td_period']:.4%}, TE_std={m['te_std']:.4%}, "
            f"TE_rms={m['te_rms']:.4%} vs {self.benchmark}{tag})"
        )

    def _repr_html_(self) -> str:
        from engine._display import result_html

        return result_html(self)


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
    if not isinstance(window, int | np.integer) or isinstance(window, bool) or window < 2:
        raise DataError(
            describe(
                "rolling window must be an integer of at least 2 sessions",
                field="window",
                value=window,
                fix=f"use e.g. {DEFAULT_WINDOW} (about a quarter) or 246 (a year)",
            )
        )
    lv, dropped = align(fund, benchmark, strict=strict, labels=labels)
    lv.columns = ["fund", "benchmark"]
    rf = simple_returns(lv["fund"], name="fund")
    rb = simple_returns(lv["benchmark"], name="benchmark")
    rets = pd.DataFrame({"fund": rf, "benchmark": rb})
    rets["active"] = rets["fund"] - rets["benchmark"]
    metrics = metrics_from_returns(rf.to_numpy(), rb.to_numpy(), conventions)
    # the period return from levels is the exact figure; compounding agrees to rounding
    metrics["fund_return"] = total_return(lv["fund"])
    metrics["benchmark_return"] = total_return(lv["benchmark"])
    metrics["td_period"] = metrics["fund_return"] - metrics["benchmark_return"]
    n = int(metrics["n_returns"])
    p = conventions.periods_per_year
    metrics["fund_return_ann"] = annualise_return(metrics["fund_return"], n, p)
    metrics["benchmark_return_ann"] = annualise_return(metrics["benchmark_return"], n, p)
    metrics["td_ann"] = metrics["fund_return_ann"] - metrics["benchmark_return_ann"]
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
        metrics=metrics,
        window=int(window),
        conventions=conventions,
        labels=labels,
        excluded=dropped,
        synthetic=bool(synthetic),
        meta={"engine_version": _engine_version(), **(meta or {})},
    )


# -------------------------------------------------------------------------------------- benchmarks
VARIANTS = ("price", "gross", "net")
CURRENCIES = ("CNY", "HKD")
_VARIANT_NAMES = {
    "price": "price index",
    "gross": "gross total-return index",
    "net": "net total-return index",
}


def benchmark_label(index_name: str, variant: str, currency: str = "CNY") -> str:
    """The one name of a benchmark used in every summary, table header and legend, e.g.
    ``benchmark_label("hsidi", "price") == "HSIDI price index (CNY)"``."""
    _check_choice(variant, VARIANTS, "variant")
    return f"{str(index_name or 'index').upper()} {_VARIANT_NAMES[variant]} ({currency})"


def fund_benchmark(fund_result, variant: str | None = None) -> str:
    """The benchmark variant of a fund run: ``variant`` when given, else its ``config.benchmark``
    (``"price"`` when the config has none)."""
    if variant is None:
        variant = getattr(getattr(fund_result, "config", None), "benchmark", "price")
    _check_choice(variant, VARIANTS, "variant")
    return variant


def _check_choice(value, allowed: tuple[str, ...], field: str) -> None:
    """Raise :class:`DataError` when ``value`` is not one of ``allowed`` (``field``: variant, currency)."""
    if value not in allowed:
        raise DataError(
            describe(
                f"unknown benchmark {field}",
                field=field,
                value=value,
                fix=f"use one of {allowed}",
            )
        )


def _fx_series(fx) -> pd.Series:
    """Accept a Series of CNY per HKD, a MarketData (its ``.fx``) or a FundResult nav frame's ``fx``."""
    if hasattr(fx, "fx") and isinstance(fx.fx, pd.Series):
        return fx.fx
    if isinstance(fx, pd.DataFrame) and "fx" in fx.columns:
        return fx["fx"]
    if isinstance(fx, pd.Series):
        return fx
    raise DataError(
        describe(
            "fx must be a Series of CNY per HKD indexed by date (or a MarketData)",
            field="fx",
            value=type(fx).__name__,
            fix="pass market.fx",
        )
    )


def convert_to_cny(levels_hkd: pd.Series, fx, *, source: str = "benchmark") -> pd.Series:
    """Convert an HKD level series at the valuation fixing: :math:`L^{CNY}_t = L_t \\, fx_t / fx_0`,
    :math:`fx` in CNY per HKD, :math:`0` = the first date of ``levels_hkd``.

    Raises :class:`DataError` naming the first date without a (positive, finite) fixing.
    """
    fx_s = _fx_series(fx)
    rate = fx_s.reindex(levels_hkd.index).to_numpy(dtype=float)
    bad = ~np.isfinite(rate) | (rate <= 0)
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise DataError(
            describe(
                f"{int(bad.sum())} date(s) have no valid HKD->CNY fixing",
                source=source,
                date=levels_hkd.index[pos],
                field="fx",
                value=float(rate[pos]),
                fix="supply a fixing (CNY per HKD) for every index date",
            )
        )
    return pd.Series(levels_hkd.to_numpy(dtype=float) * rate / rate[0], index=levels_hkd.index)


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
        raise DataError(
            describe(
                "a CNY benchmark needs the HKD->CNY fixing", field="fx", fix="pass fx=market.fx"
            )
        )
    return convert_to_cny(levels, fx, source=name).rename(name)


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
        raise DataError(
            describe(
                "fund NAV frame has no nav_per_unit_cny column",
                source="fund_result.nav",
                field="nav_per_unit_cny",
            )
        )
    nav_pu = nav["nav_per_unit_cny"].astype(float)
    variant = fund_benchmark(fund_result, variant)
    levels = index_result.levels[variant]
    missing = nav_pu.index.difference(levels.index)
    if len(missing):
        raise DataError(
            describe(
                f"{len(missing)} fund valuation date(s) have no index level",
                source="fund_result.nav",
                date=missing[0],
                fix="run the fund on the same market and index result",
            )
        )
    bench = convert_to_cny(
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
