"""`fund_batch`: every variant equals a single `backtest` with the same settings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from support.cases import random_fund_case

from engine.errors import FundConfigError
from engine.fund import EtfConfig, _nb, backtest
from engine.fund.batch import FundBatch, fund_batch
from engine.fund.config import COST_KINDS, PARTICIPANT_COST_KINDS

VARIANTS = [
    {},
    {"management_fee": 0.008, "custody_fee": 0.0},
    {"cash_buffer": 0.0, "reinvest_threshold": 0.0},
    {"cash_buffer": 0.02, "stamp_duty": 0.0013, "market_impact": 0.001},
    {"use_board_lots": False},
    {"brokerage": 0.0, "fx_spread": 0.001, "flow_lag_sessions": 0},
    {"creation_costs": "fund", "sfc_levy": 0.0001},
    {"effects": ("fees", "trading_costs", "lot_rounding")},  # another group of shared inputs
    {"withholding": {"H": 0.2, "red_chip": 0.2, "p_chip": 0.0, "foreign": 0.0, "hk": 0.0}},
]


def _flows(market):
    rows = [5, 12, 30, 31, 40, 55, 60]
    return pd.Series([5e5, -3e5, 2e6, -1e6, 4e5, -8e6, 1e5], index=market.dates[rows])


@pytest.fixture(scope="module")
def case():
    market, idx = random_fund_case(7)
    config = EtfConfig(inception_date=market.dates[3], initial_units=2e7, creation_unit=1e5)
    return market, idx, config


def test_each_variant_equals_a_single_backtest(case, monkeypatch):
    market, idx, config = case
    flows = _flows(market)
    calls = []
    real = _nb.simulate_batch
    monkeypatch.setattr(
        _nb, "simulate_batch", lambda *a: (calls.append(a[2].shape[0]), real(*a))[1]
    )
    fb = fund_batch(idx, market, config, VARIANTS, flows=flows)
    assert isinstance(fb, FundBatch)
    # four groups of shared inputs (the base; lots off, other effects, other withholding, whose
    # lot table, fixing or rates differ): one compiled call each
    assert sorted(calls) == [1, 1, 1, len(VARIANTS) - 3]
    assert fb.nav_per_unit_cny.shape == (len(fb.dates), len(VARIANTS))
    assert list(fb.costs_cny.columns) == [f"{k}_cny" for k in COST_KINDS] + [
        f"participant_{k}_cny" for k in PARTICIPANT_COST_KINDS
    ]
    assert fb.errors == []
    seen = set()
    for i, v in enumerate(VARIANTS):
        one = backtest(idx, market, config.replace(**v), flows=flows)
        nav = one.nav["nav_per_unit_cny"].to_numpy()
        np.testing.assert_allclose(fb.nav_per_unit_cny[:, i], nav, rtol=1e-10, atol=0)
        assert fb.total_return[i] == pytest.approx(nav[-1] / nav[0] - 1, rel=1e-10, abs=1e-14)
        got = fb.costs_cny.iloc[i].to_numpy()
        np.testing.assert_allclose(
            got[: len(COST_KINDS)], one.costs.sum().to_numpy(), rtol=1e-10, atol=1e-9
        )
        np.testing.assert_allclose(
            got[len(COST_KINDS) :], one.participant_costs.sum().to_numpy(), rtol=1e-10, atol=1e-9
        )
        seen.add(round(float(nav[-1]), 12))
    assert len(seen) == len(VARIANTS)  # every variant changes the result
    frame = fb.to_frame()
    assert len(frame) == len(VARIANTS) and "total_return" in frame


def test_bad_variant_is_reported_not_raised(case):
    market, idx, config = case
    fb = fund_batch(idx, market, config, [{}, {"management_fee": -1.0}], keep_nav=False)
    assert fb.nav_per_unit_cny is None
    assert [i for i, _ in fb.errors] == [1]
    assert "management_fee" in fb.errors[0][1]
    assert np.isnan(fb.total_return[1]) and np.isfinite(fb.total_return[0])
    with pytest.raises(FundConfigError, match="unknown fund setting.*field=no_such"):
        fund_batch(idx, market, config, [{"no_such": 1}])
