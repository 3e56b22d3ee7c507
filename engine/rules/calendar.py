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

import numpy as np
import pandas as pd

from engine.data.calendar import hkex_sessions
from engine.errors import CalendarError, MethodologyError
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
        raise CalendarError(f"{what} is not an HKEX session", date=date, fix=fix, **where)
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
            f"{what} shifted by {n} sessions leaves the calendar",
            date=date,
            field=setting,
            fix=f"start the market data earlier or lower {setting}" if setting else None,
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
        raise CalendarError("review month outside the calendar", date=friday)
    return cal.at(last_old + 1)


def _last_session(sessions, year: int, month: int, what: str) -> pd.Timestamp:
    """Last session on or before the last calendar day of ``year-month`` (``month`` may run
    outside 1..12); :class:`CalendarError` naming the ``what`` month when there is none."""
    cal = _cal(sessions)
    end = pd.Timestamp(int(_month_end_ns(np.array([year * 12 + month - 1]))[0]))
    pos = cal.right(end) - 1
    if pos < 0:
        raise CalendarError(f"{what} month outside the calendar", date=end)
    return cal.at(pos)


def month_end_session(sessions, year: int, month: int) -> pd.Timestamp:
    """Last session on or before the last calendar day of ``year-month``."""
    return _last_session(sessions, year, month, "review")


def cutoff_for(sessions, effective: pd.Timestamp, months_before: int) -> pd.Timestamp:
    """Last session of the month ``months_before`` months before the effective month."""
    return _last_session(sessions, effective.year, effective.month - months_before, "cut-off")


def _rows(kind: str, m: Methodology, *dates) -> dict:
    """Plan columns of reviews of one ``kind`` under ``m``: ``dates`` are the cut-off,
    announcement, cap and effective dates, each an int64 array of nanoseconds."""
    n = len(dates[0])
    out = {"kind": np.full(n, kind, dtype=object), "methodology": np.full(n, m.name, dtype=object)}
    for column, d in zip(REVIEW_DATE_COLUMNS[2:], dates, strict=True):
        out[column] = np.asarray(d, dtype=np.int64)
    return out


def _month_index(ns: np.ndarray) -> np.ndarray:
    """``year * 12 + month - 1`` of each date (nanoseconds)."""
    return ns.astype("datetime64[ns]").astype("datetime64[M]").astype(np.int64) + 1970 * 12


