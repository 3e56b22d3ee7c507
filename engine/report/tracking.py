"""Assemble the tracking-error report of one fund run and write it as HTML and/or PDF.

The content (:class:`ReportContent`) is built once; :mod:`engine.report.html` and
:mod:`engine.report.pdf` render the same content, so both files always say the same thing.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from engine import plotting
from engine._display import fmt
from engine.analytics.attribution import cost_drag, cost_table
from engine.analytics.compare import methodology_changes
from engine.analytics.holdings import active_share, holding_weights
from engine.analytics.regulatory import PERIOD_COLUMNS
from engine.analytics.tracking import DEFAULT_WINDOW, METRICS, fund_benchmark, fund_tracking
from engine.conventions import PERIODS_PER_YEAR
from engine.errors import DataError, EngineError, describe

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
    warnings: tuple[str, ...] = ()
    """Warnings carried by the market and the results (plausibility findings, approximations)."""


# ------------------------------------------------------------------------------------------ pieces
def _attribute_docs(cls) -> dict[str, str]:
    """The docstring written under each field of a dataclass (``field: type = value`` then a string)."""
    import ast
    import inspect
    import textwrap as _tw

    try:
        tree = ast.parse(_tw.dedent(inspect.getsource(cls)))
    except (OSError, TypeError, SyntaxError):
        return {}
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    docs = {}
    for node, nxt in zip(body, body[1:], strict=False):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(nxt, ast.Expr)
            and isinstance(nxt.value, ast.Constant)
            and isinstance(nxt.value.value, str)
        ):
            docs[node.target.id] = " ".join(nxt.value.value.split())
    return docs


def _status(doc: str) -> str:
    low = doc.lower()
    if "assumption" in low or "unconfirmed" in low:
        return "ASSUMPTION"
    tags = re.findall(r"\[S\d+\]", doc)
    return "source " + " ".join(dict.fromkeys(tags)) if tags else ""


def settings_table(config) -> pd.DataFrame:
    """``setting, value, status, documentation`` rows of a dataclass config: ``status`` is
    ``ASSUMPTION`` where the field's documentation says assumption or UNCONFIRMED, else the sources
    it cites; ``documentation`` the field's documentation."""
    if config is None:
        return pd.DataFrame(
            {
                "setting": ["config"],
                "value": ["(none recorded)"],
                "status": [""],
                "documentation": [""],
            }
        )
    if dataclasses.is_dataclass(config):
        items = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
    else:
        items = {k: v for k, v in vars(config).items() if not k.startswith("_")}
    docs = _attribute_docs(type(config))

    def show(v):
        if isinstance(v, pd.Timestamp):
            return str(v.date())
        if isinstance(v, tuple) and v and all(isinstance(x, tuple) and len(x) == 2 for x in v):
            return ", ".join(f"{a}: {b:g}" if isinstance(b, float) else f"{a}: {b}" for a, b in v)
        if isinstance(v, tuple):
            return ", ".join(map(str, v))
        return str(v)

    rows = []
    for k, v in items.items():
        doc = docs.get(k, "")
        first = re.split(r"(?<=[.;])\s", doc, maxsplit=1)[0] if doc else ""
        rows.append(
            {"setting": k, "value": show(v), "status": _status(doc), "documentation": first}
        )
    return pd.DataFrame(rows, columns=["setting", "value", "status", "documentation"])


def collect_warnings(*objects) -> tuple[str, ...]:
    """The ``warnings`` carried by results and the market (``MarketData.warnings``, result warnings),
    in order, without repeats; objects without the attribute add nothing."""
    out: list[str] = []
    for obj in objects:
        for w in tuple(getattr(obj, "warnings", ()) or ()):
            if str(w) not in out:
                out.append(str(w))
    return tuple(out)


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
    "Benchmark = the fund setting `benchmark` (default: the Hang Seng Innovative Drug Index price index) "
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
    "Fund settings marked ASSUMPTION in the settings table (from engine/fund/config.py) are not "
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
    rows = []
    for key, (label, unit, definition) in METRICS.items():
        row = {"metric": key, "label": label, "unit": unit}
        for head, tr in cols.items():
            row[head] = tr.metrics[key]
        row["definition"] = definition
        rows.append(row)
    return pd.DataFrame(rows)


