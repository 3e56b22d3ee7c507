"""Attribution waterfall: a chain of counterfactual runs, each switching on one more effect.

Given level series :math:`L^{(0)}, \\dots, L^{(K)}` on the same dates (a benchmark first, the actual
fund last), step :math:`k` has period return :math:`R_k = L^{(k)}_n / L^{(k)}_0 - 1` and annualised
return :math:`A_k = (1 + R_k)^{p/n} - 1`. Each step :math:`k \\ge 1` gets three contributions:

================================  ==========================================================  =========
arithmetic, total                 :math:`c_k = R_k - R_{k-1}`                                 sums to TD
log (geometric), total            :math:`g_k = \\ln(1 + R_k) - \\ln(1 + R_{k-1})`                sums to
                                                                                              :math:`\\ln\\frac{1+R_K}{1+R_0}`
log (geometric), per year         :math:`g_k / T`, :math:`T` = ACT/365 years of the span
================================  ==========================================================  =========

Both totals telescope, so each kind adds up exactly (up to floating-point rounding, reported as
``residual``): the arithmetic contributions to the tracking difference :math:`R_K - R_0`, the log ones
to the log tracking difference. They read differently. An effect that multiplies the NAV by
:math:`(1 - f)` over the period has :math:`g_k = \\ln(1 - f)` whatever the market did, but
:math:`c_k = (1 + R_{k-1}) \\cdot (-f)`: in a year the market rises 76 %, a 0.60 % fee shows as about
-106 bp arithmetic and -60 bp log. The per-year log figure is the one to hold against a rate
(a fee of :math:`f` a year accrued on calendar days gives :math:`g_k / T \\approx -f`). The arithmetic
contributions are the ones that add up to the reported tracking difference.
:math:`c^{ann}_k = A_k - A_{k-1}` is kept in :meth:`Waterfall.to_frame` for reference. The order of the
chain matters (effects interact); the chain used by :func:`attribute` is fixed and stated.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine import __version__
from engine._display import Result, Summary
from engine._display import row as _row
from engine.analytics.tracking import provenance
from engine.conventions import DEFAULT, Conventions, act365, annualise_return, check_levels
from engine.data.fx import to_cny
from engine.errors import DataError
from engine.fund import EFFECTS, EtfConfig
from engine.fund import backtest as fund_backtest
from engine.fund.result import benchmark_label, fund_benchmark

BASES = ("arithmetic", "log", "log_per_year")
"""Kinds of contribution of a :class:`Waterfall` (see the module table)."""

BASIS_LABELS = {
    "arithmetic": "arithmetic, total",
    "log": "log (geometric), total",
    "log_per_year": "log (geometric), per year",
}


@dataclass(frozen=True, eq=False)
class Waterfall(Result):
    """Consecutive differences of period returns along a chain of runs (arithmetic and log).

    Attributes
    ----------
    labels : tuple of str
        Step names, first = the starting point (benchmark), last = the end point (actual fund).
    levels : DataFrame
        ``[date]`` x step labels, the aligned level series.
    period_returns, annualised_returns : Series
        :math:`R_k` and :math:`A_k` by step.
    against : str
        The name of the benchmark every contribution is measured against (e.g.
        ``"HSIDI price index (CNY)"``; the first step's label when not given).
    """

    _figure = "waterfall_figure"

    labels: tuple[str, ...]
    levels: pd.DataFrame
    period_returns: pd.Series
    annualised_returns: pd.Series
    conventions: Conventions = DEFAULT
    synthetic: bool = False
    meta: dict = field(default_factory=dict)
    against: str = ""

    @property
    def benchmark(self) -> str:
        """What the contributions are measured against."""
        return self.against or self.labels[0]

    @property
    def years(self) -> float:
        """:math:`T`: ACT/365 calendar years from the first to the last date."""
        return act365(self.levels.index[0], self.levels.index[-1])

    @property
    def contributions(self) -> pd.Series:
        """Arithmetic, total: :math:`c_k = R_k - R_{k-1}` for each step after the first."""
        r = self.period_returns.to_numpy()
        return pd.Series(np.diff(r), index=list(self.labels[1:]), name="contribution")

    @property
    def contributions_log(self) -> pd.Series:
        """Log (geometric), total: :math:`g_k = \\ln(1 + R_k) - \\ln(1 + R_{k-1})`."""
        g = np.log1p(self.period_returns.to_numpy())
        return pd.Series(np.diff(g), index=list(self.labels[1:]), name="contribution_log")

    @property
    def contributions_log_per_year(self) -> pd.Series:
        """Log (geometric), per year: :math:`g_k / T` (NaN when the span is under a day)."""
        t = self.years
        g = self.contributions_log
        return (g / t if t > 0 else g * np.nan).rename("contribution_log_per_year")

    @property
    def contributions_annualised(self) -> pd.Series:
        """:math:`c^{ann}_k = A_k - A_{k-1}` for each step after the first."""
        a = self.annualised_returns.to_numpy()
        return pd.Series(np.diff(a), index=list(self.labels[1:]), name="contribution_ann")

    def basis_label(self, basis: str = "arithmetic") -> str:
        """What the contributions of ``basis`` (:data:`BASES`) are, in words (figure and table
        headers: ``"log (geometric), per year"``)."""
        self.contributions_by(basis)  # the one check of ``basis``
        return BASIS_LABELS[basis]

    def contributions_by(self, basis: str = "arithmetic") -> pd.Series:
        """The contributions of one of :data:`BASES`."""
        if basis not in BASES:
            what = "unknown contribution basis"
            raise DataError(what, field="basis", value=basis, fix=f"use one of {BASES}")
        return {
            "arithmetic": self.contributions,
            "log": self.contributions_log,
            "log_per_year": self.contributions_log_per_year,
        }[basis]

    @property
    def total(self) -> float:
        """:math:`R_K - R_0`: the total (period) tracking difference explained (arithmetic)."""
        return float(self.period_returns.iloc[-1] - self.period_returns.iloc[0])

    @property
    def total_log(self) -> float:
        """:math:`\\ln\\frac{1 + R_K}{1 + R_0}`: the log tracking difference."""
        r = self.period_returns
        return float(np.log1p(r.iloc[-1]) - np.log1p(r.iloc[0]))

    def total_by(self, basis: str = "arithmetic") -> float:
        """The total of one of :data:`BASES` (what those contributions add up to)."""
        if basis == "log_per_year":
            t = self.years
            return self.total_log / t if t > 0 else float("nan")
        self.contributions_by(basis)
        return self.total if basis == "arithmetic" else self.total_log

    @property
    def total_annualised(self) -> float:
        """:math:`A_K - A_0`."""
        return float(self.annualised_returns.iloc[-1] - self.annualised_returns.iloc[0])

    @property
    def residual(self) -> float:
        """``total - fsum(contributions)``: zero up to floating-point rounding."""
        return self.total - math.fsum(self.contributions.to_list())

    @property
    def residual_log(self) -> float:
        """``total_log - fsum(contributions_log)``: zero up to floating-point rounding."""
        return self.total_log - math.fsum(self.contributions_log.to_list())

    def reproduces(self, nav_per_unit: pd.Series, rtol: float = 1e-9) -> bool:
        """Whether the last step is the run behind ``nav_per_unit``: both rebased to 1 at the first
        of the waterfall's dates agree within ``rtol`` on every one of them,
        :math:`|L^{(K)}_t / L^{(K)}_0 - N_t / N_0| \\le` ``rtol`` (False where a date is missing)."""
        last = self.levels.iloc[:, -1]
        nav = nav_per_unit.reindex(last.index).astype(float)
        rel = np.abs(last.to_numpy() / last.iloc[0] - nav.to_numpy() / nav.iloc[0])
        return bool(np.all(np.isfinite(rel)) and rel.max() <= rtol)

    def to_frame(self) -> pd.DataFrame:
        """One row per step: ``period_return``, ``annualised_return``, ``contribution``
        (arithmetic, total), ``contribution_log`` (log, total), ``contribution_log_per_year``,
        ``contribution_ann`` (difference of annualised returns), ``cumulative`` (running sum of the
        arithmetic contributions); the contribution columns are NaN on the first row."""
        out = pd.DataFrame(
            {
                "period_return": self.period_returns.to_numpy(),
                "annualised_return": self.annualised_returns.to_numpy(),
            },
            index=pd.Index(list(self.labels), name="step"),
        )
        for col, series in (
            ("contribution", self.contributions),
            ("contribution_log", self.contributions_log),
            ("contribution_log_per_year", self.contributions_log_per_year),
            ("contribution_ann", self.contributions_annualised),
        ):
            out[col] = np.concatenate([[np.nan], series.to_numpy()])
        out["cumulative"] = np.concatenate([[np.nan], np.cumsum(self.contributions.to_numpy())])
        return out

    def table(self) -> pd.DataFrame:
        """The contributions in basis points, one column per kind (headers say arithmetic or log,
        total or per year), a ``total`` row and a ``residual (rounding)`` row; the reader's table."""
        cols = {f"{BASIS_LABELS[b]} (bp)": self.contributions_by(b) * 1e4 for b in BASES}
        out = pd.DataFrame(cols)
        out.loc["total (fund - benchmark)"] = [self.total_by(b) * 1e4 for b in BASES]
        out.loc["residual (rounding)"] = [
            self.residual * 1e4,
            self.residual_log * 1e4,
            self.residual_log * 1e4 / self.years if self.years > 0 else np.nan,
        ]
        out.index.name = f"step (vs {self.benchmark})"
        return out

    def summary(self) -> Summary:
        """The contributions as a :class:`~engine._display.Summary` in bp, three blocks (arithmetic
        total, log total, log per year), each with its ``total``; ``against`` names the benchmark."""
        rows = []
        notes = {
            "arithmetic": "R_k - R_(k-1); adds up to the tracking difference",
            "log": "ln(1+R_k) - ln(1+R_(k-1)); not scaled by the market's return",
            "log_per_year": f"log contribution / {self.years:.3f} years (ACT/365); compare with rates",
        }
        for basis in BASES:
            tag = BASIS_LABELS[basis]
            for lab, v in self.contributions_by(basis).items():
                rows.append(_row(f"{lab} ({tag})", float(v), "bp", self.benchmark, notes[basis]))
            total = "sum of the contributions above"
            total += " = tracking difference" if basis == "arithmetic" else ""
            metric = f"total (last step - first step), {tag}"
            rows.append(_row(metric, self.total_by(basis), "bp", self.benchmark, total))
        rows.append(_row("residual (arithmetic)", self.residual, "bp", note="rounding only"))
        return Summary(
            rows, title=f"Attribution of the tracking difference vs {self.benchmark}{self.tag}"
        )

    def __repr__(self) -> str:
        return (
            f"Waterfall({len(self.labels)} steps vs {self.benchmark}, total={self.total * 1e4:.2f} bp "
            f"arithmetic, {self.total_log * 1e4:.2f} bp log{self.tag})"
        )


def waterfall(
    levels: list[tuple[str, pd.Series]],
    *,
    conventions: Conventions = DEFAULT,
    synthetic: bool = False,
    meta: dict | None = None,
    against: str = "",
) -> Waterfall:
    """Build a :class:`Waterfall` from ``[(label, levels), ...]``, first = start, last = end.

    ``against`` names the benchmark (default: the first step's label).

    Every series must have exactly the same dates (counterfactual runs of one fund do); a mismatch
    raises :class:`DataError` naming the first differing date and the step.
    """
    if len(levels) < 2:
        raise DataError("a waterfall needs at least two steps", value=len(levels))
    labels = [str(lab) for lab, _ in levels]
    if len(set(labels)) != len(labels):
        dup = next(lab for lab in labels if labels.count(lab) > 1)
        raise DataError("waterfall step labels must be unique", value=dup)
    first_label, first = levels[0]
    check_levels(first, source=first_label)
    index = first.index
    cols = {}
    for lab, s in levels:
        check_levels(s, source=lab)
        if not s.index.equals(index):
            diff = s.index.symmetric_difference(index)
            raise DataError(
                f"step '{lab}' is not on the same dates as step '{first_label}' ({len(diff)} differ)",
                source=lab,
                date=diff[0] if len(diff) else None,
                value=f"{len(s)} vs {len(index)} dates",
                fix="cut every series to the same valuation dates before building the waterfall",
            )
        cols[lab] = s.to_numpy(dtype=float)
    if len(index) < 2:
        raise DataError("a waterfall needs at least two dates", value=len(index))
    frame = pd.DataFrame(cols, index=pd.DatetimeIndex(index, name="date"))
    n = len(index) - 1
    p = conventions.periods_per_year
    R = frame.iloc[-1] / frame.iloc[0] - 1.0
    A = pd.Series([annualise_return(float(r), n, p) for r in R], index=R.index)
    return Waterfall(
        labels=tuple(labels),
        levels=frame,
        period_returns=R.rename("period_return"),
        annualised_returns=A.rename("annualised_return"),
        conventions=conventions,
        synthetic=bool(synthetic),
        meta=dict(meta or {}),
        against=str(against or labels[0]),
    )


def _enabled_effects(config, all_effects) -> tuple[str, ...]:
    """Effects on in ``config`` (``config.effects``), in the canonical :data:`EFFECTS` order."""
    on = getattr(config, "effects", None)
    if on is None:
        return tuple(all_effects)
    on = set(on)
    return tuple(e for e in all_effects if e in on)


def attribute(
    index_result,
    market,
    config=None,
    flows=None,
    benchmark: str | None = None,
    *,
    conventions: Conventions = DEFAULT,
    backtest=None,
    fx=None,
    actual=None,
) -> Waterfall:
    """Attribute the fund's tracking difference to index dividends and to each fund effect.

    The chain (fixed order; each step switches on one more effect, cumulatively):

    1. ``benchmark: <NAME> <variant> index (CNY)``: ``index level * fx_t / fx_0``; ``benchmark``
       defaults to ``config.benchmark`` (:attr:`engine.fund.EtfConfig.benchmark`, the price index);
    2. ``+ index dividends (gross TR, CNY)`` (skipped when the benchmark is already ``gross``);
    3. ``ideal fund (fx on)``: the fund with only ``fx`` on; its difference to step 2 is the model
       residual (zero when the fund reproduces the gross index);
    4. ``+ <effect>`` for each other effect on in ``config``, in :data:`engine.fund.EFFECTS` order
       (withholding_tax, fees, cash_drag, trading_costs, lot_rounding, flow_timing). The last step
       is the actual fund (``config`` itself); when ``config`` has ``fx`` off, step 3 is ``ideal fund``.

    Every series is taken on the fund's valuation dates, and the benchmark is converted at the
    actual fund's own valuation fixing (``nav["fx"]``: the market fixing, a constant one when the fund
    holds FX constant, or ``fx``), as :func:`engine.analytics.tracking.fund_tracking` does, so the
    total equals the tracking difference reported there. The contributions add up to the actual fund's
    return minus the benchmark's.

    Parameters
    ----------
    fx : Series, optional
        A valuation fixing passed to every fund run (``backtest(..., fx=fx)``).
    actual : FundResult, optional
        The fund run of ``config`` (same flows and fixing) when the caller already has it; saves
        running it again.
    backtest : callable, optional
        ``backtest(index_result, market, config, flows) -> FundResult``; default
        :func:`engine.fund.backtest` (injectable for tests).
    """
    if config is None:
        config = EtfConfig.default()
    benchmark = fund_benchmark(None, benchmark or getattr(config, "benchmark", "price"))
    run = backtest if backtest is not None else fund_backtest
    if fx is not None:
        run = functools.partial(run, fx=fx)
    actual_result = actual if actual is not None else run(index_result, market, config, flows)
    nav = actual_result.nav
    fixing = _valuation_fixing(nav, index_result, market)

    def bench(variant: str) -> pd.Series:
        lv = index_result.levels[variant].reindex(nav.index).astype(float)
        return to_cny(lv, fixing, source=f"{variant} index")

    def nav_of(on: tuple[str, ...]) -> pd.Series:
        return run(index_result, market, config.with_effects(on), flows).nav["nav_per_unit_cny"]

    against = benchmark_label(getattr(index_result, "name", "index"), benchmark)
    enabled = _enabled_effects(config, tuple(EFFECTS))
    steps: list[tuple[str, pd.Series]] = [(f"benchmark: {against}", bench(benchmark))]
    if benchmark != "gross":
        steps.append(("+ index dividends (gross TR, CNY)", bench("gross")))
    steps += _effect_steps(enabled, nav_of, nav["nav_per_unit_cny"].astype(float))
    synthetic = any(getattr(x, "synthetic", False) for x in (index_result, market, actual_result))
    meta = {
        "benchmark": benchmark,
        "benchmark_label": against,
        "effects_on": list(enabled),
        "chain": [lab for lab, _ in steps],
        "engine_version": __version__,
        **provenance(index_result),
    }
    return waterfall(
        steps, conventions=conventions, synthetic=synthetic, meta=meta, against=against
    )


def _valuation_fixing(nav: pd.DataFrame, index_result, market) -> pd.Series:
    """The fixing the actual fund valued at (``nav["fx"]``, else the market's); DataError when a
    valuation date has no index level."""
    missing = nav.index.difference(index_result.levels.index)
    if len(missing):
        what = "fund valuation dates missing from the index levels"
        raise DataError(what, date=missing[0], source="attribute")
    return nav["fx"].astype(float) if "fx" in nav else market.fx


def _effect_steps(enabled, nav_of, actual: pd.Series) -> list[tuple[str, pd.Series]]:
    """The fund steps of the chain: the ideal fund (``fx`` only), then one more effect at a time,
    the last being the actual fund."""
    base_on = ("fx",) if "fx" in enabled else ()
    rest = [e for e in enabled if e != "fx"]
    base_label = "ideal fund (fx on)" if base_on else "ideal fund (fx off)"
    if not rest:
        return [(f"{base_label} = actual fund", actual)]
    steps = [(base_label, nav_of(base_on).astype(float))]
    on = list(base_on)
    for k, eff in enumerate(rest):
        on.append(eff)
        last = k == len(rest) - 1
        steps.append(
            (f"+ {eff} (actual fund)", actual)
            if last
            else (f"+ {eff}", nav_of(tuple(on)).astype(float))
        )
    return steps


def cost_drag(fund_result) -> pd.DataFrame:
    """Each day's cost of each kind as a fraction of that day's NAV: :math:`d_{t,k} = C_{t,k} / NAV_t`
    (both CNY), ``[date] x kind``.

    :math:`\\sum_t d_{t,k}` is the cost's drag on the return per unit to first order (what a holder
    pays, in bp of NAV), unlike the CNY total, which grows with the fund's size.
    """
    from engine.analytics.compare import wide_panel

    costs = wide_panel(fund_result.costs, key="kind", source="fund_result.costs")
    nav = fund_result.nav["nav_cny"].astype(float).reindex(costs.index)
    if not (nav > 0).all():
        bad = nav.index[~(nav > 0)][0]
        what = "NAV is not positive"
        raise DataError(what, source="fund_result.nav", date=bad, field="nav_cny")
    return costs.fillna(0.0).div(nav, axis=0)


def cost_table(fund_result) -> pd.DataFrame:
    """Costs by kind: ``total_cny``, ``bp_of_nav`` (:math:`\\sum_t C_{t,k} / NAV_t`, as a fraction),
    ``bp_of_nav_per_year`` (that over the ACT/365 years of the run) and ``share`` of the total CNY;
    sorted by ``total_cny`` with a ``total`` row."""
    drag = cost_drag(fund_result)
    from engine.analytics.compare import wide_panel

    costs = wide_panel(fund_result.costs, key="kind", source="fund_result.costs").fillna(0.0)
    years = act365(fund_result.nav.index[0], fund_result.nav.index[-1])
    out = pd.DataFrame(
        {
            "total_cny": costs.sum(),
            "bp_of_nav": drag.sum(),
        }
    )
    out["bp_of_nav_per_year"] = out["bp_of_nav"] / years if years > 0 else np.nan
    grand = float(out["total_cny"].sum())
    out["share"] = out["total_cny"] / grand if grand > 0 else np.nan
    out = out.sort_values("total_cny", ascending=False, kind="stable")
    out.loc["total"] = [
        grand,
        float(out["bp_of_nav"].sum()),
        float(out["bp_of_nav_per_year"].sum()),
        1.0 if grand > 0 else np.nan,
    ]
    out.index.name = "kind"
    return out


__all__ = [
    "BASES",
    "BASIS_LABELS",
    "Waterfall",
    "attribute",
    "cost_drag",
    "cost_table",
    "waterfall",
]
