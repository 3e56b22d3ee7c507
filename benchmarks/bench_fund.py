"""The fund simulation through the public API: ``engine.fund.backtest`` and its kernel (issue 12).

``python benchmarks/bench_fund.py [--repeat 40]`` times, best of ``--repeat`` warm calls (ms):

``S backtest`` / ``S kernel``
    The S workload (80 names x 2,600 sessions, :mod:`benchmarks.workload`), its index built with
    ``engine.build_index``, a default ``EtfConfig`` starting two sessions after the first review, no
    flows: the whole ``backtest`` call, and ``engine.fund.backtest.run_kernel`` alone on the inputs
    ``prepare`` built (the compiled simulation and its buffers).
``default backtest`` / ``default kernel``
    The same on the default synthetic market, ``hsidi`` index and default fund (corporate actions
    and the default creation/redemption path: about 8,600 trades).

Each case's end NAV is printed so that two versions of the engine can be checked to give the same
fund before their times are compared (run the script from each checkout with ``PYTHONPATH=.``).
There is no peer row: no other tool simulates this fund.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

import impls  # noqa: E402
import workload  # noqa: E402
from workload import best_of  # noqa: E402

import engine  # noqa: E402
from engine.fund import EtfConfig  # noqa: E402

bt = importlib.import_module("engine.fund.backtest")  # the module, not the function


def cases():
    """(name, index, market, config, flows) of the two funds."""
    w = workload.make("S")
    market = impls.engine_market(w)
    index = engine.build_index(market, workload.methodology(w))
    start = pd.Timestamp(w.dates[w.review_rows[0] + 2])
    s_config = EtfConfig.default().replace(inception_date=start)
    default_market = engine.data.default_market()
    default_index = engine.build_index(default_market, "hsidi")
    return [
        ("S", index, market, s_config, pd.Series(dtype=float)),
        ("default", default_index, default_market, EtfConfig.default(), None),
    ]


def time_case(name, index, market, config, flows, repeat: int) -> str:
    """One line: the best ``backtest`` and kernel times of a case, and its end NAV."""
    fund = bt.backtest(index, market, config, flows=flows)  # compiles (or loads) the kernels
    inputs = bt.prepare(index, market, config, flows=flows)
    params, rates = bt.params_record(config, inputs.fx[0]), bt.cost_rates(config)
    whole = best_of(lambda: bt.backtest(index, market, config, flows=flows), repeat)
    kernel = best_of(lambda: bt.run_kernel(inputs, params, rates), repeat)
    nav = float(fund.nav["nav_cny"].iloc[-1])
    return (
        f"{name}: backtest {whole * 1e3:.2f} ms, kernel {kernel * 1e3:.3f} ms "
        f"(best of {repeat}); end NAV {nav:.6f} CNY"
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=40)
    args = ap.parse_args(argv)
    for case in cases():
        print(time_case(*case, args.repeat))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
