"""Assemble the tracking-error report of one fund run and write it as HTML and/or PDF.

The content (:class:`ReportContent`) is built once; :mod:`engine.report.html` and
:mod:`engine.report.pdf` render the same content, so both files always say the same thing.

Every tracking figure is taken against the fund's ``config.benchmark`` at its own valuation fixing,
the same numbers as ``FundResult.summary()`` and the waterfall.  Page one holds the key figures
(period, returns, TD, TE STD and RMS, information ratio, the largest active drawdown, costs per
year) and the NAV and rolling-TE chart; a stamp says when (``SOURCE_DATE_EPOCH`` when set), by
which engine version and from which data it was generated.  The PDF draws every figure as vector
graphics on A4 pages, two figures a page where they fit; cited sources are listed in full at the
end.

The report holds: TD by year and by month, the active return's drawdown and distribution, NAV vs
benchmark, active returns, rolling TE, units and flows, the waterfall (arithmetic, and log per
year) with its table, costs by kind in bp of NAV with a table, holding vs index weights at the
latest date, the metrics table with definitions (one column per benchmark, each named), settings
(assumptions marked), assumptions, warnings, provenance, and a SYNTHETIC banner when any input is
synthetic; with the tracking-desk inputs (``regulatory``, ``capacity``, ``desk``) their sections.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import io
import os
from pathlib import Path

import pandas as pd

import engine
from engine import plotting
from engine._display import fmt
from engine._files import write_bytes
from engine.analytics.active import active_stats
from engine.analytics.attribution import attribute, cost_drag, cost_table
from engine.analytics.compare import methodology_changes
from engine.analytics.holdings import holding_weights
from engine.analytics.tracking import DEFAULT_WINDOW, METRICS, fund_benchmark, fund_tracking
from engine.conventions import PERIODS_PER_YEAR
from engine.errors import DataError, EngineError
from engine.report.content import ReportContent, Section, drawing
from engine.report.desk import (
    active_sections,
    capacity_sections,
    desk_sections,
    generated_stamp,
    headline,
    holdings_section,
    key_figures,
    regulatory_sections,
)
from engine.report.settings import settings_table
from engine.report.sources import appendix, cited

FORMATS = ("html", "pdf")


# ------------------------------------------------------------------------------------------ pieces
def collect_warnings(*objects) -> tuple[str, ...]:
    """The ``warnings`` carried by results and the market (``MarketData.warnings``, result warnings),
    in order, without repeats; objects without the attribute add nothing."""
    carried = (str(w) for obj in objects for w in tuple(getattr(obj, "warnings", ()) or ()))
    return tuple(dict.fromkeys(carried))


def _provenance(fund_result, index_result, market) -> pd.DataFrame:
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
    return any(bool(getattr(x, "synthetic", False)) for x in (fund_result, index_result, market))


ASSUMPTIONS = (
    f"Periods per year p = {PERIODS_PER_YEAR} (median HKEX sessions per year 2010-2025); annualised return "
    "(1+R)^(p/n)-1, annualised volatility sqrt(p)*std (assumption).",
    "Benchmark = the fund setting benchmark (default: the Hang Seng Innovative Drug Index price index) "
    "converted at the fund's valuation fixing, level_t * fx_t / fx_0 (CNY per HKD); every tracking "
    "difference and tracking error is named after it. The fund's official benchmark wording is "
    "UNCONFIRMED; by analogy with peer ETF 159567 it is most plausibly the price index adjusted by the "
    "valuation FX rate [S48] (assumption). The other index variants are reported beside it, each named.",
    "Tracking error is shown two ways: STD (centred, ddof=1; dispersion of daily active returns) and RMS "
    "(uncentred; includes the systematic drift, i.e. the tracking difference). Active return = fund daily "
    "return - benchmark daily return.",
    "Information ratio = annualised mean active return / annualised TE (STD); NaN, not 0, when TE is 0.",
    "Fund holding weights are stock weights excluding cash, so they sum to one like the index weights.",
    "Attribution: cumulative counterfactual fund runs in a fixed order, each switching on one more effect; "
    "the order matters when effects interact.",
    "Costs in bp of NAV: the sum over days of each day's cost divided by that day's NAV (the drag on the "
    "return per unit, to first order); per year = that sum over the ACT/365 length of the run.",
    "Fund settings marked ASSUMPTION in the settings table (the engine's EtfConfig) are not "
    "confirmed from the fund contract.",
)

SCALING_NOTE = (
    "How to read the two kinds of contribution. Arithmetic contributions are differences of period "
    "returns, R_k - R_(k-1); they add up to the tracking difference above, but each is scaled by the "
    "market's growth: an effect that takes a fraction f off the NAV shows as about -(1 + R) f, so in a "
    "year the index rises by R = 76% a 0.60% fee reads about -106 bp. Log (geometric) contributions, "
    "ln(1+R_k) - ln(1+R_(k-1)), add up exactly to the log tracking difference ln((1+R_fund)/(1+R_bench)) "
    "and are not scaled: the same fee reads about -60 bp, and per year (divided by the run's ACT/365 "
    "years) it reads against the annual rate."
)


def _metrics_table(primary, others) -> pd.DataFrame:
    """Metric rows (label, unit, one value column per benchmark, definition); the first value column is
    the fund's benchmark, headed ``vs <name> (benchmark)``, the others ``vs <name>``."""
    cols = {f"vs {primary.benchmark} (benchmark)": primary}
    cols.update({f"vs {tr.benchmark}": tr for tr in others})
    rows = [
        {"metric": key, "label": label, "unit": unit}
        | {head: tr.metrics[key] for head, tr in cols.items()}
        | {"definition": definition}
        for key, (label, unit, definition) in METRICS.items()
    ]
    return pd.DataFrame(rows)


