"""The HKD->CNY valuation fixing: one place that reads it onto sessions and converts with it.

A fixing :math:`fx_t` is in CNY per HKD (about 0.9 in 2025).  Every stage that needs it (the fund's
NAV in CNY, a benchmark in CNY, the tracking report) goes through :func:`on_sessions` and
:func:`to_cny`, so a gap, a duplicated date or a non-positive value is reported the same way
everywhere.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine._args import raise_at_first
from engine.errors import DataError


def fx_series(fx) -> pd.Series:
    """The fixing as a Series of CNY per HKD: ``fx`` itself, a ``MarketData``'s ``.fx``, or the
    ``fx`` column of a fund's NAV frame."""
    if hasattr(fx, "fx") and isinstance(fx.fx, pd.Series):
        return fx.fx
    if isinstance(fx, pd.DataFrame) and "fx" in fx.columns:
        return fx["fx"]
    if isinstance(fx, pd.Series):
        return fx
    raise DataError(
        "fx must be a Series of CNY per HKD indexed by date (or a MarketData)",
        field="fx",
        value=type(fx).__name__,
        fix="pass market.fx",
    )


def on_sessions(fx, dates: pd.DatetimeIndex, *, source: str = "fx") -> np.ndarray:
    """The fixing on every date of ``dates`` as an array.

    Raises
    ------
    DataError
        A duplicated fixing date, or a date of ``dates`` with no positive, finite fixing (the first
        such date named, with the count).
    """
    series = fx_series(fx)
    series = pd.Series(
        pd.to_numeric(series, errors="coerce").to_numpy(dtype=float),
        index=pd.DatetimeIndex(pd.to_datetime(series.index)).normalize(),
    )
    if series.index.has_duplicates:
        raise DataError(
            "duplicated fixing date",
            source=source,
            date=series.index[series.index.duplicated()][0],
            field="hkd_cny",
            fix="keep one fixing per date",
        )
    values = series.reindex(dates).to_numpy(dtype=float)
    bad = ~np.isfinite(values) | (values <= 0)
    raise_at_first(
        bad,
        f"the HKD->CNY fixing is missing or non-positive on {int(bad.sum())} date(s)",
        source=source,
        date=dates,
        field="hkd_cny",
        value=values,
        fix="provide a positive fixing (CNY per HKD) for every HKEX session from the start",
    )
    return values


def to_cny(levels_hkd: pd.Series, fx, *, source: str = "benchmark") -> pd.Series:
    """An HKD level series in CNY at the fixing: :math:`L^{CNY}_t = L_t \\, fx_t / fx_0`, :math:`0` the
    first date of ``levels_hkd`` (a level, not an amount: the first value is kept)."""
    rate = on_sessions(fx, pd.DatetimeIndex(levels_hkd.index), source=source)
    return pd.Series(
        levels_hkd.to_numpy(dtype=float) * rate / rate[0],
        index=levels_hkd.index,
        name=levels_hkd.name,
    )


def is_placeholder(fx) -> bool:
    """True when ``fx`` is the placeholder fixing: exactly 1.0 on every session (and not empty).

    No real HKD->CNY fixing is 1.0 over a whole history, so the placeholder is recognised from the
    values themselves; it survives a write/read of the market folder without extra bookkeeping.
    """
    values = np.asarray(fx, dtype=float)
    return bool(len(values)) and bool(np.all(values == 1.0))


__all__ = ["fx_series", "is_placeholder", "on_sessions", "to_cny"]
