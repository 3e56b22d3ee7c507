"""What a review costs to trade: passive demand at each index review against the market's liquidity.

At review :math:`r` with effective session :math:`e`, an index fund trades at the close of the session
before, :math:`t = e - 1` (the last close of the old composition).  With :math:`q^{old}_i` the index
shares in force on :math:`t`, :math:`q^{new}_i` those in force on :math:`e` and :math:`P_{i,t}` the
close on :math:`t` (HKD):

====================  =======================================================================
weight before          :math:`w^{old}_i = q^{old}_i P_{i,t} / \\sum_j q^{old}_j P_{j,t}`
weight after           :math:`w^{new}_i = q^{new}_i P_{i,t} / \\sum_j q^{new}_j P_{j,t}`
value to trade (HKD)   :math:`V_i = A_t \\, |w^{new}_i - w^{old}_i|`, :math:`A_t` tracked assets in HKD
ADV (HKD)              :math:`\\bar D_i = \\mathrm{mean}(D_{i,t-W}, \\dots, D_{i,t-1})`, traded value
days to trade          :math:`V_i / (\\pi \\, \\bar D_i)`, :math:`\\pi` the participation rate
impact                 :math:`k \\, \\sigma_i \\sqrt{V_i / \\bar D_i}` (square-root model), in bp
impact cost (HKD)      :math:`V_i \\cdot k \\, \\sigma_i \\sqrt{V_i / \\bar D_i}`
====================  =======================================================================

:math:`\\sigma_i` is the standard deviation of the code's daily close-to-close returns over the
``vol_window`` sessions before :math:`t` (sample, ddof=1, not annualised), leaving out suspended days
and the ex-dates of splits, bonus and rights issues (raw closes jump there).  A code with no traded
value in the ADV window (suspended throughout) has infinite days to trade and no impact estimate
(NaN); ``names_without_adv`` counts them and the impact costs summed per review leave them out.
:math:`q^{new}` is read on :math:`e`, so a split or bonus issue with its ex-date on the effective
date itself would show as a weight change (assumption: rare; pricing both compositions at the same
close keeps every other change exact).  Tracked assets
:math:`A_t` are the fund's NAV on :math:`t` in HKD (``nav_hkd``, else ``nav_cny / fx``) or, with
``aum_cny``, that amount (all money tracking the index) converted at the market's fixing on
:math:`t`: :math:`A_t = aum^{CNY} / fx_t` (CNY per HKD).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine import metrics
from engine._display import Provenance, Result, Summary
from engine._display import row as _row
from engine._settings import Interval, Settings, Whole, setting
from engine.errors import DataError

CAPITAL_CHANGES = ("split", "bonus", "rights")
"""Corporate-action kinds whose ex-date return is left out of the volatility (raw closes jump)."""

COLUMNS = (
    "review",
    "trade_date",
    "code",
    "weight_before",
    "weight_after",
    "weight_change",
    "side",
    "value_to_trade_hkd",
    "adv_hkd",
    "adv_sessions",
    "days_to_trade",
    "daily_vol",
    "impact_bp",
    "impact_cost_hkd",
    "over_one_day",
)


@dataclass(frozen=True)
class CapacitySettings(Settings):
    """Settings of :func:`capacity`; every one is an assumption of the desk, not a rule."""

    _error = DataError

    participation: float = setting(
        0.2, Interval(0.0, 1.0, lo_open=True, fix="use a share of the day's traded value, e.g. 0.2")
    )
    """Share of a day's traded value the fund takes, in (0, 1] (assumption: a common desk limit of
    20% of the day's value; the fund's own limit is not published)."""
    adv_window: int = setting(20, Whole(1, fix="use e.g. 20 sessions (a month)"))
    """Sessions of traded value averaged for the ADV, ending the session before the trade date
    (assumption: about one month)."""
    vol_window: int = setting(60, Whole(2, fix="use e.g. 60 sessions (a quarter)"))
    """Sessions of daily returns for the volatility of the impact model, ending the session before
    the trade date (assumption: about one quarter)."""
    impact_coefficient: float = setting(
        1.0, Interval(0.0, math.inf, hi_open=True, fix="use e.g. 1.0")
    )
    """:math:`k` of the square-root impact model :math:`k \\sigma \\sqrt{V / ADV}` (assumption: of order
    one, as published fits of the square-root law find; not calibrated on HKEX trades)."""


# ------------------------------------------------------------------------------------------ pieces
def _check_aum(aum_cny) -> float | None:
    if aum_cny is None:
        return None
    ok = isinstance(aum_cny, int | float | np.floating | np.integer) and not isinstance(
        aum_cny, bool
    )
    if not ok or not np.isfinite(aum_cny) or aum_cny <= 0:
        what = "tracked assets must be a positive amount in CNY"
        fix = "pass the assets of all funds tracking the index, e.g. aum_cny=1.6e9"
        raise DataError(what, field="aum_cny", value=aum_cny, fix=fix)
    return float(aum_cny)


def _assets_hkd(trade_date, aum_cny, fund, fx: pd.Series) -> float:
    """Tracked assets on ``trade_date`` in HKD (NaN when the fund has no NAV that day)."""
    if aum_cny is not None:
        rate = float(fx.get(trade_date, np.nan))
        if not np.isfinite(rate) or rate <= 0:
            raise DataError(
                "no HKD->CNY fixing on the trade date",
                source="market.fx",
                date=trade_date,
                field="fx",
                value=rate,
                fix="supply a fixing for every session",
            )
        return aum_cny / rate
    nav = fund.nav
    if trade_date not in nav.index:
        return float("nan")
    row = nav.loc[trade_date]
    if "nav_hkd" in nav.columns:
        return float(row["nav_hkd"])
    return float(row["nav_cny"]) / float(row["fx"])


def _vol_mask(market, closes: pd.DataFrame) -> np.ndarray:
    """``[day, code]`` True where a daily return is unusable: suspended days, capital-change ex-dates."""
    bad = np.zeros(closes.shape, dtype=bool)
    try:
        susp = market.panel("suspended").reindex(index=closes.index, columns=closes.columns)
        bad |= susp.fillna(False).to_numpy(dtype=bool)
    except (KeyError, AttributeError, DataError):
        pass
    actions = getattr(market, "actions", None)
    if isinstance(actions, pd.DataFrame) and len(actions):
        cap = actions[actions["kind"].isin(CAPITAL_CHANGES)]
        rows = closes.index.get_indexer(pd.DatetimeIndex(cap["ex_date"]))
        cols = closes.columns.get_indexer(cap["code"].astype(str))
        ok = (rows >= 0) & (cols >= 0)
        bad[rows[ok], cols[ok]] = True
    return bad


def _review_rows(review, k, dates, shares, closes, assets_hkd, liq, settings) -> pd.DataFrame:
    """One review's rows: weights before/after at the trade-date close, value, ADV, days, impact."""
    t = dates[k - 1]
    q_old = shares.iloc[k - 1].to_numpy(dtype=float)
    q_new = shares.iloc[k].to_numpy(dtype=float)
    q_old = np.nan_to_num(q_old)
    q_new = np.nan_to_num(q_new)
    held = (q_old > 0) | (q_new > 0)
    codes = shares.columns[held]
    price = closes.loc[t].reindex(codes).to_numpy(dtype=float)
    if not np.all(np.isfinite(price) & (price > 0)):
        bad = codes[~(np.isfinite(price) & (price > 0))][0]
        what = "a constituent has no close on the trade date"
        fix = "fill the close (a suspended day carries the previous close)"
        raise DataError(what, source="market close", date=t, code=bad, fix=fix)
    mv_old = q_old[held] * price
    mv_new = q_new[held] * price
    w_old = mv_old / mv_old.sum()
    w_new = mv_new / mv_new.sum()
    dw = w_new - w_old
    value = assets_hkd * np.abs(dw)
    adv, n_adv, vol = (x.reindex(codes).to_numpy(dtype=float) for x in liq)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(adv > 0, value / adv, np.where(value > 0, np.inf, 0.0))
        days = ratio / settings.participation
        # no traded value in the window: days to trade is inf, the impact model has no answer (NaN)
        impact = np.where(adv > 0, settings.impact_coefficient * vol * np.sqrt(ratio), np.nan)
    return pd.DataFrame(
        {
            "review": review.effective_date,
            "trade_date": t,
            "code": np.asarray(codes, dtype=str),
            "weight_before": w_old,
            "weight_after": w_new,
            "weight_change": dw,
            "side": np.where(dw > 0, "buy", np.where(dw < 0, "sell", "none")),
            "value_to_trade_hkd": value,
            "adv_hkd": adv,
            "adv_sessions": n_adv,
            "days_to_trade": days,
            "daily_vol": vol,
            "impact_bp": impact * 1e4,
            "impact_cost_hkd": value * impact,
            "over_one_day": days > 1.0,
        }
    )


