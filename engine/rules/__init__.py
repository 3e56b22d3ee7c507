"""Stage 2: the rulebook (methodology files, review calendar, screens, selection, capping).

Quick use::

    from engine.rules import load_history, review_dates, run_reviews
    history = load_history("hsidi")                # launch rules, then the 2025-08 revision
    schedule = run_reviews(market, history)         # a ReviewSchedule
    schedule.to_frame()                             # why every security is in or out at every review
"""

from engine.rules.calendar import REVIEW_DATE_COLUMNS, review_dates
from engine.rules.capping import cap_factors, cap_weights
from engine.rules.methodology import (
    Methodology,
    MethodologyHistory,
    load_history,
    load_methodology,
    methodology_dir,
    parse_methodology,
)
from engine.rules.run import run_review, run_reviews
from engine.rules.schedule import REVIEW_TABLE_COLUMNS, Review, ReviewSchedule
from engine.rules.screens import screen, screen_frame
from engine.rules.selection import rank, select

__all__ = [
    "REVIEW_DATE_COLUMNS",
    "REVIEW_TABLE_COLUMNS",
    "Methodology",
    "MethodologyHistory",
    "Review",
    "ReviewSchedule",
    "cap_factors",
    "cap_weights",
    "load_history",
    "load_methodology",
    "methodology_dir",
    "parse_methodology",
    "rank",
    "review_dates",
    "run_review",
    "run_reviews",
    "screen",
    "screen_frame",
    "select",
]