def _review_months(sch, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
    """``year * 12 + month - 1`` of every review month from ``start``'s year to ``end``'s month."""
    years = np.arange(start.year, end.year + 1, dtype=np.int64)
    months = (years[:, None] * 12 + np.array(sorted(sch.months), dtype=np.int64) - 1).ravel()
    return months[months <= end.year * 12 + end.month - 1]


def _friday_effective(sessions: _Cal, months: np.ndarray) -> np.ndarray:
    """Positions of :func:`regular_effective_date` of each month."""
    first = (months - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]")
    friday = first + (4 - (first.astype(np.int64) + 3)) % 7  # 1970-01-01 was a Thursday
    last_old = np.searchsorted(sessions.ns, friday.astype("datetime64[ns]").view(np.int64), "right")
    last_old -= 1
    bad = np.flatnonzero((last_old < 0) | (last_old + 1 >= len(sessions)))
    if len(bad):  # name the month
        k = int(months[bad[0]])
        regular_effective_date(sessions, k // 12, k % 12 + 1)
    return last_old + 1


def _month_end_effective(sessions: _Cal, months: np.ndarray, after: int):
    """Positions of the review days (last session of each month) and of their effective dates
    ``after`` sessions later, for the review days whose effective date the calendar knows."""
    day = np.searchsorted(sessions.ns, _month_end_ns(months), "right") - 1
    if (day < 0).any():  # name the month
        k = int(months[np.flatnonzero(day < 0)[0]])
        month_end_session(sessions, k // 12, k % 12 + 1)
    # a review day whose effective date lies past the sessions the calendar knows is also past
    # the data (market dates are calendar sessions), so it is not a review of this run
    day = day[day + after <= len(sessions) - 1]
    return day, day + after


def _explicit_effective(m: Methodology, sessions: _Cal) -> np.ndarray:
    """Positions of the explicit effective dates, each checked to be a session."""
    return np.array(
        [
            _session_pos(
                sessions,
                d,
                "explicit effective date",
                source=m.source or m.name,
                field="schedule.explicit_effective_dates",
                fix="use the first session of the new composition",
            )
            for d in m.schedule.explicit_effective_dates
        ],
        dtype=np.int64,
    )


def _regular(m: Methodology, sessions: _Cal, start: pd.Timestamp, stop, end) -> dict:
    """Regular reviews of ``m`` with effective date in ``(start, stop)`` and ``<= end``, placed on
    integer session positions."""
    sch = m.schedule
    if sch.frequency == "explicit":
        eff = _explicit_effective(m, sessions)
        ref = eff  # cut-off months count from the effective date ...
    elif sch.frequency == "month_end":  # ... or from the review day
        ref, eff = _month_end_effective(
            sessions, _review_months(sch, start, end), sch.effective_sessions_after
        )
    else:
        eff = ref = _friday_effective(sessions, _review_months(sch, start, end))
    ns = sessions.ns
    keep = (ns[eff] > _ns(start)) & (ns[eff] <= _ns(end))
    if stop is not None:
        keep &= ns[eff] < _ns(stop)
    eff, ref = eff[keep], ref[keep]
    cut = np.searchsorted(
        ns, _month_end_ns(_month_index(ns[ref]) - sch.cutoff_months_before), "right"
    )
    shifts = (sch.announcement_sessions_before, m.weighting.cap_factor_lag_sessions)
    if (cut < 1).any() or (eff - max(shifts) < 0).any():  # name the first failure
        names = ("schedule.announcement_sessions_before", "weighting.cap_factor_lag_sessions")
        for r, e in zip(ref, eff, strict=True):
            cutoff_for(sessions, sessions.at(int(r)), sch.cutoff_months_before)
            for n, name in zip(shifts, names, strict=True):
                _shift(sessions, sessions.at(int(e)), -n, "effective date", name)
    return _rows("regular", m, ns[cut - 1], ns[eff - shifts[0]], ns[eff - shifts[1]], ns[eff])


def _extras(m: Methodology, sessions, start: pd.Timestamp, end: pd.Timestamp) -> dict:
    rows = []
    where = m.source or m.name
    for i, x in enumerate(m.schedule.extra):
        if x.effective <= start:
            raise MethodologyError(
                "extra review takes effect on or before the initial review (the session after "
                "the index base date), so it could never apply",
                source=where,
                date=x.effective,
                field=f"schedule.extra[{i}].effective",
                value=f"initial review effective {start.date()}",
                fix="remove the extra review or move the base date before it",
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
        rows.append([_ns(d) for d in (x.cutoff, x.announcement, cap, x.effective)])
    return _rows("extraordinary", m, *np.array(rows, dtype=np.int64).reshape(-1, 4).T)


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
    lo, hi = dates[0], dates[-1]
    base = history.first.index.base_date
    plan = _all_reviews(history, _sessions(min(base, lo), max(base, hi), closures), hi)
    # an extra review replaces a regular one on the same effective date
    kind, eff = plan["kind"], plan["effective_date"]
    replaced = (kind == "regular") & np.isin(eff, eff[kind == "extraordinary"])
    keep = np.flatnonzero(~replaced & (eff <= _ns(hi)) & (plan["cutoff_date"] >= _ns(lo)))
    order = keep[np.argsort(eff[keep], kind="stable")]
    _, inverse, count = np.unique(eff[order], return_inverse=True, return_counts=True)
    clash = order[count[inverse] > 1]
    if len(clash):
        raise CalendarError(
            "two reviews take effect on the same date",
            date=pd.Timestamp(int(eff[clash[0]])),
            value=plan["methodology"][clash].tolist(),
            fix="remove one of the extra reviews",
        )
    return pd.DataFrame(
        {
            c: plan[c][order].tolist()
            if c in ("kind", "methodology")
            else plan[c][order].astype("datetime64[ns]")
            for c in REVIEW_DATE_COLUMNS
        },
        columns=REVIEW_DATE_COLUMNS,
    )


def plan_rows(plan: pd.DataFrame, dates: pd.DatetimeIndex):
    """Rows in ``dates`` of each review's cut-off and cap date (-1 where not a session) and of the
    session before its effective date (-1 where none)."""
    ns = dates.as_unit("ns").asi8
    cutoff, cap, effective = (
        pd.DatetimeIndex(plan[c]).as_unit("ns").asi8
        for c in ("cutoff_date", "cap_date", "effective_date")
    )

    def exact(values):
        pos = np.searchsorted(ns, values)
        hit = pos < len(ns)
        hit[hit] = ns[pos[hit]] == values[hit]
        return np.where(hit, pos, -1).astype(np.int64)

    return exact(cutoff), exact(cap), np.searchsorted(ns, effective).astype(np.int64) - 1


def _all_reviews(history: MethodologyHistory, sessions: _Cal, hi: pd.Timestamp) -> dict:
    """Plan columns (:func:`_rows`) of the initial review and every version's regular and extra
    reviews effective up to ``hi``, unsorted."""
    first = history.first
    base = first.index.base_date
    _session_pos(
        sessions,
        base,
        "index base date",
        source=first.source or first.name,
        field="index.base_date",
        fix="use a trading day as the base date",
    )
    initial_eff = _shift(sessions, base, 1, "base date")
    parts = [_rows("initial", first, *([_ns(d)] for d in (base, base, base, initial_eff)))]
    single = len(history.versions) == 1
    for m in history.versions:
        start = (
            initial_eff
            if (single or m is first)
            else max(initial_eff, m.effective_from - pd.Timedelta(days=1))
        )
        parts.append(_regular(m, sessions, start, None if single else history.until(m), hi))
        parts.append(_extras(m, sessions, initial_eff, hi))
    return {c: np.concatenate([p[c] for p in parts]) for c in REVIEW_DATE_COLUMNS}


__all__ = [
    "REVIEW_DATE_COLUMNS",
    "cutoff_for",
    "first_friday",
    "month_end_session",
    "plan_rows",
    "regular_effective_date",
    "review_dates",
]