def _liquidity(pos: int, traded: np.ndarray, rets: np.ndarray, codes, settings):
    """ADV (HKD), the sessions it averaged, and the daily volatility, over windows ending at ``pos - 1``."""
    lo = max(0, pos - settings.adv_window)
    win = traded[lo:pos]
    n = np.sum(np.isfinite(win), axis=0)
    with np.errstate(invalid="ignore"):
        adv = np.where(n > 0, np.nansum(win, axis=0) / np.maximum(n, 1), np.nan)
    r = rets[max(0, pos - settings.vol_window) : pos]  # returns of sessions pos-W .. pos-1
    # sample std (ddof=1, not annualised) of each code's usable returns; pandas skips the masked
    # ones (engine.metrics.std takes complete columns only) and gives NaN below two
    vol = pd.DataFrame(r).std(ddof=1).to_numpy(dtype=float)
    idx = pd.Index(codes)
    return (pd.Series(adv, idx), pd.Series(n, idx), pd.Series(vol, idx))


def _daily_returns(market, closes: pd.DataFrame) -> np.ndarray:
    """``[day, code]`` close-to-close returns, NaN on the first day and where :func:`_vol_mask` says."""
    c = closes.to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rets = np.vstack([np.full((1, c.shape[1]), np.nan), c[1:] / c[:-1] - 1.0])
    rets[_vol_mask(market, closes)] = np.nan
    return rets


