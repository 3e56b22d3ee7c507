"""engine.analytics.active: the active return's drawdown, monthly TD and daily distribution, by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from engine.analytics import tracking
from engine.analytics.active import (
    MONTHS,
    active_distribution,
    active_drawdown,
    active_stats,
    td_by_month,
)
from engine.errors import DataError


def _tr(fund, bench, dates):
    return tracking(pd.Series(fund, index=dates), pd.Series(bench, index=dates), window=2)


def test_drawdown_by_hand():
    d = pd.bdate_range("2024-01-01", periods=5)
    # relative level A = fund / bench: 1, 1.1, 0.99, 1.045, 1.21
    tr = _tr([100, 110, 99, 104.5, 121], [100, 100, 100, 100, 100], d)
    dd = active_drawdown(tr)
    np.testing.assert_allclose(dd["relative_level"], [1, 1.1, 0.99, 1.045, 1.21], rtol=1e-12)
    np.testing.assert_allclose(dd["drawdown"], [0, 0, -0.1, -0.05, 0], atol=1e-12)
    assert active_stats(tr)["active_max_drawdown"] == pytest.approx(-0.1, rel=1e-12)


def test_drawdown_is_relative_not_absolute():
    d = pd.bdate_range("2024-01-01", periods=3)
    # both fall 50%: no active drawdown at all
    tr = _tr([100, 50, 50], [200, 100, 100], d)
    np.testing.assert_allclose(active_drawdown(tr)["drawdown"], 0.0, atol=1e-15)


def test_td_by_month_by_hand():
    d = pd.DatetimeIndex(["2024-01-30", "2024-01-31", "2024-02-28", "2024-02-29", "2024-03-01"])
    fund = [100, 102, 103, 104.04, 104.04]
    bench = [100, 101, 101, 101, 102.01]
    t = td_by_month(_tr(fund, bench, d))
    assert list(t.columns) == [*MONTHS, "full_year"]
    # Jan: 2% - 1%; Feb from Jan 31: 104.04/102 - 1 = 2% - 0%; Mar from Feb 29: 0% - 1%
    assert t.at[2024, "Jan"] == pytest.approx(0.01, abs=1e-12)
    assert t.at[2024, "Feb"] == pytest.approx(0.02, abs=1e-12)
    assert t.at[2024, "Mar"] == pytest.approx(-0.01, abs=1e-12)
    assert np.isnan(t.at[2024, "Apr"])
    assert t.at[2024, "full_year"] == pytest.approx(0.0404 - 0.0201, abs=1e-12)


def test_distribution_counts_every_day():
    rng = np.random.default_rng(3)
    d = pd.bdate_range("2023-01-02", periods=301)
    bench = 100 * np.cumprod(np.r_[1, 1 + rng.normal(0, 0.01, 300)])
    fund = bench * np.cumprod(np.r_[1, 1 + rng.normal(0, 0.0005, 300)])
    tr = _tr(fund, bench, d)
    h = active_distribution(tr, bin_bp=1.0)
    a = tr.active.dropna().to_numpy() * 1e4
    assert h["count"].sum() == len(a) and h["share"].sum() == pytest.approx(1.0)
    np.testing.assert_allclose(h["high_bp"] - h["low_bp"], 1.0)
    for _, r in h.iterrows():  # the histogram against a direct count
        inside = ((a >= r["low_bp"]) & (a < r["high_bp"])).sum()
        assert r["count"] == inside or r["high_bp"] == h["high_bp"].iloc[-1]
    auto = active_distribution(tr)
    assert auto["count"].sum() == len(a) and (auto["low_bp"] % 0.5 == 0).all()
    s = active_stats(tr)
    assert s["active_skewness"] == pytest.approx(sps.skew(a), rel=1e-9)
    assert s["active_excess_kurtosis"] == pytest.approx(sps.kurtosis(a), rel=1e-9)
    assert s["active_p05"] == pytest.approx(np.percentile(a, 5) / 1e4, rel=1e-12)
    assert s["active_std_daily"] == pytest.approx(np.std(a, ddof=1) / 1e4, rel=1e-12)


def test_bad_input_names_the_argument():
    d = pd.bdate_range("2024-01-01", periods=3)
    tr = _tr([1, 1.01, 1.02], [1, 1, 1], d)
    with pytest.raises(DataError, match="field=bin_bp"):
        active_distribution(tr, bin_bp=0)
    with pytest.raises(DataError, match="field=tr"):
        active_drawdown(object())
