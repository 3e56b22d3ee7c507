"""Random inputs: index-kernel arrays (:func:`random_index_arrays`), the same as a market and a
schedule (:func:`index_case_inputs`), a scripted fund market with its index (:func:`random_fund_case`)
and the fund loop's kernel inputs (:func:`fund_loop_case`)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from engine.index import compute

from .markets import FUND_WITHHOLDING, actions_frame, fund_market, market_from_closes, sessions
from .reviews import make_review, make_schedule

KINDS = ("split", "bonus", "rights", "cash_dividend")
"""Corporate-action kinds drawn by :func:`random_index_arrays`."""


def random_index_arrays(
    rng: np.random.Generator,
    T: int,
    N: int,
    *,
    n_reviews: int = 3,
    n_actions: int = 8,
    delist: bool = True,
    flat_events: bool = False,
) -> dict:
    """A random market as arrays: closes with late listings and delistings, reviews, actions.

    Row 0 is the base row; review 0 takes effect at row 1.  At most one action per (row, security);
    actions fall on rows where the security is priced today and yesterday.  With ``flat_events``
    every row carrying an event is "mechanical": closes equal yesterday's closes restated for the day's
    capital changes and, for dividend payers, lowered by the dividend (so the price level is flat on
    review/capital-change/deletion days and the gross level is flat on every event day).
    """
    close = np.exp(np.cumsum(rng.normal(0.0, 0.03, size=(T, N)), axis=0)) * rng.uniform(2, 50, N)
    if delist and N > 2:
        for j in rng.choice(N, size=2, replace=False):
            if rng.random() < 0.5:
                close[int(rng.integers(T // 2, T)) :, j] = np.nan  # delisted
            else:
                close[: int(rng.integers(2, T // 2)), j] = np.nan  # listed late
    # reviews: rows 1 < r2 < r3 ..., select among securities priced on the row before
    rows = [1] + sorted(rng.choice(np.arange(2, T), size=n_reviews - 1, replace=False).tolist())
    review_q = np.zeros((n_reviews, N))
    for k, r in enumerate(rows):
        priced = np.flatnonzero(np.isfinite(close[r - 1]))
        if k == 0:
            priced = priced[np.isfinite(close[0, priced])]
        pick = rng.choice(priced, size=max(1, int(rng.integers(1, len(priced) + 1))), replace=False)
        survivors = priced[np.isfinite(close[-1, priced])]
        if not np.isfinite(close[-1, pick]).any():  # keep the index alive to the end
            pick = np.append(pick, rng.choice(survivors))
        review_q[k, pick] = rng.uniform(1e3, 1e5, len(pick))
    drafts = []  # (row, col, kind, ratio, price as a fraction of the prior close, amount as one)
    used = set()
    for _ in range(n_actions):
        t = int(rng.integers(1, T))
        j = int(rng.integers(0, N))
        if (t, j) in used or not (np.isfinite(close[t, j]) and np.isfinite(close[t - 1, j])):
            continue
        used.add((t, j))
        kind = KINDS[int(rng.integers(0, 4))]
        ratio = {
            "split": float(rng.choice([0.5, 2.0, 3.0, 10.0])),
            "bonus": float(rng.uniform(0.05, 1)),
            "rights": float(rng.uniform(0.1, 1)),
            "cash_dividend": np.nan,
        }[kind]
        drafts.append(
            (t, j, kind, ratio, float(rng.uniform(0.5, 0.95)), float(rng.uniform(0.005, 0.08)))
        )
    drafts.sort(key=lambda a: (a[0], a[2] == "cash_dividend", a[1]))
    deletion_rows = {
        t
        for t in range(1, T)
        for j in range(N)
        if np.isnan(close[t, j]) and np.isfinite(close[t - 1, j])
    }
    event_rows = sorted(set(rows) | {a[0] for a in drafts} | deletion_rows)
    actions = []
    for t in event_rows:  # rows in order: close[t - 1] is final when row t is handled
        todays = [a for a in drafts if a[0] == t]
        for row, j, kind, ratio, f_price, f_amount in todays:
            price = close[t - 1, j] * f_price if kind == "rights" else np.nan
            amount = close[t - 1, j] * f_amount if kind == "cash_dividend" else np.nan
            actions.append((row, j, kind, ratio, float(price), float(amount)))
        if not flat_events:
            continue
        new = close[t - 1].copy()
        new[np.isnan(close[t])] = np.nan
        for row, j, kind, ratio, price, amount in actions:
            if row != t:
                continue
            if kind == "split":
                new[j] /= ratio
            elif kind == "bonus":
                new[j] /= 1 + ratio
            elif kind == "rights":
                new[j] = (new[j] + ratio * price) / (1 + ratio)
            else:
                new[j] -= amount
        # keep later days' moves: rescale the rest of each column to start from the new close
        for j in range(N):
            if np.isfinite(new[j]) and np.isfinite(close[t, j]):
                close[t:, j] *= new[j] / close[t, j]
    wht = rng.choice([0.0, 0.1, 0.2], N)
    return {
        "close": close,
        "review_rows": rows,
        "review_q": review_q,
        "actions": actions,
        "wht": wht,
    }


def index_case_inputs(case: dict, base_value: float = 1000.0):
    """(market, schedule, withholding) for :func:`engine.index.compute` from a
    :func:`random_index_arrays` case (synthetic market, one withholding class per rate)."""
    close = case["close"]
    T, N = close.shape
    dates = sessions(T)
    codes = [f"{1000 + j:04d}" for j in range(N)]
    classes = {c: f"class{int(round(w * 100))}" for c, w in zip(codes, case["wht"], strict=True)}
    withholding = {f"class{int(round(w * 100))}": float(w) for w in case["wht"]}
    recs = [
        (dates[t], codes[j], kind, amount, ratio, price)
        for t, j, kind, ratio, price, amount in case["actions"]
    ]
    market = market_from_closes(
        pd.DataFrame(close, index=dates, columns=codes),
        actions=actions_frame(recs) if recs else None,
        wht_class=classes,
        synthetic=True,
    )
    reviews = []
    for k, r in enumerate(case["review_rows"]):
        q = {
            codes[j]: float(case["review_q"][k, j]) for j in np.flatnonzero(case["review_q"][k] > 0)
        }
        reviews.append(make_review(dates[r], dates[r - 1], q))
    sched = make_schedule(
        reviews, base_date=dates[0], base_value=base_value, withholding=withholding
    )
    return market, sched, withholding


# the scripted actions of random_fund_case: (code, row, kind, settings)
_FUND_ACTIONS = [
    ("0001", 12, "cash_dividend", dict(amount=0.03, pay=17)),
    ("0002", 20, "split", dict(ratio=2.0)),
    ("0003", 26, "bonus", dict(ratio=0.1)),
    ("0004", 33, "rights", dict(ratio=0.2, sub=0.8)),
    ("0005", 38, "cash_dividend", dict(amount=0.05, pay=38)),
    ("0003", 41, "cash_dividend", dict(amount=0.02, pay=60)),
]


def _fund_actions(close: pd.DataFrame, dates, codes, n_days: int) -> list[dict]:
    """The scripted actions that fit the case; restates ``close`` after each capital change."""
    actions = []
    for code, row, kind, kw in _FUND_ACTIONS:
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
            rec["amount_hkd"] = round(prev * kw["amount"], 3)  # the ex-date move is in the path
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
    return actions


@lru_cache(maxsize=16)
def random_fund_case(
    seed: int,
    n_days: int = 80,
    n_sec: int = 6,
    *,
    with_actions=True,
    with_delisting=True,
    fx_vol=0.002,
):
    """A random market with reviews, corporate actions and (optionally) a delisting, plus its index.

    The actions are scripted: a dividend on 0001 (ex row 12, paid 5 sessions later), a 2-for-1
    split on 0002 (row 20), a 1-for-10 bonus on 0003 (row 26), a 1-for-5 rights issue on 0004 at
    80 % of the prior close (row 33), a dividend on 0005 paid on its ex-date (row 38), a second
    dividend on 0003 (row 41, the effective date of the third review); 0006 is delisted after row
    54 while a member.  Reviews: initial (all codes), row 31 (0001 out), row 41 (0001 back).
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
    actions = _fund_actions(close, dates, codes, n_days) if with_actions else []
    if with_delisting and n_sec >= 6 and n_days > 60:
        close.iloc[55:, 5] = np.nan  # 0006 delisted after session 54
    close = close.round(4)
    fx = pd.Series(0.92 * np.exp(np.cumsum(rng.normal(0, fx_vol, n_days))), index=dates)
    market = fund_market(close, actions=pd.DataFrame(actions) if actions else None, fx=fx)
    q0 = {c: float(rng.uniform(1e6, 5e6)) for c in codes}
    q1 = {c: (0.0 if c == "0001" else float(rng.uniform(1e6, 5e6))) for c in codes}
    q2 = {c: float(rng.uniform(1e6, 5e6)) for c in codes}
    if "0006" in codes and with_delisting and n_days > 60:
        q2["0006"] = float(rng.uniform(1e6, 5e6))  # still a member when it is delisted
    revs = [make_review(dates[1], dates[0], q0, kind="initial")]
    if n_days > 32:
        revs.append(make_review(dates[31], dates[30], q1))
    if n_days > 42:
        revs.append(make_review(dates[41], dates[40], q2))
    idx = compute(
        market,
        make_schedule(revs, base_value=1000.0),
        base_date=dates[0],
        base_value=1000.0,
        withholding=FUND_WITHHOLDING,
    )
    return market, idx


