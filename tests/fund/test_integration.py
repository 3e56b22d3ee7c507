"""End to end on the embedded default market: data -> rules -> index -> fund."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.fund import EFFECTS, EtfConfig, backtest


@pytest.fixture(scope="module")
def default_run():
    from engine import build_index
    from engine.data import default_market

    market = default_market()
    idx = build_index(market, "hsidi")
    return market, idx


def test_default_fund_reproduces_public_unit_counts(default_run):
    market, idx = default_run
    res = backtest(idx, market)
    assert res.synthetic
    units = res.nav["units"]
    assert res.nav.index[0] == pd.Timestamp("2024-12-27")
    assert units.iloc[0] == 122_000_000
    for date, expected in (("2025-08-06", 555e6), ("2025-08-27", 710e6), ("2025-10-30", 974e6)):
        assert abs(units.loc[date] - expected) <= res.config.creation_unit
    # a realistic fund: small leftover cash, whole lots, tracking difference of a few percent
    s = res.summary()
    assert 0 <= s["leftover_cash_weight"] < 0.02
    assert -0.15 < s["tracking_difference"] < 0.02
    assert (res.nav["cash_hkd"] >= -1e-6).all()
    assert (res.costs.to_numpy() >= 0).all()
    w = res.weights()
    assert w["difference"].abs().max() < 0.01


def test_default_ideal_equals_gross(default_run):
    market, idx = default_run
    res = backtest(idx, market, EtfConfig.default().with_effects(()))
    nav = res.nav["nav_per_unit_cny"]
    g = idx.levels["gross"].reindex(nav.index)
    assert np.abs((nav / nav.iloc[0]) / (g / g.iloc[0]) - 1).max() < 1e-10
    assert res.nav["units"].iloc[-1] > 900e6  # with the default flows


def test_default_waterfall_each_effect_costs_or_moves(default_run):
    market, idx = default_run
    ends = [
        backtest(idx, market, EtfConfig.default().with_effects(EFFECTS[:k]))
        .nav["nav_per_unit_cny"]
        .iloc[-1]
        for k in (2, 3, 5)
    ]
    # fees and trading costs only ever take money away
    assert ends[1] < ends[0]
    assert ends[2] < ends[1]
