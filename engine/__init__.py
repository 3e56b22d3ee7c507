"""hsidi-engine: rebuild the Hang Seng Innovative Drug Index and backtest ETF 520500.

Pipeline (each stage only moves forward)::

    data -> rules -> index -> fund -> analytics -> report

Quick use::

    import engine
    market = engine.data.default_market()          # SYNTHETIC default market
    idx = engine.build_index(market, "hsidi")       # launch rules, then the 2025-08 revision
    idx.levels.tail()
"""

__version__ = "0.1.0"

from engine import data, errors  # noqa: E402
from engine.pipeline import build_index  # noqa: E402

__all__ = ["__version__", "build_index", "data", "errors"]
