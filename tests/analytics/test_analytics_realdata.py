"""Tracking metrics on real ETF prices: 520500 (HSIDI) against 159567 (a CNI HK innovative-drug index ETF).

Market prices, not NAVs (no NAV history is public); the point is that the engine runs on real, irregular
data and agrees with an independent computation, not a claim about 520500's official tracking error.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from engine.analytics import tracking
from engine.data import read_etf_csv

pytestmark = pytest.mark.realdata


def _close(real_data, code: str) -> pd.Series:
    path = real_data / "etf_prices" / "chenkx612_Multifactor-ETF-Strategy" / f"{code}.csv"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    return read_etf_csv(path).rename(code)


def test_520500_vs_159567_against_numpy(real_data):
    a = _close(real_data, "520500")
    b = _close(real_data, "159567")
    tr = tracking(a, b, window=20, strict=False, labels=("520500", "159567"))
    common = a.index.intersection(b.index)
    assert tr.levels.index.equals(
        common[(common >= a.index[0]) & (common <= min(a.index[-1], b.index[-1]))]
    )
    ra = np.diff(a.reindex(tr.levels.index).to_numpy()) / a.reindex(tr.levels.index).to_numpy()[:-1]
    rb = np.diff(b.reindex(tr.levels.index).to_numpy()) / b.reindex(tr.levels.index).to_numpy()[:-1]
    act = ra - rb
    p = tr.conventions.periods_per_year
    assert tr["tracking_error_std"] == pytest.approx(np.std(act, ddof=1) * math.sqrt(p), rel=1e-10)
    assert tr["tracking_error_rms"] == pytest.approx(math.sqrt(np.mean(act**2) * p), rel=1e-10)
    assert tr["correlation"] == pytest.approx(np.corrcoef(ra, rb)[0, 1], rel=1e-10)
    # two ETFs on overlapping HK innovative-drug universes move together
    assert tr["correlation"] > 0.8
    assert 0.0 < tr["tracking_error_std"] < 0.5
    assert tr.td_by_year().index.tolist() == sorted(set(tr.levels.index.year))
