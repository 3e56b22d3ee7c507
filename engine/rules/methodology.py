"""`Methodology`: one version of the index rulebook, loaded from a TOML file into frozen dataclasses.

A methodology file has the sections ``[meta]``, ``[universe]``, ``[liquidity]``, ``[selection]``,
``[weighting]``, ``[schedule]`` (with optional ``[[schedule.extra]]`` out-of-cycle reviews) and
``[index]`` (with ``[index.withholding]``).  Every key is required and every unknown key is an error,
so a typo never passes silently.  :class:`MethodologyHistory` chains versions of one index by their
``effective_from`` date.  The section dataclasses and the schema in their field metadata live in
:mod:`engine.rules.sections` (re-exported here).

The content hash (:attr:`Methodology.hash`) is the first 12 hex digits of the SHA-256 of the canonical
JSON form of every setting (sorted keys, ISO dates), so two files that differ only in comments or key
order have the same hash, and any change of a value changes it.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from engine._files import read_text_file
from engine.errors import MethodologyError
from engine.rules.sections import (
    _CONVERTED,
    _FREQUENCIES,
    _KINDS,
    _SECTIONS,
    _SPECS,
    ExtraReview,
    IndexSettings,
    LiquidityRules,
    Meta,
    ScheduleRules,
    SelectionRules,
    UniverseRules,
    WeightingRules,
)


@dataclass(frozen=True)
class Methodology:
    """One rulebook version: a frozen, hashable tree of settings.

    Attributes
    ----------
    meta, universe, liquidity, selection, weighting, schedule, index
        One frozen dataclass per TOML section.
    source
        The file it was loaded from ("" when built in code); not part of equality or the hash.

    Notes
    -----
    Variants are made with :meth:`replace`, e.g. ``m.replace(cap=0.15)`` or
    ``m.replace(**{"selection.buffer_add_rank": 30})``; the result is validated again and gets a new
    :attr:`hash`.
    """

    meta: Meta
    universe: UniverseRules
    liquidity: LiquidityRules
    selection: SelectionRules
    weighting: WeightingRules
    schedule: ScheduleRules
    index: IndexSettings
    source: str = field(default="", compare=False)

    # ------------------------------------------------------------------ identity
    @property
    def name(self) -> str:
        return self.meta.name

    @property
    def effective_from(self) -> pd.Timestamp:
        return self.meta.effective_from

    def to_dict(self) -> dict:
        """Plain nested dict of every setting (dates as ISO strings), the canonical form."""
        return {name: _plain(getattr(self, name)) for name in _SECTIONS}

    def to_frame(self) -> pd.DataFrame:
        """One row per setting: ``section``, ``key``, ``value`` (lists and tables as text)."""
        rows = [
            {"section": sec, "key": key, "value": _text(value)}
            for sec, values in self.to_dict().items()
            for key, value in values.items()
        ]
        return pd.DataFrame(rows, columns=["section", "key", "value"])

    @property
    def hash(self) -> str:
        """Short SHA-256 (12 hex digits) of the canonical JSON of :meth:`to_dict`."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def __repr__(self) -> str:
        return f"Methodology({self.name!r}, effective_from={self.effective_from.date()}, hash={self.hash})"

    # ------------------------------------------------------------------ variants
    def replace(self, **changes: Any) -> Methodology:
        """A validated copy with some settings changed.

        Keys are a section name (value: a section dataclass), ``"section.key"`` or
        ``"section__key"``, or a bare key name when only one section has it (``cap``, ``months``,
        ``name``, ...).  Values are converted like TOML values (lists become tuples, ISO strings become
        dates).
        """
        where = self.source or f"<replace on {self.name}>"
        sections = {name: getattr(self, name) for name in _SECTIONS}
        per_section: dict[str, dict[str, Any]] = {}
        for key, value in changes.items():
            if key in _SECTIONS:
                if not isinstance(value, _SECTIONS[key]):
                    raise MethodologyError(
                        f"section {key!r} must be a {_SECTIONS[key].__name__}",
                        source=where,
                        field=key,
                        value=type(value).__name__,
                    )
                sections[key] = value
                continue
            sec, name = _resolve_key(key, where)
            spec = _field_spec(_SECTIONS[sec], name)
            per_section.setdefault(sec, {})[name] = _convert(value, spec, where, sec, name)
        for sec, upd in per_section.items():
            sections[sec] = dataclasses.replace(sections[sec], **upd)
        out = Methodology(**sections, source="")
        _check(out, where)
        return out


