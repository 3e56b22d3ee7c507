"""The index on the embedded synthetic market with the rules stage's schedule, against the oracle."""

from __future__ import annotations

import numpy as np
import pytest
from support.oracles import oracle_levels

from engine.index import compute


@pytest.fixture(scope="module")
def pipeline():
    from engine.data.synthetic import default_market
    from engine.rules.run import run_reviews

    market = default_market()
    schedule = run_reviews(market)
    return market, schedule, compute(market, schedule)


def test_synthetic_pipeline_matches_oracle(pipeline):
    market, schedule, res = pipeline
    dates, codes = market.dates, market.codes
    base_row = market.row(res.base_date)
    review_rows = [market.row(r.effective_date) for r in schedule.reviews]
    review_q = schedule.index_shares(codes)
    wht_rate = schedule.index_params["withholding"]
    classes = market.securities.set_index("code")["wht_class"].reindex(codes)
    wht = np.array([wht_rate.get(c, 0.0) for c in classes])
    act = market.actions
    actions = [
        (dates.get_loc(x), codes.index(c), k, ratio, price, amount)
        for x, c, k, ratio, price, amount in zip(
            act["ex_date"],
            act["code"],
            act["kind"],
            act["ratio"],
            act["price_hkd"],
            act["amount_hkd"],
            strict=True,
        )
    ]
    expected = oracle_levels(
        market.close_hkd, base_row, res.base_value, review_rows, review_q, actions, wht
    )[base_row:]
    np.testing.assert_allclose(res.levels.to_numpy(), expected, rtol=1e-10, atol=0)
    assert res.synthetic and res.levels.index[-1] == dates[-1]
    assert (res.events["kind"] == "review").sum() == len(schedule.reviews)
    np.testing.assert_allclose(res.weights.sum(axis=1), 1.0, rtol=1e-12)
    # net sits between price and gross on every day
    lv = res.levels
    assert (lv["price"] <= lv["net"] * (1 + 1e-12)).all() and (
        lv["net"] <= lv["gross"] * (1 + 1e-12)
    ).all()


def test_base_weights_are_the_initial_review_weights(pipeline):
    """The schedule's ``weight`` is the capped weight at the cap-date close, and the first cap date is
    the base date: the index's base-date weights must reproduce it."""
    _, schedule, res = pipeline
    table = schedule.reviews[0].table.set_index("code")
    w0 = res.weights.iloc[0]
    np.testing.assert_allclose(
        w0.reindex(table.index).to_numpy(), table["weight"].to_numpy(), atol=1e-12
    )
