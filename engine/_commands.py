"""What each ``hsidi`` command does: read its inputs, run the engine, write its output set and
print what the results report (:mod:`engine.cli` parses the command line and calls these).

Every command reads the embedded SYNTHETIC default market unless ``--data FOLDER`` names a canonical
data folder; a run's outputs are written as a set with a ``manifest.json`` (engine version,
methodology and fund-settings hashes, data fingerprint, command, file hashes).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shlex
import time
from pathlib import Path

import numpy as np
import pandas as pd

from engine._files import OutputSet, read_text_file, write_table, write_text
from engine._terminal import heard_by, listed, warning_lines
from engine.errors import DataError, FundConfigError, OutputError

VARIANTS = {"launch": "hsidi-2023-05", "chained": "hsidi", "revision": "hsidi-2025-08"}
REVISION_DATE = pd.Timestamp("2025-08-11")


def _say(msg: str) -> None:
    print(msg, flush=True)


def _load_market(args, *, line: bool = False):
    """The command's market (its warnings noted), announced: ``Data: <source>``, after the
    one-line :func:`_market_line` when ``line``."""
    market = _read_market(args)
    heard_by(args).carry(market)
    if line:
        _say(_market_line(market))
    _say(f"Data: {_banner(market)}")
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
            "--closure declares closures of a data folder's market",
            value=list(closures),
            fix="pass --data FOLDER (the default market already follows the HKEX calendar)",
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
            "fund settings must be a table", source=path, value=type(data).__name__
        )
    return data


def _fund_config(args):
    """``EtfConfig.default()`` with ``--config FILE`` and ``--benchmark`` applied."""
    from engine.fund import EtfConfig

    file = getattr(args, "config", None)
    changes = _read_settings(file) if file else {}
    if getattr(args, "benchmark", None):
        changes["benchmark"] = args.benchmark
    known = {f.name for f in dataclasses.fields(EtfConfig)}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise FundConfigError(
            "unknown fund setting(s)",
            source=file or "--benchmark",
            field=", ".join(unknown),
            fix=f"use EtfConfig fields: {', '.join(sorted(known))}",
        )
    changes = {k: tuple(v) if isinstance(v, list) else v for k, v in changes.items()}
    try:
        return EtfConfig.default().replace(**changes)
    except FundConfigError as exc:
        raise FundConfigError(f"{exc} (in {file or '--benchmark'})") from None


def _read_fx(path: str | None):
    """``--fx FILE``: a valuation fixing, CSV or Parquet with columns ``date`` and ``hkd_cny``."""
    if not path:
        return None
    file = Path(path)
    if not file.is_file():
        raise DataError(
            "--fx file does not exist" if not file.exists() else "--fx is not a file",
            source=path,
            fix="give a CSV or Parquet file with columns date, hkd_cny",
        )
    frame = pd.read_parquet(file) if file.suffix == ".parquet" else pd.read_csv(file)
    missing = [c for c in ("date", "hkd_cny") if c not in frame.columns]
    if missing:
        raise DataError(
            "fixing file lacks column(s)",
            source=str(file),
            field=", ".join(missing),
            fix="give columns date (YYYY-MM-DD) and hkd_cny (CNY per HKD)",
        )
    dates = pd.to_datetime(frame["date"], format="ISO8601", errors="coerce")
    if dates.isna().any():
        row = int(np.flatnonzero(dates.isna().to_numpy())[0])
        raise DataError(
            "unreadable date",
            source=str(file),
            row=row,
            field="date",
            value=frame["date"].iloc[row],
            fix="write dates as YYYY-MM-DD",
        )
    return pd.Series(
        pd.to_numeric(frame["hkd_cny"], errors="coerce").to_numpy(float),
        index=pd.DatetimeIndex(dates, name="date"),
        name="hkd_cny",
    )


def settings_record(config) -> dict:
    """The fund settings as plain JSON values: ``config.to_record()`` (kept for callers)."""
    return config.to_record()


def settings_hash(config) -> str:
    """The fund-settings hash: ``config.hash`` (kept for callers)."""
    return config.hash


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
    mark = (str(REVISION_DATE.date()), "revision")
    written.append(Path(index_figure(results, out / "index_levels.png", mark=mark)))
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
        "fund_settings_hash": None if config is None else config.hash,
        "fund_settings": None if config is None else config.to_record(),
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
    market = _load_market(args, line=True)
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
    config, fx = _fund_config(args), _read_fx(args.fx)
    indexes = _one_index(args, market)
    fund, _ = _fund_run(market, *indexes.values(), config, fx=fx, progress=not args.quiet)
    heard_by(args).carry(*indexes.values(), fund)
    prov = _provenance(args, market, indexes, config)
    with _fixed_dates(market), OutputSet(args.out, "backtest", prov) as outs:
        write_fund_outputs(fund, outs, _parquet_meta(prov))
    _say(repr(fund.summary()))
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
        _say(repr(reg.summary()))
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
    config, fx = _fund_config(args), _read_fx(args.fx)
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
    market = _load_market(args, line=True)
    config, fx = _fund_config(args), _read_fx(args.fx)
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
    _say(repr(fund.summary()))
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
            "export-data does not replace an existing folder unasked",
            source=args.out,
            fix="choose a new folder, or pass --replace to overwrite its market files",
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
