"""Methodology comparison: two index runs (e.g. launch rules vs the 2025-08 revision) side by side.

For runs :math:`a` and :math:`b` with weights :math:`w^a_{i,t}, w^b_{i,t}` and daily returns
:math:`r^a_t, r^b_t`:

* **membership diff** per review: codes entering / leaving each run, and codes held by one run only;
* **one-way turnover** at a review: :math:`\\tau = \\tfrac12 \\sum_i |w^{post}_i - w^{pre}_i|` with
  :math:`w^{pre}` the end-of-day weights on the review's ``cap_date`` (old composition) and
  :math:`w^{post}` the review's target weights on the same close (so the price moves cancel);
  NaN for a review with no earlier composition (the initial one);
* **weight difference** :math:`w^b_{i,t} - w^a_{i,t}` and **active share**
  :math:`\\tfrac12 \\sum_i |w^b_{i,t} - w^a_{i,t}|`;
* **return / volatility difference** and the **tracking error** of :math:`b` against :math:`a`
  (active return :math:`r^b_t - r^a_t`; STD and RMS as in :mod:`engine.analytics.tracking`).

Inside :func:`compare_indexes`, ``b`` takes the place of the "fund" and ``a`` of the "benchmark" of
:func:`engine.metrics.tracking_metrics`; the summary names each figure after its own
run (``vol_<a>`` is the volatility of :math:`r_a`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine import __version__
from engine import metrics as core
from engine._display import Result, Summary
from engine._display import row as _row
from engine.analytics.tracking import align, provenance
from engine.conventions import DEFAULT, Conventions, simple_returns
from engine.errors import DataError


def wide_panel(obj, *, key: str = "code", source: str = "panel") -> pd.DataFrame:
    """Return a ``[date] x key`` float frame from a wide frame or a long ``(date, key)`` Series/frame.

    Long input: a Series with a 2-level index, or a DataFrame with a 2-level index and one numeric
    column, or a tidy DataFrame with ``date`` and ``key`` (e.g. ``code``, ``kind``) columns and one
    more numeric column (values of repeated (date, key) pairs are summed).
    """
    if obj is None:
        raise DataError("panel is missing", source=source)
    if isinstance(obj, pd.Series):
        if obj.index.nlevels != 2:
            what = "a long panel Series needs a (date, code) index"
            raise DataError(what, source=source)
        return obj.astype(float).groupby(level=[0, 1]).sum().unstack(level=1).sort_index()
    if not isinstance(obj, pd.DataFrame):
        what = "panel must be a DataFrame or Series"
        raise DataError(what, source=source, value=type(obj).__name__)
    if obj.index.nlevels == 2:
        num = obj.select_dtypes("number")
        if num.shape[1] != 1:
            what = "a long panel frame needs exactly one numeric column"
            raise DataError(what, source=source, value=list(obj.columns))
        return (
            num.iloc[:, 0].astype(float).groupby(level=[0, 1]).sum().unstack(level=1).sort_index()
        )
    if {"date", key} <= set(obj.columns):
        rest = [c for c in obj.select_dtypes("number").columns if c not in ("date", key)]
        if len(rest) != 1:
            what = f"a tidy panel needs date, {key} and one numeric value column"
            raise DataError(what, source=source, value=list(obj.columns))
        return (
            obj.pivot_table(index="date", columns=key, values=rest[0], aggfunc="sum")
            .astype(float)
            .sort_index()
        )
    return obj.astype(float)


def _review_turnover(weights: pd.DataFrame, review) -> float:
    """One-way turnover of a review on its cap_date close (NaN without an earlier composition)."""
    if review.kind == "initial":
        return float("nan")
    cap = pd.Timestamp(review.cap_date)
    if cap not in weights.index:
        return float("nan")
    pre = weights.loc[cap].fillna(0.0)
    if not pre.sum() > 0:
        return float("nan")
    t = review.table
    post = pd.Series(t["weight"].to_numpy(dtype=float), index=t["code"].to_numpy()).where(
        t["selected"].to_numpy(), 0.0
    )
    codes = pre.index.union(post.index)
    return core.one_way_turnover(
        pre.reindex(codes, fill_value=0.0), post.reindex(codes, fill_value=0.0)
    )


def membership_changes(index_result, label: str = "") -> pd.DataFrame:
    """One row per review: ``effective_date, methodology, n_constituents, entered, left, turnover``
    (``entered``/``left`` are sorted lists of codes relative to the previous review)."""
    weights = wide_panel(index_result.weights, source=f"{label or 'index'}.weights")
    prev: set[str] = set()
    rows = []
    for k, rv in enumerate(index_result.schedule.reviews):
        now = set(rv.constituents)
        rows.append(
            {
                "label": label,
                "effective_date": pd.Timestamp(rv.effective_date),
                "methodology": rv.methodology,
                "n_constituents": len(now),
                "entered": sorted(now - prev) if k else sorted(now),
                "left": sorted(prev - now),
                "turnover": _review_turnover(weights, rv) if k else float("nan"),
            }
        )
        prev = now
    return pd.DataFrame(
        rows,
        columns=[
            "label",
            "effective_date",
            "methodology",
            "n_constituents",
            "entered",
            "left",
            "turnover",
        ],
    )


@dataclass(frozen=True, eq=False)
class IndexComparison(Result):
    """Result of :func:`compare_indexes` (``a`` = first label, ``b`` = second).

    Attributes
    ----------
    levels : DataFrame
        Aligned levels of the chosen variant, columns = labels.
    returns : DataFrame
        Daily returns of both and ``active`` = b - a.
    membership : DataFrame
        :func:`membership_changes` of both runs, stacked.
    membership_diff : DataFrame
        At every effective date of either run: constituent counts, codes only in a, only in b.
    weights_a, weights_b : DataFrame
        ``[date] x code`` end-of-day weights.
    metrics : dict
        Tracking metrics of b against a (see :data:`engine.analytics.tracking.METRICS`).
    """

    _figure = "comparison_figure"

    labels: tuple[str, str]
    variant: str
    levels: pd.DataFrame
    returns: pd.DataFrame
    membership: pd.DataFrame
    membership_diff: pd.DataFrame
    weights_a: pd.DataFrame
    weights_b: pd.DataFrame
    metrics: dict
    conventions: Conventions = DEFAULT
    synthetic: bool = False
    meta: dict = field(default_factory=dict)

    @property
    def active_share(self) -> pd.Series:
        """:math:`\\tfrac12 \\sum_i |w^b_{i,t} - w^a_{i,t}|` on the dates both runs have weights."""
        dates = self.weights_a.index.intersection(self.weights_b.index)
        codes = self.weights_a.columns.union(self.weights_b.columns)
        wa = self.weights_a.reindex(index=dates, columns=codes).fillna(0.0).to_numpy()
        wb = self.weights_b.reindex(index=dates, columns=codes).fillna(0.0).to_numpy()
        return pd.Series(0.5 * np.abs(wb - wa).sum(axis=1), index=dates, name="active_share")

    def weight_diff(self, date=None) -> pd.DataFrame:
        """Per code at ``date`` (default: the last common date): ``weight_<a>``, ``weight_<b>`` and
        ``diff`` = b - a, sorted by ``|diff|`` descending; codes held by neither are omitted."""
        dates = self.weights_a.index.intersection(self.weights_b.index)
        if len(dates) == 0:
            what = "the two runs have no weight date in common"
            raise DataError(what, fix="compare runs on the same market")
        ts = dates[-1] if date is None else pd.Timestamp(date)
        if ts not in dates:
            what = "no weights of both runs on this date"
            raise DataError(what, date=ts, fix="pick a session both runs cover")
        la, lb = self.labels
        wa = self.weights_a.loc[ts].fillna(0.0)
        wb = self.weights_b.loc[ts].fillna(0.0)
        codes = wa.index.union(wb.index)
        out = pd.DataFrame(
            {
                f"weight_{la}": wa.reindex(codes, fill_value=0.0),
                f"weight_{lb}": wb.reindex(codes, fill_value=0.0),
            }
        )
        out["diff"] = out[f"weight_{lb}"] - out[f"weight_{la}"]
        out = out[(out[f"weight_{la}"] != 0) | (out[f"weight_{lb}"] != 0)]
        out.index.name = "code"
        return out.reindex(out["diff"].abs().sort_values(ascending=False, kind="stable").index)

    def turnover(self) -> pd.DataFrame:
        """One-way turnover at each review, one column per run (NaN where that run had no review)."""
        m = self.membership
        return m.pivot_table(
            index="effective_date",
            columns="label",
            values="turnover",
            aggfunc="first",
            dropna=False,
        )

    def to_frame(self) -> pd.DataFrame:
        """Daily: ``level_<a>``, ``level_<b>``, ``return_<a>``, ``return_<b>``, ``active``, ``active_share``."""
        la, lb = self.labels
        out = self.levels.add_prefix("level_")
        out = out.join(
            self.returns.rename(columns={la: f"return_{la}", lb: f"return_{lb}"}), how="left"
        )
        out = out.join(self.active_share, how="left")
        out.index.name = "date"
        return out

    def summary(self) -> Summary:
        """Metrics of ``b`` against ``a`` as a :class:`~engine._display.Summary`: each run's return and
        volatility (each defined on its own daily returns :math:`r_a` or :math:`r_b`), their
        differences, the tracking error of ``b`` against ``a`` (STD, RMS), correlation, beta and the
        mean one-way turnover per review of each run."""
        la, lb = self.labels
        m = self.metrics
        d = self.conventions.ddof
        vs = f"{la} ({self.variant})"
        rows = [
            (f"return_{la}", m["benchmark_return"], "", f"{la}: L_a(end) / L_a(start) - 1"),
            (f"return_{lb}", m["fund_return"], "", f"{lb}: L_b(end) / L_b(start) - 1"),
            ("return_diff", m["tracking_difference"], vs, f"R_b - R_a ({lb} - {la})"),
            (
                "return_ann_diff",
                m["tracking_difference_ann"],
                vs,
                "per year: (1+R_b)^(p/n) - (1+R_a)^(p/n)",
            ),
            (f"vol_{la}", m["benchmark_vol"], "", f"{la}, per year: sqrt(p) * std(r_a, ddof={d})"),
            (f"vol_{lb}", m["fund_vol"], "", f"{lb}, per year: sqrt(p) * std(r_b, ddof={d})"),
            ("vol_diff", m["fund_vol"] - m["benchmark_vol"], vs, "vol_b - vol_a"),
            (
                "tracking_error_std",
                m["tracking_error_std"],
                vs,
                f"per year: sqrt(p) * std(r_b - r_a, ddof={d})",
            ),
            (
                "tracking_error_rms",
                m["tracking_error_rms"],
                vs,
                "per year: sqrt(p) * sqrt(mean((r_b - r_a)^2))",
            ),
        ]
        out = [_row(k, v, "%", a, n) for k, v, a, n in rows]
        beta = f"beta of {lb} on {la}: cov(r_b, r_a) / var(r_a)"
        out.append(_row("correlation", m["correlation"], "ratio", vs, "corr(r_a, r_b)"))
        out.append(_row("beta", m["beta"], "ratio", vs, beta))
        tv = self.turnover()
        for lab in self.labels:
            if lab in tv.columns:
                out.append(
                    core.row("turnover_drifted", float(tv[lab].mean()), note=f"{lab}; ")
                    | {"metric": f"turnover_drifted_{lab}"}
                )
        return Summary(out, title=f"{lb} vs {la} ({self.variant} levels){self.tag}")

    def __repr__(self) -> str:
        return (
            f"IndexComparison({self.labels[0]} vs {self.labels[1]}, {self.variant}, "
            f"TE_std={self.metrics['tracking_error_std']:.4%}{self.tag})"
        )


def _check_same_market(a, b, labels: tuple[str, str]) -> None:
    """Two runs compared must rest on one market: their schedules' data fingerprints agree."""
    fa, fb = (getattr(getattr(r, "schedule", None), "data_fingerprint", "") for r in (a, b))
    if fa and fb and fa != fb:
        raise DataError(
            "the two runs were built on different market data",
            source=f"{labels[0]} vs {labels[1]}",
            field="data_fingerprint",
            value=f"{fa} vs {fb}",
            fix="build both runs on the same MarketData (a comparison of markets is not a "
            "comparison of rules)",
        )


