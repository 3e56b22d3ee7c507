"""Read and write a :class:`~engine.data.market.MarketData` as a canonical folder (Parquet or CSV).

A market folder holds one file per table plus ``meta.json`` (the layout is documented in
``docs/data-format.md``)::

    prices.<ext>      date, code, close_hkd, shares, free_float, traded_value_hkd, suspended
    securities.<ext>  code, name, industry, sub_industry, is_cxo, is_18a, listing_date,
                      delisting_date, board_lot, wht_class
    actions.<ext>     ex_date, code, kind, amount_hkd, ratio, price_hkd, pay_date
    intervals.<ext>   code, kind, start, end
    relevance.<ext>   as_of, code, score
    fx.<ext>          date, hkd_cny
    meta.json         format_version, format, synthetic, source, fx_placeholder, fingerprint,
                      closures (optional), ...

``<ext>`` is ``parquet`` or ``csv``; one folder uses one format.  ``prices`` and ``securities`` are
required; ``actions``, ``intervals`` and ``relevance`` are empty when their file is absent; without
``fx`` the fixing is a constant placeholder 1.0 (with a warning, and
:attr:`MarketData.fx_is_placeholder` True; a placeholder fixing written out reads back as one, and
``meta.json`` records ``fx_placeholder``); without ``meta.json`` the market is taken as
non-synthetic and nothing is verified.

Writes are atomic per file and, for a new folder, as a whole: every file is first written into a
temporary folder beside the target and then moved into place with :func:`os.replace`, ``meta.json``
last.  An interrupted write therefore never leaves a half-written file, and because ``meta.json``
records the fingerprint of the market written, :func:`read_folder` detects a folder whose files come
from two different writes.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from engine._files import _umask, read_text_file
from engine.data.calendar import closure_dates
from engine.data.market import MarketData
from engine.data.plausibility import Plausibility
from engine.data.schema import OPTIONAL_COLUMNS, TABLE_COLUMNS
from engine.data.text import utf8_text
from engine.data.validate import Report, _describe
from engine.data.validate._common import _isnan
from engine.errors import DataError

FORMAT_VERSION = 1
"""Version of the folder layout written by :func:`write_folder` (``meta.json: format_version``)."""

FORMATS = ("parquet", "csv")
TABLES = ("prices", "securities", "actions", "intervals", "relevance", "fx")
REQUIRED_TABLES = ("prices", "securities")
META_FILE = "meta.json"

COLUMNS = TABLE_COLUMNS
"""Columns of each table, in file order (:data:`engine.data.schema.TABLE_COLUMNS`)."""


_KIND: dict[str, dict[str, str]] = {
    "prices": {
        "date": "date",
        "close_hkd": "float",
        "shares": "float",
        "free_float": "float",
        "traded_value_hkd": "float",
        "suspended": "bool",
    },
    "securities": {
        "is_cxo": "bool",
        "is_18a": "bool",
        "listing_date": "date",
        "delisting_date": "date",
        "board_lot": "int",
    },
    "actions": {
        "ex_date": "date",
        "amount_hkd": "float",
        "ratio": "float",
        "price_hkd": "float",
        "pay_date": "date",
    },
    "intervals": {"start": "date", "end": "date"},
    "relevance": {"as_of": "date", "score": "float"},
    "fx": {"date": "date", "hkd_cny": "float"},
}
# every column not listed is a string column


# =========================================================================== write
def write_folder(market: MarketData, path: str | os.PathLike, fmt: str = "parquet") -> Path:
    """Write ``market`` to the folder ``path`` in the canonical layout.

    Parameters
    ----------
    market
        The market to write.
    path
        Target folder.  Created if absent (as one atomic rename).  If it exists it must be empty or a
        market folder (holding ``meta.json`` or a ``prices`` file); its table files and ``meta.json``
        are replaced one by one with :func:`os.replace`, and table files of the other format are
        removed so the folder holds a single format.
    fmt
        ``"parquet"`` (default) or ``"csv"``.  CSV writes dates as ``YYYY-MM-DD``, floats with the
        shortest text that reads back to the same float64 (so :meth:`MarketData.fingerprint` survives
        the round trip), booleans as ``true``/``false`` and missing values as empty fields; codes are
        text (``0013`` keeps its leading zero).

    Returns
    -------
    pathlib.Path
        The folder written.
    """
    if fmt not in FORMATS:
        raise DataError(_describe("unknown folder format", value=fmt, fix=f"use one of {FORMATS}"))
    path = Path(path).absolute()
    if path.exists() and not path.is_dir():
        raise DataError(
            _describe(
                "target exists and is not a folder", source=str(path), fix="choose another path"
            )
        )
    if path.exists() and any(path.iterdir()) and not _is_market_folder(path):
        raise DataError(
            _describe(
                "refusing to write into a non-empty folder that is not a market folder",
                source=str(path),
                fix="write to a new or empty folder",
            )
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = market.to_frames()
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
    os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes 0700: a data folder is an ordinary folder
    try:
        for name in TABLES:
            _write_table(frames[name], tmp / f"{name}.{fmt}", fmt)
        _write_text(
            tmp / META_FILE, json.dumps(_meta(market, fmt, frames), indent=2, sort_keys=True) + "\n"
        )
        _move_into(tmp, path, fmt)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return path


def _meta(market: MarketData, fmt: str, frames: dict) -> dict:
    """The ``meta.json`` record of a folder written from ``market``."""
    meta = {
        "format_version": FORMAT_VERSION,
        "format": fmt,
        "synthetic": bool(market.synthetic),
        "adjusted": bool(market.is_adjusted),
        "source": market.source,
        "fx_placeholder": bool(market.fx_is_placeholder),
        "fingerprint": market.fingerprint(),
        "engine_version": _engine_version(),
        "written_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sessions": [str(market.dates[0].date()), str(market.dates[-1].date())],
        "rows": {name: len(frames[name]) for name in TABLES},
        "warnings": list(market.warnings),
    }
    if market.closures:
        meta["closures"] = [str(d.date()) for d in market.closures]
    return meta


def _move_into(tmp: Path, path: Path, fmt: str) -> None:
    """Move the files written in ``tmp`` into ``path``: a new folder in one rename, else file by
    file with ``meta.json`` last, and the other format's table files removed."""
    if not path.exists():
        os.replace(tmp, path)  # a new folder appears complete or not at all
        return
    for name in TABLES:
        os.replace(tmp / f"{name}.{fmt}", path / f"{name}.{fmt}")
    os.replace(tmp / META_FILE, path / META_FILE)
    other = "csv" if fmt == "parquet" else "parquet"
    for name in TABLES:
        (path / f"{name}.{other}").unlink(missing_ok=True)


