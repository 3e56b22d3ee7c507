"""The security master and the price rows: parsed, checked and scattered into ``[day, security]``
panels (:class:`Aligned`); coverage of each listed life and suspended days."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.data.calendar import check_sessions, hkex_sessions
from engine.data.schema import (
    OPTIONAL_COLUMNS,
    PRICE_COLUMNS,
    SECURITY_COLUMNS,
)
from engine.data.validate._common import (
    _NAT,
    _NS_PER_DAY,
    CARRY_RTOL,
    Report,
    _bools,
    _code_labels,
    _codes,
    _describe,
    _first_bad,
    _numbers,
    _require,
    _Where,
    date_values,
)
from engine.errors import CalendarError, DataError


# --------------------------------------------------------------------------- securities
def _check_securities(sec: pd.DataFrame, where: _Where, rep: Report):
    """The validated master, sorted by code, and the set of codes dropped for a problem (collect
    mode only; their rows in the other tables are left out without a second report)."""
    _require(sec, SECURITY_COLUMNS, where, "securities", optional=OPTIONAL_COLUMNS["securities"])
    sec = sec.reset_index(drop=True).copy()
    keep = np.ones(len(sec), dtype=bool)
    sec["code"] = _codes(sec["code"], where, "securities", rep)
    keep &= (sec["code"] != "").to_numpy()
    codes = sec["code"]
    for col, default in (("sub_industry", ""), ("is_18a", False), ("delisting_date", pd.NaT)):
        if col not in sec.columns:
            sec[col] = default
    dup = codes.duplicated(keep=False).to_numpy() & keep
    for i in rep.each(dup & ~codes.duplicated(keep="first").to_numpy(), "duplicated code"):
        rep.fail(
            "duplicated security code",
            **where("securities", i, code=codes[i], field="code"),
            fix="keep one master row per security",
        )
    keep &= ~codes.duplicated(keep="first").to_numpy()
    for col in ("listing_date", "delisting_date"):
        at = dict(required=col == "listing_date", rep=rep, code_at=codes.__getitem__)
        sec[col] = date_values(sec[col], where, "securities", col, **at)
    keep &= sec["listing_date"].notna().to_numpy()
    early = (sec["delisting_date"] < sec["listing_date"]).to_numpy() & keep
    rep.flag(
        early,
        "delisting date before listing date",
        where,
        "securities",
        date=sec["delisting_date"],
        code=codes,
        field="delisting_date",
    )
    keep &= ~early
    for col in ("is_cxo", "is_18a"):
        sec[col] = _bools(sec[col], where, "securities", col, codes, rep)
    lot = _numbers(sec["board_lot"])
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(lot) | ~(lot > 0) | (lot != np.round(lot))
    what = "board lot must be a positive whole number"
    rep.flag(
        bad & keep, what, where, "securities", code=codes, field="board_lot", value=sec["board_lot"]
    )
    sec["board_lot"] = np.where(bad, 1, lot).astype(np.int64)
    for col in ("name", "industry", "sub_industry", "wht_class"):
        sec[col] = sec[col].astype(object).where(sec[col].notna(), "").astype(str).astype(object)
    dropped = set(codes[~keep]) - set(codes[keep]) - {""}
    sec = sec[keep] if not keep.all() else sec
    return sec[SECURITY_COLUMNS].sort_values("code", kind="stable").reset_index(drop=True), dropped


# --------------------------------------------------------------------------- prices
_PRICE_RULES = (
    ("close_hkd", "close price must be a positive number", "open", None),
    ("shares", "issued shares must be a positive number", "open", None),
    ("free_float", "free-float factor must lie in (0, 1]", "open", 1.0),
    ("traded_value_hkd", "traded value must be a non-negative number", "closed", None),
)


class Aligned:
    """The price table scattered into ``[day, security]`` panels (what :func:`build` keeps), plus
    ``rowpos`` (the price row of each cell, -1 where none) for messages."""

    def __init__(self, dates, codes, panels, suspended, rowpos):
        self.dates = dates
        self.codes = codes
        self.panels = panels
        self.suspended = suspended
        self.rowpos = rowpos


def _ts(ns: int) -> pd.Timestamp | None:
    return None if ns == _NAT else pd.Timestamp(int(ns))


def _check_prices(
    prices: pd.DataFrame,
    sec: pd.DataFrame,
    where: _Where,
    rep: Report,
    dropped=frozenset(),
    closures: tuple = (),
) -> Aligned | None:
    """Check the price rows and scatter them into panels (None in collect mode when no row can be
    placed).

    In order: codes and dates (:func:`_read_rows`), each row's session and cell, one row per cell
    (:func:`_place_rows`), the values (:func:`_price_values`), dates on the calendar
    (:func:`_check_off_calendar`), rows inside the listed life (:func:`_check_listed_life`), then
    the panels (:func:`_scatter`), the coverage of each listed life and the suspended days.
    """
    _require(prices, PRICE_COLUMNS, where, "prices", optional=OPTIONAL_COLUMNS["prices"])
    if len(prices) == 0:
        raise DataError(
            _describe("no price rows", **where("prices"), fix="provide at least one row")
        )
    prices = prices.reset_index(drop=True)
    r = _read_rows(prices, sec, where, rep, dropped)
    if r is None:
        return None
    g = _place_rows(r, sec, where, rep, closures)
    vals, susp = _price_values(prices, r, where, rep)
    _check_off_calendar(r, g, where, rep, closures)
    _check_listed_life(r, g, sec, where, rep)
    key, keep = g.key, r.keep
    if not keep.all():
        g.rowpos[:] = -1
        g.rowpos[key[keep]] = g.rows[keep]
        key = key[keep]
        vals = {c: v[keep] for c, v in vals.items()}
        susp = susp[keep]
    del r, keep  # the rows' arrays go before the panels' memory comes
    g.key = g.rows = g.on = None
    aligned = _scatter(g, sec, key, vals, susp)
    _check_coverage(aligned, sec, where, rep)
    _check_suspensions(aligned, key[susp], where, rep)
    return aligned


class _Rows:
    """The price rows being checked: each row's code (``cnorm[cidx[i]]``), date (int64 ns, NaT
    where missing), column in the master ``j`` (-1: unknown) and whether it is still ``keep``."""

    __slots__ = ("cidx", "cnorm", "d_ns", "j", "keep")

    def code_at(self, i: int) -> str:
        return self.cnorm[self.cidx[i]]

    def date_at(self, i: int) -> pd.Timestamp | None:
        return _ts(self.d_ns[i])


def _read_rows(prices, sec, where: _Where, rep: Report, dropped) -> _Rows | None:
    """Codes, dates and master columns of the price rows (None: no row is left to place)."""
    r = _Rows()
    r.cidx, r.cnorm = _code_labels(prices["code"], where, "prices", rep)
    r.keep = (r.cnorm != "")[r.cidx]
    r.d_ns = date_values(
        prices["date"], where, "prices", "date", required=True, rep=rep, code_at=r.code_at
    ).view(np.int64)
    r.keep &= r.d_ns != _NAT
    u_j = pd.Index(sec["code"]).get_indexer(pd.Index(r.cnorm, dtype=object)).astype(np.int32)
    r.j = u_j[r.cidx]
    unknown = (r.j < 0) & r.keep
    if dropped:
        quiet = np.isin(r.cnorm, list(dropped))[r.cidx]
        unknown &= ~quiet
        r.keep &= ~quiet
    rep.flag(
        unknown,
        "price row for a code missing from the security master",
        where,
        "prices",
        date=r.date_at,
        code=r.code_at,
        field="code",
        fix="add the security to the master or remove its rows",
    )
    r.keep &= r.j >= 0
    return r if r.keep.any() else None


class _Grid:
    """The sessions of the data window and each row's cell ``key = t * N + j`` of the
    ``[day, security]`` panels (``on``: the row's date is a session; ``rowpos``: the row of each
    cell, -1 where none)."""

    __slots__ = ("sessions", "s_ns", "n_days", "n_codes", "key", "rows", "rowpos", "on")


def _place_rows(r: _Rows, sec, where: _Where, rep: Report, closures) -> _Grid:
    """Each kept row's session and cell; a second row for one (session, code) is reported."""
    g = _Grid()
    valid = r.d_ns[r.keep] if not r.keep.all() else r.d_ns
    g.sessions = hkex_sessions(
        pd.Timestamp(int(valid.min())), pd.Timestamp(int(valid.max())), closures
    )
    del valid
    g.s_ns = g.sessions.asi8
    g.n_days, g.n_codes = n_days, n_codes = len(g.sessions), len(sec)
    n = len(r.d_ns)
    # session of each row through a table indexed by calendar day (cheaper than a binary search)
    # int32 positions while rows and cells fit (a long frame's index arrays are its largest
    # temporaries)
    fits = max(n, n_days * n_codes) < np.iinfo(np.int32).max
    idx_dtype = np.int32 if fits else np.int64
    day = (g.s_ns - g.s_ns[0]) // _NS_PER_DAY
    table = np.full(int(day[-1]) + 2, -1, dtype=idx_dtype)
    table[day] = np.arange(n_days)
    rel = (r.d_ns - g.s_ns[0]) // _NS_PER_DAY
    np.clip(rel, -1, len(table) - 1, out=rel)
    t = table[rel]  # rel = -1 (before the window or NaT) lands on the last entry: -1
    del rel
    g.on = t >= 0
    np.maximum(t, 0, out=t)
    g.key = t.astype(idx_dtype, copy=False) * idx_dtype(n_codes) + np.maximum(r.j, 0).astype(
        idx_dtype
    )
    del t
    g.rows = rows = np.arange(n, dtype=idx_dtype)
    g.rowpos = np.full(n_days * n_codes, -1, dtype=idx_dtype)
    keep, key, on = r.keep, g.key, g.on
    placed = keep & on
    if placed.all():
        g.rowpos[key] = rows
        clash = g.rowpos[key] != rows
    else:
        g.rowpos[key[placed]] = rows[placed]
        clash = placed & (g.rowpos[key] != rows)
    if clash.any() or not on[keep].all():  # error path: pandas names the first repeat exactly
        ident = pd.DataFrame({"d": np.where(keep, r.d_ns, _NAT), "j": np.where(keep, r.j, -1)})
        dup = ident.duplicated(keep="first").to_numpy() & keep
        rep.flag(
            dup,
            "duplicated (date, code) row",
            where,
            "prices",
            date=r.date_at,
            code=r.code_at,
            fix="keep one row per security and session",
        )
        keep &= ~dup
    return g


