"""The ``hsidi`` command line.

Commands::

    hsidi build     rebuild the index under each methodology; levels, constituents, a figure
    hsidi backtest  backtest ETF 520500 against the index; NAV, trades, costs
    hsidi report    the tracking-error report (HTML + PDF) with the attribution waterfall
    hsidi demo      all of the above on the embedded default market (what `make demo` runs)
    hsidi export-data  write the default market as a canonical data folder

Every command reads the embedded SYNTHETIC default market unless ``--data FOLDER`` names a canonical
data folder (see docs/data-format.md).  Errors from ``engine.errors`` are printed as one line and
exit with status 2.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from engine._files import write_table, write_text
from engine.errors import EngineError

VARIANTS = {
    "launch": "hsidi-2023-05",
    "chained": "hsidi",
    "revision": "hsidi-2025-08",
}
REVISION_DATE = pd.Timestamp("2025-08-11")


def _say(msg: str) -> None:
    print(msg, flush=True)


def _load_market(args):
    from engine.data import default_market, read_folder

    return read_folder(args.data) if args.data else default_market()


def _banner(market) -> str:
    return (
        "SYNTHETIC default market (simulated prices, not real data)"
        if market.synthetic
        else market.source
    )


def _cxo_weight(result, market, date) -> float:
    cxo = set(market.securities.loc[market.securities["is_cxo"], "code"])
    w = result.weights
    if date not in w.index:
        return float("nan")
    row = w.loc[date]
    return float(row[[c for c in row.index if c in cxo]].sum())


def build_variants(market, names: dict[str, str], *, progress: bool = True) -> dict:
    """Run :func:`engine.build_index` for each labelled methodology name."""
    from engine import build_index

    results = {}
    for label, name in names.items():
        t0 = time.perf_counter()
        results[label] = build_index(market, name, progress=progress)
        _say(f"  built {label:<9} ({name}) in {time.perf_counter() - t0:.2f} s")
    return results


def write_index_outputs(results: dict, market, out: Path) -> list[Path]:
    """Levels and constituent tables (CSV + Parquet) for every variant, plus the levels figure."""
    from engine.report import index_figure

    written = []
    for label, res in results.items():
        levels = res.levels
        reviews = res.schedule.to_frame()
        for ext in ("csv", "parquet"):
            written.append(write_table(levels, out / f"index_levels_{label}.{ext}"))
            written.append(write_table(reviews, out / f"constituents_{label}.{ext}", index=False))
    written.append(
        Path(
            index_figure(
                results, out / "index_levels.png", mark=(str(REVISION_DATE.date()), "revision")
            )
        )
    )
    return written


def _revision_changes(result, market) -> list[str]:
    """Who left and who entered at the 2025-08-11 review, with the one-way turnover."""
    from engine.analytics.compare import membership_changes

    changes = membership_changes(result).set_index("effective_date")
    if REVISION_DATE not in changes.index:
        return []
    row = changes.loc[REVISION_DATE]
    sec = market.securities.set_index("code")

    def names(codes, cxo=None):
        picked = [c for c in codes if cxo is None or bool(sec.loc[c, "is_cxo"]) is cxo]
        return ", ".join(f"{c} {sec.loc[c, 'name']}" for c in picked) or "none"

    return [
        f"At the {REVISION_DATE.date()} revision ({row['turnover']:.1%} one-way turnover):",
        f"  left, CXO:     {names(row['left'], True)}",
        f"  left, other:   {names(row['left'], False)}",
        f"  entered:       {names(row['entered'])}",
    ]


def index_summary(results: dict, market) -> str:
    """A short plain-text summary: constituents per review, CXO weight around the revision, returns."""
    lines = []
    if market.synthetic:
        lines.append(
            "*** SYNTHETIC default market: simulated prices, every figure below is illustrative ***"
        )
    chained = results.get("chained") or next(iter(results.values()))
    counts = chained.schedule.summary()
    lines.append("Constituents at each review (chained history):")
    for _, r in counts.iterrows():
        lines.append(
            f"  {r['effective_date'].date()}  {r['methodology']:<14} {r['kind']:<13} {int(r['constituents']):>3} "
            f"constituents (eligible {int(r['eligible'])}), max weight {r['max_weight']:.2%}"
        )
    sessions = chained.levels.index
    before = sessions[sessions < REVISION_DATE]
    if len(before) and REVISION_DATE in sessions:
        for label, res in results.items():
            lines.append(
                f"CXO weight, {label:<9}: {_cxo_weight(res, market, before[-1]):6.2%} at the close of "
                f"{before[-1].date()}, {_cxo_weight(res, market, REVISION_DATE):6.2%} at the close of "
                f"{REVISION_DATE.date()}"
            )
    lines.extend(_revision_changes(chained, market))
    lines.append("Returns (price / gross / net):")
    for label, res in results.items():
        summ = res.summary()  # per variant, annualised by engine.conventions
        tot, ann = summ["total_return"], summ["annualised_return"]
        price = res.levels["price"]
        last_year = price.index[-1].year
        prior = price[price.index.year < last_year]
        ytd = f"{price.iloc[-1] / prior.iloc[-1] - 1.0:+.1%}" if len(prior) else "n/a"
        lines.append(
            f"  {label:<9} total {tot['price']:+.1%} / {tot['gross']:+.1%} / {tot['net']:+.1%}   "
            f"annualised {ann['price']:+.1%} / {ann['gross']:+.1%} / {ann['net']:+.1%}   "
            f"{last_year} {ytd}"
        )
    return "\n".join(lines)


def _show(obj) -> str:
    """Plain-text rendering of a summary Series/DataFrame with readable numbers."""

    def fmt(v):
        if isinstance(v, (float, np.floating)):
            return f"{v:,.0f}" if abs(v) >= 1e4 else f"{v:.6g}"
        return str(v)

    if isinstance(obj, pd.Series):
        return obj.map(fmt).to_string()
    if isinstance(obj, pd.DataFrame):
        return obj.map(fmt).to_string()
    return str(obj)


def cmd_build(args) -> int:
    market = _load_market(args)
    _say(f"Market: {market!r}")
    _say(f"Data: {_banner(market)}")
    names = dict(VARIANTS) if not args.methodology else {m: m for m in args.methodology}
    results = build_variants(market, names, progress=not args.quiet)
    out = Path(args.out)
    write_index_outputs(results, market, out)
    text = index_summary(results, market)
    write_text(text + "\n", out / "index_summary.txt")
    _say(text)
    _say(f"Wrote index outputs to {out}/")
    return 0


def _backtest(market, index_result, *, progress: bool):
    from engine.fund import EtfConfig, backtest, default_flows

    config = EtfConfig.default()
    flows = default_flows(market, config)
    return backtest(index_result, market, config, flows=flows, progress=progress)


def write_fund_outputs(fund, out: Path) -> None:
    for name in ("nav", "trades", "costs", "holdings"):
        frame = getattr(fund, name)
        for ext in ("csv", "parquet"):
            write_table(frame, out / f"fund_{name}.{ext}")


def cmd_backtest(args) -> int:
    from engine import build_index

    market = _load_market(args)
    _say(f"Data: {_banner(market)}")
    index_result = build_index(market, args.methodology or "hsidi", progress=not args.quiet)
    fund = _backtest(market, index_result, progress=not args.quiet)
    out = Path(args.out)
    write_fund_outputs(fund, out)
    _say(_show(fund.summary()))
    _say(f"Wrote fund outputs to {out}/")
    return 0


def make_report(market, index_result, out: Path, *, progress: bool):
    from engine.analytics import attribute
    from engine.fund import EtfConfig, backtest, default_flows
    from engine.report import tracking_report

    config = EtfConfig.default()
    flows = default_flows(market, config)
    fund = backtest(index_result, market, config, flows=flows, progress=progress)
    waterfall = attribute(index_result, market, config, flows=flows, actual=fund)
    paths = tracking_report(
        fund, index_result, out / "tracking_report", market=market, attribution=waterfall
    )
    return fund, waterfall, paths


def cmd_report(args) -> int:
    from engine import build_index

    market = _load_market(args)
    _say(f"Data: {_banner(market)}")
    index_result = build_index(market, args.methodology or "hsidi", progress=not args.quiet)
    out = Path(args.out)
    fund, waterfall, paths = make_report(market, index_result, out, progress=not args.quiet)
    _say(_show(waterfall.summary().round(2)))
    for kind, path in paths.items():
        _say(f"Wrote {kind.upper()} report: {path}")
    return 0


def cmd_demo(args) -> int:
    t0 = time.perf_counter()
    market = _load_market(args)
    _say(f"Market: {market!r}")
    _say(f"Data: {_banner(market)}")
    out = Path(args.out)
    results = build_variants(market, dict(VARIANTS), progress=not args.quiet)
    write_index_outputs(results, market, out)
    text = index_summary(results, market)
    write_text(text + "\n", out / "index_summary.txt")
    _say(text)
    fund, waterfall, paths = make_report(market, results["chained"], out, progress=not args.quiet)
    write_fund_outputs(fund, out)
    _say("ETF 520500 backtest (against the chained index):")
    _say(_show(fund.summary()))
    _say("Tracking-difference attribution (basis points):")
    _say(_show(waterfall.summary().round(2)))
    for kind, path in paths.items():
        _say(f"Wrote {kind.upper()} report: {path}")
    _say(f"Demo finished in {time.perf_counter() - t0:.1f} s; outputs in {out}/")
    return 0


def cmd_export_data(args) -> int:
    from engine.data import default_market, write_folder

    path = write_folder(default_market(), args.out, fmt=args.format)
    _say(f"Wrote the default market to {path}")
    return 0


def cmd_compare(args) -> int:
    from engine.analytics import compare

    market = _load_market(args)
    _say(f"Data: {_banner(market)}")
    cmp = compare(args.a, args.b, market=market, labels=(args.a, args.b), fund=not args.no_fund)
    _say(repr(cmp.summary()))
    at = cmp.changes[cmp.changes["effective_date"] == cmp.split]
    for _, r in at.iterrows():
        _say(f"  {r['label']:<14} {r['change']:<8} {r['code']}  {r['rule']}")
    out = Path(args.out)
    write_table(cmp.changes, out / "compare_changes.csv", index=False)
    for kind, path in cmp.report(out / "compare").items():
        _say(f"Wrote {kind.upper()} report: {path}")
    return 0


def make_parser() -> argparse.ArgumentParser:
    from engine import __version__

    parser = argparse.ArgumentParser(prog="hsidi", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"hsidi {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p, out="out"):
        p.add_argument(
            "--data", help="canonical data folder (default: the embedded SYNTHETIC market)"
        )
        p.add_argument("--out", default=out, help=f"output folder (default: {out})")
        p.add_argument("--quiet", action="store_true", help="no progress bars")

    p = sub.add_parser("build", help="rebuild the index under each methodology")
    common(p)
    p.add_argument(
        "--methodology", action="append", help="methodology or history name (repeatable)"
    )
    p.set_defaults(func=cmd_build)
    for name, func, helptext in (
        ("backtest", cmd_backtest, "backtest ETF 520500 against the index"),
        ("report", cmd_report, "write the tracking-error report (HTML + PDF)"),
    ):
        p = sub.add_parser(name, help=helptext)
        common(p)
        p.add_argument("--methodology", help="methodology or history name (default: hsidi)")
        p.set_defaults(func=func)
    p = sub.add_parser("demo", help="everything, on the embedded default market")
    common(p)
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser("export-data", help="write the default market as a data folder")
    p.add_argument("--out", default="default_market", help="target folder")
    p.add_argument("--format", default="parquet", choices=("parquet", "csv"))
    p.set_defaults(func=cmd_export_data)
    p = sub.add_parser("compare", help="compare two methodologies (membership, effects, report)")
    common(p)
    p.add_argument("a", help="first methodology (e.g. hsidi-2023-05)")
    p.add_argument("b", help="second methodology (e.g. hsidi)")
    p.add_argument("--no-fund", action="store_true", help="skip the ETF trading-cost simulation")
    p.set_defaults(func=cmd_compare)
    return parser


def main(argv: list[str] | None = None) -> int:
    import matplotlib

    matplotlib.use("Agg")
    args = make_parser().parse_args(argv)
    try:
        return args.func(args)
    except EngineError as exc:
        print(f"hsidi {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
