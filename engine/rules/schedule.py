"""`Review` and `ReviewSchedule`: what the rules stage hands to the index stage.

A review fixes, for every security considered, whether it is selected and with which *index shares*

.. math:: q_i = IS_i \\times FAF_i \\times CF_i

(issued shares and free-float factor read on the review's ``cap_date``, cap factor :math:`CF_i \\in (0, 1]`).
The new composition applies from the open of ``effective_date``; its weights were computed on the close of
``cap_date`` (the session before ``effective_date`` under the default cap-factor lag of one session).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd

from engine import metrics
from engine._display import Result, Summary, row

REVIEW_TABLE_COLUMNS = [
    "code",  # str
    "eligible",  # bool, passed every screen
    "rank",  # float, 1 = best (NaN when not ranked)
    "selected",  # bool, constituent from effective_date
    "shares",  # float, issued shares on cap_date
    "free_float",  # float, FAF on cap_date
    "cap_factor",  # float in (0, 1], NaN when not selected
    "weight",  # float, capped weight on cap_date close (0 when not selected); sums to 1
    "reason",  # str, why in or out ("selected: rank 3", "out: CXO excluded", ...)
]


PER_REVIEW_COLUMNS = [
    "effective_date",
    "methodology",
    "kind",
    "cutoff_date",
    "constituents",
    "eligible",
    "max_weight",
    "added",
    "removed",
    "one_way_turnover",
    "vacancies_filled",
]
"""Columns of :meth:`ReviewSchedule.per_review`."""


class _Lazy:
    """A field of a frozen dataclass that holds a value or a zero-argument builder of it.

    The builder runs on first access and its result replaces it, so the dense ``[date, code]``
    frames cost nothing until a user asks for them.  The field has no default.
    """

    def __set_name__(self, owner, name):
        self.slot = f"_{name}_value"

    def __get__(self, obj, objtype=None):
        if obj is None:
            raise AttributeError(self.slot)  # no default for the dataclass field
        value = obj.__dict__[self.slot]
        if callable(value) and not isinstance(value, pd.DataFrame):
            value = value()
            obj.__dict__[self.slot] = value
        return value

    def __set__(self, obj, value):
        obj.__dict__[self.slot] = value


@dataclass(frozen=True, eq=False)
class Review:
    """One index review: dates, the methodology used, and a table with one row per security considered."""

    methodology: str  # name of the methodology version applied ("hsidi-2025-08")
    kind: str  # "initial", "regular", "extraordinary" or "replacement" (engine.rules.replace)
    cutoff_date: pd.Timestamp  # data cut-off (eligibility, ranking)
    announcement_date: pd.Timestamp
    cap_date: pd.Timestamp  # close used for shares, FAF, weights and cap factors
    effective_date: pd.Timestamp  # first session under the new composition
    table: pd.DataFrame = _Lazy()  # REVIEW_TABLE_COLUMNS (or a builder of it, run on first access)
    shares_date: pd.Timestamp | None = None
    """Session whose share counts the index shares are in (None = ``cap_date``); capital changes
    after it and before ``effective_date`` restate them.  ``shares_at = "rebalance_close"`` sets it
    to the session before ``effective_date``."""

    @property
    def shares_as_of(self) -> pd.Timestamp:
        """``shares_date``, or ``cap_date`` when it is not set."""
        return self.cap_date if self.shares_date is None else self.shares_date

    @property
    def constituents(self) -> list[str]:
        return list(self.table.loc[self.table["selected"], "code"])

    @property
    def index_shares(self) -> pd.Series:
        """``q = shares * free_float * cap_factor`` for the selected codes."""
        sel = self.table[self.table["selected"]]
        return pd.Series(
            (sel["shares"] * sel["free_float"] * sel["cap_factor"]).to_numpy(),
            index=sel["code"].to_numpy(),
        )

    def __repr__(self) -> str:
        return (
            f"Review({self.effective_date.date()} {self.methodology} {self.kind}, "
            f"{len(self.constituents)} constituents of {len(self.table)} considered)"
        )


_PLAN_COLUMNS = ("kind", "cutoff_date", "announcement_date", "cap_date", "effective_date")


def plan_reviews(plan: pd.DataFrame, versions: list, dates: pd.DatetimeIndex, table) -> tuple:
    """One :class:`Review` per row of a review plan (the columns of
    :data:`~engine.rules.calendar.REVIEW_DATE_COLUMNS`) run under ``versions[k]``, on a market of
    sessions ``dates``; review ``k``'s table is ``table(k)``, built on first read."""
    price_rows = np.maximum(dates.searchsorted(pd.DatetimeIndex(plan["effective_date"])) - 1, 0)
    before = dates[price_rows].tolist()
    return tuple(
        Review(
            methodology=m.name,
            kind=str(kind),
            cutoff_date=cutoff,
            announcement_date=announcement,
            cap_date=cap,
            effective_date=effective,
            table=partial(table, k),
            # the session whose share counts the index shares are in
            shares_date=before[k] if m.weighting.shares_at == "rebalance_close" else cap,
        )
        for k, (m, kind, cutoff, announcement, cap, effective) in enumerate(
            zip(versions, *(plan[c].tolist() for c in _PLAN_COLUMNS), strict=True)
        )
    )


