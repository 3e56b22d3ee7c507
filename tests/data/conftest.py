"""Fixtures for the data-stage tests (helpers live in dataio_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import dataio_helpers
import pandas as pd
import pytest
from dataio_helpers import build, make_tiny_frames

from engine.data.market import MarketData


@pytest.fixture
def tiny_frames() -> dict[str, pd.DataFrame]:
    return make_tiny_frames()


@pytest.fixture
def tiny_market() -> MarketData:
    return build(make_tiny_frames(), source="tiny")


@pytest.fixture
def real_data() -> Path:
    root = dataio_helpers.REAL_DATA
    if not root.is_dir():
        pytest.skip(f"real data folder {root} absent")
    return root
