"""A reconstructed index against an observed series on another exchange's calendar.

The observed series :math:`O` (an ETF's market price or NAV, e.g. 520500 on the Shanghai Stock
Exchange, calendar ``XSHG``) and the reconstructed index :math:`I` (on HKEX sessions) are aligned on
the observed dates :math:`t_0 < t_1 < \\dots`: the index return paired with the observed return
:math:`o_k = O_{t_k}/O_{t_{k-1}} - 1` is

.. math:: r_k = \\frac{I_{h(t_k)}}{I_{h(t_{k-1})}} - 1, \\qquad h(t) = \\max\\{s \\in \\text{HK}: s \\le t\\},

i.e. the index returns of every HK session in :math:`(t_{k-1}, t_k]` compounded; a stretch on
which only Shanghai trades gives :math:`r_k = 0`.

Fit figures, each on all pairs, pairs dated before the split date and pairs on or after it:

* ``corr_1d``: :math:`\\mathrm{corr}(o_k, r_k)`; ``corr_lag``: :math:`\\mathrm{corr}(o_k, r_{k-1})`
  (Shanghai closes an hour before Hong Kong, so the last HK hour reaches the price a day late);
* ``r2_same``: :math:`R^2` of the OLS fit :math:`o_k = a + b\\,r_k`; ``r2_lag``: :math:`R^2` of
  :math:`o_k = a + b_0 r_k + b_1 r_{k-1}`;
* ``corr_5d``: correlation of compounded returns over consecutive non-overlapping blocks of five
  pairs;
* ``td``: :math:`\\prod(1+o_k) - \\prod(1+r_k)` (period tracking difference, observed minus index);
  ``te``: :math:`\\sqrt{p}\\,\\mathrm{std}(o_k - r_k)` with the ``ddof`` of the conventions
  (:func:`engine.metrics.tracking_error`, STD convention).

**Price limits.** A pair whose :math:`|o_k| \\ge` ``limit - limit_tolerance`` (SSE: ±10% for
ETFs) is flagged: the observed price was held at the limit and catches up the next day.  The
``*_merged`` figures compound each flagged pair with the next one (both series) before fitting.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from engine import metrics
from engine._args import date_argument
from engine._display import Result, Summary
from engine._display import row as _row
from engine.conventions import DEFAULT, Conventions, level_series
from engine.data.fx import on_sessions
from engine.errors import CalendarError, DataError

SPLIT_DATE = pd.Timestamp("2025-08-11")
"""Default split date: the 2025-08-11 methodology revision (source: methodology-research.md §6)."""

SSE_LIMIT = 0.10
"""Daily price limit of SSE-listed ETFs, ±10% of the previous close (source: SSE trading rules)."""

LIMIT_TOLERANCE = 0.002
"""A return within this of the limit counts as a limit day (ticks of 0.001 CNY round the limit
price); assumption."""

PERIODS = ("all", "before", "after")
KINDS = ("price", "nav")
FIT_FIGURES = "corr_1d corr_lag r2_same r2_lag corr_5d return_observed return_index td te".split()
"""The figures :func:`fit_figures` computes (besides the pair count ``n``)."""


@lru_cache(maxsize=8)
def exchange_sessions(calendar: str, start: str, end: str) -> pd.DatetimeIndex:
    """Sessions of an ``exchange_calendars`` calendar (e.g. ``XSHG``), tz-naive, inclusive."""
    import exchange_calendars as xcals

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        cal = xcals.get_calendar(check_calendar(calendar, source=None))
        s = cal.sessions_in_range(max(pd.Timestamp(start), cal.first_session), pd.Timestamp(end))
    idx = pd.DatetimeIndex(s)
    return idx.tz_localize(None) if idx.tz is not None else idx


def check_calendar(calendar, source: str | None = "compare_observed") -> str:
    """``calendar`` if ``exchange_calendars`` knows it; CalendarError naming it otherwise."""
    import exchange_calendars as xcals

    if not isinstance(calendar, str) or calendar not in xcals.get_calendar_names():
        what = "unknown exchange calendar"
        fix = "use an exchange_calendars name such as 'XSHG' (Shanghai) or 'XSHE' (Shenzhen)"
        where = {"source": source, "field": "calendar", "value": calendar, "fix": fix}
        raise CalendarError(what, **where)
    return calendar


def align_calendars(index_levels: pd.Series, observed_dates: pd.DatetimeIndex) -> pd.Series:
    """Index level at the last index session on or before each observed date (NaN before the first).

    The ratio of consecutive values is the compounded index return over each observed interval.
    """
    lv = index_levels.dropna().sort_index()
    pos = lv.index.searchsorted(observed_dates, side="right") - 1
    vals = np.where(pos >= 0, lv.to_numpy(float)[np.maximum(pos, 0)], np.nan)
    return pd.Series(vals, index=observed_dates, name="index")


def _ols_r2(y: np.ndarray, xs: list[np.ndarray]) -> float:
    if len(y) < len(xs) + 2:
        return float("nan")
    X = np.column_stack([np.ones(len(y)), *xs])
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ beta
    tss = float(((y - y.mean()) ** 2).sum())
    return float("nan") if tss == 0 else 1.0 - float((resid**2).sum()) / tss


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3 or np.std(a[ok]) == 0 or np.std(b[ok]) == 0:
        return float("nan")
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


def merge_flagged(obs: np.ndarray, idx: np.ndarray, flag: np.ndarray):
    """Compound each flagged pair with the following one (both series); returns the merged arrays
    and, for each merged pair, the position of its last original pair."""
    o_out, i_out, end = [], [], []
    k, n = 0, len(obs)
    while k < n:
        o, r, j = 1.0 + obs[k], 1.0 + idx[k], k
        while flag[j] and j + 1 < n:
            j += 1
            o *= 1.0 + obs[j]
            r *= 1.0 + idx[j]
        o_out.append(o - 1.0)
        i_out.append(r - 1.0)
        end.append(j)
        k = j + 1
    return np.array(o_out), np.array(i_out), np.array(end, dtype=int)


def fit_figures(
    obs: np.ndarray, idx: np.ndarray, idx_lag: np.ndarray, conventions: Conventions = DEFAULT
) -> dict:
    """The fit figures of the module docstring on aligned return arrays."""
    n = len(obs)
    out = {"n": n}
    if n == 0:
        return out | dict.fromkeys(FIT_FIGURES, float("nan"))
    lag_ok = np.isfinite(idx_lag)
    out["corr_1d"] = _corr(obs, idx)
    out["corr_lag"] = _corr(obs, idx_lag)
    out["r2_same"] = _ols_r2(obs, [idx])
    out["r2_lag"] = _ols_r2(obs[lag_ok], [idx[lag_ok], idx_lag[lag_ok]])
    blocks = n // 5
    if blocks >= 3:
        o5 = np.prod(1.0 + obs[: blocks * 5].reshape(blocks, 5), axis=1) - 1.0
        i5 = np.prod(1.0 + idx[: blocks * 5].reshape(blocks, 5), axis=1) - 1.0
        out["corr_5d"] = _corr(o5, i5)
    else:
        out["corr_5d"] = float("nan")
    out["return_observed"] = float(np.prod(1.0 + obs) - 1.0)
    out["return_index"] = float(np.prod(1.0 + idx) - 1.0)
    out["td"] = out["return_observed"] - out["return_index"]
    out["te"] = float(metrics.tracking_error(obs - idx, conventions))
    return out


@dataclass(frozen=True, eq=False)
class ObservedComparison(Result):
    """Result of :func:`compare_observed`.

    Attributes
    ----------
    pairs : DataFrame
        One row per observed date after the first: ``observed`` (return), ``index`` (compounded
        index return over the interval), ``index_lag`` (the previous pair's index return),
        ``hk_sessions`` (HK sessions in the interval), ``limit_day`` (bool), ``period``
        (``before`` / ``after``).
    levels : DataFrame
        ``observed`` and ``index`` on the observed dates, both rebased to 1 on the first date.
    figures : DataFrame
        Rows ``(period, merged)``, columns the fit figures (see the module docstring).
    premium : Series or None
        ``price / nav - 1`` on the dates both have, when both were given.
    """

    _figure = "observed_figure"

    pairs: pd.DataFrame
    levels: pd.DataFrame
    figures: pd.DataFrame
    premium: pd.Series | None
    kind: str
    label: str
    against: str
    split: pd.Timestamp
    calendar: str
    notes: tuple[str, ...] = ()
    conventions: Conventions = DEFAULT
    meta: dict = field(default_factory=dict)

    def figure(self, name: str, period: str = "all", merged: bool = False) -> float:
        """One fit figure, e.g. ``figure("corr_1d", "after", merged=True)``."""
        return float(self.figures.loc[(period, merged), name])

    def to_frame(self) -> pd.DataFrame:
        """The aligned pairs (see :attr:`pairs`) joined with the rebased levels."""
        return self.pairs.join(self.levels.add_prefix("level_"), how="left")

    def summary(self) -> Summary:
        """The observed kind, calendar, split date and limit days, every fit figure per period
        (and with limit days merged), the premium over NAV when known, and the notes."""
        kind = "market price (premium/discount and trading noise included)"
        kind = kind if self.kind == "price" else "net asset value"
        limit = self.pairs.index[self.pairs["limit_day"]]
        rows = [
            _row("observed_kind", self.kind, "text", note=kind),
            _row("calendar", self.calendar, "text"),
            _row("split_date", self.split, "date"),
            _row("limit_days", len(limit), "count", note=", ".join(f"{d:%Y-%m-%d}" for d in limit)),
        ]
        names = {
            "return_observed": ("%", "", "prod(1+o) - 1"),
            "return_index": ("%", "", "prod(1+r) - 1, compounded over HK sessions"),
            "td": ("%", self.against, "observed - index, period"),
            "te": ("%", self.against, f"sqrt(p) * std(o - r, ddof={self.conventions.ddof})"),
            "corr_1d": ("ratio", self.against, "corr(o_t, r_t)"),
            "corr_lag": ("ratio", self.against, "corr(o_t, r_t-1)"),
            "r2_same": ("ratio", self.against, "R2 of o_t on r_t"),
            "r2_lag": ("ratio", self.against, "R2 of o_t on r_t and r_t-1"),
            "corr_5d": ("ratio", self.against, "corr of non-overlapping 5-pair returns"),
        }
        for merged in (False, True):
            for period in PERIODS:
                for name, (unit, against, note) in names.items():
                    if merged and name.startswith("return"):
                        continue
                    metric = f"{name}_{period}{'_merged' if merged else ''}"
                    value = self.figure(name, period, merged)
                    merge = " (limit days merged with the next)" if merged else ""
                    rows.append(_row(metric, value, unit, against, note + merge))
        if self.premium is not None and len(self.premium):
            for stat in ("mean", "min", "max"):
                value = float(getattr(self.premium, stat)())
                rows.append(_row(f"premium_{stat}", value, "%", "NAV", "price / NAV - 1"))
        for i, n in enumerate(self.notes):
            rows.append(_row(f"note_{i + 1}", n, "text"))
        return Summary(rows, title=f"{self.label} against {self.against}")

    def rolling_correlation(self, window: int = 20) -> pd.Series:
        """Rolling same-day correlation of the pairs."""
        p = self.pairs
        return p["observed"].rolling(window).corr(p["index"]).rename("rolling_corr")

    def __repr__(self) -> str:
        return (
            f"ObservedComparison({self.label} ({self.kind}) vs {self.against}, {len(self.pairs)} "
            f"pairs, corr_1d={self.figure('corr_1d'):.3f}, "
            f"corr_1d_merged={self.figure('corr_1d', merged=True):.3f})"
        )


def compare_observed(
    result,
    observed: pd.Series,
    calendar: str = "XSHG",
    *,
    variant: str = "price",
    kind: str = "price",
    nav: pd.Series | None = None,
    fx: pd.Series | None = None,
    split=None,
    limit: float = SSE_LIMIT,
    limit_tolerance: float = LIMIT_TOLERANCE,
    start=None,
    end=None,
    label: str | None = None,
    warnings: tuple[str, ...] | list[str] = (),
    conventions: Conventions = DEFAULT,
) -> ObservedComparison:
    """Compare a reconstructed index with an observed series on another calendar.

    Parameters
    ----------
    result
        An ``IndexResult`` (its ``variant`` levels) or a Series of index levels on HK sessions.
    observed
        Observed closes (market price) or NAVs, indexed by date.
    calendar
        ``exchange_calendars`` name of the observed series' exchange; every observed date must be
        one of its sessions.
    kind
        ``"price"`` (an exchange price: premium/discount, price limits) or ``"nav"``.
    nav
        Optional NAV series when ``observed`` is a price: the premium/discount is reported.
    fx
        Optional CNY-per-HKD fixings on index sessions; the index is converted before comparing.
        Without it an HKD index is compared with a CNY series (noted).
    split
        Date that splits the figures into ``before`` (pairs dated earlier) and ``after``; default
        :data:`SPLIT_DATE` (the revision).  A split date given outside the observed dates is an
        error; the default one is then only noted.
    limit, limit_tolerance
        Price limit and its tolerance (see the module docstring); ``limit=None`` flags nothing.
    start, end
        Restrict the observed dates.
    warnings
        Approximations the reconstruction rests on (e.g. ``Onboarding.warnings``); shown in the
        summary as notes.
    """
    if kind not in KINDS:
        what = "unknown observed kind"
        raise DataError(what, field="kind", value=kind, fix=f"use one of {KINDS}")
    check_calendar(calendar)
    source = label or str(getattr(observed, "name", None) or "observed")
    notes = [f"approximation: {w}" for w in warnings]
    lv, against = _index_levels(result, variant, fx, notes)
    obs = _observed_series(observed, source, lv, start, end, notes)
    split = _split_date(split, obs, source, notes)
    notes += _calendar_gaps(obs, calendar, source)
    pairs = _pairs(obs, lv, kind, limit, limit_tolerance, split)
    levels = pd.DataFrame(
        {"observed": obs / obs.iloc[0], "index": pairs.attrs.pop("index_levels")}, index=obs.index
    )
    return ObservedComparison(
        pairs=pairs,
        levels=levels,
        figures=_figures(pairs, conventions),
        premium=None if nav is None else _premium(obs, nav),
        kind=kind,
        label=source,
        against=against,
        split=split,
        calendar=calendar,
        notes=tuple(notes),
        conventions=conventions,
    )


def _index_levels(result, variant: str, fx, notes: list) -> tuple[pd.Series, str]:
    """The index levels compared and their name, in CNY when ``fx`` is given (noted otherwise)."""
    if isinstance(result, pd.Series):
        lv, against = result.astype(float), str(result.name or "reconstructed index")
    else:
        levels = getattr(result, "levels", None)
        if levels is None or variant not in levels:
            what = "need an IndexResult or a level Series"
            raise DataError(what, field="variant", value=variant)
        lv, against = levels[variant].astype(float), f"reconstructed index ({variant})"
    if fx is None:
        notes.append("index in HKD, observed in CNY: HKD/CNY moves are part of the differences")
        return lv, against
    fixing = on_sessions(level_series(fx, source="fx", field="hkd_cny"), lv.index)
    return lv * fixing, against + " in CNY"


def _premium(obs: pd.Series, nav) -> pd.Series:
    """``price / nav - 1`` on the dates both have."""
    nav = level_series(nav, source="nav", field="nav")
    common = obs.index.intersection(nav.index)
    return (obs.loc[common] / nav.loc[common] - 1.0).rename("premium")


def _split_date(split, obs: pd.Series, source: str, notes: list) -> pd.Timestamp:
    """The split date: a given one must fall inside the observed dates; the default one outside
    them is noted."""
    given = split is not None
    split = _date_arg(split, "split") if given else SPLIT_DATE
    if obs.index[0] < split <= obs.index[-1]:
        return split
    if given:
        what = "the split date is outside the observed dates"
        fix = (
            f"use a date in {obs.index[0].date()}..{obs.index[-1].date()} "
            "(both periods need observations)"
        )
        value = str(split.date())
        raise DataError(what, source=source, field="split", value=value, fix=fix)
    notes.append(
        f"the default split date {split.date()} (the revision) is outside the observed dates: "
        "one of the before/after periods is empty"
    )
    return split


def _date_arg(value, name: str) -> pd.Timestamp:
    """A date argument (``start``, ``end``, ``split``) as a day, or a DataError naming it (see
    :func:`engine._args.date_argument`: no text that is not a date, no time, no time zone)."""
    return date_argument(value, name, "compare_observed")


def _observed_series(observed, source: str, lv: pd.Series, start, end, notes: list) -> pd.Series:
    """The observed series, checked, cut to ``start..end`` and to the index's dates; NaN dates are
    dropped and counted in ``notes``; a series that does not move is an error."""
    obs = level_series(observed, source=source, field="observed", drop_nan=True)
    missing = int(pd.Series(observed).isna().sum())
    if missing:
        notes.append(f"{missing} observed date(s) without a value left out")
    if start is not None:
        obs = obs[obs.index >= _date_arg(start, "start")]
    if end is not None:
        obs = obs[obs.index <= _date_arg(end, "end")]
    lv = lv.dropna()
    obs = obs[(obs.index >= lv.index[0]) & (obs.index <= lv.index[-1])]
    if len(obs) < 3:
        what = "fewer than three observed dates overlap the index"
        fix = "give observations inside the index's dates (check start/end)"
        value = f"index {lv.index[0].date()}..{lv.index[-1].date()}"
        raise DataError(what, source=source, value=value, fix=fix)
    if float(obs.min()) == float(obs.max()):
        what = "the observed series never moves (zero variance): no fit figure is defined"
        raise DataError(what, source=source, value=float(obs.iloc[0]))
    return obs


def _calendar_gaps(obs: pd.Series, calendar: str, source: str) -> list[str]:
    """Every observed date must be a ``calendar`` session; the sessions without one become a note."""
    sessions = exchange_sessions(calendar, str(obs.index[0].date()), str(obs.index[-1].date()))
    off = obs.index.difference(sessions)
    if len(off):
        what = f"{len(off)} observed date(s) are not {calendar} sessions"
        fix = "check the calendar name or the dates"
        raise CalendarError(what, source=source, date=off[0], fix=fix)
    gaps = sessions.difference(obs.index)
    if not len(gaps):
        return []
    return [
        f"{len(gaps)} {calendar} session(s) without an observation; their moves fall "
        f"in the next pair: " + ", ".join(f"{d:%Y-%m-%d}" for d in gaps[:10])
    ]


def _pairs(obs, lv, kind, limit, limit_tolerance, split) -> pd.DataFrame:
    """One row per observed date after the first (see :attr:`ObservedComparison.pairs`); the index
    levels on the observed dates travel in ``attrs["index_levels"]``."""
    il = align_calendars(lv, obs.index)
    o = obs.to_numpy()
    i = il.to_numpy()
    dates = obs.index[1:]
    o_ret = o[1:] / o[:-1] - 1.0
    i_ret = i[1:] / i[:-1] - 1.0
    hk = lv.index
    n_hk = hk.searchsorted(dates, side="right") - hk.searchsorted(obs.index[:-1], side="right")
    flag = (
        (np.abs(o_ret) >= limit - limit_tolerance)
        if limit is not None
        else np.zeros(len(o_ret), bool)
    )
    if kind == "nav":
        flag[:] = False
    pairs = pd.DataFrame(
        {
            "observed": o_ret,
            "index": i_ret,
            "index_lag": np.r_[np.nan, i_ret[:-1]],
            "hk_sessions": n_hk,
            "limit_day": flag,
            "period": np.where(dates < split, "before", "after"),
        },
        index=pd.DatetimeIndex(dates, name="date"),
    )
    pairs.attrs["index_levels"] = i / i[0]
    return pairs


def pair_returns(pairs: pd.DataFrame, period: str = "all", merged: bool = False):
    """``(observed, index, index_lag)`` return arrays of the pairs of ``period`` (``all``, ``before``,
    ``after``); ``merged`` compounds each limit-day pair with the next (:func:`merge_flagged`) and
    takes the lag from the merged index returns."""
    sel = pairs if period == "all" else pairs[(pairs["period"] == period).to_numpy()]
    o, r, lag = (sel[c].to_numpy() for c in ("observed", "index", "index_lag"))
    if merged:
        o, r, _ = merge_flagged(o, r, sel["limit_day"].to_numpy())
        lag = np.r_[np.nan, r[:-1]]
    return o, r, lag


def _figures(pairs: pd.DataFrame, conventions: Conventions) -> pd.DataFrame:
    """The fit figures per ``(period, merged)`` (rows) of the module docstring."""
    rows = {
        (period, merged): fit_figures(*pair_returns(pairs, period, merged), conventions)
        for merged in (False, True)
        for period in PERIODS
    }
    figures = pd.DataFrame.from_dict(rows, orient="index")
    figures.index = pd.MultiIndex.from_tuples(figures.index, names=["period", "merged"])
    return figures


def cumulative_return(series: pd.Series, start, end) -> float:
    """``S(last date <= end) / S(last date <= start) - 1``."""
    s = series.dropna().sort_index()
    a = s[s.index <= pd.Timestamp(start)]
    b = s[s.index <= pd.Timestamp(end)]
    if a.empty or b.empty:
        raise DataError("series does not reach back to start", date=pd.Timestamp(start))
    return float(b.iloc[-1] / a.iloc[-1] - 1.0)


__all__ = [
    "LIMIT_TOLERANCE",
    "ObservedComparison",
    "SPLIT_DATE",
    "SSE_LIMIT",
    "align_calendars",
    "compare_observed",
    "cumulative_return",
    "exchange_sessions",
    "fit_figures",
    "merge_flagged",
    "pair_returns",
]