def fund_loop_case(seed: int, lots_on: bool = True) -> dict:
    """Inputs of the fund's daily loop without corporate actions: 45 sessions, 4 securities, fees
    paid on rows 14 and 29, one review on row 20 (security 1 leaves), creations and redemptions
    on six rows (settled one session later), a 1 % cash buffer and a 0.25 % sweep level."""
    rng = np.random.default_rng(seed)
    T, n = 45, 4
    close = np.round(
        rng.uniform(5, 50, n) * np.exp(np.cumsum(rng.normal(0, 0.02, (T, n)), axis=0)), 3
    )
    days = np.r_[0.0, rng.choice([1.0, 1.0, 1.0, 3.0, 4.0], T - 1)]
    pay_fees = np.zeros(T, dtype=np.bool_)
    pay_fees[[14, 29]] = True
    q0 = rng.uniform(1e5, 1e6, n)
    q1 = q0.copy()
    q1[1] = 0.0  # leaves at the review
    target_q = np.tile(q0, (T, 1))
    target_q[20:] = q1
    flows = np.zeros(T)
    flows[[3, 10, 20, 21, 33, 40]] = [2e5, -1e5, 5e5, -3e5, -6e5, 1e5]
    return {
        "close": close,
        "lot": np.array([100.0, 500.0, 200.0, 1000.0]) if lots_on else np.zeros(n),
        "rates": np.array([0.001, 0.000027, 0.0000015, 0.0000565, 0.0003, 0.0005]),
        "fee_rates": np.array([0.005, 0.001]),
        "days": days,
        "pay_fees": pay_fees,
        "target_q": target_q,
        "reviews": {20: q1},
        "flows": flows,
        "init_hkd": 2e6,
        "init_units": 2e6,
        "buffer": 0.01,
        "lag": 1,
        "sweep": 0.0025,
    }


