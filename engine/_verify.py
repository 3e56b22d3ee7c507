"""``hsidi verify``: rerun what an output folder's manifest provably describes, into a scratch folder.

The recorded command is parsed by the CLI's own parser and must be a command that writes an output
set (:data:`RERUNNABLE`), recorded under its own name, with known options; options that write a path
are declared with :class:`WritesPath`, and ``--out`` is the only one allowed: it is replaced by the
scratch folder, so a rerun writes nowhere else.  A garbled manifest or a command that cannot be
proved is an :class:`~engine.errors.OutputError` (one line, exit 2 in the CLI).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shlex
import tempfile
import warnings
from pathlib import Path

from engine._files import MANIFEST, read_manifest, sha256_file
from engine.errors import EngineError, OutputError

RERUNNABLE = ("build", "backtest", "report", "demo", "compare")
"""Commands ``hsidi verify`` reruns: those that write an output set (and read nothing but inputs)."""
MAX_ARGV = 256
"""Most arguments a recorded command may have (a real one has a dozen)."""


def recorded_args(rec: dict, run: str, source: str, parser) -> argparse.Namespace:
    """The recorded command of ``run`` parsed by the CLI's own parser; OutputError unless it is a
    rerunnable command (:data:`RERUNNABLE`) named ``run``, with known options, one ``--out``."""

    def refuse(what: str, value=None) -> OutputError:
        return OutputError(
            f"verify refuses to rerun: {what}",
            source=source,
            field=f"runs.{run}.argv",
            value=value,
            fix="verify only folders hsidi wrote; rerun the command by hand to rebuild one",
        )

    argv = rec["argv"]
    if len(argv) > MAX_ARGV or any(len(a) > 4096 or not a.isprintable() for a in argv):
        raise refuse(
            f"the recorded command is not at most {MAX_ARGV} arguments of printable text",
            f"{len(argv)} arguments",
        )
    if not argv or argv[0] != run or run not in RERUNNABLE:
        raise refuse(
            f"the recorded command must be one of {', '.join(RERUNNABLE)} and name run {run!r}",
            " ".join(argv[:1]),
        )
    said = io.StringIO()
    try:
        with contextlib.redirect_stderr(said), contextlib.redirect_stdout(said):
            args = parser.parse_args(argv)
    except SystemExit:
        lines = [line for line in said.getvalue().splitlines() if line.strip()]
        raise refuse(
            "the recorded command is not one hsidi accepts: "
            + (lines[-1].split("error: ", 1)[-1] if lines else "it asks for help or the version")
        ) from None
    other = sorted(set(getattr(args, "_writes", ())) - {"out"})
    if other:
        raise refuse("the recorded command writes a path other than --out", ", ".join(other))
    return args


def run_folder(folder: Path, recorded_out: str) -> Path:
    """The folder a recorded command ran in: ``folder`` less its recorded relative ``--out``
    (``runs/o`` recorded, ``/home/u/runs/o`` verified: ``/home/u``); otherwise the current folder."""
    rec = Path(recorded_out)
    if rec.is_absolute():
        return Path.cwd()
    parts = Path(os.path.normpath(rec)).parts
    if not parts:  # --out . : the folder itself
        return folder
    if ".." not in parts and folder.parts[-len(parts) :] == parts:
        return Path(*folder.parts[: -len(parts)])
    return Path.cwd()


def rerun(args, rec: dict, folder: Path, redo: Path, explain) -> str | None:
    """Rerun the parsed command ``args`` with every output in ``redo``; a one-line reason on failure.

    The options are those parsed from the manifest, except ``--out``, which is ``redo`` (``--out``
    is the only option that writes).  Relative input paths are read from the folder the command ran
    in (:func:`run_folder`); the rerun records the command as it was typed, so its outputs are
    byte-identical to the verified ones when nothing changed.
    """
    base = run_folder(folder, args.out)
    args.argv, args.out, args.quiet = list(rec["argv"]), str(redo), True
    try:
        with contextlib.chdir(base), contextlib.redirect_stdout(io.StringIO()):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                args.func(args)
    except (EngineError, OSError) as exc:
        return f"{explain(exc)} (inputs read relative to {base})"
    return None


def verify_folder(folder_arg: str, make_parser, *, say, explain) -> int:
    """Rerun every run of ``folder_arg``'s manifest into a scratch folder and compare the files;
    0 when all match, 1 otherwise (``say`` prints a line per run and file, ``explain`` turns an
    error of a rerun into one line).  OutputError for a folder or manifest it cannot trust."""
    folder = Path(folder_arg).absolute()
    if not folder.is_dir():
        raise OutputError(
            "the folder to verify does not exist" if not folder.exists() else "not a folder",
            source=folder_arg,
            fix="give the folder a command's --out wrote",
        )
    manifest, source = read_manifest(folder), str(Path(folder_arg) / MANIFEST)
    if not manifest.get("runs"):
        raise OutputError(
            "no manifest: not an hsidi output folder",
            source=source,
            fix="give the folder a command's --out wrote",
        )
    parsed = {
        run: recorded_args(rec, run, source, make_parser()) for run, rec in manifest["runs"].items()
    }
    bad = 0
    for run, rec in manifest["runs"].items():
        files, command = rec["files"], "hsidi " + shlex.join(rec["argv"])
        changed = [
            f
            for f, h in files.items()
            if not (folder / f).is_file() or sha256_file(folder / f) != h
        ]
        with tempfile.TemporaryDirectory(prefix="hsidi-verify.") as tmp:
            redo = Path(tmp) / "out"
            failed = rerun(parsed[run], rec, folder, redo, explain)
            if failed:
                say(f"{run}: could not rerun `{command}`: {failed}")
                bad += 1
                continue
            again = read_manifest(redo)["runs"][run]
            if again["data_fingerprint"] != rec.get("data_fingerprint"):
                say(
                    f"{run}: the data changed (fingerprint {str(rec.get('data_fingerprint'))[:32]} "
                    f"recorded, {again['data_fingerprint']} now)"
                )
            differ = [
                f
                for f in files
                if f not in again["files"] or sha256_file(redo / f) != sha256_file(folder / f)
                if (folder / f).is_file()
            ]
        if changed or differ:
            bad += 1
            say(f"{run}: MISMATCH: `{command}`")
            for f in changed:
                say(f"  {f}: differs from the hash in the manifest (edited or replaced)")
            for f in sorted(set(differ) - set(changed)):
                say(f"  {f}: differs from a fresh recomputation")
        else:
            say(f"{run}: {len(files)} files match a fresh recomputation of `{command}`")
    return 1 if bad else 0


class WritesPath(argparse.Action):
    """An option naming a path the command writes (``--out``): given at most once (a second one
    would silently win over the first), and recorded in ``namespace._writes`` so that ``hsidi
    verify`` knows every path a recorded command would write (it replaces ``--out`` and refuses any
    other)."""

    def __call__(self, parser, namespace, values, option_string=None):
        seen = namespace.__dict__.setdefault("_writes", set())
        if self.dest in seen:
            raise argparse.ArgumentError(self, "given twice; give it once")
        seen.add(self.dest)
        setattr(namespace, self.dest, values)
