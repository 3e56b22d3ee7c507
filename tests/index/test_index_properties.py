"""The kernel against an independent chain-linked oracle, and properties of the index on random markets."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.cases import index_case_inputs, index_dense_args, random_index_arrays
from support.oracles import oracle_levels

from engine.index import _nb, compute


def oracle(case, base_value=1000.0):
    return oracle_levels(
        case["close"],
        0,
        base_value,
        case["review_rows"],
        case["review_q"],
        case["actions"],
        case["wht"],
    )


cases = st.builds(
    dict,
    seed=st.integers(0, 2**32 - 1),
    T=st.integers(8, 60),
    N=st.integers(3, 8),
    n_reviews=st.integers(1, 4),
    n_actions=st.integers(0, 15),
    flat=st.booleans(),
)


def make_case(p):
    rng = np.random.default_rng(p["seed"])
    return random_index_arrays(
        rng,
        p["T"],
        p["N"],
        n_reviews=p["n_reviews"],
        n_actions=p["n_actions"],
        flat_events=p["flat"],
    )


@settings(max_examples=40, deadline=None)
@given(cases)
def test_compute_matches_chain_linked_oracle(p):
    case = make_case(p)
    market, schedule, _ = index_case_inputs(case)
    res = compute(market, schedule)
    expected = oracle(case)
    np.testing.assert_allclose(res.levels.to_numpy(), expected, rtol=1e-10, atol=0)


@pytest.mark.parametrize("seed", range(6))
def test_kernel_matches_oracle_on_larger_markets(seed):
    rng = np.random.default_rng(1000 + seed)
    case = random_index_arrays(rng, 300, 25, n_reviews=6, n_actions=120)
    levels = _nb.index_dense(*index_dense_args(case))[0]
    np.testing.assert_allclose(levels, oracle(case), rtol=1e-10, atol=0)


@settings(max_examples=40, deadline=None)
@given(cases)
def test_divisor_identity_weights_and_ordering(p):
    case = make_case(p)
    levels, divisors, q, weights, *_, status = _nb.index_dense(*index_dense_args(case))
    assert status[0] == _nb.ST_OK
    close = np.nan_to_num(case["close"])
    cap = (q * close).sum(axis=1)
    # I_t = sum_i q_it P_it / D_t for every variant
    np.testing.assert_allclose(levels, cap[:, None] / divisors, rtol=1e-13)
    # weights sum to one and are non-negative
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-12)
    assert (weights >= 0).all()
    # price <= net <= gross (reinvesting more of every dividend can only raise the level)
    price, gross, net = levels.T
    assert (net <= gross * (1 + 1e-12)).all()
    assert (price <= net * (1 + 1e-12)).all()


@settings(max_examples=30, deadline=None)
@given(cases)
def test_without_dividends_the_three_variants_coincide(p):
    case = make_case(p)
    case["actions"] = [a for a in case["actions"] if a[2] != "cash_dividend"]
    levels = _nb.index_dense(*index_dense_args(case))[0]
    np.testing.assert_allclose(levels[:, 1], levels[:, 0], rtol=1e-15)
    np.testing.assert_allclose(levels[:, 2], levels[:, 0], rtol=1e-15)


@settings(max_examples=40, deadline=None)
@given(cases)
def test_level_continuous_across_mechanical_events(p):
    """Closes on event days are yesterday's closes restated for the day's actions (and less the
    dividend): the gross level does not move on any event day, the price level does not move on
    event days without a constituent dividend."""
    p = dict(p, flat=True)
    case = make_case(p)
    levels, _, q, *_ = _nb.index_dense(*index_dense_args(case))
    close = case["close"]
    T = close.shape[0]
    event_rows = set(case["review_rows"]) | {a[0] for a in case["actions"]}
    event_rows |= {t for t in range(1, T) if (np.isnan(close[t]) & np.isfinite(close[t - 1])).any()}
    for t in sorted(event_rows):
        # stocks not touched by an action carry yesterday's close on event days
        assert levels[t, 1] == pytest.approx(levels[t - 1, 1], rel=1e-12)
        paid = [
            a for a in case["actions"] if a[0] == t and a[2] == "cash_dividend" and q[t, a[1]] > 0
        ]
        if not paid:
            assert levels[t, 0] == pytest.approx(levels[t - 1, 0], rel=1e-12)
        else:
            assert levels[t, 0] < levels[t - 1, 0]


def test_base_value_scales_levels_only():
    rng = np.random.default_rng(7)
    case = random_index_arrays(rng, 50, 6, n_reviews=3, n_actions=12)
    a = _nb.index_dense(*index_dense_args(case, 1000.0))
    b = _nb.index_dense(*index_dense_args(case, 3000.0))
    np.testing.assert_allclose(b[0], 3 * a[0], rtol=1e-13)
    np.testing.assert_allclose(b[1], a[1] / 3, rtol=1e-13)
    np.testing.assert_array_equal(b[2], a[2])


def _tiny_args(close, q, actions=()):
    close = np.asarray(close, dtype=float)
    one_review = np.array([1], dtype=np.int64)
    return (
        close,
        0,
        100.0,
        one_review,
        np.asarray([q], dtype=float),
        actions,
        np.zeros(close.shape[1]),
    )


def test_kernel_status_codes():
    # a constituent without a base-date close
    out = _nb.index_dense(*_tiny_args([[np.nan, 1.0], [1.0, 1.0], [1.0, 1.0]], [1.0, 1.0]))
    assert list(out[-1]) == [_nb.ST_NAN_PRICE, 0, 0]
    # the only constituent delists on row 2: the kernel stops there, rows before are complete
    levels, *_, status = _nb.index_dense(
        *_tiny_args([[2.0, 1.0], [3.0, 1.0], [np.nan, 1.0]], [1.0, 0.0])
    )
    assert list(status[:2]) == [_nb.ST_EMPTY, 2]
    np.testing.assert_allclose(levels[:2, 0], [100.0, 150.0])
    # a dividend as large as the restated prior close (split 10:1 then HKD 2 on a prior close of 20)
    acts = [
        (1, 0, _nb.EV_SPLIT, 10.0, np.nan, np.nan),
        (1, 0, _nb.EV_CASH_DIVIDEND, np.nan, np.nan, 2.0),
    ]
    status = _nb.index_dense(*_tiny_args([[20.0], [1.0], [1.0]], [1.0], acts))[-1]
    assert list(status) == [_nb.ST_BAD_DIVIDEND, 1, 0]
    # all good
    assert _nb.index_dense(*_tiny_args([[20.0], [21.0], [22.0]], [1.0]))[-1][0] == _nb.ST_OK
