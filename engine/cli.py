"""The ``hsidi`` command line.

Commands::

    hsidi build     rebuild the index under each methodology; levels, constituents, a figure
    hsidi backtest  backtest ETF 520500 against the index; NAV, trades, costs
    hsidi report    the tracking-error report (HTML + PDF) with the attribution waterfall
                    (--preset csrc/sfc/esma/sebi adds a regulator's figures and breaches)
    hsidi demo      all of the above on the embedded default market (what `make demo` runs)
    hsidi compare   compare two methodologies: membership changes, effects, a report
    hsidi check     list every problem in a data folder
    hsidi export-data  write the default market as a canonical data folder
    hsidi verify    recompute a run from the manifest of its output folder; say whether it matches

Every warning met (the data's, a result's, Python's) is printed on stderr, one line each;
``--strict`` makes it an error.  The help (``hsidi COMMAND --help``) shows examples.

Every command reads the embedded SYNTHETIC default market unless ``--data FOLDER`` names a canonical
data folder (see docs/data-format.md).  A run's outputs are written as a set with a ``manifest.json``
(engine version, methodology and fund-settings hashes, data fingerprint, command, file hashes).
Errors from ``engine.errors`` and from the operating system are printed as one line and exit with
status 2; Ctrl-C exits with status 130.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import json
import os
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from engine._files import (
    OutputSet,
    check_out,
    json_bytes,
    read_text_file,
    write_table,
    write_text,
)
from engine._terminal import (
    DESCRIPTION,
    cli_words,
    epilog,
    heard_by,
    hearing,
    listed,
    methodology_help,
    tell_first_compile,
    warning_lines,
)
from engine._verify import RERUNNABLE, WritesPath, verify_folder
from engine.errors import DataError, EngineError, FundConfigError, OutputError, describe

VARIANTS = {
    "launch": "hsidi-2023-05",
    "chained": "hsidi",
    "revision": "hsidi-2025-08",
}
REVISION_DATE = pd.Timestamp("2025-08-11")


def _say(msg: str) -> None:
    print(msg, flush=True)


def _load_market(args):
    market = _read_market(args)
    heard_by(args).carry(market)
    return market


def _read_market(args):
    from engine.data import default_market, read_folder

    closures = getattr(args, "closure", None) or ()
    if args.data:
        return read_folder(
            args.data, verify=not getattr(args, "no_verify", False), closures=closures
        )
    if closures:
        raise DataError(
            describe(
                "--closure declares closures of a data folder's market",
                value=list(closures),
                fix="pass --data FOLDER (the default market already follows the HKEX calendar)",
            )
        )
    return default_market()


def _label(methodology: str) -> str:
    """Output label of a methodology: a name as given, a path by its file's stem."""
    p = Path(methodology)
    return p.stem if (p.suffix == ".toml" or len(p.parts) > 1) else methodology


def _read_settings(path: str) -> dict:
    """Fund settings from a TOML or JSON file (a flat table of ``EtfConfig`` fields)."""
    kind = "JSON" if Path(path).suffix == ".json" else "TOML"
    data = read_text_file(
        path,
        kind,
        error=FundConfigError,
        what="--config file",
        fix="write the settings as a flat TOML table, e.g. management_fee = 0.005",
    )
    if not isinstance(data, dict):
        raise FundConfigError(
            describe("fund settings must be a table", source=path, value=type(data).__name__)
        )
    return data


