"""The sweep's compiled metric reducer against the NumPy expressions it replaces."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from engine.sweep._nb import level_stats


def _numpy(L, ddof):
    with np.errstate(invalid="ignore", divide="ignore"):
        r = L[1:] / L[:-1] - 1.0
        std = np.std(r, axis=0, ddof=ddof) if r.shape[0] > ddof else np.full(L.shape[1], np.nan)
        mdd = np.min(L / np.maximum.accumulate(L, axis=0) - 1.0, axis=0)
        return L[-1] / L[0] - 1.0, std, mdd


@given(
    st.integers(2, 40),
    st.integers(1, 140),  # more than one block of columns
    st.integers(0, 1),
    st.integers(0, 2**32 - 1),
    st.booleans(),
)
def test_level_stats_equals_numpy(T, V, ddof, seed, with_nan):
    rng = np.random.default_rng(seed)
    L = 100.0 * np.cumprod(1.0 + rng.normal(0.0, 0.02, (T, V)), axis=0)
    if with_nan:
        L[rng.integers(0, T), rng.integers(0, V)] = np.nan  # a column that failed
    got = level_stats(np.ascontiguousarray(L.T), ddof)
    for g, x in zip(got, _numpy(L, ddof), strict=True):
        np.testing.assert_allclose(g, x, rtol=1e-12, atol=1e-15)
        np.testing.assert_array_equal(np.isnan(g), np.isnan(x))


def test_level_stats_hand_worked():
    """Levels 100, 110, 99, 121: returns +10%, -10%, +22.2...%; the drawdown is 99/110 - 1."""
    L = np.array([[100.0], [110.0], [99.0], [121.0]])
    total, std, mdd = level_stats(np.ascontiguousarray(L.T), 1)
    r = np.array([0.1, -0.1, 121.0 / 99.0 - 1.0])
    assert abs(total[0] - 0.21) < 1e-15
    assert abs(std[0] - np.sqrt(((r - r.mean()) ** 2).sum() / 2)) < 1e-15
    assert abs(mdd[0] - (99.0 / 110.0 - 1.0)) < 1e-15
