"""Weights implied by an observed return series: a long-only, fully invested least-squares fit.

Given observed returns :math:`y_t` and constituent returns :math:`X_{t,i}` on the same dates,

.. math:: \\hat w = \\arg\\min_w \\lVert y - X w \\rVert_2^2 \\quad
          \\text{s.t.}\\quad w_i \\ge 0,\\ \\textstyle\\sum_i w_i = 1,

solved with SciPy's SLSQP from the NNLS solution of the augmented system
:math:`[X; \\lambda \\mathbf 1^T] w \\approx [y; \\lambda]` (``lambda`` large), which already meets
both constraints closely.  With ``window`` the fit is repeated on every ``step``-th trailing window.
Fit quality: :math:`R^2 = 1 - \\sum e_t^2 / \\sum (y_t - \\bar y)^2` and the annualised RMS of the
residual :math:`e = y - X\\hat w`.

A weight fitted on daily returns is the *return-weighted* exposure over the window: it drifts with
prices inside the window and cannot tell apart constituents that move together.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import minimize, nnls

from engine._display import Summary
from engine.conventions import DEFAULT, Conventions
from engine.errors import DataError, describe

PENALTY = 1e4
"""``lambda`` of the augmented NNLS start (scaled by the returns' size)."""


def _solve(y: np.ndarray, X: np.ndarray) -> np.ndarray:
    n = X.shape[1]
    lam = PENALTY * max(float(np.abs(X).max()), 1e-12)
    A = np.vstack([X, lam * np.ones((1, n))])
    b = np.r_[y, lam]
    w0, _ = nnls(A, b, maxiter=50 * n)
    w0 = np.clip(w0, 0, None)
    w0 = w0 / w0.sum() if w0.sum() > 0 else np.full(n, 1.0 / n)
    XtX, Xty = X.T @ X, X.T @ y
    res = minimize(
        lambda w: float(w @ XtX @ w - 2 * w @ Xty),
        w0,
        jac=lambda w: 2 * (XtX @ w - Xty),
        method="SLSQP",
        bounds=[(0.0, 1.0)] * n,
        constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1.0, "jac": lambda w: np.ones(n)}],
        options={"ftol": 1e-16, "maxiter": 500},
    )
    w = np.clip(res.x if res.success else w0, 0.0, None)
    return w / w.sum()


def _fit(y, X, w, periods):
    e = y - X @ w
    tss = float(((y - y.mean()) ** 2).sum())
    return {
        "r2": float("nan") if tss == 0 else 1.0 - float((e**2).sum()) / tss,
        "residual_rms": float(math.sqrt(np.mean(e**2) * periods)),
        "n": len(y),
    }


