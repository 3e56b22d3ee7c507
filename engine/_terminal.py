"""What the ``hsidi`` command line says besides results: the warnings it prints (and ``--strict``
turns into errors), Python argument names put as the CLI's options, the help's examples and
methodology names, the wrapped name lists of the summary, and the notice before the first compile.
"""

from __future__ import annotations

import functools
import re
import sys
import warnings

from engine._display import WIDTH
from engine.errors import DataError


class Heard:
    """The warnings a command has met, in order, without repeats: those Python raised and those
    the market and the results carry (``MarketData.warnings``, ``result.warnings``).

    ``strict`` (``--strict``): the first one is a :class:`~engine.errors.DataError` instead, raised
    where it is met, so nothing is written.
    """

    def __init__(self, strict: bool = False) -> None:
        self.strict = strict
        self.lines: list[str] = []

    def add(self, message) -> None:
        text = cli_words(str(message))
        if text in self.lines:
            return
        if self.strict:
            raise strict_error(text)
        self.lines.append(text)

    def carry(self, *objects) -> None:
        """Add the ``warnings`` each object carries (objects without them add nothing)."""
        for obj in objects:
            for w in tuple(getattr(obj, "warnings", ()) or ()):
                self.add(w)

    def show(self, message, category, filename, lineno, file=None, line=None) -> None:
        """A ``warnings.showwarning`` that notes a ``UserWarning`` (library deprecations are not
        the user's business)."""
        if issubclass(category, UserWarning):
            self.add(message)


def heard_by(args) -> Heard:
    """The :class:`Heard` of a parsed command (made on first use: ``--strict`` as parsed)."""
    if getattr(args, "heard", None) is None:
        args.heard = Heard(strict=bool(getattr(args, "strict", False)))
    return args.heard


def hearing(command):
    """``command(args)`` with every Python warning noted on ``heard_by(args)`` as it is raised
    (under ``--strict`` raised instead, as the error :func:`strict_error`).  The parser wraps every
    command, so ``hsidi verify`` reruns one with the same warnings (they go into its outputs)."""

    @functools.wraps(command)
    def run(args):
        heard = heard_by(args)
        with warnings.catch_warnings():  # restores showwarning too
            warnings.simplefilter("error" if heard.strict else "always", UserWarning)
            warnings.showwarning = heard.show
            try:
                return command(args)
            except UserWarning as exc:
                raise strict_error(exc) from None

    return run


def strict_error(message) -> DataError:
    """The error a warning becomes under ``--strict``."""
    return DataError(
        f"(--strict: a warning is an error; without --strict it is accepted) {cli_words(str(message))}"
    )


def listed(head: str, items: list[str], width: int = WIDTH) -> list[str]:
    """``head`` and the comma-separated ``items``, wrapped between items under themselves, each
    line at most ``width`` columns (an item longer than a line keeps its own line)."""
    lines, line, indent = [], f"  {head:<15}", " " * 17
    for i, item in enumerate(items):
        text = item + ("," if i < len(items) - 1 else "")
        if i and len(line) + 1 + len(text) > width:
            lines.append(line)
            line = indent + text
        else:
            line += (" " if i else "") + text
    return [*lines, line]


def warning_lines(lines: list[str]) -> list[str]:
    """The warnings, one line each under a heading (none: no lines)."""
    if not lines:
        return []
    return [f"Warnings ({len(lines)}: of the data, the methodology and the results):"] + [
        f"  - {w}" for w in lines
    ]