def _td_by_year(tr) -> pd.DataFrame:
    """``TrackingResult.td_by_year()`` with the returns and the TD in %, named after the benchmark."""
    t, bench = tr.td_by_year(), tr.benchmark
    names = {
        "fund_return": "fund return",
        "benchmark_return": f"{bench} return",
        "td": f"TD vs {bench}",
    }
    out = t.astype(object).rename(columns=names)
    for column, name in names.items():
        out[name] = [fmt(v, "%") for v in t[column]]
    return out


def _revision_marks(index_result, mark) -> tuple:
    """``mark``: None (the reviews where the methodology changes), a ``(date, label)`` pair, a sequence of
    pairs, or ``()`` for none."""
    if mark is not None:
        if not mark:
            return ()
        if len(mark) == 2 and isinstance(mark[1], str):
            return (tuple(mark),)
        return tuple(tuple(m) for m in mark)
    try:
        changes = methodology_changes(index_result)
    except AttributeError:
        return ()
    return tuple((d, "revision") for d, _ in changes)


def _check_fund(fund_result) -> None:
    for attr in ("nav", "costs", "holdings"):
        if not hasattr(fund_result, attr):
            raise DataError(
                "fund result lacks an attribute the report needs",
                source="fund_result",
                field=attr,
                fix="pass the FundResult returned by engine.fund.backtest",
            )


def flow_timing_text(config) -> str:
    """What the flow-timing effect rests on: ``EtfConfig.flow_lag_sessions`` and
    ``EtfConfig.creation_true_up`` of ``config`` (their values when recorded)."""
    lag = getattr(config, "flow_lag_sessions", None)
    true_up = getattr(config, "creation_true_up", None)
    lag_part = (
        f"EtfConfig.flow_lag_sessions = {lag}: creation cash received at a day's NAV is invested "
        f"{lag} session(s) later"
        if lag is not None
        else "EtfConfig.flow_lag_sessions (not recorded for this run)"
    )
    who = {True: "the creating participant (EtfConfig.creation_true_up = True)",
           False: "the fund (EtfConfig.creation_true_up = False)"}.get(
        true_up, "the fund unless EtfConfig.creation_true_up is on")  # fmt: skip
    return (
        f"The flow-timing effect rests on {lag_part}; the price move over that lag is borne by "
        f"{who}."
    )


