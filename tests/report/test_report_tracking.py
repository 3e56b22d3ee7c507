"""The tracking report: self-contained HTML, PDF page count, SYNTHETIC banner, atomic writes."""

from __future__ import annotations

import dataclasses
import os
import re

import pandas as pd
import pytest
from support.fakes import FakeConfig, fake_backtest, make_index, make_market
from support.markets import market_from_closes, random_closes, random_fx

import engine.report.html as html_mod
import engine.report.pdf as pdf_mod
from engine.analytics import METRICS, attribute
from engine.errors import DataError
from engine.report import build_content, index_figure, tracking_report, write_atomic


def _world(synthetic: bool):
    closes = random_closes(70, ["0013", "1093", "1177", "1801"], seed=7)
    idx = make_index(
        closes,
        [
            (1, {"0013": 1.0, "1093": 2.0, "1177": 1.5}),
            (35, {"0013": 1.0, "1801": 2.0, "1177": 1.0}),
        ],
        synthetic=synthetic,
        name="hsidi",
    )
    market = make_market(closes, random_fx(closes.index), synthetic=synthetic)
    fund = fake_backtest(idx, market, FakeConfig())
    wf = attribute(idx, market, FakeConfig(), backtest=fake_backtest)
    return idx, market, fund, wf


def _pages(pdf_bytes: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf_bytes))


@pytest.fixture(scope="module", params=[True, False], ids=["synthetic", "real"])
def written(request, tmp_path_factory):
    synthetic = request.param
    idx, market, fund, wf = _world(synthetic)
    out = tmp_path_factory.mktemp("report") / "tracking"
    paths = tracking_report(fund, idx, out, market=market, attribution=wf)
    return synthetic, paths


@pytest.fixture(scope="module")
def content():
    """The report content of the synthetic world (figures built, not rendered)."""
    idx, market, fund, wf = _world(True)
    return build_content(fund, idx, market=market, attribution=wf)


def test_files_exist_with_expected_names(written):
    _, paths = written
    assert set(paths) == {"html", "pdf"}
    assert paths["html"].name == "tracking.html" and paths["pdf"].name == "tracking.pdf"
    assert all(p.exists() and p.stat().st_size > 0 for p in paths.values())
    leftovers = [p.name for p in paths["html"].parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_html_is_self_contained(written):
    _, paths = written
    text = paths["html"].read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", text, flags=re.I)
    assert "<script" not in text.lower() and "<link" not in text.lower()
    imgs = re.findall(r'<img[^>]*src="([^"]*)"', text)
    assert len(imgs) >= 6  # levels, active, rolling TE, waterfall, costs, weights
    assert all(src.startswith("data:image/png;base64,") for src in imgs)
    assert "<style>" in text


def test_banner_only_when_synthetic(written):
    synthetic, paths = written
    text = paths["html"].read_text(encoding="utf-8")
    if synthetic:
        assert 'class="warn-banner"' in text and "SYNTHETIC DATA" in text
    else:
        assert 'warn-banner"' not in text and "SYNTHETIC" not in text


def test_html_has_metrics_settings_assumptions_provenance(written):
    synthetic, paths = written
    market_fingerprint = _world(synthetic)[1].fingerprint()
    text = paths["html"].read_text(encoding="utf-8")
    import html as h

    for label, _unit, definition in METRICS.values():
        assert h.escape(label) in text
        assert h.escape(definition) in text
    for needle in (
        "Tracking error, STD",
        "Tracking error, RMS",
        "management_fee",  # settings from dataclasses.asdict(config)
        "abc123",  # methodology hash
        "fp0001",  # data fingerprint of the index run
        market_fingerprint,
        "engine version",
        "Attribution waterfall",
        "Costs by kind",
        "Holding weights vs index weights",
        "valuation fixing",
        "Tracking difference by calendar year",
    ):
        assert needle in text, needle


def test_pdf_header_and_page_count(written, content):
    _, paths = written
    data = paths["pdf"].read_bytes()
    assert data.startswith(b"%PDF")
    # page one, metrics, the sections flowed (two figures a page where they fit), settings,
    # assumptions and provenance, sources
    n = pdf_mod.page_count(content)
    assert _pages(data) == n and n < len(content.sections) + 5
    # every page is A4 portrait (595 x 842 pt), figure pages included
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data)
    assert len(boxes) == n
    assert {(round(float(w)), round(float(h))) for w, h in boxes} == {(595, 842)}


