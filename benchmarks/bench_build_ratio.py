"""The public-API build against the bare reference, alternately in one process (issue 12).

``python benchmarks/bench_build_ratio.py [--size L] [--repeat 40] [--seed N]`` builds the standard
workload (``--seed``: an independently generated one of the same shape) as ``benchmarks/run.py``
does, checks that the engine's levels equal the reference's (relative 1e-9),
then times ``engine.build_index`` through :func:`impls.engine_build` and the reference kernel
:func:`impls.reference` alternately ``--repeat`` times and prints the best wall and CPU times of
each and their ratio.  Alternating the two in one process lets both see the same machine state, so
the ratio moves less than the table's, where each tool runs in its own process.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import impls  # noqa: E402
import workload  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="L", choices=("S", "M", "L"))
    ap.add_argument("--repeat", type=int, default=40)
    ap.add_argument("--seed", type=int, default=20240601, help="another seed: another workload")
    args = ap.parse_args(argv)
    w = workload.make(args.size, seed=args.seed)
    market, m = impls.engine_market(w), workload.methodology(w)
    got = workload.rebased(impls.engine_build(w, market, m), w)
    ref = workload.rebased(impls.reference(w), w)
    diff = float(np.max(np.abs(got / ref - 1.0)))
    if not diff <= 1e-9:
        raise SystemExit(f"EQUALITY FAILED: engine differs from the reference by {diff:.2e}")
    runs = {
        "engine": lambda: impls.engine_build(w, market, m),
        "reference": lambda: impls.reference(w),
    }
    wall = dict.fromkeys(runs, np.inf)
    cpu = dict.fromkeys(runs, np.inf)
    for _ in range(args.repeat):
        for name, fn in runs.items():
            c0, t0 = time.process_time(), time.perf_counter()
            fn()
            wall[name] = min(wall[name], time.perf_counter() - t0)
            cpu[name] = min(cpu[name], time.process_time() - c0)
    e, r = wall["engine"], wall["reference"]
    print(
        f"{args.size} best of {args.repeat}: engine {e * 1e3:.2f} ms, reference {r * 1e3:.2f} ms "
        f"(wall), ratio {e / r:.2f}x; CPU {cpu['engine'] / cpu['reference']:.2f}x; "
        f"levels equal to {diff:.1e}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
