"""engine.metrics: each metric's compiled form against short, obviously right versions.

The table of each statistic's implementations (the engine's, a pure-Python oracle and the
pandas/NumPy expression a user would write) is ``support.comparisons.COMPARISONS``, whose agreement
``tests/test_comparisons.py`` asserts; here the 1-D, 2-D and rolling forms of one statistic are
checked against each other, against NumPy/pandas and by hand.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import metrics
from engine.conventions import Conventions
from engine.errors import DataError

C0 = Conventions(periods_per_year=246, ddof=0)
C1 = Conventions(periods_per_year=246, ddof=1)


@given(
    st.integers(2, 40),
    st.integers(1, 140),
    st.integers(0, 1),
    st.integers(0, 2**32 - 1),
    st.booleans(),
)
def test_level_stats_2d_equals_numpy(T, V, ddof, seed, with_nan):
    rng = np.random.default_rng(seed)
    L = 100.0 * np.cumprod(1.0 + rng.normal(0.0, 0.02, (T, V)), axis=0)
    if with_nan:
        L[rng.integers(0, T), rng.integers(0, V)] = np.nan  # a column that failed
    got = metrics.level_stats(L, Conventions(ddof=ddof))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = L[1:] / L[:-1] - 1.0
        std = np.std(r, axis=0, ddof=ddof) if r.shape[0] > ddof else np.full(V, np.nan)
        mdd = np.min(L / np.maximum.accumulate(L, axis=0) - 1.0, axis=0)
    for g, x in zip(got, (L[-1] / L[0] - 1.0, std, mdd), strict=True):
        np.testing.assert_allclose(g, x, rtol=1e-12, atol=1e-15)
        np.testing.assert_array_equal(np.isnan(g), np.isnan(x))


def test_level_stats_hand_worked():
    """Levels 100, 110, 99, 121: returns +10%, -10%, +22.2...%; the drawdown is 99/110 - 1."""
    L = np.array([[100.0], [110.0], [99.0], [121.0]])
    total, std, mdd = metrics.level_stats(L, C1)
    r = np.array([0.1, -0.1, 121.0 / 99.0 - 1.0])
    assert abs(total[0] - 0.21) < 1e-15
    assert abs(std[0] - np.sqrt(((r - r.mean()) ** 2).sum() / 2)) < 1e-15
    assert abs(mdd[0] - (99.0 / 110.0 - 1.0)) < 1e-15
    assert metrics.max_drawdown(L[:, 0]) == mdd[0]


def test_the_three_forms_of_one_statistic_agree_bitwise():
    """1-D, 2-D over columns and the last rolling window run the same arithmetic."""
    rng = np.random.default_rng(3)
    x = rng.normal(0, 0.01, size=(80, 4))
    two_d = metrics.tracking_error(x, C1)
    roll = metrics.rolling_tracking_error(x, 80, "std", C1)
    for k in range(4):
        one_d = metrics.tracking_error(x[:, k], C1)
        assert one_d == two_d[k] == roll[-1, k]
        # rolling window at t: the 1-D form over rows t-w+1..t
        assert metrics.rolling(x[:, k], 10, "std", C1)[40] == metrics.std(x[31:41, k], C1)


def test_rolling_against_pandas_and_nan_windows():
    rng = np.random.default_rng(5)
    x = rng.normal(0, 0.01, size=(50, 3))
    x[20, 1] = np.nan
    frame = pd.DataFrame(x)
    np.testing.assert_allclose(
        metrics.rolling(x, 10, "std", C1), frame.rolling(10).std(ddof=1), rtol=1e-9, equal_nan=True
    )
    np.testing.assert_allclose(
        metrics.rolling(x, 7, "mean"),
        frame.rolling(7).mean(),
        rtol=1e-9,
        atol=1e-15,
        equal_nan=True,
    )
    np.testing.assert_allclose(
        metrics.rolling(x, 7, "rms"),
        np.sqrt((frame**2).rolling(7).mean()),
        rtol=1e-9,
        equal_nan=True,
    )
    assert np.isnan(metrics.rolling(x, 10, "std")[20:30, 1]).all()  # windows holding the NaN
    assert np.isnan(metrics.rolling(x, 60, "std")).all()  # window longer than the data
    with pytest.raises(DataError, match="stat"):
        metrics.rolling(x, 10, "median")


def test_tracking_metrics_hand_worked():
    """Fund 100 -> 102 -> 101, benchmark 100 -> 101 -> 101: active +0.0099..., -0.0098..."""
    f = np.array([100.0, 102.0, 101.0])
    b = np.array([100.0, 101.0, 101.0])
    m = metrics.tracking_metrics(f, b, C1)
    rf = np.array([0.02, 101 / 102 - 1])
    rb = np.array([0.01, 0.0])
    a = rf - rb
    assert m["tracking_difference"] == pytest.approx(0.01 - 0.01, abs=1e-16)
    assert m["tracking_error_std"] == pytest.approx(
        abs(a[0] - a[1]) / math.sqrt(2) * math.sqrt(246), rel=1e-14
    )
    assert m["tracking_error_rms"] == pytest.approx(math.sqrt((a**2).mean() * 246), rel=1e-14)
    assert m["information_ratio"] == pytest.approx(
        246 * a.mean() / m["tracking_error_std"], rel=1e-14
    )
    beta = np.cov(rf, rb)[0, 1] / np.var(rb, ddof=1)
    assert m["beta"] == pytest.approx(beta, rel=1e-12)
    assert m["correlation"] == pytest.approx(np.corrcoef(rf, rb)[0, 1], rel=1e-12)
    # RMS^2 = (n-1)/n STD^2 + mean^2 (annualised by p on both sides)
    n = 2
    lhs = m["tracking_error_rms"] ** 2
    rhs = (n - 1) / n * m["tracking_error_std"] ** 2 + 246 * a.mean() ** 2
    assert lhs == pytest.approx(rhs, rel=1e-12)


def test_ddof_is_honoured_everywhere():
    rng = np.random.default_rng(1)
    a = rng.normal(0, 0.01, 30)
    te0 = metrics.tracking_error(a, C0)
    te1 = metrics.tracking_error(a, C1)
    assert te1 / te0 == pytest.approx(math.sqrt(30 / 29), rel=1e-13)


def test_turnover_and_annualised_return():
    assert metrics.one_way_turnover([0.5, 0.5, 0.0], [0.4, 0.3, 0.3]) == pytest.approx(0.3)
    assert metrics.annualised_return(0.21, 246, C1) == pytest.approx(0.21)
    assert math.isnan(metrics.annualised_return(-1.0, 10, C1))
    np.testing.assert_allclose(
        metrics.annualised_return(np.array([0.1, -2.0]), 123), [0.21, np.nan]
    )


def test_registry_and_deprecated_names():
    for name in metrics.TRACKING:
        assert name in metrics.REGISTRY
    v = metrics.MetricValues(tracking_error_std=0.02)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert v["te_std"] == 0.02
    assert any(issubclass(w.category, DeprecationWarning) for w in caught)
    with pytest.raises(KeyError):
        v["no_such_metric"]
    row = metrics.row("tracking_error_std", 0.02, against="B")
    assert row["unit"] == "%" and row["against"] == "B" and "STD" in row["note"]
    assert metrics.row("fund_return", 0.1, against="B")["against"] == ""


def test_a_constant_return_series_has_no_beta_or_correlation():
    """Returns that differ only by rounding (levels compounding one constant return) count as
    constant: beta and correlation are NaN, not the correlation of rounding noise; one real move
    above the tolerance is enough to get them back."""
    from engine.metrics import beta_correlation, correlation_2d

    levels = 100.0 * np.cumprod(np.full(12, 1.0 - 0.16935922))
    flat = levels[1:] / levels[:-1] - 1.0
    assert np.ptp(flat) > 0  # rounding: not exactly constant
    bench = np.random.default_rng(3).normal(0.0, 0.01, flat.size)
    beta, corr = beta_correlation(flat, bench)  # a constant fund against a moving benchmark
    assert np.isnan(corr) and abs(beta) < 1e-12
    assert np.isnan(beta_correlation(bench, flat)).all()  # against a constant benchmark
    assert np.isnan(correlation_2d(flat[:, None], bench)).all()
    moved = flat.copy()
    moved[3] += 1e-6
    beta, corr = beta_correlation(moved, bench)
    assert np.isfinite(beta) and np.isfinite(corr)
