"""`backtest`: simulate ETF 520500 (a CNY fund holding HK shares) against an index run.

The fund is a cash-holding portfolio in HKD valued in CNY at the HKD->CNY fixing:

.. math:: NAV^{CNY}_t = \\Big(\\sum_i h_{i,t} P_{i,t} + cash_t + recv_t - accrued_t - payable_t\\Big)\\, fx_t,
          \\qquad NAV/unit_t = NAV^{CNY}_t / U_t .

Its target is the index of ``index_result``: at each review it trades, at the close of the session
before the effective date (the index's own repricing close), to the new index weights
:math:`w_i = q'_i P_i / \\sum_j q'_j P_j` (:math:`q'` the review's index shares as the index uses
them: restated for capital changes between the cap date and the effective date by
:func:`engine.prepare.capital_change_factors`); subscription cash is bought at the index weights of the day it
is invested.  The daily loop and its order of events are in :mod:`engine.fund._nb`; this module only
converts pandas <-> NumPy, applies the effect switches of :class:`~engine.fund.config.EtfConfig` and
checks the inputs.

With every effect off the holdings stay proportional to :math:`q_t / D^{gross}_t` (index shares over the
gross divisor), so the NAV per unit reproduces the gross total return index exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from engine._display import Provenance
from engine.data.fx import on_sessions
from engine.data.market import MarketData
from engine.enums import (
    COST_KINDS,
    FUND_EVENTS,
    PAYER_FUND,
    PAYER_PARTICIPANT,
    TRADE_REASONS,
    TRADING_COST_KINDS,
)
from engine.errors import DataError, FundConfigError
from engine.fund import _nb
from engine.fund.config import PARTICIPANT_COST_KINDS, EtfConfig, fund_error
from engine.fund.flows import check_flows, default_flows, fund_sessions
from engine.fund.replication import ReplicationPlan, plan, policy_shares
from engine.fund.result import FundResult
from engine.index.result import IndexResult
from engine.prepare import _days, action_records, applied_review_shares, withholding_rates


@dataclass(frozen=True, eq=False)
class FundInputs:
    """What :func:`prepare` builds for ``config``: the fund's sessions, codes and valuation fixing
    (CNY per HKD), and the kernel's inputs shared by every variant with the same sessions, fixing,
    withholding and flows (:data:`engine.fund._nb.FundArrays`)."""

    dates: pd.DatetimeIndex
    codes: list
    fx: np.ndarray
    arrays: _nb.FundArrays
    replication: ReplicationPlan | None = None
    """The policy's weights when ``config.replication`` is not ``"full"`` (``target_q`` and
    ``rev_q`` are then the policy shares, :func:`engine.fund.replication.policy_shares`)."""


def backtest(
    index_result: IndexResult,
    market: MarketData,
    config: EtfConfig | None = None,
    flows=None,
    progress: bool = False,
    fx=None,
    allow_other_market: bool = False,
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
    allow_other_market
        The market must be the one the index was built on: when the index records a
        ``data_fingerprint`` that differs from ``market.fingerprint()`` a
        :class:`~engine.errors.DataError` names both, unless this is ``True`` (a deliberate
        backtest of one index on other data).

    Returns
    -------
    FundResult
    """
    config = _check_args(index_result, market, config)
    check_same_market(index_result, market, allow_other_market)
    steps = _progress(progress)
    inputs = prepare(index_result, market, config, flows=flows, fx=fx)
    next(steps)
    params = params_record(config, inputs.fx[0])
    next(steps)
    books = run_kernel(inputs, params, cost_rates(config))
    next(steps)
    result = _assemble(index_result, market, config, inputs, books)
    next(steps, None)
    return result


def _check_args(index_result, market, config) -> EtfConfig:
    config = EtfConfig.default() if config is None else config
    for value, cls, what, fix in (
        (config, EtfConfig, "config must be an EtfConfig", None),
        (
            index_result,
            IndexResult,
            "index_result must be an IndexResult",
            "pass the output of engine.index.compute or engine.build_index",
        ),
        (
            market,
            MarketData,
            "market must be a MarketData",
            "pass engine.data.default_market() or a MarketData.from_frames(...) result",
        ),
    ):
        if not isinstance(value, cls):
            raise fund_error(what, source="backtest", value=type(value).__name__, fix=fix)
    return config


