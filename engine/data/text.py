"""Text files as the data readers see them: UTF-8 only, and a byte that does not decode is an
error naming the file and the line (a vendor file saved as GBK or Latin-1)."""

from __future__ import annotations

import os
from pathlib import Path

from engine.errors import DataError


def read_text_lines(path: str | os.PathLike, what: str = "file") -> list[str]:
    """The lines of a UTF-8 text file (a byte-order mark is dropped).

    Raises
    ------
    DataError
        The file does not exist or cannot be read, or is not UTF-8: the message names the file, the
        line and the byte that does not decode (a file saved as GBK or Latin-1: save it as UTF-8).
    """
    src = str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise DataError(f"{what} not found", source=src) from None
    except OSError as exc:
        raise DataError(f"unreadable {what} ({exc.strerror})", source=src) from None
    text = utf8_text(data, src)
    return text.splitlines()


def utf8_text(data: bytes, label: str) -> str:
    """``data`` decoded as UTF-8 (a byte-order mark dropped); bytes that do not decode are a
    :class:`DataError` naming the file (``label``), the line and the byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            "not UTF-8 text",
            source=label,
            line=data[: exc.start].count(b"\n") + 1,
            value=data[exc.start : exc.start + 1].hex(),
            fix="save the file as UTF-8",
        ) from None


__all__ = ["read_text_lines", "utf8_text"]
