"""Tracking metrics: hand-worked examples, a pure-Python oracle, the rolling kernel vs pandas."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.axes import Axes
from support.fakes import FakeConfig, make_fund, make_index
from support.markets import random_closes

from engine._display import Summary
from engine.analytics import tracking
from engine.analytics.tracking import (
    METRICS,
    align,
    benchmark_label,
    benchmark_series,
    fund_tracking,
    rolling_tracking_error,
)
from engine.conventions import PERIODS_PER_YEAR, Conventions
from engine.errors import DataError

P = PERIODS_PER_YEAR


def levels_from_returns(returns, start=100.0, first="2024-01-02"):
    lv = [start]
    for r in returns:
        lv.append(lv[-1] * (1 + r))
    return pd.Series(lv, index=pd.bdate_range(first, periods=len(lv)), dtype=float)


# ----------------------------------------------------------------------------- pure-python oracle
def oracle(fund_levels, bench_levels, p=P):
    f = list(fund_levels)
    b = list(bench_levels)
    rf = [f[i] / f[i - 1] - 1 for i in range(1, len(f))]
    rb = [b[i] / b[i - 1] - 1 for i in range(1, len(b))]
    a = [x - y for x, y in zip(rf, rb, strict=True)]
    n = len(a)
    mean = sum(a) / n
    var = sum((x - mean) ** 2 for x in a) / (n - 1)
    te_std = math.sqrt(var) * math.sqrt(p)
    te_rms = math.sqrt(sum(x * x for x in a) / n) * math.sqrt(p)
    Rf = f[-1] / f[0] - 1
    Rb = b[-1] / b[0] - 1
    mf, mb = sum(rf) / n, sum(rb) / n
    cov = sum((x - mf) * (y - mb) for x, y in zip(rf, rb, strict=True)) / (n - 1)
    vf = sum((x - mf) ** 2 for x in rf) / (n - 1)
    vb = sum((y - mb) ** 2 for y in rb) / (n - 1)
    return {
        "fund_return": Rf,
        "benchmark_return": Rb,
        "tracking_difference": Rf - Rb,
        "tracking_difference_ann": (1 + Rf) ** (p / n) - (1 + Rb) ** (p / n),
        "tracking_error_std": te_std,
        "tracking_error_rms": te_rms,
        "information_ratio": mean * p / te_std if te_std > 0 else float("nan"),
        "beta": cov / vb if vb > 0 else float("nan"),
        "correlation": cov / math.sqrt(vf * vb) if vf > 0 and vb > 0 else float("nan"),
        "active_max": max(a),
        "active_min": min(a),
        "fund_vol": math.sqrt(vf) * math.sqrt(p),
        "benchmark_vol": math.sqrt(vb) * math.sqrt(p),
    }


def test_four_returns_by_hand():
    # benchmark flat, so active returns = fund returns a = [1%, -1%, 2%, 0%]
    fund = levels_from_returns([0.01, -0.01, 0.02, 0.0])
    bench = levels_from_returns([0.0, 0.0, 0.0, 0.0])
    tr = tracking(fund, bench)
    # mean a = 0.02 / 4 = 0.005; deviations 0.005, -0.015, 0.015, -0.005
    # sum of squares = 25e-6 + 225e-6 + 225e-6 + 25e-6 = 500e-6; / (4 - 1) -> std = sqrt(500e-6 / 3)
    std_daily = math.sqrt(500e-6 / 3)
    assert tr["tracking_error_std"] == pytest.approx(std_daily * math.sqrt(P), rel=1e-12)
    # RMS: (1e-4 + 1e-4 + 4e-4 + 0) / 4 = 1.5e-4
    assert tr["tracking_error_rms"] == pytest.approx(math.sqrt(1.5e-4) * math.sqrt(P), rel=1e-12)
    # fund: 1.01 * 0.99 * 1.02 - 1 = 0.019898
    assert tr["fund_return"] == pytest.approx(0.019898, abs=1e-12)
    assert tr["tracking_difference"] == pytest.approx(0.019898, abs=1e-12)
    assert tr["information_ratio"] == pytest.approx(
        0.005 * P / (std_daily * math.sqrt(P)), rel=1e-12
    )
    assert tr["active_max"] == pytest.approx(0.02) and tr["active_min"] == pytest.approx(-0.01)
    # zero benchmark variance: beta and correlation are undefined, not 0
    assert math.isnan(tr["beta"]) and math.isnan(tr["correlation"])
    assert tr.metrics["n_returns"] == 4


def test_second_hand_example_with_moving_benchmark():
    rb = [0.02, -0.01, 0.03, -0.02]
    a = [0.001, 0.0, -0.001, 0.002]
    rf = [x + y for x, y in zip(rb, a, strict=True)]
    tr = tracking(levels_from_returns(rf), levels_from_returns(rb))
    # mean a = 0.002 / 4 = 0.0005; deviations .0005 -.0005 -.0015 .0015 -> squares sum 5e-6 -> /3
    assert tr["tracking_error_std"] == pytest.approx(math.sqrt(5e-6 / 3 * P), rel=1e-9)
    # RMS: (1e-6 + 0 + 1e-6 + 4e-6) / 4 = 1.5e-6
    assert tr["tracking_error_rms"] == pytest.approx(math.sqrt(1.5e-6 * P), rel=1e-9)
    np.testing.assert_allclose(tr.active.to_numpy(), a, atol=1e-15)


def test_identical_returns_give_zero_te_and_nan_ir():
    bench = levels_from_returns([0.01, -0.02, 0.005, 0.03, -0.01])
    tr = tracking(bench * 2.0, bench)  # same returns, different scale
    assert tr["tracking_error_std"] == pytest.approx(0.0, abs=1e-15)
    assert tr["tracking_difference"] == pytest.approx(0.0, abs=1e-15)
    assert math.isnan(tr["information_ratio"])  # NaN, never 0
    assert tr["beta"] == pytest.approx(1.0) and tr["correlation"] == pytest.approx(1.0)


returns_strategy = st.lists(st.floats(-0.08, 0.08, allow_nan=False), min_size=3, max_size=60)


@settings(max_examples=50, deadline=None)
@given(rb=returns_strategy, data=st.data())
def test_metrics_match_the_pure_python_oracle(rb, data):
    noise = data.draw(st.lists(st.floats(-0.01, 0.01), min_size=len(rb), max_size=len(rb)))
    scale = data.draw(st.floats(0.5, 3.0))
    rf = [x * scale + e for x, e in zip(rb, noise, strict=True)]
    fund, bench = levels_from_returns(rf, 1.0), levels_from_returns(rb, 1000.0)
    tr = tracking(fund, bench, window=2)
    want = oracle(fund.to_numpy(), bench.to_numpy())
    for key, value in want.items():
        got = tr[key]
        if math.isnan(value):
            assert math.isnan(got), key
        else:
            assert got == pytest.approx(value, rel=1e-9, abs=1e-12), key


@settings(max_examples=40, deadline=None)
@given(
    returns=st.lists(
        st.tuples(st.floats(-0.05, 0.05), st.floats(-0.05, 0.05)), min_size=3, max_size=40
    )
)
def test_rms_std_mean_identity(returns):
    # RMS^2 = (n-1)/n * STD^2 + mean^2 (all annualised with the same sqrt(p))
    rf, rb = zip(*returns, strict=True)
    tr = tracking(levels_from_returns(rf), levels_from_returns(rb), window=2)
    n = tr.metrics["n_returns"]
    mean_ann_sqrt = tr.active.mean() * math.sqrt(P)
    lhs = tr["tracking_error_rms"] ** 2
    rhs = (n - 1) / n * tr["tracking_error_std"] ** 2 + mean_ann_sqrt**2
    assert lhs == pytest.approx(rhs, rel=1e-9, abs=1e-15)
    assert tr["tracking_error_rms"] >= math.sqrt((n - 1) / n) * tr["tracking_error_std"] - 1e-12


def test_rebasing_changes_nothing():
    closes = random_closes(80, ["A", "B"], seed=3)
    fund = closes["A"]
    bench = closes["B"]
    a = tracking(fund, bench).metrics
    b = tracking(fund * 7.5, bench / 3.0).metrics
    for k in METRICS:
        assert a[k] == pytest.approx(b[k], rel=1e-10, abs=1e-14), k


# ------------------------------------------------------------------------------------ rolling
def rolling_oracle_loop(x, w, p=P):
    out = []
    for t in range(len(x)):
        if t < w - 1:
            out.append(float("nan"))
            continue
        win = x[t - w + 1 : t + 1]
        if any(math.isnan(v) for v in win):
            out.append(float("nan"))
            continue
        m = sum(win) / w
        out.append(math.sqrt(sum((v - m) ** 2 for v in win) / (w - 1)) * math.sqrt(p))
    return np.array(out)


@settings(max_examples=50, deadline=None)
@given(
    x=st.lists(st.floats(-0.05, 0.05, allow_nan=False), min_size=1, max_size=80),
    window=st.integers(2, 30),
    nan_at=st.lists(st.integers(0, 79), max_size=3),
)
def test_rolling_kernel_matches_pandas_and_loop(x, window, nan_at):
    arr = np.array(x, dtype=float)
    for i in nan_at:
        if i < len(arr):
            arr[i] = np.nan
    s = pd.Series(arr, index=pd.bdate_range("2024-01-02", periods=len(arr)))
    got_std = rolling_tracking_error(s, window, method="std").to_numpy()
    got_rms = rolling_tracking_error(s, window, method="rms").to_numpy()
    want_std = s.rolling(window).std(ddof=1).to_numpy() * math.sqrt(P)
    # pandas' running sums cancel (3.7e-9 for a true 6.5e-136): the RMS oracle is a plain loop
    want_rms = np.array(
        [
            math.sqrt(sum(v * v for v in arr[t - window + 1 : t + 1]) / window * P)
            if t >= window - 1
            else np.nan
            for t in range(len(arr))
        ]
    )
    np.testing.assert_allclose(got_std, want_std, rtol=1e-7, atol=1e-9, equal_nan=True)
    np.testing.assert_allclose(got_rms, want_rms, rtol=1e-7, atol=1e-9, equal_nan=True)
    np.testing.assert_allclose(
        got_std, rolling_oracle_loop(list(arr), window), rtol=1e-10, atol=1e-14, equal_nan=True
    )
    assert np.isnan(got_std[: window - 1]).all()


def test_rolling_tracking_error_keeps_the_columns():
    x = np.random.default_rng(5).normal(0, 0.01, size=(50, 3))
    frame = rolling_tracking_error(pd.DataFrame(x, columns=["a", "b", "c"]), 10)
    assert list(frame.columns) == ["a", "b", "c"]
    want = pd.DataFrame(x).rolling(10).std(ddof=1).to_numpy() * math.sqrt(P)
    np.testing.assert_allclose(frame.to_numpy(), want, rtol=1e-9, equal_nan=True)


def test_rolling_argument_errors():
    s = pd.Series([0.01, 0.02, 0.0])
    with pytest.raises(DataError, match="window"):
        rolling_tracking_error(s, 1)
    with pytest.raises(DataError, match="method"):
        rolling_tracking_error(s, 2, method="mad")


def test_result_rolling_column_uses_the_kernel():
    closes = random_closes(120, ["A", "B"], seed=9)
    tr = tracking(closes["A"], closes["B"], window=20)
    want = tr.active.rolling(20).std(ddof=1) * math.sqrt(P)
    np.testing.assert_allclose(
        tr.rolling["te_std"].to_numpy(), want.to_numpy(), rtol=1e-9, equal_nan=True
    )
    short = tracking(closes["A"].iloc[:10], closes["B"].iloc[:10], window=20)
    assert short.rolling["te_std"].isna().all()


# ---------------------------------------------------------------------------------- alignment
def test_no_overlap_names_both_ranges():
    a = levels_from_returns([0.01, 0.02], first="2024-01-02")
    b = levels_from_returns([0.01, 0.02], first="2024-03-01")
    with pytest.raises(DataError) as exc:
        tracking(a, b)
    msg = str(exc.value)
    assert "2024-01-02..2024-01-04" in msg and "2024-03-01..2024-03-05" in msg


def test_missing_date_inside_span_strict_and_lenient():
    fund = levels_from_returns([0.01, 0.02, -0.01, 0.0, 0.01])
    bench = fund.drop(fund.index[2]) * 1.1
    with pytest.raises(DataError) as exc:
        tracking(fund, bench)
    assert "2024-01-04" in str(exc.value) and "strict=False" in str(exc.value)
    tr = tracking(fund, bench, strict=False)
    assert list(tr.excluded) == [pd.Timestamp("2024-01-04")]
    assert len(tr.levels) == 5
    assert "excluded" in tr.summary().to_frame().set_index("metric").loc["periods_per_year", "note"]


def test_fund_starting_later_is_trimmed_not_an_error():
    bench = levels_from_returns([0.01] * 10)
    fund = bench.iloc[4:] * 0.5
    frame, dropped = align(fund, bench)
    assert frame.index[0] == bench.index[4] and len(dropped) == 0


# --------------------------------------------------------------------------------- by year
def test_td_by_year_hand_worked():
    idx = pd.DatetimeIndex(["2024-12-30", "2024-12-31", "2025-01-02", "2025-06-30", "2025-12-31"])
    fund = pd.Series([100.0, 110.0, 121.0, 110.0, 132.0], index=idx)
    bench = pd.Series([50.0, 50.0, 55.0, 55.0, 60.0], index=idx)
    t = tracking(fund, bench, window=2).td_by_year()
    # 2024: 110/100 - 1 = 10%, bench 0% -> TD 10%
    assert t.loc[2024, "td"] == pytest.approx(0.10)
    # 2025 runs from the 2024-12-31 close: fund 132/110 - 1 = 20%, bench 60/50 - 1 = 20% -> TD 0
    assert t.loc[2025, "fund_return"] == pytest.approx(0.20)
    assert t.loc[2025, "td"] == pytest.approx(0.0, abs=1e-14)
    assert t.loc[2025, "start"] == pd.Timestamp("2024-12-31") and t.loc[2025, "sessions"] == 3


# --------------------------------------------------------------------------------- benchmarks
def test_benchmark_series_converts_at_the_fixing():
    closes = random_closes(10, ["A", "B"])
    idx = make_index(closes, [(1, {"A": 1.0, "B": 2.0})])
    fx = pd.Series([0.9, 0.92, 0.91, 0.93, 0.9, 0.95, 0.9, 0.9, 0.88, 0.9], index=closes.index)
    b = benchmark_series(idx, fx)
    lv = idx.levels["price"]
    # level_t * fx_t / fx_0
    assert b.iloc[3] == pytest.approx(lv.iloc[3] * 0.93 / 0.9)
    assert b.iloc[0] == pytest.approx(lv.iloc[0])
    pd.testing.assert_series_equal(
        benchmark_series(idx, variant="net", currency="HKD"),
        lv.rename("x") * 0 + idx.levels["net"],
        check_names=False,
    )
    net = benchmark_series(idx, fx, variant="net")
    assert net.iloc[-1] == pytest.approx(idx.levels["net"].iloc[-1] * 0.9 / 0.9)


def test_benchmark_series_errors():
    closes = random_closes(6, ["A"])
    idx = make_index(closes, [(1, {"A": 1.0})])
    fx = pd.Series(0.9, index=closes.index[:-1])
    with pytest.raises(DataError) as exc:
        benchmark_series(idx, fx)
    assert str(closes.index[-1].date()) in str(exc.value) and "field=hkd_cny" in str(exc.value)
    with pytest.raises(DataError, match="variant"):
        benchmark_series(idx, fx, variant="total")
    with pytest.raises(DataError, match="currency"):
        benchmark_series(idx, fx, currency="USD")
    with pytest.raises(DataError, match="fixing"):
        benchmark_series(idx, None)


def test_fund_tracking_on_a_fake_fund():
    closes = random_closes(40, ["A", "B", "C"])
    idx = make_index(closes, [(1, {"A": 1.0, "B": 1.0, "C": 1.0})], synthetic=True)
    dates = closes.index[3:]
    fx = pd.Series(np.linspace(0.9, 0.93, len(closes)), index=closes.index)
    # a fund that earns the price index in CNY exactly, minus 1 bp a day
    nav_pu = (
        idx.levels["price"].reindex(dates) * fx.reindex(dates) * (1 - 1e-4) ** np.arange(len(dates))
    )
    nav = pd.DataFrame({"nav_per_unit_cny": nav_pu, "fx": fx.reindex(dates)})
    tr = fund_tracking(make_fund(nav, idx), idx)
    np.testing.assert_allclose(
        tr.active.to_numpy(),
        (1 - 1e-4) * (1 + tr.returns["benchmark"]) - 1 - tr.returns["benchmark"],
        atol=1e-14,
    )
    assert tr.synthetic
    assert tr.levels.index[0] == dates[0]
    bad = nav.copy()
    bad.index = bad.index + pd.Timedelta(days=400)
    with pytest.raises(DataError, match="no index level"):
        fund_tracking(make_fund(bad, idx), idx)


# ------------------------------------------------------------------------------- presentation
def test_summary_to_frame_plot():
    closes = random_closes(90, ["A", "B"], seed=2)
    tr = tracking(closes["A"], closes["B"], window=20, synthetic=True)
    s = tr.summary()
    assert isinstance(s, Summary)
    assert set(METRICS) <= set(s.metrics)
    frame = s.to_frame().set_index("metric")
    assert frame["note"].str.len().gt(0).all()
    assert (
        "STD" in frame.loc["tracking_error_std", "note"]
        and "RMS" in frame.loc["tracking_error_rms", "note"]
    )
    assert (
        s["tracking_difference"] == tr["tracking_difference"]
        and s.unit("tracking_difference") == "%"
    )
    # every relative metric names its benchmark; fund-only ones name none
    assert (
        frame.loc["tracking_difference", "against"]
        == frame.loc["tracking_error_std", "against"]
        == "benchmark"
    )
    assert frame.loc["fund_vol", "against"] == "" and frame.loc["fund_return", "against"] == ""
    f = tr.to_frame()
    assert {"fund_level", "benchmark_level", "active", "te_std", "te_rms"} <= set(f.columns)
    assert len(f) == 90 and np.isnan(f["active"].iloc[0])
    for kind, panels in (("all", 3), ("levels", 1), ("active", 1), ("rolling", 1)):
        ax = tr.plot(kind)
        assert isinstance(ax, Axes) and len(ax.figure.axes) == panels
    assert "SYNTHETIC" in tr.plot("levels").get_title()
    assert "SYNTHETIC" in repr(tr)
    with pytest.raises(DataError, match="kind"):
        tr.plot("pie")


def test_custom_conventions_scale_as_documented():
    closes = random_closes(60, ["A", "B"], seed=4)
    a = tracking(closes["A"], closes["B"], conventions=Conventions(periods_per_year=250))
    b = tracking(closes["A"], closes["B"], conventions=Conventions(periods_per_year=246))
    assert a["tracking_error_std"] / b["tracking_error_std"] == pytest.approx(math.sqrt(250 / 246))


@pytest.mark.parametrize("window", [1, 0, 2.5, True])
def test_tracking_rejects_bad_windows(window):
    s = levels_from_returns([0.01, 0.02, 0.03])
    with pytest.raises(DataError, match="window"):
        tracking(s, s * 2, window=window)


def test_single_return_gives_nan_dispersion_not_an_error():
    tr = tracking(levels_from_returns([0.02]), levels_from_returns([0.01]), window=2)
    assert tr["tracking_difference"] == pytest.approx(0.01)
    assert (
        math.isnan(tr["tracking_error_std"])
        and math.isnan(tr["information_ratio"])
        and math.isnan(tr["beta"])
    )
    assert tr["tracking_error_rms"] == pytest.approx(0.01 * math.sqrt(P))


def test_fund_tracking_records_provenance():
    closes = random_closes(20, ["A"])
    idx = make_index(closes, [(1, {"A": 1.0})])
    nav = pd.DataFrame({"nav_per_unit_cny": idx.levels["price"] / 1000.0, "fx": 0.9})
    tr = fund_tracking(make_fund(nav, idx), idx)
    assert tr.meta["methodology_hash"] == "abc123" and tr.meta["data_fingerprint"] == "fp0001"
    assert tr.meta["engine_version"] and "price index" in tr.meta["benchmark"]


def test_fund_tracking_uses_the_config_benchmark_and_names_it():
    closes = random_closes(30, ["A", "B"], seed=9)
    idx = make_index(closes, [(1, {"A": 1.0, "B": 1.0})], dividend_yield_per_day=0.001)
    nav = pd.DataFrame({"nav_per_unit_cny": idx.levels["gross"] / 1000.0, "fx": 0.9})
    for variant, name in (
        ("price", "FAKE price index (CNY)"),
        ("gross", "FAKE gross total-return index (CNY)"),
        ("net", "FAKE net total-return index (CNY)"),
    ):
        fund = make_fund(nav, idx, config=dataclasses.replace(FakeConfig(), benchmark=variant))
        tr = fund_tracking(fund, idx)
        assert tr.benchmark == name == benchmark_label("fake", variant)
        lv = idx.levels[variant]
        want = (nav["nav_per_unit_cny"].iloc[-1] / nav["nav_per_unit_cny"].iloc[0]) - (
            lv.iloc[-1] / lv.iloc[0]
        )
        assert tr["tracking_difference"] == pytest.approx(want, rel=1e-12, abs=1e-15)
        s = tr.summary().to_frame().set_index("metric")
        assert (
            s.loc["tracking_difference", "against"]
            == s.loc["tracking_error_std", "against"]
            == name
        )
        assert name in tr.plot("levels").get_legend_handles_labels()[1][1]
        assert name in repr(tr)
    # the fund holds the gross index: zero TD against gross, a dividend gap against price
    gross_cfg = dataclasses.replace(FakeConfig(), benchmark="gross")
    assert fund_tracking(make_fund(nav, idx, config=gross_cfg), idx)[
        "tracking_difference"
    ] == pytest.approx(0.0, abs=1e-12)
    assert fund_tracking(make_fund(nav, idx), idx)["tracking_difference"] > 0.01
    with pytest.raises(DataError, match="variant"):
        fund_tracking(make_fund(nav, idx), idx, variant="total")


def test_config_benchmark_setting_is_validated():
    from engine.errors import FundConfigError
    from engine.fund import EtfConfig

    assert EtfConfig.default().benchmark == "price"
    assert EtfConfig.default().replace(benchmark="gross").benchmark == "gross"
    with pytest.raises(FundConfigError, match="benchmark"):
        EtfConfig.default().replace(benchmark="total")
