"""Inputs that the index and the fund both build from a market and a review schedule, built once here.

* :class:`MarketArrays`: what depends on the market alone, built once per market and kept by
  :meth:`MarketData.arrays() <engine.data.market.MarketData.arrays>`;
* :func:`action_records`: the corporate actions as one structured array (:data:`ACTION_DT`), kind
  codes from :mod:`engine.enums`, ordered as both kernels apply them (by ex-date row, capital changes
  before cash dividends, then input order);
* :func:`review_shares`: ``[review, security]`` index shares ``q = shares x free_float x cap_factor``
  of each review, checked;
* :func:`capital_change_factors`: the factors that restate those shares for capital changes between
  the session they were read on and the effective date;
* :func:`restated_review_shares`: the product of the two, the shares the index applies, and
  :func:`applied_review_shares`, the same for reviews of a schedule (from its compiled arrays when
  it has them): what the index and the fund both read;
* :func:`withholding_rates`: the rate per security from its ``wht_class``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from engine.enums import ACT_BONUS, ACT_CASH_DIVIDEND, ACT_RIGHTS, ACT_SPLIT, ACTION_CODES
from engine.errors import DataError, MethodologyError, describe

if TYPE_CHECKING:  # the market keeps its MarketArrays (engine.data.market imports this module)
    from engine.data.market import MarketData

ACTION_DT = np.dtype(
    [
        ("row", np.int64),  # ex-date row in market.dates
        ("col", np.int64),  # column in market.codes
        ("kind", np.int64),  # engine.enums.ACT_*
        ("ratio", np.float64),  # split: new per old; bonus / rights: new per held
        ("price_hkd", np.float64),  # rights subscription price
        ("amount_hkd", np.float64),  # cash dividend per share
        ("pay_row", np.int64),  # first row on or after the pay date (>= row; len(dates) if after)
        ("source_row", np.int64),  # row of the action in market.actions
    ]
)
"""One corporate action, as the index and fund kernels read it (filled by field name)."""
ACTION_DTYPE = ACTION_DT  # deprecated alias (every record dtype ends in _DT)

_CAPITAL = (ACT_SPLIT, ACT_BONUS, ACT_RIGHTS)


def _day(value) -> pd.Timestamp:
    """A tz-naive midnight Timestamp (sessions are dates; an aware time keeps its wall date)."""
    ts = pd.Timestamp(value)
    if ts.tz is not None:
        ts = ts.tz_localize(None)
    return ts.normalize()


def _days(values) -> pd.DatetimeIndex:
    """:func:`_day` of each value, at once."""
    try:
        days = pd.DatetimeIndex(values)
    except (TypeError, ValueError):  # time zones mixed
        return pd.DatetimeIndex([_day(v) for v in values])
    naive = days if days.tz is None else days.tz_localize(None)
    # midnight through NumPy: DatetimeIndex.normalize infers a frequency (0.25 ms a call)
    return pd.DatetimeIndex(naive.to_numpy().astype("datetime64[D]").astype(naive.dtype))


@dataclass(frozen=True, eq=False)
class MarketArrays:
    """The kernel inputs that depend on the market alone, derived once per market.

    Built by :meth:`build`; a market keeps its own through :meth:`MarketData.arrays()
    <engine.data.market.MarketData.arrays>`, so the index, the fund and the batch of one market
    share them.  Every array is read-only.

    Attributes
    ----------
    actions : ndarray
        :data:`ACTION_DT` ``[A]``: every corporate action whose ex-date is a session of the
        market, in the order both kernels apply them (by ex-date row, capital changes before cash
        dividends within a row, then input order).
    """

    actions: np.ndarray

    @classmethod
    def build(cls, market: MarketData) -> MarketArrays:
        """Derive the arrays of ``market``.

        Raises
        ------
        DataError
            An action kind without a code in :data:`engine.enums.ACTION_CODES` (naming the row).
        """
        return cls(actions=_action_records(market))


def _action_records(market: MarketData) -> np.ndarray:
    """Every action with an ex-date row >= 0, as :data:`ACTION_DT`, in application order."""
    act = market.actions
    kinds = act["kind"].to_numpy(dtype=object)
    for i, kind in enumerate(kinds):
        if kind not in ACTION_CODES:
            raise DataError(
                "corporate-action kind not handled by the index calculation",
                source="actions",
                row=i,
                date=act["ex_date"].iloc[i],
                code=act["code"].iloc[i],
                field="kind",
                value=kind,
                fix=f"express it as one of {sorted(ACTION_CODES)}",
            )
    dates = market.dates
    rows = dates.get_indexer(pd.DatetimeIndex(act["ex_date"])).astype(np.int64)
    code = np.array([ACTION_CODES[k] for k in kinds], dtype=np.int64)
    order = np.lexsort((np.arange(len(act)), (code == ACT_CASH_DIVIDEND).astype(np.int64), rows))
    order = order[rows[order] >= 0]
    out = np.zeros(len(order), dtype=ACTION_DT)
    if len(order):
        col = {c: j for j, c in enumerate(market.codes)}
        pay = (
            pd.DatetimeIndex(act["pay_date"].fillna(act["ex_date"])) if "pay_date" in act else None
        )
        out["row"] = rows[order]
        out["col"] = [col[c] for c in act["code"].to_numpy(dtype=object)[order]]
        out["kind"] = code[order]
        for name in ("ratio", "price_hkd", "amount_hkd"):
            out[name] = act[name].to_numpy(dtype=float, na_value=np.nan)[order]
        pay_rows = (
            dates.searchsorted(pay, side="left").astype(np.int64)[order]
            if pay is not None
            else rows[order]
        )
        out["pay_row"] = np.maximum(np.minimum(pay_rows, len(dates)), out["row"])
        out["source_row"] = order
    out.setflags(write=False)
    return out


def action_records(market: MarketData, *, after_row: int = -1) -> np.ndarray:
    """The market's corporate actions with an ex-date row ``> after_row`` (``>= -1``), as
    :data:`ACTION_DT`, read-only.

    Ordered by ex-date row, capital changes (split, bonus, rights) before cash dividends within a
    row, then by input order: the order in which both kernels apply them.  A slice of
    :attr:`MarketArrays.actions` (built once per market).

    Raises
    ------
    DataError
        An action kind without a code in :data:`engine.enums.ACTION_CODES` (naming the row).
    """
    rec = market.arrays().actions
    if after_row < 0 or not len(rec) or rec["row"][0] > after_row:
        return rec
    out = rec[rec["row"] > after_row]
    out.setflags(write=False)
    return out


def review_shares(reviews, codes) -> np.ndarray:
    """``[review, security]`` index shares ``q = shares x free_float x cap_factor`` (0 = not selected).

    Raises
    ------
    MethodologyError
        A review that selects no constituent.
    DataError
        A constituent not in ``codes``, selected twice, or with index shares that are not positive.
    """
    reviews = list(getattr(reviews, "reviews", reviews))
    codes = list(codes)
    col = {c: j for j, c in enumerate(codes)}
    out = np.zeros((len(reviews), len(codes)))
    for k, review in enumerate(reviews):
        where = {"source": "schedule", "date": _day(review.effective_date)}
        table = review.table
        sel = table["selected"].to_numpy(dtype=bool)
        if not sel.any():
            raise MethodologyError(
                "review selects no constituent",
                field="selected",
                fix="check the rules stage output for this review",
                **where,
            )
        sel_codes = table["code"].to_numpy(dtype=object)[sel]
        cols = np.array([col.get(c, -1) for c in sel_codes], dtype=np.int64)
        if (cols < 0).any():
            raise DataError(
                "review constituent is not in the market data",
                code=sel_codes[int(np.flatnonzero(cols < 0)[0])],
                field="code",
                fix="add the security to the market or drop it from the review",
                **where,
            )
        if len(np.unique(cols)) != len(cols):
            dup = pd.Index(sel_codes)
            raise DataError(
                "security selected twice in one review",
                code=dup[dup.duplicated()][0],
                field="code",
                **where,
            )
        shares, free_float, cap_factor = (
            pd.to_numeric(table[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan)[sel]
            for c in ("shares", "free_float", "cap_factor")
        )
        values = shares * free_float * cap_factor
        bad = np.flatnonzero(~(np.isfinite(values) & (values > 0)))
        if len(bad):
            i = int(bad[0])
            raise DataError(
                "index shares (shares x free_float x cap_factor) must be positive",
                code=sel_codes[i],
                field="shares/free_float/cap_factor",
                value=float(values[i]),
                **where,
            )
        out[k, cols] = values
    return out


def shares_as_of(review) -> pd.Timestamp:
    """The session whose share counts a review's index shares are in (its cap date by default)."""
    return _day(getattr(review, "shares_as_of", review.cap_date))