def _tracking_sections(tr, fund_result, synthetic, marks) -> list[Section]:
    """TD by year, active returns, units and flows."""
    bench = tr.benchmark
    lag_text = flow_timing_text(getattr(fund_result, "config", None))
    nav = fund_result.nav
    out = [
        Section(
            "Tracking difference by calendar year",
            None,
            "Year y runs from the last valuation of year y-1 (or the first of year y) to the last "
            f"of year y; TD = fund return - benchmark return, benchmark {bench}.",
            _td_by_year(tr),
        ),
        Section(
            "Daily active returns",
            drawing(plotting.tracking_axes, tr, "active", marks=marks),
            f"a_t = fund daily return - {bench} daily return, in basis points per day.",
            height=3.0,
        ),
    ]
    if "units" in nav:

        def draw(axes):
            plotting.units_axes(fund_result, axes[0], synthetic=synthetic, marks=marks)
            plotting.flows_axes(fund_result, axes[1], marks=marks)

        out.append(
            Section(
                "Units outstanding and flows",
                draw,
                "Units outstanding (millions) and the units created (+) or redeemed (-) each day "
                f"(millions a day). {lag_text}",
                panels=2,
                height=5.0,
            )
        )
    else:
        out.append(Section("Units outstanding and flows", None, "Not shown: no units in the NAV."))
    return out


def _waterfall(fund_result, index_result, market, attribution, variant, notes):
    """The given waterfall, or one computed from the market (None when it cannot be)."""
    if attribution is not None or market is None:
        return attribution
    nav = fund_result.nav
    try:
        return attribute(
            index_result,
            market,
            getattr(fund_result, "config", None),
            nav["flow_units"] if "flow_units" in nav else None,  # the run's own flows
            benchmark=variant,
            fx=nav["fx"] if "fx" in nav else None,  # and its own valuation fixing
            actual=fund_result,
        )
    except AttributeError as exc:  # a fund result without what the counterfactual runs read
        notes.append(f"Attribution waterfall not computed: {exc}")
        return None


def _waterfall_sections(wf, nav, bench, notes, config=None) -> list[Section]:
    if wf is None:
        return [
            Section(
                f"Attribution waterfall ({kind})",
                None,
                "Not computed: pass market= (to run the counterfactual fund runs) or "
                "attribution=<Waterfall>.",
            )
            for kind in ("arithmetic", "log, per year")
        ]
    if not wf.reproduces(nav["nav_per_unit_cny"]):
        notes.append(
            "The waterfall's last step does not reproduce this fund run's NAV (different settings "
            "or flows); its contributions explain that run, not this one."
        )
    if wf.benchmark != bench:
        notes.append(
            f"The waterfall is measured against {wf.benchmark}, the metrics against {bench}."
        )
    return [
        Section(
            "Attribution waterfall (arithmetic)",
            drawing(plotting.waterfall_figure, wf, basis="arithmetic"),
            f"Cumulative counterfactual runs, each switching on one more effect, against "
            f"{wf.benchmark}. Arithmetic contributions (differences of period returns) add up to "
            f"the tracking difference {wf.total:+.2%}. Residual from rounding: {wf.residual:.1e}. "
            + flow_timing_text(config)
            + " "
            + SCALING_NOTE,
            wf.table().map(lambda v: fmt(v / 1e4, "bp")),
            height=4.4,
            bottom=1.2,
        ),
        Section(
            "Attribution waterfall (log, per year)",
            drawing(plotting.waterfall_figure, wf, basis="log_per_year"),
            f"The same chain in log (geometric) contributions per ACT/365 year ({wf.years:.2f} "
            "years): read each bar against its annual rate (a fee of f a year shows as about -f); "
            "bp a year.",
            height=4.4,
            bottom=1.2,
        ),
    ]


