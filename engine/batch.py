"""Deprecated alias of :mod:`engine.index.batch` (the index stage's batch), kept for one release.

``from engine.batch import index_batch`` still works and warns; import from
:mod:`engine.index.batch` (or ``engine.index.index_batch``) instead.
"""

from __future__ import annotations

import warnings

from engine.index.batch import KERNEL_SETTINGS, IndexBatch, index_batch, review_turnover

warnings.warn(
    "engine.batch is deprecated: import index_batch, IndexBatch, review_turnover and "
    "KERNEL_SETTINGS from engine.index.batch (engine.batch goes in the next release)",
    DeprecationWarning,
    stacklevel=2,
)

__all__ = ["KERNEL_SETTINGS", "IndexBatch", "index_batch", "review_turnover"]
