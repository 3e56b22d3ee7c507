"""Kernels of :mod:`engine.covariance`: a weighted covariance of the rows of a ``[t, k]`` array.

Only NumPy and scalars are seen here.  Both models are one weighted, two-pass computation: the
weighted mean of each column first, then the weighted cross products of the deviations, so no
running-sum cancellation.
"""

from __future__ import annotations

import numpy as np

from engine._jit import njit


@njit
def ewma_weights(n, halflife):
    """Weights :math:`\\omega_s = \\lambda^{n-1-s} / \\sum_u \\lambda^{n-1-u}` of rows ``s = 0..n-1``
    (the last row newest) with :math:`\\lambda = 2^{-1/h}` for half-life :math:`h` in rows."""
    lam = 0.5 ** (1.0 / halflife)
    w = np.empty(n)
    total = 0.0
    f = 1.0
    for s in range(n - 1, -1, -1):
        w[s] = f
        total += f
        f *= lam
    for s in range(n):
        w[s] /= total
    return w


@njit
def weighted_cov(x, w, scale):
    """:math:`S_{ij} = scale \\sum_s w_s (x_{si} - m_i)(x_{sj} - m_j)` with :math:`m = \\sum_s w_s x_s`
    (``w`` sums to one; ``scale`` the bias correction).  ``x`` is ``float64[n, k]``, result ``[k, k]``."""
    n, k = x.shape
    m = np.zeros(k)
    for s in range(n):
        for i in range(k):
            m[i] += w[s] * x[s, i]
    d = np.empty((n, k))
    for s in range(n):
        for i in range(k):
            d[s, i] = x[s, i] - m[i]
    out = np.zeros((k, k))
    for s in range(n):
        ws = w[s] * scale
        for i in range(k):
            a = ws * d[s, i]
            if a == 0.0:
                continue
            for j in range(i, k):
                out[i, j] += a * d[s, j]
    for i in range(k):
        for j in range(i + 1, k):
            out[j, i] = out[i, j]
    return out


@njit
def sample_cov(x):
    """Equally weighted sample covariance (divisor :math:`n - 1`) of the rows of ``x``."""
    n = x.shape[0]
    w = np.full(n, 1.0 / n)
    return weighted_cov(x, w, n / (n - 1.0))


@njit
def ewma_cov(x, halflife):
    """Exponentially weighted covariance of the rows of ``x`` (weights :func:`ewma_weights`, centred
    on the weighted mean, bias correction :math:`1 / (1 - \\sum_s \\omega_s^2)`)."""
    n = x.shape[0]
    w = ewma_weights(n, halflife)
    sw2 = 0.0
    for s in range(n):
        sw2 += w[s] * w[s]
    return weighted_cov(x, w, 1.0 / (1.0 - sw2))
