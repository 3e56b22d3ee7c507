"""The sources a report cites, written out in full, and the clean-up of text that comes from code.

Settings documentation and assumptions cite sources by tag (``[S48]``, ``[R1]``); a reader of the
report has no access to the project's reference notes, so :func:`appendix` lists every cited tag with
its title, publisher, address and date, and :func:`plain` removes code markup (reStructuredText roles,
double backquotes) and replaces paths to the reference notes by a pointer to that list.
"""

from __future__ import annotations

import csv
import io
import re
from importlib import resources
from typing import NamedTuple

import pandas as pd


class Source(NamedTuple):
    """One cited source: what it is, who published it, where, and when (as far as known)."""

    tag: str
    title: str
    publisher: str
    url: str
    date: str


def _read_sources() -> tuple[Source, ...]:
    """The rows of ``sources.csv`` beside this module (``tag, title, publisher, url, date``)."""
    text = resources.files("engine.report").joinpath("sources.csv").read_text(encoding="utf-8")
    return tuple(Source(**row) for row in csv.DictReader(io.StringIO(text)))


SOURCES: tuple[Source, ...] = _read_sources()
"""Every source a report may cite, by tag (S: index and fund facts, R: regulatory conventions), read
from ``engine/report/sources.csv`` (one row a source: add a source there)."""

_BY_TAG = {s.tag: s for s in SOURCES}
_TAG = re.compile(r"\[([SR]\d+)\]")
_RANGE = re.compile(r"\[R(\d+)\]-\[R(\d+)\]")
_REFERENCE_PATH = re.compile(
    r"(?:\.\./shared/)?reference/tracking-standards\.md(?: section \d+)?", re.IGNORECASE
)
_RESEARCH_PATH = re.compile(r"\(?(?:see )?(?:\.\./shared/)?reference/methodology-research\.md\)?")
_ROLE = re.compile(r":(data|math|func|meth|attr|class|mod|obj|ref|doc):`~?([^`]*)`")


def _role(m: re.Match) -> str:
    role, body = m.group(1), m.group(2)
    if role == "math" or "(" in body or " " in body:
        return body
    return body.rsplit(".", 1)[-1]  # :data:`engine.fund.EtfConfig.benchmark` -> benchmark


def plain(text) -> str:
    """``text`` without code markup: ``:role:`x``` and ````x```` become ``x``, a path to the
    reference notes becomes a pointer to the sources listed at the end of the report."""
    s = str(text)
    s = _ROLE.sub(_role, s)
    s = s.replace("``", "")
    s = _REFERENCE_PATH.sub("[R1]-[R5] (see Sources)", s)
    s = _RESEARCH_PATH.sub("(see Sources)", s)
    return s


def cited(*texts) -> list[str]:
    """The tags cited in ``texts`` (strings, or tables whose cells are searched), in order of the
    list :data:`SOURCES`; a regulatory path counts as citing R1 to R5."""
    found: set[str] = set()
    for t in texts:
        if isinstance(t, pd.DataFrame):
            cells = [str(v) for v in t.astype(str).to_numpy().ravel()]
            cells += [str(c) for c in t.columns]
        else:
            cells = [str(t)]
        for c in cells:
            text = plain(c)
            found.update(_TAG.findall(text))
            for a, b in _RANGE.findall(text):  # [R1]-[R5]: every tag between
                found.update(f"R{k}" for k in range(int(a), int(b) + 1))
    return [s.tag for s in SOURCES if s.tag in found]


def appendix(tags) -> pd.DataFrame:
    """The sources of ``tags`` in full: ``source, title, publisher, address, date``."""
    rows = [_BY_TAG[t] for t in tags if t in _BY_TAG]
    return pd.DataFrame(
        {
            "source": [f"[{s.tag}]" for s in rows],
            "title": [s.title for s in rows],
            "publisher": [s.publisher for s in rows],
            "address": [s.url for s in rows],
            "date": [s.date for s in rows],
        }
    )


__all__ = ["SOURCES", "Source", "appendix", "cited", "plain"]