def _td_by_year(tr) -> pd.DataFrame:
    t = tr.td_by_year()
    return t.rename(
        columns={
            "fund_return": "fund return",
            "benchmark_return": f"{tr.benchmark} return",
            "td": f"TD vs {tr.benchmark}",
        }
    )


def _pct(frame: pd.DataFrame, cols, unit: str = "%") -> pd.DataFrame:
    out = frame.copy().astype(object)
    for c in cols:
        out[c] = [fmt(v, unit) for v in frame[c]]
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
    marks = _revision_marks(index_result, mark)
    variant = fund_benchmark(fund_result)
    # the fund's own valuation fixing, as FundResult.summary() and the waterfall use it
    fx = None if "fx" in fund_result.nav else (market.fx if market is not None else None)
    tr = fund_tracking(fund_result, index_result, fx=fx, variant=variant, window=window)
    others = [
        fund_tracking(fund_result, index_result, fx=fx, variant=v, window=window)
        for v in ("price", "net", "gross")
        if v != variant
    ]
    if synthetic and not tr.synthetic:
        tr = dataclasses.replace(tr, synthetic=True)
    bench = tr.benchmark
    notes: list[str] = []
    sections: list[Section] = []
    sections.append(
        Section(
            "Tracking difference by calendar year",
            None,
            "Year y runs from the last valuation of year y-1 (or the first of year y) to the last of year y; "
            f"TD = fund return - benchmark return, benchmark {bench}.",
            _pct(_td_by_year(tr), ["fund return", f"{bench} return", f"TD vs {bench}"]),
        )
    )
    sections.append(
        Section(
            "NAV per unit vs benchmark",
            plotting.tracking_axes(tr, "levels", marks=marks),
            f"Fund NAV per unit (CNY) and the benchmark, {bench} (index level x fx_t / fx_0), both "
            "rebased to 1. The dotted line marks the methodology revision.",
        )
    )
    sections.append(
        Section(
            "Daily active returns",
            plotting.tracking_axes(tr, "active", marks=marks),
            f"a_t = fund daily return - {bench} daily return, in basis points.",
        )
    )
    sections.append(
        Section(
            "Rolling tracking error",
            plotting.tracking_axes(tr, "rolling", marks=marks),
            f"TE vs {bench}, annualised over a {tr.window}-session window: STD (ddof=1) and RMS "
            "(uncentred).",
        )
    )
    nav = fund_result.nav
    sections.append(
        Section(
            "Units outstanding and flows",
            plotting.units_flows_figure(fund_result, synthetic=synthetic, marks=marks),
            "Units outstanding and the units created (+) or redeemed (-) each day. Creation cash "
            "is invested with a lag, so flows shape the tracking difference (the 'flow_timing' "
            "step of the waterfall).",
        )
        if "units" in nav
        else Section("Units outstanding and flows", None, "Not shown: the NAV frame has no units.")
    )
    # --- attribution
    wf = attribution
    if wf is None and market is not None:
        try:
            from engine.analytics.attribution import attribute

            wf = attribute(
                index_result,
                market,
                getattr(fund_result, "config", None),
                nav["flow_units"] if "flow_units" in nav else None,  # the run's own flows
                benchmark=variant,
                fx=nav["fx"] if "fx" in nav else None,  # and its own valuation fixing
                actual=fund_result,
            )
        except (ImportError, AttributeError) as exc:  # fund engine unavailable
            notes.append(f"Attribution waterfall not computed: {exc}")
            wf = None
    if wf is not None:
        if not wf.reproduces(nav["nav_per_unit_cny"]):
            notes.append(
                "The waterfall's last step does not reproduce this fund run's NAV (different settings or flows); "
                "its contributions explain that run, not this one."
            )
        if wf.benchmark != bench:
            notes.append(
                f"The waterfall is measured against {wf.benchmark}, the metrics against {bench}."
            )
        table = wf.table()
        sections.append(
            Section(
                "Attribution waterfall (arithmetic)",
                plotting.waterfall_figure(wf, basis="arithmetic"),
                f"Cumulative counterfactual runs, each switching on one more effect, against {wf.benchmark}. "
                "Arithmetic contributions (differences of period returns) add up to the tracking difference "
                f"{wf.total:+.2%}. Residual from rounding: {wf.residual:.1e}. " + SCALING_NOTE,
                table.map(lambda v: fmt(v / 1e4, "bp")),
            )
        )
        sections.append(
            Section(
                "Attribution waterfall (log, per year)",
                plotting.waterfall_figure(wf, basis="log_per_year"),
                f"The same chain in log (geometric) contributions per ACT/365 year ({wf.years:.2f} years): "
                "read each bar against its annual rate (a fee of f a year shows as about -f).",
            )
        )
    else:
        for kind in ("arithmetic", "log, per year"):
            sections.append(
                Section(
                    f"Attribution waterfall ({kind})",
                    None,
                    "Not computed: pass market= (to run the counterfactual fund runs) or "
                    "attribution=<Waterfall>.",
                )
            )
    # --- costs
    try:
        drag = cost_drag(fund_result)
        ctab = cost_table(fund_result)
    except EngineError as exc:
        drag = ctab = None
        notes.append(f"Costs could not be read: {exc}")
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
    else:
        shown = None
    sections.append(
        Section(
            "Costs by kind",
            plotting.costs_figure(drag, synthetic=synthetic, marks=marks),
            "Each day's cost over that day's NAV, summed (bp of NAV: the drag on the return per unit); "
            "CNY totals grow with the fund's size and are shown for reference.",
            shown,
        )
    )
    # --- weights
    try:
        w, wdate = holding_weights(fund_result, index_result, market)
        sections.append(
            Section(
                "Holding weights vs index weights",
                plotting.weights_figure(w, synthetic=synthetic, date=wdate),
                f"Stock weights excluding cash on {wdate.date()}; sum of |fund - index| / 2 = "
                f"{active_share(w):.4%}.",
                w.head(15),
            )
        )
    except EngineError as exc:
        sections.append(Section("Holding weights vs index weights", None, f"Not shown: {exc}"))
    if regulatory is not None:
        sections.extend(regulatory_sections(regulatory))
    if capacity is not None:
        sections.extend(capacity_sections(capacity))
    if len(tr.excluded):
        notes.append(
            f"{len(tr.excluded)} date(s) were excluded by alignment (first: {tr.excluded[0].date()})."
        )
    warnings = collect_warnings(market, index_result, fund_result)
    bench_name = getattr(index_result, "name", "index")
    lv = tr.levels
    td, td_ann, te_std, te_rms = (
        fmt(tr.metrics[k], "%")
        for k in (
            "tracking_difference",
            "tracking_difference_ann",
            "tracking_error_std",
            "tracking_error_rms",
        )
    )
    subtitle = (
        f"Fund NAV per unit (CNY) vs {bench} at the valuation fixing; {lv.index[0].date()} to "
        f"{lv.index[-1].date()}, {len(lv) - 1} daily returns. TD vs {bench}: {td} "
        f"({td_ann} per year); TE vs {bench}: {te_std} STD, {te_rms} RMS."
    )
    return ReportContent(
        title=title or f"Tracking report: ETF 520500 vs {bench_name.upper()}",
        subtitle=subtitle,
        synthetic=synthetic,
        metrics_table=_metrics_table(tr, others),
        sections=tuple(sections),
        settings=settings_table(getattr(fund_result, "config", None)),
        assumptions=ASSUMPTIONS,
        provenance=_provenance(fund_result, index_result, market),
        notes=tuple(notes),
        engine_version=getattr(engine, "__version__", ""),
        extra={"tracking": tr, "tracking_other": others, "waterfall": wf, "marks": marks},
        warnings=warnings,
    )


