"""The version-comparison report (HTML and PDF) of :func:`engine.analytics.compare`.

Laid out with the tracking report's content model and renderers (:class:`ReportContent`,
:func:`engine.report.html.render`, :func:`engine.report.pdf.render`, atomic writes).
"""

from __future__ import annotations

import pandas as pd

from engine import plotting
from engine._display import fmt
from engine.report.tracking import ReportContent, Section, _targets


def _metrics(comparison) -> pd.DataFrame:
    s = comparison.summary().to_frame()
    return pd.DataFrame(
        {
            "metric": s["metric"],
            "label": s["metric"].str.replace("_", " "),
            "value": [fmt(v, u) for v, u in zip(s["value"], s["unit"], strict=True)],
            "against": s["against"],
            "unit": s["unit"],
            "definition": s["note"],
        }
    )


def build_comparison_content(comparison, title: str | None = None) -> ReportContent:
    """Everything the comparison report shows."""
    la, lb = comparison.labels
    fig_levels = plotting.versions_figure(comparison)
    fig_base = plotting.comparison_figure(comparison.base)
    changes = comparison.changes.copy()
    changes["effective_date"] = changes["effective_date"].dt.date
    at_split = changes[changes["effective_date"] == comparison.split.date()]
    wd = comparison.weight_diff().head(25)
    sections = (
        Section(
            f"{lb} against {la}",
            fig_levels,
            "Levels rebased to 1 and the cumulative selection and weighting effects "
            "(arithmetic sums of daily effects); the dashed line is the split date.",
        ),
        Section(
            "Active share and turnover",
            fig_base,
            "Levels, active share and one-way turnover per review of both runs.",
        ),
        Section(
            f"Membership changes at {comparison.split.date()}",
            None,
            "Codes entering or leaving, with the rule that decided them.",
            at_split.set_index("code") if len(at_split) else None,
        ),
        Section(
            "All membership changes",
            None,
            "Every entry and exit at each review.",
            changes.set_index("code"),
        ),
        Section(
            "Weight differences at the last date",
            None,
            f"weight_{lb} - weight_{la}, largest first (25 shown).",
            wd,
        ),
        Section(
            "Risk of each run",
            None,
            "Total return, annualised volatility, maximum drawdown.",
            comparison.risk,
        ),
        Section(
            "CXO weight around the revision",
            None,
            "Weight of is_cxo codes at the close before the split date and at its close; removed: "
            "the weight before of the CXO codes a run no longer holds at the split; drift: the rest "
            "of the change (price moves), not a removal.",
            comparison.cxo,
        ),
    )
    settings = pd.DataFrame(
        {
            "setting": ["run a", "run b", "split date"],
            "value": [la, lb, str(comparison.split.date())],
        }
    )
    prov = pd.DataFrame(
        [(k, str(v)) for k, v in comparison.base.meta.items()], columns=["item", "value"]
    )
    return ReportContent(
        title=title or f"Methodology comparison: {lb} against {la}",
        subtitle="Membership, weights, turnover, risk, selection and weighting effects, and the "
        "ETF's trading cost at the revision.",
        synthetic=bool(comparison.synthetic),
        metrics_table=_metrics(comparison),
        sections=sections,
        settings=settings,
        assumptions=(
            "Selection and weighting effects in the key figures are Carino-linked (geometric "
            "linking): they add up to the compounded return difference; the chart's cumulative "
            "effects are arithmetic sums of the daily effects.",
            "Start-of-day weights are index shares times the previous close as the index adjusts it "
            "for corporate actions.",
            "The ETF's trading cost is the fund simulator's, with its default (assumed) cost rates.",
        ),
        provenance=prov,
        warnings=tuple(comparison.warnings),
        engine_version=str(comparison.base.meta.get("engine_version", "")),
    )


def comparison_report(comparison, path, *, formats=("html", "pdf"), title=None) -> dict:
    """Write the report of a :class:`engine.analytics.versions.VersionComparison`.

    ``path`` is a base path (``out/compare`` -> ``out/compare.html``, ``out/compare.pdf``); returns
    format -> path; files are written atomically.
    """
    from engine.report import html as html_mod
    from engine.report import pdf as pdf_mod

    targets = _targets(path, formats)
    content = build_comparison_content(comparison, title=title)
    payloads = {}
    if "html" in targets:
        payloads["html"] = html_mod.render(content).encode("utf-8")
    if "pdf" in targets:
        payloads["pdf"] = pdf_mod.render(content)
    return {f: html_mod.write_atomic(targets[f], payloads[f]) for f in targets}


__all__ = ["build_comparison_content", "comparison_report"]
