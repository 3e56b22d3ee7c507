"""Side-by-side benchmark: a capped basket rebalanced at quarterly reviews, held between them.

That is the core of an index level (a Laspeyres basket with a divisor) and the only part of our job
that the peers can also express.  The same random market and the same target weights go to

* ``engine``   : the index kernel ``engine.index._nb.index_kernel`` (Numba, what ``compute`` runs);
* ``pandas``   : a short, obviously-correct chain-linked pandas version (also our test oracle style);
* ``vectorbt`` : ``Portfolio.from_orders(size_type="targetpercent", cash_sharing=True, call_seq="auto")``
  with fractional sizes and no fees, orders at the review closes;
* ``bt``       : ``RunOnDate`` + ``WeighTarget`` + ``Rebalance`` with ``integer_positions=False``.

Each (tool, case) runs in a fresh subprocess: imports, inputs, a warm-up call on a tiny slice (for
the Numba tools mostly compilation, paid once per machine thanks to ``cache=True``), then
``gc.collect()`` and ``malloc_trim(0)`` so the heap left by the warm-up goes back to the system, then
the timed calls while a thread samples the resident size every 0.5 ms.  Peak extra memory is the highest
sample minus the resident size just before the first timed call.  Timing: the best of ``--repeat``.  Parity: every tool's final level (normalised to the
base) is compared with the engine's; the table reports the largest relative difference over all days.

Run ``make bench`` (installs the ``bench`` extra: bt, vectorbt), or::

    python benchmarks/run.py [--cases small,default,large] [--repeat 5] [--write]

``--write`` rewrites the results table in ``benchmarks/README.md`` between the markers.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import os
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CASES = {
    "small": (500, 20),  # two years, 20 names
    "default": (1724, 80),  # the default market's shape: 2019-2025 sessions, ~80 names
    "large": (5000, 500),  # 20 years, 500 names
}
TOOLS = ("engine", "pandas", "vectorbt", "bt")
REVIEW_EVERY = 63  # sessions between reviews (quarterly)
TIMEOUT_S = 600


def make_case(T: int, N: int, seed: int = 7):
    """Random raw closes (some names list late), review rows and index shares ``q`` per review."""
    rng = np.random.default_rng(seed)
    rets = rng.standard_t(4, size=(T, N)) * 0.015 + 0.0003
    close = 20.0 * np.exp(np.cumsum(rets, axis=0))
    review_rows = np.arange(
        1, T, REVIEW_EVERY, dtype=np.int64
    )  # effective rows; weights set on the close before
    q = np.zeros((len(review_rows), N))
    for r, row in enumerate(review_rows):
        members = rng.random(N) < 0.8
        members[rng.integers(N)] = True
        w = np.where(members, rng.pareto(1.5, N) + 0.1, 0.0)
        w = np.minimum(w / w.sum(), 0.10)
        w /= w.sum()
        q[r] = (
            w / close[row - 1]
        )  # shares such that the weights hold at the close before the effective row
    return close, review_rows, q


def run_engine(close, review_rows, q):
    from engine.index._nb import index_kernel

    empty_i = np.zeros(0, dtype=np.int64)
    empty_f = np.zeros(0)
    out = index_kernel(
        close,
        0,
        1.0,
        review_rows,
        q,
        empty_i,
        empty_i,
        empty_i,
        empty_f,
        empty_f,
        empty_f,
        np.zeros(close.shape[1]),
    )
    return out[0][:, 0]


def run_pandas(close, review_rows, q):
    import pandas as pd

    px = pd.DataFrame(close)
    level = pd.Series(np.nan, index=px.index)
    level.iloc[0] = 1.0
    bounds = list(review_rows) + [len(px)]
    for r, (start, stop) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        basket = px.iloc[start - 1 : stop].mul(q[r], axis=1).sum(axis=1)
        level.iloc[start:stop] = (
            (level.iloc[start - 1] * basket / basket.iloc[0]).iloc[1:].to_numpy()
        )
    return level.to_numpy()


def _weights_frame(close, review_rows, q):
    import pandas as pd

    w = np.full(close.shape, np.nan)
    for r, row in enumerate(review_rows):
        v = q[r] * close[row - 1]
        w[row - 1] = v / v.sum()
    idx = pd.bdate_range("2000-01-03", periods=close.shape[0])
    return pd.DataFrame(close, index=idx), pd.DataFrame(w, index=idx)


def run_vectorbt(close, review_rows, q):
    import vectorbt as vbt

    px, w = _weights_frame(close, review_rows, q)
    pf = vbt.Portfolio.from_orders(
        px,
        w,
        size_type="targetpercent",
        group_by=True,
        cash_sharing=True,
        call_seq="auto",
        init_cash=1e9,
        freq="1D",
    )
    value = pf.value().to_numpy()
    return value / value[0]


def run_bt(close, review_rows, q):
    import bt

    px, w = _weights_frame(close, review_rows, q)
    px.columns = [f"s{j}" for j in range(px.shape[1])]
    w.columns = px.columns
    dates = list(w.index[review_rows - 1])
    weights = w.loc[dates].fillna(0.0)
    strategy = bt.Strategy(
        "basket", [bt.algos.RunOnDate(*dates), bt.algos.WeighTarget(weights), bt.algos.Rebalance()]
    )
    res = bt.run(
        bt.Backtest(strategy, px, integer_positions=False, initial_capital=1e6, progress_bar=False)
    )
    prices = res.prices.iloc[:, 0].to_numpy()
    # bt prepends one day before the data: drop it so rows line up with the input
    prices = prices[-close.shape[0] :]
    return prices / prices[0]


def _rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _trim() -> None:
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:  # not glibc
        pass


class _RssSampler:
    """Samples the resident size in a thread; ``peak_extra_mib`` = max sample - size at entry."""

    def __enter__(self):
        self.base = self.peak = _rss_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss_bytes())
            time.sleep(0.0005)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_bytes())
        self.peak_extra_mib = (self.peak - self.base) / 2**20


def one(tool: str, case: str, repeat: int) -> dict:
    T, N = CASES[case]
    close, review_rows, q = make_case(T, N)
    fn = {"engine": run_engine, "pandas": run_pandas, "vectorbt": run_vectorbt, "bt": run_bt}[tool]
    tiny = make_case(3 * REVIEW_EVERY, 4, seed=1)
    t0 = time.perf_counter()
    fn(*tiny)
    warmup = time.perf_counter() - t0
    gc.collect()
    _trim()
    sampler = _RssSampler()
    best = np.inf
    with sampler:
        for _ in range(max(repeat, 1)):
            t0 = time.perf_counter()
            fn(
                close, review_rows, q
            )  # the result is dropped before the next call, as in a user loop
            best = min(best, time.perf_counter() - t0)
    level = fn(close, review_rows, q)
    return {
        "tool": tool,
        "case": case,
        "T": T,
        "N": N,
        "warmup_s": warmup,
        "best_s": best,
        "peak_mib": sampler.peak_extra_mib,
        "level": np.asarray(level, dtype=float).tolist(),
    }


def available(tool: str) -> bool:
    try:
        __import__(
            tool
            if tool not in ("engine", "pandas")
            else {"engine": "engine", "pandas": "pandas"}[tool]
        )
        return True
    except ImportError:
        return False


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", default="small,default,large")
    ap.add_argument("--tools", default=",".join(TOOLS))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument(
        "--write", action="store_true", help="rewrite the table in benchmarks/README.md"
    )
    ap.add_argument("--one", nargs=2, metavar=("TOOL", "CASE"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.one[0], args.one[1], args.repeat)))
        return 0

    rows = []
    for case in args.cases.split(","):
        ref = None
        for tool in args.tools.split(","):
            if not available(tool):
                rows.append(
                    {
                        "tool": tool,
                        "case": case,
                        "note": "not installed (pip install -e '.[bench]')",
                    }
                )
                continue
            print(f"running {tool} on {case} {CASES[case]} ...", flush=True)
            cmd = [sys.executable, __file__, "--one", tool, case, "--repeat", str(args.repeat)]
            try:
                proc = subprocess.run(
                    cmd, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
                )
            except subprocess.TimeoutExpired:
                rows.append({"tool": tool, "case": case, "note": f"timed out after {TIMEOUT_S} s"})
                continue
            if proc.returncode != 0:
                err = proc.stderr.strip().splitlines()
                rows.append(
                    {
                        "tool": tool,
                        "case": case,
                        "note": "failed: " + (err[-1] if err else "?")[:160],
                    }
                )
                continue
            res = json.loads(proc.stdout.strip().splitlines()[-1])
            level = np.array(res.pop("level"))
            if tool == "engine":
                ref = level
            if ref is not None and len(ref) == len(level):
                res["max_rel_diff"] = float(np.max(np.abs(level / ref - 1.0)))
            rows.append(res)

    header = "| case (T x N) | tool | warm-up (s) | best of N (ms) | peak extra memory (MiB) | max rel. diff vs engine |"
    lines = [header, "|---|---|---:|---:|---:|---:|"]
    for r in rows:
        shape = f"{r['case']} ({CASES[r['case']][0]} x {CASES[r['case']][1]})"
        if "note" in r:
            lines.append(f"| {shape} | {r['tool']} | - | - | - | {r['note']} |")
            continue
        diff = r.get("max_rel_diff")
        lines.append(
            f"| {shape} | {r['tool']} | {r['warmup_s']:.2f} | {1e3 * r['best_s']:.2f} | {r['peak_mib']:.1f} | "
            f"{'-' if diff is None else f'{diff:.1e}'} |"
        )
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    table = (
        "\n".join(lines)
        + f"\n\nMachine: {machine}; repeat={args.repeat}; run on {time.strftime('%Y-%m-%d')}.\n"
    )
    print(table)
    if args.write:
        readme = HERE / "README.md"
        text = readme.read_text()
        start, end = "<!-- results:start -->", "<!-- results:end -->"
        head, rest = text.split(start)
        _, tail = rest.split(end)
        readme.write_text(head + start + "\n" + table + end + tail)
        print(f"updated {readme}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
