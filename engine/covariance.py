"""Covariance of daily returns: the one estimate the fund stage and analytics share (base layer).

For returns :math:`r_{s,i}` in the last :math:`n` = ``window`` rows (the newest last) and weights
:math:`\\omega_s` summing to one, the estimate is

.. math:: S_{ij} = \\frac{1}{1 - \\sum_s \\omega_s^2} \\sum_s \\omega_s (r_{s,i} - m_i)(r_{s,j} - m_j),
          \\qquad m_i = \\sum_s \\omega_s r_{s,i},

with :math:`\\omega_s = 1/n` for ``model="sample"`` (the bias correction is then the usual
:math:`n / (n - 1)`) and :math:`\\omega_s \\propto 2^{-(n-1-s)/h}` for ``model="ewma"`` with half-life
:math:`h` = ``halflife`` rows.  The unit is the returns' own (daily returns give a daily covariance;
multiply by the periods per year of :class:`engine.conventions.Conventions` to annualise).
The kernels are in :mod:`engine.covariance_nb`.
"""

from __future__ import annotations

import numpy as np

from engine import covariance_nb as nb
from engine.errors import DataError

MODELS = ("ewma", "sample")
"""Covariance models: exponentially weighted (half-life in rows) and equally weighted sample."""


def covariance(
    returns,
    model: str = "ewma",
    halflife: float = 60.0,
    window: int | None = 250,
) -> np.ndarray:
    """Covariance ``[k, k]`` of the rows of ``returns`` (``[t, k]``, time-major, newest row last).

    Parameters
    ----------
    returns
        Periodic returns as fractions, one column per security; a NaN is an error (fill or drop it
        first, and say how).
    model
        ``"ewma"`` (default) or ``"sample"``; see the module docstring.
    halflife
        EWMA half-life in rows (sessions for daily returns); ignored by ``"sample"``.
    window
        The last ``window`` rows are used (``None``: all rows).

    Returns
    -------
    numpy.ndarray
        ``float64[k, k]``, symmetric, in the returns' unit squared per period.

    Raises
    ------
    DataError
        Unknown ``model``, a ``halflife`` or ``window`` that is not positive, a ``window`` longer
        than the data or fewer than two rows, a NaN or infinite return (naming its row and column).
    """
    x = np.asarray(returns, dtype=np.float64)
    if x.ndim != 2:
        raise _fail("returns must be a 2-D [t, k] array", "returns", x.shape, "pass rows = dates")
    if model not in MODELS:
        raise _fail("unknown covariance model", "model", model, f"use one of {MODELS}")
    if model == "ewma" and (isinstance(halflife, bool) or not halflife > 0):
        raise _fail("halflife must be a positive number of rows", "halflife", halflife, "e.g. 60")
    n = x.shape[0] if window is None else window
    if isinstance(n, bool) or int(n) != n or n < 2:
        raise _fail("window must be a whole number of rows >= 2", "window", window, "e.g. 250")
    if n > x.shape[0]:
        raise _fail(
            "window is longer than the data",
            "window",
            window,
            f"use a window of at most {x.shape[0]} rows or pass more history",
        )
    x = np.ascontiguousarray(x[x.shape[0] - int(n) :])
    bad = np.argwhere(~np.isfinite(x))
    if len(bad):
        s, j = bad[0]
        raise DataError(
            "a return in the window is not finite",
            source="covariance",
            row=int(s) + (np.asarray(returns).shape[0] - int(n)),
            field=f"returns[:, {int(j)}]",
            value=float(x[s, j]),
            fix="fill or drop missing returns before estimating the covariance",
        )
    if model == "sample":
        return nb.sample_cov(x)
    return nb.ewma_cov(x, float(halflife))


def _fail(what: str, field: str, value, fix: str) -> DataError:
    return DataError(what, source="covariance", field=field, value=value, fix=fix)


__all__ = ["MODELS", "covariance"]
