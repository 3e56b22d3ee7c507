"""The replication frontier: how well fewer names track, and what they cost, policy by policy.

For each replication policy (:mod:`engine.fund.replication`) and each number of names :math:`N`
the fund is simulated with ``config.replace(replication=policy, replication_names=N)`` (same costs,
lots, flows and fixing as the full fund) and measured against the fund's benchmark
(``config.benchmark``, in CNY at the fund's fixing, :func:`engine.analytics.fund_tracking`):

* realised tracking error, STD of daily active returns annualised (:mod:`engine.metrics`,
  ``tracking_error_std``) and the period tracking difference (``tracking_difference``);
* ex-ante tracking error: :math:`\\sqrt{p (w - b)^\\top S (w - b)}` of the policy's weights against
  the index weights at each review close (cash excluded), averaged over the inception and the
  reviews (``te_ex_ante_policy``; 0 for the full fund, which holds the index weights);
* trading costs over the run in CNY borne by the fund (stamp duty, levies, trading fee, brokerage,
  impact; ``trading_costs_cny``) and, separately, those borne by creating and redeeming
  participants (``participant_trading_costs_cny``);
* the mean one-way turnover per review against the book (``turnover``, NaN for the full fund).

The full fund is the reference row (``policy == "full"``, ``names`` = the constituents at the last
review).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine import metrics
from engine._display import Result, Summary
from engine.analytics.tracking import fund_tracking
from engine.conventions import DEFAULT, Conventions
from engine.enums import TRADING_COST_KINDS
from engine.errors import FundConfigError
from engine.fund.backtest import backtest
from engine.fund.config import REPLICATIONS, EtfConfig
from engine.fund.result import benchmark_label, fund_benchmark

POLICIES = tuple(p for p in REPLICATIONS if p != "full")
"""Policies a frontier can compare with the full fund."""
COLUMNS = (
    "policy",
    "names",
    "tracking_error_std",
    "tracking_difference",
    "te_ex_ante_policy",
    "trading_costs_cny",
    "participant_trading_costs_cny",
    "turnover",
)
"""Columns of :attr:`ReplicationFrontier.table`."""


@dataclass(frozen=True, eq=False)
class ReplicationFrontier(Result):
    """Output of :func:`replication_frontier`.

    Attributes
    ----------
    table : DataFrame
        One row per policy and number of names, then the full fund (:data:`COLUMNS`; fractions
        for the tracking figures and turnover, CNY for costs).
    benchmark : str
        What every tracking figure is measured against.
    conventions : Conventions
        Periods per year and ddof of the annualised figures.
    """

    table: pd.DataFrame
    benchmark: str
    conventions: Conventions = DEFAULT
    meta: dict = field(default_factory=dict)

    _figure = "frontier_figure"

    @property
    def full(self) -> pd.Series:
        """The full fund's row."""
        return self.table[self.table["policy"] == "full"].iloc[0]

    def to_frame(self) -> pd.DataFrame:
        """The table (see :data:`COLUMNS`)."""
        return self.table.copy()

    def summary(self) -> Summary:
        """The full fund, then for each policy its lowest realised tracking error (and at how many
        names) and the costs at the fewest names."""
        against = self.benchmark
        full = self.full
        rows = [
            metrics.row(
                "tracking_error_std",
                full["tracking_error_std"],
                against=against,
                note="full replication; ",
            ),
            metrics.row(
                "tracking_difference",
                full["tracking_difference"],
                against=against,
                note="full replication; ",
            ),
            metrics.row("trading_costs_cny", full["trading_costs_cny"], note="full replication; "),
        ]
        for policy, part in self.table[self.table["policy"] != "full"].groupby(
            "policy", sort=False
        ):
            best = part.loc[part["tracking_error_std"].idxmin()]
            few = part.loc[part["names"].idxmin()]
            n_best, n_few = int(best["names"]), int(few["names"])
            part_rows = [
                metrics.row(
                    "tracking_error_std",
                    best["tracking_error_std"],
                    against=against,
                    note=f"{policy}, lowest over N (at {n_best} names); ",
                ),
                metrics.row(
                    "te_ex_ante_policy",
                    best["te_ex_ante_policy"],
                    against="index weights",
                    note=f"{policy} at {n_best} names; ",
                ),
                metrics.row(
                    "trading_costs_cny",
                    few["trading_costs_cny"],
                    note=f"{policy} at {n_few} names (the fewest); ",
                ),
            ]
            for r in part_rows:  # one metric name per row: optimised_tracking_error_std, ...
                r["metric"] = f"{policy}_{r['metric']}"
            rows += part_rows
        return Summary(rows, title=f"Replication frontier (against {against})")

    def __repr__(self) -> str:
        parts = self.table[self.table["policy"] != "full"]
        return (
            f"ReplicationFrontier({', '.join(parts['policy'].unique())}; N "
            f"{int(parts['names'].min())}..{int(parts['names'].max())}; full TE "
            f"{self.full['tracking_error_std']:.4%} against {self.benchmark})"
        )


