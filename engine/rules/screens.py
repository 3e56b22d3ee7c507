"""Eligibility screens applied at a review's cut-off date.

Screens run in a fixed order and the first one a security fails becomes its ``reason``:

1. ``out: not listed``: no close at the cut-off or at the cap date;
1a. ``out: listed less than <n> months`` (when ``universe.min_listed_months = n > 0``): the security
   master's ``listing_date`` is after the cut-off date minus ``n`` calendar months (unknown listing
   dates fail too);
1b. ``out: suspended <n> sessions`` (when ``universe.max_suspended_sessions = m > 0``): suspended on
   more than ``m`` consecutive sessions ending at the cut-off (inclusive); an assumption;
2. ``out: suspended at cutoff`` (when ``universe.exclude_suspended_at_cutoff``);
3. ``out: not an HSCI member`` (when ``universe.require_hsci``), membership on the cut-off session;
4. ``out: not Southbound eligible`` (when ``universe.require_southbound``);
5. ``out: CXO excluded`` (when ``universe.exclude_cxo``; ``securities.is_cxo``);
6. ``out: industry <name> not eligible`` (when ``universe.industries`` is not empty);
7. ``out: relevance score <s>`` when the score in force at the cut-off is ``<= universe.min_relevance``;
8. ``out: liquidity HKD <x>m < <y>m`` (when ``liquidity.enabled``): the mean daily traded value

   .. math:: \\overline{TV}_i = \\frac{1}{|W_i|} \\sum_{t \\in W_i} TV_{i,t}

   over :math:`W_i`, the sessions among the ``window_sessions`` sessions ending at the cut-off
   (inclusive) on which the security was listed; suspended days count with their traded value (0).
   A window that starts before the market data does is shortened to the data available.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine import enums as C
from engine.data.market import MarketData
from engine.rules.methodology import Methodology


@dataclass(frozen=True)
class ScreenResult:
    """Per-security outcome of the screens, aligned with ``market.codes``.

    Attributes
    ----------
    eligible : ndarray of bool
    reason : ndarray of object
        ``""`` for eligible securities, otherwise the first failing screen's reason.
    relevance : ndarray of float
        Relevance score in force at the cut-off (0 where none).
    ffmc_cutoff_hkd : ndarray of float
        Free-float market cap at the cut-off close (NaN where not listed).
    avg_traded_value_hkd : ndarray of float
        Mean traded value over the liquidity window (NaN where never listed in it).
    """

    eligible: np.ndarray
    reason: np.ndarray
    relevance: np.ndarray
    ffmc_cutoff_hkd: np.ndarray
    avg_traded_value_hkd: np.ndarray


def _fmt_m(value_hkd: float) -> str:
    return f"{value_hkd / 1e6:.1f}m"


def screen_text(code: int, m: Methodology, fact) -> str:
    """The reason text of a security failing screen ``code`` (1a, 1b, 6, 7 or 8, :mod:`engine.enums`)
    of version ``m``, with the ``fact`` the screen read: the listing date, the suspended sessions,
    the industry, the relevance score or the mean traded value (HKD)."""
    if code == C.RS_TOO_YOUNG:
        when = fact.date() if not pd.isna(fact) else "unknown"
        return f"out: listed less than {m.universe.min_listed_months} months (listed {when})"
    if code == C.RS_LONG_SUSPENDED:
        return f"out: suspended {int(fact)} sessions"
    if code == C.RS_INDUSTRY:
        return f"out: industry {fact or '(blank)'} not eligible"
    if code == C.RS_RELEVANCE:
        return f"out: relevance score {fact:g}"
    minimum = m.liquidity.min_avg_traded_value_hkd
    return f"out: liquidity HKD {_fmt_m(np.nan_to_num(fact))} < {_fmt_m(minimum)}"


def average_traded_value(market: MarketData, cutoff_row: int, window_sessions: int) -> np.ndarray:
    """Mean traded value (HKD) per security over the listed sessions of the window ending at ``cutoff_row``."""
    lo = max(0, cutoff_row - window_sessions + 1)
    tv = market.traded_value_hkd[lo : cutoff_row + 1]
    listed = ~np.isnan(market.close_hkd[lo : cutoff_row + 1])
    count = listed.sum(axis=0)
    total = np.where(listed, np.nan_to_num(tv, nan=0.0), 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def listing_ns(listing_dates) -> np.ndarray:
    """Listing dates as int64 nanoseconds, the largest int64 where unknown (young at every
    cut-off)."""
    listed = pd.DatetimeIndex(listing_dates).as_unit("ns")
    return np.where(listed.isna(), np.iinfo(np.int64).max, listed.asi8)


def latest_listing_ns(cutoffs, months: int) -> np.ndarray:
    """The latest listing date (int64 nanoseconds) that passes screen 1a at each cut-off: the
    cut-off minus ``months`` calendar months."""
    return (pd.DatetimeIndex(cutoffs) - pd.DateOffset(months=months)).as_unit("ns").asi8


def too_young(listing_dates, cutoffs, months: int) -> np.ndarray:
    """``bool[len(cutoffs), N]``: screen 1a, the listing date is unknown or after the cut-off minus
    ``months`` calendar months."""
    latest = latest_listing_ns(cutoffs, months)
    return listing_ns(listing_dates)[None, :] > latest[:, None]


def screen(market: MarketData, m: Methodology, cutoff_date, cap_date) -> ScreenResult:
    """Apply the universe and liquidity screens of ``m`` at ``cutoff_date``.

    Parameters
    ----------
    market
        The market; ``cutoff_date`` and ``cap_date`` must be sessions of it.
    m
        The methodology version in force for this review.
    cutoff_date, cap_date
        The review's cut-off and cap dates.
    """
    tc, tk = market.row(cutoff_date), market.row(cap_date)
    n = len(market.codes)
    reason = np.full(n, "", dtype=object)
    open_ = np.ones(n, dtype=bool)

    def fail(mask: np.ndarray, code: int, facts=None) -> None:
        """Screen ``code`` fails the open securities in ``mask`` (text with ``facts[j]``)."""
        idx = np.flatnonzero(open_ & mask)
        for j in idx:
            reason[j] = C.REASON_LABELS[code] if facts is None else screen_text(code, m, facts[j])
        open_[idx] = False

    close_c = market.close_hkd[tc]
    fail(np.isnan(close_c) | np.isnan(market.close_hkd[tk]), C.RS_NOT_LISTED)
    u = m.universe
    sec = market.securities.set_index("code").reindex(market.codes)
    if u.min_listed_months:
        listed = pd.DatetimeIndex(sec["listing_date"])
        young = too_young(listed, [cutoff_date], u.min_listed_months)[0]
        fail(young, C.RS_TOO_YOUNG, listed)
    if u.max_suspended_sessions:
        run = np.zeros(n, dtype=np.int64)
        for t in range(tc + 1):
            run = np.where(market.suspended[t], run + 1, 0)
        fail(run > u.max_suspended_sessions, C.RS_LONG_SUSPENDED, run)
    if u.exclude_suspended_at_cutoff:
        fail(market.suspended[tc], C.RS_SUSPENDED)
    if u.require_hsci:
        fail(~market.membership("hsci")[tc], C.RS_NOT_HSCI)
    if u.require_southbound:
        fail(~market.membership("southbound")[tc], C.RS_NOT_SOUTHBOUND)
    if u.exclude_cxo:
        fail(sec["is_cxo"].to_numpy(dtype=bool), C.RS_CXO)
    if u.industries:
        industry = sec["industry"].astype(object).to_numpy()
        allowed = set(u.industries)
        fail(np.array([x not in allowed for x in industry], dtype=bool), C.RS_INDUSTRY, industry)
    score = market.relevance_at(cutoff_date).to_numpy(dtype=float)
    fail(score <= u.min_relevance, C.RS_RELEVANCE, score)
    liq = m.liquidity
    avg_tv = average_traded_value(market, tc, liq.window_sessions)
    if liq.enabled:
        low = ~(avg_tv >= liq.min_avg_traded_value_hkd)
        fail(low, C.RS_LIQUIDITY, avg_tv)
    ffmc = close_c * market.shares[tc] * market.free_float[tc]
    return ScreenResult(
        eligible=open_.copy(),
        reason=reason,
        relevance=score,
        ffmc_cutoff_hkd=ffmc,
        avg_traded_value_hkd=avg_tv,
    )


def screen_frame(market: MarketData, m: Methodology, cutoff_date, cap_date) -> pd.DataFrame:
    """:func:`screen` as a table indexed by code (for notebooks and debugging)."""
    r = screen(market, m, cutoff_date, cap_date)
    return pd.DataFrame(
        {
            "eligible": r.eligible,
            "reason": r.reason,
            "relevance": r.relevance,
            "ffmc_cutoff_hkd": r.ffmc_cutoff_hkd,
            "avg_traded_value_hkd": r.avg_traded_value_hkd,
        },
        index=pd.Index(market.codes, name="code"),
    )


__all__ = [
    "ScreenResult",
    "average_traded_value",
    "screen",
    "screen_frame",
    "screen_text",
    "latest_listing_ns",
    "listing_ns",
    "too_young",
]