def _price_values(prices, r: _Rows, where: _Where, rep: Report) -> tuple[dict, np.ndarray]:
    """The numeric columns (NaN where a rule of :data:`_PRICE_RULES` fails, reported) and the
    suspension flags, one entry per row."""
    vals = {}
    for col, rule, lo, hi in _PRICE_RULES:
        v = _numbers(prices[col])
        with np.errstate(invalid="ignore"):  # NaN fails every comparison: bad
            if hi is not None:
                bad = ~((v > 0) & (v <= hi))
            else:
                bad = ~((v > 0) if lo == "open" else (v >= 0)) | (v == np.inf)
        if bad.any():
            rep.flag(
                bad & r.keep,
                rule,
                where,
                "prices",
                date=r.date_at,
                code=r.code_at,
                field=col,
                value=prices[col],
            )
            v = np.where(bad, np.nan, v)
        vals[col] = v
    if "suspended" in prices.columns:
        susp = _bools(prices["suspended"], where, "prices", "suspended", r.code_at, rep)
    else:
        susp = np.zeros(len(r.d_ns), dtype=bool)
    return vals, susp


def _check_off_calendar(r: _Rows, g: _Grid, where: _Where, rep: Report, closures) -> None:
    """Rows dated on a day that is not an HKEX session, named by the calendar check."""
    label = where.label("prices")
    off = r.keep & ~g.on
    for i in rep.each(off, "dates that are not HKEX trading sessions", label):
        try:
            check_sessions(
                pd.DatetimeIndex([r.date_at(i)]),
                source=_row_label(where, "prices", i),
                closures=closures,
            )
        except CalendarError as exc:
            if not rep.collect:
                raise
            rep.record(str(exc), source=label, row=i, date=r.date_at(i), code=r.code_at(i))
    r.keep &= g.on


