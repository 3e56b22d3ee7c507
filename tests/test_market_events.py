"""Hong Kong market events (issue 7 section 8) on small hand-built markets, through the public API.

Each test states the event, the hand-worked outcome and the parameter that controls it; the doc is
``docs/market-events.md``.  Markets are built with ``support.markets.market_from_specs`` (constant closes
of 10 HKD unless a test changes them, so any level move is the event's doing).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import support.markets
from support.markets import market_from_specs, sec
from support.methodologies import methodology

from engine.data import hkex_sessions
from engine.index import compute
from engine.rules import run_reviews
from engine.rules.screens import screen

T = pd.Timestamp
# the 2025-08 rules with three constituents, no buffer and no cap bite (cap 1/3 on equal names)
SMALL = {"max_constituents": 3, "buffer_add_rank": 3, "buffer_remove_rank": 3, "cap": 0.5}


def _specs(**over):
    """Five names ranked by score, 0001 best; ``over[code]`` replaces that name's keywords."""
    return [sec(f"000{i}", **over.get(f"000{i}", {"score": 10.0 - i})) for i in range(1, 6)]


def _table(schedule, effective):
    (review,) = [r for r in schedule.reviews if r.effective_date == T(effective)]
    return review.table.set_index("code")


def _selected(schedule, effective):
    t = _table(schedule, effective)
    return sorted(t.index[t["selected"]])


# ------------------------------------------------------------------ prolonged suspension
SUSP_FROM, SUSP_TO = "2025-02-03", "2025-07-31"


def _suspended_market():
    days = hkex_sessions(SUSP_FROM, SUSP_TO)
    # 0001 closes at 12 from 2025-01-20, then is suspended (the feed carries the 12) for months
    return market_from_specs(
        _specs(**{"0001": {"score": 9.0, "closes": {"2025-01-20": 12.0}, "suspended": list(days)}})
    )


def test_suspension_default_keeps_the_last_price_and_the_constituent():
    """Default (``exclude_suspended_at_cutoff = false``, ``max_suspended_sessions = 0``): a
    constituent suspended across reviews stays in at its last close and the level does not move."""
    market = _suspended_market()
    m = methodology(**SMALL, exclude_suspended_at_cutoff=False)
    assert m.universe.max_suspended_sessions == 0
    sch = run_reviews(market, m)
    for eff in ("2025-03-10", "2025-06-09"):
        assert "0001" in _selected(sch, eff)
    res = compute(market, sch)
    lv = res.levels["price"]
    # 0001 is one third of the index at 10 on the base date; +20% on 2025-01-20 -> 1 + 0.2/3
    assert lv[T("2025-01-17")] == pytest.approx(3000.0)
    assert lv[T("2025-01-20")] == pytest.approx(3000.0 * (1 + 0.2 / 3))
    # the suspension carries 12: no move until it ends (the March review is divisor-neutral)
    window = lv[T(SUSP_FROM) : T(SUSP_TO)]
    assert np.allclose(window.to_numpy(), 3000.0 * (1 + 0.2 / 3))


def test_suspended_at_cutoff_screen_removes_it_at_the_first_review_it_spans():
    m = methodology(**SMALL, exclude_suspended_at_cutoff=True)
    sch = run_reviews(_suspended_market(), m)
    assert "0001" in _selected(sch, "2025-03-10")  # cut-off 2024-12-31, before the suspension
    t = _table(sch, "2025-06-09")  # cut-off 2025-03-31, inside the suspension
    assert t.loc["0001", "reason"] == "out: suspended at cutoff"
    assert _selected(sch, "2025-06-09") == ["0002", "0003", "0004"]


def test_max_suspended_sessions_removes_after_a_prolonged_suspension():
    """``max_suspended_sessions = 60``: at the 2025-06-09 review (cut-off 2025-03-31) 0001 has been
    suspended 41 sessions (20 in February from the 3rd, 21 in March) and stays; at 2025-08-11
    (cut-off 2025-06-30) 101 sessions (April 19: Ching Ming and Easter; May 20: Labour Day and
    Buddha's Birthday; June 21) and it leaves with the reason naming the count."""
    market = _suspended_market()
    m = methodology(**SMALL, exclude_suspended_at_cutoff=False, max_suspended_sessions=60)
    sch = run_reviews(market, m)
    n_june = len(hkex_sessions(SUSP_FROM, "2025-03-31"))
    n_aug = len(hkex_sessions(SUSP_FROM, "2025-06-30"))
    assert (n_june, n_aug) == (41, 101)
    assert _selected(sch, "2025-06-09") == ["0001", "0002", "0003"]
    t = _table(sch, "2025-08-11")
    assert t.loc["0001", "reason"] == "out: suspended 101 sessions"
    assert not t.loc["0001", "eligible"]
    assert _selected(sch, "2025-08-11") == ["0002", "0003", "0004"]
    # the Python screens say the same
    r = screen(market, m, T("2025-06-30"), _cap_date(sch, "2025-08-11"))
    assert r.reason[list(market.codes).index("0001")] == "out: suspended 101 sessions"
    # a security that is not a constituent is screened the same way (and first)
    m2 = methodology(**SMALL, exclude_suspended_at_cutoff=True, max_suspended_sessions=10)
    t2 = _table(run_reviews(market, m2), "2025-06-09")
    assert t2.loc["0001", "reason"] == "out: suspended 41 sessions"


