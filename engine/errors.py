"""One exception hierarchy for the whole engine.

Every error names *where* (file, row or date, security code, field) and, when there is one, the fix.
An engine error takes the same arguments as :func:`describe`, which builds the message, so messages
read the same everywhere::

    raise DataError("close price must be positive", source="prices.csv", row=17,
                    date="2024-03-01", code="1801", field="close_hkd", value=-1.0,
                    fix="correct the price or drop the row upstream")
"""

from __future__ import annotations

from typing import Any


class EngineError(Exception):
    """Base class of every error raised on purpose by the engine.

    ``EngineError(what, **where)`` carries the message ``describe(what, **where)``; the error's
    ``args`` hold that one message (so it pickles, e.g. back from a Dask worker)."""

    def __init__(self, *args: Any, **where: Any) -> None:
        if where:
            args = (describe(args[0] if args else "", **where), *args[1:])
        super().__init__(*args)


class DataError(EngineError, ValueError):
    """Market data is malformed: missing or duplicated rows, unknown codes, bad values, bad files."""


class CalendarError(DataError):
    """A date is not an HKEX trading session, or a schedule cannot be placed on the calendar."""


class MethodologyError(EngineError, ValueError):
    """A methodology file or setting is malformed or contradicts itself."""


class CappingError(MethodologyError):
    """A weight cap cannot be met (for example cap x constituent count < 1)."""


class FundConfigError(EngineError, ValueError):
    """An ETF setting is invalid (negative fee, inception before the index base date, ...)."""


class FlowError(EngineError, ValueError):
    """A subscription/redemption series is invalid (redeems more units than exist, off-calendar dates)."""


class SweepError(EngineError, ValueError):
    """A parameter sweep is malformed: unknown axis, empty axis, impossible combination, no client."""


class OutputError(EngineError, ValueError):
    """An output folder cannot be used: its ``manifest.json`` is garbled, its recorded command cannot
    be rerun safely, or ``--out`` names something that is not a folder hsidi may write."""


def describe(what: str, **where: Any) -> str:
    """Format an error message: ``what`` followed by the non-empty ``where`` fields in a fixed order.

    Recognised keys (any other key is appended after them): ``source`` (file or table), ``row``,
    ``date``, ``code``, ``field``, ``value``, ``fix``.
    """
    order = ["source", "row", "date", "code", "field", "value"]
    parts = []
    for key in order + sorted(k for k in where if k not in order and k != "fix"):
        val = where.get(key)
        if val is None:
            continue
        if key == "date" and hasattr(val, "strftime"):
            val = val.strftime("%Y-%m-%d")
        parts.append(f"{key}={val!r}" if key == "value" else f"{key}={val}")
    msg = what if not parts else f"{what} ({', '.join(parts)})"
    if where.get("fix"):
        msg += f". Fix: {where['fix']}"
    return msg
