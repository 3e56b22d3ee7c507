"""Contributions kernels and hand-worked toys: two or three securities computed by hand, independent
loop oracles for every kernel (linking coefficients included).  Also run without the JIT
(tests/test_nojit.py)."""

from __future__ import annotations

import math
from decimal import Decimal, localcontext

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from engine.analytics import contributions
from engine.analytics import contributions_nb as nb
from engine.analytics.contributions import FLOW_ROW, FX_ROW, _index_pair, linking_coefficients
from engine.enums import COST_KINDS
from engine.fund.config import EtfConfig
from engine.fund.result import FundResult
from engine.index.result import IndexResult
from engine.rules.schedule import ReviewSchedule

DAYS = pd.bdate_range("2025-03-03", periods=3, name="date")


# ------------------------------------------------------------------------------------------ toys
def toy(
    prices,
    hold,
    cash,
    q,
    *,
    fx=None,
    accrued=None,
    costs=None,
    units=None,
    flow=None,
    subs=None,
    trades=None,
):
    """A FundResult and IndexResult built by hand: ``prices``/``hold``/``q`` map code -> list by
    day; HKD; no dividends; the fund's benchmark is the price index."""
    n = len(prices["A"])
    dates = DAYS[:n]
    px = pd.DataFrame(prices, index=dates, dtype=float)
    px.columns.name = "code"
    h = pd.DataFrame(hold, index=dates, dtype=float)
    h.columns.name = "code"
    fx = np.ones(n) if fx is None else np.asarray(fx, dtype=float)
    accrued = np.zeros(n) if accrued is None else np.asarray(accrued, dtype=float)
    units = np.full(n, 100.0) if units is None else np.asarray(units, dtype=float)
    cash = np.asarray(cash, dtype=float)
    value = (h * px).sum(axis=1).to_numpy()
    nav_hkd = value + cash - accrued
    zeros = np.zeros(n)
    nav = pd.DataFrame(
        {
            "nav_cny": nav_hkd * fx,
            "nav_per_unit_cny": nav_hkd * fx / units,
            "units": units,
            "value_hkd": value,
            "cash_hkd": cash,
            "cash_cny": cash * fx,
            "fx": fx,
            "nav_hkd": nav_hkd,
            "receivable_hkd": zeros,
            "accrued_fees_hkd": accrued,
            "payable_hkd": zeros,
            "flow_units": zeros if flow is None else np.asarray(flow, dtype=float),
        },
        index=dates,
    )
    cost = pd.DataFrame(0.0, index=dates, columns=pd.Index(COST_KINDS, name="kind"))
    for (day, kind), cny in (costs or {}).items():
        cost.loc[dates[day], kind] = cny
    ledger = pd.DataFrame(
        {"subscriptions_hkd": zeros if subs is None else subs, "redemptions_paid_hkd": zeros},
        index=dates,
    )
    cols = [
        "date",
        "code",
        "side",
        "shares",
        "price_hkd",
        "value_hkd",
        "cost_hkd",
        "participant_cost_hkd",
        "cash_after_hkd",
        "reason",
    ]
    trades_df = pd.DataFrame(trades or [], columns=cols)
    events = pd.DataFrame(
        columns=["date", "code", "kind", "shares_before", "shares_after", "cash_hkd"]
    )
    qf = pd.DataFrame(q, index=dates, dtype=float)
    qf.columns.name = "code"
    level = (qf * px).sum(axis=1)
    level = 100.0 * level / level.iloc[0]
    levels = pd.DataFrame({"price": level, "gross": level, "net": level})
    index = IndexResult(
        levels=levels,
        weights=(qf * px).div((qf * px).sum(axis=1), axis=0),
        index_shares=qf,
        divisors=levels * 0 + 1.0,
        events=pd.DataFrame(columns=["date", "kind", "code", "detail"]),
        schedule=ReviewSchedule(reviews=(), history="toy"),
        base_date=dates[0],
        base_value=100.0,
        name="toy",
    )
    fund = FundResult(
        nav=nav,
        holdings=h,
        trades=trades_df,
        costs=cost,
        cash=ledger,
        events=events,
        config=EtfConfig(inception_date=dates[0]),
        index_name="toy",
        synthetic=True,
        index_levels=levels,
        index_weights=index.weights,
        prices=px,
    )
    return fund, index


