"""Atomic file output: a result file is either complete or absent, never half-written; a run's
outputs are written as a set (:class:`OutputSet`) that replaces the previous set in one step."""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import json
import os
import re
import shutil
import tempfile
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from engine.errors import DataError, EngineError, OutputError, describe

MANIFEST = "manifest.json"
MANIFEST_FORMAT = "hsidi-outputs/1"
PARQUET_KEY = b"hsidi"
"""Key of the provenance record in the key-value metadata of every Parquet output."""


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one step.

    On any exception the temporary file is removed and ``path`` keeps its previous content (or stays
    absent).  ``os.replace`` is atomic on the same file system, which is why the temporary file lives
    in the target's folder.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600; results are ordinary user files
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_table(
    frame: pd.DataFrame,
    path: str | os.PathLike,
    *,
    index: bool | None = None,
    metadata: Mapping | None = None,
) -> Path:
    """Write ``frame`` atomically as CSV or Parquet, chosen by the suffix of ``path``.

    ``index=None`` writes the index only when it carries information (it has a name, or is not the
    default ``0..n-1`` range), so a CSV never starts with an unnamed column.  ``metadata`` (a JSON-able
    mapping) is stored in a Parquet file's key-value metadata under :data:`PARQUET_KEY`.
    """
    target = Path(path)
    if index is None:
        default = isinstance(frame.index, pd.RangeIndex) and frame.index.equals(
            pd.RangeIndex(len(frame))
        )
        index = not (default and frame.index.name is None)
    if index and any(n is None for n in frame.index.names):
        frame = frame.rename_axis([n or "index" for n in frame.index.names])
    with atomic_path(target) as tmp:
        if target.suffix == ".parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(frame, preserve_index=index)
            if metadata:
                record = json.dumps(dict(metadata), sort_keys=True, default=str).encode()
                table = table.replace_schema_metadata(
                    {**(table.schema.metadata or {}), PARQUET_KEY: record}
                )
            pq.write_table(table, tmp)
        elif target.suffix == ".csv":
            frame.to_csv(tmp, index=index)
        else:
            raise ValueError(
                f"unsupported table format {target.suffix!r} for {target}; use .csv or .parquet"
            )
    return target


