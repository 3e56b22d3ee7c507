"""Real ``MarketData`` objects for tests, all built through :meth:`MarketData.from_frames`.

* :func:`market_from_closes`: a ``[date, code]`` close panel (index, fund, analytics, prepare tests);
* :func:`fund_market`: the same with the fund tests' board lots and withholding classes;
* :func:`market_from_specs`: security specs with screens data (rules tests);
* :func:`tiny_market_frames` / :func:`market_from_tables`: four securities as tidy tables (data tests).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from engine.data.calendar import hkex_sessions
from engine.data.market import PRICE_COLUMNS, MarketData

REAL_DATA = (Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "real").resolve()
"""The licence-unknown real data folder beside the repository (tests using it skip when absent)."""

ACTION_COLUMNS = ["ex_date", "code", "kind", "amount_hkd", "ratio", "price_hkd"]


def sessions(n: int, start: str | None = None) -> pd.DatetimeIndex:
    """The first ``n`` HKEX sessions from ``start`` (default 2024-01-02, 2015-01-02 for long runs)."""
    start = start or ("2024-01-02" if n < 400 else "2015-01-02")
    out = hkex_sessions(pd.Timestamp(start), pd.Timestamp(start) + pd.Timedelta(days=2 * n + 30))
    assert len(out) >= n
    return out[:n]


def actions_frame(records: list[tuple]) -> pd.DataFrame:
    """Corporate actions from ``(ex_date, code, kind, amount_hkd, ratio, price_hkd)`` records."""
    return pd.DataFrame(records, columns=ACTION_COLUMNS)


def _per_code(value, codes) -> list:
    """A scalar, a list (one per code) or a dict ``code -> value`` (missing codes: error) as a list."""
    if isinstance(value, dict):
        return [value[c] for c in codes]
    if isinstance(value, list | tuple | np.ndarray):
        assert len(value) == len(codes), (value, codes)
        return list(value)
    return [value] * len(codes)


def market_from_closes(
    close: pd.DataFrame,
    *,
    shares: float = 1e6,
    traded_value_hkd: float | pd.DataFrame = 1e6,
    suspended: pd.DataFrame | None = None,
    board_lot=100,
    wht_class="H",
    securities: dict | None = None,
    **from_frames,
) -> MarketData:
    """A market whose closes are ``close`` (``[date, code]``, NaN outside a security's priced life).

    Every priced day has ``shares`` shares, free float 1 and ``traded_value_hkd`` traded (a number,
    or a frame shaped like ``close``), and is suspended where ``suspended`` (a boolean frame shaped
    like ``close``) says so.  A security is listed on its first priced day and delisted on its last
    one when that is before the last date.  ``board_lot`` and ``wht_class``: a scalar, one value per
    code, or a dict ``code -> value``; ``securities`` overrides other security-master columns
    (defaults: name ``Stock <code>``, Biotechnology, not CXO, not 18A).  ``from_frames`` goes to
    :meth:`MarketData.from_frames` (actions, fx, synthetic, source ...); ``fx`` defaults to a
    constant 0.92 CNY per HKD (an explicit fixing; ``fx=None`` gives the 1.0 placeholder, which warns).
    """
    codes = list(close.columns)
    traded = (
        traded_value_hkd.reindex(index=close.index, columns=codes)
        if isinstance(traded_value_hkd, pd.DataFrame)
        else pd.DataFrame(float(traded_value_hkd), index=close.index, columns=codes)
    )
    halted = (
        suspended.reindex(index=close.index, columns=codes).fillna(False).astype(bool)
        if suspended is not None
        else pd.DataFrame(False, index=close.index, columns=codes)
    )
    rows = [
        (
            date,
            code,
            float(p),
            shares,
            1.0,
            float(traded.at[date, code]),
            bool(halted.at[date, code]),
        )
        for code in codes
        for date, p in close[code].items()
        if np.isfinite(p)
    ]
    listing, delisting = [], []
    for code in codes:
        priced = close.index[np.isfinite(close[code].to_numpy(dtype=float))]
        listing.append(priced[0])
        delisting.append(priced[-1] if priced[-1] < close.index[-1] else pd.NaT)
    sec = {
        "code": codes,
        "name": [f"Stock {c}" for c in codes],
        "industry": "Biotechnology",
        "sub_industry": "",
        "is_cxo": False,
        "is_18a": False,
        "listing_date": listing,
        "delisting_date": pd.to_datetime(pd.Series(delisting, dtype="datetime64[ns]")),
        "board_lot": _per_code(board_lot, codes),
        "wht_class": _per_code(wht_class, codes),
    } | (securities or {})
    from_frames.setdefault("fx", pd.Series(0.92, index=close.index))
    return MarketData.from_frames(
        pd.DataFrame(rows, columns=PRICE_COLUMNS), pd.DataFrame(sec), **from_frames
    )


FUND_WHT_CLASSES = ["H", "red_chip", "p_chip", "foreign", "hk", "H", "red_chip", "hk"]
"""Withholding classes of the fund tests' securities, in column order (every class once or twice)."""
FUND_LOTS = [500, 1000, 200, 2000, 100, 400, 50, 250]
"""Board lots of the fund tests' securities, in column order."""
FUND_WITHHOLDING = {"H": 0.1, "red_chip": 0.1, "p_chip": 0.0, "foreign": 0.0, "hk": 0.0}
"""Withholding rates of the classes in :data:`FUND_WHT_CLASSES`."""


def fund_market(
    close: pd.DataFrame,
    *,
    actions: pd.DataFrame | None = None,
    lots: list[int] | None = None,
    wht: list[str] | None = None,
    fx: pd.Series | None = None,
    shares: float = 1e8,
) -> MarketData:
    """:func:`market_from_closes` with the fund tests' defaults: 1e8 shares, HKD 10m traded a day,
    board lots :data:`FUND_LOTS` and withholding classes :data:`FUND_WHT_CLASSES` in column order
    (or ``lots`` / ``wht``), synthetic; ``fx=None`` (the default) is the 1.0 placeholder fixing."""
    n = len(close.columns)
    return market_from_closes(
        close,
        shares=shares,
        traded_value_hkd=1e7,
        board_lot=lots or FUND_LOTS[:n],
        wht_class=wht or FUND_WHT_CLASSES[:n],
        actions=actions,
        fx=fx,
        synthetic=True,
        source="fund-test",
    )


def closes_from_returns(returns: np.ndarray, codes, start: float = 100.0) -> pd.DataFrame:
    """Closes on HKEX sessions whose daily returns are ``returns`` (``[T, N]``; one more close)."""
    r = np.asarray(returns, dtype=float)
    levels = start * np.vstack([np.ones(r.shape[1]), np.cumprod(1.0 + r, axis=0)])
    return pd.DataFrame(levels, index=sessions(len(levels)), columns=list(codes))


def random_closes(n_days: int, codes, seed: int = 0) -> pd.DataFrame:
    """Log-normal closes on the first ``n_days`` HKEX sessions of 2024 (drift 0.05 %, vol 2 % a
    day; code ``j`` starts at ``10 (j + 1)`` HKD)."""
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.0005, 0.02, size=(n_days, len(codes)))
    steps[0] = 0.0
    closes = 10.0 * np.exp(np.cumsum(steps, axis=0)) * (1 + np.arange(len(codes)))
    dates = pd.DatetimeIndex(sessions(n_days), name="date")
    return pd.DataFrame(closes, index=dates, columns=pd.Index(list(codes), name="code"))