def _fund_config(args):
    """``EtfConfig.default()`` with ``--config FILE`` and ``--benchmark`` applied."""
    from engine.fund import EtfConfig

    config = EtfConfig.default()
    changes = _read_settings(args.config) if getattr(args, "config", None) else {}
    if getattr(args, "benchmark", None):
        changes["benchmark"] = args.benchmark
    known = {f.name for f in dataclasses.fields(EtfConfig)}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise FundConfigError(
            describe(
                "unknown fund setting(s)",
                source=getattr(args, "config", None) or "--benchmark",
                field=", ".join(unknown),
                fix=f"use EtfConfig fields: {', '.join(sorted(known))}",
            )
        )
    for key, value in changes.items():
        if isinstance(value, list):
            changes[key] = tuple(value)
    try:
        return config.replace(**changes) if changes else config
    except FundConfigError as exc:
        where = args.config if getattr(args, "config", None) else "--benchmark"
        raise FundConfigError(f"{exc} (in {where})") from None


def _read_fx(path: str | None):
    """``--fx FILE``: a valuation fixing, CSV or Parquet with columns ``date`` and ``hkd_cny``."""
    if not path:
        return None
    file = Path(path)
    if not file.is_file():
        raise DataError(
            describe(
                "--fx file does not exist" if not file.exists() else "--fx is not a file",
                source=path,
                fix="give a CSV or Parquet file with columns date, hkd_cny",
            )
        )
    frame = pd.read_parquet(file) if file.suffix == ".parquet" else pd.read_csv(file)
    missing = [c for c in ("date", "hkd_cny") if c not in frame.columns]
    if missing:
        raise DataError(
            describe(
                "fixing file lacks column(s)",
                source=str(file),
                field=", ".join(missing),
                fix="give columns date (YYYY-MM-DD) and hkd_cny (CNY per HKD)",
            )
        )
    dates = pd.to_datetime(frame["date"], format="ISO8601", errors="coerce")
    if dates.isna().any():
        row = int(np.flatnonzero(dates.isna().to_numpy())[0])
        raise DataError(
            describe(
                "unreadable date",
                source=str(file),
                row=row,
                field="date",
                value=frame["date"].iloc[row],
                fix="write dates as YYYY-MM-DD",
            )
        )
    return pd.Series(
        pd.to_numeric(frame["hkd_cny"], errors="coerce").to_numpy(float),
        index=pd.DatetimeIndex(dates, name="date"),
        name="hkd_cny",
    )


def settings_record(config) -> dict:
    """The fund settings as plain JSON values (what the fund-settings hash is taken over)."""
    out = {}
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        out[f.name] = str(value.date()) if isinstance(value, pd.Timestamp) else value
    return json.loads(json.dumps(out, default=str))


def settings_hash(config) -> str:
    return hashlib.sha256(json_bytes(settings_record(config))).hexdigest()[:16]


def _banner(market) -> str:
    return (
        "SYNTHETIC default market (simulated prices, not real data)"
        if market.synthetic
        else market.source
    )


def _market_line(market) -> str:
    """The market in one line that fits the terminal (its warnings are printed one by one)."""
    dates = market.dates
    return (
        f"Market: {len(dates)} sessions {dates[0].date()}..{dates[-1].date()}, "
        f"{len(market.securities)} securities, {len(market.warnings)} warning(s)"
    )


def build_variants(market, names: dict[str, str], *, progress: bool = True, base_date=None) -> dict:
    """Run :func:`engine.build_index` for each labelled methodology name (``base_date``: see
    :func:`engine.build_index`; None keeps each methodology's)."""
    from engine import build_index

    results = {}
    for label, name in names.items():
        t0 = time.perf_counter()
        results[label] = build_index(market, name, progress=progress, base_date=base_date)
        _say(f"  built {label:<9} ({name}) in {time.perf_counter() - t0:.2f} s")
    return results


