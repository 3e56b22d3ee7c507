"""engine._settings: the one base of every settings class."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pytest

from engine._settings import FLAG, Choice, Interval, Settings, Whole, setting
from engine.conventions import Conventions
from engine.data.plausibility import Plausibility
from engine.errors import DataError, EngineError, FundConfigError
from engine.fund import EtfConfig


@dataclass(frozen=True)
class Demo(Settings):
    rate: float = setting(0.1, Interval(0.0, 1.0, hi_open=True))
    count: int = setting(2, Whole(1))
    mode: str = setting("a", Choice(("a", "b")))
    on: bool = setting(True, FLAG)
    free: str = "anything"


@pytest.mark.parametrize(
    "change",
    [
        {"rate": 1.0},
        {"rate": -0.0001},
        {"rate": math.nan},
        {"rate": True},  # a bool is not a number here
        {"rate": "0.1"},
        {"count": 0},
        {"count": 1.0},
        {"count": False},
        {"mode": "c"},
        {"on": "false"},  # a string is not a flag
        {"on": 0},
    ],
)
def test_bad_values_name_class_field_and_value(change):
    ((name, value),) = change.items()
    with pytest.raises(EngineError, match=rf"{name} must be .*source=Demo, field={name}"):
        Demo(**change)


def test_good_values_and_numpy_scalars_pass():
    d = Demo(rate=np.float64(0.0), count=np.int64(3), mode="b", on=False)
    assert d.count == 3 and d.free == "anything"


def test_replace_validates_and_rejects_unknown_names():
    d = Demo()
    assert d.replace(rate=0.5).rate == 0.5
    with pytest.raises(EngineError, match="rate"):
        d.replace(rate=2.0)
    with pytest.raises(EngineError, match=r"unknown setting\(s\) \['nope'\]"):
        d.replace(nope=1)


def test_record_and_hash():
    d = Demo()
    assert d.to_record() == {"rate": 0.1, "count": 2, "mode": "a", "on": True, "free": "anything"}
    assert d.hash == Demo().hash != d.replace(rate=0.2).hash
    assert len(d.hash) == 16


def test_every_settings_class_uses_the_base():
    for cls, error in (
        (EtfConfig, FundConfigError),
        (Conventions, DataError),
        (Plausibility, DataError),
    ):
        assert issubclass(cls, Settings) and cls._error is error
        checked = [f.name for f in dataclasses.fields(cls) if "check" in f.metadata]
        assert checked, cls
    assert EtfConfig.default().hash == EtfConfig().hash
    with pytest.raises(FundConfigError, match="brokerage"):
        EtfConfig(brokerage=False)


def test_methodology_sections_use_the_base():
    """Every section of a methodology is a Settings: built in code it is checked like a file's
    value (kind and range), and it has replace / to_record / hash."""
    from engine.errors import MethodologyError
    from engine.rules.methodology import load_methodology
    from engine.rules.sections import _SECTIONS

    m = load_methodology("hsidi-2025-08")
    for name, cls in _SECTIONS.items():
        section = getattr(m, name)
        assert issubclass(cls, Settings) and cls._error is MethodologyError
        assert section.replace() == section and len(section.hash) == 16
        assert isinstance(section.to_record(), dict)
    w = m.weighting
    assert w.replace(cap=0.2).cap == 0.2 and w.replace(cap=0.2).hash != w.hash
    with pytest.raises(MethodologyError, match=r"cap must be a number in \(0, 1\].*field=cap"):
        w.replace(cap=1.5)
    with pytest.raises(MethodologyError, match="max_constituents must be an integer >= 1"):
        dataclasses.replace(m.selection, max_constituents=2.0)  # a float where an int belongs
    with pytest.raises(MethodologyError, match=r"unknown setting\(s\) \['caps'\]"):
        w.replace(caps=0.1)
    # the file path checks the same rule with the file's wording
    with pytest.raises(MethodologyError, match=r"expected a number in \(0, 1\]"):
        m.replace(cap=1.5)
