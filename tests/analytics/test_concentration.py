"""Concentration: hand-worked weights, identities on random weights, index and fund tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.fakes import make_index, tiny_fund
from support.markets import closes_from_returns, market_from_closes

from engine.analytics.concentration import COLUMNS, concentration, measures
from engine.errors import DataError


def test_three_weights_by_hand():
    top1, top5, top10, hhi, eff = measures([0.2, 0.5, 0.3])[0]
    assert top1 == 0.5
    assert top5 == pytest.approx(1.0) and top10 == pytest.approx(1.0)
    assert hhi == pytest.approx(0.04 + 0.25 + 0.09)  # 0.38
    assert eff == pytest.approx(1 / 0.38)


def test_twelve_weights_top_five_and_ten_by_hand():
    w = np.array([12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1], dtype=float)
    w /= w.sum()  # 78
    top1, top5, top10, _, _ = measures(w[::-1])[0]
    assert (top1, top5, top10) == pytest.approx((12 / 78, 50 / 78, 75 / 78))


@given(st.lists(st.floats(0, 1), min_size=1, max_size=40))
def test_identities_on_random_weights(raw):
    w = np.array(raw)
    if w.sum() <= 0:
        assert np.isnan(measures(w)).all()
        return
    w = w / w.sum()
    top1, top5, top10, hhi, eff = measures(w)[0]
    assert top1 <= top5 + 1e-15 <= top10 + 2e-15 and top10 <= 1 + 1e-12
    assert top1 == pytest.approx(w.max())
    assert hhi == pytest.approx((w**2).sum())
    assert eff == pytest.approx(1 / hhi)
    assert 1 - 1e-9 <= eff <= (w > 0).sum() + 1e-9  # equal weights give exactly n
    s = pd.Series(w)
    assert top5 == pytest.approx(s.nlargest(5).sum())


def test_equal_weights_give_n_names():
    assert measures(np.full(7, 1 / 7))[0, 4] == pytest.approx(7.0)


def test_index_daily_and_per_review():
    closes = closes_from_returns(np.random.default_rng(0).normal(0, 0.02, (30, 4)), list("ABCD"))
    idx = make_index(
        closes, [(1, {"A": 1, "B": 1, "C": 1}), (15, {"A": 3, "B": 1, "C": 1, "D": 1})]
    )
    res = concentration(idx)
    assert list(res.daily.columns) == list(COLUMNS)
    np.testing.assert_allclose(res.daily.to_numpy(), measures(idx.weights.to_numpy()))
    assert list(res.per_review["date"]) == [closes.index[1], closes.index[15]]
    assert list(res.per_review["constituents"]) == [3, 4]
    # second review: q = (3, 1, 1, 1) on the cap-date closes
    p = closes.iloc[14].to_numpy() * np.array([3, 1, 1, 1])
    w = p / p.sum()
    assert res.per_review["hhi"].iloc[1] == pytest.approx((w**2).sum())
    s = res.summary()
    assert s["top1_last"] == pytest.approx(idx.weights.iloc[-1].max())
    assert s["effective_n_min"] == pytest.approx(res.daily["effective_n"].min())


def test_fund_on_invested_value_and_review_trade_days():
    r = np.zeros((5, 3))
    market = market_from_closes(closes_from_returns(r, ["0001", "0002", "0003"]))
    day = market.dates[2]
    fund = tiny_fund(market, {"0001": 0.5, "0002": 0.3, "0003": 0.19}, {}, review_days=[day])
    res = concentration(fund)
    w = np.array([0.5, 0.3, 0.19]) / 0.99  # cash left out
    assert res.daily["top1"].iloc[0] == pytest.approx(w[0])
    assert res.daily["hhi"].iloc[-1] == pytest.approx((w**2).sum())
    assert list(res.per_review["date"]) == [day]
    assert res.per_review["constituents"].iloc[0] == 3
    assert res.kind == "fund"


def test_not_a_result():
    with pytest.raises(DataError, match="field=result"):
        concentration(pd.DataFrame())