def write_index_outputs(results: dict, market, out, meta: dict | None = None) -> list[Path]:
    """Levels and constituent tables (CSV + Parquet) for every variant, plus the levels figure.

    ``out`` is a folder or an :class:`~engine._files.OutputSet`; ``meta`` goes into every Parquet
    file's key-value metadata."""
    from engine.report import index_figure

    written = []
    for label, res in results.items():
        levels = res.levels
        reviews = res.schedule.to_frame()
        for ext in ("csv", "parquet"):
            written.append(write_table(levels, out / f"index_levels_{label}.{ext}", metadata=meta))
            written.append(
                write_table(
                    reviews, out / f"constituents_{label}.{ext}", index=False, metadata=meta
                )
            )
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
        return [f"{c} {sec.loc[c, 'name']}" for c in picked] or ["none"]

    lines = [f"At the {REVISION_DATE.date()} revision ({row['turnover']:.1%} one-way turnover):"]
    lines += listed("left, CXO:", names(row["left"], True))
    lines += listed("left, other:", names(row["left"], False))
    lines += listed("entered:", names(row["entered"]))
    return lines


def index_summary(results: dict, market) -> str:
    """A short plain-text summary: constituents per review, CXO weight around the revision, returns
    (each figure computed by :mod:`engine.analytics.versions` or the result's ``summary()``)."""
    from engine.analytics.versions import cxo_around, year_to_date_return

    lines = []
    if market.synthetic:
        lines.append(
            "*** SYNTHETIC default market: simulated prices, every figure below is illustrative ***"
        )
    chained = results.get("chained") or next(iter(results.values()))
    counts = chained.schedule.per_review()
    lines.append("Constituents at each review (chained history):")
    for _, r in counts.iterrows():
        lines.append(
            f"  {r['effective_date'].date()}  {r['methodology']:<14} {r['kind']:<13} {int(r['constituents']):>3} "
            f"constituents (eligible {int(r['eligible'])}), max weight {r['max_weight']:.2%}"
        )
    sessions = chained.levels.index
    if (sessions < REVISION_DATE).any() and REVISION_DATE in sessions:
        for label, res in results.items():
            c = cxo_around(res.weights, market, REVISION_DATE, sessions)
            lines.append(
                f"CXO weight, {label:<9}: {c['before']:6.2%} at the close of "
                f"{c['before_date'].date()}, {c['at']:6.2%} at the close of {c['at_date'].date()}"
            )
    lines.extend(_revision_changes(chained, market))
    lines.append("Returns (price / gross / net):")
    for label, res in results.items():
        summ = res.summary()  # per variant, annualised by engine.conventions
        tot = {v: summ[f"total_return_{v}"] for v in ("price", "gross", "net")}
        ann = {v: summ[f"annualised_return_{v}"] for v in ("price", "gross", "net")}
        last_year, ytd_return = year_to_date_return(res.levels["price"])
        ytd = "n/a" if np.isnan(ytd_return) else f"{ytd_return:+.1%}"
        lines.append(
            f"  {label:<9} total {tot['price']:+.1%} / {tot['gross']:+.1%} / {tot['net']:+.1%}   "
            f"annualised {ann['price']:+.1%} / {ann['gross']:+.1%} / {ann['net']:+.1%}   "
            f"{last_year} {ytd}"
        )
    return "\n".join(lines)


def _summary_file(text: str, args) -> str:
    """``index_summary.txt``: the summary printed, then the warnings met so far (printed on
    stderr): the market's, the indexes', Python's."""
    return "\n".join([text, *warning_lines(heard_by(args).lines)]) + "\n"


def _show(obj) -> str:
    """Plain-text rendering of a summary (a :class:`~engine._display.Summary` shows itself; a
    Series/DataFrame gets readable numbers: thousands separators, no exponent, noise shown as 0)."""
    from engine._display import Summary

    if isinstance(obj, Summary):
        return repr(obj)

    def fmt(v):
        if isinstance(v, bool | np.bool_):
            return str(v)
        if isinstance(v, pd.Timestamp):
            return str(v.date()) if v == v.normalize() else str(v)
        if isinstance(v, float | np.floating):
            if v != v:
                return "n/a"
            if abs(v) < 5e-13:
                return "0"
            if abs(v) >= 1e3:
                return f"{v:,.0f}"
            return f"{v:,.4f}".rstrip("0").rstrip(".") if abs(v) >= 1e-4 else f"{v:.2e}"
        if isinstance(v, int | np.integer):
            return f"{v:,}"
        return str(v)

    if isinstance(obj, pd.Series | pd.DataFrame):
        return obj.map(fmt).to_string()
    return str(obj)


