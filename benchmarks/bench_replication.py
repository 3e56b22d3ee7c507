"""Benchmark (issue 14, section 8): the optimised replication policy over 40 reviews.

``python -m benchmarks.bench_replication [--repeat 3] [--names 20]``

Workload: the standard workload at size S (80 names x 2,600 HKEX sessions from 2006-12, top 31 by
free-float market cap, quarterly reviews; :mod:`benchmarks.workload`) built through the public API
(``MarketData.from_frames`` -> ``engine.build_index``); a fund with ``replication="optimised"``,
``replication_names=N`` and no flows, its inception chosen so that 40 reviews follow it.

Implementations, each over the same inception and 40 review closes:

``engine``
    ``engine.fund.replication_plan(index, market, config)``: the whole public path (kernel inputs,
    restated returns, EWMA covariance per review, backward elimination with second-order shortlist
    and swaps, exact weights).
``scipy``
    What a user would write with NumPy and SciPy: per review, the same returns window, the EWMA
    covariance as ``numpy.cov(x.T, aweights=2 ** (-age / halflife))``, and backward elimination
    with ``scipy.optimize.minimize(method="SLSQP")`` (solve on all names, drop the smallest
    weight, solve again, until N names remain).  (``pandas.DataFrame.ewm(halflife).cov()``, the
    other obvious covariance, takes seconds per review on 31 names: it is used only in the check.)

Checked first, before anything is timed: the engine's covariance equals ``numpy.cov`` with the
EWMA weights to 1e-10 (relative) at every review and pandas' ``ewm().cov()`` at the first, middle
and last review, and on the engine's chosen names SLSQP reproduces the engine's weights (max
absolute difference <= 1e-4, SLSQP stops earlier) with an objective no lower than the engine's (relative 1e-6): a
mismatch prints FAILED and exits non-zero.  Also reported: the mean ex-ante tracking error of both
(the SciPy greedy rule may choose other names).  Times are the best of ``--repeat`` warm calls
(the first call, with Numba's compilation, is reported apart).  Target (issue 14): < 2 s.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import minimize

sys.path.insert(0, str(Path(__file__).resolve().parent))

import workload  # noqa: E402
from workload import best_of  # noqa: E402

from engine.conventions import DEFAULT  # noqa: E402
from engine.covariance import covariance  # noqa: E402
from engine.data.market import MarketData  # noqa: E402
from engine.fund import EtfConfig, replication_plan  # noqa: E402
from engine.fund.replication import constituent_returns  # noqa: E402

REVIEWS = 40
NO_FLOWS = pd.Series(dtype=float)


def setup(names: int):
    """The S workload's market and index, and a config whose fund sees 40 reviews."""
    import engine

    w = workload.make("S")
    market = MarketData.from_frames(w.prices, w.securities, fx=w.fx, synthetic=True, source="bench")
    index = engine.build_index(market, workload.methodology(w))
    eff = [pd.Timestamp(r.effective_date) for r in index.schedule.reviews]
    rows = market.dates.get_indexer(eff) - 1  # the review closes
    rows = rows[rows >= 0]
    start = market.dates[rows[-REVIEWS] - 1]  # the session before the 40th-last review close
    config = EtfConfig(
        inception_date=start, replication="optimised", replication_names=names, use_board_lots=False
    )
    return market, index, config


def engine_plan(market, index, config):
    return replication_plan(index, market, config, flows=NO_FLOWS)


def _slsqp(s, b, support, gradient=True):
    a = np.flatnonzero(support)

    def f(v):
        w = np.zeros(len(b))
        w[a] = v
        d = w - b
        return 0.5 * d @ s @ d

    def jac(v):
        w = np.zeros(len(b))
        w[a] = v
        return (s @ (w - b))[a]

    r = minimize(
        f,
        b[a] / b[a].sum(),
        jac=jac if gradient else None,
        method="SLSQP",
        bounds=[(0.0, 1.0)] * len(a),
        constraints=[{"type": "eq", "fun": lambda v: v.sum() - 1.0}],
        options={"ftol": 1e-15, "maxiter": 500},
    )
    w = np.zeros(len(b))
    w[a] = r.x
    return w


def _windows(market, index, config, plan):
    """Per point: candidate columns, index weights and the returns window the engine used."""
    rets = constituent_returns(market)
    s0 = market.dates.get_indexer([plan.table.index[0]])[0]
    out = []
    for p, row in enumerate(plan.rows):
        b = plan.index_weights[p]
        cand = np.flatnonzero(b > 0)
        t = s0 + row
        hist = rets[max(1, t - config.covariance_window + 1) : t + 1][:, cand]
        out.append((cand, b[cand], np.nan_to_num(hist, nan=0.0)))
    return out


