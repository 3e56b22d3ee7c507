"""Sweeps that stay bounded: grid checks linear in the axis length, the table built column by column,
variants made per chunk, and a result above ``max_bytes`` refused before anything is allocated."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import engine.sweep as sw
from engine.errors import SweepError
from engine.sweep.grid import Grid
from engine.sweep.run import MAX_RESULT_BYTES, _chunk_ids, estimate_bytes


def test_repeated_value_found_at_the_end_of_a_long_axis():
    fees = [float(x) for x in np.linspace(0.0, 0.0099, 100_000)]
    g = sw.grid(**{"fund.management_fee": fees})
    assert len(g) == 100_000 and g[99_999] == {"fund.management_fee": fees[-1]}
    with pytest.raises(SweepError, match=r"repeated.*fund\.management_fee") as info:
        sw.grid(**{"fund.management_fee": [*fees, fees[12_345]]})
    assert f"value={fees[12_345]!r}" in str(info.value)


@pytest.mark.parametrize(
    "values, repeated",
    [
        ([1, 2, 1.0], 1.0),  # equal across int and float, as the variants would be
        ([(1, 2), (3,), (1, 2)], (1, 2)),  # tuples (lists become tuples)
        ([[1], [2], [1]], (1,)),
        ([{1}, {2}, {1}], {1}),  # unhashable: compared one by one
    ],
)
def test_repeated_values_of_any_kind(values, repeated):
    with pytest.raises(SweepError, match="repeated") as info:
        sw.grid(explicit_effective_dates=values)
    assert repr(repeated) in str(info.value)


def test_impossible_cap_found_against_the_smallest_count():
    caps = list(np.linspace(0.5, 0.02, 50_000))
    with pytest.raises(SweepError, match=r"impossible cap: 0\.0333.* x 30 constituents") as info:
        sw.grid(cap=caps, max_constituents=[40, 30, 50])
    assert "field=cap" in str(info.value)
    assert len(sw.grid(cap=caps[:100], max_constituents=[50, 60])) == 200


def test_to_frame_equals_the_variant_by_variant_table():
    g = sw.grid(
        cap=[0.1, 0.15],
        **{"frequency+months": [("quarterly", (3, 6, 9, 12)), ("semiannual", (6, 12))]},
        exclude_cxo=[True, False],
        **{"fund.management_fee": [0.004, 0.005, 0.006]},
    )
    oracle = pd.DataFrame(list(g), columns=list(g.names))
    oracle.insert(0, "variant", np.arange(len(oracle), dtype=np.int64))
    pd.testing.assert_frame_equal(g.to_frame(), oracle)
    assert [g[int(i)] for i in range(len(g))] == list(g)
    pos = g.positions()
    assert [tuple(g.axes[k][1][p] for k, p in enumerate(row)) for row in pos] == [
        tuple(v.values()) for v in g
    ]


def test_fund_chunks_group_variants_that_share_an_index():
    g = sw.grid(
        **{"fund.management_fee": [0.004, 0.005]}, cap=[0.1, 0.2, 0.3], buffer_add_rank=[20, 25]
    )
    chunks = _chunk_ids(g, fund_sweep=True, size=3)
    # oracle: group ids by their index values in order of first appearance, cut into pieces of 3
    groups: dict = {}
    for i, v in enumerate(g):
        groups.setdefault((v["cap"], v["buffer_add_rank"]), []).append(i)
    expected = [ids[k : k + 3] for ids in groups.values() for k in range(0, len(ids), 3)]
    assert [c.tolist() for c in chunks] == expected
    assert [c.tolist() for c in _chunk_ids(g, fund_sweep=False, size=5)] == [
        list(range(k, min(k + 5, 12))) for k in range(0, 12, 5)
    ]


def test_estimate_bytes_hand_worked():
    # 10 variants, 2 axes, 3 metrics: 8 x (2 + 2 + 2*3) = 80 bytes each
    assert estimate_bytes(10, 100, 2, 3, False) == 800
    # keep="levels": + 2 x 8 x 100 dates per variant
    assert estimate_bytes(10, 100, 2, 3, True) == 800 + 10 * 1600


def test_ten_million_variants_refused_up_front_without_making_them(market, monkeypatch):
    def made(*a, **k):
        raise AssertionError("a variant was made before the size check")

    big = sw.grid(cap=list(np.linspace(0.05, 0.5, 10_000)), max_constituents=list(range(30, 1030)))
    monkeypatch.setattr(Grid, "__iter__", made)
    monkeypatch.setattr(Grid, "__getitem__", made)
    monkeypatch.setattr(Grid, "to_frame", made)
    monkeypatch.setattr(Grid, "variants", made)
    with pytest.raises(
        SweepError, match=r"10,000,000 variants would take about [\d,]+ bytes"
    ) as info:
        sw.run(market, "hsidi", big)
    need = estimate_bytes(len(big), market.shape[0], 2, len(sw.metrics.DEFAULT_METRICS), False)
    assert f"{need:,} bytes" in str(info.value) and need > MAX_RESULT_BYTES
    assert "max_bytes" in str(info.value)


def test_max_bytes_is_the_bound(market):
    g = sw.grid(cap=[0.1, 0.2])
    n_metrics = len(sw.metrics.DEFAULT_METRICS)
    need = estimate_bytes(2, market.shape[0], 1, n_metrics, True)
    with pytest.raises(SweepError, match="keep='levels'"):
        sw.run(market, "hsidi", g, keep="levels", max_bytes=need - 1)
    res = sw.run(market, "hsidi", g, keep="levels", max_bytes=need)
    assert len(res) == 2 and res.levels.shape[1] == 2
    assert res.levels.shape[0] <= market.shape[0]  # the estimate counts every market date
    for bad in (0, -1, "1GB", True):
        with pytest.raises(SweepError, match="max_bytes"):
            sw.run(market, "hsidi", g, max_bytes=bad)
