"""Methodology comparison on two hand-made index runs over the same closes."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from support.fakes import make_index
from support.markets import random_closes

from engine.analytics import compare_indexes, membership_changes, tracking, wide_panel
from engine.conventions import PERIODS_PER_YEAR
from engine.errors import DataError


@pytest.fixture(scope="module")
def runs():
    closes = random_closes(40, ["A", "B", "C", "D"], seed=21)
    launch = make_index(
        closes,
        [(1, {"A": 1.0, "B": 1.0, "C": 1.0}), (20, {"A": 1.0, "B": 1.0, "C": 1.0, "D": 1.0})],
    )
    revision = make_index(
        closes, [(1, {"A": 1.0, "B": 1.0, "C": 1.0}), (20, {"A": 1.0, "D": 2.0})], synthetic=True
    )
    return closes, launch, revision, compare_indexes(launch, revision)


def test_membership_entered_left_per_review(runs):
    _, launch, revision, cmp = runs
    m = cmp.membership.set_index(["label", "effective_date"])
    d20 = launch.levels.index[20]
    assert m.loc[("launch", d20), "entered"] == ["D"] and m.loc[("launch", d20), "left"] == []
    assert m.loc[("revision", d20), "entered"] == ["D"]
    assert m.loc[("revision", d20), "left"] == ["B", "C"]
    assert m.loc[("revision", d20), "n_constituents"] == 2
    diff = cmp.membership_diff.set_index("effective_date")
    assert diff.loc[d20, "only_launch"] == ["B", "C"] and diff.loc[d20, "only_revision"] == []
    assert diff.loc[d20, "n_common"] == 2
    first = launch.levels.index[1]
    assert diff.loc[first, "only_launch"] == [] and diff.loc[first, "n_common"] == 3


def test_turnover_by_hand(runs):
    closes, _, _, cmp = runs
    P = closes.iloc[19]  # cap date = the session before the effective row 20
    a, b, c, d = P["A"], P["B"], P["C"], P["D"]
    pre = {"A": a / (a + b + c), "B": b / (a + b + c), "C": c / (a + b + c), "D": 0.0}
    post_launch = {k: v / (a + b + c + d) for k, v in {"A": a, "B": b, "C": c, "D": d}.items()}
    post_rev = {"A": a / (a + 2 * d), "B": 0.0, "C": 0.0, "D": 2 * d / (a + 2 * d)}
    tv_launch = 0.5 * sum(abs(post_launch[k] - pre[k]) for k in pre)
    tv_rev = 0.5 * sum(abs(post_rev[k] - pre[k]) for k in pre)
    t = cmp.turnover()
    d20 = closes.index[20]
    assert t.loc[d20, "launch"] == pytest.approx(tv_launch, rel=1e-12)
    assert t.loc[d20, "revision"] == pytest.approx(tv_rev, rel=1e-12)
    # one-way turnover when D enters at the average weight: exactly D's new weight
    assert tv_launch == pytest.approx(post_launch["D"], rel=1e-12)
    assert math.isnan(t.loc[closes.index[1], "launch"])  # initial review: no earlier composition


def test_weights_and_active_share(runs):
    closes, _, _, cmp = runs
    last = closes.index[-1]
    P = closes.loc[last]
    wd = cmp.weight_diff()
    w_launch = P / P.sum()
    w_rev = pd.Series({"A": P["A"], "D": 2 * P["D"]}) / (P["A"] + 2 * P["D"])
    for code in "ABCD":
        want = w_rev.get(code, 0.0) - w_launch[code]
        assert wd.loc[code, "diff"] == pytest.approx(want, rel=1e-12, abs=1e-15)
    assert abs(wd["diff"]).is_monotonic_decreasing
    s = cmp.active_share
    assert s.iloc[:20].abs().max() == pytest.approx(0.0, abs=1e-15)  # identical before the revision
    assert s.loc[last] == pytest.approx(0.5 * np.abs(wd["diff"]).sum(), rel=1e-12)
    with pytest.raises(DataError, match="no weights"):
        cmp.weight_diff("1999-01-01")


def test_return_risk_and_te_agree_with_tracking(runs):
    _, launch, revision, cmp = runs
    tr = tracking(revision.levels["price"], launch.levels["price"])
    for key in (
        "tracking_error_std",
        "tracking_error_rms",
        "tracking_difference",
        "correlation",
        "beta",
    ):
        assert cmp.metrics[key] == pytest.approx(tr[key], rel=1e-12, abs=1e-15), key
    s = cmp.summary()
    assert s["return_diff"] == pytest.approx(tr["tracking_difference"], rel=1e-12)
    assert s["vol_diff"] == pytest.approx(tr["fund_vol"] - tr["benchmark_vol"], rel=1e-12)
    assert {
        "tracking_error_std",
        "tracking_error_rms",
        "turnover_drifted_launch",
        "turnover_drifted_revision",
    } <= set(s.metrics)


def test_summary_names_each_volatility_after_its_own_series(runs):
    # each run's volatility is defined on its own daily returns: vol_launch on r_a (launch is a),
    # vol_revision on r_b; the labels used to describe launch's volatility as std(r_b)
    _, launch, revision, cmp = runs
    s = cmp.summary()
    frame = s.to_frame().set_index("metric")
    for lab, res, own, other in (
        ("launch", launch, "r_a", "r_b"),
        ("revision", revision, "r_b", "r_a"),
    ):
        r = res.levels["price"].pct_change().dropna()
        assert s[f"vol_{lab}"] == pytest.approx(
            r.std(ddof=1) * math.sqrt(PERIODS_PER_YEAR), rel=1e-12
        )
        note = frame.loc[f"vol_{lab}", "note"]
        assert f"std({own}" in note and f"std({other}" not in note and lab in note
        assert f"L_{own[-1]}" in frame.loc[f"return_{lab}", "note"]
    assert frame.loc["tracking_error_std", "against"] == "launch (price)"
    assert s["vol_launch"] != pytest.approx(s["vol_revision"], rel=1e-3)  # the two do differ


def test_frame_plot_and_flags(runs):
    _, _, _, cmp = runs
    f = cmp.to_frame()
    assert {
        "level_launch",
        "level_revision",
        "return_launch",
        "return_revision",
        "active",
        "active_share",
    } <= set(f.columns)
    assert cmp.synthetic and "SYNTHETIC" in repr(cmp)
    ax = cmp.plot()
    assert isinstance(ax, Axes) and "SYNTHETIC" in ax.get_title()
    assert len(ax.figure.axes) == 3 and ax is ax.figure.axes[0]


def test_compare_errors(runs):
    _, launch, revision, _ = runs
    with pytest.raises(DataError, match="labels"):
        compare_indexes(launch, revision, labels=("x", "x"))
    with pytest.raises(DataError, match="variant"):
        compare_indexes(launch, revision, variant="total")


def test_wide_panel_shapes():
    dates = pd.bdate_range("2024-01-02", periods=2)
    wide = pd.DataFrame({"A": [1.0, 2.0], "B": [3.0, 4.0]}, index=pd.DatetimeIndex(list(dates)))
    long = wide.stack()
    long.index.names = ["date", "code"]
    pd.testing.assert_frame_equal(wide_panel(long), wide, check_names=False)
    tidy = long.rename("w").reset_index()
    pd.testing.assert_frame_equal(wide_panel(tidy), wide, check_names=False)
    pd.testing.assert_frame_equal(wide_panel(long.to_frame("w")), wide, check_names=False)
    with pytest.raises(DataError):
        wide_panel(pd.Series([1.0, 2.0]))
    with pytest.raises(DataError):
        wide_panel(None)


def test_membership_changes_on_one_run(runs):
    _, launch, _, _ = runs
    m = membership_changes(launch, "x")
    assert m["entered"].iloc[0] == ["A", "B", "C"] and len(m) == 2


def test_initial_review_turnover_is_nan(runs):
    from engine.analytics.compare import _review_turnover

    a = runs[1]
    initial = a.schedule.reviews[0]
    assert initial.kind == "initial"
    assert np.isnan(_review_turnover(a.weights, initial))


def test_runs_on_two_markets_are_refused(runs):
    import dataclasses

    a, b = runs[1], runs[2]
    b2 = dataclasses.replace(b, schedule=dataclasses.replace(b.schedule, data_fingerprint="other"))
    a2 = dataclasses.replace(a, schedule=dataclasses.replace(a.schedule, data_fingerprint="mine"))
    with pytest.raises(DataError, match=r"different market data.*field=data_fingerprint"):
        compare_indexes(a2, b2)
