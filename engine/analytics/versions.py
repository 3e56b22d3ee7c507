"""Version comparison: what one methodology (``b``) changes against another (``a``) on one market.

Built on :func:`engine.analytics.compare.compare_indexes` (levels, weights, membership, turnover,
tracking figures) and adds:

* **membership changes with the deciding rule**: every code entering or leaving at each review of
  each run, with the review table's reason (``"out: CXO excluded"``, ``"selected: rank 3"``, ...);
* **risk of each run**: total return, annualised volatility, maximum drawdown
  :math:`\\min_t (L_t / \\max_{s \\le t} L_s - 1)`;
* **CXO weight around the revision**: weight of ``is_cxo`` codes in each run at the close before
  the split date and at the split date's close, split into ``removed`` (the weight before of the CXO
  codes the run no longer holds at the split) and ``drift`` (the rest of the change: price moves of
  the CXO codes it keeps).  A run that removes no CXO code shows only drift;
* **selection and weighting effects** of the return difference, linked so that they add up to it.
  Each run's daily return splits by code, :math:`r_t = \\sum_i c_{i,t}`,
  :math:`c_{i,t} = w_{i,t}\\,\\tilde r_{i,t}` with start-of-day weights
  :math:`w_{i,t} = q_{i,t} \\tilde P_{i,t-1} / \\sum_j q_{j,t} \\tilde P_{j,t-1}` and the returns
  :math:`\\tilde r_{i,t} = P_{i,t} / \\tilde P_{i,t-1} - 1` on the prior close as the index adjusts it
  for corporate actions (:func:`engine.analytics.contributions.index_side`).  Daily:

  .. math:: \\text{weighting}_t = \\sum_{i \\in A_t \\cap B_t} (w^b_{i,t} - w^a_{i,t})\\, \\tilde r_{i,t},
            \\qquad
            \\text{selection}_t = \\sum_{i \\in B_t \\setminus A_t} w^b_{i,t} \\tilde r_{i,t}
                                 - \\sum_{i \\in A_t \\setminus B_t} w^a_{i,t} \\tilde r_{i,t},

  with :math:`A_t, B_t` the codes each run holds; they add up to :math:`r^b_t - r^a_t` every day.
  Over the period they are linked with Carino coefficients (default; or Menchero)
  :math:`\\beta_t` (:func:`engine.analytics.contributions.linking_coefficients`):
  :math:`\\sum_t \\beta_t (r^b_t - r^a_t) = R^b - R^a`, the difference of the two compounded
  returns (arithmetic difference, geometric linking factors).  ``residual`` is what is left of
  :math:`R^b - R^a` (floating-point rounding);
* **what the revision cost the ETF in trading** (``fund=True``): the trading costs and traded
  value of the fund simulator's review trades nearest the split date, tracking ``b``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine import metrics
from engine._args import date_argument
from engine._display import Result, Summary
from engine._display import row as _row
from engine.analytics.compare import IndexComparison, compare_indexes, wide_panel
from engine.analytics.contributions import (
    check_linking,
    index_side,
    linking_coefficients,
)
from engine.analytics.fund_rules import fund_rules as check_fund_rules
from engine.analytics.observed import SPLIT_DATE
from engine.conventions import DEFAULT, Conventions, simple_returns
from engine.errors import DataError
from engine.metrics import max_drawdown  # kept here for one release (0.1 name)


def membership_rules(index_result, label: str = "") -> pd.DataFrame:
    """One row per code entering or leaving at each review: ``label, effective_date, methodology,
    code, change, rule`` (the review table's reason; the previous review's for a code that left
    because it was no longer listed in the table)."""
    rows, prev, prev_reason = [], set(), {}
    for k, rv in enumerate(index_result.schedule.reviews):
        t = rv.table.set_index("code")
        now = set(rv.constituents)
        if k:
            for code in sorted(now - prev):
                rows.append(
                    (
                        label,
                        rv.effective_date,
                        rv.methodology,
                        code,
                        "entered",
                        str(t.at[code, "reason"]),
                    )
                )
            for code in sorted(prev - now):
                rule = str(t.at[code, "reason"]) if code in t.index else prev_reason.get(code, "")
                rows.append((label, rv.effective_date, rv.methodology, code, "left", rule))
        prev = now
        prev_reason = dict(zip(t.index, t["reason"].astype(str), strict=True))
    return pd.DataFrame(
        rows, columns=["label", "effective_date", "methodology", "code", "change", "rule"]
    )


def risk(levels: pd.Series, conventions: Conventions = DEFAULT) -> dict:
    """``total_return``, ``volatility`` (annualised, ``conventions.ddof``) and ``max_drawdown`` of
    one level series, as :mod:`engine.metrics` defines them (fractions)."""
    lv = levels.dropna().to_numpy(float)
    return {
        "total_return": metrics.total_return(lv),
        "volatility": metrics.volatility(metrics.returns(lv), conventions),
        "max_drawdown": metrics.max_drawdown(lv),
    }


def start_weights(index_result, market) -> pd.DataFrame:
    """Start-of-day weights :math:`q_{i,t} P_{i,t-1} / \\sum_j q_{j,t} P_{j,t-1}` (``[date, code]``,
    unadjusted prior closes; :func:`effects` uses the prior closes as the index adjusts them)."""
    q = wide_panel(index_result.index_shares, source="index_shares")
    close = market.panel("close").reindex(index=q.index, columns=q.columns)
    value = q * close.shift(1)
    total = value.sum(axis=1)
    w = value.div(total.where(total > 0), axis=0)
    return w.iloc[1:].fillna(0.0)


def effects(a, b, market, *, variant: str = "price", linking: str = "carino") -> pd.DataFrame:
    """Daily ``selection``, ``weighting``, ``active`` (:math:`r^b_t - r^a_t` of the ``variant``
    levels), ``residual`` and the linking coefficient ``beta`` of ``b`` against ``a``.

    Each run's return splits by code exactly, :math:`r_t = \\sum_i c_{i,t}`, with
    :math:`c_{i,t} = q_{i,t}(P_{i,t} - \\tilde P_{i,t-1}) / \\sum_j q_{j,t} \\tilde P_{j,t-1}`
    (:func:`engine.analytics.contributions.index_side`; :math:`\\tilde P` the prior close as the
    index adjusts it for corporate actions), so ``selection + weighting = active`` every day and
    ``residual`` is floating-point rounding.  ``beta`` (Carino by default, ``linking``) makes the
    linked sums add up to the compounded difference,
    :math:`\\sum_t \\beta_t\\,\\text{active}_t = R^b - R^a` (:func:`linked_effects`).

    Raises
    ------
    DataError
        The runs share fewer than two sessions, or a day's effects are not finite (a held code
        without a close).
    """
    dates = pd.DatetimeIndex(a.levels.index).intersection(b.levels.index)
    if len(dates) < 2:
        what = "the two runs share fewer than two sessions"
        fix = "compare runs built on the same market and period"
        raise DataError(what, value=len(dates), fix=fix)
    qa, qb = (
        wide_panel(r.index_shares, source="index_shares").reindex(dates).fillna(0.0) for r in (a, b)
    )
    held = set(qa.columns[(qa != 0).any()]) | set(qb.columns[(qb != 0).any()])
    codes = [c for c in market.codes if c in held]
    qa, qb = (
        np.ascontiguousarray(q.reindex(columns=codes, fill_value=0.0), float) for q in (qa, qb)
    )
    rows = pd.DatetimeIndex(market.dates).get_indexer(dates)
    cols = pd.Index(market.codes).get_indexer(codes)
    close = np.ascontiguousarray(np.asarray(market.close_hkd)[np.ix_(rows, cols)], dtype=float)
    ca, wa = index_side(close, qa, dates, codes, market, a, variant)
    cb, wb = index_side(close, qb, dates, codes, market, b, variant)
    ina, inb = wa > 0, wb > 0
    weighting = np.where(ina & inb, cb - ca, 0.0).sum(axis=1)
    selection = np.where(inb & ~ina, cb, 0.0).sum(axis=1) - np.where(ina & ~inb, ca, 0.0).sum(
        axis=1
    )
    ra = simple_returns(a.levels[variant]).reindex(dates[1:]).to_numpy(dtype=float)
    rb = simple_returns(b.levels[variant]).reindex(dates[1:]).to_numpy(dtype=float)
    daily = np.column_stack([selection, weighting, rb - ra])
    bad = ~np.isfinite(daily).all(axis=1)
    if bad.any():
        what = "the effects are not finite on some days (a held code without a close?)"
        fix = "fill the closes of the codes the runs hold on those days"
        value = [str(d.date()) for d in dates[1:][bad][:5]]
        raise DataError(what, field="close_hkd", value=value, fix=fix)
    big = (float(np.prod(1.0 + rb) - 1.0), float(np.prod(1.0 + ra) - 1.0))
    out = pd.DataFrame(
        {"selection": selection, "weighting": weighting, "active": rb - ra},
        index=pd.DatetimeIndex(dates[1:], name="date"),
    )
    out["residual"] = out["active"] - out["selection"] - out["weighting"]
    out["beta"] = linking_coefficients(rb, ra, big, linking)
    return out


def linked_effects(daily: pd.DataFrame, return_difference: float) -> dict:
    """The period's ``selection`` and ``weighting`` effects, :math:`\\sum_t \\beta_t e_t`
    (:func:`effects`' coefficients), and ``residual`` = ``return_difference`` - both (rounding
    only when ``return_difference`` is :math:`R^b - R^a` of the same daily returns)."""
    sel = math.fsum(daily["beta"] * daily["selection"])
    wt = math.fsum(daily["beta"] * daily["weighting"])
    return {
        "selection": sel,
        "weighting": wt,
        "residual": float(return_difference) - sel - wt,
    }


def _cxo_codes(market) -> set:
    return set(market.securities.loc[market.securities["is_cxo"].astype(bool), "code"])


def cxo_weight(weights: pd.DataFrame, market, date) -> float:
    """Weight of ``is_cxo`` codes in ``weights`` (``[date, code]``) at the close of ``date``."""
    cxo = _cxo_codes(market)
    if date not in weights.index:
        return float("nan")
    row = weights.loc[date].fillna(0.0)
    return float(row[[c for c in row.index if c in cxo]].sum())


def cxo_around(weights: pd.DataFrame, market, split, sessions=None) -> dict:
    """CXO weight (:func:`cxo_weight`, a fraction of the index) around ``split``.

    ``before`` at the close of the last session before it (``before_date``), ``at`` at the close of
    the first session on or after it (``at_date``); ``removed``: the weight at ``before_date`` of the
    ``is_cxo`` codes held then and no longer held at ``at_date`` (0 for a run that removes none);
    ``drift`` = ``at - before + removed``, the change of the CXO weight that is not a removal (price
    moves of the CXO codes that stay, their reweighting), so ``at = before - removed + drift``.
    NaN (and NaT) where there is no such session.  ``sessions`` defaults to the dates of
    ``weights``."""
    sessions = weights.index if sessions is None else pd.DatetimeIndex(sessions)
    split = pd.Timestamp(split)
    earlier, later = sessions[sessions < split], sessions[sessions >= split]
    d0 = earlier[-1] if len(earlier) else pd.NaT
    d1 = later[0] if len(later) else pd.NaT
    b0 = cxo_weight(weights, market, d0) if len(earlier) else float("nan")
    b1 = cxo_weight(weights, market, d1) if len(later) else float("nan")
    removed = float("nan")
    if np.isfinite(b0) and np.isfinite(b1):
        cxo = [c for c in weights.columns if c in _cxo_codes(market)]
        w0 = weights.loc[d0, cxo].fillna(0.0)
        w1 = weights.loc[d1, cxo].fillna(0.0)
        removed = float(w0[(w0 > 0) & (w1 <= 0)].sum())
    return {
        "before_date": d0,
        "before": b0,
        "at_date": d1,
        "at": b1,
        "removed": removed,
        "drift": b1 - b0 + removed,
    }


def year_to_date_return(levels: pd.Series) -> tuple[int, float]:
    """The last calendar year of ``levels`` and its return so far, :math:`L_T / L_{y-1} - 1` with
    :math:`L_{y-1}` the last level of an earlier year (a fraction, not annualised; NaN when the
    series starts in its last year)."""
    year = int(levels.index[-1].year)
    prior = levels[levels.index.year < year]
    if not len(prior):
        return year, float("nan")
    return year, metrics.total_return(np.array([prior.iloc[-1], levels.iloc[-1]], dtype=float))


def revision_trading_cost(fund_result, split, sessions: int = 5) -> dict:
    """Review trades of ``fund_result`` on the trade date nearest ``split`` (within ``sessions``
    business days): ``date``, ``cost_hkd``, ``traded_value_hkd``, ``trades``."""
    tr = fund_result.trades
    rv = tr[tr["reason"] == "review"]
    if rv.empty:
        return {
            "date": pd.NaT,
            "cost_hkd": float("nan"),
            "traded_value_hkd": float("nan"),
            "trades": 0,
        }
    days = pd.DatetimeIndex(sorted(set(pd.to_datetime(rv["date"]))))
    gap = np.abs((days - pd.Timestamp(split)).days)
    d = days[int(np.argmin(gap))]
    if gap.min() > sessions * 7 / 5 + 2:
        return {
            "date": pd.NaT,
            "cost_hkd": float("nan"),
            "traded_value_hkd": float("nan"),
            "trades": 0,
        }
    on = rv[pd.to_datetime(rv["date"]) == d]
    return {
        "date": d,
        "cost_hkd": float(on["cost_hkd"].sum()),
        "traded_value_hkd": float(on["value_hkd"].abs().sum()),
        "trades": len(on),
    }


@dataclass(frozen=True, eq=False)
class VersionComparison(Result):
    """Result of :func:`compare`.

    Attributes
    ----------
    base : IndexComparison
        The underlying :func:`compare_indexes` result (levels, weights, membership, metrics).
    changes : DataFrame
        :func:`membership_rules` of both runs.
    risk : DataFrame
        Per label: ``total_return``, ``volatility`` (annualised), ``max_drawdown``.
    cxo : DataFrame
        Per label (:func:`cxo_around`): CXO weight at the close before the split date (``before``)
        and at its close (``at``), the weight ``removed`` with the CXO codes the run no longer holds
        and the ``drift`` (the rest of the change), ``at = before - removed + drift``.
    effects : DataFrame
        Daily selection / weighting effects and their linking coefficient ``beta``
        (:func:`effects`); :meth:`linked_effects` gives the period's, which add up to the
        compounded return difference.
    fund_cost : dict or None
        :func:`revision_trading_cost` of the fund tracking ``b`` (None without ``fund``).
    fund_rules : dict
        Per label, :func:`engine.analytics.fund_rules` of that run (the SSE/SZSE index-fund rules,
        ``sse-2025-11``, at each review).
    """

    _figure = "versions_figure"

    base: IndexComparison
    changes: pd.DataFrame
    risk: pd.DataFrame
    cxo: pd.DataFrame
    effects: pd.DataFrame
    fund_cost: dict | None
    split: pd.Timestamp
    synthetic: bool = False
    warnings: tuple[str, ...] = ()
    conventions: Conventions = DEFAULT
    meta: dict = field(default_factory=dict)
    fund_rules: dict = field(default_factory=dict)

    @property
    def labels(self) -> tuple[str, str]:
        return self.base.labels

    def weight_diff(self, date=None) -> pd.DataFrame:
        return self.base.weight_diff(date)

    def turnover(self) -> pd.DataFrame:
        return self.base.turnover()

    def to_frame(self) -> pd.DataFrame:
        """Daily levels, returns, active share (from :attr:`base`) and the daily effects."""
        return self.base.to_frame().join(
            self.effects[["selection", "weighting", "residual"]], how="left"
        )

    def summary(self) -> Summary:
        """Each run's return, volatility and drawdown, the return difference and its linked
        selection and weighting effects, the TE, each run's turnover and CXO rows, the fund's
        revision cost and rule verdicts, and the membership changes."""
        la, lb = self.labels
        rows = []
        for lab in self.labels:
            r = self.risk.loc[lab]
            rows += [
                _row(f"return_{lab}", r["total_return"], "%"),
                _row(f"volatility_{lab}", r["volatility"], "%", note="annualised"),
                _row(f"max_drawdown_{lab}", r["max_drawdown"], "%"),
            ]
        rows += self._difference_rows()
        tv = self.turnover()
        for lab in self.labels:
            if lab in tv:
                rows.append(
                    metrics.row("turnover_drifted", float(tv[lab].mean()), note=f"{lab}; ")
                    | {"metric": f"turnover_drifted_{lab}"}
                )
            rows += self._cxo_rows(lab)
        if self.fund_cost is not None:
            fc = self.fund_cost
            note = f"ETF tracking {lb}, {fc['trades']} review trades"
            rows += [
                _row("revision_trade_date", fc["date"], "date"),
                _row("revision_trading_cost", fc["cost_hkd"], "HKD", note=note),
                _row("revision_traded_value", fc["traded_value_hkd"], "HKD"),
            ]
        rows += [r.verdict_row(lab) for lab, r in self.fund_rules.items()]
        what = "entries and exits over both runs"
        rows.append(_row("membership_changes", len(self.changes), "count", note=what))
        for i, w in enumerate(self.warnings):
            rows.append(_row(f"warning_{i + 1}", w, "text"))
        return Summary(rows, title=f"{lb} against {la}{self.tag}")

    def _difference_rows(self) -> list[dict]:
        """The return difference, its linked effects (they add up to it), the arithmetic sum of
        the daily differences and the TE."""
        la, lb = self.labels
        against = f"{la} index (price)"
        m, link = self.base.metrics, self.linked_effects()
        linked = f"{self.meta.get('linking', 'carino').capitalize()}-linked sum of daily effects"
        notes = {
            "return_difference": (
                m["tracking_difference"],
                f"R_{lb} - R_{la}, each compounded; = selection + weighting + residual",
            ),
            "selection_effect": (
                link["selection"],
                f"{linked} (geometric linking, arithmetic total): codes held by one run only",
            ),
            "weighting_effect": (
                link["weighting"],
                f"{linked}: weight differences of codes both runs hold",
            ),
            "effects_residual": (
                link["residual"],
                "return_difference - selection - weighting (rounding)",
            ),
            "active_sum": (
                float(self.effects.sum()["active"].sum()),
                "sum of daily return differences, arithmetic, not linked: differs "
                "from return_difference by compounding",
            ),
            "tracking_error_std": (m["tracking_error_std"], "STD convention, annualised"),
        }
        return [_row(name, v, "%", against, note) for name, (v, note) in notes.items()]

    def linked_effects(self) -> dict:
        """The period's ``selection``, ``weighting`` and ``residual`` (:func:`linked_effects`):
        they add up to the ``return_difference`` of :meth:`summary`."""
        return linked_effects(self.effects, self.base.metrics["tracking_difference"])

    def _cxo_rows(self, lab: str) -> list[dict]:
        """``cxo_removed_<lab>`` for a run that removes CXO codes at the split, and
        ``cxo_drift_<lab>`` when the CXO weight also (or only) drifts."""
        c = self.cxo.loc[lab]
        day = self.split.date()
        where = f"CXO weight {c['before']:.2%} before, {c['at']:.2%} at {day}"
        rows = []
        if c["removed"] > 0:
            note = f"{where}: weight before of CXO codes no longer held at {day}"
            rows.append(_row(f"cxo_removed_{lab}", c["removed"], "%", note=note))
        if c["drift"] != 0 or not c["removed"] > 0:
            if not (c["before"] or c["at"]):
                note = f"holds no CXO code before or at {day}"
            else:
                none = "" if c["removed"] > 0 else f"removes no CXO code at {day}; "
                note = (
                    f"{none}{where}: change of the CXO codes it keeps (price moves), not a removal"
                )
            rows.append(_row(f"cxo_drift_{lab}", c["drift"], "%", note=note))
        return rows

    def __repr__(self) -> str:
        la, lb = self.labels
        return (
            f"VersionComparison({lb} vs {la}, return difference "
            f"{self.base.metrics['tracking_difference']:+.2%}, {len(self.changes)} membership changes"
            f"{self.tag})"
        )


def _build(spec, market, label):
    if hasattr(spec, "levels") and hasattr(spec, "schedule"):
        return spec
    if market is None:
        what = "a methodology needs a market to be built on"
        fix = "pass market= (engine.data.default_market() for the default)"
        raise DataError(what, source=label, fix=fix)
    from engine import build_index

    return build_index(market, spec)


def compare(
    a,
    b,
    *,
    market=None,
    labels: tuple[str, str] | None = None,
    split=SPLIT_DATE,
    fund: bool | object = False,
    conventions: Conventions = DEFAULT,
    linking: str = "carino",
) -> VersionComparison:
    """Compare methodology ``b`` with ``a`` on one market.

    Parameters
    ----------
    a, b
        ``IndexResult`` runs, or methodology specs (``"hsidi-2023-05"``, ``"hsidi"``, a path, a
        ``Methodology``) built on ``market``.
    market
        The market both runs use (needed for specs, the effects, the CXO weight and the fund).
    labels
        Names in tables (default: the specs, or ``"a"`` / ``"b"``).
    split
        The revision date (default 2025-08-11).
    linking : {"carino", "menchero"}
        How the daily selection and weighting effects are linked into period effects that add up
        to the compounded return difference (:func:`effects`).
    fund
        True (default ETF settings) or an ``EtfConfig``: simulate the ETF tracking ``b`` and report
        what the review nearest ``split`` cost it in trading.
    """
    if market is None:
        what = "compare needs the market the runs were built on"
        raise DataError(what, fix="pass market=")
    if labels is None:
        labels = tuple(s if isinstance(s, str) else d for s, d in ((a, "a"), (b, "b")))
    split = date_argument(split, "split", "compare")  # before the builds: a bad date fails now
    check_linking(linking)
    la, lb = str(labels[0]), str(labels[1])
    ra, rb = _build(a, market, la), _build(b, market, lb)
    base = compare_indexes(ra, rb, labels=(la, lb), conventions=conventions)
    risks = {lab: risk(res.levels["price"], conventions) for lab, res in ((la, ra), (lb, rb))}
    around = {
        lab: cxo_around(w, market, split, base.levels.index)
        for lab, w in ((la, base.weights_a), (lb, base.weights_b))
    }
    cxo = pd.DataFrame(around).T[["before", "at", "removed", "drift"]].astype(float)
    fund_cost = None
    if fund is not False and fund is not None:
        from engine.fund import backtest

        config = None if fund is True else fund
        fund_cost = revision_trading_cost(backtest(rb, market, config), split)
    warnings_ = tuple(getattr(market, "warnings", ()) or ())
    return VersionComparison(
        base=base,
        changes=pd.concat([membership_rules(ra, la), membership_rules(rb, lb)], ignore_index=True),
        risk=pd.DataFrame(risks).T,
        cxo=cxo,
        effects=effects(ra, rb, market, variant=base.variant, linking=linking),
        fund_cost=fund_cost,
        split=split,
        synthetic=bool(base.synthetic or market.synthetic),
        warnings=warnings_,
        conventions=conventions,
        fund_rules={la: check_fund_rules(ra, market), lb: check_fund_rules(rb, market)},
        meta={"linking": linking},
    )


__all__ = [
    "VersionComparison",
    "compare",
    "cxo_around",
    "cxo_weight",
    "effects",
    "max_drawdown",
    "membership_rules",
    "revision_trading_cost",
    "risk",
    "start_weights",
    "year_to_date_return",
]