def numpy_cov(hist, halflife):
    """EWMA covariance as a NumPy user writes it: ``np.cov`` with exponential ``aweights``."""
    age = np.arange(len(hist))[::-1]
    return np.cov(hist.T, aweights=0.5 ** (age / halflife))


def scipy_policy(windows, config, gradient=True):
    """The user's version: NumPy EWMA covariance, greedy elimination of the smallest SLSQP weight
    (``gradient``: SLSQP is given the analytic gradient, else it differences the objective)."""
    weights = []
    for _cand, b, hist in windows:
        s = numpy_cov(hist, config.covariance_halflife)
        support = np.ones(len(b), dtype=bool)
        w = _slsqp(s, b, support, gradient)
        while support.sum() > config.replication_names:
            j = np.flatnonzero(support)[np.argmin(w[support])]
            support[j] = False
            w = _slsqp(s, b, support, gradient)
        weights.append(w)
    return weights


def check(windows, plan, config) -> list[str]:
    """The same numbers first: covariance against NumPy (every review) and pandas (three), weights
    against SLSQP on the same names."""
    bad = []
    for p, (cand, b, hist) in enumerate(windows):
        s = covariance(hist, model="ewma", halflife=config.covariance_halflife, window=None)
        refs = [numpy_cov(hist, config.covariance_halflife)]
        if p in (0, len(windows) // 2, len(windows) - 1):
            frame = pd.DataFrame(hist)
            ewm = frame.ewm(halflife=config.covariance_halflife).cov()
            refs.append(ewm.loc[len(frame) - 1].to_numpy())
        if not all(np.allclose(s, ref, rtol=1e-10, atol=1e-18) for ref in refs):
            bad.append(f"point {p}: covariance differs from NumPy / pandas")
        w = plan.weights[p][cand]
        ref_w = _slsqp(s, b, w > 0)
        obj = 0.5 * (w - b) @ s @ (w - b)
        ref_obj = 0.5 * (ref_w - b) @ s @ (ref_w - b)
        if np.abs(ref_w - w).max() > 1e-4 or obj > ref_obj * (1 + 1e-6) + 1e-18:
            bad.append(f"point {p}: weights differ from SLSQP on the same names")
    return bad


def _ex_ante(windows, weights, config) -> float:
    tes = []
    for (_cand, b, hist), w in zip(windows, weights, strict=True):
        s = covariance(hist, model="ewma", halflife=config.covariance_halflife, window=None)
        tes.append(np.sqrt(DEFAULT.periods_per_year * (w - b) @ s @ (w - b)))
    return float(np.mean(tes))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--names", type=int, default=20)
    ap.add_argument(
        "--numeric-gradient",
        action="store_true",
        help="also time SLSQP without the analytic gradient (about ten minutes)",
    )
    args = ap.parse_args(argv)
    market, index, config = setup(args.names)
    t0 = time.perf_counter()
    plan = engine_plan(market, index, config)
    first = time.perf_counter() - t0
    windows = _windows(market, index, config, plan)
    bad = check(windows, plan, config)
    n_rev = len(plan.rows) - 1
    print(
        f"workload S, {len(windows[0][0])} constituents, N = {args.names}, {n_rev} reviews + inception"
    )
    if bad:
        print("FAILED: " + "; ".join(bad[:5]))
        return 1
    print(
        "check: covariance = numpy.cov and pandas ewm (1e-10), "
        "weights = SLSQP on the same names (1e-4, objective no higher): ok"
    )
    t_engine = best_of(lambda: engine_plan(market, index, config), args.repeat)
    t0 = time.perf_counter()
    user = scipy_policy(windows, config)
    t_scipy = time.perf_counter() - t0
    extra = []
    if args.numeric_gradient:
        t0 = time.perf_counter()
        numeric = scipy_policy(windows, config, gradient=False)
        t_num = time.perf_counter() - t0
        te_num = _ex_ante(windows, numeric, config)
        extra = [("numpy.cov + scipy SLSQP, differenced gradient", np.nan, t_num, te_num)]
    te_engine = _ex_ante(
        windows, [plan.weights[p][c] for p, (c, _, _) in enumerate(windows)], config
    )
    te_user = _ex_ante(windows, [w for w in user], config)
    rows = [
        ("engine replication_plan", first, t_engine, te_engine),
        ("numpy.cov + scipy SLSQP (analytic gradient)", np.nan, t_scipy, te_user),
        *extra,
    ]
    print(
        "| implementation | first call (s) | warm (s): engine best of --repeat, SciPy one run | mean ex-ante TE (annualised) |"
    )
    print("|---|---:|---:|---:|")
    for name, f, wtime, te in rows:
        first_s = "" if np.isnan(f) else f"{f:.3f}"
        print(f"| {name} | {first_s} | {wtime:.3f} | {te:.4%} |")
    print(
        f"speed-up {t_scipy / t_engine:.1f}x; target < 2 s: {'met' if t_engine < 2 else 'missed'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