def _check_listed_life(r: _Rows, g: _Grid, sec, where: _Where, rep: Report) -> None:
    """No row before a security's listing date or after its delisting date.

    Per security, its first and last row against the listed sessions (cheap, over the
    ``[day, security]`` row map); the rows are named only on the error path.
    """
    keep, d_ns, n_days = r.keep, r.d_ns, g.n_days
    lst = sec["listing_date"].to_numpy("datetime64[ns]").view(np.int64)
    dls = sec["delisting_date"].to_numpy("datetime64[ns]").view(np.int64)
    if not keep.all():
        g.rowpos[:] = -1
        g.rowpos[g.key[keep]] = g.rows[keep]
    have = g.rowpos.reshape(n_days, g.n_codes) >= 0
    any_row = have.any(axis=0)
    first = np.argmax(have, axis=0)
    last = n_days - 1 - np.argmax(have[::-1], axis=0)
    del have
    start = np.searchsorted(g.s_ns, lst, side="left")
    stop = np.where(dls == _NAT, n_days, np.searchsorted(g.s_ns, dls, side="right"))
    if not (any_row & ((first < start) | (last >= stop))).any():
        return
    label = where.label("prices")
    jj = np.maximum(r.j, 0)
    before = keep & (d_ns < lst[jj])
    for i in rep.each(before, "price row before the listing date", label):
        rep.fail(
            f"price row before the security's listing date {_ts(lst[jj[i]]):%Y-%m-%d}",
            **where("prices", i, date=r.date_at(i), code=r.code_at(i), field="date"),
            fix="drop the row or correct listing_date in the security master",
        )
    d_end = dls[jj]
    after = keep & (d_end != _NAT) & (d_ns > d_end)
    for i in rep.each(after, "price row after the delisting date", label):
        rep.fail(
            f"price row after the security's delisting date {_ts(d_end[i]):%Y-%m-%d}",
            **where("prices", i, date=r.date_at(i), code=r.code_at(i), field="date"),
            fix="drop the row or correct delisting_date in the security master",
        )
    keep &= ~before & ~after


