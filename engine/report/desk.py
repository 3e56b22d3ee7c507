"""Tearsheet and tracking-desk sections of the tracking report.

Each function reads results computed in :mod:`engine.analytics` and returns
:class:`~engine.report.content.Section` objects: figures drawn by :mod:`engine.plotting` or the
result's own ``plot(ax)``, tables formatted from the result's numbers.  Nothing is computed here.
"""

from __future__ import annotations

import datetime as _dt
import os

import pandas as pd

from engine import plotting
from engine._display import fmt
from engine.analytics.active import MONTHS, active_distribution, active_drawdown, td_by_month
from engine.analytics.holdings import active_share
from engine.analytics.regulatory import PERIOD_COLUMNS
from engine.report.content import Section, drawing


def generated_stamp(version: str, fingerprint: str) -> str:
    """``generated <date> UTC by hsidi-engine <version> from data <fingerprint>``; the date is
    ``SOURCE_DATE_EPOCH`` when set (reproducible builds: the CLI fixes it per run), else now."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = _dt.datetime.fromtimestamp(int(epoch), _dt.UTC) if epoch else _dt.datetime.now(_dt.UTC)
    return (
        f"Generated {when:%Y-%m-%d %H:%M} UTC by hsidi-engine {version or '?'} from data "
        f"fingerprint {fingerprint or '(not recorded)'}"
        + (" (date fixed by SOURCE_DATE_EPOCH)" if epoch else "")
    )


def key_figures(tr, stats, cost_per_year_bp=None) -> pd.DataFrame:
    """Page one's figures: period, fund and benchmark returns, TD (period and per year), TE (STD and
    RMS), information ratio, the active drawdown and, when given, the costs per year."""
    m, bench = tr.metrics, tr.benchmark
    lv = tr.levels
    p = tr.conventions.periods_per_year
    rows = [
        ("period", f"{lv.index[0].date()} to {lv.index[-1].date()}", f"{len(lv) - 1} daily returns"),
        ("fund return (NAV per unit, CNY)", fmt(m["fund_return"], "%"), "over the period"),
        ("benchmark return", fmt(m["benchmark_return"], "%"), bench),
        ("tracking difference", fmt(m["tracking_difference"], "%"), f"vs {bench}, arithmetic"),
        ("tracking difference per year", fmt(m["tracking_difference_ann"], "%"),
         f"vs {bench}, difference of annualised returns, p = {p}"),
        ("tracking error, STD", fmt(m["tracking_error_std"], "%"),
         f"vs {bench}, annualised sqrt({p}) x std of daily active returns (ddof={tr.conventions.ddof})"),
        ("tracking error, RMS", fmt(m["tracking_error_rms"], "%"),
         f"vs {bench}, annualised, uncentred (holds the drift)"),
        ("information ratio", fmt(m["information_ratio"], "ratio"), f"vs {bench}"),
        ("largest active drawdown", fmt(stats["active_max_drawdown"], "%"),
         f"fund level / {bench} level, compounded"),
    ]  # fmt: skip
    if cost_per_year_bp is not None:
        rows.append(("trading and holding costs", fmt(cost_per_year_bp, "bp") + " per year",
                     "sum of daily cost / NAV over ACT/365 years"))  # fmt: skip
    return pd.DataFrame(rows, columns=["figure", "value", "measured against"])


def headline(tr, marks) -> Section:
    """Page one's chart: NAV and benchmark rebased, and the rolling tracking error."""

    def draw(axes):
        plotting.tracking_axes(tr, "levels", ax=axes[0], marks=marks)
        plotting.tracking_axes(tr, "rolling", ax=axes[1], marks=marks)

    return Section(
        "NAV per unit against the benchmark",
        draw,
        f"Top: fund NAV per unit (CNY) and {tr.benchmark}, both rebased to 1. Bottom: tracking "
        f"error over {tr.window} sessions, annualised, % a year.",
        panels=2,
        height=5.6,
    )


