"""Checks of Python arguments shared by every stage (a base module: it imports only
:mod:`engine.errors`)."""

from __future__ import annotations

import datetime as _dt

import numpy as np
import pandas as pd

from engine.errors import DataError, describe


def date_argument(value, name: str, source: str | None = None) -> pd.Timestamp | None:
    """``value`` (a date, or text such as ``"2025-08-11"``) as a day; None stays None.

    DataError naming the argument for anything else: text that is not a date, a number, a
    time-zone-aware or time-stamped value (a day is meant).
    """
    if value is None:
        return None
    ts = None
    if isinstance(value, str | _dt.date | np.datetime64):
        try:
            ts = pd.Timestamp(value)
        except (TypeError, ValueError):
            ts = None
    if ts is None or pd.isna(ts) or ts.tzinfo is not None or ts != ts.normalize():
        raise DataError(
            f"{name} is not a date",
            source=source,
            field=name,
            value=value,
            fix=f"give {name} as a day, e.g. '2025-08-11' (no time, no time zone)",
        )
    return ts


def plain(v):
    """NumPy scalars as plain Python values, so messages read ``value=-1.0``, not ``np.float64``."""
    return v.item() if isinstance(v, np.generic) else v


def raise_at_first(bad, what, *, row: bool = False, error=DataError, **where) -> None:
    """Raise ``error`` naming the first position ``i`` flagged in ``bad``; nothing when none is.

    ``what`` is the message, or a callable ``i -> message``.  An entry of ``where`` that is a list,
    array, Index or Series (by position) names its entry ``i``, a callable its value at ``i``; any
    other entry (``source``, ``field``, ``fix``, a code) is the same for every position.
    ``row=True`` names ``i`` as the row.
    """
    hits = np.flatnonzero(np.asarray(bad, dtype=bool))
    if not len(hits):
        return
    i = int(hits[0])
    for key, entries in where.items():
        if callable(entries):
            where[key] = entries(i)
        elif isinstance(entries, pd.Series):
            where[key] = plain(entries.iloc[i])
        elif isinstance(entries, list | np.ndarray | pd.Index):
            where[key] = plain(entries[i])
    raise error(describe(what(i) if callable(what) else what, row=i if row else None, **where))
