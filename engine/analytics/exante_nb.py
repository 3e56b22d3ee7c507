"""Numba kernels of the ex-ante risk model (NumPy arrays and scalars only).

Notation: ``x`` is a ``[T, N]`` window of daily returns, oldest row first; ``r`` a ``[T, N]`` panel of
daily returns on market sessions (row 0 is the first session and has no return; rows are used from
1); ``act`` ``[D, N]`` active weights; ``rows`` ``[D]`` the ascending ``r`` row of each ``act`` row.

**Exponentially weighted covariance** over a window of :math:`W` returns with decay
:math:`\\lambda = 2^{-1/h}` (half-life :math:`h` sessions; :math:`\\lambda = 1` is the equally
weighted sample covariance).  The return :math:`k` sessions back gets :math:`w_k = \\lambda^k`,
:math:`k = 0..W-1`; with :math:`V_1 = \\sum w_k`, :math:`V_2 = \\sum w_k^2`,

.. math:: \\mu = \\frac{1}{V_1} \\sum_k w_k x_{t-k}, \\qquad
          S = \\frac{\\sum_k w_k (x_{t-k} - \\mu)(x_{t-k} - \\mu)^\\top}{V_1 - ddof \\cdot V_2 / V_1}

(``ddof = 1``: the unbiased reliability-weights form, equal to the sample covariance with
:math:`n - 1` when :math:`\\lambda = 1`, and to pandas ``ewm(halflife=h).cov(bias=False)`` on the
window; ``ddof = 0``: divided by :math:`V_1`).

**Ledoit-Wolf shrinkage** (biased sample covariance :math:`S = Y^\\top Y / T` of the centred window
:math:`Y`): :math:`\\hat\\Sigma = \\delta F + (1 - \\delta) S`, with the target :math:`F` either the
constant-correlation matrix (Ledoit and Wolf 2004, "Honey, I shrunk the sample covariance matrix")
or the scaled identity :math:`\\mu I`, :math:`\\mu = \\mathrm{tr}(S) / N` (Ledoit and Wolf 2004, "A
well-conditioned estimator for large-dimensional covariance matrices"; scikit-learn's
``LedoitWolf``).  The formulas are in the docstrings of :func:`lw_constant_correlation` and
:func:`lw_identity`.
"""

from __future__ import annotations

import numpy as np

from engine._jit import njit, prange

TARGET_CONSTANT_CORRELATION = 0
TARGET_IDENTITY = 1


@njit
def ew_weights(window, lam):
    """``[window]`` weights :math:`w_k = \\lambda^{W-1-k}` in row order (oldest row first)."""
    w = np.empty(window)
    v = 1.0
    for k in range(window - 1, -1, -1):
        w[k] = v
        v *= lam
    return w


@njit
def ew_cov(x, lam, ddof):
    """Exponentially weighted covariance of the ``[T, N]`` window ``x`` (module docstring), computed
    directly from the weighted sum; NaN when the denominator is not positive (``T <= ddof``)."""
    t_len, n = x.shape
    w = ew_weights(t_len, lam)
    v1 = 0.0
    v2 = 0.0
    for k in range(t_len):
        v1 += w[k]
        v2 += w[k] * w[k]
    denom = v1 - ddof * v2 / v1
    out = np.full((n, n), np.nan)
    if denom <= 0.0:
        return out
    mu = np.zeros(n)
    for k in range(t_len):
        for i in range(n):
            mu[i] += w[k] * x[k, i]
    mu /= v1
    out[:] = 0.0
    for k in range(t_len):
        for i in range(n):
            di = w[k] * (x[k, i] - mu[i])
            for j in range(i, n):
                out[i, j] += di * (x[k, j] - mu[j])
    for i in range(n):
        for j in range(i, n):
            out[i, j] /= denom
            out[j, i] = out[i, j]
    return out


