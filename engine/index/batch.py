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

import dataclasses
import weakref
from collections import namedtuple
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter

import numpy as np
import pandas as pd

from engine.data.market import MarketData
from engine.errors import DataError, EngineError, MethodologyError
from engine.index import batch_nb
from engine.index.compute import compute
from engine.index.result import VARIANTS
from engine.prepare import action_records, capital_change_factors, withholding_rates
from engine.rules._nb import RULES_DT
from engine.rules.calendar import review_dates
from engine.rules.compiled import code_order, prepare_snapshots, review_settings, version_settings
from engine.rules.methodology import (
    _SECTIONS,
    Methodology,
    MethodologyHistory,
    _check,
    _convert,
    _field_spec,
    _resolve_key,
    resolve,
)
from engine.rules.run import run_reviews


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
    distinct_levels : dict
        ``kind -> float64[n_days, U]``: the levels of the distinct variants (always kept; variants
        of one compiled call whose selections, index shares and target weights are bitwise the same
        have the same levels and share a column).
    column : ndarray
        ``int64[V]``: variant ``v``'s levels are ``distinct_levels[kind][:, column[v]]`` (-1: it
        failed).
    """

    dates: pd.DatetimeIndex
    levels: dict
    total_return: dict
    turnover: np.ndarray
    n_constituents: np.ndarray
    n_reviews: np.ndarray
    variants: list
    errors: list = field(default_factory=list)
    distinct_levels: dict = field(default_factory=dict)
    column: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

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
    spec = resolve(methodology)
    if isinstance(spec, MethodologyHistory):
        return spec
    return MethodologyHistory(spec.name, (spec,))


def _check_kinds(kinds) -> tuple[str, ...]:
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    bad = [k for k in kinds if k not in VARIANTS]
    if bad or not kinds:
        raise DataError(
            "unknown index kind",
            source="index_batch",
            field="kinds",
            value=bad or kinds,
            fix=f"use some of {VARIANTS}",
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


KERNEL_SETTINGS = frozenset(
    {
        "weighting.cap",
        "selection.max_constituents",
        "selection.buffer_add_rank",
        "selection.buffer_remove_rank",
        "selection.ranking",
        "universe.min_relevance",
        "universe.exclude_cxo",
        "universe.exclude_suspended_at_cutoff",
        "liquidity.min_avg_traded_value_hkd",
    }
)
"""Settings the batch reads only through :func:`engine.rules.compiled.version_settings`: they change
neither the review calendar nor the market snapshots nor anything else of :meth:`_FastPath.key`'s
group key.  A variant that changes only these shares the base methodology's group and is validated
from per-value caches (:class:`_Changes`); any other key goes through
:meth:`MethodologyHistory.replace`."""


def index_batch(
    market: MarketData,
    methodology,
    variants: Sequence[Mapping],
    *,
    kinds=("price",),
    keep_levels: bool = True,
    progress: bool = False,
    chunk_size: int = 1024,
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
        Keep the ``[n_days, V]`` levels (otherwise only the reduced figures and the distinct
        levels, :attr:`IndexBatch.distinct_levels`).
    progress
        Show a tqdm progress bar over the variants.
    chunk_size
        Variants per compiled call (bounds the working memory: ``chunk_size x n_days`` levels per
        kind at most, fewer when variants coincide, and 24 bytes per selected security and review
        of each variant).

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
    kinds = _check_kinds(kinds)
    history = _history(methodology)
    variants = [dict(v) for v in variants]
    targets = _targets(history, variants)
    fast = _FastPath.of(market)
    out = _Distinct(len(variants), kinds)
    groups: dict = {}
    for i, h in enumerate(targets):
        if isinstance(h, Exception):
            out.errors.append((i, str(h)))
            continue
        key = fast.key(h)
        if key is None:  # the full build decides (and names any error)
            _run_full(market, h, i, kinds, out)
        else:
            groups.setdefault(key[0], []).append((i, key[1]))
    _run_groups(market, fast, groups, targets, kinds, out, chunk_size, progress)
    fast.retain(groups)
    base_dates = None
    if not (out.column >= 0).any():  # every variant failed: the base methodology's sessions
        base_dates = compute(market, run_reviews(market, history)).levels.index
    return out.result(market, variants, keep_levels, base_dates)


def _targets(history, variants: list[dict]) -> list:
    """Each variant as the base history, a :class:`_Variant` or a history (see
    :meth:`_Changes.variant`), or the :class:`MethodologyError` it gives; a grid mistake (unknown
    key, bad type) raises before anything runs."""
    changes = _Changes(history)
    targets: list = []
    for v in variants:
        try:
            targets.append(changes.variant(v))
        except MethodologyError as exc:
            if _is_grid_mistake(str(exc)):
                raise
            targets.append(exc)
    return targets


def _run_groups(market, fast, groups, targets, kinds, out, chunk_size, progress) -> None:
    """Run each group's variants ``chunk_size`` at a time through the compiled path; a variant the
    kernel stops on goes to the full build, which names its error."""
    n = len(targets)
    bar = None
    if progress:
        from tqdm.auto import tqdm  # optional dependency

        bar = tqdm(total=n, desc="variants", unit="variant")
        bar.update(n - sum(len(g) for g in groups.values()))
    for gkey, members in groups.items():
        for lo in range(0, len(members), chunk_size):
            chunk = members[lo : lo + chunk_size]
            ids = np.array([i for i, _ in chunk], dtype=np.int64)
            again = fast.run(gkey, [s for _, s in chunk], ids, kinds, out)
            for i in again:  # the kernel stopped: the full build names the error
                _run_full(market, targets[i], i, kinds, out)
            if bar is not None:
                bar.update(len(chunk))
    if bar is not None:
        bar.close()


class _Distinct:
    """What the batch collects: blocks of distinct levels (one column per distinct variant, from
    the block's base row on) and, per variant, its distinct column and figures."""

    def __init__(self, n, kinds):
        self.kinds = kinds
        self.blocks: list[tuple[np.ndarray, int]] = []  # ([U_b, T - base_row, kinds], base_row)
        self.starts: list[int] = []  # first distinct column of each block
        self.n_distinct = 0
        self.column = np.full(n, -1, dtype=np.int64)
        self.turnover = np.full(n, np.nan)
        self.n_const = np.full(n, np.nan)
        self.n_rev = np.full(n, np.nan)
        self.errors: list[tuple[int, str]] = []

    def add(self, levels, base_row, ids, column, turnover, n_const, n_rev) -> None:
        """A block of distinct levels ``[U, T - base_row, kinds]`` and its variants ``ids`` (their
        ``column`` in the block, -1: not finished)."""
        done = column >= 0
        self.column[ids[done]] = self.n_distinct + column[done]
        self.turnover[ids[done]] = turnover[done]
        self.n_const[ids[done]] = n_const[done]
        self.n_rev[ids[done]] = n_rev
        self.blocks.append((levels, base_row))
        self.starts.append(self.n_distinct)
        self.n_distinct += levels.shape[0]

    def result(self, market, variants, keep_levels, base_dates) -> IndexBatch:
        column = self.column
        ran = column >= 0
        if base_dates is None:  # the sessions of the first variant that ran
            first = int(column[np.flatnonzero(ran)[0]])
            first_row = self.blocks[int(np.searchsorted(self.starts, first, side="right")) - 1][1]
            dates = market.dates[first_row:]
        else:
            first_row, dates = None, pd.DatetimeIndex(base_dates)
        U = self.n_distinct
        if len(self.blocks) == 1 and self.blocks[0][1] == first_row:
            # one block on the first variant's dates: the distinct levels are a view of it
            levels = self.blocks[0][0]
            distinct = {kind: levels[:, :, c].T for c, kind in enumerate(self.kinds)}
        else:
            distinct = {k: np.full((len(dates), U), np.nan) for k in self.kinds}
            for (levels, base_row), lo in zip(self.blocks, self.starts, strict=True):
                for c, kind in enumerate(self.kinds):
                    block = levels[:, :, c].T  # [T - base_row, U_b]
                    if base_row != first_row:  # another base date: on the first one's dates
                        block = pd.DataFrame(block, index=market.dates[base_row:]).reindex(dates)
                        block = block.to_numpy()
                    distinct[kind][:, lo : lo + levels.shape[0]] = block
        total, kept = {}, {}
        for kind in self.kinds:
            d = distinct[kind]
            with np.errstate(invalid="ignore", divide="ignore"):
                total[kind] = _take(d[-1] / d[0] - 1.0 if len(d) else np.full(U, np.nan), column)
            if keep_levels:
                kept[kind] = np.full((len(dates), len(column)), np.nan)
                kept[kind][:, ran] = d[:, column[ran]]
        return IndexBatch(
            dates=pd.DatetimeIndex(dates),
            levels=kept,
            total_return=total,
            turnover=self.turnover,
            n_constituents=self.n_const,
            n_reviews=self.n_rev,
            variants=variants,
            errors=sorted(self.errors),
            distinct_levels=distinct,
            column=column,
        )


def _take(values: np.ndarray, column: np.ndarray) -> np.ndarray:
    """``values[column]`` with NaN where ``column`` is -1."""
    out = np.full(len(column), np.nan)
    ran = column >= 0
    out[ran] = values[column[ran]]
    return out


class _Variant:
    """A variant of the base history that changes only :data:`KERNEL_SETTINGS`: its validated
    versions (in the base's order) and the changes (for the full build, which rebuilds the history
    with :meth:`MethodologyHistory.replace`)."""

    __slots__ = ("base", "changes", "versions")

    def __init__(self, base, changes, versions):
        self.base, self.changes, self.versions = base, changes, versions

    def history(self):
        return self.base.replace(**self.changes)


class _Changes:
    """Validated variants of one base history.

    A variant of :data:`KERNEL_SETTINGS` keys gives exactly the versions (and the errors, with the
    same messages, in the same order) that :meth:`MethodologyHistory.replace` gives: each changed
    section is converted (:func:`engine.rules.methodology._convert`) and built once per version
    and set of values, and only the cross-key checks (:func:`engine.rules.methodology._check`)
    run per variant.  Any other variant goes through :meth:`MethodologyHistory.replace`.
    """

    def __init__(self, history):
        self.history = history
        self.where = [m.source or f"<replace on {m.name}>" for m in history.versions]
        self.base = [{name: getattr(m, name) for name in _SECTIONS} for m in history.versions]
        self.layouts: dict = {}
        self.sections: dict = {}

    def _layout(self, keys: tuple):
        """``(names, [(section, positions of its keys)])`` of a tuple of kernel-setting keys, or
        None when a key is anything else."""
        found = self.layouts.get(keys, False)
        if found is False:
            found = None
            try:
                names = [_resolve_key(k, self.where[0]) for k in keys]
            except MethodologyError:
                names = None
            if names is not None and all(f"{s}.{n}" in KERNEL_SETTINGS for s, n in names):
                per: dict[str, list[int]] = {}
                for p, (sec, _name) in enumerate(names):
                    per.setdefault(sec, []).append(p)
                found = (names, list(per.items()))
            self.layouts[keys] = found
        return found

    def variant(self, changes: dict):
        """The base history (``{}``), a :class:`_Variant`, or ``history.replace(**changes)``.

        Raises the :class:`MethodologyError` that ``history.replace`` raises.
        """
        if not changes:
            return self.history
        layout = self._layout(tuple(changes))
        if layout is None:
            return self.history.replace(**changes)
        values = tuple(changes.values())
        try:
            versions = tuple(
                self._version(i, layout, values) for i in range(len(self.history.versions))
            )
        except TypeError:  # an unhashable value: the general path converts and names it
            return self.history.replace(**changes)
        return _Variant(self.history, changes, versions)

    def _version(self, i, layout, values):
        """``versions[i].replace(**changes)`` from the caches (see the class docstring)."""
        names, per_section = layout
        sections = dict(self.base[i])
        for sec, positions in per_section:
            k = (i, sec, tuple((names[p][1], type(values[p]), values[p]) for p in positions))
            got = self.sections.get(k)
            if got is None:
                got = self.sections[k] = self._section(
                    i, sec, [(names[p][1], values[p]) for p in positions]
                )
            if isinstance(got, Exception):  # raise the variant's first bad key, as replace does
                for (owner, name), value in zip(names, values, strict=True):
                    self._convert(i, owner, name, value)
            sections[sec] = got
        out = Methodology(**sections, source="")
        _check(out, self.where[i])
        return out

    def _convert(self, i, sec, name, value):
        """One value converted for version ``i`` (raises its :class:`MethodologyError`)."""
        return _convert(value, _field_spec(_SECTIONS[sec], name), self.where[i], sec, name)

    def _section(self, i, sec, changes):
        """Section ``sec`` of version ``i`` with ``changes`` (``[(name, value)]``), or the first
        conversion error."""
        try:
            upd = {name: self._convert(i, sec, name, value) for name, value in changes}
        except MethodologyError as exc:
            return exc
        return dataclasses.replace(self.base[i][sec], **upd)


def _run_full(market, target, i, kinds, out: _Distinct) -> None:
    """One full build (rules and index) reduced to what the batch keeps, or its error."""
    history = target.history() if isinstance(target, _Variant) else target
    try:
        r = compute(market, run_reviews(market, history))
    except EngineError as exc:
        out.errors.append((i, str(exc)))
        return
    base_row = market.row(r.base_date)
    applied = int((r.events["kind"] == "review").sum())
    out.add(
        r.levels[list(kinds)].to_numpy()[None, :, :],
        base_row,
        np.array([i], dtype=np.int64),
        np.zeros(1, dtype=np.int64),
        np.array([review_turnover(r)]),
        np.array([float(len(r.schedule.reviews[applied - 1].constituents))]),
        applied,
    )


_Review = namedtuple("_Review", "cap_date effective_date shares_as_of")
"""The dates of a review that :func:`engine.prepare.capital_change_factors` reads."""


_PLAN_KEY = attrgetter(
    "name",
    "schedule",
    "weighting.cap_factor_lag_sessions",
    "index.base_date",
    "meta.effective_from",
)
"""What a version's review plan depends on."""
_SNAPSHOT_KEY = attrgetter(
    "universe.industries",
    "universe.min_listed_months",
    "universe.max_suspended_sessions",
    "universe.require_hsci",
    "universe.require_southbound",
    "liquidity.enabled",
    "liquidity.window_sessions",
    "weighting.shares_at",
)
"""What a version's market snapshots depend on (besides the plan)."""


class _FastPath:
    """Variants grouped by what they share (review calendar, market snapshots, restatement
    factors, base date, withholding rates), each group run by
    :func:`engine.index.batch_nb.variants_kernel`; a variant the kernel cannot finish (an error to
    name) goes to the full build.
    """

    @classmethod
    def of(cls, market) -> _FastPath:
        """The market's fast path, kept in :data:`_FAST_PATHS` (weakly keyed by the market, so it
        goes with it) so that the chunks of a sweep share the plans and group inputs (they depend
        only on the market and the settings in their keys; :meth:`retain` keeps those of the last
        batch only)."""
        fast = _FAST_PATHS.get(market)
        if fast is None:
            fast = _FAST_PATHS[market] = cls(market)
        return fast

    def retain(self, gkeys) -> None:
        """Drop the groups (and plans) other than ``gkeys``: memory stays that of one batch."""
        self.groups = {k: self.groups[k] for k in gkeys}
        self.plans = {k[0]: self.plans[k[0]] for k in gkeys}
        self.base_key = (None, None)

    def __init__(self, market):
        self._market = weakref.ref(market)  # weak: a strong one would keep its own key alive
        self.plans: dict = {}
        self.groups: dict = {}
        self.base_rows: dict = {}
        self.base_key: tuple = (None, None)  # (the last base history of a _Variant, its _group_key)
        self.code_order = code_order(market.codes)

    @property
    def market(self) -> MarketData:
        return self._market()

    def _plan(self, history):
        key = tuple(_PLAN_KEY(m) for m in history.versions)
        if key not in self.plans:
            plan = review_dates(history, self.market)
            eff = self.market.dates.get_indexer(pd.DatetimeIndex(plan["effective_date"]))
            names = list(dict.fromkeys(plan["methodology"]))
            vi = np.array([names.index(x) for x in plan["methodology"]], dtype=np.int64)
            ok = not plan.empty and plan["kind"].iloc[0] == "initial" and not (eff < 0).any()
            self.plans[key] = (plan, eff, names, vi, ok)
        return key, self.plans[key]

    def key(self, target):
        """``(group key, per-version kernel settings)`` of a variant (a history or a
        :class:`_Variant`), or None for the full build."""
        if isinstance(target, _Variant):  # the base's group: KERNEL_SETTINGS leave it as it is
            if self.base_key[0] is not target.base:
                self.base_key = (target.base, self._group_key(target.base))
            found = self.base_key[1]
        else:
            found = self._group_key(target)
        if found is None:
            return None
        gkey, order = found
        return gkey, [version_settings(target.versions[k]) for k in order]

    def _group_key(self, history):
        """``(group key, version positions in the plan's order)`` of a history, or None when the
        kernel cannot run it (the full build decides)."""
        market = self.market
        first = history.first
        base = first.index.base_date
        dates = market.dates
        if not len(dates) or not dates[0] <= base <= dates[-1]:
            return None
        if any(m.selection.replace_delisted for m in history.versions):  # ad-hoc reviews
            return None
        pkey, (_plan, eff_rows, names, _vi, ok) = self._plan(history)
        if not ok:
            return None
        base_row = self.base_rows.get(base)
        if base_row is None:
            base_row = self.base_rows[base] = int(dates.get_indexer([base])[0])
        if base_row < 0 or eff_rows[0] != base_row + 1:
            return None
        position = {m.name: k for k, m in enumerate(history.versions)}
        order = [position[name] for name in names]
        versions = [history.versions[k] for k in order]
        snap = tuple(_SNAPSHOT_KEY(m) for m in versions)
        gkey = (
            pkey,
            snap,
            base_row,
            float(first.index.base_value),
            tuple(sorted(first.index.withholding_rates.items())),
        )
        if gkey not in self.groups:
            self.groups[gkey] = self._group(gkey, versions)
        return gkey, order

    def _group(self, gkey, versions):
        """Everything a group of variants shares."""
        market = self.market
        pkey, _snap, base_row, _bv, rates = gkey
        plan, eff_rows, names, vi, _ok = self.plans[pkey]
        by_name = dict(zip(names, versions, strict=True))
        per_review = [by_name[x] for x in plan["methodology"]]
        x = prepare_snapshots(market, plan, per_review)
        dates = market.dates
        reviews = []
        for k, row in enumerate(plan.itertuples()):
            rebalance = per_review[k].weighting.shares_at == "rebalance_close"
            as_of = dates[eff_rows[k] - 1] if rebalance else pd.Timestamp(row.cap_date)
            reviews.append(_Review(row.cap_date, row.effective_date, as_of))
        rates = dict(rates)
        known = np.isin(market.master_column("wht_class"), list(rates))
        return {
            "x": x,
            "vi": vi,
            "plan": plan,
            "factors": capital_change_factors(reviews, market),
            "known": known,
            "wht": withholding_rates(market, rates, np.zeros(len(market.codes), dtype=bool)),
            "act": action_records(market, after_row=base_row),
            "eff": eff_rows.astype(np.int64),
            "cap_rows": dates.get_indexer(pd.DatetimeIndex(plan["cap_date"])).astype(np.int64),
            "n_reviews": len(plan),
        }

    def run(self, gkey, settings: list, ids: np.ndarray, kinds, out: _Distinct) -> list[int]:
        """Run the variants ``ids`` of one group (their per-version settings) into ``out``; the
        variants the kernel could not finish (for the full build)."""
        g = self.groups[gkey]
        _pkey, _snap, base_row, base_value, _rates = gkey
        V = len(settings)
        per_version = np.array([s for per in settings for s in per], dtype=RULES_DT)
        rules = review_settings(per_version.reshape(V, -1)[:, g["vi"]], g["plan"], self.market)
        inputs = (
            self.market.close_hkd,
            base_row,
            base_value,
            g["eff"],
            g["cap_rows"],
            g["act"],
            g["wht"],
            np.array([VARIANTS.index(k) for k in kinds], dtype=np.int64),
        )
        levels, column, turnover, n_const, ok = batch_nb.variants_kernel(
            g["x"], rules, self.code_order, g["factors"], g["known"], inputs
        )
        used = np.zeros(levels.shape[0], dtype=bool)
        used[column[ok]] = True  # distinct variants whose index run finished
        column = np.where(ok, (np.cumsum(used) - 1)[column], -1)
        out.add(
            levels if used.all() else levels[used],
            base_row,
            ids,
            column,
            turnover,
            n_const,
            g["n_reviews"],
        )
        return [int(i) for i in ids[~ok]]


_FAST_PATHS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
"""market -> :class:`_FastPath`: the batch state a market's sweep chunks share, dropped with the
market (the fast path holds the market only weakly)."""


def _is_grid_mistake(message: str) -> bool:
    """Unknown or ambiguous keys are mistakes in the grid, not outcomes of a variant."""
    return message.startswith(("unknown setting", "ambiguous setting"))


__all__ = ["IndexBatch", "index_batch", "review_turnover"]