def _plain(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj):
        return {f.name: _plain(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, pd.Timestamp):
        return obj.strftime("%Y-%m-%d")
    if isinstance(obj, tuple):
        if obj and all(isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) for p in obj):
            return {k: _plain(v) for k, v in obj}
        return [_plain(v) for v in obj]
    return obj


def _text(value: Any) -> str:
    if isinstance(value, (list, dict)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def _field_spec(cls: type, name: str) -> dict:
    return _SPECS[cls][name]


@cache
def _resolve_key(key: str, where: str) -> tuple[str, str]:
    """``(section, key)`` of a setting named ``key``, ``section.key`` or ``section__key``."""
    for sep in (".", "__"):
        if sep in key:
            sec, _, name = key.partition(sep)
            if sec in _SECTIONS and name in {f.name for f in fields(_SECTIONS[sec])}:
                return sec, name
            break
    owners = [s for s, cls in _SECTIONS.items() if key in {f.name for f in fields(cls)}]
    if len(owners) == 1:
        return owners[0], key
    known = sorted(f"{s}.{f.name}" for s, cls in _SECTIONS.items() for f in fields(cls))
    what = "ambiguous setting (several sections have it)" if owners else "unknown setting"
    raise MethodologyError(what, source=where, field=key, fix=f"use 'section.key', one of {known}")


# ----------------------------------------------------------------------------------------- parsing
def _bad(what: str, where: str, sec: str, key: str, value: Any, fix: str | None = None):
    return MethodologyError(
        what, source=where, field=f"{sec}.{key}", value=value, section=sec, fix=fix
    )


def _to_date(value: Any, where: str, sec: str, key: str) -> pd.Timestamp:
    if isinstance(value, pd.Timestamp):
        return value.normalize()
    if isinstance(value, _dt.datetime):
        raise _bad("expected a date without a time of day", where, sec, key, str(value))
    if isinstance(value, (_dt.date, str)):
        try:
            ts = pd.Timestamp(value)
        except (ValueError, TypeError):
            ts = None
        if ts is not None and not pd.isna(ts) and ts == ts.normalize():
            return ts
    raise _bad(f"expected {_KINDS['date']}", where, sec, key, value)


def _rates(value: Any, where: str, sec: str, key: str) -> Any:
    """A TOML table of ``name = rate`` (or a tuple of pairs) as sorted ``(name, float)`` pairs."""
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise _bad(f"expected a number for rate {k!r}", where, sec, f"{key}.{k}", v)
        value = tuple(value.items())
    if isinstance(value, tuple) and all(isinstance(p, tuple) and len(p) == 2 for p in value):
        return tuple(sorted((str(k), float(v)) for k, v in value))
    return value


def _number(v: Any) -> Any:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v


def _sequence(v: Any) -> Any:
    return tuple(v) if isinstance(v, (list, tuple)) else v


_AS = {  # TOML value -> the dataclass form of each kind; the rule checks the result
    "float": lambda v, *_: _number(v),
    "date": _to_date,
    "str_list": lambda v, *_: _sequence(v),
    "int_list": lambda v, *_: _sequence(v),
    "date_list": lambda v, *at: (
        tuple(_to_date(x, *at) for x in v) if isinstance(v, (list, tuple)) else v
    ),
    "rates": _rates,
    "extras": lambda v, where, *_: _convert_extras(v, where),
}


def _convert(value: Any, spec: dict, where: str, sec: str, key: str) -> Any:
    """Convert one TOML value to its dataclass form (:data:`_AS`), then check it with the field's
    rule: its kind, then its range."""
    kind, rule = spec["kind"], spec["check"]
    convert = _AS.get(kind)
    value = value if convert is None else convert(value, where, sec, key)
    if not _CONVERTED[kind](value):
        raise _bad(f"expected {_KINDS[kind]}", where, sec, key, value)
    if not rule(value):
        raise _bad(f"expected {spec['expect']}", where, sec, key, _plain(value))
    return value


def _convert_extras(value: Any, where: str) -> tuple[ExtraReview, ...]:
    if isinstance(value, tuple) and all(isinstance(v, ExtraReview) for v in value):
        return value
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, dict) for v in value):
        raise _bad(f"expected {_KINDS['extras']}", where, "schedule", "extra", value)
    out = []
    wanted = {"effective", "cutoff", "announcement"}
    for i, item in enumerate(value):
        sec = f"schedule.extra[{i}]"
        unknown = sorted(set(item) - wanted)
        if unknown:
            raise _bad(
                "unknown key", where, sec, unknown[0], None, fix=f"keys are {sorted(wanted)}"
            )
        missing = sorted(wanted - set(item))
        if missing:
            raise _bad(
                "missing key", where, sec, missing[0], None, fix=f"keys are {sorted(wanted)}"
            )
        dates = {k: _to_date(item[k], where, sec, k) for k in wanted}
        if not dates["cutoff"] <= dates["announcement"] < dates["effective"]:
            raise _bad(
                "expected cutoff <= announcement < effective",
                where,
                sec,
                "effective",
                {k: v.strftime("%Y-%m-%d") for k, v in dates.items()},
            )
        out.append(ExtraReview(**dates))
    return tuple(sorted(out, key=lambda e: e.effective))


