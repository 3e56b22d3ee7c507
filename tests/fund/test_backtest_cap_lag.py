"""The fund trades to the same review shares as the index when the cap date is several sessions
before the effective date and a capital change falls in between."""

from __future__ import annotations

import numpy as np
import pandas as pd
from support.markets import fund_market, sessions
from support.reviews import make_review, make_schedule

from engine.fund import EtfConfig, backtest
from engine.index import compute


def test_ideal_fund_follows_shares_restated_for_a_split_after_the_cap_date():
    d = sessions(14)
    # A drifts; B splits 2-for-1 on d[6] (close 20 -> 10), after the cap date d[5] of the second
    # review and before its effective date d[8]
    a = [10.0, 10.2, 10.1, 10.4, 10.3, 10.6, 10.5, 10.7, 10.8, 10.6, 10.9, 11.0, 10.8, 11.1]
    b = [20.0, 20.4, 19.8, 20.2, 20.6, 20.0, 10.2, 10.4, 10.1, 10.3, 10.6, 10.4, 10.5, 10.7]
    close = pd.DataFrame({"A": a, "B": b}, index=d)
    actions = pd.DataFrame({"ex_date": [d[6]], "code": ["B"], "kind": ["split"], "ratio": [2.0]})
    market = fund_market(close, actions=actions, fx=pd.Series(0.9, index=d))
    sched = make_schedule(
        [
            make_review(d[1], d[0], {"A": 2e6, "B": 1e6}, kind="initial"),
            make_review(d[8], d[5], {"A": 2e6, "B": 1e6}),  # cap-date count of B, before its split
        ],
        base_value=1000.0,
    )
    idx = compute(market, sched, withholding={"H": 0.1, "red_chip": 0.1})
    # by hand: B's index shares double on d[6] and stay doubled through the review on d[8]
    assert idx.index_shares.loc[d[6] :, "B"].eq(2e6).all()
    cfg = EtfConfig(inception_date=d[0], initial_units=1e6, creation_unit=1e5).with_effects(())
    res = backtest(idx, market, cfg, flows=pd.Series(dtype=float))
    # the fund holds the index basket: B/A share ratio 2e6/2e6 = 1 after the split and the review
    hold = res.holdings
    np.testing.assert_allclose((hold["B"] / hold["A"]).loc[d[6] :], 1.0, rtol=1e-9)
    # and with every effect off its NAV per unit tracks the gross total return exactly
    nav = res.nav["nav_per_unit_cny"] / res.nav["nav_per_unit_cny"].iloc[0]
    gross = idx.levels["gross"].reindex(nav.index) / idx.levels["gross"].iloc[0]
    np.testing.assert_allclose(nav.to_numpy(), gross.to_numpy(), rtol=1e-10)
