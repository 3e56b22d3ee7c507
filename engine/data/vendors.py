"""Loaders for vendor price files: yfinance CSV layouts.  **Dividend-adjusted, total-return-like.**

yfinance prices (``auto_adjust=True`` downloads and ``Ticker.history()``) are scaled back in time for
splits *and* cash dividends.  They are not the raw exchange closes the index engine is built on, and
they carry no issued shares or free float.  So this module keeps them apart:

* :func:`read_yfinance_csv` returns a frame whose price columns are named ``*_adj`` and whose
  ``attrs["adjusted"]`` is True;
* :func:`market_from_adjusted_closes` builds a :class:`~engine.data.market.MarketData` whose
  ``source`` starts with ``"adjusted:"`` (:attr:`MarketData.is_adjusted` is True), with constant
  shares and free float and no corporate actions.  Its returns are total returns (the closes are
  scaled back for cash dividends): an index on it is total-return-like and its price, gross and
  net levels are equal; :data:`ADJUSTED_NOTE` says so first in the market's warnings, which every
  result carries.  Market-cap weights on its constant shares are meaningless.

Nothing is dropped silently.  Rows :func:`read_yfinance_csv` leaves out (dates that are not XHKG
sessions, such as yfinance's Saturday rows and rows on typhoon closures; rows without a close;
exact duplicate rows) are listed in ``attrs["report"]`` as :class:`DroppedRow` records with the file,
line, date and reason.  Zero-volume rows on sessions (HK half days, vendor glitches) are kept: their
close is fine.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from engine._args import raise_at_first
from engine.data.calendar import hkex_sessions
from engine.data.market import SECURITY_COLUMNS, MarketData
from engine.data.text import read_text_lines
from engine.data.validate import _describe, _factorize, _one_date
from engine.errors import CalendarError, DataError

ADJUSTED_NOTE = (
    "prices are vendor-adjusted closes (scaled back for cash dividends and splits): the 'price' "
    "index built on them is a total-return-like series, and price, gross and net levels are the "
    "same (no dividends are recorded), so they must not be read as different returns"
)
"""The warning every market built on vendor-adjusted closes carries first."""

ADJ_SHARES = 1e9
"""Constant issued shares given to every security of an adjusted market (a placeholder)."""

_PRICE_FIELDS = {
    "open": "open_adj",
    "high": "high_adj",
    "low": "low_adj",
    "close": "close_adj",
    "adj close": "close_adj",
    "volume": "volume",
    "dividends": "dividend",
    "stock splits": "split_ratio",
}
OUTPUT_COLUMNS = [
    "date",
    "code",
    "open_adj",
    "high_adj",
    "low_adj",
    "close_adj",
    "volume",
    "dividend",
    "split_ratio",
]
"""Columns :func:`read_yfinance_csv` can return (``dividend``/``split_ratio`` only when the file has
them; ``open_adj``/``high_adj``/``low_adj`` only when the file has them)."""


@dataclass(frozen=True)
class DroppedRow:
    """One vendor row left out of a loader's result, and why."""

    source: str
    line: int
    date: str
    code: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line} {self.date} {self.code}: {self.reason}"


def normalise_code(ticker: str) -> str:
    """``"2269.HK"`` -> ``"2269"``, ``"13.HK"`` -> ``"0013"``; other tickers are upper-cased."""
    s = str(ticker).strip().upper().removesuffix(".HK")
    return s.zfill(4) if s.isdigit() else s