def _build_section(cls: type, table: Any, where: str, sec: str):
    if not isinstance(table, dict):
        raise MethodologyError(
            "expected a table", source=where, field=sec, section=sec, fix=f"write [{sec}]"
        )
    names = [f.name for f in fields(cls)]
    unknown = [k for k in table if k not in names]
    if unknown:
        raise _bad(
            "unknown key", where, sec, unknown[0], table[unknown[0]], fix=f"known keys: {names}"
        )
    kwargs = {}
    for f in fields(cls):
        if f.name not in table:
            if f.default is not dataclasses.MISSING:
                continue
            raise _bad(
                "missing key",
                where,
                sec,
                f.name,
                None,
                fix=f"add {f.name} = <{_KINDS[f.metadata['kind']]}> to [{sec}]",
            )
        kwargs[f.name] = _convert(table[f.name], f.metadata, where, sec, f.name)
    return cls(**kwargs)


def _check(m: Methodology, where: str) -> None:
    """Cross-key consistency checks (single keys were checked while converting)."""
    sel, sch = m.selection, m.schedule
    if not sel.buffer_add_rank <= sel.max_constituents <= sel.buffer_remove_rank:
        raise _bad(
            "expected buffer_add_rank <= max_constituents <= buffer_remove_rank",
            where,
            "selection",
            "buffer_add_rank",
            (sel.buffer_add_rank, sel.max_constituents, sel.buffer_remove_rank),
        )
    if m.weighting.cap * sel.max_constituents < 1 - 1e-12:
        raise _bad(
            f"cap x max_constituents = {m.weighting.cap * sel.max_constituents:g} < 1 can never be met",
            where,
            "weighting",
            "cap",
            m.weighting.cap,
            fix=f"use a cap >= 1/{sel.max_constituents}",
        )
    n, freq = _FREQUENCIES[sch.frequency], sch.frequency
    for wrong, what, key, value in (
        (
            n is not None and len(sch.months) != n,
            f"needs {n} review month(s)",
            "months",
            list(sch.months),
        ),
        (freq == "month_end" and not sch.months, "needs at least one review month", "months", []),
        (
            freq == "explicit" and not sch.explicit_effective_dates,
            "needs at least one date",
            "explicit_effective_dates",
            [],
        ),
    ):
        if wrong:
            raise _bad(f"frequency {freq!r} {what}", where, "schedule", key, value)


