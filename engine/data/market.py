"""`MarketData`: the aligned, validated market every later stage reads.

Panels are time-major ``float64`` arrays ``[day, security]`` on HKEX sessions:

* ``close_hkd``: raw, unadjusted close in HKD (NaN before listing and after delisting only);
* ``shares``: issued shares of the listed class (NaN where ``close_hkd`` is NaN);
* ``free_float``: free-float adjustment factor, in (0, 1];
* ``traded_value_hkd``: traded value of the day in HKD (0 on suspended days);
* ``suspended``: ``bool``; a suspended day carries the previous close and is flagged, never dropped.

Tables beside the panels:

* ``securities`` (the security master), one row per code, columns :data:`SECURITY_COLUMNS`;
* ``intervals``: membership intervals, columns ``code, kind, start, end`` with ``kind`` in
  :data:`INTERVAL_KINDS` (``hsci`` = Hang Seng Composite Index member, ``southbound`` = Southbound
  Stock Connect eligible); ``start`` is the first session of membership, ``end`` the last one (NaT =
  still a member);
* ``actions``: corporate actions, columns :data:`ACTION_COLUMNS` (see :data:`ACTION_KINDS`);
* ``relevance``: innovative-drug relevance scores, columns ``as_of, code, score`` (a score applies from
  ``as_of`` until the next ``as_of`` of the same code);
* ``fx``: HKD->CNY fixing (CNY per 1 HKD), a Series on the same sessions.

The column lists and kind names live in :mod:`engine.data.schema` (re-exported here); the checks
that :meth:`MarketData.from_frames` runs are in :mod:`engine.data.validate`.  What later stages
derive from a market alone (the corporate actions as kernel records) is built once by
:class:`engine.prepare.MarketArrays` and kept through :meth:`MarketData.arrays`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from engine.data import validate
from engine.data.schema import (
    ACTION_COLUMNS,
    ACTION_KINDS,
    INTERVAL_KINDS,
    PANELS,
    PRICE_COLUMNS,
    SECURITY_COLUMNS,
)
from engine.errors import DataError
from engine.prepare import MarketArrays

if TYPE_CHECKING:
    from engine.data.plausibility import Plausibility


@dataclass(frozen=True, eq=False)
class MarketData:
    """Aligned market panels plus the master, actions, memberships, relevance scores and FX.

    Build with :meth:`from_frames` (validates everything); the constructor itself trusts its input.
    """

    dates: pd.DatetimeIndex
    codes_: tuple[str, ...]
    close_hkd: np.ndarray
    shares: np.ndarray
    free_float: np.ndarray
    traded_value_hkd: np.ndarray
    suspended: np.ndarray
    securities: pd.DataFrame
    intervals: pd.DataFrame
    actions: pd.DataFrame
    relevance: pd.DataFrame
    fx: pd.Series
    synthetic: bool = False
    source: str = "frames"
    warnings: tuple[str, ...] = ()
    """Plausibility findings and approximations carried by the market (empty by default): each a
    message naming the file, row, date, code and field.  Not part of :meth:`fingerprint`; written to
    ``meta.json`` by :func:`~engine.data.io.write_folder` and read back by
    :func:`~engine.data.io.read_folder`.  Results built on the market carry them on."""
    closures: tuple[pd.Timestamp, ...] = ()
    """Whole-day closures declared for this market beyond the calendar's
    (:data:`engine.data.calendar.EXTRA_CLOSURES`): not sessions, so no row falls on them.  Not
    part of :meth:`fingerprint` (the rows are); written to ``meta.json`` by
    :func:`~engine.data.io.write_folder` and read back by :func:`~engine.data.io.read_folder`."""
    _cache: dict = field(default_factory=dict, repr=False, compare=False)
    """What the market derives from itself on first use (column lookup, master columns, membership
    masks, fingerprint, :meth:`arrays`); written by :class:`MarketData`'s own methods only."""

    # ------------------------------------------------------------------ access
    @property
    def codes(self) -> list[str]:
        """Security codes in column order."""
        return list(self.codes_)

    @property
    def is_adjusted(self) -> bool:
        """True when the prices are vendor-adjusted (``source`` starts with ``"adjusted:"``): its
        returns are total returns (closes scaled back for dividends; no raw closes, no corporate
        actions), so price, gross and net levels built on it are equal."""
        return self.source.startswith("adjusted:")

    @property
    def fx_is_placeholder(self) -> bool:
        """True when :attr:`fx` is the placeholder fixing 1.0 on every session (no FX data given):
        CNY figures computed on this market then equal the HKD figures.  Recognised from the values
        (exactly 1.0 everywhere), so it survives :func:`~engine.data.io.write_folder` /
        :func:`~engine.data.io.read_folder`."""
        return validate.is_placeholder_fx(self.fx)

    @property
    def shape(self) -> tuple[int, int]:
        return self.close_hkd.shape

    def col(self, code: str) -> int:
        """Column index of ``code``; :class:`DataError` if unknown."""
        lookup = self._cache.get("col")
        if lookup is None:
            lookup = self._cache["col"] = {c: i for i, c in enumerate(self.codes_)}
        try:
            return lookup[code]
        except KeyError:
            raise DataError("unknown security code", code=code) from None

    def arrays(self) -> MarketArrays:
        """The kernel inputs that depend on this market alone (:class:`engine.prepare.MarketArrays`:
        the corporate actions as records, in the order the kernels apply them), built on the first
        call and kept with the market.

        This is the one door through which later stages keep data derived from a market: the
        index, the fund and the batch read it, none writes into the market.
        """
        out = self._cache.get("arrays")
        if out is None:
            out = self._cache["arrays"] = MarketArrays.build(self)
        return out

    def master_column(self, name: str) -> np.ndarray:
        """Column ``name`` of the security master in column (:attr:`codes`) order, missing codes as
        NaN/NaT; read-only and cached (the master is fixed once the market is built)."""
        key = ("master", name)
        out = self._cache.get(key)
        if out is None:
            out = self.securities.set_index("code")[name].reindex(list(self.codes_)).to_numpy()
            out.flags.writeable = False
            self._cache[key] = out
        return out

    def row(self, date) -> int:
        """Row index of the session ``date``; :class:`DataError` if it is not a session here."""
        ts = pd.Timestamp(date)
        pos = self.dates.get_indexer([ts])[0]
        if pos < 0:
            if ts in self.closures:
                raise DataError(
                    "date is a closure declared for this market (MarketData.closures), not a "
                    "session",
                    date=ts,
                    fix="the review calendar (engine.rules) counts XHKG sessions less "
                    "engine.data.calendar.EXTRA_CLOSURES only: a review date that falls on a "
                    "declared closure cannot be read; add the closure to EXTRA_CLOSURES with "
                    "its source if the exchange was shut that day",
                )
            raise DataError("date is not a session of this market", date=ts)
        return int(pos)

    def panel(self, name: str) -> pd.DataFrame:
        """A ``[day, code]`` DataFrame: ``close``, ``shares``, ``free_float``, ``traded_value`` or
        ``suspended`` (the unit-suffixed names ``close_hkd``/``traded_value_hkd`` work too)."""
        attr = PANELS.get(name, name if name in PANELS.values() else None)
        if attr is None:
            raise DataError("unknown panel", field=name, fix=f"use one of {sorted(PANELS)}")
        return pd.DataFrame(
            getattr(self, attr), index=self.dates, columns=pd.Index(self.codes, name="code")
        )

    def membership(self, kind: str) -> np.ndarray:
        """Boolean ``[day, security]`` array: member of ``kind`` (``hsci`` or ``southbound``) that day."""
        if kind not in INTERVAL_KINDS:
            raise DataError(
                "unknown membership kind", field=kind, fix=f"use one of {INTERVAL_KINDS}"
            )
        cached = self._cache.get(("membership", kind))
        if cached is not None:
            return cached
        out = np.zeros(self.shape, dtype=bool)
        iv = self.intervals[self.intervals["kind"] == kind]
        for code, start, end in zip(iv["code"], iv["start"], iv["end"], strict=True):
            j = self.col(code)
            lo = self.dates.searchsorted(start, side="left")
            hi = len(self.dates) if pd.isna(end) else self.dates.searchsorted(end, side="right")
            out[lo:hi, j] = True
        out.setflags(write=False)
        self._cache[("membership", kind)] = out
        return out

    def listed(self) -> np.ndarray:
        """Boolean ``[day, security]`` array: the security has a price that day."""
        return ~np.isnan(self.close_hkd)

    def relevance_at(self, date) -> pd.Series:
        """Relevance score per code in force at ``date`` (latest ``as_of`` <= date); 0 where none."""
        ts = pd.Timestamp(date)
        rel = self.relevance[self.relevance["as_of"] <= ts]
        latest = rel.sort_values("as_of").groupby("code")["score"].last()
        return latest.reindex(self.codes, fill_value=0.0).rename("score")

    def fingerprint(self) -> str:
        """A short, stable hash of every panel and table (recorded in results for provenance)."""
        cached = self._cache.get("fingerprint")
        if cached:
            return cached
        h = hashlib.sha256()
        h.update(",".join(self.codes_).encode())
        h.update(self.dates.asi8.tobytes())
        for name in PANELS.values():  # close_hkd, shares, free_float, traded_value_hkd, suspended
            h.update(np.ascontiguousarray(getattr(self, name)).tobytes())
        for frame in (
            self.securities,
            self.intervals,
            self.actions,
            self.relevance,
            self.fx.to_frame(),
        ):
            h.update(pd.util.hash_pandas_object(frame, index=False).values.tobytes())
        self._cache["fingerprint"] = digest = h.hexdigest()[:16]
        return digest

    def __repr__(self) -> str:
        tag = (" SYNTHETIC" if self.synthetic else "") + (" ADJUSTED" if self.is_adjusted else "")
        if self.warnings:
            tag += f", {len(self.warnings)} warning(s)"
        return (
            f"MarketData({len(self.dates)} sessions {self.dates[0].date()}..{self.dates[-1].date()}, "
            f"{len(self.codes_)} securities, {len(self.actions)} actions{tag}, source={self.source!r})"
        )

    # ------------------------------------------------------------------ build
    @classmethod
    def from_frames(
        cls,
        prices: pd.DataFrame,
        securities: pd.DataFrame,
        *,
        actions: pd.DataFrame | None = None,
        intervals: pd.DataFrame | None = None,
        relevance: pd.DataFrame | None = None,
        fx: pd.Series | pd.DataFrame | None = None,
        synthetic: bool = False,
        source: str = "frames",
        sources: Mapping[str, str] | None = None,
        plausibility: Plausibility | None = None,
        warnings: tuple[str, ...] | list[str] = (),
        closures=(),
    ) -> MarketData:
        """Validate tidy frames and align them into a :class:`MarketData`.

        Parameters
        ----------
        prices
            One row per (date, code) with :data:`PRICE_COLUMNS` (``suspended`` optional, default False).
            Every session between a security's first and last row must be present.
        securities
            The security master with :data:`SECURITY_COLUMNS`.
        actions, intervals, relevance
            Optional tables (see the module docstring); empty when omitted.
        fx
            HKD->CNY fixings (CNY per HKD) indexed by date, or a frame with ``date, hkd_cny``; must
            cover every session. Omitted: a constant placeholder 1.0, with a :class:`UserWarning`
            naming ``source`` (CNY figures then equal HKD figures) and :attr:`fx_is_placeholder`
            True.
        synthetic
            True for generated data; every report made from it says SYNTHETIC.
        source
            Where the frames came from (a folder path, "default_market", ``"adjusted:..."`` for
            vendor-adjusted prices); recorded as :attr:`source`.
        sources
            Optional labels for error messages, table name -> label (e.g. ``{"prices":
            "data/prices.csv"}``); :func:`engine.data.io.read_folder` passes the file paths so
            every error names the file (and, for CSV, the line).
        plausibility
            Thresholds of the plausibility checks (one-day price and issued-shares spikes, rights
            priced above the market); default :class:`~engine.data.plausibility.Plausibility()`.
            A finding raises :class:`DataError`, or with ``Plausibility(on_finding="warn")`` is
            carried in :attr:`warnings`.
        warnings
            Warnings already known about the data (e.g. from a loader), kept first in
            :attr:`warnings`.
        closures
            Whole-day closures of HKEX that the calendar does not know (dates, ``YYYY-MM-DD``
            strings or :class:`~engine.data.calendar.Closure`), beyond
            :data:`~engine.data.calendar.EXTRA_CLOSURES`: they are not sessions, so the data need
            no rows on them (and may have none).  Recorded as :attr:`closures`.  A session without
            a row for any code is an error that suggests declaring it here.
        """
        return validate.build(
            cls,
            prices=prices,
            securities=securities,
            actions=actions,
            intervals=intervals,
            relevance=relevance,
            fx=fx,
            synthetic=synthetic,
            source=source,
            sources=sources,
            plausibility=plausibility,
            warnings_in=tuple(warnings),
            closures=closures,
        )

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """The inverse of :meth:`from_frames`: tidy frames keyed ``prices, securities, actions,
        intervals, relevance, fx`` (rows outside a security's listed life are omitted)."""
        panels = {name: getattr(self, name) for name in PANELS.values()}
        fx = self.fx.rename("hkd_cny").rename_axis("date").reset_index()
        return {
            "prices": price_rows(self.dates, self.codes_, self.listed(), panels),
            "securities": self.securities.copy(),
            "actions": self.actions.copy(),
            "intervals": self.intervals.copy(),
            "relevance": self.relevance.copy(),
            "fx": fx,
        }


def price_rows(dates, codes, listed: np.ndarray, panels: dict) -> pd.DataFrame:
    """The tidy price rows (:data:`PRICE_COLUMNS`) of the ``listed`` cells of ``[day, code]``
    ``panels`` (``close_hkd, shares, free_float, traded_value_hkd, suspended``), day by day."""
    t_idx, j_idx = np.nonzero(listed)
    columns = {"date": dates[t_idx], "code": np.asarray(codes, dtype=object)[j_idx]}
    return pd.DataFrame(columns | {name: panels[name][t_idx, j_idx] for name in PRICE_COLUMNS[2:]})


__all__ = [
    "ACTION_COLUMNS",
    "ACTION_KINDS",
    "INTERVAL_KINDS",
    "MarketData",
    "PANELS",
    "PRICE_COLUMNS",
    "SECURITY_COLUMNS",
]
