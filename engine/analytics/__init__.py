"""Analytics stage: tracking metrics, the attribution waterfall, methodology comparison.

Quick use::

    from engine import analytics
    tr = analytics.tracking(nav_per_unit_cny, analytics.benchmark_series(idx, market.fx))
    tr.summary()                       # TD, TE (STD and RMS, labelled), IR, beta, correlation ...
    wf = analytics.attribute(idx, market)   # benchmark -> dividends -> each fund effect -> actual
    cmp = analytics.compare_indexes(launch, revision)
"""

from engine.analytics.attribution import Waterfall, attribute, waterfall
from engine.analytics.compare import (
    IndexComparison,
    compare_indexes,
    membership_changes,
    wide_panel,
)
from engine.analytics.implied import ImpliedWeights, implied_weights
from engine.analytics.observed import ObservedComparison, compare_observed
from engine.analytics.tracking import (
    METRICS,
    TrackingResult,
    align,
    benchmark_series,
    convert_to_cny,
    fund_tracking,
    metrics_from_returns,
    rolling_tracking_error,
    tracking,
)
from engine.analytics.versions import VersionComparison, compare  # noqa: E402  (shadows the compare module name on purpose)
from engine.conventions import PERIODS_PER_YEAR, Conventions

__all__ = [
    "METRICS",
    "PERIODS_PER_YEAR",
    "Conventions",
    "ImpliedWeights",
    "IndexComparison",
    "ObservedComparison",
    "TrackingResult",
    "VersionComparison",
    "Waterfall",
    "align",
    "attribute",
    "benchmark_series",
    "compare",
    "compare_indexes",
    "compare_observed",
    "convert_to_cny",
    "fund_tracking",
    "implied_weights",
    "membership_changes",
    "metrics_from_returns",
    "rolling_tracking_error",
    "tracking",
    "waterfall",
    "wide_panel",
]
