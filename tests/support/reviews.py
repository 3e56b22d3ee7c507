"""Hand-made reviews and schedules, so index and fund tests do not depend on the rules engine."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.rules.schedule import REVIEW_TABLE_COLUMNS, Review, ReviewSchedule


def make_review(
    effective,
    cap,
    q: dict[str, float],
    *,
    methodology: str = "test",
    kind: str = "regular",
    extra_codes: tuple[str, ...] = (),
) -> Review:
    """A review repriced at ``cap`` and effective at ``effective`` selecting the codes of ``q`` with
    ``q > 0`` (index shares = shares = ``q``, free float 1, cap factor 1, equal weights).

    Codes of ``q`` with ``q == 0`` and ``extra_codes`` are in the table but not selected (shares 1,
    no cap factor, weight 0).
    """
    codes = list(q) + [c for c in extra_codes if c not in q]
    picked = [q.get(c, 0.0) > 0 for c in codes]
    n = sum(picked)
    table = pd.DataFrame(
        {
            "code": codes,
            "eligible": True,
            "rank": np.arange(1, len(codes) + 1, dtype=float),
            "selected": picked,
            "shares": [float(q[c]) if p else 1.0 for c, p in zip(codes, picked, strict=True)],
            "free_float": 1.0,
            "cap_factor": [1.0 if p else np.nan for p in picked],
            "weight": [1.0 / n if p else 0.0 for p in picked],
            "reason": ["selected" if p else "out" for p in picked],
        }
    )[REVIEW_TABLE_COLUMNS]
    cap = pd.Timestamp(cap)
    return Review(
        methodology=methodology,
        kind=kind,
        cutoff_date=cap,
        announcement_date=cap,
        cap_date=cap,
        effective_date=pd.Timestamp(effective),
        table=table,
    )


def make_schedule(reviews: list[Review], **index_params) -> ReviewSchedule:
    """A ``ReviewSchedule`` of ``reviews`` (history ``"test"``) with ``index_params`` (base_date,
    base_value, withholding ...)."""
    return ReviewSchedule(reviews=tuple(reviews), history="test", index_params=index_params)
