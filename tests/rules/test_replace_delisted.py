"""``selection.replace_delisted``: a constituent delisted between reviews, replaced or not.

Small hand-built markets (``support.markets.market_from_specs``: closes of 10 HKD, 1e9 shares,
free float 0.5 unless a test changes them), reviews of ``hsidi-2025-08`` rebased to 2024-12-31: initial 2025-01-02, regular
2025-03-10 (cut-off 2024-12-31), 2025-06-09 (cut-off 2025-03-31), extra 2025-08-11 and regular
2025-09-08 (cut-off 2025-06-30).  The doc is ``docs/market-events.md``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from support.markets import market_from_specs, sec
from support.methodologies import methodology

import engine.sweep as sw
from engine import build_index
from engine.data import hkex_sessions
from engine.index import compute
from engine.index.batch import index_batch
from engine.rules import load_methodology, run_reviews
from engine.rules.screens import screen
from engine.rules.selection import rank

T = pd.Timestamp
# three constituents, a buffer (a newcomer needs rank <= 2, an incumbent stays while rank <= 5)
RULES = {"max_constituents": 3, "buffer_add_rank": 2, "buffer_remove_rank": 5, "cap": 0.4}
LAST, EVENT = "2025-04-15", "2025-04-16"  # 0002's last close, the first session without one


def _table(schedule, effective, kind=None):
    (review,) = [
        r
        for r in schedule.reviews
        if r.effective_date == T(effective) and (kind is None or r.kind == kind)
    ]
    return review.table.set_index("code")


def _selected(schedule, effective):
    t = _table(schedule, effective)
    return sorted(t.index[t["selected"]])


def _market():
    """Six names by score (0001 best).  0002 stops trading after 2025-04-15, where it closes at 12.
    0004 scores 4.5 until its 2025-04-01 update to 6.5 and closes at 20 from 2025-04-15 and 22 from
    2025-04-22."""
    return market_from_specs(
        [
            sec("0001", score=9.0),
            sec("0002", score=8.0, last=LAST, closes={LAST: 12.0}),
            sec("0003", score=7.0),
            sec(
                "0004",
                scores=[("2024-06-03", 4.5), ("2025-04-01", 6.5)],
                closes={LAST: 20.0, "2025-04-22": 22.0},
            ),
            sec("0005", score=5.0),
            sec("0006", score=4.0),
        ]
    )


def _both(market, **rules):
    off = run_reviews(market, methodology(**{**RULES, **rules}))
    on = run_reviews(market, methodology(**{**RULES, **rules}, replace_delisted=True))
    return off, on


def test_shipped_files_do_not_replace():
    for name in ("hsidi-2023-05", "hsidi-2025-08"):
        sel = load_methodology(name).selection
        assert sel.replace_delisted is False and sel.replacement_cutoff == "last_close"


def test_false_leaves_the_vacancy_until_the_next_review():
    """Today's behaviour: 0002 is deleted at its last close (12) on 2025-04-16, the index runs on
    two names and nobody enters before the 2025-06-09 review."""
    off, _ = _both(_market())
    assert [r.kind for r in off.reviews].count("replacement") == 0
    res = compute(_market(), off)
    ev = res.events
    assert list(ev.loc[ev["kind"] == "deletion", "code"]) == ["0002"]
    w = res.weights
    for day in (EVENT, "2025-06-06"):
        assert sorted(w.columns[w.loc[T(day)] > 0]) == ["0001", "0003"]


def test_true_replaces_on_the_delisting_session_with_recomputed_capped_weights():
    """A replacement review takes effect on 2025-04-16 (cut-off, announcement and cap date
    2025-04-15).  Screens and ranks at 2025-04-15 (0002 is out as delisted): 0001 1, 0003 2,
    0004 3 (its score is now 6.5), 0005 4, 0006 5; 0001 and 0003 stay and 0004 fills the place.
    Weights on the 2025-04-15 close: free-float caps 5e9, 5e9 and 1e10 (0004 at 20) are 1/4, 1/4,
    1/2; the 40% cap takes 0004 to 0.4 and shares 0.6 equally: 0.3, 0.3, 0.4."""
    market = _market()
    _, on = _both(market)
    (rv,) = [r for r in on.reviews if r.kind == "replacement"]
    assert rv.effective_date == T(EVENT) and rv.methodology == "hsidi-2025-08"
    assert rv.cutoff_date == rv.announcement_date == rv.cap_date == T(LAST)
    t = rv.table.set_index("code")
    assert sorted(t.index[t["selected"]]) == ["0001", "0003", "0004"]
    assert t["weight"].to_dict() == pytest.approx(
        {"0001": 0.3, "0002": 0.0, "0003": 0.3, "0004": 0.4, "0005": 0.0, "0006": 0.0}
    )
    assert t["reason"].to_dict() == {
        "0001": "selected: kept at the replacement of 0002 (rank 1)",
        "0002": "out: delisted (last close 2025-04-15)",
        "0003": "selected: kept at the replacement of 0002 (rank 2)",
        "0004": "selected: rank 3 replaces 0002 (delisted, last close 2025-04-15)",
        "0005": "out: rank 4 below the cut",
        "0006": "out: rank 5 below the cut",
    }
    assert not t.loc["0002", "eligible"] and np.isnan(t.loc["0002", "rank"])
    # the review before it is untouched
    pd.testing.assert_frame_equal(
        _table(on, "2025-03-10"), _table(run_reviews(market, methodology(**RULES)), "2025-03-10")
    )


def test_level_is_continuous_through_the_replacement():
    """Up to 2025-04-15 both runs are the same index: 3000 x (1 + 0.2/3) = 3200 on 0002's last
    close at 12.  On 2025-04-16 (prices unchanged) both read 3200: the replacement's divisor is set
    on the 2025-04-15 closes, the deletion's on 0002's last close.  0004 gains 10% on 2025-04-22:
    +4% (its 0.4 weight) with the replacement, nothing without it."""
    market = _market()
    off, on = _both(market)
    a, b = compute(market, off), compute(market, on)
    la, lb = a.levels["price"], b.levels["price"]
    pd.testing.assert_series_equal(la[: T(LAST)], lb[: T(LAST)])
    assert la[T(LAST)] == pytest.approx(3200.0)
    assert lb[T(EVENT)] == pytest.approx(3200.0) and la[T(EVENT)] == pytest.approx(3200.0)
    assert lb[T("2025-04-22")] == pytest.approx(3200.0 * 1.04)
    assert la[T("2025-04-22")] == pytest.approx(3200.0)
    # the index's weights on the event day are the review's targets; no deletion is logged
    assert b.weights.loc[T(EVENT), ["0001", "0003", "0004"]].to_numpy() == pytest.approx(
        [0.3, 0.3, 0.4]
    )
    ev = b.events
    assert "deletion" not in set(ev["kind"])
    (detail,) = ev.loc[ev["date"] == T(EVENT), "detail"]
    assert detail == (
        "hsidi-2025-08 replacement review (cap date 2025-04-15): 3 constituents, 1 in, 1 out"
    )


def test_next_regular_review_treats_the_replacement_as_an_incumbent():
    """2025-06-09 ranks at 2025-03-31, before 0004's score update: 0001 1, 0003 2, 0005 3 (5.0),
    0004 4 (4.5).  With the replacement 0004 is a constituent and stays in the buffer (rank 4 <= 5),
    and 0005 (rank 3) is a newcomer that needs rank <= 2.  Without it 0005 fills 0002's place."""
    off, on = _both(_market())
    assert _selected(on, "2025-06-09") == ["0001", "0003", "0004"]
    t = _table(on, "2025-06-09")
    assert t.loc["0004", "reason"] == "selected: rank 4 kept by buffer (<=5)"
    assert t.loc["0005", "reason"] == "out: rank 3, a newcomer needs rank <=2"
    assert _selected(off, "2025-06-09") == ["0001", "0003", "0005"]
    assert _table(off, "2025-06-09").loc["0005", "reason"] == "selected: rank 3 fills a vacancy"


