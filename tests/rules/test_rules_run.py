"""End-to-end reviews on small hand-made markets, history chaining and the run's error paths."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from support.markets import market_from_specs, sec
from support.methodologies import BASE, methodology

import engine.data
from engine.errors import CalendarError, CappingError, DataError
from engine.rules import REVIEW_TABLE_COLUMNS, load_history, run_reviews

T = pd.Timestamp


def _specs():
    # 45 names ranked by score (0001 best); 0040 falls to rank 45 and 0041 rises to rank 40 from
    # 2025-03-15 (seen by the 2025-06-09 review, cut-off 2025-03-31); 0003 is very large (capped);
    # a CXO and a Healthcare Equipment name have the top scores.
    specs = []
    for i in range(1, 46):
        kw = {"score": 100.0 - i, "shares": 1e9 * (1 + i % 3)}
        if i == 40:
            kw = {"scores": [("2024-06-03", 60.0), ("2025-03-15", 54.5)]}
        if i == 3:
            kw["shares"] = 2e10
        specs.append(sec(f"{i:04d}", **kw))
    specs.append(sec("2359", is_cxo=True, score=1000.0))
    specs.append(sec("0999", industry="Healthcare Equipment", score=999.0))
    return specs


@pytest.fixture(scope="module")
def market():
    return market_from_specs(_specs())


@pytest.fixture(scope="module")
def schedule(market):
    return run_reviews(market, methodology("hsidi-2025-08"))


def test_reviews_dates_and_provenance(market, schedule):
    assert list(schedule.effective_dates) == [
        T("2025-01-02"),
        T("2025-03-10"),
        T("2025-06-09"),
        T("2025-08-11"),
        T("2025-09-08"),
    ]
    assert [r.kind for r in schedule.reviews] == [
        "initial",
        "regular",
        "regular",
        "extraordinary",
        "regular",
    ]
    m = methodology("hsidi-2025-08")
    assert schedule.methodology_hash == m.hash and schedule.history == "hsidi-2025-08"
    assert schedule.data_fingerprint == market.fingerprint()
    assert schedule.index_params == {
        "base_date": T(BASE),
        "base_value": 3000.0,
        "withholding": {"H": 0.10, "foreign": 0.0, "hk": 0.0, "p_chip": 0.0, "red_chip": 0.10},
    }


def test_every_security_is_explained_at_every_review(market, schedule):
    f = schedule.to_frame()
    assert len(f) == len(schedule.reviews) * len(market.codes)
    assert set(REVIEW_TABLE_COLUMNS) <= set(f.columns)
    assert (f["reason"].str.len() > 0).all()
    assert (f["selected"] == f["reason"].str.startswith("selected")).all()
    assert (f.loc[~f["eligible"], "reason"].str.startswith("out: ")).all()
    first = schedule.reviews[0].table.set_index("code")
    assert first.loc["2359", "reason"] == "out: CXO excluded"
    assert first.loc["0999", "reason"] == "out: industry Healthcare Equipment not eligible"
    assert first.loc["0041", "reason"] == "out: rank 41 below the cut"


def test_weights_capping_and_index_shares(market, schedule):
    for review in schedule.reviews:
        t = review.table
        sel = t[t["selected"]]
        assert len(sel) == 40
        assert sel["weight"].sum() == pytest.approx(1.0)
        assert sel["weight"].max() <= 0.10 + 1e-12
        assert (t.loc[~t["selected"], "weight"] == 0).all() and t.loc[
            ~t["selected"], "cap_factor"
        ].isna().all()
        assert sel["cap_factor"].max() == pytest.approx(1.0)
        # q = shares x FAF x CF reproduces the capped weights at the cap-date close
        row = market.row(review.cap_date)
        close = market.close_hkd[row, [market.col(c) for c in sel["code"]]]
        q = review.index_shares.to_numpy()
        np.testing.assert_allclose(q * close / (q * close).sum(), sel["weight"], atol=1e-12)
        # 0003's raw weight is 2e10 / (2e10 + 39 others) = far above 10%: capped, cap factor < 1
        big = t.set_index("code").loc["0003"]
        assert big["weight"] == pytest.approx(0.10) and big["cap_factor"] < 1
    arr = schedule.index_shares(market.codes)
    assert arr.shape == (len(schedule.reviews), len(market.codes))
    assert (arr[:, market.col("2359")] == 0).all()


def test_buffer_across_reviews(schedule):
    june = schedule.reviews[2].table.set_index("code")
    assert schedule.reviews[2].effective_date == T("2025-06-09")
    assert june.loc["0040", "reason"] == "selected: rank 45 kept by buffer (<=48)"
    assert june.loc["0041", "reason"] == "out: rank 40, a newcomer needs rank <=32"
    assert not june.loc["0041", "selected"]
    assert schedule.constituents_at("2025-06-09") == schedule.reviews[2].constituents
    assert "0040" in schedule.constituents_at("2025-07-01")


def test_history_chaining_switches_rules_on_2025_08_11(market):
    history = load_history("hsidi").replace(base_date=BASE)
    s = run_reviews(market, history)
    by_date = {r.effective_date: r for r in s.reviews}
    june, aug = by_date[T("2025-06-09")], by_date[T("2025-08-11")]
    assert june.methodology == "hsidi-2023-05" and aug.methodology == "hsidi-2025-08"
    assert by_date[T("2025-09-08")].methodology == "hsidi-2025-08"
    # under the launch rules the CXO and the equipment maker rank first and second
    tj = june.table.set_index("code")
    assert (
        tj.loc["2359", "reason"] == "selected: rank 1"
        and tj.loc["0999", "reason"] == "selected: rank 2"
    )
    ta = aug.table.set_index("code")
    assert ta.loc["2359", "reason"] == "out: CXO excluded"
    assert ta.loc["0999", "reason"] == "out: industry Healthcare Equipment not eligible"
    assert "2359" not in aug.constituents and len(aug.constituents) == 40
    assert s.history == "hsidi" and s.methodology_hash == history.hash


def test_capping_error_names_review_date_n_and_cap():
    small = market_from_specs([sec(f"{i:04d}", score=float(i)) for i in range(1, 6)])
    with pytest.raises(CappingError) as exc:
        run_reviews(small, methodology("hsidi-2025-08"))
    msg = str(exc.value)
    assert "N=5" in msg and "cap 0.1" in msg and "2025-01-02" in msg and "hsidi-2025-08" in msg
    # with a cap the five names can meet, the run works
    s = run_reviews(small, methodology("hsidi-2025-08", cap=0.2))
    assert all(len(r.constituents) == 5 for r in s.reviews)


def test_no_eligible_security_is_an_error():
    cxo_only = market_from_specs([sec(f"{i:04d}", is_cxo=True) for i in range(1, 12)])
    with pytest.raises(DataError, match="no security passes") as exc:
        run_reviews(cxo_only, methodology("hsidi-2025-08"))
    assert "out: CXO excluded" in str(exc.value) and "2025-01-02" in str(exc.value)


def test_base_date_outside_the_market_is_an_error(market):
    with pytest.raises(CalendarError, match="do not cover the index base date") as exc:
        run_reviews(market, "hsidi")  # base date 2019-12-31, data from 2024-06-03
    assert "2019-12-31" in str(exc.value) and "rules-test" in str(exc.value)


def test_progress_bar_and_names(market, capsys):
    s = run_reviews(market, methodology("hsidi-2023-05"), progress=True)
    assert len(s.reviews) == 4  # no extra review under the launch rules
    assert set(s.per_review()["methodology"]) == {"hsidi-2023-05"}
    assert s.summary()["methodologies"] == "hsidi-2023-05"


@pytest.mark.slow
def test_default_market_2025_08_11_review_has_31_non_cxo_constituents():
    market = engine.data.default_market()
    s = run_reviews(market, "hsidi")
    (review,) = [r for r in s.reviews if r.effective_date == T("2025-08-11")]
    assert review.methodology == "hsidi-2025-08"
    chosen = review.constituents
    assert len(chosen) == 31
    cxo = set(market.securities.loc[market.securities["is_cxo"], "code"])
    assert not cxo & set(chosen)


def test_market_ending_before_the_initial_review_is_an_error():
    tiny = market_from_specs([sec("0001")], start="2024-12-02", end=BASE)
    with pytest.raises(CalendarError, match="initial review does not fit"):
        run_reviews(tiny, methodology("hsidi-2025-08"))


def test_constituent_delisted_between_cap_and_effective_date_is_dropped_at_the_review():
    # cap-factor lag of 3 sessions: the 2025-03-10 review caps on 2025-03-05.  0005 is priced on
    # the cap date but its last close is 2025-03-06, so it cannot be priced on 2025-03-07 (the
    # session before the effective date): it is dropped at that review, with a warning and a reason,
    # and the weights are capped over the other 11 names.
    from engine.index import compute

    specs = [sec(f"{i:04d}", score=100.0 - i) for i in range(1, 13)]
    specs[4] = sec("0005", score=95.0, last="2025-03-06")
    market = market_from_specs(specs, end="2025-04-30")
    m = methodology("hsidi-2025-08", cap_factor_lag_sessions=3)
    with pytest.warns(
        UserWarning,
        match=r"review effective 2025-03-10: 1 selected security\(ies\) stopped trading between "
        r"the cap date 2025-03-05 and the effective date and are dropped from the review: 0005 "
        r"\(last close 2025-03-06\)",
    ):
        sched = run_reviews(market, m)
    march = next(r for r in sched.reviews if r.effective_date == T("2025-03-10"))
    assert march.cap_date == T("2025-03-05")
    row = march.table.set_index("code").loc["0005"]
    assert not row["selected"] and row["weight"] == 0.0
    assert row["reason"] == (
        "out: delisted after the cap date 2025-03-05 (last close 2025-03-06, review effective "
        "2025-03-10)"
    )
    assert len(march.constituents) == 11
    np.testing.assert_allclose(march.table["weight"].sum(), 1.0)
    assert "0005" in sched.reviews[0].constituents  # it was in before, and the index deletes it
    res = compute(market, sched)
    deleted = res.events[res.events["kind"] == "deletion"]
    assert list(zip(deleted["date"], deleted["code"], strict=True)) == [(T("2025-03-07"), "0005")]


def test_lag_of_one_session_drops_nothing():
    # the default lag: a name whose last close is the cap date itself is priced where the review
    # is priced, so it stays selected (the index deletes it on the effective date)
    specs = [sec(f"{i:04d}", score=100.0 - i) for i in range(1, 13)]
    specs[4] = sec("0005", score=95.0, last="2025-03-07")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched = run_reviews(
            market_from_specs(specs, end="2025-04-30"), methodology("hsidi-2025-08")
        )
    march = next(r for r in sched.reviews if r.effective_date == T("2025-03-10"))
    assert march.cap_date == T("2025-03-07") and "0005" in march.constituents
