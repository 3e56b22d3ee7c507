"""Observed ETF prices (e.g. 520500 in Shanghai) from vendor CSV files, and splicing two sources.

:func:`read_etf_csv` reads the daily files that ``akshare`` writes (``fund_etf_hist_em``), in the
layouts found in practice:

* an English header with ``date`` or ``datetime`` and ``close`` (other columns ignored);
* a Chinese header (``日期`` date, ``开盘`` open, ``最高`` high, ``最低`` low, ``收盘`` close,
  ``成交量`` volume, ``成交额`` turnover; others ignored);
* no header: ``date, open, high, low, close, volume, amount`` (recognised when the first field of the
  first line is a date).

It returns the closes as a Series in CNY (the ETF's trading currency).  :func:`splice` joins two
sources of one fund (the first wins where both have a date; their closes must agree on the
overlap).  The result goes to :func:`engine.analytics.compare_observed`.
"""

from __future__ import annotations

import io
import os

import numpy as np
import pandas as pd

from engine._args import raise_at_first
from engine.data.text import read_text_lines
from engine.errors import DataError

HEADER_NAMES = {
    "date": "date",
    "datetime": "date",
    "日期": "date",
    "open": "open",
    "开盘": "open",
    "high": "high",
    "最高": "high",
    "low": "low",
    "最低": "low",
    "close": "close",
    "收盘": "close",
    "volume": "volume",
    "成交量": "volume",
}
"""Header names (English or Chinese, as akshare writes them) -> field."""

NO_HEADER = ("date", "open", "high", "low", "close", "volume", "amount")
"""Columns of a file without a header line (akshare's order)."""

SPLICE_TOLERANCE = 1e-6
"""Largest relative difference of two sources' closes on a common date (assumption: the same
exchange print, written with at most a rounding difference)."""


def read_etf_csv(path: str | os.PathLike, field: str = "close") -> pd.Series:
    """Daily closes (or another price ``field``) of one ETF file, in CNY, indexed by date.

    Parameters
    ----------
    path
        A UTF-8 CSV file in one of the layouts of the module docstring.
    field
        ``"close"`` (default), ``"open"``, ``"high"`` or ``"low"``.

    Returns
    -------
    pandas.Series
        Named ``<field>_cny``, index ``date`` (naive, ascending); ``attrs["source"]`` the path.

    Raises
    ------
    DataError
        A file that is missing, not UTF-8 or empty; no date or ``field`` column (the columns found
        are named); a date that does not parse or carries a time of day, a repeated date, or a
        price that is not a positive number (each naming the line).
    """
    src = str(path)
    lines = read_text_lines(path, "ETF price file")
    if not lines:
        raise DataError("empty ETF price file", source=src)
    first = lines[0].split(",")[0].strip()
    header = pd.isna(pd.to_datetime(first, errors="coerce", format="mixed"))
    if header:
        names = [HEADER_NAMES.get(c.strip().lower(), c.strip()) for c in lines[0].split(",")]
        body, first_line = lines[1:], 2
    else:
        names, body, first_line = list(NO_HEADER), lines, 1
    for need in ("date", field):
        if need not in names:
            raise DataError(
                f"no {need} column",
                source=src,
                line=1,
                field=need,
                value=names,
                fix=f"a header naming {need} (English or Chinese, e.g. 日期 / 收盘)",
            )
    table = _table(body, names, src, first_line)
    return _series(table, field, src, first_line)


def _table(body: list[str], names: list[str], src: str, first_line: int) -> pd.DataFrame:
    try:
        return pd.read_csv(
            io.StringIO("\n".join(body)),
            header=None,
            names=names,
            dtype=str,
            skip_blank_lines=False,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataError(f"malformed CSV ({exc})", source=src) from None


def _series(table: pd.DataFrame, field: str, src: str, first_line: int) -> pd.Series:
    lines = np.arange(len(table)) + first_line
    text = table["date"].astype(str).str.strip()
    dates = pd.to_datetime(text, errors="coerce", format="mixed")
    raise_at_first(
        dates.isna().to_numpy() | (dates != dates.dt.normalize()).to_numpy(),
        "not a calendar date",
        source=src,
        line=lines,
        field="date",
        value=text,
        fix="write dates as YYYY-MM-DD",
    )
    values = pd.to_numeric(table[field], errors="coerce").to_numpy(float)
    raise_at_first(
        ~(values > 0),
        "price is not a positive number",
        source=src,
        line=lines,
        date=dates,
        field=field,
        value=table[field],
    )
    raise_at_first(dates.duplicated(), "repeated date", source=src, line=lines, date=dates)
    out = pd.Series(values, index=pd.DatetimeIndex(dates, name="date"), name=f"{field}_cny")
    out = out.astype(float).sort_index()
    out.index = out.index.astype("datetime64[ns]")
    out.attrs["source"] = src
    return out


def splice(first: pd.Series, second: pd.Series, *, tolerance: float = SPLICE_TOLERANCE):
    """One series from two sources of the same prices: ``first`` where it has a date, ``second``
    on the dates after ``first`` ends (and before it starts).

    The two must agree on every common date to ``tolerance`` (relative); a disagreement (e.g. one
    source forward-adjusted, the other raw) is an error naming the date, never averaged away.

    Returns
    -------
    pandas.Series
        The joined closes; ``attrs["sources"]`` names both and ``attrs["overlap"]`` counts the
        common dates that were checked.
    """
    a, b = pd.Series(first).astype(float), pd.Series(second).astype(float)
    common = a.index.intersection(b.index)
    rel = (b[common] / a[common] - 1.0).abs()
    if len(common) and (rel > tolerance).any():
        d = rel.idxmax()
        raise DataError(
            f"the two sources disagree on a common date by {rel.max():.2%}",
            date=d,
            value=(float(a[d]), float(b[d])),
            fix="splice sources with the same adjustment (both raw or both adjusted)",
        )
    out = pd.concat([a, b[b.index.difference(a.index)]]).sort_index()
    out.name = a.name or b.name
    out.attrs["sources"] = (a.attrs.get("source", "first"), b.attrs.get("source", "second"))
    out.attrs["overlap"] = len(common)
    return out


__all__ = ["HEADER_NAMES", "NO_HEADER", "SPLICE_TOLERANCE", "read_etf_csv", "splice"]
