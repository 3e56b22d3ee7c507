"""The sections of a methodology file as frozen dataclasses, each field with its schema.

One dataclass per TOML section (``[meta]``, ``[universe]``, ``[liquidity]``, ``[selection]``,
``[weighting]``, ``[schedule]``, ``[index]``); :class:`~engine.rules.methodology.Methodology` holds
one of each and :mod:`engine.rules.methodology` reads, converts and checks them against the schema
carried in each field's metadata.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

import pandas as pd

from engine._settings import Settings
from engine.errors import MethodologyError

# ----------------------------------------------------------------------------------------- schema
# Each dataclass field carries ``metadata={"kind": ..., "check": ...}``: the kind of value the TOML must
# hold and a :class:`_Rule` (the range check on the converted value and the text used in errors).  The
# rule is also the field's check for :class:`engine._settings.Settings`, the base every section derives
# from: a section built in code is validated like one read from a file, and every section has
# ``replace()``, ``to_record()`` and ``hash``.

_KINDS = {
    "bool": "a boolean (true/false)",
    "int": "an integer",
    "float": "a number",
    "str": "a string",
    "date": "a date (YYYY-MM-DD)",
    "str_list": "a list of strings",
    "int_list": "a list of integers",
    "date_list": "a list of dates (YYYY-MM-DD)",
    "rates": "a table of name = rate pairs",
    "extras": "an array of tables [[schedule.extra]] with keys effective, cutoff, announcement",
}


def _whole(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


_CONVERTED = {  # what a value of each kind is once converted (the type half of a rule)
    "bool": lambda v: isinstance(v, bool),
    "int": _whole,
    "float": lambda v: isinstance(v, float) and math.isfinite(v),
    "str": lambda v: isinstance(v, str),
    "date": lambda v: isinstance(v, pd.Timestamp),
    "str_list": lambda v: isinstance(v, tuple) and all(isinstance(x, str) for x in v),
    "int_list": lambda v: isinstance(v, tuple) and all(_whole(x) for x in v),
    "date_list": lambda v: isinstance(v, tuple) and all(isinstance(x, pd.Timestamp) for x in v),
    "rates": lambda v: (
        isinstance(v, tuple) and all(len(p) == 2 and isinstance(p[1], float) for p in v)
    ),
    "extras": lambda v: isinstance(v, tuple) and all(isinstance(x, ExtraReview) for x in v),
}


@dataclass(frozen=True)
class _Rule:
    """A field's rule: calling it checks the range of a converted value (the file reader); ``accepts``
    checks kind and range (:meth:`engine._settings.Settings.validate`)."""

    kind: str
    check: Callable[[Any], bool] | None = None
    expect: str = ""
    fix: str = ""

    def __call__(self, value) -> bool:
        return self.check is None or bool(self.check(value))

    def accepts(self, value) -> bool:
        return _CONVERTED[self.kind](value) and self(value)

    def describe(self) -> str:
        return self.expect or _KINDS[self.kind]


def _key(
    kind: str, check: Callable[[Any], bool] | None = None, expect: str = "", default: Any = None
):
    meta = {"kind": kind, "check": _Rule(kind, check, expect), "expect": expect}
    if default is None:
        return field(metadata=meta)
    return field(default=default, metadata=meta)


class _Section(Settings):
    """Base of the sections: :class:`~engine._settings.Settings` raising
    :class:`~engine.errors.MethodologyError`."""

    _error = MethodologyError


@dataclass(frozen=True)
class Meta(_Section):
    """Identity of the rulebook version."""

    name: str = _key("str", lambda v: v != "", "a non-empty string equal to the file stem")
    index: str = _key("str", lambda v: v != "", "a non-empty index family name such as 'hsidi'")
    title: str = _key("str")
    effective_from: pd.Timestamp = _key("date")


@dataclass(frozen=True)
class UniverseRules(_Section):
    """Eligibility screens applied at the cut-off date (first failing screen is the reason)."""

    require_hsci: bool = _key("bool")
    require_southbound: bool = _key("bool")
    exclude_cxo: bool = _key("bool")
    industries: tuple[str, ...] = _key("str_list")  # empty = any industry
    min_relevance: float = _key("float", expect="a number (the score must exceed it)")
    exclude_suspended_at_cutoff: bool = _key("bool")
    min_listed_months: int = _key(
        "int", lambda v: 0 <= v <= 600, "an integer in 0..600 (calendar months; 0 = off)", default=0
    )
    max_suspended_sessions: int = _key(
        "int", lambda v: v >= 0, "an integer >= 0 (sessions; 0 = off)", default=0
    )  # assumption: removal after a prolonged suspension


@dataclass(frozen=True)
class LiquidityRules(_Section):
    """Average daily traded value screen over ``window_sessions`` sessions ending at the cut-off."""

    enabled: bool = _key("bool")
    window_sessions: int = _key("int", lambda v: v >= 1, "an integer >= 1")
    min_avg_traded_value_hkd: float = _key("float", lambda v: v >= 0, "a number >= 0 (HKD)")


@dataclass(frozen=True)
class SelectionRules(_Section):
    """Ranking and the buffer zone around ``max_constituents``."""

    ranking: str = _key("str", lambda v: v in ("relevance", "ffmc"), "'relevance' or 'ffmc'")
    max_constituents: int = _key("int", lambda v: v >= 1, "an integer >= 1")
    buffer_add_rank: int = _key("int", lambda v: v >= 1, "an integer >= 1")
    buffer_remove_rank: int = _key("int", lambda v: v >= 1, "an integer >= 1")
    replace_delisted: bool = _key("bool", default=False)
    """Assumption: a constituent that stops trading between reviews is replaced at once by the
    best-ranked eligible non-constituent (an ad-hoc review, :mod:`engine.rules.replace`); False (the
    default) leaves the vacancy until the next review."""
    replacement_cutoff: str = _key(
        "str",
        lambda v: v in _REPLACEMENT_CUTOFFS,
        "'last_close' or 'review_cutoff'",
        default="last_close",
    )
    """Assumption: the data the replacement's screens and ranking read: the delisted name's last
    close (``last_close``) or the cut-off of the latest review that is not a replacement
    (``review_cutoff``, the reserve-list reading)."""


@dataclass(frozen=True)
class WeightingRules(_Section):
    """Free-float market-cap weights with a single-stock cap set through cap factors."""

    method: str = _key("str", lambda v: v == "ffmc", "'ffmc' (free-float market cap)")
    cap: float = _key("float", lambda v: 0 < v <= 1, "a number in (0, 1]")
    cap_factor_lag_sessions: int = _key("int", lambda v: v >= 1, "an integer >= 1")
    shares_at: str = _key(
        "str",
        lambda v: v in _SHARES_AT,
        "'cap_date' or 'rebalance_close'",
        default="cap_date",
    )


@dataclass(frozen=True)
class ExtraReview:
    """An out-of-cycle review with dates given explicitly."""

    effective: pd.Timestamp
    cutoff: pd.Timestamp
    announcement: pd.Timestamp


_FREQUENCIES = {"quarterly": 4, "semiannual": 2, "annual": 1, "month_end": None, "explicit": None}
_SHARES_AT = ("cap_date", "rebalance_close")
_REPLACEMENT_CUTOFFS = ("last_close", "review_cutoff")


@dataclass(frozen=True)
class ScheduleRules(_Section):
    """Regular review calendar (see :mod:`engine.rules.calendar`)."""

    frequency: str = _key(
        "str",
        lambda v: v in _FREQUENCIES,
        "'quarterly', 'semiannual', 'annual', 'month_end' or 'explicit'",
    )
    months: tuple[int, ...] = _key(
        "int_list",
        lambda v: all(1 <= m <= 12 for m in v) and len(set(v)) == len(v),
        "distinct month numbers 1..12",
    )
    cutoff_months_before: int = _key("int", lambda v: 0 <= v <= 12, "an integer in 0..12")
    announcement_sessions_before: int = _key("int", lambda v: v >= 0, "an integer >= 0")
    explicit_effective_dates: tuple[pd.Timestamp, ...] = _key("date_list")
    extra: tuple[ExtraReview, ...] = _key("extras", default=())
    effective_sessions_after: int = _key(
        "int",
        lambda v: 1 <= v <= 60,
        "an integer in 1..60 (used by frequency 'month_end')",
        default=1,
    )


@dataclass(frozen=True)
class IndexSettings(_Section):
    """Defaults the index stage takes from the methodology."""

    base_date: pd.Timestamp = _key("date")
    base_value: float = _key("float", lambda v: v > 0, "a number > 0")
    withholding: tuple[tuple[str, float], ...] = _key(
        "rates", lambda v: all(0 <= r < 1 for _, r in v), "rates in [0, 1)"
    )

    @property
    def withholding_rates(self) -> dict[str, float]:
        """Withholding-tax rate by security ``wht_class`` as a plain dict."""
        return dict(self.withholding)


_SECTIONS: dict[str, type] = {
    "meta": Meta,
    "universe": UniverseRules,
    "liquidity": LiquidityRules,
    "selection": SelectionRules,
    "weighting": WeightingRules,
    "schedule": ScheduleRules,
    "index": IndexSettings,
}


_SPECS = {cls: {f.name: f.metadata for f in fields(cls)} for cls in _SECTIONS.values()}
