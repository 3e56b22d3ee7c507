"""Shared pieces of the validation: where a finding points, the report that raises or collects it,
and the parsers of dates, booleans, codes and numbers (each distinct value parsed once)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

import numpy as np
import pandas as pd

from engine._args import plain as _plain
from engine.errors import DataError, describe


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

    def flag(
        self,
        mask,
        what: str,
        where: _Where,
        table: str,
        *,
        date=None,
        code=None,
        field: str | None = None,
        value=None,
        fix: str | None = None,
    ) -> None:
        """Report the rows of ``table`` flagged in ``mask`` (:meth:`each`), each with ``what``.

        ``date``, ``code`` and ``value`` give each row's entry: a sequence indexed by row, a
        callable ``row -> entry``, or None; ``field`` and ``fix`` are the same for every row.
        """
        for i in self.each(mask, what, where.label(table)):
            self.fail(
                what,
                **where(table, i, date=_at(date, i), code=_at(code, i), field=field),
                value=_at(value, i),
                fix=fix,
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
            self.record(f"{what}: {len(idx) - len(shown)} more row(s)", source=source)


def _at(entries, i: int):
    """Row ``i``'s entry of a message field (see :meth:`Report.flag`)."""
    if entries is None:
        return None
    if callable(entries):
        return entries(i)
    return entries.iloc[i] if isinstance(entries, pd.Series) else entries[i]


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
        rep.flag(
            missing, "missing date", where, table, code=code_at, field=field, fix="fill in the date"
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
        rep.flag(
            blank[idx], "missing security code", where, table, field="code", fix="fill in the code"
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
