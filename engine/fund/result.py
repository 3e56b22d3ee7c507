"""`FundResult`: NAV, units, holdings, trades, costs, cash and events of one ETF simulation."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from engine.conventions import annualise_return
from engine.errors import DataError, describe


@dataclass(frozen=True, eq=False)
class FundResult:
    """Output of :func:`engine.fund.backtest`.

    Attributes
    ----------
    nav : DataFrame
        ``[date]``: ``nav_cny``, ``nav_per_unit_cny``, ``units``, ``value_hkd`` (holdings at the close),
        ``cash_hkd``, ``cash_cny``, ``fx`` (CNY per HKD used), ``nav_hkd``, ``receivable_hkd``
        (dividends after their ex-date, before their pay date), ``accrued_fees_hkd``, ``payable_hkd``
        (redemptions not yet paid) and ``flow_units``.
        :math:`NAV^{HKD} = value + cash + receivable - accrued - payable`, :math:`NAV^{CNY} = NAV^{HKD} fx`.
    holdings : DataFrame
        ``[date, code]`` shares held at each close (codes ever held).
    trades : DataFrame
        One row per trade in execution order: ``date, code, side, shares, price_hkd, value_hkd,
        cost_hkd, cash_after_hkd, reason`` (``inception``, ``review``, ``creation``, ``redemption``,
        ``rights``, ``fee``, ``deletion``, ``reinvest``).
    costs : DataFrame
        ``[date, kind]`` costs in CNY (kinds: :data:`engine.fund.config.COST_KINDS`).
    cash : DataFrame
        ``[date]`` cash balance and the day's cash movements in HKD (subscriptions, redemptions paid,
        dividends received, fees paid, buys, sells, trading costs, rights paid, cash in lieu).
    events : DataFrame
        Corporate actions applied to the holdings: ``date, code, kind, shares_before, shares_after,
        cash_hkd``.
    """

    nav: pd.DataFrame
    holdings: pd.DataFrame
    trades: pd.DataFrame
    costs: pd.DataFrame
    cash: pd.DataFrame
    events: pd.DataFrame
    config: object
    index_name: str
    synthetic: bool
    index_levels: pd.DataFrame = field(repr=False, default=None)
    index_weights: pd.DataFrame = field(repr=False, default=None)
    prices: pd.DataFrame = field(repr=False, default=None)
    meta: dict = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ views
    def to_frame(self) -> pd.DataFrame:
        """The NAV frame plus the index levels rebased to the fund's first NAV per unit
        (``index_price``, ``index_gross``, ``index_net``), ``benchmark_cny`` (the gross index at the
        fund's fixing, :math:`G_t / G_0 \\cdot fx_t / fx_0`, rebased the same way; the likely benchmark
        of 520500) and the day's total cost in CNY (``costs_cny``)."""
        out = self.nav.copy()
        if self.index_levels is not None:
            start = float(self.nav["nav_per_unit_cny"].iloc[0])
            for variant in self.index_levels.columns:
                lv = self.index_levels[variant]
                out[f"index_{variant}"] = lv / lv.iloc[0] * start
            if "gross" in self.index_levels:
                fx = self.nav["fx"]
                out["benchmark_cny"] = out["index_gross"] * fx / fx.iloc[0]
        out["costs_cny"] = self.costs.sum(axis=1)
        return out

    def total_costs(self) -> pd.Series:
        """Costs by kind over the whole run, in CNY."""
        return self.costs.sum(axis=0).rename("cost_cny")

    def summary(self) -> pd.Series:
        """Start/end dates and NAV per unit, total return, annualised return :math:`(1 + R)^{p/n} - 1`
        (:math:`n` daily returns, :math:`p` sessions per year:
        :func:`engine.conventions.annualise_return`), the index's gross total return over the same
        sessions in HKD (``index_gross_return_hkd``, for information) and converted to CNY at the fund's
        fixings (``benchmark_return_cny``) with the fund's tracking difference against the latter (a
        like-for-like currency comparison), costs by kind (CNY), final units and the final cash weight."""
        nav = self.nav
        start, end = float(nav["nav_per_unit_cny"].iloc[0]), float(nav["nav_per_unit_cny"].iloc[-1])
        out: dict[str, object] = {
            "index": self.index_name,
            "synthetic": bool(self.synthetic),
            "start": nav.index[0],
            "end": nav.index[-1],
            "sessions": len(nav),
            "start_nav_per_unit_cny": start,
            "end_nav_per_unit_cny": end,
            "total_return": end / start - 1.0,
            "annualised_return": annualise_return(end / start - 1.0, len(nav) - 1),
        }
        if self.index_levels is not None and "gross" in self.index_levels:
            g = self.index_levels["gross"]
            out["index_gross_return_hkd"] = float(g.iloc[-1] / g.iloc[0] - 1.0)
            fx = nav["fx"]
            bench = float(g.iloc[-1] / g.iloc[0] * fx.iloc[-1] / fx.iloc[0] - 1.0)
            out["benchmark_return_cny"] = bench
            out["tracking_difference_cny"] = out["total_return"] - bench
        for kind, value in self.total_costs().items():
            out[f"cost_{kind}_cny"] = float(value)
        out["cost_total_cny"] = float(self.costs.to_numpy().sum())
        out["final_units"] = float(nav["units"].iloc[-1])
        out["final_nav_cny"] = float(nav["nav_cny"].iloc[-1])
        out["leftover_cash_weight"] = float(nav["cash_hkd"].iloc[-1] / nav["nav_hkd"].iloc[-1])
        out["trades"] = len(self.trades)
        return pd.Series(out, name="value", dtype=object)

    def weights(self, date=None) -> pd.DataFrame:
        """Holding weights against index weights at the close of ``date`` (default: the last session).

        Columns: ``fund`` (share of the invested value, :math:`h_i P_i / \\sum_j h_j P_j`), ``fund_nav``
        (share of the NAV, cash included), ``index`` and ``difference`` (``fund - index``); one row per
        code held or in the index that day.
        """
        ts = self.nav.index[-1] if date is None else pd.Timestamp(date)
        if ts not in self.nav.index:
            raise DataError(
                describe(
                    "date is not a valuation day of the fund",
                    source="FundResult.weights",
                    date=ts,
                    fix=f"use a session between {self.nav.index[0].date()} and {self.nav.index[-1].date()}",
                )
            )
        price = self.prices.loc[ts]
        h = self.holdings.loc[ts].reindex(price.index, fill_value=0.0)
        value = (h * price).where(h != 0, 0.0).fillna(0.0)
        invested = float(value.sum())
        idx_w = (
            self.index_weights.loc[ts].reindex(price.index, fill_value=0.0)
            if self.index_weights is not None
            else pd.Series(0.0, index=price.index)
        )
        frame = pd.DataFrame(
            {
                "fund": value / invested if invested > 0 else value * 0.0,
                "fund_nav": value / float(self.nav.loc[ts, "nav_hkd"]),
                "index": idx_w,
            }
        )
        frame["difference"] = frame["fund"] - frame["index"]
        keep = (frame["fund"] != 0) | (frame["index"] != 0)
        return frame[keep]

    def plot(self, ax=None):
        """NAV per unit against the index (gross and price, rebased to the first NAV per unit).

        Returns the matplotlib ``Axes``; the title says SYNTHETIC when the data were generated.
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(9, 4.5))
        frame = self.to_frame()
        ax.plot(frame.index, frame["nav_per_unit_cny"], label="ETF NAV per unit (CNY)", lw=1.6)
        if "benchmark_cny" in frame:
            ax.plot(
                frame.index,
                frame["benchmark_cny"],
                lw=1.1,
                alpha=0.8,
                label=f"{self.index_name} gross in CNY",
            )
        for variant, style in (("gross", "--"), ("price", ":")):
            colname = f"index_{variant}"
            if colname in frame:
                ax.plot(
                    frame.index,
                    frame[colname],
                    style,
                    lw=1.1,
                    label=f"{self.index_name} {variant} in HKD",
                )
        title = f"ETF vs {self.index_name}"
        if self.synthetic:
            title += " (SYNTHETIC data)"
        ax.set_title(title)
        ax.set_ylabel("NAV per unit / rebased level")
        ax.legend(loc="best", fontsize="small")
        ax.grid(alpha=0.3)
        return ax

    def __repr__(self) -> str:
        tag = " SYNTHETIC" if self.synthetic else ""
        nav = self.nav
        return (
            f"FundResult({self.index_name}{tag}, {len(nav)} sessions {nav.index[0].date()}..{nav.index[-1].date()}, "
            f"NAV/unit {nav['nav_per_unit_cny'].iloc[0]:.4f} -> {nav['nav_per_unit_cny'].iloc[-1]:.4f}, "
            f"{len(self.trades)} trades, effects={list(getattr(self.config, 'effects', ()))})"
        )

    def _repr_html_(self) -> str:
        from engine._display import result_html

        return result_html(self)


__all__ = ["FundResult"]