def _scatter(g: _Grid, sec, key: np.ndarray, vals: dict, susp: np.ndarray) -> Aligned:
    """The kept rows' values in ``[day, security]`` panels (NaN where no row; ``vals`` is emptied
    as its columns are placed)."""
    n_days, n_codes = g.n_days, g.n_codes
    shape = (n_days, n_codes)
    dense = len(key) == n_days * n_codes  # every cell has its row: nothing to pre-fill
    panels = {}
    for col in list(vals):
        v = vals.pop(col)
        arr = np.empty(n_days * n_codes) if dense else np.full(n_days * n_codes, np.nan)
        arr[key] = v
        panels[col] = arr.reshape(shape)
        del v
    susp_arr = np.zeros(n_days * n_codes, dtype=bool)
    if susp.any():
        susp_arr[key] = susp
    return Aligned(
        g.sessions, tuple(sec["code"]), panels, susp_arr.reshape(shape), g.rowpos.reshape(shape)
    )


def _row_label(where: _Where, table: str, i: int) -> str:
    label = where.label(table)
    line = f", line {i + 2}" if label.endswith(".csv") else ""
    return f"{label} row {i}{line}"


def _check_coverage(a: Aligned, sec: pd.DataFrame, where: _Where, rep: Report) -> None:
    """Every session of each security's listed period inside the data window has a row.

    The listed period runs from the later of the listing date and the window start to the
    delisting date when it falls inside the window, else to the window's last session.  Rows that
    stop before that end are a truncated feed, never an implied delisting.  Vectorised over the
    securities; the messages come from :func:`_coverage_problem` for the securities at fault.
    """
    dates = a.dates
    d_ns = dates.asi8
    have = a.rowpos >= 0
    n_days = len(dates)
    lst = sec["listing_date"].to_numpy("datetime64[ns]").view(np.int64)
    dls = sec["delisting_date"].to_numpy("datetime64[ns]").view(np.int64)
    start = np.searchsorted(d_ns, np.maximum(lst, d_ns[0]), side="left")
    end_ns = np.where((dls == _NAT) | (dls > d_ns[-1]), d_ns[-1], dls)
    stop = np.searchsorted(d_ns, end_ns, side="right")  # one past the last listed session
    # a session on which some code is listed but no code has a row: the whole day is missing (a
    # closure the calendar does not list, or a day lost from the file); one problem for the day,
    # not one per code
    no_day = ~have.any(axis=1)
    if no_day.any():
        listed = np.zeros(n_days + 1, dtype=np.int64)
        np.add.at(listed, start, 1)
        np.add.at(listed, np.maximum(stop, start), -1)
        no_day &= np.cumsum(listed)[:n_days] > 0
    if no_day.any():
        what = "no price row for any code on an HKEX session: the whole day is missing"
        for t in rep.each(no_day, what, where.label("prices")):
            rep.fail(
                what,
                **where("prices", date=dates[t], field="date"),
                fix="if the exchange was closed that day (a typhoon or rainstorm closure the XHKG "
                f"calendar does not list), declare it a closure: closures=['{dates[t]:%Y-%m-%d}'] "
                "(MarketData.from_frames, read_folder, onboard; in a data folder a 'closures' "
                "list in meta.json; hsidi --closure DATE); otherwise add the day's rows",
            )
        t_ix = np.arange(n_days)[:, None]
        have = have | (no_day[:, None] & (t_ix >= start) & (t_ix < stop))
    count = have.sum(axis=0)
    first = np.argmax(have, axis=0)
    last = n_days - 1 - np.argmax(have[::-1], axis=0)
    empty = count == 0
    lo = np.minimum(first, start)
    hi = np.maximum(last, stop - 1)
    short = count < hi - lo + 1
    flagged = np.flatnonzero((empty & (start < stop)) | (~empty & short))
    for jj in flagged:
        _coverage_problem(a, sec, int(jj), where, rep, no_day)
        if rep.collect and len(rep.problems) > 10 * rep.limit:
            break


