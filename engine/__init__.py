"""hsidi-engine: rebuild the Hang Seng Innovative Drug Index and backtest ETF 520500.

Pipeline (each stage only moves forward)::

    data -> rules -> index -> fund -> analytics -> report

Quick use::

    import engine
    market = engine.data.default_market()          # SYNTHETIC default market
    idx = engine.build_index(market, "hsidi")       # launch rules, then the 2025-08 revision
    idx.levels.tail()

The stages load on first use (``engine.fund``, ``engine.report``, ...), so ``import engine`` is quick.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_STAGES = ("data", "rules", "index", "fund", "analytics", "report", "errors", "pipeline")
_NAMES = {"build_index": "engine.pipeline", "onboard": "engine.pipeline"}

__all__ = ["__version__", "build_index", "onboard", *_STAGES]


def __getattr__(name: str):
    """Load a stage (``engine.fund``) or an entry point (``engine.build_index``) on first use."""
    if name in _STAGES:
        return importlib.import_module(f"engine.{name}")
    if name in _NAMES:
        value = getattr(importlib.import_module(_NAMES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'engine' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
