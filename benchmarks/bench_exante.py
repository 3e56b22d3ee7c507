"""Benchmark: the daily ex-ante tracking error over five years of 40 names (issue 14, section 8).

``python -m benchmarks.bench_exante`` builds a synthetic market of 40 names over 1,481 HKEX sessions
(250 sessions of history, then five years of 1,230 valuation days of a fund holding the 40 names with
weights a little off the index's and 1% cash), then times

* ``engine``: ``engine.analytics.ex_ante(fund, market, dates="all", model="ewma", halflife=60,
  window=250, index_timing="close")`` through the public API (the compiled recursive EWMA), first
  call (Numba cache as found) and the best of ``--repeat`` warm calls;
* ``pandas``: the obvious version a user would write: daily returns ``close.pct_change()``, active
  weights ``holdings * prices / nav - index weights``, and for each day
  ``returns[window].ewm(halflife=60).cov(bias=False)`` on the 250 returns to that day, then
  :math:`\\sqrt{p\\, a^\\top S a}`.

* ``numpy``: a careful per-day loop, ``np.cov(window.T, aweights=lambda^k)`` (one covariance per
  day from scratch, no pandas).

**Equal numbers first**: the series must agree to a relative 1e-9 before the warm engine calls are
timed (a mismatch exits non-zero).  The pandas loop takes seconds a day, so ``--days N`` (default
20) times and compares it on the first N days and reports the time scaled to all 1,230 days (said
in the output); the NumPy loop runs on every day.  The target (< 0.5 s for the engine) is
reported, never asserted.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from engine.analytics import ex_ante
from engine.data.calendar import hkex_sessions
from engine.data.market import PRICE_COLUMNS, MarketData
from engine.fund.result import FundResult

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workload import best_of  # noqa: E402

NAMES, HISTORY, DAYS, WINDOW, HALFLIFE, TARGET_S = 40, 250, 1230, 250, 60, 0.5


def workload(seed: int = 0):
    """(market, fund): 40 names over HISTORY + DAYS + 1 sessions, the fund on the last DAYS."""
    dates = hkex_sessions(pd.Timestamp("2019-01-02"), pd.Timestamp("2026-12-31"))[
        : HISTORY + DAYS + 1
    ]
    rng = np.random.default_rng(seed)
    codes = [f"{1000 + i:04d}" for i in range(NAMES)]
    factor = rng.normal(0, 0.012, (len(dates), 1))
    r = 0.0003 + factor * rng.uniform(0.5, 1.5, NAMES) + rng.normal(0, 0.015, (len(dates), NAMES))
    r[0] = 0.0
    close = 20.0 * np.cumprod(1.0 + r, axis=0)
    prices = pd.DataFrame(
        {
            "date": np.repeat(dates, NAMES),
            "code": np.tile(codes, len(dates)),
            "close_hkd": close.ravel(),
            "shares": 1e8,
            "free_float": 1.0,
            "traded_value_hkd": 1e7,
            "suspended": False,
        }
    )[PRICE_COLUMNS]
    securities = pd.DataFrame(
        {
            "code": codes,
            "name": [f"Name {c}" for c in codes],
            "industry": "Biotechnology",
            "sub_industry": "",
            "is_cxo": False,
            "is_18a": False,
            "listing_date": dates[0],
            "delisting_date": pd.NaT,
            "board_lot": 100,
            "wht_class": "H",
        }
    )
    market = MarketData.from_frames(
        prices, securities, fx=pd.Series(0.92, index=dates), synthetic=True, source="bench_exante"
    )
    return market, _fund(market, rng)


def _fund(market, rng) -> FundResult:
    """Index: fixed shares q (weights drift with prices); fund: q times a small random tilt, 99%
    invested of a 1e9 HKD NAV."""
    dates = market.dates[HISTORY + 1 :]
    close = market.panel("close").loc[dates]
    q = rng.uniform(0.5, 2.0, NAMES)
    value = close * q
    index_w = value.div(value.sum(axis=1), axis=0)
    tilt = q * (1.0 + rng.normal(0, 0.05, NAMES))
    held_value = close * tilt
    nav_hkd = 1e9
    fund_w = held_value.div(held_value.sum(axis=1), axis=0) * 0.99
    holdings = fund_w * nav_hkd / close
    nav = pd.DataFrame(
        {"nav_hkd": nav_hkd, "nav_per_unit_cny": 1.0, "fx": 0.92, "nav_cny": nav_hkd * 0.92},
        index=pd.DatetimeIndex(dates, name="date"),
    )
    levels = pd.DataFrame({v: value.sum(axis=1) for v in ("price", "gross", "net")})
    empty = pd.DataFrame(index=dates)
    return FundResult(
        nav=nav, holdings=holdings, trades=pd.DataFrame(columns=["date", "code", "reason"]),
        costs=empty, cash=empty, events=pd.DataFrame(), config=None, index_name="bench",
        synthetic=True, index_levels=levels, index_weights=index_w, prices=close,
    )  # fmt: skip


def engine_series(market, fund) -> pd.Series:
    res = ex_ante(fund, market, dates="all", model="ewma", halflife=HALFLIFE, window=WINDOW,
                  index_timing="close")  # fmt: skip
    return res.series["te_ex_ante"]


def pandas_series(market, fund, days: int | None = None, p: int = 246) -> pd.Series:
    """The obvious pandas loop: one ``ewm().cov()`` of the 250-return window per day."""
    returns = market.panel("close").pct_change()
    active = (
        fund.holdings * fund.prices / fund.nav["nav_hkd"].to_numpy()[:, None] - fund.index_weights
    )
    out = {}
    for day in fund.nav.index[: days or len(fund.nav)]:
        window = returns.loc[:day].iloc[-WINDOW:]
        cov = window.ewm(halflife=HALFLIFE).cov(bias=False).loc[day]
        a = active.loc[day]
        out[day] = float(np.sqrt(p * a @ cov @ a))
    return pd.Series(out)


def numpy_series(market, fund, p: int = 246) -> pd.Series:
    """A careful NumPy loop: ``np.cov(window, aweights=lambda^k)`` of the 250-return window per day."""
    returns = market.panel("close").pct_change().to_numpy()
    rows = market.dates.get_indexer(fund.nav.index)
    active = (
        fund.holdings * fund.prices / fund.nav["nav_hkd"].to_numpy()[:, None] - fund.index_weights
    ).to_numpy()
    w = 0.5 ** (np.arange(WINDOW - 1, -1, -1) / HALFLIFE)
    out = np.empty(len(rows))
    for d, t in enumerate(rows):
        cov = np.cov(returns[t - WINDOW + 1 : t + 1].T, aweights=w)
        out[d] = np.sqrt(p * active[d] @ cov @ active[d])
    return pd.Series(out, index=fund.nav.index)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5, help="warm engine calls (best of)")
    ap.add_argument("--days", type=int, default=20,
                    help="pandas: time (and compare) the first N days only, scaled to all")  # fmt: skip
    args = ap.parse_args(argv)
    market, fund = workload()
    t0 = time.perf_counter()
    got = engine_series(market, fund)
    first = time.perf_counter() - t0
    days = min(args.days, DAYS)
    t0 = time.perf_counter()
    want = pandas_series(market, fund, days=days)
    pandas_s = (time.perf_counter() - t0) * DAYS / days
    t0 = time.perf_counter()
    careful = numpy_series(market, fund)
    numpy_s = time.perf_counter() - t0
    rel = max(
        float(np.max(np.abs(got.reindex(want.index) / want - 1.0))),
        float(np.max(np.abs(got / careful - 1.0))),
    )
    print(f"workload: {NAMES} names, {DAYS} valuation days ({fund.nav.index[0].date()} to "
          f"{fund.nav.index[-1].date()}), EWMA half-life {HALFLIFE}, window {WINDOW} sessions")  # fmt: skip
    print(
        f"equal numbers: max relative difference {rel:.1e} (pandas on {len(want)} days, NumPy on "
        f"all {DAYS}; limit 1e-9)"
    )
    if not rel <= 1e-9:
        print("FAILED: the engine and pandas disagree; nothing timed")
        return 1
    warm = best_of(lambda: engine_series(market, fund), args.repeat)
    scaled = "" if days >= DAYS else f" (timed on {days} days, scaled to {DAYS})"
    print("| implementation | first call (s) | warm, best of N (s) | ratio to engine |")
    print("|---|---:|---:|---:|")
    print(f"| engine `ex_ante(dates='all')` | {first:.3f} | {warm:.3f} | 1.0 |")
    print(f"| pandas `ewm().cov()` per day | | {pandas_s:.1f}{scaled} | {pandas_s / warm:,.0f} |")
    print(f"| NumPy `np.cov(aweights=)` per day | | {numpy_s:.2f} | {numpy_s / warm:,.0f} |")
    verdict = "met" if warm < TARGET_S else "missed"
    print(f"target: engine < {TARGET_S} s warm: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
