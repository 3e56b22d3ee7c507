"""Regulatory presets: planted breaches found by each preset, nothing flagged on a clean series,
hand-worked figures, the quarterly-report period table, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.axes import Axes
from support.fakes import FakeConfig, fake_backtest, make_index
from support.markets import random_closes, random_fx

from engine._display import Summary
from engine.analytics import fund_tracking
from engine.analytics.regulatory import (
    PRESETS,
    RegulatoryPreset,
    RegulatoryReport,
    _runs,
    calendar_periods,
    regulatory,
)
from engine.errors import DataError


def pair(d, *, start="2024-01-02", seed=0, n=None):
    """(fund, benchmark) level Series whose daily returns differ by exactly ``d`` (fund = bench + d)."""
    d = np.asarray(d, dtype=float)
    rng = np.random.default_rng(seed)
    rb = rng.normal(0.0003, 0.012, d.size)
    dates = pd.bdate_range(start, periods=d.size + 1)
    bench = pd.Series(100 * np.cumprod(np.r_[1.0, 1 + rb]), index=dates, name="bench")
    fund = pd.Series(np.cumprod(np.r_[1.0, 1 + rb + d]), index=dates, name="fund")
    return fund, bench


def clean(n, seed=1):
    return np.random.default_rng(seed).normal(0, 2e-5, n)


# ------------------------------------------------------------------------------------------- csrc
def test_csrc_planted_spike_hand_worked():
    d = np.zeros(20)
    d[5] = 0.015  # every 5-day window holding day 5: mean |d| = 0.003 > 0.2%; TE >> 2%
    fund, bench = pair(d)
    rep = regulatory(fund, bench, "csrc", window=5, periods_per_year=250)
    dates = fund.index
    mad = rep.breaches[rep.breaches["limit_field"] == "mean_abs_deviation_limit"]
    assert list(mad["window_end"]) == list(dates[6:11])  # returns 5..9 end on level dates 6..10
    assert list(mad["window_start"]) == list(dates[1:6])
    np.testing.assert_allclose(mad["value"], 0.003, rtol=1e-9)
    assert list(mad["consecutive"]) == [1, 2, 3, 4, 5]
    assert (mad["limit"] == 0.002).all()
    te = rep.breaches[rep.breaches["limit_field"] == "te_limit"]
    expected = np.std([0, 0, 0, 0, 0.015], ddof=1) * np.sqrt(250)
    np.testing.assert_allclose(te["value"], expected, rtol=1e-6)
    assert list(te["consecutive"]) == [1, 2, 3, 4, 5]
    assert (mad["unit"] == "bp").all() and (te["unit"] == "%").all()
    s = rep.summary()
    assert s["breaches_mean_abs_deviation_limit"] == 5
    assert s["longest_run_te_limit"] == 5
    np.testing.assert_allclose(s["mean_abs_daily_deviation"], 0.015 / 20, rtol=1e-9)
    assert s.unit("mean_abs_daily_deviation") == "bp"  # 0.2% reads 20.0 bp


def test_csrc_equal_to_limit_is_not_a_breach():
    d = np.zeros(12)
    d[5] = 0.01  # mean |d| over 5 days = 0.002 exactly: at the limit, not above it
    fund, bench = pair(d)
    rep = regulatory(fund, bench, "csrc", window=5, periods_per_year=250, te_limit=None)
    assert rep.breach_count("mean_abs_deviation_limit") == 0


def test_csrc_feeder_limits_by_override():
    d = np.zeros(20)
    d[5] = 0.015  # mean |d| 0.3% per 5 days: a breach at 0.2%, none at the feeder's 0.35%
    fund, bench = pair(d)
    rep = regulatory(
        fund, bench, "csrc", window=5, periods_per_year=250, mean_abs_deviation_limit=0.0035
    )
    assert rep.breach_count("mean_abs_deviation_limit") == 0
    assert rep.preset.mean_abs_deviation_limit == 0.0035
    assert PRESETS["csrc"].mean_abs_deviation_limit == 0.002  # the preset itself is unchanged


def test_csrc_clean_series_flags_nothing():
    fund, bench = pair(clean(300))
    rep = regulatory(fund, bench, "csrc", periods_per_year=243)
    assert rep.breaches.empty
    assert rep.rolling["tracking_error"].notna().sum() == 300 - 243 + 1
    assert rep.summary()["breaches_te_limit"] == 0


def test_csrc_annualises_on_the_shanghai_calendar():
    p, note = calendar_periods("XSHG", "2024-03-01", "2025-06-30")
    assert p == 243  # XSHG had 242 sessions in 2024 and 243 in 2025: 242.5 rounded half up
    assert "2024: 242" in note and "2025: 243" in note
    fund, bench = pair(clean(300), start="2024-03-01")
    rep = regulatory(fund, bench, "csrc")
    assert rep.preset.periods_per_year == rep.preset.window
    d = rep.rolling["deviation"].to_numpy()
    p = rep.preset.periods_per_year
    np.testing.assert_allclose(rep.figures["tracking_error"], np.std(d, ddof=1) * np.sqrt(p))
    assert "XSHG" in rep.convention


# ------------------------------------------------------------------------------------------- sebi
def test_sebi_rolling_year_finds_a_planted_noisy_quarter():
    d = clean(400)
    d[300:360] = np.random.default_rng(7).normal(0, 0.004, 60)  # TE of a year with it: ~2.8%
    fund, bench = pair(d)
    rep = regulatory(fund, bench, "sebi")
    w = rep.preset.window
    assert w == rep.preset.periods_per_year == 246
    roll = rep.rolling["tracking_error"]
    # oracle: sqrt(p) * std of each trailing window
    oracle = pd.Series(d, index=roll.index).rolling(w).std(ddof=1) * np.sqrt(246)
    np.testing.assert_allclose(roll.dropna(), oracle.dropna(), rtol=1e-7)
    flagged = oracle > 0.02
    assert flagged.any() and rep.breach_count("te_limit") == int(flagged.sum())
    first = rep.breaches["window_end"].iloc[0]
    assert first >= roll.index[300]  # no window before the noisy block breaches
    run, expected = 0, []
    for hit in flagged.to_numpy():
        run = run + 1 if hit else 0
        if hit:
            expected.append(run)
    assert rep.breaches["consecutive"].tolist() == expected


def test_sebi_clean_series_flags_nothing():
    fund, bench = pair(clean(400))
    assert regulatory(fund, bench, "sebi").breaches.empty


def test_sebi_shorter_than_a_window_says_so():
    fund, bench = pair(clean(100))
    rep = regulatory(fund, bench, "sebi")
    assert rep.rolling["tracking_error"].isna().all()
    assert rep.breaches.empty
    assert "fewer than one window" in rep.notes[0]


# ------------------------------------------------------------------------------------- sfc, esma
def two_years(noisy_second=False, drift_second=0.0):
    dates_2024 = len(pd.bdate_range("2024-01-02", "2024-12-31"))
    d = clean(dates_2024 + 250, seed=3)
    if noisy_second:
        d[dates_2024:] = np.random.default_rng(5).normal(0, 0.002, 250)
    d[dates_2024:] += drift_second
    return pair(d, start="2024-01-01")


def test_sfc_calendar_year_td_hand_worked_and_internal_limit():
    fund, bench = two_years(drift_second=-1e-4)
    rep = regulatory(fund, bench, "sfc")
    assert rep.breaches.empty  # the SFC sets no limit
    assert "td_limit" not in rep.summary()
    y = rep.by_year.loc[2025]
    f, b = fund.loc["2024-12-31":], bench.loc["2024-12-31":]
    td = (f.iloc[-1] / f.iloc[0] - 1) - (b.iloc[-1] / b.iloc[0] - 1)
    np.testing.assert_allclose(y["tracking_difference"], td, rtol=1e-9)
    assert y["start"] == pd.Timestamp("2024-12-31")
    np.testing.assert_allclose(rep.summary()["tracking_difference_2025"], td, rtol=1e-9)
    rep = regulatory(fund, bench, "sfc", td_limit=0.005)
    assert list(rep.breaches["window_end"]) == [fund.index[-1]]
    assert rep.breaches["consecutive"].tolist() == [1]
    np.testing.assert_allclose(rep.breaches["value"], td, rtol=1e-9)


def test_esma_realised_above_anticipated_is_flagged_by_year():
    fund, bench = two_years(noisy_second=True)
    rep = regulatory(fund, bench, "esma", anticipated_te=0.01)
    assert rep.breaches["window_end"].dt.year.tolist() == [2025]
    y = rep.by_year
    f, b = fund.loc["2024-12-31":], bench.loc["2024-12-31":]
    d = (f.pct_change() - b.pct_change()).dropna()
    np.testing.assert_allclose(y.at[2025, "tracking_error"], d.std(ddof=1) * np.sqrt(246))
    np.testing.assert_allclose(y.at[2025, "te_gap"], y.at[2025, "tracking_error"] - 0.01)
    assert y.at[2024, "te_gap"] < 0
    assert rep.summary()["te_gap_2025"] == y.at[2025, "te_gap"]


def test_esma_and_sfc_clean_flag_nothing_even_with_limits():
    fund, bench = two_years()
    assert regulatory(fund, bench, "esma", anticipated_te=0.01).breaches.empty
    assert regulatory(fund, bench, "sfc", td_limit=0.005, te_limit=0.01).breaches.empty


# ---------------------------------------------------------------------------------- conventions
def test_rms_and_monthly_differences():
    d = clean(300) + 2e-4  # a drift: RMS > STD
    fund, bench = pair(d)
    rms = regulatory(fund, bench, "sebi", te_method="rms")
    np.testing.assert_allclose(rms.figures["tracking_error"], np.sqrt(np.mean(d**2) * 246))
    assert "RMS of daily differences" in rms.convention
    monthly = regulatory(fund, bench, "sebi", difference="monthly")
    ends = fund.groupby(fund.index.to_period("M")).tail(1)
    f = pd.concat([fund.iloc[[0]], ends]).pct_change().dropna()
    bm = pd.concat([bench.iloc[[0]], bench.loc[ends.index]]).pct_change().dropna()
    assert monthly.preset.periods_per_year == 12 and monthly.preset.window == 12
    np.testing.assert_allclose(monthly.figures["tracking_error"], (f - bm).std() * np.sqrt(12))


def test_fund_result_path_matches_fund_tracking():
    closes = random_closes(80, ["A", "B", "C"])
    idx = make_index(closes, [(0, {"A": 1.0, "B": 2.0, "C": 1.5})])
    market = type("M", (), {"fx": random_fx(closes.index)})()
    fund = fake_backtest(idx, market, FakeConfig())
    rep = regulatory(fund, idx, "sebi")
    tr = fund_tracking(fund, idx)
    assert rep.benchmark == tr.benchmark
    np.testing.assert_allclose(rep.figures["tracking_error"], tr.metrics["tracking_error_std"])
    np.testing.assert_allclose(
        rep.figures["tracking_difference"], tr.metrics["tracking_difference"]
    )


# ---------------------------------------------------------------------------------- period table
def test_period_table_hand_worked():
    fund, bench = pair(clean(300) - 1e-4, start="2024-06-03")
    rep = regulatory(fund, bench, "csrc", periods_per_year=243)
    t = rep.periods
    end = fund.index[-1]
    start = fund.index[fund.index <= end - pd.DateOffset(months=3)][-1]
    f, b = fund.loc[start:], bench.loc[start:]
    row = t.loc["past 3 months"]
    assert row["start"] == start and row["period_zh"] == "过去三个月"
    np.testing.assert_allclose(row["nav_growth"], f.iloc[-1] / f.iloc[0] - 1)
    np.testing.assert_allclose(row["nav_growth_std"], f.pct_change().std(ddof=1))
    np.testing.assert_allclose(row["benchmark_return_std"], b.pct_change().std(ddof=1))
    np.testing.assert_allclose(row["diff_1_3"], row["nav_growth"] - row["benchmark_return"])
    np.testing.assert_allclose(row["diff_2_4"], row["nav_growth_std"] - row["benchmark_return_std"])
    for longer in ("past 3 years", "past 5 years"):  # longer than the data: NaN with a note
        assert (
            np.isnan(t.at[longer, "nav_growth"])
            and "after the period's start" in t.at[longer, "note"]
        )
    inc = t.loc["since inception"]
    np.testing.assert_allclose(inc["nav_growth"], fund.iloc[-1] / fund.iloc[0] - 1)
    assert regulatory(fund, bench, "sebi").periods is None


def test_period_table_as_of():
    fund, bench = pair(clean(300), start="2024-06-03")
    as_of = fund.index[200]
    rep = regulatory(fund, bench, "csrc", as_of=as_of, periods_per_year=243)
    assert (rep.periods["end"] == as_of).all()
    np.testing.assert_allclose(
        rep.periods.at["since inception", "nav_growth"], fund.loc[as_of] / fund.iloc[0] - 1
    )
    with pytest.raises(DataError, match="as_of"):
        regulatory(fund, bench, "csrc", as_of="2030-01-02")


# ------------------------------------------------------------------------------------- bad input
def test_unknown_preset_and_setting():
    fund, bench = pair(clean(30))
    with pytest.raises(DataError, match="preset.*fca"):
        regulatory(fund, bench, "fca")
    with pytest.raises(DataError, match="te_limt"):
        regulatory(fund, bench, "csrc", te_limt=0.02)
    with pytest.raises(DataError, match="te_method"):
        regulatory(fund, bench, "csrc", te_method="var")
    with pytest.raises(DataError, match="te_limit"):
        regulatory(fund, bench, "csrc", te_limit=-0.02)
    with pytest.raises(DataError, match="window"):
        regulatory(fund, bench, "csrc", window=1)
    with pytest.raises(
        DataError, match="window.*longer than the data|longer than the data.*window"
    ):
        regulatory(fund, bench, "sebi", window=31)  # 30 daily differences
    assert regulatory(fund, bench, "sebi", window=30).rolling["tracking_error"].notna().sum() == 1
    with pytest.raises(DataError, match="fund, index"):
        regulatory(fund, None, "csrc")


def test_presets_are_documented_frozen_settings():
    assert set(PRESETS) == {"csrc", "sfc", "esma", "sebi"}
    for name, p in PRESETS.items():
        assert p.name == name and "tracking-standards.md" in p.source
        with pytest.raises(AttributeError):
            p.te_limit = 1.0  # frozen
    assert PRESETS["csrc"].te_limit == 0.02 and PRESETS["csrc"].calendar == "XSHG"
    assert PRESETS["sebi"].te_limit == 0.02 and PRESETS["sebi"].monitor == "rolling"
    assert PRESETS["sfc"].monitor == PRESETS["esma"].monitor == "year"
    custom = RegulatoryPreset(name="house", title="house", source="desk", te_limit=0.01)
    fund, bench = pair(clean(30))
    assert regulatory(fund, bench, custom, window=5, periods_per_year=250).preset.name == "house"


def test_protocol():
    fund, bench = two_years(noisy_second=True)
    for preset in ("csrc", "esma"):
        rep = regulatory(fund, bench, preset, periods_per_year=243, anticipated_te=0.01)
        assert isinstance(rep, RegulatoryReport)
        assert isinstance(rep.summary(), Summary)
        assert rep.summary()["tracking_error_std"] == rep.figures["tracking_error"]
        assert repr(rep).startswith(f"RegulatoryReport({preset}")
        assert "<table" in rep._repr_html_()
        assert isinstance(rep.plot(), Axes)
        assert len(rep.to_frame()) == len(fund) - 1


@given(st.lists(st.booleans(), max_size=60))
def test_consecutive_count_oracle(flags):
    """The running count against a groupby of the runs of True."""
    s = pd.Series(flags, dtype=bool)
    oracle = s.groupby((~s).cumsum()).cumsum().where(s, 0).astype(int)
    assert _runs(np.asarray(flags, dtype=bool)).tolist() == oracle.tolist()
