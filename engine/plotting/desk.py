"""Figures of the tracking desk's results: ex-ante risk, concentration, index-fund rules, rebalance
capacity, a regulator's figures and the replication frontier."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.plotting._base import _axes, _twin_legend


def exante_figure(risk, ax=None, fig=None):
    """An ``ExAnteRisk``: with a series, the daily ex-ante TE beside the realised rolling TE
    ("anticipated against realised"); on one date, the ten largest component contributions
    (cash left out)."""
    ax = _axes(ax, fig, (9, 4.5))
    if len(risk.series) > 1:
        s = risk.series * 100
        model = f"EWMA h={risk.halflife:g}" if risk.model == "ewma" else risk.model
        anticipated = f"anticipated (ex-ante): {model}, {risk.window} sessions, vs {risk.benchmark}"
        realised = (
            f"realised: rolling {risk.realised_window}-session STD vs {risk.realised_benchmark}"
        )
        ax.plot(s.index, s["te_ex_ante"], label=anticipated)
        ax.plot(s.index, s["te_realised"], label=realised)
        ax.set_xlabel(f"annualised with p = {risk.periods_per_year} sessions a year")
        ax.set_title(f"Tracking error: anticipated against realised{risk.tag}")
        ax.set_ylabel("tracking error, % a year")
        ax.legend(loc="best", fontsize="small")
    else:
        c = risk.contributions.drop(risk.cash)
        top = c.reindex(c.abs().nlargest(10).index)[::-1] * 100
        ax.barh([str(k) for k in top.index], top.to_numpy())
        ax.set_xlabel(f"component contribution to the ex-ante TE, % a year (TE {risk.te:.2%})")
        ax.set_title(f"Ex-ante TE against {risk.benchmark} on {risk.date.date()}{risk.tag}")
    ax.grid(alpha=0.3)
    return ax.figure


def concentration_figure(conc, ax=None, fig=None):
    """A ``Concentration``: largest weight, top five and top ten (% of weight) by day, the
    effective number of names on a second axis, reviews marked."""
    ax = _axes(ax, fig, (9, 4.5))
    d = conc.daily
    for col in ("top1", "top5", "top10"):
        ax.plot(d.index, d[col] * 100, label=col)
    ax.set_ylabel("% of weight")
    right = ax.twinx()
    right.plot(d.index, d["effective_n"], color="grey", ls="--", lw=1, label="effective_n")
    right.set_ylabel("effective number of names (1 / HHI)")
    for day in conc.per_review["date"]:
        ax.axvline(day, color="lightgrey", lw=0.6, zorder=0)
    _twin_legend(ax, right)
    ax.set_title(f"Concentration of the {conc.kind} {conc.name}{conc.tag}")
    return ax.figure


def fund_rules_figure(fr, ax=None, fig=None):
    """A ``FundRules``: largest weight and top five per review against their limits; constituents
    on a second axis against the minimum."""
    ax = _axes(ax, fig, (9, 4.5))
    t, rs = fr.table, fr.rules
    for col, limit, color in (
        ("max_weight", rs.max_weight, "C0"),
        ("top5_weight", rs.max_top5_weight, "C1"),
    ):
        ax.plot(t["date"], t[col] * 100, "o-", color=color, label=f"{col} per review")
        ax.axhline(limit * 100, color=color, ls="--", lw=1, label=f"limit {limit:.0%}")
    ax.set_ylabel("% of index weight")
    right = ax.twinx()
    right.step(t["date"], t["constituents"], where="post", color="grey", label="constituents")
    minimum = f"minimum {rs.min_constituents} names"
    right.axhline(rs.min_constituents, color="grey", ls=":", lw=1, label=minimum)
    right.set_ylabel("constituents")
    _twin_legend(ax, right)
    passing = int(t["passed"].sum())
    status = " (rules UNCONFIRMED)" if rs.status.startswith("UNCONFIRMED") else ""
    ax.set_title(f"{fr.name} against {rs.name}: {passing} of {len(t)} reviews pass{status}{fr.tag}")
    return ax.figure


def capacity_figure(cap, ax=None, fig=None, review=None):
    """Days to trade of a ``RebalanceCapacity``: per code at ``review`` (a date), or the largest
    finite one per review when None; a dashed line at one day; names without traded value in the
    window (infinite days) are counted in the x labels."""
    ax = _axes(ax, fig, (9, 4), layout="constrained")
    t = cap.table if review is None else cap.review(review)
    finite = t["days_to_trade"].where(np.isfinite(t["days_to_trade"]))
    if review is None:
        days = finite.groupby(t["review"]).max()
        none = (~(t["adv_hkd"] > 0)).groupby(t["review"]).sum()
        x = [f"{d.date()}" + (f" ({n} no ADV)" if n else "") for d, n in none.items()]
        ax.bar(x, days.fillna(0.0).to_numpy(), color="#1f4e79")
        title = "Largest days to trade at each review"
    else:
        x = [
            c + (" (no ADV)" if not a > 0 else "")
            for c, a in zip(t["code"], t["adv_hkd"], strict=True)
        ]
        colors = np.where(t["over_one_day"], "#c62828", "#1f4e79")
        ax.bar(x, finite.fillna(0.0).to_numpy(), color=colors)
        title = f"Days to trade at the review of {pd.Timestamp(review).date()}"
    ax.set_title(title + cap.tag)
    ax.tick_params(axis="x", rotation=90, labelsize=7)
    ax.axhline(1.0, color="#455a64", ls="--", lw=1)
    ax.set_ylabel(f"days at {cap.settings.participation:.0%} of ADV")
    return ax.figure


def regulatory_figure(reg, ax=None, fig=None):
    """A ``RegulatoryReport``: rolling figures against their limits (rolling monitor) or
    calendar-year TD and TE (year monitor), in %, limits dashed, breaches marked."""
    ax = _axes(ax, fig, (9, 4), layout="constrained")
    p = reg.preset
    if p.monitor == "rolling":
        for figure, limit_field, label in reg.checks:
            limit = getattr(p, limit_field)
            s = reg.rolling[figure].dropna()
            if limit is None or s.empty:
                continue
            (line,) = ax.plot(s.index, s.to_numpy() * 100, lw=1.2, label=f"rolling {label}")
            ax.axhline(limit * 100, color=line.get_color(), ls="--", lw=1)
            hit = reg.breaches[reg.breaches["limit_field"] == limit_field]
            ax.scatter(hit["window_end"], hit["value"] * 100, color="#c62828", s=8, zorder=3)
    elif len(reg.by_year):
        x = np.arange(len(reg.by_year))
        ax.bar(x - 0.2, reg.by_year["tracking_difference"] * 100, 0.4, label="TD")
        ax.bar(x + 0.2, reg.by_year["tracking_error"] * 100, 0.4, label="TE")
        ax.set_xticks(x, [str(y) for y in reg.by_year.index])
        for _, limit_field, label in reg.checks:
            if getattr(p, limit_field) is not None:
                ax.axhline(getattr(p, limit_field) * 100, ls="--", lw=1, label=label)
    ax.set_ylabel("%")
    title = (
        f"{p.name}: {p.te_method.upper()} of {p.difference} differences x sqrt("
        f"{p.periods_per_year}), vs {reg.benchmark}"
    )
    ax.set_title(title + reg.tag, fontsize=9)
    if p.monitor == "rolling":
        ax.tick_params(axis="x", rotation=30, labelsize=7)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)
    return ax.figure


def frontier_figure(fr, ax=None, fig=None):
    """A ``ReplicationFrontier``: realised (solid) and ex-ante (dashed) tracking error against the
    number of names, one colour per policy, the full fund's realised tracking error as the
    reference line."""
    ax = _axes(ax, fig, (8, 4.5))
    parts = fr.table[fr.table["policy"] != "full"].groupby("policy", sort=False)
    for k, (policy, part) in enumerate(parts):
        part = part.sort_values("names")
        for column, style, what in (
            ("tracking_error_std", "o-", "realised"),
            ("te_ex_ante_policy", "--", "ex-ante (mean over reviews)"),
        ):
            ax.plot(
                part["names"], part[column] * 100, style, color=f"C{k}", label=f"{policy}: {what}"
            )
    ax.axhline(
        fr.full["tracking_error_std"] * 100,
        color="black",
        lw=1,
        label=f"full replication ({int(fr.full['names'])} names): realised",
    )
    ax.set_xlabel("names held (N)")
    ax.set_ylabel("tracking error, STD annualised (%)")
    ax.set_title(f"Replication frontier, against {fr.benchmark}{fr.tag}")
    ax.legend(fontsize="small")
    return ax
