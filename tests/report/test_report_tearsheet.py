"""The tearsheet parts of the tracking report: page one, the active-return sections, the desk
sections, sources, the stamp, no code markup, vector figures in the PDF, byte-identical reruns."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from test_report_tracking import _world

import engine.report.pdf as pdf_mod
from engine._display import fmt
from engine.analytics import concentration
from engine.analytics.active import active_stats, td_by_month
from engine.report import build_content, tracking_report
from engine.report.sources import appendix, cited, plain

MARKUP = re.compile(r"``|:(data|math|func|meth|attr|class|mod):`|reference/\w+\.md")


@pytest.fixture(scope="module")
def world():
    return _world(True)  # the synthetic world of the tracking-report tests


@pytest.fixture(scope="module")
def content(world):
    idx, market, fund, wf = world
    return build_content(fund, idx, market=market, attribution=wf)


@pytest.fixture(scope="module")
def written(world, tmp_path_factory, monkeypatch_module):
    idx, market, fund, wf = world
    monkeypatch_module.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01 00:00 UTC
    out = tmp_path_factory.mktemp("tearsheet") / "tracking"
    return tracking_report(fund, idx, out, market=market, attribution=wf)


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def _sec(content, title):
    return next(s for s in content.sections if s.title == title)


def test_page_one_holds_the_key_figures_of_the_tracking_result(content):
    tr = content.extra["tracking"]
    kf = content.key_figures.set_index("figure")["value"]
    assert kf["tracking difference"] == fmt(tr.metrics["tracking_difference"], "%")
    assert kf["tracking error, STD"] == fmt(tr.metrics["tracking_error_std"], "%")
    assert kf["tracking error, RMS"] == fmt(tr.metrics["tracking_error_rms"], "%")
    assert kf["largest active drawdown"] == fmt(active_stats(tr)["active_max_drawdown"], "%")
    first = pdf_mod.pages(content)[0]
    texts = " ".join(t.get_text() for t in first.texts)
    assert "Key figures" in texts and content.title in texts
    charts = [ax for ax in first.axes if ax.get_lines()]  # the headline chart's panels
    assert len(charts) == 2 and "rebased to 1" in charts[0].get_ylabel()


def test_active_sections_show_the_analytics_numbers(content):
    tr = content.extra["tracking"]
    months = td_by_month(tr)
    shown = _sec(content, "Tracking difference by month").table
    for year in months.index:
        for m in ("Jan", "Feb", "Mar"):
            v = months.at[year, m]
            assert shown.at[year, m] == (fmt(v, "%") if pd.notna(v) else "")
        assert shown.at[year, "full year"] == fmt(months.at[year, "full_year"], "%")
    dist = _sec(content, "Distribution of daily active returns")
    stats = active_stats(tr).formatted()
    assert dist.table["value"].tolist() == stats["value"].tolist()
    ax = dist.figure.axes[0]
    assert "bp" in ax.get_xlabel() and "% of days" in ax.get_ylabel()
    dd = _sec(content, "Drawdown of the active return")
    assert fmt(active_stats(tr)["active_max_drawdown"], "%") in dd.caption
    assert "%" in dd.figure.axes[0].get_ylabel()


def test_flow_timing_names_its_setting(content):
    cap = _sec(content, "Units outstanding and flows").caption
    assert "flow_lag_sessions" in cap and "creation_true_up" in cap


def test_desk_results_given_are_shown_with_their_numbers(world):
    idx, market, fund, wf = world
    conc = concentration(idx)
    c = build_content(
        fund, idx, market=market, attribution=wf, desk={"compute": False, "concentration": conc}
    )
    sec = _sec(c, "Concentration")
    s = conc.summary().formatted()
    assert sec.table["value"].tolist() == s["value"].tolist()
    assert "Ex-ante against realised tracking error" not in [x.title for x in c.sections]


def test_no_code_markup_in_the_html_text(world, written):
    text = written["html"].read_text(encoding="utf-8")
    body = re.sub(r'src="data:image/png;base64,[^"]*"', "", text)
    assert not MARKUP.search(body), MARKUP.search(body)
    assert "<h2>Sources</h2>" in body and "http://fund.10jqka.com.cn/159567/manager.html" in body
    import engine

    stamp = (
        f"Generated 2026-01-01 00:00 UTC by hsidi-engine {engine.__version__} from data "
        f"fingerprint {world[1].fingerprint()}"
    )
    assert stamp in body


def test_pdf_figures_are_vector(written):
    data = written["pdf"].read_bytes()
    assert data.startswith(b"%PDF")
    assert b"/Subtype /Image" not in data  # no embedded pictures: every chart is drawn as paths


def test_reports_are_byte_identical_across_reruns(world, written, tmp_path):
    idx, market, fund, wf = world
    again = tracking_report(fund, idx, tmp_path / "tracking", market=market, attribution=wf)
    for kind in ("html", "pdf"):
        assert again[kind].read_bytes() == written[kind].read_bytes(), kind


def test_plain_and_sources():
    assert plain("the ``benchmark`` of :data:`engine.fund.EtfConfig.benchmark`") == (
        "the benchmark of benchmark"
    )
    assert plain(":math:`\\sqrt p`") == "\\sqrt p"
    assert plain(":math:`0.5 x`") == "0.5 x"  # maths keeps its dots
    assert "reference/" not in plain("see reference/tracking-standards.md section 1")
    assert cited("see reference/tracking-standards.md section 1") == ["R1", "R2", "R3", "R4", "R5"]
    tags = cited("fees [S48][S49]", pd.DataFrame({"doc": ["stamp [S54]"]}))
    assert tags == ["S48", "S49", "S54"]
    a = appendix(tags)
    assert a["source"].tolist() == ["[S48]", "[S49]", "[S54]"]
    assert a["address"].str.startswith("http").all() and (a["date"] != "").all()
