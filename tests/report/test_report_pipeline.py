"""The report and the comparison on the real pipeline (default synthetic market -> rules -> index -> fund)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from analytics_fakes import real_pipeline

from engine.analytics import compare_indexes, fund_tracking
from engine.report import build_content, index_figure, tracking_report

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world():
    w = real_pipeline()
    assert not isinstance(w, str), w  # an import or attribute error in the pipeline fails
    return w


def test_tracking_report_on_the_real_fund(world, tmp_path):
    market, idx, _fund, res = world
    paths = tracking_report(res, idx, tmp_path / "520500", market=market)
    text = paths["html"].read_text(encoding="utf-8")
    assert 'class="warn-banner"' in text  # the default market is synthetic
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", text, flags=re.I)
    pdf = paths["pdf"].read_bytes()
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 9
    c = build_content(res, idx, market=market)
    assert c.notes == ()  # the waterfall reproduces this run; nothing excluded
    w = next(s for s in c.sections if s.title.startswith("Holding weights")).table
    assert w["fund"].sum() <= 1.0 + 1e-9 and (w["fund"] >= 0).all()
    tr = fund_tracking(res, idx, fx=market.fx)
    assert 0 < tr["te_std"] < 0.05 and tr["correlation"] > 0.99


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
    assert cmp.summary().set_index("metric").loc["te_std", "value"] >= 0
    p = index_figure({"launch": launch, "revision": idx}, tmp_path / "levels.png")
    assert p.read_bytes()[:4] == b"\x89PNG"


def test_report_waterfall_explains_a_run_without_flows(world):
    # the report computes the waterfall from the run's own flows and fixing, so a fund run with no
    # flows gets no "flow timing" drag and the waterfall's last step is that run
    market, idx, fund, _ = world
    res = fund.backtest(idx, market, fund.EtfConfig.default(), flows=pd.Series(dtype=float))
    c = build_content(res, idx, market=market)
    assert c.notes == ()
