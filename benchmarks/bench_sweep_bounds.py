"""Sweeps that stay bounded: how long ``engine.sweep.grid`` takes over 100,000 values on one axis, and
what ``engine.sweep.run`` does with a grid of 10 million variants (time to its answer, peak memory).

Run from a checkout (``PYTHONPATH=. python benchmarks/bench_sweep_bounds.py``); run it under a memory
limit (``ulimit -v``) on an engine that materialises the variants, which then runs out of memory.
"""

from __future__ import annotations

import resource
import time
import tracemalloc

import numpy as np


def _timed(label: str, fn) -> object:
    t0 = time.perf_counter()
    try:
        out = fn()
    except Exception as exc:  # a refusal is an answer: report it with its time
        out = exc
    print(f"{label}: {time.perf_counter() - t0:.2f} s -> {str(out)[:160]}", flush=True)
    return out


def main() -> None:
    from engine import sweep
    from engine.data import default_market

    fees = np.linspace(0.0, 0.0099, 100_000)
    _timed(
        "grid, 100,000 values of fund.management_fee",
        lambda: sweep.grid(**{"fund.management_fee": fees}),
    )
    caps = list(np.linspace(0.05, 0.5, 100_000))
    g = _timed(
        "grid, 100,000 caps x 2 max_constituents",
        lambda: sweep.grid(cap=caps, max_constituents=[30, 40]),
    )
    _timed("Grid.to_frame, 200,000 variants", lambda: g.to_frame().shape)
    market = default_market()
    big = sweep.grid(
        cap=list(np.linspace(0.05, 0.5, 10_000)), max_constituents=list(range(30, 1030))
    )
    tracemalloc.start()
    _timed(f"sweep.run over {len(big):,} variants", lambda: sweep.run(market, "hsidi", big))
    peak = tracemalloc.get_traced_memory()[1]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    print(f"  traced peak during sweep.run: {peak / 2**20:.1f} MiB; process peak RSS {rss:.0f} MiB")


if __name__ == "__main__":
    main()
