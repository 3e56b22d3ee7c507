"""The report and the comparison on the real pipeline (default synthetic market -> rules -> index -> fund)."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from support.fakes import real_pipeline

from engine.analytics import compare_indexes, fund_tracking, holding_weights
from engine.report import build_content, index_figure, tracking_report

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world():
    return real_pipeline()


def test_tracking_report_on_the_real_fund(world, tmp_path):
    market, idx, _fund, res = world
    paths = tracking_report(res, idx, tmp_path / "520500", market=market)
    text = paths["html"].read_text(encoding="utf-8")
    assert 'class="warn-banner"' in text  # the default market is synthetic
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", text, flags=re.I)
    pdf = paths["pdf"].read_bytes()
    c = build_content(res, idx, market=market)
    n_pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    # page one, metrics, the sections two to a page where they fit, settings, assumptions, sources
    assert pdf.startswith(b"%PDF") and n_pages < len(c.sections) + 5
    assert c.notes == ()  # the waterfall reproduces this run; nothing excluded; the desk computed
    titles = [s.title for s in c.sections]
    for t in ("Ex-ante against realised tracking error", "Concentration",
              "Index-fund rule checks (sse-2025-11)"):  # fmt: skip
        assert t in titles
    # holdings by name and in %, the numbers of engine.analytics.holding_weights
    w, _ = holding_weights(res, idx, market)
    shown = next(s for s in c.sections if s.title.startswith("Holding weights")).table
    names = market.securities.set_index("code")["name"]
    top = shown.index[0]
    assert shown.at[top, "name"] == names[top] and shown.at[top, "name"] != ""
    assert shown.at[top, "fund weight"] == f"{w.at[top, 'fund'] * 100:.2f}%"
    assert shown.at[top, "index weight"] == f"{w.at[top, 'index'] * 100:.2f}%"
    tr = fund_tracking(res, idx, fx=market.fx)
    assert 0 < tr["tracking_error_std"] < 0.05 and tr["correlation"] > 0.99


def test_compare_launch_rules_with_the_revision(world, tmp_path):
    market, idx, _fund, _res = world
    from engine import build_index

    launch = build_index(market, "hsidi-2023-05")
    cmp = compare_indexes(launch, idx, labels=("launch", "revision"))
    cxo = set(market.securities.loc[market.securities["is_cxo"], "code"])
    after = cmp.membership_diff[cmp.membership_diff["effective_date"] >= "2025-08-11"]
    assert len(after) > 0
    for codes in after["only_revision"]:
        assert not (set(codes) & cxo)  # the revision never adds a CXO firm
    # the two runs are the same index until the revision takes effect
    share = cmp.active_share
    assert np.abs(share[share.index < "2025-08-11"].to_numpy()).max() < 1e-12
    assert cmp.summary()["tracking_error_std"] >= 0
    p = index_figure({"launch": launch, "revision": idx}, tmp_path / "levels.png")
    assert p.read_bytes()[:4] == b"\x89PNG"


def test_report_waterfall_explains_a_run_without_flows(world):
    # the report computes the waterfall from the run's own flows and fixing, so a fund run with no
    # flows gets no "flow timing" drag and the waterfall's last step is that run
    market, idx, fund, _ = world
    res = fund.backtest(idx, market, fund.EtfConfig.default(), flows=pd.Series(dtype=float))
    c = build_content(res, idx, market=market)
    assert c.notes == ()


@pytest.mark.parametrize("variant", ["price", "net"])
def test_one_benchmark_one_number_everywhere(world, variant):
    # the default run as `hsidi demo` makes it: summary, tracking metrics, waterfall and report
    # headline give one tracking difference, against one named benchmark
    market, idx, fund, _ = world
    config = fund.EtfConfig.default().replace(benchmark=variant)
    flows = fund.default_flows(market, config)
    res = fund.backtest(idx, market, config, flows=flows)
    from engine.analytics import attribute, benchmark_label

    name = benchmark_label(idx.name, variant)
    s = res.summary()
    tr = fund_tracking(res, idx)
    wf = attribute(idx, market, config, flows=flows, actual=res)
    c = build_content(res, idx, market=market, attribution=wf)
    td = tr["tracking_difference"]
    assert s["tracking_difference"] == pytest.approx(td, abs=1e-15)
    assert wf.total == pytest.approx(td, abs=1e-12)
    head = f"vs {name} (benchmark)"
    row = c.metrics_table.set_index("metric")
    assert row.loc["tracking_difference", head] == pytest.approx(td, abs=1e-15)
    assert f"TD vs {name}: {td:.2%}" in c.subtitle
    frame = s.to_frame().set_index("metric")
    for key in ("tracking_difference", "tracking_error_std", "tracking_error_rms"):
        assert frame.loc[key, "against"] == name
    assert tr.benchmark == wf.benchmark == name
    assert s["tracking_error_std"] == pytest.approx(tr["tracking_error_std"], abs=1e-15)
    # log contributions add up exactly; fees per year read against the 0.60% fee rate
    assert math.fsum(wf.contributions_log) == pytest.approx(wf.total_log, abs=1e-13)
    fee = config.management_fee + config.custody_fee
    assert wf.contributions_log_per_year["+ fees"] == pytest.approx(-fee, rel=0.05)


def test_report_marks_the_revision_and_shows_the_story(world):
    market, idx, fund, res = world
    c = build_content(res, idx, market=market)
    assert c.extra["marks"] == ((pd.Timestamp("2025-08-11"), "revision"),)
    import matplotlib.dates as mdates

    x = mdates.date2num(pd.Timestamp("2025-08-11"))
    timed = ("Daily active returns", "Drawdown of the active return", "Units outstanding and flows",
             "Costs by kind")  # fmt: skip
    for sec in [c.headline, *(s for s in c.sections if s.title in timed)]:
        for ax in sec.figure.axes:
            xs = [line.get_xdata()[0] for line in ax.get_lines() if len(line.get_xdata()) == 2]
            marked = [
                v for v in xs if float(mdates.date2num(v) if not isinstance(v, float) else v) == x
            ]
            assert marked, (sec.title, ax.get_title())
    settings = c.settings.set_index("setting")
    assert settings.loc["management_fee", "status"] == "ASSUMPTION"
    assert settings.loc["benchmark", "status"] == "ASSUMPTION"
    assert settings.loc["stamp_duty", "status"].startswith("source [S54]")
    units = next(s for s in c.sections if s.title == "Units outstanding and flows")
    assert "122m" in units.figure.axes[0].get_title()


def test_desk_sections_show_the_analytics_numbers(world):
    from engine._display import fmt
    from engine.analytics import contributions, ex_ante, fund_rules

    market, idx, _fund, res = world
    c = build_content(res, idx, market=market)
    sec = {s.title: s for s in c.sections}
    risk = ex_ante(res, market, dates="all")
    shown = sec["Ex-ante against realised tracking error"].table
    assert shown.at["ex_ante_te", "value"] == fmt(risk.te, "%")
    ct = contributions(res, idx, market)
    shown = sec["Top contributors to the tracking difference"].table
    # the linked contributions add up to the fund's tracking difference, as the report shows it
    td = c.extra["tracking"].metrics["tracking_difference"]
    assert shown.at["tracking_difference", "value"] == fmt(td, "%")
    assert shown.at["top_1", "value"] == fmt(ct.summary()["top_1"], "%")
    rules = fund_rules(idx, market)
    shown = sec["Index-fund rule checks (sse-2025-11)"].table
    assert len(shown) == len(rules.table)
    assert (shown["passed"] == "yes").sum() == int(rules.table["passed"].sum())
    assert shown["constituents"].tolist() == rules.table["constituents"].astype(int).tolist()
