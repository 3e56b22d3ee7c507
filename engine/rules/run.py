"""Run every review of a methodology (or history) on a market: the rules stage's entry point."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.data.market import MarketData
from engine.errors import CalendarError
from engine.rules import replace
from engine.rules._reasons import dropped_texts, no_selection_error, table_frame
from engine.rules.calendar import review_dates
from engine.rules.capping import cap_factors, cap_weights, rebalance_cap_factors
from engine.rules.methodology import Methodology, MethodologyHistory, resolve
from engine.rules.schedule import Review, ReviewSchedule
from engine.rules.screens import screen
from engine.rules.selection import rank, select


def run_review(
    market: MarketData,
    m: Methodology,
    dates: dict,
    current: np.ndarray | None = None,
) -> Review:
    """One review: screens at the cut-off, ranking, buffer selection, capped weights on the cap date.

    Parameters
    ----------
    market
        The market data.
    m
        The methodology version applied.
    dates
        ``kind, cutoff_date, announcement_date, cap_date, effective_date`` (a row of
        :func:`~engine.rules.calendar.review_dates`).
    current
        Boolean mask (aligned with ``market.codes``) of the constituents before this review; None or
        all False for the first review of a run.

    Raises
    ------
    DataError
        No security passes the screens (the message counts the reasons).
    CappingError
        ``cap x N < 1`` for the number ``N`` of selected securities.

    Notes
    -----
    A selected security without a close on the session before the effective date (delisted after
    the cap date, possible when ``cap_factor_lag_sessions > 1``) is dropped at this review with a
    :class:`UserWarning` and the reason ``"out: delisted after the cap date ..."``; the cap weights
    are computed over the remaining selection.  The ``shares`` column holds the issued shares on the
    cap date; :func:`engine.index.compute` restates the index shares for capital changes between the
    cap date and the effective date.

    With ``selection.replace_delisted`` a security listed at the cut-off and cap date but without a
    close from the effective date on is out before the ranking (``"out: delisted (last close d)"``),
    and a review of kind ``"replacement"`` keeps the current constituents that still trade and fills
    the vacancies by rank (:mod:`engine.rules.replace`).
    """
    codes = market.codes
    current = np.zeros(len(codes), dtype=bool) if current is None else current
    cutoff, cap_date = pd.Timestamp(dates["cutoff_date"]), pd.Timestamp(dates["cap_date"])
    effective = pd.Timestamp(dates["effective_date"])
    eligible, screen_reason, ranks, selected, sel_reason = _screen_and_select(
        market, m, dates, current, cutoff, cap_date, effective
    )
    selected, sel_reason = _drop_delisted_before_effective(
        market, selected, sel_reason, cap_date, effective, m.name
    )
    if not selected.any():
        raise no_selection_error(m.name, effective, screen_reason[~eligible])
    reason = np.where(eligible | selected, sel_reason, screen_reason)
    shares, free_float, weight, cf, shares_date = _weights(market, m, selected, cap_date, effective)
    table = table_frame(
        codes,
        reason,
        eligible=eligible,
        rank=ranks,
        selected=selected,
        shares=shares,
        free_float=free_float,
        cap_factor=cf,
        weight=weight,
    )
    return Review(
        methodology=m.name,
        kind=str(dates["kind"]),
        cutoff_date=cutoff,
        announcement_date=pd.Timestamp(dates["announcement_date"]),
        cap_date=cap_date,
        effective_date=effective,
        table=table,
        shares_date=shares_date,
    )


def _screen_and_select(market, m, dates, current, cutoff, cap_date, effective):
    """Screens at the cut-off, ranking and selection (an ad-hoc replacement keeps the current
    constituents that still trade and fills the vacancies by rank).

    Returns ``(eligible, screen_reason, ranks, selected, selection_reason)``.
    """
    scr = screen(market, m, cutoff, cap_date)
    eligible, screen_reason = scr.eligible, scr.reason
    if m.selection.replace_delisted or dates["kind"] == replace.KIND:  # delisted at effective: out
        eligible, screen_reason, gone, left = replace.exclude_gone(
            market, eligible, screen_reason, cutoff, cap_date, effective
        )
    ranks = rank(eligible, scr.relevance, scr.ffmc_cutoff_hkd, market.codes, m.selection.ranking)
    if dates["kind"] == replace.KIND:
        selected, sel_reason = replace.select_replacement(market, ranks, current, gone, left)
    else:
        selected, sel_reason = select(ranks, current, m.selection)
    return eligible, screen_reason, ranks, selected, sel_reason


def _weights(market, m, selected, cap_date, effective):
    """Capped weights of the selection on the cap-date close and its cap factors.

    Returns ``(shares, free_float, weight, cap_factor, shares_date)``: the issued shares and free
    float on the cap date, the capped weights (0 where not selected), the cap factors (NaN where
    not selected) and the session whose share counts the index shares are in.
    """
    n = len(market.codes)
    tk = market.row(cap_date)
    shares = market.shares[tk].copy()
    free_float = market.free_float[tk].copy()
    idx = np.flatnonzero(selected)
    ffmc = market.close_hkd[tk, idx] * shares[idx] * free_float[idx]
    capped = cap_weights(ffmc, m.weighting.cap, date=effective.strftime("%Y-%m-%d"), source=m.name)
    weight = np.zeros(n)
    weight[idx] = capped
    cf = np.full(n, np.nan)
    shares_date = cap_date
    if m.weighting.shares_at == "rebalance_close":
        price_row = int(market.dates.searchsorted(effective, side="left")) - 1
        shares_date = market.dates[price_row]
        cf[idx] = rebalance_cap_factors(
            capped, market.close_hkd[price_row, idx], shares[idx] * free_float[idx]
        )
    else:
        cf[idx] = cap_factors(ffmc, capped)
    return shares, free_float, weight, cf, shares_date


def _drop_delisted_before_effective(market, selected, reason, cap_date, effective, name):
    """Drop selected securities without a close on the session before ``effective_date``.

    Under a cap-factor lag of more than one session a security priced on the cap date can stop
    trading (be delisted) before the effective date.  It cannot take part in the new composition,
    whose index shares are priced on the session before the effective date, so it is dropped at this
    review (not replaced; the cap weights are computed over the rest).  The review table's
    ``reason`` says so and a :class:`UserWarning` names the code and the dates.
    """
    price_row = int(market.dates.searchsorted(effective, side="left")) - 1
    cap_row = market.row(cap_date)
    if price_row <= cap_row:  # lag of one session: the cap date is the pricing session
        return selected, reason
    gone = np.flatnonzero(selected & np.isnan(market.close_hkd[price_row]))
    if not len(gone):
        return selected, reason
    texts = dropped_texts(market, name, cap_date, effective, gone, stacklevel=5)
    selected = selected.copy()
    selected[gone] = False
    reason = np.asarray(reason, dtype=object).copy()
    reason[gone] = list(texts.values())
    return selected, reason


def run_reviews(market: MarketData, methodology="hsidi", progress: bool = False) -> ReviewSchedule:
    """Run every review of a methodology or history on ``market``.

    Parameters
    ----------
    market
        The market data; it must cover the index base date (the initial review's cut-off).
    methodology
        A history name (``"hsidi"``), a version name (``"hsidi-2023-05"``), a path to a TOML file, a
        :class:`Methodology` (applied from the base date on) or a :class:`MethodologyHistory`.
    progress
        Show a tqdm progress bar over the reviews.

    Returns
    -------
    ReviewSchedule
        Reviews in effective-date order; ``index_params`` (``base_date``, ``base_value``,
        ``withholding``) from the first methodology version, ``methodology_hash`` of the version or
        history, and ``data_fingerprint`` of the market.  Each review's buffer compares against the
        previous review of this run.

    Raises
    ------
    CalendarError
        The market does not cover the base date.
    MethodologyError, CappingError, DataError
        See :func:`run_review` and :func:`~engine.rules.methodology.load_methodology`.
    """
    spec = resolve(methodology)
    history = (
        spec if isinstance(spec, MethodologyHistory) else MethodologyHistory(spec.name, (spec,))
    )
    first = history.first
    base = first.index.base_date
    if len(market.dates) == 0 or not market.dates[0] <= base <= market.dates[-1]:
        raise CalendarError(
            "market data do not cover the index base date",
            source=market.source,
            date=base,
            value=f"{market.dates[0].date()}..{market.dates[-1].date()}"
            if len(market.dates)
            else "empty",
            fix="load data from the base date on, or use methodology.replace(base_date=...)",
        )
    plan = review_dates(history, market)
    if plan.empty or plan["kind"].iloc[0] != "initial":
        raise CalendarError(
            "the initial review does not fit inside the market data",
            source=market.source,
            date=base,
            fix="the data must run past the session after the base date",
        )
    by_name = {m.name: m for m in history.versions}
    reviews, arrays = replace.run_with_replacements(market, plan, by_name)  # + ad-hoc replacements
    return ReviewSchedule(
        reviews=reviews,
        history=spec.name,
        methodology_hash=spec.hash,
        data_fingerprint=market.fingerprint(),
        index_params={
            "base_date": base,
            "base_value": first.index.base_value,
            "withholding": first.index.withholding_rates,
        },
        arrays=arrays,
    )


__all__ = ["run_review", "run_reviews"]
