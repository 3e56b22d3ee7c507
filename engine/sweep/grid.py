"""`grid`: the variants of a parameter sweep, a Cartesian product of named axes.

An axis is a setting and the list of values it takes:

* **index axes** are :meth:`engine.rules.MethodologyHistory.replace` keys: a bare key when one section
  has it (``cap``, ``max_constituents``, ``buffer_add_rank``, ``buffer_remove_rank``, ``frequency``,
  ``months``, ``explicit_effective_dates``, ``min_avg_traded_value_hkd``, ``cap_factor_lag_sessions``,
  ``exclude_cxo``, ...) or ``"section.key"`` (``"liquidity.enabled"``);
* **fund axes** are :class:`engine.fund.EtfConfig` fields prefixed ``fund.``
  (``"fund.management_fee"``, ``"fund.cash_buffer"``, ...).

* **joint axes** vary settings that only make sense together (a review ``frequency`` and its
  ``months``): the name joins the keys with ``+`` and each value is a tuple with one entry per key,
  ``**{"frequency+months": [("quarterly", (3, 6, 9, 12)), ("semiannual", (6, 12))]}``.

Variants are enumerated in :func:`itertools.product` order (the last axis varies fastest); variant
``i`` is the ``i``-th mapping, with the axes in the order given.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from engine._args import plain
from engine._settings import Settings
from engine.errors import MethodologyError, SweepError

FUND_PREFIX = "fund."
"""Prefix of the axes that vary :class:`engine.fund.EtfConfig` fields."""
JOINT = "+"
"""Separator of the keys of a joint axis."""


def _plain(value: Any) -> Any:
    """NumPy scalars become Python scalars (the methodology checks ``isinstance(v, int)``), lists
    tuples of them."""
    return tuple(_plain(v) for v in value) if isinstance(value, list) else plain(value)


def _fund_fields() -> set[str]:
    from engine.fund.config import EtfConfig

    return {f.name for f in dataclasses.fields(EtfConfig)}


def _check_keys(axis: str) -> tuple[str, ...]:
    """The canonical keys of an axis (several for a joint axis, all index or all fund keys)."""
    keys = tuple(_check_key(part.strip()) for part in axis.split(JOINT))
    kinds = {k.startswith(FUND_PREFIX) for k in keys}
    if len(kinds) > 1:
        what = "a joint axis mixes fund and methodology settings"
        fix = "join only methodology keys, or only 'fund.' keys"
        raise SweepError(what, source="sweep.grid", field=axis, fix=fix)
    if len(set(keys)) < len(keys):
        raise SweepError("a joint axis repeats a key", source="sweep.grid", field=axis)
    return keys


def _check_key(axis: str) -> str:
    """The canonical ``section.key`` (index) or ``fund.field`` of an axis; SweepError when unknown."""
    if axis.startswith(FUND_PREFIX):
        name = axis[len(FUND_PREFIX) :]
        known = _fund_fields()
        if name not in known:
            what = "unknown fund parameter"
            fix = f"fund axes are 'fund.<EtfConfig field>', one of {sorted(known)}"
            raise SweepError(what, source="sweep.grid", field=axis, fix=fix)
        return axis
    from engine.rules.methodology import _resolve_key

    try:
        sec, name = _resolve_key(axis, "sweep.grid")
    except MethodologyError as exc:
        what = f"unknown parameter: {exc}"
        raise SweepError(what, source="sweep.grid", field=axis) from None
    return f"{sec}.{name}"


@dataclass(frozen=True)
class Grid(Settings):
    """The variants of a sweep: ordered axes, each a tuple of values (see :func:`grid`).

    Attributes
    ----------
    axes : tuple of (name, values)
        Axis names as given and their values.

    Notes
    -----
    A :class:`~engine._settings.Settings`: ``to_record()`` and ``hash`` identify the grid (the
    values as plain JSON), ``replace(axes=...)`` gives another.
    """

    _error = SweepError
    axes: tuple[tuple[str, tuple], ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.axes)

    @property
    def index_axes(self) -> tuple[str, ...]:
        """Axes that change the methodology."""
        return tuple(n for n in self.names if not n.startswith(FUND_PREFIX))

    @property
    def fund_axes(self) -> tuple[str, ...]:
        """Axes that change the fund settings (``fund.`` prefixed)."""
        return tuple(n for n in self.names if n.startswith(FUND_PREFIX))

    def __len__(self) -> int:
        return math.prod(len(values) for _, values in self.axes)

    def __iter__(self) -> Iterator[dict]:
        names = self.names
        for combo in itertools.product(*(values for _, values in self.axes)):
            yield dict(zip(names, combo, strict=True))

    def __getitem__(self, i: int) -> dict:
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"variant {i} out of range for a grid of {n}")
        return self.variants([i % n])[0]

    def variants(self, ids) -> list[dict]:
        """The mappings of variants ``ids`` (their axis positions computed for all at once)."""
        names = self.names
        columns = [
            [values[p] for p in pos.tolist()]
            for (_, values), pos in zip(self.axes, self.positions(ids).T, strict=True)
        ]
        if not columns:
            return [{} for _ in range(len(ids))]
        return [dict(zip(names, combo, strict=True)) for combo in zip(*columns, strict=True)]

    def positions(self, ids: np.ndarray | None = None) -> np.ndarray:
        """``[len(ids), n_axes]``: the position of each variant's value on each axis (mixed radix,
        last axis fastest); all variants when ``ids`` is None."""
        ids = np.arange(len(self), dtype=np.int64) if ids is None else np.asarray(ids, np.int64)
        out = np.empty((len(ids), len(self.axes)), dtype=np.int64)
        rest = ids.copy()
        for k in range(len(self.axes) - 1, -1, -1):
            rest, out[:, k] = np.divmod(rest, len(self.axes[k][1]))
        return out

    def to_frame(self) -> pd.DataFrame:
        """One row per variant: ``variant`` id and one column per axis (built column by column,
        without a mapping per variant)."""
        n = len(self)
        columns = {"variant": np.arange(n, dtype=np.int64)}
        inner = n
        for name, values in self.axes:
            inner //= len(values)
            outer = n // (inner * len(values))
            codes = np.tile(np.repeat(np.arange(len(values)), inner), outer)
            column = pd.Series(list(values))
            columns[name] = column.take(codes).reset_index(drop=True)
        return pd.DataFrame(columns, columns=["variant", *self.names])

    def __repr__(self) -> str:
        shape = " x ".join(f"{name}[{len(v)}]" for name, v in self.axes) or "base only"
        return f"Grid({len(self)} variants: {shape})"


def _values(axis: str, values: Any, width: int = 1) -> tuple:
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(
        values, (Sequence, np.ndarray, pd.Index, range)
    ):
        what = "an axis takes a list of values"
        fix = f"write {axis}=[{values!r}] for a single value"
        raise SweepError(what, source="sweep.grid", field=axis, value=values, fix=fix)
    out = tuple(_plain(v) for v in values)
    if width > 1:
        for v in out:
            if not isinstance(v, tuple) or len(v) != width:
                what = f"each value of a joint axis is a tuple of {width} values, one per key"
                raise SweepError(what, source="sweep.grid", field=axis, value=v)
    if not out:
        what = "empty axis"
        fix = "give at least one value"
        raise SweepError(what, source="sweep.grid", field=axis, value=[], fix=fix)
    twice = _repeated(out)
    if twice is not _UNIQUE:
        what = "value repeated on an axis (the variants would repeat)"
        raise SweepError(what, source="sweep.grid", field=axis, value=twice)
    return out


_UNIQUE = object()


def _repeated(values: tuple) -> Any:
    """The first value equal to an earlier one (``_UNIQUE`` if none).

    Hashable values are looked up in a set (linear time: an axis of 100,000 values is checked in
    milliseconds); unhashable ones are compared with the unhashable values before them.
    """
    seen: set = set()
    loose: list = []
    for v in values:
        try:
            if v in seen:
                return v
            seen.add(v)
        except TypeError:
            if any(v == s for s in loose):
                return v
            loose.append(v)
    return _UNIQUE


def _check_caps(grid: Grid, canonical: dict[str, str]) -> None:
    """cap x max_constituents >= 1 for every pair of values when both are axes."""
    by_key = {keys[0]: n for n, keys in canonical.items() if len(keys) == 1}
    cap_axis, count_axis = by_key.get("weighting.cap"), by_key.get("selection.max_constituents")
    if cap_axis is None or count_axis is None:
        return
    values = dict(grid.axes)
    counts = [c for c in values[count_axis] if isinstance(c, int) and not isinstance(c, bool)]
    if not counts:
        return
    count = min(counts)  # the smallest count fails first: one pass over the caps
    for cap in values[cap_axis]:
        if isinstance(cap, (int, float)) and not isinstance(cap, bool):
            if cap * count < 1 - 1e-12:
                raise SweepError(
                    f"impossible cap: {cap:g} x {count} constituents = {cap * count:g} < 1",
                    source="sweep.grid",
                    field=cap_axis,
                    value=cap,
                    fix=f"use caps >= 1/{count} or more constituents (axis {count_axis!r})",
                )


def grid(**axes: Sequence) -> Grid:
    """The Cartesian product of the given axes.

    Parameters
    ----------
    **axes
        ``name=[values]``. Index axes are methodology keys (``cap``, ``max_constituents``,
        ``"selection.buffer_add_rank"``, ``months``, ``explicit_effective_dates``, ...); fund axes are
        ``"fund.<EtfConfig field>"`` (pass them with ``**{"fund.management_fee": [...]}``). No axes:
        one variant, the base settings.

    Returns
    -------
    Grid
        ``len(g)`` variants; ``list(g)`` the mappings; ``g.to_frame()`` the table.

    Raises
    ------
    SweepError
        An unknown parameter, an axis that is not a list or is empty or repeats a value, or a cap
        that cannot be met with a constituent count of the grid (:math:`cap \\times N < 1`); the
        message names the axis and the value.
    """
    canonical: dict[str, tuple[str, ...]] = {}
    for name in axes:
        keys = _check_keys(name)
        for other, taken in canonical.items():
            if set(keys) & set(taken):
                what = "two axes set the same parameter"
                raise SweepError(what, source="sweep.grid", field=name, value=other)
        canonical[name] = keys
    g = Grid(
        tuple((name, _values(name, values, len(canonical[name]))) for name, values in axes.items())
    )
    _check_caps(g, canonical)
    return g


def split(variant: Mapping) -> tuple[dict, dict]:
    """A variant's index changes and its fund changes (``fund.`` prefix removed; joint axes expanded
    into their keys)."""
    if not any(JOINT in name or name.startswith(FUND_PREFIX) for name in variant):
        return dict(variant), {}
    flat: dict = {}
    for name, value in variant.items():
        parts = [p.strip() for p in name.split(JOINT)]
        flat.update(zip(parts, value if len(parts) > 1 else (value,), strict=True))
    index = {k: v for k, v in flat.items() if not k.startswith(FUND_PREFIX)}
    fund = {k[len(FUND_PREFIX) :]: v for k, v in flat.items() if k.startswith(FUND_PREFIX)}
    return index, fund