def active_sections(tr, stats, marks) -> list[Section]:
    """The active return's drawdown, its daily distribution (with the figures of
    :func:`engine.analytics.active_stats`) and the tracking difference by month."""
    bench = tr.benchmark
    dd = active_drawdown(tr)
    hist = active_distribution(tr)
    months = td_by_month(tr)
    shown = pd.DataFrame(
        {c: [fmt(v, "%") if pd.notna(v) else "" for v in months[c]] for c in MONTHS},
        index=months.index,
    )
    shown["full year"] = [fmt(v, "%") for v in months["full_year"]]
    stats_table = stats.formatted()
    return [
        Section(
            "Drawdown of the active return",
            drawing(
                plotting.active_drawdown_axes,
                dd,
                benchmark=bench,
                synthetic=tr.synthetic,
                marks=marks,
            ),
            f"Relative level A = (fund NAV / its start) / ({bench} / its start); drawdown = "
            "A / its running maximum - 1, in %. Largest: "
            f"{fmt(stats['active_max_drawdown'], '%')}.",
            height=3.0,
        ),  # fmt: skip
        Section(
            "Distribution of daily active returns",
            drawing(plotting.active_histogram_axes, hist, benchmark=bench, synthetic=tr.synthetic),
            f"Daily active return a = fund daily return - {bench} daily return, bp per day, not "
            "annualised; bars in % of days.",
            stats_table,
            height=3.0,
        ),
        Section(
            "Tracking difference by month",
            None,
            "TD of each calendar month (from the last valuation of the month before), fund return "
            f"- {bench} return, in %; arithmetic, so the months do not add up to the year; 'full "
            "year' is the calendar year's TD.",
            shown,
        ),
    ]


def holdings_section(weights: pd.DataFrame, date, names: pd.Series, synthetic: bool) -> Section:
    """Holdings by name and in %: fund and index weight and their difference (percentage points),
    as :func:`engine.analytics.holding_weights` computed them."""
    w = weights.copy()
    w["name"] = names.reindex(w.index).fillna("").astype(str).to_numpy()
    table = pd.DataFrame(
        {
            "name": w["name"],
            "fund weight": [fmt(v, "%") for v in w["fund"]],
            "index weight": [fmt(v, "%") for v in w["index"]],
            "difference (fund - index)": [fmt(v, "%") for v in w["diff"]],
        },
        index=pd.Index(w.index, name="code"),
    ).head(15)
    return Section(
        "Holding weights vs index weights",
        drawing(plotting.holdings_axes, w, date=date, synthetic=synthetic),
        f"Stock weights excluding cash on {pd.Timestamp(date).date()}, in % (15 largest by index "
        f"weight); active share, the sum of |fund - index| / 2: {fmt(active_share(w), '%')}.",
        table,
        height=4.2,
    )


def result_section(title: str, result, caption: str, *, height: float = 3.4) -> Section:
    """A section from any result of the plot protocol: its ``plot(ax)`` and its formatted summary."""
    return Section(
        title,
        lambda axes: result.plot(ax=axes[0]),
        caption,
        result.summary().formatted(),
        height=height,
    )


def desk_sections(*, contributions=None, ex_ante=None, concentration=None, rules=None,
                  frontier=None) -> list[Section]:  # fmt: skip
    """The tracking-desk sections of whichever results are given (None: left out)."""
    out: list[Section] = []
    if contributions is not None:
        out.append(result_section(
            "Top contributors to the tracking difference", contributions,
            "Each code's contribution to the active return (fund weight x return - index weight x "
            "return), linked over the period so the codes, cash and costs add up to the tracking "
            "difference (arithmetic, linked); the table gives the largest each way in %, the chart "
            "the ten largest each way in bp.", height=4.2))  # fmt: skip
    if ex_ante is not None:
        out.append(result_section(
            "Ex-ante against realised tracking error", ex_ante,
            f"Anticipated (ex-ante) TE from the holdings and a covariance of daily HKD returns "
            f"({ex_ante.settings}), beside the realised rolling TE; % a year."))  # fmt: skip
    if concentration is not None:
        out.append(result_section(
            "Concentration", concentration,
            f"Largest weight, top five and top ten in % of weight, and the effective number of "
            f"names (1 / Herfindahl index); {concentration.weights_measured}."))  # fmt: skip
    if rules is not None:
        table = rules.to_frame()
        shown = pd.DataFrame(
            {
                "constituents": table["constituents"].astype(int).to_numpy(),
                "largest weight": [fmt(v, "%") for v in table["max_weight"]],
                "top five": [fmt(v, "%") for v in table["top5_weight"]],
                "liquid weight": [fmt(v, "%") for v in table["liquid_weight"]],
                "passed": ["yes" if v else "NO" for v in table["passed"]],
            },
            index=pd.Index([fmt(d, "date") for d in table["date"]], name="review"),
        )
        s = rules.summary()
        out.append(Section(
            f"Index-fund rule checks ({rules.rules.name})", lambda axes: rules.plot(ax=axes[0]),
            f"{s.title}. Each review's numbers against the rule set's limits: "
            + "; ".join(f"{m}: {v} review(s) fail ({a})" for m, v, a in
                        zip(s.to_frame()["metric"], s.to_frame()["value"], s.to_frame()["against"],
                            strict=True)),
            shown))  # fmt: skip
    if frontier is not None:
        out.append(result_section(
            "Replication frontier", frontier,
            "Realised and ex-ante TE, trading costs and TD for each number of names and policy; "
            "the full fund is the reference row.", height=3.8))  # fmt: skip
    return out


