"""One-call entry points that chain the stages: data -> rules -> index (-> fund)."""

from __future__ import annotations

from engine.data.market import MarketData
from engine.index.compute import compute
from engine.rules.run import run_reviews


def build_index(market: MarketData, methodology="hsidi", *, progress: bool = False, **index_kwargs):
    """Run the rulebook and the index calculator in one call.

    Parameters
    ----------
    market
        The market to build on (``engine.data.default_market()`` for the embedded default).
    methodology
        A history name (``"hsidi"``: launch rules until 2025-08-08, the revision from 2025-08-11), a
        version name (``"hsidi-2023-05"``, ``"hsidi-2025-08"``), a path to a TOML file, or a loaded
        ``Methodology`` / ``MethodologyHistory``.
    progress
        Show a progress bar over the reviews.
    **index_kwargs
        Passed to :func:`engine.index.compute` (``base_date``, ``base_value``, ``withholding``).

    Returns
    -------
    IndexResult
    """
    schedule = run_reviews(market, methodology, progress=progress)
    return compute(market, schedule, **index_kwargs)
