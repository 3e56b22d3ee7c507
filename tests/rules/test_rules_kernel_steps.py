"""Kernel steps of the rules stage against short, obviously right versions: the depth-limited
ranking (:func:`engine.rules._nb._rank`) against :func:`engine.rules.selection.rank`, and the
suspended-session count of the snapshot against a running count."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st


@given(
    st.lists(
        st.tuples(
            st.booleans(),
            st.sampled_from([0.0, 1.0, 2.0]),
            st.sampled_from([np.nan, 1e8, 2e8, 5e8, 1e9]),
        ),
        min_size=1,
        max_size=40,
    ),
    st.integers(1, 45),
    st.booleans(),
)
def test_kernel_rank_is_the_full_ranking_cut_at_depth(rows, depth, by_relevance):
    """The insertion-buffer ranking gives :func:`engine.rules.selection.rank`'s ranks 1..depth
    (ties on score and market cap broken by code, NaN market cap last) and ``inf`` below."""
    from engine.rules import _nb
    from engine.rules.compiled import code_order
    from engine.rules.selection import rank

    n = len(rows)
    codes = [f"{(7 * i) % 97:04d}" for i in range(n)]  # columns not in code order
    x = np.zeros((1, n), dtype=_nb.SNAPSHOT_DT)
    eligible = np.array([[r[0] for r in rows]])
    x["score"][0] = [r[1] for r in rows]
    x["ffmc_cutoff"][0] = [r[2] for r in rows]
    ranks = np.zeros((1, n))
    _nb._rank(0, x, eligible, code_order(codes), by_relevance, depth, ranks)
    full = rank(
        eligible[0],
        x["score"][0],
        x["ffmc_cutoff"][0],
        codes,
        "relevance" if by_relevance else "ffmc",
    )
    expect = np.where(full <= depth, full, np.where(np.isnan(full), np.nan, np.inf))
    np.testing.assert_array_equal(ranks[0], expect)


@given(
    st.lists(st.lists(st.booleans(), min_size=3, max_size=3), min_size=1, max_size=30),
    st.data(),
)
def test_suspended_sessions_count_back_from_each_row(mask, data):
    """The snapshot's ``suspended_sessions`` (:func:`engine.rules._nb.fill_market_fields`) against
    the running count ``run[t] = (run[t-1] + 1) if suspended[t] else 0``."""
    from engine.rules import _nb

    s = np.array(mask, dtype=bool)
    rows = np.array(data.draw(st.lists(st.integers(0, len(s) - 1), max_size=5)), dtype=np.int64)
    run = np.zeros(s.shape, dtype=np.int64)
    for t in range(len(s)):
        run[t] = np.where(s[t], (run[t - 1] if t else 0) + 1, 0)
    x = np.zeros((len(rows), s.shape[1]), dtype=_nb.SNAPSHOT_DT)
    ones = np.ones(s.shape)
    cxo = np.zeros(s.shape[1], dtype=bool)
    never = np.full(len(rows), np.iinfo(np.int64).max)
    listed = np.zeros(s.shape[1], dtype=np.int64)
    _nb.fill_market_fields(x, ones, ones, ones, s, cxo, listed, rows, rows, rows, never)
    np.testing.assert_array_equal(x["suspended_sessions"], run[rows])


@given(
    st.lists(st.one_of(st.none(), st.integers(0, 4000)), min_size=1, max_size=12),
    st.lists(
        st.tuples(st.integers(0, 4000), st.sampled_from([0, 1, 6, 12])), min_size=1, max_size=6
    ),
)
def test_snapshot_fill_writes_every_field_and_the_young_screen(listing_days, reviews):
    """:func:`engine.rules.compiled.prepare_snapshots` allocates with ``np.empty``: the fill kernel
    must write every field (a buffer of 0xFF bytes comes out the same as a zeroed one), and its
    ``young`` is screen 1a of :func:`engine.rules.screens.too_young` (False where the review's
    version has no such screen)."""
    from engine.rules import _nb
    from engine.rules.screens import latest_listing_ns, listing_ns, too_young

    base = pd.Timestamp("2010-01-01")
    listing = pd.DatetimeIndex(
        [pd.NaT if d is None else base + pd.Timedelta(days=d) for d in listing_days]
    )
    cutoffs = pd.DatetimeIndex([base + pd.Timedelta(days=d) for d, _ in reviews])
    months = np.array([m for _, m in reviews])
    latest = np.full(len(reviews), np.iinfo(np.int64).max)
    for k, n in enumerate(months):
        if n:
            latest[k] = latest_listing_ns(cutoffs[k : k + 1], int(n))[0]
    R, N = len(reviews), len(listing)
    rng = np.random.default_rng(len(listing_days))
    close = np.where(rng.random((3, N)) < 0.2, np.nan, rng.uniform(1, 9, (3, N)))
    susp = rng.random((3, N)) < 0.3
    rows = rng.integers(0, 3, R).astype(np.int64)
    args = (close, close * 7.0, np.full((3, N), 0.5), susp, rng.random(N) < 0.5,
            listing_ns(listing), rows, rows, rows, latest)  # fmt: skip
    clean = np.zeros((R, N), dtype=_nb.SNAPSHOT_DT)
    dirty = np.frombuffer(b"\xff" * clean.nbytes, dtype=_nb.SNAPSHOT_DT).reshape(R, N).copy()
    _nb.fill_market_fields(clean, *args)
    _nb.fill_market_fields(dirty, *args)
    assert clean.tobytes() == dirty.tobytes()
    for k in range(R):
        want = too_young(listing, cutoffs[k : k + 1], int(months[k]))[0] if months[k] else False
        np.testing.assert_array_equal(clean["young"][k], want)
