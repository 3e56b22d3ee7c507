"""Plain-Python statements of the compiled kernels, short enough to check by reading.

* :func:`oracle_levels`: the chain-linked index recursion (``engine.index._nb``);
* :func:`oracle_execute`, :func:`oracle_invest`, :func:`oracle_raise`, :func:`oracle_review`,
  :func:`oracle_loop`: the fund's trades and daily loop without corporate actions
  (``engine.fund._nb``).
"""

from __future__ import annotations

import math

import numpy as np


def oracle_levels(
    close: np.ndarray,
    base_row: int,
    base_value: float,
    review_rows: list[int],
    review_q: np.ndarray,
    actions: list[tuple],
    wht: np.ndarray,
) -> np.ndarray:
    """Chain-linked index in plain Python: ``[T, 3]`` price, gross, net levels (NaN before base).

    ``I_t = I_{t-1} * sum_i q_{i,t} P_{i,t} / sum_i (q_{i,t} P^adj_{i,t-1} - q_{i,t} d_{i,t})``
    where ``P^adj`` is yesterday's close restated for today's capital changes (split ``/r``, bonus
    ``/(1+r)``, rights TERP ``(P + rS)/(1+r)``), ``d`` today's dividend (gross) or ``d (1 - tau)`` (net),
    and constituents without a price today are dropped from both sums (deleted at their last close).
    ``actions``: ``(row, col, kind, ratio, price, amount)`` with kind a name.
    """
    T, N = close.shape
    out = np.full((T, 3), np.nan)
    out[base_row] = base_value
    q = [float(x) for x in review_q[0]]
    rev = dict(zip(review_rows, range(len(review_rows)), strict=True))
    for t in range(base_row + 1, T):
        if t in rev:
            q = [float(x) for x in review_q[rev[t]]]
        padj = [close[t - 1, j] for j in range(N)]
        cash = [0.0] * N
        for row, j, kind, ratio, price, amount in actions:
            if row != t or q[j] <= 0:
                continue
            if kind == "split":
                q[j] *= ratio
                padj[j] /= ratio
            elif kind == "bonus":
                q[j] *= 1 + ratio
                padj[j] /= 1 + ratio
            elif kind == "rights":
                q[j] *= 1 + ratio
                padj[j] = (padj[j] + ratio * price) / (1 + ratio)
            elif kind == "cash_dividend":
                cash[j] += amount
        for j in range(N):
            if q[j] > 0 and math.isnan(close[t, j]):
                q[j] = 0.0
        num = sum(q[j] * close[t, j] for j in range(N) if q[j] > 0)
        den_p = sum(q[j] * padj[j] for j in range(N) if q[j] > 0)
        den_g = den_p - sum(q[j] * cash[j] for j in range(N) if q[j] > 0)
        den_n = den_p - sum(q[j] * cash[j] * (1 - wht[j]) for j in range(N) if q[j] > 0)
        out[t, 0] = out[t - 1, 0] * num / den_p
        out[t, 1] = out[t - 1, 1] * num / den_g
        out[t, 2] = out[t - 1, 2] * num / den_n
    return out


def oracle_execute(h, cash, delta, price, lot, rates):
    """Plain-Python statement of the rule: sells first (largest first), buys scaled by one factor to
    the cash left after costs, then rounded down to lots; nothing below zero cash."""
    h = list(h)
    c = sum(rates)
    costs = [0.0] * len(rates)
    log = []
    items = sorted(
        [(d * p, i) for i, (d, p) in enumerate(zip(delta, price, strict=True)) if d != 0 and p > 0],
        key=lambda x: x[0],
    )
    for v, i in items:
        if v < 0:
            sh = min(-delta[i], h[i])
            if sh <= 0:
                continue
            val = sh * price[i]
            for k, r in enumerate(rates):
                costs[k] += val * r
            cash += val - val * c
            h[i] -= sh
            log.append((i, -sh))
    buys = sum(v for v, _ in items if v > 0)
    s = 1.0 if buys * (1 + c) <= max(cash, 0.0) else max(cash, 0.0) / (buys * (1 + c))
    for v, i in items:
        if v <= 0:
            continue
        sh = delta[i] * s
        if lot[i] > 0:
            sh = math.floor(sh / lot[i] + 1e-9) * lot[i]
        if sh <= 0:
            continue
        if sh * price[i] * (1 + c) > cash:
            sh = (
                (math.floor(cash / (lot[i] * price[i] * (1 + c))) * lot[i])
                if lot[i] > 0
                else cash / (price[i] * (1 + c))
            )
            if sh <= 0:
                continue
        val = sh * price[i]
        for k, r in enumerate(rates):
            costs[k] += val * r
        cash -= val * (1 + c)
        h[i] += sh
        log.append((i, sh))
    return h, cash, costs, log


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
