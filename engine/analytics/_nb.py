"""Numba kernels for rolling tracking statistics (NumPy arrays and scalars only).

Arrays are time-major ``[t, k]`` ``float64``: one column per series (a fund variant, a sweep member).
A window containing a NaN gives NaN; the first ``window - 1`` rows are NaN.
"""

from __future__ import annotations

import numpy as np

from engine._jit import njit


@njit
def rolling_std(x, window, ddof):
    """Rolling sample standard deviation, per column.

    .. math:: s_{t,k} = \\sqrt{\\frac{1}{w - ddof} \\sum_{u=t-w+1}^{t} (x_{u,k} - \\bar x_{t,k})^2}

    computed two-pass inside each window (the window mean from :func:`rolling_mean`, then the
    squared deviations; no running-sum cancellation). NaN when ``w <= ddof``.
    """
    n, m = x.shape
    out = np.full((n, m), np.nan)
    if window <= ddof or window > n:
        return out
    mean = rolling_mean(x, window)
    for k in range(m):
        for t in range(window - 1, n):
            if np.isnan(mean[t, k]):
                continue
            ss = 0.0
            for u in range(t - window + 1, t + 1):
                d = x[u, k] - mean[t, k]
                ss += d * d
            out[t, k] = np.sqrt(ss / (window - ddof))
    return out


@njit
def rolling_rms(x, window):
    """Rolling root mean square (uncentred), per column: :math:`\\sqrt{\\frac{1}{w}\\sum_{u=t-w+1}^{t} x_{u,k}^2}`
    (the square root of :func:`rolling_mean` of :math:`x^2`)."""
    return np.sqrt(rolling_mean(x * x, window))


@njit
def rolling_mean(x, window):
    """Rolling arithmetic mean, per column: :math:`\\frac{1}{w}\\sum_{u=t-w+1}^{t} x_{u,k}`."""
    n, m = x.shape
    out = np.full((n, m), np.nan)
    if window < 1 or window > n:
        return out
    for k in range(m):
        for t in range(window - 1, n):
            s = 0.0
            bad = False
            for u in range(t - window + 1, t + 1):
                v = x[u, k]
                if np.isnan(v):
                    bad = True
                    break
                s += v
            if not bad:
                out[t, k] = s / window
    return out
