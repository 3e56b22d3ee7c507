"""Validation and alignment of tidy frames into :class:`~engine.data.market.MarketData`.

Every check raises :class:`~engine.errors.DataError` (or :class:`~engine.errors.CalendarError`) whose
message names the table (or the file it came from), the row, the date, the code and the field.

Rows are counted from 0 in the order the frame was given.  When a table was read from a CSV file (its
label in ``sources`` ends in ``.csv``) the message also gives ``line``, the 1-based line of the file
(the header is line 1, so ``line = row + 2``).

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
    known code and kind; a start date; end not before start.
relevance
    known code; a date; a finite score >= 0; one score per (as_of, code).
fx
    one positive fixing for every session of the price data (fixings on other days are ignored).
    Without fixings (or with fixings that are exactly 1.0 on every session) the market uses the
    placeholder 1.0 and a :class:`UserWarning` says so (:attr:`MarketData.fx_is_placeholder`).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from engine.data.calendar import check_sessions, hkex_sessions
from engine.data.market import (
    ACTION_COLUMNS,
    ACTION_KINDS,
    INTERVAL_KINDS,
    PRICE_COLUMNS,
    SECURITY_COLUMNS,
)
from engine.errors import DataError, describe


def _plain(v):
    """NumPy scalars as plain Python values, so messages read ``value=-1.0``, not ``np.float64``."""
    return v.item() if isinstance(v, np.generic) else v


def _describe(what: str, **where) -> str:
    """:func:`engine.errors.describe` with NumPy scalars made plain."""
    return describe(what, **{k: _plain(v) for k, v in where.items()})


CARRY_RTOL = 1e-9
"""Relative tolerance when checking that a suspended day's close equals the previous close."""

_TRUE = {"true", "t", "1", "yes", "y", "1.0"}
_FALSE = {"false", "f", "0", "no", "n", "0.0", ""}


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


def _require(
    frame: pd.DataFrame, columns: list[str], where: _Where, table: str, optional=()
) -> None:
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


def _dates(
    series: pd.Series, where: _Where, table: str, field: str, *, required: bool, codes=None
) -> pd.Series:
    """Parse a date column to tz-naive ``datetime64[ns]``; name the first row that does not parse.

    ``required``: a missing (empty/NaT) value is an error too.
    """
    series = series.reset_index(drop=True)
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        out = series.dt.tz_localize(None)
    elif pd.api.types.is_datetime64_any_dtype(series.dtype):
        out = series
    else:
        raw = series.astype(object)
        blank = _map_unique(
            raw, lambda v: v is None or (isinstance(v, str) and not v.strip()) or _isnan(v)
        ).astype(bool)
        vals = raw.where(~blank, None)
        try:  # fast path: ISO 8601 text (what write_folder writes)
            out = pd.to_datetime(vals, errors="coerce", format="ISO8601")
        except (ValueError, TypeError):
            out = pd.Series(pd.NaT, index=vals.index, dtype="datetime64[ns]")
        retry = out.isna().to_numpy() & ~blank.to_numpy(dtype=bool)
        if retry.any() or not pd.api.types.is_datetime64_any_dtype(out.dtype):
            out = _parse_each(vals)
        elif getattr(out.dt, "tz", None) is not None:
            out = out.dt.tz_localize(None)
        i = _first_bad(out.isna().to_numpy() & ~blank.to_numpy(dtype=bool))
        if i is not None:
            code = None if codes is None else codes[i]
            raise DataError(
                _describe(
                    "unparseable date",
                    **where(table, i, code=code, field=field, value=raw[i]),
                    fix="write dates as YYYY-MM-DD",
                )
            )
    out = out.astype("datetime64[ns]").dt.normalize()
    if required:
        i = _first_bad(out.isna())
        if i is not None:
            code = None if codes is None else codes[i]
            raise DataError(
                _describe(
                    "missing date",
                    **where(table, i, code=code, field=field),
                    fix="fill in the date",
                )
            )
    return out