# =========================================================================== read
def read_yfinance_csv(
    path: str | os.PathLike, code: str | None = None, *, closures=()
) -> pd.DataFrame:
    """Read one yfinance CSV file into a tidy frame of **adjusted** prices.

    Two layouts are recognised:

    * ``yf.download(...).to_csv()`` with a three-line header (``Price,Close,High,Low,Open,Volume`` /
      ``Ticker,2269.HK,...`` / ``Date,,,,,``); several tickers in one file are allowed, ``code``
      picks one;
    * ``Ticker.history().to_csv()`` (or a single-ticker download) with one header line, e.g.
      ``Date,Open,High,Low,Close,Volume,Dividends,Stock Splits``; dates may carry a UTC offset
      (``2020-01-02 00:00:00+08:00``), the local calendar date is kept.  When an ``Adj Close``
      column is present it is used as ``close_adj`` (and ``Close`` is ignored).

    Parameters
    ----------
    path
        The CSV file (UTF-8).
    code
        HKEX code of the security (``"2269"``, ``"0013"``, ``"2269.HK"``).  Default: the ticker in
        the header (three-line layout) or the file name (``2269.HK.csv``).  For a three-line file
        the code must match a ticker in it.
    closures
        Whole-day closures beyond :data:`engine.data.calendar.EXTRA_CLOSURES` (see
        :meth:`MarketData.from_frames`); rows on them are left out like other off-calendar rows.

    Returns
    -------
    pandas.DataFrame
        Columns ``date`` (tz-naive session), ``code`` (str), ``open_adj``, ``high_adj``, ``low_adj``,
        ``close_adj``, ``volume`` (shares, float) and, when the file has them, ``dividend`` (cash
        per share on its ex-date, as the vendor gives it) and ``split_ratio`` (0 = no split), sorted
        by date.  ``attrs``: ``adjusted`` (True), ``source`` (the path), ``code``, ``layout``
        (``"multi-header"`` or ``"single-header"``) and ``report`` (list of :class:`DroppedRow`).

    Raises
    ------
    DataError
        A file that is missing or not UTF-8 (naming the line), an unrecognised layout, a missing
        or renamed column, an unparseable date or a time of day without a UTC offset, text in a
        numeric column (naming file, line, field), a close that is not positive, or two
        different rows for the same date.
    """
    path = Path(path)
    src = str(path)
    lines = read_text_lines(path, "vendor file")
    if not lines:
        raise DataError(_describe("empty vendor file", source=src))
    layout, first_line, columns, want = _header(lines, path, code)
    width = len(lines[0].split(","))
    raw = _cells(lines[first_line - 1 :], first_line, width, src)
    report: list[DroppedRow] = []
    if raw is None:
        out = pd.DataFrame({c: pd.Series(dtype=float) for c in ["close_adj", "volume"]})
        out.insert(0, "code", pd.Series(dtype=object))
        out.insert(0, "date", pd.Series(dtype="datetime64[ns]"))
        return _attach(out, src, want, layout, report)
    out = _parse(raw, columns, want, src, first_line)
    keep = _leave_out(out, src, want, closures, report)
    _check_positive(out, keep, src, want)
    _drop_repeats(out, keep, src, want, report)
    out = out[keep].drop(columns="_line").sort_values("date", kind="stable").reset_index(drop=True)
    ordered = [c for c in OUTPUT_COLUMNS if c in out.columns]
    return _attach(out[ordered], src, want, layout, report)


def _header(lines: list[str], path: Path, code) -> tuple[str, int, dict[str, int], str]:
    """Layout, first data line (1-based), price field -> column position, and the code."""
    src = str(path)
    head = [c.strip() for c in lines[0].split(",")]
    if head[0].lower() == "price" and len(lines) >= 3 and lines[1].lower().startswith("ticker,"):
        layout, first_line = "multi-header", 4
        columns, want = _multi_header(lines, head, src, code)
    elif head[0].lower() in ("date", "datetime"):
        layout, first_line = "single-header", 2
        columns = {c.lower(): k for k, c in enumerate(head) if k > 0}
        want = normalise_code(code) if code is not None else normalise_code(_stem(path))
    else:
        raise DataError(
            _describe(
                "unrecognised yfinance CSV layout",
                source=src,
                line=1,
                value=lines[0][:80],
                fix="expected a 'Price,...'/'Ticker,...'/'Date,...' header or a 'Date,Open,...' header",
            )
        )
    if "adj close" in columns:
        columns.pop("close", None)
    unknown = [c for c in columns if c not in _PRICE_FIELDS]
    if unknown:
        raise DataError(
            _describe(
                f"unknown column(s) {unknown}",
                source=src,
                line=1,
                field=unknown[0],
                fix=f"a yfinance file has columns among {sorted(_PRICE_FIELDS)} (a renamed "
                "column: give it its yfinance name)",
            )
        )
    if "close" not in columns and "adj close" not in columns:
        raise DataError(
            _describe(
                "no Close column", source=src, line=1, field="Close", value=list(columns) or None
            )
        )
    return layout, first_line, columns, want