def check_same_market(index_result, market, allow_other_market: bool = False) -> None:
    """DataError when the index was built on another market (its recorded ``data_fingerprint`` is
    not ``market.fingerprint()``), unless ``allow_other_market``.  An index that records no
    fingerprint is not checked."""
    recorded = (index_result.meta or {}).get("data_fingerprint")
    if allow_other_market or not recorded:
        return
    here = market.fingerprint()
    if recorded != here:
        raise fund_error(
            "the fund is backtested on a different market from the one its index was built on",
            source="backtest",
            field="data_fingerprint",
            value=f"index {recorded} != market {here}",
            fix="build the index on this market (engine.build_index(market, ...)), or pass "
            "allow_other_market=True to backtest it on other data on purpose",
            cls=DataError,
        )


def params_record(config: EtfConfig, fx0: float) -> np.ndarray:
    """The plain-number settings of ``config`` with its effect switches applied, as a
    :data:`engine.fund._nb.PARAMS_DT` record array of length 1; ``fx0`` is the inception fixing (CNY
    per HKD)."""
    on = set(config.effects)
    cash_drag = "cash_drag" in on
    rec = _nb.records(1, _nb.PARAMS_DT)
    if "fees" in on:
        rec["management_fee"] = float(config.management_fee)
        rec["custody_fee"] = float(config.custody_fee)
    rec["cash_buffer"] = float(config.cash_buffer) if cash_drag else 0.0
    rec["sweep"] = float(config.reinvest_threshold) if cash_drag else 0.0
    rec["immediate"] = not cash_drag
    rec["fx_spread"] = float(config.fx_spread) if "fx" in on else 0.0
    rec["initial_value_hkd"] = float(config.initial_units) * float(config.initial_nav_cny) / fx0
    rec["initial_units"] = float(config.initial_units)
    rec["use_lots"] = bool(config.use_board_lots and "lot_rounding" in on)
    rec["lag"] = int(config.flow_lag_sessions) if "flow_timing" in on else 0
    rec["creation_payer"] = (
        PAYER_PARTICIPANT if config.creation_costs == "participant" else PAYER_FUND
    )
    rec["true_up"] = bool(config.creation_true_up) and "flow_timing" in on
    return rec


def cost_rates(config: EtfConfig) -> np.ndarray:
    """Per-side trading-cost rates in :data:`TRADING_COST_KINDS` order (zeros with the effect off)."""
    if "trading_costs" not in config.effects:
        return np.zeros(len(TRADING_COST_KINDS))
    return np.array([config.trading_cost_rates[k] for k in TRADING_COST_KINDS], dtype=float)


def prepare(index_result, market, config: EtfConfig, *, flows=None, fx=None) -> FundInputs:
    """Check the inputs and build the kernel arrays for ``config`` (see :class:`FundInputs`)."""
    dates = _fund_dates(index_result, market, config)
    s0 = int(market.dates.get_indexer([dates[0]])[0])
    codes = list(market.codes)
    on = set(config.effects)
    close = np.array(market.close_hkd[s0:], dtype=np.float64, order="C", copy=True)
    fx_market = on_sessions(market.fx if fx is None else fx, dates, source="fx")
    if not ("fx" in on and config.fx_source == "market"):
        fx_market = np.full(len(dates), fx_market[0])
    q_daily = _wide(index_result.index_shares, dates, codes)
    ever = q_daily.max(axis=0) > 0
    lot_raw = _board_lots(market, config, codes, ever)
    wht = np.zeros(len(codes))
    if "withholding_tax" in on:
        wht = withholding_rates(
            market, config.withholding_rates, ever, error=FundConfigError, source="EtfConfig"
        )
    days_elapsed = np.zeros(len(dates))
    days_elapsed[1:] = np.diff(dates.asi8) / 86_400e9
    month = dates.year * 12 + dates.month
    pay_fee_days = np.zeros(len(dates), dtype=np.bool_)
    pay_fee_days[:-1] = month[1:] != month[:-1]
    rev_rows, rev_q, target_q = _review_targets(index_result, market, dates, s0, q_daily)
    the_plan = None
    if config.replication != "full":  # trade to the policy's weights instead of the index's
        the_plan = plan(market, config, dates, s0, close, q_daily, target_q, rev_rows)
        target_q, rev_q = policy_shares(the_plan, target_q, rev_rows, rev_q)
    # corporate actions: rows relative to the inception session (actions on it are in its opening
    # holdings' price)
    actions = action_records(market, after_row=s0).copy().view(np.recarray)
    actions["row"] -= s0
    actions["pay_row"] -= s0
    flow_units = check_flows(
        default_flows(market, config) if flows is None else flows, market, config
    )
    arrays = _nb.FundArrays(
        close=close,
        lot_raw=lot_raw,
        wht=wht,
        days_elapsed=days_elapsed,
        pay_fee_days=pay_fee_days,
        target_q=np.ascontiguousarray(target_q),
        rev_rows=rev_rows,
        rev_q=np.ascontiguousarray(rev_q),
        actions=actions,
        flow_units=np.ascontiguousarray(flow_units, dtype=float),
    )
    fx_arr = np.ascontiguousarray(fx_market, dtype=float)
    return FundInputs(dates, codes, fx_arr, arrays, the_plan)


