"""A sweep whose variants coincide: metrics reduced once per distinct index, rows still per variant."""

from __future__ import annotations

import numpy as np
import pandas as pd

import engine
import engine.sweep as sw
from engine.rules import load_history


def test_coinciding_variants_keep_their_own_rows(market):
    # remove ranks past every ranked security keep the same names: two distinct indexes per cap
    g = sw.grid(cap=[0.1, 0.15], buffer_remove_rank=[44, 300, 301])
    res = sw.run(market, "hsidi", g, keep="levels")
    f = res.to_frame()
    assert len(f) == 6 and (f["error"] == "").all()
    metrics = f[list(res.metrics)]
    for cap in (0.1, 0.15):
        rows = metrics[f["cap"] == cap].to_numpy()
        np.testing.assert_array_equal(rows[1], rows[2])  # 300 and 301 coincide
        assert not np.array_equal(rows[0], rows[1])
    one = engine.build_index(
        market, load_history("hsidi").replace(cap=0.15, buffer_remove_rank=301)
    )
    np.testing.assert_array_equal(res.levels[5].to_numpy(), one.levels["price"].to_numpy())
    np.testing.assert_array_equal(res.levels[4].to_numpy(), res.levels[5].to_numpy())
    # the same figures as one chunk per variant (no sharing at all)
    single = sw.run(market, "hsidi", g, chunk_size=1)
    pd.testing.assert_frame_equal(single.to_frame(), f)
