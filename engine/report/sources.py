"""The sources a report cites, written out in full, and the clean-up of text that comes from code.

Settings documentation and assumptions cite sources by tag (``[S48]``, ``[R1]``); a reader of the
report has no access to the project's reference notes, so :func:`appendix` lists every cited tag with
its title, publisher, address and date, and :func:`plain` removes code markup (reStructuredText roles,
double backquotes) and replaces paths to the reference notes by a pointer to that list.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import pandas as pd


class Source(NamedTuple):
    """One cited source: what it is, who published it, where, and when (as far as known)."""

    tag: str
    title: str
    publisher: str
    url: str
    date: str


SOURCES: tuple[Source, ...] = (
    Source(
        "S3",
        "Hang Seng Indexes notice of 1 Aug 2025 and the AUM of ETF 520500 (news item)",
        "kuaijing88.com",
        "http://www.kuaijing88.com/article/7327.html",
        "Aug 2025",
    ),
    Source(
        "S16",
        "Flows and size of ETF 520500, including its end-2024 units and assets",
        "Tiger Brokers news (itiger.com)",
        "https://www.itiger.com/news/1120900794",
        "Oct 2025",
    ),
    Source(
        "S48",
        "Fund profile of ETF 159567: benchmark wording and fee rates",
        "10jqka (Tonghuashun) fund pages",
        "http://fund.10jqka.com.cn/159567/manager.html",
        "undated (read 2026)",
    ),
    Source(
        "S49",
        "Fund profile of ETF 513550: fee rates",
        "East Money fund pages",
        "https://fund.eastmoney.com/data/xininfo_513550.html",
        "undated (read 2026)",
    ),
    Source(
        "S50",
        "Fund profile of a Hang Seng biotech feeder fund (025221): fee rates",
        "East Money fund pages",
        "http://fund.eastmoney.com/data/xininfo_025221.html",
        "undated (read 2026)",
    ),
    Source(
        "S51",
        "Cross-border ETFs: same-day (T+0) trading and the 100-unit lot",
        "cofool.com Q&A",
        "https://licai.cofool.com/ask/qa_3875071.html",
        "undated (read 2026)",
    ),
    Source(
        "S52",
        "Dividend tax on Hong Kong shares held through Stock Connect",
        "Xueqiu",
        "https://ai.xueqiu.com/1785441490/356248420",
        "undated (read 2026)",
    ),
    Source(
        "S53",
        "Dividend withholding for QDII funds compared with Stock Connect (weak source)",
        "yuhaojiang.com",
        "https://www.yuhaojiang.com/redian/1353163.html",
        "undated (read 2026)",
    ),
    Source(
        "S54",
        "Hong Kong stamp duty on stock transfers cut to 0.10% from 17 Nov 2023",
        "LFF Securities",
        "https://lff.com.hk/en/news/reduction-of-stamp-duty-20231117",
        "Nov 2023",
    ),
    Source(
        "S55",
        "Important notice on the stamp duty change",
        "uTrade (Hong Kong broker)",
        "https://utrade.com.hk/en/login/important-notice",
        "Nov 2023",
    ),
    Source(
        "S57",
        "Securities trading fees: SFC and AFRC levies, HKEX trading fee",
        "Hong Kong Exchanges and Clearing (HKEX)",
        "https://www.hkex.com.hk/Services/Rules-and-Forms-and-Fees/Fees/Securities-(Hong-Kong)"
        "/Trading/Transaction",
        "read 2026",
    ),
    Source(
        "R1",
        "Circular 14EC24 on tracking difference and tracking error of ETFs (in force 4 Jan 2015)",
        "Securities and Futures Commission, Hong Kong (SFC)",
        "https://www.sfc.hk",
        "4 Jul 2014",
    ),
    Source(
        "R2",
        "Guidelines on ETFs and other UCITS issues (ESMA/2012/832)",
        "European Securities and Markets Authority (ESMA)",
        "https://www.esma.europa.eu",
        "2012",
    ),
    Source(
        "R3",
        "Circular on passive funds: tracking error and tracking difference limits",
        "Securities and Exchange Board of India (SEBI)",
        "https://www.sebi.gov.in",
        "May 2022",
    ),
    Source(
        "R4",
        "Mainland equity ETF fund contracts and the CSRC quarterly report, section 3.2 "
        "(tracking deviation, annual tracking error, the period table)",
        "China Securities Regulatory Commission (CSRC) and the fund managers",
        "http://www.csrc.gov.cn",
        "contracts of 2023-2025",
    ),
    Source(
        "R5",
        "Shanghai and Shenzhen exchange guidelines for index funds, as revised (summary; "
        "exact wording unconfirmed)",
        "Shanghai / Shenzhen Stock Exchanges",
        "https://www.sse.com.cn",
        "19 Nov 2025",
    ),
)
"""Every source a report may cite, by tag (S: index and fund facts, R: regulatory conventions)."""

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
