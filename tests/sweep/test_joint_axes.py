"""Joint axes: settings that only make sense together (a review frequency and its months)."""

from __future__ import annotations

import numpy as np
import pytest

import engine
import engine.sweep as sw
from engine.data import default_market
from engine.errors import SweepError
from engine.rules import load_history
from engine.sweep.grid import split

SCHEDULES = [("quarterly", (3, 6, 9, 12)), ("semiannual", (6, 12))]


def test_joint_axis_enumerates_pairs_and_splits_into_keys():
    g = sw.grid(cap=[0.10, 0.15], **{"frequency+months": SCHEDULES})
    assert len(g) == 4
    assert g[1] == {"cap": 0.10, "frequency+months": ("semiannual", (6, 12))}
    index, fund = split(g[1])
    assert index == {"cap": 0.10, "frequency": "semiannual", "months": (6, 12)} and fund == {}


@pytest.mark.parametrize(
    ("axes", "match"),
    [
        ({"frequency+months": [("quarterly",)]}, "tuple of 2 values"),
        ({"frequency+nonsense": SCHEDULES}, "unknown parameter"),
        ({"cap+fund.cash_buffer": [(0.1, 0.01)]}, "mixes fund and methodology"),
        ({"months": [(6, 12)], "frequency+months": SCHEDULES}, "same parameter"),
    ],
)
def test_bad_joint_axes_are_named(axes, match):
    with pytest.raises(SweepError, match=match):
        sw.grid(**axes)


def test_joint_axis_variant_equals_its_build():
    market = default_market()
    res = sw.run(market, "hsidi", sw.grid(**{"frequency+months": SCHEDULES}), keep="levels")
    history = load_history("hsidi")
    for i, (freq, months) in enumerate(SCHEDULES):
        want = engine.build_index(market, history.replace(frequency=freq, months=months))
        np.testing.assert_allclose(
            res.levels[i].to_numpy(), want.levels["price"].to_numpy(), rtol=1e-12, atol=0
        )
    assert not np.allclose(res.levels[0].to_numpy(), res.levels[1].to_numpy())
