"""Warnings a market carries (approximations, plausibility findings) reach every result built on it."""

from __future__ import annotations

import dataclasses

import engine
from engine.data import default_market
from engine.fund import EtfConfig, backtest, default_flows


def test_market_warnings_reach_index_and_fund_results_and_their_summaries():
    base = default_market()
    note = "shares approximated by traded value (test)"
    market = dataclasses.replace(base, warnings=(note,))
    assert market.fingerprint() == base.fingerprint()
    index = engine.build_index(market, "hsidi")
    assert index.warnings == (note,)
    s = index.summary()
    assert s["warnings"] == 1 and note in s.to_frame().set_index("metric").loc["warnings", "note"]
    config = EtfConfig.default()
    fund = backtest(index, market, config, flows=default_flows(market, config))
    assert fund.warnings == (note,)
    assert fund.summary()["warnings"] == 1
    clean = engine.build_index(base, "hsidi")
    assert clean.warnings == () and "warnings" not in clean.summary()
