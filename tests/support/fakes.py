"""Hand-made results for the analytics and report tests: real objects, filled by hand.

Nothing here runs the rules, index or fund engines (except :func:`real_pipeline`): index levels are
chain-linked by hand, ``L_t = L_{t-1} * sum_i q_i P_{i,t} / sum_i q_i P_{i,t-1}`` with the q in
force on day t, and a fund is a real :class:`~engine.fund.result.FundResult` built from frames, so
every fake satisfies the protocol of the class it stands for.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.data.market import MarketData
from engine.fund.config import EFFECTS
from engine.fund.result import FundResult
from engine.index.result import IndexResult
from engine.rules.schedule import REVIEW_TABLE_COLUMNS, Review, ReviewSchedule

from .markets import market_from_closes


def _review_at(closes: pd.DataFrame, r: int, q: dict[str, float], *, first: bool, methodology):
    """The review effective on row ``r`` with index shares ``q``, weights at the row ``r - 1`` close."""
    dates, codes, P = closes.index, list(closes.columns), closes.to_numpy()
    cap = r - 1
    qv = np.array([q.get(c, 0.0) for c in codes])
    table = pd.DataFrame(
        {
            "code": codes,
            "eligible": True,
            "rank": np.arange(1, len(codes) + 1, dtype=float),
            "selected": qv > 0,
            "shares": np.where(qv > 0, qv, 1.0),
            "free_float": 1.0,
            "cap_factor": np.where(qv > 0, 1.0, np.nan),
            "weight": qv * P[cap] / (qv @ P[cap]),
            "reason": ["selected" if x > 0 else "out" for x in qv],
        }
    )[REVIEW_TABLE_COLUMNS]
    return Review(
        methodology=methodology,
        kind="initial" if first else "regular",
        cutoff_date=dates[cap],
        announcement_date=dates[cap],
        cap_date=dates[cap],
        effective_date=dates[r],
        table=table,
    )


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
    """An ``IndexResult`` chain-linked by hand from ``closes`` (``[date, code]``).

    ``reviews``: (effective row, {code: q}); the first review's q also holds on row 0 (base date,
    level 1000).  Gross and net levels grow by ``dividend_yield_per_day`` and 80 % of it a day.
    """
    dates, codes, P = closes.index, list(closes.columns), closes.to_numpy()
    T, N = P.shape
    eff_rows = [r for r, _ in reviews]
    qs = [np.array([q.get(c, 0.0) for c in codes]) for _, q in reviews]
    q_daily = np.array(
        [qs[max([0] + [i for i, r in enumerate(eff_rows) if r <= t])] for t in range(T)]
    )
    price = np.empty(T)
    price[0] = 1000.0
    for t in range(1, T):
        q = q_daily[t]
        price[t] = price[t - 1] * (q @ P[t]) / (q @ P[t - 1])
    gross = price * (1 + dividend_yield_per_day) ** np.arange(T)
    net = price * (1 + 0.8 * dividend_yield_per_day) ** np.arange(T)
    levels = pd.DataFrame({"price": price, "gross": gross, "net": net}, index=dates)
    mv = q_daily * P
    weights = pd.DataFrame(
        mv / mv.sum(axis=1, keepdims=True), index=dates, columns=pd.Index(codes, name="code")
    )
    review_objs = [
        _review_at(closes, r, q, first=k == 0, methodology=methodology)
        for k, (r, q) in enumerate(reviews)
    ]
    schedule = ReviewSchedule(
        reviews=tuple(review_objs),
        history=history,
        methodology_hash="abc123",
        data_fingerprint="fp0001",
    )
    return IndexResult(
        levels=levels,
        weights=weights,
        index_shares=pd.DataFrame(q_daily, index=dates, columns=codes),
        divisors=pd.DataFrame(1.0, index=dates, columns=["price", "gross", "net"]),
        events=pd.DataFrame(columns=["date", "kind", "code", "detail"]),
        schedule=schedule,
        base_date=dates[0],
        base_value=1000.0,
        name=name,
        synthetic=synthetic,
    )


def make_market(closes: pd.DataFrame, fx: pd.Series, synthetic: bool = False) -> MarketData:
    """A real market on ``closes`` (HKEX sessions) with the fixing ``fx`` (source ``"fake"``)."""
    return market_from_closes(closes, fx=fx, synthetic=synthetic, source="fake")


@dataclass(frozen=True)
class FakeConfig:
    """The few settings the analytics read from a fund's config (fees, effects, benchmark)."""

    management_fee: float = 0.005
    custody_fee: float = 0.001
    effects: tuple[str, ...] = EFFECTS
    benchmark: str = "price"

    def with_effects(self, on) -> FakeConfig:
        return dataclasses.replace(self, effects=tuple(e for e in EFFECTS if e in set(on)))