def parse_methodology(
    data: dict, *, source: str = "<dict>", stem: str | None = None
) -> Methodology:
    """Build a :class:`Methodology` from a parsed TOML mapping, checking every key.

    Raises
    ------
    MethodologyError
        Naming the source, the ``section.key`` and the expected type or range.
    """
    unknown = [k for k in data if k not in _SECTIONS]
    if unknown:
        raise MethodologyError(
            "unknown section",
            source=source,
            field=unknown[0],
            section=unknown[0],
            fix=f"sections are {list(_SECTIONS)}",
        )
    missing = [k for k in _SECTIONS if k not in data]
    if missing:
        raise MethodologyError(
            "missing section",
            source=source,
            field=missing[0],
            section=missing[0],
            fix=f"add [{missing[0]}]",
        )
    built = {sec: _build_section(cls, data[sec], source, sec) for sec, cls in _SECTIONS.items()}
    m = Methodology(**built, source=source)
    if stem is not None and m.meta.name != stem:
        raise _bad(
            "meta.name must equal the file stem",
            source,
            "meta",
            "name",
            m.meta.name,
            fix=f"set name = {stem!r} or rename the file",
        )
    _check(m, source)
    return m


# ----------------------------------------------------------------------------------------- loading
def methodology_dir() -> Path:
    """The methodology files: ``engine/methodology/`` (package data in an installed engine; in a
    checkout a link to the repository's ``methodology/`` folder)."""
    return Path(__file__).resolve().parents[1] / "methodology"


def _find(name_or_path: str | Path) -> Path:
    p = Path(name_or_path)
    candidates = []
    if p.suffix == ".toml" or p.parent != Path("."):
        candidates.append(p)
    else:
        candidates += [methodology_dir() / f"{p.name}.toml", p.with_suffix(".toml")]
    for c in candidates:
        if c.is_file():
            return c
    known = sorted(x.stem for x in methodology_dir().glob("*.toml"))
    raise MethodologyError(
        "methodology not found",
        source=str(name_or_path),
        value=[str(c) for c in candidates],
        fix=f"give a path to a .toml file or one of the names {known}",
    )


def load_methodology(name_or_path: str | Path | Methodology) -> Methodology:
    """Load a methodology by name (``"hsidi-2025-08"``, looked up in ``methodology/``) or by path.

    Parameters
    ----------
    name_or_path
        A version name, a path to a ``.toml`` file, or an already loaded :class:`Methodology`
        (returned as is).

    Raises
    ------
    MethodologyError
        File missing, not valid TOML (with line and column), or any key missing, unknown, of the wrong
        type or out of range; the message names the file, the section and the key.
    """
    if isinstance(name_or_path, Methodology):
        return name_or_path
    path = _find(name_or_path)
    data = read_text_file(
        path, "TOML", error=MethodologyError, what="methodology file", fix="fix the file's syntax"
    )
    return parse_methodology(data, source=str(path), stem=path.stem)


