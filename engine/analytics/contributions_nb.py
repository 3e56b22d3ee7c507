"""Kernels of :mod:`engine.analytics.contributions`: per-position P&L, index contributions, linking.

Only NumPy arrays and scalars cross this boundary.  Arrays are time-major ``[T, K]`` (``T`` sessions,
``K`` codes); row ``t`` of an output of length ``T - 1`` is the return from close ``t`` to close
``t + 1``.  Every kernel has a plain twin in ``tests/analytics/test_contributions_kernels.py``.

Linking coefficients (period returns :math:`R^a = \\prod_t (1 + r^a_t) - 1`, :math:`R^b` likewise,
daily active :math:`a_t = r^a_t - r^b_t`, :math:`A = R^a - R^b`, :math:`n` periods):

* Carino: :math:`k_t = \\ln\\frac{1 + r^a_t}{1 + r^b_t} / a_t` (:math:`1 / (1 + r^b_t)` when
  :math:`a_t = 0`), :math:`K` the same of the period returns, coefficient :math:`k_t / K`;
* Menchero: :math:`M = (A / n) / ((1 + R^a)^{1/n} - (1 + R^b)^{1/n})` (:math:`(1 + R)^{1 - 1/n}` when
  :math:`A = 0`), :math:`\\alpha = (A - M \\sum_t a_t) / \\sum_t a_t^2`, coefficient
  :math:`M + \\alpha a_t`.

With either, :math:`\\sum_t \\beta_t a_t = A`: any split of each :math:`a_t` into rows, multiplied by
:math:`\\beta_t` and summed over :math:`t`, adds up to the period difference.
"""

from __future__ import annotations

import numpy as np

from engine._jit import njit


@njit
def _log_ratio_over_diff(ra, rb):
    """:math:`\\ln((1 + r_a) / (1 + r_b)) / (r_a - r_b)`, computed as
    :math:`\\mathrm{log1p}(y) / y / (1 + r_b)`, :math:`y = (r_a - r_b)/(1 + r_b)` (no cancellation)."""
    y = (ra - rb) / (1.0 + rb)
    if y == 0.0:
        return 1.0 / (1.0 + rb)
    return np.log1p(y) / y / (1.0 + rb)


@njit
def carino_coefficients(ra, rb, big_ra, big_rb):
    """Carino coefficients :math:`k_t / K` of daily returns ``ra``, ``rb`` (float64[n]) given the period
    returns ``big_ra``, ``big_rb``."""
    n = ra.shape[0]
    out = np.empty(n)
    big_k = _log_ratio_over_diff(big_ra, big_rb)
    for t in range(n):
        out[t] = _log_ratio_over_diff(ra[t], rb[t]) / big_k
    return out


@njit
def menchero_coefficients(ra, rb, big_ra, big_rb):
    """Menchero coefficients :math:`M + \\alpha a_t` (see the module docstring)."""
    n = ra.shape[0]
    out = np.empty(n)
    if n == 0:
        return out
    big_a = big_ra - big_rb
    # (1 + R_a)^(1/n) - (1 + R_b)^(1/n) without cancellation: (1 + R_b)^(1/n) expm1(ln ratio / n)
    d = (np.log1p(big_ra) - np.log1p(big_rb)) / n
    if big_a == 0.0 or d == 0.0:
        m = (1.0 + big_ra) ** (1.0 - 1.0 / n)
    else:
        m = (big_a / n) / (np.exp(np.log1p(big_rb) / n) * np.expm1(d))
    s1 = 0.0
    s2 = 0.0
    for t in range(n):
        a = ra[t] - rb[t]
        s1 += a
        s2 += a * a
    alpha = (big_a - m * s1) / s2 if s2 > 0.0 else 0.0
    for t in range(n):
        out[t] = m + alpha * (ra[t] - rb[t])
    return out


@njit
def link(c, beta):
    """Linked totals :math:`\\sum_t \\beta_t c_{t,j}` of daily contributions ``c`` (float64[n, M])."""
    n, m = c.shape
    out = np.zeros(m)
    for t in range(n):  # row-major: one pass over the rows
        b = beta[t]
        for j in range(m):
            out[j] += b * c[t, j]
    return out


@njit
def position_pnl(close, hold, flow_cash, pnl, value_prev):
    """P&L of each position from close ``t`` to close ``t + 1`` (HKD).

    :math:`\\pi_{t,j} = h_{t+1,j} P_{t+1,j} - h_{t,j} P_{t,j} + x_{t+1,j}`, with :math:`x` the
    position's net cash that session (sales - purchases + income); a value is 0 where
    :math:`h = 0` (the price may be NaN there).  ``value_prev[t, j]`` receives :math:`h_{t,j} P_{t,j}`.
    """
    T, K = close.shape
    for t in range(T - 1):
        for j in range(K):
            v0 = hold[t, j] * close[t, j] if hold[t, j] != 0.0 else 0.0
            v1 = hold[t + 1, j] * close[t + 1, j] if hold[t + 1, j] != 0.0 else 0.0
            pnl[t, j] = v1 - v0 + flow_cash[t + 1, j]
            value_prev[t, j] = v0


@njit
def index_contributions(close, q, adj_row, adj_col, adj_price, contrib, weight):
    """Each constituent's share of the index return from close ``t`` to close ``t + 1``.

    With the index shares :math:`q_{t+1}` in force in session :math:`t + 1` (after its review and
    corporate actions) and the adjusted prior close :math:`\\tilde P_{t}` (the close of :math:`t`,
    replaced by ``adj_price`` where ``(adj_row, adj_col)`` says: splits, rights, dividends of a
    total-return variant), the open capitalisation is :math:`C = \\sum_j q_{t+1,j} \\tilde P_{t,j}`,
    the open weight :math:`w_{t,j} = q_{t+1,j} \\tilde P_{t,j} / C` and the contribution
    :math:`c_{t,j} = q_{t+1,j} (P_{t+1,j} - \\tilde P_{t,j}) / C`, so :math:`\\sum_j c_{t,j}` is the
    Laspeyres return :math:`\\sum_j q_{t+1,j} P_{t+1,j} / C - 1`.  ``adj_row`` is sorted ascending.
    """
    T, K = close.shape
    starts = np.searchsorted(adj_row, np.arange(T + 1))
    for t in range(T - 1):
        padj = close[t].copy()
        for a in range(starts[t + 1], starts[t + 2]):
            padj[adj_col[a]] = adj_price[a]
        cap = 0.0
        for j in range(K):
            if q[t + 1, j] != 0.0:
                cap += q[t + 1, j] * padj[j]
        for j in range(K):
            if q[t + 1, j] != 0.0 and cap > 0.0:
                weight[t, j] = q[t + 1, j] * padj[j] / cap
                contrib[t, j] = q[t + 1, j] * (close[t + 1, j] - padj[j]) / cap
            else:
                weight[t, j] = 0.0
                contrib[t, j] = 0.0


@njit
def active_rows(fund_c, fund_w, bench_c, bench_w, bench_r, out):
    """Per-code active contribution relative to the benchmark's return:
    :math:`c_{t,j} = f_{t,j} - b_{t,j} - (w^f_{t,j} - w^b_{t,j}) r^b_t` (``out``, float64[n, K])."""
    n, K = fund_c.shape
    for t in range(n):
        rb = bench_r[t]
        for j in range(K):
            out[t, j] = fund_c[t, j] - bench_c[t, j] - (fund_w[t, j] - bench_w[t, j]) * rb


__all__ = [
    "active_rows",
    "carino_coefficients",
    "index_contributions",
    "link",
    "menchero_coefficients",
    "position_pnl",
]
