"""`distinct_variants`: classes of bitwise-identical packed cells, whatever the digests say."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.index.batch_nb import distinct_variants


def _pack(variants):
    """``off, n_cells, cell, q_bits, w_bits`` of lists of ``(cell, q, w)`` triples."""
    n_cells = np.array([len(v) for v in variants], dtype=np.int64)
    off = np.zeros(len(variants) + 1, dtype=np.int64)
    off[1:] = np.cumsum(n_cells)
    flat = [c for v in variants for c in v]
    cell = np.array([c for c, _, _ in flat], dtype=np.int64)
    q = np.array([x for _, x, _ in flat], dtype=np.float64)
    w = np.array([x for _, _, x in flat], dtype=np.float64)
    return off, n_cells, cell, q.view(np.int64), w.view(np.int64)


def test_equal_digests_are_confirmed_cell_by_cell():
    a = [(0, 1.0, 0.5), (3, 2.0, 0.5)]
    variants = [
        a,
        [(0, 1.0, 0.5), (3, 2.0, 0.5)],  # = a
        [(0, 1.0, 0.5), (3, 2.0, np.nextafter(0.5, 1))],  # one weight one ulp away
        [(0, 1.0, 0.5), (4, 2.0, 0.5)],  # another security
        [(0, 1.0, 0.5)],  # fewer cells
        a,  # = a, but not ruled (its rules failed)
        list(a),  # = a
    ]
    ruled = np.array([True] * 5 + [False, True])
    colliding = np.zeros(len(variants), dtype=np.int64)  # every digest the same
    column, first = distinct_variants(ruled, colliding, *_pack(variants))
    assert column.tolist() == [0, 0, 1, 2, 3, -1, 0]
    assert first.tolist() == [0, 2, 3, 4]


def test_classes_numbered_by_first_appearance():
    variants = [[(1, 1.0, 1.0)], [(2, 1.0, 1.0)], [(1, 1.0, 1.0)], [(3, 1.0, 1.0)]]
    digest = np.array([9, 1, 9, 0], dtype=np.int64)  # sorted order differs from variant order
    column, first = distinct_variants(np.ones(4, dtype=bool), digest, *_pack(variants))
    assert column.tolist() == [0, 1, 0, 2]
    assert first.tolist() == [0, 1, 3]


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 2), min_size=0, max_size=3), min_size=1, max_size=12),
    st.integers(1, 3),
)
def test_against_a_plain_grouping(choices, n_digests):
    """Columns are equal exactly when the cells are, with digests that collide (equal cells must
    have equal digests; unequal ones may too: ``n_digests = 1`` makes them all collide)."""
    variants = [[(k, float(c), 0.25 * c) for k, c in enumerate(v)] for v in choices]
    keys = [tuple(v) for v in variants]
    order = list(dict.fromkeys(keys))  # distinct cells by first appearance
    digest = np.array([order.index(k) % n_digests for k in keys], dtype=np.int64)
    column, first = distinct_variants(np.ones(len(keys), dtype=bool), digest, *_pack(variants))
    assert column.tolist() == [order.index(k) for k in keys]
    assert first.tolist() == [keys.index(k) for k in order]
