"""Ex-ante (anticipated) tracking error: the risk the fund's book carries on a date.

Notation: on the close of date :math:`t` the fund holds :math:`w^f_i = h_i P_i / NAV^{HKD}` of its
net assets in code :math:`i` (:meth:`engine.fund.FundResult.weights`, column ``fund_nav``) and the
rest, :math:`w^f_{cash} = 1 - \\sum_i w^f_i`, as cash (with receivables less accrued fees and
payables); the index weighs :math:`w^b_i`: by default (``index_timing="next"``) the composition in
force from the next session valued at the close of :math:`t` (:func:`next_index_weights`), the
exposure carried into the next session; with ``"close"`` the end-of-day weights of :math:`t`
(:attr:`engine.index.IndexResult.weights`, carried by the fund run as ``FundResult.index_weights``).
The two differ only on the close before a review or a capital change takes effect.  Active weights :math:`a = w^f - w^b`; cash is an active
weight of its own, :math:`a_{cash} = w^f_{cash}`, with **zero variance** (it earns nothing over the
day in HKD), so it adds nothing to the TE and its contribution is 0, while the stocks' active
weights sum to :math:`-a_{cash}`.

With :math:`S` the covariance of the constituents' daily returns over the ``window`` sessions ending
at :math:`t` (:mod:`engine.analytics.exante_nb`: sample, EWMA or Ledoit-Wolf) and :math:`p`
periods per year (:class:`engine.conventions.Conventions`):

.. math:: TE = \\sqrt{p \\, a^\\top S a}, \\qquad
          m_i = \\frac{\\partial TE}{\\partial a_i} = \\frac{p (S a)_i}{TE}, \\qquad
          c_i = a_i m_i, \\qquad \\sum_i c_i = TE.

``m`` is the marginal and ``c`` the component contribution (both annualised, fractions of NAV).

**Returns** (:func:`constituent_returns`): close-to-close in HKD from the market's raw closes,
restated for the day's corporate actions as a holder sees them, gross of withholding:
:math:`r_t = (n_t (P_t + d_t) - c_t) / P_{t-1} - 1`, with :math:`n_t` the shares one share became
(split ratio; :math:`1 +` bonus or rights ratio), :math:`d_t` the cash dividend per share after the
capital change and :math:`c_t` the rights subscription paid per original share.  A **suspended**
day carries the previous close (:class:`engine.data.MarketData`), so its return is 0 and the day
trading resumes holds the whole move; the fund's NAV and the index mark it the same way, so the
realised tracking error sees the same returns.  A return that does not exist (before listing, after
delisting) is **NaN**; ``missing="zero"`` (the default, an assumption) counts it as 0 and reports
the count per code in :attr:`ExAnteRisk.missing` (a short history understates that code's
variance), ``missing="raise"`` refuses the window.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine import __version__
from engine._display import Result, Summary
from engine._display import row as _row
from engine.analytics import exante_nb as nb
from engine.analytics.tracking import DEFAULT_WINDOW, tracking
from engine.conventions import DEFAULT, Conventions
from engine.errors import DataError
from engine.metrics import row

MODELS = ("ewma", "sample", "ledoit-wolf", "ledoit-wolf-identity")
"""Covariance models: exponentially weighted (half-life in sessions), equally weighted sample,
Ledoit-Wolf shrinkage to constant correlation, Ledoit-Wolf shrinkage to the scaled identity."""
MISSING = ("zero", "raise")
"""What a NaN return inside the window becomes (see the module docstring)."""
TIMINGS = ("next", "close")
"""Which index weights a close's holdings are measured against (:func:`ex_ante` ``index_timing``)."""
CASH = "cash"
"""The row of the cash active weight in :attr:`ExAnteRisk.active_weights` and ``contributions``."""


