"""Hand-worked index examples: every expected number is derived in the comments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from support.markets import actions_frame, market_from_closes, sessions
from support.reviews import make_review, make_schedule

from engine.index import compute

A, B, C = "0001", "0002", "0003"


@pytest.fixture(scope="module")
def worked():
    d = sessions(7)
    #              day0  day1  day2  day3  day4  day5  day6
    close = pd.DataFrame(
        {
            A: [10.0, 11.0, 5.6, 5.6, 5.6, 6.0, 6.3],  # 2-for-1 split ex day2
            B: [5.0, 5.0, 5.0, 4.8, 4.8, 5.0, 5.0],  # rights 1 per 4 at HKD 4 ex day3
            C: [20.0, 20.0, 20.0, 21.0, 20.0, 19.0, 19.5],  # dividend HKD 1 ex day4
        },
        index=d,
    )
    actions = actions_frame(
        [
            (d[2], A, "split", np.nan, 2.0, np.nan),
            (d[3], B, "rights", np.nan, 0.25, 4.0),
            (d[4], C, "cash_dividend", 1.0, np.nan, np.nan),
            # C has left the index at day5's review: its dividend must be ignored (and not logged)
            (d[5], C, "cash_dividend", 0.5, np.nan, np.nan),
        ]
    )
    market = market_from_closes(
        close, synthetic=True, actions=actions, wht_class={A: "hk", B: "hk", C: "H"}
    )
    reviews = [
        make_review(d[1], d[0], {A: 100.0, B: 200.0, C: 50.0}, kind="initial"),
        make_review(d[5], d[4], {A: 150.0, B: 400.0}, extra_codes=(C,)),
    ]
    schedule = make_schedule(
        reviews, base_date=d[0], base_value=1000.0, withholding={"H": 0.10, "hk": 0.0}
    )
    return d, compute(market, schedule)


def expected_levels():
    # day0 (base): cap = 100*10 + 200*5 + 50*20 = 3000, level 1000 -> D = 3 for every variant.
    # day1 (review 0, same shares): cap = 100*11 + 1000 + 1000 = 3100 -> 3100/3.
    # day2 split 2:1 on A: q_A = 200, prior A restated to 11/2, divisor unchanged;
    #      cap = 200*5.6 + 1000 + 1000 = 3120 -> 3120/3 = 1040.
    # day3 rights on B, 0.25 new per old at 4: q_B 200 -> 250, TERP = (5 + 0.25*4)/1.25 = 4.8;
    #      prior cap 3120 -> adjusted 1120 + 250*4.8 + 1000 = 3320; D = 3*3320/3120 (level kept 1040).
    #      cap today = 1120 + 250*4.8 + 50*21 = 3370 -> level 3370/D = 3370*1040/3320.
    # day4 dividend HKD 1 on C (50 shares, 10% withholding): cap today = 1120 + 1200 + 1000 = 3320.
    #      price: 3320/D = 1040.
    #      gross: prior cap 3370 less cash 50 -> D_g = D*3320/3370 -> level 3320/D_g = 3370*1040/3320.
    #      net:   prior cap 3370 less 45 -> D_n = D*3325/3370 -> level 3320*3370*1040/(3320*3325)
    #             = 3370*1040/3325.
    # day5 review: q = {A: 150, B: 400}; prior cap 150*5.6 + 400*4.8 = 840 + 1920 = 2760; new divisor
    #      keeps day4's level; cap today 150*6 + 400*5 = 2900 -> level_t = level_4 * 2900/2760.
    # day6: cap 150*6.3 + 2000 = 2945 -> level_4 * 2945/2760.
    p3 = 3370 * 1040 / 3320
    price4, gross4, net4 = 1040.0, p3, 3370 * 1040 / 3325
    rows = [
        [1000.0] * 3,
        [3100 / 3] * 3,
        [1040.0] * 3,
        [p3] * 3,
        [price4, gross4, net4],
        [price4 * 2900 / 2760, gross4 * 2900 / 2760, net4 * 2900 / 2760],
        [price4 * 2945 / 2760, gross4 * 2945 / 2760, net4 * 2945 / 2760],
    ]
    return np.array(rows)


def test_levels_match_hand_calculation(worked):
    d, res = worked
    assert list(res.levels.index) == list(d)
    np.testing.assert_allclose(res.levels.to_numpy(), expected_levels(), rtol=1e-12, atol=0)


def test_divisors_match_hand_calculation(worked):
    _, res = worked
    D = 3 * 3320 / 3120  # after the rights issue
    div = res.divisors
    np.testing.assert_allclose(div["price"].iloc[:3], 3.0, rtol=1e-14)
    np.testing.assert_allclose(div.iloc[3], [D, D, D], rtol=1e-14)
    np.testing.assert_allclose(div.iloc[4], [D, D * 3320 / 3370, D * 3325 / 3370], rtol=1e-14)
    # day5 review: D_v = 2760 / level_v(day4)
    np.testing.assert_allclose(div.iloc[5], 2760 / expected_levels()[4], rtol=1e-12)


def test_index_shares_and_weights(worked):
    d, res = worked
    q = res.index_shares
    assert q.loc[d[1], A] == 100 and q.loc[d[2], A] == 200  # split doubles A's shares
    assert q.loc[d[2], B] == 200 and q.loc[d[3], B] == 250  # rights: 200 * 1.25
    assert q.loc[d[5], C] == 0 and q.loc[d[5], B] == 400  # review 1
    # day3 weights: caps 1120, 1200, 1050 of 3370
    np.testing.assert_allclose(
        res.weights.loc[d[3], [A, B, C]], [1120 / 3370, 1200 / 3370, 1050 / 3370], rtol=1e-14
    )
    # base-date weights are the first review's cap-date weights: 1/3 each
    np.testing.assert_allclose(res.weights.loc[d[0], [A, B, C]], [1 / 3] * 3, rtol=1e-14)
    np.testing.assert_allclose(res.weights.sum(axis=1), 1.0, rtol=1e-14)


def test_event_log(worked):
    d, res = worked
    ev = res.events
    assert list(ev["kind"]) == ["review", "split", "rights", "cash_dividend", "review"]
    assert list(ev["code"]) == ["", A, B, C, ""]
    assert list(ev["date"]) == [d[1], d[2], d[3], d[4], d[5]]
    D = 3 * 3320 / 3120
    rights = ev.iloc[2]
    assert rights["divisor_before_price"] == pytest.approx(3.0, rel=1e-14)
    assert rights["divisor_after_price"] == pytest.approx(D, rel=1e-14)
    div = ev.iloc[3]
    assert div["divisor_after_price"] == pytest.approx(div["divisor_before_price"], rel=1e-15)
    assert div["divisor_after_gross"] == pytest.approx(D * 3320 / 3370, rel=1e-14)
    assert div["divisor_after_net"] == pytest.approx(D * 3325 / 3370, rel=1e-14)
    assert "10%" in div["detail"] and "HKD 1 " in div["detail"]
    assert "1 in" not in ev.iloc[4]["detail"] and "1 out" in ev.iloc[4]["detail"]


def test_deletion_hand_calculation():
    d = sessions(5)
    close = pd.DataFrame(
        {A: [10.0, 10.0, 12.0, np.nan, np.nan], B: [20.0, 20.0, 20.0, 22.0, 22.0]}, index=d
    )
    market = market_from_closes(close, synthetic=True)
    schedule = make_schedule(
        [make_review(d[1], d[0], {A: 100.0, B: 50.0})],
        base_date=d[0],
        base_value=100.0,
        withholding={"H": 0.1},
    )
    res = compute(market, schedule)
    # base: cap 1000 + 1000 = 2000 -> D = 20, level 100; day1 flat -> 100
    # day2: cap 1200 + 1000 = 2200 -> 110
    # day3: A has no close: deleted at 12; D = 20 * (2200 - 1200)/2200 = 100/11;
    #       cap 50*22 = 1100 -> 1100 * 11/100 = 121;  day4: unchanged 121
    np.testing.assert_allclose(res.levels["price"], [100, 100, 110, 121, 121], rtol=1e-13)
    np.testing.assert_allclose(res.levels["net"], res.levels["price"], rtol=1e-15)
    ev = res.events
    assert list(ev["kind"]) == ["review", "deletion"] and ev.iloc[1]["code"] == A
    assert ev.iloc[1]["divisor_after_price"] == pytest.approx(100 / 11, rel=1e-14)
    assert res.index_shares.loc[d[3], A] == 0
    assert res.weights.loc[d[4], B] == 1.0


def test_base_date_not_first_market_session():
    # sessions before the base date are not part of the result
    d = sessions(6)
    close = pd.DataFrame({A: [9.0, 9.5, 10.0, 11.0, 12.0, 12.0]}, index=d)
    market = market_from_closes(close, synthetic=True)
    schedule = make_schedule(
        [make_review(d[3], d[2], {A: 1.0})], base_date=d[2], base_value=50.0, withholding={"H": 0}
    )
    res = compute(market, schedule)
    assert res.levels.index[0] == d[2]
    np.testing.assert_allclose(res.levels["price"], [50.0, 55.0, 60.0, 60.0], rtol=1e-14)


def test_defaults_from_schedule_and_arguments_override():
    d = sessions(4)
    close = pd.DataFrame({A: [10.0, 11.0, 12.0, 12.0]}, index=d)
    actions = actions_frame([(d[2], A, "cash_dividend", 1.0, np.nan, np.nan)])
    market = market_from_closes(close, synthetic=True, actions=actions)
    reviews = [make_review(d[1], d[0], {A: 1.0})]
    # no index_params: base date = session before the first review, base value 1000, and a
    # withholding table is required
    res = compute(market, make_schedule(reviews), withholding={"H": 0.5})
    assert res.base_date == d[0] and res.base_value == 1000.0
    # day2: price 1200; gross: 1100 * 12/(11-1) = 1320; net (50%): 1100 * 12/(11 - 0.5) = 1257.14...
    np.testing.assert_allclose(res.levels.iloc[2], [1200.0, 1320.0, 1100 * 12 / 10.5], rtol=1e-13)
    sched = make_schedule(reviews, base_value=10.0, withholding={"H": 0.0})
    res2 = compute(market, sched, base_value=20.0)
    assert res2.base_value == 20.0 and res2.levels["price"].iloc[1] == pytest.approx(22.0)
    np.testing.assert_allclose(res2.levels["net"], res2.levels["gross"], rtol=1e-15)


def test_dividend_and_split_on_the_same_day():
    # The dividend is per share held on the ex-date (after the split).
    d = sessions(3)
    close = pd.DataFrame({A: [20.0, 20.0, 9.5], B: [10.0, 10.0, 10.0]}, index=d)
    actions = actions_frame(
        [
            (d[2], A, "cash_dividend", 0.5, np.nan, np.nan),
            (d[2], A, "split", np.nan, 2.0, np.nan),
        ]
    )
    market = market_from_closes(close, synthetic=True, actions=actions)
    sched = make_schedule(
        [make_review(d[1], d[0], {A: 100.0, B: 200.0})],
        base_date=d[0],
        base_value=100.0,
        withholding={"H": 0.2},
    )
    res = compute(market, sched)
    # prior cap 100*20 + 200*10 = 4000; after the split q_A = 200 at a restated 10.
    # today: 200*9.5 + 2000 = 3900.  price: 100 * 3900/4000 = 97.5
    # gross: 100 * 3900/(4000 - 200*0.5) = 100;  net: 100 * 3900/(4000 - 200*0.5*0.8) = 3900/39.2
    np.testing.assert_allclose(res.levels.iloc[2], [97.5, 100.0, 3900 / 39.2], rtol=1e-13)
    # capital changes are applied before dividends whatever the order of the input rows
    assert list(res.events["kind"]) == ["review", "split", "cash_dividend"]


def test_actions_up_to_the_base_date_are_already_in_the_base_price():
    d = sessions(4)
    close = pd.DataFrame({A: [20.0, 10.0, 11.0, 12.0], B: [5.0, 5.0, 5.0, 5.5]}, index=d)
    split_on_base = actions_frame([(d[1], A, "split", np.nan, 2.0, np.nan)])
    reviews = [make_review(d[2], d[1], {A: 100.0, B: 100.0})]
    sched = make_schedule(reviews, base_date=d[1], base_value=100.0, withholding={"H": 0.0})
    res = compute(market_from_closes(close, synthetic=True, actions=split_on_base), sched)
    # base cap 1000 + 500 = 1500; day2 1100 + 500 = 1600; day3 1200 + 550 = 1750 (split ignored)
    np.testing.assert_allclose(res.levels["price"], [100.0, 1600 / 15, 1750 / 15], rtol=1e-14)
    assert list(res.events["kind"]) == ["review"]
