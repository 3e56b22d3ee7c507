"""Who bears the costs of creations and redemptions (``EtfConfig.creation_costs``), hand-worked.

Two stocks at constant prices, A 10 HKD and B 20 HKD, equal index shares (weights 1/3, 2/3),
fractional shares, fixing 1.0 CNY per HKD, no fees, no buffer, 15 bp per side (stamp duty 10 bp +
brokerage 5 bp).  The fund starts with 100,000 units at 1.000 on session 1; 50,000 units are created
on session 2 (invested on session 3) and 30,000 redeemed on session 4 (paid on session 5).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from support.cases import two_stock_fund_case
from support.markets import sessions

from engine.errors import FundConfigError
from engine.fund import EtfConfig, backtest
from engine.fund.config import PARTICIPANT_COST_KINDS

C = 0.0015  # cost rate per side
# the fixing 1.0 is chosen so that the CNY figures equal the hand-worked HKD ones
pytestmark = pytest.mark.filterwarnings("ignore:market 'fund-test'.*placeholder fixing")


def _case(payer: str, fx_spread: float = 0.0):
    dates = sessions(6)
    close = pd.DataFrame({"0001": 10.0, "0002": 20.0}, index=dates)
    market, idx = two_stock_fund_case(close)
    rates = dict(sfc_levy=0.0, afrc_levy=0.0, trading_fee=0.0, market_impact=0.0)
    cfg = EtfConfig(
        inception_date=dates[1],
        initial_units=1e5,
        creation_unit=1e4,
        use_board_lots=False,
        stamp_duty=0.001,
        brokerage=0.0005,
        fx_spread=fx_spread,
        creation_costs=payer,
        effects=("trading_costs", "flow_timing", "fx"),
        **rates,
    )
    flows = pd.Series([5e4, -3e4], index=[dates[2], dates[4]])
    return backtest(idx, market, cfg, flows=flows)


def test_participant_bears_creation_and_redemption_costs():
    res = _case("participant")
    nav = res.nav
    # every holder's NAV per unit stays exactly 1.000: nobody else's flow costs them anything
    np.testing.assert_allclose(nav["nav_per_unit_cny"], 1.0, rtol=1e-13)
    assert res.costs.to_numpy().sum() == 0.0
    pc = res.participant_costs
    assert list(pc.columns) == list(PARTICIPANT_COST_KINDS)
    by_day = pc.sum(axis=1)
    d = nav.index
    # inception: the seed participant pays 15 bp on 100,000 (stamp 100 + brokerage 50)
    assert by_day[d[0]] == pytest.approx(150.0, rel=1e-12)
    # 50,000 units at 1.000 -> 50,000 HKD invested on the next session: 75
    assert by_day[d[1]] == 0.0 and by_day[d[2]] == pytest.approx(75.0, rel=1e-12)
    # 30,000 units at 1.000 -> 30,000 HKD raised by selling 20 % of each holding: 45, withheld
    assert by_day[d[4]] == pytest.approx(45.0, rel=1e-12)
    assert pc["stamp_duty"].sum() == pytest.approx(180.0, rel=1e-12)
    assert pc["brokerage"].sum() == pytest.approx(90.0, rel=1e-12)
    assert res.cash.loc[d[4], "redemptions_paid_hkd"] == pytest.approx(30_000 - 45.0, rel=1e-12)
    assert res.cash["participant_costs_hkd"].sum() == pytest.approx(270.0, rel=1e-12)
    assert nav["units"].iloc[-1] == 120_000
    assert nav["nav_hkd"].iloc[-1] == pytest.approx(120_000.0, rel=1e-12)
    # each trade says which part of its costs a participant bore: here all of it
    tr = res.trades
    np.testing.assert_allclose(tr["participant_cost_hkd"], tr["cost_hkd"], rtol=1e-12)
    assert set(tr["reason"]) == {"inception", "creation", "redemption"}


def test_fund_bears_creation_and_redemption_costs():
    res = _case("fund")
    nav = res.nav["nav_per_unit_cny"].to_numpy()
    # inception: 100,000 HKD buys V0 = 100,000 / (1 + c) of stock, the rest is costs
    v0 = 1e5 / (1 + C)
    assert nav[0] == pytest.approx(v0 / 1e5, rel=1e-12)  # struck after the purchase costs
    assert res.costs.sum(axis=1).iloc[0] == pytest.approx(C * v0, rel=1e-9)
    # creation of 50,000 units at nav[1] = nav[0]; its cash buys cash_in / (1 + c) on session 3
    cash_in = 5e4 * nav[1]
    v1 = v0 + cash_in / (1 + C)
    assert nav[2] == pytest.approx(v1 / 1.5e5, rel=1e-12)
    assert res.costs.sum(axis=1).iloc[2] == pytest.approx(C * cash_in / (1 + C), rel=1e-9)
    # redemption of 30,000 at nav[3]: the fund sells need / (1 - c) to pay need after costs
    need = 3e4 * nav[3]
    v2 = v1 - need / (1 - C)
    assert nav[4] == pytest.approx(v2 / 1.2e5, rel=1e-12)
    assert res.cash["redemptions_paid_hkd"].iloc[4] == pytest.approx(need, rel=1e-12)
    assert res.participant_costs.to_numpy().sum() == 0.0
    assert (res.trades["participant_cost_hkd"] == 0.0).all()


def test_conversion_cost_follows_the_payer():
    # a 10 bp CNY<->HKD spread on every flow: the participant's under "participant"
    res = _case("participant", fx_spread=0.001)
    np.testing.assert_allclose(res.nav["nav_per_unit_cny"], 1.0, rtol=1e-13)
    fx_cost = res.participant_costs["fx"]
    d = res.nav.index
    assert fx_cost[d[0]] == pytest.approx(100.0) and fx_cost[d[1]] == pytest.approx(50.0)
    assert fx_cost[d[3]] == pytest.approx(30.0)
    fund = _case("fund", fx_spread=0.001)
    assert fund.costs["fx"].iloc[0] == pytest.approx(100.0)
    assert fund.participant_costs.to_numpy().sum() == 0.0


def test_unknown_payer_rejected():
    with pytest.raises(FundConfigError, match="creation_costs.*'issuer'"):
        EtfConfig(creation_costs="issuer")


def test_since_launch_return_holds_the_inception_cost():
    """Under "fund" the first NAV per unit is struck after the inception purchase, 1 / (1 + c), so
    the return from it leaves that cost out; the since-launch return starts from the subscription
    price 1.000 and is lower by it: 1 + R_launch = (1 + R_first) / (1 + c).  Under "participant"
    the first NAV per unit is the subscription price and the two agree."""
    fund = _case("fund").summary()
    # hand-worked path of test_fund_bears_creation_and_redemption_costs: prices constant
    v0 = 1e5 / (1 + C)
    nav0 = v0 / 1e5
    v1 = v0 + 5e4 * nav0 / (1 + C)
    v2 = v1 - 3e4 * (v1 / 1.5e5) / (1 - C)
    nav_end = v2 / 1.2e5
    assert fund["total_return"] == pytest.approx(nav_end / nav0 - 1, rel=1e-9)
    assert fund["since_launch_return"] == pytest.approx(nav_end / 1.0 - 1, rel=1e-9)
    assert 1 + fund["since_launch_return"] == pytest.approx(
        (1 + fund["total_return"]) / (1 + C), rel=1e-12
    )
    assert fund["since_launch_return"] < fund["total_return"]
    assert fund.unit("since_launch_return") == "%"
    note = fund.to_frame().set_index("metric").at["since_launch_return", "note"]
    assert "subscription price 1 CNY" in note
    part = _case("participant").summary()
    assert part["since_launch_return"] == pytest.approx(part["total_return"], abs=1e-13)
    assert part["total_return"] == pytest.approx(0.0, abs=1e-13)  # nobody else's flow costs them