DRAG = {
    "withholding_tax": 2e-5,
    "fees": 2.4e-5,
    "cash_drag": 1e-5,
    "trading_costs": 5e-6,
    "lot_rounding": 1e-6,
    "flow_timing": 3e-6,
}
"""Daily drag (fraction of NAV) of each effect in the toy fund model of :func:`fake_backtest`."""


def fake_backtest(index_result, market, config, flows=None) -> FundResult:
    """NAV per unit = gross index (CNY if fx on) * prod over days of (1 - drag of the effects on);
    inception 5 sessions after the base date, 1e6 units."""
    cfg = config or FakeConfig()
    dates = index_result.levels.index[5:]
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
    return make_fund(nav, index_result, cfg, synthetic=index_result.synthetic)


def make_fund(
    nav: pd.DataFrame, index_result, config=None, synthetic=False, holdings=None
) -> FundResult:
    """A ``FundResult`` with NAV ``nav`` tracking ``index_result``: ``holdings`` (``[date, code]``
    shares; default proportional to the index weights, 1e6 shares at weight 1), three cost kinds of
    1, 2 or 3 CNY a day, no trades, no closes of its own (its ``weights()`` view needs them)."""
    dates = nav.index
    kinds = ["management_fee", "stamp_duty", "withholding_tax"]
    cost = np.array([1.0 + (i % 3) for i in range(len(dates) * len(kinds))])
    costs = pd.DataFrame(cost.reshape(len(dates), len(kinds)), index=dates, columns=kinds)
    if holdings is None:
        holdings = (index_result.weights.reindex(dates) * 1e6).round()
    return FundResult(
        nav=nav,
        holdings=holdings,
        trades=pd.DataFrame(columns=["date", "code", "side", "shares", "reason"]),
        costs=costs,
        cash=pd.DataFrame(index=dates),
        events=pd.DataFrame(),
        config=config or FakeConfig(),
        index_name=index_result.name,
        synthetic=synthetic,
        meta={"run": "fake"},
    )


def tiny_fund(
    market,
    fund_weights: dict[str, float],
    index_weights: dict[str, float],
    *,
    start: int = 0,
    nav_hkd: float = 1000.0,
    review_days=(),
    nav_per_unit=None,
) -> FundResult:
    """A ``FundResult`` from session ``start`` on whose holdings are ``fund_weights`` of a
    ``nav_hkd`` NAV at every close (shares = w NAV / P) and whose index weights are
    ``index_weights``; ``review_days`` get one review trade each."""
    dates = market.dates[start:]
    prices = market.panel("close").loc[dates]
    codes = list(prices.columns)
    hold = pd.DataFrame(0.0, index=dates, columns=pd.Index(codes, name="code"))
    iw = pd.DataFrame(0.0, index=dates, columns=pd.Index(codes, name="code"))
    for code, w in fund_weights.items():
        hold[code] = w * nav_hkd / prices[code]
    for code, w in index_weights.items():
        iw[code] = w
    invested = float(sum(fund_weights.values())) * nav_hkd
    nav_pu = np.ones(len(dates)) if nav_per_unit is None else np.asarray(nav_per_unit)
    nav = pd.DataFrame(
        {
            "nav_cny": nav_hkd * 0.92,
            "nav_per_unit_cny": nav_pu,
            "units": 1000.0,
            "value_hkd": invested,
            "cash_hkd": nav_hkd - invested,
            "fx": 0.92,
            "nav_hkd": nav_hkd,
        },
        index=pd.DatetimeIndex(dates, name="date"),
    )
    trades = pd.DataFrame(
        {"date": pd.DatetimeIndex(list(review_days)), "code": codes[0], "reason": "review"}
    )
    levels = pd.DataFrame(
        {v: np.linspace(1000, 1100, len(dates)) for v in ("price", "gross", "net")}, index=dates
    )
    return FundResult(
        nav=nav,
        holdings=hold,
        trades=trades,
        costs=pd.DataFrame(index=dates),
        cash=pd.DataFrame(index=dates),
        events=pd.DataFrame(),
        config=None,
        index_name="tiny",
        synthetic=False,
        index_levels=levels,
        index_weights=iw,
        prices=prices,
    )


_REAL: dict = {}


def real_pipeline():
    """(market, index_result, fund module, fund_result) from the real engine on the default
    market, built once per process (an import or attribute error is a failure, not a skip)."""
    if "value" not in _REAL:
        import engine.fund as fund
        from engine import build_index
        from engine.data import default_market

        market = default_market()
        idx = build_index(market, "hsidi")
        res = fund.backtest(idx, market, fund.EtfConfig.default())
        _REAL["value"] = (market, idx, fund, res)
    return _REAL["value"]
