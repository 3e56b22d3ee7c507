"""Default unit path (public anchors) and validation of user flows."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import pytest
from support.markets import fund_market

from engine.data.calendar import hkex_sessions
from engine.errors import FlowError, FundConfigError
from engine.fund import UNIT_ANCHORS, EtfConfig, check_flows, default_flows


@lru_cache(maxsize=2)
def market_2025(end: str = "2025-12-31"):
    dates = hkex_sessions("2024-12-02", end)
    close = pd.DataFrame({"0001": np.linspace(10, 12, len(dates)), "0002": 5.0}, index=dates)
    return fund_market(close)


def test_default_flows_hit_public_unit_counts():
    cfg = EtfConfig.default()
    flows = default_flows(market_2025(), cfg)
    assert flows.index[0] == pd.Timestamp("2024-12-27")  # inception session
    assert flows.iloc[0] == 0.0
    units = cfg.initial_units + flows.cumsum()
    # the public anchors: 555m on 2025-08-06 [S3], 710m on 2025-08-27 [S17], 974m on 2025-10-30 [S16]
    for date, expected in (("2025-08-06", 555e6), ("2025-08-27", 710e6), ("2025-10-30", 974e6)):
        assert abs(units.loc[date] - expected) <= cfg.creation_unit
    # whole creation units, never more units than the last public count (1.274bn on 2026-01-26)
    np.testing.assert_allclose(np.mod(flows.to_numpy(), cfg.creation_unit), 0.0, atol=1e-6)
    assert units.max() <= 1_274_000_000.0
    # PCHIP through increasing anchors is monotone: no redemptions on the default path
    assert (flows >= 0).all()
    # units at the end lie between the last two anchors (the curve heads for the Jan-2026 count)
    assert 974e6 < units.iloc[-1] < 1_274e6


def test_default_flows_respect_creation_unit_and_stop_at_market_end():
    cfg = EtfConfig(creation_unit=5_000_000)
    flows = default_flows(market_2025("2025-09-30"), cfg)
    assert flows.index[-1] == pd.Timestamp("2025-09-30")
    units = cfg.initial_units + flows.cumsum()
    assert abs(units.loc["2025-08-27"] - 710e6) <= cfg.creation_unit
    assert np.allclose(np.mod(flows, 5_000_000), 0.0)


def test_default_flows_after_last_anchor_are_zero():
    dates = hkex_sessions("2026-02-02", "2026-03-31")
    market = fund_market(pd.DataFrame({"0001": 10.0}, index=dates))
    flows = default_flows(market, EtfConfig(inception_date="2026-02-02"))
    assert (flows == 0).all() and len(flows) == len(dates)


def test_anchor_table_sources():
    assert [src for *_, src in UNIT_ANCHORS] == ["S3", "S17", "S16", "S18"]


def test_check_flows_aligns_on_sessions():
    market = market_2025()
    flows = pd.Series([2e6, -1e6], index=pd.to_datetime(["2025-01-02", "2025-03-03"]))
    out = check_flows(flows, market, EtfConfig.default())
    dates = market.dates[market.dates >= "2024-12-27"]
    assert len(out) == len(dates)
    assert out[dates.get_loc(pd.Timestamp("2025-01-02"))] == 2e6
    assert out[dates.get_loc(pd.Timestamp("2025-03-03"))] == -1e6
    assert out.sum() == 1e6


def test_over_redemption_names_date_and_units():
    cfg = EtfConfig(initial_units=3_000_000, creation_unit=1_000_000)
    flows = pd.Series(
        [1e6, -2e6, -3e6], index=pd.to_datetime(["2025-01-02", "2025-01-03", "2025-01-06"])
    )
    with pytest.raises(
        FlowError,
        match=r"exceeds the units outstanding.*date=2025-01-06.*value=-3000000.0.*"
        r"units_before=2000000.0",
    ):
        check_flows(flows, market_2025(), cfg)


@pytest.mark.parametrize(
    "index, values, pattern",
    [
        (["2025-01-04"], [1e6], r"not a session of the market.*date=2025-01-04"),  # a Saturday
        (["2024-12-03"], [1e6], r"before the fund's inception.*date=2024-12-03"),
        (["2026-03-02"], [1e6], r"not a session of the market.*date=2026-03-02"),  # after the end
        (["2025-01-02"], [np.nan], r"NaN.*date=2025-01-02"),
        (["2025-01-02", "2025-01-02"], [1e6, 1e6], r"duplicated flow date.*date=2025-01-02"),
        (["2025-01-02 15:00"], [1e6], r"time zone or a time of day"),
        (["2025-01-02"], ["many"], r"not a number.*value='many'"),
    ],
)
def test_bad_flows(index, values, pattern):
    flows = pd.Series(values, index=pd.to_datetime(index))
    with pytest.raises(FlowError, match=pattern):
        check_flows(flows, market_2025(), EtfConfig.default())


def test_tz_aware_flow_dates_are_refused():
    flows = pd.Series([1e6], index=pd.DatetimeIndex(["2025-01-02"]).tz_localize("Asia/Hong_Kong"))
    with pytest.raises(FlowError, match=r"time zone"):
        check_flows(flows, market_2025(), EtfConfig.default())


def test_inception_after_market_end():
    with pytest.raises(FundConfigError, match="after the last market session"):
        default_flows(market_2025(), EtfConfig(inception_date="2027-01-04"))
