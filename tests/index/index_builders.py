"""Small builders for index tests: markets via ``MarketData.from_frames``, schedules via ``Review``.

Also holds the independent oracle: a plain-Python, chain-linked version of the index recursion.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from builders import market_from_closes, sessions

from engine.data.market import MarketData
from engine.rules.schedule import Review, ReviewSchedule


def make_market(
    close: pd.DataFrame,
    *,
    actions: pd.DataFrame | None = None,
    wht_class: dict[str, str] | None = None,
    synthetic: bool = True,
) -> MarketData:
    """A market whose closes are ``close`` (``[date, code]``, NaN outside the priced life)."""
    wht_class = wht_class or {}
    return market_from_closes(
        close,
        securities={"wht_class": [wht_class.get(c, "H") for c in close.columns]},
        actions=actions,
        synthetic=synthetic,
    )


def actions_frame(records: list[tuple]) -> pd.DataFrame:
    """``records``: ``(ex_date, code, kind, amount_hkd, ratio, price_hkd)``."""
    return pd.DataFrame(
        records, columns=["ex_date", "code", "kind", "amount_hkd", "ratio", "price_hkd"]
    )


def make_review(
    effective,
    cap,
    q: dict[str, float],
    *,
    methodology: str = "test",
    kind: str = "regular",
    extra_codes: tuple[str, ...] = (),
) -> Review:
    """A review selecting ``q`` (index shares = shares, FAF 1, cap factor 1)."""
    codes = list(q) + [c for c in extra_codes if c not in q]
    table = pd.DataFrame(
        {
            "code": codes,
            "eligible": True,
            "rank": np.arange(1, len(codes) + 1, dtype=float),
            "selected": [c in q for c in codes],
            "shares": [float(q.get(c, 1.0)) for c in codes],
            "free_float": 1.0,
            "cap_factor": [1.0 if c in q else np.nan for c in codes],
            "weight": [1.0 / len(q) if c in q else 0.0 for c in codes],
            "reason": ["selected" if c in q else "out" for c in codes],
        }
    )
    eff, cap = pd.Timestamp(effective), pd.Timestamp(cap)
    return Review(
        methodology=methodology,
        kind=kind,
        cutoff_date=cap,
        announcement_date=cap,
        cap_date=cap,
        effective_date=eff,
        table=table,
    )


def make_schedule(reviews: list[Review], **params) -> ReviewSchedule:
    return ReviewSchedule(reviews=tuple(reviews), history="test", index_params=params)


def oracle_levels(
    close: np.ndarray,
    base_row: int,
    base_value: float,
    review_rows: list[int],
    review_q: np.ndarray,
    actions: list[tuple],
    wht: np.ndarray,
) -> np.ndarray:
    """Chain-linked index in plain Python: ``[T, 3]`` price, gross, net levels (NaN before base).

    ``I_t = I_{t-1} * sum_i q_{i,t} P_{i,t} / sum_i (q_{i,t} P^adj_{i,t-1} - q_{i,t} d_{i,t})``
    where ``P^adj`` is yesterday's close restated for today's capital changes (split ``/r``, bonus
    ``/(1+r)``, rights TERP ``(P + rS)/(1+r)``), ``d`` today's dividend (gross) or ``d (1 - tau)`` (net),
    and constituents without a price today are dropped from both sums (deleted at their last close).
    ``actions``: ``(row, col, kind, ratio, price, amount)`` with kind a name.
    """
    T, N = close.shape
    out = np.full((T, 3), np.nan)
    out[base_row] = base_value
    q = [float(x) for x in review_q[0]]
    rev = dict(zip(review_rows, range(len(review_rows)), strict=True))
    for t in range(base_row + 1, T):
        if t in rev:
            q = [float(x) for x in review_q[rev[t]]]
        padj = [close[t - 1, j] for j in range(N)]
        cash = [0.0] * N
        for row, j, kind, ratio, price, amount in actions:
            if row != t or q[j] <= 0:
                continue
            if kind == "split":
                q[j] *= ratio
                padj[j] /= ratio
            elif kind == "bonus":
                q[j] *= 1 + ratio
                padj[j] /= 1 + ratio
            elif kind == "rights":
                q[j] *= 1 + ratio
                padj[j] = (padj[j] + ratio * price) / (1 + ratio)
            elif kind == "cash_dividend":
                cash[j] += amount
        for j in range(N):
            if q[j] > 0 and math.isnan(close[t, j]):
                q[j] = 0.0
        num = sum(q[j] * close[t, j] for j in range(N) if q[j] > 0)
        den_p = sum(q[j] * padj[j] for j in range(N) if q[j] > 0)
        den_g = den_p - sum(q[j] * cash[j] for j in range(N) if q[j] > 0)
        den_n = den_p - sum(q[j] * cash[j] * (1 - wht[j]) for j in range(N) if q[j] > 0)
        out[t, 0] = out[t - 1, 0] * num / den_p
        out[t, 1] = out[t - 1, 1] * num / den_g
        out[t, 2] = out[t - 1, 2] * num / den_n
    return out


KINDS = ("split", "bonus", "rights", "cash_dividend")


def random_case(
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


def case_to_inputs(case: dict, base_value: float = 1000.0):
    """(market, schedule, withholding) for :func:`engine.index.compute` from a :func:`random_case`."""
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
    market = make_market(
        pd.DataFrame(close, index=dates, columns=codes),
        actions=actions_frame(recs) if recs else None,
        wht_class=classes,
    )
    reviews = []
    for k, r in enumerate(case["review_rows"]):
        q = {
            codes[j]: float(case["review_q"][k, j]) for j in np.flatnonzero(case["review_q"][k] > 0)
        }
        reviews.append(make_review(dates[r], dates[r - 1], q))
    schedule = make_schedule(
        reviews, base_date=dates[0], base_value=base_value, withholding=withholding
    )
    return market, schedule, withholding
