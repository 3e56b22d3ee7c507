"""Review dates: observed 2025 dates, holidays, history chaining, filtering and error paths."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from engine.data import hkex_sessions
from engine.errors import CalendarError
from engine.rules import REVIEW_DATE_COLUMNS, load_history, load_methodology, review_dates
from engine.rules.calendar import first_friday

T = pd.Timestamp
SESSIONS = hkex_sessions("2019-06-03", "2026-03-31")


@pytest.fixture(scope="module")
def history_dates():
    return review_dates(load_history("hsidi"), SESSIONS)


def test_columns_and_order(history_dates):
    assert list(history_dates.columns) == REVIEW_DATE_COLUMNS
    assert history_dates["effective_date"].is_monotonic_increasing
    assert (history_dates["cutoff_date"] <= history_dates["announcement_date"]).all()
    assert (history_dates["announcement_date"] <= history_dates["cap_date"]).all()
    assert (history_dates["cap_date"] < history_dates["effective_date"]).all()


def test_2025_dates_match_the_observed_calendar(history_dates):
    d = history_dates[history_dates["effective_date"].dt.year == 2025].set_index("effective_date")
    assert list(d.index) == [
        T("2025-03-10"),
        T("2025-06-09"),
        T("2025-08-11"),
        T("2025-09-08"),
        T("2025-12-08"),
    ]
    assert list(d["kind"]) == ["regular", "regular", "extraordinary", "regular", "regular"]
    # the out-of-cycle revision review [S3][S4]
    extra = d.loc[T("2025-08-11")]
    assert (extra["cutoff_date"], extra["announcement_date"], extra["cap_date"]) == (
        T("2025-06-30"),
        T("2025-08-01"),
        T("2025-08-08"),  # Friday before the Monday effective date
    )
    # announcements 11 sessions before, as observed for 10 Mar [S43], 8 Sep [S23] and 8 Dec [S42]
    assert d.loc[T("2025-03-10"), "announcement_date"] == T("2025-02-21")
    assert d.loc[T("2025-09-08"), "announcement_date"] == T("2025-08-22")
    assert d.loc[T("2025-12-08"), "announcement_date"] == T("2025-11-21")
    # cut-offs: last session of the month three months before
    assert d.loc[T("2025-03-10"), "cutoff_date"] == T("2024-12-31")
    assert d.loc[T("2025-09-08"), "cutoff_date"] == T("2025-06-30")
    assert d.loc[T("2025-12-08"), "cutoff_date"] == T("2025-09-30")
    assert d.loc[T("2025-12-08"), "cap_date"] == T("2025-12-05")


def test_history_chaining_assigns_versions(history_dates):
    d = history_dates.set_index("effective_date")["methodology"]
    assert d[T("2025-06-09")] == "hsidi-2023-05"
    assert d[T("2025-08-11")] == "hsidi-2025-08"
    assert d[T("2025-09-08")] == "hsidi-2025-08"
    assert d[T("2026-03-09")] == "hsidi-2025-08"
    assert (d[d.index < T("2025-08-11")] == "hsidi-2023-05").all()
    assert (d[d.index >= T("2025-08-11")] == "hsidi-2025-08").all()


def test_initial_review(history_dates):
    first = history_dates.iloc[0]
    assert first["kind"] == "initial" and first["methodology"] == "hsidi-2023-05"
    assert (
        first["cutoff_date"] == first["cap_date"] == first["announcement_date"] == T("2019-12-31")
    )
    assert first["effective_date"] == T("2020-01-02")  # 1 Jan is a holiday
    assert (history_dates["kind"] == "initial").sum() == 1


def test_friday_holiday_moves_the_last_old_session():
    # Fri 3 Jun 2022 was the Tuen Ng holiday: the old composition ends Thu 2 Jun, new from Mon 6 Jun
    d = review_dates(load_methodology("hsidi-2023-05"), SESSIONS).set_index("effective_date")
    assert T("2022-06-06") in d.index
    assert d.loc[T("2022-06-06"), "cap_date"] == T("2022-06-02")
    # Mon 10 Jun 2024 was a holiday (Tuen Ng): effective Tue 11 Jun, after Fri 7 Jun
    assert d.loc[T("2024-06-11"), "cap_date"] == T("2024-06-07")
    # 30 Sep 2023 was a Saturday: the December cut-off is Fri 29 Sep
    assert d.loc[T("2023-12-04"), "cutoff_date"] == T("2023-09-29")


def _oracle_effective(year: int, month: int) -> pd.Timestamp:
    """Walk the days: find the first Friday, step back to a session, then forward to the next session."""
    day = dt.date(year, month, 1)
    while day.weekday() != 4:
        day += dt.timedelta(days=1)
    sessions = set(SESSIONS.date)
    while day not in sessions:
        day -= dt.timedelta(days=1)
    day += dt.timedelta(days=1)
    while day not in sessions:
        day += dt.timedelta(days=1)
    return T(day)


def test_regular_dates_match_a_day_walking_oracle():
    d = review_dates(load_methodology("hsidi-2023-05"), SESSIONS)
    regular = d[d["kind"] == "regular"]
    expected = [
        _oracle_effective(y, m)
        for y in range(2020, 2027)
        for m in (3, 6, 9, 12)
        if first_friday(y, m) < SESSIONS[-1] - pd.Timedelta(days=10)
    ]
    assert list(regular["effective_date"]) == expected
    assert first_friday(2025, 8) == T("2025-08-01") and first_friday(2025, 3) == T("2025-03-07")


def test_single_versions():
    launch = review_dates(load_methodology("hsidi-2023-05"), SESSIONS)
    assert not (launch["kind"] == "extraordinary").any()
    assert set(launch["methodology"]) == {"hsidi-2023-05"}
    rev = review_dates(load_methodology("hsidi-2025-08"), SESSIONS)
    # a single version governs the whole back-history and keeps its own extra review
    assert set(rev["methodology"]) == {"hsidi-2025-08"}
    assert rev["effective_date"].iloc[0] == T("2020-01-02")
    assert (rev["kind"] == "extraordinary").sum() == 1


def test_market_range_filter():
    sessions = hkex_sessions("2025-01-02", "2025-09-05")
    d = review_dates(load_history("hsidi"), sessions)
    # no initial review (base date outside), no cut-off before the data, nothing effective after the end
    assert list(d["effective_date"]) == [T("2025-06-09"), T("2025-08-11")]
    assert review_dates(load_history("hsidi"), pd.DatetimeIndex([])).empty


def test_semiannual_and_explicit_variants():
    semi = load_methodology("hsidi-2025-08").replace(frequency="semiannual", months=[3, 9])
    d = review_dates(semi, SESSIONS)
    assert set(d.loc[d["kind"] == "regular", "effective_date"].dt.month) == {3, 9}
    explicit = load_methodology("hsidi-2025-08").replace(
        frequency="explicit", explicit_effective_dates=["2024-01-02", "2025-01-02"]
    )
    d = review_dates(explicit, SESSIONS)
    reg = d[d["kind"] == "regular"]
    assert list(reg["effective_date"]) == [T("2024-01-02"), T("2025-01-02")]
    assert list(reg["cutoff_date"]) == [T("2023-10-31"), T("2024-10-31")]  # 3 months before January


def test_extra_review_replaces_a_regular_one_on_the_same_day():
    m = load_methodology("hsidi-2023-05")
    from engine.rules.methodology import ExtraReview

    extra = ExtraReview(
        effective=T("2025-03-10"), cutoff=T("2025-01-24"), announcement=T("2025-02-28")
    )
    d = review_dates(m.replace(extra=(extra,)), SESSIONS).set_index("effective_date")
    assert d.loc[T("2025-03-10"), "kind"] == "extraordinary"
    assert d.loc[T("2025-03-10"), "cutoff_date"] == T("2025-01-24")


def test_calendar_errors_name_the_field_and_date():
    m = load_methodology("hsidi-2025-08")
    with pytest.raises(CalendarError, match="base date is not an HKEX session") as exc:
        review_dates(m.replace(base_date="2019-12-28"), SESSIONS)
    assert "index.base_date" in str(exc.value) and "2019-12-28" in str(exc.value)
    with pytest.raises(CalendarError, match="explicit effective date") as exc:
        review_dates(
            m.replace(frequency="explicit", explicit_effective_dates=["2025-01-04"]), SESSIONS
        )
    assert "2025-01-04" in str(exc.value)
    from engine.rules.methodology import ExtraReview

    bad = ExtraReview(
        effective=T("2025-08-10"), cutoff=T("2025-06-30"), announcement=T("2025-08-01")
    )
    with pytest.raises(CalendarError, match="extra review effective date") as exc:
        review_dates(m.replace(extra=(bad,)), SESSIONS)
    assert "schedule.extra.effective" in str(exc.value) and "2025-08-10" in str(exc.value)


def test_a_shift_off_the_calendar_names_the_setting():
    from engine.data import hkex_sessions
    from engine.errors import CalendarError
    from engine.rules.calendar import _shift

    sessions = hkex_sessions("2025-01-02", "2025-03-31")
    with pytest.raises(CalendarError, match=r"field=weighting.cap_factor_lag_sessions.*lower"):
        _shift(sessions, sessions[0], -1, "effective date", "weighting.cap_factor_lag_sessions")
    assert _shift(sessions, sessions[2], -1, "effective date") == sessions[1]
