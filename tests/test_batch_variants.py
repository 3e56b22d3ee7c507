"""`index_batch`'s fast path for variants of kernel settings only (validated from per-value caches)
and its one index run per distinct variant, each against `MethodologyHistory.replace` and
`engine.build_index`."""

from __future__ import annotations

import numpy as np
import pytest

import engine
from engine.data import default_market
from engine.errors import MethodologyError
from engine.index.batch import KERNEL_SETTINGS, _Changes, _Variant, index_batch, review_turnover
from engine.rules import load_history

# one variant per kernel setting (several keys at once in some), each changing the index
KERNEL_VARIANTS = [
    {"cap": 0.12},
    {"max_constituents": 35, "buffer_add_rank": 30},
    {"buffer_remove_rank": 44},
    {"ranking": "ffmc"},
    {"min_relevance": 0.5},
    {"exclude_cxo": True},
    {"exclude_suspended_at_cutoff": False},
    {"liquidity.min_avg_traded_value_hkd": 1e8},
    {"weighting.cap": 0.2, "selection.max_constituents": 30, "buffer_add_rank": 30},
]

BAD_VARIANTS = [
    {"cap": 1.5},  # out of range
    {"cap": 0.02},  # cap x max_constituents < 1 (cross-key)
    {"max_constituents": 30.5},  # not an integer
    {"ranking": "size"},
    {"buffer_add_rank": 45},  # buffer_add_rank > max_constituents (cross-key)
    {"exclude_cxo": 1},  # not a boolean
    {"min_avg_traded_value_hkd": -1.0},
    {"max_constituents": 20, "cap": 0.02},  # both keys bad: the first error wins
]


@pytest.fixture(scope="module")
def market():
    return default_market()


@pytest.fixture(scope="module")
def history():
    return load_history("hsidi")


def test_kernel_settings_are_the_ones_listed(history):
    for v in KERNEL_VARIANTS:
        target = _Changes(history).variant(v)
        assert isinstance(target, _Variant), v
    # a key outside KERNEL_SETTINGS takes the general path (a new history)
    assert "schedule.months" not in KERNEL_SETTINGS
    assert not isinstance(_Changes(history).variant({"cap_factor_lag_sessions": 2}), _Variant)


@pytest.mark.parametrize("changes", KERNEL_VARIANTS, ids=lambda v: ",".join(v))
def test_cached_validation_gives_replace(history, changes):
    got = _Changes(history).variant(changes)
    want = history.replace(**changes)
    assert got.versions == want.versions
    assert got.history() == want


@pytest.mark.parametrize(
    "changes", BAD_VARIANTS, ids=lambda v: ",".join(f"{k}={x}" for k, x in v.items())
)
def test_cached_validation_gives_the_same_error(history, changes):
    with pytest.raises(MethodologyError) as want:
        history.replace(**changes)
    cached = _Changes(history)
    cached.variant({"cap": 0.12, "max_constituents": 40})  # warm the caches with good values
    for _ in range(2):  # the error is raised again from the cache, word for word
        with pytest.raises(MethodologyError) as got:
            cached.variant(changes)
        assert str(got.value) == str(want.value)


@pytest.fixture(scope="module")
def batch(market):
    variants = [*KERNEL_VARIANTS, *BAD_VARIANTS, {}, {"cap": 0.1}]
    return index_batch(market, "hsidi", variants, kinds=("price", "net"), chunk_size=7)


def test_each_kernel_variant_is_its_own_build(market, history, batch):
    for i, v in enumerate(KERNEL_VARIANTS):
        res = engine.build_index(market, history.replace(**v))
        assert batch.dates.equals(res.levels.index)
        for kind in ("price", "net"):
            np.testing.assert_array_equal(batch.levels[kind][:, i], res.levels[kind].to_numpy())
        applied = int(batch.n_reviews[i])
        assert applied == (res.events["kind"] == "review").sum()
        assert batch.n_constituents[i] == len(res.schedule.reviews[applied - 1].constituents)
        assert batch.turnover[i] == pytest.approx(review_turnover(res), rel=1e-12)
    base = engine.build_index(market, history).levels["price"].to_numpy()
    for i, v in enumerate(KERNEL_VARIANTS):  # every kernel setting moves the index
        assert not np.array_equal(batch.levels["price"][:, i], base), v


