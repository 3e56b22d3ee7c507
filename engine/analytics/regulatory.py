"""The figures a regulator asks for: tracking-error conventions presets and breach monitoring.

A preset (:class:`RegulatoryPreset`, named in :data:`PRESETS`) fixes every choice a tracking figure
depends on: tracking error as STD (centred) or RMS (uncentred), daily or monthly differences, the
annualisation factor :math:`p` (periods per year), the monitoring window and the limits.  Sources:
``reference/tracking-standards.md`` (section 1), cited in each preset's ``source``.

Notation: :math:`F_t, B_t` fund and benchmark levels on the aligned dates, :math:`d_t = r^F_t - r^B_t`
the **tracking deviation** (active return) of each period (a day, or a month from month-end levels),
:math:`p` the preset's periods per year, :math:`w` the window (one year of periods by default).

==========================  ===================================================================
tracking difference         :math:`TD = (F_{end}/F_{start} - 1) - (B_{end}/B_{start} - 1)`
tracking error (STD)        :math:`\\sqrt{p}\\, \\mathrm{std}(d, ddof=1)`
tracking error (RMS)        :math:`\\sqrt{p}\\, \\sqrt{\\mathrm{mean}(d^2)}`
mean absolute deviation     :math:`\\mathrm{mean}(|d_t|)` (not annualised; 日均跟踪偏离度的绝对值)
rolling figures             each of the above over the :math:`w` periods ending on each date
==========================  ===================================================================

A **breach** is a window whose figure exceeds the preset's limit (strictly, beyond rounding:
:data:`LIMIT_RTOL`); the breach table lists each one with its value, the limit and the running count
of consecutive breaching windows.  Every figure is computed by :mod:`engine.metrics`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine import metrics
from engine._display import Result, Summary
from engine._display import row as _row
from engine._settings import FLAG, POSITIVE, Choice, Settings, Whole, setting
from engine.analytics.mainland import (
    PERIOD_COLUMNS,
    PERIODS,
    calendar_periods,
    period_table,
)
from engine.analytics.tracking import fund_tracking, tracking
from engine.conventions import PERIODS_PER_YEAR, Conventions
from engine.errors import DataError

TE_METHODS = ("std", "rms")
DIFFERENCES = ("daily", "monthly")
MONITORS = ("rolling", "year")
LIMIT_RTOL = 1e-9
"""A figure breaches when it exceeds its limit by more than this relative margin: a figure equal to
the limit up to floating-point rounding of the returns is not a breach."""


@dataclass(frozen=True)
class OrNone:
    """A settings check: ``None`` (no limit, not set) or a value that ``check`` accepts."""

    check: object
    fix: str = ""

    def accepts(self, value) -> bool:
        return value is None or self.check.accepts(value)

    def describe(self) -> str:
        return f"{self.check.describe()}, or None"


_LIMIT = OrNone(POSITIVE, fix="use a positive fraction (0.02 = 2%), or None for no limit")


@dataclass(frozen=True)
class RegulatoryPreset(Settings):
    """One regulator's (or contract's) tracking conventions and limits; every field is explicit.

    Text fields stay ASCII (the PDF report's font has no CJK glyphs); the Chinese terms are in
    :data:`TERMS_ZH`, :data:`PERIODS` and :data:`PERIOD_COLUMNS`.

    Limits are fractions (0.002 = 0.2%); ``None`` means the regulator sets none (the figure is still
    computed and shown).
    """

    _error = DataError

    name: str
    title: str
    source: str
    """Where the convention and the limits come from (reference/tracking-standards.md)."""
    te_method: str = setting("std", Choice(TE_METHODS))
    """``"std"``: centred standard deviation (ddof=1); ``"rms"``: root mean square (uncentred)."""
    difference: str = setting("daily", Choice(DIFFERENCES))
    """``"daily"``: differences of daily returns; ``"monthly"``: of month-end returns (p = 12)."""
    periods_per_year: int | None = setting(None, OrNone(Whole(1)))
    """:math:`p`; None: the sessions per year of ``calendar``, else the engine's HKEX convention
    (:data:`engine.conventions.PERIODS_PER_YEAR`), or 12 for monthly differences."""
    calendar: str | None = None
    """``exchange_calendars`` name whose sessions per calendar year give :math:`p` (``"XSHG"``).  Only
    the annualisation reads it: the deviations are taken on the dates of the level series (the
    fund's valuation dates, HKEX sessions in the engine)."""
    monitor: str = setting("rolling", Choice(MONITORS))
    """``"rolling"``: each trailing window of ``window`` periods; ``"year"``: each calendar year."""
    window: int | None = setting(None, OrNone(Whole(2)))
    """Periods in a rolling window; None: one year (:math:`p`)."""
    mean_abs_deviation_limit: float | None = setting(None, _LIMIT)
    """Limit on the mean absolute tracking deviation of a window (not annualised)."""
    te_limit: float | None = setting(None, _LIMIT)
    """Limit on the annualised tracking error of a window."""
    td_limit: float | None = setting(None, _LIMIT)
    """Limit on the absolute tracking difference of a window."""
    anticipated_te: float | None = setting(None, _LIMIT)
    """The prospectus' anticipated tracking error (ESMA); a realised TE above it is a gap to explain."""
    period_table: bool = setting(False, FLAG)
    """Compute the mainland quarterly-report period table (:meth:`RegulatoryReport.periods`)."""


_TS = "reference/tracking-standards.md section 1"
TERMS_ZH = {
    "tracking deviation": "跟踪偏离度",
    "mean absolute daily tracking deviation": "日均跟踪偏离度的绝对值",
    "annual tracking error": "年跟踪误差",
}
"""The standard Chinese terms of the mainland contracts for the csrc preset's figures."""
PRESETS: dict[str, RegulatoryPreset] = {
    "csrc": RegulatoryPreset(
        name="csrc",
        title="Mainland fund contract / CSRC quarterly report",
        source=(
            "Mainland equity ETF contracts (e.g. CSI innovative-drug ETFs): tracking deviation "
            "= fund daily return - benchmark daily return; annual TE = annualised standard "
            "deviation of the daily deviations; typical targets mean absolute "
            "daily deviation <= 0.2% and annual TE <= 2% (index and feeder funds often 0.35% / 4%: "
            "pass mean_abs_deviation_limit=0.0035, te_limit=0.04); CSRC quarterly report section "
            f"3.2 period table ({_TS})"
        ),
        calendar="XSHG",
        mean_abs_deviation_limit=0.002,
        te_limit=0.02,
        period_table=True,
    ),
    "sfc": RegulatoryPreset(
        name="sfc",
        title="Hong Kong SFC (circular 14EC24)",
        source=(
            "SFC circular 14EC24 (4 Jul 2014, in force 4 Jan 2015): calendar-year TD = NAV return - "
            "index return against the total-return or price index the fund tracks; TE annualised "
            "on dealing days (here HKEX sessions, the fund's valuation days in the engine); the SFC "
            f"sets no numeric limit (pass td_limit= or te_limit= for an internal one) ({_TS})"
        ),
        monitor="year",
    ),
    "esma": RegulatoryPreset(
        name="esma",
        title="ESMA guidelines on ETFs and other UCITS issues (ESMA/2012/832)",
        source=(
            "ESMA/2012/832: annual TD disclosed and explained; TE = volatility of the difference of "
            "fund and index returns; the prospectus states the anticipated TE and the annual report "
            "the realised one and any gap (pass anticipated_te= from the prospectus); the "
            "annualisation factor is not stated (HKEX sessions per year used: assumption) "
            f"({_TS})"
        ),
        monitor="year",
    ),
    "sebi": RegulatoryPreset(
        name="sebi",
        title="SEBI passive funds circular (May 2022)",
        source=(
            "SEBI passive funds circular (May 2022): TE = annualised standard deviation of daily "
            "return differences over a rolling one year, limit 2% for equity ETFs and index funds; "
            "annualised TD averaged over one year (limit 1.25% for debt funds only); the "
            "annualisation factor is not stated in our sources (HKEX sessions per year: assumption) "
            f"({_TS})"
        ),
        te_limit=0.02,
    ),
}
"""The four presets by name; override any field with ``regulatory(..., field=value)``."""


# ---------------------------------------------------------------------------------------- helpers
def _runs(flag: np.ndarray) -> np.ndarray:
    """Running count of consecutive True values (0 where False)."""
    out = np.zeros(len(flag), dtype=int)
    run = 0
    for i, f in enumerate(flag):
        run = run + 1 if f else 0
        out[i] = run
    return out


def _monthly(levels: pd.DataFrame) -> pd.DataFrame:
    """The first level and each month's last level (the periods of monthly differences)."""
    last = levels.groupby(levels.index.to_period("M")).tail(1)
    return pd.concat([levels.iloc[[0]], last]).pipe(lambda x: x[~x.index.duplicated()])


def _figures(levels: np.ndarray, conv: Conventions, method: str) -> dict:
    """TD, annualised TD, TE (``method``) and mean :math:`|d|` of one window of ``[n + 1, 2]`` levels
    (fund, benchmark), through :func:`engine.metrics.tracking_metrics`."""
    m = metrics.tracking_metrics(levels[:, 0], levels[:, 1], conv)
    d = metrics.returns(levels[:, 0]) - metrics.returns(levels[:, 1])
    return {
        "periods": int(m["n_returns"]),
        "fund_return": m["fund_return"],
        "benchmark_return": m["benchmark_return"],
        "tracking_difference": m["tracking_difference"],
        "tracking_difference_ann": m["tracking_difference_ann"],
        "tracking_error": m[f"tracking_error_{method}"],
        "mean_abs_deviation": mean_abs_deviation(d),
    }


def mean_abs_deviation(active: np.ndarray) -> float:
    r""":math:`\mathrm{mean}_t |d_t|` of the tracking deviations (not annualised); NaN when empty."""
    d = np.abs(np.asarray(active, dtype=float))
    return float(metrics.rolling(d, d.size, "mean")[-1]) if d.size else float("nan")


# ------------------------------------------------------------------------------------- the pieces
def _rolling(levels: pd.DataFrame, w: int, conv, method) -> pd.DataFrame:
    """Per date: the deviation :math:`d_t` and the rolling figures over the ``w`` periods ending
    there (:func:`engine.metrics.rolling`, :func:`engine.metrics.rolling_tracking_error`)."""
    lv = levels.to_numpy(dtype=float)
    d = metrics.returns(lv[:, 0]) - metrics.returns(lv[:, 1])
    out = pd.DataFrame({"deviation": d}, index=levels.index[1:])
    out["window_start"] = pd.Series(levels.index[:-1], index=out.index).shift(w - 1)
    if len(d) >= w:
        out["mean_abs_deviation"] = metrics.rolling(np.abs(d), w, "mean")
        out["tracking_error"] = metrics.rolling_tracking_error(d, w, method, conv)
        grow = lv[w:] / lv[:-w] - 1.0  # each window's fund and benchmark return
        out["tracking_difference"] = np.r_[np.full(w - 1, np.nan), grow[:, 0] - grow[:, 1]]
    else:
        for c in ("mean_abs_deviation", "tracking_error", "tracking_difference"):
            out[c] = np.nan
    return out


def _by_year(levels: pd.DataFrame, conv, method, anticipated) -> pd.DataFrame:
    """Per calendar year, from the last level of the year before (or the first level): the figures."""
    years = levels.index.year
    rows = []
    for y in np.unique(years):
        pos = np.flatnonzero(years == y)
        start = pos[0] - 1 if pos[0] > 0 else pos[0]
        seg = levels.iloc[start : pos[-1] + 1].to_numpy(dtype=float)
        if len(seg) < 2:
            continue
        row = {"year": int(y), "start": levels.index[start], "end": levels.index[pos[-1]]}
        row.update(_figures(seg, conv, method))
        if anticipated is not None:
            row["anticipated_te"] = anticipated
            row["te_gap"] = row["tracking_error"] - anticipated
        rows.append(row)
    return pd.DataFrame(rows).set_index("year") if rows else pd.DataFrame()


CHECKS = (
    ("mean_abs_deviation", "mean_abs_deviation_limit", "mean absolute tracking deviation"),
    ("tracking_error", "te_limit", "tracking error"),
    ("tracking_error", "anticipated_te", "tracking error above the anticipated (gap to explain)"),
    ("tracking_difference", "td_limit", "absolute tracking difference"),
)
"""(figure, the preset's limit field, label) of every check a preset may switch on by a limit."""


def _breaches(preset, rolling: pd.DataFrame, by_year: pd.DataFrame) -> pd.DataFrame:
    """Each breaching window: check, window start and end, value, limit (fractions), the unit they
    read in (``bp`` for the mean absolute deviation, ``%`` otherwise), consecutive count."""
    cols = [
        "check",
        "limit_field",
        "window_start",
        "window_end",
        "value",
        "limit",
        "unit",
        "consecutive",
    ]
    parts = []
    for figure, limit_field, label in CHECKS:
        limit = getattr(preset, limit_field)
        if limit is None:
            continue
        if preset.monitor == "rolling":
            frame = rolling.dropna(subset=[figure])
            starts, ends = frame["window_start"], frame.index
        else:
            frame = by_year
            starts, ends = (frame["start"], frame["end"]) if len(frame) else ([], [])
        if not len(frame):
            continue
        value = frame[figure].to_numpy(dtype=float)
        test = np.abs(value) if figure == "tracking_difference" else value
        flag = test > limit * (1.0 + LIMIT_RTOL)
        run = _runs(flag)
        parts.append(
            pd.DataFrame(
                {
                    "check": label,
                    "limit_field": limit_field,
                    "window_start": np.asarray(starts)[flag],
                    "window_end": np.asarray(ends)[flag],
                    "value": value[flag],
                    "limit": limit,
                    "unit": "bp" if figure == "mean_abs_deviation" else "%",
                    "consecutive": run[flag],
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["window_end", "limit_field"], kind="stable").reset_index(drop=True)


# ------------------------------------------------------------------------------------------ result
@dataclass(frozen=True, eq=False)
class RegulatoryReport(Result):
    """A preset's figures, its breach table and (csrc) the quarterly-report period table.

    Attributes
    ----------
    preset : RegulatoryPreset
        The preset as applied: overrides in, ``periods_per_year`` and ``window`` resolved.
    figures : dict
        Whole-period figures (fractions): ``tracking_difference``, ``tracking_difference_ann``,
        ``tracking_error`` (the preset's method), ``mean_abs_deviation``, ``periods``.
    rolling : DataFrame
        Per date: ``deviation`` (:math:`d_t`), ``window_start`` and the rolling ``mean_abs_deviation``,
        ``tracking_error``, ``tracking_difference`` over the window ending there.
    by_year : DataFrame
        Per calendar year: returns, TD, TE, mean absolute deviation (and the gap to the anticipated TE).
    breaches : DataFrame
        ``check, limit_field, window_start, window_end, value, limit, unit, consecutive`` (value and
        limit are fractions; ``unit`` is how they read: ``bp`` or ``%``).
    periods : DataFrame or None
        The mainland quarterly-report table (:func:`period_table`), for presets with ``period_table``.
    """

    _figure = "regulatory_figure"
    checks = CHECKS  # (figure, limit field, label) of the checks the figure draws

    preset: RegulatoryPreset
    figures: dict
    rolling: pd.DataFrame
    by_year: pd.DataFrame
    breaches: pd.DataFrame
    periods: pd.DataFrame | None
    benchmark: str
    fund_label: str = "fund"
    periods_note: str = ""
    notes: tuple[str, ...] = ()
    synthetic: bool = False
    meta: dict = field(default_factory=dict)

    @property
    def convention(self) -> str:
        """The TE convention in words, e.g. ``"STD of daily differences, x sqrt(243)"``."""
        p = self.preset
        return (
            f"{p.te_method.upper()} of {p.difference} differences, annualised x sqrt("
            f"{p.periods_per_year}) ({self.periods_note})"
        )

    def to_frame(self) -> pd.DataFrame:
        """The per-date table (:attr:`rolling`), a copy."""
        return self.rolling.copy()

    def breach_count(self, limit_field: str) -> int:
        """Number of breaching windows of the check on ``limit_field`` (e.g. ``"te_limit"``)."""
        return int((self.breaches["limit_field"] == limit_field).sum())

    def summary(self) -> Summary:
        """The preset, its conventions, the whole-period figures against the benchmark, the limits,
        and per check the number of breaching windows and the longest run."""
        p, f, bench = self.preset, self.figures, self.benchmark
        diff = "daily" if p.difference == "daily" else "monthly"
        rows = [
            _row("preset", f"{p.name}: {p.title}", "text", note=p.source),
            _row("te_convention", self.convention, "text", note="every TE below uses it"),
            _row("periods_per_year", p.periods_per_year, "count", note=self.periods_note),
            metrics.row(
                "tracking_difference",
                f["tracking_difference"],
                against=bench,
                note=f"{f['periods']} {diff} periods; ",
            ),
            metrics.row("tracking_difference_ann", f["tracking_difference_ann"], against=bench),
            metrics.row(
                f"tracking_error_{p.te_method}",
                f["tracking_error"],
                against=bench,
                note=f"{self.convention}; ",
            ),
        ]
        if p.mean_abs_deviation_limit is not None:
            rows.append(
                metrics.row(f"mean_abs_{diff}_deviation", f["mean_abs_deviation"], against=bench)
            )
        if p.monitor == "rolling":
            rows.append(
                _row(
                    "window",
                    p.window,
                    "count",
                    note=f"{diff} periods in each rolling window (one year = p)",
                )
            )
        else:
            rows += self._year_rows()
        for figure, limit_field, label in CHECKS:
            limit = getattr(p, limit_field)
            if limit is None:
                continue
            hits = self.breaches[self.breaches["limit_field"] == limit_field]
            where = "rolling windows" if p.monitor == "rolling" else "calendar years"
            rows += [
                _row(
                    limit_field,
                    limit,
                    "bp" if figure == "mean_abs_deviation" else "%",
                    note=f"limit on the {label} of a window",
                ),
                _row(
                    f"breaches_{limit_field}",
                    len(hits),
                    "count",
                    bench,
                    f"{where} with the {label} above the limit",
                ),
                _row(
                    f"longest_run_{limit_field}",
                    int(hits["consecutive"].max()) if len(hits) else 0,
                    "count",
                    bench,
                    f"most consecutive {where} in breach",
                ),
            ]
        return Summary(
            rows, title=f"Regulatory figures ({p.name}) of {self.fund_label} vs {bench}{self.tag}"
        )

    def _year_rows(self) -> list[dict]:
        """TD and TE of each calendar year (and the gap to the anticipated TE when there is one)."""
        rows, bench, method = [], self.benchmark, self.preset.te_method
        for year, y in self.by_year.iterrows():
            span = f"{y['start'].date()} to {y['end'].date()}, {int(y['periods'])} periods"
            rows.append(
                _row(f"tracking_difference_{year}", y["tracking_difference"], "%", bench, span)
            )
            rows.append(
                _row(f"tracking_error_{method}_{year}", y["tracking_error"], "%", bench, span)
            )
            if "te_gap" in y:
                rows.append(
                    _row(f"te_gap_{year}", y["te_gap"], "%", bench, "realised TE - anticipated TE")
                )
        return rows

    def __repr__(self) -> str:
        return (
            f"RegulatoryReport({self.preset.name}, TE {self.figures['tracking_error']:.4%} "
            f"{self.preset.te_method.upper()}, {len(self.breaches)} breaching windows vs "
            f"{self.benchmark}{self.tag})"
        )


# ------------------------------------------------------------------------------------------ entry
def resolve_preset(preset, overrides: dict) -> RegulatoryPreset:
    """The preset named (or given), with ``overrides`` applied; an unknown name or field is an error."""
    if isinstance(preset, RegulatoryPreset):
        base = preset
    elif isinstance(preset, str) and preset.lower() in PRESETS:
        base = PRESETS[preset.lower()]
    else:
        what = "unknown regulatory preset"
        fix = f"use one of {sorted(PRESETS)} or a RegulatoryPreset"
        raise DataError(what, field="preset", value=preset, fix=fix)
    return base.replace(**overrides)


def _tracked(fund, index, variant):
    """The :class:`TrackingResult` of a FundResult against an IndexResult, or of two level Series
    (aligned, checked; only its levels, labels and provenance are read)."""
    if isinstance(fund, pd.Series) and isinstance(index, pd.Series):
        return tracking(
            fund, index, labels=(str(fund.name or "fund"), str(index.name or "benchmark"))
        )
    if hasattr(fund, "nav") and hasattr(index, "levels"):
        return fund_tracking(fund, index, variant=variant)
    what = "regulatory() takes a FundResult and an IndexResult, or two level Series"
    fix = "pass (fund_result, index_result) or (nav_series, benchmark_series)"
    value = (type(fund).__name__, type(index).__name__)
    raise DataError(what, field="fund, index", value=value, fix=fix)


def _periods_per_year(p: RegulatoryPreset, dates: pd.DatetimeIndex) -> tuple[float, str]:
    """The annualisation factor of preset ``p`` on ``dates`` (the differenced dates) and where it
    comes from."""
    if p.difference == "monthly":
        return p.periods_per_year or 12, "months per year"
    if p.periods_per_year is not None:
        return p.periods_per_year, "set by the preset or an override"
    if p.calendar:
        return calendar_periods(p.calendar, dates[0], dates[-1])
    return PERIODS_PER_YEAR, "HKEX sessions per year (engine convention; assumption)"


def regulatory(
    fund, index, preset="csrc", *, as_of=None, variant=None, **overrides
) -> RegulatoryReport:
    """A preset's tracking figures, breaches and (csrc) the quarterly-report period table.

    Parameters
    ----------
    fund, index : FundResult and IndexResult, or two level Series
        The fund's NAV per unit against its benchmark (``config.benchmark`` in CNY at the fund's
        fixing, :func:`engine.analytics.fund_tracking`), or any two level series (tests, observed data).
    preset : str or RegulatoryPreset
        ``"csrc"``, ``"sfc"``, ``"esma"`` or ``"sebi"`` (:data:`PRESETS`).
    as_of : date, optional
        End of the quarterly-report period table (default the last date); must be a date of the data.
    variant : {"price", "gross", "net"}, optional
        The benchmark variant (default the fund's ``config.benchmark``).
    **overrides
        Any :class:`RegulatoryPreset` field, e.g. ``te_limit=0.04, mean_abs_deviation_limit=0.0035``
        for a feeder fund, ``anticipated_te=0.01`` (ESMA), ``te_method="rms"``.  An explicit
        ``window`` longer than the data is an error; the default one-year window on a younger fund
        gives no rolling figure and a note.

    Raises
    ------
    DataError
        An unknown preset or setting, a bad setting value, ``as_of`` not a date of the data, an
        explicit window longer than the data, inputs that are neither pair.
    """
    p = resolve_preset(preset, overrides)
    tr = _tracked(fund, index, variant)
    levels = tr.levels
    if as_of is not None and pd.Timestamp(as_of) not in levels.index:
        what = "as_of is not a date of the fund"
        fix = f"use a date from {levels.index[0].date()} to {levels.index[-1].date()}"
        raise DataError(what, field="as_of", date=pd.Timestamp(as_of), fix=fix)
    notes = []
    if p.difference == "monthly":
        levels = _monthly(levels)
    ppy, pnote = _periods_per_year(p, levels.index)
    p = p.replace(periods_per_year=int(ppy), window=int(p.window or ppy))
    conv = Conventions(periods_per_year=p.periods_per_year)
    figures = _figures(levels.to_numpy(dtype=float), conv, p.te_method)
    rolling = _rolling(levels, p.window, conv, p.te_method)
    n = figures["periods"]
    if n < p.window and overrides.get("window") is not None:
        what = f"the window is longer than the data ({n} {p.difference} differences)"
        fix = (
            f"use a window of at most {n}, or leave it out (one year; a younger "
            "fund then gets no rolling figure and a note)"
        )
        raise DataError(what, field="window", value=p.window, fix=fix)
    if n < p.window:
        notes.append(
            f"{n} {p.difference} differences, fewer than one window of {p.window}: "
            "no rolling figure"
        )
    by_year = _by_year(levels, conv, p.te_method, p.anticipated_te)
    table = period_table(tr.levels, as_of) if p.period_table else None
    return RegulatoryReport(
        preset=p,
        figures=figures,
        rolling=rolling,
        by_year=by_year,
        breaches=_breaches(p, rolling, by_year),
        periods=table,
        benchmark=tr.benchmark,
        fund_label=tr.labels[0],
        periods_note=pnote,
        notes=tuple(notes),
        synthetic=tr.synthetic,
        meta=dict(tr.meta),
    )


__all__ = [
    "PERIODS",
    "PERIOD_COLUMNS",
    "PRESETS",
    "TERMS_ZH",
    "RegulatoryPreset",
    "RegulatoryReport",
    "calendar_periods",
    "period_table",
    "regulatory",
    "resolve_preset",
]
