"""Concentration of an index or a fund: largest weight, top five, top ten, Herfindahl index and the
effective number of names, per day and per review.

For the weights :math:`w_1 \\ge w_2 \\ge \\dots` of one day (they sum to 1):

=================  ==============================================================
``top1``           :math:`w_1`
``top5``           :math:`\\sum_{k \\le 5} w_k` (all names when fewer than five)
``top10``          :math:`\\sum_{k \\le 10} w_k`
``hhi``            :math:`\\sum_i w_i^2` (Herfindahl-Hirschman index, as a fraction)
``effective_n``    :math:`1 / \\mathrm{hhi}`: the number of equal weights with the same HHI
=================  ==============================================================

An **index** (:class:`engine.index.IndexResult`) is measured on its end-of-day weights, and per
review on the capped target weights its review table set on the cap date.  A **fund**
(:class:`engine.fund.FundResult`) is measured on its shares of the *invested* value
:math:`h_i P_i / \\sum_j h_j P_j` (cash left out, so the weights sum to 1; column ``fund`` of
:meth:`engine.fund.FundResult.weights`), and per review on the close of each day it traded for a
review (trade reason ``review``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine._display import Provenance, Result, Summary
from engine.errors import DataError
from engine.metrics import row

COLUMNS = ("top1", "top5", "top10", "hhi", "effective_n")
"""The measures, in column order."""


def measures(weights) -> np.ndarray:
    """``[T, 5]`` array of :data:`COLUMNS` for the ``[T, N]`` weights (NaN rows where every weight
    is 0 or NaN; NaN weights count as 0)."""
    w = np.nan_to_num(np.asarray(weights, dtype=float), nan=0.0)
    if w.ndim == 1:
        w = w[None, :]
    ranked = -np.sort(-w, axis=1)
    out = np.column_stack(
        [
            ranked[:, :1].sum(axis=1),
            ranked[:, :5].sum(axis=1),
            ranked[:, :10].sum(axis=1),
            (w * w).sum(axis=1),
            np.zeros(len(w)),
        ]
    )
    empty = ~(w > 0).any(axis=1)
    out[empty] = np.nan
    with np.errstate(divide="ignore"):
        out[:, 4] = 1.0 / out[:, 3]
    return out


def _named(summary_row: dict, metric: str) -> dict:
    """A :func:`engine.metrics.row` under another metric name (``top1_last``, ``top1_max``)."""
    return {**summary_row, "metric": metric}


def _frame(values: np.ndarray, index) -> pd.DataFrame:
    return pd.DataFrame(values, index=index, columns=list(COLUMNS))


@dataclass(frozen=True, eq=False)
class Concentration(Result):
    """Result of :func:`concentration`.

    Attributes
    ----------
    daily : DataFrame
        ``[date]`` x :data:`COLUMNS`.
    per_review : DataFrame
        One row per review: ``date`` (the index's effective date or the fund's review trade day),
        ``constituents`` (names with a positive weight), then :data:`COLUMNS`.
    kind : {"index", "fund"}
    name : str
        The index (or the index the fund tracks).
    """

    _figure = "concentration_figure"

    daily: pd.DataFrame
    per_review: pd.DataFrame
    kind: str
    name: str
    synthetic: bool = False
    meta: dict = field(default_factory=dict)

    @property
    def weights_measured(self) -> str:
        """What the weights are (every note quotes it)."""
        if self.kind == "index":
            return "index weights (end of day; per review: capped target weights on the cap date)"
        return "fund shares of the invested value (cash left out)"

    def to_frame(self) -> pd.DataFrame:
        """The daily table (:attr:`daily`); the review table is :attr:`per_review`."""
        return self.daily.copy()

    def summary(self) -> Summary:
        """The last day's measures, the largest ``top1`` and ``top5`` and the smallest
        ``effective_n`` over the run (dated)."""
        d = self.daily.dropna()
        last = d.index[-1]
        w = self.weights_measured
        rows = [_named(row(col, float(d.at[last, col]), note=f"on {last.date()}; {w}; "), f"{col}_last")
                for col in COLUMNS]  # fmt: skip
        for col, pick in (("top1", "idxmax"), ("top5", "idxmax"), ("effective_n", "idxmin")):
            at = getattr(d[col], pick)()
            end = "max" if pick == "idxmax" else "min"
            note = f"{'highest' if end == 'max' else 'lowest'} over the run, on {at.date()}; "
            rows.append(_named(row(col, float(d.at[at, col]), note=note), f"{col}_{end}"))
        rows.append(
            {"metric": "reviews", "value": len(self.per_review), "unit": "count", "note": w}
        )
        return Summary(rows, title=f"Concentration of the {self.kind} ({self.name}){self.tag}")

    def __repr__(self) -> str:
        return (
            f"Concentration({self.kind} {self.name}, {len(self.daily)} days, "
            f"{len(self.per_review)} reviews{self.tag})"
        )


def _index_tables(result) -> tuple[pd.DataFrame, pd.DataFrame]:
    w = result.weights
    daily = _frame(measures(w.to_numpy(dtype=float)), w.index)
    rows = []
    for review in result.schedule.reviews:
        t = review.table
        weights = t.loc[t["selected"], "weight"].to_numpy(dtype=float)
        rows.append((review.effective_date, int((weights > 0).sum()), *measures(weights)[0]))
    return daily, pd.DataFrame(rows, columns=["date", "constituents", *COLUMNS])


def _fund_tables(result) -> tuple[pd.DataFrame, pd.DataFrame]:
    held = result.holdings.fillna(0.0)
    price = result.prices.reindex(index=held.index, columns=held.columns).to_numpy(dtype=float)
    value = np.where(held.to_numpy() != 0, held.to_numpy() * price, 0.0)
    total = value.sum(axis=1, keepdims=True)
    w = np.divide(value, total, out=np.zeros_like(value), where=total > 0)
    daily = _frame(measures(w), held.index)
    trades = result.trades
    days = pd.DatetimeIndex(
        sorted(set(pd.to_datetime(trades.loc[trades["reason"] == "review", "date"])))
    )
    count = pd.Series((w > 0).sum(axis=1), index=held.index)
    per = daily.reindex(days)
    per.insert(0, "constituents", count.reindex(days).to_numpy())
    per.insert(0, "date", days)
    return daily, per.reset_index(drop=True)


def concentration(result) -> Concentration:
    """Concentration measures of an ``IndexResult`` or a ``FundResult``, per day and per review.

    Raises
    ------
    DataError
        ``result`` is neither (naming the argument and its type).
    """
    if hasattr(result, "schedule") and hasattr(result, "weights"):
        daily, per = _index_tables(result)
        kind, name = "index", str(result.name)
    elif hasattr(result, "holdings") and hasattr(result, "prices"):
        daily, per = _fund_tables(result)
        kind, name = "fund", str(getattr(result, "index_name", ""))
    else:
        what = "concentration needs an IndexResult or a FundResult"
        fix = "pass engine.build_index(...) or engine.fund.backtest(...)"
        raise DataError(what, field="result", value=type(result).__name__, fix=fix)
    daily.index.name = "date"
    return Concentration(
        daily=daily,
        per_review=per,
        kind=kind,
        name=name,
        synthetic=bool(getattr(result, "synthetic", False)),
        meta=Provenance.from_record(getattr(result, "meta", None) or {}).to_record(),
    )


__all__ = ["COLUMNS", "Concentration", "concentration", "measures"]
