"""Small hand-made IndexResult / fund / market objects for the analytics and report tests.

Nothing here calls the rules, index or fund engines: levels are chain-linked by hand,
``L_t = L_{t-1} * sum_i q_i P_{i,t} / sum_i q_i P_{i,t-1}`` with the q in force on day t.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pandas as pd

from engine.fund.config import EFFECTS
from engine.index.result import IndexResult
from engine.rules.schedule import REVIEW_TABLE_COLUMNS, Review, ReviewSchedule


def sessions(n: int, start: str = "2024-01-02") -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.bdate_range(start, periods=n), name="date")


def random_closes(n_days: int, codes, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.0005, 0.02, size=(n_days, len(codes)))
    steps[0] = 0.0
    closes = 10.0 * np.exp(np.cumsum(steps, axis=0)) * (1 + np.arange(len(codes)))
    return pd.DataFrame(closes, index=sessions(n_days), columns=pd.Index(list(codes), name="code"))


def make_index(
    closes: pd.DataFrame,
    reviews: list[tuple[int, dict[str, float]]],
    *,
    name: str = "fake",
    synthetic: bool = False,
    dividend_yield_per_day: float = 0.0001,
    history: str = "fake-history",
    methodology: str = "fake-m",
) -> IndexResult:
    """``reviews``: (effective row, {code: q}); the first review's q also holds on row 0 (base date)."""
    dates = closes.index
    codes = list(closes.columns)
    P = closes.to_numpy()
    T, N = P.shape
    q_daily = np.zeros((T, N))
    eff_rows = [r for r, _ in reviews]
    qs = [np.array([q.get(c, 0.0) for c in codes]) for _, q in reviews]
    for t in range(T):
        k = max([0] + [i for i, r in enumerate(eff_rows) if r <= t])
        q_daily[t] = qs[k]
    price = np.empty(T)
    price[0] = 1000.0
    for t in range(1, T):
        q = q_daily[t]
        price[t] = price[t - 1] * (q @ P[t]) / (q @ P[t - 1])
    growth = (1 + dividend_yield_per_day) ** np.arange(T)
    gross = price * growth
    net = price * (1 + 0.8 * dividend_yield_per_day) ** np.arange(T)
    levels = pd.DataFrame({"price": price, "gross": gross, "net": net}, index=dates)
    mv = q_daily * P
    weights = pd.DataFrame(
        mv / mv.sum(axis=1, keepdims=True), index=dates, columns=pd.Index(codes, name="code")
    )
    review_objs = []
    for r, q in reviews:
        cap = r - 1
        qv = np.array([q.get(c, 0.0) for c in codes])
        w = qv * P[cap] / (qv @ P[cap])
        table = pd.DataFrame(
            {
                "code": codes,
                "eligible": True,
                "rank": np.arange(1, N + 1, dtype=float),
                "selected": qv > 0,
                "shares": np.where(qv > 0, qv, 1.0),
                "free_float": 1.0,
                "cap_factor": np.where(qv > 0, 1.0, np.nan),
                "weight": w,
                "reason": ["selected" if x > 0 else "out" for x in qv],
            }
        )[REVIEW_TABLE_COLUMNS]
        review_objs.append(
            Review(
                methodology=methodology,
                kind="initial" if not review_objs else "regular",
                cutoff_date=dates[cap],
                announcement_date=dates[cap],
                cap_date=dates[cap],
                effective_date=dates[r],
                table=table,
            )
        )
    schedule = ReviewSchedule(
        reviews=tuple(review_objs),
        history=history,
        methodology_hash="abc123",
        data_fingerprint="fp0001",
    )
    empty = pd.DataFrame(columns=["date", "kind", "code", "detail"])
    return IndexResult(
        levels=levels,
        weights=weights,
        index_shares=pd.DataFrame(q_daily, index=dates, columns=codes),
        divisors=pd.DataFrame(1.0, index=dates, columns=["price", "gross", "net"]),
        events=empty,
        schedule=schedule,
        base_date=dates[0],
        base_value=1000.0,
        name=name,
        synthetic=synthetic,
    )


