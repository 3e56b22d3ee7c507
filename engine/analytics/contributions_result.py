"""The result of :mod:`engine.analytics.contributions`: daily contributions by row, linked totals."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine import metrics
from engine._display import Result, Summary
from engine.analytics import contributions_nb as _nb


@dataclass(frozen=True, eq=False)
class Contributions(Result):
    """Daily contributions to an active return, by row, and their linked totals.

    Attributes
    ----------
    daily : ndarray
        ``[n, M]`` contribution of each row to each day's active return (fractions); row ``t`` is
        the session ``dates[t + 1]``.  The rows of a day add up to that day's active return.
    dates : DatetimeIndex
        The ``n + 1`` valuation dates (the first is the start of the period).
    labels : tuple of str
        Row labels: security codes first (``kinds`` ``"code"``), then the other rows.
    kinds : tuple of str
        ``"code"``, ``"cash"``, ``"cost"``, ``"flows"``, ``"fx"`` or ``"benchmark"`` per row.
    names : dict
        Security name by code (empty when no market was given).
    returns : DataFrame
        Daily returns ``subject`` and ``benchmark`` (CNY for a fund) and ``active``.
    beta : ndarray
        The linking coefficient of each day (:mod:`engine.analytics.contributions_nb`).
    start_weights : tuple of ndarray
        ``(w_subject, w_benchmark)``, each ``[n, K]``: start-of-day weights of the ``K`` codes (the
        first ``K`` labels); :attr:`weights` is the readable frame.
    period_returns : tuple of float
        :math:`R^a, R^b`: the period returns of the subject and of the benchmark.
    linking : str
        ``"carino"`` or ``"menchero"``.
    subject, against : str
        What is measured and the benchmark it is measured against.
    """

    daily: np.ndarray
    dates: pd.DatetimeIndex
    labels: tuple
    kinds: tuple
    names: dict
    returns: pd.DataFrame
    beta: np.ndarray
    start_weights: tuple
    period_returns: tuple
    linking: str = "carino"
    subject: str = "fund NAV per unit (CNY)"
    against: str = ""
    synthetic: bool = False
    meta: dict = field(default_factory=dict)
    _figure = "contributions_figure"
    """``plot(ax=None, top=10)``: :func:`engine.plotting.contributions_figure`, the ``top`` largest
    and smallest code contributions as horizontal bars (bp); returns the ``Axes``."""

    # ------------------------------------------------------------------ numbers
    @property
    def total(self) -> float:
        """:math:`R^a - R^b`: the period (tracking) difference the rows explain (arithmetic)."""
        return float(self.period_returns[0] - self.period_returns[1])

    @functools.cached_property
    def weights(self) -> pd.DataFrame:
        """Start-of-day weights, long ``[date, code]`` (rows where either is non-zero), columns
        ``subject``, ``benchmark`` and ``active`` (their difference)."""
        w_a, w_b = self.start_weights
        codes = pd.Index(self.labels[: w_a.shape[1]])
        keep = (w_a != 0) | (w_b != 0)
        t_idx, c_idx = np.nonzero(keep)
        index = pd.MultiIndex.from_arrays(
            [pd.DatetimeIndex(self.dates[1:])[t_idx], codes[c_idx]], names=["date", "code"]
        )
        a, b = w_a[keep], w_b[keep]
        return pd.DataFrame({"subject": a, "benchmark": b, "active": a - b}, index=index)

    @property
    def by_code(self) -> pd.Series:
        """Linked total of every row (codes, cash, costs, flows, fx): :math:`\\sum_t \\beta_t c_{t}`;
        they add up to :attr:`total` up to :attr:`residual`."""
        linked = _nb.link(np.ascontiguousarray(self.daily), self.beta)
        return pd.Series(linked, index=pd.Index(self.labels, name="row"), name="contribution")

    @property
    def residual(self) -> float:
        """``total - fsum(by_code)``: floating-point rounding only."""
        return self.total - math.fsum(self.by_code.to_list())

    def to_frame(self) -> pd.DataFrame:
        """Daily contributions, ``[date] x row`` (fractions of the subject's value; not linked)."""
        return pd.DataFrame(
            self.daily,
            index=pd.DatetimeIndex(self.dates[1:], name="date"),
            columns=pd.Index(self.labels, name="row"),
        )

    def table(self) -> pd.DataFrame:
        """One row per code and other row: ``name``, ``kind``, ``contribution`` (linked),
        ``mean_weight``, ``mean_benchmark_weight``, ``mean_active_weight`` (start-of-day weights
        averaged over every session of the period; NaN for the rows that are not codes), sorted by
        contribution."""
        out = pd.DataFrame({"contribution": self.by_code})
        out.insert(0, "kind", list(self.kinds))
        out.insert(0, "name", [self.names.get(lab, "") for lab in self.labels])
        w_a, w_b = self.start_weights
        pad = np.full(len(self.labels) - w_a.shape[1], np.nan)
        mean_a, mean_b = w_a.mean(axis=0), w_b.mean(axis=0)
        out["mean_weight"] = np.concatenate([mean_a, pad])
        out["mean_benchmark_weight"] = np.concatenate([mean_b, pad])
        out["mean_active_weight"] = np.concatenate([mean_a - mean_b, pad])
        return out.sort_values("contribution", kind="stable")

    def _label(self, row: str) -> str:
        name = self.names.get(row, "")
        return f"{row} {name}".strip()

    def summary(self, top: int = 5) -> Summary:
        """The difference (``tracking_difference`` for a fund, else ``period_difference``), the
        ``top`` largest and smallest code contributions (``top_k``, ``bottom_k``: code and name in
        the note), any group of codes, every non-code row and the residual; unit %, ``against`` the
        benchmark; labels and definitions from :data:`engine.metrics.REGISTRY`."""
        tab = self.table()
        codes = tab[tab["kind"] == "code"]
        how = f"arithmetic, {self.linking.capitalize()}-linked; "
        span = f"{self.dates[0].date()}..{self.dates[-1].date()}; "
        fund = "fund" in self.subject
        rows = [
            metrics.row(
                "tracking_difference" if fund else "period_difference",
                self.total,
                against=self.against,
                note=f"{self.subject} vs benchmark, {span}",
            )
        ]

        def linked(metric, value, note):
            return {
                **metrics.row("linked_contribution", value, against=self.against, note=note),
                "metric": metric,
            }

        for tag, part in (("top", codes.iloc[::-1].head(top)), ("bottom", codes.head(top))):
            for k, (code, row) in enumerate(part.iterrows(), start=1):
                note = f"{self._label(code)}; mean active weight {row['mean_active_weight']:.3%}; "
                rows.append(linked(f"{tag}_{k}", float(row["contribution"]), note + how))
        total_codes = float(codes["contribution"].sum())
        rows.append(linked("all_codes", total_codes, f"{len(codes)} codes together; {how}"))
        for group, members in (self.meta.get("groups") or {}).items():
            value = float(codes["contribution"].reindex(members).fillna(0.0).sum())
            listed = ", ".join(members[:8]) + (" ..." if len(members) > 8 else "")
            rows.append(linked(f"group: {group}", value, f"{len(members)} codes: {listed}; {how}"))
        for lab, row in tab[tab["kind"] != "code"].iterrows():
            rows.append(linked(lab, float(row["contribution"]), how))
        rows.append(metrics.row("contribution_residual", self.residual, against=self.against))
        return Summary(rows, title=f"Contributions to the difference vs {self.against}{self.tag}")

    def __repr__(self) -> str:
        n_codes = sum(k == "code" for k in self.kinds)
        return (
            f"Contributions({self.subject} vs {self.against}, {self.dates[0].date()}.."
            f"{self.dates[-1].date()}, {n_codes} codes + {len(self.labels) - n_codes} rows, "
            f"difference={self.total:.4%}, {self.linking}{self.tag})"
        )


__all__ = ["Contributions"]
