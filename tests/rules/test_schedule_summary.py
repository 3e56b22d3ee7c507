"""`ReviewSchedule.summary()` is a Summary like every other result; `per_review()` keeps the
per-review table.  Hand-built schedule of three reviews, every figure worked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine._display import Summary
from engine.rules.schedule import PER_REVIEW_COLUMNS, REVIEW_TABLE_COLUMNS, Review, ReviewSchedule

T = pd.Timestamp


def _review(eff, kind, weights, reasons=None, eligible_out=()):
    """A review whose selected codes carry ``weights``; ``eligible_out`` are eligible, not selected."""
    rows = []
    for code, w in weights.items():
        reason = (reasons or {}).get(code, "selected: rank 1")
        rows.append([code, True, 1.0, True, 1e9, 1.0, 1.0, w, reason])
    for code in eligible_out:
        rows.append([code, True, 9.0, False, 1e9, 1.0, np.nan, 0.0, "out: rank 9"])
    rows.append(["9999", False, np.nan, False, 1e9, 1.0, np.nan, 0.0, "out: CXO excluded"])
    eff = T(eff)
    return Review(
        methodology="m-1" if eff < T("2025-08-01") else "m-2",
        kind=kind,
        cutoff_date=eff - pd.Timedelta(days=40),
        announcement_date=eff - pd.Timedelta(days=14),
        cap_date=eff - pd.Timedelta(days=1),
        effective_date=eff,
        table=pd.DataFrame(rows, columns=REVIEW_TABLE_COLUMNS),
    )


@pytest.fixture
def schedule():
    r1 = _review("2025-03-10", "initial", {"A": 0.5, "B": 0.3, "C": 0.2}, eligible_out=["D"])
    # B leaves, D enters; weights move: |0.4-0.5| + |0-0.3| + |0.2-0.2| + |0.4-0| = 0.8 -> 0.4
    r2 = _review("2025-06-09", "regular", {"A": 0.4, "C": 0.2, "D": 0.4}, eligible_out=["B"])
    # E fills a vacancy; |0.5-0.4| + |0.1-0.2| + |0.2-0.4| + |0.2-0| = 0.6 -> 0.3
    r3 = _review(
        "2025-08-11",
        "extraordinary",
        {"A": 0.5, "C": 0.1, "D": 0.2, "E": 0.2},
        reasons={"E": "selected: rank 7 fills a vacancy"},
    )
    return ReviewSchedule(reviews=(r1, r2, r3), history="hand")


def test_per_review_table_by_hand(schedule):
    per = schedule.per_review()
    assert list(per.columns) == PER_REVIEW_COLUMNS
    assert per["constituents"].tolist() == [3, 3, 4]
    assert per["eligible"].tolist() == [4, 4, 4]
    assert per["added"].tolist() == [0, 1, 1] and per["removed"].tolist() == [0, 1, 0]
    assert np.isnan(per["one_way_turnover"].iloc[0])
    assert per["one_way_turnover"].iloc[1:].tolist() == pytest.approx([0.4, 0.3])
    assert per["vacancies_filled"].tolist() == [0, 0, 1]
    assert per["max_weight"].tolist() == pytest.approx([0.5, 0.4, 0.5])


def test_summary_is_a_summary_with_hand_worked_values(schedule):
    s = schedule.summary()
    assert isinstance(s, Summary) and s.title == "Review schedule hand"
    assert (
        s["reviews"] == 3 and "1 initial" in s.to_frame().set_index("metric").at["reviews", "note"]
    )
    assert s["first_effective_date"] == T("2025-03-10")
    assert s["last_effective_date"] == T("2025-08-11")
    assert s["methodologies"] == "m-1, m-2"
    assert s["constituents_last_review"] == 4 and s["eligible_last_review"] == 4
    assert s["max_weight_last_review"] == pytest.approx(0.5)
    assert s["turnover_target"] == pytest.approx(0.35)  # (0.4 + 0.3) / 2
    assert s.unit("turnover_target") == "%"
    assert s["codes_added"] == 2 and s["codes_removed"] == 1
    assert s["reviews_with_vacancies"] == 1
    assert "2025-08-11" in s.to_frame().set_index("metric").at["reviews_with_vacancies", "note"]
    assert "<table" in schedule._repr_html_()


def test_empty_schedule_summary():
    empty = ReviewSchedule(reviews=(), history="none")
    assert isinstance(empty.summary(), Summary) and empty.summary()["reviews"] == 0
    assert list(empty.per_review().columns) == PER_REVIEW_COLUMNS
