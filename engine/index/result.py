"""`IndexResult`: levels, weights, divisors and the event log of one index run."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from engine._display import Result, Summary
from engine.conventions import annualise_return
from engine.errors import DataError
from engine.rules.schedule import ReviewSchedule, _Lazy

VARIANTS = ("price", "gross", "net")


@dataclass(frozen=True, eq=False)
class IndexResult(Result):
    """Output of :func:`engine.index.compute`.

    Attributes
    ----------
    levels : DataFrame
        ``[date]`` x ``price, gross, net``: price-return, gross and net total-return levels, from
        ``base_date`` (= ``base_value``) on.
    weights : DataFrame
        ``[date, code]`` end-of-day constituent weights :math:`w_{i,t} = q_{i,t} P_{i,t} / \\sum_j q_{j,t} P_{j,t}`.
    index_shares : DataFrame
        ``[date, code]`` index shares :math:`q_{i,t}` in force during each session (after that day's
        review and corporate actions).  On ``base_date`` weights and shares are those of the first
        review, the composition that prices the base level; every market code is a column (0 when
        not in the index).
    divisors : DataFrame
        ``[date]`` x ``price, gross, net``: :math:`D_t` with level :math:`I_t = \\sum_i q_{i,t} P_{i,t} / D_t`.
    events : DataFrame
        One row per event applied: ``date, kind, code, detail`` (reviews, splits, bonus and rights
        issues, cash dividends, deletions; ``code`` is empty for reviews) and the divisors
        ``divisor_before_{price,gross,net}`` and ``divisor_after_{price,gross,net}``.  Corporate
        actions on securities outside the index are not events of the index and are not listed.
    schedule : ReviewSchedule
        The reviews the index was computed from.
    base_date, base_value
        The session at which every variant equals ``base_value``.
    name, synthetic
        Series name (the schedule's history); ``synthetic`` when the market data were generated.
    Notes
    -----
    ``weights``, ``index_shares``, ``divisors`` and ``events`` may be given as zero-argument
    callables: each is built on first access and kept (``engine.index.compute`` does this, so a run
    whose weights nobody reads never builds the dense ``[date, code]`` frames).

    warnings : tuple of str
        Approximations and plausibility findings carried from the market (``MarketData.warnings``);
        reports show them.
    meta : dict
        Provenance: ``methodology_hash``, ``data_fingerprint``, ``engine_version``, ``withholding``
        (class -> rate used), ``market_source``, ``skipped_reviews`` (effective dates after the data).
    """

    _figure = "index_figure"

    levels: pd.DataFrame
    weights: pd.DataFrame = _Lazy()
    index_shares: pd.DataFrame = _Lazy()
    divisors: pd.DataFrame = _Lazy()
    events: pd.DataFrame = _Lazy()
    schedule: ReviewSchedule
    base_date: pd.Timestamp
    base_value: float
    name: str = "hsidi"
    synthetic: bool = False
    meta: dict = field(default_factory=dict)
    warnings: tuple = ()

    # ------------------------------------------------------------------ views
    def _check_variant(self, variant: str) -> str:
        if variant not in VARIANTS:
            raise DataError(
                "unknown index variant",
                field="variant",
                value=variant,
                fix=f"use one of {VARIANTS}",
            )
        return variant

    def to_frame(self) -> pd.DataFrame:
        """Levels and divisors in one frame: columns ``level_price, level_gross, level_net,
        divisor_price, divisor_gross, divisor_net``, indexed by date."""
        levels = self.levels.add_prefix("level_")
        divisors = self.divisors.add_prefix("divisor_")
        return pd.concat([levels, divisors], axis=1)

    def returns(self, variant: str = "price") -> pd.Series:
        """Daily simple returns :math:`r_t = I_t / I_{t-1} - 1` of one variant (from the first session
        after the base date)."""
        level = self.levels[self._check_variant(variant)]
        return (level / level.shift(1) - 1.0).iloc[1:].rename(f"{variant}_return")

    def level_at(self, date, variant: str | None = None):
        """Level at the close of ``date`` (the last session on or before it when ``date`` is not a
        session).  A Series of the three variants, or one float when ``variant`` is given."""
        ts = pd.Timestamp(date)
        idx = self.levels.index
        pos = int(idx.searchsorted(ts, side="right")) - 1
        if pos < 0:
            raise DataError(
                "date before the index base date",
                date=ts,
                value=f"base date {self.base_date.date()}",
                fix="ask for a date on or after the base date",
            )
        row = self.levels.iloc[pos]
        if variant is None:
            return row.rename(idx[pos])
        return float(row[self._check_variant(variant)])

    def summary(self):
        """The run in one :class:`engine._display.Summary`: sessions, start and end dates, reviews and
        events, and per variant ``v`` (price, gross, net) the end level ``end_level_v``, total return
        ``total_return_v`` :math:`= I_{end}/I_{start} - 1` and annualised return
        ``annualised_return_v`` :math:`= (1 + TR)^{p/n} - 1` with :math:`n` daily returns and :math:`p`
        sessions per year (:func:`engine.conventions.annualise_return`; NaN for a zero-length run);
        then a ``warnings`` row when the result carries any (approximations and plausibility findings
        of the market it was built on)."""
        start, end = self.levels.index[0], self.levels.index[-1]
        n_returns = len(self.levels) - 1
        n_reviews = int((self.events["kind"] == "review").sum()) if len(self.events) else 0
        rows = [
            {"metric": "start", "value": start, "unit": "date"},
            {"metric": "end", "value": end, "unit": "date"},
            {"metric": "sessions", "value": len(self.levels), "unit": "count"},
            {"metric": "reviews", "value": n_reviews, "unit": "count"},
            {"metric": "events", "value": len(self.events), "unit": "count"},
        ]
        for v in VARIANTS:
            first, last = float(self.levels[v].iloc[0]), float(self.levels[v].iloc[-1])
            total = last / first - 1.0
            what = f"{self.name} {v} index, HKD"
            rows += [
                {"metric": f"end_level_{v}", "value": last, "unit": "level", "note": what},
                {"metric": f"total_return_{v}", "value": total, "unit": "%", "note": what},
                {
                    "metric": f"annualised_return_{v}",
                    "value": annualise_return(total, n_returns),
                    "unit": "%",
                    "note": f"{what}; sessions per year from engine.conventions",
                },
            ]
        if self.warnings:
            rows.append(
                {
                    "metric": "warnings",
                    "value": len(self.warnings),
                    "unit": "count",
                    "note": "; ".join(self.warnings[:3])
                    + (" ..." if len(self.warnings) > 3 else ""),
                }
            )
        return Summary(rows, title=f"{self.name} index levels{self.tag}")

    def __repr__(self) -> str:
        last = self.levels.iloc[-1]
        return (
            f"IndexResult({self.name}{self.tag}, {len(self.levels)} sessions "
            f"{self.levels.index[0].date()}..{self.levels.index[-1].date()}, "
            f"price={last['price']:.2f}, gross={last['gross']:.2f}, net={last['net']:.2f}, "
            f"{len(self.events)} events)"
        )