# ---------------------------------------------------------------------- provenance
def _provenance(args, market, index_results: dict, config=None) -> dict:
    from engine import __version__

    return {
        "engine_version": __version__,
        "command": "hsidi " + shlex.join(args.argv),
        "argv": list(args.argv),
        "data": _banner(market),
        "data_fingerprint": market.fingerprint(),
        "methodology": {
            label: {"name": res.name, "hash": res.meta.get("methodology_hash", "")}
            for label, res in index_results.items()
        },
        "fund_settings_hash": None if config is None else settings_hash(config),
        "fund_settings": None if config is None else settings_record(config),
    }


def _parquet_meta(prov: dict) -> dict:
    return {k: v for k, v in prov.items() if k != "fund_settings"}


@contextlib.contextmanager
def _fixed_dates(market):
    """Reproducible figures and reports: ``SOURCE_DATE_EPOCH`` (read by matplotlib's PDF writer and
    by the report) is the market's last session, unless the caller set it."""
    if "SOURCE_DATE_EPOCH" in os.environ:
        yield
        return
    os.environ["SOURCE_DATE_EPOCH"] = str(int(market.dates[-1].timestamp()))
    try:
        yield
    finally:
        os.environ.pop("SOURCE_DATE_EPOCH", None)


# ---------------------------------------------------------------------- commands
def _methodologies(args) -> dict[str, str]:
    return dict(VARIANTS) if not args.methodology else {_label(m): m for m in args.methodology}


def cmd_build(args) -> int:
    market = _load_market(args)
    _say(_market_line(market))
    _say(f"Data: {_banner(market)}")
    results = build_variants(
        market, _methodologies(args), progress=not args.quiet, base_date=args.base_date
    )
    heard_by(args).carry(*results.values())
    text = index_summary(results, market)
    prov = _provenance(args, market, results)
    with _fixed_dates(market), OutputSet(args.out, "build", prov) as outs:
        write_index_outputs(results, market, outs, _parquet_meta(prov))
        write_text(_summary_file(text, args), outs / "index_summary.txt")
    _say(text)
    _say(f"Wrote index outputs to {args.out}/")
    return 0


def _fund_run(market, index_result, config, *, fx, progress: bool):
    from engine.fund import backtest, default_flows

    flows = default_flows(market, config)
    fund = backtest(index_result, market, config, flows=flows, progress=progress, fx=fx)
    return fund, flows


def write_fund_outputs(fund, out, meta: dict | None = None) -> None:
    """NAV, trades, costs (columns suffixed ``_cny``: the costs are in CNY) and holdings."""
    for name in ("nav", "trades", "costs", "holdings"):
        frame = getattr(fund, name)
        if name == "costs":
            frame = frame.rename(columns=lambda c: c if str(c).endswith("_cny") else f"{c}_cny")
        for ext in ("csv", "parquet"):
            write_table(frame, out / f"fund_{name}.{ext}", metadata=meta)


def _one_index(args, market):
    from engine import build_index

    name = args.methodology or "hsidi"
    base_date = getattr(args, "base_date", None)
    return {_label(name): build_index(market, name, progress=not args.quiet, base_date=base_date)}


def cmd_backtest(args) -> int:
    market = _load_market(args)
    _say(f"Data: {_banner(market)}")
    config = _fund_config(args)
    fx = _read_fx(args.fx)
    indexes = _one_index(args, market)
    fund, _ = _fund_run(market, *indexes.values(), config, fx=fx, progress=not args.quiet)
    heard_by(args).carry(*indexes.values(), fund)
    prov = _provenance(args, market, indexes, config)
    with _fixed_dates(market), OutputSet(args.out, "backtest", prov) as outs:
        write_fund_outputs(fund, outs, _parquet_meta(prov))
    _say(_show(fund.summary()))
    _say(f"Wrote fund outputs to {args.out}/")
    return 0


