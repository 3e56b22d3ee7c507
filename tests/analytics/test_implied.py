"""implied_weights: recovers known long-only weights; constraints hold; rolling fits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.analytics import implied_weights
from engine.errors import DataError


def _panel(n_days=120, n=8, seed=0):
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2025-01-02", periods=n_days)
    X = pd.DataFrame(
        rng.normal(0, 0.02, (n_days, n)), index=dates, columns=[f"{1000 + k}" for k in range(n)]
    )
    return X


def test_recovers_known_weights_to_1e6():
    X = _panel()
    w = np.array([0.3, 0.0, 0.2, 0.1, 0.0, 0.25, 0.15, 0.0])
    y = X @ w
    res = implied_weights(y, X)
    np.testing.assert_allclose(res.weights.iloc[0].to_numpy(), w, atol=1e-6)
    assert res.fit["r2"].iloc[0] == pytest.approx(1.0, abs=1e-9)


@given(st.integers(0, 10_000))
def test_constraints_hold_on_noisy_data(seed):
    X = _panel(60, 6, seed)
    rng = np.random.default_rng(seed)
    y = X @ rng.dirichlet(np.ones(6)) + rng.normal(0, 0.01, len(X))
    res = implied_weights(y, X)
    w = res.weights.iloc[0].to_numpy()
    assert (w >= 0).all() and w.sum() == pytest.approx(1.0, abs=1e-12)
    # no feasible point fits better: compare with random simplex points (an independent check)
    sse = float(((y - X @ w) ** 2).sum())
    for v in rng.dirichlet(np.ones(6), 200):
        assert sse <= float(((y - X @ v) ** 2).sum()) + 1e-12


def test_rolling_windows_follow_a_weight_change():
    X = _panel(100, 4, 3)
    w1, w2 = np.array([0.7, 0.3, 0, 0]), np.array([0, 0, 0.5, 0.5])
    y = pd.concat([X.iloc[:50] @ w1, X.iloc[50:] @ w2])
    res = implied_weights(y, X, window=30, step=10)
    assert list(res.weights.index) == list(X.index[[29, 39, 49, 59, 69, 79, 89, 99]])
    np.testing.assert_allclose(res.weights.loc[X.index[49]].to_numpy(), w1, atol=1e-6)
    np.testing.assert_allclose(res.weights.loc[X.index[99]].to_numpy(), w2, atol=1e-6)
    assert res.fit.loc[X.index[69], "r2"] < 0.999  # a window straddling the change fits worse


def test_gaps_are_dropped_and_reported_and_beside():
    X = _panel(40, 3, 1)
    y = X @ np.array([0.5, 0.5, 0.0])
    X.iloc[5, 2] = np.nan
    res = implied_weights(y, X)
    assert res.dropped == ("1002",)
    b = res.beside(pd.Series({"1000": 0.4, "1001": 0.6}))
    assert b.loc["1000", "diff"] == pytest.approx(0.1, abs=1e-6)
    assert "r2" in res.summary()
    assert res.plot(reconstructed=pd.Series({"1000": 0.4})).get_ylabel() == "weight"
    with pytest.raises(DataError, match="window"):
        implied_weights(y, X, window=1)


def test_each_window_says_which_codes_it_dropped():
    X = _panel(60, 4)
    y = X @ np.array([0.4, 0.3, 0.2, 0.1])
    X.iloc[5, 1] = np.nan  # only the windows that hold row 5 lose code 1001
    res = implied_weights(y, X, window=20, step=10)
    dropped = res.fit["dropped"]
    assert dropped.iloc[0] == "1001" and dropped.iloc[-1] == ""
    assert res.dropped == ("1001",)
    assert res.weights.iloc[-1]["1001"] == pytest.approx(0.3, abs=1e-6)


@pytest.mark.parametrize(
    "spoil, pattern",
    [
        (lambda y, X: (y, X.assign(**{"1002": np.inf})), r"infinite.*code=1002"),
        (
            lambda y, X: (y.astype(object).where(y.index != y.index[3], "x"), X),
            r"not a number.*field=observed_returns",
        ),
        (lambda y, X: (y.tz_localize("UTC"), X), r"time zone or a time of day"),
        (lambda y, X: (y, X * np.nan), r"every constituent has a gap"),
    ],
)
def test_bad_returns_are_named(spoil, pattern):
    X = _panel(30, 3)
    y = X @ np.array([0.5, 0.3, 0.2])
    y2, X2 = spoil(y, X)
    with pytest.raises(DataError, match=pattern):
        implied_weights(y2, X2)


@pytest.mark.parametrize("kwargs", [{"window": 0}, {"window": True}, {"window": 10, "step": 0}])
def test_window_and_step_are_checked(kwargs):
    X = _panel(30, 3)
    with pytest.raises(DataError, match=r"window|step"):
        implied_weights(X.sum(axis=1) / 3, X, **kwargs)
