"""The comparison report's own template: run settings (not fund settings), no NaT, vector figures."""

from __future__ import annotations

import re

import pytest

from engine import analytics
from engine.data import default_market
from engine.report import comparison_report
from engine.report.compare import build_comparison_content

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cmp():
    return analytics.compare(
        "hsidi-2023-05", "hsidi", market=default_market(), labels=("launch", "chained")
    )


def test_comparison_template(cmp, tmp_path):
    c = build_comparison_content(cmp)
    assert c.settings_title == "Runs compared" and c.metrics_title == "Comparison figures"
    kf = c.key_figures.set_index("figure")["value"]
    s = cmp.summary()
    assert kf["selection effect"] == f"{s['selection_effect'] * 100:.2f}%"
    assert kf["CXO weight removed, chained"] == f"{cmp.cxo.at['chained', 'removed'] * 100:.2f}%"
    paths = comparison_report(cmp, tmp_path / "cmp")
    text = paths["html"].read_text(encoding="utf-8")
    body = re.sub(r'src="data:image/png;base64,[^"]*"', "", text)
    assert "Fund settings" not in body and "NaT" not in body
    assert "<h2>Runs compared</h2>" in body and "Key figures" in body
    assert "Index-fund rules of each run" in body
    pdf = paths["pdf"].read_bytes()
    assert b"/Subtype /Image" not in pdf and b"NaT" not in pdf