def test_bad_values_are_reported_with_replace_messages(history, batch):
    errors = dict(batch.errors)
    lo = len(KERNEL_VARIANTS)
    assert sorted(errors) == list(range(lo, lo + len(BAD_VARIANTS)))
    for i, v in enumerate(BAD_VARIANTS, start=lo):
        with pytest.raises(MethodologyError) as want:
            history.replace(**v)
        assert errors[i] == str(want.value)
        assert batch.column[i] == -1 and np.isnan(batch.levels["price"][:, i]).all()


def test_identical_variants_share_one_column(batch):
    base, same = len(batch.variants) - 2, len(batch.variants) - 1  # {} and cap = 0.1 (the base's)
    assert batch.column[base] == batch.column[same] >= 0
    np.testing.assert_array_equal(batch.levels["net"][:, base], batch.levels["net"][:, same])
    ran = batch.column[batch.column >= 0]
    assert batch.distinct_levels["price"].shape == (len(batch.dates), len(set(ran)))
    assert len(set(ran)) == len(KERNEL_VARIANTS) + 1


def test_remove_ranks_past_the_ranked_names_coincide(market, history):
    """Buffer remove ranks beyond every ranked security keep the same names: one index run."""
    variants = [{"buffer_remove_rank": r} for r in (300, 301, 302)] + [{"buffer_remove_rank": 44}]
    b = index_batch(market, "hsidi", variants, keep_levels=True)
    assert b.column[0] == b.column[1] == b.column[2] != b.column[3]
    one = engine.build_index(market, history.replace(buffer_remove_rank=301))
    np.testing.assert_array_equal(b.levels["price"][:, 1], one.levels["price"].to_numpy())
    assert b.distinct_levels["price"].shape[1] == 2


def test_a_variant_the_kernel_cannot_finish_gets_the_build_error(market, history):
    """Nobody passes the screens: the kernel stops and the full build names the error."""
    b = index_batch(market, "hsidi", [{"min_relevance": 1.0}, {"cap": 0.12}])
    with pytest.raises(engine.errors.EngineError) as want:
        engine.build_index(market, history.replace(min_relevance=1.0))
    assert b.errors == [(0, str(want.value))]
    assert b.column.tolist() == [-1, 0]


def test_without_the_kernel_every_variant_takes_the_full_build(market, monkeypatch):
    """The one route for variants the kernel cannot take (key None) gives the same batch."""
    from engine.index.batch import _FAST_PATHS, _FastPath

    variants = [KERNEL_VARIANTS[0], KERNEL_VARIANTS[3], BAD_VARIANTS[1], {"min_relevance": 1.0}]
    fast = index_batch(market, "hsidi", variants)
    monkeypatch.setattr(_FastPath, "_group_key", lambda self, history: None)
    _FAST_PATHS.pop(market, None)
    full = index_batch(market, "hsidi", variants)
    _FAST_PATHS.pop(market, None)
    assert full.errors == fast.errors and [i for i, _ in full.errors] == [2, 3]
    np.testing.assert_array_equal(full.levels["price"], fast.levels["price"])
    # turnover: the kernel and engine.index.batch.review_turnover sum |w' - w| in different orders
    np.testing.assert_allclose(full.turnover, fast.turnover, rtol=1e-13, atol=0)
    np.testing.assert_array_equal(full.n_constituents, fast.n_constituents)


def test_the_market_keeps_the_inputs_of_the_last_batch_only(market):
    from engine.index.batch import _FastPath

    index_batch(market, "hsidi", [{"months": (6, 12), "frequency": "semiannual"}, {"cap": 0.12}])
    fast = _FastPath.of(market)
    assert len(fast.groups) == 2  # two review calendars
    index_batch(market, "hsidi", [{"cap": 0.15}])
    assert _FastPath.of(market) is fast and len(fast.groups) == len(fast.plans) == 1


def test_the_fast_path_goes_with_its_market():
    """The batch state is kept beside the market (weakly keyed), never inside it: dropping the
    market drops its fast path."""
    import dataclasses
    import gc

    from engine.index.batch import _FAST_PATHS

    m = dataclasses.replace(default_market(), _cache={})  # a market no cache holds
    index_batch(m, "hsidi", [{"cap": 0.15}])
    assert m in _FAST_PATHS and _FAST_PATHS[m].market is m
    n = len(_FAST_PATHS)
    del m
    gc.collect()
    assert len(_FAST_PATHS) == n - 1
