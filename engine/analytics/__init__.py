"""Analytics stage: tracking metrics, the attribution waterfall, methodology comparison.

Every tracking difference and tracking error is taken against one named benchmark: a fund's
``config.benchmark`` (:attr:`engine.fund.EtfConfig.benchmark`, default the price index in CNY at the
valuation fixing), named by :func:`benchmark_label` in every summary, table and figure.

Quick use::

    from engine import analytics
    tr = analytics.fund_tracking(fund_result, idx)   # vs config.benchmark, at the fund's fixing
    tr.summary()                       # TD, TE (STD and RMS, labelled), IR, beta, correlation ...
    wf = analytics.attribute(idx, market)   # benchmark -> dividends -> each fund effect -> actual
    wf.summary()                       # arithmetic and log contributions, total and per year
    ct = analytics.contributions(fund_result, idx, market)   # by holding, cash, cost, FX
    ct.summary()                       # top and bottom contributors, Carino-linked, sum = TD
    cmp = analytics.compare_indexes(launch, revision)
    risk = analytics.ex_ante(fund_result, market, dates="all")  # anticipated against realised TE
    analytics.concentration(idx)       # top1/top5/top10/HHI/effective_n per day and per review
    analytics.fund_rules(idx, market)  # SSE/SZSE index-fund rules (sse-2025-11) at each review
    reg = analytics.regulatory(fund_result, idx, "csrc")   # preset figures, breaches, period table
    cap = analytics.capacity(idx, market, fund=fund_result)  # value, ADV, days to trade per review
"""

from engine.analytics.active import (
    active_distribution,
    active_drawdown,
    active_stats,
    td_by_month,
)
from engine.analytics.attribution import (
    BASES,
    Waterfall,
    attribute,
    cost_drag,
    cost_table,
    waterfall,
)
from engine.analytics.capacity import (  # the function shadows the module name, as compare does
    CapacitySettings,
    RebalanceCapacity,
    capacity,
)
from engine.analytics.compare import (
    IndexComparison,
    compare_indexes,
    membership_changes,
    methodology_changes,
    wide_panel,
)
from engine.analytics.concentration import Concentration, concentration
from engine.analytics.contributions import (  # the function shadows the module name
    Contributions,
    cap_drag,
    contributions,
    cxo_removal,
)
from engine.analytics.contributions_causes import deviation_causes
from engine.analytics.exante import ExAnteRisk, constituent_returns, ex_ante
from engine.analytics.frontier import ReplicationFrontier, replication_frontier
from engine.analytics.fund_rules import FundRules, fund_rules, load_fund_rules
from engine.analytics.holdings import active_share, holding_weights
from engine.analytics.implied import ImpliedWeights, implied_weights
from engine.analytics.observed import ObservedComparison, compare_observed
from engine.analytics.regulatory import (  # the function shadows the module name, as compare does
    RegulatoryPreset,
    RegulatoryReport,
    regulatory,
)
from engine.analytics.tracking import (
    METRICS,
    TrackingResult,
    align,
    benchmark_label,
    benchmark_series,
    convert_to_cny,
    fund_benchmark,
    fund_tracking,
    metrics_from_returns,
    rolling_tracking_error,
    tracking,
)
from engine.analytics.versions import VersionComparison, compare  # noqa: E402  (shadows the compare module name on purpose)
from engine.conventions import PERIODS_PER_YEAR, Conventions

__all__ = [
    "active_distribution",
    "active_drawdown",
    "active_stats",
    "td_by_month",
    "BASES",
    "Concentration",
    "ExAnteRisk",
    "FundRules",
    "concentration",
    "constituent_returns",
    "ex_ante",
    "fund_rules",
    "load_fund_rules",
    "CapacitySettings",
    "METRICS",
    "PERIODS_PER_YEAR",
    "Contributions",
    "Conventions",
    "ImpliedWeights",
    "IndexComparison",
    "ObservedComparison",
    "RebalanceCapacity",
    "RegulatoryPreset",
    "RegulatoryReport",
    "ReplicationFrontier",
    "TrackingResult",
    "VersionComparison",
    "Waterfall",
    "active_share",
    "align",
    "attribute",
    "benchmark_label",
    "benchmark_series",
    "cap_drag",
    "capacity",
    "compare",
    "compare_indexes",
    "compare_observed",
    "contributions",
    "convert_to_cny",
    "cost_drag",
    "cost_table",
    "cxo_removal",
    "deviation_causes",
    "fund_benchmark",
    "fund_tracking",
    "holding_weights",
    "implied_weights",
    "membership_changes",
    "methodology_changes",
    "metrics_from_returns",
    "regulatory",
    "replication_frontier",
    "rolling_tracking_error",
    "tracking",
    "waterfall",
    "wide_panel",
]
