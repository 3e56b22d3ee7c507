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
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator, Mapping

import numpy as np
import pandas as pd

from engine.data.calendar import check_sessions, closure_dates, hkex_sessions
from engine.data.market import (
    ACTION_COLUMNS,
    ACTION_KINDS,
    INTERVAL_KINDS,
    PRICE_COLUMNS,
    SECURITY_COLUMNS,
)
from engine.errors import CalendarError, DataError, describe


def _plain(v):
    """NumPy scalars as plain Python values, so messages read ``value=-1.0``, not ``np.float64``."""
    return v.item() if isinstance(v, np.generic) else v


def _describe(what: str, **where) -> str:
    """:func:`engine.errors.describe` with NumPy scalars made plain."""
    return describe(what, **{k: _plain(v) for k, v in where.items()})


CARRY_RTOL = 1e-9
"""Relative tolerance when checking that a suspended day's close equals the previous close."""

EXCHANGE_TZ = "Asia/Hong_Kong"
"""Time zone whose calendar date a time-zone-aware timestamp is read as (HKEX sessions)."""

_TRUE = {"true", "t", "1", "yes", "y", "1.0"}
_FALSE = {"false", "f", "0", "no", "n", "0.0", ""}
_NS_PER_DAY = 86_400 * 10**9
_NAT = np.iinfo(np.int64).min


class _Where:
    """Builds the ``where`` keywords of an error message for a table (label, row, CSV line)."""

    def __init__(self, sources: Mapping[str, str] | None):
        self.sources = dict(sources or {})

    def label(self, table: str) -> str:
        return str(self.sources.get(table, table))

    def __call__(self, table: str, row: int | None = None, **kw) -> dict:
        label = self.label(table)
        out: dict = {"source": label}
        if row is not None:
            out["row"] = int(row)
            if label.endswith(".csv"):
                out["line"] = int(row) + 2
        out.update(kw)
        return out


PROBLEM_COLUMNS = ["file", "row", "date", "code", "field", "message"]
"""Columns of :attr:`Report.problems` rows (and of :attr:`CheckReport.problems`)."""


class Report:
    """Where validation findings go.

    By default (``collect=False``) the first error raises its :class:`DataError`.  With
    ``collect=True`` (what :func:`engine.data.check_folder` uses) every error is recorded as a row of
    :data:`PROBLEM_COLUMNS` (at most ``limit`` rows per check, then one line with the count of the
    rest) and validation continues without the rows at fault.  Warnings (findings that do not stop a
    build, see :class:`engine.data.Plausibility`) are collected in :attr:`warnings` either way.
    """

    def __init__(self, collect: bool = False, limit: int = 20):
        self.collect = bool(collect)
        self.limit = int(limit)
        self.problems: list[dict] = []
        self.warnings: list[str] = []

    def fail(self, what: str, exc: type[DataError] = DataError, **where) -> None:
        """Raise ``exc`` (or record the problem, in collect mode) with a :func:`describe` message."""
        msg = _describe(what, **where)
        if not self.collect:
            raise exc(msg)
        self.record(msg, **where)

    def record(self, msg: str, **where) -> None:
        date = where.get("date")
        if date is not None and hasattr(date, "strftime") and not pd.isna(date):
            date = date.strftime("%Y-%m-%d")
        self.problems.append(
            {
                "file": where.get("source"),
                "row": where.get("row"),
                "date": None if date is None or (not isinstance(date, str)) else date,
                "code": where.get("code"),
                "field": where.get("field"),
                "message": msg,
            }
        )

    def warn(self, what: str, **where) -> None:
        self.warnings.append(_describe(what, **where))

    def each(self, mask, what: str, source: str | None = None) -> Iterator[int]:
        """Rows flagged in ``mask`` to report: the first (raise mode; the caller raises on it) or up
        to :attr:`limit` of them (collect mode, then a line counting the rest)."""
        idx = np.flatnonzero(np.asarray(mask, dtype=bool))
        shown = idx[: self.limit] if self.collect else idx[:1]
        for i in shown:
            yield int(i)
        if self.collect and len(idx) > len(shown):
            self.problems.append(
                dict.fromkeys(PROBLEM_COLUMNS)
                | {"file": source, "message": f"{what}: {len(idx) - len(shown)} more row(s)"}
            )


def _require(frame, columns: list[str], where: _Where, table: str, optional=()) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise DataError(
            _describe(
                f"expected a pandas DataFrame, got {type(frame).__name__}",
                **where(table),
                fix=f"pass a frame with columns {columns}",
            )
        )
    missing = [c for c in columns if c not in frame.columns and c not in optional]
    if missing:
        raise DataError(
            _describe(
                f"missing column(s) {missing}",
                **where(table),
                fix=f"the table needs columns {columns}",
            )
        )


def _first_bad(mask) -> int | None:
    idx = np.flatnonzero(np.asarray(mask, dtype=bool))
    return int(idx[0]) if len(idx) else None