@dataclass(frozen=True, eq=False)
class ReviewSchedule(Result):
    """All reviews of one run, in effective-date order, plus provenance."""

    _figure = "schedule_figure"

    reviews: tuple[Review, ...]
    history: str  # name of the methodology history or version ("hsidi", "hsidi-2023-05")
    methodology_hash: str = ""
    data_fingerprint: str = ""
    index_params: dict = field(default_factory=dict)
    """Defaults for the index stage taken from the (first) methodology: ``base_date`` (Timestamp),
    ``base_value`` (float), ``withholding`` (dict wht_class -> rate used by the net total return)."""
    arrays: dict | None = field(default=None, repr=False, compare=False)
    """Compact ``[review, security]`` arrays from the compiled rules (``codes``, ``selected``,
    ``q`` index shares, ``weight``), which the index stage reads instead of every review's table;
    None for schedules built by hand."""

    @property
    def effective_dates(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex([r.effective_date for r in self.reviews], name="effective_date")

    def index_shares(self, codes: list[str]) -> np.ndarray:
        """``[review, security]`` float64 array of index shares ``q`` (0 where not a constituent)."""
        pos = {c: j for j, c in enumerate(codes)}
        out = np.zeros((len(self.reviews), len(codes)))
        for r, review in enumerate(self.reviews):
            q = review.index_shares
            for code, value in q.items():
                out[r, pos[code]] = value
        return out

    def constituents_at(self, date) -> list[str]:
        """Constituents in force on session ``date`` (after the latest review effective on or before it)."""
        ts = pd.Timestamp(date)
        current: list[str] = []
        for review in self.reviews:
            if review.effective_date <= ts:
                current = review.constituents
        return current

    def to_frame(self) -> pd.DataFrame:
        """One row per (review, security): effective date, methodology, selection, weight, cap factor, reason."""
        parts = []
        for review in self.reviews:
            t = review.table.copy()
            t.insert(0, "effective_date", review.effective_date)
            t.insert(1, "methodology", review.methodology)
            t.insert(2, "review_kind", review.kind)
            t.insert(3, "cutoff_date", review.cutoff_date)
            t.insert(4, "announcement_date", review.announcement_date)
            t.insert(5, "cap_date", review.cap_date)
            parts.append(t)
        if not parts:
            return pd.DataFrame(columns=["effective_date", "methodology", *REVIEW_TABLE_COLUMNS])
        return pd.concat(parts, ignore_index=True)

    def per_review(self) -> pd.DataFrame:
        """One row per review, in effective-date order.

        Columns: ``effective_date``, ``methodology``, ``kind``, ``cutoff_date``, ``constituents``
        (selected), ``eligible`` (passed every screen), ``max_weight`` (largest capped weight on the
        cap date), ``added`` and ``removed`` (codes entering and leaving against the review before;
        0 for the first), ``one_way_turnover`` and ``vacancies_filled``.

        ``one_way_turnover`` is :math:`\\tfrac12 \\sum_i |w_{r,i} - w_{r-1,i}|` over the capped
        review weights of review :math:`r` and the review before (0 for a code not selected); it
        compares target weights only, without the price drift between the reviews, and is NaN for
        the first review.  ``vacancies_filled`` counts constituents selected only to fill a
        vacancy (fewer names than the target passed the selection rule; reason ``selected: rank r
        fills a vacancy``).
        """
        rows = []
        prev_w: pd.Series | None = None
        prev_in: set[str] = set()
        for r in self.reviews:
            t = r.table
            sel = t[t["selected"]]
            w = pd.Series(sel["weight"].to_numpy(float), index=sel["code"].to_numpy())
            now_in = set(w.index)
            if prev_w is None:
                turnover = np.nan
            else:
                both = w.index.union(prev_w.index)
                diff = w.reindex(both, fill_value=0.0) - prev_w.reindex(both, fill_value=0.0)
                turnover = 0.5 * float(np.abs(diff.to_numpy()).sum())
            rows.append(
                {
                    "effective_date": r.effective_date,
                    "methodology": r.methodology,
                    "kind": r.kind,
                    "cutoff_date": r.cutoff_date,
                    "constituents": len(sel),
                    "eligible": int(t["eligible"].sum()),
                    "max_weight": float(sel["weight"].max()) if len(sel) else np.nan,
                    "added": len(now_in - prev_in) if prev_w is not None else 0,
                    "removed": len(prev_in - now_in) if prev_w is not None else 0,
                    "one_way_turnover": turnover,
                    "vacancies_filled": int(
                        sel["reason"].astype(str).str.endswith("fills a vacancy").sum()
                    ),
                }
            )
            prev_w, prev_in = w, now_in
        return pd.DataFrame(rows, columns=PER_REVIEW_COLUMNS)

    def summary(self):
        """The schedule in one :class:`engine._display.Summary` (the per-review table is
        :meth:`per_review`).

        Number of reviews (by kind in the note), first and last effective date, the methodology
        versions applied, constituents, eligible securities and the largest weight at the last
        review, mean one-way turnover per review (:meth:`per_review`: target weights of successive
        reviews, no price drift; over every review after the first), codes added and removed over
        the run, and the reviews in which a name was selected only to fill a vacancy.
        """
        per = self.per_review()
        rows = _summary_rows(per) if len(per) else [row("reviews", 0, "count")]
        return Summary(rows, title=f"Review schedule {self.history}")

    def __repr__(self) -> str:
        if not self.reviews:
            return f"ReviewSchedule({self.history}, no reviews)"
        first, last = self.reviews[0], self.reviews[-1]
        versions = ", ".join(dict.fromkeys(r.methodology for r in self.reviews))
        return (
            f"ReviewSchedule({self.history}, {len(self.reviews)} reviews "
            f"{first.effective_date.date()}..{last.effective_date.date()}, {versions}, "
            f"{int(last.table['selected'].sum())} constituents at the last review)"
        )


def _summary_rows(per: pd.DataFrame) -> list[dict]:
    """The rows of :meth:`ReviewSchedule.summary` from its :meth:`~ReviewSchedule.per_review`."""
    last, date = per.iloc[-1], per["effective_date"]
    kinds = ", ".join(f"{n} {k}" for k, n in per["kind"].value_counts().items())
    vacancy = date[per["vacancies_filled"] > 0]
    first_vacancy = f"; first {vacancy.iloc[0].date()}" if len(vacancy) else ""
    turnover = per["one_way_turnover"].dropna()
    mean_turnover = float(turnover.mean()) if len(turnover) else np.nan
    return [
        row("reviews", len(per), "count", note=kinds),
        row("first_effective_date", date.iloc[0], "date"),
        row("last_effective_date", last["effective_date"], "date"),
        row(
            "methodologies",
            ", ".join(dict.fromkeys(per["methodology"])),
            "text",
            note="versions applied, in order",
        ),
        row(
            "constituents_last_review",
            int(last["constituents"]),
            "count",
            note=f"effective {last['effective_date'].date()}",
        ),
        row("eligible_last_review", int(last["eligible"]), "count", note="passed every screen"),
        row(
            "max_weight_last_review",
            float(last["max_weight"]),
            "%",
            note="largest capped weight on the cap date",
        ),
        metrics.row(
            "turnover_target", mean_turnover, note=f"{len(turnover)} reviews after the first; "
        ),
        row(
            "codes_added",
            int(per["added"].sum()),
            "count",
            note="entries over the run, after the first review",
        ),
        row("codes_removed", int(per["removed"].sum()), "count", note="deletions over the run"),
        row(
            "reviews_with_vacancies",
            len(vacancy),
            "count",
            note="a name selected only to fill a vacancy" + first_vacancy,
        ),
    ]
