"""`fund_batch`: many variants of the fund settings against one index run.

Each variant is a mapping of :meth:`EtfConfig.replace` keys (fees, cash buffer, trading-cost rates,
lots on or off, ...) applied to one base config; variant ``v`` gives exactly what
``backtest(index, market, config.replace(**variants[v]), flows=flows, fx=fx)`` gives.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine.errors import EngineError, FundConfigError, describe
from engine.fund.config import COST_KINDS, EtfConfig


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
        One row per variant, one column per cost kind (:data:`engine.fund.config.COST_KINDS`), CNY
        over the whole run.
    variants : list of dict
        The variants as given.
    errors : list of (int, str)
        ``(variant index, message)`` for variants that raised an :mod:`engine.errors` error.
    """

    dates: pd.DatetimeIndex
    nav_per_unit_cny: np.ndarray | None
    total_return: np.ndarray
    costs_cny: pd.DataFrame
    variants: list = field(default_factory=list)
    errors: list = field(default_factory=list)

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
        raise FundConfigError(
            describe(
                "variants must be a sequence of mappings of EtfConfig fields",
                source="fund_batch",
                value=type(variants).__name__,
                fix="pass e.g. [{'management_fee': 0.005}, {'cash_buffer': 0.0}]",
            )
        )
    names = set(EtfConfig.__dataclass_fields__)
    out = []
    for i, v in enumerate(variants):
        if not isinstance(v, Mapping):
            raise FundConfigError(
                describe(
                    "a variant must be a mapping of EtfConfig fields",
                    source="fund_batch",
                    row=i,
                    value=type(v).__name__,
                )
            )
        unknown = sorted(set(v) - names)
        if unknown:
            raise FundConfigError(
                describe(
                    "unknown fund setting in a variant",
                    source="fund_batch",
                    row=i,
                    field=unknown[0],
                    fix=f"use EtfConfig fields: {sorted(names)}",
                )
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

    Returns
    -------
    FundBatch
        A variant whose settings are invalid (an :mod:`engine.errors` error) has NaN figures and an
        entry in ``errors``.
    """
    from engine.fund.backtest import backtest

    config = EtfConfig.default() if config is None else config
    variants = _check_variants(config, variants)
    V = len(variants)
    errors: list[tuple[int, str]] = []
    navs: list[np.ndarray | None] = []
    costs = np.full((V, len(COST_KINDS)), np.nan)
    dates = None
    for i, v in enumerate(variants):
        try:
            res = backtest(index, market, config.replace(**v), flows=flows, fx=fx)
        except EngineError as exc:
            errors.append((i, str(exc)))
            navs.append(None)
            continue
        dates = res.nav.index
        navs.append(res.nav["nav_per_unit_cny"].to_numpy())
        costs[i] = res.costs.reindex(columns=list(COST_KINDS)).sum(axis=0).to_numpy()
    if dates is None:
        from engine.fund.flows import fund_sessions

        dates = fund_sessions(market, config)
    nav = np.full((len(dates), V), np.nan)
    for i, x in enumerate(navs):
        if x is not None:
            nav[:, i] = x
    total = nav[-1] / nav[0] - 1.0
    frame = pd.DataFrame(costs, columns=[f"{k}_cny" for k in COST_KINDS])
    frame.index.name = "variant"
    return FundBatch(
        dates=pd.DatetimeIndex(dates),
        nav_per_unit_cny=nav if keep_nav else None,
        total_return=total,
        costs_cny=frame,
        variants=variants,
        errors=errors,
    )


__all__ = ["FundBatch", "fund_batch"]
