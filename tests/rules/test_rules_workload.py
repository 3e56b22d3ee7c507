"""The settings of the benchmark workload (contract A), each against a hand-worked example."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from support.markets import market_from_closes, market_from_specs, sec
from support.methodologies import methodology, workload

import engine
from engine.data import hkex_sessions
from engine.errors import DataError, MethodologyError
from engine.rules import load_methodology, review_dates, run_reviews
from engine.rules.screens import screen_frame

CUTOFF, CAP = pd.Timestamp("2025-06-30"), pd.Timestamp("2025-06-30")


def test_defaults_keep_the_shipped_files():
    for name in ("hsidi-2023-05", "hsidi-2025-08"):
        m = load_methodology(name)
        assert m.universe.min_listed_months == 0
        assert m.weighting.shares_at == "cap_date"
        assert m.schedule.effective_sessions_after == 1


def test_min_listed_months_counts_calendar_months():
    # cut-off 2025-06-30 minus 6 months = 2024-12-30: listed that day passes, a day later fails
    market = market_from_specs(
        [sec("0001", first="2024-12-30"), sec("0002", first="2024-12-31"), sec("0003")]
    )
    on = screen_frame(market, methodology(min_listed_months=6), CUTOFF, CAP)
    assert list(on["eligible"]) == [True, False, True]
    assert on.loc["0002", "reason"] == "out: listed less than 6 months (listed 2024-12-31)"
    off = screen_frame(market, methodology(), CUTOFF, CAP)
    assert off["eligible"].all()


def test_negative_min_relevance_passes_unscored_names():
    market = market_from_specs([sec("0001", score=None), sec("0002", score=0.0), sec("0003")])
    assert not screen_frame(market, methodology(), CUTOFF, CAP)["eligible"].iloc[:2].any()
    assert screen_frame(market, methodology(min_relevance=-1.0), CUTOFF, CAP)["eligible"].all()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("shares_at", "open"),
        ("frequency", "monthly"),
        ("effective_sessions_after", 0),
        ("min_listed_months", -1),
    ],
)
def test_bad_values_name_the_field(key, value):
    with pytest.raises(MethodologyError, match=key) as exc:
        load_methodology("hsidi-2025-08").replace(**{key: value})
    assert repr(value) in str(exc.value)


def test_bad_value_in_a_file_names_the_file(tmp_path):
    text = (engine.rules.methodology_dir() / "hsidi-2025-08.toml").read_text()
    path = tmp_path / "hsidi-2025-08.toml"
    path.write_text(text.replace('shares_at = "cap_date"', 'shares_at = "close"'))
    with pytest.raises(MethodologyError, match=r"hsidi-2025-08\.toml.*weighting\.shares_at"):
        load_methodology(path)


def test_month_end_needs_a_month():
    with pytest.raises(MethodologyError, match="month_end"):
        workload("2024-12-31", months=())


def test_month_end_calendar_hand_worked():
    dates = hkex_sessions("2024-12-02", "2025-09-30")
    plan = review_dates(workload("2024-12-31"), dates)
    reg = plan[plan["kind"] == "regular"]
    # last sessions of Feb, May and Aug 2025, then two sessions later (weekends skipped)
    assert list(reg["cutoff_date"].dt.strftime("%Y-%m-%d")) == [
        "2025-02-28",
        "2025-05-30",
        "2025-08-29",
    ]
    assert list(reg["cap_date"]) == list(reg["cutoff_date"])
    assert list(reg["effective_date"].dt.strftime("%Y-%m-%d")) == [
        "2025-03-04",
        "2025-06-03",
        "2025-09-02",
    ]
    one = review_dates(
        workload("2024-12-31", effective_sessions_after=1, cap_factor_lag_sessions=1), dates
    )
    assert list(one.loc[one["kind"] == "regular", "effective_date"].dt.day) == [3, 2, 1]
    # cut-off a month before the review day's month (29-31 Jan 2025 are Lunar New Year holidays)
    back = review_dates(workload("2024-12-31", cutoff_months_before=1), dates)
    assert back.loc[back["kind"] == "regular", "cutoff_date"].iloc[0] == pd.Timestamp("2025-01-28")


def _rebalance_market(split: bool):
    """Three names, constant until the review day R = 2025-02-28, moving on R+1 and on E."""
    dates = hkex_sessions("2024-06-03", "2025-03-10")
    close = pd.DataFrame(10.0, index=dates, columns=["0001", "0002", "0003"])
    close.loc["2025-02-28":, "0002"] = 20.0  # review day: 0002 is the largest
    close.loc["2025-03-03":, "0001"] = 12.0  # R+1: moves after the weights were set
    close.loc["2025-03-03":, "0003"] = 5.0
    close.loc["2025-03-04":, ["0001", "0002", "0003"]] = [13.2, 19.0, 6.0]  # E
    actions = None
    if split:  # 2-for-1 split of 0003 on R+1: the R+1 close is quoted per new share
        close.loc["2025-03-03":, "0003"] /= 2.0
        actions = pd.DataFrame(
            [("2025-03-03", "0003", "split", np.nan, 2.0, np.nan)],
            columns=["ex_date", "code", "kind", "amount_hkd", "ratio", "price_hkd"],
        )
    return market_from_closes(close, actions=actions), close


@pytest.mark.parametrize("split", [False, True])
def test_rebalance_close_gives_target_weights_at_the_close_before_e(split):
    market, close = _rebalance_market(split)
    m = workload(
        "2024-12-31",
        min_listed_months=0,
        cap=0.5,
        max_constituents=3,
        buffer_add_rank=3,
        buffer_remove_rank=3,
        shares_at="rebalance_close",
    )
    res = engine.build_index(market, m)
    rv = res.schedule.reviews[-1]
    assert rv.effective_date == pd.Timestamp("2025-03-04")
    assert rv.shares_date == pd.Timestamp("2025-03-03")
    # targets at R: raw 10, 20, 10 -> 0.25, 0.5, 0.25 (the 0.5 cap does not bind)
    w = rv.table.set_index("code")["weight"]
    np.testing.assert_allclose(w.to_numpy(), [0.25, 0.5, 0.25])
    # the return of E is the target-weighted return from the R+1 close: what a weight-based
    # backtester that rebalances at that close earns
    r = close.loc["2025-03-04"] / close.loc["2025-03-03"] - 1.0
    want = float((w * r).sum())
    lv = res.levels["price"]
    got = lv.loc["2025-03-04"] / lv.loc["2025-03-03"] - 1.0
    assert got == pytest.approx(want, rel=1e-12)
    # the HSI-style default keeps the weights of the R close instead, which drift by R+1
    drift = engine.build_index(market, m.replace(shares_at="cap_date")).levels["price"]
    assert drift.loc["2025-03-04"] / drift.loc["2025-03-03"] - 1.0 != pytest.approx(want, rel=1e-6)


def test_workload_listing_screen_at_the_initial_review():
    market, _ = _rebalance_market(False)
    small = {"max_constituents": 10, "buffer_add_rank": 10, "buffer_remove_rank": 10, "cap": 0.5}
    # all listed 2024-06-03; base 2024-12-31 minus 6 months = 2024-06-30: seasoned
    sch = run_reviews(market, workload("2024-12-31", **small))
    assert sch.reviews[0].constituents == ["0001", "0002", "0003"]
    # minus 7 months = 2024-05-31: nobody is seasoned, and the review says why
    with pytest.raises(DataError, match="listed less than 7 months"):
        run_reviews(market, workload("2024-12-31", min_listed_months=7, **small))