def _factorize(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer labels and the distinct values (missing values included as one value)."""
    if isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow":
        import pyarrow.compute as pc

        chunked = series.array.__arrow_array__()
        if chunked.null_count == 0:  # (nulls: the general path keeps them as one value)
            enc = pc.dictionary_encode(chunked).combine_chunks()
            idx = enc.indices.to_numpy(zero_copy_only=False)
            return _small_labels(idx), np.asarray(enc.dictionary.to_pylist(), dtype=object)
    idx, uniq = pd.factorize(series, use_na_sentinel=False)
    return _small_labels(np.asarray(idx)), np.asarray(uniq, dtype=object)


def _small_labels(idx: np.ndarray) -> np.ndarray:
    """Labels as int32 (half the memory of a long frame's int64 labels; there are fewer than 2**31
    distinct values)."""
    return idx.astype(np.int32, copy=False)


def _map_unique(series: pd.Series, fn) -> pd.Series:
    """``series.map(fn)`` evaluated once per distinct value (codes, flags and dates repeat a lot)."""
    idx, uniq = _factorize(series)
    mapped = np.empty(len(uniq), dtype=object)
    for k, u in enumerate(uniq):
        mapped[k] = fn(u)
    return pd.Series(
        mapped[idx] if len(idx) else np.empty(0, dtype=object), index=series.index, dtype=object
    )


def _isnan(v) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


# --------------------------------------------------------------------------- dates
_NUMERIC_DMY = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})\s*$")
_YEAR_FIRST = re.compile(r"^\s*\d{4}[-/.]\d{1,2}[-/.]\d{1,2}")


def _one_date(v) -> tuple[int, str | None]:
    """Parse one value to nanoseconds since the epoch (local calendar date at midnight).

    Returns ``(ns, problem)``: ``problem`` is None, ``"missing"``, ``"unparseable"``, ``"ambiguous"``,
    ``"day-first"`` or ``"time of day"``.
    """
    if v is None or (isinstance(v, str) and not v.strip()) or _isnan(v):
        return _NAT, "missing"
    if isinstance(v, str):
        m = _NUMERIC_DMY.match(v)
        if m:
            a, b = int(m.group(1)), int(m.group(2))
            if 1 <= a <= 12 and 1 <= b <= 12 and a != b:
                return _NAT, "ambiguous"
            if 12 < a <= 31 and 1 <= b <= 12:
                return _NAT, "day-first"
            if not (a == b and a <= 12):
                return _NAT, "unparseable"
            return _NAT, "ambiguous"  # 03/03/2025: readable, but the file writes dates day/month
        if not _YEAR_FIRST.match(v) and not v.strip().isdigit():
            # month names and other free text: not a date layout this engine reads
            return _NAT, "unparseable"
    try:
        ts = pd.Timestamp(v)
    except (ValueError, TypeError, OverflowError):
        return _NAT, "unparseable"
    if ts is pd.NaT or pd.isna(ts):
        return _NAT, "unparseable"
    if ts.tzinfo is not None:
        ts = ts.tz_convert(EXCHANGE_TZ).tz_localize(None).normalize()
    elif ts != ts.normalize():
        return _NAT, "time of day"
    try:
        return int(ts.as_unit("ns").value), None
    except (OverflowError, ValueError):
        return _NAT, "unparseable"


_DATE_PROBLEMS = {
    "unparseable": ("unparseable date", "write dates as YYYY-MM-DD"),
    "ambiguous": (
        "ambiguous date (day-first or month-first)",
        "write dates as YYYY-MM-DD: 03/04/2025 can be 3 April or 4 March and is never guessed",
    ),
    "day-first": (
        "day-first date",
        "write dates as YYYY-MM-DD: day-first dates are not read (they are never swapped silently)",
    ),
    "time of day": (
        "date with a time of day and no time zone",
        "write the calendar date (YYYY-MM-DD); a timestamp needs its UTC offset "
        "(e.g. 2025-01-02T00:00:00+08:00), which is then read as the Hong Kong date",
    ),
}


def date_values(
    series: pd.Series,
    where: _Where,
    table: str,
    field: str,
    *,
    required: bool,
    rep: Report | None = None,
    code_at=None,
) -> np.ndarray:
    """Parse a date column to ``datetime64[ns]`` calendar dates (NaT where missing).

    Text is parsed once per distinct value (see :func:`_one_date`); a time-zone-aware column is
    converted to :data:`EXCHANGE_TZ` and its local date kept.  Errors name the first row at fault
    (collect mode: every row, then NaT there).  ``required``: a missing value is an error too.
    ``code_at(i)`` gives the code of row ``i`` for messages.
    """
    rep = rep or Report()
    series = series.reset_index(drop=True)
    n = len(series)
    problem = None
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        local = series.dt.tz_convert(EXCHANGE_TZ).dt.tz_localize(None).dt.normalize()
        ns = local.to_numpy("datetime64[ns]").view(np.int64)
    elif pd.api.types.is_datetime64_any_dtype(series.dtype):
        ns = series.to_numpy("datetime64[ns]").view(np.int64)
        timed = (ns != _NAT) & (ns % _NS_PER_DAY != 0)
        if timed.any():
            problem = np.where(timed, "time of day", None).astype(object)
            ns = np.where(timed, _NAT, ns)
    else:
        idx, uniq = _factorize(series)
        parsed = [_one_date(u) for u in uniq]
        u_ns = np.array([p[0] for p in parsed], dtype=np.int64)
        u_problem = np.array([p[1] for p in parsed], dtype=object)
        ns = u_ns[idx] if n else np.empty(0, np.int64)
        bad_u = np.array([p not in (None, "missing") for p in u_problem], dtype=bool)
        if bad_u.any():
            problem = np.where(bad_u[idx], u_problem[idx], None).astype(object)
    if problem is not None:
        bad = problem != None  # noqa: E711 (object array)
        if not rep.collect:  # raise on the first row at fault, whatever its kind
            bad = np.arange(n) == _first_bad(bad)
        for kind, (what, fix) in _DATE_PROBLEMS.items():
            mask = bad & (problem == kind)
            for i in rep.each(mask, what, where.label(table)):
                code = None if code_at is None else code_at(i)
                rep.fail(
                    what,
                    **where(table, i, code=code, field=field, value=_plain(series.iloc[i])),
                    fix=fix,
                )
    if required:
        missing = ns == _NAT
        if problem is not None:
            missing &= problem == None  # noqa: E711
        for i in rep.each(missing, "missing date", where.label(table)):
            code = None if code_at is None else code_at(i)
            rep.fail(
                "missing date", **where(table, i, code=code, field=field), fix="fill in the date"
            )
    out = ns.view("datetime64[ns]")
    return out


# --------------------------------------------------------------------------- booleans, codes
def _bool_of(v):
    if v is None or _isnan(v):
        return False
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer, float, np.floating)) and v in (0, 1):
        return bool(v)
    s = str(v).strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    return None


def _bools(
    series: pd.Series, where: _Where, table: str, field: str, codes=None, rep: Report | None = None
) -> np.ndarray:
    """Parse a boolean column: bools, 0/1, and the strings true/false/yes/no/t/f (any case).

    A missing value counts as False.  Anything else is an error (``"False"`` is *not* truthy here).
    ``codes``: a sequence or a callable ``row -> code`` for messages.
    """
    rep = rep or Report()
    series = series.reset_index(drop=True)
    if pd.api.types.is_bool_dtype(series.dtype) and not series.isna().any():
        return series.to_numpy(dtype=bool)
    idx, uniq = _factorize(series)
    mapped = [_bool_of(u) for u in uniq]
    u_bad = np.array([m is None for m in mapped], dtype=bool)
    u_val = np.array([bool(m) for m in mapped], dtype=bool)
    code_at = codes if callable(codes) or codes is None else codes.__getitem__
    for i in rep.each(u_bad[idx], "not a boolean", where.label(table)):
        rep.fail(
            "not a boolean",
            **where(
                table,
                i,
                code=None if code_at is None else code_at(i),
                field=field,
                value=_plain(series.iloc[i]),
            ),
            fix="use true/false",
        )
    return u_val[idx] if len(idx) else np.zeros(0, dtype=bool)


def _norm_code(v) -> str:
    if v is None or _isnan(v):
        return ""
    if isinstance(v, (bool, np.bool_)):
        return str(v)
    if isinstance(v, (int, np.integer)):
        return f"{int(v):04d}"
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return f"{int(v):04d}"
    s = str(v).strip().upper().removesuffix(".HK")
    return s.zfill(4) if s.isdigit() else s


def _code_labels(
    series: pd.Series, where: _Where, table: str, rep: Report | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Security codes as ``(labels, codes)``: row ``i`` has the normalised code ``codes[labels[i]]``
    (``13`` / ``"13.HK"`` / ``"0013"`` -> ``"0013"``); each distinct value is normalised once."""
    rep = rep or Report()
    idx, uniq = _factorize(series.reset_index(drop=True))
    norm = np.array([_norm_code(u) for u in uniq], dtype=object)
    blank = norm == ""
    if blank.any():
        for i in rep.each(blank[idx], "missing security code", where.label(table)):
            rep.fail(
                "missing security code", **where(table, i, field="code"), fix="fill in the code"
            )
    return idx, norm


def _codes(series: pd.Series, where: _Where, table: str, rep: Report | None = None) -> pd.Series:
    """Normalised security codes, one per row (for the small tables)."""
    idx, norm = _code_labels(series, where, table, rep)
    return pd.Series(norm[idx] if len(idx) else np.empty(0, object), dtype=object)


def _numbers(series: pd.Series) -> np.ndarray:
    """Numeric view of a column; anything that is not a number becomes NaN (checked by the caller)."""
    series = series.reset_index(drop=True)
    if series.dtype == np.float64:
        return series.to_numpy()
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)