def regulatory_sections(reg) -> list[Section]:
    """The sections of a :class:`~engine.analytics.regulatory.RegulatoryReport`: its figures, breach
    table, calendar-year table and (when it has one) the quarterly-report period table.  Reads the
    result only; every number was computed in analytics."""
    from matplotlib.figure import Figure

    p, bench = reg.preset, reg.benchmark
    fig = Figure(figsize=(9, 3.6), layout="constrained")
    reg.plot(ax=fig.subplots())
    figures_table = reg.summary().formatted().drop(columns="note")
    out = [
        Section(
            f"Regulatory figures: {p.name} preset",
            fig,
            f"{p.title}. Convention: {reg.convention}. Against {bench}. Source: {p.source}",
            figures_table,
        )
    ]
    b = reg.breaches
    shown = b.head(40)
    table = pd.DataFrame(
        {
            "check": shown["check"],
            "window start": [str(pd.Timestamp(d).date()) for d in shown["window_start"]],
            "window end": [str(pd.Timestamp(d).date()) for d in shown["window_end"]],
            "value": [fmt(v, u) for v, u in zip(shown["value"], shown["unit"], strict=True)],
            "limit": [fmt(v, u) for v, u in zip(shown["limit"], shown["unit"], strict=True)],
            "consecutive": shown["consecutive"].astype(int),
        }
    )
    windows = "rolling windows" if p.monitor == "rolling" else "calendar years"
    out.append(
        Section(
            f"Breaches: {p.name} preset",
            None,
            (
                f"{len(b)} breaching {windows} against {bench}"
                + (" (the first 40 shown)" if len(b) > 40 else "")
                + "; consecutive = the running count of consecutive breaching windows."
                if len(b)
                else f"No {windows[:-1]} breached a limit of the {p.name} preset against {bench}."
            )
            + "".join(f" {n}" for n in reg.notes),
            table if len(b) else None,
        )
    )
    if len(reg.by_year):
        yr = reg.by_year
        pct = [c for c in yr.columns if c not in ("start", "end", "periods")]
        shown = _pct(yr, pct)
        for c in ("start", "end"):
            shown[c] = [str(pd.Timestamp(d).date()) for d in yr[c]]
        out.append(
            Section(
                f"Calendar-year figures: {p.name} preset",
                None,
                f"Each year from the last valuation of the year before; TE = {reg.convention}; "
                f"against {bench}.",
                shown,
            )
        )
    if reg.periods is not None:
        t = reg.periods
        shown = pd.DataFrame(
            {label: [fmt(v, "%") for v in t[key]] for key, label, _ in PERIOD_COLUMNS},
            index=t.index,
        )
        shown.insert(0, "from", [fmt(d, "date") for d in t["start"]])
        shown["note"] = t["note"]
        out.append(
            Section(
                "Quarterly-report periods (mainland section 3.2)",
                None,
                f"Periods ending {fmt(t['end'].iloc[0], 'date')}; (1) NAV growth rate, (2) its "
                "standard deviation, (3) benchmark return, (4) its standard deviation; (2) and (4) are "
                f"standard deviations of daily returns, not annualised; benchmark {bench}.",
                shown,
            )
        )
    return out


