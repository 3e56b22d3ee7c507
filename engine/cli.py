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
import sys

from engine._commands import (  # noqa: F401 - the helpers are re-exported as engine.cli.<name>
    _say,
    build_variants,
    cmd_backtest,
    cmd_build,
    cmd_check,
    cmd_compare,
    cmd_demo,
    cmd_export_data,
    cmd_report,
    index_summary,
    make_report,
    settings_hash,
    settings_record,
    write_fund_outputs,
    write_index_outputs,
)
from engine._files import check_out
from engine._terminal import (
    DESCRIPTION,
    cli_words,
    epilog,
    heard_by,
    hearing,
    methodology_help,
    tell_first_compile,
)
from engine._verify import RERUNNABLE, WritesPath, verify_folder
from engine.errors import EngineError


def cmd_verify(args) -> int:
    return verify_folder(args.folder, make_parser, say=_say, explain=_explain)


def _explain(exc: Exception) -> str:
    """One line for an engine or operating-system error (as :func:`main` prints it)."""
    return cli_words(str(exc)) if isinstance(exc, EngineError) else _os_error(exc)


OPTIONS = {
    "--data": {
        "metavar": "FOLDER",
        "help": "canonical data folder (default: the embedded SYNTHETIC market)",
    },
    "--no-verify": {
        "action": "store_true",
        "help": "accept a data folder whose files no longer match the fingerprint in its meta.json",
    },
    "--closure": {
        "action": "append",
        "metavar": "DATE",
        "help": "a whole-day HKEX closure the calendar does not know, YYYY-MM-DD (repeatable; "
        "also a 'closures' list in the folder's meta.json)",
    },
    "--out": {
        "default": "out",
        "action": WritesPath,
        "metavar": "FOLDER",
        "help": "output folder (default: out; a symlink to a folder is written through)",
    },
    "--quiet": {"action": "store_true", "help": "no progress bars (warnings are still printed)"},
    "--strict": {
        "action": "store_true",
        "help": "treat every warning (of the data or a result) as an error: exit 2, nothing written",
    },
    "--base-date": {
        "metavar": "DATE",
        "help": "index base date YYYY-MM-DD instead of the methodology's, or 'auto': the first "
        "the data can carry (for data that start late)",
    },
    "--config": {"metavar": "FILE", "help": "fund settings (TOML or JSON: EtfConfig fields)"},
    "--fx": {
        "metavar": "FILE",
        "help": "valuation fixing, CSV/Parquet with date, hkd_cny (CNY per HKD)",
    },
    "--benchmark": {
        "choices": ("price", "gross", "net"),
        "help": "index variant the fund is measured against, in CNY (default: the settings')",
    },
}
"""The options several commands share, by flag (``argparse`` keywords)."""
COMMON = ("--data", "--no-verify", "--closure", "--out", "--quiet", "--strict", "--base-date")
FUND = ("--config", "--fx", "--benchmark")


def _options(p, *flags: str) -> None:
    for flag in flags:
        p.add_argument(flag, **OPTIONS[flag])


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
    _options(p, *COMMON)
    p.add_argument("--methodology", action="append", help=methodology_help(None))
    p.set_defaults(func=cmd_build)
    for name, func, helptext in (
        ("backtest", cmd_backtest, "backtest ETF 520500 against the index"),
        ("report", cmd_report, "write the tracking-error report (HTML + PDF)"),
    ):
        p = command(name, helptext)
        _options(p, *COMMON, *FUND)
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
    _options(p, *COMMON, *FUND)
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
    _options(p, "--closure")
    p.set_defaults(func=cmd_check)
    p = command("verify", "recompute a run from its output folder's manifest")
    p.add_argument("folder", help="an output folder written by hsidi (holds manifest.json)")
    p.set_defaults(func=cmd_verify)
    p = command("compare", "compare two methodologies (membership, effects, report)")
    _options(p, *COMMON)
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
