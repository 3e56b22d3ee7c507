"""Eligibility screens: one security per failure reason, order of screens, the liquidity window."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from support.markets import market_from_specs, sec
from support.methodologies import methodology

from engine.rules.screens import average_traded_value, screen, screen_frame

CUTOFF, CAP = pd.Timestamp("2025-06-30"), pd.Timestamp("2025-08-08")


@pytest.fixture(scope="module")
def market():
    return market_from_specs(
        [
            sec("0001", score=5.0),
            sec("0002", first="2025-07-02"),  # lists after the cut-off
            sec("0003", suspended=["2025-06-30"]),
            sec("0004", hsci=("2024-06-03", "2025-06-27")),  # left the HSCI before the cut-off
            sec("0005", southbound=False),
            sec("0006", is_cxo=True),
            sec("0007", industry="Healthcare Equipment"),
            sec("0008", score=None),  # no relevance score at all
            sec("0009", traded_value=12.3e6),
            sec("0010", is_cxo=True, southbound=False),  # fails two screens: the earlier one wins
            sec(
                "0011", scores=[("2024-06-03", 2.0), ("2025-07-15", 0.0)]
            ),  # score drops after cut-off
            sec(
                "0012", industry="Biotechnology", last="2025-08-07"
            ),  # delisted before the cap date
            sec("0013", first="2025-06-16", traded_value=30e6),  # short history, liquid
        ]
    )


def test_each_reason(market):
    f = screen_frame(market, methodology("hsidi-2025-08"), CUTOFF, CAP)
    expected = {
        "0001": "",
        "0002": "out: not listed",
        "0003": "out: suspended at cutoff",
        "0004": "out: not an HSCI member",
        "0005": "out: not Southbound eligible",
        "0006": "out: CXO excluded",
        "0007": "out: industry Healthcare Equipment not eligible",
        "0008": "out: relevance score 0",
        "0009": "out: liquidity HKD 12.3m < 20.0m",
        "0010": "out: not Southbound eligible",
        "0011": "",
        "0012": "out: not listed",
        "0013": "",
    }
    assert f["reason"].to_dict() == expected
    assert f["eligible"].to_dict() == {k: v == "" for k, v in expected.items()}
    assert f.loc["0001", "relevance"] == 5.0 and f.loc["0011", "relevance"] == 2.0
    # ffmc at the cut-off close: 10 x 1e9 x 0.5
    assert f.loc["0001", "ffmc_cutoff_hkd"] == pytest.approx(5e9)
    assert np.isnan(f.loc["0002", "ffmc_cutoff_hkd"])


def test_launch_rules_do_not_screen_cxo_southbound_industry_or_liquidity(market):
    f = screen_frame(market, methodology("hsidi-2023-05"), CUTOFF, CAP)
    for code in ("0005", "0006", "0007", "0009", "0010"):
        assert f.loc[code, "eligible"], code
    assert f.loc["0004", "reason"] == "out: not an HSCI member"


def test_switches_turn_screens_off(market):
    m = methodology("hsidi-2025-08", exclude_suspended_at_cutoff=False, require_hsci=False)
    f = screen_frame(market, m, CUTOFF, CAP)
    assert f.loc["0003", "eligible"] and f.loc["0004", "eligible"]
    f = screen_frame(market, methodology("hsidi-2025-08", min_relevance=1.5), CUTOFF, CAP)
    assert f.loc["0001", "eligible"]  # score 5 > 1.5
    assert f.loc["0013", "reason"] == "out: relevance score 1"
    assert f.loc["0011", "eligible"]  # score 2 > 1.5
    m2 = methodology("hsidi-2025-08", min_relevance=2.0)
    assert screen_frame(market, m2, CUTOFF, CAP).loc["0011", "reason"] == "out: relevance score 2"


def test_liquidity_uses_listed_sessions_only(market):
    # 0013 listed on 2025-06-16: 11 sessions up to 30 Jun, each HKD 30m -> mean 30m, eligible
    r = screen(market, methodology("hsidi-2025-08"), CUTOFF, CAP)
    j = market.col("0013")
    assert r.avg_traded_value_hkd[j] == pytest.approx(30e6)
    # 0003 was suspended on the cut-off day (traded value 0): mean over 126 sessions = 50m x 125/126
    assert r.avg_traded_value_hkd[market.col("0003")] == pytest.approx(50e6 * 125 / 126)
    assert np.isnan(r.avg_traded_value_hkd[market.col("0002")])


def test_average_traded_value_matches_a_pandas_oracle(market):
    tv = market.panel("traded_value")
    listed = market.panel("close").notna()
    for window in (1, 5, 126, 400):
        for cutoff in ("2024-06-03", "2024-12-31", "2025-06-30", "2025-09-30"):
            row = market.row(cutoff)
            got = average_traded_value(market, row, window)
            sl = slice(max(0, row - window + 1), row + 1)
            expected = tv.iloc[sl].where(listed.iloc[sl]).mean(axis=0)  # NaN rows skipped
            np.testing.assert_allclose(got, expected.to_numpy(), equal_nan=True)