def capacity_sections(cap) -> list[Section]:
    """The sections of a :class:`~engine.analytics.capacity.RebalanceCapacity`: each review's passive
    demand, and the largest review's days to trade by code.  Reads the result only."""
    from matplotlib.figure import Figure

    s, br = cap.settings, cap.by_review
    assumptions = (
        f"Tracked assets: {cap.basis}. Days to trade at {s.participation:.0%} of the ADV over the "
        f"{s.adv_window} sessions before the trade date; impact = {s.impact_coefficient:g} x daily "
        f"volatility ({s.vol_window} sessions) x sqrt(value / ADV), the square-root model. The "
        "participation rate, the windows and the coefficient are assumptions."
    )
    if br.empty:
        return [Section("Rebalance capacity", None, "No review evaluated. " + assumptions)]
    fig = Figure(figsize=(9, 3.6), layout="constrained")
    cap.plot(ax=fig.subplots())
    table = pd.DataFrame(
        {
            "trade date": [fmt(d, "date") for d in br["trade_date"]],
            "tracked assets": [fmt(v, "HKD") for v in br["tracked_assets_hkd"]],
            "one-way turnover": [fmt(v, "%") for v in br["one_way_turnover"]],
            "value to trade": [fmt(v, "HKD") for v in br["value_to_trade_hkd"]],
            "names over one day": br["names_over_one_day"].astype(int),
            "names without ADV": br["names_without_adv"].astype(int),
            "largest days (code)": [
                f"{d:.2f} ({c})"
                for d, c in zip(br["max_days_to_trade"], br["max_days_code"], strict=True)
            ],
            "impact cost": [fmt(v, "HKD") for v in br["impact_cost_hkd"]],
            "impact (value-weighted)": [fmt(v / 1e4, "bp") for v in br["impact_bp_value_weighted"]],
        },
        index=pd.Index([fmt(d, "date") for d in br.index], name="review"),
    )
    out = [Section("Rebalance capacity at each review", fig, assumptions, table)]
    big = cap.largest_review
    rows = cap.review(big).head(15)
    fig = Figure(figsize=(9, 3.6), layout="constrained")
    cap.plot(review=big, ax=fig.subplots())
    shown = pd.DataFrame(
        {
            "code": rows["code"],
            "side": rows["side"],
            "weight before": [fmt(v, "%") for v in rows["weight_before"]],
            "weight after": [fmt(v, "%") for v in rows["weight_after"]],
            "value to trade": [fmt(v, "HKD") for v in rows["value_to_trade_hkd"]],
            "ADV": [fmt(v, "HKD") for v in rows["adv_hkd"]],
            "days to trade": [f"{v:.2f}" for v in rows["days_to_trade"]],
            "impact": [fmt(v / 1e4, "bp") for v in rows["impact_bp"]],
        }
    )
    out.append(
        Section(
            f"Largest review ({fmt(big, 'date')}): days to trade by code",
            fig,
            "The 15 names needing the most days at the participation rate; red bars need more than "
            "one day; a name without traded value in the window (suspended) cannot be traded.",
            shown,
        )
    )
    return out


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
    mark=None,
    regulatory=None,
    capacity=None,
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
    mark : (date, label) or sequence of them, optional
        Dates marked on every time axis; default the reviews where the methodology changes (the
        2025-08-11 revision of the HSIDI).
    regulatory : RegulatoryReport, optional
        A regulator preset's figures (:func:`engine.analytics.regulatory`): the report adds its
        figures, breach table, calendar-year table and (csrc) the quarterly-report period table.
    capacity : RebalanceCapacity, optional
        Passive demand at each review (:func:`engine.analytics.capacity`): the report adds the
        per-review table and the largest review's days to trade by code.

    Every tracking figure is taken against the fund's ``config.benchmark`` at its own valuation
    fixing, the same numbers as ``FundResult.summary()`` and the waterfall.

    Returns
    -------
    dict
        Format -> written path. Each file is written atomically (temp file + ``os.replace``): an error
        while building leaves no file, and no partial one.

    The report holds: TD by year, NAV vs benchmark, active returns, rolling TE, units and flows, the
    waterfall (arithmetic, and log per year) with its table, costs by kind in bp of NAV with a table,
    holding vs index weights at the latest date, the metrics table with definitions (one column per
    benchmark, each named), settings (assumptions marked), assumptions, warnings, provenance, and a
    SYNTHETIC banner when any input is synthetic.
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
        mark=mark,
        regulatory=regulatory,
        capacity=capacity,
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
    fig = plotting.index_levels_figure(results, mark=mark, variant=variant)
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=120)
    return write_atomic(path, buf.getvalue())


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
