"""The regulator preset's sections of the tracking report: they show what the result computed."""

from __future__ import annotations

import warnings

import pytest
from support.fakes import FakeConfig, fake_backtest, make_index, make_market
from support.markets import random_closes, random_fx

import engine.report.html as html_mod
import engine.report.pdf as pdf_mod
from engine._display import fmt
from engine.analytics import attribute, capacity, regulatory
from engine.report import build_content


@pytest.fixture(scope="module")
def world():
    closes = random_closes(90, ["0013", "1093", "1177"], seed=3)
    idx = make_index(closes, [(1, {"0013": 1.0, "1093": 2.0, "1177": 1.5})], name="hsidi")
    market = make_market(closes, random_fx(closes.index))
    wf = attribute(idx, market, FakeConfig(), backtest=fake_backtest)
    return idx, market, fake_backtest(idx, market, FakeConfig()), wf


def _sections(content):
    return {s.title: s for s in content.sections}


def test_breach_table_reads_the_result(world):
    idx, market, fund, wf = world
    reg = regulatory(fund, idx, "sebi", window=10, te_limit=1e-6)  # every window breaches
    sec = _sections(build_content(fund, idx, market=market, attribution=wf, regulatory=reg))
    table = sec["Breaches: sebi preset"].table
    assert len(reg.breaches) > 40 and len(table) == 40  # the first 40 shown, the count said
    assert f"{len(reg.breaches)} breaching rolling windows" in sec["Breaches: sebi preset"].caption
    assert list(table["value"]) == [fmt(v, "%") for v in reg.breaches["value"].head(40)]
    assert list(table["consecutive"]) == list(range(1, 41))
    shown = sec["Regulatory figures: sebi preset"].table
    assert shown.loc["breaches_te_limit", "value"] == fmt(len(reg.breaches), "count")
    assert "Quarterly-report periods (mainland section 3.2)" not in sec


def test_clean_fund_says_no_breach(world):
    idx, market, fund, wf = world
    reg = regulatory(fund, idx, "esma", anticipated_te=0.5)
    sec = _sections(build_content(fund, idx, market=market, attribution=wf, regulatory=reg))
    assert sec["Breaches: esma preset"].table is None
    assert "No calendar year breached" in sec["Breaches: esma preset"].caption
    assert "Calendar-year figures: esma preset" in sec


def test_csrc_period_table_and_renderers(world):
    idx, market, fund, wf = world
    reg = regulatory(fund, idx, "csrc", periods_per_year=243)
    content = build_content(fund, idx, market=market, attribution=wf, regulatory=reg)
    sec = _sections(content)
    periods = sec["Quarterly-report periods (mainland section 3.2)"].table
    assert list(periods.columns[1:7]) == [
        "NAV growth (1)",
        "Std of NAV growth (2)",
        "Benchmark return (3)",
        "Std of benchmark return (4)",
        "(1)-(3)",
        "(2)-(4)",
    ]
    assert periods.loc["past 1 year", "NAV growth (1)"] == "n/a"  # 90 sessions: longer than data
    assert periods.loc["since inception", "(1)-(3)"] == fmt(
        reg.periods.at["since inception", "diff_1_3"], "%"
    )
    html = html_mod.render(content)
    assert "Regulatory figures: csrc preset" in html and "NAV growth (1)" in html
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert pdf_mod.render(content)[:4] == b"%PDF"
    assert not [w for w in caught if "Glyph" in str(w.message)]  # no glyph the PDF font lacks


def test_capacity_sections_read_the_result(world):
    from test_capacity import TRADE, _market, _panels

    idx, market, fund, wf = world
    _, closes, traded, suspended, actions = _panels()
    index = make_index(closes, [(0, {"A": 100.0, "B": 50.0}), (TRADE + 1, {"B": 50.0, "C": 400.0})])
    cap = capacity(index, _market(closes, traded, suspended, actions), aum_cny=9.2e6)
    sec = _sections(build_content(fund, idx, market=market, attribution=wf, capacity=cap))
    table = sec["Rebalance capacity at each review"].table
    br = cap.by_review
    assert list(table["value to trade"]) == [fmt(v, "HKD") for v in br["value_to_trade_hkd"]]
    assert list(table["names over one day"]) == list(br["names_over_one_day"])
    assert "assumptions" in sec["Rebalance capacity at each review"].caption
    big = sec[f"Largest review ({closes.index[TRADE + 1].date()}): days to trade by code"]
    assert list(big.table["code"]) == list(cap.review(cap.largest_review)["code"])
    assert big.figure is not None
