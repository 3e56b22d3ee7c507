"""Mainland (CSRC) pieces of the regulatory presets: the Shanghai calendar's sessions per year and the
period table of mainland quarterly reports (section 3.2).

The table labels every row and column in English with the standard Chinese term beside it
(:data:`PERIODS`, :data:`PERIOD_COLUMNS`).
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pandas as pd

from engine import metrics
from engine.conventions import Conventions

XSHG_FALLBACK = 243
"""Sessions per year used for the ``csrc`` preset when the XSHG calendar cannot be read
(assumption: mainland calendars have 242-244 sessions a year)."""


@functools.lru_cache(maxsize=16)
def _session_counts(calendar: str, first_year: int, last_year: int) -> tuple[tuple[int, int], ...]:
    """(year, sessions) of ``calendar`` for each year in ``first_year..last_year`` it covers (cached:
    building an exchange calendar takes seconds)."""
    import exchange_calendars as xcals

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cal = xcals.get_calendar(calendar)
        lo = max(pd.Timestamp(f"{first_year}-01-01"), cal.first_session.tz_localize(None))
        hi = min(pd.Timestamp(f"{last_year}-12-31"), cal.last_session.tz_localize(None))
        s = pd.DatetimeIndex(cal.sessions_in_range(lo, hi))
    counts = pd.Series(1, index=s).groupby(s.year).sum()
    return tuple((int(y), int(c)) for y, c in counts.items())


def calendar_periods(calendar: str, start, end) -> tuple[int, str]:
    """Sessions per year of ``calendar`` over the calendar years touched by ``start..end``: the mean of
    each whole year's session count, rounded half up (e.g. XSHG 2024: 242, 2025: 243 -> 243), and a
    note.  Falls back to :data:`XSHG_FALLBACK` (assumption) when the calendar cannot be read."""
    y0, y1 = pd.Timestamp(start).year, pd.Timestamp(end).year
    try:
        counts = _session_counts(calendar, y0, y1)
    except Exception as exc:  # noqa: BLE001 - any failure of the optional calendar -> the fallback
        return XSHG_FALLBACK, f"{calendar} calendar not available ({exc}); {XSHG_FALLBACK} assumed"
    if not counts:
        return XSHG_FALLBACK, f"{calendar} has no sessions in {y0}-{y1}; {XSHG_FALLBACK} assumed"
    p = int(np.floor(np.mean([c for _, c in counts]) + 0.5))
    each = ", ".join(f"{y}: {c}" for y, c in counts)
    return p, f"{calendar} sessions per calendar year ({each}), mean rounded half up"


PERIODS = (
    ("past 3 months", "过去三个月", 3),
    ("past 6 months", "过去六个月", 6),
    ("past 1 year", "过去一年", 12),
    ("past 3 years", "过去三年", 36),
    ("past 5 years", "过去五年", 60),
    ("since inception", "自基金合同生效起至今", None),
)
"""Rows of the mainland quarterly-report table: English label, the standard Chinese term, months."""

PERIOD_COLUMNS = (
    ("nav_growth", "NAV growth (1)", "净值增长率"),
    ("nav_growth_std", "Std of NAV growth (2)", "净值增长率标准差"),
    ("benchmark_return", "Benchmark return (3)", "业绩比较基准收益率"),
    ("benchmark_return_std", "Std of benchmark return (4)", "业绩比较基准收益率标准差"),
    ("diff_1_3", "(1)-(3)", "(1)-(3)"),
    ("diff_2_4", "(2)-(4)", "(2)-(4)"),
)
"""Columns of the period table: key, English label, the standard Chinese term."""


def period_table(levels: pd.DataFrame, as_of=None, ddof: int = 1) -> pd.DataFrame:
    """The mainland quarterly-report table (section 3.2) ending ``as_of`` (default the last date).

    For each period the start is the last date on or before ``as_of`` less the period's months (the
    first date for since inception).  (1) NAV growth :math:`F_{end}/F_{start} - 1`; (2) the standard
    deviation of the daily NAV returns in the period (sample, ``ddof``, **not annualised**, as the
    report prints it); (3), (4) the same for the benchmark; (1)-(3) and (2)-(4).  A period longer
    than the data is NaN with a note, not an error.
    """
    end = levels.index[-1] if as_of is None else pd.Timestamp(as_of)
    lv = levels.loc[:end]
    raw = Conventions(ddof=ddof)  # engine.metrics.std: not annualised
    rows = []
    for label, chinese, months in PERIODS:
        row = {"period": label, "period_zh": chinese, "start": pd.NaT, "end": end, "note": ""}
        start = lv.index[0] if months is None else end - pd.DateOffset(months=months)
        if start < lv.index[0]:
            row["note"] = (
                f"data start {lv.index[0].date()}, after the period's start {start.date()}: n/a"
            )
            rows.append(row)
            continue
        row["start"] = lv.index[lv.index <= start][-1]
        seg = lv.loc[row["start"] :].to_numpy(dtype=float)
        rf, rb = metrics.returns(seg[:, 0]), metrics.returns(seg[:, 1])
        row.update(
            nav_growth=metrics.total_return(seg[:, 0]),
            nav_growth_std=metrics.std(rf, raw),
            benchmark_return=metrics.total_return(seg[:, 1]),
            benchmark_return_std=metrics.std(rb, raw),
        )
        row["diff_1_3"] = row["nav_growth"] - row["benchmark_return"]
        row["diff_2_4"] = row["nav_growth_std"] - row["benchmark_return_std"]
        row["sessions"] = len(rf)
        rows.append(row)
    out = pd.DataFrame(rows).set_index("period")
    keys = [k for k, _, _ in PERIOD_COLUMNS]
    return out.reindex(columns=["period_zh", "start", "end", "sessions", *keys, "note"])


__all__ = ["PERIODS", "PERIOD_COLUMNS", "XSHG_FALLBACK", "calendar_periods", "period_table"]
