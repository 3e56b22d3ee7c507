"""Numba kernels of the rules stage (NumPy arrays and scalars only)."""

from __future__ import annotations

import numpy as np

from engine._jit import njit


@njit
def cap_weights_nb(raw: np.ndarray, cap: float) -> np.ndarray:
    """Iterative capping with a locked set.

    Start from raw weights :math:`w^0 = r / \\sum r`.  In each pass, every unlocked weight above the
    cap is set to ``cap`` and locked; the weight left, :math:`1 - cap \\cdot |L|`, is shared by the
    unlocked securities in proportion to their raw weights,

    .. math:: w_i = r_i \\frac{1 - cap \\, |L|}{\\sum_{j \\notin L} r_j}, \\quad i \\notin L.

    Passes repeat until no unlocked weight exceeds the cap.  Each pass either stops or locks at least
    one more security, so it ends after at most ``N`` passes.  Pro-rata scaling keeps the order of the
    weights, and the result sums to 1 whenever ``cap * N >= 1`` (the caller checks this).

    Parameters
    ----------
    raw
        Positive raw weights (any scale; they are normalised here).
    cap
        The single-stock cap in (0, 1].

    Returns
    -------
    ndarray
        Capped weights, same order as ``raw``.
    """
    n = raw.shape[0]
    out = np.empty(n)
    locked = np.zeros(n, dtype=np.bool_)
    total = 0.0
    for i in range(n):
        total += raw[i]
    for i in range(n):
        out[i] = raw[i] / total
    tol = 1e-12
    for _ in range(n + 1):
        n_locked = 0
        free_raw = 0.0
        for i in range(n):
            if locked[i]:
                n_locked += 1
            else:
                free_raw += raw[i]
        if n_locked == n or free_raw <= 0.0:
            break
        scale = (1.0 - cap * n_locked) / free_raw
        breach = False
        for i in range(n):
            if not locked[i]:
                out[i] = raw[i] * scale
                if out[i] > cap * (1.0 + tol):
                    breach = True
        if not breach:
            break
        for i in range(n):
            if not locked[i] and out[i] > cap * (1.0 + tol):
                locked[i] = True
                out[i] = cap
    return out


@njit
def cap_factors_nb(raw: np.ndarray, capped: np.ndarray) -> np.ndarray:
    """Cap factors :math:`CF_i = (c_i / r_i) / \\max_j (c_j / r_j)`, so the largest is 1.

    With index shares :math:`q_i = IS_i \\cdot FAF_i \\cdot CF_i` the weights at the cap-date close are
    :math:`q_i P_i / \\sum_j q_j P_j = c_i` exactly, because :math:`r_i \\propto IS_i FAF_i P_i`.
    """
    n = raw.shape[0]
    total = 0.0
    for i in range(n):
        total += raw[i]
    ratio = np.empty(n)
    top = 0.0
    for i in range(n):
        ratio[i] = capped[i] / (raw[i] / total)
        if ratio[i] > top:
            top = ratio[i]
    for i in range(n):
        ratio[i] = ratio[i] / top
    return ratio