def make_report(market, index_result, out, *, progress: bool, config=None, fx=None, preset=None):
    from engine.analytics import attribute, capacity, regulatory
    from engine.fund import EtfConfig
    from engine.report import tracking_report

    config = EtfConfig.default() if config is None else config
    fund, flows = _fund_run(market, index_result, config, fx=fx, progress=progress)
    waterfall = attribute(index_result, market, config, flows=flows, actual=fund, fx=fx)
    reg = regulatory(fund, index_result, preset) if preset else None
    if reg is not None:
        _say(_show(reg.summary()))
    paths = tracking_report(
        fund,
        index_result,
        out / "tracking_report",
        market=market,
        attribution=waterfall,
        regulatory=reg,
        capacity=capacity(index_result, market, fund=fund),
    )
    return fund, waterfall, paths


def _waterfall_text(waterfall) -> str:
    """The attribution once: one row per effect with its arithmetic, log and log-per-year
    contribution side by side, in bp (``Waterfall.table()``), not three blocks of the same steps."""
    t = waterfall.table().map(lambda v: f"{v:+.1f}" if v == v else "n/a")
    return (
        f"Attribution of the tracking difference vs {waterfall.benchmark}, bp "
        "(arithmetic adds up to the TD; log per year reads against annual rates)\n" + t.to_string()
    )


def cmd_report(args) -> int:
    market = _load_market(args)
    _say(f"Data: {_banner(market)}")
    config = _fund_config(args)
    fx = _read_fx(args.fx)
    indexes = _one_index(args, market)
    prov = _provenance(args, market, indexes, config)
    with _fixed_dates(market), OutputSet(args.out, "report", prov) as outs:
        fund, waterfall, paths = make_report(
            market,
            *indexes.values(),
            outs,
            progress=not args.quiet,
            config=config,
            fx=fx,
            preset=getattr(args, "preset", None),
        )
        heard_by(args).carry(*indexes.values(), fund, waterfall)
    _say(_waterfall_text(waterfall))
    for kind, path in paths.items():
        _say(f"Wrote {kind.upper()} report: {Path(args.out) / path.name}")
    return 0


def cmd_demo(args) -> int:
    t0 = time.perf_counter()
    market = _load_market(args)
    _say(_market_line(market))
    _say(f"Data: {_banner(market)}")
    config = _fund_config(args)
    fx = _read_fx(args.fx)
    results = build_variants(market, dict(VARIANTS), progress=not args.quiet)
    heard_by(args).carry(*results.values())
    text = index_summary(results, market)
    _say(text)
    prov = _provenance(args, market, results, config)
    with _fixed_dates(market), OutputSet(args.out, "demo", prov) as outs:
        write_index_outputs(results, market, outs, _parquet_meta(prov))
        write_text(_summary_file(text, args), outs / "index_summary.txt")
        fund, waterfall, paths = make_report(
            market, results["chained"], outs, progress=not args.quiet, config=config, fx=fx
        )
        heard_by(args).carry(fund, waterfall)
        write_fund_outputs(fund, outs, _parquet_meta(prov))
    _say("ETF 520500 backtest (against the chained index):")
    _say(_show(fund.summary()))
    _say("Tracking-difference attribution (basis points):")
    _say(_waterfall_text(waterfall))
    for kind, path in paths.items():
        _say(f"Wrote {kind.upper()} report: {Path(args.out) / path.name}")
    _say(f"Demo finished in {time.perf_counter() - t0:.1f} s; outputs in {args.out}/")
    return 0