def _fund_dates(index_result, market, config: EtfConfig) -> pd.DatetimeIndex:
    """The fund's sessions (:func:`fund_sessions`): from an inception on or after the index base
    date, every one of them computed by the index run."""
    base_date = pd.Timestamp(index_result.base_date)
    if config.inception_date < base_date:
        raise fund_error(
            "fund inception is before the index base date",
            date=config.inception_date,
            field="inception_date",
            value=str(config.inception_date.date()),
            fix=f"start the fund on or after the index base date {base_date.date()}",
        )
    dates = fund_sessions(market, config)
    missing = dates.difference(pd.DatetimeIndex(index_result.levels.index))
    if len(missing):
        raise fund_error(
            "the index run does not cover the fund's sessions",
            source="index_result",
            date=missing[0],
            fix="compute the index on the same market the fund is simulated on",
        )
    return dates


def _board_lots(market, config: EtfConfig, codes: list, ever: np.ndarray) -> np.ndarray:
    """Board lot per code (0 where the master has none); with lot rounding on, every code the
    index ever holds (``ever``) must have a positive lot."""
    sec = market.securities.set_index("code").reindex(codes)
    lots = pd.to_numeric(sec["board_lot"], errors="coerce").to_numpy(dtype=float)
    positive = np.isfinite(lots) & (lots > 0)
    bad = np.flatnonzero(ever & ~positive)
    if config.use_board_lots and "lot_rounding" in config.effects and len(bad):
        j = int(bad[0])
        raise fund_error(
            "board lot must be a positive number to trade in lots",
            source="securities",
            code=codes[j],
            field="board_lot",
            value=lots[j],
            fix="fix the security master or switch lot rounding off (use_board_lots=False)",
        )
    return np.ascontiguousarray(np.where(positive, lots, 0.0))


def _review_targets(index_result, market, dates, s0: int, q_daily: np.ndarray):
    """``rev_rows`` (the rows of the reviews' repricing closes: the close before each effective
    date), ``rev_q`` (the index's own review shares: the cap-date shares restated for capital
    changes between the cap date and the effective date, :mod:`engine.prepare`, so the fund trades
    to exactly the weights the index reprices at) and ``target_q`` (``q_daily`` with the review
    shares on the review closes)."""
    reviews = index_result.schedule.reviews
    eff = market.dates.get_indexer(_days([review.effective_date for review in reviews]))
    rows = eff - 1 - s0
    positions = np.flatnonzero((eff >= 1) & (rows >= 0) & (rows < len(dates)))
    rows = rows[positions].astype(np.int64)
    rev_q = applied_review_shares(index_result.schedule, positions, market)
    target_q = q_daily.copy()
    target_q[rows] = rev_q
    return rows, rev_q, target_q


def replication_plan(
    index_result: IndexResult, market: MarketData, config: EtfConfig, flows=None, fx=None
) -> ReplicationPlan:
    """The weights ``config.replication`` sets at inception and at each review of the fund run
    (:mod:`engine.fund.replication`), without simulating the fund; ``backtest`` keeps the same plan
    in ``FundResult.meta["replication"]``.  ``config.replication`` must not be ``"full"``."""
    config = _check_args(index_result, market, config)
    if config.replication == "full":
        raise fund_error(
            "full replication has no plan: it holds every constituent at its index weight",
            source="replication_plan",
            field="replication",
            value=config.replication,
            fix="use config.replace(replication='optimised') or 'sampled'",
        )
    check_same_market(index_result, market)
    return prepare(index_result, market, config, flows=flows, fx=fx).replication


def run_kernel(inputs: FundInputs, params: np.ndarray, rates: np.ndarray, keep_holdings=True):
    """Run :func:`engine.fund._nb.simulate` once; returns its :data:`~engine.fund._nb.Books`, trades
    and events cut to their counts (the buffers sized by a first run's counts when they overflow)."""
    a = inputs.arrays
    T, N = a.close.shape
    # a review trades each name at most twice, a flow's investment or sale each name once
    n_trade = 256 + 4 * T + N * (2 * len(a.rev_rows) + 2 + np.count_nonzero(a.flow_units))
    n_event = 16 + 2 * len(a.actions) + N
    rates = np.ascontiguousarray(rates, dtype=float)
    while True:
        books = _nb.books(T, N, n_trade, n_event, keep_holdings)
        _nb.simulate(a, params, rates, books)
        got_t, got_e = int(books.state[0].n_trades), int(books.state[0].n_events)
        if got_t <= n_trade and got_e <= n_event:
            return books._replace(trades=books.trades[:got_t], events=books.events[:got_e])
        n_trade, n_event = max(n_trade, got_t), max(n_event, got_e)


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