def compare_indexes(
    a,
    b,
    labels: tuple[str, str] = ("launch", "revision"),
    *,
    variant: str = "price",
    conventions: Conventions = DEFAULT,
    strict: bool = True,
) -> IndexComparison:
    """Compare two ``IndexResult`` runs: membership, weights, turnover, return, risk and tracking error.

    Parameters
    ----------
    a, b : IndexResult
        The runs (``b`` is measured against ``a``).
    labels : (str, str)
        Names of ``a`` and ``b`` in tables and plots.
    variant : {"price", "gross", "net"}
        Level variant compared.
    strict : bool
        Passed to :func:`engine.analytics.tracking.align` (both runs normally share every date).
    """
    la, lb = (str(labels[0]), str(labels[1]))
    if la == lb:
        raise DataError("the two labels must differ", value=labels)
    for lab, res in ((la, a), (lb, b)):
        if variant not in res.levels.columns:
            what = "level variant missing from the run"
            raise DataError(what, source=lab, field="variant", value=variant)
    _check_same_market(a, b, (la, lb))
    lv, _dropped = align(
        a.levels[variant].astype(float),
        b.levels[variant].astype(float),
        strict=strict,
        labels=(la, lb),
    )
    returns = pd.DataFrame({la: simple_returns(lv[la]), lb: simple_returns(lv[lb])})
    returns["active"] = returns[lb] - returns[la]
    values = core.tracking_metrics(lv[lb].to_numpy(), lv[la].to_numpy(), conventions)
    mem = pd.concat([membership_changes(a, la), membership_changes(b, lb)], ignore_index=True)
    dates = sorted(set(mem["effective_date"]))
    diff_rows = []
    for d in dates:
        ca, cb = set(a.schedule.constituents_at(d)), set(b.schedule.constituents_at(d))
        diff_rows.append(
            {
                "effective_date": d,
                f"n_{la}": len(ca),
                f"n_{lb}": len(cb),
                "n_common": len(ca & cb),
                f"only_{la}": sorted(ca - cb),
                f"only_{lb}": sorted(cb - ca),
            }
        )
    synthetic = bool(getattr(a, "synthetic", False) or getattr(b, "synthetic", False))
    return IndexComparison(
        labels=(la, lb),
        variant=variant,
        levels=lv,
        returns=returns,
        membership=mem,
        membership_diff=pd.DataFrame(diff_rows),
        weights_a=wide_panel(a.weights, source=f"{la}.weights"),
        weights_b=wide_panel(b.weights, source=f"{lb}.weights"),
        metrics=values,
        conventions=conventions,
        synthetic=synthetic,
        meta={la: provenance(a), lb: provenance(b), "engine_version": __version__},
    )


def methodology_changes(index_result) -> list[tuple[pd.Timestamp, str]]:
    """``(effective_date, methodology)`` of every review whose methodology differs from the previous
    review's (e.g. the 2025-08-11 revision of the HSIDI); empty for a single-version run."""
    out = []
    prev = None
    for k, rv in enumerate(index_result.schedule.reviews):
        if k and rv.methodology != prev:
            out.append((pd.Timestamp(rv.effective_date), str(rv.methodology)))
        prev = rv.methodology
    return out


__all__ = [
    "IndexComparison",
    "compare_indexes",
    "membership_changes",
    "methodology_changes",
    "wide_panel",
]
