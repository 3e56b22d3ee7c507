"""The HKEX trading calendar: ``exchange_calendars``' ``XHKG`` less the closures it does not list.

``XHKG`` knows the regular holidays and most whole-day weather closures (typhoon signal 8 or above,
black rainstorm), for example 2016-10-21, 2017-08-23, 2023-07-17 and 2024-09-06.  It misses some:
:data:`EXTRA_CLOSURES` lists each whole-day closure confirmed by an HKEX notice that the installed
``XHKG`` still treats as a session, with its reason and source.  :func:`hkex_sessions` removes them,
so every part of the engine that asks for HKEX sessions (data validation, the review calendar, the
default market, fund flows) agrees that the exchange was shut.  A user declares further closures per
market (``MarketData.from_frames(..., closures=[...])``, ``read_folder(..., closures=...)``, the
``closures`` list of a data folder's ``meta.json``, ``onboard(..., closures=...)`` or the CLI's
``--closure DATE``); those reach :func:`hkex_sessions` through its ``closures`` argument.

Since 2024-09-23 HKEX keeps trading under a typhoon signal 8 or a black rainstorm warning (severe
weather trading), so no new weather closures are expected; a half-day cancellation (a morning
session lost to a signal lowered before noon) is an ordinary session with one close.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from engine.errors import CalendarError

CALENDAR_NAME = "XHKG"


@dataclass(frozen=True)
class Closure:
    """A whole-day HKEX closure: the date, why the exchange was shut, and where that is recorded."""

    date: pd.Timestamp
    reason: str
    source: str


EXTRA_CLOSURES: tuple[Closure, ...] = (
    Closure(
        pd.Timestamp("2023-09-01"),
        "Typhoon Signal No. 8 (Saola): every trading session of the securities and derivatives "
        "markets cancelled",
        "HKEX market communication 'No Trading Today in Securities and Derivatives Markets Due to "
        "Issuance of Typhoon Signal No. 8', 2023-09-01, https://www.hkex.com.hk/News/"
        "Market-Communications/2023/2309012news?sc_lang=en; missing from exchange_calendars 4.13 "
        "XHKG (gerrymanoim/exchange_calendars issue 600)",
    ),
    Closure(
        pd.Timestamp("2023-09-08"),
        "Black Rainstorm Warning and Extreme Conditions: every trading session cancelled",
        "HKEX market communication 'No Trading Today in Securities and Derivatives Markets Due to "
        "Black Rainstorm Warning and Extreme Conditions', 2023-09-08, https://www.hkex.com.hk/News/"
        "Market-Communications/2023/2309083news?sc_lang=en; missing from exchange_calendars 4.13 "
        "XHKG (gerrymanoim/exchange_calendars issue 600)",
    ),
)
"""Whole-day HKEX closures that the ``XHKG`` calendar of ``exchange_calendars`` lists as sessions.

