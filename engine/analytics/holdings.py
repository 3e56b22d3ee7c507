"""Holding weights of a fund against its index, and the active share between them.

For a fund holding :math:`h_i` shares of code :math:`i` at close :math:`P_i` (HKD) and index weights
:math:`w^{idx}_i` on the same close:

* **fund weight** :math:`w^{fund}_i = h_i P_i / \\sum_j h_j P_j` (stock weights, cash excluded, so
  both columns sum to one);
* **active share** :math:`\\tfrac12 \\sum_i |w^{fund}_i - w^{idx}_i|` (a fraction of the invested
  value; 0 for identical holdings, 1 for disjoint ones), the same formula
  :attr:`engine.analytics.compare.IndexComparison.active_share` applies to two index runs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.analytics.compare import wide_panel
from engine.errors import DataError, EngineError


def holding_weights(
    fund_result, index_result, market=None, date=None
) -> tuple[pd.DataFrame, pd.Timestamp]:
    """Fund stock weights vs index weights per code at ``date`` (default: the last holdings date).

    Fund weight :math:`h_i P_i / \\sum_j h_j P_j` (shares times close in HKD, cash excluded so that both
    columns sum to one); index weight from ``index_result.weights``. Uses ``fund_result.weights(date)``
    when the fund result offers it, else the closes of ``market``.
    """
    own = getattr(fund_result, "weights", None)
    if callable(own):  # the FundResult's own view (it keeps the closes it traded at)
        ts = fund_result.nav.index[-1] if date is None else pd.Timestamp(date)
        try:
            w = own(ts)
        except (EngineError, AttributeError, KeyError, TypeError):
            w = None
        if isinstance(w, pd.DataFrame) and {"fund", "index"} <= set(w.columns):
            out = w[["fund", "index"]].astype(float).copy()
            out["diff"] = out["fund"] - out["index"]
            out.index.name = "code"
            return out.sort_values("index", ascending=False, kind="stable"), ts
    if market is None:
        what = "holding weights need the market's closes"
        fix = "pass market= to tracking_report"
        raise DataError(what, source="tracking_report", field="market", fix=fix)
    hold = wide_panel(fund_result.holdings, source="fund_result.holdings").fillna(0.0)
    if hold.empty:
        raise DataError("the fund has no holdings", source="fund_result.holdings")
    ts = hold.index[-1] if date is None else pd.Timestamp(date)
    if ts not in hold.index:
        what = "no holdings on this date"
        raise DataError(what, source="fund_result.holdings", date=ts)
    closes = market.panel("close").loc[ts]
    h = hold.loc[ts]
    h = h[h != 0]
    value = h * closes.reindex(h.index).to_numpy(dtype=float)
    if value.isna().any():
        bad = value.index[value.isna()][0]
        raise DataError("held security has no close", source="market", date=ts, code=bad)
    w_fund = value / value.sum() if value.sum() > 0 else value * 0.0
    iw = wide_panel(index_result.weights, source="index_result.weights")
    w_index = iw.loc[ts].fillna(0.0) if ts in iw.index else pd.Series(dtype=float)
    codes = w_fund.index.union(w_index[w_index != 0].index)
    out = pd.DataFrame(
        {
            "fund": w_fund.reindex(codes, fill_value=0.0),
            "index": w_index.reindex(codes, fill_value=0.0),
        }
    )
    out["diff"] = out["fund"] - out["index"]
    out.index.name = "code"
    return out.sort_values("index", ascending=False, kind="stable"), ts


def active_share(weights: pd.DataFrame) -> float:
    """:math:`\\tfrac12 \\sum_i |w^{fund}_i - w^{idx}_i|` of a :func:`holding_weights` frame
    (columns ``fund`` and ``index``, fractions); a fraction of the invested value, against the index
    weights."""
    return float(0.5 * np.abs(weights["fund"] - weights["index"]).sum())


__all__ = ["active_share", "holding_weights"]
