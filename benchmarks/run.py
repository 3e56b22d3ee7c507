"""Benchmarks of issue 6 section 6: the standard workload through the public API against the peers.

``python -m benchmarks`` (or ``make bench``) runs, each tool in its own fresh subprocess with an empty
Numba cache (``NUMBA_CACHE_DIR`` = a new temporary folder):

1. per size S, M, L and tool (engine public API, bare Numba reference, pandas, bt, vectorbt
   ``from_orders`` and vectorbt ``from_order_func``): build
   the workload (long frames -> ``MarketData.from_frames`` -> ``engine.build_index`` for the engine),
   **check the levels equal the reference to a relative 1e-9** (a mismatch is reported as FAILED and
   the tool is not timed), then the first-call time (empty cache), the warm time (best of
   ``--repeat``) and the process's peak resident size;
2. the sweep benchmarks at S through ``engine.sweep.run`` (:data:`SWEEPS`: 10,000 variants of a
   grid, 10,000 variants that are all different indexes, 100,000 for the peak resident size;
   ``--sweep NAME`` runs one);
3. cold start: a fresh process imports the engine and builds the default index, with an empty and with
   a warm Numba cache;
4. the scaling figure (``scaling.png``): warm time against universe size at 2,600 sessions and
   against sessions at 600 securities.

``--quick``: S only, reference, engine and pandas, no sweep/scaling.  ``--write`` puts the tables and
the machine into ``benchmarks/README.md`` between the markers.  Targets are reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
TOOLS = ("reference", "engine", "pandas", "bt", "vectorbt", "vectorbt_of")
LABELS = {"vectorbt": "vectorbt (from_orders)", "vectorbt_of": "vectorbt (order_func)"}
"""The tool column of the table where it differs from the ``--tools`` name."""
TOLERANCE = 1e-9
TIMEOUT_S = 1800


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _traced_peak_mib(w) -> float:
    """Peak of the NumPy and Python memory the engine allocates for ``from_frames`` and one build
    (``tracemalloc``; the market it builds included; Numba's own allocations inside kernels, the
    small ``[review, security]`` outputs, are not traced)."""
    import tracemalloc

    import impls
    import workload

    tracemalloc.start()
    market = impls.engine_market(w)
    impls.engine_build(w, market, workload.methodology(w))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def one(tool: str, size: str, repeat: int) -> dict:
    """Run in the subprocess: equality check first, then the timings."""
    import impls
    import workload

    w = workload.make(size)
    panels_mib = 4 * w.close.nbytes / 2**20  # close, shares, free float, traded value
    t0 = time.perf_counter()
    ref = workload.rebased(impls.reference(w), w)
    ref_first_s = time.perf_counter() - t0  # includes the reference's compilation
    out = {
        "tool": tool,
        "size": size,
        "N": w.close.shape[1],
        "T": w.close.shape[0],
        "panels_mib": panels_mib,
    }
    rss0 = _maxrss_mib()
    if tool == "engine":
        t0 = time.perf_counter()
        market = impls.engine_market(w)
        out["from_frames_first_s"] = time.perf_counter() - t0
        m = workload.methodology(w)
        fn = lambda: impls.engine_build(w, market, m)  # noqa: E731
    else:
        fn = lambda: impls.IMPLS[tool](w)  # noqa: E731
    t0 = time.perf_counter()
    levels = fn()
    out["first_s"] = ref_first_s if tool == "reference" else time.perf_counter() - t0
    got = workload.rebased(levels, w)
    if len(got) != len(ref):
        raise SystemExit(
            f"EQUALITY FAILED: {tool} gives {len(got)} levels, the reference {len(ref)}"
        )
    diff = float(np.max(np.abs(got / ref - 1.0)))
    out["max_rel_diff"] = diff
    if not diff <= TOLERANCE:
        raise SystemExit(f"EQUALITY FAILED: {tool} differs from the reference by {diff:.2e} > 1e-9")
    out["warm_s"] = workload.best_of(fn, repeat)
    out["peak_rss_mib"] = _maxrss_mib()  # data, one market and its builds
    if tool == "engine":  # from_frames again, best of repeat, each market dropped before the next
        del fn, market, levels
        best = np.inf
        for _ in range(max(repeat, 1)):
            t0 = time.perf_counter()
            market = impls.engine_market(w)
            best = min(best, time.perf_counter() - t0)
            del market
        out["from_frames_s"] = best
        out["traced_peak_mib"] = _traced_peak_mib(w)
    out["rss_before_mib"] = rss0
    return out


SWEEPS = {
    "10k": "cap x max_constituents x buffer_remove_rank: 25 x 20 x 20",
    "10k-distinct": "10,000 caps from 0.0335 to 0.095 (each binds: every variant a different index)",
    "100k": "cap x max_constituents x buffer_remove_rank x buffer_add_rank: 25 x 20 x 20 x 10",
}


def _sweep_axes(which: str) -> dict:
    """The grid of sweep benchmark ``which`` (:data:`SWEEPS`)."""
    if which == "10k-distinct":
        return {"cap": list(np.linspace(0.0335, 0.095, 10_000))}
    axes = {
        "cap": list(np.round(np.linspace(0.05, 0.17, 25), 4)),
        "max_constituents": list(range(31, 51)),
        "buffer_remove_rank": list(range(50, 70)),
    }
    if which == "100k":
        axes["buffer_add_rank"] = list(range(22, 32))  # <= the smallest max_constituents
    elif which != "10k":
        raise SystemExit(f"unknown sweep benchmark {which!r}: one of {list(SWEEPS)}")
    return axes


def sweep_bench(which: str = "10k") -> dict:
    """A sweep at S through ``engine.sweep.run``, metrics only: the time, the process's peak
    resident size (the levels are reduced chunk by chunk, never all kept) and how many variants
    give different results (variants with the same index share one index run)."""
    import impls
    import workload

    import engine.sweep as sw

    w = workload.make("S")
    market = impls.engine_market(w)
    m = workload.methodology(w)
    g = sw.grid(**_sweep_axes(which))
    sw.run(market, m, sw.grid(cap=[0.1, 0.12]))  # compile (cached) before timing
    rss0 = _maxrss_mib()
    t0 = time.perf_counter()
    res = sw.run(market, m, g)
    dt = time.perf_counter() - t0
    f = res.to_frame()
    metrics = ["total_return", "volatility", "max_drawdown", "turnover_drifted"]
    return {
        "sweep": which,
        "grid": SWEEPS[which],
        "variants": len(g),
        "distinct": int(len(f[metrics].drop_duplicates())),
        "seconds": dt,
        "failed": len(res.failed),
        "per_variant_s": dt / len(g),
        "peak_rss_mib": _maxrss_mib(),
        "rss_before_mib": rss0,
        "load_1min": os.getloadavg()[0],
    }


COLD = (
    "import time; t = time.perf_counter(); import engine; from engine.data import default_market; "
    "engine.build_index(default_market(), 'hsidi'); print(time.perf_counter() - t)"
)


def _sub(args, cache: str, timeout=TIMEOUT_S):
    env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=str(REPO))
    return subprocess.run(
        args, capture_output=True, text=True, timeout=timeout, env=env, check=False
    )


def _last_json(proc):
    if proc.returncode != 0:
        err = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
        return {"error": (err[-1] if err else f"exit {proc.returncode}")[:300]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def cold_start() -> dict:
    with tempfile.TemporaryDirectory() as cache:
        out = {}
        for label in ("empty_cache_s", "warm_cache_s"):
            p = _sub([sys.executable, "-c", COLD], cache)
            out[label] = float(p.stdout.strip().splitlines()[-1]) if p.returncode == 0 else None
            if p.returncode != 0:
                out["error"] = p.stderr.strip().splitlines()[-1][:300]
        return out


def _fmt(x, spec=".3f"):
    return "-" if x is None else format(x, spec)


def table(rows) -> str:
    lines = [
        "| size (N x T) | tool | first call, empty cache (s) | warm, best of N (s) | ratio to engine | peak RSS (MiB) | max rel. diff vs reference | note |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        eng = next(
            (
                x
                for x in rows
                if x.get("size") == r["size"] and x["tool"] == "engine" and "warm_s" in x
            ),
            None,
        )
        shape = f"{r['size']} ({r.get('N', '?')} x {r.get('T', '?')})"
        tool = LABELS.get(r["tool"], r["tool"])
        if "error" in r:
            lines.append(f"| {shape} | {tool} | - | - | - | - | - | FAILED: {r['error']} |")
            continue
        ratio = r["warm_s"] / eng["warm_s"] if eng else None
        note = ""
        if r["tool"] == "engine":
            note = (
                f"from_frames {r['from_frames_s']:.2f} s (first {r['from_frames_first_s']:.2f} s); "
                f"input panels {r['panels_mib']:.0f} MiB; engine allocations peak "
                f"{r['traced_peak_mib']:.0f} MiB = {r['traced_peak_mib'] / r['panels_mib']:.2f}x "
                "the panels (tracemalloc: from_frames + build, the market included)"
            )
        lines.append(
            f"| {shape} | {tool} | {r['first_s']:.3f} | {r['warm_s']:.4f} | {_fmt(ratio, '.1f')} | "
            f"{r['peak_rss_mib']:.0f} | {r['max_rel_diff']:.1e} | {note} |"
        )
    return "\n".join(lines)


def scaling(repeat: int, tools=("reference", "engine")) -> dict:
    """Warm time against N (T = 2,600) and against T (N = 600); one subprocess per point."""
    import workload

    points = {
        "N": [(n, 2600) for n in (80, 300, 1000, 2600)],
        "T": [(600, t) for t in (650, 1300, 2600, 5172)],
    }
    out = {}
    for axis, pts in points.items():
        for n, t in pts:
            workload.SIZES[f"{n}x{t}"] = (n, t)
            for tool in tools:
                with tempfile.TemporaryDirectory() as cache:
                    p = _sub(
                        [
                            sys.executable,
                            __file__,
                            "--one",
                            tool,
                            f"{n}x{t}",
                            "--repeat",
                            str(repeat),
                            "--size",
                            f"{n}x{t}",
                        ],
                        cache,
                    )
                r = _last_json(p)
                out.setdefault(tool, {}).setdefault(axis, []).append(
                    (n if axis == "N" else t, r.get("warm_s"))
                )
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, axis, label in (
        (axes[0], "N", "securities (2,600 sessions)"),
        (axes[1], "T", "sessions (600 securities)"),
    ):
        for tool, series in out.items():
            pts = [(x, y) for x, y in series.get(axis, []) if y is not None]
            if pts:
                ax.loglog(*zip(*pts, strict=True), marker="o", label=tool)
        ax.set_xlabel(label)
        ax.set_ylabel("warm time (s)")
        ax.grid(alpha=0.3, which="both")
        ax.legend()
    fig.suptitle("Standard workload: warm build time")
    fig.tight_layout()
    fig.savefig(HERE / "scaling.png", dpi=110)
    return out


def machine() -> str:
    import numba
    import pandas

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    vers = [
        f"Python {platform.python_version()}",
        f"numpy {np.__version__}",
        f"pandas {pandas.__version__}",
        f"numba {numba.__version__}",
    ]
    for mod in ("bt", "vectorbt", "dask"):
        try:
            vers.append(f"{mod} {__import__(mod).__version__}")
        except ImportError:
            pass
    return f"{cpu}, {os.cpu_count()} cores; " + ", ".join(vers)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="S,M,L")
    ap.add_argument("--tools", default=",".join(TOOLS), help="comma-separated, from %(default)s")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument(
        "--quick", action="store_true", help="S only, reference/engine/pandas, no sweep or scaling"
    )
    ap.add_argument(
        "--write", action="store_true", help="rewrite the results in benchmarks/README.md"
    )
    ap.add_argument("--no-scaling", action="store_true", help="skip the scaling figure")
    ap.add_argument("--one", nargs=2, metavar=("TOOL", "SIZE"), help=argparse.SUPPRESS)
    ap.add_argument("--size", help=argparse.SUPPRESS)
    ap.add_argument(
        "--sweep",
        choices=list(SWEEPS),
        help="only this sweep benchmark at S (time, peak RSS, distinct results), as JSON",
    )
    args = ap.parse_args(argv)
    if args.one:
        import workload

        if "x" in args.one[1]:
            n, t = args.one[1].split("x")
            workload.SIZES[args.one[1]] = (int(n), int(t))
        print(json.dumps(one(args.one[0], args.one[1], args.repeat)))
        return 0
    if args.sweep:
        print(json.dumps(sweep_bench(args.sweep)))
        return 0
    sizes = ["S"] if args.quick else args.sizes.split(",")
    tools = ["reference", "engine", "pandas"] if args.quick else args.tools.split(",")
    repeat = 2 if args.quick else args.repeat
    rows, failed = [], False
    for size in sizes:
        for tool in tools:
            print(f"running {tool} at {size} ...", flush=True)
            with tempfile.TemporaryDirectory() as cache:
                try:
                    p = _sub(
                        [sys.executable, __file__, "--one", tool, size, "--repeat", str(repeat)],
                        cache,
                    )
                    r = _last_json(p)
                except subprocess.TimeoutExpired:
                    r = {"error": f"timed out after {TIMEOUT_S} s"}
            r.setdefault("tool", tool)
            r.setdefault("size", size)
            failed |= "error" in r
            rows.append(r)
    text = table(rows)
    extra = []
    if not args.quick:
        for which in SWEEPS:
            with tempfile.TemporaryDirectory() as cache:
                sw = _last_json(_sub([sys.executable, __file__, "--sweep", which], cache))
            if "error" in sw:
                extra.append(f"Sweep {which} ({SWEEPS[which]}) at S: FAILED: {sw['error']}")
            else:
                extra.append(
                    f"Sweep {which} ({sw['grid']}): {sw['variants']:,} variants at S in "
                    f"{sw['seconds']:.2f} s, {sw['distinct']:,} different results (unique metric "
                    f"rows), {sw['failed']} failed; peak RSS {sw['peak_rss_mib']:.0f} MiB "
                    f"({sw['rss_before_mib']:.0f} MiB before the sweep; load {sw['load_1min']:.1f})."
                )
        cs = cold_start()
        extra.append(
            f"Cold start (fresh process: import engine, default market, build the default index): "
            f"empty Numba cache {_fmt(cs.get('empty_cache_s'), '.2f')} s, warm cache "
            f"{_fmt(cs.get('warm_cache_s'), '.2f')} s"
            + (f" ({cs['error']})" if "error" in cs else "")
            + "."
        )
        if not args.no_scaling:
            scaling(2)
            extra.append("Scaling figure: `scaling.png`.")
    report = (
        text
        + "\n\n"
        + "\n\n".join(extra)
        + ("\n\n" if extra else "\n")
        + f"Machine: {machine()}; repeat={repeat}; run on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.\n"
    )
    print(report)
    if args.write:
        readme = HERE / "README.md"
        body = readme.read_text()
        start, end = "<!-- results:start -->", "<!-- results:end -->"
        head, rest = body.split(start)
        _, tail = rest.split(end)
        readme.write_text(head + start + "\n" + report + end + tail)
        print(f"updated {readme}")
    if failed:
        print("some implementations FAILED (see the table)", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
