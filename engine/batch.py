"""`index_batch`: many methodology variants of one index on one market, reduced to a few numbers each.

A variant is a mapping of :meth:`~engine.rules.methodology.MethodologyHistory.replace` keys
(``{"cap": 0.15, "max_constituents": 30}``; ``{}`` is the base methodology).  For every variant
:math:`v` the batch gives exactly what ``engine.build_index(market, history.replace(**v))`` gives:
the levels of the requested kinds (``price``, ``gross``, ``net``), their total return
:math:`I_{end}/I_{base} - 1`, the mean one-way turnover per review after the first

.. math:: \\tau_k = \\tfrac12 \\sum_i |w^{post}_{i,k} - w^{pre}_{i,k}|,

with :math:`w^{pre}` the end-of-day index weights on the review's cap date (the old composition) and
:math:`w^{post}` the review's capped target weights on the same close, the constituent count at the
last review and the number of reviews applied.  A variant whose rules cannot be met (an impossible
cap, no eligible security, ...) raises an :class:`~engine.errors.EngineError`; the batch records its
message in :attr:`IndexBatch.errors` and leaves its columns NaN.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine._jit import njit
from engine.data.market import MarketData
from engine.errors import DataError, EngineError, describe
from engine.index.result import VARIANTS


@dataclass(frozen=True, eq=False)
class IndexBatch:
    """Result of :func:`index_batch`: one column (or entry) per variant.

    Attributes
    ----------
    dates : DatetimeIndex
        The index sessions (base date to the last market session) of the base methodology.
    levels : dict
        ``kind -> float64[n_days, V]`` levels (only when ``keep_levels``; NaN columns for failed
        variants and on dates a variant does not cover).
    total_return : dict
        ``kind -> float64[V]``, :math:`I_{end}/I_{base} - 1`.
    turnover : ndarray
        ``float64[V]``, mean one-way turnover per review after the first (a fraction; NaN with a
        single review).
    n_constituents : ndarray
        ``float64[V]``, constituents of the last review applied.
    n_reviews : ndarray
        ``float64[V]``, reviews applied (effective within the market).
    variants : list
        The variant mappings given.
    errors : list
        ``(variant_index, message)`` for each variant that raised an engine error.
    """

    dates: pd.DatetimeIndex
    levels: dict
    total_return: dict
    turnover: np.ndarray
    n_constituents: np.ndarray
    n_reviews: np.ndarray
    variants: list
    errors: list = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """One row per variant: its settings (as text), ``total_return_<kind>``, ``turnover``,
        ``n_constituents``, ``n_reviews`` and ``error`` ("" when it ran)."""
        err = dict(self.errors)
        data = {"variant": [", ".join(f"{k}={v!r}" for k, v in m.items()) for m in self.variants]}
        for kind, tr in self.total_return.items():
            data[f"total_return_{kind}"] = tr
        data["turnover"] = self.turnover
        data["n_constituents"] = self.n_constituents
        data["n_reviews"] = self.n_reviews
        data["error"] = [err.get(i, "") for i in range(len(self.variants))]
        return pd.DataFrame(data)

    def __repr__(self) -> str:
        return (
            f"IndexBatch({len(self.variants)} variants, {len(self.dates)} sessions, "
            f"kinds={list(self.total_return)}, {len(self.errors)} errors)"
        )


def _history(methodology):
    from engine.rules.methodology import MethodologyHistory, resolve

    spec = resolve(methodology)
    if isinstance(spec, MethodologyHistory):
        return spec
    return MethodologyHistory(spec.name, (spec,))


def _check_kinds(kinds) -> tuple[str, ...]:
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    bad = [k for k in kinds if k not in VARIANTS]
    if bad or not kinds:
        raise DataError(
            describe(
                "unknown index kind",
                source="index_batch",
                field="kinds",
                value=bad or kinds,
                fix=f"use some of {VARIANTS}",
            )
        )
    return kinds


def review_turnover(result) -> float:
    """Mean one-way turnover per review after the first of an :class:`IndexResult` (see module)."""
    events = result.events
    applied = int((events["kind"] == "review").sum()) if len(events) else 0
    reviews = result.schedule.reviews[:applied]
    if len(reviews) < 2:
        return float("nan")
    weights = result.weights
    out = []
    for rv in reviews[1:]:
        cap = pd.Timestamp(rv.cap_date)
        pre = weights.loc[cap].to_numpy(dtype=float) if cap in weights.index else None
        t = rv.table
        post = pd.Series(np.where(t["selected"], t["weight"], 0.0), index=t["code"].to_numpy())
        post = post.reindex(weights.columns, fill_value=0.0).to_numpy(dtype=float)
        if pre is None or not pre.sum() > 0:
            out.append(np.nan)
            continue
        out.append(0.5 * np.abs(post - pre).sum())
    return float(np.mean(out))


def index_batch(
    market: MarketData,
    methodology,
    variants: Sequence[Mapping],
    *,
    kinds=("price",),
    keep_levels: bool = True,
    progress: bool = False,
) -> IndexBatch:
    """Build ``len(variants)`` variants of ``methodology`` on ``market``.

    Parameters
    ----------
    market
        The market data.
    methodology
        Anything :func:`engine.rules.run_reviews` accepts (history name, version name, path,
        ``Methodology``, ``MethodologyHistory``).
    variants
        Mappings of :meth:`MethodologyHistory.replace` keys; ``{}`` is the base methodology.
    kinds
        Index kinds to return, some of ``("price", "gross", "net")``.
    keep_levels
        Keep the ``[n_days, V]`` levels (otherwise only the reduced figures).
    progress
        Show a tqdm progress bar over the variants.

    Returns
    -------
    IndexBatch
        For every variant :math:`v`, ``levels[kind][:, v]`` equals
        ``engine.build_index(market, history.replace(**variants[v])).levels[kind]``.

    Raises
    ------
    MethodologyError
        A variant key that is not a setting (a mistake in the grid, not an outcome of a variant).
        Every other engine error of a variant (a value out of range, an impossible cap, no eligible
        security) lands in :attr:`IndexBatch.errors`.
    """
    from engine.index import compute
    from engine.rules import run_reviews
    from engine.rules.methodology import MethodologyError

    kinds = _check_kinds(kinds)
    history = _history(methodology)
    variants = [dict(v) for v in variants]
    n = len(variants)
    histories = []
    for v in variants:  # grid mistakes (unknown key, bad type) raise before anything runs
        try:
            histories.append(history.replace(**v) if v else history)
        except MethodologyError as exc:
            if _is_grid_mistake(str(exc)):
                raise
            histories.append(exc)
    fast = _FastPath(market)
    levels = None
    total = {k: np.full(n, np.nan) for k in kinds}
    turnover = np.full(n, np.nan)
    n_const = np.full(n, np.nan)
    n_rev = np.full(n, np.nan)
    errors: list[tuple[int, str]] = []
    dates = None
    it = range(n)
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(it, desc="variants", unit="variant")
    for i in it:
        h = histories[i]
        if isinstance(h, Exception):
            errors.append((i, str(h)))
            continue
        try:
            out = fast.run(h)
            if out is None:  # something the fast path does not decide: the full build says what
                out = _full(market, h)
        except EngineError as exc:
            errors.append((i, str(exc)))
            continue
        lv, base_row, tv, nk, nr = out
        if dates is None:
            dates = market.dates[base_row:]
            levels = {k: np.full((len(dates), n), np.nan) for k in kinds} if keep_levels else {}
        own = lv[base_row:]
        if len(own) != len(dates):  # a variant with another base date: on the first one's dates
            own = pd.DataFrame(own, index=market.dates[base_row:]).reindex(dates).to_numpy()
        for kind in kinds:
            col = own[:, VARIANTS.index(kind)]
            if keep_levels:
                levels[kind][:, i] = col
            total[kind][i] = col[-1] / col[0] - 1.0
        turnover[i], n_const[i], n_rev[i] = tv, nk, nr
    if dates is None:  # every variant failed: the base methodology's sessions
        res = compute(market, run_reviews(market, history))
        dates = res.levels.index
        levels = {k: np.full((len(dates), n), np.nan) for k in kinds} if keep_levels else {}
    return IndexBatch(
        dates=pd.DatetimeIndex(dates),
        levels=levels,
        total_return=total,
        turnover=turnover,
        n_constituents=n_const,
        n_reviews=n_rev,
        variants=variants,
        errors=errors,
    )


def _full(market, history):
    """One full build (rules and index) reduced to what the batch keeps."""
    from engine.index import compute
    from engine.rules import run_reviews

    r = compute(market, run_reviews(market, history))
    base_row = market.row(r.base_date)
    lv = np.full((len(market.dates), 3), np.nan)
    lv[base_row:] = r.levels[list(VARIANTS)].to_numpy()
    applied = int((r.events["kind"] == "review").sum())
    return (
        lv,
        base_row,
        review_turnover(r),
        len(r.schedule.reviews[applied - 1].constituents),
        applied,
    )


class _Review:
    """The dates of a review that :func:`engine.prepare.capital_change_factors` reads."""

    def __init__(self, cap_date, effective_date, shares_as_of):
        self.cap_date, self.effective_date, self.shares_as_of = (
            cap_date,
            effective_date,
            shares_as_of,
        )


class _FastPath:
    """Variants on the compiled kernels only, with everything that does not depend on the variant
    (review calendar, market snapshots, capital-change factors, action records) built once.

    :meth:`run` returns None where a variant needs the full build to name an error.
    """

    def __init__(self, market):
        self.market = market
        self.plans: dict = {}
        self.snapshots: dict = {}
        self.factors: dict = {}
        from engine.rules.compiled import code_ranks

        self.code_rank = code_ranks(market.codes)

    def _plan(self, history):
        from engine.rules import review_dates

        key = tuple(
            (
                m.name,
                m.schedule,
                m.weighting.cap_factor_lag_sessions,
                m.index.base_date,
                m.meta.effective_from,
            )
            for m in history.versions
        )
        if key not in self.plans:
            plan = review_dates(history, self.market.dates)
            dates = self.market.dates
            eff = dates.get_indexer(pd.DatetimeIndex(plan["effective_date"]))
            self.plans[key] = (key, plan, eff)
        return self.plans[key]

    def run(self, history):
        from engine.index import _nb as inb
        from engine.prepare import action_records, capital_change_factors, withholding_rates
        from engine.rules import _nb as rnb
        from engine.rules.compiled import _settings, prepare_snapshots

        market = self.market
        first = history.first
        base = first.index.base_date
        dates = market.dates
        if not len(dates) or not dates[0] <= base <= dates[-1]:
            return None
        pkey, plan, eff_rows = self._plan(history)
        if plan.empty or plan["kind"].iloc[0] != "initial" or (eff_rows < 0).any():
            return None
        by_name = {m.name: m for m in history.versions}
        versions = [by_name[name] for name in plan["methodology"]]
        skey = (
            pkey,
            tuple(
                (
                    m.universe.industries,
                    m.universe.min_listed_months,
                    m.liquidity.enabled,
                    m.liquidity.window_sessions,
                    m.universe.require_hsci,
                    m.universe.require_southbound,
                )
                for m in versions
            ),
        )
        x = self.snapshots.get(skey)
        if x is None:
            x = self.snapshots[skey] = prepare_snapshots(market, plan, versions)
        reason, eligible, ranks, selected, weight, cf, stop, status = rnb.reviews_kernel(
            x, *_settings(versions, plan, market), self.code_rank
        )
        if status != rnb.RV_OK:
            return None
        rebalance = tuple(m.weighting.shares_at == "rebalance_close" for m in versions)
        fkey = (pkey, rebalance)
        f = self.factors.get(fkey)
        if f is None:
            reviews = []
            for k, row in enumerate(plan.itertuples()):
                as_of = dates[eff_rows[k] - 1] if rebalance[k] else pd.Timestamp(row.cap_date)
                reviews.append(_Review(row.cap_date, row.effective_date, as_of))
            f = self.factors[fkey] = capital_change_factors(reviews, market)
        q = np.where(selected, x["shares"] * x["free_float"] * np.where(selected, cf, 1.0), 0.0) * f
        base_row = market.row(base)
        if eff_rows[0] != base_row + 1:
            return None
        rates = first.index.withholding_rates
        wkey = ("wht", tuple(sorted(rates.items())))
        wht = self.factors.get(wkey)
        if wht is None:
            wht = self.factors[wkey] = withholding_rates(market, rates, np.zeros(q.shape[1], bool))
            known = market.securities.set_index("code")["wht_class"].reindex(market.codes)
            self.factors[(wkey, "known")] = known.isin(list(rates)).to_numpy(dtype=bool)
        if ((q.max(axis=0) > 0) & ~self.factors[(wkey, "known")]).any():
            return None
        act = action_records(market, after_row=base_row)
        ptr, cols, qv = inb.sparse_reviews(q)
        n_ev = len(q) + len(act) + len(cols) + 1
        ev = np.zeros(n_ev, dtype=inb.EVENT_DTYPE)
        ev_div = np.zeros((n_ev, 6))
        close = market.close_hkd
        levels, _div, slot_q, seg, _n, st = inb.index_run(
            close,
            base_row,
            1.0 * first.index.base_value,
            eff_rows.astype(np.int64),
            ptr,
            cols,
            qv,
            act,
            wht,
            ev,
            ev_div,
        )
        if st[0] != inb.ST_OK:
            return None
        cap_rows = dates.get_indexer(pd.DatetimeIndex(plan["cap_date"]))
        tv = _turnover_nb(
            slot_q, seg, ptr, cols, close, cap_rows.astype(np.int64), weight, base_row
        )
        return levels, base_row, tv, int(selected[-1].sum()), len(plan)


@njit
def _turnover_nb(slot_q, seg, rev_ptr, rev_col, close, cap_rows, weight, base_row):
    """Mean over reviews ``k >= 1`` of :math:`\\tfrac12 \\sum_i |w^{post}_{i,k} - w^{pre}_{i,k}|`
    (NaN for a review whose cap date has no index weights, as in :func:`review_turnover`)."""
    R, N = weight.shape
    if R < 2:
        return np.nan
    acc = 0.0
    for k in range(1, R):
        t = cap_rows[k]
        if t < base_row or seg[t] < 0:
            return np.nan
        m = seg[t]
        lo = rev_ptr[m]
        n = rev_ptr[m + 1] - lo
        pre = np.zeros(N)
        total = 0.0
        for s in range(n):
            if slot_q[t, s] > 0.0:
                total += slot_q[t, s] * close[t, rev_col[lo + s]]
        for s in range(n):
            if slot_q[t, s] > 0.0:
                pre[rev_col[lo + s]] = slot_q[t, s] * close[t, rev_col[lo + s]] / total
        if not pre.sum() > 0:
            return np.nan
        d = 0.0
        for j in range(N):
            d += abs(weight[k, j] - pre[j])
        acc += 0.5 * d
    return acc / (R - 1)


def _is_grid_mistake(message: str) -> bool:
    """Unknown or ambiguous keys are mistakes in the grid, not outcomes of a variant."""
    return message.startswith(("unknown setting", "ambiguous setting"))


__all__ = ["IndexBatch", "index_batch", "review_turnover"]
