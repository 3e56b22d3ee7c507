"""Atomic file output: a result file is either complete or absent, never half-written."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd


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


def write_table(frame: pd.DataFrame, path: str | os.PathLike, *, index: bool = True) -> Path:
    """Write ``frame`` atomically as CSV or Parquet, chosen by the suffix of ``path``."""
    target = Path(path)
    with atomic_path(target) as tmp:
        if target.suffix == ".parquet":
            frame.to_parquet(tmp, index=index)
        elif target.suffix == ".csv":
            frame.to_csv(tmp, index=index)
        else:
            raise ValueError(
                f"unsupported table format {target.suffix!r} for {target}; use .csv or .parquet"
            )
    return target


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