EXAMPLES = {
    "build": (
        ("hsidi build", "the three variants on the SYNTHETIC default market, into out/"),
        ("hsidi build --methodology hsidi --out runs/hsidi", "the chained history only"),
        ("hsidi build --data mydata --methodology ./rules.toml --base-date auto", "your data"),
    ),
    "backtest": (
        ("hsidi backtest --benchmark net", "against the net-total-return index"),
        ("hsidi backtest --data mydata --config fund.toml --fx fx.csv --out runs/fund", ""),
    ),
    "report": (
        ("hsidi report --out runs/report", "tracking_report.html and .pdf"),
        ("hsidi report --preset csrc --config fund.toml", "with the CSRC figures and breaches"),
    ),
    "demo": (
        ("hsidi demo", "everything on the default market, into out/"),
        ("hsidi demo --out demo --quiet --strict", "no progress bars; a warning is an error"),
    ),
    "export-data": (
        ("hsidi export-data --out default_market --format csv", "a new folder of CSV files"),
        ("hsidi export-data --out default_market --replace", "overwrite a market folder"),
    ),
    "check": (
        ("hsidi check mydata", "every problem of the folder, one line each"),
        ("hsidi check mydata --closure 2023-09-08", "with a closure the calendar lacks"),
    ),
    "verify": (("hsidi verify runs/hsidi", "rerun what runs/hsidi/manifest.json records"),),
    "compare": (
        ("hsidi compare hsidi-2023-05 hsidi-2025-08", "launch rules against the revised ones"),
        ("hsidi compare hsidi-2023-05 hsidi --no-fund --out runs/cmp", ""),
    ),
}
"""Examples shown under each command's ``--help`` (the tests parse every one)."""

DESCRIPTION = (
    "Rebuild the Hang Seng Innovative Drug Index and backtest ETF 520500 against it.\n"
    "Every command reads the embedded SYNTHETIC default market unless --data names a\n"
    "canonical data folder (docs/data-format.md)."
)


def epilog(command: str) -> str:
    lines = ["examples:"]
    for example, what in EXAMPLES[command]:
        lines.append(f"  {example}" + (f"\n      {what}" if what else ""))
    return "\n".join(lines)


def methodology_names() -> tuple[list[str], list[str]]:
    """``(histories, versions)``: the names ``--methodology`` accepts besides a .toml path (a
    history, such as ``hsidi``, chains every ``<history>-*.toml`` version by its effective date)."""
    from engine.rules import methodology_dir

    versions = sorted(p.stem for p in methodology_dir().glob("*.toml"))
    histories = sorted({m.group(1) for v in versions if (m := re.match(r"(.+?)-\d{4}", v))})
    return histories, versions


def methodology_help(default: str | None) -> str:
    histories, versions = methodology_names()
    more = (
        f" (default: {default})" if default else " (repeatable; default: launch, chained, revision)"
    )
    return (
        f"a history name ({', '.join(histories)}: every version, each from its effective date), "
        f"a version name ({', '.join(versions)}) or a .toml path{more}"
    )


# Python argument -> CLI option, for warnings raised inside the engine and printed by the CLI.
_CLI_WORDS = (
    (re.compile(r"\bpass fx=(?=\W|$)"), "pass --fx FILE"),
    (re.compile(r"\bfx=market\.fx\b"), "--fx FILE"),
    (re.compile(r"\bverify=False\b"), "--no-verify"),
    (re.compile(r"\bconfig=(?=\W|$)"), "--config FILE"),
    (re.compile(r"\bclosures=\['(\d{4}-\d{2}-\d{2})'\]"), r"--closure \1"),
)


def cli_words(message: str) -> str:
    """``message`` with Python arguments (``fx=``, ``verify=False``) named as the CLI's options."""
    for pattern, word in _CLI_WORDS:
        message = pattern.sub(word, message)
    return message


def tell_first_compile(command: str) -> None:
    """One line on stderr when the kernels are about to be compiled (an empty cache folder)."""
    from engine import _jit

    if _jit.cache_is_cold():
        print(
            f"hsidi {command}: compiling the engine's kernels, once per machine and engine version "
            f"(about {_jit.COMPILE_SECONDS} s on an idle machine; later runs load them from "
            f"{_jit.cache_dir()})",
            file=sys.stderr,
            flush=True,
        )