def _assemble(index_result, market, config, inputs: FundInputs, books) -> FundResult:
    """The :class:`FundResult` of a run: the kernel's books as frames by date and code (HKD amounts
    as the kernel keeps them, NAV and costs also in CNY at each session's fixing)."""
    dates, codes, fx, a = inputs.dates.rename("date"), inputs.codes, inputs.fx, inputs.arrays
    days = books.days
    nav = pd.DataFrame(
        {
            "nav_cny": days["nav_hkd"] * fx,
            "nav_per_unit_cny": days["nav_hkd"] * fx / days["units"],
            "units": days["units"],
            "value_hkd": days["value_hkd"],
            "cash_hkd": days["cash_hkd"],
            "cash_cny": days["cash_hkd"] * fx,
            "fx": fx,
            "nav_hkd": days["nav_hkd"],
            "receivable_hkd": days["receivable_hkd"],
            "accrued_fees_hkd": days["accrued_fees_hkd"],
            "payable_hkd": days["payable_hkd"],
            "flow_units": a.flow_units,
        },
        index=dates,
    )
    held = np.flatnonzero((books.hold != 0).any(axis=0))
    cash = pd.DataFrame({name: days[name] for name in _nb.LEDGER_FIELDS}, index=dates)
    cash.insert(0, "cash_hkd", days["cash_hkd"])
    for name in ("receivable_hkd", "accrued_fees_hkd", "payable_hkd"):
        cash[name] = days[name]
    trades = _log_frame(books.trades, dates, codes, reason=TRADE_REASONS)
    trades["side"] = np.where(books.trades["side"] > 0, "buy", "sell").astype(object)
    pkinds = pd.Index(PARTICIPANT_COST_KINDS, name="kind")
    pcosts = books.pcosts[:, [COST_KINDS.index(k) for k in pkinds]]
    # the fund's own market (allow_other_market=True may run it on another than the index's)
    provenance = replace(Provenance.of(index_result, config), data_fingerprint=market.fingerprint())
    meta = {
        "inception_session": dates[0],
        "effects": config.effects,
        "data_fingerprint": market.fingerprint(),
        "index_meta": dict(index_result.meta),
        "market_source": market.source,
        **provenance.to_record(),
    }
    if inputs.replication is not None:
        meta["replication"] = inputs.replication
    return FundResult(
        nav=nav,
        holdings=pd.DataFrame(
            books.hold[:, held],
            index=dates,
            columns=pd.Index([codes[j] for j in held], name="code"),
        ),
        trades=trades,
        costs=pd.DataFrame(
            books.costs * fx[:, None], index=dates, columns=pd.Index(COST_KINDS, name="kind")
        ),
        cash=cash,
        events=_log_frame(books.events, dates, codes, kind=FUND_EVENTS),
        config=config,
        index_name=index_result.name,
        synthetic=bool(market.synthetic or index_result.synthetic),
        index_levels=index_result.levels.reindex(dates),
        index_weights=index_result.weights.reindex(index=dates, columns=codes).fillna(0.0),
        prices=pd.DataFrame(a.close, index=dates, columns=pd.Index(codes, name="code")),
        meta=meta,
        participant_costs=pd.DataFrame(pcosts * fx[:, None], index=dates, columns=pkinds),
        warnings=tuple(dict.fromkeys((*index_result.warnings, *market.warnings))),
    )


def _log_frame(rec, dates, codes, **labels) -> pd.DataFrame:
    """A trade or event log (``TRADE_DT`` / ``EVENT_DT`` records) as a frame: ``date`` and ``code``
    for its ``row`` and ``col``, each integer code field named in ``labels`` as its text
    (``labels[field][value]``), the other fields as they are."""
    out = {"date": dates[rec["row"]], "code": np.asarray(codes, dtype=object)[rec["col"]]}
    for name in rec.dtype.names[2:]:
        text = labels.get(name)
        out[name] = rec[name] if text is None else np.asarray(text, dtype=object)[rec[name]]
    return pd.DataFrame(out)


__all__ = ["backtest", "replication_plan"]
