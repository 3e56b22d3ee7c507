"""Assemble the tracking-error report of one fund run and write it as HTML and/or PDF.

The content (:class:`ReportContent`) is built once; :mod:`engine.report.html` and
:mod:`engine.report.pdf` render the same content, so both files always say the same thing.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from engine.analytics.compare import wide_panel
from engine.analytics.tracking import DEFAULT_WINDOW, METRICS, fund_tracking
from engine.conventions import PERIODS_PER_YEAR
from engine.errors import DataError, EngineError, describe
from engine.report import figures

FORMATS = ("html", "pdf")


@dataclass(frozen=True)
class Section:
    """One report section: a figure (or None), a caption, and an optional table."""

    title: str
    figure: object | None
    caption: str
    table: pd.DataFrame | None = None


@dataclass(frozen=True, eq=False)
class ReportContent:
    """Everything a rendered report shows (renderers add layout only)."""

    title: str
    subtitle: str
    synthetic: bool
    metrics_table: pd.DataFrame
    sections: tuple[Section, ...]
    settings: pd.DataFrame
    assumptions: tuple[str, ...]
    provenance: pd.DataFrame
    notes: tuple[str, ...] = ()
    engine_version: str = ""
    extra: dict = field(default_factory=dict)


# ------------------------------------------------------------------------------------------ pieces
def holding_weights(
    fund_result, index_result, market=None, date=None
) -> tuple[pd.DataFrame, pd.Timestamp]:
    """Fund stock weights vs index weights per code at ``date`` (default: the last holdings date).

    Fund weight :math:`h_i P_i / \\sum_j h_j P_j` (shares times close in HKD, cash excluded so that both
    columns sum to one); index weight from ``index_result.weights``. Uses ``fund_result.weights(date)``
    when the fund result offers it, else the closes of ``market``.
    """
    own = getattr(fund_result, "weights", None)
    if callable(own):  # the FundResult's own view (it keeps the closes it traded at)
        ts = fund_result.nav.index[-1] if date is None else pd.Timestamp(date)
        try:
            w = own(ts)
        except (EngineError, AttributeError, KeyError, TypeError):
            w = None
        if isinstance(w, pd.DataFrame) and {"fund", "index"} <= set(w.columns):
            out = w[["fund", "index"]].astype(float).copy()
            out["diff"] = out["fund"] - out["index"]
            out.index.name = "code"
            return out.sort_values("index", ascending=False, kind="stable"), ts
    if market is None:
        raise DataError(
            describe(
                "holding weights need the market's closes",
                source="tracking_report",
                field="market",
                fix="pass market= to tracking_report",
            )
        )
    hold = wide_panel(fund_result.holdings, source="fund_result.holdings").fillna(0.0)
    if hold.empty:
        raise DataError(describe("the fund has no holdings", source="fund_result.holdings"))
    ts = hold.index[-1] if date is None else pd.Timestamp(date)
    if ts not in hold.index:
        raise DataError(
            describe("no holdings on this date", source="fund_result.holdings", date=ts)
        )
    closes = market.panel("close").loc[ts]
    h = hold.loc[ts]
    h = h[h != 0]
    value = h * closes.reindex(h.index).to_numpy(dtype=float)
    if value.isna().any():
        bad = value.index[value.isna()][0]
        raise DataError(describe("held security has no close", source="market", date=ts, code=bad))
    w_fund = value / value.sum() if value.sum() > 0 else value * 0.0
    iw = wide_panel(index_result.weights, source="index_result.weights")
    w_index = iw.loc[ts].fillna(0.0) if ts in iw.index else pd.Series(dtype=float)
    codes = w_fund.index.union(w_index[w_index != 0].index)
    out = pd.DataFrame(
        {
            "fund": w_fund.reindex(codes, fill_value=0.0),
            "index": w_index.reindex(codes, fill_value=0.0),
        }
    )
    out["diff"] = out["fund"] - out["index"]
    out.index.name = "code"
    return out.sort_values("index", ascending=False, kind="stable"), ts


def settings_table(config) -> pd.DataFrame:
    """``setting, value`` rows from a dataclass config (``dataclasses.asdict``), else its ``vars``."""
    if config is None:
        return pd.DataFrame({"setting": ["config"], "value": ["(none recorded)"]})
    if dataclasses.is_dataclass(config):
        items = dataclasses.asdict(config)
    else:
        items = {k: v for k, v in vars(config).items() if not k.startswith("_")}
    return pd.DataFrame({"setting": list(items), "value": [str(v) for v in items.values()]})


def _provenance(fund_result, index_result, market) -> pd.DataFrame:
    import engine

    sched = getattr(index_result, "schedule", None)
    rows = [
        ("engine version", getattr(engine, "__version__", "?")),
        ("methodology", getattr(sched, "history", "") or getattr(index_result, "name", "")),
        ("methodology hash", getattr(sched, "methodology_hash", "") or "(not recorded)"),
        (
            "data fingerprint (index run)",
            getattr(sched, "data_fingerprint", "") or "(not recorded)",
        ),
    ]
    if market is not None and hasattr(market, "fingerprint"):
        rows.append(("data fingerprint (market)", market.fingerprint()))
        rows.append(("market source", getattr(market, "source", "")))
    meta = getattr(fund_result, "meta", None)
    if isinstance(meta, dict):
        rows.extend((f"fund {k}", str(v)) for k, v in meta.items())
    rows.append(("index", getattr(index_result, "name", "")))
    rows.append(("synthetic data", str(_is_synthetic(fund_result, index_result, market))))
    epoch = os.environ.get("SOURCE_DATE_EPOCH")  # reproducible builds: the CLI fixes it per run
    when = _dt.datetime.fromtimestamp(int(epoch), _dt.UTC) if epoch else _dt.datetime.now(_dt.UTC)
    rows.append(("generated (UTC)", when.strftime("%Y-%m-%d %H:%M:%S")))
    return pd.DataFrame(rows, columns=["item", "value"])


def _is_synthetic(fund_result, index_result, market) -> bool:
    return bool(
        getattr(fund_result, "synthetic", False)
        or getattr(index_result, "synthetic", False)
        or getattr(market, "synthetic", False)
    )


ASSUMPTIONS = (
    f"Periods per year p = {PERIODS_PER_YEAR} (median HKEX sessions per year 2010-2025); annualised return "
    "(1+R)^(p/n)-1, annualised volatility sqrt(p)*std (assumption).",
    "Benchmark = Hang Seng Innovative Drug Index (price return) converted at the valuation fixing, "
    "level_t * fx_t / fx_0 (CNY per HKD). The fund's official benchmark wording is UNCONFIRMED; by analogy "
    "with peer ETF 159567 it is most plausibly the price index adjusted by the valuation FX rate [S48].",
    "The net total-return index in CNY is reported beside it as an alternative benchmark.",
    "Tracking error is shown two ways: STD (centred, ddof=1; dispersion of daily active returns) and RMS "
    "(uncentred; includes the systematic drift, i.e. the tracking difference). Active return = fund daily "
    "return - benchmark daily return.",
    "Information ratio = annualised mean active return / annualised TE (STD); NaN, not 0, when TE is 0.",
    "Fund holding weights are stock weights excluding cash, so they sum to one like the index weights.",
    "Attribution contributions are differences of period returns between cumulative counterfactual fund "
    "runs in a fixed order; the order matters when effects interact.",
    "Fund settings marked 'assumption' in engine/fund/config.py (fees, costs, buffer, flows) are not "
    "confirmed from the fund contract.",
)


def _metrics_table(primary, secondary) -> pd.DataFrame:
    rows = []
    for key, (label, unit, definition) in METRICS.items():
        rows.append(
            {
                "metric": key,
                "label": label,
                "vs price index (CNY)": primary.metrics[key],
                "vs net TR index (CNY)": secondary.metrics[key]
                if secondary is not None
                else np.nan,
                "unit": unit,
                "definition": definition,
            }
        )
    return pd.DataFrame(rows)


def build_content(
    fund_result,
    index_result,
    *,
    market=None,
    attribution=None,
    window: int = DEFAULT_WINDOW,
    title: str | None = None,
) -> ReportContent:
    """Compute everything the report shows (see :func:`tracking_report`)."""
    import engine

    for attr in ("nav", "costs", "holdings"):
        if not hasattr(fund_result, attr):
            raise DataError(
                describe(
                    "fund result lacks an attribute the report needs",
                    source="fund_result",
                    field=attr,
                    fix="pass the FundResult returned by engine.fund.backtest",
                )
            )
    synthetic = _is_synthetic(fund_result, index_result, market)
    fx = market.fx if market is not None else None
    tr = fund_tracking(fund_result, index_result, fx=fx, variant="price", window=window)
    tr_net = fund_tracking(fund_result, index_result, fx=fx, variant="net", window=window)
    if synthetic and not tr.synthetic:
        tr = dataclasses.replace(tr, synthetic=True)
    notes: list[str] = []
    sections: list[Section] = []
    sections.append(
        Section(
            "Tracking difference by calendar year",
            None,
            "Year y runs from the last valuation of year y-1 (or the first of year y) to the last of year y; "
            "TD = fund return - benchmark return (price index, CNY).",
            tr.td_by_year(),
        )
    )
    sections.append(
        Section(
            "NAV per unit vs benchmark",
            figures.tracking_axes(tr, "levels"),
            "Fund NAV per unit (CNY) and the price-return index converted at the valuation fixing, both rebased to 1.",
        )
    )
    sections.append(
        Section(
            "Daily active returns",
            figures.tracking_axes(tr, "active"),
            "a_t = fund daily return - benchmark daily return, in basis points.",
        )
    )
    sections.append(
        Section(
            "Rolling tracking error",
            figures.tracking_axes(tr, "rolling"),
            f"Annualised over a {tr.window}-session window: STD (ddof=1) and RMS (uncentred).",
        )
    )
    # --- attribution
    wf = attribution
    if wf is None and market is not None:
        try:
            from engine.analytics.attribution import attribute

            nav = fund_result.nav
            wf = attribute(
                index_result,
                market,
                getattr(fund_result, "config", None),
                nav["flow_units"] if "flow_units" in nav else None,  # the run's own flows
                fx=nav["fx"] if "fx" in nav else None,  # and its own valuation fixing
                actual=fund_result,
            )
        except (ImportError, AttributeError) as exc:  # fund engine unavailable
            notes.append(f"Attribution waterfall not computed: {exc}")
            wf = None
    if wf is not None:
        last = wf.levels.iloc[:, -1]
        nav = fund_result.nav["nav_per_unit_cny"].reindex(last.index).astype(float)
        rel = np.abs(last.to_numpy() / last.iloc[0] - nav.to_numpy() / nav.iloc[0])
        if not np.all(np.isfinite(rel)) or rel.max() > 1e-9:
            notes.append(
                "The waterfall's last step does not reproduce this fund run's NAV (different settings or flows); "
                "its contributions explain that run, not this one."
            )
        sections.append(
            Section(
                "Attribution waterfall",
                figures.waterfall_figure(wf),
                "Cumulative counterfactual runs, each switching on one more effect; the bars add up to the "
                f"total difference. Residual from rounding: {wf.residual:.2e}.",
                wf.summary(),
            )
        )
    else:
        sections.append(
            Section(
                "Attribution waterfall",
                None,
                "Not computed: pass market= (to run the counterfactual fund runs) or attribution=<Waterfall>.",
            )
        )
    # --- costs
    try:
        costs = wide_panel(fund_result.costs, key="kind", source="fund_result.costs")
    except EngineError as exc:
        costs = None
        notes.append(f"Costs could not be read: {exc}")
    cost_table = None
    if costs is not None and not costs.empty:
        cost_table = (
            costs.sum().rename("total_cny").to_frame().sort_values("total_cny", ascending=False)
        )
    sections.append(
        Section(
            "Costs by kind",
            figures.costs_figure(costs, synthetic=synthetic),
            "Cumulative costs in CNY by kind, stacked (totals in the table).",
            cost_table,
        )
    )
    # --- weights
    try:
        w, wdate = holding_weights(fund_result, index_result, market)
        sections.append(
            Section(
                "Holding weights vs index weights",
                figures.weights_figure(w, synthetic=synthetic, date=wdate),
                f"Stock weights excluding cash on {wdate.date()}; sum of |fund - index| / 2 = "
                f"{0.5 * np.abs(w['diff']).sum():.4%}.",
                w.head(15),
            )
        )
    except EngineError as exc:
        sections.append(Section("Holding weights vs index weights", None, f"Not shown: {exc}"))
    if len(tr.excluded):
        notes.append(
            f"{len(tr.excluded)} date(s) were excluded by alignment (first: {tr.excluded[0].date()})."
        )
    bench_name = getattr(index_result, "name", "index")
    lv = tr.levels
    subtitle = (
        f"Fund NAV per unit (CNY) vs {bench_name} price index converted to CNY at the valuation fixing; "
        f"{lv.index[0].date()} to {lv.index[-1].date()}, {len(lv) - 1} daily returns"
    )
    return ReportContent(
        title=title or f"Tracking report: ETF 520500 vs {bench_name}",
        subtitle=subtitle,
        synthetic=synthetic,
        metrics_table=_metrics_table(tr, tr_net),
        sections=tuple(sections),
        settings=settings_table(getattr(fund_result, "config", None)),
        assumptions=ASSUMPTIONS,
        provenance=_provenance(fund_result, index_result, market),
        notes=tuple(notes),
        engine_version=getattr(engine, "__version__", ""),
        extra={"tracking": tr, "tracking_net": tr_net, "waterfall": wf},
    )


# ----------------------------------------------------------------------------------------- entry
def _targets(path, formats) -> dict[str, Path]:
    formats = tuple(formats)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise DataError(
            describe(
                "unknown report format",
                field="formats",
                value=formats,
                fix=f"use a subset of {FORMATS}",
            )
        )
    path = Path(path)
    base = path.with_suffix("") if path.suffix.lower() in (".html", ".pdf", ".htm") else path
    return {f: base.with_name(base.name + "." + f) for f in formats}


def tracking_report(
    fund_result,
    index_result,
    path,
    *,
    market=None,
    attribution=None,
    formats=("html", "pdf"),
    window: int = DEFAULT_WINDOW,
    title: str | None = None,
) -> dict[str, Path]:
    """Write the tracking-error report of ``fund_result`` against ``index_result``.

    Parameters
    ----------
    fund_result : FundResult
        Needs ``.nav`` (``nav_per_unit_cny``, ``fx``), ``.costs`` ([date, kind] CNY), ``.holdings``
        ([date, code] shares), ``.config``, ``.synthetic``.
    index_result : IndexResult
    path : path-like
        Base path; ``.html`` / ``.pdf`` suffixes are set per format (``out/report`` ->
        ``out/report.html``, ``out/report.pdf``).
    market : MarketData, optional
        Needed for the valuation fixing (else the fund's own ``nav["fx"]``), holding weights and
        the attribution waterfall.
    attribution : Waterfall, optional
        A precomputed waterfall; when None and ``market`` is given it is computed with
        :func:`engine.analytics.attribute` (several fund runs).
    formats : subset of ("html", "pdf")

    Returns
    -------
    dict
        Format -> written path. Each file is written atomically (temp file + ``os.replace``): an error
        while building leaves no file, and no partial one.

    The report holds: NAV vs benchmark, active returns, rolling TE, the waterfall, cumulative costs by
    kind, holding vs index weights at the latest date, the metrics table with definitions, settings,
    assumptions, provenance, and a SYNTHETIC banner when any input is synthetic.
    """
    from engine.report import html as html_mod
    from engine.report import pdf as pdf_mod

    targets = _targets(path, formats)
    content = build_content(
        fund_result,
        index_result,
        market=market,
        attribution=attribution,
        window=window,
        title=title,
    )
    payloads: dict[str, bytes] = {}
    if "html" in targets:
        payloads["html"] = html_mod.render(content).encode("utf-8")
    if "pdf" in targets:
        payloads["pdf"] = pdf_mod.render(content)
    return {fmt: html_mod.write_atomic(targets[fmt], payloads[fmt]) for fmt in targets}


def index_figure(
    results: dict, path, mark=("2025-08-11", "revision"), *, variant: str = "price"
) -> Path:
    """Plot the levels of several ``IndexResult`` runs with a dated marker and write the image atomically.

    The format follows the suffix of ``path`` (``.png`` default, ``.pdf``, ``.svg``).
    """
    from engine.report.html import write_atomic

    if not results:
        raise DataError(
            describe(
                "no index results to plot", field="results", fix="pass {'label': IndexResult, ...}"
            )
        )
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".") or "png"
    if fmt not in ("png", "pdf", "svg"):
        raise DataError(
            describe(
                "unsupported image format",
                source=str(path),
                value=fmt,
                fix="use .png, .pdf or .svg",
            )
        )
    if not path.suffix:
        path = path.with_suffix(".png")
    fig = figures.index_levels_figure(results, mark=mark, variant=variant)
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=120)
    return write_atomic(path, buf.getvalue())


__all__ = [
    "ASSUMPTIONS",
    "ReportContent",
    "Section",
    "build_content",
    "holding_weights",
    "index_figure",
    "settings_table",
    "tracking_report",
]
