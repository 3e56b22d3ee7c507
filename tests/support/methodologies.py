"""Shipped methodologies rebased for the small markets of :func:`support.markets.market_from_specs`."""

from __future__ import annotations

from engine.rules import load_methodology

BASE = "2024-12-31"
"""Base date of :func:`methodology` (inside the default range of ``market_from_specs``)."""


def methodology(name: str = "hsidi-2025-08", **changes):
    """A shipped methodology rebased to :data:`BASE` (plus any other changes)."""
    changes.setdefault("base_date", BASE)
    return load_methodology(name).replace(**changes)


WORKLOAD = {
    "min_listed_months": 6,
    "require_hsci": False,
    "require_southbound": False,
    "exclude_cxo": True,
    "industries": (),
    "min_relevance": -1.0,
    "exclude_suspended_at_cutoff": False,
    "liquidity.enabled": False,
    "ranking": "ffmc",
    "max_constituents": 31,
    "buffer_add_rank": 31,
    "buffer_remove_rank": 31,
    "cap": 0.10,
    "cap_factor_lag_sessions": 2,
    "frequency": "month_end",
    "months": (2, 5, 8, 11),
    "cutoff_months_before": 0,
    "effective_sessions_after": 2,
    "extra": (),
}
"""The benchmark's standard workload (contract A) as ``Methodology.replace`` changes."""


def workload(base_date, **changes):
    """The standard workload on ``hsidi-2025-08`` from ``base_date`` (plus ``changes``)."""
    m = load_methodology("hsidi-2025-08")
    return m.replace(**{**WORKLOAD, "base_date": base_date, "effective_from": base_date, **changes})
