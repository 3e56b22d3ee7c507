"""compare_observed: calendar alignment, limit days, lag, split, hand-worked on tiny series."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from engine.analytics import compare_observed
from engine.analytics.observed import (
    align_calendars,
    exchange_sessions,
    merge_flagged,
    pair_returns,
)
from engine.data import hkex_sessions
from engine.errors import CalendarError, DataError

HK = hkex_sessions("2025-04-14", "2025-05-09")
SH = exchange_sessions("XSHG", "2025-04-14", "2025-05-09")


def _index(seed=1):
    rng = np.random.default_rng(seed)
    return pd.Series(100 * np.cumprod(1 + rng.normal(0, 0.01, len(HK))), index=HK, name="idx")


def test_calendars_differ_where_expected():
    # Good Friday / Easter Monday: Shanghai open, Hong Kong closed; 1-5 May: Shanghai closed
    assert pd.Timestamp("2025-04-18") in SH and pd.Timestamp("2025-04-18") not in HK
    assert pd.Timestamp("2025-05-02") in HK and pd.Timestamp("2025-05-02") not in SH


def test_alignment_compounds_over_hk_only_days_and_is_flat_on_sh_only_days():
    lv = _index()
    obs = pd.Series(np.linspace(1, 1.2, len(SH)), index=SH)
    c = compare_observed(lv, obs, split="2025-05-01", limit=None)
    p = c.pairs
    # 2025-04-18: HK closed -> no index move, no HK session in the interval
    assert p.at[pd.Timestamp("2025-04-18"), "index"] == 0.0
    assert p.at[pd.Timestamp("2025-04-18"), "hk_sessions"] == 0
    # 2025-05-06: HK sessions 05-02 and 05-06 since the last Shanghai date 04-30, compounded
    want = lv["2025-05-06"] / lv["2025-04-30"] - 1
    assert p.at[pd.Timestamp("2025-05-06"), "index"] == pytest.approx(want, rel=1e-12)
    assert p.at[pd.Timestamp("2025-05-06"), "hk_sessions"] == 2
    # compounded pairs reproduce the index's own cumulative return
    assert np.prod(1 + p["index"]) == pytest.approx(lv.iloc[-1] / lv.iloc[0], rel=1e-12)
    assert set(p["period"]) == {"before", "after"}
    assert (p.index[p["period"] == "before"] < pd.Timestamp("2025-05-01")).all()


def test_align_calendars_is_an_asof_lookup():
    lv = pd.Series(
        [1.0, 2.0, 4.0], index=pd.to_datetime(["2025-01-02", "2025-01-03", "2025-01-06"])
    )
    got = align_calendars(
        lv, pd.to_datetime(["2025-01-01", "2025-01-03", "2025-01-05", "2025-01-07"])
    )
    assert np.isnan(got.iloc[0])
    assert got.iloc[1:].tolist() == [2.0, 2.0, 4.0]


def test_same_day_copy_fits_perfectly_and_td_te_are_zero():
    lv = _index()
    obs = align_calendars(lv, SH)
    c = compare_observed(lv, obs, limit=None)
    assert c.figure("corr_1d") == pytest.approx(1.0)
    assert c.figure("r2_same") == pytest.approx(1.0)
    assert c.figure("td") == pytest.approx(0.0, abs=1e-12)
    assert c.figure("te") == pytest.approx(0.0, abs=1e-12)
    s = c.summary()
    assert s.to_frame().set_index("metric").at["te_all", "against"] == "idx"
    assert s["observed_kind"] == "price"


def test_a_one_day_lag_is_found():
    lv = _index(3)
    pairs = compare_observed(lv, align_calendars(lv, SH), limit=None).pairs
    lagged = np.r_[0.0, pairs["index"].to_numpy()[:-1]]  # observed moves one pair late
    obs = pd.Series(np.cumprod(np.r_[1.0, 1.0 + lagged]), index=SH)
    c = compare_observed(lv, obs, limit=None)
    assert c.figure("r2_lag") == pytest.approx(1.0, abs=1e-9)
    assert c.figure("corr_lag") > 0.99
    assert c.figure("r2_same") < 0.3


def test_limit_day_is_flagged_and_merged_with_the_next():
    dates = exchange_sessions("XSHG", "2025-04-01", "2025-04-11")
    lv = pd.Series([100, 101, 85.85, 85.85 * 1.02, 87.57, 88.0, 88.5, 89.0], index=dates[:8])
    obs = pd.Series([1.0, 1.01, 0.909, 0.96, 0.98, 0.985, 0.99, 0.995], index=dates[:8])
    # 2025-04-03 in Hong Kong; XSHG and XHKG share these dates except 04-04 (both closed)
    c = compare_observed(lv, obs, limit=0.10, limit_tolerance=0.002, split="2025-04-09")
    p = c.pairs
    flagged = p.index[p["limit_day"]].tolist()
    assert flagged == [dates[2]]  # 0.909 / 1.01 - 1 = -10.0%
    o, r = p["observed"].to_numpy(), p["index"].to_numpy()
    mo, mr, end = merge_flagged(o, r, p["limit_day"].to_numpy())
    assert len(mo) == len(o) - 1
    assert mo[1] == pytest.approx((1 + o[1]) * (1 + o[2]) - 1)
    assert mr[1] == pytest.approx((1 + r[1]) * (1 + r[2]) - 1)
    assert end.tolist() == [0, 2, 3, 4, 5, 6]
    # the arrays the merged figures are fitted on: the merged pairs, the lag from the merged index
    po, pr, plag = pair_returns(p, "all", merged=True)
    assert po.tolist() == mo.tolist() and pr.tolist() == mr.tolist()
    assert np.isnan(plag[0]) and plag[1:].tolist() == mr[:-1].tolist()
    bo, _, blag = pair_returns(p, "after")  # a period keeps the lag of the pair before it
    after = p[p["period"] == "after"]
    assert bo.tolist() == after["observed"].tolist()
    assert blag.tolist() == after["index_lag"].tolist() and not np.isnan(blag[0])
    # merged figures are computed on the merged pairs; returns are unchanged by merging
    assert c.figure("n", merged=True) == c.figure("n") - 1
    want_te = np.std(mo - mr, ddof=1) * math.sqrt(c.conventions.periods_per_year)
    assert c.figure("te", merged=True) == pytest.approx(want_te, rel=1e-12)
    assert c.figure("td", merged=True) == pytest.approx(c.figure("td"), rel=1e-12)
    assert "limit_days" in c.summary()


def test_figures_against_numpy():
    rng = np.random.default_rng(7)
    lv = _index(5)
    obs = align_calendars(lv, SH) * np.cumprod(1 + rng.normal(0, 0.005, len(SH)))
    c = compare_observed(lv, obs, limit=None, split="2025-04-28", label="observed")
    p = c.pairs
    b = p[p["period"] == "before"]
    assert c.figure("corr_1d", "before") == pytest.approx(
        np.corrcoef(b["observed"], b["index"])[0, 1]
    )
    td = np.prod(1 + b["observed"]) - np.prod(1 + b["index"])
    assert c.figure("td", "before") == pytest.approx(td, rel=1e-12)
    blocks = len(p) // 5
    o5 = (1 + p["observed"].to_numpy()[: blocks * 5]).reshape(blocks, 5).prod(1) - 1
    i5 = (1 + p["index"].to_numpy()[: blocks * 5]).reshape(blocks, 5).prod(1) - 1
    assert c.figure("corr_5d") == pytest.approx(np.corrcoef(o5, i5)[0, 1], rel=1e-12)
    assert c.to_frame().shape[0] == len(p)
    ax = c.plot()
    assert ax.get_title().startswith("observed against")


def test_nav_premium_and_errors():
    lv = _index()
    nav = align_calendars(lv, SH) / 100
    price = nav * 1.01
    c = compare_observed(lv, price, nav=nav, limit=None)
    assert c.premium.to_numpy() == pytest.approx(0.01)
    assert c.summary()["premium_mean"] == pytest.approx(0.01)
    with pytest.raises(CalendarError, match="XSHG"):
        compare_observed(
            lv,
            pd.Series(
                [1.0, 1.1, 1.2], index=pd.to_datetime(["2025-04-17", "2025-04-19", "2025-04-22"])
            ),
        )
    with pytest.raises(DataError, match="kind"):
        compare_observed(lv, price, kind="quote")


@pytest.mark.realdata
def test_520500_limit_day_and_calendar(real_data):
    path = real_data / "etf_prices" / "chenkx612_Multifactor-ETF-Strategy" / "520500.csv"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    f = pd.read_csv(path, usecols=["datetime", "close"])
    etf = pd.Series(f["close"].to_numpy(float), index=pd.DatetimeIndex(f["datetime"]))
    lv = pd.Series(1.0, index=hkex_sessions("2024-12-27", "2025-07-04"))
    c = compare_observed(lv, etf, "XSHG", label="520500")  # every 520500 date is an XSHG session
    assert pd.Timestamp("2025-04-07") in set(c.pairs.index[c.pairs["limit_day"]])
    # 2025-04-07: Hong Kong open, Shanghai held at -10%; the index return is compounded by date
    assert c.pairs.at[pd.Timestamp("2025-04-07"), "hk_sessions"] == 1


def test_approximation_warnings_reach_the_summary():
    lv = _index()
    c = compare_observed(
        lv, align_calendars(lv, SH), limit=None, warnings=("shares approximated by traded value",)
    )
    assert c.summary()["note_1"] == "approximation: shares approximated by traded value"


def _obs():
    return pd.Series(np.linspace(1, 1.2, len(SH)), index=SH, name="520500")


@pytest.mark.parametrize(
    "change, pattern",
    [
        (lambda o: o.tz_localize("Asia/Shanghai"), r"time zone.*field=observed"),
        (lambda o: o.set_axis(o.index + pd.Timedelta(hours=15)), r"time of day.*field=observed"),
        (lambda o: o.astype(object).where(o.index != SH[3], "n/a"), r"not a number.*2025-04-17"),
        (lambda o: o.where(o.index != SH[4], 0.0), r"not positive.*source=520500"),
        (lambda o: o.where(o.index != SH[4], -1.0), r"not positive"),
        (lambda o: o * 0 + 1.5, r"never moves"),
        (
            lambda o: o.set_axis(o.index + pd.Timedelta(days=3650)),
            r"fewer than three observed dates overlap",
        ),
    ],
)
def test_bad_observed_series_is_named(change, pattern):
    with pytest.raises(DataError, match=pattern):
        compare_observed(_index(), change(_obs()), limit=None)


@pytest.mark.parametrize(
    "kwargs, error, pattern",
    [
        (
            {"calendar": "XNOPE"},
            CalendarError,
            r"unknown exchange calendar.*field=calendar, value='XNOPE'",
        ),
        ({"split": "garbage"}, DataError, r"not a date.*field=split"),
        ({"start": "31/31/2025"}, DataError, r"not a date.*field=start"),
        ({"split": "2030-01-01"}, DataError, r"split date is outside the observed dates"),
        ({"fx": pd.Series(0.0, index=HK)}, DataError, r"not positive.*source=fx"),
        ({"kind": "close"}, DataError, r"unknown observed kind.*field=kind"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        compare_observed(_index(), _obs(), **{"limit": None, **kwargs})


def test_dropped_observations_and_an_outside_default_split_are_noted():
    obs = _obs()
    obs.iloc[5] = np.nan
    c = compare_observed(_index(), obs, limit=None)
    assert any("1 observed date(s) without a value" in n for n in c.notes)
    assert any("default split date 2025-08-11" in n for n in c.notes)
