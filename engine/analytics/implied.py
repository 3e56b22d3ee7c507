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

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import minimize, nnls

from engine import metrics
from engine._display import Result, Summary
from engine._display import row as _row
from engine.conventions import DEFAULT, Conventions
from engine.errors import DataError

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


def _fit(y, X, w, conventions: Conventions):
    e = y - X @ w
    tss = float(((y - y.mean()) ** 2).sum())
    return {
        "r2": float("nan") if tss == 0 else 1.0 - float((e**2).sum()) / tss,
        "residual_rms": float(metrics.tracking_error(e, conventions, "rms")),
        "n": len(y),
    }


def _returns(x, name: str, *, frame: bool) -> pd.Series | pd.DataFrame:
    """Daily returns by date (a Series, or a ``[date, code]`` frame) as floats, checked: dates
    tz-naive at midnight, no text, no infinite value (the first bad cell named)."""
    obj = pd.DataFrame(x) if frame else pd.Series(x)
    try:
        idx = pd.DatetimeIndex(obj.index)
    except (TypeError, ValueError):
        raise DataError("the index is not made of dates", field=name) from None
    if idx.tz is not None or (idx != idx.normalize()).any():
        what = "dates carry a time zone or a time of day"
        fix = "give plain calendar dates"
        raise DataError(what, field=name, value=str(idx[0]), fix=fix)
    num = (
        obj.apply(pd.to_numeric, errors="coerce") if frame else pd.to_numeric(obj, errors="coerce")
    )
    bad_text = num.isna().to_numpy() & pd.notna(obj.to_numpy())
    bad_inf = np.isinf(num.to_numpy(dtype=float))
    for bad, what in ((bad_text, "a return is not a number"), (bad_inf, "a return is infinite")):
        if bad.any():
            pos = np.argwhere(bad.reshape(len(obj), -1))[0]
            code = obj.columns[pos[1]] if frame else None
            raise DataError(what, field=name, date=idx[pos[0]], code=code)
    num.index = idx
    return num.astype(float)


@dataclass(frozen=True, eq=False)
class ImpliedWeights(Result):
    """Result of :func:`implied_weights`.

    Attributes
    ----------
    weights : DataFrame
        One row per fit (the window's last date; one row labelled by the last date without
        ``window``), one column per code; rows sum to 1, entries >= 0.
    fit : DataFrame
        Per fit: ``r2``, ``residual_rms`` (annualised RMS of the residual,
        :func:`engine.metrics.tracking_error` ``method="rms"``), ``n`` (dates), ``start`` and
        ``dropped`` (the codes left out of that fit, comma-separated).
    dropped : tuple of str
        Codes left out of at least one fit because their returns have gaps on its dates (which
        window dropped which codes: the ``dropped`` column of :attr:`fit`).
    """

    _figure = "implied_figure"

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
        dropped = "codes with gaps on the dates of at least one fit (per fit: to_frame())"
        rows = [
            _row("fits", len(self.fit), "count"),
            _row("window", self.window or int(f["n"]), "count"),
            _row("r2", float(f["r2"]), "ratio", "observed", "1 - SSE/SST of the latest fit"),
            _row("residual_rms", float(f["residual_rms"]), "%", "observed", "sqrt(p * mean(e^2))"),
            _row("codes_with_weight", int((self.last > 1e-6).sum()), "count"),
            _row("top_weights", ", ".join(f"{c} {w:.1%}" for c, w in top.items()), "text"),
            _row("dropped", ", ".join(self.dropped) or "none", "text", note=dropped),
        ]
        return Summary(rows, title="Implied weights")

    def __repr__(self) -> str:
        return (
            f"ImpliedWeights({len(self.fit)} fit(s), {self.weights.shape[1]} codes, "
            f"R2={self.fit['r2'].iloc[-1]:.4f})"
        )


def _check_window_step(window, step, n_dates: int) -> None:
    if window is not None and (
        isinstance(window, bool)
        or not isinstance(window, int | np.integer)
        or not 2 <= window <= n_dates
    ):
        what = "window out of range"
        raise DataError(what, field="window", value=window, fix=f"use 2..{n_dates}")
    if isinstance(step, bool) or not isinstance(step, int | np.integer) or step < 1:
        raise DataError("step must be a whole number >= 1", field="step", value=step)


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
    y_all = _returns(observed_returns, "observed_returns", frame=False).dropna()
    X_all = _returns(constituent_returns, "constituent_returns", frame=True)
    dates = y_all.index.intersection(X_all.index)
    if len(dates) < 3:
        what = "fewer than three common dates"
        fix = "align the observed and constituent returns first"
        raise DataError(what, source="implied_weights", fix=fix)
    y_all, X_all = y_all.loc[dates], X_all.loc[dates]
    _check_window_step(window, step, len(dates))
    ends = [len(dates)] if window is None else list(range(window, len(dates) + 1, step))
    rows, fits = [], []
    for e in ends:
        s = 0 if window is None else e - window
        X = X_all.iloc[s:e]
        ok = X.notna().all()
        if not ok.any():
            raise DataError(
                "every constituent has a gap in this window: nothing to fit",
                source="implied_weights",
                date=dates[e - 1],
                field="constituent_returns",
            )
        X = X.loc[:, ok]
        y = y_all.iloc[s:e].to_numpy()
        w = _solve(y, X.to_numpy())
        rows.append(pd.Series(w, index=X.columns, name=dates[e - 1]))
        left_out = ", ".join(str(c) for c in X_all.columns[~ok.to_numpy()])
        fits.append(
            _fit(y, X.to_numpy(), w, conventions) | {"start": dates[s], "dropped": left_out}
        )
    W = pd.DataFrame(rows).reindex(columns=X_all.columns).fillna(0.0)
    W.index.name = "date"
    fit = pd.DataFrame(fits, index=W.index)
    dropped = {c for text in fit["dropped"] for c in text.split(", ") if c}
    return ImpliedWeights(
        weights=W, fit=fit, dropped=tuple(sorted(dropped)), window=window, conventions=conventions
    )


__all__ = ["ImpliedWeights", "implied_weights"]
