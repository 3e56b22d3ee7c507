"""Review dates: cut-off, announcement, cap date and effective date of every review.

Regular reviews follow HSI practice [S41][S42]: the new composition takes effect after the close of the
first Friday of each review month, i.e. from the next session (normally the Monday).  If that Friday is
a holiday, the last session on or before it is the last day of the old composition.

* ``effective_date``: the first session after the last session on or before the first Friday;
* ``cutoff_date``: the last HKEX session of the month ``cutoff_months_before`` months before the
  effective month (data as of that close are used for screens and ranking);
* ``announcement_date``: ``announcement_sessions_before`` sessions before ``effective_date``;
* ``cap_date``: ``cap_factor_lag_sessions`` sessions before ``effective_date`` (close used for shares,
  free float, weights and cap factors).

With ``frequency = "month_end"`` the review day :math:`R` is the last HKEX session of each review month
instead: ``effective_date`` is ``effective_sessions_after`` sessions after :math:`R`, and
``cutoff_date`` is the last session of the month ``cutoff_months_before`` months before :math:`R`'s
month (:math:`R` itself with 0).  ``announcement_date`` and ``cap_date`` are placed as above, counted
back from ``effective_date``.

The initial review (kind ``"initial"``) has ``cutoff = announcement = cap_date = base_date`` and takes
effect on the session after the base date.  Out-of-cycle reviews (``[[schedule.extra]]``, kind
``"extraordinary"``) carry their own effective, cut-off and announcement dates.
"""

from __future__ import annotations

import calendar
from collections import Counter

import numpy as np
import pandas as pd

from engine.data.calendar import hkex_sessions
from engine.errors import CalendarError, MethodologyError, describe
from engine.rules.methodology import Methodology, MethodologyHistory

REVIEW_DATE_COLUMNS = [
    "kind",
    "methodology",
    "cutoff_date",
    "announcement_date",
    "cap_date",
    "effective_date",
]

# sessions are generated this far around the requested range so that cut-offs (months before) and
# effective dates (days after) can be placed
_PAD_BEFORE = pd.DateOffset(months=14)
_PAD_AFTER = pd.DateOffset(days=40)


def _sessions(start: pd.Timestamp, end: pd.Timestamp, closures=()) -> _Cal:
    return _Cal(
        hkex_sessions(
            pd.Timestamp(start) - _PAD_BEFORE, pd.Timestamp(end) + _PAD_AFTER, closures=closures
        )
    )


class _Cal:
    """Sessions as nanosecond integers, for fast position lookups (the dates of a review plan are
    placed with a few hundred of them)."""

    __slots__ = ("ns",)

    def __init__(self, sessions):
        self.ns = np.asarray(pd.DatetimeIndex(sessions).as_unit("ns").asi8)

    def __len__(self) -> int:
        return len(self.ns)

    def right(self, date) -> int:
        """Number of sessions on or before ``date``."""
        return int(np.searchsorted(self.ns, _ns(date), side="right"))

    def at(self, pos: int) -> pd.Timestamp:
        return pd.Timestamp(int(self.ns[pos]))


def _ns(date) -> int:
    return pd.Timestamp(date).as_unit("ns").value


def _cal(sessions) -> _Cal:
    return sessions if isinstance(sessions, _Cal) else _Cal(sessions)


def _month_end(year: int, month: int) -> pd.Timestamp:
    """Last calendar day of ``year-month`` (``month`` may run outside 1..12)."""
    y, m = divmod(year * 12 + month - 1, 12)
    return pd.Timestamp(year=y, month=m + 1, day=calendar.monthrange(y, m + 1)[1])


def _month_end_ns(months: np.ndarray) -> np.ndarray:
    """Last calendar day (midnight, ns) of each month ``year * 12 + month - 1``."""
    first_next = (months - 1970 * 12 + 1).astype("datetime64[M]").astype("datetime64[D]")
    return (first_next - 1).astype("datetime64[ns]").view(np.int64)


def _session_pos(sessions, date, what: str, *, fix: str = "use a trading day", **where) -> int:
    """Position of ``date`` in ``sessions``; :class:`CalendarError` naming ``what`` (and ``where``:
    source, field) when it is not a session."""
    cal = _cal(sessions)
    pos = cal.right(date) - 1
    if pos < 0 or cal.ns[pos] != _ns(date):
        raise CalendarError(describe(f"{what} is not an HKEX session", date=date, fix=fix, **where))
    return pos


def _shift(
    sessions, date: pd.Timestamp, n: int, what: str, setting: str | None = None
) -> pd.Timestamp:
    """The session ``n`` sessions away from session ``date`` (negative = earlier); ``setting``
    names the methodology setting that asks for the shift (in the error)."""
    cal = _cal(sessions)
    pos = _session_pos(cal, date, what)
    if not 0 <= pos + n < len(cal):
        raise CalendarError(
            describe(
                f"{what} shifted by {n} sessions leaves the calendar",
                date=date,
                field=setting,
                fix=f"start the market data earlier or lower {setting}" if setting else None,
            )
        )
    return cal.at(pos + n)


