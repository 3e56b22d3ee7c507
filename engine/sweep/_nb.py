"""Numba kernel of the sweep's reduced metrics (NumPy arrays and scalars only)."""

from __future__ import annotations

import numpy as np

from engine._jit import njit, prange


@njit(parallel=True)
def level_stats(Lt, ddof):
    """Total return, standard deviation of the period returns and maximum drawdown of each row
    of ``Lt`` ``[V, n + 1]`` (one variant's levels per row, in date order).

    With :math:`r_t = L_t / L_{t-1} - 1` (:math:`t = 1..n`):

    .. math:: R = L_n / L_0 - 1, \\qquad
              s = \\sqrt{\\tfrac{1}{n - ddof} \\sum_t (r_t - \\bar r)^2}, \\qquad
              DD = \\min_t \\Big( L_t / \\max_{u \\le t} L_u \\Big) - 1,

    the deviation from the mean in a second pass (as ``np.std``).  A variant with a NaN level has
    NaN ``s`` and ``DD`` (as the NumPy expressions give); ``s`` is NaN when ``n <= ddof``.
    """
    V, T = Lt.shape
    n = T - 1
    total = np.full(V, np.nan)
    std = np.full(V, np.nan)
    mdd = np.full(V, np.nan)
    for v in prange(V):
        x = Lt[v]
        bad = np.isnan(x[0])
        s1 = 0.0
        peak = x[0]
        dd = 0.0
        for t in range(1, T):
            if np.isnan(x[t]):
                bad = True
            s1 += x[t] / x[t - 1] - 1.0
            if x[t] > peak:
                peak = x[t]
            d = x[t] / peak - 1.0
            if d < dd:
                dd = d
        s2 = 0.0
        for t in range(1, T):
            e = x[t] / x[t - 1] - 1.0 - s1 / n
            s2 += e * e
        total[v] = x[n] / x[0] - 1.0
        if not bad:
            mdd[v] = dd
            if n > ddof:
                std[v] = np.sqrt(s2 / (n - ddof))
    return total, std, mdd
