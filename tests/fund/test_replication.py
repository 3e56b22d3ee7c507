"""Replication policies: the optimiser (hand-worked, invariants, brute-force oracle), stratified
sampling, the plan and the simulator trading to it, bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize
from support.cases import random_fund_case as random_case

from engine.errors import FundConfigError
from engine.fund import EtfConfig, backtest, replication_plan
from engine.fund import replication_nb as nb
from engine.fund.batch import fund_batch
from engine.fund.replication import optimise_weights, sampled_weights, size_buckets


def _case(seed: int, k: int, days: int = 120):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 0.02, (days, k)) + rng.normal(0, 0.01, (days, 1))
    b = rng.uniform(0.2, 1.0, k)
    return np.cov(x.T), b / b.sum()


def _te2(s, w, b) -> float:
    return float((w - b) @ s @ (w - b))


def _oracle(s, b, support, w0=None, budget=None):
    """min (w-b)'S(w-b) over w >= 0 on ``support`` summing to one by SLSQP; with a budget, slack
    variables t >= |w - w0| and (sum t + the book off the support) / 2 <= budget."""
    k, a = len(b), list(support)
    m = len(a)
    w0 = np.zeros(k) if w0 is None else np.asarray(w0, dtype=float)
    off = np.delete(w0, a).sum()

    def full(z):
        w = np.zeros(k)
        w[a] = z[:m]
        return w

    cons = [{"type": "eq", "fun": lambda z: z[:m].sum() - 1.0}]
    start = b[a] / b[a].sum()
    if budget is not None:
        cons += [
            {"type": "ineq", "fun": lambda z: z[m:] - (z[:m] - w0[a])},
            {"type": "ineq", "fun": lambda z: z[m:] + (z[:m] - w0[a])},
            {"type": "ineq", "fun": lambda z: budget - 0.5 * (z[m:].sum() + off)},
        ]
        start = np.concatenate([start, np.abs(start - w0[a]) + 0.01])
    r = minimize(
        lambda z: _te2(s, full(z), b),
        start,
        method="SLSQP",
        bounds=[(0, None)] * len(start),
        constraints=cons,
        options={"ftol": 1e-16, "maxiter": 1000},
    )
    return full(r.x), r.fun


# ------------------------------------------------------------------------------ hand-worked cases
def test_two_of_three_names_hand_worked():
    # independent names, variances 0.04, 0.01, 0.09; index weights 0.5, 0.3, 0.2.  Keeping names i
    # and j, the dropped weight b_k goes where it costs least, sigma_i^2 (w_i - b_i) =
    # sigma_j^2 (w_j - b_j), so (w - b)'S(w - b) = sigma_k^2 b_k^2 + b_k^2 / (1/sigma_i^2 + 1/sigma_j^2):
    #   drop 3: 0.09 * 0.04 + 0.04 / (25 + 100)     = 0.00392
    #   drop 2: 0.01 * 0.09 + 0.09 / (25 + 100 / 9) = 0.003392   <- the least
    #   drop 1: 0.04 * 0.25 + 0.25 / (100 + 100 / 9) = 0.01225
    # so w1 = 0.5 + 0.3 * 25 / (325 / 9) = 0.5 + 0.3 * 225 / 325, w3 = 1 - w1
    s = np.diag([0.04, 0.01, 0.09])
    w = optimise_weights(s, [0.5, 0.3, 0.2], names=2)
    w1 = 0.5 + 0.3 * 225 / 325
    np.testing.assert_allclose(w, [w1, 0.0, 1 - w1], atol=1e-10)
    assert _te2(s, w, np.array([0.5, 0.3, 0.2])) == pytest.approx(0.0009 + 0.09 / (325 / 9))


def test_turnover_budget_hand_worked():
    # S = I, b = (0.5, 0.3, 0.2), book (0.5, 0.5, 0): the unconstrained answer b trades 0.2 one-way;
    # with a budget of 0.1 the best move is halfway: (0.5, 0.4, 0.1)
    w = optimise_weights(np.eye(3), [0.5, 0.3, 0.2], current=[0.5, 0.5, 0.0], turnover_budget=0.1)
    np.testing.assert_allclose(w, [0.5, 0.4, 0.1], atol=1e-8)
    # a budget that does not bind leaves the index weights
    w = optimise_weights(np.eye(3), [0.5, 0.3, 0.2], current=[0.5, 0.5, 0.0], turnover_budget=0.5)
    np.testing.assert_allclose(w, [0.5, 0.3, 0.2], atol=1e-10)


@pytest.mark.parametrize("seed", range(5))
def test_prox_against_slsqp(seed):
    rng = np.random.default_rng(seed)
    z, w0, lam = rng.normal(0.2, 0.3, 6), rng.dirichlet(np.ones(6)), rng.uniform(0, 0.2)
    out = np.empty(6)
    nb.prox(z, w0, lam, out)

    def f(w):
        return 0.5 * ((w - z) ** 2).sum() + lam * np.abs(w - w0).sum()

    # the oracle: the same problem by SLSQP with w = w0 + u - v (smooth)
    r = minimize(
        lambda uv: f(w0 + uv[:6] - uv[6:]),
        np.zeros(12),
        method="SLSQP",
        bounds=[(0, None)] * 12,
        constraints=[
            {"type": "eq", "fun": lambda uv: (w0 + uv[:6] - uv[6:]).sum() - 1},
            {"type": "ineq", "fun": lambda uv: w0 + uv[:6] - uv[6:]},
        ],
        options={"ftol": 1e-15, "maxiter": 500},
    )
    assert f(out) <= r.fun + 1e-9
    np.testing.assert_allclose(out, w0 + r.x[:6] - r.x[6:], atol=1e-5)


# -------------------------------------------------------------------- invariants and the oracle
@pytest.mark.parametrize("seed", range(6))
def test_invariants(seed):
    s, b = _case(seed, 8)
    rng = np.random.default_rng(100 + seed)
    book = rng.dirichlet(np.ones(8)) * (rng.uniform(size=8) < 0.7)
    book /= book.sum()
    for n in (1, 3, 5, 8):
        for budget in (None, 0.05, 0.3):
            w = optimise_weights(s, b, names=n, current=book, turnover_budget=budget)
            assert (w >= 0).all() and w.sum() == pytest.approx(1.0, abs=1e-12)
            assert (w > 0).sum() <= n
            if budget is not None:
                least = book[w == 0].sum()  # what must be sold whatever the weights
                assert 0.5 * np.abs(w - book).sum() <= max(budget, least) + 1e-8
    # every name and no budget: the index weights themselves
    np.testing.assert_allclose(optimise_weights(s, b), b, atol=1e-10)


@pytest.mark.parametrize("seed", range(5))
def test_weights_match_the_oracle_on_the_chosen_names(seed):
    s, b = _case(seed, 5)
    book = np.array([0.3, 0.3, 0.0, 0.2, 0.2])
    for n, budget in ((2, None), (3, None), (4, 0.1), (5, 0.05)):
        w = optimise_weights(s, b, names=n, current=book, turnover_budget=budget)
        if budget is not None:  # below the least turnover of the chosen names: that least
            budget = max(budget, 0.5 * (book[w == 0].sum() + 1 - book[w > 0].sum()))
        oracle, best = _oracle(s, b, np.flatnonzero(w > 0), book, budget)
        assert _te2(s, w, b) <= best * (1 + 1e-7) + 1e-15
        np.testing.assert_allclose(w, oracle, atol=2e-5)


def test_selection_against_brute_force():
    # the cardinality heuristic against the best of all N-subsets (SLSQP weights): it finds the best
    # subset on most cases and is never far from it
    found, ratios = 0, []
    for seed in range(6):
        s, b = _case(seed, 5)
        for n in (2, 3):
            w = optimise_weights(s, b, names=n)
            best = min(_oracle(s, b, a)[1] for a in itertools.combinations(range(5), n))
            ratios.append(_te2(s, w, b) / best)
            found += ratios[-1] <= 1 + 1e-6
    assert min(ratios) >= 1 - 1e-6  # the oracle's subset optimum is a lower bound
    assert found >= 0.8 * len(ratios)
    assert max(ratios) < 1.5  # variance ratio: tracking error within about 22 %


# ----------------------------------------------------------------------------------- sampling
def test_sampled_hand_worked():
    # buckets A: 0.3, 0.2 ; B: 0.25, 0.05 ; C: 0.2.  Three names: one per bucket (largest each):
    # weights = bucket weights 0.5, 0.3, 0.2.  Four: the fourth pick goes to A (0.5 / 2 = 0.25 >
    # B's 0.3 / 2 and C has no name left), A's 0.5 split 0.3 : 0.2
    b = [0.3, 0.2, 0.25, 0.05, 0.2]
    labels = ["A", "A", "B", "B", "C"]
    np.testing.assert_allclose(sampled_weights(b, labels, 3), [0.5, 0, 0.3, 0, 0.2])
    np.testing.assert_allclose(sampled_weights(b, labels, 4), [0.3, 0.2, 0.3, 0, 0.2])
    np.testing.assert_allclose(sampled_weights(b, labels, 5), b)
    # two names for three buckets: C (0.2) is left out and spread pro rata: 0.5 / 0.8, 0.3 / 0.8
    np.testing.assert_allclose(sampled_weights(b, labels, 2), [0.625, 0, 0.375, 0, 0])


def test_size_buckets_are_equal_count_by_rank():
    assert list(size_buckets([0.1, 0.4, 0.2, 0.3, 0.05, 0.15], 3)) == [2, 0, 1, 0, 2, 1]


# --------------------------------------------------------------------- the plan and the simulator
def _cfg(market, **kw):
    kw.setdefault("initial_units", 2e7)
    kw.setdefault("creation_unit", 1e5)
    kw.setdefault("covariance_window", 20)
    return EtfConfig(inception_date=market.dates[3], **kw)


def test_fund_holds_the_plan_and_nothing_else():
    market, idx = random_case(4)
    cfg = _cfg(market, replication="optimised", replication_names=3).with_effects(())
    res = backtest(idx, market, cfg, flows=pd.Series(dtype=float))
    plan = res.meta["replication"]
    assert (res.holdings.gt(0).sum(axis=1) <= 3).all()
    value = res.holdings.reindex(columns=market.codes, fill_value=0.0) * res.prices
    weights = value.div(value.sum(axis=1), axis=0).to_numpy()
    for p, row in enumerate(plan.rows):  # no buffer, no lots: the close's weights are the plan's
        np.testing.assert_allclose(weights[row], plan.weights[p], atol=1e-9)
    assert (plan.table["names"] == 3).all()
    assert plan.table["turnover"].iloc[1:].between(0, 1).all()


def test_all_names_without_budget_is_full_replication():
    market, idx = random_case(5)
    flows = pd.Series([4e5, -2e5], index=market.dates[[10, 35]])
    full = backtest(idx, market, _cfg(market, use_board_lots=False), flows=flows)
    for policy in ("optimised", "sampled"):
        res = backtest(
            idx, market, _cfg(market, use_board_lots=False, replication=policy), flows=flows
        )
        np.testing.assert_allclose(res.nav["nav_hkd"], full.nav["nav_hkd"], rtol=1e-9)
    assert "replication" not in full.meta


def test_turnover_budget_holds_in_the_plan():
    market, idx = random_case(6)
    cfg = _cfg(market, replication="optimised", replication_names=4, turnover_budget=0.05)
    plan = replication_plan(idx, market, cfg, flows=pd.Series(dtype=float))
    forced = np.array([plan.book[p][plan.weights[p] == 0].sum() for p in range(len(plan.rows))])
    ok = plan.table["turnover"].to_numpy()[1:] <= np.maximum(0.05, forced[1:]) + 1e-8
    assert ok.all()
    assert (plan.weights >= 0).all() and np.allclose(plan.weights.sum(axis=1), 1.0)


def test_fund_batch_runs_each_policy_apart():
    market, idx = random_case(4)
    cfg = _cfg(market)
    variant = {"replication": "sampled", "replication_names": 2}
    batch = fund_batch(idx, market, cfg, [{}, variant], flows=pd.Series(dtype=float))
    for v, c in enumerate((cfg, cfg.replace(**variant))):
        nav = backtest(idx, market, c, flows=pd.Series(dtype=float)).nav["nav_per_unit_cny"]
        assert batch.total_return[v] == pytest.approx(nav.iloc[-1] / nav.iloc[0] - 1, rel=1e-12)


# ------------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"replication": "synthetic"}, "replication"),
        ({"replication": "optimised", "replication_names": 0}, "replication_names"),
        ({"replication_names": 5}, "replication_names"),  # full replication takes no N
        ({"turnover_budget": 1.5}, "turnover_budget"),
        ({"covariance_model": "garch"}, "covariance_model"),
    ],
)
def test_bad_settings_name_the_field(kw, field):
    with pytest.raises(FundConfigError, match=f"field={field}"):
        EtfConfig(**kw)


def test_more_names_than_constituents_names_the_setting_and_date():
    market, idx = random_case(4)
    cfg = _cfg(market, replication="optimised", replication_names=7)
    with pytest.raises(FundConfigError, match=r"date=.*field=replication_names.*value=7"):
        backtest(idx, market, cfg)


@pytest.mark.parametrize("names", [0, 4, 2.5])
def test_optimise_weights_rejects_bad_names(names):
    with pytest.raises(FundConfigError, match="field=names"):
        optimise_weights(np.eye(3), [0.5, 0.3, 0.2], names=names)


def test_full_has_no_plan():
    market, idx = random_case(4)
    with pytest.raises(FundConfigError, match="field=replication"):
        replication_plan(idx, market, _cfg(market))


def test_optimise_weights_rejects_bad_arrays():
    with pytest.raises(FundConfigError, match="field=target"):
        optimise_weights(np.eye(3), [0.5, 0.3, 0.3])
    with pytest.raises(FundConfigError, match="field=cov"):
        optimise_weights(np.eye(2), [0.5, 0.3, 0.2])
    with pytest.raises(FundConfigError, match="field=current"):
        optimise_weights(np.eye(3), [0.5, 0.3, 0.2], current=[np.nan, 0.5, 0.5])


def test_book_is_the_fund_before_the_review_trade():
    # no corporate actions, no flows, every effect off: between reviews the holdings do not change,
    # so the book the policy trades from is the previous close's holdings at the review close
    market, idx = random_case(7, with_actions=False, with_delisting=False)
    cfg = _cfg(market, replication="optimised", replication_names=4).with_effects(())
    res = backtest(idx, market, cfg, flows=pd.Series(dtype=float))
    plan = res.meta["replication"]
    held = res.holdings.reindex(columns=market.codes, fill_value=0.0).to_numpy()
    for p, row in enumerate(plan.rows[1:], start=1):
        value = held[row - 1] * res.prices.to_numpy()[row]
        np.testing.assert_allclose(plan.book[p], value / value.sum(), atol=1e-12)
        assert plan.table["turnover"].iloc[p] == pytest.approx(
            0.5 * np.abs(plan.weights[p] - plan.book[p]).sum()
        )
