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
    cmp = analytics.compare_indexes(launch, revision)
"""

from engine.analytics.attribution import (
    BASES,
    Waterfall,
    attribute,
    cost_drag,
    cost_table,
    waterfall,
)
from engine.analytics.compare import (
    IndexComparison,
    compare_indexes,
    membership_changes,
    methodology_changes,
    wide_panel,
)
from engine.analytics.frontier import ReplicationFrontier, replication_frontier
from engine.analytics.implied import ImpliedWeights, implied_weights
from engine.analytics.observed import ObservedComparison, compare_observed
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
    "BASES",
    "METRICS",
    "PERIODS_PER_YEAR",
    "Conventions",
    "ImpliedWeights",
    "IndexComparison",
    "ObservedComparison",
    "ReplicationFrontier",
    "TrackingResult",
    "VersionComparison",
    "Waterfall",
    "align",
    "attribute",
    "benchmark_label",
    "benchmark_series",
    "compare",
    "compare_indexes",
    "compare_observed",
    "convert_to_cny",
    "cost_drag",
    "cost_table",
    "fund_benchmark",
    "fund_tracking",
    "implied_weights",
    "membership_changes",
    "methodology_changes",
    "metrics_from_returns",
    "replication_frontier",
    "rolling_tracking_error",
    "tracking",
    "waterfall",
    "wide_panel",
]