def _cap_date(schedule, effective):
    (review,) = [r for r in schedule.reviews if r.effective_date == T(effective)]
    return review.cap_date


def test_max_suspended_sessions_zero_keeps_todays_results():
    market = _suspended_market()
    a = run_reviews(market, methodology(**SMALL))
    b = run_reviews(market, methodology(**SMALL, max_suspended_sessions=0))
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())


# ------------------------------------------------------------------ delisting between reviews
def test_delisting_between_reviews_leaves_without_replacement():
    """0002 stops trading on 2025-04-15 (last row): it leaves the index at its last close on the next
    session with a divisor adjustment (no level jump) and is not replaced before the 2025-06-09
    review, where 0004 (the best non-constituent) enters.  This is ``selection.replace_delisted =
    false``, the default; ``true`` (an ad-hoc replacement) is tested in
    ``tests/rules/test_replace_delisted.py``."""
    market = market_from_specs(_specs(**{"0002": {"score": 8.0, "last": "2025-04-15"}}))
    m = methodology(**SMALL)
    assert m.selection.replace_delisted is False
    sch = run_reviews(market, m)
    assert "replacement" not in {r.kind for r in sch.reviews}
    assert _selected(sch, "2025-03-10") == ["0001", "0002", "0003"]
    res = compute(market, sch)
    assert np.allclose(res.levels["price"].to_numpy(), 3000.0)  # constant prices, no jump
    w = res.weights
    held_after = w.loc[T("2025-04-16")]
    assert sorted(held_after.index[held_after > 0]) == ["0001", "0003"]
    assert held_after.sum() == pytest.approx(1.0)
    assert _selected(sch, "2025-06-09") == ["0001", "0003", "0004"]
    assert _table(sch, "2025-06-09").loc["0002", "reason"] == "out: not listed"


# ------------------------------------------------------------------ new listing
def test_new_listing_enters_at_the_first_review_whose_cutoff_it_passes():
    """0009 lists on 2025-03-03 with the best score: it is not listed at the 2025-03-10 review's
    cut-off (2024-12-31) and enters at 2025-06-09 (cut-off 2025-03-31; no fast entry); with
    ``min_listed_months = 3`` it waits until the first cut-off at least 3 months after listing
    (2025-06-30, the 2025-08-11 review)."""
    specs = [*_specs(), sec("0009", score=50.0, first="2025-03-03")]
    market = market_from_specs(specs)
    sch = run_reviews(market, methodology(**SMALL))
    assert _table(sch, "2025-03-10").loc["0009", "reason"] == "out: not listed"
    assert "0009" in _selected(sch, "2025-06-09")
    seasoned = run_reviews(market, methodology(**SMALL, min_listed_months=3))
    t = _table(seasoned, "2025-06-09")
    assert t.loc["0009", "reason"] == "out: listed less than 3 months (listed 2025-03-03)"
    assert "0009" in _selected(seasoned, "2025-08-11")


# ------------------------------------------------------------------ Southbound eligibility
def test_loss_of_southbound_between_reviews_acts_at_the_next_review():
    """0001 leaves Southbound on 2025-04-01: it stays a constituent through the 2025-06-09 review
    (cut-off 2025-03-31) until the 2025-08-11 review (cut-off 2025-06-30), where it is out for
    Southbound; nothing happens between reviews."""
    market = market_from_specs(
        _specs(**{"0001": {"score": 9.0, "southbound": ("2024-06-03", "2025-04-01")}})
    )
    sch = run_reviews(market, methodology(**SMALL))
    assert "0001" in _selected(sch, "2025-06-09")
    assert _table(sch, "2025-08-11").loc["0001", "reason"] == "out: not Southbound eligible"
    w = compute(market, sch).weights
    assert w.loc[T("2025-08-08"), "0001"] > 0 and w.loc[T("2025-08-11"), "0001"] == 0


def test_secondary_listing_converting_to_primary_enters_once_southbound():
    """A secondary listing is not Southbound eligible; its conversion to primary shows in the data as
    a Southbound interval starting on the conversion date (2025-04-07), and it enters at the first
    review whose cut-off falls after it (2025-06-30, the 2025-08-11 review)."""
    market = market_from_specs(
        _specs(**{"0005": {"score": 50.0, "southbound": ("2025-04-07", None)}})
    )
    sch = run_reviews(market, methodology(**SMALL))
    assert _table(sch, "2025-06-09").loc["0005", "reason"] == "out: not Southbound eligible"
    assert "0005" in _selected(sch, "2025-08-11")