def _cost_section(fund_result, synthetic, marks, notes) -> tuple[Section, float | None]:
    try:
        drag = cost_drag(fund_result)
        ctab = cost_table(fund_result)
    except EngineError as exc:
        notes.append(f"Costs could not be read: {exc}")
        drag = ctab = None
    shown, per_year = None, None
    if ctab is not None:
        shown = pd.DataFrame(
            {
                "total (CNY)": [fmt(v, "CNY") for v in ctab["total_cny"]],
                "bp of NAV, total": [fmt(v, "bp") for v in ctab["bp_of_nav"]],
                "bp of NAV, per year": [fmt(v, "bp") for v in ctab["bp_of_nav_per_year"]],
                "share of CNY total": [fmt(v, "%") for v in ctab["share"]],
            },
            index=ctab.index,
        )
        per_year = float(ctab["bp_of_nav_per_year"].sum())
    sec = Section(
        "Costs by kind",
        drawing(plotting.costs_figure, drag, synthetic=synthetic, marks=marks),
        "Each day's cost over that day's NAV, summed (bp of NAV: the drag on the return per "
        "unit); CNY totals grow with the fund's size and are shown for reference.",
        shown,
    )
    return sec, per_year


def _holdings(fund_result, index_result, market, synthetic) -> Section:
    try:
        w, wdate = holding_weights(fund_result, index_result, market)
    except EngineError as exc:
        return Section("Holding weights vs index weights", None, f"Not shown: {exc}")
    sec = getattr(market, "securities", None)
    names = (
        sec.set_index("code")["name"]
        if isinstance(sec, pd.DataFrame) and {"code", "name"} <= set(sec.columns)
        else pd.Series(dtype=object)
    )
    return holdings_section(w, wdate, names, synthetic)


def _desk(fund_result, index_result, market, desk, notes) -> dict:
    """The tracking-desk results: those given in ``desk`` (a dict), else computed from the market
    (ex-ante series, concentration and index-fund rules; contributions when the analytics offer
    them).  A result that cannot be computed is reported in ``notes`` and left out."""
    given = dict(desk or {})
    if market is None or given.pop("compute", True) is False:
        return given
    import engine.analytics as an

    jobs = {
        "ex_ante": lambda: an.ex_ante(fund_result, market, dates="all"),
        "concentration": lambda: an.concentration(index_result),
        "rules": lambda: an.fund_rules(index_result, market),
    }
    if hasattr(an, "contributions"):
        jobs["contributions"] = lambda: an.contributions(fund_result, index_result, market)
    for key, job in jobs.items():
        if key in given:
            continue
        try:
            given[key] = job()
        except (EngineError, AttributeError, KeyError, TypeError, ValueError) as exc:
            notes.append(f"{key.replace('_', ' ')} not shown: {exc}")
    return given


def _trackings(fund_result, index_result, market, window: int, synthetic: bool):
    """The fund against its benchmark (marked synthetic when any input is), and against each other
    index variant, at the fund's own valuation fixing (as ``FundResult.summary()`` and the waterfall
    use it)."""
    variant = fund_benchmark(fund_result)
    fx = None if "fx" in fund_result.nav else (market.fx if market is not None else None)
    tr, *others = (
        fund_tracking(fund_result, index_result, fx=fx, variant=v, window=window)
        for v in (variant, *(v for v in ("price", "net", "gross") if v != variant))
    )
    if synthetic and not tr.synthetic:
        tr = dataclasses.replace(tr, synthetic=True)
    return tr, others


def _subtitle(tr) -> str:
    """Period, returns counted, and the headline TD and TE against the fund's benchmark."""
    lv, bench = tr.levels, tr.benchmark
    td, td_ann, te_std, te_rms = (
        fmt(tr.metrics[k], "%")
        for k in ("tracking_difference", "tracking_difference_ann", "tracking_error_std",
                  "tracking_error_rms")
    )  # fmt: skip
    return (
        f"Fund NAV per unit (CNY) vs {bench} at the valuation fixing; {lv.index[0].date()} to "
        f"{lv.index[-1].date()}, {len(lv) - 1} daily returns. TD vs {bench}: {td} "
        f"({td_ann} per year); TE vs {bench}: {te_std} STD, {te_rms} RMS."
    )