def test_replacement_cutoff_review_cutoff_ranks_on_the_last_review_data():
    """``replacement_cutoff = "review_cutoff"`` (the reserve-list reading): the replacement screens
    and ranks on the cut-off of the latest regular review (2024-12-31 for the 2025-03-10 review),
    where 0004's score is still 4.5, so 0005 (5.0) replaces 0002."""
    on = run_reviews(
        _market(),
        methodology(**RULES, replace_delisted=True, replacement_cutoff="review_cutoff"),
    )
    (rv,) = [r for r in on.reviews if r.kind == "replacement"]
    assert rv.cutoff_date == T("2024-12-31") and rv.cap_date == T(LAST)
    t = rv.table.set_index("code")
    assert sorted(t.index[t["selected"]]) == ["0001", "0003", "0005"]
    assert t.loc["0005", "reason"] == (
        "selected: rank 3 replaces 0002 (delisted, last close 2025-04-15)"
    )


def test_incumbent_failing_a_screen_at_the_replacement_stays():
    """0001 is suspended on 2025-04-15, the replacement's cut-off (the suspension screen is on in
    hsidi-2025-08): it stays, unranked and not eligible, and the screens act at the next regular
    review."""
    market = market_from_specs(
        [
            sec("0001", score=9.0, suspended=[LAST]),
            sec("0002", score=8.0, last=LAST),
            sec("0003", score=7.0),
            sec("0004", score=6.0),
            sec("0005", score=5.0),
        ]
    )
    _, on = _both(market)
    t = _table(on, EVENT, "replacement")
    assert sorted(t.index[t["selected"]]) == ["0001", "0003", "0004"]
    assert not t.loc["0001", "eligible"] and np.isnan(t.loc["0001", "rank"])
    assert t.loc["0001", "reason"] == (
        "selected: kept at the replacement of 0002 "
        "(not ranked: the screens act at the next regular review)"
    )
    assert t.loc["0004", "reason"] == (
        "selected: rank 2 replaces 0002 (delisted, last close 2025-04-15)"
    )


