"""Implausible inputs are errors with a named threshold: near-total redemptions, absurd creations,
and a fund backtested on another market than its index's."""

from __future__ import annotations

import pandas as pd
import pytest
from support.cases import random_fund_case

from engine.errors import DataError, FlowError, FundConfigError
from engine.fund import EtfConfig, backtest, check_flows
from engine.fund.batch import fund_batch


def _cfg(market, **kw):
    return EtfConfig(inception_date=market.dates[3], initial_units=2e7, creation_unit=1e5, **kw)


def test_redeeming_all_but_a_few_units_is_rejected():
    market, idx = random_fund_case(1)
    cfg = _cfg(market)
    flows = pd.Series([-(2e7 - 10.0)], index=[market.dates[20]])
    with pytest.raises(
        FlowError,
        match=r"implausible redemption: more than 90%.*date=.*units_before=20000000.0.*"
        r"raise EtfConfig.max_redemption_fraction",
    ):
        check_flows(flows, market, cfg)
    with pytest.raises(FlowError, match="implausible redemption"):
        backtest(idx, market, cfg, flows=flows)
    # 90 % in one session is still accepted; a deliberate near-liquidation with the limit raised
    check_flows(pd.Series([-1.8e7], index=[market.dates[20]]), market, cfg)
    res = backtest(idx, market, cfg.replace(max_redemption_fraction=1.0), flows=flows)
    assert res.nav["units"].iloc[-1] == 10.0


def test_absurd_creation_is_rejected():
    market, _ = random_fund_case(1)
    cfg = _cfg(market)
    flows = pd.Series([5e5, 3e9], index=market.dates[[10, 20]])
    with pytest.raises(FlowError, match=r"implausible creation: more than 10 times.*max_creation"):
        check_flows(flows, market, cfg)
    out = check_flows(flows, market, cfg.replace(max_creation_multiple=1000.0))
    assert out.sum() == 5e5 + 3e9


def test_thresholds_validated():
    with pytest.raises(FundConfigError, match="max_redemption_fraction"):
        EtfConfig(max_redemption_fraction=1.5)
    with pytest.raises(FundConfigError, match="max_creation_multiple"):
        EtfConfig(max_creation_multiple=0.0)


def test_fund_on_another_market_than_its_index_is_rejected():
    market, idx = random_fund_case(1)
    other, _ = random_fund_case(2)
    cfg = _cfg(market)
    none = pd.Series(dtype=float)
    fp_index, fp_market = idx.meta["data_fingerprint"], other.fingerprint()
    assert fp_index != fp_market
    with pytest.raises(DataError, match=rf"different market.*{fp_index} != market {fp_market}"):
        backtest(idx, other, cfg, flows=none)
    with pytest.raises(DataError, match="different market"):
        fund_batch(idx, other, cfg, [{}], flows=none)
    # the explicit override runs it
    res = backtest(idx, other, cfg, flows=none, allow_other_market=True)
    assert res.meta["data_fingerprint"] == fp_market
    backtest(idx, market, cfg, flows=none)  # the index's own market passes