def capital_change_factors(reviews, market: MarketData) -> np.ndarray:
    """``[review, security]`` factors that restate a review's index shares to its effective date.

    A review reads issued shares on its :func:`shares_as_of` session (the ``cap_date`` unless
    ``shares_at = "rebalance_close"``), but its index shares apply from the open of its
    ``effective_date``.  A capital change whose ex-date :math:`e` satisfies
    ``shares_as_of < e < effective_date`` changes the share count in between, so the review's
    :math:`q_i` is multiplied by

    .. math:: f_i = \\prod_{a} g_a, \\qquad g_a = r_a \\text{ (split)}, \\quad
              g_a = 1 + r_a \\text{ (bonus, rights)}

    over those actions :math:`a` of security :math:`i` with ratio :math:`r_a`.  Actions on the
    effective date itself are left out: the index applies them after the review, on the same
    session.  With the default cap-factor lag of one session there is no session strictly between
    the two dates and every factor is 1.  Cash dividends do not change share counts.

    Parameters
    ----------
    reviews
        A sequence of :class:`~engine.rules.schedule.Review` (or a
        :class:`~engine.rules.schedule.ReviewSchedule`).
    market
        The market whose ``actions`` are applied; columns follow ``market.codes``.

    Returns
    -------
    numpy.ndarray
        float64 ``[len(reviews), len(market.codes)]``, 1.0 where nothing happened.
    """
    reviews = list(getattr(reviews, "reviews", reviews))
    out = np.ones((len(reviews), len(market.codes)))
    rec = action_records(market)
    rec = rec[np.isin(rec["kind"], _CAPITAL)]
    if len(rec) == 0 or not reviews:
        return out
    growth = np.where(rec["kind"] == ACT_SPLIT, rec["ratio"], 1.0 + rec["ratio"])
    dates = market.dates
    lo = dates.searchsorted(_days([shares_as_of(r) for r in reviews]), side="right")
    hi = dates.searchsorted(_days([r.effective_date for r in reviews]), side="left")
    for k in range(len(reviews)):
        inside = np.flatnonzero((rec["row"] >= lo[k]) & (rec["row"] < hi[k]))
        for a in inside:
            out[k, rec["col"][a]] *= growth[a]
    return out


