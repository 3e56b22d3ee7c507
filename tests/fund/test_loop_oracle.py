"""A plain-Python statement of the daily loop (no corporate actions) compared with the kernel."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_kernel import oracle_execute

from engine.codes import N_COSTS, PAYER_FUND
from engine.fund import _nb


def oracle_invest(h, cash, amount, q, price, lot, rates):
    basket = sum(hi * p for hi, qi, p in zip(h, q, price, strict=True) if qi > 0)
    cap = sum(qi * p for qi, p in zip(q, price, strict=True) if qi > 0)
    gaps = [
        max(0.0, (basket + amount) * qi * p / cap - hi * p) if qi > 0 else 0.0
        for hi, qi, p in zip(h, q, price, strict=True)
    ]
    total = sum(gaps)
    if amount <= 0 or total <= 0:
        return h, cash, [0.0] * 6
    scale = min(1.0, amount / total)
    delta = [g * scale / p for g, p in zip(gaps, price, strict=True)]
    h, cash, costs, _ = oracle_execute(h, cash, delta, price, lot, rates)
    return h, cash, costs


def oracle_raise(h, cash, need, price, lot, rates):
    value = sum(hi * p for hi, p in zip(h, price, strict=True))
    if need <= 0 or value <= 0:
        return h, cash, [0.0] * 6
    f = min(1.0, need / (value * (1 - sum(rates))))
    delta = []
    for hi, lt in zip(h, lot, strict=True):
        sh = hi * f
        if lt > 0:
            sh = math.ceil(sh / lt - 1e-9) * lt
        delta.append(-min(sh, hi))
    h, cash, costs, _ = oracle_execute(h, cash, delta, price, lot, rates)
    return h, cash, costs


def oracle_review(h, cash, nav, buffer, q, price, lot, rates):
    cap = sum(qi * p for qi, p in zip(q, price, strict=True) if qi > 0)
    delta = []
    for hi, qi, lt in zip(h, q, lot, strict=True):
        target = (1 - buffer) * nav * qi / cap if qi > 0 else 0.0
        d = target - hi
        if target <= 0:
            d = -hi
        elif d < 0 and lt > 0:
            d = -min(math.floor(-d / lt + 0.5) * lt, hi)
        delta.append(d)
    h, cash, costs, _ = oracle_execute(h, cash, delta, price, lot, rates)
    return h, cash, costs


def oracle_loop(
    close,
    lot,
    rates,
    fee_rates,
    days,
    pay_fees,
    buffer,
    init_hkd,
    init_units,
    target_q,
    reviews,
    flows,
    lag,
    sweep,
):
    """Order of a session: fees accrue on the close NAV, review trades, units issued/cancelled at
    NAV/unit, redemptions due are paid, creation cash due (or idle cash above the sweep level) is
    invested, fees are paid on month ends and the last day."""
    T, n = close.shape
    h, cash, accrued, payable, units, not_due = [0.0] * n, 0.0, 0.0, 0.0, 0.0, 0.0
    pend_in, pend_out = [0.0] * (T + lag + 1), [0.0] * (T + lag + 1)
    out, trade_costs = [], 0.0

    def value():
        return sum(hi * p for hi, p in zip(h, close[t], strict=True))

    for t in range(T):
        price = list(close[t])
        if t == 0:
            units, cash = init_units, init_hkd
            h, cash, c = oracle_invest(h, cash, cash * (1 - buffer), target_q[0], price, lot, rates)
            trade_costs += sum(c)
        nav = value() + cash - accrued - payable
        accrued += sum(nav * f * days[t] / 365 for f in fee_rates)
        if t in reviews:
            nav = value() + cash - accrued - payable
            h, cash, c = oracle_review(h, cash, nav, buffer, reviews[t], price, lot, rates)
            trade_costs += sum(c)
        nav = value() + cash - accrued - payable
        u = flows[t]
        if u > 0:
            cash += u * nav / units
            pend_in[t + lag] += u * nav / units
            not_due += u * nav / units
        elif u < 0:
            payable += -u * nav / units
            pend_out[t + lag] += -u * nav / units
        units += u
        due_out = pend_out[t] + (sum(pend_out[t + 1 :]) if t == T - 1 else 0.0)
        if due_out > 0:
            if cash < due_out:
                h, cash, c = oracle_raise(h, cash, due_out - cash, price, lot, rates)
                trade_costs += sum(c)
            cash -= due_out
            payable -= due_out
        not_due = max(0.0, not_due - pend_in[t])
        nav = value() + cash - accrued - payable
        amount = cash - accrued - payable - buffer * nav - not_due
        if amount > 1e-9 * abs(nav) and (pend_in[t] > 0 or amount > sweep * nav):
            h, cash, c = oracle_invest(h, cash, amount, target_q[t], price, lot, rates)
            trade_costs += sum(c)
        if (pay_fees[t] or t == T - 1) and accrued > 0:
            if cash < accrued:
                h, cash, c = oracle_raise(h, cash, accrued - cash, price, lot, rates)
                trade_costs += sum(c)
            cash -= accrued
            accrued = 0.0
        out.append((list(h), cash, units, value() + cash - accrued - payable))
    return out, trade_costs


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("lots_on", [True, False])
def test_kernel_matches_plain_python_loop(seed, lots_on):
    rng = np.random.default_rng(seed)
    T, n = 45, 4
    close = np.round(
        rng.uniform(5, 50, n) * np.exp(np.cumsum(rng.normal(0, 0.02, (T, n)), axis=0)), 3
    )
    lot = np.array([100.0, 500.0, 200.0, 1000.0]) if lots_on else np.zeros(n)
    rates = np.array([0.001, 0.000027, 0.0000015, 0.0000565, 0.0003, 0.0005])
    fee_rates = np.array([0.005, 0.001])
    days = np.r_[0.0, rng.choice([1.0, 1.0, 1.0, 3.0, 4.0], T - 1)]
    pay_fees = np.zeros(T, dtype=np.bool_)
    pay_fees[[14, 29]] = True
    q0 = rng.uniform(1e5, 1e6, n)
    q1 = q0.copy()
    q1[1] = 0.0  # leaves at the review
    target_q = np.tile(q0, (T, 1))
    target_q[20:] = q1
    rev_rows = np.array([20], dtype=np.int64)
    rev_q = q1[None, :].copy()
    flows = np.zeros(T)
    flows[[3, 10, 20, 21, 33, 40]] = [2e5, -1e5, 5e5, -3e5, -6e5, 1e5]
    init_hkd, init_units, buffer, lag, sweep = 2e6, 2e6, 0.01, 1, 0.0025
    params = _nb.records(1, _nb.PARAMS_DT)
    p = params[0]
    p["management_fee"], p["custody_fee"] = fee_rates
    p["cash_buffer"], p["sweep"], p["lag"] = buffer, sweep, lag
    p["initial_value_hkd"], p["initial_units"] = init_hkd, init_units
    p["use_lots"], p["immediate"], p["creation_payer"] = True, False, PAYER_FUND
    state = _nb.records(1, _nb.STATE_DT)
    hold = np.zeros((T, n))
    days_out = _nb.records(T, _nb.DAY_DT)
    costs = np.zeros((T, N_COSTS))
    pcosts = np.zeros((T, N_COSTS))
    trades = _nb.records(2000, _nb.TRADE_DT)
    events = _nb.records(10, _nb.EVENT_DT)
    _nb.simulate(
        close,
        lot,
        np.zeros(n),
        days,
        pay_fees,
        target_q,
        rev_rows,
        rev_q,
        _nb.records(0, _nb.ACTION_DT),
        flows,
        p,
        rates,
        state[0],
        hold,
        days_out,
        costs,
        pcosts,
        trades,
        events,
    )
    assert state[0]["n_trades"] <= len(trades)
    trades = trades[: state[0]["n_trades"]]
    events = events[: state[0]["n_events"]]
    expected, trade_costs = oracle_loop(
        close,
        list(lot),
        list(rates),
        list(fee_rates),
        days,
        pay_fees,
        buffer,
        init_hkd,
        init_units,
        target_q,
        {20: list(q1)},
        flows,
        lag,
        sweep,
    )
    for t, (h, cash, units, nav) in enumerate(expected):
        np.testing.assert_allclose(hold[t], h, rtol=1e-9, atol=1e-6, err_msg=f"holdings, row {t}")
        assert days_out[t]["cash_hkd"] == pytest.approx(cash, rel=1e-9, abs=1e-5), t
        assert days_out[t]["units"] == units
        assert days_out[t]["nav_hkd"] == pytest.approx(nav, rel=1e-10), t
    assert costs[:, 2:8].sum() == pytest.approx(trade_costs, rel=1e-9)
    # the member that left at the review is sold out, and cash is never negative
    assert (hold[20:, 1] == 0).all()
    assert (days_out["cash_hkd"] >= -1e-6).all()
    assert (pcosts == 0).all()  # the fund bears every cost under PAYER_FUND
    assert len(events) == 0 and len(trades) > 0
