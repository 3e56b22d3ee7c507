"""Subscriptions and redemptions of ETF 520500: the default unit path and the validation of user flows.

A flow series holds, per HKEX session, the units created (``+``) or cancelled (``-``) at that
session's NAV per unit.  The fund starts with ``config.initial_units`` at inception; the units
outstanding after session :math:`t` are :math:`U_t = U_0 + \\sum_{s \\le t} flow_s`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.data.calendar import hkex_sessions
from engine.data.market import MarketData
from engine.errors import FlowError
from engine.fund.config import EtfConfig, fund_error

UNIT_ANCHORS = (
    (pd.Timestamp("2025-08-06"), 555_000_000.0, "S3"),
    (pd.Timestamp("2025-08-27"), 710_000_000.0, "S17"),
    (pd.Timestamp("2025-10-30"), 974_000_000.0, "S16"),
    (pd.Timestamp("2026-01-26"), 1_274_000_000.0, "S18"),
)
"""Public unit counts of 520500 (date, units outstanding, source tag in methodology-research.md).
The starting point is ``config.initial_units`` at inception (122m units at end-2024 [S16])."""


def fund_sessions(market: MarketData, config: EtfConfig) -> pd.DatetimeIndex:
    """The fund's valuation days: the market sessions from the inception session to the end.

    The inception session is the first market session on or after ``config.inception_date``; an
    inception date inside the market's dates must be a session (a weekend or holiday is an error,
    not moved to the next session).
    """
    start = market.dates.searchsorted(config.inception_date, side="left")
    inside = market.dates[0] < config.inception_date < market.dates[-1]
    if inside and market.dates[start] != config.inception_date:
        raise fund_error(
            f"inception date is not an HKEX session (a {config.inception_date.day_name()} "
            "or a holiday)",
            date=config.inception_date,
            field="inception_date",
            fix=f"start the fund on a session, e.g. {market.dates[start].date()}",
        )
    if start >= len(market.dates):
        raise fund_error(
            "inception date is after the last market session",
            date=config.inception_date,
            field="inception_date",
            value=f"market ends {market.dates[-1].date()}",
            fix="choose an inception date inside the market's sessions",
        )
    return market.dates[start:]


def default_flows(market: MarketData, config: EtfConfig | None = None) -> pd.Series:
    """Units created per session that reproduce the public unit counts of 520500.

    Shape (assumption): the units outstanding :math:`U(x)` are a monotone piecewise-cubic Hermite
    interpolant (PCHIP, no overshoot) through the points ``(0, initial_units)`` and
    ``(x_k, units_k)`` of :data:`UNIT_ANCHORS` after inception, where :math:`x` counts HKEX sessions
    since inception (anchors after the market's end still shape the curve up to the end).  After the
    last anchor the units stay flat.  Each session's target
    :math:`\\hat U_t = U_0 + cu \\cdot \\mathrm{round}((U(x_t) - U_0)/cu)` is whole creation units
    (:math:`cu`), so :math:`\\hat U` is within half a creation unit of every anchor, and the flow of
    session :math:`t` is :math:`\\hat U_t - \\hat U_{t-1}` (0 on the inception day).

    Returns
    -------
    Series
        Units created (+) / redeemed (-), indexed by the fund's sessions, named ``units``.
    """
    from scipy.interpolate import PchipInterpolator

    config = config or EtfConfig.default()
    dates = fund_sessions(market, config)
    start = dates[0]
    u0 = float(config.initial_units)
    xs, ys = [0.0], [u0]
    for when, units, _src in UNIT_ANCHORS:
        if when <= start:
            continue
        x = float(len(hkex_sessions(start, when)) - 1)
        if x > xs[-1]:
            xs.append(x)
            ys.append(units)
    n = len(dates)
    if len(xs) == 1:
        return pd.Series(np.zeros(n), index=dates, name="units")
    x = np.arange(n, dtype=float)
    if len(xs) == 2:
        curve = np.interp(x, xs, ys)
    else:
        curve = PchipInterpolator(np.array(xs), np.array(ys), extrapolate=False)(
            np.minimum(x, xs[-1])
        )
    cu = float(config.creation_unit)
    target = u0 + cu * np.round((curve - u0) / cu)
    flows = np.diff(target, prepend=u0)
    flows[0] = 0.0
    return pd.Series(flows, index=dates, name="units")


def check_flows(flows, market: MarketData, config: EtfConfig) -> np.ndarray:
    """Validate user flows and align them on the fund's sessions (0 where no flow).

    Raises :class:`FlowError` naming the date and units for: a date that is not a market session,
    a date before inception, a duplicated date, a NaN or infinite value, or a redemption that would
    leave zero or fewer units outstanding (cumulative, from ``config.initial_units``), and an
    implausible flow: a session's redemptions above ``config.max_redemption_fraction`` of the units
    outstanding before them, or its creations above ``config.max_creation_multiple`` times them.
    """
    dates = fund_sessions(market, config)
    if flows is None:
        return np.zeros(len(dates))
    idx, values = _flow_series(flows)
    _check_flow_dates(idx, values, market, dates)
    out = np.zeros(len(dates))
    out[dates.get_indexer(idx)] = values
    _check_outstanding(out, dates, config)
    return out


def _fail(what: str, date, value, fix: str, **extra) -> FlowError:
    return FlowError(what, source="flows", date=date, field="units", value=value, fix=fix, **extra)


def _flow_series(flows) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Dates and units of ``flows`` (a Series, or a frame with a ``units`` column): plain dates,
    finite numbers."""
    if isinstance(flows, pd.DataFrame):
        if "units" not in flows.columns:
            raise fund_error(
                "flow table needs a 'units' column",
                source="flows",
                fix="pass a Series of units by date",
                cls=FlowError,
            )
        flows = flows["units"]
    if not isinstance(flows, pd.Series):
        raise fund_error(
            "flows must be a pandas Series of units indexed by date",
            source="flows",
            value=type(flows).__name__,
            cls=FlowError,
        )
    try:
        idx = pd.DatetimeIndex(pd.to_datetime(flows.index))
    except (TypeError, ValueError) as exc:
        raise fund_error(
            f"flow dates cannot be parsed ({exc})", source="flows", cls=FlowError
        ) from None
    if idx.tz is not None or (idx != idx.normalize()).any():
        raise fund_error(
            "flow dates carry a time zone or a time of day",
            source="flows",
            value=str(idx[0]),
            fix="give plain HKEX session dates",
            cls=FlowError,
        )
    values = pd.to_numeric(pd.Series(flows.to_numpy(), index=idx), errors="coerce").to_numpy(
        dtype=float
    )
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        i = int(bad[0])
        raise _fail(
            "flow is NaN or not a number", idx[i], flows.iloc[i], "give 0 for a day without flows"
        )
    return idx, values


def _check_flow_dates(idx, values, market: MarketData, dates: pd.DatetimeIndex) -> None:
    """No duplicated date, every date a market session on or after the fund's inception."""
    for bad, what, fix in (
        (idx.duplicated(), "duplicated flow date", "sum the flows of a day into one row"),
        (
            market.dates.get_indexer(idx) < 0,
            "flow date is not a session of the market",
            "move the flow to an HKEX trading session inside the market data",
        ),
        (
            idx < dates[0],
            "flow dated before the fund's inception",
            f"inception session is {dates[0].date()}; fold earlier flows into initial_units",
        ),
    ):
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise _fail(what, idx[i], float(values[i]), fix)


def _check_outstanding(out: np.ndarray, dates: pd.DatetimeIndex, config: EtfConfig) -> None:
    """Units outstanding stay positive, and no session redeems or creates an implausible share."""
    outstanding = float(config.initial_units) + np.cumsum(out)
    before = outstanding - out
    neg = np.flatnonzero(outstanding <= 0.0)
    if len(neg):
        i = int(neg[0])
        raise _fail(
            "redemption exceeds the units outstanding",
            dates[i],
            float(out[i]),
            "redeem fewer units than are outstanding (initial_units plus earlier flows)",
            units_before=float(before[i]),
        )
    too_big = np.flatnonzero(
        (out < 0) & (-out > float(config.max_redemption_fraction) * before)
        | (out > 0) & (out > float(config.max_creation_multiple) * before)
    )
    if not len(too_big):
        return
    i = int(too_big[0])
    if out[i] < 0:
        what = (
            f"implausible redemption: more than {config.max_redemption_fraction:.0%} of the "
            "units outstanding in one session"
        )
        field, limit = "max_redemption_fraction", config.max_redemption_fraction
    else:
        what = (
            f"implausible creation: more than {config.max_creation_multiple:g} times the "
            "units outstanding in one session"
        )
        field, limit = "max_creation_multiple", config.max_creation_multiple
    raise _fail(
        what,
        dates[i],
        float(out[i]),
        f"check the flow data; if it is real, raise EtfConfig.{field} (now {limit:g})",
        units_before=float(before[i]),
    )


__all__ = ["UNIT_ANCHORS", "check_flows", "default_flows", "fund_sessions"]