def test_hand_worked_two_securities_one_day():
    # day 0: A 10, B 20; fund 50 A (500), 20 B (400), cash 100 -> NAV 1000; index q = 1, 1 (30)
    # day 1: A 11 (+10%), B 21 (+5%): fund 550 + 420 + 100 = 1070, +7%; index 32/30 - 1 = 1/15
    # weights: fund A 0.5, B 0.4, cash 0.1; index A 1/3, B 2/3
    # A: (0.5 - 1/3)(0.10 - 1/15) = +0.005556   B: (0.4 - 2/3)(0.05 - 1/15) = +0.004444
    # cash: 0.1 (0 - 1/15) = -0.006667          sum 0.07 - 1/15 = 0.003333 = TD (one day: beta 1)
    fund, index = toy(
        {"A": [10, 11], "B": [20, 21]},
        {"A": [50, 50], "B": [20, 20]},
        [100, 100],
        {"A": [1, 1], "B": [1, 1]},
    )
    ct = contributions(fund, index)
    by = ct.by_code
    assert by["A"] == pytest.approx((0.5 - 1 / 3) * (0.10 - 1 / 15), abs=1e-15)
    assert by["B"] == pytest.approx((0.4 - 2 / 3) * (0.05 - 1 / 15), abs=1e-15)
    assert by["cash"] == pytest.approx(0.1 * (0 - 1 / 15), abs=1e-15)
    assert ct.total == pytest.approx(0.07 - 1 / 15, abs=1e-15)
    assert by.drop(["A", "B", "cash"]).abs().max() < 1e-16
    assert abs(ct.residual) < 1e-15


def test_hand_worked_fee_and_fx():
    # as above, plus a management fee of 10 HKD accrued on day 1 (12 CNY at fx 1.2) and the fixing
    # moving 1.0 -> 1.2: NAV 970 + 100 - 10 = 1060 HKD, +6% HKD; CNY: 1.06 * 1.2 - 1 = 0.272,
    # benchmark (16/15) * 1.2 - 1 = 0.28; active -0.008.
    # rows: A +0.005556, B +0.004444, cash -0.006667, fee -10/1000 = -0.01 -> -0.006667 in HKD,
    # fx: -0.006667 * 0.2 = -0.001333 -> total -0.008
    fund, index = toy(
        {"A": [10, 11], "B": [20, 21]},
        {"A": [50, 50], "B": [20, 20]},
        [100, 100],
        {"A": [1, 1], "B": [1, 1]},
        fx=[1.0, 1.2],
        accrued=[0, 10],
        costs={(1, "management_fee"): 12.0},
    )
    ct = contributions(fund, index)
    by = ct.by_code
    assert ct.total == pytest.approx(1.06 * 1.2 - (16 / 15) * 1.2, abs=1e-15)
    assert by["cost: management fee"] == pytest.approx(-0.01, abs=1e-15)
    assert by[FX_ROW] == pytest.approx((0.06 - 1 / 15) * 0.2, abs=1e-15)
    assert by["A"] == pytest.approx((0.5 - 1 / 3) * (0.10 - 1 / 15), abs=1e-15)
    assert abs(ct.residual) < 1e-15
    assert ct.against == "TOY price index (CNY)"


def test_hand_worked_two_days_carino():
    # day 2: A 11 -> 12.1 (+10%), B flat; fund 605 + 420 + 100 = 1125 (+5.1402%), index 33.1/32 - 1
    # = 3.4375%.  Day 2 weights: fund A 550/1070, B 420/1070, cash 100/1070; index A 11/32, B 21/32.
    # A day 2: (550/1070 - 11/32)(0.10 - 0.034375); B: (420/1070 - 21/32)(0 - 0.034375);
    # cash: (100/1070)(0 - 0.034375).  Carino: k_t = ln((1 + rf)/(1 + rb)) / (rf - rb), K the same of
    # R_f = 0.125, R_b = 33.1/30 - 1; linked = sum_t k_t c_t / K, adds up to R_f - R_b = 0.021667.
    fund, index = toy(
        {"A": [10, 11, 12.1], "B": [20, 21, 21]},
        {"A": [50, 50, 50], "B": [20, 20, 20]},
        [100, 100, 100],
        {"A": [1, 1, 1], "B": [1, 1, 1]},
    )
    rf, rb = [0.07, 1125 / 1070 - 1], [1 / 15, 33.1 / 32 - 1]
    big_f, big_b = 0.125, 33.1 / 30 - 1

    def k(a, b):
        return math.log((1 + a) / (1 + b)) / (a - b)

    beta = [k(rf[t], rb[t]) / k(big_f, big_b) for t in range(2)]
    day_a = [(0.5 - 1 / 3) * (0.10 - 1 / 15), (550 / 1070 - 11 / 32) * (0.10 - rb[1])]
    day_b = [(0.4 - 2 / 3) * (0.05 - 1 / 15), (420 / 1070 - 21 / 32) * (0 - rb[1])]
    day_c = [0.1 * (-1 / 15), (100 / 1070) * (-rb[1])]
    ct = contributions(fund, index)
    assert np.allclose(ct.beta, beta, atol=1e-14)
    for code, days in (("A", day_a), ("B", day_b), ("cash", day_c)):
        assert np.allclose(ct.to_frame()[code], days, atol=1e-15)
        assert ct.by_code[code] == pytest.approx(
            sum(b * c for b, c in zip(beta, days, strict=True)), abs=1e-15
        )
    assert ct.total == pytest.approx(big_f - big_b, abs=1e-15)
    assert abs(ct.residual) < 1e-15
    men = contributions(fund, index, linking="menchero")
    assert abs(men.residual) < 1e-15
    assert men.by_code["A"] != pytest.approx(ct.by_code["A"], abs=1e-12)  # a different split


