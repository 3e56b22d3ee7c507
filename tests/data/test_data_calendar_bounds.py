"""Session ranges past the end of exchange_calendars' XHKG are clipped, not an exception."""

from __future__ import annotations

import pandas as pd

from engine.data.calendar import _calendar, hkex_sessions


def test_range_past_the_calendar_end_is_clipped_to_its_last_session():
    last = pd.Timestamp(_calendar().last_session)
    got = hkex_sessions(last - pd.Timedelta(days=10), last + pd.Timedelta(days=40))
    assert got[-1] == last and len(got) >= 5
    assert len(hkex_sessions(last + pd.Timedelta(days=5), last + pd.Timedelta(days=40))) == 0
