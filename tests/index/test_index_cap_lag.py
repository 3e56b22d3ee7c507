"""Reviews whose cap date lies more than one session before the effective date.

Capital changes between the cap date and the effective date must be carried into the review's index
shares (the cap-date share count is stale by then); a constituent delisted in between is a clear
outcome, not a confusing error.  Every expected number below is worked out by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from support.markets import actions_frame, market_from_closes, sessions
from support.reviews import make_review, make_schedule

from engine.errors import DataError
from engine.index import compute
from engine.prepare import capital_change_factors

D = sessions(8)  # D[0] base/cap of the initial review, D[1] its effective date


def _case(b_closes, actions):
    """A and B at 10 with one index share each; review 2 caps on D[2] and takes effect on D[5]."""
    close = pd.DataFrame({"A": 10.0, "B": b_closes}, index=D)
    market = market_from_closes(close, synthetic=True, actions=actions_frame(actions))
    sched = make_schedule(
        [
            make_review(D[1], D[0], {"A": 1.0, "B": 1.0}, kind="initial"),
            make_review(D[5], D[2], {"A": 1.0, "B": 1.0}),  # 50/50 at the cap date
        ],
        base_value=1000.0,
        withholding={"H": 0.1},
    )
    return market, sched


def test_split_between_cap_and_effective_date_is_carried_into_the_review():
    # the reviewer's repro: B splits 2-for-1 on D[3], after the cap date D[2] and before the
    # effective date D[5].  B's close halves (10 -> 5), its index shares double (1 -> 2) on D[3]
    # and must stay 2 at the review: weights 10*1 : 5*2 = 50/50, not 10 : 5 = 67/33.
    b = [10.0, 10.0, 10.0, 5.0, 5.0, 5.0, 5.0, 5.0]
    market, sched = _case(b, [(D[3], "B", "split", np.nan, 2.0, np.nan)])
    res = compute(market, sched)
    q_b = res.index_shares["B"]
    assert list(q_b.loc[D[2] :]) == [1.0, 2.0, 2.0, 2.0, 2.0, 2.0]
    np.testing.assert_allclose(res.weights.loc[D[5] :, "B"], 0.5, rtol=1e-12)
    # nothing moves in value terms, so every level stays at the base value
    np.testing.assert_allclose(res.levels.to_numpy(), 1000.0, rtol=1e-12)
    review_event = res.events[(res.events["kind"] == "review") & (res.events["date"] == D[5])]
    assert (
        "restated for capital changes after the cap date: B split x2"
        in (review_event["detail"].iloc[0])
    )


def test_bonus_and_rights_between_cap_and_effective_date():
    # B: bonus 1 per 2 held on D[3] (q x 1.5, close 12 -> 8), rights 1 per 4 at 3 on D[4]
    # (q x 1.25, TERP (8 + 0.25*3)/1.25 = 7).  Restated review q_B = 1 x 1.5 x 1.25 = 1.875.
    b = [12.0, 12.0, 12.0, 8.0, 7.0, 7.0, 7.0, 7.0]
    acts = [
        (D[3], "B", "bonus", np.nan, 0.5, np.nan),
        (D[4], "B", "rights", np.nan, 0.25, 3.0),
    ]
    market, sched = _case(b, acts)
    res = compute(market, sched)
    assert res.index_shares.loc[D[4], "B"] == pytest.approx(1.875)
    assert res.index_shares.loc[D[5], "B"] == pytest.approx(1.875)
    # weight of B at the D[5] close: 1.875*7 / (10 + 1.875*7) = 13.125 / 23.125
    assert res.weights.loc[D[5], "B"] == pytest.approx(13.125 / 23.125, rel=1e-12)


def test_actions_on_the_cap_date_or_the_effective_date_are_not_restated():
    # a split on the cap date D[2] is already in the cap-date shares; one on the effective date D[5]
    # is applied by the index after the review.  So q_B = 1 at the review and 2 after D[5]'s split.
    b = [10.0, 10.0, 10.0, 10.0, 10.0, 5.0, 5.0, 5.0]
    market, sched = _case(b, [(D[5], "B", "split", np.nan, 2.0, np.nan)])
    f = capital_change_factors(sched.reviews, market)
    np.testing.assert_array_equal(f, np.ones((2, 2)))
    res = compute(market, sched)
    assert list(res.index_shares["B"].loc[D[4] :]) == [1.0, 2.0, 2.0, 2.0]  # not 4

    market2, sched2 = _case([10.0] * 3 + [5.0] * 5, [(D[3], "B", "split", np.nan, 2.0, np.nan)])
    cap_on_split = make_review(D[5], D[3], {"A": 1.0, "B": 2.0})  # cap date = the ex-date
    np.testing.assert_array_equal(capital_change_factors([cap_on_split], market2), [[1.0, 1.0]])


def test_capital_change_factors_by_hand():
    # B: split x2 (D[3]) and bonus 0.5 (D[4]) -> 3; A: a dividend only -> 1; review 0 (cap D[0],
    # effective D[1]) has nothing strictly between
    b = [10.0, 10.0, 10.0, 5.0, 5.0 / 1.5, 5.0 / 1.5, 5.0 / 1.5, 5.0 / 1.5]
    acts = [
        (D[3], "A", "cash_dividend", 0.5, np.nan, np.nan),
        (D[3], "B", "split", np.nan, 2.0, np.nan),
        (D[4], "B", "bonus", np.nan, 0.5, np.nan),
    ]
    market, sched = _case(b, acts)
    np.testing.assert_allclose(capital_change_factors(sched, market), [[1, 1], [1, 3.0]])


def test_default_lag_of_one_session_changes_nothing():
    # cap date = session before the effective date: no session strictly between, factors all 1,
    # the split on the effective date is applied once by the kernel
    close = pd.DataFrame({"A": 10.0, "B": [10.0] * 4 + [5.0] * 4}, index=D)
    market = market_from_closes(
        close, synthetic=True, actions=actions_frame([(D[4], "B", "split", np.nan, 2.0, np.nan)])
    )
    sched = make_schedule(
        [
            make_review(D[1], D[0], {"A": 1.0, "B": 1.0}, kind="initial"),
            make_review(D[4], D[3], {"A": 1.0, "B": 1.0}),
        ],
        withholding={"H": 0.1},
    )
    np.testing.assert_array_equal(capital_change_factors(sched, market), np.ones((2, 2)))
    res = compute(market, sched)
    assert list(res.index_shares["B"].loc[D[3] :]) == [1.0, 2.0, 2.0, 2.0, 2.0]


def test_constituent_delisted_between_cap_and_effective_date_names_code_and_dates():
    # B is priced on the cap date D[2], last close D[3], gone on D[4] (the session that prices the
    # review effective D[5]): a hand-built schedule that still selects it gets a clear error
    b = [10.0, 10.0, 10.0, 10.0] + [np.nan] * 4
    market, sched = _case(b, [])
    with pytest.raises(
        DataError,
        match=r"stopped trading \(delisted\) between the review's cap date 2024-01-04 and its "
        r"effective date 2024-01-09: its last close is on 2024-01-05.*code=B",
    ):
        compute(market, sched)