def _parse_each(vals: pd.Series) -> pd.Series:
    """Slow path: parse dates one by one (any format pandas knows, any UTC offset -> local date)."""

    def one(v):
        if v is None:
            return pd.NaT
        try:
            ts = pd.Timestamp(v)
        except (ValueError, TypeError, OverflowError):
            return pd.NaT
        return ts.tz_localize(None) if ts.tzinfo is not None else ts

    return pd.Series([one(v) for v in vals], index=vals.index, dtype="datetime64[ns]")


def _map_unique(series: pd.Series, fn) -> pd.Series:
    """``series.map(fn)`` evaluated once per distinct value (codes and flags repeat a lot)."""
    idx, uniq = pd.factorize(series.astype(object), use_na_sentinel=False)
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


def _bools(series: pd.Series, where: _Where, table: str, field: str, codes=None) -> pd.Series:
    """Parse a boolean column: bools, 0/1, and the strings true/false/yes/no/t/f (any case).

    A missing value counts as False.  Anything else is an error (``"False"`` is *not* truthy here).
    """
    series = series.reset_index(drop=True)
    if pd.api.types.is_bool_dtype(series.dtype) and not series.isna().any():
        return series.astype(bool)

    def one(v):
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

    parsed = _map_unique(series, one)
    i = _first_bad(parsed.isna())
    if i is not None:
        code = None if codes is None else codes[i]
        raise DataError(
            _describe(
                "not a boolean",
                **where(table, i, code=code, field=field, value=series[i]),
                fix="use true/false",
            )
        )
    return parsed.astype(bool)


def _codes(series: pd.Series, where: _Where, table: str) -> pd.Series:
    """Normalise security codes to strings: ``13`` / ``"13.HK"`` / ``"0013"`` -> ``"0013"``."""

    def norm(v):
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

    out = _map_unique(series.reset_index(drop=True), norm)
    i = _first_bad(out == "")
    if i is not None:
        raise DataError(
            _describe(
                "missing security code", **where(table, i, field="code"), fix="fill in the code"
            )
        )
    return out


def _numbers(series: pd.Series) -> np.ndarray:
    """Numeric view of a column; anything that is not a number becomes NaN (checked by the caller)."""
    return pd.to_numeric(series.reset_index(drop=True), errors="coerce").to_numpy(dtype=float)


