"""Stage 3: the index calculation (divisor-based Laspeyres; price, gross and net total return) and
the batch of methodology variants (:func:`index_batch`)."""

from engine.index.batch import IndexBatch, index_batch
from engine.index.compute import compute
from engine.index.result import VARIANTS, IndexResult

__all__ = ["VARIANTS", "IndexBatch", "IndexResult", "compute", "index_batch"]