def _multi_header(lines, head, src, code) -> tuple[dict[str, int], str]:
    def bad(what: str, line: int, **where) -> DataError:
        return DataError(_describe(what, source=src, line=line, **where))

    fields = [c.lower() for c in head[1:]]
    tickers = [c.strip() for c in lines[1].split(",")[1:]]
    if not lines[2].lower().startswith("date"):
        raise bad("third header line should start with 'Date'", 3, value=lines[2])
    if len(tickers) != len(fields):
        fix = "the Ticker line needs one ticker per column of the Price line"
        raise bad(f"{len(tickers)} tickers for {len(fields)} price fields", 2, fix=fix)
    found = [normalise_code(t) for t in tickers]
    want = normalise_code(code) if code is not None else None
    if want is None and len(set(found)) != 1:
        raise bad(
            f"file holds several tickers {sorted(set(found))}", 2, fix="pass code= to pick one"
        )
    if want is None:
        want = found[0]
    elif want not in found:
        fix = "pass the code of a ticker in the file"
        raise bad(
            "code not among the file's tickers", 2, code=want, value=sorted(set(found)), fix=fix
        )
    return {fields[k]: k + 1 for k, c in enumerate(found) if c == want}, want


def _cells(body: list[str], first_line: int, width: int, src: str) -> pd.DataFrame | None:
    """The data lines split into ``width`` text cells; a line with another count is an error."""
    cells = []
    for n, text in enumerate(body):
        parts = text.split(",") if text.strip() else [""] * width
        if len(parts) != width:
            raise DataError(
                _describe(
                    f"line {first_line + n} has {len(parts)} field"
                    f"{'' if len(parts) == 1 else 's'}, the header has {width}",
                    source=src,
                    line=first_line + n,
                    value=text[:80],
                    fix="every line needs one field per header column (a vendor file cut or "
                    "edited by hand: download it again)",
                )
            )
        cells.append(parts)
    return pd.DataFrame(cells, columns=range(width), dtype=object) if cells else None


def _parse(raw: pd.DataFrame, columns: dict, want: str, src: str, first_line: int):
    """Dates and numbers of the cells, with each row's line number in ``_line``."""
    line_no = np.arange(len(raw)) + first_line
    date_text = raw[0].astype(str).str.strip()
    dates, problems = _vendor_dates(date_text)
    raise_at_first(
        dates.isna(),
        lambda i: (
            "date with a time of day and no UTC offset" if problems[i] else "unparseable date"
        ),
        source=src,
        code=want,
        field="Date",
        value=date_text,
        line=line_no,
        fix="dates must start with YYYY-MM-DD (a time of day needs its UTC offset)",
    )
    out = pd.DataFrame({"date": dates.astype("datetime64[ns]"), "code": want})
    for name, k in columns.items():
        text = raw[k].astype(str).str.strip()
        values = pd.to_numeric(text.where(text != "", "nan"), errors="coerce").to_numpy(float)
        raise_at_first(
            np.isnan(values) & ~text.str.lower().isin(["", "nan"]).to_numpy(),
            "not a number",
            source=src,
            date=dates,
            code=want,
            field=name.title(),
            value=text,
            line=line_no,
        )
        out[_PRICE_FIELDS[name]] = values
    out["_line"] = line_no
    return out