# --------------------------------------------------------------------------- securities
def _check_securities(sec: pd.DataFrame, where: _Where) -> pd.DataFrame:
    _require(
        sec,
        SECURITY_COLUMNS,
        where,
        "securities",
        optional=("sub_industry", "is_18a", "delisting_date"),
    )
    sec = sec.reset_index(drop=True).copy()
    sec["code"] = _codes(sec["code"], where, "securities")
    codes = sec["code"]
    for col, default in (("sub_industry", ""), ("is_18a", False), ("delisting_date", pd.NaT)):
        if col not in sec.columns:
            sec[col] = default
    dup = codes.duplicated(keep=False)
    if dup.any():
        i = _first_bad(dup)
        raise DataError(
            _describe(
                "duplicated security code",
                **where("securities", i, code=codes[i], field="code"),
                fix="keep one master row per security",
            )
        )
    sec["listing_date"] = _dates(
        sec["listing_date"], where, "securities", "listing_date", required=True, codes=codes
    )
    sec["delisting_date"] = _dates(
        sec["delisting_date"], where, "securities", "delisting_date", required=False, codes=codes
    )
    i = _first_bad((sec["delisting_date"] < sec["listing_date"]).to_numpy())
    if i is not None:
        raise DataError(
            _describe(
                "delisting date before listing date",
                **where("securities", i, date=sec["delisting_date"][i], code=codes[i]),
                field="delisting_date",
            )
        )
    sec["is_cxo"] = _bools(sec["is_cxo"], where, "securities", "is_cxo", codes)
    sec["is_18a"] = _bools(sec["is_18a"], where, "securities", "is_18a", codes)
    lot = _numbers(sec["board_lot"])
    with np.errstate(invalid="ignore"):
        bad = _first_bad(~np.isfinite(lot) | ~(lot > 0) | (lot != np.round(lot)))
    if bad is not None:
        raise DataError(
            _describe(
                "board lot must be a positive whole number",
                **where("securities", bad, code=codes[bad], field="board_lot"),
                value=sec["board_lot"][bad],
            )
        )
    sec["board_lot"] = lot.astype(np.int64)
    for col in ("name", "industry", "sub_industry", "wht_class"):
        sec[col] = sec[col].astype(object).where(sec[col].notna(), "").astype(str).astype(object)
    return sec[SECURITY_COLUMNS].sort_values("code", kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- prices
_PRICE_RULES = (
    ("close_hkd", "close price must be a positive number", "open", None),
    ("shares", "issued shares must be a positive number", "open", None),
    ("free_float", "free-float factor must lie in (0, 1]", "open", 1.0),
    ("traded_value_hkd", "traded value must be a non-negative number", "closed", None),
)


def _check_prices(prices: pd.DataFrame, sec: pd.DataFrame, where: _Where):
    _require(prices, PRICE_COLUMNS, where, "prices", optional=("suspended",))
    if len(prices) == 0:
        raise DataError(
            _describe("no price rows", **where("prices"), fix="provide at least one row")
        )
    px = prices.reset_index(drop=True).copy()
    px["code"] = _codes(px["code"], where, "prices")
    codes = px["code"]
    px["date"] = _dates(px["date"], where, "prices", "date", required=True, codes=codes)
    if "suspended" not in px.columns:
        px["suspended"] = False
    known = set(sec["code"])
    i = _first_bad(~codes.isin(known))
    if i is not None:
        raise DataError(
            _describe(
                "price row for a code missing from the security master",
                **where("prices", i, date=px["date"][i], code=codes[i], field="code"),
                fix="add the security to the master or remove its rows",
            )
        )
    dup = px.duplicated(["date", "code"], keep="first")
    if dup.any():
        i = _first_bad(dup)
        raise DataError(
            _describe(
                "duplicated (date, code) row",
                **where("prices", i, date=px["date"][i], code=codes[i]),
                fix="keep one row per security and session",
            )
        )
    for col, rule, lo, hi in _PRICE_RULES:
        vals = _numbers(px[col])
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(vals) | ((vals <= 0) if lo == "open" else (vals < 0))
            if hi is not None:
                bad |= vals > hi
        i = _first_bad(bad)
        if i is not None:
            raise DataError(
                _describe(
                    rule,
                    **where("prices", i, date=px["date"][i], code=codes[i], field=col),
                    value=px[col][i],
                )
            )
        px[col] = vals
    px["suspended"] = _bools(px["suspended"], where, "prices", "suspended", codes)

    # calendar: name the first off-calendar row
    sessions = hkex_sessions(px["date"].min(), px["date"].max())
    off = ~px["date"].isin(sessions)
    if off.any():
        i = _first_bad(off)
        check_sessions(pd.DatetimeIndex([px["date"][i]]), source=_row_label(where, "prices", i))

    # listed life from the master
    listing = codes.map(dict(zip(sec["code"], sec["listing_date"], strict=True)))
    delisting = codes.map(dict(zip(sec["code"], sec["delisting_date"], strict=True)))
    i = _first_bad((px["date"] < listing).to_numpy(dtype=bool))
    if i is not None:
        raise DataError(
            _describe(
                f"price row before the security's listing date {listing[i]:%Y-%m-%d}",
                **where("prices", i, date=px["date"][i], code=codes[i], field="date"),
                fix="drop the row or correct listing_date in the security master",
            )
        )
    after = (px["date"] > delisting) & delisting.notna()
    i = _first_bad(after.to_numpy(dtype=bool))
    if i is not None:
        raise DataError(
            _describe(
                f"price row after the security's delisting date {delisting[i]:%Y-%m-%d}",
                **where("prices", i, date=px["date"][i], code=codes[i], field="date"),
                fix="drop the row or correct delisting_date in the security master",
            )
        )
    return px, sessions


def _row_label(where: _Where, table: str, i: int) -> str:
    label = where.label(table)
    line = f", line {i + 2}" if label.endswith(".csv") else ""
    return f"{label} row {i}{line}"


def _align(px: pd.DataFrame, sec: pd.DataFrame, dates: pd.DatetimeIndex, where: _Where):
    """Scatter the tidy rows into ``[day, security]`` panels and check gaps and suspensions."""
    codes = tuple(sec["code"])
    t = dates.get_indexer(px["date"])
    j = pd.Index(codes).get_indexer(px["code"])
    shape = (len(dates), len(codes))
    panels = {}
    for col in ("close_hkd", "shares", "free_float", "traded_value_hkd"):
        arr = np.full(shape, np.nan)
        arr[t, j] = px[col].to_numpy()
        panels[col] = arr
    susp = np.zeros(shape, dtype=bool)
    susp[t, j] = px["suspended"].to_numpy()
    rowpos = np.full(shape, -1, dtype=np.int64)
    rowpos[t, j] = np.arange(len(px))

    # every session of the listed period inside the data window must have a row
    have = ~np.isnan(panels["close_hkd"])
    first_day, last_day = dates[0], dates[-1]
    for jj, code in enumerate(codes):
        lst = sec["listing_date"][jj]
        dls = sec["delisting_date"][jj]
        rows = np.flatnonzero(have[:, jj])
        if len(rows) == 0:
            # no rows at all: fine only when the security is not listed on any session here
            lo = dates.searchsorted(max(lst, first_day), side="left")
            hi = dates.searchsorted(last_day if pd.isna(dls) else min(dls, last_day), side="right")
            if lo < hi:
                raise DataError(
                    _describe(
                        "security listed during the price data but without any price row",
                        **where("prices", date=dates[lo], code=code, field="code"),
                        fix="add its rows, drop it from the security master, or correct its "
                        "listing_date/delisting_date",
                    )
                )
            continue
        # the listed period inside the window: from the later of listing and the window start, to
        # the delisting date when it falls inside the window, else to the window's last session.
        # Rows that stop before that end are a truncated feed, never an implied delisting.
        lo = min(rows[0], dates.searchsorted(max(lst, first_day), side="left"))
        end = last_day if pd.isna(dls) or dls > last_day else dls
        hi = max(int(rows[-1]), int(dates.searchsorted(end, side="right")) - 1)
        if rows[-1] < hi and end == last_day:  # (a delisting inside: the gap check names the day)
            said = (
                "the security master gives no delisting_date"
                if pd.isna(dls)
                else f"its delisting_date {dls:%Y-%m-%d} is after the data"
            )
            raise DataError(
                _describe(
                    f"price rows stop on {dates[rows[-1]]:%Y-%m-%d}, before the data's last "
                    f"session {last_day:%Y-%m-%d}, and {said} (a truncated feed is not a "
                    "delisting)",
                    **where("prices", date=dates[rows[-1]], code=code, field="date"),
                    value=f"last row {dates[rows[-1]]:%Y-%m-%d}, expected rows to "
                    f"{dates[hi]:%Y-%m-%d}",
                    fix="set delisting_date in the security master (or supply the missing rows)",
                )
            )
        gap = _first_bad(~have[lo : hi + 1, jj])
        if gap is not None:
            raise DataError(
                _describe(
                    "missing price row inside the listed period",
                    **where("prices", date=dates[lo + gap], code=code, field="date"),
                    fix="add the row (a suspended day carries the last close with suspended=True), "
                    "or correct listing_date/delisting_date in the security master",
                )
            )

    # a suspended day carries the previous close and trades nothing
    close = panels["close_hkd"]
    prev = np.vstack([np.full((1, shape[1]), np.nan), close[:-1]])
    check = susp & ~np.isnan(prev)
    with np.errstate(invalid="ignore"):
        moved = check & (np.abs(close - prev) > CARRY_RTOL * np.abs(prev))
    if moved.any():
        tt, jj = np.argwhere(moved)[0]
        i = int(rowpos[tt, jj])
        raise DataError(
            _describe(
                "suspended day's close differs from the previous close "
                f"({float(close[tt, jj])!r} vs {float(prev[tt, jj])!r} on {dates[tt - 1]:%Y-%m-%d})",
                **where("prices", i, date=dates[tt], code=codes[jj], field="close_hkd"),
                fix="a suspended day carries the last close: set close_hkd to the previous close "
                "or suspended=False",
            )
        )
    traded = susp & (panels["traded_value_hkd"] > 0)
    if traded.any():
        tt, jj = np.argwhere(traded)[0]
        i = int(rowpos[tt, jj])
        raise DataError(
            _describe(
                "suspended day with a non-zero traded value",
                **where("prices", i, date=dates[tt], code=codes[jj], field="traded_value_hkd"),
                value=float(panels["traded_value_hkd"][tt, jj]),
                fix="set traded_value_hkd to 0 or suspended=False",
            )
        )
    return codes, panels, susp


# --------------------------------------------------------------------------- actions
def _empty_actions() -> pd.DataFrame:
    act = pd.DataFrame({c: pd.Series(dtype=float) for c in ACTION_COLUMNS})
    for c in ("ex_date", "pay_date"):
        act[c] = act[c].astype("datetime64[ns]")
    for c in ("code", "kind"):
        act[c] = act[c].astype(object)
    return act


def _check_actions(actions, known, dates, codes, close, where: _Where) -> pd.DataFrame:
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
    act["code"] = _codes(act["code"], where, "actions")
    act["ex_date"] = _dates(
        act["ex_date"], where, "actions", "ex_date", required=True, codes=act["code"]
    )
    if "pay_date" in act.columns:
        act["pay_date"] = _dates(
            act["pay_date"], where, "actions", "pay_date", required=False, codes=act["code"]
        )
    else:
        act["pay_date"] = pd.NaT
    act["pay_date"] = act["pay_date"].fillna(act["ex_date"]).astype("datetime64[ns]")
    act["kind"] = act["kind"].astype(object).where(act["kind"].notna(), "")
    act["kind"] = act["kind"].astype(str).str.strip().str.lower().astype(object)
    col_of = {c: k for k, c in enumerate(codes)}
    need_of = {
        "cash_dividend": ("amount_hkd",),
        "split": ("ratio",),
        "bonus": ("ratio",),
        "rights": ("ratio", "price_hkd"),
    }
    for i in range(len(act)):
        code, kind, ex = act["code"][i], act["kind"][i], act["ex_date"][i]
        at = where("actions", i, date=ex, code=code)
        if code not in known:
            raise DataError(
                _describe(
                    "corporate action for an unknown code",
                    **at,
                    field="code",
                    fix="add the security to the master or remove the action",
                )
            )
        if kind not in ACTION_KINDS:
            raise DataError(
                _describe(
                    "unknown corporate-action kind",
                    **at,
                    field="kind",
                    value=kind,
                    fix=f"use one of {ACTION_KINDS}",
                )
            )
        for c in need_of[kind]:
            v = act[c][i]
            if not (np.isfinite(v) and v > 0):
                raise DataError(
                    _describe(
                        f"{kind} needs a positive {c}",
                        **at,
                        field=c,
                        value=v,
                        fix=f"fill in {c}",
                    )
                )
        if act["pay_date"][i] < ex:
            raise DataError(_describe("pay date before ex-date", **at, field="pay_date"))
        tt = dates.get_indexer([ex])[0]
        if tt < 0:
            raise DataError(
                _describe(
                    "ex-date is not a session of the price data",
                    **at,
                    field="ex_date",
                    fix="use an HKEX session inside the price history",
                )
            )
        jj = col_of[code]
        if np.isnan(close[tt, jj]) or tt == 0 or np.isnan(close[tt - 1, jj]):
            raise DataError(
                _describe(
                    "ex-date outside the security's priced life (needs a close on the ex-date "
                    "and the session before)",
                    **at,
                    field="ex_date",
                )
            )
        if kind == "cash_dividend" and act["amount_hkd"][i] >= close[tt - 1, jj]:
            raise DataError(
                _describe(
                    "dividend not below the previous close",
                    **at,
                    field="amount_hkd",
                    value=act["amount_hkd"][i],
                )
            )
    _check_duplicate_actions(act, where)
    act = act[ACTION_COLUMNS]
    return act.sort_values(["ex_date", "code", "kind"], kind="stable").reset_index(drop=True)


def _check_duplicate_actions(act: pd.DataFrame, where: _Where) -> None:
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
    )
    dup = ident.duplicated(keep="first").to_numpy(dtype=bool)
    i = _first_bad(dup)
    if i is None:
        return
    same = (
        (ident["ex_date"] == ident["ex_date"][i])
        & (ident["code"] == ident["code"][i])
        & (ident["kind"] == ident["kind"][i])
    ).to_numpy(dtype=bool)
    if ident["kind"][i] == "cash_dividend":
        same = same & (ident["amount"] == ident["amount"][i]).to_numpy(dtype=bool)
    first = int(np.flatnonzero(same)[0])
    label = where.label("actions")
    line = f" (line {first + 2})" if label.endswith(".csv") else ""
    what = (
        f"cash dividend of HKD {act['amount_hkd'][i]!r}"
        if ident["kind"][i] == "cash_dividend"
        else str(ident["kind"][i])
    )
    raise DataError(
        _describe(
            f"duplicated corporate action: {what} repeats row {first}{line} with the same "
            "ex-date and code (it would be applied twice)",
            **where("actions", i, date=act["ex_date"][i], code=act["code"][i], field="kind"),
            value=f"rows {first} and {i}",
            fix="keep one row per action (two different cash dividends on one day need "
            "different amounts; otherwise merge them into one row)",
        )
    )


