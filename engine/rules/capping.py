"""Capped free-float market-cap weights and cap factors.

With :math:`ffmc_i = P_i \\cdot IS_i \\cdot FAF_i` on the cap-date close, raw weights are
:math:`r_i = ffmc_i / \\sum_j ffmc_j`.  Capped weights :math:`c` come from the locked-set iteration in
:func:`engine.rules._nb.cap_weights_nb`; cap factors :math:`CF_i = (c_i/r_i) / \\max_j (c_j/r_j)` put the
largest at 1, so that index shares :math:`q_i = IS_i FAF_i CF_i` reproduce :math:`c` at that close.
"""

from __future__ import annotations

import numpy as np

from engine.errors import CappingError
from engine.rules._nb import cap_factors_nb, cap_weights_nb


def cap_weights(raw, cap: float, *, date=None, source: str | None = None) -> np.ndarray:
    """Capped weights from raw (positive) weights or market caps.

    Parameters
    ----------
    raw
        Positive numbers, one per constituent (free-float market caps or weights).
    cap
        Single-stock cap in (0, 1].
    date, source
        Used in error messages (the review date and methodology).

    Raises
    ------
    CappingError
        ``cap * N < 1`` (no weights can sum to 1 under the cap), a cap outside (0, 1], or a raw value
        that is not a positive finite number.
    """
    arr = np.ascontiguousarray(raw, dtype=np.float64)
    n = arr.shape[0]
    if not 0 < cap <= 1:
        raise CappingError(
            "cap must lie in (0, 1]", source=source, date=date, field="cap", value=cap
        )
    if n == 0:
        return np.empty(0)
    bad = np.flatnonzero(~np.isfinite(arr) | (arr <= 0))
    if len(bad):
        raise CappingError(
            "raw weights must be positive finite numbers",
            source=source,
            date=date,
            row=int(bad[0]),
            value=float(arr[bad[0]]),
            fix="check close, shares and free float on the cap date",
        )
    if cap * n < 1 - 1e-12:
        raise CappingError(
            f"cap {cap:g} cannot be met by N={n} constituents (cap x N = {cap * n:g} < 1)",
            source=source,
            date=date,
            field="weighting.cap",
            value=cap,
            fix=f"raise the cap to at least 1/{n} or select more constituents",
        )
    return cap_weights_nb(arr, float(cap))


def cap_factors(raw, capped) -> np.ndarray:
    """Cap factors in (0, 1], the largest equal to 1 (see module docstring)."""
    raw = np.ascontiguousarray(raw, dtype=np.float64)
    capped = np.ascontiguousarray(capped, dtype=np.float64)
    if raw.shape[0] == 0:
        return np.empty(0)
    return cap_factors_nb(raw, capped)


def rebalance_cap_factors(capped, close_hkd, float_shares) -> np.ndarray:
    """Cap factors that make the weights equal ``capped`` at a later close (``shares_at =
    "rebalance_close"``).

    With closes :math:`P_i` on the session before the effective date and float shares
    :math:`S_i = IS_i \\cdot FAF_i` on the cap date, index shares :math:`q_i \\propto c_i / P_i` give
    the weights :math:`q_i P_i / \\sum_j q_j P_j = c_i` at that close.  Written as
    :math:`q_i = S_i \\cdot CF_i`,

    .. math:: CF_i = \\frac{c_i / (P_i S_i)}{\\max_j c_j / (P_j S_j)} \\in (0, 1].

    The scale of :math:`q` is absorbed by the divisor, so the level does not depend on it.
    """
    capped = np.asarray(capped, dtype=np.float64)
    ratio = capped / (
        np.asarray(close_hkd, dtype=np.float64) * np.asarray(float_shares, dtype=np.float64)
    )
    if ratio.shape[0] == 0:
        return ratio
    return ratio / ratio.max()


__all__ = ["cap_factors", "cap_weights", "rebalance_cap_factors"]
