"""`backtest`: simulate ETF 520500 (a CNY fund holding HK shares) against an index run.

The fund is a cash-holding portfolio in HKD valued in CNY at the HKD->CNY fixing:

.. math:: NAV^{CNY}_t = \\Big(\\sum_i h_{i,t} P_{i,t} + cash_t + recv_t - accrued_t - payable_t\\Big)\\, fx_t,
          \\qquad NAV/unit_t = NAV^{CNY}_t / U_t .

Its target is the index of ``index_result``: at each review it trades, at the close of the session
before the effective date (the index's own repricing close), to the new index weights
:math:`w_i = q'_i P_i / \\sum_j q'_j P_j` (:math:`q'` the review's index shares as the index uses
them: restated for capital changes between the cap date and the effective date by
:func:`engine.index.compute.capital_change_factors`); subscription cash is bought at the index weights of the day it
is invested.  The daily loop and its order of events are in :mod:`engine.fund._nb`; this module only
converts pandas <-> NumPy, applies the effect switches of :class:`~engine.fund.config.EtfConfig` and
checks the inputs.

With every effect off the holdings stay proportional to :math:`q_t / D^{gross}_t` (index shares over the
gross divisor), so the NAV per unit reproduces the gross total return index exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.data.market import MarketData
from engine.errors import DataError, FundConfigError, describe
from engine.fund import _nb
from engine.fund.config import COST_KINDS, TRADING_COST_KINDS, EtfConfig
from engine.fund.flows import check_flows, default_flows, fund_sessions
from engine.fund.result import FundResult
from engine.index.compute import capital_change_factors
from engine.index.result import IndexResult

_ACTION_CODES = {
    "split": _nb.ACT_SPLIT,
    "bonus": _nb.ACT_BONUS,
    "rights": _nb.ACT_RIGHTS,
    "cash_dividend": _nb.ACT_CASH_DIVIDEND,
}


def backtest(
    index_result: IndexResult,
    market: MarketData,
    config: EtfConfig | None = None,
    flows=None,
    progress: bool = False,
    fx=None,
) -> FundResult:
    """Simulate the ETF from ``config.inception_date`` to the market's last session.

    Parameters
    ----------
    index_result
        The index run the fund tracks (:func:`engine.index.compute`); its reviews, daily index shares,
        weights and levels are read.
    market
        The market the index was computed on (raw closes, board lots, withholding classes, corporate
        actions, HKD->CNY fixings).
    config
        Fund settings; :meth:`EtfConfig.default` when omitted.  ``config.effects`` selects which
        effects are simulated and which are idealised.
    flows
        Units created (+) / redeemed (-) per session (a Series indexed by date).  ``None``: the
        default path that reproduces the public unit counts (:func:`default_flows`); an empty
        Series: no flows.
    progress
        Show a progress bar over the preparation, simulation and assembly steps.
    fx
        The valuation fixing (CNY per HKD, a Series indexed by date) when it is not the market's own
        ``market.fx`` (e.g. the fund administrator's WM/Reuters or CFETS fixing).  It must hold a
        positive value for every fund session; a gap is a :class:`~engine.errors.DataError` naming the
        first missing session.

    Returns
    -------
    FundResult
    """
    config = EtfConfig.default() if config is None else config
    if not isinstance(config, EtfConfig):
        raise FundConfigError(
            describe("config must be an EtfConfig", source="backtest", value=type(config).__name__)
        )
    if not isinstance(index_result, IndexResult):
        raise FundConfigError(
            describe(
                "index_result must be an IndexResult",
                source="backtest",
                value=type(index_result).__name__,
                fix="pass the output of engine.index.compute or engine.build_index",
            )
        )
    if not isinstance(market, MarketData):
        raise FundConfigError(
            describe(
                "market must be a MarketData",
                source="backtest",
                value=type(market).__name__,
                fix="pass engine.data.default_market() or a MarketData.from_frames(...) result",
            )
        )
    steps = _progress(progress)

    # ------------------------------------------------------------------ sessions
    base_date = pd.Timestamp(index_result.base_date)
    if config.inception_date < base_date:
        raise FundConfigError(
            describe(
                "fund inception is before the index base date",
                source="EtfConfig",
                date=config.inception_date,
                field="inception_date",
                value=str(config.inception_date.date()),
                fix=f"start the fund on or after the index base date {base_date.date()}",
            )
        )
    dates = fund_sessions(market, config)
    s0 = int(market.dates.get_indexer([dates[0]])[0])
    T, codes = len(dates), market.codes
    N = len(codes)
    missing = dates.difference(pd.DatetimeIndex(index_result.levels.index))
    if len(missing):
        raise FundConfigError(
            describe(
                "the index run does not cover the fund's sessions",
                source="index_result",
                date=missing[0],
                fix="compute the index on the same market the fund is simulated on",
            )
        )
    on = set(config.effects)

    # ------------------------------------------------------------------ prices, fx, lots, taxes
    # a writable copy: the kernel then compiles one specialisation of its trade routines
    close = np.array(market.close_hkd[s0:], dtype=np.float64, order="C", copy=True)
    fx_market = _valuation_fixing(market.fx if fx is None else fx, dates)
    if "fx" in on and config.fx_source == "market":
        fx = fx_market
    else:
        fx = np.full(T, fx_market[0])
    sec = market.securities.set_index("code").reindex(codes)
    q_daily = _wide(index_result.index_shares, dates, codes)
    ever = q_daily.max(axis=0) > 0
    lot = np.zeros(N)
    if config.use_board_lots and "lot_rounding" in on:
        lots = pd.to_numeric(sec["board_lot"], errors="coerce").to_numpy(dtype=float)
        bad = np.flatnonzero(ever & ~(np.isfinite(lots) & (lots > 0)))
        if len(bad):
            j = int(bad[0])
            raise FundConfigError(
                describe(
                    "board lot must be a positive number to trade in lots",
                    source="securities",
                    code=codes[j],
                    field="board_lot",
                    value=lots[j],
                    fix="fix the security master or switch lot rounding off (use_board_lots=False)",
                )
            )
        lot = np.where(np.isfinite(lots) & (lots > 0), lots, 0.0)
    wht = np.zeros(N)
    if "withholding_tax" in on:
        rates = config.withholding_rates
        classes = sec["wht_class"].astype(object).to_numpy()
        for j in range(N):
            cls_ = classes[j]
            if cls_ in rates:
                wht[j] = rates[cls_]
            elif ever[j]:
                raise FundConfigError(
                    describe(
                        "no withholding rate for the security's class",
                        source="EtfConfig",
                        code=codes[j],
                        field="withholding",
                        value=cls_,
                        fix=f"add {cls_!r} to config.withholding (known: {sorted(rates)})",
                    )
                )
    trade_rates = np.zeros(len(TRADING_COST_KINDS))
    if "trading_costs" in on:
        trade_rates = np.array(
            [config.trading_cost_rates[k] for k in TRADING_COST_KINDS], dtype=float
        )
    fee_rates = np.zeros(2)
    if "fees" in on:
        fee_rates = np.array([config.management_fee, config.custody_fee], dtype=float)
    days = np.zeros(T)
    days[1:] = np.diff(dates.asi8) / 86_400e9
    month = dates.year * 12 + dates.month
    pay_fees = np.zeros(T, dtype=np.bool_)
    pay_fees[:-1] = month[1:] != month[:-1]
    cash_drag = "cash_drag" in on
    buffer = float(config.cash_buffer) if cash_drag else 0.0
    fx_spread = float(config.fx_spread) if "fx" in on else 0.0
    initial_value_hkd = float(config.initial_units) * float(config.initial_nav_cny) / fx[0]
    lag = int(config.flow_lag_sessions) if "flow_timing" in on else 0
    next(steps)

    # ------------------------------------------------------------------ reviews
    reviews, rev_rows = [], []
    for review in index_result.schedule.reviews:
        eff = market.dates.get_indexer([pd.Timestamp(review.effective_date)])[0]
        if eff < 1:
            continue
        row = eff - 1 - s0  # the index reprices a review on the close before its effective date
        if 0 <= row < T:
            reviews.append(review)
            rev_rows.append(row)
    # the index's own review shares: cap-date q restated for capital changes between the cap date
    # and the effective date (the same function engine.index.compute applies), so the fund trades to
    # exactly the weights the index reprices at
    rev_q = np.zeros((len(reviews), N))
    col = {c: j for j, c in enumerate(codes)}
    for r, review in enumerate(reviews):
        for code, q in review.index_shares.items():
            rev_q[r, col[code]] = float(q)
    rev_q *= capital_change_factors(reviews, market)
    rev_rows_arr = np.array(rev_rows, dtype=np.int64)
    target_q = q_daily.copy()
    for r, row in enumerate(rev_rows):
        target_q[row] = rev_q[r]

    # ------------------------------------------------------------------ corporate actions
    act = market.actions
    if len(act):
        ex_rows = market.dates.get_indexer(pd.DatetimeIndex(act["ex_date"])) - s0
        pay_dates = pd.DatetimeIndex(act["pay_date"].fillna(act["ex_date"]))
        pay_rows = np.minimum(market.dates.searchsorted(pay_dates, side="left") - s0, T)
        kinds = np.array([_ACTION_CODES[k] for k in act["kind"]], dtype=np.int64)
        keep = (ex_rows >= 1) & (ex_rows < T)
        order = np.lexsort(
            (np.arange(len(act)), (kinds == _nb.ACT_CASH_DIVIDEND).astype(np.int64), ex_rows)
        )
        order = order[keep[order]]
        a_row = np.ascontiguousarray(ex_rows[order], dtype=np.int64)
        a_col = np.array([col[c] for c in act["code"].to_numpy()[order]], dtype=np.int64)
        a_kind = np.ascontiguousarray(kinds[order])
        a_ratio = act["ratio"].to_numpy(dtype=float, na_value=np.nan)[order]
        a_price = act["price_hkd"].to_numpy(dtype=float, na_value=np.nan)[order]
        a_amount = act["amount_hkd"].to_numpy(dtype=float, na_value=np.nan)[order]
        a_pay = np.ascontiguousarray(np.maximum(pay_rows[order], a_row), dtype=np.int64)
    else:
        a_row = a_col = a_kind = a_pay = np.zeros(0, dtype=np.int64)
        a_ratio = a_price = a_amount = np.zeros(0)

    # ------------------------------------------------------------------ flows
    if flows is None:
        flows = default_flows(market, config)
    flow_units = check_flows(flows, market, config)
    next(steps)

    # ------------------------------------------------------------------ run
    hold, state, costs_hkd, ledger, trades, events = _nb.fund_kernel(
        close,
        lot,
        wht,
        trade_rates,
        fee_rates,
        days,
        pay_fees,
        buffer,
        not cash_drag,
        fx_spread,
        initial_value_hkd,
        float(config.initial_units),
        np.ascontiguousarray(target_q),
        rev_rows_arr,
        rev_q,
        a_row,
        a_col,
        a_kind,
        np.ascontiguousarray(a_ratio),
        np.ascontiguousarray(a_price),
        np.ascontiguousarray(a_amount),
        a_pay,
        flow_units,
        lag,
        float(config.reinvest_threshold) if cash_drag else 0.0,
    )
    next(steps)

    # ------------------------------------------------------------------ frames
    result = _assemble(
        index_result,
        market,
        config,
        dates,
        codes,
        fx,
        hold,
        state,
        costs_hkd,
        ledger,
        trades,
        events,
        flow_units,
        close,
    )
    next(steps, None)
    return result


def _valuation_fixing(fx, dates: pd.DatetimeIndex) -> np.ndarray:
    """The fixing on every fund session as an array; a gap or a non-positive value is a DataError."""
    if not isinstance(fx, pd.Series):
        raise DataError(
            describe(
                "the valuation fixing must be a pandas Series indexed by date",
                source="fx",
                value=type(fx).__name__,
            )
        )
    series = pd.Series(
        pd.to_numeric(fx, errors="coerce").to_numpy(dtype=float),
        index=pd.DatetimeIndex(pd.to_datetime(fx.index)).normalize(),
    )
    if series.index.has_duplicates:
        raise DataError(
            describe(
                "duplicated fixing date",
                source="fx",
                date=series.index[series.index.duplicated()][0],
            )
        )
    values = series.reindex(dates).to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(values) | (values <= 0))
    if len(bad):
        raise DataError(
            describe(
                f"the valuation fixing is missing or non-positive on {len(bad)} fund session(s)",
                source="fx",
                date=dates[bad[0]],
                field="hkd_cny",
                fix="provide a positive fixing (CNY per HKD) for every HKEX session from the fund's inception",
            )
        )
    return values


def _wide(frame, dates: pd.DatetimeIndex, codes: list[str]) -> np.ndarray:
    """A ``[date, code]`` frame (wide, or long with a (date, code) MultiIndex) as a dense array."""
    if isinstance(frame, pd.Series) or isinstance(frame.index, pd.MultiIndex):
        frame = frame.squeeze() if isinstance(frame, pd.DataFrame) else frame
        frame = frame.unstack()
    wide = frame.reindex(index=dates, columns=codes).fillna(0.0)
    return np.ascontiguousarray(wide.to_numpy(dtype=float))


def _progress(enabled: bool):
    if not enabled:
        while True:
            yield None
    from tqdm.auto import tqdm

    bar = tqdm(total=3, desc="fund backtest", unit="step")
    for _ in range(3):
        yield bar.update(1)
    bar.close()
    while True:
        yield None


def _assemble(
    index_result,
    market,
    config,
    dates,
    codes,
    fx,
    hold,
    state,
    costs_hkd,
    ledger,
    trades,
    events,
    flow_units,
    close,
) -> FundResult:
    S = _nb
    units = state[:, S.S_UNITS]
    nav_hkd = state[:, S.S_NAV]
    nav = pd.DataFrame(
        {
            "nav_cny": nav_hkd * fx,
            "nav_per_unit_cny": nav_hkd * fx / units,
            "units": units,
            "value_hkd": state[:, S.S_VALUE],
            "cash_hkd": state[:, S.S_CASH],
            "cash_cny": state[:, S.S_CASH] * fx,
            "fx": fx,
            "nav_hkd": nav_hkd,
            "receivable_hkd": state[:, S.S_RECV],
            "accrued_fees_hkd": state[:, S.S_ACCRUED],
            "payable_hkd": state[:, S.S_PAYABLE],
            "flow_units": flow_units,
        },
        index=dates,
    )
    nav.index.name = "date"
    held = np.flatnonzero((hold != 0).any(axis=0))
    code_idx = pd.Index([codes[j] for j in held], name="code")
    holdings = pd.DataFrame(hold[:, held], index=dates, columns=code_idx)
    code_arr = np.asarray(codes, dtype=object)
    tr_rows = trades[:, 0].astype(np.int64)
    trades_df = pd.DataFrame(
        {
            "date": dates[tr_rows],
            "code": code_arr[trades[:, 1].astype(np.int64)],
            "side": np.where(trades[:, 2] > 0, "buy", "sell").astype(object),
            "shares": trades[:, 3],
            "price_hkd": trades[:, 4],
            "value_hkd": trades[:, 5],
            "cost_hkd": trades[:, 6],
            "cash_after_hkd": trades[:, 7],
            "reason": np.asarray(_nb.REASON_NAMES, dtype=object)[trades[:, 8].astype(np.int64)],
        }
    )
    costs = pd.DataFrame(
        costs_hkd * fx[:, None], index=dates, columns=pd.Index(COST_KINDS, name="kind")
    )
    costs.index.name = "date"
    cash = pd.DataFrame(ledger, index=dates, columns=list(_nb.LEDGER_NAMES))
    cash.insert(0, "cash_hkd", state[:, S.S_CASH])
    cash["receivable_hkd"] = state[:, S.S_RECV]
    cash["accrued_fees_hkd"] = state[:, S.S_ACCRUED]
    cash["payable_hkd"] = state[:, S.S_PAYABLE]
    cash.index.name = "date"
    events_df = pd.DataFrame(
        {
            "date": dates[events[:, 0].astype(np.int64)],
            "code": code_arr[events[:, 1].astype(np.int64)],
            "kind": np.asarray(_nb.EVENT_NAMES, dtype=object)[events[:, 2].astype(np.int64)],
            "shares_before": events[:, 3],
            "shares_after": events[:, 4],
            "cash_hkd": events[:, 5],
        }
    )
    levels = index_result.levels.reindex(dates)
    weights = index_result.weights.reindex(index=dates, columns=codes).fillna(0.0)
    prices = pd.DataFrame(close, index=dates, columns=pd.Index(codes, name="code"))
    meta = {
        "inception_session": dates[0],
        "effects": config.effects,
        "data_fingerprint": market.fingerprint(),
        "index_meta": dict(index_result.meta),
        "market_source": market.source,
    }
    return FundResult(
        nav=nav,
        holdings=holdings,
        trades=trades_df,
        costs=costs,
        cash=cash,
        events=events_df,
        config=config,
        index_name=index_result.name,
        synthetic=bool(market.synthetic or index_result.synthetic),
        index_levels=levels,
        index_weights=weights,
        prices=prices,
        meta=meta,
    )


__all__ = ["backtest"]
