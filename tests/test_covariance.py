"""engine.covariance: hand-worked numbers, pandas/NumPy as independent oracles, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.covariance import covariance
from engine.errors import DataError


def test_sample_hand_worked():
    # x2 = 2 x1: var1 = ((-1)^2 + 0 + 1^2) / 2 * 1e-4 = 1e-4, var2 = 4e-4, cov = 2e-4
    x = np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]]) * 0.01
    s = covariance(x, model="sample", window=None)
    np.testing.assert_allclose(s, [[1e-4, 2e-4], [2e-4, 4e-4]], rtol=1e-12)


def test_ewma_hand_worked():
    # two rows, half-life 1: weights 1/3 (older), 2/3 (newer); mean = 2/3 * 0.02 + 1/3 * 0.01;
    # sum w (x - m)^2 = (1/3)(2/3)^2 d^2 + (2/3)(1/3)^2 d^2 = (2/9) d^2 with d = 0.01;
    # bias correction 1 / (1 - (1/9 + 4/9)) = 9/4: variance = d^2 / 2
    s = covariance(np.array([[0.01], [0.02]]), model="ewma", halflife=1.0, window=None)
    assert s[0, 0] == pytest.approx(0.5e-4, rel=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_against_numpy_and_pandas(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 0.02, (300, 5))
    np.testing.assert_allclose(
        covariance(x, model="sample", window=120), np.cov(x[-120:].T), rtol=1e-12
    )
    # pandas' adjusted, bias-corrected EWM covariance is the same estimate over all rows
    frame = pd.DataFrame(x[-200:])
    oracle = frame.ewm(halflife=30.0).cov().loc[199].to_numpy()
    np.testing.assert_allclose(covariance(x, halflife=30.0, window=200), oracle, rtol=1e-10)


def test_symmetric_and_window_uses_last_rows():
    rng = np.random.default_rng(9)
    x = rng.normal(0, 0.01, (50, 4))
    s = covariance(x, model="ewma", halflife=10, window=20)
    np.testing.assert_array_equal(s, s.T)
    np.testing.assert_array_equal(s, covariance(x[-20:], halflife=10, window=None))
    assert np.all(np.linalg.eigvalsh(s) > -1e-15)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"model": "garch"}, "model"),
        ({"halflife": 0.0}, "halflife"),
        ({"window": 11}, "window"),
        ({"window": 1}, "window"),
    ],
)
def test_bad_settings_name_the_argument(kwargs, field):
    with pytest.raises(DataError, match=f"field={field}"):
        covariance(np.zeros((10, 2)), **kwargs)


def test_nan_names_row_and_column():
    x = np.zeros((10, 3))
    x[7, 2] = np.nan
    with pytest.raises(DataError, match=r"row=7.*returns\[:, 2\]"):
        covariance(x, window=None)