def parquet_provenance(path: str | os.PathLike) -> dict:
    """The provenance record stored by :func:`write_table` in a Parquet file (``{}`` if none)."""
    import pyarrow.parquet as pq

    raw = (pq.read_schema(path).metadata or {}).get(PARQUET_KEY)
    return json.loads(raw) if raw else {}


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` atomically, flushed to disk (``fsync``) before it replaces ``path``."""
    target = Path(path)
    with atomic_path(target) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    return target


def write_text(text: str, path: str | os.PathLike) -> Path:
    """Write ``text`` (UTF-8) atomically."""
    return write_bytes(path, text.encode("utf-8"))


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def json_bytes(obj) -> bytes:
    """Stable JSON (sorted keys, two-space indent, trailing newline): equal objects, equal bytes."""
    return (json.dumps(obj, sort_keys=True, indent=2, default=str) + "\n").encode("utf-8")


_TMP_FILE = re.compile(r"^\..+\.[A-Za-z0-9_]+\.tmp$")
"""Temporary names: ``.NAME.XXXX.tmp`` (a file from :func:`atomic_path` or a staged set)."""
_OUTPUT_NAME = re.compile(
    r"^(index_levels.*|constituents_.*|fund_.*|tracking_report.*|compare.*|index_summary\.txt|"
    + re.escape(MANIFEST)
    + r")$"
)


def clean_stale(folder: Path, name: str | None = None) -> list[Path]:
    """Remove ``.NAME.XXXX.tmp`` debris (files and staged folders) left in ``folder`` by killed runs
    (only those of ``NAME`` when ``name`` is given)."""
    removed = []
    if not folder.is_dir():
        return removed
    for entry in folder.iterdir():
        if _TMP_FILE.match(entry.name) and (name is None or entry.name.startswith(f".{name}.")):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            removed.append(entry)
    return removed


# ---------------------------------------------------------------------- settings and records
MAX_DEPTH = 32
"""Deepest nesting of lists and tables accepted in a JSON or TOML input (a settings file, a methodology,
``meta.json``, ``manifest.json`` nest 3 or 4 levels)."""
MAX_INPUT_BYTES = 16 * 2**20
"""Largest JSON or TOML input read (16 MiB); the engine's own files are a few kilobytes."""
_TOML_AT = re.compile(r"\(at line (\d+), column (\d+)\)")
_KINDS = ("JSON", "TOML")
_TOO_DEEP = object()


def parse_text(
    raw: bytes,
    kind: str,
    *,
    source: str,
    error: type[EngineError] = DataError,
    fix: str | None = None,
    max_depth: int = MAX_DEPTH,
    what: str = "file",
) -> object:
    """Parse ``raw`` as ``kind`` (``"JSON"`` or ``"TOML"``); every failure is one ``error`` line.

    The one parser of each input kind: the bytes must be UTF-8, not empty, valid ``kind`` and nested
    at most ``max_depth`` levels; otherwise ``error`` is raised ("unreadable ``what``: ..."), naming
    ``source``, the line (and column) where the parser stopped and ``fix``.  A deeply nested
    document is refused by the depth check or by the parser's own recursion limit, never as a
    ``RecursionError``.
    """
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {_KINDS}, not {kind!r}")

    def bad(problem: str, line: int | None = None, fix: str | None = fix) -> EngineError:
        return error(describe(f"unreadable {what}: {problem}", source=source, line=line, fix=fix))

    if not raw.strip():
        raise bad(f"empty {kind} file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        byte = raw[exc.start : exc.start + 1]
        line = raw[: exc.start].count(b"\n") + 1
        raise bad(
            f"not valid UTF-8: byte {exc.start} is {byte!r}", line, "save the file as UTF-8"
        ) from None
    try:
        data = json.loads(text) if kind == "JSON" else tomllib.loads(text)
    except json.JSONDecodeError as exc:
        raise bad(f"not valid JSON: {exc.msg} (column {exc.colno})", exc.lineno) from None
    except tomllib.TOMLDecodeError as exc:
        at = _TOML_AT.search(str(exc))
        line = int(at.group(1)) if at else max(len(text.splitlines()), 1)  # "at end of document"
        column = f" (column {at.group(2)})" if at else ""
        raise bad(f"not valid TOML: {_TOML_AT.sub('', str(exc)).strip()}{column}", line) from None
    except RecursionError:
        data = _TOO_DEEP
    if data is _TOO_DEEP or nesting(data, max_depth) > max_depth:
        fix = "write a flat file (the engine's own files nest 3 or 4 levels)"
        raise bad(f"{kind} nested more than {max_depth} levels deep", fix=fix)
    return data


def nesting(obj, limit: int = MAX_DEPTH) -> int:
    """Depth of nested lists/tables in ``obj`` (a scalar is 0), counted up to ``limit + 1``."""
    deepest, stack = 0, [(obj, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if not isinstance(item, list | tuple):
            continue
        depth += 1
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend((v, depth) for v in item)
    return deepest


def read_text_file(
    path: str | os.PathLike,
    kind: str,
    *,
    error: type[EngineError] = DataError,
    what: str = "file",
    fix: str | None = None,
    max_bytes: int = MAX_INPUT_BYTES,
) -> object:
    """Read and parse the JSON or TOML file ``path`` (see :func:`parse_text`).

    A missing file, a folder or a file over ``max_bytes`` is ``error`` too, naming ``what`` (the
    argument or role of the file, e.g. ``"--config"``).
    """
    file = Path(path)
    if not file.is_file():
        raise error(
            describe(
                f"{what} does not exist" if not file.exists() else f"{what} is not a file",
                source=str(file),
                fix=fix or "check the path",
            )
        )
    size = file.stat().st_size
    if size > max_bytes:
        raise error(
            describe(
                f"{what} is too large for a {kind} file hsidi reads ({size:,} bytes; "
                f"limit {max_bytes:,})",
                source=str(file),
            )
        )
    return parse_text(file.read_bytes(), kind, source=str(file), error=error, fix=fix, what=what)


MANIFEST_MAX_BYTES = 2**20
"""Largest ``manifest.json`` read (1 MiB; one run's manifest is about 2 KB)."""
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def read_manifest(folder: str | os.PathLike) -> dict:
    """The manifest of an output folder (``{}`` when it has none), checked for shape.

    Raises
    ------
    OutputError
        The manifest is not readable JSON, too large or deep, or not ``{"format": ..., "runs":
        {RUN: {"files": {NAME: SHA-256}, "argv": [str, ...], ...}}}`` with plain file names; the
        message names the file and the field.
    """
    path = Path(folder) / MANIFEST
    if not path.is_file() and not path.is_symlink():
        return {}
    fix = "move the folder aside and write a new one (or delete manifest.json to keep the files)"
    data = read_text_file(
        path, "JSON", error=OutputError, what="manifest", fix=fix, max_bytes=MANIFEST_MAX_BYTES
    )
    check_manifest(data, str(path))
    return data


def check_manifest(data, source: str) -> None:
    """OutputError naming ``source`` and the field unless ``data`` has the shape of a manifest."""

    def bad(what: str, field: str, value=None) -> OutputError:
        shown = value if value is None or len(repr(value)) <= 60 else repr(value)[:57] + "..."
        return OutputError(f"garbled manifest: {what}", source=source, field=field, value=shown)

    if not isinstance(data, dict):
        raise bad("not a JSON object", "(top level)", type(data).__name__)
    if data.get("format") != MANIFEST_FORMAT:
        raise bad(f"format is not {MANIFEST_FORMAT!r}", "format", data.get("format"))
    runs = data.get("runs")
    if not isinstance(runs, dict):
        raise bad("runs is not an object", "runs", type(runs).__name__)
    for run, rec in runs.items():
        if not isinstance(rec, dict):
            raise bad("a run is not an object", f"runs.{run}", type(rec).__name__)
        files = rec.get("files")
        if not isinstance(files, dict):
            raise bad("files is not an object", f"runs.{run}.files", type(files).__name__)
        for name, digest in files.items():
            if not _OUTPUT_NAME.match(name) or name == MANIFEST or "/" in name or "\x00" in name:
                raise bad("not the name of an hsidi output file", f"runs.{run}.files", name)
            if not isinstance(digest, str) or not _HEX64.match(digest):
                raise bad("not a SHA-256 digest", f"runs.{run}.files.{name}", digest)
        argv = rec.get("argv")
        if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
            raise bad("argv is not a list of strings", f"runs.{run}.argv", argv)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``); False if unsupported."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return rc == 0


class OutputSet:
    """Write one run's outputs as a set that replaces the previous set of ``target`` in one step.

    Files are written into a staging folder ``.TARGET.XXXX.tmp`` beside ``target``; on success the
    manifest (``manifest.json``: provenance and the SHA-256 of every file of each run) is added and the
    staging folder is swapped with ``target`` (an atomic exchange where the OS offers one, otherwise
    two renames, the previous set being restored by the next run if a kill falls between them).  An
    error or a kill before the swap leaves the previous set untouched; the debris is removed by the
    next run.  Outputs of other commands already in ``target`` (listed in its manifest) are carried
    into the new set, except files this run writes again.

    Use::

        with OutputSet(out, "build", provenance) as outs:
            write_table(frame, outs / "index_levels_hsidi.csv")
    """

    def __init__(self, target: str | os.PathLike, run: str, provenance: Mapping):
        self.target = Path(target).absolute()
        self.run = run
        self.provenance = dict(provenance)
        self.stage: Path | None = None

    def __truediv__(self, name: str) -> Path:
        return self.stage / name

    def __enter__(self) -> OutputSet:
        self.target = target = check_out(self.target)
        target.parent.mkdir(parents=True, exist_ok=True)
        _recover(target)
        clean_stale(target.parent, target.name)
        clean_stale(target)
        check_out(target)
        self.stage = Path(
            tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        )
        os.chmod(self.stage, 0o777 & ~_umask())
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        stage = self.stage
        if exc_type is not None:
            shutil.rmtree(stage, ignore_errors=True)
            return
        try:
            self._commit(stage)
        except BaseException:
            shutil.rmtree(stage, ignore_errors=True)
            raise

    def _commit(self, stage: Path) -> None:
        target = self.target
        written = sorted(p.name for p in stage.iterdir())
        old = read_manifest(target) if target.is_dir() else {}
        runs = {}
        for name, run in (old.get("runs") or {}).items():
            if name == self.run:
                continue
            files = {f: h for f, h in run.get("files", {}).items() if f not in written}
            if files:
                runs[name] = {**run, "files": files}
        listed_old = {f for run in (old.get("runs") or {}).values() for f in run.get("files", {})}
        keep = {f for run in runs.values() for f in run["files"]}
        if target.is_dir() and old:
            for entry in target.iterdir():
                name = entry.name
                if name == MANIFEST or name in written:
                    continue
                if name in keep or name not in listed_old:  # other runs' outputs; the user's files
                    _carry(entry, stage / name)
        runs[self.run] = {
            **self.provenance,
            "files": {name: sha256_file(stage / name) for name in written},
        }
        manifest = {"format": MANIFEST_FORMAT, "runs": runs}
        (stage / MANIFEST).write_bytes(json_bytes(manifest))
        os.chmod(stage / MANIFEST, 0o666 & ~_umask())
        _swap(stage, target)


def check_out(path: str | os.PathLike) -> Path:
    """The folder an output set for ``--out path`` is swapped into; errors before any work is done.

    A symlink to a folder is written through: the set replaces the folder it points to and the link
    stays.  A dangling symlink, a file, a folder holding files hsidi did not write (without a
    manifest) and a folder whose ``manifest.json`` is garbled are refused (:class:`OutputError`,
    or the operating system's error for a path it cannot reach).
    """
    target = Path(path).absolute()
    if target.is_symlink():
        if not target.exists():
            raise OutputError(
                "--out is a symlink to nothing (dangling)",
                source=str(path),
                value=os.readlink(target),
                fix="point the link at a folder, or remove it",
            )
        target = Path(os.path.realpath(target))
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(f"--out {target} is a file, not a folder")
    if target.is_dir():
        if not read_manifest(target):
            foreign = [p.name for p in target.iterdir() if not _OUTPUT_NAME.match(p.name)]
            foreign = [n for n in foreign if not _TMP_FILE.match(n)]
            if foreign:
                raise FileExistsError(
                    f"output folder {target} holds files hsidi did not write ({', '.join(sorted(foreign)[:3])}"
                    f"{', ...' if len(foreign) > 3 else ''}); choose a new or empty folder"
                )
    return target


def _carry(src: Path, dst: Path) -> None:
    if src.is_dir() and not src.is_symlink():
        shutil.copytree(src, dst, symlinks=True)
        return
    try:
        os.link(src, dst, follow_symlinks=False)
    except OSError:
        shutil.copy2(src, dst, follow_symlinks=False)


def _swap(stage: Path, target: Path) -> None:
    if not target.exists():
        os.rename(stage, target)
        return
    if _exchange(stage, target):
        shutil.rmtree(stage, ignore_errors=True)  # the stage now holds the previous set
        return
    old = stage.with_name(stage.name[: -len(".tmp")] + "_previous.tmp")
    os.rename(target, old)
    os.rename(stage, target)
    shutil.rmtree(old, ignore_errors=True)


def _recover(target: Path) -> None:
    """Restore the previous set if a run was killed between the two renames of :func:`_swap`."""
    if target.exists():
        return
    previous = sorted(target.parent.glob(f".{glob_escape(target.name)}.*_previous.tmp"))
    if previous:
        os.rename(previous[-1], target)


def glob_escape(name: str) -> str:
    return re.sub(r"([*?[])", r"[\1]", name)