def restated_review_shares(reviews, market: MarketData) -> np.ndarray:
    """:func:`review_shares` times :func:`capital_change_factors`: the shares each review applies."""
    return review_shares(reviews, market.codes) * capital_change_factors(reviews, market)


def applied_review_shares(schedule, positions, market: MarketData) -> np.ndarray:
    """:func:`restated_review_shares` of ``schedule.reviews[positions]``, the index's and the
    fund's one source: read from the compiled rules' ``[review, security]`` arrays when the
    schedule carries them for ``market.codes`` (no review table is built), else from the review
    tables."""
    positions = np.asarray(positions, dtype=np.int64)
    reviews = [schedule.reviews[k] for k in positions]
    arrays = schedule.arrays
    if arrays is None or list(arrays["codes"]) != market.codes:
        return restated_review_shares(reviews, market)
    return arrays["q"][positions] * capital_change_factors(reviews, market)


def withholding_rates(
    market: MarketData,
    rates: dict,
    needed: np.ndarray,
    *,
    error: type[Exception] = DataError,
    source: str = "withholding",
) -> np.ndarray:
    """Withholding-tax rate per security (``market.codes`` order) from its ``wht_class``.

    Parameters
    ----------
    market
        Its security master gives each code's ``wht_class``.
    rates
        ``wht_class -> rate`` in [0, 1].
    needed
        Boolean mask of the securities that must have a rate (ever held / ever in the index); the
        others get their class's rate when there is one, else 0.
    error, source
        The exception raised and the source it names (the index: ``DataError``; the fund:
        ``FundConfigError``, ``"EtfConfig"``).

    Raises
    ------
    error
        A needed security whose class has no rate, or a rate outside [0, 1].
    """
    # one lookup per class: each security's class number (-1: no class, read as "")
    number, names = pd.factorize(market.master_column("wht_class"))
    names = [c if isinstance(c, str) else "" for c in names] + [""]
    number = np.where(number < 0, len(names) - 1, number)
    per_class = {c: _rate(rates[c]) for c in names if c in rates}
    known = np.array([c in per_class for c in names], dtype=bool)[number]
    rate = np.array([per_class.get(c, 0.0) for c in names], dtype=float)[number]
    valid = known & (rate >= 0.0) & (rate <= 1.0)  # NaN (not a number) fails both
    bad = np.flatnonzero(np.asarray(needed, dtype=bool) & ~valid)
    if len(bad):
        j = int(bad[0])
        cls_, code = names[number[j]], market.codes[j]
        if not known[j]:
            raise error(
                describe(
                    "no withholding-tax rate for the security's class",
                    source="securities",
                    code=code,
                    field="wht_class",
                    value=cls_,
                    fix=f"pass withholding={{{cls_!r}: rate, ...}} or set it in the methodology "
                    f"(known classes: {sorted(rates)})",
                )
            )
        raise error(
            describe(
                "withholding-tax rate must lie in [0, 1]",
                source=source,
                code=code,
                field=cls_,
                value=rates[cls_],
            )
        )
    return np.where(valid, rate, 0.0)


def _rate(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return np.nan


__all__ = [
    "ACTION_DT",
    "ACTION_DTYPE",
    "MarketArrays",
    "action_records",
    "applied_review_shares",
    "capital_change_factors",
    "restated_review_shares",
    "review_shares",
    "shares_as_of",
    "withholding_rates",
]
