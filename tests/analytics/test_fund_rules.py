"""Index-fund rules: the rule file as data, a hand-worked three-security review, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from support.fakes import make_index
from support.markets import closes_from_returns, market_from_closes

from engine.analytics.fund_rules import (
    CHECKS,
    fund_rules,
    fund_rules_dir,
    liquid_weight,
    load_fund_rules,
    months_between,
)
from engine.errors import DataError, MethodologyError

RULES = """
name = "toy"
title = "toy rules"
status = "test"
source = "this test"
[min_constituents]
value = 2
[max_weight]
value = 0.5
[max_top5_weight]
value = 0.9
[liquidity]
weight_share = 0.9
universe_share = 0.67
lookback_sessions = 5
[min_history_months]
value = 0
"""


def test_the_sse_rule_set_is_data_with_its_source():
    rs = load_fund_rules("sse-2025-11")
    assert (rs.min_constituents, rs.max_weight, rs.max_top5_weight) == (30, 0.15, 0.60)
    assert (rs.liquid_weight_share, rs.liquid_universe_share) == (0.90, 0.80)
    assert rs.min_history_months == 3
    assert rs.status == "UNCONFIRMED: summary of the revised SSE/SZSE guidelines, 2025-11-19"
    for section, rule, source, status, _ in rs.texts:
        assert rule and source, section
        assert status.startswith("UNCONFIRMED"), section
    assert (fund_rules_dir() / "sse-2025-11.toml").is_file()


def _three_codes(traded=(300.0, 200.0, 100.0)):
    closes = closes_from_returns(np.zeros((12, 3)), ["A", "B", "C"])
    value = pd.DataFrame(np.tile(np.array(traded), (len(closes), 1)), closes.index, closes.columns)
    market = market_from_closes(closes, traded_value_hkd=value)
    # equal prices: weights are the index shares' shares: A 0.45, B 0.35, C 0.20
    idx = make_index(closes, [(8, {"A": 45, "B": 35, "C": 20})], name="toy-index")
    return market, idx


def test_three_securities_by_hand(tmp_path):
    path = tmp_path / "toy.toml"
    path.write_text(RULES)
    market, idx = _three_codes()
    res = fund_rules(idx, market, rules=path)
    row = res.table.iloc[0]
    assert row["constituents"] == 3 and row["constituents_ok"]
    assert row["max_weight"] == pytest.approx(0.45) and row["max_weight_code"] == "A"
    assert row["max_weight_ok"]
    # information: the largest end-of-day weight from the review on (prices flat: 45% throughout)
    assert row["max_weight_between"] == pytest.approx(idx.weights.iloc[8:].max(axis=1).max())
    assert row["top5_weight"] == pytest.approx(1.0) and not row["top5_ok"]  # 100% > 90%
    # ADV ranks A 1, B 2, C 3; top 67% of 3 names = rank <= 2.01: A and B, 80% < 90%
    assert row["liquid_weight"] == pytest.approx(0.80) and not row["liquidity_ok"]
    assert row["universe"] == 3
    assert not row["passed"] and not res.passed
    s = res.summary()
    assert s["fails_top5_weight"] == 1 and s["fails_max_weight"] == 0
    assert s["fails_liquid_weight"] == 1 and s["reviews_passing"] == 0
    assert set(CHECKS) <= set(res.to_frame().columns)


def test_liquidity_passes_when_the_small_name_trades_most(tmp_path):
    path = tmp_path / "toy.toml"
    path.write_text(RULES)
    market, idx = _three_codes(traded=(300.0, 100.0, 200.0))  # B is now the least traded
    assert fund_rules(idx, market, rules=path).table.at[0, "liquid_weight"] == pytest.approx(0.65)


def test_liquid_weight_ties_share_the_best_rank():
    import pandas as pd

    adv = pd.Series([5.0, 5.0, 1.0], index=["A", "B", "C"])
    w = pd.Series([0.5, 0.3, 0.2], index=["A", "B", "C"])
    assert liquid_weight(w, adv, 0.34) == pytest.approx(0.8)  # A, B both rank 1 <= 1.02


def test_months_between():
    assert months_between("2025-05-15", "2025-08-14") == 2
    assert months_between("2025-05-15", "2025-08-15") == 3


def test_unknown_rule_set_and_bad_numbers(tmp_path):
    market, idx = _three_codes()
    with pytest.raises(MethodologyError, match="field=rules"):
        fund_rules(idx, market, rules="nasdaq-1999")
    bad = tmp_path / "bad.toml"
    bad.write_text(RULES.replace("value = 0.5", 'value = "half"'))
    with pytest.raises(MethodologyError, match="max_weight.value"):
        fund_rules(idx, market, rules=bad)
    with pytest.raises(DataError, match="field=index"):
        fund_rules(market, market)


def test_version_comparison_shows_the_rules_for_both_versions():
    from engine.analytics import compare

    market, a = _three_codes()
    closes = market.panel("close")
    b = make_index(closes, [(8, {"A": 60, "B": 40})], name="toy-b")  # 60% in one name
    cmp = compare(a, b, market=market, labels=("a", "b"))
    assert set(cmp.fund_rules) == {"a", "b"}
    s = cmp.summary()
    # sse-2025-11: 3 and 2 names (< 30) fail, and b's 60% breaks the 15% cap
    assert s["fund_rules_a"] == 1 and s["fund_rules_b"] == 1
    note_b = s.to_frame().set_index("metric").at["fund_rules_b", "note"]
    assert "max_weight at 1" in note_b and "constituents at 1" in note_b
    assert cmp.fund_rules["b"].table.at[0, "max_weight"] == pytest.approx(0.6)