def first_friday(year: int, month: int) -> pd.Timestamp:
    """First Friday of a month."""
    first = pd.Timestamp(year=year, month=month, day=1)
    return first + pd.Timedelta(days=(4 - first.day_of_week) % 7)


def regular_effective_date(sessions, year: int, month: int) -> pd.Timestamp:
    """First session after the last session on or before the first Friday of ``year-month``."""
    cal = _cal(sessions)
    friday = first_friday(year, month)
    last_old = cal.right(friday) - 1
    if last_old < 0 or last_old + 1 >= len(cal):
        raise CalendarError(describe("review month outside the calendar", date=friday))
    return cal.at(last_old + 1)


def month_end_session(sessions, year: int, month: int) -> pd.Timestamp:
    """Last session on or before the last calendar day of ``year-month``."""
    cal = _cal(sessions)
    end = _month_end(year, month)
    pos = cal.right(end) - 1
    if pos < 0:
        raise CalendarError(describe("review month outside the calendar", date=end))
    return cal.at(pos)


def cutoff_for(sessions, effective: pd.Timestamp, months_before: int) -> pd.Timestamp:
    """Last session of the month ``months_before`` months before the effective month."""
    cal = _cal(sessions)
    end = _month_end(effective.year, effective.month - months_before)
    pos = cal.right(end) - 1
    if pos < 0:
        raise CalendarError(describe("cut-off month outside the calendar", date=end))
    return cal.at(pos)


def _row(kind, m: Methodology, cutoff, announcement, cap_date, effective) -> dict:
    return {
        "kind": kind,
        "methodology": m.name,
        "cutoff_date": pd.Timestamp(cutoff),
        "announcement_date": pd.Timestamp(announcement),
        "cap_date": pd.Timestamp(cap_date),
        "effective_date": pd.Timestamp(effective),
    }


