"""Reading the prices of :func:`engine.data.onboard.onboard`: any accepted input into checked long
rows, then wide ``[session, code]`` panels with the listing dates applied.

Every step raises a :class:`~engine.errors.DataError` naming the file, row, code and field for what it
cannot use, and appends a sentence to ``warns`` for every row it leaves out or changes.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from engine._args import raise_at_first
from engine.data.io import check_field_counts
from engine.data.text import read_text_lines
from engine.data.vendors import _wide, normalise_code, read_yfinance_csv, sessions_spanning
from engine.errors import DataError

# =========================================================================== read
_YF_FIRST_LINES = ("price,", "date,open", "datetime,open")


def read_prices(
    prices, *, start=None, end=None, closures=()
) -> tuple[pd.DataFrame, str, bool | None]:
    """Tidy ``date, code, close, volume`` from any accepted ``prices`` input.

    Returns the frame, a label and whether the input is known to be adjusted (yfinance: True;
    a ``close_adj`` column: True; ``close_hkd``: False; ``close``: None = not known).  The rows the
    vendor reader left out are listed in ``frame.attrs["report"]`` (:class:`DroppedRow` records).

    Raises
    ------
    DataError
        A path that does not exist or cannot be read, a column missing (or named for another
        currency than HKD), a date that is not a calendar date (time of day), text in a numeric
        column; each naming the file, row, code and field.
    """
    frame, label, adjusted, report = _read_any(prices, closures)
    frame, adjusted = _tidy(frame, label, adjusted)
    if start is not None:
        frame = frame[frame["date"] >= pd.Timestamp(start)]
    if end is not None:
        frame = frame[frame["date"] <= pd.Timestamp(end)]
    if frame.empty:
        raise DataError("no prices in the chosen dates", source=label, value=(start, end))
    frame = frame.reset_index(drop=True)
    frame.attrs["report"] = report
    return frame, label, adjusted


def _read_any(prices, closures) -> tuple[pd.DataFrame, str, bool | None, list]:
    if isinstance(prices, pd.DataFrame):
        return prices.copy(), str(prices.attrs.get("source") or "prices frame"), None, []
    if not isinstance(prices, (str, os.PathLike)):
        raise DataError(
            f"prices must be a path or a DataFrame, got {type(prices).__name__}",
            field="prices",
        )
    p = Path(os.fspath(prices))
    label = str(p)
    if p.is_dir():
        files = sorted(glob.glob(str(p / "*.csv")))
        if not files:
            raise DataError(
                "no CSV files in the folder", source=label, fix="pass the files' folder"
            )
        parts = [read_yfinance_csv(f, closures=closures) for f in files]
        report = [r for part in parts for r in part.attrs.get("report", [])]
        return pd.concat(parts, ignore_index=True), label, True, report
    if not p.exists():
        raise DataError("no such file or folder", source=label, field="prices")
    if p.suffix.lower() == ".parquet":
        try:
            return pd.read_parquet(p), label, None, []
        except (OSError, ValueError) as exc:
            raise DataError(f"unreadable Parquet file ({exc})", source=label) from None
    if p.suffix.lower() != ".csv":
        raise DataError(
            "cannot read prices from this path",
            source=label,
            fix="pass a folder of yfinance CSVs, a .csv or .parquet file, or a DataFrame",
        )
    lines = read_text_lines(p)
    first = lines[0].lower() if lines else ""
    if first.startswith(_YF_FIRST_LINES) or "stock splits" in first:
        frame = read_yfinance_csv(p, closures=closures)
        return frame, label, True, list(frame.attrs.get("report", []))
    if not first.strip():
        raise DataError("empty price file (no header line)", source=label)
    check_field_counts(p)
    return pd.read_csv(p, dtype={"code": str}), label, None, []


def _tidy(
    frame: pd.DataFrame, label: str, adjusted: bool | None
) -> tuple[pd.DataFrame, bool | None]:
    """``date, code, close[, volume]`` with checked dates and numbers (see :func:`read_prices`)."""
    frame = frame.rename(columns=lambda c: str(c).strip().lower())
    _check_currency(frame, label)
    if "close_adj" in frame.columns:
        adjusted = True if adjusted is None else adjusted
        frame = frame.rename(columns={"close_adj": "close"})
    elif "close_hkd" in frame.columns:
        adjusted = False
        frame = frame.rename(columns={"close_hkd": "close"})
    missing = [c for c in ("date", "code", "close") if c not in frame.columns]
    if missing:
        raise DataError(
            f"price table lacks column(s) {missing}",
            source=label,
            field=missing[0],
            value=list(frame.columns),
            fix="give long rows of date, code, close (HKD; or close_adj / close_hkd) and volume",
        )
    keep = ["date", "code", "close"] + (["volume"] if "volume" in frame.columns else [])
    frame = frame[keep].copy()
    frame["code"] = frame["code"].astype(str).map(normalise_code)
    frame["date"] = session_dates(frame, label)
    for col in keep[2:]:
        frame[col] = numbers(frame, col, label, date=frame["date"])
    return frame, adjusted


def _check_currency(frame: pd.DataFrame, label: str) -> None:
    other = [
        c
        for c in frame.columns
        if c.startswith("close_") and c not in ("close_adj", "close_hkd") and len(c) == 9
    ]
    if other and not {"close", "close_adj", "close_hkd"} & set(frame.columns):
        raise DataError(
            f"prices in {other[0][6:].upper()}, not HKD",
            source=label,
            field=other[0],
            fix="convert the closes to HKD (the engine prices HK stocks in HKD) and name the "
            "column close_hkd",
        )
    if "currency" in frame.columns:
        cur = frame["currency"].astype(str).str.strip().str.upper()
        raise_at_first(
            cur != "HKD",
            "a price row not in HKD",
            row=True,
            source=label,
            code=lambda i: frame["code"].iloc[i] if "code" in frame else None,
            field="currency",
            value=frame["currency"],
            fix="convert the closes to HKD",
        )


def session_dates(frame: pd.DataFrame, label: str) -> pd.Series:
    """Naive calendar dates: a tz-aware column is read in Hong Kong time; a time of day is an error."""
    raw = frame["date"]
    try:
        d = pd.to_datetime(raw, errors="coerce")
    except (ValueError, TypeError):  # mixed offsets
        d = pd.to_datetime(raw, errors="coerce", utc=True)
    if getattr(d.dt, "tz", None) is not None:
        d = d.dt.tz_convert("Asia/Hong_Kong").dt.tz_localize(None)
    raise_at_first(
        d.isna().to_numpy() | (d != d.dt.normalize()).to_numpy(),
        lambda i: "unparseable date" if pd.isna(d.iloc[i]) else "date carries a time of day",
        row=True,
        source=label,
        code=frame["code"],
        field="date",
        value=lambda i: str(raw.iloc[i]),
        fix="give calendar dates YYYY-MM-DD (Hong Kong trading days)",
    )
    return d.astype("datetime64[ns]")


def numbers(frame: pd.DataFrame, col: str, label: str, **where) -> np.ndarray:
    """Float values of ``frame[col]``; text that is not a number is an error naming the row, code
    and field (and ``where``, e.g. each row's ``date``)."""
    values = pd.to_numeric(frame[col], errors="coerce").to_numpy(float)
    bad = np.isnan(values) & frame[col].notna().to_numpy()
    raise_at_first(
        bad,
        "not a number",
        row=True,
        source=label,
        code=frame["code"],
        field=col,
        value=frame[col],
        **where,
    )
    return values


# =========================================================================== panels
@dataclass
class Panel:
    """Wide ``[session, code]`` closes and volumes of the priced codes (NaN = no close)."""

    sessions: pd.DatetimeIndex
    codes: list[str]
    raw: np.ndarray
    volume: np.ndarray
    life: np.ndarray | None = None
    gaps: np.ndarray | None = None
    close: np.ndarray | None = None

    @classmethod
    def from_tidy(cls, tidy: pd.DataFrame, label: str, closures) -> Panel:
        close_w, vol_w = _wide(tidy.rename(columns={"close": "close_adj"}), None)
        close_w = close_w.sort_index()
        codes = list(close_w.columns)
        fix = "drop them (read_yfinance_csv drops and reports them)"
        sessions = sessions_spanning(close_w.index, label, closures, fix)
        raw = np.array(close_w.reindex(sessions).to_numpy(float), copy=True)
        vol = (
            vol_w.reindex(index=sessions, columns=codes).to_numpy(float)
            if vol_w is not None
            else np.zeros_like(raw)
        )
        return cls(sessions, codes, raw, vol)

    def trim(self) -> None:
        """Drop the leading sessions on which no code has a close (left by dropped rows)."""
        k = int(np.argmax((~np.isnan(self.raw)).any(axis=1)))
        if k:
            self.sessions, self.raw, self.volume = self.sessions[k:], self.raw[k:], self.volume[k:]

    @property
    def first_i(self) -> np.ndarray:
        return np.argmax(~np.isnan(self.raw), axis=0)

    @property
    def last_i(self) -> np.ndarray:
        return len(self.sessions) - 1 - np.argmax(~np.isnan(self.raw[::-1]), axis=0)

    def first_sessions(self) -> pd.DatetimeIndex:
        return self.sessions[self.first_i]

    def fill(self, fill_gaps: bool, label: str, warns: list[str]) -> None:
        """Priced lives (first to last close), gaps inside them carried and reported."""
        have = ~np.isnan(self.raw)
        rows = np.arange(len(self.sessions))[:, None]
        self.life = (rows >= self.first_i) & (rows <= self.last_i)
        self.gaps = self.life & ~have
        if self.gaps.any():
            _report_gaps(self.gaps, self.sessions, self.codes, fill_gaps, label, warns)
        self.close = pd.DataFrame(self.raw).ffill().where(self.life).to_numpy(float)
        vol = np.nan_to_num(self.volume, nan=0.0)
        self.volume = np.where(self.gaps, 0.0, vol)

    @property
    def traded(self) -> np.ndarray:
        return np.where(self.life, np.nan_to_num(self.close) * self.volume, np.nan)


def _report_gaps(gaps, sessions, codes, fill_gaps, label, warns) -> None:
    t, j = np.argwhere(gaps)[0]
    if not fill_gaps:
        raise DataError(
            f"{int(gaps.sum())} session(s) without a close inside priced lives",
            source=label,
            date=sessions[t],
            code=codes[j],
            fix="pass fill_gaps=True to carry the previous close and flag the day suspended",
        )
    shown = ", ".join(f"{codes[jj]} {sessions[tt]:%Y-%m-%d}" for tt, jj in np.argwhere(gaps)[:10])
    warns.append(
        f"{int(gaps.sum())} session(s) without a close inside a priced life carry the previous "
        f"close and are flagged suspended: {shown}{' ...' if gaps.sum() > 10 else ''}"
    )


def apply_listing_dates(panel: Panel, sec: pd.DataFrame, warns: list[str]) -> None:
    """A listing date (user or reference) after the first vendor row wins: the earlier rows are
    placeholders and are dropped (reported).  A first price after the listing date, inside the
    data, moves the listing date to the first price (reported)."""
    listing = pd.DatetimeIndex(sec["listing_date"])
    dropped, moved = [], []
    for j, code in enumerate(panel.codes):
        col = panel.raw[:, j]
        before = (panel.sessions < listing[j]) & ~np.isnan(col)
        if before.any():
            if before.sum() == (~np.isnan(col)).sum():
                raise DataError(
                    "every price of the code comes before its listing date",
                    code=code,
                    field="listing_date",
                    value=f"{listing[j]:%Y-%m-%d}",
                    fix="correct listing_date in classification=, or drop the code's prices",
                )
            lo, hi = np.nanmin(col[before]), np.nanmax(col[before])
            dropped.append(
                f"{code}: {int(before.sum())} row(s) {panel.sessions[before][0]:%Y-%m-%d}.."
                f"{panel.sessions[before][-1]:%Y-%m-%d} at {lo:.4g}..{hi:.4g} HKD before the "
                f"listing date {listing[j]:%Y-%m-%d}"
            )
            col[before] = np.nan
    panel.trim()
    for j, code in enumerate(panel.codes):
        first = panel.sessions[int(np.argmax(~np.isnan(panel.raw[:, j])))]
        if first > listing[j] and first > panel.sessions[0]:
            moved.append(f"{code} (listed {listing[j]:%Y-%m-%d}, first price {first:%Y-%m-%d})")
            sec.loc[sec.index[j], "listing_date"] = first
    if dropped:
        warns.append("vendor rows before the listing date dropped: " + "; ".join(dropped))
    if moved:
        warns.append(
            "first price after the listing date; the first price is taken as the listing date: "
            + ", ".join(moved)
        )


__all__ = ["Panel", "apply_listing_dates", "numbers", "read_prices", "session_dates"]