def replication_frontier(
    index,
    market,
    config: EtfConfig | None = None,
    names=range(10, 32),
    policies=POLICIES,
    *,
    flows=None,
    fx=None,
    conventions: Conventions = DEFAULT,
    progress: bool = False,
) -> ReplicationFrontier:
    """Realised and ex-ante tracking error, trading costs and tracking difference of each policy at
    each number of names, with the full fund as the reference (module docstring).

    Parameters
    ----------
    index, market
        The index run and the market it was built on (as for :func:`engine.fund.backtest`).
    config
        The fund's settings (default :meth:`EtfConfig.default`); its turnover budget, covariance and
        bucket settings apply to every run, its ``replication`` is replaced.
    names
        Numbers of names to try (whole numbers from 1 to the constituent count at every review).
    policies
        Some of :data:`POLICIES`.
    flows, fx
        As for :func:`engine.fund.backtest`, shared by every run.
    conventions
        Periods per year and ddof of the annualised figures.
    progress
        Show a progress bar over the runs.

    Raises
    ------
    FundConfigError
        An unknown policy (``policies``), a number of names below 1 or above a review's constituent
        count (``names``).
    """
    config = EtfConfig.default() if config is None else config
    policies, names = _check(policies, names)
    base = config.replace(replication="full", replication_names=None)
    runs = [(None, None)] + [(p, n) for p in policies for n in names]
    bar = _bar(progress, len(runs))
    rows = []
    benchmark = ""
    for policy, n in runs:
        cfg = base if policy is None else base.replace(replication=policy, replication_names=n)
        try:
            fund = backtest(index, market, cfg, flows=flows, fx=fx)
        except FundConfigError as exc:
            if policy is None or "replication_names" not in str(exc):
                raise
            raise FundConfigError(
                "a number of names is above a review's constituent count",
                source="replication_frontier",
                field="names",
                value=n,
                fix=f"drop it from names ({exc})",
            ) from None
        rows.append(_row(fund, index, policy, n, conventions))
        benchmark = benchmark_label(fund.index_name, fund_benchmark(fund))
        bar.update(1)
    bar.close()
    table = pd.DataFrame(rows[1:] + rows[:1], columns=list(COLUMNS))
    return ReplicationFrontier(
        table=table,
        benchmark=benchmark,
        conventions=conventions,
        meta={"config_hash": base.hash, "policies": policies, "names": names},
    )


def _row(fund, index, policy, n, conventions) -> tuple:
    tr = fund_tracking(fund, index, conventions=conventions)
    kinds = list(TRADING_COST_KINDS)
    plan = fund.meta.get("replication")
    if plan is None:
        n = int((fund.index_weights.iloc[-1] > 0).sum())
        te_ex, turnover = 0.0, np.nan
    else:
        te_ex = float(plan.table["te_ex_ante"].mean())
        turnover = float(plan.table["turnover"].iloc[1:].mean()) if len(plan.table) > 1 else np.nan
    return (
        "full" if policy is None else policy,
        int(n),
        float(tr.metrics["tracking_error_std"]),
        float(tr.metrics["tracking_difference"]),
        te_ex,
        float(fund.costs[kinds].to_numpy().sum()),
        float(fund.participant_costs[kinds].to_numpy().sum()),
        turnover,
    )


def _check(policies, names) -> tuple[tuple, tuple]:
    policies = (policies,) if isinstance(policies, str) else tuple(policies)
    if not policies:
        raise _bad("policies is empty", "policies", policies, f"use some of {POLICIES}")
    for p in policies:
        if p not in POLICIES:
            raise _bad("unknown replication policy", "policies", p, f"use some of {POLICIES}")
    names = tuple(names)
    if not names:
        raise _bad("names is empty", "names", names, "give numbers of names, e.g. range(10, 32)")
    for n in names:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise _bad("a number of names must be a whole number >= 1", "names", n, "e.g. 10")
    return policies, tuple(int(n) for n in names)


def _bad(what, field_, value, fix) -> FundConfigError:
    return FundConfigError(what, source="replication_frontier", field=field_, value=value, fix=fix)


class _NoBar:
    def update(self, _n):
        return None

    def close(self):
        return None


def _bar(enabled: bool, total: int):
    if not enabled:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="replication frontier", unit="run")


__all__ = ["COLUMNS", "POLICIES", "ReplicationFrontier", "replication_frontier"]
