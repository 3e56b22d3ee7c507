"""The version-comparison report (HTML and PDF) of :func:`engine.analytics.compare`.

Its own template on the shared content model (:class:`~engine.report.content.ReportContent`,
rendered by :mod:`engine.report.html` and :mod:`engine.report.pdf`): page one holds the comparison's
key figures and the two runs' levels; the settings page is headed "Runs compared" and lists what was
compared (no fund settings); dates that do not exist read "n/a", never ``NaT``.
"""

from __future__ import annotations

import pandas as pd

from engine import plotting
from engine._display import fmt
from engine.report.content import ReportContent, Section, drawing
from engine.report.desk import generated_stamp
from engine.report.tracking import _targets, write_report


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


def _key_figures(comparison) -> pd.DataFrame:
    la, lb = comparison.labels
    s = comparison.summary()
    against = f"{la} index (price)"
    rows = [
        (f"return, {la}", fmt(s[f"return_{la}"], "%"), "price index, over the period"),
        (f"return, {lb}", fmt(s[f"return_{lb}"], "%"), "price index, over the period"),
        ("return difference", fmt(s["return_difference"], "%"), f"{lb} - {la}, compounded"),
        ("selection effect", fmt(s["selection_effect"], "%"), f"vs {against}, arithmetic sum"),
        ("weighting effect", fmt(s["weighting_effect"], "%"), f"vs {against}, arithmetic sum"),
        ("tracking error, STD", fmt(s["tracking_error_std"], "%"), f"vs {against}, annualised"),
    ]
    cxo = comparison.cxo
    if lb in cxo.index:
        rows.append(
            (f"CXO weight removed, {lb}", fmt(cxo.at[lb, "removed"], "%"),
             f"weight of CXO codes before - at {comparison.split.date()}")
        )  # fmt: skip
    return pd.DataFrame(rows, columns=["figure", "value", "measured against"])


def _dated(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates as ``YYYY-MM-DD``, a missing date as ``n/a``."""
    out = frame.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = [fmt(d, "date") for d in out[c]]
    return out


def _rules_table(comparison) -> pd.DataFrame | None:
    rules = getattr(comparison, "fund_rules", {}) or {}
    if not rules:
        return None
    rows = []
    for label, result in rules.items():
        row = result.verdict_row(label)
        rows.append((label, row["value"], row["against"], row["note"]))
    return pd.DataFrame(rows, columns=["run", "reviews failing", "rule set", "detail"])


def _sections(comparison) -> tuple[Section, ...]:
    la, lb = comparison.labels
    split = comparison.split.date()
    changes = _dated(comparison.changes)
    at_split = changes[changes["effective_date"] == str(split)]
    cxo = comparison.cxo.map(lambda v: fmt(v, "%"))

    def shares(axes):
        plotting.active_share_axes(comparison.base, axes[0])
        plotting.turnover_axes(comparison.base, axes[1])

    out = [
        Section(
            "Active share and turnover",
            shares,
            "Top: active share by day, % of weight. Bottom: one-way turnover at each review, % "
            "(half the sum of absolute weight changes).",
            panels=2,
            height=5.6,
            bottom=0.75,
        ),
        Section(
            f"Membership changes at {split}",
            None,
            "Codes entering or leaving, with the rule that decided them.",
            at_split.set_index("code") if len(at_split) else None,
        ),
        Section(
            f"Weight differences at the last date ({lb} - {la})",
            None,
            f"weight in {lb} - weight in {la}, fractions of 1, largest first (25 shown).",
            comparison.weight_diff().head(25),
        ),
        Section(
            "Risk of each run",
            None,
            "Total return, annualised volatility and maximum drawdown of each price index, "
            "fractions of 1.",
            comparison.risk,
        ),
        Section(
            "CXO weight around the revision",
            None,
            f"Weight of CXO codes at the close before {split} and at its close, in %; n/a where "
            "the run has no such date. Removed: the weight before of the CXO codes a run no longer "
            "holds at the split; drift: the rest of the change (price moves), not a removal.",
            cxo,
        ),
    ]
    rules = _rules_table(comparison)
    if rules is not None:
        out.append(
            Section(
                "Index-fund rules of each run",
                None,
                "Reviews failing the Shanghai/Shenzhen index-fund rule set (at least 30 names, "
                "largest at most 15%, top five at most 60%, liquidity) in each run.",
                rules,
            )
        )
    out.append(
        Section(
            "All membership changes",
            None,
            "Every entry and exit at each review.",
            changes.set_index("code"),
        )  # fmt: skip
    )
    return tuple(out)


def build_comparison_content(comparison, title: str | None = None) -> ReportContent:
    """Everything the comparison report shows."""
    la, lb = comparison.labels
    settings = pd.DataFrame(
        {
            "item": ["run a", "run b", "split date", "levels compared"],
            "value": [la, lb, fmt(comparison.split, "date"), "price index of each run"],
        }
    )
    prov = pd.DataFrame(
        [(k, fmt(v, "date") if isinstance(v, pd.Timestamp) or v is pd.NaT else str(v))
         for k, v in comparison.base.meta.items()],
        columns=["item", "value"],
    )  # fmt: skip
    meta = comparison.base.meta
    version = str(meta.get("engine_version", ""))
    headline = Section(
        f"{lb} against {la}",
        drawing(plotting.versions_figure, comparison),
        "Levels rebased to 1 and, on the right axis, the cumulative selection and weighting "
        f"effects (arithmetic sums of daily effects, fractions of 1); the dashed line is {la} -> "
        f"{lb} split date {comparison.split.date()}.",
        height=4.6,
    )
    return ReportContent(
        title=title or f"Methodology comparison: {lb} against {la}",
        subtitle="Membership, weights, turnover, risk, selection and weighting effects, and the "
        "ETF's trading cost at the revision.",
        synthetic=bool(comparison.synthetic),
        metrics_table=_metrics(comparison),
        sections=_sections(comparison),
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
        engine_version=version,
        key_figures=_key_figures(comparison),
        headline=headline,
        stamp=generated_stamp(version, str(meta.get("data_fingerprint", ""))),
        settings_title="Runs compared",
        settings_intro="The two index runs and the date at which they are compared.",
        metrics_title="Comparison figures",
        metrics_intro=f"Every figure of the comparison; 'against' names the reference run ({la}).",
    )


def comparison_report(comparison, path, *, formats=("html", "pdf"), title=None) -> dict:
    """Write the report of a :class:`engine.analytics.versions.VersionComparison`.

    ``path`` is a base path (``out/compare`` -> ``out/compare.html``, ``out/compare.pdf``); returns
    format -> path; files are written atomically.
    """
    _targets(path, formats)  # a bad path or format fails before any work
    return write_report(build_comparison_content(comparison, title=title), path, formats)


__all__ = ["build_comparison_content", "comparison_report"]
