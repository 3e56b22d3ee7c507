"""Trade allocation routines of the kernel: a hand-worked review and a pure-Python oracle."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.oracles import oracle_execute

from engine.enums import COST_TRADING0, TRADE_CREATION, TRADE_FEE, TRADE_REVIEW
from engine.fund import _nb, trading_nb
from engine.prepare import ACTION_DT

# trade_rates order: stamp, sfc, afrc, trading_fee, brokerage, impact
RATES = np.array([0.001, 0.0, 0.0, 0.0, 0.0005, 0.0])  # 15 bp per side: 10 stamp + 5 brokerage


def _fund(h, price, lot, rates=RATES, cash=0.0, q=None, buffer=0.0):
    """A one-session fund record (:func:`engine.fund._nb.open_fund`) holding ``h`` shares and
    ``cash`` at ``price``, lots ``lot`` in use, index shares ``q`` and a 16-trade buffer."""
    n = len(h)
    arrays = _nb.FundArrays(
        close=np.array([price], float),
        lot_raw=np.array(lot, float),
        wht=np.zeros(n),
        days_elapsed=np.zeros(1),
        pay_fee_days=np.zeros(1, dtype=bool),
        target_q=np.array([np.zeros(n) if q is None else q], float),
        rev_rows=np.zeros(0, dtype=np.int64),
        rev_q=np.zeros((0, n)),
        actions=_nb.records(0, ACTION_DT),
        flow_units=np.zeros(1),
    )
    params = _nb.records(1, _nb.PARAMS_DT)
    params["use_lots"], params["cash_buffer"] = True, buffer
    books = _nb.books(1, n, 16, 0)
    books.state["cash_hkd"] = cash
    f = _nb.open_fund(arrays, params, np.asarray(rates, float), books)
    f.h[:] = h
    return f


def _trades(f):
    return f.trades[: f.state[0]["n_trades"]]


def _review(h, cash, buffer, q_new, price, lot, rates=RATES):
    f = _fund(h, price, lot, rates, cash, buffer=buffer)
    trading_nb.rebalance(f, 0, np.array(q_new, float))
    return f.h, f.state[0]["cash_hkd"], f.costs[0], _trades(f)


def test_hand_worked_review_with_lots_and_costs():
    # Two stocks: A at 10.00 HKD (lot 100), B at 4.00 HKD (lot 500).
    # Before: A 1000 sh (10,000), B 5000 sh (20,000), cash 1,000 -> NAV 31,000.  Buffer 1 %.
    # New index shares q' = (2000, 2500): caps 20,000 and 10,000, weights 2/3 and 1/3.
    # Target value 0.99 * 31,000 = 30,690: A 20,460 -> 2046 sh (+1046), B 10,230 -> 2557.5 sh (-2442.5).
    # Sell B rounded to lots: 2442.5 / 500 = 4.885 -> 5 lots = 2500 sh, value 10,000,
    #   costs 10 stamp + 5 brokerage = 15 -> cash 1,000 + 10,000 - 15 = 10,985.
    # Buy A: 1046 sh * 10 = 10,460, with costs 10,475.69 <= 10,985 so no scaling; lots -> 1000 sh,
    #   value 10,000, costs 10 + 5 = 15 -> cash 10,985 - 10,015 = 970.
    h, cash, costs, trades = _review(
        [1000, 5000], 1000.0, 0.01, [2000, 2500], [10.0, 4.0], [100, 500]
    )
    np.testing.assert_allclose(h, [2000, 2500])
    assert cash == pytest.approx(970.0, abs=1e-9)
    assert costs[COST_TRADING0 + 0] == pytest.approx(20.0)  # stamp duty 10 + 10
    assert costs[COST_TRADING0 + 4] == pytest.approx(10.0)  # brokerage 5 + 5
    # the sell comes first
    assert list(trades["side"]) == [-1, 1]
    assert list(trades["col"]) == [1, 0]
    assert trades[0]["cash_after_hkd"] == pytest.approx(10_985.0)  # cash after the sell


def test_hand_worked_review_buys_scaled_to_cash():
    # Same stocks, no cash, no buffer: NAV 30,000; targets A 20,000 (+1000 sh), B 10,000 (-2500 sh).
    # Sell 2500 B = 10,000 - 15 costs -> cash 9,985.  Buys 10,000 * 1.0015 = 10,015 > 9,985, so the
    # buys are scaled by s = 9,985 / 10,015: 1000 s = 997.0045 sh -> rounded down to 900 sh (9 lots).
    # Cash 9,985 - 9,000 - 13.5 = 971.5.
    h, cash, _, _ = _review([1000, 5000], 0.0, 0.0, [2000, 2500], [10.0, 4.0], [100, 500])
    np.testing.assert_allclose(h, [1900, 2500])
    assert cash == pytest.approx(971.5, abs=1e-9)
    # fractional shares: the scaled buy is exact and the cash is spent to the cent
    h, cash, _, _ = _review([1000, 5000], 0.0, 0.0, [2000, 2500], [10.0, 4.0], [0, 0])
    assert h[0] == pytest.approx(1000 + 1000 * 9_985 / 10_015)
    assert cash == pytest.approx(0.0, abs=1e-8)


def test_full_exit_sells_odd_lots():
    # B leaves the index: its 1,234 shares (not a whole number of 500-lots) are all sold.
    h, cash, _, trades = _review(
        [1000, 1234], 0.0, 0.0, [2000, 0.0], [10.0, 4.0], [100, 500], rates=np.zeros(6)
    )
    assert h[1] == 0.0
    # proceeds 4,936 buy A: 493.6 sh -> 400 sh (lots of 100); cash 4,936 - 4,000 = 936
    assert h[0] == 1400.0 and cash == pytest.approx(936.0)
    assert trades[0]["side"] == -1


# ---------------------------------------------------------------------------- oracle
@st.composite
def trade_case(draw):
    n = draw(st.integers(1, 6))
    lots = draw(st.lists(st.sampled_from([0, 100, 200, 500, 1000]), min_size=n, max_size=n))
    price = draw(st.lists(st.floats(0.5, 200.0), min_size=n, max_size=n))
    h = [draw(st.integers(0, 50)) * (lt or 1) * 10.0 for lt in lots]
    delta = []
    for i in range(n):
        kind = draw(st.sampled_from(["sell_all", "sell", "buy", "none"]))
        if kind == "sell_all":
            delta.append(-h[i])
        elif kind == "sell":
            frac = draw(st.floats(0.0, 1.0))
            d = h[i] * frac
            delta.append(-(math.floor(d / lots[i]) * lots[i]) if lots[i] else -d)
        elif kind == "buy":
            delta.append(draw(st.floats(1.0, 1e5)))
        else:
            delta.append(0.0)
    cash = draw(st.floats(0.0, 1e6))
    rates = [draw(st.sampled_from([0.0, 0.001, 0.00005])) for _ in range(6)]
    return h, cash, delta, price, lots, rates


@settings(max_examples=60, deadline=None)
@given(trade_case())
def test_execute_matches_oracle(case):
    h, cash, delta, price, lots, rates = case
    f = _fund(h, price, lots, rates, cash)
    trading_nb.execute(f, 0, np.array(delta, float), f.close[0], TRADE_REVIEW, 0.0)
    hk, cash_k, trades, costs, pcosts = f.h, f.state[0]["cash_hkd"], _trades(f), f.costs, f.pcosts
    ho, cash_o, costs_o, log = oracle_execute(h, cash, delta, price, lots, rates)
    np.testing.assert_allclose(hk, ho, rtol=1e-12, atol=1e-9)
    assert cash_k == pytest.approx(cash_o, rel=1e-12, abs=1e-7)
    np.testing.assert_allclose(costs[0, 2:8], costs_o, rtol=1e-12, atol=1e-9)
    assert list(trades["col"]) == [i for i, _ in log]
    np.testing.assert_allclose(trades["side"] * trades["shares"], [sh for _, sh in log], rtol=1e-12)
    # invariants: cash never negative after any trade, sells before buys, lots whole where they were
    assert cash_k >= -1e-7 and (trades["cash_after_hkd"] >= -1e-7).all()
    assert (pcosts == 0).all()  # no participant share: every cost is the fund's
    sides = list(trades["side"])
    assert sides == sorted(sides)
    for i, lt in enumerate(lots):
        if lt:
            assert hk[i] % lt == pytest.approx(0.0, abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(
    h=st.lists(st.integers(0, 100), min_size=2, max_size=5),
    need=st.floats(1.0, 1e5),
    lots=st.sampled_from([0.0, 100.0]),
)
def test_raise_cash_covers_need(h, need, lots):
    n = len(h)
    hk = np.array(h, float) * (lots or 1.0)
    price = np.linspace(3.0, 30.0, n)
    f = _fund(hk, price, np.full(n, lots))
    value = float(hk @ price)
    trading_nb.raise_cash(f, 0, need, price, TRADE_FEE, 0.0)
    hk, cash, trades = f.h, f.state[0]["cash_hkd"], _trades(f)
    if value * (1 - RATES.sum()) >= need:
        assert cash >= need - 1e-6  # proceeds after costs cover the need
        if lots == 0.0:
            assert cash == pytest.approx(need)  # fractional: exactly the need
            # the same fraction of every holding is sold
            before = np.array(h, float)
            f = 1 - hk[before > 0] / before[before > 0]
            assert np.allclose(f, f[0])
    else:
        assert hk.sum() == 0.0  # everything sold
    assert (trades["side"] == -1).all()


def test_invest_pro_rata_when_proportional_and_fills_gaps_otherwise():
    price = np.array([10.0, 20.0, 5.0])
    q = np.array([100.0, 50.0, 400.0])  # caps 1000, 1000, 2000 -> weights 1/4, 1/4, 1/2
    f = _fund(q * 3.0, price, np.zeros(3), np.zeros(6), 4000.0, q)  # proportional: value 12,000
    trading_nb.invest(f, 0, 4000.0, TRADE_CREATION, 0.0)
    np.testing.assert_allclose(f.h, q * 4.0)  # +1/3 of every holding
    assert f.state[0]["cash_hkd"] == pytest.approx(0.0, abs=1e-9)
    # A is overweight (value 3000 of 4000 with weight 1/4): 1000 HKD goes only to B and C,
    # in proportion to their gaps (5000*1/4 - 500 = 750, 5000*1/2 - 500 = 2000) -> 272.7 and 727.3
    f = _fund([300.0, 25.0, 100.0], price, np.zeros(3), np.zeros(6), 1000.0, q)
    trading_nb.invest(f, 0, 1000.0, TRADE_CREATION, 0.0)
    h = f.h
    assert h[0] == 300.0
    assert h[1] * 20 - 500 == pytest.approx(1000 * 750 / 2750)
    assert h[2] * 5 - 500 == pytest.approx(1000 * 2000 / 2750)
