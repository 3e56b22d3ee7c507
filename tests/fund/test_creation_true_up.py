"""``EtfConfig.creation_true_up``: the creating participant bears the price move over the flow lag.

Hand-worked: two stocks, A 10 HKD and B 20 HKD, equal index shares, both up 10 % on session 3;
fractional shares, no costs, no buffer, fixing 1.0.  100,000 units at 1.000 from session 1; 50,000
units created on session 2 at NAV 1.000 (50,000 HKD of cash), invested on session 3 (lag 1).

* Off: on session 3 the stocks are worth 110,000 and the cash 50,000: NAV per unit
  160,000 / 150,000 = 1.0667 against the index's 1.10 (the old holders lent the new ones the rise).
* On: the participant pays 50,000 x (1.1 - 1) = 5,000 more: 165,000 / 150,000 = 1.100, the index.
"""

from __future__ import annotations

import pandas as pd
import pytest
from support.cases import two_stock_fund_case
from support.markets import sessions

from engine.fund import EtfConfig, backtest

pytestmark = pytest.mark.filterwarnings("ignore:market 'fund-test'.*placeholder fixing")


def _case(true_up: bool, lag: int = 1):
    dates = sessions(6)
    close = pd.DataFrame({"0001": 10.0, "0002": 20.0}, index=dates)
    close.iloc[3:] *= 1.1
    market, idx = two_stock_fund_case(close)
    cfg = EtfConfig(
        inception_date=dates[1],
        initial_units=1e5,
        creation_unit=1e4,
        use_board_lots=False,
        flow_lag_sessions=lag,
        creation_true_up=true_up,
        effects=("flow_timing", "fx"),
    )
    return backtest(idx, market, cfg, flows=pd.Series([5e4], index=[dates[2]]))


def test_without_true_up_the_fund_bears_the_rise_over_the_lag():
    nav = _case(False).nav
    # the run starts at inception (session 1): row 2 is session 3
    assert nav["nav_per_unit_cny"].iloc[2] == pytest.approx(160_000 / 150_000, rel=1e-12)


def test_true_up_charges_the_participant_the_rise():
    res = _case(True)
    nav = res.nav
    assert nav["nav_per_unit_cny"].iloc[2] == pytest.approx(1.1, rel=1e-12)
    assert nav["nav_per_unit_cny"].iloc[-1] == pytest.approx(1.1, rel=1e-12)
    # the 5,000 HKD true-up arrives with the investment, on top of the 50,000 paid at issue
    subs = res.cash["subscriptions_hkd"]
    assert subs.iloc[1] == pytest.approx(50_000, rel=1e-12)
    assert subs.iloc[2] == pytest.approx(5_000, rel=1e-12)
    assert nav["nav_hkd"].iloc[2] == pytest.approx(165_000, rel=1e-12)


def test_true_up_is_nothing_without_a_lag():
    a, b = _case(False, lag=0).nav, _case(True, lag=0).nav
    pd.testing.assert_series_equal(a["nav_per_unit_cny"], b["nav_per_unit_cny"])
    assert a["nav_per_unit_cny"].iloc[-1] == pytest.approx(1.1, rel=1e-12)


def test_true_up_default_is_off_and_marked_an_assumption():
    from engine.report.tracking import settings_table

    cfg = EtfConfig.default()
    assert cfg.creation_true_up is False
    row = settings_table(cfg).set_index("setting").loc["creation_true_up"]
    assert row["status"] == "ASSUMPTION"