@njit
def ew_quad_series(r, act, rows, lam, window, ddof):
    """Daily :math:`a_d^\\top S_{t_d} a_d` for the exponentially weighted covariance over the
    ``window`` returns ending at row :math:`t_d` = ``rows[d]``, updated recursively.

    Running sums over the window, :math:`A_t = \\sum_k \\lambda^k r_{t-k}` and
    :math:`B_t = \\sum_k \\lambda^k r_{t-k} r_{t-k}^\\top`, move one session with

    .. math:: A_t = \\lambda A_{t-1} + r_t - \\lambda^W r_{t-W}, \\qquad
              B_t = \\lambda B_{t-1} + r_t r_t^\\top - \\lambda^W r_{t-W} r_{t-W}^\\top

    (the last term once the window is full), and
    :math:`a^\\top S a = (a^\\top B a - (a^\\top A)^2 / V_1) / (V_1 - ddof \\, V_2 / V_1)`:
    :math:`O(N^2)` per session instead of :math:`O(W N^2)`.  NaN for a row with fewer than
    ``window`` returns (``rows[d] < window``).
    """
    t_len, n = r.shape
    n_out = rows.shape[0]
    out = np.full(n_out, np.nan)
    v1 = 0.0
    v2 = 0.0
    lam_w = 1.0
    for _ in range(window):
        v1 += lam_w
        v2 += lam_w * lam_w
        lam_w *= lam
    denom = v1 - ddof * v2 / v1
    a_sum = np.zeros(n)
    b_sum = np.zeros((n, n))
    d = 0
    while d < n_out and rows[d] < 1:
        d += 1
    for t in range(1, t_len):
        if d >= n_out:
            break
        old = t - window
        for i in range(n):
            a_sum[i] = lam * a_sum[i] + r[t, i]
            if old >= 1:
                a_sum[i] -= lam_w * r[old, i]
            for j in range(i, n):
                v = lam * b_sum[i, j] + r[t, i] * r[t, j]
                if old >= 1:
                    v -= lam_w * r[old, i] * r[old, j]
                b_sum[i, j] = v
        while d < n_out and rows[d] == t:
            if t >= window and denom > 0.0:
                out[d] = _quad(b_sum, a_sum, act[d], v1) / denom
            d += 1
    return out


@njit
def _quad(b_sum, a_sum, a, v1):
    """:math:`a^\\top B a - (a^\\top A)^2 / V_1` with ``b_sum`` holding its upper triangle."""
    n = a.shape[0]
    q = 0.0
    s = 0.0
    for i in range(n):
        s += a[i] * a_sum[i]
        q += a[i] * a[i] * b_sum[i, i]
        for j in range(i + 1, n):
            q += 2.0 * a[i] * a[j] * b_sum[i, j]
    return q - s * s / v1


@njit
def _centred(x):
    """``x`` minus its column means, and :math:`S = Y^\\top Y / T`."""
    t_len, n = x.shape
    y = x.copy()
    for i in range(n):
        m = 0.0
        for k in range(t_len):
            m += x[k, i]
        m /= t_len
        for k in range(t_len):
            y[k, i] = x[k, i] - m
    s = np.zeros((n, n))
    for k in range(t_len):
        for i in range(n):
            for j in range(i, n):
                s[i, j] += y[k, i] * y[k, j]
    for i in range(n):
        for j in range(i, n):
            s[i, j] /= t_len
            s[j, i] = s[i, j]
    return y, s


