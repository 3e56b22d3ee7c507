"""Every metric once: returns, risk, tracking and turnover, with one registry of names and units.

Each metric is a pure function on NumPy arrays whose arithmetic runs in :mod:`engine.metrics_nb`,
in three shapes: a 1-D form for one result, a 2-D form over the columns of a time-major
``[t, k]`` array (variants of a sweep) and a rolling form.  Summaries, the sweep, the observed
comparison, the version comparison and the reports read these functions and :data:`REGISTRY`; they
compute nothing themselves.  Conventions (periods per year :math:`p`, ``ddof``) come from a
:class:`~engine.conventions.Conventions`.

Notation: levels :math:`L_t` on :math:`n + 1` dates, simple returns :math:`r_t = L_t/L_{t-1} - 1`,
fund :math:`f` against benchmark :math:`b`, active return :math:`a_t = r^f_t - r^b_t`.

===========================  ==========================================================================
``total_return``             :math:`R = L_n / L_0 - 1`
``annualised_return``        :math:`(1 + R)^{p/n} - 1`
``volatility``               :math:`\\sqrt p \\, \\mathrm{std}(r, ddof)`
``max_drawdown``             :math:`\\min_t L_t / \\max_{u \\le t} L_u - 1`
``tracking_difference``      :math:`TD = R^f - R^b` (period, arithmetic)
``tracking_difference_ann``  :math:`(1 + R^f)^{p/n} - (1 + R^b)^{p/n}`
``tracking_error_std``       :math:`\\sqrt p \\, \\mathrm{std}(a, ddof)`
``tracking_error_rms``       :math:`\\sqrt p \\, \\sqrt{\\overline{a^2}}` (uncentred: holds the drift)
``information_ratio``        :math:`p \\bar a / TE_{STD}`; NaN when :math:`TE_{STD} = 0`
``beta``                     :math:`\\mathrm{cov}(r^f, r^b) / \\mathrm{var}(r^b)`
``correlation``              :math:`\\mathrm{corr}(r^f, r^b)`
``turnover_drifted``         :math:`\\tfrac12 \\sum_i |w^{target}_i - w^{drifted}_i|` at a review
``turnover_target``          :math:`\\tfrac12 \\sum_i |w^{target}_{k,i} - w^{target}_{k-1,i}|`
===========================  ==========================================================================

The two one-way turnovers differ on purpose: ``turnover_drifted`` is what a tracker trades (from the
weights the old basket drifted to on the cap date to the new targets); ``turnover_target`` compares
two reviews' target weights and ignores the drift between them.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from engine import metrics_nb as nb
from engine.conventions import DEFAULT, Conventions
from engine.errors import DataError


# ------------------------------------------------------------------------------------------ registry
@dataclass(frozen=True)
class Metric:
    """A metric's canonical name, the label a reader sees, its unit (:data:`engine._display.UNITS`),
    its definition and whether it is measured against a benchmark (``relative``)."""

    name: str
    label: str
    unit: str
    definition: str
    relative: bool = False


def _registry(*rows: tuple) -> dict[str, Metric]:
    return {r[0]: Metric(*r) for r in rows}


REGISTRY: dict[str, Metric] = _registry(
    ("n_returns", "Daily returns", "count", "n = number of aligned daily returns"),
    ("years", "Length in years", "ratio", "n / p, p = periods per year"),
    ("fund_return", "Fund return", "%", "R_f = L_f(end) / L_f(start) - 1"),
    ("benchmark_return", "Benchmark return", "%", "R_b = L_b(end) / L_b(start) - 1", True),
    ("tracking_difference", "Tracking difference (period)", "%", "TD = R_f - R_b", True),
    ("fund_return_ann", "Fund return (annualised)", "%", "(1 + R_f)^(p/n) - 1"),
    ("benchmark_return_ann", "Benchmark return (annualised)", "%", "(1 + R_b)^(p/n) - 1", True),
    (
        "tracking_difference_ann",
        "Tracking difference (annualised)",
        "%",
        "(1 + R_f)^(p/n) - (1 + R_b)^(p/n)",
        True,
    ),
    (
        "active_mean_ann",
        "Mean active return (annualised)",
        "%",
        "p * mean(a), a = r_f - r_b daily",
        True,
    ),
    (
        "tracking_error_std",
        "Tracking error, STD (annualised)",
        "%",
        "sqrt(p) * std(a, ddof): dispersion of active returns around their mean",
        True,
    ),
    (
        "tracking_error_rms",
        "Tracking error, RMS (annualised)",
        "%",
        "sqrt(p) * sqrt(mean(a^2)): uncentred, includes the systematic drift",
        True,
    ),
    (
        "information_ratio",
        "Information ratio",
        "ratio",
        "p * mean(a) / TE_STD; NaN when TE_STD = 0",
        True,
    ),
    ("fund_vol", "Fund volatility (annualised)", "%", "sqrt(p) * std(r_f, ddof)"),
    ("benchmark_vol", "Benchmark volatility (annualised)", "%", "sqrt(p) * std(r_b, ddof)", True),
    ("beta", "Beta", "ratio", "cov(r_f, r_b) / var(r_b); NaN when var(r_b) = 0", True),
    ("correlation", "Correlation", "ratio", "corr(r_f, r_b); NaN when either variance is 0", True),
    ("active_max", "Largest daily active return", "%", "max_t a_t", True),
    ("active_min", "Smallest daily active return", "%", "min_t a_t", True),
    ("total_return", "Total return", "%", "R = L(end) / L(start) - 1"),
    ("annualised_return", "Annualised return", "%", "(1 + R)^(p/n) - 1"),
    ("volatility", "Volatility (annualised)", "%", "sqrt(p) * std(r, ddof)"),
    ("max_drawdown", "Maximum drawdown", "%", "min_t L_t / max_{u<=t} L_u - 1 (a fraction <= 0)"),
    (
        "turnover_drifted",
        "One-way turnover, drifted to target",
        "%",
        "1/2 sum_i |w_target - w_drifted| on the review's cap-date close, mean per review after the first",
    ),
    (
        "period_difference",
        "Period difference",
        "%",
        "R_a - R_b: the subject's period return minus the benchmark's (arithmetic)",
        True,
    ),
    (
        "linked_contribution",
        "Linked contribution",
        "%",
        "sum_t beta_t c_t: a row's daily contributions to the active return, linked (Carino or "
        "Menchero coefficients beta_t) so that the rows add up to R_a - R_b; arithmetic",
        True,
    ),
    (
        "contribution_residual",
        "Residual of the contributions",
        "%",
        "R_a - R_b - fsum(linked contributions): floating-point rounding only",
        True,
    ),
    (
        "turnover_fund",
        "Fund one-way turnover (annualised)",
        "%",
        "min(sum of buys, sum of sells) / mean NAV (HKD, the fund's trades over its valuation "
        "sessions) * p / n",
    ),
    (
        "turnover_target",
        "One-way turnover, target to target",
        "%",
        "1/2 sum_i |w_target(k) - w_target(k-1)| between successive reviews' target weights, "
        "mean per review after the first",
    ),
    # ex-ante risk and concentration (engine.analytics.exante, engine.analytics.concentration)
    (
        "ex_ante_te",
        "Ex-ante tracking error (annualised)",
        "%",
        "sqrt(p a'Sa): a = fund NAV weights - index weights, S = daily covariance of the "
        "constituents' returns",
        True,
    ),
    ("active_share", "Active share", "%", "1/2 sum_i |a_i| over codes (cash left out)", True),
    ("top1", "Largest weight", "%", "max_i w_i"),
    ("top5", "Five largest weights", "%", "sum of the five largest w_i"),
    ("top10", "Ten largest weights", "%", "sum of the ten largest w_i"),
    ("hhi", "Herfindahl index", "ratio", "HHI = sum_i w_i^2"),
    ("effective_n", "Effective number of names", "ratio", "1 / HHI"),
    # regulatory presets (engine.analytics.regulatory) and rebalance capacity (.capacity)
    (
        "mean_abs_daily_deviation",
        "Mean absolute daily tracking deviation",
        "bp",
        "mean_t |r_f - r_b| of daily returns, not annualised",
        True,
    ),
    (
        "mean_abs_monthly_deviation",
        "Mean absolute monthly tracking deviation",
        "bp",
        "mean_t |r_f - r_b| of month-end returns, not annualised",
        True,
    ),
    (
        "max_days_to_trade",
        "Largest days to trade at a review",
        "ratio",
        "max over reviews and codes of value / (participation * ADV), in days",
    ),
    (
        "names_over_one_day",
        "Names over one day to trade",
        "count",
        "review x code rows with value / (participation * ADV) > 1",
    ),
    (
        "names_without_adv",
        "Names without traded value",
        "count",
        "review x code rows with no traded value in the ADV window (days inf, impact n/a)",
    ),
    ("largest_review_value_hkd", "Value to trade at the largest review", "HKD", "sum_i A |dw_i|"),
    (
        "largest_review_impact_cost_hkd",
        "Impact cost at the largest review",
        "HKD",
        "sum_i V_i * k sigma_i sqrt(V_i / ADV_i) (square-root model)",
    ),
    (
        "largest_review_impact",
        "Impact at the largest review (value-weighted)",
        "bp",
        "impact cost / value traded, names with an ADV",
    ),
    (
        "te_ex_ante_policy",
        "Ex-ante tracking error of a replication policy (mean over reviews)",
        "%",
        "sqrt(p (w - b)' S (w - b)) at the inception and each review close, w the policy's weights, "
        "b the index weights, S the covariance of daily returns (cash excluded); mean over those closes",
        True,
    ),
    (
        "trading_costs_cny",
        "Trading costs borne by the fund",
        "CNY",
        "sum over the run of stamp duty, levies, trading fee, brokerage and impact, each day at its fixing",
    ),
)
"""Canonical name -> :class:`Metric`.  Every summary row of a metric takes its label, unit and
definition from here."""

TRACKING = (
    "n_returns",
    "years",
    "fund_return",
    "benchmark_return",
    "tracking_difference",
    "fund_return_ann",
    "benchmark_return_ann",
    "tracking_difference_ann",
    "active_mean_ann",
    "tracking_error_std",
    "tracking_error_rms",
    "information_ratio",
    "fund_vol",
    "benchmark_vol",
    "beta",
    "correlation",
    "active_max",
    "active_min",
)
"""The metrics of :func:`tracking_metrics`, in display order."""

ALIASES: dict[str, str] = {
    "td_period": "tracking_difference",
    "td_ann": "tracking_difference_ann",
    "te_std": "tracking_error_std",
    "te_rms": "tracking_error_rms",
    "tracking_error": "tracking_error_std",
    "tracking_difference_cny": "tracking_difference",
    "turnover": "turnover_drifted",
    "mean_one_way_turnover": "turnover_target",
    "td": "tracking_difference",
    "te": "tracking_error_std",
}
"""Names used before release 0.2 -> canonical name (deprecated, kept for one release)."""


def canonical(name: str) -> str:
    """The canonical name of ``name``, warning (``DeprecationWarning``) when it is an old alias."""
    if name in ALIASES and name not in REGISTRY:
        warnings.warn(
            f"metric name {name!r} is deprecated; use {ALIASES[name]!r}",
            DeprecationWarning,
            stacklevel=3,
        )
        return ALIASES[name]
    return name


class MetricValues(dict):
    """A dict of metric values that still answers the deprecated names of :data:`ALIASES`."""

    def __missing__(self, key):
        new = canonical(key)
        if new != key and new in self:
            return self[new]
        raise KeyError(key)


def row(
    name: str,
    value,
    *,
    against: str = "",
    note: str = "",
    unit: str | None = None,
    conventions: Conventions = DEFAULT,
) -> dict:
    """A :class:`~engine._display.Summary` row of the registered metric ``name``: its unit, the
    benchmark when it is relative, and ``note`` followed by the label and the definition (with the
    ``ddof`` of ``conventions`` written in)."""
    m = REGISTRY[name]
    text = f"{note}{m.label}: {m.definition.replace('ddof)', f'ddof={conventions.ddof})')}"
    return {
        "metric": name,
        "value": value,
        "unit": unit or m.unit,
        "against": against if m.relative else "",
        "note": text,
    }


# ------------------------------------------------------------------------------------------- inputs
def _as_float(x, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if a.ndim not in (1, 2):
        raise DataError("expected a 1-D or 2-D array", field=name, value=a.shape)
    return a


def _columns(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a if a.ndim == 2 else a[:, None])


def _rows(a: np.ndarray) -> np.ndarray:
    """Variant-major ``[k, t]`` C-contiguous rows of ``a`` ``[t]`` or ``[t, k]``: no copy when ``a``
    is the transposed view of variant-major levels (the batch's layout)."""
    return np.ascontiguousarray(a.T if a.ndim == 2 else a[None, :])


def _shaped(a: np.ndarray, out: np.ndarray):
    return float(out[0]) if a.ndim == 1 else out


# ---------------------------------------------------------------------------------------- the forms
def returns(levels) -> np.ndarray:
    """Simple returns :math:`r_t = L_t / L_{t-1} - 1` of levels ``[t]`` or ``[t, k]``."""
    L = _as_float(levels, "levels")
    return L[1:] / L[:-1] - 1.0


def total_return(levels):
    """:math:`R = L_n / L_0 - 1` of levels ``[t]`` (a float) or each column of ``[t, k]``."""
    L = _as_float(levels, "levels")
    return _shaped(L, _columns(L)[-1] / _columns(L)[0] - 1.0)


def annualised_return(total, n_periods: int, conventions: Conventions = DEFAULT):
    """Geometric annualisation :math:`(1 + R)^{p/n} - 1`; NaN when :math:`n = 0` or
    :math:`R \\le -1` (per element for an array)."""
    R = np.asarray(total, dtype=float)
    p = conventions.periods_per_year
    with np.errstate(over="ignore", invalid="ignore"):
        ok = np.isfinite(R) & (R > -1.0) & (n_periods > 0)
        out = np.where(ok, np.power(1.0 + R, p / max(n_periods, 1)) - 1.0, np.nan)
    return float(out) if out.ndim == 0 else out


def std(x, conventions: Conventions = DEFAULT):
    """Sample standard deviation (``conventions.ddof``) of ``x`` ``[t]`` or of each column."""
    a = _as_float(x, "x")
    return _shaped(a, nb.stat_2d(_columns(a), nb.STAT_STD, conventions.ddof))


def volatility(r, conventions: Conventions = DEFAULT):
    """Annualised volatility :math:`\\sqrt p \\, \\mathrm{std}(r, ddof)` of returns ``[t]`` or ``[t, k]``."""
    return std(r, conventions) * np.sqrt(conventions.periods_per_year)


def tracking_error(active, conventions: Conventions = DEFAULT, method: str = "std"):
    """Annualised tracking error of active returns ``[t]`` (a float) or each column of ``[t, k]``.

    ``method="std"``: :math:`\\sqrt p \\, \\mathrm{std}(a, ddof)`; ``"rms"``:
    :math:`\\sqrt p \\, \\sqrt{\\overline{a^2}}`.
    """
    a = _as_float(active, "active")
    stat = _stat_code(method)
    return _shaped(a, nb.stat_2d(_columns(a), stat, conventions.ddof)) * np.sqrt(
        conventions.periods_per_year
    )


def max_drawdown(levels):
    """:math:`\\min_t L_t / \\max_{u \\le t} L_u - 1` of levels ``[t]`` or each column."""
    L = _as_float(levels, "levels")
    _, _, mdd = nb.level_stats_2d(_rows(L), 0)
    return _shaped(L, mdd)


def level_stats(levels, conventions: Conventions = DEFAULT):
    """``(total_return, std of returns, max_drawdown)`` of each column of ``levels`` ``[t, k]`` in one
    compiled pass (the sweep's reducer)."""
    L = _as_float(levels, "levels")
    return nb.level_stats_2d(_rows(L), conventions.ddof)


def rolling(x, window: int, stat: str = "std", conventions: Conventions = DEFAULT) -> np.ndarray:
    """``stat`` (``"mean"``, ``"std"``, ``"rms"``; not annualised) over each window of ``window``
    rows of ``x`` ``[t]`` or ``[t, k]``; the first ``window - 1`` rows and any window holding a NaN
    are NaN."""
    a = _as_float(x, "x")
    code = {"mean": nb.STAT_MEAN, "std": nb.STAT_STD, "rms": nb.STAT_RMS}.get(stat)
    if code is None:
        raise DataError(
            "unknown rolling statistic",
            field="stat",
            value=stat,
            fix="use 'mean', 'std' or 'rms'",
        )
    out = nb.rolling_2d(_columns(a), int(window), code, conventions.ddof)
    return out[:, 0] if a.ndim == 1 else out


def rolling_tracking_error(
    active, window: int, method: str = "std", conventions: Conventions = DEFAULT
):
    """Annualised :func:`tracking_error` over each window of ``window`` rows (see :func:`rolling`)."""
    _stat_code(method)
    return rolling(active, window, method, conventions) * np.sqrt(conventions.periods_per_year)


def information_ratio(active, conventions: Conventions = DEFAULT) -> float:
    """:math:`p \\bar a / TE_{STD}`; NaN when the tracking error is zero or undefined."""
    a = _as_float(active, "active")
    te = tracking_error(a, conventions)
    mean = nb.mean_1d(np.ascontiguousarray(a)) * conventions.periods_per_year
    return float(mean / te) if te > 0 else float("nan")


CONSTANT_RTOL = 1e-12
"""A return series whose centred sum of squares is at most :math:`n (10^{-12} \\max_i |r_i|)^2`
moves by less than rounding: its variance counts as 0 (beta and correlation are then NaN, not the
correlation of rounding noise).  Assumption (a numerical choice, no source): 1e-12 is thousands of
times the rounding of the few operations that turn levels into returns, and far below the spread
of any real return series."""


def beta_correlation(r_fund, r_bench, conventions: Conventions = DEFAULT) -> tuple[float, float]:
    """``(beta, correlation)`` of two aligned return arrays: :math:`S_{fb}/S_{bb}` and
    :math:`S_{fb}/\\sqrt{S_{ff} S_{bb}}`; NaN where a variance is zero (:data:`CONSTANT_RTOL`) or
    :math:`n \\le ddof`."""
    rf = np.ascontiguousarray(r_fund, dtype=float)
    rb = np.ascontiguousarray(r_bench, dtype=float)
    if rf.size <= conventions.ddof:
        return float("nan"), float("nan")
    beta, corr = nb.beta_correlation_1d(rf, rb, CONSTANT_RTOL)
    return float(beta), float(corr)


def correlation_2d(r, r_bench) -> np.ndarray:
    """Correlation of each column of ``r`` ``[t, k]`` with ``r_bench`` ``[t]`` (NaN on zero
    variance, :data:`CONSTANT_RTOL`)."""
    out = np.empty(r.shape[1])
    rb = np.ascontiguousarray(r_bench, dtype=float)
    for k in range(r.shape[1]):
        out[k] = nb.beta_correlation_1d(np.ascontiguousarray(r[:, k]), rb, CONSTANT_RTOL)[1]
    return out


def one_way_turnover(w_before, w_after) -> float:
    """:math:`\\tfrac12 \\sum_i |w^{after}_i - w^{before}_i|` of two weight vectors on one code order."""
    b = np.asarray(w_before, dtype=float)
    a = np.asarray(w_after, dtype=float)
    return float(0.5 * np.abs(a - b).sum())


def tracking_metrics(fund_levels, bench_levels, conventions: Conventions = DEFAULT) -> MetricValues:
    """Every metric of :data:`TRACKING` from two aligned, positive level arrays ``[n + 1]``.

    Period returns are level ratios; daily statistics come from the simple returns.
    """
    Lf = np.ascontiguousarray(fund_levels, dtype=float)
    Lb = np.ascontiguousarray(bench_levels, dtype=float)
    if Lf.shape != Lb.shape or Lf.ndim != 1 or Lf.size < 1:
        raise DataError(
            "level arrays must be 1-D, non-empty and of equal length",
            value=(Lf.shape, Lb.shape),
        )
    p = conventions.periods_per_year
    rf, rb = returns(Lf), returns(Lb)
    a = rf - rb
    n = rf.size
    out = MetricValues(n_returns=float(n), years=n / p)
    out["fund_return"] = float(Lf[-1] / Lf[0] - 1.0)
    out["benchmark_return"] = float(Lb[-1] / Lb[0] - 1.0)
    out["tracking_difference"] = out["fund_return"] - out["benchmark_return"]
    out["fund_return_ann"] = annualised_return(out["fund_return"], n, conventions)
    out["benchmark_return_ann"] = annualised_return(out["benchmark_return"], n, conventions)
    out["tracking_difference_ann"] = out["fund_return_ann"] - out["benchmark_return_ann"]
    out["active_mean_ann"] = float(nb.mean_1d(a) * p)
    out["tracking_error_std"] = tracking_error(a, conventions, "std")
    out["tracking_error_rms"] = tracking_error(a, conventions, "rms")
    te = out["tracking_error_std"]
    out["information_ratio"] = out["active_mean_ann"] / te if te > 0 else float("nan")
    out["fund_vol"] = volatility(rf, conventions)
    out["benchmark_vol"] = volatility(rb, conventions)
    out["beta"], out["correlation"] = beta_correlation(rf, rb, conventions)
    out["active_max"] = float(a.max()) if n else float("nan")
    out["active_min"] = float(a.min()) if n else float("nan")
    return out


def _stat_code(method: str) -> int:
    if method == "std":
        return nb.STAT_STD
    if method == "rms":
        return nb.STAT_RMS
    raise DataError(
        "unknown tracking-error method", field="method", value=method, fix="use 'std' or 'rms'"
    )


__all__ = [
    "ALIASES",
    "REGISTRY",
    "TRACKING",
    "Metric",
    "MetricValues",
    "annualised_return",
    "CONSTANT_RTOL",
    "beta_correlation",
    "canonical",
    "correlation_2d",
    "information_ratio",
    "level_stats",
    "max_drawdown",
    "one_way_turnover",
    "returns",
    "rolling",
    "rolling_tracking_error",
    "row",
    "std",
    "total_return",
    "tracking_error",
    "tracking_metrics",
    "volatility",
]
