"""`engine.prepare`: the inputs the index and the fund share, against hand-worked examples."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.markets import market_from_closes, sessions

from engine.enums import ACT_BONUS, ACT_CASH_DIVIDEND, ACT_SPLIT
from engine.errors import DataError, FundConfigError
from engine.prepare import (
    action_records,
    capital_change_factors,
    restated_review_shares,
    withholding_rates,
)
from engine.rules.schedule import Review


def _market(records=()):
    d = sessions(8)
    close = pd.DataFrame(10.0, index=d, columns=["A", "B"])
    acts = pd.DataFrame(
        [(d[i], c, k, amt, r, np.nan) for i, c, k, amt, r in records],
        columns=["ex_date", "code", "kind", "amount_hkd", "ratio", "price_hkd"],
    )
    return market_from_closes(close, actions=acts if len(acts) else None), d


def _review(d, cap, eff, shares_date=None):
    table = pd.DataFrame(
        {
            "code": ["A", "B"],
            "eligible": True,
            "rank": [1.0, 2.0],
            "selected": True,
            "shares": [100.0, 200.0],
            "free_float": [0.5, 1.0],
            "cap_factor": [1.0, 0.5],
            "weight": [0.5, 0.5],
            "reason": "",
        }
    )
    return Review("t", "regular", d[cap], d[cap], d[cap], d[eff], table, shares_date=shares_date)


def test_action_records_order_and_codes():
    # input order: dividend of A on row 3, split of B on row 3, bonus of A on row 2, dividend on row 1
    market, _ = _market(
        [
            (3, "A", "cash_dividend", 0.5, np.nan),
            (3, "B", "split", np.nan, 2.0),
            (2, "A", "bonus", np.nan, 0.1),
            (1, "B", "cash_dividend", 0.2, np.nan),
        ]
    )
    rec = action_records(market, after_row=1)
    assert list(rec["row"]) == [2, 3, 3]
    assert list(rec["kind"]) == [ACT_BONUS, ACT_SPLIT, ACT_CASH_DIVIDEND]  # capital before cash
    assert list(rec["col"]) == [0, 1, 0]
    src = market.actions.iloc[rec["source_row"]]  # rows of the (validated) actions table
    assert list(src["kind"]) == ["bonus", "split", "cash_dividend"]
    assert list(src["code"]) == ["A", "B", "A"]
    assert list(rec["pay_row"]) == [2, 3, 3]  # pay date defaults to the ex-date
    assert len(action_records(market)) == 4


def test_market_arrays_built_once_read_only_and_sliced_by_action_records():
    market, _ = _market([(3, "A", "cash_dividend", 0.5, np.nan), (2, "A", "bonus", np.nan, 0.1)])
    arrays = market.arrays()
    assert market.arrays() is arrays  # kept with the market
    assert not arrays.actions.flags.writeable
    assert list(arrays.actions["row"]) == [2, 3]
    assert action_records(market) is arrays.actions
    later = action_records(market, after_row=2)
    assert list(later["row"]) == [3] and not later.flags.writeable
    assert later.tobytes() == arrays.actions[1:].tobytes()  # (NaN fields: compare the bytes)
    assert len(action_records(market, after_row=3)) == 0


def test_one_numbering_of_action_kinds_for_data_index_and_fund():
    """The data's kinds, the index's event names and the fund's events share the codes."""
    from engine import enums as codes
    from engine.data.schema import ACTION_KINDS
    from engine.index import _nb as index_nb

    assert set(ACTION_KINDS) == set(codes.ACTION_CODES)
    for kind, code in codes.ACTION_CODES.items():
        assert index_nb.EVENT_NAMES[code] == kind
        assert codes.FUND_EVENTS[code] == ("dividend" if kind == "cash_dividend" else kind)
    assert codes.EVENT_DIVIDEND == codes.ACT_CASH_DIVIDEND and codes.EVENT_SPLIT == codes.ACT_SPLIT
    assert codes.FUND_EVENTS[codes.EVENT_DELETION] == "deletion"
    assert index_nb.EVENT_NAMES[codes.EV_DELETION] == "deletion"
    assert len(set(codes.EVENT_LABELS)) == len(codes.EVENT_LABELS)


def test_capital_change_factors_between_shares_date_and_effective():
    market, d = _market([(3, "A", "split", np.nan, 2.0), (4, "A", "bonus", np.nan, 0.5)])
    lag = _review(d, cap=2, eff=5)  # rows 3 and 4 lie strictly between: 2 x 1.5
    same_day = _review(d, cap=2, eff=4)  # the bonus on the effective date is applied by the index
    late = _review(d, cap=2, eff=5, shares_date=d[4])  # shares read on row 4: nothing in between
    f = capital_change_factors([lag, same_day, late], market)
    np.testing.assert_allclose(f, [[3.0, 1.0], [2.0, 1.0], [1.0, 1.0]])
    q = restated_review_shares([lag], market)
    np.testing.assert_allclose(q, [[100 * 0.5 * 3.0, 200 * 1.0 * 0.5]])


def test_withholding_rates_and_errors():
    market, _ = _market()
    needed = np.array([True, False])
    np.testing.assert_allclose(withholding_rates(market, {"H": 0.1}, needed), [0.1, 0.1])
    with pytest.raises(DataError, match="wht_class"):
        withholding_rates(market, {"hk": 0.0}, needed)
    with pytest.raises(FundConfigError, match="no withholding"):
        withholding_rates(market, {}, needed, error=FundConfigError, source="EtfConfig")
    with pytest.raises(DataError, match=r"\[0, 1\]"):
        withholding_rates(market, {"H": 1.5}, needed)
    np.testing.assert_allclose(withholding_rates(market, {}, np.array([False, False])), [0, 0])


def test_applied_review_shares_read_the_compiled_arrays_as_the_tables_give_them():
    """The index and the fund read a schedule's restated shares through one function: from the
    compiled rules' arrays they equal, bit for bit, the shares rebuilt from every review table, for
    any subset of reviews; a schedule without arrays (or for other codes) is read from its tables."""
    import dataclasses

    import engine
    from engine.prepare import applied_review_shares

    market = engine.data.default_market()
    schedule = engine.build_index(market, "hsidi").schedule
    assert schedule.arrays is not None
    positions = np.array([0, 3, len(schedule.reviews) - 1])
    from_tables = restated_review_shares([schedule.reviews[k] for k in positions], market)
    got = applied_review_shares(schedule, positions, market)
    assert got.tobytes() == from_tables.tobytes() and (got > 0).any()
    no_arrays = dataclasses.replace(schedule, arrays=None)
    assert applied_review_shares(no_arrays, positions, market).tobytes() == from_tables.tobytes()


@given(
    st.lists(
        st.datetimes(min_value=dt.datetime(1950, 1, 1), max_value=dt.datetime(2080, 1, 1)),
        max_size=6,
    ),
    st.sampled_from([None, "Asia/Hong_Kong", "America/New_York"]),
)
def test_days_is_each_value_at_midnight(values, tz):
    """``_days`` (NumPy day truncation, no frequency inference) against ``_day`` of each value:
    wall-clock dates of aware times, dates before 1970 included."""
    from engine.prepare import _day, _days

    stamps = [
        pd.Timestamp(v)
        if tz is None
        else pd.Timestamp(v).tz_localize(tz, nonexistent="shift_forward", ambiguous=True)
        for v in values
    ]
    got = _days(stamps)
    assert got.tz is None
    assert list(got) == [_day(v) for v in stamps]
