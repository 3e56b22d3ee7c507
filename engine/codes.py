"""Deprecated alias of :mod:`engine.enums` (the integer codes and their labels), kept for one release.

Renamed so that it does not read like ``MarketData.codes`` (a market's security codes); import from
:mod:`engine.enums` instead.
"""

from __future__ import annotations

import warnings

from engine import enums as _enums

warnings.warn(
    "engine.codes is deprecated: import from engine.enums (engine.codes goes in the next release)",
    DeprecationWarning,
    stacklevel=2,
)
globals().update({k: v for k, v in vars(_enums).items() if not k.startswith("_")})
