"""Kernels of :mod:`engine.metrics`: every statistic once, in a 1-D form, a 2-D form and a rolling form.

The 1-D forms (``*_1d``) take one series; the 2-D forms (``*_2d``) apply the 1-D form to every
column of a time-major ``[t, k]`` array in parallel (``prange``); the rolling form applies it to
every window of ``w`` rows.  So a sweep over variants, a single result and a rolling figure cannot
drift apart: they run the same arithmetic in the same order.

Sums are plain sequential loops; a standard deviation is two-pass (the mean first, then the squared
deviations), as ``np.std`` does, so no running-sum cancellation.  A NaN anywhere in the input of a
statistic makes that statistic NaN.  Arrays are ``float64``; only NumPy and scalars are seen here.
"""

from __future__ import annotations

import numpy as np

from engine._jit import njit, prange

STAT_MEAN = 0
STAT_STD = 1
STAT_RMS = 2
"""Statistic codes of :func:`rolling_2d` and :func:`stat_2d`."""


# ---------------------------------------------------------------------------------------------- 1-D
@njit
def mean_1d(x):
    """Arithmetic mean :math:`\\bar x = \\frac1n \\sum_i x_i`; NaN when :math:`n = 0`."""
    n = x.shape[0]
    if n == 0:
        return np.nan
    s = 0.0
    for i in range(n):
        s += x[i]
    return s / n


@njit
def std_1d(x, ddof):
    """Sample standard deviation :math:`\\sqrt{\\sum_i (x_i - \\bar x)^2 / (n - ddof)}`, two-pass;
    NaN when :math:`n \\le ddof`."""
    n = x.shape[0]
    if n <= ddof:
        return np.nan
    m = mean_1d(x)
    ss = 0.0
    for i in range(n):
        d = x[i] - m
        ss += d * d
    return np.sqrt(ss / (n - ddof))


@njit
def rms_1d(x):
    """Root mean square (uncentred) :math:`\\sqrt{\\frac1n \\sum_i x_i^2}`; NaN when :math:`n = 0`."""
    n = x.shape[0]
    if n == 0:
        return np.nan
    s = 0.0
    for i in range(n):
        s += x[i] * x[i]
    return np.sqrt(s / n)


@njit
def beta_correlation_1d(x, y, rtol):
    """``(beta, correlation)`` of ``x`` on ``y``: :math:`S_{xy}/S_{yy}` and
    :math:`S_{xy}/\\sqrt{S_{xx} S_{yy}}` from the centred sums
    :math:`S_{xy} = \\sum_i (x_i - \\bar x)(y_i - \\bar y)`.  A series whose centred sum of squares
    is at most :math:`n (rtol \\max_i |x_i|)^2` moves by less than rounding and counts as constant:
    beta is NaN when ``y`` is, the correlation when either is."""
    n = x.shape[0]
    mx = mean_1d(x)
    my = mean_1d(y)
    sxx = 0.0
    syy = 0.0
    sxy = 0.0
    ax = 0.0
    ay = 0.0
    for i in range(n):
        dx = x[i] - mx
        dy = y[i] - my
        sxx += dx * dx
        syy += dy * dy
        sxy += dx * dy
        ax = max(ax, abs(x[i]))
        ay = max(ay, abs(y[i]))
    x_moves = sxx > n * (rtol * ax) ** 2
    y_moves = syy > n * (rtol * ay) ** 2
    beta = sxy / syy if y_moves else np.nan
    corr = sxy / np.sqrt(sxx * syy) if x_moves and y_moves else np.nan
    return beta, corr


@njit
def max_drawdown_1d(levels):
    """Largest fall from a running peak, :math:`\\min_t L_t / \\max_{u \\le t} L_u - 1` (a fraction
    :math:`\\le 0`); NaN when a level is NaN or there is none."""
    n = levels.shape[0]
    if n == 0:
        return np.nan
    peak = levels[0]
    dd = 0.0
    for t in range(n):
        x = levels[t]
        if np.isnan(x):
            return np.nan
        if x > peak:
            peak = x
        d = x / peak - 1.0
        if d < dd:
            dd = d
    return dd


@njit
def returns_1d(levels):
    """Simple returns :math:`r_t = L_t / L_{t-1} - 1`, :math:`t = 1..n`."""
    n = levels.shape[0]
    out = np.empty(max(n - 1, 0))
    for t in range(1, n):
        out[t - 1] = levels[t] / levels[t - 1] - 1.0
    return out


@njit
def stat_1d(x, stat, ddof):
    """The statistic coded ``stat`` (:data:`STAT_MEAN`, :data:`STAT_STD`, :data:`STAT_RMS`) of ``x``."""
    if stat == STAT_MEAN:
        return mean_1d(x)
    if stat == STAT_STD:
        return std_1d(x, ddof)
    return rms_1d(x)


# ---------------------------------------------------------------------------------------------- 2-D
@njit(parallel=True)
def stat_2d(x, stat, ddof):
    """:func:`stat_1d` of every column of ``x`` ``[t, k]``."""
    m = x.shape[1]
    out = np.empty(m)
    for k in prange(m):
        out[k] = stat_1d(np.ascontiguousarray(x[:, k]), stat, ddof)
    return out


@njit(parallel=True)
def level_stats_2d(Lt, ddof):
    """Total return, standard deviation of the period returns and maximum drawdown of every row of
    ``Lt`` ``[V, n + 1]`` (one variant's levels per row, in date order; variant-major so that a
    transposed view of time-major levels is read without a copy).

    .. math:: R = L_n / L_0 - 1, \\quad s = \\mathrm{std}(r, ddof), \\quad DD = \\min_t L_t / \\max_{u \\le t} L_u - 1

    through :func:`returns_1d`, :func:`std_1d` and :func:`max_drawdown_1d`.
    """
    V = Lt.shape[0]
    total = np.empty(V)
    std = np.empty(V)
    mdd = np.empty(V)
    for v in prange(V):
        x = np.ascontiguousarray(Lt[v])
        total[v] = x[-1] / x[0] - 1.0
        std[v] = std_1d(returns_1d(x), ddof)
        mdd[v] = max_drawdown_1d(x)
    return total, std, mdd


# ------------------------------------------------------------------------------------------ rolling
@njit(parallel=True)
def rolling_2d(x, window, stat, ddof):
    """:func:`stat_1d` over each window of ``window`` rows ending at row :math:`t`, per column of
    ``x`` ``[t, k]``; the first ``window - 1`` rows are NaN, and every row when ``window`` is below 1
    or above the number of rows."""
    n, m = x.shape
    out = np.full((n, m), np.nan)
    if window < 1 or window > n:
        return out
    for k in prange(m):
        col = np.ascontiguousarray(x[:, k])
        for t in range(window - 1, n):
            out[t, k] = stat_1d(col[t - window + 1 : t + 1], stat, ddof)
    return out
