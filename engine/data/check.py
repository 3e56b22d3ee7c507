"""``check_folder``: every problem in a market data folder, in one pass.

:func:`~engine.data.io.read_folder` stops at the first problem, which suits a build; a person
fixing a folder wants the whole list.  :func:`check_folder` runs the same checks (and the
plausibility checks, as errors) in collect mode: each problem is a row naming the file, row, date,
code and field (at most :attr:`~engine.data.validate.Report.limit` rows per check, then a count),
and checking goes on without the rows at fault.  ``hsidi check PATH`` prints the list.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from engine._display import Result, Summary, result_html
from engine.data.calendar import closure_dates
from engine.data.io import META_FILE, TABLES, _load, meta_closures, read_folder
from engine.data.market import MarketData
from engine.data.plausibility import Plausibility
from engine.data.validate import PROBLEM_COLUMNS, Report, build
from engine.errors import DataError


@dataclass(frozen=True)
class CheckReport(Result):
    """The problems found in a data folder by :func:`check_folder`.

    Attributes
    ----------
    path
        The folder checked.
    problems
        One row per problem: ``file, row, date, code, field, message`` (row counted from 0 over the
        data rows; None where a problem has no row).
    warnings
        Findings that do not stop a build (a last line without a line end, lasting share changes
        without a corporate action, ...), as :attr:`MarketData.warnings` would carry them.
    """

    _figure = "check_figure"

    path: str
    problems: pd.DataFrame
    warnings: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """True when no problem was found (warnings do not count)."""
        return len(self.problems) == 0

    def lines(self) -> list[str]:
        """One line per problem (the message names file, row, date, code and field), then one
        per warning prefixed ``warning:``."""
        return [*self.problems["message"].astype(str), *(f"warning: {w}" for w in self.warnings)]

    def summary(self):
        files = self.problems["file"].dropna().nunique()
        return Summary(
            [
                {"metric": "problems", "value": len(self.problems), "unit": "count"},
                {"metric": "files_with_problems", "value": files, "unit": "count"},
                {"metric": "warnings", "value": len(self.warnings), "unit": "count"},
                {"metric": "ok", "value": "yes" if self.ok else "no", "unit": "text"},
            ],
            title=f"check {self.path}",
        )

    def to_frame(self) -> pd.DataFrame:
        return self.problems.copy()

    def __repr__(self) -> str:
        state = "ok" if self.ok else f"{len(self.problems)} problem(s)"
        return f"CheckReport({self.path!r}: {state}, {len(self.warnings)} warning(s))"

    def _repr_html_(self) -> str:
        """The base's repr and summary, then every problem (what a person fixing the folder reads)."""
        return result_html(self) + (self.problems.to_html(index=False) if not self.ok else "")


def check_folder(
    path: str | os.PathLike,
    *,
    plausibility: Plausibility | None = None,
    limit: int = 20,
    closures=(),
) -> CheckReport:
    """Check a market data folder and list every problem (see the module docstring).

    Parameters
    ----------
    path
        The folder (the layout of ``docs/data-format.md``).
    plausibility
        Thresholds of the plausibility checks; default ``Plausibility(on_finding="error")``: a
        finding is a problem here (a build would carry it as a warning).
    limit
        At most this many rows listed per check (the rest counted in one line).
    closures
        Whole-day closures declared beyond the calendar's and the ``closures`` of ``meta.json``
        (see :func:`~engine.data.io.read_folder`).

    Raises
    ------
    DataError
        The folder cannot be read at all: it does not exist, has no ``prices`` or ``securities``
        file, or its ``meta.json`` is unreadable (``hsidi check`` exits 2).
    """
    path = Path(path)
    plaus = plausibility or Plausibility(on_finding="error")
    rep = Report(collect=True, limit=limit)
    meta, files, tables, warned = _load(path, rep)
    try:
        declared = (*meta_closures(meta, path), *closure_dates(closures))
    except DataError as exc:
        rep.record(str(exc), source=str(path / META_FILE), field="closures")
        declared = closure_dates(closures)
    if "prices" in tables and "securities" in tables:
        try:
            build(
                MarketData,
                **{name: tables.get(name) for name in TABLES},
                synthetic=False,
                source=str(path),
                sources={name: str(file) for name, file in files.items()},
                plausibility=plaus,
                report=rep,
                closures=declared,
            )
        except DataError as exc:  # a problem with a whole table (missing columns, no rows)
            rep.record(str(exc), source=str(path))
    if not rep.problems and meta.get("fingerprint"):
        try:  # clean data: the fingerprint in meta.json must match too
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                read_folder(path, plausibility=plaus.replace(on_finding="warn"), closures=closures)
        except DataError as exc:
            rep.record(str(exc), source=str(path / META_FILE), field="fingerprint")
    problems = pd.DataFrame(rep.problems, columns=PROBLEM_COLUMNS)
    found = tuple(dict.fromkeys([*warned, *rep.warnings]))
    return CheckReport(str(path), problems.astype(object), found)


__all__ = ["CheckReport", "check_folder"]
