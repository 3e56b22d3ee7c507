"""Report stage: a self-contained HTML report and a PDF (figures from :mod:`engine.plotting`).

Quick use::

    from engine import report
    paths = report.tracking_report(fund_result, index_result, "out/tracking", market=market)
    report.index_figure({"launch": launch, "revision": revision}, "out/index.png")
"""

from engine.analytics.holdings import holding_weights  # deprecated here: use engine.analytics
from engine.report.compare import comparison_report
from engine.report.html import write_atomic
from engine.report.tracking import ReportContent, build_content, index_figure, tracking_report

__all__ = [
    "ReportContent",
    "build_content",
    "comparison_report",
    "holding_weights",
    "index_figure",
    "tracking_report",
    "write_atomic",
]