def test_hand_worked_creation_dilution():
    # day 0 as above (NAV 1000, 100 units, 10 HKD each); day 1 prices flat, 100 units created at
    # 10 (1,000 HKD in), then 50 A bought for 500 HKD with a 5 HKD cost the fund bears:
    # cash 100 + 1000 - 500 - 5 = 595, NAV 1000 + 400 + 595 = 1995, 200 units -> 9.975 (-0.25%).
    # rows: trading cost -5/1000 = -0.5%; the 200 units share it: dilution
    # X = 1995 - 10 * 200 = -5, X (100/200 - 1) / 1000 = +0.25%; the codes earn 0.
    trade = [DAYS[1], "A", "buy", 50.0, 10.0, 500.0, 5.0, 0.0, 595.0, "creation"]
    fund, index = toy(
        {"A": [10, 10], "B": [20, 20]},
        {"A": [50, 100], "B": [20, 20]},
        [100, 595],
        {"A": [1, 1], "B": [1, 1]},
        units=[100, 200],
        flow=[0, 100],
        subs=[0.0, 1000.0],
        trades=[trade],
        costs={(1, "brokerage"): 5.0},
    )
    ct = contributions(fund, index)
    by = ct.by_code
    assert ct.total == pytest.approx(-0.0025, abs=1e-15)
    assert by["cost: trading costs"] == pytest.approx(-0.005, abs=1e-15)
    assert by[FLOW_ROW] == pytest.approx(0.0025, abs=1e-15)
    assert abs(by["A"]) < 1e-15 and abs(by["B"]) < 1e-15


# ------------------------------------------------------------------------------------ oracles
def carino_oracle(ra, rb, big_a, big_b):
    def k(a, b):
        return 1 / (1 + b) if a == b else (math.log1p(a) - math.log1p(b)) / (a - b)

    return [k(a, b) / k(big_a, big_b) for a, b in zip(ra, rb, strict=True)]


def menchero_oracle(ra, rb, big_a, big_b):
    """Menchero's coefficients, the root gap in 50-digit decimals (no cancellation to worry about)."""
    with localcontext() as ctx:
        ctx.prec = 50
        n = len(ra)
        big = Decimal(big_a) - Decimal(big_b)
        root_gap = (1 + Decimal(big_a)) ** (Decimal(1) / n) - (1 + Decimal(big_b)) ** (
            Decimal(1) / n
        )
        if big == 0 or root_gap == 0:  # the limit as R_a -> R_b
            m = (1 + Decimal(big_a)) ** (1 - Decimal(1) / n)
        else:
            m = (big / n) / root_gap
        a = [Decimal(x) - Decimal(y) for x, y in zip(ra, rb, strict=True)]
        s2 = sum(x * x for x in a)
        alpha = (big - m * sum(a)) / s2 if s2 else Decimal(0)
        return [float(m + alpha * x) for x in a]


daily = st.integers(-200_000, 200_000).map(lambda i: i / 1e6)  # returns on a 1e-6 grid, |r| <= 20%
returns = arrays(float, st.integers(1, 30), elements=daily)


@given(returns, st.data())
def test_linking_kernels_match_oracle_and_add_up(ra, data):
    rb = data.draw(arrays(float, ra.shape, elements=daily))
    if data.draw(st.booleans()):
        rb[::2] = ra[::2]  # days with no active return take the limit branch
    big_a, big_b = float(np.prod(1 + ra) - 1), float(np.prod(1 + rb) - 1)
    for method, oracle in (("carino", carino_oracle), ("menchero", menchero_oracle)):
        beta = linking_coefficients(ra, rb, (big_a, big_b), method)
        assert np.allclose(beta, oracle(list(ra), list(rb), big_a, big_b), rtol=1e-9, atol=1e-12)
        assert math.fsum(beta * (ra - rb)) == pytest.approx(big_a - big_b, rel=1e-12, abs=1e-12)


