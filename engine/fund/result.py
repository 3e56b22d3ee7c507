"""`FundResult`: NAV, units, holdings, trades, costs, cash and events of one ETF simulation."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from engine import metrics
from engine._display import Result, Summary, row
from engine.conventions import annualise_return
from engine.data.fx import to_cny
from engine.errors import DataError
from engine.fund.config import fund_error
from engine.index.result import VARIANTS

_VARIANT_NAMES = {
    "price": "price index",
    "gross": "gross total-return index",
    "net": "net total-return index",
}


def benchmark_label(index_name: str, variant: str, currency: str = "CNY") -> str:
    """The one name of a benchmark used in every summary, table header and legend, e.g.
    ``benchmark_label("hsidi", "price") == "HSIDI price index (CNY)"``."""
    _check_variant(variant)
    return f"{str(index_name or 'index').upper()} {_VARIANT_NAMES[variant]} ({currency})"


def fund_benchmark(fund_result, variant: str | None = None) -> str:
    """The benchmark variant of a fund run: ``variant`` when given, else its ``config.benchmark``
    (``"price"`` when the config has none)."""
    if variant is None:
        variant = getattr(getattr(fund_result, "config", None), "benchmark", "price")
    _check_variant(variant)
    return variant


def _check_variant(variant) -> None:
    if variant not in VARIANTS:
        raise fund_error(
            "unknown benchmark variant",
            source=None,
            field="variant",
            value=variant,
            fix=f"use one of {VARIANTS}",
            cls=DataError,
        )


@dataclass(frozen=True, eq=False)
class FundResult(Result):
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
        cost_hkd`` (all of the trade's costs), ``participant_cost_hkd`` (the part a participant bore),
        ``cash_after_hkd, reason`` (``inception``, ``review``, ``creation``, ``redemption``,
        ``rights``, ``fee``, ``deletion``, ``reinvest``).
    costs : DataFrame
        ``[date, kind]`` costs borne by the fund (they lower the NAV), in CNY (kinds:
        :data:`engine.enums.COST_KINDS`).
    cash : DataFrame
        ``[date]`` cash balance and the day's cash movements in HKD (subscriptions, redemptions paid
        to participants, dividends received, fees paid, buys, sells, the fund's trading costs, rights
        paid, cash in lieu, and ``participant_costs_hkd``: costs borne by participants).
    participant_costs : DataFrame
        ``[date, kind]`` trading and conversion costs borne by creating and redeeming participants
        (outside the NAV; see ``EtfConfig.creation_costs``), in CNY (kinds:
        :data:`engine.fund.config.PARTICIPANT_COST_KINDS`).
    warnings : tuple of str
        Approximations and plausibility findings of the market and index the run rests on; the
        summary counts them and reports show them.
    events : DataFrame
        Corporate actions applied to the holdings: ``date, code, kind, shares_before, shares_after,
        cash_hkd``.
    meta : dict
        Provenance (``engine_version``, ``methodology_hash``, ``settings_hash`` = ``config.hash``,
        ``data_fingerprint``; :attr:`provenance`), the inception session, the effects, the index's
        own ``meta`` and the market's source.
    """

    _figure = "fund_figure"

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
    participant_costs: pd.DataFrame = field(repr=False, default=None)
    warnings: tuple = ()

    # ------------------------------------------------------------------ views
    def to_frame(self) -> pd.DataFrame:
        """The NAV frame plus the index levels rebased to the fund's first NAV per unit
        (``index_price``, ``index_gross``, ``index_net``), ``benchmark_cny`` (the fund's benchmark,
        ``config.benchmark``, at the fund's fixing, :math:`I_t / I_0 \\cdot fx_t / fx_0`, rebased the same
        way: :meth:`benchmark_cny`) and the day's total cost in CNY (``costs_cny``)."""
        out = self.nav.copy()
        if self.index_levels is not None:
            start = float(self.nav["nav_per_unit_cny"].iloc[0])
            for variant in self.index_levels.columns:
                lv = self.index_levels[variant]
                out[f"index_{variant}"] = lv / lv.iloc[0] * start
            bench = self.benchmark_cny()
            out["benchmark_cny"] = bench / float(bench.iloc[0]) * start
        out["costs_cny"] = self.costs.sum(axis=1)
        return out

    def total_costs(self) -> pd.Series:
        """Costs by kind over the whole run, in CNY."""
        return self.costs.sum(axis=0).rename("cost_cny")

    def benchmark_cny(self) -> pd.Series:
        """The fund's benchmark (``config.benchmark``, default the price index) on its valuation
        dates, converted at its own fixing: :math:`B_t = I_t \\, fx_t / fx_0` (not rebased)."""
        variant = fund_benchmark(self)
        label = benchmark_label(self.index_name, variant)
        levels = self.index_levels[variant].reindex(self.nav.index).astype(float)
        return to_cny(levels, self.nav["fx"], source=label).rename(label)

    def summary(self):
        """The run in one :class:`engine._display.Summary`.

        Start/end dates and NAV per unit, total return from the first NAV per unit, annualised return
        :math:`(1 + R)^{p/n} - 1` (:math:`n` daily returns, :math:`p` sessions per year:
        :func:`engine.conventions.annualise_return`), the since-launch return
        ``since_launch_return`` :math:`= NAV_T / NAV_{sub} - 1` from the subscription price
        ``config.initial_nav_cny`` (the NAV per unit before the inception purchase).  Under
        ``creation_costs = "fund"`` the first NAV per unit is struck after the inception purchase
        costs, :math:`NAV_0 = NAV_{sub} (1 - c_0)`, so the return from it leaves them out; the
        since-launch return holds them, :math:`(1 + R_{launch}) = (1 + R)(1 - c_0)` (:math:`c_0`:
        the inception purchase costs over the subscription amount).  Under
        ``"participant"`` :math:`NAV_0 = NAV_{sub}` and the two agree.  Then
        the benchmark's return (``benchmark_return``: ``config.benchmark`` in CNY at the fund's
        fixing, see :meth:`benchmark_cny`), the tracking difference ``tracking_difference`` and
        tracking error (STD, RMS) against it, computed by :func:`engine.metrics.tracking_metrics`
        (the same numbers as :func:`engine.analytics.fund_tracking`, the waterfall and the report;
        ``against`` names the benchmark), the gross index return in HKD for information, costs by kind
        (CNY), final units and NAV, the final cash weight, the trade count and any warnings.
        """
        rows = self._return_rows() + self._tracking_rows() + self._book_rows()
        return Summary(rows, title=f"ETF backtest vs {self.index_name}{self.tag}")

    def _return_rows(self) -> list[dict]:
        nav = self.nav
        nav_pu = nav["nav_per_unit_cny"].astype(float)
        start, end = float(nav_pu.iloc[0]), float(nav_pu.iloc[-1])
        rows: list[dict] = [
            row("index", self.index_name, "text"),
            row("synthetic", "yes" if self.synthetic else "no", "text"),
            row("start", nav.index[0], "date"),
            row("end", nav.index[-1], "date"),
            row("sessions", len(nav), "count"),
            row("start_nav_per_unit_cny", start, "level", note="CNY"),
            row("end_nav_per_unit_cny", end, "level", note="CNY"),
            metrics.row(
                "total_return",
                end / start - 1.0,
                note="from the first NAV per unit, struck after the inception purchase; ",
            ),
            metrics.row("annualised_return", annualise_return(end / start - 1.0, len(nav) - 1)),
        ]
        launch = getattr(self.config, "initial_nav_cny", None)
        if launch is not None and float(launch) > 0:
            note = (
                f"from the subscription price {float(launch):g} CNY per unit (before the "
                "inception purchase): holds the inception purchase costs under either "
                "creation_costs setting"
            )
            rows.append(row("since_launch_return", end / float(launch) - 1.0, "%", note=note))
        return rows

    def _tracking_rows(self) -> list[dict]:
        """The benchmark's return, TD and TE against ``config.benchmark`` in CNY at the fund's
        fixing, and the gross index return in HKD for information."""
        rows: list[dict] = []
        if self.index_levels is None:
            return rows
        if len(self.nav) >= 2:
            bench = self.benchmark_cny()
            nav_pu = self.nav["nav_per_unit_cny"].to_numpy(dtype=float)
            values = metrics.tracking_metrics(nav_pu, bench.to_numpy())
            notes = {
                "benchmark_return": "config.benchmark at the fund's fixing; ",
                "tracking_difference": "whole run; ",
            }
            rows += [
                metrics.row(key, values[key], against=str(bench.name), note=notes.get(key, ""))
                for key in (
                    "benchmark_return",
                    "tracking_difference",
                    "tracking_difference_ann",
                    "tracking_error_std",
                    "tracking_error_rms",
                )
            ]
        if "gross" in self.index_levels:
            g = self.index_levels["gross"]
            note = "gross total-return index in HKD over the fund's sessions, for information"
            rows.append(
                row("index_gross_return_hkd", float(g.iloc[-1] / g.iloc[0] - 1.0), "%", note=note)
            )
        return rows

    def _book_rows(self) -> list[dict]:
        """Costs by kind (CNY), final units and NAV, the final cash weight, trades and warnings."""
        nav = self.nav
        rows = [
            row(f"cost_{kind}_cny", float(value), "CNY")
            for kind, value in self.total_costs().items()
        ]
        cash_weight = float(nav["cash_hkd"].iloc[-1] / nav["nav_hkd"].iloc[-1])
        rows += [
            row("cost_total_cny", float(self.costs.to_numpy().sum()), "CNY"),
            row("final_units", float(nav["units"].iloc[-1]), "count"),
            row("final_nav_cny", float(nav["nav_cny"].iloc[-1]), "CNY"),
            row("leftover_cash_weight", cash_weight, "%", note="cash / NAV at the last close"),
            row("trades", len(self.trades), "count"),
        ]
        warnings = tuple(self.warnings or ())
        if warnings:
            note = "; ".join(str(w) for w in warnings[:3]) + (" ..." if len(warnings) > 3 else "")
            rows.append(row("warnings", len(warnings), "count", note=note))
        return rows

    def weights(self, date=None) -> pd.DataFrame:
        """Holding weights against index weights at the close of ``date`` (default: the last session).

        Columns: ``fund`` (share of the invested value, :math:`h_i P_i / \\sum_j h_j P_j`), ``fund_nav``
        (share of the NAV, cash included), ``index`` and ``difference`` (``fund - index``); one row per
        code held or in the index that day.
        """
        ts = self.nav.index[-1] if date is None else pd.Timestamp(date)
        if ts not in self.nav.index:
            raise fund_error(
                "date is not a valuation day of the fund",
                source="FundResult.weights",
                date=ts,
                fix=f"use a session between {self.nav.index[0].date()} and {self.nav.index[-1].date()}",
                cls=DataError,
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

    def __repr__(self) -> str:
        nav = self.nav
        return (
            f"FundResult({self.index_name}{self.tag}, {len(nav)} sessions {nav.index[0].date()}..{nav.index[-1].date()}, "
            f"NAV/unit {nav['nav_per_unit_cny'].iloc[0]:.4f} -> {nav['nav_per_unit_cny'].iloc[-1]:.4f}, "
            f"{len(self.trades)} trades, effects={list(getattr(self.config, 'effects', ()))})"
        )


__all__ = ["FundResult"]
