"""Market builders shared by the index and fund tests (imported as ``from builders import ...``).

``tests/`` is on ``sys.path`` because pytest's default ``prepend`` import mode puts the folder of the
top-level ``tests/conftest.py`` there (the folder has no ``__init__.py``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.data.calendar import hkex_sessions
from engine.data.market import PRICE_COLUMNS, MarketData


def sessions(n: int, start: str | None = None) -> pd.DatetimeIndex:
    """The first ``n`` HKEX sessions from ``start`` (default 2024-01-02, 2015-01-02 for long runs)."""
    start = start or ("2024-01-02" if n < 400 else "2015-01-02")
    out = hkex_sessions(pd.Timestamp(start), pd.Timestamp(start) + pd.Timedelta(days=2 * n + 30))
    assert len(out) >= n
    return out[:n]


def market_from_closes(
    close: pd.DataFrame,
    *,
    shares: float = 1e6,
    traded_value_hkd: float = 1e6,
    securities: dict | None = None,
    **from_frames,
) -> MarketData:
    """A market whose closes are ``close`` (``[date, code]``, NaN outside a security's priced life).

    Every priced day has ``shares`` shares, free float 1 and ``traded_value_hkd`` traded; a security
    is listed on its first priced day and delisted on its last one when that is before the last date.
    ``securities`` overrides security-master columns (a scalar or one value per code; defaults: name
    ``Stock <code>``, Biotechnology, board lot 100, withholding class H); ``from_frames`` goes to
    :meth:`MarketData.from_frames` (actions, fx, synthetic, source ...); ``fx`` defaults to a constant 0.92.
    """
    rows = [
        (date, code, float(p), shares, 1.0, traded_value_hkd, False)
        for code in close.columns
        for date, p in close[code].items()
        if np.isfinite(p)
    ]
    listing, delisting = [], []
    for code in close.columns:
        priced = close.index[np.isfinite(close[code].to_numpy(dtype=float))]
        listing.append(priced[0])
        delisting.append(priced[-1] if priced[-1] < close.index[-1] else pd.NaT)
    sec = {
        "code": list(close.columns),
        "name": [f"Stock {c}" for c in close.columns],
        "industry": "Biotechnology",
        "sub_industry": "",
        "is_cxo": False,
        "is_18a": False,
        "listing_date": listing,
        "delisting_date": pd.to_datetime(pd.Series(delisting, dtype="datetime64[ns]")),
        "board_lot": 100,
        "wht_class": "H",
    } | (securities or {})
    # an explicit constant fixing (not the 1.0 placeholder, which warns)
    from_frames.setdefault("fx", pd.Series(0.92, index=close.index))
    return MarketData.from_frames(
        pd.DataFrame(rows, columns=PRICE_COLUMNS), pd.DataFrame(sec), **from_frames
    )