# ------------------------------------------------------------------------------------------ returns
def constituent_returns(market, codes=None, *, income: bool = True) -> pd.DataFrame:
    """Daily close-to-close returns in HKD of ``codes`` (default all), restated for corporate actions.

    :math:`r_t = (n_t (P_t + d_t) - c_t) / P_{t-1} - 1` (module docstring); ``[date, code]``, the
    first session NaN, NaN where either close is missing.  Suspended days carry the close: return 0.
    ``income=False``: the capital-restated price ratio only, :math:`n_t P_t / P_{t-1} - 1` (no
    dividend, no rights payment), the change of :math:`q P` for index shares :math:`q` that follow
    the capital changes.
    """
    close = market.panel("close")
    if codes is not None:
        close = close[list(codes)]
    cols = {c: j for j, c in enumerate(close.columns)}
    n_shares = np.ones(close.shape)
    dividend = np.zeros(close.shape)
    paid = np.zeros(close.shape)
    act = market.actions
    if len(act):
        rows = market.dates.get_indexer(pd.DatetimeIndex(act["ex_date"]))
        kinds = act["kind"].to_numpy(dtype=object)
        code = act["code"].to_numpy(dtype=object)
        ratio, price, amount = (
            pd.to_numeric(act[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            for c in ("ratio", "price_hkd", "amount_hkd")
        )
        for k in np.argsort(kinds == "cash_dividend", kind="stable"):  # capital changes first
            j, t = cols.get(code[k]), rows[k]
            if j is None or t < 0:
                continue
            if kinds[k] == "split":
                n_shares[t, j] *= ratio[k]
            elif kinds[k] == "bonus":
                n_shares[t, j] *= 1.0 + ratio[k]
            elif kinds[k] == "rights":
                paid[t, j] += n_shares[t, j] * ratio[k] * price[k]
                n_shares[t, j] *= 1.0 + ratio[k]
            elif kinds[k] == "cash_dividend":
                dividend[t, j] += amount[k]
    if not income:
        dividend[:] = 0.0
        paid[:] = 0.0
    p = close.to_numpy(dtype=float)
    out = np.full(p.shape, np.nan)
    out[1:] = (n_shares[1:] * (p[1:] + dividend[1:]) - paid[1:]) / p[:-1] - 1.0
    return pd.DataFrame(out, index=close.index, columns=close.columns)


# ---------------------------------------------------------------------------------------- weights
def active_weight_panel(fund, dates, codes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fund NAV weights, index weights ``[date, code]`` and the cash weight ``[date]`` of ``fund`` on
    ``dates`` (the vectorised :meth:`engine.fund.FundResult.weights`, column ``fund_nav``)."""
    dates = pd.DatetimeIndex(dates)
    held = fund.holdings.reindex(index=dates, columns=codes, fill_value=0.0).fillna(0.0)
    price = fund.prices.reindex(index=dates, columns=codes)
    value = np.where(held.to_numpy() != 0, held.to_numpy() * price.to_numpy(dtype=float), 0.0)
    nav_hkd = fund.nav["nav_hkd"].reindex(dates).to_numpy(dtype=float)
    w_fund = value / nav_hkd[:, None]
    bench = fund.index_weights
    w_index = (
        np.zeros_like(w_fund)
        if bench is None
        else bench.reindex(index=dates, columns=codes).fillna(0.0).to_numpy(dtype=float)
    )
    return w_fund, w_index, 1.0 - w_fund.sum(axis=1)


def next_index_weights(fund, market, dates, codes, w_close: np.ndarray) -> np.ndarray:
    """Index weights for the session after each of ``dates``, at that date's close.

    :math:`w^{next}_{i,t} \\propto w_{i,t+1} / g_{i,t+1}` with :math:`g = n_{t+1} P_{t+1} / P_t` the
    capital-restated price ratio (:func:`constituent_returns` with ``income=False``): the index
    shares :math:`q_{t+1}` in force on the next session valued at the close of :math:`t`, i.e. the
    composition the fund is measured against from the next open (a review's new constituents on
    the close before it takes effect).  ``w_close`` is kept where the next session is not a day of
    the fund run (its last day).
    """
    rows = market.dates.get_indexer(pd.DatetimeIndex(dates)) + 1
    inside = rows < len(market.dates)
    nxt = market.dates[np.minimum(rows, len(market.dates) - 1)]
    bench = fund.index_weights
    have = inside & nxt.isin(bench.index)
    if not have.any():
        return w_close
    g = 1.0 + constituent_returns(market, codes, income=False).to_numpy()[rows[have]]
    g = np.where(np.isfinite(g) & (g > 0), g, 1.0)  # no close on t: the weight as it stands
    w = bench.reindex(index=nxt[have], columns=codes).fillna(0.0).to_numpy(dtype=float)
    w = np.where(w > 0, w / g, 0.0)
    total = w.sum(axis=1, keepdims=True)
    out = w_close.copy()
    out[have] = np.divide(w, total, out=np.zeros_like(w), where=total > 0)
    return out


def _codes(fund, market, dates) -> list[str]:
    """Codes held by the fund or in the index on any of ``dates`` or the session after each
    (column order of the fund run)."""
    held = fund.holdings.reindex(index=dates).fillna(0.0)
    used = set(held.columns[(held != 0).any(axis=0)])
    if fund.index_weights is not None:
        rows = np.minimum(market.dates.get_indexer(dates) + 1, len(market.dates) - 1)
        around = pd.DatetimeIndex(dates).union(market.dates[rows])
        iw = fund.index_weights.reindex(index=around).fillna(0.0)
        used |= set(iw.columns[(iw != 0).any(axis=0)])
    order = list(fund.prices.columns) if fund.prices is not None else sorted(used)
    codes = [c for c in order if c in used]
    unknown = sorted(set(codes) - set(market.codes))
    if unknown:
        raise _fail(
            "a fund code is not in the market", "market", unknown[0], "pass the fund's market"
        )
    return codes


# ------------------------------------------------------------------------------------- validation
def _fail(what: str, field: str, value, fix: str, **where) -> DataError:
    return DataError(what, source="ex_ante", field=field, value=value, fix=fix, **where)


def _check_settings(model, halflife, window, missing, index_timing) -> None:
    if model not in MODELS:
        raise _fail("unknown covariance model", "model", model, f"use one of {MODELS}")
    if isinstance(halflife, bool) or not (
        isinstance(halflife, int | float | np.integer | np.floating)
        and np.isfinite(halflife)
        and halflife > 0
    ):
        raise _fail(
            "the EWMA half-life must be a positive number of sessions",
            "halflife",
            halflife,
            "use e.g. halflife=60",
        )
    if isinstance(window, bool) or not isinstance(window, int | np.integer) or window < 2:
        raise _fail(
            "the covariance window must be an integer of at least 2 sessions",
            "window",
            window,
            "use e.g. window=250 (about one year of HKEX sessions)",
        )
    if missing not in MISSING:
        raise _fail("unknown missing-return rule", "missing", missing, f"use one of {MISSING}")
    if index_timing not in TIMINGS:
        raise _fail("unknown index timing", "index_timing", index_timing, f"use one of {TIMINGS}")


def _fund_date(fund, date) -> pd.Timestamp:
    nav = fund.nav.index
    if date is None:
        return nav[-1]
    ts = pd.Timestamp(date)
    if ts not in nav:
        raise _fail(
            "date is not a valuation day of the fund",
            "date",
            str(ts.date()),
            f"use a session between {nav[0].date()} and {nav[-1].date()}",
        )
    return ts


def _requested(fund, date, dates) -> pd.DatetimeIndex:
    """The dates asked for: ``date`` alone, every valuation day up to ``date`` (``"all"``), or a list."""
    end = _fund_date(fund, date)
    if dates is None:
        return pd.DatetimeIndex([end], name="date")
    if isinstance(dates, str):
        if dates != "all":
            raise _fail("unknown dates", "dates", dates, "use None, 'all' or a list of dates")
        nav = fund.nav.index
        return pd.DatetimeIndex(nav[nav <= end], name="date")
    out = pd.DatetimeIndex([_fund_date(fund, d) for d in dates], name="date").sort_values()
    if not len(out):
        raise _fail("no dates given", "dates", list(dates), "pass 'all' or at least one date")
    return out


def _market_rows(market, dates, window) -> np.ndarray:
    rows = market.dates.get_indexer(dates)
    if (rows < 0).any():
        bad = dates[rows < 0][0]
        raise _fail(
            "a fund date is not a session of the market",
            "market",
            str(bad.date()),
            "pass the market the fund was run on",
        )
    last = int(rows[-1])
    if last < window:
        raise _fail(
            f"the window is longer than the data: {last} daily return(s) end on "
            f"{dates[-1].date()}, {window} asked",
            "window",
            window,
            f"use window <= {last}, or a later date",
        )
    return rows.astype(np.int64)


def _window_returns(market, codes, rows, window: int, missing: str):
    """``(r, offset, nan_count)``: the returns of ``codes`` on every session any window ending at
    ``rows`` reads, missing ones filled (:func:`_fill_missing`), behind one dummy row so that ``r``
    row ``t - offset`` is market row ``t``; ``nan_count`` per code in the last window."""
    lo = max(1, int(rows[0]) - window + 1)
    end = int(rows[-1])
    raw = constituent_returns(market, codes).to_numpy()[lo : end + 1]
    filled = _fill_missing(raw, codes, market.dates[lo:], missing)
    r = np.vstack([np.zeros((1, len(codes))), filled])
    return r, lo - 1, np.isnan(raw[len(raw) - window :]).sum(axis=0)


def _fill_missing(x: np.ndarray, codes, dates, missing: str) -> np.ndarray:
    """``x`` with NaN returns as 0 (``missing="zero"``); :class:`DataError` naming the first (date,
    code) under ``"raise"``."""
    nan = np.isnan(x)
    if nan.any() and missing == "raise":
        t, j = np.argwhere(nan)[0]
        raise DataError(
            "a constituent has no return inside the covariance window",
            source="ex_ante",
            date=dates[t],
            code=codes[j],
            field="missing",
            value=missing,
            fix="pass missing='zero' to count it as 0 (reported per code), or a shorter window",
        )
    return np.where(nan, 0.0, x)


# --------------------------------------------------------------------------------------- covariance
def covariance(x: np.ndarray, model: str, halflife: float, ddof: int) -> tuple[np.ndarray, float]:
    """Daily covariance of the ``[T, N]`` return window ``x`` by ``model`` (:data:`MODELS`) and the
    Ledoit-Wolf shrinkage intensity (NaN for the other models); see :mod:`engine.analytics.exante_nb`."""
    x = np.ascontiguousarray(x, dtype=float)
    if model == "ewma":
        return nb.ew_cov(x, decay(halflife), ddof), float("nan")
    if model == "sample":
        return nb.ew_cov(x, 1.0, ddof), float("nan")
    cov, delta = nb.lw_cov(x, _target(model))
    return cov, float(delta)


def decay(halflife: float) -> float:
    """EWMA decay per session :math:`\\lambda = 2^{-1/h}` for a half-life of :math:`h` sessions."""
    return float(0.5 ** (1.0 / halflife))


def _target(model: str) -> int:
    return nb.TARGET_IDENTITY if model == "ledoit-wolf-identity" else nb.TARGET_CONSTANT_CORRELATION


def _daily_te(r, act, rows, model, halflife, window, ddof, p) -> np.ndarray:
    """Annualised ex-ante TE on each of ``rows`` (the compiled series kernels)."""
    if model in ("ewma", "sample"):
        lam = decay(halflife) if model == "ewma" else 1.0
        quad = nb.ew_quad_series(r, act, rows, lam, int(window), int(ddof))
    else:
        quad = nb.lw_quad_series(r, act, rows, int(window), _target(model))
    return np.sqrt(np.maximum(quad, 0.0) * p)


# ------------------------------------------------------------------------------------------- result
@dataclass(frozen=True, eq=False)
class ExAnteRisk(Result):
    """Result of :func:`ex_ante`: the ex-ante tracking error on :attr:`date` and its decomposition.

    Attributes
    ----------
    date : Timestamp
        The close whose holdings and covariance window are used.
    te : float
        :math:`\\sqrt{p \\, a^\\top S a}`, annualised, a fraction of NAV (0.01 = 1%).
    weights : DataFrame
        Per code (and ``cash``): ``fund_weight`` (share of NAV), ``index_weight``, ``active_weight``.
    active_weights : Series
        :math:`a`, by code, ``cash`` last.
    covariance : DataFrame
        :math:`S`, the **daily** covariance of daily HKD returns (multiply by
        :attr:`periods_per_year` to annualise); codes only (cash has zero variance).
    marginal, contributions : Series
        :math:`m_i = p (S a)_i / TE` and the component contributions :math:`c_i = a_i m_i` by code
        (``cash`` 0), annualised; ``contributions.sum() == te``.
    series : DataFrame
        ``[date]``: ``te_ex_ante`` (annualised) on every date asked for and, with more than one
        date, ``te_realised``: the realised rolling tracking error (STD, annualised, over
        ``realised_window`` sessions) of the NAV against the fund's benchmark.
    missing : Series
        Per code, the returns inside the window at :attr:`date` that did not exist (NaN) and were
        counted as 0 (``missing="zero"``); only codes with at least one.
    shrinkage : float
        Ledoit-Wolf intensity :math:`\\delta` at :attr:`date` (NaN for the other models).
    """

    _figure = "exante_figure"
    cash = CASH  # the cash row of the contributions, left out of the figure

    date: pd.Timestamp
    te: float
    weights: pd.DataFrame
    covariance: pd.DataFrame
    marginal: pd.Series
    contributions: pd.Series
    series: pd.DataFrame
    missing: pd.Series
    model: str
    halflife: float
    window: int
    periods_per_year: int
    shrinkage: float = float("nan")
    benchmark: str = "index weights"
    realised_benchmark: str = ""
    realised_window: int = DEFAULT_WINDOW
    index_timing: str = "next"
    synthetic: bool = False
    conventions: Conventions = DEFAULT
    meta: dict = field(default_factory=dict)

    @property
    def active_weights(self) -> pd.Series:
        """Active weights :math:`a = w^f - w^b` by code, ``cash`` last (they sum to 0)."""
        return self.weights["active_weight"]

    @property
    def settings(self) -> str:
        """The model, half-life, window and annualisation in words (every note quotes it)."""
        model = f"EWMA half-life {self.halflife:g} sessions" if self.model == "ewma" else self.model
        timing = "next session's" if self.index_timing == "next" else "closing"
        return (
            f"{model}, window {self.window} sessions to {self.date.date()}, "
            f"annualised sqrt({self.periods_per_year} a'Sa), daily HKD returns, "
            f"against the {timing} index weights"
        )

    def to_frame(self) -> pd.DataFrame:
        """Per code at :attr:`date` (``cash`` last): the weights, ``volatility`` (annualised
        :math:`\\sqrt{p S_{ii}}`), ``marginal``, ``component`` and ``share_of_te``
        (:math:`c_i / TE`); the daily series is :attr:`series`."""
        vol = np.sqrt(np.diag(self.covariance.to_numpy()) * self.periods_per_year)
        out = self.weights.copy()
        out["volatility"] = pd.Series(vol, index=self.covariance.index).reindex(out.index)
        out.loc[CASH, "volatility"] = 0.0
        out["marginal"] = self.marginal
        out["component"] = self.contributions
        out["share_of_te"] = self.contributions / self.te if self.te > 0 else np.nan
        out.index.name = "code"
        return out

    def summary(self) -> Summary:
        """The ex-ante TE against the index weights, cash and active share, the three largest
        component contributions, the shrinkage intensity and, for a series, the mean ex-ante TE
        against the mean realised TE."""
        note = self.settings
        a = self.weights["active_weight"]
        rows = [
            row("ex_ante_te", self.te, against=self.benchmark, note=f"{note}; "),
            _row("periods_per_year", self.periods_per_year, "count", "", "p in sqrt(p a'Sa)"),
            _row(
                "names",
                int(
                    ((self.weights["fund_weight"] != 0) | (self.weights["index_weight"] != 0))
                    .drop(CASH)
                    .sum()
                ),
                "count",
                "",
                f"codes held or in the index on {self.date.date()}",
            ),
            _row(
                "cash_weight",
                float(a[CASH]),
                "%",
                self.benchmark,
                "cash share of NAV: an active weight with zero variance",
            ),
            row("active_share", 0.5 * float(a.drop(CASH).abs().sum()), against=self.benchmark),
        ]
        for code in self.contributions.drop(CASH).abs().nlargest(3).index:
            c = float(self.contributions[code])
            rows.append(
                _row(
                    f"component_{code}",
                    c,
                    "%",
                    self.benchmark,
                    f"component contribution a_i m_i of {code} (annualised; components add up "
                    f"to the TE); active weight {float(a[code]):+.3%}"
                    + (f", {c / self.te:.1%} of the TE" if self.te > 0 else ""),
                )
            )
        if np.isfinite(self.shrinkage):
            rows.append(
                _row("shrinkage", self.shrinkage, "ratio", "", f"Ledoit-Wolf delta ({self.model})")
            )
        rows.append(
            _row(
                "codes_zero_filled",
                len(self.missing),
                "count",
                "",
                "codes with returns missing in the window, counted as 0 (assumption): "
                + (", ".join(f"{c} ({n})" for c, n in self.missing.items()) or "none"),
            )
        )
        rows += self._series_rows()
        return Summary(rows, title=f"Ex-ante tracking error on {self.date.date()}{self.tag}")

    def _series_rows(self) -> list[dict]:
        if len(self.series) < 2:
            return []
        s = self.series.dropna()
        span = f"{len(s)} days with both" + (
            f", {s.index[0].date()} to {s.index[-1].date()}" if len(s) else ""
        )
        anticipated = row(
            "ex_ante_te",
            float(s["te_ex_ante"].mean()),
            against=self.benchmark,
            note=f"anticipated, mean of the daily values; {span}; ",
        )
        realised = row(
            "tracking_error_std",
            float(s["te_realised"].mean()),
            against=self.realised_benchmark,
            note=f"realised, rolling over {self.realised_window} sessions, mean over the "
            "same days; ",
        )
        return [{**anticipated, "metric": "mean_ex_ante_te"},
                {**realised, "metric": "mean_realised_te"}]  # fmt: skip

    def __repr__(self) -> str:
        return (
            f"ExAnteRisk({self.date.date()}, TE {self.te:.2%} a year, {self.model}, "
            f"{len(self.covariance)} names, {len(self.series)} date(s){self.tag})"
        )


# ---------------------------------------------------------------------------------------- public
def ex_ante(
    fund,
    market,
    date=None,
    model: str = "ewma",
    halflife: float = 60,
    window: int = 250,
    dates=None,
    *,
    missing: str = "zero",
    index_timing: str = "next",
    realised_window: int = DEFAULT_WINDOW,
    conventions: Conventions = DEFAULT,
) -> ExAnteRisk:
    """Ex-ante tracking error of a fund's holdings against its index's weights.

    Parameters
    ----------
    fund : FundResult
        The fund run (:func:`engine.fund.backtest`); its ``index_weights`` are the benchmark weights.
    market : MarketData
        The market the fund ran on (closes and corporate actions give the returns).
    date : date-like, optional
        Valuation day (default: the fund's last); with ``dates`` the last day of the series.
    model : {"ewma", "sample", "ledoit-wolf", "ledoit-wolf-identity"}
        Covariance of the ``window`` daily returns ending at each date (:data:`MODELS`).
    halflife : float
        EWMA half-life in sessions (:math:`\\lambda = 2^{-1/h}`); checked for every model.
    window : int
        Sessions of returns in the covariance window.
    dates : None, "all" or list of dates
        ``"all"``: the daily ex-ante TE on every valuation day up to ``date`` (a compiled recursive
        EWMA, or a parallel Ledoit-Wolf per day), beside the realised rolling TE.
    missing : {"zero", "raise"}
        *Assumption*: what a non-existent return inside the window becomes (module docstring).
    index_timing : {"next", "close"}
        *Assumption*: the index weights the holdings at a close are measured against. ``"next"``
        (default): the composition in force from the next session, valued at that close
        (:func:`next_index_weights`), the exposure the fund carries into the next session; it
        differs from ``"close"`` (the index's end-of-day weights of that date,
        ``FundResult.index_weights``) only on the close before a review or a capital change takes
        effect, where a fund that trades at that close (``review_trade_timing="cap_date_close"``)
        already holds the new composition and ``"close"`` would show the review's whole weight
        change as active risk for one day.
    realised_window : int
        Sessions of the realised rolling TE shown beside a series.
    conventions : Conventions
        ``periods_per_year`` (annualisation) and ``ddof`` (sample and EWMA denominators).

    Raises
    ------
    DataError
        Naming the argument: a date outside the fund, a window longer than the data, an unknown
        model, a half-life that is not positive, a missing return under ``missing="raise"``.
    """
    _check_settings(model, halflife, window, missing, index_timing)
    requested = _requested(fund, date, dates)
    p = conventions.periods_per_year
    w = int(window)
    risk = _risk(fund, market, requested, model, halflife, w, missing, index_timing, conventions)
    realised_label = ""
    if len(requested) > 1:
        realised, realised_label = _realised(fund, requested, realised_window, conventions)
        risk["series"]["te_realised"] = realised
    index_name = str(getattr(fund, "index_name", "index") or "index").upper()
    return ExAnteRisk(
        **risk,
        model=model,
        halflife=float(halflife),
        window=int(window),
        periods_per_year=int(p),
        benchmark=f"{index_name} index weights",
        realised_benchmark=realised_label,
        realised_window=int(realised_window),
        index_timing=index_timing,
        synthetic=bool(getattr(fund, "synthetic", False) or getattr(market, "synthetic", False)),
        conventions=conventions,
        meta={"engine_version": __version__, "data_fingerprint": market.fingerprint()},
    )


def _risk(fund, market, dates, model, halflife, window: int, missing, index_timing, conventions):
    """The :class:`ExAnteRisk` fields measured on ``dates``: the last date's covariance, weights and
    TE decomposition, and the daily ex-ante TE (``series``) when there are several dates."""
    rows = _market_rows(market, dates, window)
    codes = _codes(fund, market, dates)
    r, offset, nan_count = _window_returns(market, codes, rows, window, missing)
    w_fund, w_index, cash = active_weight_panel(fund, dates, codes)
    if index_timing == "next" and fund.index_weights is not None:
        w_index = next_index_weights(fund, market, dates, codes, w_index)
    act = np.ascontiguousarray(w_fund - w_index)
    p, ddof = conventions.periods_per_year, conventions.ddof
    cov, delta = covariance(r[len(r) - window :], model, halflife, ddof)
    te_last, marginal, comp = decompose(cov, act[-1], p)
    series = pd.DataFrame({"te_ex_ante": [te_last]}, index=dates[-1:])
    if len(dates) > 1:
        daily = _daily_te(r, act, rows - offset, model, halflife, window, ddof, p)
        series = pd.DataFrame({"te_ex_ante": daily}, index=dates)
    weights = pd.DataFrame(
        {"fund_weight": w_fund[-1], "index_weight": w_index[-1], "active_weight": act[-1]},
        index=pd.Index(codes, name="code"),
    )
    weights.loc[CASH] = [cash[-1], 0.0, cash[-1]]
    return {
        "date": dates[-1],
        "te": te_last,
        "weights": weights,
        "covariance": pd.DataFrame(cov, index=codes, columns=codes),
        "marginal": pd.Series([*marginal, 0.0], index=weights.index, name="marginal"),
        "contributions": pd.Series([*comp, 0.0], index=weights.index, name="component"),
        "series": series,
        "missing": pd.Series(nan_count, index=codes)[lambda s: s > 0].astype(int),
        "shrinkage": delta,
    }


def decompose(cov: np.ndarray, active: np.ndarray, periods_per_year: int):
    """``(te, marginal, component)``: :math:`TE = \\sqrt{p a^\\top S a}`, :math:`m = p S a / TE`,
    :math:`c = a \\circ m` (marginal NaN and components 0 when :math:`TE = 0`)."""
    sa = cov @ active
    te = float(np.sqrt(max(float(active @ sa), 0.0) * periods_per_year))
    if te == 0.0:
        return te, np.full(len(active), np.nan), np.zeros(len(active))
    marginal = periods_per_year * sa / te
    return te, marginal, active * marginal


def _realised(fund, dates, window, conventions) -> tuple[np.ndarray, str]:
    """The realised rolling TE (STD) of the NAV per unit against the fund's benchmark in CNY."""
    bench = fund.benchmark_cny()
    nav = fund.nav["nav_per_unit_cny"].astype(float)
    if len(nav) <= window:
        return np.full(len(dates), np.nan), str(bench.name)
    tr = tracking(nav, bench, window=int(window), conventions=conventions)
    return tr.rolling["te_std"].reindex(dates).to_numpy(dtype=float), str(bench.name)


__all__ = [
    "CASH",
    "MISSING",
    "MODELS",
    "TIMINGS",
    "ExAnteRisk",
    "active_weight_panel",
    "constituent_returns",
    "next_index_weights",
    "covariance",
    "decay",
    "decompose",
    "ex_ante",
]
