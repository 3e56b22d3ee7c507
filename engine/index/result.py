"""`IndexResult`: levels, weights, divisors and the event log of one index run."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from engine.rules.schedule import ReviewSchedule

VARIANTS = ("price", "gross", "net")


@dataclass(frozen=True, eq=False)
class IndexResult:
    """Output of :func:`engine.index.compute`.

    Attributes
    ----------
    levels : DataFrame
        ``[date]`` x ``price, gross, net``: price-return, gross and net total-return levels, from
        ``base_date`` (= ``base_value``) on.
    weights : DataFrame
        ``[date, code]`` end-of-day constituent weights :math:`w_{i,t} = q_{i,t} P_{i,t} / \\sum_j q_{j,t} P_{j,t}`.
    index_shares : DataFrame
        ``[date, code]`` index shares :math:`q_{i,t}` in force during each session (after that day's
        review and corporate actions).
    divisors : DataFrame
        ``[date]`` x ``price, gross, net``: :math:`D_t` with level :math:`I_t = \\sum_i q_{i,t} P_{i,t} / D_t`.
    events : DataFrame
        One row per event applied: ``date, kind, code, detail`` (reviews, splits, bonus and rights
        issues, cash dividends, deletions).
    schedule : ReviewSchedule
        The reviews the index was computed from.
    """

    levels: pd.DataFrame
    weights: pd.DataFrame
    index_shares: pd.DataFrame
    divisors: pd.DataFrame
    events: pd.DataFrame
    schedule: ReviewSchedule
    base_date: pd.Timestamp
    base_value: float
    name: str = "hsidi"
    synthetic: bool = False
    meta: dict = field(default_factory=dict)