def build_content(
    fund_result,
    index_result,
    *,
    market=None,
    attribution=None,
    window: int = DEFAULT_WINDOW,
    title: str | None = None,
    mark=None,
    regulatory=None,
    capacity=None,
    desk=None,
) -> ReportContent:
    """Compute everything the report shows (the keywords: see :func:`tracking_report`)."""
    _check_fund(fund_result)
    synthetic = _is_synthetic(fund_result, index_result, market)
    marks = _revision_marks(index_result, mark)
    tr, others = _trackings(fund_result, index_result, market, window, synthetic)
    stats = active_stats(tr)
    notes: list[str] = []
    sections = _tracking_sections(tr, fund_result, synthetic, marks)
    sections[1:1] = active_sections(tr, stats, marks)
    variant = fund_benchmark(fund_result)
    wf = _waterfall(fund_result, index_result, market, attribution, variant, notes)
    config = getattr(fund_result, "config", None)
    sections.extend(_waterfall_sections(wf, fund_result.nav, tr.benchmark, notes, config))
    cost, cost_per_year = _cost_section(fund_result, synthetic, marks, notes)
    sections.append(cost)
    sections.append(_holdings(fund_result, index_result, market, synthetic))
    found = _desk(fund_result, index_result, market, desk, notes)
    sections.extend(desk_sections(**found))
    if regulatory is not None:
        sections.extend(regulatory_sections(regulatory))
    if capacity is not None:
        sections.extend(capacity_sections(capacity))
    if len(tr.excluded):
        notes.append(
            f"{len(tr.excluded)} date(s) were excluded by alignment (first: {tr.excluded[0].date()})."
        )
    settings = settings_table(config)
    version = getattr(engine, "__version__", "")
    fingerprint = market.fingerprint() if hasattr(market, "fingerprint") else ""
    sched = getattr(index_result, "schedule", None)
    fingerprint = fingerprint or getattr(sched, "data_fingerprint", "")
    captions = [s.caption for s in sections] + [s.table for s in sections if s.table is not None]
    return ReportContent(
        title=title
        or f"Tracking report: ETF 520500 vs {getattr(index_result, 'name', 'index').upper()}",
        subtitle=_subtitle(tr),
        synthetic=synthetic,
        metrics_table=_metrics_table(tr, others),
        sections=tuple(sections),
        settings=settings,
        assumptions=ASSUMPTIONS,
        provenance=_provenance(fund_result, index_result, market),
        notes=tuple(notes),
        engine_version=version,
        extra={
            "tracking": tr,
            "tracking_other": others,
            "waterfall": wf,
            "marks": marks,
            "active_stats": stats,
            **found,
        },  # fmt: skip
        warnings=collect_warnings(market, index_result, fund_result),
        key_figures=key_figures(tr, stats, cost_per_year),
        headline=headline(tr, marks),
        stamp=generated_stamp(version, fingerprint),
        sources=appendix(cited(settings, *ASSUMPTIONS, *captions)),
    )


# ----------------------------------------------------------------------------------------- entry
def _targets(path, formats) -> dict[str, Path]:
    formats = tuple(formats)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise DataError(
            "unknown report format",
            field="formats",
            value=formats,
            fix=f"use a subset of {FORMATS}",
        )
    path = Path(path)
    base = path.with_suffix("") if path.suffix.lower() in (".html", ".pdf", ".htm") else path
    return {f: base.with_name(base.name + "." + f) for f in formats}


def write_report(content: ReportContent, path, formats=FORMATS) -> dict[str, Path]:
    """Render ``content`` in each of ``formats`` (HTML first) and write each file atomically (temp
    file + ``os.replace``) at base ``path`` with the format's suffix; format -> written path."""
    from engine.report import html as html_mod
    from engine.report import pdf as pdf_mod

    targets = _targets(path, formats)
    payloads = {}
    if "html" in targets:
        payloads["html"] = html_mod.render(content).encode("utf-8")
    if "pdf" in targets:
        payloads["pdf"] = pdf_mod.render(content)
    return {f: write_bytes(targets[f], payloads[f]) for f in targets}


