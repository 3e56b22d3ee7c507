"""The compiled rules path (`run_reviews`) against the plain per-review Python path (`run_review`).

`run_review` screens, ranks, selects and caps one review with NumPy and pandas (the original code);
`run_reviews` runs every review in one compiled pass.  On random markets (ties in market cap and
score, buffers, too few eligible names, caps that bind or cannot be met, liquidity, listing age,
industries, the rebalance-close shares, delistings replaced by ad-hoc reviews or not) both give the
same tables, reasons included, or the same error.  With ``replace_delisted`` the Python path places
the replacement reviews itself, review by review (not by the compiled path's repeated passes).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from support.markets import market_from_specs, sec
from support.methodologies import BASE, methodology

from engine.errors import EngineError
from engine.rules import review_dates, run_review, run_reviews

CLOSE_DATES = ["2024-09-02", "2025-01-02", "2025-03-03", "2025-06-02", "2025-08-01"]
# suspension spans between close changes, across the 2025-03-31 and 2025-06-30 cut-offs
SUSPENSIONS = [
    (),
    tuple(pd.bdate_range("2025-03-04", "2025-05-30")),
    tuple(pd.bdate_range("2025-06-03", "2025-07-31")),
]


@st.composite
def cases(draw):
    n = draw(st.integers(2, 12))
    specs = []
    for i in range(n):
        closes = {d: draw(st.sampled_from([5.0, 10.0, 20.0])) for d in CLOSE_DATES}
        specs.append(
            sec(
                f"{i + 1:04d}",
                close=10.0,
                closes=closes,
                shares=draw(st.sampled_from([1e8, 2e8])),
                free_float=draw(st.sampled_from([0.5, 1.0])),
                score=draw(st.sampled_from([0.0, 1.0, 2.0, None])),
                is_cxo=draw(st.booleans()),
                industry=draw(st.sampled_from(["Pharmaceuticals", "Biotechnology", "Devices"])),
                traded_value=draw(st.sampled_from([1e7, 3e7])),
                # the first security covers the base date (else run_reviews stops with a
                # CalendarError before any review, which the per-review Python path never raises)
                first=None if i == 0 else draw(st.sampled_from([None, "2024-10-02", "2025-04-01"])),
                # delisted on a cap date (2025-06-06, 2025-09-05) or between reviews
                last=draw(
                    st.sampled_from(
                        [None, None, None, "2025-06-06", "2025-09-05", "2025-04-15", "2025-07-15"]
                    )
                ),
                southbound=draw(st.booleans()),
                suspended=draw(st.sampled_from(SUSPENSIONS)),
            )
        )
    k = draw(st.integers(1, 6))
    add = draw(st.integers(1, k))
    remove = draw(st.integers(k, 9))
    changes = {
        "max_constituents": k,
        "buffer_add_rank": add,
        "buffer_remove_rank": remove,
        "cap": draw(st.sampled_from([1.0, 0.5, 0.35, 0.2])),
        "ranking": draw(st.sampled_from(["ffmc", "relevance"])),
        "min_relevance": draw(st.sampled_from([-1.0, 0.0, 1.0])),
        "exclude_cxo": draw(st.booleans()),
        "require_southbound": draw(st.booleans()),
        "industries": draw(st.sampled_from([(), ("Pharmaceuticals", "Biotechnology")])),
        "liquidity.enabled": draw(st.booleans()),
        "window_sessions": draw(st.sampled_from([5, 126])),
        "min_avg_traded_value_hkd": 2e7,
        "min_listed_months": draw(st.sampled_from([0, 3])),
        "max_suspended_sessions": draw(st.sampled_from([0, 10, 30])),
        "shares_at": draw(st.sampled_from(["cap_date", "rebalance_close"])),
        "cap_factor_lag_sessions": draw(st.sampled_from([1, 3])),
        "exclude_suspended_at_cutoff": draw(st.booleans()),
        "replace_delisted": draw(st.booleans()),
        "replacement_cutoff": draw(st.sampled_from(["last_close", "review_cutoff"])),
        "extra": (),
    }
    if changes["cap"] * k < 1:
        changes["cap"] = 1.0  # the methodology itself rejects cap x K < 1
    return specs, changes


def _python_path(market, m):
    """Review by review; with ``replace_delisted`` a replacement review is added, as the run goes,
    on the first session after each review's effective date (before the next one) on which one of
    its constituents has no close from then to the end of the data."""
    rows = review_dates(m, market.dates).to_dict("records")
    reviews, current, i = [], None, 0
    dates, close = market.dates, market.close_hkd
    while i < len(rows):
        row = rows[i]
        review = run_review(market, m, row, current)
        current = review.table["selected"].to_numpy(dtype=bool)
        reviews.append(review)
        i += 1
        if not m.selection.replace_delisted:
            continue
        lo = dates.get_loc(row["effective_date"])
        hi = dates.get_loc(rows[i]["effective_date"]) if i < len(rows) else len(dates)
        for t in range(lo + 1, hi):
            if (current & np.isnan(close[t:]).all(axis=0)).any():
                last = dates[t - 1]
                regular = [r for r in reviews if r.kind != "replacement"][-1]
                cutoff = (
                    last if m.selection.replacement_cutoff == "last_close" else regular.cutoff_date
                )
                rows.insert(
                    i,
                    {
                        "kind": "replacement",
                        "methodology": m.name,
                        "cutoff_date": cutoff,
                        "announcement_date": last,
                        "cap_date": last,
                        "effective_date": dates[t],
                    },
                )
                break
    return reviews


def _outcome(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            return fn(), [str(w.message) for w in caught]
        except EngineError as exc:
            return exc, [str(w.message) for w in caught]


@given(cases())
def test_compiled_equals_python(case):
    specs, changes = case
    market = market_from_specs(specs)
    m = methodology(**changes)
    fast, fast_warn = _outcome(lambda: run_reviews(market, m).reviews)
    slow, slow_warn = _outcome(lambda: _python_path(market, m))
    assert fast_warn == slow_warn
    if isinstance(slow, Exception):
        assert type(fast) is type(slow) and str(fast) == str(slow)
        return
    assert not isinstance(fast, Exception), fast
    assert len(fast) == len(slow)
    for a, b in zip(fast, slow, strict=True):
        assert (a.kind, a.cutoff_date, a.cap_date, a.effective_date) == (
            b.kind,
            b.cutoff_date,
            b.cap_date,
            b.effective_date,
        )
        assert a.shares_as_of == b.shares_as_of
        pd.testing.assert_frame_equal(a.table, b.table, check_exact=True)


def test_ties_and_too_few_names_hand_checked():
    """Equal market caps rank by code; two eligible names for five places: both selected."""
    market = market_from_specs([sec("0003"), sec("0001"), sec("0002", is_cxo=True)])
    m = methodology(
        ranking="ffmc",
        max_constituents=5,
        buffer_add_rank=5,
        buffer_remove_rank=5,
        cap=1.0,
        liquidity__enabled=False,
        industries=(),
        require_southbound=False,
    )
    t = run_reviews(market, m).reviews[0].table.set_index("code")
    assert t.loc["0001", "rank"] == 1 and t.loc["0003", "rank"] == 2
    assert t.loc[["0001", "0003", "0002"], "reason"].tolist() == [
        "selected: rank 1",
        "selected: rank 2",
        "out: CXO excluded",
    ]
    np.testing.assert_allclose(t.loc[["0001", "0003", "0002"], "weight"], [0.5, 0.5, 0.0])
    assert BASE == "2024-12-31"
