"""The batch cores a sweep evaluates its chunks with, and the one figure they do not return.

``index_batch`` (:mod:`engine.index.batch`) evaluates index variants sharing a review calendar in one
compiled, parallel call; ``fund_batch`` (:mod:`engine.fund.batch`) does the same for fund variants of
one index run.  Fund sweeps build each index variant once with :func:`engine.build_index` and take its
turnover from :func:`index_turnover`.
"""

from __future__ import annotations

import numpy as np

from engine.fund.batch import fund_batch
from engine.index.batch import index_batch

__all__ = ["fund_batch", "index_batch", "index_turnover"]


def index_turnover(result) -> float:
    """Mean one-way turnover per review after the first of an ``IndexResult`` (NaN with one review)."""
    from engine.analytics.compare import membership_changes

    tv = membership_changes(result)["turnover"].to_numpy(dtype=float)[1:]
    tv = tv[np.isfinite(tv)]
    return float(tv.mean()) if tv.size else float("nan")