def random_fx(dates: pd.DatetimeIndex, seed: int = 1) -> pd.Series:
    """A random-walk HKD->CNY fixing (CNY per HKD) around 0.92, 0.2 % a day, on ``dates``."""
    rng = np.random.default_rng(seed)
    return pd.Series(
        0.92 * np.exp(np.cumsum(rng.normal(0, 0.002, len(dates)))), index=dates, name="hkd_cny"
    )


# ----------------------------------------------------------------- rules tests: security specs
SPEC_START, SPEC_END = "2024-06-03", "2025-09-30"
"""Default session range of :func:`market_from_specs`."""


def sec(code: str, **kw) -> dict:
    """One security spec with defaults: an HSCI, Southbound, non-CXO pharma name, score 1, HKD 50m/day.

    Keys: ``industry, is_cxo, close, shares, free_float, traded_value, score, hsci, southbound,
    first, last, suspended`` (list of dates), ``scores`` (list of ``(as_of, score)``), ``closes``
    (dict ``date -> close`` applied from that date on), ``wht_class``.
    """
    spec = {
        "code": code,
        "industry": "Pharmaceuticals",
        "is_cxo": False,
        "close": 10.0,
        "shares": 1e9,
        "free_float": 0.5,
        "traded_value": 5e7,
        "score": 1.0,
        "scores": None,
        "hsci": True,
        "southbound": True,
        "first": None,
        "last": None,
        "suspended": (),
        "closes": None,
        "wht_class": "H",
    }
    unknown = set(kw) - set(spec)
    assert not unknown, unknown
    spec.update(kw)
    return spec


