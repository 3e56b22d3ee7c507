"""Does an index stay inside the rules an index fund tracking it is bound by?

A rule set is data: a TOML file in ``methodology/fund_rules/`` (``sse-2025-11``: the Shanghai and
Shenzhen index-fund guidelines for a non-broad equity index, as revised on 2025-11-19), each number
with its source and status.  :func:`fund_rules` checks it at every review of an
:class:`engine.index.IndexResult`, on the capped target weights :math:`w_i` the review set on its cap
date:

==================  =========================================================================
constituents        :math:`n = \\#\\{i : w_i > 0\\} \\ge n_{min}`
max_weight          :math:`\\max_i w_i \\le w_{max}`
top5_weight         :math:`\\sum_{k \\le 5} w_{(k)} \\le w_{top5}` (largest five)
liquid_weight       :math:`\\sum_i w_i [\\,\\mathrm{rank}_i \\le u N\\,] \\ge s`: the weight of
                    constituents ranked in the top :math:`u` (80%) of the :math:`N` securities of
                    the market priced on the cut-off date by average daily traded value (HKD) over
                    the ``lookback_sessions`` to the cut-off (rank 1 = most traded)
history_months      whole months from the index's base date to the effective date
                    :math:`\\ge` the minimum
==================  =========================================================================

The rule set's numbers come from a summary of the guidelines, not their text: every check says
UNCONFIRMED, and each reading the summary leaves open is marked "assumption" in the file.
"""

from __future__ import annotations

import functools
import itertools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from engine._display import Provenance, Result, Summary
from engine.analytics.concentration import measures
from engine.errors import DataError, MethodologyError
from engine.rules.methodology import methodology_dir

KEYS = {
    "min_constituents": ("value",),
    "max_weight": ("value",),
    "max_top5_weight": ("value",),
    "liquidity": ("weight_share", "universe_share", "lookback_sessions"),
    "min_history_months": ("value",),
}
"""Sections of a rule file and the numbers each must hold (each also has ``rule``, ``source``,
``status``)."""


@dataclass(frozen=True)
class FundRuleSet:
    """One named rule set (loaded by :func:`load_fund_rules`); fractions, not percent."""

    name: str
    title: str
    status: str
    source: str
    min_constituents: int
    max_weight: float
    max_top5_weight: float
    liquid_weight_share: float
    liquid_universe_share: float
    lookback_sessions: int
    min_history_months: int
    texts: tuple = ()
    """``(section, rule, source, status, reading)`` for each section, as written in the file."""


def fund_rules_dir() -> Path:
    """The rule files: ``methodology/fund_rules/``."""
    return methodology_dir() / "fund_rules"


def load_fund_rules(rules: str | Path) -> FundRuleSet:
    """Read a rule set by name (``"sse-2025-11"``) or path.

    Raises
    ------
    MethodologyError
        Unknown name, or a section or number missing or out of range (naming the file and field).
    """
    path = Path(rules)
    if path.suffix != ".toml":
        path = fund_rules_dir() / f"{rules}.toml"
    if not path.is_file():
        known = sorted(p.stem for p in fund_rules_dir().glob("*.toml"))
        what = "fund rule set not found"
        fix = f"use one of {known} or a path to a .toml file"
        raise MethodologyError(what, field="rules", value=str(rules), fix=fix)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    for section, numbers in KEYS.items():
        for key in numbers:
            value = data.get(section, {}).get(key)
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise MethodologyError(
                    "a fund rule number is missing or negative", source=str(path),
                             field=f"{section}.{key}", value=value,
                             fix="give a non-negative number (fractions for weights)"
                )  # fmt: skip
    liq = data["liquidity"]
    return FundRuleSet(
        name=str(data.get("name", path.stem)),
        title=str(data.get("title", path.stem)),
        status=str(data.get("status", "")),
        source=str(data.get("source", "")),
        min_constituents=int(data["min_constituents"]["value"]),
        max_weight=float(data["max_weight"]["value"]),
        max_top5_weight=float(data["max_top5_weight"]["value"]),
        liquid_weight_share=float(liq["weight_share"]),
        liquid_universe_share=float(liq["universe_share"]),
        lookback_sessions=int(liq["lookback_sessions"]),
        min_history_months=int(data["min_history_months"]["value"]),
        texts=tuple(
            (s, *(str(data[s].get(k, "")) for k in ("rule", "source", "status", "reading")))
            for s in KEYS
        ),
    )