@dataclass(frozen=True, eq=False)
class ImpliedWeights:
    """Result of :func:`implied_weights`.

    Attributes
    ----------
    weights : DataFrame
        One row per fit (the window's last date; one row labelled by the last date without
        ``window``), one column per code; rows sum to 1, entries >= 0.
    fit : DataFrame
        Per fit: ``r2``, ``residual_rms`` (annualised), ``n`` (dates), ``start``.
    dropped : tuple of str
        Codes left out because their returns have gaps on the dates used.
    """

    weights: pd.DataFrame
    fit: pd.DataFrame
    dropped: tuple[str, ...] = ()
    window: int | None = None
    conventions: Conventions = DEFAULT
    meta: dict = field(default_factory=dict)

    @property
    def last(self) -> pd.Series:
        """The latest fit's weights, largest first."""
        return self.weights.iloc[-1].sort_values(ascending=False).rename("implied")

    def beside(self, reconstructed) -> pd.DataFrame:
        """The latest implied weights beside ``reconstructed`` (a Series by code, or an
        IndexResult, whose weights on the fit's last date are used); ``diff`` = implied - recon."""
        if hasattr(reconstructed, "weights"):
            from engine.analytics.compare import wide_panel

            w = wide_panel(reconstructed.weights)
            d = self.weights.index[-1]
            row = w.loc[w.index[w.index <= d][-1]] if (w.index <= d).any() else w.iloc[0]
            reconstructed = row.fillna(0.0)
        rec = pd.Series(reconstructed, dtype=float)
        codes = self.last.index.union(rec.index)
        out = pd.DataFrame(
            {
                "implied": self.last.reindex(codes, fill_value=0.0),
                "reconstructed": rec.reindex(codes, fill_value=0.0),
            }
        )
        out["diff"] = out["implied"] - out["reconstructed"]
        out = out[(out["implied"] > 1e-9) | (out["reconstructed"] > 1e-9)]
        return out.sort_values("implied", ascending=False)

    def to_frame(self) -> pd.DataFrame:
        """Long table ``date, code, weight`` joined with the fit figures."""
        long = self.weights.stack().rename("weight").reset_index()
        long.columns = ["date", "code", "weight"]
        return long.merge(self.fit, left_on="date", right_index=True)

    def summary(self) -> Summary:
        f = self.fit.iloc[-1]
        top = self.last.head(5)
        rows = [
            {"metric": "fits", "value": len(self.fit), "unit": "count"},
            {"metric": "window", "value": self.window or int(f["n"]), "unit": "count"},
            {
                "metric": "r2",
                "value": float(f["r2"]),
                "unit": "ratio",
                "against": "observed",
                "note": "1 - SSE/SST of the latest fit",
            },
            {
                "metric": "residual_rms",
                "value": float(f["residual_rms"]),
                "unit": "%",
                "against": "observed",
                "note": "sqrt(p * mean(e^2))",
            },
            {
                "metric": "codes_with_weight",
                "value": int((self.last > 1e-6).sum()),
                "unit": "count",
            },
            {
                "metric": "top_weights",
                "value": ", ".join(f"{c} {w:.1%}" for c, w in top.items()),
                "unit": "text",
            },
            {
                "metric": "dropped",
                "value": ", ".join(self.dropped) or "none",
                "unit": "text",
                "note": "codes with gaps on the dates used",
            },
        ]
        return Summary(rows, title="Implied weights")

    def plot(self, ax=None, reconstructed=None, top: int = 15):
        """Bar chart of the latest implied weights (beside ``reconstructed`` when given)."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(9, 4))
        frame = (
            self.beside(reconstructed) if reconstructed is not None else self.last.to_frame()
        ).head(top)
        cols = [c for c in ("implied", "reconstructed") if c in frame]
        frame[cols].plot.bar(ax=ax)
        ax.set_ylabel("weight")
        ax.set_title(f"Implied weights (R2 {self.fit['r2'].iloc[-1]:.3f})")
        return ax

    def __repr__(self) -> str:
        return (
            f"ImpliedWeights({len(self.fit)} fit(s), {self.weights.shape[1]} codes, "
            f"R2={self.fit['r2'].iloc[-1]:.4f})"
        )

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


def implied_weights(
    observed_returns: pd.Series,
    constituent_returns: pd.DataFrame,
    window: int | None = None,
    *,
    step: int = 1,
    conventions: Conventions = DEFAULT,
) -> ImpliedWeights:
    """Non-negative weights summing to one that best reproduce ``observed_returns``.

    Parameters
    ----------
    observed_returns
        Observed daily returns (a Series by date).
    constituent_returns
        ``[date, code]`` returns on the same calendar (align first, e.g. with
        :func:`engine.analytics.observed.align_calendars` on each price column).
    window
        Trailing window in dates for a rolling fit (None: one fit over all common dates).
    step
        Fit every ``step``-th window end.
    """
    y_all = pd.Series(observed_returns).astype(float).dropna()
    X_all = pd.DataFrame(constituent_returns).astype(float)
    dates = y_all.index.intersection(X_all.index)
    if len(dates) < 3:
        raise DataError(
            describe(
                "fewer than three common dates",
                source="implied_weights",
                fix="align the observed and constituent returns first",
            )
        )
    y_all, X_all = y_all.loc[dates], X_all.loc[dates]
    p = conventions.periods_per_year
    if window is not None and not (2 <= window <= len(dates)):
        raise DataError(
            describe(
                "window out of range", field="window", value=window, fix=f"use 2..{len(dates)}"
            )
        )
    ends = [len(dates)] if window is None else list(range(window, len(dates) + 1, max(1, step)))
    rows, fits, dropped = [], [], set()
    for e in ends:
        s = 0 if window is None else e - window
        X = X_all.iloc[s:e]
        ok = X.notna().all()
        dropped |= set(X.columns[~ok])
        X = X.loc[:, ok]
        y = y_all.iloc[s:e].to_numpy()
        w = _solve(y, X.to_numpy())
        rows.append(pd.Series(w, index=X.columns, name=dates[e - 1]))
        fits.append(_fit(y, X.to_numpy(), w, p) | {"start": dates[s]})
    W = pd.DataFrame(rows).reindex(columns=X_all.columns).fillna(0.0)
    W.index.name = "date"
    fit = pd.DataFrame(fits, index=W.index)
    return ImpliedWeights(
        weights=W, fit=fit, dropped=tuple(sorted(dropped)), window=window, conventions=conventions
    )


__all__ = ["ImpliedWeights", "implied_weights"]