def test_two_names_delisted_on_the_same_day_and_a_newcomer_delisted_later():
    """0002 and 0003 stop after 2025-04-15: one replacement brings in 0004 and 0005 (ranks 2 and 3
    at 2025-04-15, after 0001).  0004 itself stops after 2025-05-02; the next session is 2025-05-06
    (2025-05-05 is Buddha's Birthday), where a second replacement brings in 0006."""
    market = market_from_specs(
        [
            sec("0001", score=9.0),
            sec("0002", score=8.0, last=LAST),
            sec("0003", score=7.0, last=LAST),
            sec("0004", score=6.0, last="2025-05-02"),
            sec("0005", score=5.0),
            sec("0006", score=4.0),
        ]
    )
    off, on = _both(market, buffer_add_rank=3, buffer_remove_rank=3)
    days = hkex_sessions("2025-05-02", "2025-05-09")
    assert days[1] == T("2025-05-06")
    kinds = [(r.effective_date, r.kind) for r in on.reviews if r.kind == "replacement"]
    assert kinds == [(T(EVENT), "replacement"), (T("2025-05-06"), "replacement")]
    t = _table(on, EVENT)
    assert (
        t.loc["0004", "reason"]
        == "selected: rank 2 replaces 0002 (delisted, last close 2025-04-15)"
    )
    assert (
        t.loc["0005", "reason"]
        == "selected: rank 3 replaces 0003 (delisted, last close 2025-04-15)"
    )
    assert t.loc["0001", "reason"] == "selected: kept at the replacement of 0002, 0003 (rank 1)"
    assert _selected(on, "2025-05-06") == ["0001", "0005", "0006"]
    t2 = _table(on, "2025-05-06")
    assert (
        t2.loc["0006", "reason"]
        == "selected: rank 3 replaces 0004 (delisted, last close 2025-05-02)"
    )
    assert t2.loc["0002", "reason"] == "out: not listed"
    res_on, res_off = compute(market, on), compute(market, off)
    assert "deletion" not in set(res_on.events["kind"])
    assert list(res_off.events.loc[res_off.events["kind"] == "deletion", "code"]) == [
        "0002",
        "0003",
    ]
    n_on = (res_on.weights > 0).sum(axis=1)
    assert (n_on == 3).all()  # never a name short
    assert np.allclose(res_on.levels["price"].to_numpy(), 3000.0)  # constant prices, no jump