def _leave_out(out: pd.DataFrame, src: str, want: str, closures, report: list) -> np.ndarray:
    """Rows kept: those off the XHKG calendar or without a close are left out and reported."""
    keep = np.ones(len(out), dtype=bool)
    if len(out):
        sessions = hkex_sessions(out["date"].min(), out["date"].max(), closures)
        off = ~out["date"].isin(sessions).to_numpy()
    else:
        off = np.zeros(0, dtype=bool)
    no_close = np.isnan(out["close_adj"].to_numpy())
    for k in np.flatnonzero(off | no_close):
        reason = "not an XHKG session (weekend, holiday or closure)" if off[k] else "no close"
        if off[k] and no_close[k]:
            reason += "; no close"
        report.append(_dropped(src, out, k, want, reason))
        keep[k] = False
    return keep


def _check_positive(out: pd.DataFrame, keep: np.ndarray, src: str, want: str) -> None:
    close = out["close_adj"].to_numpy()
    raise_at_first(
        keep & ~(close > 0),
        "close must be positive",
        source=src,
        date=out["date"],
        code=want,
        field="Close",
        value=close,
        line=out["_line"],
    )


def _drop_repeats(out: pd.DataFrame, keep: np.ndarray, src: str, want: str, report) -> None:
    """A date repeated with the same prices is left out (reported); with other prices, an error."""
    kept = out[keep]
    dup = kept["date"].duplicated(keep="first").to_numpy()
    if not dup.any():
        return
    price_cols = [c for c in out.columns if c not in ("date", "code", "_line")]
    first_of = kept.reset_index().groupby("date")["index"].transform("first").to_numpy()
    for pos in np.flatnonzero(dup):
        k, first = int(kept.index[pos]), int(first_of[pos])
        a = out.loc[first, price_cols].to_numpy(float)
        b = out.loc[k, price_cols].to_numpy(float)
        if not np.array_equal(a, b, equal_nan=True):
            raise DataError(
                _describe(
                    f"two different rows for one date (lines {out['_line'][first]} and "
                    f"{out['_line'][k]})",
                    source=src,
                    date=out["date"][k],
                    code=want,
                    line=int(out["_line"][k]),
                    fix="remove one of them",
                )
            )
        report.append(_dropped(src, out, k, want, f"repeats line {out['_line'][first]}"))
        keep[k] = False


