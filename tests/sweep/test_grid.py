"""engine.sweep.grid: enumeration order, lookup by id, and the errors of bad grids."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import engine.sweep as sw
from engine.errors import SweepError


def test_product_order_last_axis_fastest():
    g = sw.grid(cap=[0.1, 0.15], max_constituents=[35, 40, 45], **{"fund.management_fee": [0.005]})
    assert len(g) == 6
    assert list(g)[:3] == [
        {"cap": 0.1, "max_constituents": 35, "fund.management_fee": 0.005},
        {"cap": 0.1, "max_constituents": 40, "fund.management_fee": 0.005},
        {"cap": 0.1, "max_constituents": 45, "fund.management_fee": 0.005},
    ]
    assert g.index_axes == ("cap", "max_constituents")
    assert g.fund_axes == ("fund.management_fee",)
    f = g.to_frame()
    assert list(f.columns) == ["variant", "cap", "max_constituents", "fund.management_fee"]
    assert f["variant"].tolist() == list(range(6))
    assert f["cap"].tolist() == [0.1] * 3 + [0.15] * 3


@given(st.lists(st.integers(1, 4), min_size=0, max_size=4))
def test_getitem_equals_iteration(lengths):
    axes = {f"a{k}": list(range(n)) for k, n in enumerate(lengths)}
    # use real keys so the grid validates: fund fields that accept ints are not needed, any key works
    keys = ["cap", "max_constituents", "buffer_add_rank", "buffer_remove_rank"]
    axes = {
        keys[k]: [0.5 + v for v in vals] if keys[k] == "cap" else [40 + v for v in vals]
        for k, vals in enumerate(axes.values())
    }
    g = sw.grid(**axes)
    expected = [dict(zip(axes, c, strict=True)) for c in itertools.product(*axes.values())]
    assert list(g) == expected
    assert len(g) == len(expected)
    assert [g[i] for i in range(len(g))] == expected
    ids = np.arange(len(g))[::-1]  # any order: the mappings of those ids, made at once
    assert g.variants(ids) == [expected[i] for i in ids]
    with pytest.raises(IndexError):
        g[len(g)]


def test_no_axes_is_the_base():
    g = sw.grid()
    assert len(g) == 1 and list(g) == [{}]


def test_numpy_values_become_python_and_lists_tuples():
    g = sw.grid(max_constituents=np.array([35, 40]), months=[[3, 6, 9, 12], [2, 5, 8, 11]])
    v = g[0]
    assert type(v["max_constituents"]) is int
    assert v["months"] == (3, 6, 9, 12)


@pytest.mark.parametrize(
    "axes, field, text",
    [
        ({"kap": [0.1]}, "kap", "unknown parameter"),
        ({"fund.managment_fee": [0.1]}, "fund.managment_fee", "unknown fund parameter"),
        ({"cap": []}, "cap", "empty axis"),
        ({"cap": 0.1}, "cap", "list of values"),
        ({"frequency": "quarterly"}, "frequency", "list of values"),
        ({"cap": [0.1, 0.1]}, "cap", "repeated"),
        ({"cap": [0.1], "weighting.cap": [0.2]}, "weighting.cap", "same parameter"),
        ({"cap": [0.05, 0.1], "max_constituents": [40, 15]}, "cap", "impossible cap"),
    ],
)
def test_bad_grids_name_axis(axes, field, text):
    with pytest.raises(SweepError, match=text) as err:
        sw.grid(**axes)
    assert f"field={field}" in str(err.value)


def test_impossible_cap_names_the_value():
    with pytest.raises(SweepError) as err:
        sw.grid(cap=[0.1, 0.02], max_constituents=[40])
    assert "value=0.02" in str(err.value) and "0.8 < 1" in str(err.value)


def test_grid_is_a_settings_record():
    """The grid shares the settings base: its record lists the axes in order, its hash follows the
    values, and replace() checks names."""
    from engine._settings import Settings

    g = sw.grid(cap=[0.05, 0.1], max_constituents=[30, 31])
    assert isinstance(g, Settings)
    assert g.to_record() == {"axes": [["cap", [0.05, 0.1]], ["max_constituents", [30, 31]]]}
    assert g.hash == sw.grid(cap=[0.05, 0.1], max_constituents=[30, 31]).hash
    assert g.hash != sw.grid(cap=[0.05, 0.11], max_constituents=[30, 31]).hash
    assert len(g.replace(axes=g.axes[:1])) == 2
    with pytest.raises(SweepError, match="unknown setting"):
        g.replace(cap=[0.1])