def test_delisting_on_a_regular_effective_date_is_replaced_by_that_review():
    """0002's last close is Friday 2025-06-06, the cap date of the 2025-06-09 review.  Without the
    setting the review selects it and the index deletes it the same session (two names until the
    next review); with it the review leaves it out and its own selection takes 0004 (rank 3 at
    the cut-off); no replacement review is added."""
    market = market_from_specs(
        [sec(f"000{i}", score=10.0 - i, last="2025-06-06" if i == 2 else None) for i in range(1, 6)]
    )
    off, on = _both(market, buffer_add_rank=3, buffer_remove_rank=3)
    assert "0002" in _selected(off, "2025-06-09")
    a = compute(market, off)
    assert list(a.events.loc[a.events["kind"] == "deletion", "date"]) == [T("2025-06-09")]
    assert "replacement" not in {r.kind for r in on.reviews}
    t = _table(on, "2025-06-09")
    assert t.loc["0002", "reason"] == "out: delisted (last close 2025-06-06)"
    assert not t.loc["0002", "eligible"]
    assert _selected(on, "2025-06-09") == ["0001", "0003", "0004"]
    assert t.loc["0004", "reason"] == "selected: rank 3"
    b = compute(market, on)
    assert "deletion" not in set(b.events["kind"])
    assert (b.weights.loc[T("2025-06-09")] > 0).sum() == 3


