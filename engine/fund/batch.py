"""`fund_batch`: many variants of the fund settings against one index run.

Each variant is a mapping of :meth:`EtfConfig.replace` keys (fees, cash buffer, trading-cost rates,
lots on or off, ...) applied to one base config; variant ``v`` gives exactly what
``backtest(index, market, config.replace(**variants[v]), flows=flows, fx=fx)`` gives.

Variants whose shared kernel inputs agree (same inception, fixing, withholding, lot table and flows:
see :func:`_shared_key`) run in one compiled call, :func:`engine.fund._nb.simulate_batch`, one
variant per thread (``prange``); each variant's plain-number settings are one
:data:`engine.fund._nb.PARAMS_DT` record and one row of trading-cost rates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine.enums import COST_KINDS, TRADING_COST_KINDS
from engine.errors import EngineError
from engine.fund import _nb
from engine.fund.backtest import check_same_market, cost_rates, params_record, prepare
from engine.fund.config import PARTICIPANT_COST_KINDS, EtfConfig, fund_error
from engine.fund.flows import fund_sessions


@dataclass(frozen=True, eq=False)
class FundBatch:
    """Output of :func:`fund_batch`.

    Attributes
    ----------
    dates : DatetimeIndex
        The fund's valuation sessions (the same for every variant).
    nav_per_unit_cny : float64[n_days, V] or None
        NAV per unit of each variant (``None`` unless ``keep_nav``); NaN columns for failed variants.
    total_return : float64[V]
        :math:`NAV/unit_{T} / NAV/unit_0 - 1` per variant.
    costs_cny : DataFrame
        One row per variant: the fund's costs over the run by kind, ``<kind>_cny`` for each of
        :data:`engine.enums.COST_KINDS`, then the costs borne by creating/redeeming participants,
        ``participant_<kind>_cny`` for each of :data:`engine.fund.config.PARTICIPANT_COST_KINDS`
        (CNY, each day's cost at that day's fixing).
    variants : list of dict
        The variants as given.
    errors : list of (int, str)
        ``(variant index, message)`` for variants that raised an :mod:`engine.errors` error.
    turnover : float64[V]
        The fund's one-way turnover over its valuation sessions (a fraction of the mean NAV, not
        annualised): :math:`\\min(\\sum_t B_t, \\sum_t S_t) / \\overline{NAV}` with :math:`B_t`,
        :math:`S_t` the day's buys and sells (HKD, every trade of :attr:`FundResult.trades`, at its
        price) and :math:`\\overline{NAV}` the mean of the daily NAV in HKD.  The smaller side leaves
        out the trades that only invest creations or pay redemptions.
    """

    dates: pd.DatetimeIndex
    nav_per_unit_cny: np.ndarray | None
    total_return: np.ndarray
    costs_cny: pd.DataFrame
    variants: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    turnover: np.ndarray | None = None

    def to_frame(self) -> pd.DataFrame:
        """One row per variant: its settings, ``total_return`` and the cost columns."""
        params = pd.DataFrame([dict(v) for v in self.variants], index=self.costs_cny.index)
        out = params.assign(total_return=self.total_return)
        return pd.concat([out, self.costs_cny], axis=1)

    def __repr__(self) -> str:
        return (
            f"FundBatch({len(self.variants)} variants x {len(self.dates)} sessions, "
            f"{len(self.errors)} errors)"
        )


def _check_variants(config: EtfConfig, variants) -> list[dict]:
    if isinstance(variants, Mapping) or not isinstance(variants, Sequence):
        raise fund_error(
            "variants must be a sequence of mappings of EtfConfig fields",
            source="fund_batch",
            value=type(variants).__name__,
            fix="pass e.g. [{'management_fee': 0.005}, {'cash_buffer': 0.0}]",
        )
    names = set(EtfConfig.__dataclass_fields__)
    out = []
    for i, v in enumerate(variants):
        if not isinstance(v, Mapping):
            raise fund_error(
                "a variant must be a mapping of EtfConfig fields",
                source="fund_batch",
                row=i,
                value=type(v).__name__,
            )
        unknown = sorted(set(v) - names)
        if unknown:
            raise fund_error(
                "unknown fund setting in a variant",
                source="fund_batch",
                row=i,
                field=unknown[0],
                fix=f"use EtfConfig fields: {sorted(names)}",
            )
        out.append(dict(v))
    return out


def fund_batch(
    index,
    market,
    config: EtfConfig | None,
    variants,
    *,
    flows=None,
    fx=None,
    keep_nav: bool = True,
    allow_other_market: bool = False,
) -> FundBatch:
    """Backtest every variant of ``config`` against ``index``.

    Parameters
    ----------
    index : IndexResult
        The index run the fund tracks.
    market : MarketData
        The market the index was built on.
    config : EtfConfig or None
        The base settings (:meth:`EtfConfig.default` when ``None``).
    variants : sequence of mappings
        ``EtfConfig.replace(**v)`` keys per variant; ``{}`` is the base config.
    flows, fx
        As for :func:`engine.fund.backtest`, shared by every variant.
    keep_nav : bool
        Keep the ``[n_days, V]`` NAV per unit (otherwise only the reduced figures).
    allow_other_market : bool
        As for :func:`engine.fund.backtest` (checked once, before any variant).

    Returns
    -------
    FundBatch
        A variant whose settings are invalid (an :mod:`engine.errors` error) has NaN figures and an
        entry in ``errors``.
    """
    config = EtfConfig.default() if config is None else config
    variants = _check_variants(config, variants)
    check_same_market(index, market, allow_other_market)
    V = len(variants)
    groups, errors = _groups(config, variants)
    dates = fund_sessions(market, config)
    nav = None
    total, turnover = np.full(V, np.nan), np.full(V, np.nan)
    costs = np.full((V, len(COST_KINDS) + len(PARTICIPANT_COST_KINDS)), np.nan)
    pcols = [COST_KINDS.index(k) for k in PARTICIPANT_COST_KINDS]
    for members in groups.values():
        try:
            inputs = prepare(index, market, members[0][1], flows=flows, fx=fx)
        except EngineError as exc:
            errors.extend((i, str(exc)) for i, _ in members)
            continue
        if nav is None:  # the sessions of the first group that runs
            dates = inputs.dates
            nav = np.full((len(dates), V), np.nan) if keep_nav else None
        cols = [i for i, _ in members]
        nav_g, costs_g, pcosts_g, turnover[cols] = run_batch(inputs, [cfg for _, cfg in members])
        total[cols] = nav_g[-1] / nav_g[0] - 1.0
        costs[cols] = np.hstack([costs_g, pcosts_g[:, pcols]])
        if keep_nav:
            nav[:, cols] = nav_g
    if keep_nav and nav is None:
        nav = np.full((len(dates), V), np.nan)
    frame = pd.DataFrame(
        costs,
        columns=[f"{k}_cny" for k in COST_KINDS]
        + [f"participant_{k}_cny" for k in PARTICIPANT_COST_KINDS],
    )
    frame.index.name = "variant"
    return FundBatch(
        dates=pd.DatetimeIndex(dates),
        nav_per_unit_cny=nav,
        total_return=total,
        costs_cny=frame,
        variants=variants,
        errors=sorted(errors),
        turnover=turnover,
    )


def _groups(config: EtfConfig, variants: list[dict]) -> tuple[dict, list]:
    """The variants' configs by :func:`_shared_key` (``(variant index, config)`` pairs), and the
    ``(variant index, message)`` of those whose settings are invalid."""
    errors: list[tuple[int, str]] = []
    groups: dict[tuple, list[tuple[int, EtfConfig]]] = {}
    for i, v in enumerate(variants):
        try:
            cfg = config.replace(**v)
        except EngineError as exc:
            errors.append((i, str(exc)))
            continue
        groups.setdefault(_shared_key(cfg), []).append((i, cfg))
    return groups, errors


_SHARED_SETTINGS = tuple(
    "inception_date initial_units creation_unit max_redemption_fraction max_creation_multiple "
    "replication replication_names turnover_budget covariance_model covariance_halflife "
    "covariance_window sampling_bucket size_buckets".split()
)
"""The settings the kernel's shared inputs read as they are (the flows, the policy's weights)."""


def _shared_key(cfg: EtfConfig) -> tuple:
    """What the kernel's shared inputs depend on (:func:`engine.fund.backtest.prepare`): variants with
    the same key run in one compiled call."""
    on = set(cfg.effects)
    return (
        "fx" in on and cfg.fx_source == "market",
        cfg.withholding if "withholding_tax" in on else None,
        bool(cfg.use_board_lots and "lot_rounding" in on),
        *(getattr(cfg, name) for name in _SHARED_SETTINGS),
    )


def run_batch(inputs, configs) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`engine.fund._nb.simulate_batch` for ``configs`` on shared ``inputs``.

    Returns the NAV per unit ``[n_days, V]`` (CNY), the fund's and participants' costs over the
    run ``[V, N_COSTS]`` (CNY, by :data:`engine.enums.COST_KINDS` column) and the one-way turnover
    ``[V]`` (:attr:`FundBatch.turnover`)."""
    V, T = len(configs), len(inputs.dates)
    params = _nb.records(V, _nb.PARAMS_DT)
    rates = np.zeros((V, len(TRADING_COST_KINDS)))
    for v, cfg in enumerate(configs):
        params[v : v + 1] = params_record(cfg, inputs.fx[0])
        rates[v] = cost_rates(cfg)
    days = _nb.records((V, T), _nb.DAY_DT)
    cost_totals = np.zeros((V, _nb.N_COSTS))
    pcost_totals = np.zeros((V, _nb.N_COSTS))
    _nb.simulate_batch(
        inputs.arrays,
        inputs.fx,
        params,
        rates,
        _nb.records(V, _nb.STATE_DT),
        days,
        _nb.records(0, _nb.TRADE_DT),
        _nb.records(0, _nb.EVENT_DT),
        cost_totals,
        pcost_totals,
    )
    nav = (days["nav_hkd"] * inputs.fx[None, :] / days["units"]).T
    traded = np.minimum(days["buys_hkd"].sum(axis=1), days["sells_hkd"].sum(axis=1))
    turnover = traded / days["nav_hkd"].mean(axis=1)
    return np.ascontiguousarray(nav), cost_totals, pcost_totals, turnover


__all__ = ["FundBatch", "fund_batch"]