# ------------------------------------------------------------------ calendar events
def test_half_day_sessions_are_ordinary_sessions():
    """Christmas Eve and New Year's Eve are half days on HKEX: full sessions for the engine (one
    close each); Christmas Day is not a session."""
    s = hkex_sessions("2024-12-20", "2025-01-03")
    assert {T("2024-12-24"), T("2024-12-31")} <= set(s)
    assert T("2024-12-25") not in s and T("2024-12-26") not in s


def test_typhoon_closure_days():
    """Whole-day closures for a typhoon signal 8 or a black rainstorm are not sessions: the ones
    XHKG lists (2016-10-21 Haima, 2017-08-23 Hato, 2023-07-17 Talim, 2024-09-06) and the two HKEX
    closures of September 2023 that exchange_calendars 4.13 misses, which EXTRA_CLOSURES adds with
    their reason and the HKEX notice."""
    from engine.data.calendar import EXTRA_CLOSURES

    s = hkex_sessions("2016-10-01", "2024-09-30")
    for day in ("2016-10-21", "2017-08-23", "2023-07-17", "2024-09-06", "2023-09-01", "2023-09-08"):
        assert T(day) not in s, day
    assert {c.date for c in EXTRA_CLOSURES} == {T("2023-09-01"), T("2023-09-08")}
    for c in EXTRA_CLOSURES:
        assert "hkex.com.hk" in c.source and c.reason
    # the sessions around them are untouched: Thursday 08-31 and Monday 09-04, 09-07 and 09-11
    assert {T("2023-08-31"), T("2023-09-04"), T("2023-09-07"), T("2023-09-11")} <= set(s)


def _market_without(monkeypatch, day, *, code=None, closures=(), start=None, end=None):
    """The factory's market with the rows of ``day`` removed (only ``code``'s when given), built
    with ``closures`` declared."""
    from engine.data import MarketData

    class Without:
        @staticmethod
        def from_frames(prices, *args, **kw):
            drop = prices["date"] == T(day)
            if code is not None:
                drop &= prices["code"] == code
            return MarketData.from_frames(prices[~drop], *args, closures=closures, **kw)

    monkeypatch.setattr(support.markets, "MarketData", Without)
    span = {k: v for k, v in (("start", start), ("end", end)) if v is not None}
    return market_from_specs(_specs(), **span)


def test_a_market_without_rows_on_the_2023_09_08_closure_builds(monkeypatch):
    """2023-09-08 (black rainstorm) is not a session, so a market whose files have no row on it
    builds, and its sessions skip the day; before, it stopped with 'missing price row'."""
    m = _market_without(monkeypatch, "2023-09-08", start="2023-08-01", end="2023-10-31")
    assert T("2023-09-08") not in m.dates and T("2023-09-01") not in m.dates
    assert T("2023-09-07") in m.dates and T("2023-09-11") in m.dates
    assert m.closures == ()


def test_a_whole_day_without_rows_says_so_and_can_be_declared(monkeypatch):
    """A calendar session with no row for any code is one error naming the day and suggesting a
    closure; declared (closures=[day]) the market builds without that session, and a row on a
    declared closure is an error."""
    from engine.errors import CalendarError, DataError

    with pytest.raises(DataError, match="the whole day is missing") as err:
        _market_without(monkeypatch, "2025-04-15")
    msg = str(err.value)
    assert "date=2025-04-15" in msg and "closures=['2025-04-15']" in msg
    assert "code=" not in msg  # the day, not the first code
    m = _market_without(monkeypatch, "2025-04-15", closures=["2025-04-15"])
    assert T("2025-04-15") not in m.dates and m.closures == (T("2025-04-15"),)
    assert len(m.dates) == len(hkex_sessions(m.dates[0], m.dates[-1])) - 1
    with pytest.raises(DataError, match="closure declared for this market"):
        m.row("2025-04-15")
    # declared, yet the rows are there: a row on a day the market says was shut
    with pytest.raises(
        CalendarError, match="not HKEX trading sessions .*2025-04-15 is a whole-day"
    ):
        _market_without(monkeypatch, "2025-04-16", closures=["2025-04-15"])


