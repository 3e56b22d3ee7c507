"""`engine.index.batch.index_batch` against one `engine.build_index` per variant."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import engine
from engine.data import default_market
from engine.errors import MethodologyError
from engine.index.batch import index_batch, review_turnover
from engine.rules import load_history

VARIANTS = [
    {},
    {"cap": 0.15},
    {"max_constituents": 30, "buffer_add_rank": 28, "buffer_remove_rank": 36},
    {"months": (6, 12), "frequency": "semiannual"},
    {"liquidity.enabled": True, "min_avg_traded_value_hkd": 5e7},
    {"exclude_cxo": True},
    {"cap": 0.02},  # 0.02 x 40 < 1: impossible
]


@pytest.fixture(scope="module")
def market():
    return default_market()


@pytest.fixture(scope="module")
def batch(market):
    return index_batch(market, "hsidi", VARIANTS, kinds=("price", "net"))


def test_each_variant_equals_its_own_build(market, batch):
    history = load_history("hsidi")
    assert [i for i, _ in batch.errors] == [6]
    assert "cap" in batch.errors[0][1]
    for i, v in enumerate(VARIANTS[:6]):
        res = engine.build_index(market, history.replace(**v))
        assert batch.dates.equals(res.levels.index)
        for kind in ("price", "net"):
            want = res.levels[kind].to_numpy()
            np.testing.assert_allclose(batch.levels[kind][:, i], want, rtol=1e-12, atol=0)
            assert batch.total_return[kind][i] == pytest.approx(want[-1] / want[0] - 1, rel=1e-12)
        applied = res.schedule.reviews[: int(batch.n_reviews[i])]
        assert batch.n_constituents[i] == len(applied[-1].constituents)
        assert batch.n_reviews[i] == (res.events["kind"] == "review").sum()
        assert batch.turnover[i] == pytest.approx(review_turnover(res), rel=1e-12)


def test_variants_differ_and_failed_one_is_nan(batch):
    lv = batch.levels["price"]
    assert np.isnan(lv[:, 6]).all() and np.isnan(batch.total_return["price"][6])
    for i in range(1, 6):  # each change moves the index somewhere
        assert not np.allclose(lv[:, i], lv[:, 0])
    assert batch.n_constituents[2] <= 30 < batch.n_constituents[0] + 1
    frame = batch.to_frame()
    assert list(frame["error"] != "") == [False] * 6 + [True]


def test_turnover_hand_checked(market):
    """Turnover of one review recomputed from the weights frame and the review table by hand."""
    res = engine.build_index(market, "hsidi")
    rv = res.schedule.reviews[5]
    pre = res.weights.loc[rv.cap_date]
    post = rv.table.set_index("code")["weight"].where(rv.table.set_index("code")["selected"], 0.0)
    one = 0.5 * (post.reindex(pre.index, fill_value=0.0) - pre).abs().sum()
    assert 0 < one < 1
    applied = res.schedule.reviews
    per = []
    for r in applied[1:]:
        pre = res.weights.loc[r.cap_date]
        t = r.table.set_index("code")
        post = t["weight"].where(t["selected"], 0.0).reindex(pre.index, fill_value=0.0)
        per.append(0.5 * (post - pre).abs().sum())
    assert review_turnover(res) == pytest.approx(np.mean(per))


def test_unknown_setting_is_a_grid_mistake(market):
    with pytest.raises(MethodologyError, match="unknown setting"):
        index_batch(market, "hsidi", [{"kap": 0.1}])


def test_keep_levels_false_keeps_figures(market, batch):
    b = index_batch(market, "hsidi", VARIANTS[:2], keep_levels=False)
    assert b.levels == {}
    np.testing.assert_allclose(b.total_return["price"], batch.total_return["price"][:2], rtol=1e-12)
    assert isinstance(b.dates, pd.DatetimeIndex)


def test_engine_batch_is_a_deprecated_alias():
    """``engine.batch`` (public until this release) warns and gives the index stage's objects."""
    import importlib
    import sys

    import engine.index.batch as moved

    sys.modules.pop("engine.batch", None)
    with pytest.warns(DeprecationWarning, match="engine.index.batch"):
        old = importlib.import_module("engine.batch")
    for name in ("index_batch", "IndexBatch", "review_turnover", "KERNEL_SETTINGS"):
        assert getattr(old, name) is getattr(moved, name)
