"""Small hand-made markets for the rules tests (built through ``MarketData.from_frames``)."""

from __future__ import annotations

import pandas as pd

from engine.data import MarketData, hkex_sessions
from engine.rules import load_methodology

START, END = "2024-06-03", "2025-09-30"
BASE = "2024-12-31"


def sec(code: str, **kw) -> dict:
    """One security spec with defaults: an HSCI, Southbound, non-CXO pharma name, score 1, HKD 50m/day.

    Keys: ``industry, is_cxo, close, shares, free_float, traded_value, score, hsci, southbound,
    first, last, suspended`` (list of dates), ``scores`` (list of ``(as_of, score)``), ``closes``
    (dict ``date -> close`` applied from that date on), ``wht_class``.
    """
    spec = {
        "code": code,
        "industry": "Pharmaceuticals",
        "is_cxo": False,
        "close": 10.0,
        "shares": 1e9,
        "free_float": 0.5,
        "traded_value": 5e7,
        "score": 1.0,
        "scores": None,
        "hsci": True,
        "southbound": True,
        "first": None,
        "last": None,
        "suspended": (),
        "closes": None,
        "wht_class": "H",
    }
    unknown = set(kw) - set(spec)
    assert not unknown, unknown
    spec.update(kw)
    return spec


def make_market(specs: list[dict], start: str = START, end: str = END) -> MarketData:
    """Build a validated market from security specs (constant prices unless ``closes`` is given)."""
    sessions = hkex_sessions(start, end)
    price_parts, master, intervals, relevance = [], [], [], []
    for s in specs:
        first = pd.Timestamp(s["first"]) if s["first"] else sessions[0]
        last = pd.Timestamp(s["last"]) if s["last"] else sessions[-1]
        days = sessions[(sessions >= first) & (sessions <= last)]
        close = pd.Series(s["close"], index=days, dtype=float)
        for d, v in sorted((s["closes"] or {}).items()):
            close[close.index >= pd.Timestamp(d)] = v
        susp = days.isin(pd.DatetimeIndex(list(s["suspended"])))
        tv = pd.Series(float(s["traded_value"]), index=days)
        tv[susp] = 0.0
        price_parts.append(
            pd.DataFrame(
                {
                    "date": days,
                    "code": s["code"],
                    "close_hkd": close.to_numpy(),
                    "shares": s["shares"],
                    "free_float": s["free_float"],
                    "traded_value_hkd": tv.to_numpy(),
                    "suspended": susp,
                }
            )
        )
        master.append(
            {
                "code": s["code"],
                "name": f"Name {s['code']}",
                "industry": s["industry"],
                "sub_industry": "",
                "is_cxo": s["is_cxo"],
                "is_18a": False,
                "listing_date": days[0],
                # a security whose rows stop early is delisted on its last row (a truncated feed
                # without a delisting date is a DataError)
                "delisting_date": days[-1] if s["last"] else pd.NaT,
                "board_lot": 1000,
                "wht_class": s["wht_class"],
            }
        )
        for kind in ("hsci", "southbound"):
            flag = s[kind]
            if flag is True:
                intervals.append({"code": s["code"], "kind": kind, "start": days[0], "end": pd.NaT})
            elif flag:  # (start, end) tuple
                intervals.append(
                    {
                        "code": s["code"],
                        "kind": kind,
                        "start": pd.Timestamp(flag[0]),
                        "end": pd.Timestamp(flag[1]) if flag[1] else pd.NaT,
                    }
                )
        scores = s["scores"] if s["scores"] is not None else [(start, s["score"])]
        for as_of, score in scores:
            if score is not None:
                relevance.append(
                    {"as_of": pd.Timestamp(as_of), "code": s["code"], "score": float(score)}
                )
    return MarketData.from_frames(
        pd.concat(price_parts, ignore_index=True),
        pd.DataFrame(master),
        intervals=pd.DataFrame(intervals) if intervals else None,
        relevance=pd.DataFrame(relevance) if relevance else None,
        fx=pd.Series(0.92, index=sessions),
        source="rules-test",
    )


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
