"""Validation and alignment of tidy frames into :class:`~engine.data.market.MarketData`.

Every check raises :class:`~engine.errors.DataError` (or :class:`~engine.errors.CalendarError`) whose
message names the table (or the file it came from), the row, the date, the code and the field.
:func:`engine.data.check_folder` runs the same checks in *collect* mode: each problem is recorded (the
first :attr:`Report.limit` rows per check, then a count) and validation goes on without the rows at
fault, so one pass lists every problem.

Rows are counted from 0 in the order the frame was given.  When a table was read from a CSV file (its
label in ``sources`` ends in ``.csv``) the message also gives ``line``, the 1-based line of the file
(the header is line 1, so ``line = row + 2``).

Every check is vectorised (NumPy over whole columns; text columns are parsed once per distinct
value); only the error path walks rows, to name the first one at fault.

Checks, table by table
----------------------
securities
    required columns; a non-empty, unique code per row; a listing date; delisting not before listing;
    booleans that really are booleans (``"False"`` is not true); board lot a positive whole number.
prices
    required columns; a date on every row; codes known to the master; one row per (date, code);
    close and shares > 0, free float in (0, 1], traded value >= 0 (all finite); dates on the HKEX
    calendar; no row before the security's ``listing_date`` or after its ``delisting_date``; every
    session of the listed period inside the data window present (a suspension is a row flagged
    ``suspended``, never a gap); rows that stop before the data's last session need a
    ``delisting_date`` on or before the last row (a truncated feed is an error, not an implied
    delisting); a suspended row carries the previous close (relative tolerance :data:`CARRY_RTOL`)
    and has zero traded value.
actions
    known code and kind; the amount or ratio the kind needs, positive; pay date not before ex-date;
    ex-date a session with a close on it and on the session before; a dividend below that close;
    no duplicate: one split, bonus or rights row per (ex_date, code, kind), one cash-dividend row per
    (ex_date, code, amount_hkd).
intervals
    known code and kind; a start date; end not before start; no two intervals of one kind and code
    that overlap.
relevance
    known code; a date; a finite score >= 0; one score per (as_of, code).
fx
    one positive fixing for every session of the price data (fixings on other days are ignored).
    Without fixings (or with fixings that are exactly 1.0 on every session) the market uses the
    placeholder 1.0 and a :class:`UserWarning` says so (:attr:`MarketData.fx_is_placeholder`).
dates (every table)
    text dates are read year first (``YYYY-MM-DD``, optionally with a time and a UTC offset);
    day-first or month-first text (``03/04/2025``, ``31/01/2025``) is an error, never guessed.  A
    time-zone-aware timestamp is converted to Hong Kong time (:data:`EXCHANGE_TZ`) and its local date
    kept (``2025-01-01T16:00:00Z`` is the session 2025-01-02); a naive timestamp with a time of day
    other than midnight is an error (it is often a UTC instant written without its offset).

Plausibility checks (one-day price spikes, issued-shares jumps, rights priced above the market) are
in :mod:`engine.data.plausibility`.

Modules: :mod:`._common` (the report, where a finding points, the parsers of dates, booleans, codes
and numbers), :mod:`.prices` (the security master and the price panels), :mod:`.tables` (actions,
intervals, relevance, FX); :func:`build` runs them in order.
"""

from __future__ import annotations

from collections.abc import Mapping

from engine.data.calendar import closure_dates
from engine.data.plausibility import Plausibility, check_market
from engine.data.validate._common import (
    CARRY_RTOL,
    EXCHANGE_TZ,
    PROBLEM_COLUMNS,
    Report,
    _describe,
    _factorize,
    _one_date,
    _Where,
    date_values,
)
from engine.data.validate.prices import Aligned, _check_prices, _check_securities
from engine.data.validate.tables import (
    _check_actions,
    _check_fx,
    _check_intervals,
    _check_relevance,
    is_placeholder_fx,
)


def build(
    cls,
    *,
    prices,
    securities,
    actions,
    intervals,
    relevance,
    fx,
    synthetic,
    source,
    sources: Mapping[str, str] | None = None,
    plausibility=None,
    warnings_in=(),
    report: Report | None = None,
    closures=(),
):
    """Validate the frames and return ``cls(...)`` (a :class:`MarketData`).

    ``sources`` optionally maps a table name (``prices``, ``securities``, ``actions``,
    ``intervals``, ``relevance``, ``fx``) to the label used in error messages (a file path); tables
    not in it are named by their table name.  ``plausibility``: a
    :class:`~engine.data.plausibility.Plausibility` (default: its defaults).  ``warnings_in``:
    warnings already carried (e.g. by a loader), kept first in :attr:`MarketData.warnings`.
    ``report``: a collect-mode :class:`Report` (see :func:`engine.data.check_folder`); then None is
    returned when the frames cannot be aligned at all.  ``closures``: whole-day closures declared
    for this market beyond :data:`engine.data.calendar.EXTRA_CLOSURES` (not sessions; no row may
    fall on them).
    """
    rep = report or Report()
    where = _Where(sources)
    closures = closure_dates(closures)
    sec, dropped = _check_securities(securities, where, rep)
    known = set(sec["code"])
    aligned = _check_prices(prices, sec, where, rep, dropped, closures)
    if aligned is None:
        return None
    plausibility = plausibility or Plausibility()
    act = _check_actions(actions, known, aligned, where, rep, dropped, plausibility)
    iv = _check_intervals(intervals, known, where, rep, dropped)
    rel = _check_relevance(relevance, known, where, rep, dropped)
    fx_s = _check_fx(fx, aligned.dates, where, source, rep)
    check_market(aligned, act, plausibility, where, rep)
    found = tuple(dict.fromkeys([*warnings_in, *rep.warnings]))
    if rep.collect:
        return None
    panels = aligned.panels
    for arr in (*panels.values(), aligned.suspended):
        arr.setflags(write=False)
    return cls(
        dates=aligned.dates,
        codes_=aligned.codes,
        **panels,  # close_hkd, shares, free_float, traded_value_hkd
        suspended=aligned.suspended,
        securities=sec,
        intervals=iv,
        actions=act,
        relevance=rel,
        fx=fx_s,
        synthetic=bool(synthetic),
        source=source,
        warnings=found,
        closures=closures,
    )


__all__ = [
    "CARRY_RTOL",
    "EXCHANGE_TZ",
    "PROBLEM_COLUMNS",
    "Aligned",
    "Report",
    "_describe",
    "_factorize",
    "_one_date",
    "build",
    "date_values",
    "is_placeholder_fx",
]