def _is_market_folder(path: Path) -> bool:
    return (path / META_FILE).exists() or any((path / f"prices.{e}").exists() for e in FORMATS)


def _engine_version() -> str:
    try:
        from engine import __version__

        return str(__version__)
    except ImportError:  # pragma: no cover - partial installs
        return "unknown"


def _write_text(target: Path, text: str) -> None:
    with open(target, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def _write_table(frame: pd.DataFrame, target: Path, fmt: str) -> None:
    """Write one table file (inside the temporary folder)."""
    if fmt == "parquet":
        frame.reset_index(drop=True).to_parquet(target, index=False, engine="pyarrow")
    else:
        _write_text(target, _to_csv_text(frame, target.stem))


def _to_csv_text(frame: pd.DataFrame, table: str) -> str:
    kinds = _KIND.get(table, {})
    out = {}
    for col in frame.columns:
        kind = kinds.get(col, "str")
        values = frame[col]
        if kind == "date":
            ts = pd.to_datetime(values)
            out[col] = np.where(
                ts.isna(), "", ts.dt.strftime("%Y-%m-%d").fillna("").to_numpy(object)
            )
        elif kind == "float":
            out[col] = [
                "" if not np.isfinite(v) else repr(v)
                for v in pd.to_numeric(values).to_numpy(float).tolist()
            ]
        elif kind == "int":
            out[col] = [str(int(v)) for v in values.tolist()]
        elif kind == "bool":
            out[col] = ["true" if bool(v) else "false" for v in values.tolist()]
        else:
            out[col] = ["" if (v is None or _isnan(v)) else str(v) for v in values.tolist()]
    text_frame = pd.DataFrame(out, columns=list(frame.columns), dtype=object)
    return text_frame.to_csv(index=False, lineterminator="\n")


# =========================================================================== read
META_FLAGS = ("synthetic", "adjusted", "fx_placeholder")
"""``meta.json`` fields that are JSON booleans (``"false"``, a string, would read as true)."""


def read_meta(path: str | os.PathLike) -> dict | None:
    """The parsed ``meta.json`` of a market folder, or None when the folder has none."""
    target = Path(path) / META_FILE
    if not target.exists():
        return None
    meta = read_text_file(
        target, "JSON", error=DataError, what="meta.json", fix="rewrite the folder"
    )

    def bad(what: str, field: str | None = None, value=None, fix=None) -> DataError:
        return DataError(_describe(what, source=str(target), field=field, value=value, fix=fix))

    if not isinstance(meta, dict):
        raise bad("meta.json is not a JSON object")
    for flag in META_FLAGS:
        if flag in meta and not isinstance(meta[flag], bool):
            fix = f'write "{flag}": false (a JSON boolean, not a string)'
            raise bad(f"{flag} in meta.json must be true or false", flag, meta[flag], fix)
    version = meta.get("format_version", FORMAT_VERSION)
    if not isinstance(version, int) or version > FORMAT_VERSION or version < 1:
        fix = f"this engine reads format_version 1..{FORMAT_VERSION}; upgrade the engine"
        raise bad("unsupported folder format version", "format_version", version, fix)
    fmt = meta.get("format")
    if fmt is not None and fmt not in FORMATS:
        raise bad("unknown folder format in meta.json", "format", fmt, f"use one of {FORMATS}")
    return meta


def read_folder(
    path: str | os.PathLike,
    *,
    verify: bool = True,
    plausibility: Plausibility | None = None,
    closures=(),
) -> MarketData:
    """Read a market folder written by :func:`write_folder` (or made by hand in the same layout).

    Parameters
    ----------
    path
        The folder.  Its format (Parquet or CSV) is taken from ``meta.json`` or, without one, from
        the extension of the ``prices`` file.
    verify
        When ``meta.json`` records a fingerprint, check that the market read has the same
        :meth:`~MarketData.fingerprint` (it does after a complete :func:`write_folder`).  A mismatch
        means the files were edited by hand or come from two different writes; pass
        ``verify=False`` to accept edited files.
    plausibility
        Thresholds of the plausibility checks (:class:`~engine.data.plausibility.Plausibility`;
        default: its defaults, findings become :attr:`MarketData.warnings`).
    closures
        Whole-day HKEX closures the calendar does not know, declared for this market (see
        :meth:`MarketData.from_frames`), added to the ``closures`` list of ``meta.json``
        (``"closures": ["2023-09-08"]``, which :func:`write_folder` writes for a market that has
        them).

    Returns
    -------
    MarketData
        Validated through :meth:`MarketData.from_frames`, with every table labelled by its file path,
        so any :class:`~engine.errors.DataError` names the file (and for CSV the row and line) and
        the field.  ``source`` is the folder path (prefixed ``adjusted:`` when the market written was
        vendor-adjusted); ``synthetic`` comes from ``meta.json``.
    """
    path = Path(path)
    meta, files, tables, warned = _load(path, Report())
    declared = [*meta_closures(meta, path), *closure_dates(closures)]
    adjusted = bool(meta.get("adjusted")) or str(meta.get("source", "")).startswith("adjusted:")
    market = MarketData.from_frames(
        **{name: tables.get(name) for name in TABLES},
        synthetic=bool(meta.get("synthetic", False)),
        source=f"adjusted:{path}" if adjusted else str(path),
        sources={name: str(file) for name, file in files.items()},
        plausibility=plausibility,
        warnings=[*map(str, meta.get("warnings") or []), *warned],
        closures=declared,
    )
    expected = meta.get("fingerprint")
    if verify and expected and market.fingerprint() != expected:
        raise DataError(
            _describe(
                "the data read does not match the fingerprint in meta.json (files edited by hand, "
                "or left over from an interrupted write)",
                source=str(path / META_FILE),
                field="fingerprint",
                value=expected,
                fix=f"rewrite the folder with write_folder, or read it with verify=False "
                f"(the data read has fingerprint {market.fingerprint()})",
            )
        )
    return market


def meta_closures(meta: dict, path: Path) -> tuple[pd.Timestamp, ...]:
    """The ``closures`` list of a folder's ``meta.json`` (``YYYY-MM-DD`` strings) as dates."""
    raw = meta.get("closures")
    if raw is None:
        return ()
    target = str(Path(path) / META_FILE)
    if not isinstance(raw, list) or not all(isinstance(d, str) for d in raw):
        raise DataError(
            _describe(
                "closures in meta.json must be a list of dates",
                source=target,
                field="closures",
                value=raw,
                fix='write e.g. "closures": ["2023-09-08"]',
            )
        )
    try:
        return closure_dates(raw)
    except DataError as exc:
        raise type(exc)(f"{exc} (in {target})") from None


def _load(path: Path, rep: Report):
    """``(meta, files, tables, warnings)`` of a market folder.  A folder that is missing, has no
    ``prices``/``securities`` file or an unreadable ``meta.json`` raises :class:`DataError`; in
    collect mode (``rep.collect``) a table that cannot be read is recorded and left out."""
    if not path.is_dir():
        raise DataError(
            _describe(
                "market folder not found",
                source=str(path),
                fix="pass a folder written by engine.data.write_folder",
            )
        )
    meta = read_meta(path) or {}
    fmt = meta.get("format") or _detect_format(path)
    files = {name: path / f"{name}.{fmt}" for name in TABLES}
    other = "csv" if fmt == "parquet" else "parquet"
    for name, file in files.items():
        if file.exists():
            continue
        alt = path / f"{name}.{other}"
        if alt.exists():
            rep.fail(
                f"found {alt.name} but this folder's format is {fmt}",
                source=str(alt),
                fix=f"one folder holds one format: convert it to {file.name}",
            )
        elif name in REQUIRED_TABLES:
            raise DataError(
                _describe(
                    "missing required file",
                    source=str(file),
                    fix=f"a market folder needs {', '.join(f'{t}.{fmt}' for t in REQUIRED_TABLES)}",
                )
            )
    tables, warned = {}, []
    for name, file in files.items():
        if not file.exists():
            continue
        try:
            tables[name] = _read_table(file, name, fmt, warned)
        except DataError as exc:
            if not rep.collect:
                raise
            rep.record(str(exc), source=str(file))
    return meta, files, tables, warned


def _detect_format(path: Path) -> str:
    found = [fmt for fmt in FORMATS if (path / f"prices.{fmt}").exists()]
    if not found:
        raise DataError(
            _describe(
                "missing required file",
                source=str(path / "prices.parquet"),
                fix="a market folder needs prices.parquet or prices.csv (and securities)",
            )
        )
    if len(found) > 1:
        raise DataError(
            _describe(
                "both prices.parquet and prices.csv found and no meta.json says which to read",
                source=str(path),
                fix="remove one of them or add meta.json with a 'format' field",
            )
        )
    return found[0]


def _check_columns(columns, name: str, file: Path) -> None:
    expected = COLUMNS[name]
    missing = [c for c in expected if c not in columns and c not in OPTIONAL_COLUMNS[name]]
    unexpected = [c for c in columns if c not in expected]
    dups = sorted({c for c in columns if list(columns).count(c) > 1})
    found = {"missing": missing, "unexpected": unexpected, "duplicated": dups}
    parts = [f"{what} {names}" for what, names in found.items() if names]
    if parts:
        raise DataError(
            _describe(
                f"wrong columns: {'; '.join(parts)}",
                source=str(file),
                field=", ".join(map(str, missing + unexpected + dups)),
                fix=f"the {name} table has columns {expected}",
            )
        )


def _read_table(file: Path, name: str, fmt: str, warned: list | None = None) -> pd.DataFrame:
    if fmt == "parquet":
        try:
            frame = pd.read_parquet(file, engine="pyarrow")
        except Exception as exc:  # pyarrow raises several unrelated types for a damaged file
            raise DataError(
                _describe(
                    f"unreadable Parquet file ({type(exc).__name__}: {exc})", source=str(file)
                )
            ) from None
        _check_columns(list(frame.columns), name, file)
        return frame.reset_index(drop=True)
    return _read_csv(file, name, warned)


def _check_last_line(file: Path, width: int, rows: int, warned: list | None) -> None:
    """A CSV cut mid-line: the last line has no line end.  With fewer fields than the header it is
    an error (the file is truncated); with all its fields it is a warning (its last field may be
    cut short)."""
    with open(file, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        if size == 0:
            return
        fh.seek(max(0, size - 65536))
        tail = fh.read()
    if tail.endswith((b"\n", b"\r")) or rows == 0:
        return
    last = tail.rsplit(b"\n", 1)[-1].decode("utf-8", errors="replace")
    fields = next(csv.reader([last]), [])
    line = rows + 1
    if len(fields) < width:
        raise DataError(
            _describe(
                f"file is truncated: line {line} (the last) ends without a line end and has "
                f"{len(fields)} of {width} fields",
                source=str(file),
                row=rows - 1,
                line=line,
                value=last[:80],
                fix="the file was cut short (an interrupted copy or download): write it again",
            )
        )
    if warned is not None:
        warned.append(
            _describe(
                "the last line has no line end: its last field may have been cut short",
                source=str(file),
                row=rows - 1,
                line=line,
                value=last[:80],
                fix="check the file is complete (write_folder always ends a file with a line end)",
            )
        )


def check_field_counts(file: str | os.PathLike, *, source: str | None = None) -> int:
    """Raise :class:`DataError` at the first line of a CSV file whose number of fields differs from
    the header's, naming the file, the line and both counts (``line 7 has 5 fields, the header has
    9``); return the number of data records.

    A short line in the middle of a file (a field and its comma lost in an edit or a bad export)
    would otherwise be read with its last fields empty and reported, if at all, as a problem of
    whichever field ended up blank.  A blank line counts as 0 fields.  The last line is left to the
    truncation check when the file does not end with a line end (a file cut mid-line), so that case
    keeps its own message.  Lines are counted as the ``csv`` module reads them (a quoted field may
    span lines; the line named is the one the record ends on); the header is line 1, so a record
    without embedded line ends at ``row`` (0-based) is on line ``row + 2``.
    """
    file = Path(file)
    label = source or str(file)
    utf8_text(file.read_bytes(), label)
    counts = _field_counts_unquoted(file)
    if counts is None:  # quotes or lone carriage returns: let the csv module read the records
        try:
            with open(file, encoding="utf-8-sig", newline="") as fh:
                counts = np.fromiter(map(len, csv.reader(fh)), dtype=np.int64)
        except (UnicodeDecodeError, csv.Error) as exc:
            raise DataError(_describe(f"malformed CSV ({exc})", source=label)) from None
    if len(counts) == 0:
        return 0
    width, counts = int(counts[0]), counts[1:]
    bad = np.flatnonzero(counts != width)
    if not len(bad):
        return len(counts)
    row = int(bad[0])
    if row == len(counts) - 1 and not _ends_with_line_end(file):
        return len(counts)  # cut mid-line: _check_last_line reports it as a truncated file
    with open(file, encoding="utf-8-sig", newline="") as fh:
        taken: list[str] = []  # the physical lines of the record being read

        def feed():
            for text in fh:
                taken.append(text)
                yield text

        reader = csv.reader(feed())
        next(reader)
        for _ in range(row + 1):
            taken.clear()
            record = next(reader)
        line = reader.line_num
    k = len(record)
    raise DataError(
        _describe(
            f"line {line} has {k} field{'' if k == 1 else 's'}, the header has {width}"
            + (" (a blank line)" if k == 0 else ""),
            source=label,
            row=row,
            line=line,
            value="".join(taken).rstrip("\r\n")[:80],
            fix="every line needs one field per header column (empty fields stay as commas)",
        )
    )


def _field_counts_unquoted(file: Path) -> np.ndarray | None:
    """Fields per line of a CSV file without quotes, header first, counted on the bytes (commas
    between line ends; an empty line has 0 fields, as the ``csv`` module reads it); None when the
    file has a quote or a carriage return outside ``\\r\\n``, which only the ``csv`` module reads
    right."""
    data = file.read_bytes().removeprefix(b"\xef\xbb\xbf")
    if b'"' in data or data.count(b"\r") != data.count(b"\r\n"):
        return None
    if not data:
        return np.zeros(0, dtype=np.int64)
    raw = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(raw == 10)
    if not len(ends) or ends[-1] != len(raw) - 1:
        ends = np.append(ends, len(raw))  # a last line without a line end
    starts = np.concatenate([[0], ends[:-1] + 1])
    commas = np.flatnonzero(raw == 44)
    fields = np.diff(np.searchsorted(commas, np.concatenate([[0], ends]))) + 1
    length = ends - starts - (raw[np.maximum(ends - 1, 0)] == 13)  # without a \r before \n
    fields[length <= 0] = 0
    return fields


def _ends_with_line_end(file: Path) -> bool:
    with open(file, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        if fh.tell() == 0:
            return True
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) in (b"\n", b"\r")


def _read_csv(file: Path, name: str, warned: list | None = None) -> pd.DataFrame:
    """Read a CSV table as text, then parse the number columns, naming file, row, line and field.

    Dates and booleans stay text here; :mod:`engine.data.validate` parses them with the same kind of
    message.  Codes stay text, so ``0013`` keeps its leading zero.
    """
    utf8_text(file.read_bytes(), str(file))
    with open(file, encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh), None)
    empty = _describe(
        "empty file (no header line)", source=str(file), fix=f"write the header {COLUMNS[name]}"
    )
    if header is None:
        raise DataError(empty)
    _check_columns(header, name, file)
    check_field_counts(file)
    try:
        raw = pd.read_csv(
            file,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            encoding="utf-8-sig",
        )
    except pd.errors.EmptyDataError:
        raise DataError(empty) from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        msg = " ".join(str(exc).split())
        raise DataError(_describe(f"malformed CSV ({msg})", source=str(file))) from None
    _check_last_line(file, len(header), len(raw), warned)
    frame = raw.astype(object)
    codes = frame["code"] if "code" in frame.columns else None
    for col in frame.columns:
        kind = _KIND[name].get(col, "str")
        if kind in ("float", "int"):
            frame[col] = _parse_floats(frame[col], file, col, codes)
    return frame


def _parse_floats(col: pd.Series, file: Path, field: str, codes) -> np.ndarray:
    text = col.to_numpy(dtype=object)
    stripped = np.array([s.strip() for s in text], dtype=object)
    blank = stripped == ""
    filled = np.where(blank, "nan", stripped)
    try:
        # numpy's text -> float64 conversion is correctly rounded, so floats round-trip exactly
        return np.array(filled.tolist(), dtype=np.float64)
    except ValueError:
        pass
    for i, s in enumerate(filled.tolist()):
        try:
            float(s)
        except ValueError:
            raise DataError(
                _describe(
                    "not a number",
                    source=str(file),
                    row=i,
                    code=None if codes is None else codes.iloc[i],
                    field=field,
                    value=text[i],
                    line=i + 2,
                    fix="write a plain decimal number (empty for missing)",
                )
            ) from None
    raise AssertionError("unreachable")  # pragma: no cover


__all__ = [
    "COLUMNS",
    "FORMATS",
    "FORMAT_VERSION",
    "OPTIONAL_COLUMNS",
    "REQUIRED_TABLES",
    "TABLES",
    "check_field_counts",
    "meta_closures",
    "read_folder",
    "read_meta",
    "write_folder",
]