def _vendor_dates(text: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Session dates of the vendor's date column, parsed once per distinct value: a UTC offset is
    honoured (``2020-01-01 16:00:00+00:00`` is the Hong Kong date 2020-01-02, never 2020-01-01);
    anything that does not start with YYYY-MM-DD is NaT (reported by the caller).  The second
    value flags the rows whose text is a time of day without an offset."""
    idx, uniq = _factorize(text)
    parsed = [
        _one_date(u) if str(u)[:4].isdigit() else (np.iinfo(np.int64).min, "unparseable")
        for u in uniq
    ]
    ns = np.array([p[0] for p in parsed], dtype=np.int64)
    timed = np.array([p[1] == "time of day" for p in parsed], dtype=bool)
    dates = pd.Series(ns[idx].view("datetime64[ns]") if len(idx) else [], dtype="datetime64[ns]")
    return dates, timed[idx] if len(idx) else np.zeros(0, dtype=bool)


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".csv", ".CSV"):
        name = name.removesuffix(suffix)
    return name


def _dropped(src: str, out: pd.DataFrame, k: int, code: str, reason: str) -> DroppedRow:
    return DroppedRow(
        source=src,
        line=int(out["_line"][k]),
        date=f"{out['date'][k]:%Y-%m-%d}",
        code=code,
        reason=reason,
    )


def _attach(frame: pd.DataFrame, src: str, code: str, layout: str, report: list) -> pd.DataFrame:
    frame.attrs.update(adjusted=True, source=src, code=code, layout=layout, report=report)
    return frame


# =========================================================================== build
def market_from_adjusted_closes(
    closes: pd.DataFrame,
    securities: pd.DataFrame | None = None,
    *,
    volumes: pd.DataFrame | None = None,
    fx: pd.Series | pd.DataFrame | None = None,
    fill_gaps: bool = False,
    source: str | None = None,
    plausibility=None,
    closures=(),
) -> MarketData:
    """Build a :class:`MarketData` from vendor-adjusted (total-return-like) closes.

    Parameters
    ----------
    closes
        Either wide (index = dates, columns = codes, values = adjusted closes, NaN where a security
        is not listed) or tidy (columns ``date, code, close_adj`` and optionally ``volume``, e.g.
        ``pd.concat`` of :func:`read_yfinance_csv` results).
    securities
        Optional security master (:data:`~engine.data.market.SECURITY_COLUMNS`); every code in
        ``closes`` must be in it.  Default: a placeholder master (name = code, empty industry,
        ``is_cxo=False``, listing date = first close, board lot 1, empty withholding class, and
        delisting date = last close for a code whose closes end before the last session of
        ``closes``; those codes and dates are reported in a :class:`UserWarning`).  A master passed
        here must give such codes a ``delisting_date`` itself: closes that stop early without one
        are a truncated feed and a :class:`~engine.errors.DataError`.
    volumes
        Optional wide frame of traded shares on the same dates and codes (ignored when the tidy
        ``closes`` has a ``volume`` column, which is used instead).  Traded value is
        ``close_adj * volume`` (a NaN volume counts as 0); without volumes it is 0.
    fx
        Optional HKD->CNY fixings (see :meth:`MarketData.from_frames`); default constant 1.0.
    fill_gaps
        A session inside a security's priced life with no close is an error by default.  With
        ``fill_gaps=True`` the previous close is carried and the day is flagged ``suspended``
        (traded value 0), so the filled days stay visible in :attr:`MarketData.suspended`.  A
        whole-day closure is not a gap: the ones ``exchange_calendars`` misses (2023-09-01 and
        2023-09-08) are in :data:`engine.data.calendar.EXTRA_CLOSURES`; declare others in
        ``closures``.
    source
        Label after the ``"adjusted:"`` prefix; default: the ``attrs["source"]`` of ``closes`` or
        ``"closes"``.
    plausibility
        Thresholds of the plausibility checks (:class:`~engine.data.plausibility.Plausibility`):
        a one-day spike in the vendor closes is a warning in :attr:`MarketData.warnings` (or an
        error with ``on_finding="error"``).
    closures
        Whole-day closures declared for the market (see :meth:`MarketData.from_frames`).

    Returns
    -------
    MarketData
        ``close_hkd`` = the adjusted closes, ``shares`` = :data:`ADJ_SHARES`, ``free_float`` = 1,
        no corporate actions, ``source = "adjusted:<source>"`` (:attr:`MarketData.is_adjusted`).
        The day-on-day ratio of closes is the vendor's total-return-style return; levels built from
        cap weights on it are not meaningful.

    Raises
    ------
    CalendarError
        A date that is not an XHKG session (run the file through :func:`read_yfinance_csv`, which
        drops and reports them).
    DataError
        A gap inside a priced life without ``fill_gaps``, a duplicated (date, code), a code missing
        from ``securities``, or any check of :meth:`MarketData.from_frames`.
    """
    label = source or str(getattr(closes, "attrs", {}).get("source") or "closes")
    prices, sec, notes = _adjusted_frames(closes, securities, volumes, label, fill_gaps, closures)
    return MarketData.from_frames(
        prices,
        sec,
        fx=fx,
        source=f"adjusted:{label}",
        sources={"prices": f"adjusted closes ({label})"},
        plausibility=plausibility,
        closures=closures,
        warnings=(ADJUSTED_NOTE, *notes),
    )


def _adjusted_frames(closes, securities, volumes, label: str, fill_gaps: bool, closures):
    """The price rows of :func:`market_from_adjusted_closes`, the security master and the notes
    on it (see :func:`_placeholder_master`)."""
    close_w, vol_w = _wide(closes, volumes)
    if close_w.shape[1] == 0 or close_w.notna().to_numpy().sum() == 0:
        raise DataError(_describe("no closes given", source=label, fix="pass at least one close"))
    close_w = close_w.sort_index()
    fix = "load vendor files through read_yfinance_csv, which drops and reports them"
    sessions = sessions_spanning(close_w.index, label, closures, fix)
    close_w = close_w.reindex(sessions)
    vol_w = vol_w.reindex(index=sessions, columns=close_w.columns) if vol_w is not None else None
    rows = [_code_rows(close_w, vol_w, code, sessions, fill_gaps, label) for code in close_w]
    prices = pd.concat(rows, ignore_index=True)
    return prices, *_placeholder_master(prices, sessions, label, securities)


def sessions_spanning(dates: pd.DatetimeIndex, label: str, closures, fix: str) -> pd.DatetimeIndex:
    """The HKEX sessions from the first to the last of the sorted ``dates``; a date that is not a
    session is a :class:`~engine.errors.CalendarError` (``fix`` says what to do)."""
    sessions = hkex_sessions(dates.min(), dates.max(), closures)
    off = dates.difference(sessions)
    if len(off):
        what = f"{len(off)} date(s) are not XHKG sessions"
        raise CalendarError(_describe(what, source=label, date=off[0], fix=fix))
    return sessions


def _code_rows(close_w, vol_w, code, sessions, fill_gaps: bool, label: str) -> pd.DataFrame:
    """Price rows of one code over its priced life (first to last close); a gap inside it is an
    error, or (``fill_gaps``) the previous close carried and the day flagged suspended."""
    col = close_w[code].to_numpy(float)
    have = np.flatnonzero(~np.isnan(col))
    if len(have) == 0:
        raise DataError(_describe("no close for this code", source=label, code=code))
    lo, hi = have[0], have[-1]
    life = col[lo : hi + 1]
    gap = np.isnan(life)
    raise_at_first(
        gap & (not fill_gaps),
        f"{int(gap.sum())} session(s) without a close inside the priced life",
        source=label,
        date=sessions[lo:],
        code=code,
        field="close_adj",
        fix="pass fill_gaps=True to carry the previous close and flag the day suspended",
    )
    filled = pd.Series(life).ffill().to_numpy()
    if vol_w is not None:
        vol = np.nan_to_num(vol_w[code].to_numpy(float)[lo : hi + 1], nan=0.0)
    else:
        vol = np.zeros(len(life))
    return pd.DataFrame(
        {
            "date": sessions[lo : hi + 1],
            "code": code,
            "close_hkd": filled,
            "shares": ADJ_SHARES,
            "free_float": 1.0,
            "traded_value_hkd": np.where(gap, 0.0, filled * vol),
            "suspended": gap,
        }
    )


def _placeholder_master(prices, sessions, label: str, securities=None):
    """``(securities, notes)``: the master passed (no notes), or one for codes without one: name =
    code, blank industry, listing on the first close, and a delisting on the last close for codes
    whose closes end before the last session (reported: a :class:`UserWarning` and a note for the
    market's warnings), since a truncated feed would otherwise be rejected by
    :meth:`MarketData.from_frames`."""
    if securities is not None:
        return securities, ()
    first = prices.groupby("code", sort=True)["date"].min()
    last = prices.groupby("code", sort=True)["date"].max()
    delisting = last.where(last < sessions[-1])
    ended = delisting.dropna()
    notes: tuple[str, ...] = ()
    if len(ended):
        shown = ", ".join(f"{c} ({d:%Y-%m-%d})" for c, d in ended.items())
        note = (
            f"adjusted closes ({label}): {len(ended)} code(s) have no close on the last "
            f"session {sessions[-1]:%Y-%m-%d}; the placeholder security master sets their "
            f"delisting_date to their last close: {shown}.  Pass a security master to state "
            "the listed lives yourself"
        )
        warnings.warn(note, UserWarning, stacklevel=4)
        notes = (note,)
    securities = pd.DataFrame(
        {
            "code": first.index.astype(object),
            "name": first.index.astype(object),
            "industry": "",
            "sub_industry": "",
            "is_cxo": False,
            "is_18a": False,
            "listing_date": first.to_numpy(),
            "delisting_date": delisting.to_numpy(dtype="datetime64[ns]"),
            "board_lot": 1,
            "wht_class": "",
        }
    )[SECURITY_COLUMNS]
    return securities, notes


def _wide(closes: pd.DataFrame, volumes: pd.DataFrame | None):
    """Wide ``[date, code]`` closes and volumes (or None) with string codes and naive dates."""
    if not isinstance(closes, pd.DataFrame):
        raise DataError(_describe(f"closes must be a DataFrame, got {type(closes).__name__}"))
    if {"date", "code", "close_adj"}.issubset(closes.columns):
        tidy = closes.copy()
        tidy["code"] = tidy["code"].map(normalise_code)
        tidy["date"] = pd.to_datetime(tidy["date"]).astype("datetime64[ns]")
        raise_at_first(
            tidy.duplicated(["date", "code"]),
            "duplicated (date, code) close",
            row=True,
            date=tidy["date"],
            code=tidy["code"],
            fix="concatenate each security's file once",
        )
        close_w = tidy.pivot(index="date", columns="code", values="close_adj")
        vol_w = (
            tidy.pivot(index="date", columns="code", values="volume")
            if "volume" in tidy.columns
            else volumes
        )
    else:
        close_w = closes.copy()
        close_w.columns = [normalise_code(c) for c in close_w.columns]
        if close_w.columns.duplicated().any():
            raise DataError(
                _describe(
                    "duplicated code column",
                    code=close_w.columns[close_w.columns.duplicated()][0],
                )
            )
        vol_w = volumes
        if vol_w is not None:
            vol_w = vol_w.copy()
            vol_w.columns = [normalise_code(c) for c in vol_w.columns]
    close_w = _numeric_wide(close_w, "close_adj")
    if vol_w is not None:
        vol_w = _numeric_wide(vol_w, "volume")
    if close_w.index.has_duplicates:
        raise DataError(
            _describe(
                "duplicated date in closes", date=close_w.index[close_w.index.duplicated()][0]
            )
        )
    return close_w, vol_w


def _numeric_wide(frame: pd.DataFrame, field: str) -> pd.DataFrame:
    """Float ``[date, code]`` frame with naive dates and string codes; a non-number is an error."""
    out = frame.copy()
    try:
        out.index = pd.DatetimeIndex(pd.to_datetime(out.index)).astype("datetime64[ns]")
    except (ValueError, TypeError) as exc:
        raise DataError(_describe(f"unparseable date in the index ({exc})", field=field)) from None
    out.columns = pd.Index([str(c) for c in out.columns], dtype=object)
    num = out.apply(pd.to_numeric, errors="coerce").astype(float)
    bad = num.isna().to_numpy(dtype=bool) & out.notna().to_numpy(dtype=bool)
    if bad.any():
        t, j = np.argwhere(bad)[0]
        raise DataError(
            _describe(
                "not a number",
                date=out.index[t],
                code=out.columns[j],
                field=field,
                value=out.iat[t, j],
            )
        )
    return num


__all__ = [
    "ADJUSTED_NOTE",
    "ADJ_SHARES",
    "DroppedRow",
    "OUTPUT_COLUMNS",
    "market_from_adjusted_closes",
    "normalise_code",
    "read_yfinance_csv",
]