# --------------------------------------------------------------------------- intervals
def _check_intervals(intervals, known, where: _Where) -> pd.DataFrame:
    if intervals is None or len(intervals) == 0:
        return pd.DataFrame(
            {
                "code": pd.Series(dtype=object),
                "kind": pd.Series(dtype=object),
                "start": pd.Series(dtype="datetime64[ns]"),
                "end": pd.Series(dtype="datetime64[ns]"),
            }
        )
    _require(intervals, ["code", "kind", "start", "end"], where, "intervals")
    iv = intervals.reset_index(drop=True).copy()
    iv["code"] = _codes(iv["code"], where, "intervals")
    iv["kind"] = iv["kind"].astype(object).where(iv["kind"].notna(), "")
    iv["kind"] = iv["kind"].astype(str).str.strip().str.lower().astype(object)
    iv["start"] = _dates(iv["start"], where, "intervals", "start", required=True, codes=iv["code"])
    iv["end"] = _dates(iv["end"], where, "intervals", "end", required=False, codes=iv["code"])
    i = _first_bad(~iv["code"].isin(known))
    if i is not None:
        raise DataError(
            _describe(
                "membership interval for an unknown code",
                **where("intervals", i, code=iv["code"][i], field="code"),
                fix="add the security to the master or remove the interval",
            )
        )
    i = _first_bad(~iv["kind"].isin(INTERVAL_KINDS))
    if i is not None:
        raise DataError(
            _describe(
                "unknown interval kind",
                **where("intervals", i, code=iv["code"][i], field="kind"),
                value=iv["kind"][i],
                fix=f"use one of {INTERVAL_KINDS}",
            )
        )
    i = _first_bad((iv["end"] < iv["start"]).to_numpy(dtype=bool))
    if i is not None:
        raise DataError(
            _describe(
                "interval ends before it starts",
                **where("intervals", i, date=iv["end"][i], code=iv["code"][i], field="end"),
            )
        )
    iv = iv[["code", "kind", "start", "end"]]
    return iv.sort_values(["kind", "code", "start"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- relevance
def _check_relevance(relevance, known, where: _Where) -> pd.DataFrame:
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
    rel["code"] = _codes(rel["code"], where, "relevance")
    rel["as_of"] = _dates(
        rel["as_of"], where, "relevance", "as_of", required=True, codes=rel["code"]
    )
    raw_score = rel["score"]
    rel["score"] = _numbers(rel["score"])
    i = _first_bad(~rel["code"].isin(known))
    if i is not None:
        raise DataError(
            _describe(
                "relevance score for an unknown code",
                **where("relevance", i, date=rel["as_of"][i], code=rel["code"][i], field="code"),
                fix="add the security to the master or remove the score",
            )
        )
    score = rel["score"].to_numpy()
    with np.errstate(invalid="ignore"):
        i = _first_bad(~np.isfinite(score) | (score < 0))
    if i is not None:
        raise DataError(
            _describe(
                "relevance score must be a non-negative number",
                **where("relevance", i, date=rel["as_of"][i], code=rel["code"][i], field="score"),
                value=raw_score[i],
            )
        )
    dup = rel.duplicated(["as_of", "code"], keep="first")
    if dup.any():
        i = _first_bad(dup)
        raise DataError(
            _describe(
                "duplicated (as_of, code) relevance row",
                **where("relevance", i, date=rel["as_of"][i], code=rel["code"][i]),
                fix="keep one score per security and date",
            )
        )
    return rel.sort_values(["as_of", "code"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- fx
def _check_fx(fx, dates: pd.DatetimeIndex, where: _Where, source: str = "frames") -> pd.Series:
    if fx is None:
        fx_s = pd.Series(1.0, index=dates, name="hkd_cny")
    else:
        if isinstance(fx, pd.DataFrame):
            _require(fx, ["date", "hkd_cny"], where, "fx")
            fx_dates = _dates(fx["date"], where, "fx", "date", required=True)
            values = _numbers(fx["hkd_cny"])
        elif isinstance(fx, pd.Series):
            fx_dates = _dates(pd.Series(fx.index), where, "fx", "date", required=True)
            values = _numbers(fx)
        else:
            raise DataError(
                _describe(
                    f"fx must be a Series or a DataFrame, got {type(fx).__name__}",
                    **where("fx"),
                    fix="pass a Series indexed by date or a frame with date, hkd_cny",
                )
            )
        dup = fx_dates.duplicated(keep="first")
        if dup.any():
            i = _first_bad(dup)
            raise DataError(
                _describe(
                    "duplicated fixing date",
                    **where("fx", i, date=fx_dates[i], field="date"),
                    fix="keep one fixing per date",
                )
            )
        fx_s = pd.Series(values, index=pd.DatetimeIndex(fx_dates)).reindex(dates)
        arr = fx_s.to_numpy()
        with np.errstate(invalid="ignore"):
            i = _first_bad(~np.isfinite(arr) | (arr <= 0))
        if i is not None:
            raise DataError(
                _describe(
                    "HKD->CNY fixing missing or non-positive on a session",
                    **where("fx", date=dates[i], field="hkd_cny"),
                    value=None if np.isnan(arr[i]) else float(arr[i]),
                    fix="provide a positive fixing for every HKEX session of the price data",
                )
            )
        fx_s = fx_s.rename("hkd_cny")
    fx_s.index.name = "date"
    if is_placeholder_fx(fx_s):
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
):
    """Validate the frames and return ``cls(...)`` (a :class:`MarketData`).

    ``sources`` optionally maps a table name (``prices``, ``securities``, ``actions``,
    ``intervals``, ``relevance``, ``fx``) to the label used in error messages (a file path); tables
    not in it are named by their table name.
    """
    where = _Where(sources)
    sec = _check_securities(securities, where)
    known = set(sec["code"])
    px, dates = _check_prices(prices, sec, where)
    codes, panels, susp = _align(px, sec, dates, where)
    act = _check_actions(actions, known, dates, codes, panels["close_hkd"], where)
    iv = _check_intervals(intervals, known, where)
    rel = _check_relevance(relevance, known, where)
    fx_s = _check_fx(fx, dates, where, source)

    for arr in (*panels.values(), susp):
        arr.setflags(write=False)
    return cls(
        dates=dates,
        codes_=codes,
        close_hkd=panels["close_hkd"],
        shares=panels["shares"],
        free_float=panels["free_float"],
        traded_value_hkd=panels["traded_value_hkd"],
        suspended=susp,
        securities=sec,
        intervals=iv,
        actions=act,
        relevance=rel,
        fx=fx_s,
        synthetic=bool(synthetic),
        source=source,
    )
