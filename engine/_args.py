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
            describe(
                f"{name} is not a date",
                source=source,
                field=name,
                value=value,
                fix=f"give {name} as a day, e.g. '2025-08-11' (no time, no time zone)",
            )
        )
    return ts