def cmd_export_data(args) -> int:
    from engine.data import default_market, write_folder

    target = Path(args.out)
    existed = target.exists() and (not target.is_dir() or any(target.iterdir()))
    if existed and not args.replace:
        raise OutputError(
            describe(
                "export-data does not replace an existing folder unasked",
                source=args.out,
                fix="choose a new folder, or pass --replace to overwrite its market files",
            )
        )
    path = write_folder(default_market(), args.out, fmt=args.format)
    _say(f"{'Replaced the market files in' if existed else 'Wrote the default market to'} {path}")
    return 0


def cmd_check(args) -> int:
    from engine.data import check_folder

    report = check_folder(args.path, closures=args.closure or ())
    for line in report.lines():
        print(line)
    n = len(report.problems)
    _say(f"{args.path}: {'no problems' if report.ok else f'{n} problem(s)'}")
    return 0 if report.ok else 1


def cmd_compare(args) -> int:
    from engine.analytics import compare
    from engine.report import comparison_report

    market = _load_market(args)
    _say(f"Data: {_banner(market)}")
    cmp = compare(args.a, args.b, market=market, labels=(args.a, args.b), fund=not args.no_fund)
    heard_by(args).carry(cmp)
    _say(repr(cmp.summary()))
    at = cmp.changes[cmp.changes["effective_date"] == cmp.split]
    for _, r in at.iterrows():
        _say(f"  {r['label']:<14} {r['change']:<8} {r['code']}  {r['rule']}")
    prov = _provenance(args, market, {})
    with _fixed_dates(market), OutputSet(args.out, "compare", prov) as outs:
        write_table(cmp.changes, outs / "compare_changes.csv", index=False)
        paths = comparison_report(cmp, outs / "compare")
    for kind, path in paths.items():
        _say(f"Wrote {kind.upper()} report: {Path(args.out) / Path(path).name}")
    return 0


def cmd_verify(args) -> int:
    return verify_folder(args.folder, make_parser, say=_say, explain=_explain)


def _explain(exc: Exception) -> str:
    """One line for an engine or operating-system error (as :func:`main` prints it)."""
    return cli_words(str(exc)) if isinstance(exc, EngineError) else _os_error(exc)


def _common_options(p, out="out"):
    p.add_argument(
        "--data",
        metavar="FOLDER",
        help="canonical data folder (default: the embedded SYNTHETIC market)",
    )
    p.add_argument(
        "--no-verify",
        action="store_true",
        help="accept a data folder whose files no longer match the fingerprint in its meta.json",
    )
    _closure_option(p)
    p.add_argument(
        "--out",
        default=out,
        action=WritesPath,
        metavar="FOLDER",
        help=f"output folder (default: {out}; a symlink to a folder is written through)",
    )
    p.add_argument(
        "--quiet", action="store_true", help="no progress bars (warnings are still printed)"
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="treat every warning (of the data or a result) as an error: exit 2, nothing written",
    )
    p.add_argument(
        "--base-date",
        metavar="DATE",
        help="index base date YYYY-MM-DD instead of the methodology's, or 'auto': the first "
        "the data can carry (for data that start late)",
    )


def _closure_option(p):
    p.add_argument(
        "--closure",
        action="append",
        metavar="DATE",
        help="a whole-day HKEX closure the calendar does not know, YYYY-MM-DD (repeatable; "
        "also a 'closures' list in the folder's meta.json)",
    )


def _fund_options(p):
    p.add_argument(
        "--config", metavar="FILE", help="fund settings (TOML or JSON: EtfConfig fields)"
    )
    p.add_argument(
        "--fx",
        metavar="FILE",
        help="valuation fixing, CSV/Parquet with date, hkd_cny (CNY per HKD)",
    )
    p.add_argument(
        "--benchmark",
        choices=("price", "gross", "net"),
        help="index variant the fund is measured against, in CNY (default: the settings')",
    )


