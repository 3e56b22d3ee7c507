"""Kernels of the ex-ante risk model against independent implementations, on random inputs.

Oracles: ``numpy.cov`` with ``aweights`` (the weighted covariance), pandas ``ewm().cov()``,
scikit-learn's ``LedoitWolf`` (shrinkage to the scaled identity) and a vectorised NumPy transcription
of the constant-correlation formulas (Ledoit and Wolf 2004).  They pass with
``NUMBA_DISABLE_JIT=1`` too (about 35 s: not in ``tests/test_nojit.py``, whose 120 s budget the
listed files already use).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.analytics import exante_nb as nb
from engine.analytics.exante import decay


def _random(seed, t, n):
    rng = np.random.default_rng(seed)
    mix = rng.normal(size=(n, n)) / np.sqrt(n)
    return rng.normal(0.0005, 0.02, size=(t, n)) @ (np.eye(n) + 0.5 * mix)


@given(seed=st.integers(0, 10_000), t=st.integers(3, 40), n=st.integers(1, 6),
       halflife=st.floats(0.5, 200), ddof=st.sampled_from([0, 1]))  # fmt: skip
def test_ew_cov_equals_numpy_weighted_cov(seed, t, n, halflife, ddof):
    x = _random(seed, t, n)
    lam = decay(halflife)
    w = lam ** np.arange(t - 1, -1, -1)
    expected = np.atleast_2d(np.cov(x.T, aweights=w, ddof=ddof))
    np.testing.assert_allclose(nb.ew_cov(x, lam, ddof), expected, rtol=1e-10, atol=1e-18)


def test_sample_is_numpy_cov_and_ewma_is_pandas_ewm_cov():
    x = _random(3, 250, 5)
    np.testing.assert_allclose(nb.ew_cov(x, 1.0, 1), np.cov(x.T), rtol=1e-12)
    frame = pd.DataFrame(x)
    pandas = frame.ewm(halflife=60).cov(bias=False).loc[249].to_numpy()
    np.testing.assert_allclose(nb.ew_cov(x, decay(60), 1), pandas, rtol=1e-10)


@given(seed=st.integers(0, 10_000), window=st.integers(2, 30), n=st.integers(1, 5),
       halflife=st.floats(1, 100), ddof=st.sampled_from([0, 1]))  # fmt: skip
def test_recursive_series_equals_the_direct_sum_each_day(seed, window, n, halflife, ddof):
    t_len = window + 25
    r = _random(seed, t_len, n)
    rng = np.random.default_rng(seed + 1)
    rows = np.sort(rng.choice(np.arange(t_len), size=12, replace=False)).astype(np.int64)
    act = rng.normal(0, 0.02, size=(len(rows), n))
    for lam in (decay(halflife), 1.0):
        got = nb.ew_quad_series(r, act, rows, lam, window, ddof)
        for d, t in enumerate(rows):
            if t < window:  # row 0 has no return: a full window needs rows t-window+1 >= 1
                assert np.isnan(got[d])
                continue
            x = r[t - window + 1 : t + 1]
            w = lam ** np.arange(window - 1, -1, -1)
            cov = np.atleast_2d(np.cov(x.T, aweights=w, ddof=ddof))
            assert got[d] == pytest.approx(act[d] @ cov @ act[d], rel=1e-8, abs=1e-20)


@given(seed=st.integers(0, 10_000), t=st.integers(5, 60), n=st.integers(2, 8))
def test_ledoit_wolf_identity_equals_sklearn(seed, t, n):
    from sklearn.covariance import LedoitWolf

    x = _random(seed, t, n)
    got, delta = nb.lw_identity(x)
    ref = LedoitWolf().fit(x)
    assert delta == pytest.approx(ref.shrinkage_, rel=1e-9, abs=1e-12)
    np.testing.assert_allclose(got, ref.covariance_, rtol=1e-9, atol=1e-18)


def _lw_cc_oracle(x):
    """Constant-correlation shrinkage written straight from the 2004 formulas, vectorised."""
    t, n = x.shape
    y = x - x.mean(axis=0)
    s = y.T @ y / t
    sd = np.sqrt(np.diag(s))
    corr = s / np.outer(sd, sd)
    r_bar = (corr.sum() - n) / (n * (n - 1))
    f = r_bar * np.outer(sd, sd)
    np.fill_diagonal(f, np.diag(s))
    z = y[:, :, None] * y[:, None, :] - s  # [t, i, j]
    pi = (z**2).mean(axis=0)
    diag = np.einsum("tii->ti", z)  # z_t,ii
    theta = np.einsum("ti,tij->ij", diag, z) / t  # theta[i, j] = mean_t z_t,ii z_t,ij
    ratio = np.outer(1 / sd, sd)  # ratio[i, j] = sd_j / sd_i
    off = r_bar / 2 * (ratio * theta + ratio.T * theta.T)
    np.fill_diagonal(off, 0.0)
    rho = np.trace(pi) + off.sum()
    gamma = ((f - s) ** 2).sum()
    if n == 2:  # one correlation: the target is the sample covariance, any delta gives S
        return s, 0.0
    delta = max(0.0, min(1.0, (pi.sum() - rho) / gamma / t))
    return delta * f + (1 - delta) * s, delta


@given(seed=st.integers(0, 10_000), t=st.integers(5, 60), n=st.integers(2, 8))
def test_ledoit_wolf_constant_correlation_equals_the_oracle(seed, t, n):
    x = _random(seed, t, n)
    got, delta = nb.lw_constant_correlation(x)
    want, want_delta = _lw_cc_oracle(x)
    assert delta == pytest.approx(want_delta, rel=1e-9, abs=1e-12)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-18)


def test_ledoit_wolf_keeps_a_flat_security_out_of_the_correlation():
    x = _random(5, 40, 4)
    flat = np.column_stack([x, np.zeros(40)])
    got, delta = nb.lw_constant_correlation(flat)
    want, want_delta = _lw_cc_oracle(x)
    assert delta == pytest.approx(want_delta, rel=1e-9)
    np.testing.assert_allclose(got[:4, :4], want, rtol=1e-9)
    assert not got[4].any() and not got[:, 4].any()


def test_ledoit_wolf_series_equals_the_single_window():
    r = _random(7, 60, 4)
    rows = np.array([25, 40, 59], dtype=np.int64)
    act = np.random.default_rng(0).normal(0, 0.02, size=(3, 4))
    for target, one in ((0, nb.lw_constant_correlation), (1, nb.lw_identity)):
        got = nb.lw_quad_series(r, act, rows, 20, target)
        for d, t in enumerate(rows):
            cov, _ = one(r[t - 19 : t + 1])
            assert got[d] == pytest.approx(act[d] @ cov @ act[d], rel=1e-12)