@given(arrays(float, (6, 4), elements=st.floats(-1, 1)), arrays(float, 6, elements=st.floats(0, 2)))
def test_link_matches_loop(c, beta):
    expected = [sum(beta[t] * c[t, j] for t in range(6)) for j in range(4)]
    assert np.allclose(nb.link(c, beta), expected, atol=1e-12)


@given(st.integers(0, 2**31 - 1))
def test_position_pnl_and_index_contributions_match_loops(seed):
    rng = np.random.default_rng(seed)
    T, K = 6, 4
    close = rng.uniform(5, 15, (T, K))
    hold = rng.integers(0, 3, (T, K)).astype(float) * 100
    close[3, 1] = np.nan  # delisted: not held that day
    hold[3, 1] = 0.0
    flow = rng.normal(0, 50, (T, K))
    q = rng.integers(0, 2, (T, K)).astype(float) * rng.uniform(1, 3, (T, K))
    q[3:5, 1] = 0.0  # not a constituent on the day it has no close, nor the next
    q[:, 0] = 1.0  # never an empty index
    adj = [(2, 0, 7.5), (4, 2, 9.0)]  # (session, code, adjusted prior close)
    pnl, val = np.zeros((T - 1, K)), np.zeros((T - 1, K))
    nb.position_pnl(close, hold, flow, pnl, val)
    contrib, weight = np.zeros((T - 1, K)), np.zeros((T - 1, K))
    rows, cols, px = (np.array(x) for x in zip(*adj, strict=True))
    nb.index_contributions(
        close, q, rows.astype(np.int64), cols.astype(np.int64), px.astype(float), contrib, weight
    )
    for t in range(T - 1):
        prior = {j: close[t, j] for j in range(K)}
        prior.update({c: p for r, c, p in adj if r == t + 1})
        cap = sum(q[t + 1, j] * prior[j] for j in range(K) if q[t + 1, j])
        for j in range(K):
            v0 = hold[t, j] * close[t, j] if hold[t, j] else 0.0
            v1 = hold[t + 1, j] * close[t + 1, j] if hold[t + 1, j] else 0.0
            assert pnl[t, j] == pytest.approx(v1 - v0 + flow[t + 1, j], abs=1e-9)
            assert val[t, j] == pytest.approx(v0, abs=1e-12)
            w = q[t + 1, j] * prior[j] / cap if q[t + 1, j] else 0.0
            c = q[t + 1, j] * (close[t + 1, j] - prior[j]) / cap if q[t + 1, j] else 0.0
            assert weight[t, j] == pytest.approx(w, abs=1e-12)
            assert contrib[t, j] == pytest.approx(c, abs=1e-12)
        assert weight[t].sum() == pytest.approx(1.0, abs=1e-12)


@given(arrays(float, (5, 3), elements=st.floats(-0.1, 0.1)), st.data())
def test_active_rows_match_formula(fc, data):
    fw, bc, bw = (data.draw(arrays(float, (5, 3), elements=st.floats(-1, 1))) for _ in range(3))
    rb = data.draw(arrays(float, 5, elements=st.floats(-0.1, 0.1)))
    out = np.empty_like(fc)
    nb.active_rows(fc, fw, bc, bw, rb, out)
    assert np.allclose(out, fc - bc - (fw - bw) * rb[:, None], atol=1e-15)


def test_cap_drag_hand_worked():
    # two names, index shares A 1 (cap factor 0.5: uncapped 2), B 1; prices A 10 -> 11, B 10 -> 10.
    # capped: weights 1/2, 1/2, return 5%; uncapped: 2/3, 1/3, return 1/15.
    # A: (1/2 - 2/3)(0.10 - 1/15) = -0.005556; B: (1/2 - 1/3)(0 - 1/15) = -0.011111; sum -1/60.
    fund, index = toy(
        {"A": [10, 11], "B": [10, 10]},
        {"A": [0, 0], "B": [0, 0]},
        [1, 1],
        {"A": [1, 1], "B": [1, 1]},
    )
    close, q = np.array([[10.0, 10.0], [11.0, 10.0]]), index.index_shares.to_numpy()
    cf = np.array([[0.5, 1.0], [0.5, 1.0]])
    ct = _index_pair(
        close,
        q,
        q / cf,
        DAYS[:2],
        ["A", "B"],
        None,
        index,
        "price",
        "carino",
        subject="capped",
        against="uncapped",
    )
    assert ct.by_code["A"] == pytest.approx((0.5 - 2 / 3) * (0.10 - 1 / 15), abs=1e-15)
    assert ct.by_code["B"] == pytest.approx((0.5 - 1 / 3) * (0.0 - 1 / 15), abs=1e-15)
    assert ct.total == pytest.approx(0.05 - 1 / 15, abs=1e-15)