@njit
def lw_constant_correlation(x):
    """Ledoit-Wolf shrinkage of the ``[T, N]`` window ``x`` to the constant-correlation target.

    With :math:`Y` the centred returns and :math:`s_{ij}` the biased sample covariance,
    :math:`\\bar r` the mean sample correlation over pairs :math:`i < j`, the target is
    :math:`f_{ii} = s_{ii}`, :math:`f_{ij} = \\bar r \\sqrt{s_{ii} s_{jj}}`; with
    :math:`z_{t,ij} = y_{ti} y_{tj} - s_{ij}`:

    .. math:: \\pi_{ij} = \\tfrac1T \\sum_t z_{t,ij}^2, \\quad
              \\theta_{ii,ij} = \\tfrac1T \\sum_t z_{t,ii} z_{t,ij}, \\quad
              \\gamma = \\sum_{ij} (f_{ij} - s_{ij})^2,

    .. math:: \\rho = \\sum_i \\pi_{ii} + \\sum_{i \\ne j} \\frac{\\bar r}{2}
              \\Big(\\sqrt{s_{jj}/s_{ii}}\\, \\theta_{ii,ij} + \\sqrt{s_{ii}/s_{jj}}\\, \\theta_{jj,ij}\\Big),
              \\qquad \\delta = \\max\\big(0, \\min\\big(1, \\tfrac{(\\sum_{ij}\\pi_{ij} - \\rho) / \\gamma}{T}\\big)\\big).

    A security with zero variance in the window (suspended or zero-filled throughout) takes no part
    in :math:`\\bar r` and keeps zero rows; :math:`\\delta = 0` when :math:`\\gamma = 0` up to
    rounding (:math:`\\gamma \\le 10^{-20} \\sum s_{ij}^2`: one or two securities, or the sample
    correlations all equal), where the target is :math:`S` itself.  Returns ``(cov, delta)``.
    """
    t_len, n = x.shape
    y, s = _centred(x)
    sd = np.sqrt(np.maximum(np.diag(s).copy(), 0.0))
    r_sum = 0.0
    pairs = 0
    for i in range(n):
        for j in range(i + 1, n):
            if sd[i] > 0.0 and sd[j] > 0.0:
                r_sum += s[i, j] / (sd[i] * sd[j])
                pairs += 1
    r_bar = r_sum / pairs if pairs > 0 else 0.0
    f = s.copy()
    gamma = 0.0
    for i in range(n):
        for j in range(n):
            if i != j:
                f[i, j] = r_bar * sd[i] * sd[j]
                gamma += (f[i, j] - s[i, j]) ** 2
    pi_sum = 0.0
    rho = 0.0
    for i in range(n):
        for j in range(n):
            p = 0.0
            th_i = 0.0
            th_j = 0.0
            for k in range(t_len):
                z = y[k, i] * y[k, j] - s[i, j]
                p += z * z
                th_i += (y[k, i] * y[k, i] - s[i, i]) * z
                th_j += (y[k, j] * y[k, j] - s[j, j]) * z
            p /= t_len
            pi_sum += p
            if i == j:
                rho += p
            elif sd[i] > 0.0 and sd[j] > 0.0:
                rho += 0.5 * r_bar * (sd[j] / sd[i] * th_i / t_len + sd[i] / sd[j] * th_j / t_len)
    delta = 0.0
    if gamma > 1e-20 * np.sum(s * s):  # gamma = 0 up to rounding: the target is S itself
        delta = min(1.0, max(0.0, (pi_sum - rho) / gamma / t_len))
    return delta * f + (1.0 - delta) * s, delta


@njit
def lw_identity(x):
    """Ledoit-Wolf shrinkage of the ``[T, N]`` window ``x`` to the scaled identity
    :math:`\\mu I`, :math:`\\mu = \\mathrm{tr}(S)/N`.

    With :math:`\\|M\\|^2 = \\sum_{ij} m_{ij}^2 / N`: :math:`d^2 = \\|S - \\mu I\\|^2`,
    :math:`\\bar b^2 = \\frac{1}{T^2} \\sum_t \\|y_t y_t^\\top - S\\|^2
    = \\frac{1}{T}\\big(\\frac1T \\sum_t (y_t^\\top y_t)^2 / N - \\|S\\|^2\\big)`,
    :math:`\\delta = \\min(\\bar b^2, d^2) / d^2` (0 when :math:`d^2 = 0`).  Returns ``(cov, delta)``.
    """
    t_len, n = x.shape
    y, s = _centred(x)
    mu = 0.0
    for i in range(n):
        mu += s[i, i]
    mu /= n
    d2 = 0.0
    s2 = 0.0
    for i in range(n):
        for j in range(n):
            s2 += s[i, j] * s[i, j]
            e = s[i, j] - (mu if i == j else 0.0)
            d2 += e * e
    d2 /= n
    s2 /= n
    y4 = 0.0
    for k in range(t_len):
        q = 0.0
        for i in range(n):
            q += y[k, i] * y[k, i]
        y4 += q * q
    b2 = (y4 / t_len / n - s2) / t_len
    delta = 0.0
    if d2 > 0.0:
        delta = min(b2, d2) / d2
    out = (1.0 - delta) * s
    for i in range(n):
        out[i, i] += delta * mu
    return out, delta


@njit
def lw_cov(x, target):
    """:func:`lw_constant_correlation` or :func:`lw_identity` by ``target`` code."""
    if target == TARGET_IDENTITY:
        return lw_identity(x)
    return lw_constant_correlation(x)


@njit(parallel=True)
def lw_quad_series(r, act, rows, window, target):
    """Daily :math:`a_d^\\top \\hat\\Sigma a_d` with the Ledoit-Wolf covariance of the ``window``
    returns ending at ``rows[d]`` (each day from scratch, days in parallel); NaN where fewer than
    ``window`` returns precede."""
    n_out = rows.shape[0]
    out = np.full(n_out, np.nan)
    for d in prange(n_out):
        t = rows[d]
        if t < window:
            continue
        cov, _ = lw_cov(r[t - window + 1 : t + 1], target)
        a = act[d]
        out[d] = a @ cov @ a
    return out