# --------------------------------------------------------------------------------------- measures
def average_traded_value(market, date, sessions: int) -> pd.Series:
    """Average daily traded value (HKD) per code over the ``sessions`` sessions to ``date`` (the last
    session on or before it), over the days each code was priced; only codes priced on that day."""
    row = int(market.dates.searchsorted(pd.Timestamp(date), side="right")) - 1
    if row < 0:
        raise DataError(
            "the date is before the market's first session", source="fund_rules",
                     date=pd.Timestamp(date), field="cutoff_date"
        )  # fmt: skip
    lo = max(0, row - int(sessions) + 1)
    close = market.close_hkd[lo : row + 1]
    priced_days = ~np.isnan(close)
    total = np.where(priced_days, market.traded_value_hkd[lo : row + 1], 0.0).sum(axis=0)
    count = priced_days.sum(axis=0)
    adv = np.divide(total, count, out=np.full(len(total), np.nan), where=count > 0)
    priced = ~np.isnan(market.close_hkd[row])
    return pd.Series(adv[priced], index=np.asarray(market.codes)[priced], name="adv_hkd")


def liquid_weight(weights: pd.Series, adv: pd.Series, universe_share: float) -> float:
    """:math:`\\sum_i w_i [\\mathrm{rank}_i \\le u N]`: weight of the codes of ``weights`` ranked in
    the top ``universe_share`` of ``adv``'s :math:`N` codes (rank 1 = largest; ties share the best
    rank)."""
    rank = adv.rank(ascending=False, method="min")
    top = rank.index[rank.to_numpy() <= universe_share * len(adv)]
    return float(weights[weights.index.isin(top)].sum())


def months_between(start, end) -> int:
    """Whole calendar months from ``start`` to ``end``."""
    s, e = pd.Timestamp(start), pd.Timestamp(end)
    return (e.year - s.year) * 12 + (e.month - s.month) - int(e.day < s.day)


def _review_row(review, market, base_date, rs: FundRuleSet) -> dict:
    t = review.table
    sel = t[t["selected"]]
    w = pd.Series(sel["weight"].to_numpy(dtype=float), index=sel["code"].to_numpy())
    top1, top5 = measures(w.to_numpy())[0, :2] if len(w) else (np.nan, np.nan)
    adv = average_traded_value(market, review.cutoff_date, rs.lookback_sessions)
    liquid = liquid_weight(w, adv, rs.liquid_universe_share)
    months = months_between(base_date, review.effective_date)
    n = int((w > 0).sum())
    row = {
        "date": review.effective_date,
        "methodology": review.methodology,
        "constituents": n,
        "max_weight": float(top1),
        "max_weight_code": str(w.idxmax()) if len(w) else "",
        "top5_weight": float(top5),
        "liquid_weight": liquid,
        "universe": len(adv),
        "history_months": months,
        "constituents_ok": n >= rs.min_constituents,
        "max_weight_ok": bool(top1 <= rs.max_weight + TOLERANCE),
        "top5_ok": bool(top5 <= rs.max_top5_weight + TOLERANCE),
        "liquidity_ok": liquid >= rs.liquid_weight_share - TOLERANCE,
        "history_ok": months >= rs.min_history_months,
    }
    row["passed"] = all(row[k] for k in CHECKS)
    return row


TOLERANCE = 1e-12
"""Rounding slack of the weight comparisons (a cap of exactly 15% passes a 15% limit)."""
CHECKS = ("constituents_ok", "max_weight_ok", "top5_ok", "liquidity_ok", "history_ok")
"""The pass/fail columns of :attr:`FundRules.table`."""
_MEASURED = {
    "constituents_ok": ("constituents", "min_constituents", "count", ">="),
    "max_weight_ok": ("max_weight", "max_weight", "%", "<="),
    "top5_ok": ("top5_weight", "max_top5_weight", "%", "<="),
    "liquidity_ok": ("liquid_weight", "liquid_weight_share", "%", ">="),
    "history_ok": ("history_months", "min_history_months", "count", ">="),
}


def _largest_between(index, dates: pd.Series) -> np.ndarray:
    """The largest end-of-day index weight from each review's effective date to the session before
    the next one (information: the checks read the review's target weights)."""
    daily = index.weights.max(axis=1)
    bounds = list(pd.DatetimeIndex(dates)) + [daily.index[-1] + pd.Timedelta(days=1)]
    return np.array(
        [
            daily[(daily.index >= lo) & (daily.index < hi)].max()
            for lo, hi in itertools.pairwise(bounds)
        ]
    )


def _shown(value, unit: str) -> str:
    return f"{value:.2%}" if unit == "%" else f"{value:g}"


