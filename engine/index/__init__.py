"""Stage 3: the index calculation (divisor-based Laspeyres; price, gross and net total return)."""

from engine.index.compute import compute
from engine.index.result import VARIANTS, IndexResult

__all__ = ["VARIANTS", "IndexResult", "compute"]
