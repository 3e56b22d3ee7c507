"""Ranking and buffer-zone selection: hand-worked cases, an oracle and properties."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.rules.methodology import SelectionRules
from engine.rules.selection import rank, select

RULES = SelectionRules(
    ranking="relevance", max_constituents=40, buffer_add_rank=32, buffer_remove_rank=48
)


def test_rank_by_relevance_then_ffmc_then_code():
    codes = ["A", "B", "C", "D", "E"]
    eligible = np.array([True, True, True, False, True])
    relevance = np.array([2.0, 3.0, 2.0, 9.0, 2.0])
    ffmc = np.array([1e9, 1e8, 5e9, 1e12, 1e9])
    r = rank(eligible, relevance, ffmc, codes, "relevance")
    # B (score 3) first; A, C, E tie on score 2 -> C (largest ffmc), then A and E tie on ffmc -> by code
    np.testing.assert_array_equal(r, [3.0, 1.0, 2.0, np.nan, 4.0])
    r = rank(eligible, relevance, ffmc, codes, "ffmc")
    np.testing.assert_array_equal(r, [2.0, 4.0, 1.0, np.nan, 3.0])
    assert np.isnan(rank(np.zeros(3, bool), relevance[:3], ffmc[:3], codes[:3], "ffmc")).all()


def _ranks(n: int) -> np.ndarray:
    return np.arange(1, n + 1, dtype=float)  # security i has rank i + 1


def _mask(n: int, ranks_in: list[int]) -> np.ndarray:
    m = np.zeros(n, dtype=bool)
    m[np.array(ranks_in) - 1] = True
    return m


def test_buffer_keeps_member_at_45_and_blocks_newcomer_at_35():
    n = 60
    # members: ranks 1..30, 41..48 and 50 (39 names)
    current = _mask(n, [*range(1, 31), *range(41, 49), 50])
    selected, reason = select(_ranks(n), current, RULES)
    # stay: members ranked <= 48 (1..30, 41..48 = 38); enter: newcomers ranked <= 32 (31, 32) -> 40
    np.testing.assert_array_equal(np.flatnonzero(selected) + 1, [*range(1, 33), *range(41, 49)])
    assert reason[44] == "selected: rank 45 kept by buffer (<=48)"
    assert reason[34] == "out: rank 35, a newcomer needs rank <=32"
    assert reason[49] == "out: rank 50 below the buffer (>48)"
    assert reason[54] == "out: rank 55 below the cut"
    assert reason[4] == "selected: rank 5"
    assert reason[31] == "selected: rank 32"


def test_overflow_is_cut_by_rank():
    n = 50
    current = _mask(n, list(range(5, 45)))  # members ranked 5..44
    selected, reason = select(_ranks(n), current, RULES)
    # qualify: members 5..44 (<=48) and newcomers 1..4 (<=32) = 44 > 40 -> keep ranks 1..40
    np.testing.assert_array_equal(np.flatnonzero(selected) + 1, range(1, 41))
    assert reason[40] == "out: rank 41 cut (more than 40 qualified)"
    assert reason[43] == "out: rank 44 cut (more than 40 qualified)"


def test_vacancies_are_filled_by_best_remaining():
    n = 60
    current = _mask(n, list(range(1, 21)))  # 20 members ranked 1..20
    selected, reason = select(_ranks(n), current, RULES)
    # stay 1..20, enter 21..32, then 8 vacancies -> 33..40
    np.testing.assert_array_equal(np.flatnonzero(selected) + 1, range(1, 41))
    assert reason[35] == "selected: rank 36 fills a vacancy"
    assert reason[40] == "out: rank 41 below the cut"


def test_first_review_is_plain_top_k_and_fewer_eligible_selects_all():
    n = 45
    selected, reason = select(_ranks(n), np.zeros(n, bool), RULES)
    np.testing.assert_array_equal(np.flatnonzero(selected) + 1, range(1, 41))
    assert reason[35] == "selected: rank 36"
    ranks = np.full(50, np.nan)
    ranks[:31] = np.arange(1, 32)
    selected, reason = select(ranks, _mask(50, [40, 45]), RULES)  # ineligible members are not kept
    assert selected.sum() == 31 and selected[:31].all()
    assert reason[39] == "" and reason[44] == ""  # unranked: the screen gives the reason


def oracle_select(ranks, current, k, add, remove):
    """Set-based oracle of the buffer rule."""
    ranked = {i: int(r) for i, r in enumerate(ranks) if not np.isnan(r)}
    if not any(current):
        keep = sorted(ranked, key=ranked.get)[:k]
        return set(keep)
    stay = {i for i, r in ranked.items() if current[i] and r <= remove}
    enter = {i for i, r in ranked.items() if not current[i] and r <= add}
    chosen = sorted(stay | enter, key=ranked.get)[:k]
    rest = sorted(set(ranked) - set(chosen), key=ranked.get)
    return set(chosen) | set(rest[: k - len(chosen)])


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=1, max_value=70).flatmap(
        lambda n: st.tuples(
            st.permutations(list(range(n))),
            st.lists(st.booleans(), min_size=n, max_size=n),
            st.lists(st.booleans(), min_size=n, max_size=n),
        )
    ),
    st.integers(min_value=1, max_value=12),
    st.integers(min_value=0, max_value=8),
    st.integers(min_value=0, max_value=8),
)
def test_selection_matches_oracle(data, k, below, above):
    perm, elig, cur = data
    n = len(perm)
    rules = SelectionRules("relevance", k, max(1, k - below), k + above)
    eligible = np.array(elig)
    ranks = np.full(n, np.nan)
    order = [i for i in perm if eligible[i]]
    for r, i in enumerate(order, start=1):
        ranks[i] = r
    current = np.array(cur)
    selected, reason = select(ranks, current, rules)
    want = oracle_select(ranks, current, k, rules.buffer_add_rank, rules.buffer_remove_rank)
    assert set(np.flatnonzero(selected)) == want
    assert selected.sum() == min(k, eligible.sum())
    assert not (selected & ~eligible).any()
    for i in range(n):
        assert (reason[i] != "") == bool(eligible[i])
        assert reason[i].startswith("selected") == bool(selected[i]) or not eligible[i]


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.booleans(),
            st.sampled_from([0.5, 1.0, 2.0, 3.0]),  # few distinct scores: many ties
            st.sampled_from([1e8, 5e8, 1e9]),  # few distinct caps: ties on both keys
        ),
        min_size=1,
        max_size=30,
    ),
    st.sampled_from(["relevance", "ffmc"]),
)
def test_rank_matches_a_pandas_sort(rows, ranking):
    import pandas as pd

    eligible, relevance, ffmc = (np.array(c) for c in zip(*rows, strict=True))
    codes = [f"{(37 * i) % 101:04d}" for i in range(len(rows))]  # codes not in row order
    got = rank(eligible, relevance, ffmc, codes, ranking)
    frame = pd.DataFrame({"code": codes, "score": relevance, "ffmc": ffmc})[eligible]
    keys = (["score"] if ranking == "relevance" else []) + ["ffmc", "code"]
    ordered = frame.sort_values(keys, ascending=[False] * (len(keys) - 1) + [True])
    expected = np.full(len(rows), np.nan)
    expected[ordered.index.to_numpy()] = np.arange(1, len(ordered) + 1)
    np.testing.assert_array_equal(got, expected)
