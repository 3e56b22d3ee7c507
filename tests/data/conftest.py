"""Fixtures for the data-stage tests: the four-security market of ``support.markets`` as tidy
tables and as a ``MarketData``."""

from __future__ import annotations

import pandas as pd
import pytest
from support.markets import market_from_tables, tiny_market_frames

from engine.data.market import MarketData


@pytest.fixture
def tiny_frames() -> dict[str, pd.DataFrame]:
    return tiny_market_frames()


@pytest.fixture
def tiny_market() -> MarketData:
    return market_from_tables(tiny_market_frames(), source="tiny")