def _evaluate(index, market, aum, fund, settings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The per-review, per-code table and the reviews skipped (``review, reason``)."""
    dates = pd.DatetimeIndex(index.levels.index)
    shares = index.index_shares.reindex(dates)
    closes = market.panel("close")
    traded = market.panel("traded_value").reindex(index=closes.index, columns=closes.columns)
    traded_np = traded.to_numpy(dtype=float)
    rets = _daily_returns(market, closes)
    parts, skipped = [], []
    for review in index.schedule.reviews:
        e = pd.Timestamp(review.effective_date)
        k = dates.get_indexer([e])[0]
        if k <= 0:
            first = "first session of the index (no composition before)"
            skipped.append({"review": e, "reason": first if k == 0 else "not in the index run"})
            continue
        t = dates[k - 1]
        assets = _assets_hkd(t, aum, fund, market.fx)
        if not np.isfinite(assets):
            why = f"the fund has no NAV on the trade date {t.date()}"
            skipped.append({"review": e, "reason": why})
            continue
        pos = closes.index.get_indexer([t])[0]
        liq = _liquidity(pos, traded_np, rets, closes.columns, settings)
        rows = _review_rows(review, k, dates, shares, closes, assets, liq, settings)
        rows.insert(2, "tracked_assets_hkd", assets)
        parts.append(rows)
    table = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=[*COLUMNS[:2], "tracked_assets_hkd", *COLUMNS[2:]])
    )
    return table, pd.DataFrame(skipped, columns=["review", "reason"])


# ------------------------------------------------------------------------------------------ entry
def capacity(
    index,
    market,
    aum_cny: float | None = None,
    participation: float = 0.2,
    fund=None,
    adv_window: int = 20,
    impact_coefficient: float = 1.0,
    *,
    vol_window: int = 60,
) -> RebalanceCapacity:
    """Passive demand at every review of ``index``: value to trade, ADV, days to trade, impact.

    Parameters
    ----------
    index : IndexResult
        Its ``index_shares`` (``[date, code]``) give the compositions before and after each review.
    market : MarketData
        Closes, traded value (HKD), suspensions, corporate actions and the HKD->CNY fixing.
    aum_cny : float, optional
        All money tracking the index, in CNY, the same at every review.  Takes precedence over
        ``fund``.
    participation : float
        Share of each day's traded value taken, in (0, 1] (assumption, :class:`CapacitySettings`).
    fund : FundResult, optional
        Tracked assets = the fund's NAV on each trade date in HKD.  Reviews whose trade date the fund
        did not live through are left out and listed in ``skipped``.
    adv_window, vol_window : int
        Sessions averaged for the ADV and for the daily volatility (assumptions).
    impact_coefficient : float
        :math:`k` of the square-root model (assumption).

    Neither ``aum_cny`` nor ``fund``: a :class:`DataError` naming both (a value to trade needs
    assets; there is no silent default).  The first review (the base composition, bought from cash)
    has no composition before it and is listed in ``skipped``.

    Returns
    -------
    RebalanceCapacity
        ``to_frame()``: one row per review and code (:data:`COLUMNS`); ``by_review``; ``summary()``.
    """
    settings = CapacitySettings(
        participation=participation,
        adv_window=adv_window,
        vol_window=vol_window,
        impact_coefficient=impact_coefficient,
    )
    aum = _check_aum(aum_cny)
    if aum is None and fund is None:
        what = "capacity needs the tracked assets"
        fix = "pass fund=<FundResult> (its NAV at each review) or aum_cny=<CNY amount>"
        raise DataError(what, field="aum_cny / fund", fix=fix)
    table, skipped = _evaluate(index, market, aum, fund, settings)
    return RebalanceCapacity(
        table=table,
        settings=settings,
        basis=(
            f"aum_cny = {aum:,.0f} CNY at each trade date's fixing"
            if aum is not None
            else "the fund's NAV on each trade date (HKD)"
        ),
        skipped=skipped,
        index_name=str(getattr(index, "name", "index")),
        synthetic=bool(getattr(index, "synthetic", False) or getattr(market, "synthetic", False)),
        meta=Provenance.of(index, getattr(fund, "config", None), market).to_record(),
    )


# ------------------------------------------------------------------------------------------ result
@dataclass(frozen=True, eq=False)
class RebalanceCapacity(Result):
    """Passive demand at each review (see the module docstring for every formula).

    Attributes
    ----------
    table : DataFrame
        One row per review and code: ``review, trade_date, tracked_assets_hkd`` and :data:`COLUMNS`.
    settings : CapacitySettings
    basis : str
        What the tracked assets are (the fund's NAV, or ``aum_cny``).
    skipped : DataFrame
        ``review, reason`` of each review not evaluated.
    """

    _figure = "capacity_figure"

    table: pd.DataFrame
    settings: CapacitySettings
    basis: str
    skipped: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["review", "reason"])
    )
    index_name: str = "index"
    synthetic: bool = False
    meta: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The per-review, per-code table (a copy)."""
        return self.table.copy()

    def review(self, date) -> pd.DataFrame:
        """Rows of the review effective on ``date``, largest days to trade first."""
        ts = pd.Timestamp(date)
        rows = self.table[self.table["review"] == ts]
        if rows.empty:
            known = sorted({d.date().isoformat() for d in self.table["review"]})
            what = "no evaluated review is effective on this date"
            raise DataError(what, field="date", date=ts, fix=f"use one of {known}")
        return rows.sort_values("days_to_trade", ascending=False, kind="stable").reset_index(
            drop=True
        )

    @property
    def by_review(self) -> pd.DataFrame:
        """One row per review: tracked assets, one-way turnover :math:`\\tfrac12 \\sum_i |\\Delta w_i|`,
        value to trade (sum, HKD), names traded, names over one day, the largest days to trade and
        its code, names without traded value in the ADV window, impact cost (HKD, those names left
        out) and the value-weighted impact (bp)."""
        t = self.table
        if t.empty:
            return pd.DataFrame()
        g = t.groupby("review", sort=True)
        worst = t.loc[g["days_to_trade"].idxmax().dropna().astype(int)].set_index("review")
        out = pd.DataFrame(
            {
                "trade_date": g["trade_date"].first(),
                "tracked_assets_hkd": g["tracked_assets_hkd"].first(),
                "one_way_turnover": pd.Series(
                    {
                        r: metrics.one_way_turnover(x["weight_before"], x["weight_after"])
                        for r, x in g
                    }
                ),
                "value_to_trade_hkd": g["value_to_trade_hkd"].sum(),
                "names_traded": g["value_to_trade_hkd"].apply(lambda x: int((x > 0).sum())),
                "names_over_one_day": g["over_one_day"].sum().astype(int),
                "names_without_adv": g["adv_hkd"].apply(lambda x: int((~(x > 0)).sum())),
                "max_days_to_trade": g["days_to_trade"].max(),
                "max_days_code": worst["code"],
                "impact_cost_hkd": g["impact_cost_hkd"].sum(),
            }
        )
        priced = t["value_to_trade_hkd"].where(t["impact_cost_hkd"].notna(), 0.0)
        denom = priced.groupby(t["review"]).sum()
        out["impact_bp_value_weighted"] = out["impact_cost_hkd"] / denom.where(denom > 0) * 1e4
        return out

    @property
    def largest_review(self) -> pd.Timestamp | None:
        """The review with the largest value to trade (None when no review was evaluated)."""
        br = self.by_review
        return None if br.empty else pd.Timestamp(br["value_to_trade_hkd"].idxmax())

    def summary(self) -> Summary:
        """Reviews evaluated, the worst review and code by days to trade, names over one day, the
        largest review's value and impact cost, and the assumptions (participation, windows, k)."""
        s, row = self.settings, metrics.row
        rows = [
            _row(
                "reviews",
                self.table["review"].nunique(),
                "count",
                note=f"reviews evaluated; {len(self.skipped)} skipped (see .skipped)",
            ),
            _row(
                "tracked_assets",
                self.basis,
                "text",
                note="value to trade = tracked assets x |weight after - weight before|",
            ),
        ]
        br = self.by_review
        if not br.empty:
            worst = br["max_days_to_trade"].idxmax()
            big = self.largest_review
            at = f"at the review of {big.date()}; "
            rows += [
                row(
                    "max_days_to_trade",
                    float(br.at[worst, "max_days_to_trade"]),
                    note=f"at {s.participation:.0%} of ADV, code {br.at[worst, 'max_days_code']} "
                    f"at the review of {worst.date()}; ",
                ),
                row("names_over_one_day", int(br["names_over_one_day"].sum())),
                row("names_without_adv", int(br["names_without_adv"].sum())),
                row("largest_review_value_hkd", float(br.at[big, "value_to_trade_hkd"]), note=at),
                row(
                    "largest_review_impact_cost_hkd",
                    float(br.at[big, "impact_cost_hkd"]),
                    note=at + "assumption: the square-root model; ",
                ),
                row(
                    "largest_review_impact",
                    float(br.at[big, "impact_bp_value_weighted"]) / 1e4,
                    note=at,
                ),
            ]
        docs = {
            "participation": ("%", "share of each day's traded value taken"),
            "adv_window": ("count", "sessions of traded value in the ADV, before the trade date"),
            "vol_window": ("count", "sessions of daily returns in the volatility, before it"),
            "impact_coefficient": ("ratio", "k in impact = k * daily vol * sqrt(value / ADV)"),
        }
        rows += [_row(k, getattr(s, k), u, note=f"{d} (assumption)") for k, (u, d) in docs.items()]
        return Summary(rows, title=f"Rebalance capacity of {self.index_name.upper()}{self.tag}")

    def plot(self, review=None, ax=None):
        """Days to trade per review, or per code at ``review`` (a date)
        (:func:`engine.plotting.capacity_figure`); returns the ``Axes``."""
        return super().plot(ax=ax, review=review)

    def __repr__(self) -> str:
        n = self.table["review"].nunique()
        over = int(self.table["over_one_day"].sum()) if len(self.table) else 0
        return (
            f"RebalanceCapacity({n} reviews of {self.index_name}, {over} names over one day at "
            f"{self.settings.participation:.0%} of ADV{self.tag})"
        )


__all__ = ["COLUMNS", "CapacitySettings", "RebalanceCapacity", "capacity"]