def _regular(m: Methodology, sessions, start: pd.Timestamp, stop: pd.Timestamp | None, end) -> list:
    """Regular reviews of ``m`` with effective date in ``(start, stop)`` and ``<= end``."""
    sch = m.schedule
    if sch.frequency == "explicit":
        effective = []
        for d in sch.explicit_effective_dates:
            _session_pos(
                sessions,
                d,
                "explicit effective date",
                source=m.source or m.name,
                field="schedule.explicit_effective_dates",
                fix="use the first session of the new composition",
            )
            effective.append(d)
    elif sch.frequency == "month_end":
        months = np.array(
            [
                y * 12 + mo - 1
                for y in range(start.year, end.year + 1)
                for mo in sorted(sch.months)
                if pd.Timestamp(year=y, month=mo, day=1) <= end
            ],
            dtype=np.int64,
        )
        day = np.searchsorted(sessions.ns, _month_end_ns(months), "right") - 1
        if (day < 0).any():  # name the month
            k = int(np.flatnonzero(day < 0)[0])
            month_end_session(sessions, int(months[k] // 12), int(months[k] % 12) + 1)
        # a review day whose effective date lies past the sessions the calendar knows is also past
        # the data (market dates are calendar sessions), so it is not a review of this run
        day = day[day + sch.effective_sessions_after <= len(sessions) - 1]
        review_days = [sessions.at(int(d)) for d in day]
        effective = [sessions.at(int(d) + sch.effective_sessions_after) for d in day]
    else:
        effective = [
            regular_effective_date(sessions, y, mo)
            for y in range(start.year, end.year + 1)
            for mo in sorted(sch.months)
            if pd.Timestamp(year=y, month=mo, day=1) <= end
        ]
    # the other dates of every kept review at once, on integer session positions
    eff_ns = np.array([_ns(e) for e in effective], dtype=np.int64)
    keep = (eff_ns > _ns(start)) & (eff_ns <= _ns(end))
    if stop is not None:
        keep &= eff_ns < _ns(stop)
    kept = np.flatnonzero(keep)
    if not len(kept):
        return []
    eff_ns = eff_ns[kept]
    ref = review_days if sch.frequency == "month_end" else effective  # cut-off months count from
    months = np.array([ref[i].year * 12 + ref[i].month - 1 for i in kept], dtype=np.int64)
    months -= sch.cutoff_months_before
    cut = np.searchsorted(sessions.ns, _month_end_ns(months), "right")
    pos = np.searchsorted(sessions.ns, eff_ns)
    shifts = (sch.announcement_sessions_before, m.weighting.cap_factor_lag_sessions)
    if (cut < 1).any() or (pos - max(shifts) < 0).any():  # name the first failure
        names = ("schedule.announcement_sessions_before", "weighting.cap_factor_lag_sessions")
        for i in kept:
            cutoff_for(sessions, ref[i], sch.cutoff_months_before)
            for n, name in zip(shifts, names, strict=True):
                _shift(sessions, effective[i], -n, "effective date", name)
    ns = sessions.ns
    return [
        _row(
            "regular",
            m,
            pd.Timestamp(int(ns[c - 1])),
            pd.Timestamp(int(ns[p - shifts[0]])),
            pd.Timestamp(int(ns[p - shifts[1]])),
            pd.Timestamp(int(e)),
        )
        for c, p, e in zip(cut.tolist(), pos.tolist(), eff_ns.tolist(), strict=True)
    ]


def _extras(m: Methodology, sessions, start: pd.Timestamp, end: pd.Timestamp) -> list:
    rows = []
    where = m.source or m.name
    for i, x in enumerate(m.schedule.extra):
        if x.effective <= start:
            raise MethodologyError(
                describe(
                    "extra review takes effect on or before the initial review (the session after "
                    "the index base date), so it could never apply",
                    source=where,
                    date=x.effective,
                    field=f"schedule.extra[{i}].effective",
                    value=f"initial review effective {start.date()}",
                    fix="remove the extra review or move the base date before it",
                )
            )
        if x.effective > end:
            continue
        for name, d in (
            ("effective", x.effective),
            ("cutoff", x.cutoff),
            ("announcement", x.announcement),
        ):
            _session_pos(
                sessions,
                d,
                f"extra review {name} date",
                source=where,
                field=f"schedule.extra.{name}",
            )
        cap = _shift(
            sessions,
            x.effective,
            -m.weighting.cap_factor_lag_sessions,
            "effective date",
            "weighting.cap_factor_lag_sessions",
        )
        rows.append(_row("extraordinary", m, x.cutoff, x.announcement, cap, x.effective))
    return rows


def review_dates(methodology: Methodology | MethodologyHistory, market_dates) -> pd.DataFrame:
    """Every review of a methodology (or history) that falls inside the market's date range.

    Parameters
    ----------
    methodology
        A :class:`Methodology` (applied to the whole history from its base date) or a
        :class:`MethodologyHistory` (each regular review uses the version in force on its effective
        date; extra reviews come from the version that declares them). A version's rules therefore
        apply from its first review on or after its ``effective_from``; a version without an extra
        review on that date waits for its first regular one.
    market_dates
        The market's sessions (a ``DatetimeIndex``) or a ``MarketData``, whose declared
        ``closures`` are then not sessions of the review calendar either (a cut-off that would fall
        on one moves to the session before, as for the closures ``XHKG`` knows).

    Returns
    -------
    DataFrame
        Columns :data:`REVIEW_DATE_COLUMNS`, one row per review, in effective-date order.  Kept: the
        initial review when the base date is a market session, then every review with
        ``cutoff_date >= `` the first market session and ``effective_date <=`` the last one.  When an
        extra review and a regular one share an effective date, the extra one replaces it.
    """
    closures = getattr(market_dates, "closures", ())
    dates = pd.DatetimeIndex(getattr(market_dates, "dates", market_dates))
    if len(dates) == 0:
        return pd.DataFrame(columns=REVIEW_DATE_COLUMNS)
    history = (
        methodology
        if isinstance(methodology, MethodologyHistory)
        else MethodologyHistory(methodology.name, (methodology,))
    )
    first = history.first
    base = first.index.base_date
    lo, hi = dates[0], dates[-1]
    sessions = _sessions(min(base, lo), max(base, hi), closures)
    _session_pos(
        sessions,
        base,
        "index base date",
        source=first.source or first.name,
        field="index.base_date",
        fix="use a trading day as the base date",
    )
    initial_eff = _shift(sessions, base, 1, "base date")
    rows = [_row("initial", first, base, base, base, initial_eff)]
    single = len(history.versions) == 1
    for m in history.versions:
        start = (
            initial_eff
            if (single or m is first)
            else max(initial_eff, m.effective_from - pd.Timedelta(days=1))
        )
        stop = None if single else history.until(m)
        rows += _regular(m, sessions, start, stop, hi)
        rows += _extras(m, sessions, initial_eff, hi)
    # an extra review replaces a regular one on the same effective date
    extra_days = {r["effective_date"] for r in rows if r["kind"] == "extraordinary"}
    rows = [
        r
        for r in rows
        if not (r["kind"] == "regular" and r["effective_date"] in extra_days)
        and r["effective_date"] <= hi
        and r["cutoff_date"] >= lo
    ]
    rows.sort(key=lambda r: r["effective_date"])  # stable
    days = Counter(r["effective_date"] for r in rows)
    clash = [r for r in rows if days[r["effective_date"]] > 1]
    if clash:
        raise CalendarError(
            describe(
                "two reviews take effect on the same date",
                date=clash[0]["effective_date"],
                value=[r["methodology"] for r in clash],
                fix="remove one of the extra reviews",
            )
        )
    return pd.DataFrame(
        {
            c: [r[c] for r in rows] if c in ("kind", "methodology") else _dates_of(rows, c)
            for c in REVIEW_DATE_COLUMNS
        },
        columns=REVIEW_DATE_COLUMNS,
    )


def _dates_of(rows: list, column: str) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(np.array([_ns(r[column]) for r in rows], dtype="datetime64[ns]"))


__all__ = [
    "REVIEW_DATE_COLUMNS",
    "cutoff_for",
    "first_friday",
    "month_end_session",
    "regular_effective_date",
    "review_dates",
]
