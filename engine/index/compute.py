"""`compute`: the index levels (price, gross and net total return) of a review schedule on a market.

The calculation is a Laspeyres index with a divisor, one divisor per variant and shared index shares:

.. math:: I^v_t = \\frac{\\sum_i q_{i,t} P_{i,t}}{D^v_t}, \\qquad v \\in \\{price, gross, net\\},

with :math:`P_{i,t}` the raw close in HKD (a suspended day carries the previous close) and
:math:`q_{i,t}` the index shares set by the reviews (``shares x free_float x cap_factor`` on the cap
date) and changed by splits, bonus and rights issues in between.  Reviews, capital changes and deletions
are neutral for the level: each rescales the divisors so that the previous close, valued on the new
basis, gives the same level.  Cash dividends leave the price index alone; the gross total return
reinvests them on the ex-date and the net total return reinvests them after withholding tax.  The
full recursion and the order of events within a session are in :mod:`engine.index._nb`.

This module only moves data between pandas and NumPy, checks the inputs and names what is wrong.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np
import pandas as pd

from engine import __version__
from engine.data.market import MarketData
from engine.errors import CalendarError, DataError, MethodologyError
from engine.index import _nb
from engine.index.result import VARIANTS, IndexResult
from engine.prepare import (
    _day,
    _days,
    action_records,
    applied_review_shares,
    shares_as_of,
    withholding_rates,
)
from engine.rules.schedule import ReviewSchedule

EVENT_COLUMNS = [
    "date",
    "kind",
    "code",
    "detail",
    *(f"divisor_before_{v}" for v in VARIANTS),
    *(f"divisor_after_{v}" for v in VARIANTS),
]
DEFAULT_BASE_VALUE = 1000.0


def compute(
    market: MarketData,
    schedule: ReviewSchedule,
    *,
    base_date=None,
    base_value: float | None = None,
    withholding: dict[str, float] | None = None,
) -> IndexResult:
    """Compute the price, gross and net total-return levels of ``schedule`` on ``market``.

    Parameters
    ----------
    market
        Validated market data: raw closes in HKD, corporate actions, security master (``wht_class``).
    schedule
        Reviews in effective-date order.  The first review's effective date must be the session right
        after ``base_date`` (its cap date is the base date); its index shares price the base level.
    base_date
        Session at which every level equals ``base_value``.  Default ``schedule.index_params
        ["base_date"]``, else the session before the first review's effective date.
    base_value
        Default ``schedule.index_params["base_value"]``, else 1000.
    withholding
        ``wht_class -> rate`` in [0, 1] for the net total return: a dividend :math:`d` of security
        :math:`i` is reinvested as :math:`d (1 - \\tau_{class(i)})`.  Default
        ``schedule.index_params["withholding"]``.  Every security that is ever a constituent needs a rate.

    Returns
    -------
    IndexResult
        Levels and divisors from ``base_date`` to the last session of ``market``; weights and index
        shares ``[date, code]`` over every market code; the event log.

    Notes
    -----
    Index shares :math:`q_{i,t}`; level :math:`I^v_t = \\sum_i q_{i,t} P_{i,t} / D^v_t`.  A review's
    :math:`q'` is read on its cap date and restated for the capital changes whose ex-date falls after
    the cap date and before the effective date (:func:`capital_change_factors`; none under the
    default one-session lag).  On session
    :math:`t`, in order: (1) a review effective at :math:`t` sets :math:`q \\leftarrow q'` and
    :math:`D^v = \\sum_i q'_i P_{i,t-1} / I^v_{t-1}`; (2) splits (:math:`q \\cdot r`), bonus issues
    (:math:`q (1+r)`) and rights issues (:math:`q (1+r)`, prior price replaced by the theoretical ex-rights
    price :math:`(P_{t-1} + rS)/(1+r)`, divisors scaled by the adjusted over the old prior
    capitalisation); (3) cash dividends :math:`d` scale the gross divisor by :math:`(C - q d)/C` and the
    net one by :math:`(C - q d (1-\\tau))/C`, with :math:`C` the adjusted prior capitalisation (the
    dividend is per share held on the ex-date, after that day's capital changes); (4) a constituent
    without a close at :math:`t` is deleted at its last close (divisors scaled by
    :math:`(C - q P_{t-1})/C`).  Actions on non-constituents do not touch the index and are not logged.

    Raises
    ------
    MethodologyError
        Empty schedule, reviews out of order, a review without constituents, first effective date not
        the session after the base date, non-positive base value.
    CalendarError
        Base date or an effective date that is not a session of ``market``.
    DataError
        Unknown code in a review, bad index shares, missing withholding class or rate out of range,
        a constituent without a price where the index needs one, every constituent delisted.
    """
    inp = _inputs(market, schedule, base_date, base_value, withholding)
    run = _run(inp, market)
    return _result(market, schedule, inp, run)


class _Inputs(NamedTuple):
    """What one index run reads, checked (:func:`_inputs`)."""

    close: np.ndarray  # float64[T, N], C-contiguous
    reviews: list  # the reviews applied (effective within the market)
    review_rows: np.ndarray  # int64[R], their effective rows
    skipped: list  # effective dates of the reviews after the last session
    base_date: pd.Timestamp
    base_row: int
    base_value: float
    rev_ptr: np.ndarray  # int64[R + 1], review k's index shares are rev_q[rev_ptr[k]:rev_ptr[k+1]]
    rev_col: np.ndarray  # int64, their columns (ascending within a review)
    rev_q: np.ndarray  # float64, the restated index shares (non-zero)
    withholding: dict
    wht: np.ndarray  # float64[N], withholding rate per security
    act: np.ndarray  # ACTION_DT, the actions after the base row


class _Run(NamedTuple):
    """The kernel's outputs (:func:`_run`)."""

    levels: np.ndarray
    divisors: np.ndarray
    slot_q: np.ndarray
    seg: np.ndarray
    rev_ptr: np.ndarray
    rev_col: np.ndarray
    ev: np.ndarray
    ev_div: np.ndarray


def _inputs(market, schedule, base_date, base_value, withholding) -> _Inputs:
    """Check the schedule against the market and build the run's inputs (see :func:`compute`)."""
    if not isinstance(schedule, ReviewSchedule) or len(schedule.reviews) == 0:
        raise MethodologyError(
            "the review schedule has no reviews",
            source="schedule",
            fix="run the rules stage (or build at least one Review) before computing the index",
        )
    params = dict(schedule.index_params or {})
    dates, codes = market.dates, market.codes
    close = np.ascontiguousarray(market.close_hkd, dtype=np.float64)

    reviews, review_rows, skipped = _place_reviews(schedule, dates)
    base_date, base_row = _base_session(
        params.get("base_date") if base_date is None else base_date, dates, reviews, review_rows
    )
    base_value = _base_value(
        params.get("base_value", DEFAULT_BASE_VALUE) if base_value is None else base_value
    )
    q = applied_review_shares(schedule, np.arange(len(reviews)), market)  # a prefix of the schedule
    rev_ptr, rev_col, rev_q = _nb.sparse_reviews(q)
    _check_review_prices(rev_ptr, rev_col, rev_q, review_rows, base_row, close, market, reviews)
    if withholding is None:
        withholding = params.get("withholding", {}) or {}
    needed = np.zeros(len(codes), dtype=bool)
    needed[rev_col[rev_q > 0]] = True
    wht = withholding_rates(market, withholding, needed)
    act = action_records(market, after_row=base_row)
    return _Inputs(
        close=close,
        reviews=reviews,
        review_rows=review_rows,
        skipped=skipped,
        base_date=base_date,
        base_row=base_row,
        base_value=base_value,
        rev_ptr=rev_ptr,
        rev_col=rev_col,
        rev_q=rev_q,
        withholding=withholding,
        wht=wht,
        act=act,
    )


def _run(inp: _Inputs, market) -> _Run:
    """One call of :func:`engine.index._nb.index_kernel` (raises on a status other than OK)."""
    rev_ptr, rev_col = inp.rev_ptr, inp.rev_col
    n_ev = len(inp.reviews) + len(inp.act) + len(rev_col) + 1
    ev = np.zeros(n_ev, dtype=_nb.EVENT_DT)
    ev_div = np.zeros((n_ev, 6))
    levels, divisors, slot_q, seg, n_ev, status = _nb.index_kernel(
        inp.close,
        inp.base_row,
        inp.base_value,
        inp.review_rows,
        rev_ptr,
        rev_col,
        inp.rev_q,
        inp.act,
        inp.wht,
        ev,
        ev_div,
    )
    _raise_status(status, market.dates, market.codes)
    return _Run(levels, divisors, slot_q, seg, rev_ptr, rev_col, ev[:n_ev], ev_div[:n_ev])


def _result(market, schedule, inp: _Inputs, run: _Run) -> IndexResult:
    """The :class:`IndexResult` of a run: levels and divisors now, the rest built when read."""
    dates, codes = market.dates, market.codes
    base_row, close = inp.base_row, inp.close
    slot_q, seg, rev_ptr, rev_col = run.slot_q, run.seg, run.rev_ptr, run.rev_col
    idx = dates[base_row:]
    levels_df = pd.DataFrame(run.levels[base_row:], index=idx, columns=list(VARIANTS))
    divisors_df = pd.DataFrame(run.divisors[base_row:], index=idx, columns=list(VARIANTS))

    def weights_df():
        w = _nb.dense_weights(slot_q, seg, rev_ptr, rev_col, close, base_row)
        return pd.DataFrame(w, index=idx, columns=pd.Index(codes, name="code"))

    def shares_df():
        q = _nb.dense_shares(slot_q, seg, rev_ptr, rev_col, len(codes), base_row)
        return pd.DataFrame(q, index=idx, columns=pd.Index(codes, name="code"))

    def events_df():
        return _events_frame(run, inp, market)

    meta = {
        "methodology_hash": schedule.methodology_hash,
        "data_fingerprint": market.fingerprint(),
        "engine_version": __version__,
        "withholding": dict(inp.withholding),
        "market_source": market.source,
        "skipped_reviews": inp.skipped,
    }
    return IndexResult(
        levels=levels_df,
        weights=weights_df,
        index_shares=shares_df,
        divisors=divisors_df,
        events=events_df,
        schedule=schedule,
        base_date=inp.base_date,
        base_value=inp.base_value,
        name=schedule.history or "hsidi",
        synthetic=bool(market.synthetic),
        meta=meta,
        warnings=tuple(market.warnings),
    )


# ---------------------------------------------------------------------- input checks
def _place_reviews(schedule: ReviewSchedule, dates: pd.DatetimeIndex):
    """Rows of the effective dates; reviews after the last session are skipped (with a warning).

    Returns the reviews applied, their effective rows (``int64``) and the effective dates of the
    skipped ones.
    """
    reviews = list(schedule.reviews)
    effective = _days([review.effective_date for review in reviews])
    rows = dates.get_indexer(effective)
    off = np.flatnonzero((rows < 0) & (effective <= dates[-1]))
    if len(off):
        _raise_off_calendar(int(off[0]), effective[off[0]], dates)
    kept, skipped = np.flatnonzero(rows >= 0), np.flatnonzero(rows < 0)
    if not len(kept):
        raise DataError(
            "no review takes effect within the market's sessions",
            source="schedule",
            date=effective[0],
            value=f"last session {dates[-1].date()}",
            fix="extend the market data or use a schedule that starts inside it",
        )
    _check_order(effective, rows, kept, skipped)
    if len(skipped):
        warnings.warn(
            f"{len(skipped)} review(s) take effect after the last market session "
            f"{dates[-1].date()} and are not applied (first: {effective[skipped[0]].date()})",
            stacklevel=4,  # _place_reviews <- _inputs <- compute <- the caller
        )
    return (
        [reviews[k] for k in kept],
        rows[kept].astype(np.int64),
        [effective[k] for k in skipped],
    )


def _raise_off_calendar(k: int, eff: pd.Timestamp, dates: pd.DatetimeIndex) -> None:
    """Review ``k`` takes effect on ``eff``, inside the market's range but not a session of it."""
    if eff < dates[0]:
        raise CalendarError(
            "review takes effect before the first market session",
            source="schedule",
            row=k,
            date=eff,
            field="effective_date",
            value=f"first session {dates[0].date()}",
            fix="load market data from (at least) the session before the first effective date",
        )
    raise CalendarError(
        "review effective date is not a session of the market",
        source="schedule",
        row=k,
        date=eff,
        field="effective_date",
        fix="place effective dates on HKEX sessions (engine.data.hkex_sessions)",
    )


def _check_order(effective: list, rows: np.ndarray, kept: np.ndarray, skipped: np.ndarray) -> None:
    """The reviews applied come first, in strictly increasing effective-row order."""
    if len(skipped) and skipped[0] < kept[-1]:
        raise MethodologyError(
            "reviews are not in effective-date order",
            source="schedule",
            row=int(skipped[0]),
            date=effective[skipped[0]],
            fix="sort the reviews by effective date",
        )
    back = np.flatnonzero(np.diff(rows[kept]) <= 0)
    if len(back):
        a, b = kept[back[0]], kept[back[0] + 1]
        raise MethodologyError(
            "reviews are not in strictly increasing effective-date order",
            source="schedule",
            row=int(b),
            date=effective[b],
            value=f"previous review effective {effective[a].date()}",
            fix="sort the reviews and merge those effective on the same session",
        )


def _base_session(base_date, dates, reviews, review_rows) -> tuple[pd.Timestamp, int]:
    """The base date (default: the session before the first effective date) and its row; the first
    review must take effect on the next session."""
    first_eff = _day(reviews[0].effective_date)
    if base_date is None:
        if review_rows[0] == 0:
            raise DataError(
                "the first review takes effect on the first market session, so there is no "
                "base session before it",
                source="market",
                date=first_eff,
                fix="start the market data at least one session before the first effective date",
            )
        base_date = dates[review_rows[0] - 1]
    base_date = _day(base_date)
    base_row = int(dates.get_indexer([base_date])[0])
    if base_row < 0:
        raise CalendarError(
            "base date is not a session of the market",
            source="index",
            date=base_date,
            field="base_date",
            value=f"market sessions {dates[0].date()}..{dates[-1].date()}",
            fix="choose an HKEX session covered by the price data",
        )
    if review_rows[0] != base_row + 1:
        expected = (
            dates[base_row + 1].date()
            if base_row + 1 < len(dates)
            else "none (base date is the last session)"
        )
        raise MethodologyError(
            "the first review must take effect on the session right after the base date",
            source="schedule",
            date=first_eff,
            field="effective_date",
            value=f"base date {base_date.date()}, first effective date {first_eff.date()}, "
            f"expected {expected}",
            fix="set base_date to the first review's cap date or add an initial review",
        )
    return base_date, base_row


def _base_value(value) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        out = np.nan
    if not (np.isfinite(out) and out > 0):
        raise MethodologyError(
            "base value must be a positive number",
            source="index",
            field="base_value",
            value=value,
        )
    return out


_CAPITAL_KINDS = ("split", "bonus", "rights")


def _restatements(review, market: MarketData) -> list[str]:
    """``code kind xfactor (ex-date)`` for each capital change restating ``review``'s shares."""
    act = market.actions
    ex = pd.DatetimeIndex(act["ex_date"])
    inside = (
        act["kind"].isin(_CAPITAL_KINDS).to_numpy(dtype=bool)
        & (ex > shares_as_of(review))
        & (ex < _day(review.effective_date))
        & act["code"].isin(set(review.constituents)).to_numpy(dtype=bool)
    )
    out = []
    for _, a in act[inside].iterrows():
        factor = a["ratio"] if a["kind"] == "split" else 1.0 + a["ratio"]
        out.append(f"{a['code']} {a['kind']} x{_fmt(factor)} ({pd.Timestamp(a['ex_date']).date()})")
    return out


def _check_review_prices(rev_ptr, rev_col, rev_q, review_rows, base_row, close, market, reviews):
    """Every constituent of a review needs a close on the session whose prices set the divisor."""
    dates, codes = market.dates, market.codes
    price_rows = np.concatenate(([base_row], review_rows[1:] - 1))
    k_of = np.repeat(np.arange(len(review_rows)), np.diff(rev_ptr))
    missing = np.flatnonzero((rev_q > 0) & np.isnan(close[price_rows[k_of], rev_col]))
    if len(missing):  # the first review with a constituent missing its close, and its first one
        k, j = int(k_of[missing[0]]), int(rev_col[missing[0]])
        prow = price_rows[k]
        cap = _day(reviews[k].cap_date)
        cap_row = int(dates.get_indexer([cap])[0])
        priced = np.flatnonzero(~np.isnan(close[: prow + 1, j]))
        if 0 <= cap_row < prow and not np.isnan(close[cap_row, j]) and len(priced):
            raise DataError(
                "review constituent stopped trading (delisted) between the review's cap date "
                f"{cap.date()} and its effective date {dates[review_rows[k]].date()}: its last "
                f"close is on {dates[priced[-1]].date()}, so it has no close on "
                f"{dates[prow].date()}, the session that sets the divisor",
                source="schedule",
                date=dates[prow],
                code=codes[j],
                field="close_hkd",
                fix="drop it from the review (engine.rules.run_reviews drops such a "
                "constituent at the review and says so in the review table's reason)",
            )
        raise DataError(
            "review constituent has no close on the session that sets the divisor",
            source="schedule",
            date=dates[prow],
            code=codes[j],
            field="close_hkd",
            value=f"review effective {dates[review_rows[k]].date()}",
            fix="select only securities priced on the cap date (the session before the "
            "effective date)",
        )


# ---------------------------------------------------------------------- output


def _raise_status(status, dates, codes) -> None:
    code, row, j = int(status[0]), int(status[1]), int(status[2])
    if code == _nb.ST_OK:
        return
    if code == _nb.ST_BAD_DIVIDEND:
        raise DataError(
            "cash dividend not below the prior close restated for the same day's capital "
            "changes (dividends are per share held on the ex-date)",
            source="actions",
            date=dates[row],
            code=codes[j],
            field="amount_hkd",
            fix="check the dividend amount and whether it is quoted per pre- or post-split share",
        )
    if code == _nb.ST_NAN_PRICE:  # compute checks this before the kernel runs; kept as a safety net
        raise DataError(
            "a constituent has no close on the session whose prices set the divisor",
            source="market",
            date=dates[row],
            field="close_hkd",
        )
    raise DataError(
        "every constituent has left the index (delisted); nothing is left to price",
        source="market",
        date=dates[row],
        field="close_hkd",
        fix="add a review that brings in new constituents before this date",
    )


def _fmt(x: float) -> str:
    return f"{x:.6g}"


_ACTION_TEXTS = {
    "split": "split: {ratio} new shares per old share",
    "bonus": "bonus issue: {ratio} bonus shares per share held",
    "rights": "rights issue: {ratio} new shares per share held at HKD {price}",
    "cash_dividend": "cash dividend HKD {amount} per share (withholding {wht}%)",
}


def _events_frame(run: _Run, inp: _Inputs, market: MarketData) -> pd.DataFrame:
    """The event log (:data:`EVENT_COLUMNS`) of a run, with a text detail per event."""
    dates, codes, act = market.dates, market.codes, inp.act
    ev_row, ev_kind, ev_col, ev_ref = (run.ev[f] for f in ("row", "kind", "col", "ref"))
    kinds = [_nb.EVENT_NAMES[int(k)] for k in ev_kind]
    details = []
    prev: set[str] = set()
    for kind, row, j, ref in zip(
        kinds, ev_row.tolist(), ev_col.tolist(), ev_ref.tolist(), strict=True
    ):
        if kind == "review":
            review = inp.reviews[ref]
            now = set(review.constituents)
            detail = (
                f"{review.methodology} {review.kind} review (cap date "
                f"{pd.Timestamp(review.cap_date).date()}): {len(now)} constituents, "
                f"{len(now - prev)} in, {len(prev - now)} out"
            )
            restated = _restatements(review, market)
            if restated:
                detail += (
                    "; index shares restated for capital changes after the cap date: "
                    + ", ".join(restated)
                )
            prev = now
        elif kind == "deletion":
            detail = f"no close from {dates[row].date()}: deleted at its last close"
        else:
            detail = _ACTION_TEXTS[kind].format(
                ratio=_fmt(act["ratio"][ref]),
                price=_fmt(act["price_hkd"][ref]),
                amount=_fmt(act["amount_hkd"][ref]),
                wht=_fmt(100 * inp.wht[j]),
            )
        details.append(detail)
    data = {
        "date": pd.DatetimeIndex(dates[np.asarray(ev_row, dtype=np.int64)]).as_unit("ns"),
        "kind": kinds,
        "code": [codes[j] if j >= 0 else "" for j in ev_col.tolist()],
        "detail": details,
    }
    for i, name in enumerate(EVENT_COLUMNS[4:]):
        data[name] = np.asarray(run.ev_div[:, i], dtype=float)
    return pd.DataFrame(data, columns=EVENT_COLUMNS)