def make_fx(dates: pd.DatetimeIndex, seed: int = 1) -> pd.Series:
    rng = np.random.default_rng(seed)
    return pd.Series(
        0.92 * np.exp(np.cumsum(rng.normal(0, 0.002, len(dates)))), index=dates, name="hkd_cny"
    )


def make_market(closes: pd.DataFrame, fx: pd.Series, synthetic: bool = False):
    return SimpleNamespace(
        fx=fx,
        synthetic=synthetic,
        source="fake",
        panel=lambda name: closes,
        fingerprint=lambda: "mkt-fp-42",
    )


@dataclass(frozen=True)
class FakeConfig:
    management_fee: float = 0.005
    custody_fee: float = 0.001
    effects: tuple[str, ...] = EFFECTS
    benchmark: str = "price"

    def with_effects(self, on) -> FakeConfig:
        return dataclasses.replace(self, effects=tuple(e for e in EFFECTS if e in set(on)))


# daily drag (fraction of NAV) of each effect in the fake fund model
DRAG = {
    "withholding_tax": 2e-5,
    "fees": 2.4e-5,
    "cash_drag": 1e-5,
    "trading_costs": 5e-6,
    "lot_rounding": 1e-6,
    "flow_timing": 3e-6,
}


def fake_backtest(index_result, market, config, flows=None):
    """NAV per unit = gross index (CNY if fx on) * prod over days of (1 - drag of the effects on)."""
    cfg = config or FakeConfig()
    dates = index_result.levels.index[5:]  # inception 5 sessions after the base date
    gross = index_result.levels["gross"].reindex(dates).to_numpy()
    fx = market.fx.reindex(dates).to_numpy()
    fx_used = fx if "fx" in cfg.effects else np.full_like(fx, fx[0])
    drag = sum(DRAG[e] for e in cfg.effects if e in DRAG)
    nav_pu = gross / gross[0] * fx_used / fx_used[0] * (1 - drag) ** np.arange(len(dates))
    units = np.full(len(dates), 1e6)
    nav = pd.DataFrame(
        {
            "nav_per_unit_cny": nav_pu,
            "nav_cny": nav_pu * units,
            "units": units,
            "cash_hkd": 100.0,
            "fx": fx_used,
        },
        index=dates,
    )
    return make_fund(nav, index_result, cfg, synthetic=getattr(index_result, "synthetic", False))


def make_fund(nav: pd.DataFrame, index_result, config=None, synthetic=False):
    dates = nav.index
    kinds = ["management_fee", "stamp_duty", "withholding_tax"]
    costs = pd.Series(
        [1.0 + (i % 3) for i in range(len(dates) * len(kinds))],
        index=pd.MultiIndex.from_product([dates, kinds], names=["date", "kind"]),
        name="cost_cny",
    )
    w = index_result.weights.reindex(dates)
    hold = (
        w * 1e6
    ).round()  # shares roughly proportional to weights / price is irrelevant for the fake
    holdings = hold.stack().rename("shares")
    holdings.index.names = ["date", "code"]
    return SimpleNamespace(
        nav=nav,
        costs=costs,
        holdings=holdings,
        config=config or FakeConfig(),
        synthetic=synthetic,
        meta={"run": "fake"},
    )


_REAL: dict = {}


def real_pipeline():
    """(market, index_result, fund module, fund_result) from the real engine, built once per process
    (an import or attribute error is a failure, not a skip)."""
    if "value" not in _REAL:
        import engine.fund as fund
        from engine import build_index
        from engine.data import default_market

        market = default_market()
        idx = build_index(market, "hsidi")
        res = fund.backtest(idx, market, fund.EtfConfig.default())
        _REAL["value"] = (market, idx, fund, res)
    return _REAL["value"]
