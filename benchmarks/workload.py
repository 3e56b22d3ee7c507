"""The standard workload, generated deterministically, and the shared pieces every implementation uses.

Sizes (securities x sessions): S 80 x 2,600, M 600 x 2,600, L 2,600 x 5,172 (the HKEX calendar of
``exchange_calendars`` spans 2006-12 to 2027-11: 5,174 XHKG sessions less the two whole-day
closures it misses, :data:`engine.data.calendar.EXTRA_CLOSURES`; the issue's 5,200 is not available).

Market: Student-t daily moves, prices from 1 to 100 HKD, issued shares 1e8..1e10, free float 0.3..1,
10 % of the names CXO, 70 % listed before the data starts and the rest listing on the first session on
or after the 15th of a month (so a listing never falls on the six-month boundary of a month-end
review).  Review day R = last session of Feb/May/Aug/Nov; eligible at R: listed on or before
R - 6 months, priced at R, not CXO; top 31 by free-float market cap at R; weights capped at 10 % by
iterative redistribution; the basket is set at the close of R+1 (weights = targets there) and held;
a review whose effective session R+2 is past the data is skipped.

Levels are compared from the first rebalance close R0+1 on, rebased to 1 there (before it a
weight-based backtester holds cash).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SIZES = {"S": (80, 2600), "M": (600, 2600), "L": (2600, 5172)}
TOP, CAP, MONTHS, MIN_LISTED_MONTHS = 31, 0.10, (2, 5, 8, 11), 6
START = "2006-12-01"


@dataclass
class Workload:
    prices: pd.DataFrame  # long frame, engine.data.PRICE_COLUMNS
    securities: pd.DataFrame
    fx: pd.Series
    dates: pd.DatetimeIndex
    codes: list
    close: np.ndarray  # [T, N] NaN before listing
    ffmc: np.ndarray  # [T, N]
    listing: pd.DatetimeIndex
    cxo: np.ndarray
    review_rows: np.ndarray  # rows of R (reviews with R+2 inside the data)
    eligible: np.ndarray  # [reviews, N]


def sessions(n: int) -> pd.DatetimeIndex:
    from engine.data.calendar import hkex_sessions

    s = hkex_sessions(START, "2027-12-01")
    if len(s) < n:
        raise SystemExit(f"the HKEX calendar has only {len(s)} sessions from {START}")
    return s[:n]


def review_rows(dates: pd.DatetimeIndex) -> np.ndarray:
    """Rows of the last session of each review month, keeping those with R+2 in the data."""
    s = pd.Series(np.arange(len(dates)), index=dates)
    last = s.groupby([dates.year, dates.month]).max()
    rows = last[[m in MONTHS for _, m in last.index]].to_numpy()
    return rows[rows + 2 <= len(dates) - 1].astype(np.int64)


def make(size: str, seed: int = 20240601) -> Workload:
    N, T = SIZES[size]
    rng = np.random.default_rng(seed)
    dates = sessions(T)
    codes = [f"{i + 1:04d}" for i in range(N)]
    late = rng.random(N) < 0.3
    month_starts = pd.date_range(dates[0], dates[-1] - pd.Timedelta(days=400), freq="MS")
    pick = month_starts[rng.integers(0, len(month_starts), N)] + pd.Timedelta(days=14)
    list_rows = np.where(late, dates.searchsorted(pick), 0)
    listing = pd.DatetimeIndex(
        np.where(late, dates[np.minimum(list_rows, T - 1)], pd.Timestamp("2000-01-14"))
    )
    moves = rng.standard_t(4, size=(T, N)) * 0.015 + 0.0002
    close = rng.uniform(1, 100, N) * np.exp(np.cumsum(moves, axis=0))
    close[np.arange(T)[:, None] < list_rows[None, :]] = np.nan
    shares = np.exp(rng.uniform(np.log(1e8), np.log(1e10), N))
    ff = rng.uniform(0.3, 1.0, N)
    cxo = rng.random(N) < 0.10
    have = np.isfinite(close)
    t_idx, j_idx = np.nonzero(have)
    prices = pd.DataFrame(
        {
            "date": dates[t_idx],
            "code": np.asarray(codes, dtype=object)[j_idx],
            "close_hkd": close[t_idx, j_idx],
            "shares": shares[j_idx],
            "free_float": ff[j_idx],
            "traded_value_hkd": close[t_idx, j_idx] * 1e5,
            "suspended": False,
        }
    )
    securities = pd.DataFrame(
        {
            "code": codes,
            "name": [f"Stock {c}" for c in codes],
            "industry": "Biotechnology",
            "sub_industry": "",
            "is_cxo": cxo,
            "is_18a": False,
            "listing_date": listing,
            "delisting_date": pd.NaT,
            "board_lot": 100,
            "wht_class": "H",
        }
    )
    rr = review_rows(dates)
    cut = dates[rr] - pd.DateOffset(months=MIN_LISTED_MONTHS)
    elig = (listing.to_numpy()[None, :] <= cut.to_numpy()[:, None]) & ~cxo[None, :]
    elig &= have[rr]
    ffmc = close * shares * ff
    fx = pd.Series(0.92, index=dates)
    return Workload(prices, securities, fx, dates, codes, close, ffmc, listing, cxo, rr, elig)


def methodology(w: Workload):
    """The contract-A methodology of ``standard.toml`` with the base date at the first review day."""
    from engine.rules.methodology import load_methodology

    m = load_methodology(HERE / "standard.toml")
    base = w.dates[w.review_rows[0]]
    return m.replace(**{"index.base_date": base, "meta.effective_from": w.dates[0]})


def cap_weights(x: np.ndarray, cap: float = CAP) -> np.ndarray:
    """Iterative redistribution: capped names fixed at ``cap``, the rest scaled pro rata, until none exceeds."""
    w = x / x.sum()
    capped = np.zeros(len(w), dtype=bool)
    while True:
        over = (w > cap * (1 + 1e-15)) & ~capped
        if not over.any():
            return w
        capped |= over
        free = ~capped
        w = np.where(capped, cap, w)
        w[free] = x[free] / x[free].sum() * (1.0 - cap * capped.sum())


def targets(w: Workload) -> list[tuple[np.ndarray, np.ndarray]]:
    """(selected column indices, uncapped ffmc weights) per review: the top 31 eligible by ffmc at R."""
    out = []
    for r, row in enumerate(w.review_rows):
        cand = np.flatnonzero(w.eligible[r])
        f = w.ffmc[row, cand]
        order = np.lexsort((cand, -f))[:TOP]
        idx = np.sort(cand[order])
        out.append((idx, w.ffmc[row, idx] / w.ffmc[row, idx].sum()))
    return out


def rebased(levels: pd.Series, w: Workload) -> np.ndarray:
    """Levels (a Series by date) from the first rebalance close R0+1 on, rebased to 1 there."""
    x = levels.loc[w.dates[int(w.review_rows[0]) + 1] :].to_numpy(dtype=float)
    return x / x[0]


def best_of(fn, repeat: int) -> float:
    """The shortest wall time (s) of ``repeat`` calls of ``fn`` (at least one): the benchmarks'
    "warm, best of N"."""
    best = float("inf")
    for _ in range(max(repeat, 1)):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best
