"""Capping kernel: hand-worked examples, a pure-Python oracle, properties and error paths."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import CappingError, MethodologyError
from engine.rules.capping import cap_factors, cap_weights


def oracle_cap(raw: list[float], cap: float) -> list[float]:
    """Water-filling oracle: the k largest are capped for the smallest k where the rest fit under the cap.

    Sort descending; for k = 0, 1, ... the uncapped remainder gets (1 - k cap) pro rata; accept the
    first k whose largest uncapped weight is <= cap.
    """
    total = sum(raw)
    w = [r / total for r in raw]
    order = sorted(range(len(w)), key=lambda i: -w[i])
    for k in range(len(w) + 1):
        rest = order[k:]
        rest_sum = sum(w[i] for i in rest)
        if rest_sum == 0:
            return [cap if i in order[:k] else 0.0 for i in range(len(w))]
        scale = (1 - k * cap) / rest_sum
        if max(w[i] * scale for i in rest) <= cap * (1 + 1e-12):
            out = [0.0] * len(w)
            for i in order[:k]:
                out[i] = cap
            for i in rest:
                out[i] = w[i] * scale
            return out
    raise AssertionError("unreachable when cap * n >= 1")


def test_hand_worked_two_passes():
    # raw 0.5/0.3/0.1/0.1, cap 0.35
    # pass 1: 0.5 > 0.35 -> lock A at 0.35; the other 0.65 goes pro rata over raw 0.3+0.1+0.1 = 0.5,
    #         scale 1.3 -> B 0.39, C 0.13, D 0.13
    # pass 2: B 0.39 > 0.35 -> lock B at 0.35; 1 - 0.70 = 0.30 over raw 0.1+0.1 = 0.2, scale 1.5
    #         -> C 0.15, D 0.15; no breach -> done
    w = cap_weights([0.5, 0.3, 0.1, 0.1], 0.35)
    np.testing.assert_allclose(w, [0.35, 0.35, 0.15, 0.15], rtol=0, atol=1e-15)


def test_hand_worked_market_caps_not_normalised():
    # market caps 600/200/100/100 (raw 0.6/0.2/0.1/0.1), cap 0.4:
    # pass 1: A 0.6 -> 0.4 locked; 0.6 over raw 0.4 -> scale 1.5: B 0.3, C 0.15, D 0.15; no breach
    w = cap_weights([600.0, 200.0, 100.0, 100.0], 0.4)
    np.testing.assert_allclose(w, [0.4, 0.3, 0.15, 0.15], atol=1e-15)


def test_no_breach_leaves_weights_unchanged():
    raw = np.array([4.0, 3.0, 2.0, 1.0])
    np.testing.assert_allclose(cap_weights(raw, 0.5), raw / raw.sum(), atol=1e-15)


def test_cap_times_n_equal_one_gives_equal_weights():
    w = cap_weights(np.arange(1.0, 11.0), 0.1)
    np.testing.assert_allclose(w, np.full(10, 0.1), atol=1e-12)


def test_cap_factors_hand_worked():
    # capped/raw ratios: A 0.35/0.5 = 0.7, B 0.35/0.3 = 1.1667, C = D = 0.15/0.1 = 1.5
    # divided by the largest ratio 1.5: A 0.4667, B 0.7778, C = D = 1
    cf = cap_factors([0.5, 0.3, 0.1, 0.1], [0.35, 0.35, 0.15, 0.15])
    np.testing.assert_allclose(cf, [0.7 / 1.5, (0.35 / 0.3) / 1.5, 1.0, 1.0])


def test_capping_error_names_date_n_and_cap():
    with pytest.raises(CappingError) as exc:
        cap_weights([1.0, 2.0, 3.0, 4.0, 5.0], 0.1, date="2025-08-11", source="hsidi-2025-08")
    msg = str(exc.value)
    assert "N=5" in msg and "cap 0.1" in msg and "2025-08-11" in msg and "hsidi-2025-08" in msg
    assert isinstance(exc.value, MethodologyError)


@pytest.mark.parametrize("cap", [0.0, -0.1, 1.5])
def test_cap_out_of_range(cap):
    with pytest.raises(CappingError, match="cap must lie in"):
        cap_weights([1.0, 2.0], cap)


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan, np.inf])
def test_non_positive_raw_rejected(bad):
    with pytest.raises(CappingError, match="positive finite") as exc:
        cap_weights([1.0, bad, 2.0], 0.5, date="2025-03-10")
    assert "row=1" in str(exc.value) and "2025-03-10" in str(exc.value)


def test_empty_input():
    assert cap_weights([], 0.1).shape == (0,)
    assert cap_factors([], []).shape == (0,)


weights_and_cap = st.lists(
    st.floats(min_value=1e-3, max_value=1e3, allow_nan=False), min_size=1, max_size=40
).flatmap(
    lambda raw: st.tuples(
        st.just(raw), st.floats(min_value=1.0 / len(raw), max_value=1.0, allow_nan=False)
    )
)


@settings(max_examples=60, deadline=None)
@given(weights_and_cap)
def test_properties_and_oracle(args):
    raw, cap = args
    w = cap_weights(raw, cap)
    assert abs(w.sum() - 1.0) < 1e-9
    assert (w <= cap * (1 + 1e-9)).all()
    r = np.asarray(raw)
    # order preserved: a larger raw weight never ends below a smaller one
    i, j = np.meshgrid(np.arange(len(r)), np.arange(len(r)), indexing="ij")
    assert not ((r[i] > r[j]) & (w[i] < w[j] - 1e-12)).any()
    if r.max() / r.sum() <= cap:
        np.testing.assert_allclose(w, r / r.sum(), atol=1e-12)
    np.testing.assert_allclose(w, oracle_cap(list(raw), cap), atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(min_value=0.5, max_value=500.0),  # close
            st.floats(min_value=1e6, max_value=1e10),  # shares
            st.floats(min_value=0.05, max_value=1.0),  # free float
        ),
        min_size=10,
        max_size=30,
    ),
    st.floats(min_value=0.1, max_value=0.5),
)
def test_cap_factors_reproduce_capped_weights(rows, cap):
    close, shares, ff = (np.array(c) for c in zip(*rows, strict=True))
    ffmc = close * shares * ff
    capped = cap_weights(ffmc, cap)
    cf = cap_factors(ffmc, capped)
    assert cf.max() == pytest.approx(1.0)
    assert (cf > 0).all() and (cf <= 1 + 1e-12).all()
    q = shares * ff * cf
    np.testing.assert_allclose(q * close / (q * close).sum(), capped, atol=1e-12)