def regulatory_sections(reg) -> list[Section]:
    """The sections of a :class:`~engine.analytics.regulatory.RegulatoryReport`: its figures, breach
    table, calendar-year table and (when it has one) the quarterly-report period table.  Reads the
    result only; every number was computed in analytics."""
    p, bench = reg.preset, reg.benchmark
    figures_table = reg.summary().formatted().drop(columns="note")
    out = [
        Section(
            f"Regulatory figures: {p.name} preset",
            lambda axes: reg.plot(ax=axes[0]),
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
        shown = yr.copy().astype(object)
        for c in yr.columns:
            if c in ("start", "end"):
                shown[c] = [str(pd.Timestamp(d).date()) for d in yr[c]]
            elif c != "periods":
                shown[c] = [fmt(v, "%") for v in yr[c]]
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
    s, br = cap.settings, cap.by_review
    assumptions = (
        f"Tracked assets: {cap.basis}. Days to trade at {s.participation:.0%} of the ADV over the "
        f"{s.adv_window} sessions before the trade date; impact = {s.impact_coefficient:g} x daily "
        f"volatility ({s.vol_window} sessions) x sqrt(value / ADV), the square-root model. The "
        "participation rate, the windows and the coefficient are assumptions."
    )
    if br.empty:
        return [Section("Rebalance capacity", None, "No review evaluated. " + assumptions)]
    table = pd.DataFrame(
        {
            "trade date": [fmt(d, "date") for d in br["trade_date"]],
            "tracked assets": [fmt(v, "HKD") for v in br["tracked_assets_hkd"]],
            "one-way turnover": [fmt(v, "%") for v in br["one_way_turnover"]],
            "value to trade": [fmt(v, "HKD") for v in br["value_to_trade_hkd"]],
            "names over one day": br["names_over_one_day"].astype(int).to_numpy(),
            "names without ADV": br["names_without_adv"].astype(int).to_numpy(),
            "largest days (code)": [
                f"{d:.2f} ({c})"
                for d, c in zip(br["max_days_to_trade"], br["max_days_code"], strict=True)
            ],
            "impact cost": [fmt(v, "HKD") for v in br["impact_cost_hkd"]],
            "impact (value-weighted)": [fmt(v / 1e4, "bp") for v in br["impact_bp_value_weighted"]],
        },
        index=pd.Index([fmt(d, "date") for d in br.index], name="review"),
    )
    out = [Section("Rebalance capacity at each review", lambda axes: cap.plot(ax=axes[0]),
                   assumptions, table)]  # fmt: skip
    big = cap.largest_review
    rows = cap.review(big).head(15)
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
            lambda axes: cap.plot(review=big, ax=axes[0]),
            "The 15 names needing the most days at the participation rate; red bars need more than "
            "one day; a name without traded value in the window (suspended) cannot be traded.",
            shown,
        )
    )
    return out


__all__ = [
    "active_sections",
    "capacity_sections",
    "desk_sections",
    "generated_stamp",
    "headline",
    "holdings_section",
    "key_figures",
    "regulatory_sections",
    "result_section",
]
