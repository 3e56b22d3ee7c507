"""The default inception assumption against the public 520500 price file (skipped without the data)."""

from __future__ import annotations

import pandas as pd
import pytest

from engine.fund import EtfConfig

pytestmark = pytest.mark.realdata


def test_default_inception_is_first_traded_day(real_data):
    path = real_data / "etf_prices" / "chenkx612_Multifactor-ETF-Strategy" / "520500.csv"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    prices = pd.read_csv(path, usecols=["datetime", "close"], parse_dates=["datetime"])
    cfg = EtfConfig.default()
    assert prices["datetime"].iloc[0] == cfg.inception_date
    # the market price starts near the assumed initial NAV of 1.0 (a secondary-market price, not NAV)
    assert abs(prices["close"].iloc[0] / cfg.initial_nav_cny - 1) < 0.03