KIND_CODES = {"split": 1, "bonus": 2, "rights": 3, "cash_dividend": 4}
"""The index kernel's action-kind codes, written out (``engine.index._nb.EV_*``)."""


def index_dense_args(case: dict, base_value: float = 1000.0) -> tuple:
    """The positional arguments of ``engine.index._nb.index_dense`` for a
    :func:`random_index_arrays` case (base on row 0)."""
    return (
        np.ascontiguousarray(case["close"]),
        0,
        base_value,
        np.asarray(case["review_rows"], dtype=np.int64),
        case["review_q"],
        [(r, j, KIND_CODES[kind], *values) for r, j, kind, *values in case["actions"]],
        np.asarray(case["wht"], dtype=float),
    )


def two_stock_fund_case(close: pd.DataFrame):
    """``(market, index)`` for the hand-worked creation tests: the two codes of ``close`` (lots of
    100, withholding class ``hk`` at 0 %, fixing 1.0 CNY per HKD) with equal index shares from one
    review effective on the second session (base 1000 on the first)."""
    dates = close.index
    market = fund_market(close, lots=[100, 100], wht=["hk", "hk"], fx=pd.Series(1.0, index=dates))
    review = make_review(dates[1], dates[0], dict.fromkeys(close.columns, 1e6))
    index = compute(
        market,
        make_schedule([review], base_value=1000.0),
        base_date=dates[0],
        withholding={"hk": 0.0},
    )
    return market, index