def test_report_without_market_or_attribution_still_complete(tmp_path):
    idx, _, fund, _ = _world(True)
    # a fund result without the closes it traded at: its own weights view needs market=
    assert fund.prices is None
    paths = tracking_report(fund, idx, tmp_path / "r.html", formats=("pdf",))
    assert set(paths) == {"pdf"} and not (tmp_path / "r.html").exists()
    c = build_content(fund, idx)
    assert _pages(paths["pdf"].read_bytes()) == pdf_mod.page_count(c)
    notes = {s.title: s.caption for s in c.sections if s.figure is None}
    assert notes["Attribution waterfall (arithmetic)"].startswith("Not computed: pass market=")
    assert notes["Holding weights vs index weights"].startswith("Not shown:")
    assert "market=" in notes["Holding weights vs index weights"]


def test_unknown_format_and_bad_fund(tmp_path):
    idx, market, fund, _ = _world(False)
    with pytest.raises(DataError, match="formats"):
        tracking_report(fund, idx, tmp_path / "x", formats=("docx",))
    with pytest.raises(DataError, match="field=nav"):
        tracking_report(object(), idx, tmp_path / "x", market=market)


def test_failure_while_rendering_leaves_no_file(tmp_path, monkeypatch):
    idx, market, fund, wf = _world(True)

    def boom(content):
        raise RuntimeError("disk full while rendering")

    monkeypatch.setattr(pdf_mod, "render", boom)
    with pytest.raises(RuntimeError):
        tracking_report(fund, idx, tmp_path / "rep", market=market, attribution=wf)
    assert list(tmp_path.iterdir()) == []


def test_interrupted_atomic_write_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "report.html"
    target.write_bytes(b"old complete report")

    class Interrupted(BaseException):
        """Stands for a KeyboardInterrupt/SystemExit between writing the temp file and the rename."""

    real_replace = os.replace

    def failing_replace(src, dst):
        raise Interrupted

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(Interrupted):
        write_atomic(target, b"new report that must never appear half-written")
    monkeypatch.setattr(os, "replace", real_replace)
    assert target.read_bytes() == b"old complete report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"


def test_index_figure(tmp_path):
    closes = random_closes(30, ["A", "B"])
    a = make_index(closes, [(1, {"A": 1.0, "B": 1.0})], synthetic=True)
    b = make_index(closes, [(1, {"A": 1.0, "B": 3.0})], synthetic=True)
    mark = (str(closes.index[15].date()), "revision")
    p = index_figure({"launch": a, "revision": b}, tmp_path / "idx.png", mark=mark)
    assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    p2 = index_figure({"launch": a}, tmp_path / "idx", mark=None)
    assert p2.suffix == ".png" and p2.exists()
    p3 = index_figure({"launch": a}, tmp_path / "idx.pdf")
    assert p3.read_bytes().startswith(b"%PDF")
    with pytest.raises(DataError, match="format"):
        index_figure({"launch": a}, tmp_path / "idx.gif")
    with pytest.raises(DataError, match="no index results"):
        index_figure({}, tmp_path / "idx.png")


def test_costs_are_summed_by_kind(content):
    sec = next(s for s in content.sections if s.title == "Costs by kind")
    assert sec.table is not None and {
        "management_fee",
        "stamp_duty",
        "withholding_tax",
        "total",
    } == set(sec.table.index)
    assert list(sec.table.columns) == [
        "total (CNY)",
        "bp of NAV, total",
        "bp of NAV, per year",
        "share of CNY total",
    ]
    assert sec.table.loc["total", "share of CNY total"] == "100.00%"
    assert all(v.endswith(" bp") for v in sec.table["bp of NAV, total"])


