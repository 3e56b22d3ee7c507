"""The report tests reuse the hand-made fakes of tests/analytics."""

from __future__ import annotations

import sys
from pathlib import Path

_ANALYTICS = str(Path(__file__).resolve().parents[1] / "analytics")
if _ANALYTICS not in sys.path:
    sys.path.insert(0, _ANALYTICS)
