"""Small real ``MarketData`` and ``FundResult`` objects built by hand for the ex-ante,
concentration and fund-rule tests (no rules, index or fund engine run)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from builders import market_from_closes, sessions

from engine.fund.result import FundResult


def closes_from_returns(returns: np.ndarray, codes, start: float = 100.0) -> pd.DataFrame:
    """Closes on HKEX sessions whose daily returns are ``returns`` (``[T, N]``; one more close)."""
    r = np.asarray(returns, dtype=float)
    levels = start * np.vstack([np.ones(r.shape[1]), np.cumprod(1.0 + r, axis=0)])
    return pd.DataFrame(levels, index=sessions(len(levels)), columns=list(codes))


def tiny_market(closes: pd.DataFrame, **kw):
    """A validated market on ``closes`` (``tests/builders.market_from_closes``)."""
    return market_from_closes(closes, **kw)


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
