"""Error paths of `engine.index.compute`: each names what is wrong and where."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from support.markets import actions_frame, market_from_closes, sessions
from support.reviews import make_review, make_schedule

from engine.errors import CalendarError, DataError, MethodologyError
from engine.index import compute
from engine.rules.schedule import ReviewSchedule

A, B = "0001", "0002"


@pytest.fixture(scope="module")
def market():
    d = sessions(8)
    close = pd.DataFrame(
        {A: np.linspace(10, 12, 8), B: [np.nan, np.nan, 5.0, 5.1, 5.2, 5.3, np.nan, np.nan]},
        index=d,
    )
    return market_from_closes(close, synthetic=True, wht_class={A: "H", B: "red_chip"})


def sched(*reviews, **params):
    params.setdefault("withholding", {"H": 0.1, "red_chip": 0.0})
    return make_schedule(list(reviews), **params)


def test_base_date_mismatch_names_both_dates(market):
    d = market.dates
    s = sched(make_review(d[3], d[2], {A: 1.0}), base_date=d[0], base_value=100.0)
    with pytest.raises(MethodologyError) as err:
        compute(market, s)
    msg = str(err.value)
    assert str(d[0].date()) in msg and str(d[3].date()) in msg and str(d[1].date()) in msg
    # the argument overrides the schedule's base date and fixes it
    assert compute(market, s, base_date=d[2]).levels.index[0] == d[2]


def test_base_date_not_a_session(market):
    d = market.dates
    s = sched(
        make_review(d[1], d[0], {A: 1.0}), base_date="2024-01-06", base_value=100.0
    )  # Saturday
    with pytest.raises(CalendarError, match="base date is not a session.*2024-01-06"):
        compute(market, s)


def test_review_effective_date_not_a_session(market):
    d = market.dates
    bad = make_review(pd.Timestamp("2024-01-07"), d[3], {A: 1.0})  # a Sunday inside the data
    s = sched(make_review(d[1], d[0], {A: 1.0}), bad, base_date=d[0])
    with pytest.raises(CalendarError) as err:
        compute(market, s)
    assert "effective date is not a session" in str(err.value) and "2024-01-07" in str(err.value)
    assert issubclass(CalendarError, DataError)


def test_unknown_withholding_class_names_code_and_class(market):
    d = market.dates
    s = sched(make_review(d[3], d[2], {A: 1.0, B: 2.0}), base_date=d[2], withholding={"H": 0.1})
    with pytest.raises(DataError) as err:
        compute(market, s)
    msg = str(err.value)
    assert "code=0002" in msg and "red_chip" in msg and "withholding" in msg
    # a class used only by non-constituents needs no rate
    s2 = sched(make_review(d[3], d[2], {A: 1.0}), base_date=d[2], withholding={"H": 0.1})
    assert len(compute(market, s2).levels) == 6


def test_withholding_rate_out_of_range(market):
    d = market.dates
    s = sched(make_review(d[1], d[0], {A: 1.0}), base_date=d[0], withholding={"H": 1.5})
    with pytest.raises(DataError, match=r"\[0, 1\].*0001"):
        compute(market, s)


def test_constituent_without_price_on_cap_date(market):
    d = market.dates
    # B has no close on d[1] (listed on d[2]) but the review effective d[2] selects it
    s = sched(
        make_review(d[1], d[0], {A: 1.0}), make_review(d[2], d[1], {A: 1.0, B: 1.0}), base_date=d[0]
    )
    with pytest.raises(DataError) as err:
        compute(market, s)
    assert "0002" in str(err.value) and str(d[1].date()) in str(err.value)


def test_index_emptied_by_delisting(market):
    d = market.dates
    s = sched(make_review(d[3], d[2], {B: 1.0}), base_date=d[2])
    with pytest.raises(
        DataError, match="every constituent has left the index.*" + str(d[6].date())
    ):
        compute(market, s)


def test_unknown_code_in_review(market):
    d = market.dates
    s = sched(make_review(d[1], d[0], {A: 1.0, "9999": 1.0}), base_date=d[0])
    with pytest.raises(DataError, match="not in the market data.*9999"):
        compute(market, s)


def test_reviews_out_of_order_and_empty(market):
    d = market.dates
    s = sched(
        make_review(d[1], d[0], {A: 1.0}),
        make_review(d[4], d[3], {A: 1.0}),
        make_review(d[3], d[2], {A: 2.0}),
        base_date=d[0],
    )
    with pytest.raises(MethodologyError, match="order"):
        compute(market, s)
    with pytest.raises(MethodologyError, match="no reviews"):
        compute(market, ReviewSchedule(reviews=(), history="x"))
    empty = make_review(d[1], d[0], {A: 1.0})
    empty.table["selected"] = False
    with pytest.raises(MethodologyError, match="selects no constituent"):
        compute(market, sched(empty, base_date=d[0]))


def test_bad_index_shares_and_base_value(market):
    d = market.dates
    r = make_review(d[1], d[0], {A: 1.0})
    r.table.loc[0, "free_float"] = np.nan
    with pytest.raises(DataError, match="index shares.*0001"):
        compute(market, sched(r, base_date=d[0]))
    with pytest.raises(MethodologyError, match="base value"):
        compute(market, sched(make_review(d[1], d[0], {A: 1.0}), base_date=d[0]), base_value=-5)


def test_reviews_after_the_data_are_skipped_with_a_warning(market):
    d = market.dates
    late = make_review(pd.Timestamp("2024-03-01"), pd.Timestamp("2024-02-29"), {A: 1.0})
    s = sched(make_review(d[1], d[0], {A: 1.0}), late, base_date=d[0])
    with pytest.warns(UserWarning, match="after the last market session"):
        res = compute(market, s)
    assert res.meta["skipped_reviews"] == [pd.Timestamp("2024-03-01")]
    assert (res.events["kind"] == "review").sum() == 1


def test_dividend_above_restated_prior_close():
    d = sessions(4)
    close = pd.DataFrame({A: [20.0, 20.0, 2.0, 2.0]}, index=d)
    actions = actions_frame(
        [(d[2], A, "split", np.nan, 10.0, np.nan), (d[2], A, "cash_dividend", 5.0, np.nan, np.nan)]
    )
    market = market_from_closes(close, synthetic=True, actions=actions)
    s = sched(make_review(d[1], d[0], {A: 1.0}), base_date=d[0])
    with pytest.raises(DataError, match="cash dividend not below.*" + str(d[2].date()) + ".*0001"):
        compute(market, s)


def test_review_before_the_market_starts(market):
    d = market.dates
    early = make_review(pd.Timestamp("2023-12-29"), pd.Timestamp("2023-12-28"), {A: 1.0})
    with pytest.raises(CalendarError, match="before the first market session"):
        compute(market, sched(early, base_date=d[0]))