def _coverage_problem(
    a: Aligned, sec: pd.DataFrame, jj: int, where: _Where, rep: Report, no_day=None
) -> None:
    """The message for one security whose rows do not cover its listed period (``no_day``: the
    sessions without any row, already reported as whole missing days, are not gaps of the code)."""
    dates = a.dates
    first_day, last_day = dates[0], dates[-1]
    code = a.codes[jj]
    lst = sec["listing_date"][jj]
    dls = sec["delisting_date"][jj]
    have = a.rowpos[:, jj] >= 0
    rows = np.flatnonzero(have)
    if len(rows) == 0:
        rep.fail(
            "security listed during the price data but without any price row",
            **where(
                "prices",
                date=dates[dates.searchsorted(max(lst, first_day), side="left")],
                code=code,
                field="code",
            ),
            fix="add its rows, drop it from the security master, or correct its "
            "listing_date/delisting_date",
        )
        return
    lo = min(rows[0], dates.searchsorted(max(lst, first_day), side="left"))
    end = last_day if pd.isna(dls) or dls > last_day else dls
    hi = max(int(rows[-1]), int(dates.searchsorted(end, side="right")) - 1)
    if rows[-1] < hi and end == last_day:  # (a delisting inside: the gap check names the day)
        said = (
            "the security master gives no delisting_date"
            if pd.isna(dls)
            else f"its delisting_date {dls:%Y-%m-%d} is after the data"
        )
        rep.fail(
            f"price rows stop on {dates[rows[-1]]:%Y-%m-%d}, before the data's last "
            f"session {last_day:%Y-%m-%d}, and {said} (a truncated feed is not a "
            "delisting)",
            **where("prices", date=dates[rows[-1]], code=code, field="date"),
            value=f"last row {dates[rows[-1]]:%Y-%m-%d}, expected rows to {dates[hi]:%Y-%m-%d}",
            fix="set delisting_date in the security master (or supply the missing rows)",
        )
        return
    present = have if no_day is None else have | no_day
    gap = _first_bad(~present[lo : hi + 1])
    if gap is not None:
        rep.fail(
            "missing price row inside the listed period",
            **where("prices", date=dates[lo + gap], code=code, field="date"),
            fix="add the row (a suspended day carries the last close with suspended=True), "
            "or correct listing_date/delisting_date in the security master",
        )


def _check_suspensions(a: Aligned, cells: np.ndarray, where: _Where, rep: Report) -> None:
    """A suspended day carries the previous close and trades nothing (``cells``: flat positions of
    the suspended cells)."""
    if len(cells) == 0:
        return
    cells = np.sort(cells)
    n_codes = len(a.codes)
    close = a.panels["close_hkd"].reshape(-1)
    traded = a.panels["traded_value_hkd"].reshape(-1)
    rowpos = a.rowpos.reshape(-1)
    tt, jj = cells // n_codes, cells % n_codes
    prev = np.where(tt > 0, close[np.maximum(cells - n_codes, 0)], np.nan)
    cur = close[cells]
    with np.errstate(invalid="ignore"):
        moved = ~np.isnan(prev) & (np.abs(cur - prev) > CARRY_RTOL * np.abs(prev))
    what = "suspended day's close differs from the previous close"
    for k in rep.each(moved, what, where.label("prices")):
        rep.fail(
            f"{what} ({float(cur[k])!r} vs {float(prev[k])!r} on {a.dates[tt[k] - 1]:%Y-%m-%d})",
            **where(
                "prices",
                int(rowpos[cells[k]]),
                date=a.dates[tt[k]],
                code=a.codes[jj[k]],
                field="close_hkd",
            ),
            fix="a suspended day carries the last close: set close_hkd to the previous close "
            "or suspended=False",
        )
    what = "suspended day with a non-zero traded value"
    for k in rep.each(traded[cells] > 0, what, where.label("prices")):
        rep.fail(
            what,
            **where(
                "prices",
                int(rowpos[cells[k]]),
                date=a.dates[tt[k]],
                code=a.codes[jj[k]],
                field="traded_value_hkd",
            ),
            value=float(traded[cells[k]]),
            fix="set traded_value_hkd to 0 or suspended=False",
        )
