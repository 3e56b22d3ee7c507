"""Numba kernel of the sweep's reduced metrics (NumPy arrays and scalars only)."""

from __future__ import annotations

import numpy as np

from engine._jit import njit, prange

BLOCK = 64
"""Columns per parallel block: rows are walked in order inside a block, so reads stay contiguous."""


@njit(parallel=True)
def level_stats(L, ddof):
    """Total return, standard deviation of the period returns and maximum drawdown of each column
    of ``L`` ``[n + 1, V]``.

    With :math:`r_t = L_t / L_{t-1} - 1` (:math:`t = 1..n`):

    .. math:: R = L_n / L_0 - 1, \\qquad
              s = \\sqrt{\\tfrac{1}{n - ddof} \\sum_t (r_t - \\bar r)^2}, \\qquad
              DD = \\min_t \\Big( L_t / \\max_{u \\le t} L_u \\Big) - 1,

    the deviation from the mean in a second pass (as ``np.std``).  A column with a NaN level has
    NaN ``s`` and ``DD`` (as the NumPy expressions give); ``s`` is NaN when ``n <= ddof``.
    """
    T, V = L.shape
    n = T - 1
    total = np.full(V, np.nan)
    std = np.full(V, np.nan)
    mdd = np.full(V, np.nan)
    for b in prange((V + BLOCK - 1) // BLOCK):
        lo = b * BLOCK
        w = min(V, lo + BLOCK) - lo
        bad = np.zeros(w, dtype=np.bool_)
        s1 = np.zeros(w)
        peak = np.empty(w)
        dd = np.zeros(w)
        for i in range(w):
            peak[i] = L[0, lo + i]
            bad[i] = np.isnan(peak[i])
        for t in range(1, T):
            for i in range(w):
                x = L[t, lo + i]
                if np.isnan(x):
                    bad[i] = True
                s1[i] += x / L[t - 1, lo + i] - 1.0
                if x > peak[i]:
                    peak[i] = x
                d = x / peak[i] - 1.0
                if d < dd[i]:
                    dd[i] = d
        s2 = np.zeros(w)
        for t in range(1, T):
            for i in range(w):
                e = L[t, lo + i] / L[t - 1, lo + i] - 1.0 - s1[i] / n
                s2[i] += e * e
        for i in range(w):
            v = lo + i
            total[v] = L[n, v] / L[0, v] - 1.0
            if not bad[i]:
                mdd[v] = dd[i]
                if n > ddof:
                    std[v] = np.sqrt(s2[i] / (n - ddof))
    return total, std, mdd