# ------------------------------------------------------------------------------------------ result
@dataclass(frozen=True, eq=False)
class FundRules(Result):
    """Result of :func:`fund_rules`: the rule set and, per review, the numbers and pass/fail.

    Attributes
    ----------
    rules : FundRuleSet
    table : DataFrame
        One row per review: ``date`` (effective), ``methodology``, ``constituents``,
        ``max_weight`` and ``max_weight_code``, ``max_weight_between`` (the largest end-of-day
        weight until the next review, as the weights drift: information, not checked),
        ``top5_weight``, ``liquid_weight``, ``universe``
        (securities ranked), ``history_months``, the checks :data:`CHECKS` and ``passed``.
    name : str
        The index checked.
    """

    _figure = "fund_rules_figure"

    rules: FundRuleSet
    table: pd.DataFrame
    name: str
    synthetic: bool = False
    meta: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """True when every review passes every rule."""
        return bool(self.table["passed"].all())

    def verdict_row(self, label: str) -> dict:
        """One :class:`~engine._display.Summary` row ``fund_rules_<label>``: the reviews failing
        any rule (count), the rules they fail in the note (what a version comparison shows)."""
        t = self.table
        failing = {c.removesuffix("_ok"): int((~t[c]).sum()) for c in CHECKS if (~t[c]).any()}
        note = (
            "passes at every review"
            if not failing
            else "fails " + ", ".join(f"{k} at {n}" for k, n in failing.items())
        )
        return {
            "metric": f"fund_rules_{label}",
            "value": int((~t["passed"]).sum()),
            "unit": "count",
            "against": self.rules.name,
            "note": f"reviews failing of {len(t)}: {note} ({self.rules.status})",
        }

    def to_frame(self) -> pd.DataFrame:
        """The per-review table (:attr:`table`)."""
        return self.table.copy()

    def summary(self) -> Summary:
        """Per rule: the reviews that fail it (count), with the limit, the worst value and its date,
        source and status in the note; then the reviews passing everything."""
        t, rs = self.table, self.rules
        texts = {s[0]: s for s in rs.texts}
        rows = []
        for check, (col, limit_attr, unit, sense) in _MEASURED.items():
            limit = getattr(rs, limit_attr)
            worst = t[col].idxmin() if sense == ">=" else t[col].idxmax()
            section = {"liquidity_ok": "liquidity"}.get(check, limit_attr)
            shown = functools.partial(_shown, unit=unit)
            rule, source, status, reading = texts.get(section, ("", "", "", "", ""))[1:]
            drift = (
                f"; between reviews the weights drift to {t['max_weight_between'].max():.2%} "
                "(not checked)"
                if col == "max_weight"
                else ""
            )
            rows.append({
                "metric": f"fails_{col}",
                "value": int((~t[check]).sum()),
                "unit": "count",
                "against": f"{rs.name}: {col} {sense} {shown(limit)}",
                "note": f"{rule}; worst {shown(t.at[worst, col])} on {t.at[worst, 'date'].date()}"
                f"{drift}"
                f"; {status}; {reading}".rstrip("; "),
            })  # fmt: skip
        rows.append(
            {"metric": "reviews_passing", "value": int(t["passed"].sum()), "unit": "count",
             "against": rs.name, "note": f"of {len(t)} reviews; source: {rs.source}"}
        )  # fmt: skip
        return Summary(rows, title=f"{self.name} against {rs.title} ({rs.status}){self.tag}")

    def __repr__(self) -> str:
        fails = int((~self.table["passed"]).sum())
        return (
            f"FundRules({self.name} vs {self.rules.name}: {len(self.table) - fails} of "
            f"{len(self.table)} reviews pass{self.tag})"
        )


def fund_rules(index, market, rules: str | Path = "sse-2025-11") -> FundRules:
    """Check the named index-fund rule set at every review of ``index`` (module docstring).

    Parameters
    ----------
    index : IndexResult
        Its schedule gives the reviews and their weights; its ``base_date`` the history length.
    market : MarketData
        Traded values and closes for the liquidity rule.
    rules : str or Path
        A rule set in ``methodology/fund_rules/`` by name, or a TOML path.
    """
    rs = load_fund_rules(rules)
    if not hasattr(index, "schedule"):
        what = "fund_rules needs an IndexResult"
        fix = "pass engine.build_index(...)"
        raise DataError(what, field="index", value=type(index).__name__, fix=fix)
    rows = [_review_row(r, market, index.base_date, rs) for r in index.schedule.reviews]
    table = pd.DataFrame(rows)
    table.insert(5, "max_weight_between", _largest_between(index, table["date"]))
    return FundRules(
        rules=rs,
        table=table,
        name=str(index.name),
        synthetic=bool(getattr(index, "synthetic", False) or getattr(market, "synthetic", False)),
        meta=Provenance.of(index, market=market).to_record(),
    )


__all__ = [
    "CHECKS",
    "FundRuleSet",
    "FundRules",
    "average_traded_value",
    "fund_rules",
    "fund_rules_dir",
    "liquid_weight",
    "load_fund_rules",
    "months_between",
]