def tracking_report(
    fund_result,
    index_result,
    path,
    *,
    formats=("html", "pdf"),
    market=None,
    attribution=None,
    window: int = DEFAULT_WINDOW,
    title: str | None = None,
    mark=None,
    regulatory=None,
    capacity=None,
    desk=None,
) -> dict[str, Path]:
    """Write the tracking-error report of ``fund_result`` against ``index_result``: the content is
    computed once by :func:`build_content` and rendered in each of ``formats`` (what it holds: the
    module docstring).

    Parameters
    ----------
    fund_result : FundResult
        Needs ``.nav`` (``nav_per_unit_cny``, ``fx``), ``.costs`` ([date, kind] CNY), ``.holdings``
        ([date, code] shares), ``.config``, ``.synthetic``.
    index_result : IndexResult
    path : path-like
        Base path; ``.html`` / ``.pdf`` suffixes are set per format (``out/report`` ->
        ``out/report.html``, ``out/report.pdf``).
    formats : subset of ("html", "pdf")
    market : MarketData, optional
        Needed for the valuation fixing (else the fund's own ``nav["fx"]``), holding weights and
        the attribution waterfall.
    attribution : Waterfall, optional
        A precomputed waterfall; when None and ``market`` is given it is computed with
        :func:`engine.analytics.attribute` (several fund runs).
    window : int
        Sessions of the rolling tracking error.
    title : str, optional
        The report's title (default ``Tracking report: ETF 520500 vs <INDEX NAME>``).
    mark : (date, label) or sequence of them, optional
        Dates marked on every time axis; default the reviews where the methodology changes (the
        2025-08-11 revision of the HSIDI).
    regulatory : RegulatoryReport, optional
        A regulator preset's figures (:func:`engine.analytics.regulatory`): the report adds its
        figures, breach table, calendar-year table and (csrc) the quarterly-report period table.
    capacity : RebalanceCapacity, optional
        Passive demand at each review (:func:`engine.analytics.capacity`): the report adds the
        per-review table and the largest review's days to trade by code.
    desk : dict, optional
        Tracking-desk results by name: ``contributions``, ``ex_ante``, ``concentration``,
        ``rules`` (a FundRules), ``frontier`` (a replication frontier).  With ``market`` the
        report computes those not given (the daily ex-ante series, the index's concentration, the
        sse-2025-11 rule checks, per-code contributions when the analytics offer them);
        ``{"compute": False}`` shows only those given.

    Returns
    -------
    dict
        Format -> written path. Each file is written atomically (temp file + ``os.replace``): an error
        while building leaves no file, and no partial one.
    """
    _targets(path, formats)  # a bad path or format fails before any work
    options = dict(market=market, attribution=attribution, window=window, title=title, mark=mark)
    options.update(regulatory=regulatory, capacity=capacity, desk=desk)
    return write_report(build_content(fund_result, index_result, **options), path, formats)


def index_figure(
    results: dict, path, mark=("2025-08-11", "revision"), *, variant: str = "price"
) -> Path:
    """Plot the levels of several ``IndexResult`` runs with a dated marker and write the image atomically.

    The format follows the suffix of ``path`` (``.png`` default, ``.pdf``, ``.svg``).
    """
    if not results:
        raise DataError(
            "no index results to plot", field="results", fix="pass {'label': IndexResult, ...}"
        )
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".") or "png"
    if fmt not in ("png", "pdf", "svg"):
        raise DataError(
            "unsupported image format",
            source=str(path),
            value=fmt,
            fix="use .png, .pdf or .svg",
        )
    if not path.suffix:
        path = path.with_suffix(".png")
    fig = plotting.index_levels_figure(results, mark=mark, variant=variant)
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=120)
    return write_bytes(path, buf.getvalue())


__all__ = [
    "ASSUMPTIONS",
    "ReportContent",
    "Section",
    "build_content",
    "capacity_sections",
    "index_figure",
    "regulatory_sections",
    "settings_table",
    "tracking_report",
]