# --------------------------------------------------------------------------- securities
def _check_securities(sec: pd.DataFrame, where: _Where, rep: Report):
    """The validated master, sorted by code, and the set of codes dropped for a problem (collect
    mode only; their rows in the other tables are left out without a second report)."""
    _require(
        sec,
        SECURITY_COLUMNS,
        where,
        "securities",
        optional=("sub_industry", "is_18a", "delisting_date"),
    )
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
    sec["listing_date"] = date_values(
        sec["listing_date"],
        where,
        "securities",
        "listing_date",
        required=True,
        rep=rep,
        code_at=codes.__getitem__,
    )
    keep &= sec["listing_date"].notna().to_numpy()
    sec["delisting_date"] = date_values(
        sec["delisting_date"],
        where,
        "securities",
        "delisting_date",
        required=False,
        rep=rep,
        code_at=codes.__getitem__,
    )
    early = (sec["delisting_date"] < sec["listing_date"]).to_numpy() & keep
    for i in rep.each(early, "delisting date before listing date", where.label("securities")):
        rep.fail(
            "delisting date before listing date",
            **where("securities", i, date=sec["delisting_date"][i], code=codes[i]),
            field="delisting_date",
        )
    keep &= ~early
    for col in ("is_cxo", "is_18a"):
        sec[col] = _bools(sec[col], where, "securities", col, codes, rep)
    lot = _numbers(sec["board_lot"])
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(lot) | ~(lot > 0) | (lot != np.round(lot))
    what = "board lot must be a positive whole number"
    for i in rep.each(bad & keep, what, where.label("securities")):
        rep.fail(
            what,
            **where("securities", i, code=codes[i], field="board_lot"),
            value=sec["board_lot"][i],
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
    placed)."""
    _require(prices, PRICE_COLUMNS, where, "prices", optional=("suspended",))
    if len(prices) == 0:
        raise DataError(
            _describe("no price rows", **where("prices"), fix="provide at least one row")
        )
    label = where.label("prices")
    prices = prices.reset_index(drop=True)
    n = len(prices)
    cidx, cnorm = _code_labels(prices["code"], where, "prices", rep)

    def code_at(i):
        return cnorm[cidx[i]]

    keep = (cnorm != "")[cidx]
    d_ns = date_values(
        prices["date"], where, "prices", "date", required=True, rep=rep, code_at=code_at
    ).view(np.int64)
    keep &= d_ns != _NAT
    u_j = pd.Index(sec["code"]).get_indexer(pd.Index(cnorm, dtype=object)).astype(np.int32)
    j = u_j[cidx]
    unknown = (j < 0) & keep
    if dropped:
        quiet = np.isin(cnorm, list(dropped))[cidx]
        unknown &= ~quiet
        keep &= ~quiet
    what = "price row for a code missing from the security master"
    for i in rep.each(unknown, what, label):
        rep.fail(
            what,
            **where("prices", i, date=_ts(d_ns[i]), code=code_at(i), field="code"),
            fix="add the security to the master or remove its rows",
        )
    keep &= j >= 0
    if not keep.any():
        return None

    # the data window and each row's session; one row per (session, code)
    valid = d_ns[keep] if not keep.all() else d_ns
    sessions = hkex_sessions(
        pd.Timestamp(int(valid.min())), pd.Timestamp(int(valid.max())), closures
    )
    s_ns = sessions.asi8
    n_days, n_codes = len(sessions), len(sec)
    # session of each row through a table indexed by calendar day (cheaper than a binary search)
    # int32 positions while rows and cells fit (a long frame's index arrays are its largest
    # temporaries)
    fits = max(n, n_days * n_codes) < np.iinfo(np.int32).max
    idx_dtype = np.int32 if fits else np.int64
    day = (s_ns - s_ns[0]) // _NS_PER_DAY
    table = np.full(int(day[-1]) + 2, -1, dtype=idx_dtype)
    table[day] = np.arange(n_days)
    rel = (d_ns - s_ns[0]) // _NS_PER_DAY
    np.clip(rel, -1, len(table) - 1, out=rel)
    t = table[rel]  # rel = -1 (before the window or NaT) lands on the last entry: -1
    del rel
    on = t >= 0
    np.maximum(t, 0, out=t)
    key = t.astype(idx_dtype, copy=False) * idx_dtype(n_codes) + np.maximum(j, 0).astype(idx_dtype)
    del t
    rows = np.arange(n, dtype=idx_dtype)
    rowpos = np.full(n_days * n_codes, -1, dtype=idx_dtype)
    placed = keep & on
    if placed.all():
        rowpos[key] = rows
        clash = rowpos[key] != rows
    else:
        rowpos[key[placed]] = rows[placed]
        clash = placed & (rowpos[key] != rows)
    if clash.any() or not on[keep].all():  # error path: pandas names the first repeat exactly
        ident = pd.DataFrame({"d": np.where(keep, d_ns, _NAT), "j": np.where(keep, j, -1)})
        dup = ident.duplicated(keep="first").to_numpy() & keep
        for i in rep.each(dup, "duplicated (date, code) row", label):
            rep.fail(
                "duplicated (date, code) row",
                **where("prices", i, date=_ts(d_ns[i]), code=code_at(i)),
                fix="keep one row per security and session",
            )
        keep &= ~dup
    vals = {}
    for col, rule, lo, hi in _PRICE_RULES:
        v = _numbers(prices[col])
        with np.errstate(invalid="ignore"):  # NaN fails every comparison: bad
            if hi is not None:
                bad = ~((v > 0) & (v <= hi))
            else:
                bad = ~((v > 0) if lo == "open" else (v >= 0)) | (v == np.inf)
        if bad.any():
            for i in rep.each(bad & keep, rule, label):
                rep.fail(
                    rule,
                    **where("prices", i, date=_ts(d_ns[i]), code=code_at(i), field=col),
                    value=_plain(prices[col].iloc[i]),
                )
            v = np.where(bad, np.nan, v)
        vals[col] = v
    if "suspended" in prices.columns:
        susp = _bools(prices["suspended"], where, "prices", "suspended", code_at, rep)
    else:
        susp = np.zeros(n, dtype=bool)

    # calendar: name the first off-calendar row
    off = keep & ~on
    for i in rep.each(off, "dates that are not HKEX trading sessions", label):
        try:
            check_sessions(
                pd.DatetimeIndex([_ts(d_ns[i])]),
                source=_row_label(where, "prices", i),
                closures=closures,
            )
        except CalendarError as exc:
            if not rep.collect:
                raise
            rep.record(str(exc), source=label, row=i, date=_ts(d_ns[i]), code=code_at(i))
    keep &= on

    # listed life from the master: per security, its first and last row against the listed
    # sessions (cheap, over the [day, security] row map); the rows are named only on the error path
    lst = sec["listing_date"].to_numpy("datetime64[ns]").view(np.int64)
    dls = sec["delisting_date"].to_numpy("datetime64[ns]").view(np.int64)
    if not keep.all():
        rowpos[:] = -1
        rowpos[key[keep]] = rows[keep]
    have = rowpos.reshape(n_days, n_codes) >= 0
    any_row = have.any(axis=0)
    first = np.argmax(have, axis=0)
    last = n_days - 1 - np.argmax(have[::-1], axis=0)
    del have
    start = np.searchsorted(s_ns, lst, side="left")
    stop = np.where(dls == _NAT, n_days, np.searchsorted(s_ns, dls, side="right"))
    if (any_row & ((first < start) | (last >= stop))).any():
        jj = np.maximum(j, 0)
        before = keep & (d_ns < lst[jj])
        for i in rep.each(before, "price row before the listing date", label):
            rep.fail(
                f"price row before the security's listing date {_ts(lst[jj[i]]):%Y-%m-%d}",
                **where("prices", i, date=_ts(d_ns[i]), code=code_at(i), field="date"),
                fix="drop the row or correct listing_date in the security master",
            )
        d_end = dls[jj]
        after = keep & (d_end != _NAT) & (d_ns > d_end)
        for i in rep.each(after, "price row after the delisting date", label):
            rep.fail(
                f"price row after the security's delisting date {_ts(d_end[i]):%Y-%m-%d}",
                **where("prices", i, date=_ts(d_ns[i]), code=code_at(i), field="date"),
                fix="drop the row or correct delisting_date in the security master",
            )
        keep &= ~before & ~after
        del jj, d_end, before, after
    if not keep.all():
        rowpos[:] = -1
        rowpos[key[keep]] = rows[keep]
        key = key[keep]
        vals = {c: v[keep] for c, v in vals.items()}
        susp = susp[keep]
    del d_ns, j, rows, on, placed, clash, keep  # the panels' memory comes next
    shape = (n_days, n_codes)
    dense = len(key) == n_days * n_codes  # every cell has its row: nothing to pre-fill
    panels = {}
    for col, v in vals.items():
        arr = np.empty(n_days * n_codes) if dense else np.full(n_days * n_codes, np.nan)
        arr[key] = v
        panels[col] = arr.reshape(shape)
    del vals
    susp_arr = np.zeros(n_days * n_codes, dtype=bool)
    if susp.any():
        susp_arr[key] = susp
    aligned = Aligned(
        sessions, tuple(sec["code"]), panels, susp_arr.reshape(shape), rowpos.reshape(shape)
    )
    _check_coverage(aligned, sec, where, rep)
    _check_suspensions(aligned, key[susp], where, rep)
    return aligned


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


# --------------------------------------------------------------------------- actions
def _empty_actions() -> pd.DataFrame:
    act = pd.DataFrame({c: pd.Series(dtype=float) for c in ACTION_COLUMNS})
    for c in ("ex_date", "pay_date"):
        act[c] = act[c].astype("datetime64[ns]")
    for c in ("code", "kind"):
        act[c] = act[c].astype(object)
    return act


_NEEDS = {"cash_dividend": ("amount_hkd",), "split": ("ratio",), "bonus": ("ratio",)}
_NEEDS["rights"] = ("ratio", "price_hkd")


def _check_actions(
    actions, known, a: Aligned, where: _Where, rep: Report, dropped=frozenset(), plausibility=None
):
    if actions is None or len(actions) == 0:
        return _empty_actions()
    _require(
        actions,
        ACTION_COLUMNS,
        where,
        "actions",
        optional=("amount_hkd", "ratio", "price_hkd", "pay_date"),
    )
    act = actions.reset_index(drop=True).copy()
    for c in ("amount_hkd", "ratio", "price_hkd"):
        act[c] = _numbers(act[c]) if c in act.columns else np.nan
    act["code"] = _codes(act["code"], where, "actions", rep)
    code_at = act["code"].__getitem__
    act["ex_date"] = date_values(
        act["ex_date"], where, "actions", "ex_date", required=True, rep=rep, code_at=code_at
    )
    if "pay_date" in act.columns:
        act["pay_date"] = date_values(
            act["pay_date"], where, "actions", "pay_date", required=False, rep=rep, code_at=code_at
        )
    else:
        act["pay_date"] = pd.NaT
    act["pay_date"] = act["pay_date"].fillna(act["ex_date"]).astype("datetime64[ns]")
    act["kind"] = act["kind"].astype(object).where(act["kind"].notna(), "")
    act["kind"] = act["kind"].astype(str).str.strip().str.lower().astype(object)
    keep = (act["code"] != "").to_numpy() & act["ex_date"].notna().to_numpy()
    if dropped:
        keep &= ~act["code"].isin(dropped).to_numpy()
    code = act["code"].to_numpy(object)
    kind = act["kind"].to_numpy(object)
    ex = act["ex_date"]
    close = a.panels["close_hkd"]
    tt = a.dates.get_indexer(pd.DatetimeIndex(ex))
    jj = pd.Index(a.codes).get_indexer(pd.Index(code, dtype=object))
    ok = (tt > 0) & (jj >= 0)
    c_on = np.where(ok, close[np.maximum(tt, 0), np.maximum(jj, 0)], np.nan)
    c_prev = np.where(ok, close[np.maximum(tt - 1, 0), np.maximum(jj, 0)], np.nan)
    c_on = np.where(tt == 0, np.nan, c_on)
    checks: list[tuple[np.ndarray, dict]] = [
        (
            ~pd.Series(code).isin(known).to_numpy(),
            dict(
                what="corporate action for an unknown code",
                field="code",
                fix="add the security to the master or remove the action",
            ),
        ),
        (
            ~pd.Series(kind).isin(ACTION_KINDS).to_numpy(),
            dict(
                what="unknown corporate-action kind",
                field="kind",
                value=kind,
                fix=f"use one of {ACTION_KINDS}",
            ),
        ),
    ]
    for c in ("amount_hkd", "ratio", "price_hkd"):  # (rights: ratio before price)
        v = act[c].to_numpy(float)
        need = np.isin(kind, [k for k, cols in _NEEDS.items() if c in cols])
        with np.errstate(invalid="ignore"):
            bad = need & ~(np.isfinite(v) & (v > 0))
        spec = dict(what="{kind} needs a positive " + c, field=c, value=v, fix=f"fill in {c}")
        checks.append((bad, spec))
    checks += [
        (
            (act["pay_date"] < ex).to_numpy(),
            dict(what="pay date before ex-date", field="pay_date"),
        ),
        (
            tt < 0,
            dict(
                what="ex-date is not a session of the price data",
                field="ex_date",
                fix="use an HKEX session inside the price history",
            ),
        ),
        (
            np.isnan(c_on) | np.isnan(c_prev),
            dict(
                what="ex-date outside the security's priced life (needs a close on the ex-date "
                "and the session before)",
                field="ex_date",
            ),
        ),
        (
            (kind == "cash_dividend") & (act["amount_hkd"].to_numpy(float) >= c_prev),
            dict(
                what="dividend not below the previous close",
                field="amount_hkd",
                value=act["amount_hkd"].to_numpy(float),
            ),
        ),
    ]
    _ordered_checks(checks, keep, "actions", where, rep, dates=ex, codes=code, kinds=kind)
    _check_duplicate_actions(act, where, rep, keep)
    if plausibility is not None:
        from engine.data.plausibility import check_rights

        check_rights(act[keep], c_prev[keep], plausibility, where, rep)
    act = act[keep] if not keep.all() else act
    act = act[ACTION_COLUMNS]
    return act.sort_values(["ex_date", "code", "kind"], kind="stable").reset_index(drop=True)


def _ordered_checks(checks, keep, table, where: _Where, rep: Report, *, dates, codes, kinds=None):
    """Row checks in order: each row is reported for the first check it fails (in raise mode the
    first row at fault raises), and ``keep`` loses the rows at fault."""
    status = np.full(len(keep), -1)
    for k, (mask, _) in enumerate(checks):
        status[(status < 0) & keep & np.asarray(mask, dtype=bool)] = k
    if not rep.collect:
        first = _first_bad(status >= 0)
        if first is not None:
            status = np.where(np.arange(len(keep)) == first, status, -1)
    for k, (_, spec) in enumerate(checks):
        spec = dict(spec)
        what = spec.pop("what")
        for i in rep.each(status == k, what, where.label(table)):
            extra = {
                key: (_plain(val[i]) if isinstance(val, np.ndarray) else val)
                for key, val in spec.items()
            }
            rep.fail(
                what.format(kind=None if kinds is None else kinds[i]),
                **where(table, i, date=dates[i], code=codes[i]),
                **extra,
            )
    keep &= status < 0


def _check_duplicate_actions(act: pd.DataFrame, where: _Where, rep: Report, keep) -> None:
    """Reject repeated action rows, which would otherwise be applied twice.

    A split, bonus or rights issue is identified by ``(ex_date, code, kind)``: two of the same kind
    on one day for one code are a duplicate.  Cash dividends are identified by ``(ex_date, code,
    kind, amount_hkd)``: two dividends of different amounts on one day (e.g. a final and a special
    dividend) stay allowed, the same amount twice is a duplicate.
    """
    key = act["amount_hkd"].where(act["kind"] == "cash_dividend")
    ident = pd.DataFrame(
        {
            "ex_date": act["ex_date"],
            "code": act["code"],
            "kind": act["kind"],
            "amount": key.to_numpy(dtype=float),
        }
    )[keep]
    dup = np.zeros(len(act), dtype=bool)
    dup[np.flatnonzero(keep)] = ident.duplicated(keep="first").to_numpy(dtype=bool)
    label = where.label("actions")
    for i in rep.each(dup, "duplicated corporate action", label):
        same = (
            (ident["ex_date"] == act["ex_date"][i])
            & (ident["code"] == act["code"][i])
            & (ident["kind"] == act["kind"][i])
        ).to_numpy(dtype=bool)
        if act["kind"][i] == "cash_dividend":
            same = same & (ident["amount"] == ident["amount"][i]).to_numpy(dtype=bool)
        first = int(ident.index[np.flatnonzero(same)[0]])
        line = f" (line {first + 2})" if label.endswith(".csv") else ""
        what = (
            f"cash dividend of HKD {act['amount_hkd'][i]!r}"
            if act["kind"][i] == "cash_dividend"
            else str(act["kind"][i])
        )
        rep.fail(
            f"duplicated corporate action: {what} repeats row {first}{line} with the same "
            "ex-date and code (it would be applied twice)",
            **where("actions", i, date=act["ex_date"][i], code=act["code"][i], field="kind"),
            value=f"rows {first} and {i}",
            fix="keep one row per action (two different cash dividends on one day need "
            "different amounts; otherwise merge them into one row)",
        )
    keep &= ~dup


# --------------------------------------------------------------------------- intervals
def _empty_intervals() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": pd.Series(dtype=object),
            "kind": pd.Series(dtype=object),
            "start": pd.Series(dtype="datetime64[ns]"),
            "end": pd.Series(dtype="datetime64[ns]"),
        }
    )


def _check_intervals(intervals, known, where: _Where, rep: Report, dropped=frozenset()):
    if intervals is None or len(intervals) == 0:
        return _empty_intervals()
    _require(intervals, ["code", "kind", "start", "end"], where, "intervals")
    iv = intervals.reset_index(drop=True).copy()
    iv["code"] = _codes(iv["code"], where, "intervals", rep)
    code_at = iv["code"].__getitem__
    iv["kind"] = iv["kind"].astype(object).where(iv["kind"].notna(), "")
    iv["kind"] = iv["kind"].astype(str).str.strip().str.lower().astype(object)
    iv["start"] = date_values(
        iv["start"], where, "intervals", "start", required=True, rep=rep, code_at=code_at
    )
    iv["end"] = date_values(
        iv["end"], where, "intervals", "end", required=False, rep=rep, code_at=code_at
    )
    keep = (iv["code"] != "").to_numpy() & iv["start"].notna().to_numpy()
    if dropped:
        keep &= ~iv["code"].isin(dropped).to_numpy()
    label = where.label("intervals")
    for mask, what, field, fix in (
        (
            ~iv["code"].isin(known).to_numpy(),
            "membership interval for an unknown code",
            "code",
            "add the security to the master or remove the interval",
        ),
        (~iv["kind"].isin(INTERVAL_KINDS).to_numpy(), "unknown interval kind", "kind", None),
        (
            (iv["end"] < iv["start"]).to_numpy(dtype=bool),
            "interval ends before it starts",
            "end",
            None,
        ),
    ):
        for i in rep.each(mask & keep, what, label):
            extra = {}
            if field == "kind":
                extra = {"value": iv["kind"][i], "fix": f"use one of {INTERVAL_KINDS}"}
            elif fix:
                extra = {"fix": fix}
            rep.fail(
                what,
                **where(
                    "intervals",
                    i,
                    date=iv["end"][i] if field == "end" else None,
                    code=iv["code"][i],
                    field=field,
                ),
                **extra,
            )
        keep &= ~mask
    _check_overlaps(iv, keep, where, rep)
    iv = iv[keep] if not keep.all() else iv
    iv = iv[["code", "kind", "start", "end"]]
    return iv.sort_values(["kind", "code", "start"], kind="stable").reset_index(drop=True)


def _check_overlaps(iv: pd.DataFrame, keep: np.ndarray, where: _Where, rep: Report) -> None:
    """Two intervals of one kind for one code must not overlap (one would be counted twice, or an
    end date would be hidden inside a later interval)."""
    rows = np.flatnonzero(keep)
    if len(rows) < 2:
        return
    srt = iv.iloc[rows].sort_values(["kind", "code", "start"], kind="stable")
    group = [srt["kind"], srt["code"]]
    reach = srt["end"].fillna(pd.Timestamp.max).groupby(group).cummax()
    before = reach.groupby(group).shift(1)  # the latest end among the group's earlier intervals
    overlap = (before.notna() & (before >= srt["start"])).to_numpy()
    if not overlap.any():
        return
    hit = np.zeros(len(iv), dtype=bool)
    hit[srt.index.to_numpy()[overlap]] = True
    partner = {}
    for i in np.flatnonzero(hit):  # error path: the earlier interval each one runs into
        mine = srt[(srt["kind"] == iv["kind"][i]) & (srt["code"] == iv["code"][i])]
        ends = mine["end"].fillna(pd.Timestamp.max)
        earlier = mine[(mine["start"] <= iv["start"][i]) & (ends >= iv["start"][i])]
        partner[i] = int(next(k for k in earlier.index if k != i))
    label = where.label("intervals")
    for i in rep.each(hit, "overlapping membership intervals", label):
        k = partner[i]
        line = f" (line {k + 2})" if label.endswith(".csv") else ""
        end = iv["end"][k]
        rep.fail(
            f"membership interval overlaps row {k}{line} of the same code and kind "
            f"({iv['start'][k]:%Y-%m-%d}..{'open' if pd.isna(end) else f'{end:%Y-%m-%d}'})",
            **where("intervals", i, date=iv["start"][i], code=iv["code"][i], field="start"),
            value=iv["kind"][i],
            fix="merge the two intervals or end the first before the second starts",
        )
    keep &= ~hit


# --------------------------------------------------------------------------- relevance
def _check_relevance(relevance, known, where: _Where, rep: Report, dropped=frozenset()):
    if relevance is None or len(relevance) == 0:
        return pd.DataFrame(
            {
                "as_of": pd.Series(dtype="datetime64[ns]"),
                "code": pd.Series(dtype=object),
                "score": pd.Series(dtype=float),
            }
        )
    _require(relevance, ["as_of", "code", "score"], where, "relevance")
    rel = relevance.reset_index(drop=True)[["as_of", "code", "score"]].copy()
    rel["code"] = _codes(rel["code"], where, "relevance", rep)
    rel["as_of"] = date_values(
        rel["as_of"],
        where,
        "relevance",
        "as_of",
        required=True,
        rep=rep,
        code_at=rel["code"].__getitem__,
    )
    raw_score = rel["score"]
    rel["score"] = _numbers(rel["score"])
    keep = (rel["code"] != "").to_numpy() & rel["as_of"].notna().to_numpy()
    if dropped:
        keep &= ~rel["code"].isin(dropped).to_numpy()
    label = where.label("relevance")
    unknown = ~rel["code"].isin(known).to_numpy() & keep
    for i in rep.each(unknown, "relevance score for an unknown code", label):
        rep.fail(
            "relevance score for an unknown code",
            **where("relevance", i, date=rel["as_of"][i], code=rel["code"][i], field="code"),
            fix="add the security to the master or remove the score",
        )
    keep &= ~unknown
    score = rel["score"].to_numpy()
    with np.errstate(invalid="ignore"):
        bad = (~np.isfinite(score) | (score < 0)) & keep
    what = "relevance score must be a non-negative number"
    for i in rep.each(bad, what, label):
        rep.fail(
            what,
            **where("relevance", i, date=rel["as_of"][i], code=rel["code"][i], field="score"),
            value=_plain(raw_score[i]),
        )
    keep &= ~bad
    dup = np.zeros(len(rel), dtype=bool)
    dup[keep] = rel[keep].duplicated(["as_of", "code"], keep="first").to_numpy()
    for i in rep.each(dup, "duplicated (as_of, code) relevance row", label):
        rep.fail(
            "duplicated (as_of, code) relevance row",
            **where("relevance", i, date=rel["as_of"][i], code=rel["code"][i]),
            fix="keep one score per security and date",
        )
    keep &= ~dup
    rel = rel[keep] if not keep.all() else rel
    return rel.sort_values(["as_of", "code"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- fx
def _check_fx(
    fx, dates: pd.DatetimeIndex, where: _Where, source: str = "frames", rep: Report | None = None
) -> pd.Series:
    rep = rep or Report()
    if fx is None:
        fx_s = pd.Series(1.0, index=dates, name="hkd_cny")
    else:
        if isinstance(fx, pd.DataFrame):
            _require(fx, ["date", "hkd_cny"], where, "fx")
            fx_dates = date_values(fx["date"], where, "fx", "date", required=True, rep=rep)
            values = _numbers(fx["hkd_cny"])
        elif isinstance(fx, pd.Series):
            fx_dates = date_values(pd.Series(fx.index), where, "fx", "date", required=True, rep=rep)
            values = _numbers(fx)
        else:
            raise DataError(
                _describe(
                    f"fx must be a Series or a DataFrame, got {type(fx).__name__}",
                    **where("fx"),
                    fix="pass a Series indexed by date or a frame with date, hkd_cny",
                )
            )
        fx_dates = pd.Series(fx_dates)
        keep = fx_dates.notna().to_numpy().copy()
        dup = fx_dates.duplicated(keep="first").to_numpy() & keep
        for i in rep.each(dup, "duplicated fixing date", where.label("fx")):
            rep.fail(
                "duplicated fixing date",
                **where("fx", i, date=fx_dates[i], field="date"),
                fix="keep one fixing per date",
            )
        keep &= ~dup
        fx_s = pd.Series(values[keep], index=pd.DatetimeIndex(fx_dates[keep])).reindex(dates)
        arr = fx_s.to_numpy()
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(arr) | (arr <= 0)
        what = "HKD->CNY fixing missing or non-positive on a session"
        for i in rep.each(bad, what, where.label("fx")):
            rep.fail(
                what,
                **where("fx", date=dates[i], field="hkd_cny"),
                value=None if np.isnan(arr[i]) else float(arr[i]),
                fix="provide a positive fixing for every HKEX session of the price data",
            )
        fx_s = fx_s.rename("hkd_cny")
    fx_s.index.name = "date"
    if is_placeholder_fx(fx_s) and not rep.collect:
        given = "no HKD->CNY fixings were given" if fx is None else "every fixing is exactly 1.0"
        warnings.warn(
            f"market {source!r}: {given}, so the placeholder fixing 1.0 CNY per HKD is used and "
            "every CNY figure (fund NAV, cash) equals the HKD figure; pass fx= (CNY per HKD per "
            "session) for real CNY values",
            UserWarning,
            stacklevel=4,
        )
    return fx_s


def is_placeholder_fx(fx: pd.Series) -> bool:
    """True when ``fx`` is the placeholder fixing: exactly 1.0 on every session (and not empty).

    No real HKD->CNY fixing is 1.0 over a whole history, so the placeholder is recognised from the
    values themselves; it survives a write/read of the market folder without extra bookkeeping.
    """
    values = np.asarray(fx, dtype=float)
    return bool(len(values)) and bool(np.all(values == 1.0))


# --------------------------------------------------------------------------- build
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
    from engine.data.plausibility import Plausibility, check_market

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
        close_hkd=panels["close_hkd"],
        shares=panels["shares"],
        free_float=panels["free_float"],
        traded_value_hkd=panels["traded_value_hkd"],
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
