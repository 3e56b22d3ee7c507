"""Replication policies: which names the fund holds, and at what weights, at each review.

``EtfConfig.replication`` chooses the policy (:data:`REPLICATIONS`):

``"full"`` (default)
    Every constituent at its index weight :math:`b_i = q_i P_i / \\sum_j q_j P_j` (the simulator's
    own path; nothing here runs).
``"optimised"``
    :math:`N` = ``replication_names`` names and weights :math:`w` that minimise the ex-ante tracking
    error against the index weights :math:`b`,

    .. math:: TE^{ex\\,ante} = \\sqrt{p \\, (w - b)^\\top S (w - b)},\\qquad w \\ge 0,\\quad
              \\mathbf 1^\\top w = 1,\\quad |\\{i : w_i > 0\\}| \\le N,\\quad
              \\tfrac12 \\sum_i |w_i - w^0_i| \\le \\tau,

    with :math:`S` the covariance of the constituents' daily returns
    (:func:`engine.covariance.covariance`, ``covariance_model``/``_halflife``/``_window``) over the
    sessions up to the review close, :math:`p` the periods per year of
    :class:`engine.conventions.Conventions`, :math:`w^0` the current book and :math:`\\tau` =
    ``turnover_budget``.  The cardinality is a heuristic (an exact answer is a mixed-integer
    problem): **backward elimination**, solve the problem on all constituents, drop the zero weights
    and then the smallest weight, solve again from the remaining weights, until :math:`N` names
    remain; the weights on those names are then the exact optimum of the convex problem
    (:mod:`engine.fund.replication_nb`).  With a turnover budget the selection solves the
    turnover-penalised problem at the penalty that meets the budget on all constituents, so names
    already held tend to stay.
``"sampled"``
    Stratified sampling: each constituent falls in a bucket = its ``sampling_bucket`` label from the
    security master (sub-industry by default) x its size bucket (``size_buckets`` equal-count
    groups by index weight at the review: terciles by default, largest first).  Names are picked
    first one per bucket, the largest name of each bucket in order of bucket weight, then, while
    fewer than :math:`N`, the largest remaining name of the bucket with the largest
    :math:`B_g / (n_g + 1)` (bucket weight over its names picked plus one: the D'Hondt rule, so the
    picks follow the bucket weights).  A picked name gets its bucket's index weight in proportion to
    its own: :math:`w_i = B_g \\, b_i / \\sum_{j \\in g,\\ picked} b_j`; when :math:`N` is smaller
    than the number of buckets, the weight of the buckets left out is spread over the picked names
    pro rata.  No turnover budget (the buckets set the weights).

When the weights are set
    At the inception close and at every review close the fund trades at (the index's repricing
    close, :mod:`engine.fund.backtest`).  The simulator receives them as *policy shares*
    :math:`q^{pol}_{t,i} = q_{t,i} \\, w_i / b_i` (the index shares scaled by the policy's weight
    over the index weight at that close), so between reviews subscriptions and idle cash are
    invested at the policy's weights, corporate actions restate them as they restate the index
    shares, and costs, lots and flows are exactly those of full replication.

The current book (assumption)
    :math:`w^0` is the previous policy's weights carried forward at the constituents' prices to the
    review close (the policy shares valued at that close): what the fund holds up to board lots,
    its cash and dividends received (the kernel, which sees only NumPy, is not paused at reviews).
    Names the index deletes are in :math:`w^0` and must be sold: their weight counts against the
    budget; a budget below the least turnover the chosen names allow gets that least turnover
    (``budget_binding`` says when the budget bound, ``turnover`` what was traded).

Covariance inputs (assumption)
    Daily close-to-close returns in HKD restated for corporate actions as a holder sees them,
    :math:`r_t = (n_t (P_t + d_t) - c_t) / P_{t-1} - 1` (:func:`constituent_returns`); a return that
    does not exist in the window (before listing, a missing close) counts as 0 and is counted in the
    plan's ``missing_returns``; the window is cut to the history there is (``window_sessions``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.conventions import DEFAULT as CONVENTIONS
from engine.covariance import covariance
from engine.enums import ACT_BONUS, ACT_CASH_DIVIDEND, ACT_RIGHTS, ACT_SPLIT
from engine.errors import DataError, FundConfigError
from engine.fund import replication_nb as nb
from engine.fund.config import REPLICATIONS, fund_error
from engine.prepare import action_records

TOLERANCE = 1e-12
"""The optimiser stops when a proximal-gradient step moves no weight by more than this."""
MAX_ITER = 20_000
"""Iteration cap of one optimiser solve."""


# ------------------------------------------------------------------------------------------ returns
def constituent_returns(market) -> np.ndarray:
    """``float64[session, code]`` daily returns of every code of ``market`` restated for corporate
    actions (module docstring); NaN on the first session and where a close is missing."""
    key = ("replication.constituent_returns",)
    cached = market._cache.get(key)
    if cached is not None:
        return cached
    p = np.asarray(market.close_hkd, dtype=float)
    n_sh = np.ones(p.shape)
    income = np.zeros(p.shape)
    paid = np.zeros(p.shape)
    for a in action_records(market):  # capital changes before cash dividends within a row
        t, j, kind = int(a["row"]), int(a["col"]), int(a["kind"])
        if kind == ACT_SPLIT:
            n_sh[t, j] *= a["ratio"]
        elif kind == ACT_BONUS:
            n_sh[t, j] *= 1.0 + a["ratio"]
        elif kind == ACT_RIGHTS:
            paid[t, j] += n_sh[t, j] * a["ratio"] * a["price_hkd"]
            n_sh[t, j] *= 1.0 + a["ratio"]
        elif kind == ACT_CASH_DIVIDEND:
            income[t, j] += a["amount_hkd"]
    out = np.full(p.shape, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        out[1:] = (n_sh[1:] * (p[1:] + income[1:]) - paid[1:]) / p[:-1] - 1.0
    out.setflags(write=False)
    market._cache[key] = out
    return out


# ------------------------------------------------------------------------------------ the policies
def optimise_weights(cov, target, names=None, current=None, turnover_budget=None) -> np.ndarray:
    """The optimised policy's weights for one review (module docstring).

    Parameters
    ----------
    cov : array [k, k]
        Covariance of the ``k`` candidates' returns (any unit: the answer does not depend on it).
    target : array [k]
        Index weights of the candidates (positive, summing to one).
    names : int, optional
        At most this many names (``None``: all ``k``).
    current : array [k], optional
        The current book's weights of the candidates (what it holds elsewhere is
        ``1 - sum(current)`` and must be sold); ``None``: no book (inception, no budget).
    turnover_budget : float, optional
        Most one-way turnover :math:`\\frac12 \\sum |w - w^0|` (fraction of the basket).

    Returns
    -------
    numpy.ndarray
        ``float64[k]``: non-negative, summing to one, at most ``names`` above zero.
    """
    s, b = _square(cov, "cov"), _vector(target, "target")
    if s.shape[0] != b.shape[0]:
        raise _bad("cov and target disagree in size", "cov", s.shape, "pass a [k, k] and a [k]")
    if abs(b.sum() - 1.0) > 1e-9:
        raise _bad("target weights must sum to one", "target", float(b.sum()), "normalise them")
    n = _names(names, b.shape[0])
    w0 = np.zeros_like(b) if current is None else _vector(current, "current")
    budget = _budget(turnover_budget, None if current is None else w0)
    return _optimise(s, b, n, w0, budget)[0]


def _optimise(s, b, n, w0, budget) -> tuple[np.ndarray, float]:
    """:func:`engine.fund.replication_nb.optimise`: the weights and the turnover penalty used."""
    w, lam = nb.optimise(s, b, w0, n, budget, TOLERANCE, MAX_ITER)
    return w, float(lam)


def _budget(turnover_budget, w0) -> float:
    """The budget left for the candidates (-1: none): the book's weight off the candidates,
    :math:`1 - \\sum w^0`, is sold whatever the weights and counts half against one-way turnover."""
    if turnover_budget is None or w0 is None:
        return -1.0
    return max(float(turnover_budget) - 0.5 * max(0.0, 1.0 - float(w0.sum())), 0.0)


def sampled_weights(target, buckets, names=None) -> np.ndarray:
    """The sampled policy's weights for one review (module docstring).

    ``target`` are the candidates' index weights ``[k]``, ``buckets`` their bucket labels ``[k]``
    (any hashable values), ``names`` the most names (``None``: all).
    """
    b = _vector(target, "target")
    labels = pd.Index(list(buckets))
    if len(labels) != len(b):
        raise _bad(
            "buckets and target disagree in size", "buckets", len(labels), "one label a name"
        )
    n = _names(names, len(b))
    group = labels.factorize()[0]
    n_groups = group.max() + 1
    bucket_w = np.bincount(group, weights=b, minlength=n_groups)
    by_size = np.lexsort((np.arange(len(b)), -b))  # largest first, then input order
    queue = [[i for i in by_size if group[i] == g] for g in range(n_groups)]
    picked, count = [], np.zeros(n_groups, dtype=int)
    for g in np.lexsort((np.arange(n_groups), -bucket_w)):  # one per bucket, heaviest first
        if len(picked) < n:
            picked.append(queue[g][0])
            count[g] = 1
    while len(picked) < n:
        open_ = [g for g in range(n_groups) if count[g] < len(queue[g])]
        g = max(open_, key=lambda h: (bucket_w[h] / (count[h] + 1), -h))
        picked.append(queue[g][count[g]])
        count[g] += 1
    w = np.zeros_like(b)
    idx = np.asarray(picked)
    covered = np.bincount(group[idx], weights=b[idx], minlength=n_groups)
    w[idx] = bucket_w[group[idx]] * b[idx] / covered[group[idx]]
    return w / w.sum()


def size_buckets(target, n_buckets: int) -> np.ndarray:
    """Size bucket ``0 .. n_buckets - 1`` of each weight in ``target`` (0 = the largest names):
    equal-count groups by rank, :math:`\\lfloor rank \\cdot n / k \\rfloor`."""
    b = np.asarray(target, dtype=float)
    rank = np.empty(len(b), dtype=int)
    rank[np.lexsort((np.arange(len(b)), -b))] = np.arange(len(b))
    return rank * int(n_buckets) // max(len(b), 1)


# ---------------------------------------------------------------------------------------- the plan
@dataclass(frozen=True, eq=False)
class ReplicationPlan:
    """The policy's weights at each point the fund sets them (inception and every review close).

    Attributes
    ----------
    policy : str
        ``"optimised"`` or ``"sampled"``.
    rows : int64[P]
        Fund session rows of the points (0 = inception).
    weights, index_weights, book : float64[P, n_codes]
        The policy's weights, the index weights and the current book before the trade (zeros at
        inception), fractions of the invested basket, in ``codes`` order.
    table : DataFrame
        One row per point (index ``date``): ``names`` (count), ``te_ex_ante`` (annualised, fraction,
        against the index weights, cash excluded), ``turnover`` (one-way against the book,
        fraction; NaN at inception), ``budget_binding``, ``window_sessions``, ``missing_returns``.
    codes : list
    """

    policy: str
    rows: np.ndarray
    weights: np.ndarray
    index_weights: np.ndarray
    book: np.ndarray
    table: pd.DataFrame
    codes: list

    def to_frame(self) -> pd.DataFrame:
        """The per-point table (see the class docstring)."""
        return self.table.copy()

    def weights_frame(self) -> pd.DataFrame:
        """``[date, code]`` policy weights (codes ever held)."""
        used = np.flatnonzero((self.weights > 0).any(axis=0))
        return pd.DataFrame(
            self.weights[:, used],
            index=self.table.index,
            columns=pd.Index([self.codes[j] for j in used], name="code"),
        )

    def __repr__(self) -> str:
        return (
            f"ReplicationPlan({self.policy}, {len(self.rows)} points, "
            f"mean ex-ante TE {self.table['te_ex_ante'].mean():.4%})"
        )


def plan(market, config, dates, s0, close, q_daily, target_q, rev_rows) -> ReplicationPlan:
    """The policy of ``config`` at inception and at each review close of a fund run.

    ``close`` is the fund's ``[session, code]`` closes, ``q_daily`` the index shares in force at
    each close (the old ones on a review close), ``target_q`` the shares traded to (a review close
    holding the review's new shares), ``rev_rows`` the review rows, ``s0`` the inception's row in
    ``market`` (see :func:`engine.fund.backtest.prepare`)."""
    points = [0] + sorted({int(r) for r in rev_rows if r > 0})
    codes = list(market.codes)
    returns = constituent_returns(market)
    labels = _bucket_labels(market, config) if config.replication == "sampled" else None
    P, N = len(points), len(codes)
    weights, index_w, book = np.zeros((P, N)), np.zeros((P, N)), np.zeros((P, N))
    rows = []
    mult = np.zeros(N)
    for p, row in enumerate(points):
        b = _index_weights(target_q[row], close[row])
        cand = np.flatnonzero(b > 0)
        n = _names_at(config.replication_names, len(cand), dates[row])
        # the book: the previous policy's shares, as the index restated them, at this close
        w0 = None if p == 0 else _index_weights(q_daily[row] * mult, close[row])
        hist = returns[max(1, s0 + row - config.covariance_window + 1) : s0 + row + 1][:, cand]
        missing = int(np.isnan(hist).sum())
        s = _cov(np.nan_to_num(hist, nan=0.0), config, dates[row])
        lam = 0.0
        if config.replication == "optimised":
            w0_c = None if w0 is None else w0[cand]
            budget = _budget(config.turnover_budget, w0_c)
            start = np.zeros(len(cand)) if w0_c is None else w0_c
            w_c, lam = _optimise(s, b[cand], n, start, budget)
        else:
            groups = size_buckets(b[cand], config.size_buckets)
            w_c = sampled_weights(b[cand], list(zip(labels[cand], groups, strict=True)), n)
        w = np.zeros(N)
        w[cand] = w_c
        a = w_c - b[cand]
        te = float(np.sqrt(max(CONVENTIONS.periods_per_year * (a @ s @ a), 0.0)))
        turn = np.nan if w0 is None else 0.5 * float(np.abs(w - w0).sum())
        rows.append((dates[row], int((w > 0).sum()), te, turn, lam > 0, len(hist), missing))
        weights[p], index_w[p] = w, b
        if w0 is not None:
            book[p] = w0
        mult = _over(w, b)
    columns = "date names te_ex_ante turnover budget_binding window_sessions missing_returns"
    table = pd.DataFrame(rows, columns=columns.split()).set_index("date")
    return ReplicationPlan(
        policy=config.replication,
        rows=np.asarray(points, dtype=np.int64),
        weights=weights,
        index_weights=index_w,
        book=book,
        table=table,
        codes=codes,
    )


def policy_shares(the_plan: ReplicationPlan, target_q, rev_rows, rev_q):
    """``target_q`` and ``rev_q`` scaled to the plan's weights: from each point's row to the next,
    :math:`q^{pol}_{t,i} = q_{t,i} w_i / b_i` (module docstring).  Returns new arrays."""
    tq = np.array(target_q, dtype=float, copy=True)
    rq = np.array(rev_q, dtype=float, copy=True)
    ends = [*the_plan.rows[1:], tq.shape[0]]
    for p, (start, end) in enumerate(zip(the_plan.rows, ends, strict=True)):
        m = _over(the_plan.weights[p], the_plan.index_weights[p])
        tq[start:end] *= m
        rq[np.asarray(rev_rows) == start] *= m
    return np.ascontiguousarray(tq), np.ascontiguousarray(rq)


# ------------------------------------------------------------------------------------------ helpers
def _over(w, b) -> np.ndarray:
    """:math:`w_i / b_i` where :math:`b_i > 0`, else 0: the policy's weight over the index weight."""
    return np.where(b > 0, w / np.where(b > 0, b, 1.0), 0.0)


def _index_weights(q, price) -> np.ndarray:
    value = np.where((q > 0) & np.isfinite(price) & (price > 0), q * price, 0.0)
    total = value.sum()
    return value / total if total > 0 else value


def _cov(hist, config, date) -> np.ndarray:
    if hist.shape[0] < 2:
        raise fund_error(
            "fewer than two sessions of returns before the review to estimate the covariance",
            date=date,
            field="covariance_window",
            fix="start the fund later (inception_date) or give the market more history",
        )
    return covariance(
        hist,
        model=config.covariance_model,
        halflife=config.covariance_halflife,
        window=None,
    )


def _bucket_labels(market, config) -> np.ndarray:
    if config.sampling_bucket not in market.securities.columns:
        raise fund_error(
            "the security master has no column for the sampling buckets",
            source="securities",
            field=config.sampling_bucket,
            fix="add the column or set EtfConfig.sampling_bucket to 'industry'",
            cls=DataError,
        )
    labels = market.master_column(config.sampling_bucket).astype(object)
    return np.array(["(blank)" if pd.isna(v) or v == "" else str(v) for v in labels], dtype=object)


def _names_at(names, k: int, date) -> int:
    if names is None:
        return k
    if names > k:
        raise fund_error(
            f"replication_names is above the review's {k} constituents",
            date=date,
            field="replication_names",
            value=names,
            fix=f"use at most {k} names (or None for all)",
        )
    return int(names)


def _names(names, k: int) -> int:
    if names is None:
        return k
    if isinstance(names, bool) or not isinstance(names, (int, np.integer)) or not 1 <= names <= k:
        raise _bad(
            "names must be a whole number from 1 to the candidates", "names", names, f"1..{k}"
        )
    return int(names)


def _square(x, field: str) -> np.ndarray:
    a = np.ascontiguousarray(x, dtype=float)
    if a.ndim != 2 or a.shape[0] != a.shape[1] or not np.isfinite(a).all():
        raise _bad("must be a finite square matrix", field, a.shape, "pass a [k, k] covariance")
    return a


def _vector(x, field: str) -> np.ndarray:
    a = np.ascontiguousarray(x, dtype=float)
    if a.ndim != 1 or not np.isfinite(a).all() or (a < 0).any():
        raise _bad("must be a finite non-negative vector", field, a.shape, "pass weights [k]")
    return a


def _bad(what: str, field: str, value, fix: str) -> FundConfigError:
    return FundConfigError(what, source="replication", field=field, value=value, fix=fix)


__all__ = [
    "REPLICATIONS",
    "ReplicationPlan",
    "constituent_returns",
    "optimise_weights",
    "plan",
    "policy_shares",
    "sampled_weights",
    "size_buckets",
]
