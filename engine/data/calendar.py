"""The HKEX trading calendar (``exchange_calendars`` calendar ``XHKG``)."""

from __future__ import annotations

import warnings
from functools import lru_cache

import pandas as pd

from engine.errors import CalendarError, describe

CALENDAR_NAME = "XHKG"


@lru_cache(maxsize=1)
def _calendar():
    import exchange_calendars as xcals

    with warnings.catch_warnings():
        # exchange_calendars 4.13 still calls pandas APIs that pandas 3.1 deprecates; not ours to fix
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        return xcals.get_calendar(CALENDAR_NAME, start="2000-01-03")


@lru_cache(maxsize=32)
def hkex_sessions(start: str | pd.Timestamp, end: str | pd.Timestamp) -> pd.DatetimeIndex:
    """HKEX trading sessions from ``start`` to ``end`` inclusive, as a tz-naive ``DatetimeIndex``.

    The range is clipped to the sessions the calendar knows (exchange_calendars builds XHKG up to a
    year or so ahead): a request that reaches past them, such as the rules calendar padding after
    data that end near the calendar's last session, gets the known sessions, not an exception."""
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    if end < start:
        raise CalendarError(
            describe("calendar end before start", date=end, value=str(start.date()))
        )
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


def check_sessions(dates: pd.DatetimeIndex, *, source: str) -> None:
    """Raise :class:`CalendarError` naming the first date in ``dates`` that is not an HKEX session."""
    if len(dates) == 0:
        return
    sessions = hkex_sessions(dates.min(), dates.max())
    bad = dates.difference(sessions)
    if len(bad):
        raise CalendarError(
            describe(
                f"{len(bad)} date(s) are not HKEX trading sessions",
                source=source,
                date=bad[0],
                fix="remove weekend/holiday rows or check the date column's format",
            )
        )
