"""What a methodology requires of the data, in the rules stage (the data stage imports nothing later).

:func:`requirements` lists the market inputs the rules of a methodology (every version of a history)
read; :func:`engine.data.onboard.onboard` takes that mapping as ``requires=`` and checks a user's
tables against it before building anything (:func:`engine.onboard` wires the two together).
:func:`drug_industries` gives the industries a methodology admits (the innovative-drug industries
the relevance-by-industry approximation scores 1), and :func:`earliest_base_date` the first base
date the data can carry.
"""

from __future__ import annotations

import pandas as pd

from engine.errors import CalendarError
from engine.rules.methodology import MethodologyHistory, resolve


def _versions(methodology) -> tuple:
    spec = resolve(methodology)
    return spec.versions if isinstance(spec, MethodologyHistory) else (spec,)


def requirements(methodology="hsidi") -> dict[str, str]:
    """What the rules of ``methodology`` (every version of a history) read from a market.

    Returns
    -------
    dict
        Input -> the rules that need it, over ``memberships.hsci``, ``memberships.southbound``,
        ``relevance``, ``classification.industry``, ``classification.is_cxo``, ``volume`` and
        ``shares`` (always: free-float market cap ranks or weights every FFMC methodology).
    """
    need: dict[str, list[str]] = {"shares": ["weighting.method (free-float market cap)"]}

    def add(key: str, why: str) -> None:
        need.setdefault(key, []).append(why)

    for m in _versions(methodology):
        u = m.universe
        if u.require_hsci:
            add("memberships.hsci", f"{m.name} universe.require_hsci")
        if u.require_southbound:
            add("memberships.southbound", f"{m.name} universe.require_southbound")
        if m.selection.ranking == "relevance" or u.min_relevance >= 0:
            add("relevance", f"{m.name} selection.ranking / universe.min_relevance")
        if u.industries:
            add("classification.industry", f"{m.name} universe.industries")
        if u.exclude_cxo:
            add("classification.is_cxo", f"{m.name} universe.exclude_cxo")
        if m.liquidity.enabled:
            add("volume", f"{m.name} liquidity.enabled")
    return {k: ", ".join(v) for k, v in need.items()}


def drug_industries(methodology="hsidi") -> tuple[str, ...]:
    """Industries the versions of ``methodology`` admit (their ``universe.industries``, in order,
    without repeats); empty when no version filters by industry.

    For ``"hsidi"`` this is ``("Pharmaceuticals", "Biotechnology")``, the two industries of the
    2025-08 revision (methodology-research.md section 1, [S3]).
    """
    out: list[str] = []
    for m in _versions(methodology):
        out += [i for i in m.universe.industries if i not in out]
    return tuple(out)


def earliest_base_date(market_dates, methodology="hsidi") -> pd.Timestamp:
    """The first base date a market can carry under ``methodology``: the last session of the month
    in which the data first cover the longest liquidity window of any version.

    With :math:`W` = the largest ``liquidity.window_sessions`` of an enabled screen (0 when none)
    and :math:`d_0, d_1, \\dots` the sessions of the data, the answer is the last session of the
    calendar month of :math:`d_W` (a month end keeps the base date a natural one; it is an
    assumption, not a rule of the index).

    Parameters
    ----------
    market_dates
        A :class:`~engine.data.market.MarketData` (its ``dates``) or a DatetimeIndex of sessions.
    methodology
        A name, path or loaded methodology / history.

    Raises
    ------
    CalendarError
        The data hold fewer sessions than the window, or end before that month ends.
    """
    dates = pd.DatetimeIndex(getattr(market_dates, "dates", market_dates))
    window = max(
        (m.liquidity.window_sessions for m in _versions(methodology) if m.liquidity.enabled),
        default=0,
    )
    if len(dates) <= window:
        raise CalendarError(
            f"the data hold {len(dates)} session(s), fewer than the {window}-session "
            "liquidity window",
            field="liquidity.window_sessions",
            value=f"{dates[0].date()}..{dates[-1].date()}" if len(dates) else "empty",
            fix="load more history",
        )
    first = dates[window]
    month = dates[(dates.year == first.year) & (dates.month == first.month)]
    if month[-1] == dates[-1] and dates[-1].is_month_end is False:
        raise CalendarError(
            "the data end inside the month the base date would close",
            date=dates[-1],
            fix="load data past that month end, or pass base_date yourself",
        )
    return month[-1]


__all__ = ["drug_industries", "earliest_base_date", "requirements"]