@dataclass(frozen=True)
class MethodologyHistory:
    """Versions of one index's rulebook, chained by ``effective_from``.

    The version in force on date :math:`t` is the one with the latest ``effective_from <= t``; the
    first version's ``effective_from`` is the index base date, so it governs the whole back-history.
    """

    name: str
    versions: tuple[Methodology, ...]

    def __post_init__(self):
        if not self.versions:
            raise MethodologyError(
                "a methodology history needs at least one version", source=self.name
            )
        ordered = tuple(sorted(self.versions, key=lambda m: m.effective_from))
        object.__setattr__(self, "versions", ordered)
        names = [m.name for m in ordered]
        if len(set(names)) != len(names):
            raise MethodologyError(
                "two versions share a name",
                source=self.name,
                value=names,
                fix="give each version its own meta.name",
            )
        base = ordered[0].index.base_date
        for later in ordered[1:]:
            if later.effective_from <= base:
                raise MethodologyError(
                    "a later methodology version takes effect on or before the index base date, "
                    "so the first version would never apply",
                    source=later.source or later.name,
                    date=later.effective_from,
                    field="meta.effective_from",
                    value=f"base date {base.date()} ({ordered[0].name})",
                    fix="drop the earlier version, or move the base date before "
                    f"{later.effective_from.date()}",
                )
        for a, b in zip(ordered, ordered[1:], strict=False):
            if a.effective_from == b.effective_from:
                raise MethodologyError(
                    "two versions take effect on the same date",
                    source=self.name,
                    date=a.effective_from,
                    value=[a.name, b.name],
                    fix="give each version its own meta.effective_from",
                )

    @property
    def first(self) -> Methodology:
        return self.versions[0]

    @property
    def hash(self) -> str:
        """Short SHA-256 of the versions' hashes in order."""
        text = "|".join(f"{m.name}:{m.hash}" for m in self.versions)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def at(self, date) -> Methodology:
        """The version in force on ``date``.

        Raises
        ------
        MethodologyError
            ``date`` is before the first version's ``effective_from``.
        """
        ts = pd.Timestamp(date)
        current = None
        for m in self.versions:
            if m.effective_from <= ts:
                current = m
        if current is None:
            raise MethodologyError(
                "date before the first methodology version",
                source=self.name,
                date=ts,
                fix=f"the history starts on {self.first.effective_from.date()} ({self.first.name})",
            )
        return current

    def until(self, version: Methodology) -> pd.Timestamp | None:
        """``effective_from`` of the version after ``version`` (None for the last one)."""
        i = self.versions.index(version)
        return self.versions[i + 1].effective_from if i + 1 < len(self.versions) else None

    def replace(self, **changes: Any) -> MethodologyHistory:
        """Apply :meth:`Methodology.replace` to every version (e.g. the same cap throughout)."""
        return MethodologyHistory(self.name, tuple(m.replace(**changes) for m in self.versions))

    def to_frame(self) -> pd.DataFrame:
        """Settings side by side: index ``(section, key)``, one column per version.

        The ``changed`` column flags settings that differ between versions.
        """
        frames = [
            m.to_frame().set_index(["section", "key"])["value"].rename(m.name)
            for m in self.versions
        ]
        out = pd.concat(frames, axis=1)
        out["changed"] = out.nunique(axis=1, dropna=False) > 1
        return out

    def __repr__(self) -> str:
        parts = ", ".join(f"{m.name} from {m.effective_from.date()}" for m in self.versions)
        return f"MethodologyHistory({self.name!r}: {parts})"


def load_history(index: str = "hsidi", versions: Iterable[str | Path | Methodology] | None = None):
    """All ``methodology/<index>-*.toml`` files (or the given ``versions``) ordered by ``effective_from``.

    Raises
    ------
    MethodologyError
        No file found, a version of another index family, or two versions with the same date.
    """
    if versions is None:
        paths = sorted(methodology_dir().glob(f"{index}-*.toml"))
        if not paths:
            raise MethodologyError(
                "no methodology files for this index",
                source=str(methodology_dir()),
                value=f"{index}-*.toml",
                fix="check the index name or add files to methodology/",
            )
        versions = paths
    loaded = tuple(load_methodology(v) for v in versions)
    for m in loaded:
        if m.meta.index != index:
            raise MethodologyError(
                "version belongs to another index",
                source=m.source or m.name,
                field="meta.index",
                value=m.meta.index,
                fix=f"expected {index!r}",
            )
    return MethodologyHistory(index, loaded)


def resolve(spec) -> Methodology | MethodologyHistory:
    """Turn a name, path, :class:`Methodology` or :class:`MethodologyHistory` into a loaded object.

    A bare name with no ``<name>.toml`` file but with ``<name>-*.toml`` files is a history name.
    """
    if isinstance(spec, (Methodology, MethodologyHistory)):
        return spec
    if not isinstance(spec, (str, Path)):
        raise MethodologyError(
            "cannot use this as a methodology",
            value=type(spec).__name__,
            fix="pass a name ('hsidi', 'hsidi-2025-08'), a .toml path, a Methodology or a "
            "MethodologyHistory",
        )
    p = Path(spec)
    if p.suffix != ".toml" and p.parent == Path("."):
        folder = methodology_dir()
        if not (folder / f"{p.name}.toml").is_file() and any(folder.glob(f"{p.name}-*.toml")):
            return load_history(p.name)
    return load_methodology(spec)


__all__ = [
    "ExtraReview",
    "IndexSettings",
    "LiquidityRules",
    "Meta",
    "Methodology",
    "MethodologyHistory",
    "ScheduleRules",
    "SelectionRules",
    "UniverseRules",
    "WeightingRules",
    "load_history",
    "load_methodology",
    "methodology_dir",
    "parse_methodology",
    "resolve",
]
