"""One base for every settings class: declarative checks, ``replace()``, ``to_record()`` and ``hash``.

A settings class is a frozen dataclass that derives from :class:`Settings` and states what each field
accepts in the field's metadata, through the helpers below::

    @dataclass(frozen=True)
    class Costs(Settings):
        _error = FundConfigError
        stamp_duty: float = setting(0.001, Interval(0.0, 1.0, hi_open=True))

On construction every field with a check is validated in declaration order; a bad value raises the
class's ``_error`` naming the class, the field, the value and what it accepts.  A ``bool`` is never
accepted where a number is expected (``management_fee = false`` in a TOML file is an error, not 0),
and a flag accepts only ``True`` or ``False`` (``"false"`` is an error, not truthy).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import numbers
from dataclasses import dataclass, field

import pandas as pd

from engine._files import json_bytes
from engine.errors import EngineError, describe


# --------------------------------------------------------------------------------------------- checks
@dataclass(frozen=True)
class Interval:
    """A real number in an interval (``lo_open``/``hi_open`` exclude the bound); NaN never passes."""

    lo: float = -math.inf
    hi: float = math.inf
    lo_open: bool = False
    hi_open: bool = False
    fix: str = ""

    def accepts(self, value) -> bool:
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or value != value:
            return False
        above = value > self.lo if self.lo_open else value >= self.lo
        below = value < self.hi if self.hi_open else value <= self.hi
        return above and below

    def describe(self) -> str:
        left = "(" if self.lo_open else "["
        right = ")" if self.hi_open else "]"
        return f"a number in {left}{self.lo:g}, {self.hi:g}{right}"


@dataclass(frozen=True)
class Whole:
    """A whole number (not a bool) of at least ``lo``."""

    lo: int = 0
    fix: str = ""

    def accepts(self, value) -> bool:
        return (
            isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= self.lo
        )

    def describe(self) -> str:
        return f"a whole number >= {self.lo}"


@dataclass(frozen=True)
class Choice:
    """One of a closed set of values."""

    allowed: tuple
    fix: str = ""

    def accepts(self, value) -> bool:
        return any(value == a and type(value) is type(a) for a in self.allowed)

    def describe(self) -> str:
        return f"one of {self.allowed}"


FLAG = Choice((True, False))
"""A strict boolean."""

POSITIVE = Interval(0.0, math.inf, lo_open=True, hi_open=True)
"""A finite number above zero."""

RATE = Interval(0.0, 1.0, hi_open=True)
"""A fraction in [0, 1)."""


def setting(default, check, **kwargs):
    """A dataclass field with ``default`` whose value must pass ``check`` (an :class:`Interval`,
    :class:`Whole` or :class:`Choice`)."""
    return field(default=default, metadata={"check": check}, **kwargs)


# ----------------------------------------------------------------------------------------------- base
_CHECKS: dict[type, tuple] = {}


def _checks(cls: type) -> tuple:
    """``(name, check)`` of every field of ``cls`` that declares a check, in order (read once)."""
    found = _CHECKS.get(cls)
    if found is None:
        fields = dataclasses.fields(cls)
        found = _CHECKS[cls] = tuple(
            (f.name, f.metadata["check"]) for f in fields if f.metadata.get("check")
        )
    return found


class Settings:
    """Base of frozen settings dataclasses (see the module docstring)."""

    _error: type[EngineError] = EngineError

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check every field that declares a check; raise ``_error`` on the first bad one."""
        for name, check in _checks(type(self)):
            value = getattr(self, name)
            if not check.accepts(value):
                raise self._error(
                    describe(
                        f"{name} must be {check.describe()}",
                        source=type(self).__name__,
                        field=name,
                        value=value,
                        fix=check.fix or None,
                    )
                )

    def replace(self, **changes):
        """A copy with ``changes`` applied (validated again); an unknown name is an error."""
        known = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise self._error(
                describe(
                    f"unknown setting(s) {unknown}",
                    source=type(self).__name__,
                    field=unknown[0],
                    fix=f"use some of {sorted(known)}",
                )
            )
        return dataclasses.replace(self, **changes)

    def to_record(self) -> dict:
        """The settings as plain JSON values (dates as ``YYYY-MM-DD``, tuples as lists)."""
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = str(value.date()) if isinstance(value, pd.Timestamp) else value
        return json.loads(json.dumps(out, default=str))

    @property
    def hash(self) -> str:
        """First 16 hex digits of the SHA-256 of :meth:`to_record` as stable JSON
        (:func:`engine._files.json_bytes`: the bytes the manifest records)."""
        return hashlib.sha256(json_bytes(self.to_record())).hexdigest()[:16]


__all__ = ["FLAG", "POSITIVE", "RATE", "Choice", "Interval", "Settings", "Whole", "setting"]