def test_a_review_date_on_a_declared_closure_moves_to_the_session_before(monkeypatch):
    """A closure declared for one market is not a session of its review calendar either: the
    2025-06-09 review's cut-off, the last session of March (2025-03-31), becomes 2025-03-28 when
    2025-03-31 is declared shut, as it would for a closure XHKG lists; the other reviews keep
    their dates."""
    m = _market_without(monkeypatch, "2025-03-31", closures=["2025-03-31"])
    shut = run_reviews(m, methodology(**SMALL)).reviews
    plain = run_reviews(_market_without(monkeypatch, None), methodology(**SMALL)).reviews
    june = [r for r in shut if r.effective_date == T("2025-06-09")]
    assert len(june) == 1 and june[0].cutoff_date == T("2025-03-28")
    assert [r.effective_date for r in shut] == [r.effective_date for r in plain]
    assert [r.cutoff_date for r in shut if r.effective_date != T("2025-06-09")] == [
        r.cutoff_date for r in plain if r.effective_date != T("2025-06-09")
    ]


def test_one_code_missing_a_day_is_still_an_error(monkeypatch):
    from engine.errors import DataError

    with pytest.raises(
        DataError, match=r"missing price row inside the listed period .*date=2025-04-15, code=0002"
    ):
        _market_without(monkeypatch, "2025-04-15", code="0002")


def test_closures_travel_with_the_data_folder(monkeypatch, tmp_path):
    """write_folder records a market's declared closures in meta.json; read_folder and hsidi check
    read them back; a folder's meta.json may also list them by hand, or the CLI pass --closure."""
    import json

    from engine.cli import main
    from engine.data import check_folder, read_folder, write_folder
    from engine.errors import DataError

    m = _market_without(monkeypatch, "2025-04-15", closures=["2025-04-15"])
    out = write_folder(m, tmp_path / "m", fmt="csv")
    meta = json.loads((out / "meta.json").read_text())
    assert meta["closures"] == ["2025-04-15"]
    back = read_folder(out)
    assert back.closures == m.closures and back.fingerprint() == m.fingerprint()
    assert check_folder(out).ok
    # the same folder without the list: the whole day is missing, declared again by hand or CLI
    del meta["closures"]
    (out / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(DataError, match="the whole day is missing"):
        read_folder(out)
    assert read_folder(out, closures=["2025-04-15"]).closures == (T("2025-04-15"),)
    rep = check_folder(out)
    assert not rep.ok and any("whole day is missing" in p for p in rep.problems["message"])
    assert check_folder(out, closures=["2025-04-15"]).ok
    assert main(["check", str(out)]) == 1
    assert main(["check", str(out), "--closure", "2025-04-15"]) == 0
    meta["closures"] = ["2025-04-15"]
    (out / "meta.json").write_text(json.dumps(meta))
    assert read_folder(out).closures == (T("2025-04-15"),)
    meta["closures"] = "2025-04-15"
    (out / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(DataError, match="closures in meta.json must be a list"):
        read_folder(out)


def test_the_cli_names_the_closure_option(monkeypatch, tmp_path, capsys):
    import json

    from engine.cli import main
    from engine.data import write_folder

    out = write_folder(
        _market_without(monkeypatch, "2025-04-15", closures=["2025-04-15"]), tmp_path / "m"
    )
    meta = json.loads((out / "meta.json").read_text())
    del meta["closures"]
    (out / "meta.json").write_text(json.dumps(meta))
    assert main(["build", "--data", str(out), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "the whole day is missing" in err and "--closure 2025-04-15" in err
    assert main(["build", "--closure", "2025-04-15", "--out", str(tmp_path / "o")]) == 2
    assert "--closure declares closures of a data folder" in capsys.readouterr().err


def test_default_market_follows_the_hkex_calendar():
    """The default market is drawn on XHKG's sessions and has no session on the two September 2023
    closures; its September 2023 review takes its cap factors from the close of Thursday
    2023-08-31 (one session before the effective date, Monday 2023-09-04)."""
    from engine.data import default_market
    from engine.rules.calendar import review_dates
    from engine.rules.methodology import load_history

    m = default_market()
    assert T("2023-09-01") not in m.dates and T("2023-09-08") not in m.dates
    assert m.dates.equals(hkex_sessions(m.dates[0], m.dates[-1]))
    plan = review_dates(load_history("hsidi"), m.dates).set_index("effective_date")
    assert plan.loc[T("2023-09-04"), "cap_date"] == T("2023-08-31")


def test_effective_date_after_a_holiday_first_friday():
    """A review whose first Friday is a holiday: 2025-04-04 (Ching Ming) is a holiday, so the last
    day of the old composition is Thursday 2025-04-03 and the new one takes effect on the next
    session, Monday 2025-04-07."""
    from engine.rules.calendar import regular_effective_date

    s = hkex_sessions("2025-03-01", "2025-05-01")
    assert T("2025-04-04") not in s
    assert regular_effective_date(s, 2025, 4) == T("2025-04-07")
    # a normal month: first Friday 2025-03-07 -> Monday 2025-03-10
    assert regular_effective_date(s, 2025, 3) == T("2025-03-10")
