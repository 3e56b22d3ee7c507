"""Small markets and index runs for the fund tests, built with ``MarketData.from_frames`` and
hand-made ``Review`` objects (so the tests do not depend on the rules engine)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from builders import market_from_closes, sessions

from engine.data.market import MarketData
from engine.index import compute
from engine.rules.schedule import REVIEW_TABLE_COLUMNS, Review, ReviewSchedule

WHT_CLASSES = ["H", "red_chip", "p_chip", "foreign", "hk", "H", "red_chip", "hk"]
LOTS = [500, 1000, 200, 2000, 100, 400, 50, 250]


def build_market(
    close: pd.DataFrame,
    *,
    actions: pd.DataFrame | None = None,
    lots: list[int] | None = None,
    wht: list[str] | None = None,
    fx: pd.Series | None = None,
    shares: float = 1e8,
) -> MarketData:
    """A market with closes ``close`` (``[date, code]``, NaN outside a security's life)."""
    n = len(close.columns)
    return market_from_closes(
        close,
        shares=shares,
        traded_value_hkd=1e7,
        securities={
            "name": [f"Co {c}" for c in close.columns],
            "industry": "Pharmaceuticals",
            "sub_industry": "Drugs",
            "board_lot": lots or LOTS[:n],
            "wht_class": wht or WHT_CLASSES[:n],
        },
        actions=actions,
        fx=fx,
        synthetic=True,
        source="fund-test",
    )


def review(dates, cap_row: int, q: dict[str, float], methodology="test", kind="regular") -> Review:
    """A review repriced at ``dates[cap_row]`` and effective at ``dates[cap_row + 1]``."""
    codes = list(q)
    table = pd.DataFrame(
        {
            "code": codes,
            "eligible": True,
            "rank": np.arange(1, len(codes) + 1, dtype=float),
            "selected": [q[c] > 0 for c in codes],
            "shares": [max(q[c], 1.0) for c in codes],
            "free_float": 1.0,
            "cap_factor": [1.0 if q[c] > 0 else np.nan for c in codes],
            "weight": 0.0,
            "reason": "test",
        }
    )[REVIEW_TABLE_COLUMNS]
    d = dates[cap_row]
    return Review(methodology, kind, d, d, d, dates[cap_row + 1], table)


def schedule(reviews: list[Review]) -> ReviewSchedule:
    return ReviewSchedule(
        reviews=tuple(reviews), history="test", index_params={"base_value": 1000.0}
    )


@lru_cache(maxsize=16)
def random_case(
    seed: int,
    n_days: int = 80,
    n_sec: int = 6,
    *,
    with_actions=True,
    with_delisting=True,
    fx_vol=0.002,
):
    """A random market with reviews, corporate actions and (optionally) a delisting, plus its index.

    Returns ``(market, index_result)``; the index base date is the first session.
    """
    rng = np.random.default_rng(seed)
    dates = sessions(n_days)
    codes = [f"{i + 1:04d}" for i in range(n_sec)]
    rets = rng.normal(0.0, 0.02, size=(n_days, n_sec))
    rets[0] = 0.0
    close = pd.DataFrame(
        rng.uniform(5, 80, size=n_sec) * np.exp(np.cumsum(rets, axis=0)), index=dates, columns=codes
    ).round(3)
    actions = []
    if with_actions:
        # a dividend on 0001 (paid 5 sessions later), a 2-for-1 split on 0002, a 1-for-10 bonus on
        # 0003, a 1-for-5 rights issue on 0004 at 80 % of the prior close, a dividend on 0005 paid on
        # its ex-date, a second dividend on 0003 the same day as a review effective date
        specs = [
            ("0001", 12, "cash_dividend", dict(amount=0.03, pay=17)),
            ("0002", 20, "split", dict(ratio=2.0)),
            ("0003", 26, "bonus", dict(ratio=0.1)),
            ("0004", 33, "rights", dict(ratio=0.2, sub=0.8)),
            ("0005", 38, "cash_dividend", dict(amount=0.05, pay=38)),
            ("0003", 41, "cash_dividend", dict(amount=0.02, pay=60)),
        ]
        for code, row, kind, kw in specs:
            if code not in codes or row >= n_days:
                continue
            j = codes.index(code)
            prev = close.iloc[row - 1, j]
            rec = {
                "ex_date": dates[row],
                "code": code,
                "kind": kind,
                "amount_hkd": np.nan,
                "ratio": np.nan,
                "price_hkd": np.nan,
                "pay_date": dates[min(kw.get("pay", row), n_days - 1)],
            }
            if kind == "cash_dividend":
                rec["amount_hkd"] = round(prev * kw["amount"], 3)
                close.iloc[row:, j] -= 0.0  # the move on the ex-date is part of the random path
            elif kind == "split":
                rec["ratio"] = kw["ratio"]
                close.iloc[row:, j] /= kw["ratio"]
            elif kind == "bonus":
                rec["ratio"] = kw["ratio"]
                close.iloc[row:, j] /= 1 + kw["ratio"]
            else:
                rec["ratio"] = kw["ratio"]
                rec["price_hkd"] = round(prev * kw["sub"], 3)
                terp = (prev + kw["ratio"] * rec["price_hkd"]) / (1 + kw["ratio"])
                close.iloc[row:, j] *= terp / prev
            actions.append(rec)
    if with_delisting and n_sec >= 6 and n_days > 60:
        close.iloc[55:, 5] = np.nan  # 0006 delisted after session 54
    close = close.round(4)
    fx = pd.Series(0.92 * np.exp(np.cumsum(rng.normal(0, fx_vol, n_days))), index=dates)
    market = build_market(close, actions=pd.DataFrame(actions) if actions else None, fx=fx)
    # reviews: initial (all), one at row 30 (drop 0001, new q), one at row 40 (0001 back)
    q0 = {c: float(rng.uniform(1e6, 5e6)) for c in codes}
    q1 = {c: (0.0 if c == "0001" else float(rng.uniform(1e6, 5e6))) for c in codes}
    q2 = {c: float(rng.uniform(1e6, 5e6)) for c in codes}
    if "0006" in codes and with_delisting and n_days > 60:
        q2["0006"] = float(rng.uniform(1e6, 5e6))  # still a member when it is delisted
    revs = [review(dates, 0, q0, kind="initial")]
    if n_days > 32:
        revs.append(review(dates, 30, q1))
    if n_days > 42:
        revs.append(review(dates, 40, q2))
    idx = compute(
        market,
        schedule(revs),
        base_date=dates[0],
        base_value=1000.0,
        withholding={"H": 0.1, "red_chip": 0.1, "p_chip": 0.0, "foreign": 0.0, "hk": 0.0},
    )
    return market, idx