def test_holding_weights_section(content):
    sec = next(s for s in content.sections if s.title.startswith("Holding weights"))
    w = sec.table
    assert w is not None
    assert list(w.columns) == ["name", "fund weight", "index weight", "difference (fund - index)"]
    assert all(v.endswith("%") for v in w["fund weight"])
    assert sec.figure.axes[0].get_xlabel().startswith("weight, %")


def test_waterfall_of_another_run_is_flagged(tmp_path):
    idx, market, fund, _ = _world(True)
    other = attribute(
        idx, market, FakeConfig().with_effects(("fx", "fees")), backtest=fake_backtest
    )
    c = build_content(fund, idx, market=market, attribution=other)
    assert any("does not reproduce this fund run" in n for n in c.notes)
    paths = tracking_report(
        fund, idx, tmp_path / "r", market=market, attribution=other, formats=("html",)
    )
    assert "does not reproduce this fund run" in paths["html"].read_text(encoding="utf-8")


def test_display_metrics_formats_by_unit():
    frame = pd.DataFrame(
        {
            "metric": ["td", "n", "ir", "te"],
            "label": ["TD", "N", "IR", "TE"],
            "v": [-0.0123456, 248.0, 1.23456789, float("nan")],
            "unit": ["%", "count", "ratio", "%"],
            "definition": ["", "", "", ""],
        }
    )
    out = html_mod.display_metrics(frame)
    assert out["v"].tolist() == ["-1.23%", "248", "1.2346", "n/a"]
    assert "unit" not in out.columns
    assert frame["v"].iloc[0] == -0.0123456  # the input is not modified


def test_market_and_result_warnings_are_shown(tmp_path):
    idx, clean_market, clean_fund, wf = _world(True)
    market = market_from_closes(
        clean_market.panel("close"),
        fx=clean_market.fx,
        synthetic=True,
        warnings=("prices of 1093 on 2024-02-01 jump 100x and revert (approximation kept)",),
    )
    fund = dataclasses.replace(
        clean_fund, warnings=("flows redeem 99% of the units on 2024-03-01",)
    )
    c = build_content(fund, idx, market=market, attribution=wf)
    assert c.warnings == market.warnings + fund.warnings
    paths = tracking_report(fund, idx, tmp_path / "w", market=market, attribution=wf)
    text = paths["html"].read_text(encoding="utf-8")
    assert "<h2>Warnings</h2>" in text and "jump 100x and revert" in text and "redeem 99%" in text
    page = pdf_mod._metrics_page(c)
    shown = " ".join(t.get_text() for t in page.texts)
    assert "jump 100x and revert" in shown
    assert build_content(clean_fund, idx, market=clean_market, attribution=wf).warnings == ()


def test_index_figure_has_a_log_history_and_a_zoom_with_distinct_styles():
    from engine.plotting import index_levels_figure

    closes = random_closes(300, ["A", "B"], seed=5)
    a = make_index(closes, [(1, {"A": 1.0, "B": 1.0})])
    b = make_index(closes, [(1, {"A": 1.0, "B": 1.0}), (250, {"A": 1.0, "B": 3.0})])
    mark = (str(closes.index[250].date()), "revision")
    fig = index_levels_figure({"launch": a, "revision": b}, mark=mark)
    full, zoom = fig.axes
    assert full.get_yscale() == "log"
    year_start = pd.Timestamp(year=closes.index[250].year, month=1, day=1)
    for line in zoom.get_lines()[:2]:
        x = pd.to_datetime(line.get_xdata())
        assert x[0] >= year_start and line.get_ydata()[0] == pytest.approx(1.0)
    styles = {(ln.get_linestyle(), ln.get_linewidth()) for ln in zoom.get_lines()[:2]}
    assert len(styles) == 2  # coinciding series stay visible
    marked = [ln for ln in zoom.get_lines() if len(ln.get_xdata()) == 2]
    assert marked  # the revision is marked on the zoom too