def _spec_prices(s: dict, days: pd.DatetimeIndex) -> pd.DataFrame:
    close = pd.Series(s["close"], index=days, dtype=float)
    for d, v in sorted((s["closes"] or {}).items()):
        close[close.index >= pd.Timestamp(d)] = v
    susp = days.isin(pd.DatetimeIndex(list(s["suspended"])))
    tv = pd.Series(float(s["traded_value"]), index=days)
    tv[susp] = 0.0
    return pd.DataFrame(
        {
            "date": days,
            "code": s["code"],
            "close_hkd": close.to_numpy(),
            "shares": s["shares"],
            "free_float": s["free_float"],
            "traded_value_hkd": tv.to_numpy(),
            "suspended": susp,
        }
    )


def _spec_intervals(s: dict, days: pd.DatetimeIndex) -> list[dict]:
    out = []
    for kind in ("hsci", "southbound"):
        flag = s[kind]
        if flag is True:
            out.append({"code": s["code"], "kind": kind, "start": days[0], "end": pd.NaT})
        elif flag:  # (start, end) tuple
            end = pd.Timestamp(flag[1]) if flag[1] else pd.NaT
            out.append(
                {"code": s["code"], "kind": kind, "start": pd.Timestamp(flag[0]), "end": end}
            )
    return out


def market_from_specs(
    specs: list[dict], start: str = SPEC_START, end: str = SPEC_END
) -> MarketData:
    """A validated market from :func:`sec` specs (constant prices unless ``closes`` is given)."""
    all_days = hkex_sessions(start, end)
    price_parts, master, intervals, relevance = [], [], [], []
    for s in specs:
        first = pd.Timestamp(s["first"]) if s["first"] else all_days[0]
        last = pd.Timestamp(s["last"]) if s["last"] else all_days[-1]
        days = all_days[(all_days >= first) & (all_days <= last)]
        price_parts.append(_spec_prices(s, days))
        master.append(
            {
                "code": s["code"],
                "name": f"Name {s['code']}",
                "industry": s["industry"],
                "sub_industry": "",
                "is_cxo": s["is_cxo"],
                "is_18a": False,
                "listing_date": days[0],
                # a security whose rows stop early is delisted on its last row (a truncated feed
                # without a delisting date is a DataError)
                "delisting_date": days[-1] if s["last"] else pd.NaT,
                "board_lot": 1000,
                "wht_class": s["wht_class"],
            }
        )
        intervals += _spec_intervals(s, days)
        scores = s["scores"] if s["scores"] is not None else [(start, s["score"])]
        relevance += [
            {"as_of": pd.Timestamp(as_of), "code": s["code"], "score": float(score)}
            for as_of, score in scores
            if score is not None
        ]
    return MarketData.from_frames(
        pd.concat(price_parts, ignore_index=True),
        pd.DataFrame(master),
        intervals=pd.DataFrame(intervals) if intervals else None,
        relevance=pd.DataFrame(relevance) if relevance else None,
        fx=pd.Series(0.92, index=all_days),
        source="rules-test",
    )


# ----------------------------------------------------------------- data tests: tidy tables
def tiny_market_frames() -> dict[str, pd.DataFrame]:
    """Four securities on the January 2024 HKEX sessions, as the tidy tables of ``from_frames``.

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


def market_from_tables(frames: dict[str, pd.DataFrame], **kw) -> MarketData:
    """``MarketData.from_frames`` on a dict of tidy tables such as :func:`tiny_market_frames`."""
    return MarketData.from_frames(
        frames["prices"],
        frames["securities"],
        actions=frames.get("actions"),
        intervals=frames.get("intervals"),
        relevance=frames.get("relevance"),
        fx=frames.get("fx"),
        **kw,
    )
