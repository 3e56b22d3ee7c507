"""Shared helpers for the data-stage tests: a small hand-made market as tidy frames."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from engine.data.calendar import hkex_sessions
from engine.data.market import MarketData

REAL_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "real"


def make_tiny_frames() -> dict[str, pd.DataFrame]:
    """Four securities on the January 2024 HKEX sessions.

    * ``0013``: listed long before, priced every session, a cash dividend on 2024-01-15;
    * ``1801``: suspended on 2024-01-11 and 2024-01-12 (close carried, no trading), 2-for-1 split on
      2024-01-22;
    * ``2269``: listed on 2024-01-10 (its first row);
    * ``6160``: delisted on 2024-01-25 (its last row).
    """
    dates = hkex_sessions("2024-01-02", "2024-01-31")
    rows = []
    for t, d in enumerate(dates):
        rows.append(("0013", d, 40.0 + 0.5 * t, 8.7e8, 0.62, 1.5e8, False))
        if d in (pd.Timestamp("2024-01-11"), pd.Timestamp("2024-01-12")):
            close = 40.0 + 0.25 * dates.get_loc(pd.Timestamp("2024-01-10"))
            rows.append(("1801", d, close, 1.6e9, 0.9, 0.0, True))
        else:
            close = 40.0 + 0.25 * t if d < pd.Timestamp("2024-01-22") else 20.0 + 0.125 * t
            shares = 1.6e9 if d < pd.Timestamp("2024-01-22") else 3.2e9
            rows.append(("1801", d, close, shares, 0.9, 3.3e8, False))
        if d >= pd.Timestamp("2024-01-10"):
            rows.append(("2269", d, 20.0 - 0.1 * t, 4.2e9, 1.0, 9.9e8, False))
        if d <= pd.Timestamp("2024-01-25"):
            rows.append(("6160", d, 100.0 + np.sin(t), 1.36e9, 0.75, 2.0e8, False))
    prices = pd.DataFrame(
        rows,
        columns=[
            "code",
            "date",
            "close_hkd",
            "shares",
            "free_float",
            "traded_value_hkd",
            "suspended",
        ],
    )
    securities = pd.DataFrame(
        {
            "code": ["0013", "1801", "2269", "6160"],
            "name": ["Hutchmed", "Innovent, Inc.", "WuXi Biologics", 'BeiGene "B"'],
            "industry": ["Pharmaceuticals", "Biotechnology", "Pharmaceuticals", "Biotechnology"],
            "sub_industry": ["", "Biologics", "CDMO", "Oncology"],
            "is_cxo": [False, False, True, False],
            "is_18a": [False, True, False, True],
            "listing_date": pd.to_datetime(
                ["2006-05-19", "2018-10-31", "2024-01-10", "2018-08-08"]
            ),
            "delisting_date": pd.to_datetime([None, None, None, "2024-01-25"]),
            "board_lot": [500, 500, 500, 100],
            "wht_class": ["foreign", "foreign", "red_chip", "foreign"],
        }
    )
    actions = pd.DataFrame(
        {
            "ex_date": pd.to_datetime(["2024-01-15", "2024-01-22"]),
            "code": ["0013", "1801"],
            "kind": ["cash_dividend", "split"],
            "amount_hkd": [0.35, np.nan],
            "ratio": [np.nan, 2.0],
            "price_hkd": [np.nan, np.nan],
            "pay_date": pd.to_datetime(["2024-02-20", None]),
        }
    )
    intervals = pd.DataFrame(
        {
            "code": ["0013", "1801", "1801"],
            "kind": ["hsci", "hsci", "southbound"],
            "start": pd.to_datetime(["2024-01-02", "2024-01-02", "2024-01-08"]),
            "end": pd.to_datetime([None, "2024-01-19", None]),
        }
    )
    relevance = pd.DataFrame(
        {
            "as_of": pd.to_datetime(["2023-12-29", "2023-12-29", "2024-01-16"]),
            "code": ["0013", "1801", "1801"],
            "score": [0.85, 1.0, 0.95],
        }
    )
    fx = pd.DataFrame({"date": dates, "hkd_cny": 0.9101 + 0.0001 * np.arange(len(dates))})
    return {
        "prices": prices,
        "securities": securities,
        "actions": actions,
        "intervals": intervals,
        "relevance": relevance,
        "fx": fx,
    }


def build(frames: dict[str, pd.DataFrame], **kw) -> MarketData:
    return MarketData.from_frames(
        frames["prices"],
        frames["securities"],
        actions=frames.get("actions"),
        intervals=frames.get("intervals"),
        relevance=frames.get("relevance"),
        fx=frames.get("fx"),
        **kw,
    )