def test_delisting_between_cap_date_and_effective_date_under_a_lag():
    """``cap_factor_lag_sessions = 3``: the 2025-06-09 review's cap date is 2025-06-04 and 0002's
    last close 2025-06-05.  Without the setting the review drops 0002 with a warning and runs one
    name short; with it a replacement takes effect on 2025-06-06 and the
    regular review, which follows it, leaves 0002 out without a warning."""
    market = market_from_specs(
        [sec(f"000{i}", score=10.0 - i, last="2025-06-05" if i == 2 else None) for i in range(1, 6)]
    )
    rules = {**RULES, "buffer_add_rank": 3, "buffer_remove_rank": 3, "cap": 0.5}
    rules["cap_factor_lag_sessions"] = 3
    with pytest.warns(UserWarning, match="stopped trading between the cap date"):
        off = run_reviews(market, methodology(**rules))
    assert _selected(off, "2025-06-09") == ["0001", "0003"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        on = run_reviews(market, methodology(**rules, replace_delisted=True))
    assert [(r.effective_date, r.kind) for r in on.reviews][2:4] == [
        (T("2025-06-06"), "replacement"),
        (T("2025-06-09"), "regular"),
    ]
    assert _selected(on, "2025-06-06") == _selected(on, "2025-06-09") == ["0001", "0003", "0004"]
    assert _table(on, "2025-06-09").loc["0002", "reason"] == "out: delisted (last close 2025-06-05)"
    res = compute(market, on)
    assert "deletion" not in set(res.events["kind"])
    assert np.allclose(res.levels["price"].to_numpy(), 3000.0)


def test_a_history_replaces_only_under_the_versions_that_say_so():
    """A version with ``false`` from the base date until a second one with ``true`` takes effect on
    2025-05-01; its first review is 2025-06-09.  0002 stops after 2025-04-15 (the first version is
    in force: deleted, not replaced); 0003 stops after 2025-06-20 (replaced on 2025-06-23)."""
    from engine.rules.methodology import MethodologyHistory

    market = market_from_specs(
        [
            sec("0001", score=9.0),
            sec("0002", score=8.0, last=LAST),
            sec("0003", score=7.0, last="2025-06-20"),
            sec("0004", score=6.0),
            sec("0005", score=5.0),
            sec("0006", score=4.0),
        ]
    )
    rules = {**RULES, "buffer_add_rank": 3, "buffer_remove_rank": 3}
    first = methodology(**rules, extra=(), effective_from="2024-12-31")
    later = first.replace(name="hsidi-later", effective_from="2025-05-01", replace_delisted=True)
    sch = run_reviews(market, MethodologyHistory("two", (first, later)))
    reps = [(r.effective_date, r.methodology) for r in sch.reviews if r.kind == "replacement"]
    assert reps == [(T("2025-06-23"), "hsidi-later")]
    res = compute(market, sch)
    ev = res.events
    assert list(ev.loc[ev["kind"] == "deletion", "code"]) == ["0002"]
    assert _selected(sch, "2025-06-09") == ["0001", "0003", "0004"]
    assert _selected(sch, "2025-06-23") == ["0001", "0004", "0005"]


def test_no_delisting_means_no_change():
    """On a market without delistings the setting changes nothing (the same reviews and levels)."""
    market = market_from_specs([sec(f"000{i}", score=10.0 - i) for i in range(1, 6)])
    off, on = _both(market)
    assert len(off.reviews) == len(on.reviews)
    for a, b in zip(off.reviews, on.reviews, strict=True):
        pd.testing.assert_frame_equal(a.table, b.table)
    pd.testing.assert_frame_equal(compute(market, off).levels, compute(market, on).levels)


def test_default_market_has_no_replacement_either_way():
    """The default market has no constituent that stops trading: the shipped history (``false``)
    and the same with ``true`` give the same schedule and levels, with no replacement review."""
    from engine.data.synthetic import default_market
    from engine.rules import load_history

    market = default_market()
    history = load_history("hsidi")
    assert not any(m.selection.replace_delisted for m in history.versions)
    off = build_index(market, history)
    on = build_index(market, history.replace(replace_delisted=True))
    assert "replacement" not in {r.kind for r in on.schedule.reviews}
    pd.testing.assert_frame_equal(off.schedule.to_frame(), on.schedule.to_frame())
    pd.testing.assert_frame_equal(off.levels, on.levels)


def test_batch_and_sweep_equal_build_index():
    """``index_batch`` and ``engine.sweep`` give for each value of the axis what ``build_index``
    gives (the variants with the setting go through the full build)."""
    market = _market()
    base = methodology(**RULES)
    variants = [{}, {"replace_delisted": True}, {"replace_delisted": True, "cap": 0.5}]
    b = index_batch(market, base, variants)
    assert not b.errors
    for i, v in enumerate(variants):
        want = build_index(market, base.replace(**v)).levels["price"]
        np.testing.assert_array_equal(b.levels["price"][:, i], want.to_numpy())
    assert not np.array_equal(b.levels["price"][:, 0], b.levels["price"][:, 1])
    res = sw.run(market, base, sw.grid(replace_delisted=[False, True]), keep="levels")
    assert list(res.frame["replace_delisted"]) == [False, True] and (res.frame["error"] == "").all()
    for i, flag in enumerate((False, True)):
        want = build_index(market, base.replace(replace_delisted=flag)).levels["price"]
        np.testing.assert_array_equal(res.levels.iloc[:, i].to_numpy(), want.to_numpy())


def test_ideal_fund_tracks_the_index_through_a_replacement():
    """The fund trades the replacement like any review (on the 2025-04-15 close, where 0002 still
    trades): an ideal fund (no costs, cash or lots) follows the gross index exactly."""
    from engine.fund import EtfConfig, backtest

    market = _market()
    idx = build_index(market, methodology(**RULES, replace_delisted=True))
    cfg = EtfConfig(inception_date=T("2025-01-02"), initial_units=2e7, creation_unit=1e5)
    res = backtest(idx, market, cfg.with_effects(()), flows=pd.Series(dtype=float))
    nav = res.nav["nav_per_unit_cny"]
    lv = res.index_levels["gross"]
    assert np.abs((nav / nav.iloc[0]) / (lv / lv.iloc[0]) - 1).max() < 1e-10
    assert res.holdings.loc[T(EVENT) :, "0002"].eq(0).all()
    assert res.holdings.loc[T(EVENT), "0004"] > 0


# ------------------------------------------------------------------ random markets: an oracle
@pytest.mark.parametrize("seed", range(5))
def test_random_markets_against_the_python_screens(seed):
    """Random markets with delistings: with the setting the index never deletes a constituent and
    each replacement keeps the previous review's priced constituents and takes, for the vacancies,
    the best-ranked non-constituents of the Python screens and ranking at its cut-off (names
    delisted at its effective date left out); levels agree with the run without the setting up to
    the session before the first replacement."""
    rng = np.random.default_rng(seed)
    days = hkex_sessions("2025-01-06", "2025-09-25")
    specs = []
    for i in range(14):
        kw = {"score": float(rng.integers(1, 30)), "shares": float(rng.integers(1, 9)) * 1e9}
        if rng.random() < 0.45:
            kw["last"] = str(days[int(rng.integers(0, len(days)))].date())
        if rng.random() < 0.3:
            kw["closes"] = {
                str(days[int(rng.integers(0, len(days)))].date()): float(rng.uniform(5, 20))
            }
        specs.append(sec(f"{i + 1:04d}", **kw))
    # the best name (a constituent from the start) stops trading between the March and June reviews
    window = days[(days > T("2025-03-11")) & (days < T("2025-06-05"))]
    specs[0] = sec("0001", score=50.0, last=str(window[int(rng.integers(0, len(window)))].date()))
    market = market_from_specs(specs)
    m = methodology(max_constituents=5, buffer_add_rank=4, buffer_remove_rank=7, cap=0.5)
    off = run_reviews(market, m)
    on = run_reviews(market, m.replace(replace_delisted=True))
    codes = np.asarray(market.codes)
    close = market.close_hkd
    reps = [k for k, r in enumerate(on.reviews) if r.kind == "replacement"]
    assert reps
    for k in reps:
        rv, prev = on.reviews[k], on.reviews[k - 1]
        t_row = market.row(rv.effective_date)
        gone = np.array([np.isnan(close[t_row:, j]).all() for j in range(len(codes))])
        before = set(prev.constituents)
        kept = {c for c in before if not gone[list(codes).index(c)]}
        assert kept < before  # someone left
        scr = screen(market, m.replace(replace_delisted=True), rv.cutoff_date, rv.cap_date)
        ok = scr.eligible & ~gone
        r = rank(ok, scr.relevance, scr.ffmc_cutoff_hkd, codes, "relevance")
        pool = [
            c for c in codes[np.argsort(np.where(ok, r, np.inf), kind="stable")] if c not in before
        ]
        pool = [c for c in pool if ok[list(codes).index(c)]]
        want = kept | set(pool[: len(before) - len(kept)])
        assert set(rv.constituents) == want
        assert rv.table["weight"].sum() == pytest.approx(1.0)
        assert rv.table["weight"].max() <= 0.5 + 1e-12
    a, b = compute(market, off), compute(market, on)
    assert "deletion" not in set(b.events["kind"])
    first = on.reviews[reps[0]].effective_date
    pd.testing.assert_frame_equal(
        a.levels[a.levels.index < first], b.levels[b.levels.index < first]
    )


def test_a_kept_incumbent_ranked_below_the_kernel_depth_says_its_rank():
    """The compiled ranking stops at max(K, buffer ranks) = 5; an incumbent that falls to rank 8 at
    the replacement's cut-off is kept and its text gives the full ranking's rank, as the plain
    Python path does."""
    specs = [
        sec("0001", score=9.0),
        sec("0002", score=8.0, last=LAST, closes={LAST: 12.0}),
        sec("0003", scores=[("2024-06-03", 7.0), ("2025-04-01", 0.5)]),
        *(sec(f"00{10 + i}", score=6.0 - i) for i in range(6)),
    ]
    m = methodology(**RULES, replace_delisted=True)
    t = _table(run_reviews(market_from_specs(specs), m), EVENT, kind="replacement")
    assert t.loc["0003", "rank"] == 8
    assert t.loc["0003", "reason"] == "selected: kept at the replacement of 0002 (rank 8)"