Each is confirmed by an HKEX notice (``source``).  The real vendor files in the project's data
(yfinance, 78 HK healthcare codes, 2009-2025) have no row for any code on these two dates, and
every other ``XHKG`` session of 2009-2025 has a row for some code except 2012-03-19, which no HKEX
notice marks as a closure (a vendor gap; it stays a session).  A newer ``exchange_calendars`` that
lists these dates itself changes nothing: the two lists are merged."""


def closure_dates(closures: Iterable | None = ()) -> tuple[pd.Timestamp, ...]:
    """The dates of ``closures`` (dates, strings or :class:`Closure`) as sorted unique tz-naive
    timestamps (what :class:`MarketData` stores in ``closures``); :class:`CalendarError` for a
    value that is not a date."""
    if closures is None:
        return ()
    if isinstance(closures, str | pd.Timestamp | Closure):
        closures = [closures]
    out = set()
    for c in closures:
        raw = c.date if isinstance(c, Closure) else c
        try:
            ts = pd.Timestamp(raw)
        except (TypeError, ValueError) as exc:
            raise CalendarError(
                f"unparseable closure date ({exc})",
                field="closures",
                value=raw,
                fix="write closure dates as YYYY-MM-DD",
            ) from None
        if pd.isna(ts):
            raise CalendarError("closure date is missing", field="closures", value=raw)
        if ts.tzinfo is not None:
            ts = ts.tz_localize(None)
        if ts != ts.normalize():
            raise CalendarError(
                "a closure is a whole day, not a time",
                field="closures",
                value=str(raw),
                fix="write closure dates as YYYY-MM-DD",
            )
        out.add(ts)
    return tuple(sorted(out))


@lru_cache(maxsize=1)
def _calendar():
    import exchange_calendars as xcals

    with warnings.catch_warnings():
        # exchange_calendars 4.13 still calls pandas APIs that pandas 3.1 deprecates; not ours to fix
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        return xcals.get_calendar(CALENDAR_NAME, start="2000-01-03")


@lru_cache(maxsize=64)
def xhkg_sessions(start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
    """``XHKG`` sessions from ``start`` to ``end`` inclusive as ``exchange_calendars`` lists them
    (without :data:`EXTRA_CLOSURES`), tz-naive and clipped to the sessions the calendar knows.

    Only for what must not move when a closure is added: the default market's random draws are made
    on these sessions (see :mod:`engine.data.synthetic`)."""
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    if end < start:
        raise CalendarError("calendar end before start", date=end, value=str(start.date()))
    cal = _calendar()
    lo, hi = max(start, cal.first_session), min(end, cal.last_session)
    if hi < lo:
        sessions = pd.DatetimeIndex([])
    else:
        sessions = cal.sessions_in_range(lo, hi)
    idx = (
        pd.DatetimeIndex(sessions).tz_localize(None)
        if sessions.tz is not None
        else pd.DatetimeIndex(sessions)
    )
    idx.name = "date"
    return idx


def hkex_sessions(
    start: str | pd.Timestamp, end: str | pd.Timestamp, closures: Iterable | None = ()
) -> pd.DatetimeIndex:
    """HKEX trading sessions from ``start`` to ``end`` inclusive, as a tz-naive ``DatetimeIndex``.

    The ``XHKG`` sessions less :data:`EXTRA_CLOSURES` and less ``closures`` (further whole-day
    closures a user declares: dates or :class:`Closure`).  The range is clipped to the sessions the
    calendar knows (exchange_calendars builds XHKG up to a year or so ahead): a request that reaches
    past them, such as the rules calendar padding after data that end near the calendar's last
    session, gets the known sessions, not an exception."""
    return _sessions(pd.Timestamp(start), pd.Timestamp(end), closure_dates(closures))


@lru_cache(maxsize=64)
def _sessions(
    start: pd.Timestamp, end: pd.Timestamp, closures: tuple[pd.Timestamp, ...]
) -> pd.DatetimeIndex:
    idx = xhkg_sessions(start, end)
    shut = pd.DatetimeIndex([c.date for c in EXTRA_CLOSURES] + list(closures))
    out = idx.difference(shut) if idx.isin(shut).any() else idx
    out.name = "date"
    return out


def closure_reason(date, closures: Iterable | None = ()) -> str | None:
    """Why ``date`` is a whole-day closure (:data:`EXTRA_CLOSURES` or one of ``closures``), or
    None when it is not one of them."""
    ts = pd.Timestamp(date)
    for c in EXTRA_CLOSURES:
        if c.date == ts:
            return f"a whole-day HKEX closure: {c.reason}"
    if ts in closure_dates(closures):
        return "a whole-day closure declared for this market"
    return None


def check_sessions(dates: pd.DatetimeIndex, *, source: str, closures: Iterable | None = ()) -> None:
    """Raise :class:`CalendarError` naming the first date in ``dates`` that is not an HKEX session."""
    if len(dates) == 0:
        return
    sessions = hkex_sessions(dates.min(), dates.max(), closures)
    bad = dates.difference(sessions)
    if len(bad):
        why = closure_reason(bad[0], closures)
        raise CalendarError(
            f"{len(bad)} date(s) are not HKEX trading sessions"
            + (f" ({bad[0].date()} is {why})" if why else ""),
            source=source,
            date=bad[0],
            fix="drop the rows of a closed day"
            if why
            else "remove weekend/holiday rows or check the date column's format",
        )


__all__ = [
    "CALENDAR_NAME",
    "EXTRA_CLOSURES",
    "Closure",
    "check_sessions",
    "closure_dates",
    "closure_reason",
    "hkex_sessions",
    "xhkg_sessions",
]
