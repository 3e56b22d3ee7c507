"""Return conventions: the one place that fixes periods per year, returns, compounding and day counts.

Every stage that annualises (:class:`engine.index.IndexResult`, :class:`engine.fund.FundResult`,
:mod:`engine.analytics`, the report) imports from here, so a change of convention is one edit.

Conventions
-----------
* **Periods per year** :data:`PERIODS_PER_YEAR` ``= 246``. HKEX had between 244 and 249 trading
  sessions a year from 2010 to 2025 (``exchange_calendars`` calendar ``XHKG``; mean 246.3, median
  246). Daily metrics are annualised with this constant, not with the count of a particular year.
  *Assumption*: a different constant (250, 252) changes annualised figures by at most ~1.2 % relative.
* **Simple daily returns** from a level series :math:`L`: :math:`r_t = L_t / L_{t-1} - 1`; the first
  level has no return.
* **Compounding** of period returns: :math:`R = \\prod_t (1 + r_t) - 1` (equal to
  :math:`L_T / L_0 - 1` for returns taken from levels).
* **Annualised return** over :math:`n` periods: :math:`(1 + R)^{p / n} - 1` with :math:`p` periods
  per year (geometric, by session count, never by calendar days).
* **Annualised volatility**: :math:`\\sigma_{daily} \\sqrt{p}`; **annualised mean** (arithmetic, used
  by the information ratio): :math:`\\bar r \\cdot p`.
* **Day counts**: :func:`year_fraction` is sessions / :math:`p`; :func:`act365` is calendar days / 365,
  used only where a contract says so (fee accrual lives in the fund stage).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine._args import raise_at_first
from engine._settings import Choice, Settings, Whole, setting
from engine.errors import DataError

PERIODS_PER_YEAR: int = 246
"""HKEX sessions per year used for annualisation (median of 2010-2025 session counts; assumption)."""

DDOF: int = 1
"""Degrees of freedom for sample standard deviations (tracking error STD, volatility)."""

DAYS_PER_YEAR: float = 365.0
"""Calendar days per year for :func:`act365`."""


@dataclass(frozen=True)
class Conventions(Settings):
    """The set of conventions a metric was computed with (recorded in every analytics result).

    Attributes
    ----------
    periods_per_year : int
        :math:`p`, sessions per year used for annualisation.
    ddof : int
        Delta degrees of freedom of the sample standard deviation (1: divide by :math:`n - 1`).
    """

    _error = DataError

    periods_per_year: int = setting(
        PERIODS_PER_YEAR, Whole(1, fix=f"use {PERIODS_PER_YEAR} (HKEX sessions per year)")
    )
    ddof: int = setting(DDOF, Choice((0, 1)))


DEFAULT = Conventions()


def simple_returns(levels: pd.Series, *, name: str | None = None) -> pd.Series:
    """Simple period returns :math:`r_t = L_t / L_{t-1} - 1` (the first date has no return and is omitted).

    Parameters
    ----------
    levels : Series
        Strictly positive levels indexed by date (sorted ascending).
    name : str, optional
        Name of the returned series (default: the input's name).

    Raises
    ------
    DataError
        A level is NaN, infinite or not strictly positive (the date is named).
    """
    check_levels(levels, source=name or str(levels.name))
    values = levels.to_numpy(dtype=float)
    out = values[1:] / values[:-1] - 1.0
    return pd.Series(out, index=levels.index[1:], name=name if name is not None else levels.name)


def check_levels(levels: pd.Series, *, source: str = "levels") -> None:
    """Raise :class:`DataError` naming the first date whose level is NaN/inf/non-positive, or an unsorted index."""
    if not isinstance(levels, pd.Series):
        raise DataError(
            "levels must be a pandas Series indexed by date",
            source=source,
            value=type(levels).__name__,
            fix="pass e.g. result.levels['price'] or nav['nav_per_unit_cny']",
        )
    if not levels.index.is_monotonic_increasing or levels.index.has_duplicates:
        raise DataError(
            "level dates must be unique and ascending",
            source=source,
            fix="sort the series by date and drop duplicated dates upstream",
        )
    values = levels.to_numpy(dtype=float)
    bad = ~np.isfinite(values) | (values <= 0)
    raise_at_first(
        bad,
        f"{int(bad.sum())} level(s) are NaN, infinite or not positive",
        source=source,
        date=levels.index,
        value=values,
        fix="fill or remove the bad levels before computing returns",
    )


def level_series(x, *, source: str, field: str = "level", drop_nan: bool = False) -> pd.Series:
    """``x`` as a checked level series: float values indexed by tz-naive midnight dates, sorted, unique,
    strictly positive and finite.

    With ``drop_nan`` the dates without a value are dropped (the caller reports how many); without, a
    NaN is an error like any other bad value.

    Raises
    ------
    DataError
        ``x`` is not a Series, a date is tz-aware or carries a time of day, a date is duplicated, a
        value is text, NaN, infinite or not positive (the first such date named).
    """
    idx = _level_dates(x, source, field)
    values = pd.to_numeric(pd.Series(x.to_numpy(), index=idx), errors="coerce")
    text = values.isna().to_numpy() & pd.notna(x.to_numpy())
    raise_at_first(text, "a value is not a number", source=source, field=field, date=idx, value=x)
    out = values.astype(float).sort_index().rename(x.name)
    if drop_nan:
        out = out.dropna()
    if out.index.has_duplicates:
        raise DataError(
            "duplicated date",
            source=source,
            field=field,
            date=out.index[out.index.duplicated()][0],
        )
    check_levels(out, source=source)
    return out


def _level_dates(x, source: str, field: str) -> pd.DatetimeIndex:
    """The index of the Series ``x`` as tz-naive midnight dates (see :func:`level_series`)."""

    def bad(what, value, fix=None):
        return DataError(what, source=source, field=field, value=value, fix=fix)

    if not isinstance(x, pd.Series):
        raise bad("expected a pandas Series indexed by date", type(x).__name__)
    try:
        idx = pd.DatetimeIndex(x.index)
    except (TypeError, ValueError):
        raise bad("the index is not made of dates", x.index[:3].tolist()) from None
    if idx.tz is not None:
        raise bad(
            "dates carry a time zone",
            str(idx.tz),
            "give plain calendar dates (series.tz_localize(None) after converting to the "
            "exchange's zone)",
        )
    timed = idx != idx.normalize()
    if timed.any():
        raise bad(
            "a date carries a time of day",
            str(idx[timed][0]),
            "give one value per calendar date (normalise the timestamps)",
        )
    return idx


def compound(returns) -> float:
    """Compound period returns: :math:`R = \\prod_t (1 + r_t) - 1` (0 for an empty input)."""
    r = np.asarray(returns, dtype=float)
    return float(np.prod(1.0 + r) - 1.0)


def total_return(levels: pd.Series) -> float:
    """Period total return from levels: :math:`L_T / L_0 - 1`."""
    v = np.asarray(levels, dtype=float)
    return float(v[-1] / v[0] - 1.0)


def annualise_return(
    total: float, n_periods: int, periods_per_year: int = PERIODS_PER_YEAR
) -> float:
    """Geometric annualisation: :math:`(1 + R)^{p / n} - 1`; NaN when ``n_periods`` is 0 or :math:`R \\le -1`; inf on overflow."""
    if n_periods <= 0 or not np.isfinite(total) or total <= -1.0:
        return float("nan")
    with np.errstate(over="ignore"):
        grown = np.power(np.float64(1.0 + total), periods_per_year / n_periods)
    return float(grown - 1.0)  # inf when the annualised figure overflows (absurdly short/large)


def annualise_vol(std: float, periods_per_year: int = PERIODS_PER_YEAR) -> float:
    """Annualised volatility from a per-period standard deviation: :math:`\\sigma \\sqrt{p}`."""
    return float(std * np.sqrt(periods_per_year))


def annualise_mean(mean: float, periods_per_year: int = PERIODS_PER_YEAR) -> float:
    """Arithmetic annualisation of a mean per-period return: :math:`\\bar r \\cdot p`."""
    return float(mean * periods_per_year)


def year_fraction(n_periods: int, periods_per_year: int = PERIODS_PER_YEAR) -> float:
    """Length in years of ``n_periods`` sessions: :math:`n / p`."""
    return float(n_periods / periods_per_year)


def act365(start, end) -> float:
    """Calendar-day year fraction ACT/365: :math:`(end - start)_{days} / 365`."""
    return float((pd.Timestamp(end) - pd.Timestamp(start)).days / DAYS_PER_YEAR)


def sample_std(x, ddof: int = DDOF) -> float:
    """Sample standard deviation :math:`\\sqrt{\\sum (x - \\bar x)^2 / (n - ddof)}`; NaN when ``n <= ddof``."""
    a = np.asarray(x, dtype=float)
    if a.size <= ddof:
        return float("nan")
    return float(np.std(a, ddof=ddof))


__all__ = [
    "DAYS_PER_YEAR",
    "DDOF",
    "DEFAULT",
    "PERIODS_PER_YEAR",
    "Conventions",
    "act365",
    "annualise_mean",
    "annualise_return",
    "annualise_vol",
    "check_levels",
    "compound",
    "level_series",
    "sample_std",
    "simple_returns",
    "total_return",
    "year_fraction",
]
