"""A plain-Python statement of the daily loop (no corporate actions) compared with the kernel."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_kernel import oracle_execute

from engine.codes import N_COSTS, PAYER_FUND
from engine.fund import _nb


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