def make_parser() -> argparse.ArgumentParser:
    from engine import __version__

    parser = argparse.ArgumentParser(
        prog="hsidi",
        description=DESCRIPTION,
        epilog="examples:\n  hsidi demo\n  hsidi build --help",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"hsidi {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, helptext: str):
        return sub.add_parser(
            name,
            help=helptext,
            description=helptext[0].upper() + helptext[1:] + ".",
            epilog=epilog(name),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    p = command("build", "rebuild the index under each methodology")
    _common_options(p)
    p.add_argument("--methodology", action="append", help=methodology_help(None))
    p.set_defaults(func=cmd_build)
    for name, func, helptext in (
        ("backtest", cmd_backtest, "backtest ETF 520500 against the index"),
        ("report", cmd_report, "write the tracking-error report (HTML + PDF)"),
    ):
        p = command(name, helptext)
        _common_options(p)
        _fund_options(p)
        p.add_argument("--methodology", help=methodology_help("hsidi"))
        if name == "report":
            p.add_argument(
                "--preset",
                choices=("csrc", "sfc", "esma", "sebi"),
                help="add a regulator's tracking figures, breach table and (csrc) the "
                "quarterly-report period table (engine.analytics.regulatory)",
            )
        p.set_defaults(func=func)
    p = command("demo", "everything, on the embedded default market")
    _common_options(p)
    _fund_options(p)
    p.set_defaults(func=cmd_demo)
    p = command("export-data", "write the default market as a data folder")
    p.add_argument(
        "--out",
        default="default_market",
        action=WritesPath,
        metavar="FOLDER",
        help="target folder (default: default_market)",
    )
    p.add_argument("--format", default="parquet", choices=("parquet", "csv"))
    p.add_argument(
        "--replace",
        action="store_true",
        help="overwrite the market files of an existing market folder (without it, an existing "
        "non-empty --out is refused)",
    )
    p.set_defaults(func=cmd_export_data)
    p = command("check", "list every problem in a data folder (exit 1 if any)")
    p.add_argument("path", help="the data folder")
    _closure_option(p)
    p.set_defaults(func=cmd_check)
    p = command("verify", "recompute a run from its output folder's manifest")
    p.add_argument("folder", help="an output folder written by hsidi (holds manifest.json)")
    p.set_defaults(func=cmd_verify)
    p = command("compare", "compare two methodologies (membership, effects, report)")
    _common_options(p)
    p.add_argument("a", help="first methodology (e.g. hsidi-2023-05)")
    p.add_argument("b", help="second methodology (e.g. hsidi)")
    p.add_argument("--no-fund", action="store_true", help="skip the ETF trading-cost simulation")
    p.set_defaults(func=cmd_compare)
    for p in sub.choices.values():  # every command notes its warnings, also when verify reruns it
        p.set_defaults(func=hearing(p.get_default("func")))
    return parser


def _os_error(exc: OSError) -> str:
    if exc.filename is not None and exc.strerror:
        return f"{exc.strerror}: {exc.filename}"
    return str(exc)


def _tell_warnings(args) -> None:
    """Print every warning the command met, one line each on stderr, ``--quiet`` or not."""
    for text in heard_by(args).lines:
        print(f"hsidi {args.command}: warning: {text}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    import matplotlib

    matplotlib.use("Agg")
    argv = list(sys.argv[1:] if argv is None else argv)
    args = make_parser().parse_args(argv)
    args.argv = argv
    try:
        if args.command in RERUNNABLE:
            check_out(args.out)  # before any work: a bad --out fails now, not after the build
        if args.command in (*RERUNNABLE, "verify"):
            tell_first_compile(args.command)
        try:
            return args.func(args)  # hearing(): every warning noted on args.heard
        finally:
            _tell_warnings(args)
    except EngineError as exc:
        print(f"hsidi {args.command}: error: {cli_words(str(exc))}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"hsidi {args.command}: error: {_os_error(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"hsidi {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
