"""Attribution waterfall: a chain of counterfactual runs, each switching on one more effect.

Given level series :math:`L^{(0)}, \\dots, L^{(K)}` on the same dates (a benchmark first, the actual
fund last), step :math:`k` has period return :math:`R_k = L^{(k)}_n / L^{(k)}_0 - 1` and annualised
return :math:`A_k = (1 + R_k)^{p/n} - 1`. The contribution of step :math:`k \\ge 1` is

.. math:: c_k = R_k - R_{k-1}, \\qquad c^{ann}_k = A_k - A_{k-1},

so :math:`\\sum_{k=1}^{K} c_k = R_K - R_0` telescopes: the contributions add up to the total tracking
difference (fund minus benchmark) by construction, up to floating-point rounding (reported as
``residual``). The order of the chain matters (effects interact); the chain used by :func:`attribute`
is fixed and stated.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine.conventions import DEFAULT, Conventions, annualise_return, check_levels
from engine.errors import DataError, describe


@dataclass(frozen=True, eq=False)
class Waterfall:
    """Consecutive differences of period (and annualised) returns along a chain of runs.

    Attributes
    ----------
    labels : tuple of str
        Step names, first = the starting point (benchmark), last = the end point (actual fund).
    levels : DataFrame
        ``[date]`` x step labels, the aligned level series.
    period_returns, annualised_returns : Series
        :math:`R_k` and :math:`A_k` by step.
    """

    labels: tuple[str, ...]
    levels: pd.DataFrame
    period_returns: pd.Series
    annualised_returns: pd.Series
    conventions: Conventions = DEFAULT
    synthetic: bool = False
    meta: dict = field(default_factory=dict)

    @property
    def contributions(self) -> pd.Series:
        """:math:`c_k = R_k - R_{k-1}` for each step after the first (indexed by step label)."""
        r = self.period_returns.to_numpy()
        return pd.Series(np.diff(r), index=list(self.labels[1:]), name="contribution")

    @property
    def contributions_annualised(self) -> pd.Series:
        """:math:`c^{ann}_k = A_k - A_{k-1}` for each step after the first."""
        a = self.annualised_returns.to_numpy()
        return pd.Series(np.diff(a), index=list(self.labels[1:]), name="contribution_ann")

    @property
    def total(self) -> float:
        """:math:`R_K - R_0`: the total (period) tracking difference explained."""
        return float(self.period_returns.iloc[-1] - self.period_returns.iloc[0])

    @property
    def total_annualised(self) -> float:
        """:math:`A_K - A_0`."""
        return float(self.annualised_returns.iloc[-1] - self.annualised_returns.iloc[0])

    @property
    def residual(self) -> float:
        """``total - fsum(contributions)``: zero up to floating-point rounding."""
        return self.total - math.fsum(self.contributions.to_list())

    def to_frame(self) -> pd.DataFrame:
        """One row per step: ``period_return``, ``annualised_return``, ``contribution``,
        ``contribution_ann``, ``cumulative`` (running sum of contributions; NaN on the first row)."""
        out = pd.DataFrame(
            {
                "period_return": self.period_returns.to_numpy(),
                "annualised_return": self.annualised_returns.to_numpy(),
            },
            index=pd.Index(list(self.labels), name="step"),
        )
        c = np.concatenate([[np.nan], self.contributions.to_numpy()])
        ca = np.concatenate([[np.nan], self.contributions_annualised.to_numpy()])
        out["contribution"] = c
        out["contribution_ann"] = ca
        out["cumulative"] = np.concatenate([[np.nan], np.cumsum(c[1:])])
        return out

    def summary(self) -> pd.DataFrame:
        """The contributions in basis points, plus a ``total`` row (period and annualised) and the residual."""
        rows = [
            {
                "step": lab,
                "contribution_bp": c * 1e4,
                "contribution_ann_bp": ca * 1e4,
            }
            for lab, c, ca in zip(
                self.labels[1:], self.contributions, self.contributions_annualised, strict=True
            )
        ]
        rows.append(
            {
                "step": "total (last step - first step)",
                "contribution_bp": self.total * 1e4,
                "contribution_ann_bp": self.total_annualised * 1e4,
            }
        )
        rows.append(
            {
                "step": "residual (rounding)",
                "contribution_bp": self.residual * 1e4,
                "contribution_ann_bp": np.nan,
            }
        )
        return pd.DataFrame(rows).set_index("step")

    def plot(self, ax=None, annualised: bool = False):
        """A waterfall bar chart of the contributions (bp), from the first step's return to the last's."""
        from engine.report.figures import waterfall_figure

        return waterfall_figure(self, ax=ax, annualised=annualised)

    def __repr__(self) -> str:
        tag = " SYNTHETIC" if self.synthetic else ""
        return f"Waterfall({len(self.labels)} steps, total={self.total * 1e4:.2f} bp{tag})"

    def _repr_html_(self) -> str:
        from engine._display import result_html

        return result_html(self)


def waterfall(
    levels: list[tuple[str, pd.Series]],
    *,
    conventions: Conventions = DEFAULT,
    synthetic: bool = False,
    meta: dict | None = None,
) -> Waterfall:
    """Build a :class:`Waterfall` from ``[(label, levels), ...]``, first = start, last = end.

    Every series must have exactly the same dates (counterfactual runs of one fund do); a mismatch
    raises :class:`DataError` naming the first differing date and the step.
    """
    if len(levels) < 2:
        raise DataError(describe("a waterfall needs at least two steps", value=len(levels)))
    labels = [str(lab) for lab, _ in levels]
    if len(set(labels)) != len(labels):
        dup = next(lab for lab in labels if labels.count(lab) > 1)
        raise DataError(describe("waterfall step labels must be unique", value=dup))
    first_label, first = levels[0]
    check_levels(first, source=first_label)
    index = first.index
    cols = {}
    for lab, s in levels:
        check_levels(s, source=lab)
        if not s.index.equals(index):
            diff = s.index.symmetric_difference(index)
            raise DataError(
                describe(
                    f"step '{lab}' is not on the same dates as step '{first_label}' ({len(diff)} differ)",
                    source=lab,
                    date=diff[0] if len(diff) else None,
                    value=f"{len(s)} vs {len(index)} dates",
                    fix="cut every series to the same valuation dates before building the waterfall",
                )
            )
        cols[lab] = s.to_numpy(dtype=float)
    if len(index) < 2:
        raise DataError(describe("a waterfall needs at least two dates", value=len(index)))
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
    benchmark: str = "price",
    *,
    conventions: Conventions = DEFAULT,
    backtest=None,
    fx=None,
    actual=None,
) -> Waterfall:
    """Attribute the fund's tracking difference to index dividends and to each fund effect.

    The chain (fixed order; each step switches on one more effect, cumulatively):

    1. ``benchmark (<benchmark> index, CNY)``: ``index level * fx_t / fx_0`` (``benchmark="price"`` or ``"net"``);
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
    from engine.analytics.tracking import convert_to_cny

    if benchmark not in ("price", "net", "gross"):
        raise DataError(
            describe(
                "unknown benchmark for attribution",
                field="benchmark",
                value=benchmark,
                fix="use 'price', 'net' or 'gross'",
            )
        )
    import engine.fund as fund_mod

    run = backtest if backtest is not None else fund_mod.backtest
    if fx is not None:
        run = functools.partial(run, fx=fx)
    all_effects = tuple(fund_mod.EFFECTS)
    if config is None:
        config = fund_mod.EtfConfig.default()
    enabled = _enabled_effects(config, all_effects)

    def nav_of(cfg) -> pd.Series:
        res = run(index_result, market, cfg, flows)
        return res.nav["nav_per_unit_cny"].astype(float)

    actual_result = actual if actual is not None else run(index_result, market, config, flows)
    actual = actual_result.nav["nav_per_unit_cny"].astype(float)
    dates = actual.index
    missing = dates.difference(index_result.levels.index)
    if len(missing):
        raise DataError(
            describe(
                "fund valuation dates missing from the index levels",
                date=missing[0],
                source="attribute",
            )
        )

    fixing = actual_result.nav["fx"].astype(float) if "fx" in actual_result.nav else market.fx

    def bench(variant: str) -> pd.Series:
        lv = index_result.levels[variant].reindex(dates).astype(float)
        return convert_to_cny(lv, fixing, source=f"{variant} index")

    steps: list[tuple[str, pd.Series]] = [(f"benchmark ({benchmark} index, CNY)", bench(benchmark))]
    if benchmark != "gross":
        steps.append(("+ index dividends (gross TR, CNY)", bench("gross")))
    base_on = ("fx",) if "fx" in enabled else ()
    rest = [e for e in enabled if e != "fx"]
    base_label = "ideal fund (fx on)" if base_on else "ideal fund (fx off)"
    if rest:
        steps.append((base_label, nav_of(config.with_effects(base_on))))
        on = list(base_on)
        for k, eff in enumerate(rest):
            on.append(eff)
            if k == len(rest) - 1:
                steps.append((f"+ {eff} (actual fund)", actual))
            else:
                steps.append((f"+ {eff}", nav_of(config.with_effects(tuple(on)))))
    else:
        steps.append((f"{base_label} = actual fund", actual))
    synthetic = bool(
        getattr(index_result, "synthetic", False)
        or getattr(market, "synthetic", False)
        or getattr(actual_result, "synthetic", False)
    )
    import engine
    from engine.analytics.tracking import provenance

    meta = {
        "benchmark": benchmark,
        "effects_on": list(enabled),
        "chain": [lab for lab, _ in steps],
        "engine_version": getattr(engine, "__version__", ""),
        **provenance(index_result),
    }
    return waterfall(steps, conventions=conventions, synthetic=synthetic, meta=meta)


__all__ = ["Waterfall", "attribute", "waterfall"]
