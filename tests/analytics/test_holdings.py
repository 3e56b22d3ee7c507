"""engine.analytics.holdings: fund vs index holding weights and the active share, hand-worked."""

from __future__ import annotations

import pandas as pd
import pytest
from support.fakes import make_fund, make_index
from support.markets import market_from_closes

from engine.analytics import active_share, holding_weights
from engine.errors import DataError

DAY = pd.Timestamp("2025-03-03")


CLOSES = pd.DataFrame(
    {"X": [10.0, 10.0], "Y": [20.0, 20.0], "Z": [5.0, 5.0]},
    index=pd.DatetimeIndex([pd.Timestamp("2025-02-28"), DAY]),
)


def _inputs():
    """A fund holding 100 X and 50 Y on ``DAY`` (no closes of its own, so the market's are used),
    an index weighting X, Y, Z 0.6, 0.2, 0.2 there (index shares 0.06, 0.01, 0.04 at 10, 20, 5 HKD),
    and the market of :data:`CLOSES`."""
    index = make_index(CLOSES, [(1, {"X": 0.06, "Y": 0.01, "Z": 0.04})])
    holdings = pd.DataFrame({"X": [100.0], "Y": [50.0]}, index=[DAY])
    fund = make_fund(pd.DataFrame({"nav_hkd": [2000.0]}, index=[DAY]), index, holdings=holdings)
    return fund, index, market_from_closes(CLOSES)


def test_holding_weights_from_the_market_closes_hand_worked():
    fund, index, market = _inputs()
    w, when = holding_weights(fund, index, market)
    # 100 x 10 = 1000 HKD of X, 50 x 20 = 1000 HKD of Y: half each; Z is in the index only
    assert when == DAY
    assert list(w.index) == ["X", "Y", "Z"]  # by index weight, largest first
    assert w["fund"].tolist() == pytest.approx([0.5, 0.5, 0.0])
    assert w["index"].tolist() == pytest.approx([0.6, 0.2, 0.2])
    assert w["diff"].tolist() == pytest.approx([-0.1, 0.3, -0.2])


def test_active_share_hand_worked():
    fund, index, market = _inputs()
    w, _ = holding_weights(fund, index, market)
    assert active_share(w) == pytest.approx(0.5 * (0.1 + 0.3 + 0.2))
    same = pd.DataFrame({"fund": [0.3, 0.7], "index": [0.3, 0.7]})
    disjoint = pd.DataFrame({"fund": [1.0, 0.0], "index": [0.0, 1.0]})
    assert active_share(same) == 0.0 and active_share(disjoint) == 1.0


def test_missing_market_names_the_argument():
    fund, index, _ = _inputs()
    with pytest.raises(DataError, match="market"):
        holding_weights(fund, index)


def test_a_held_code_without_a_close_names_it():
    fund, index, _ = _inputs()
    delisted_y = market_from_closes(CLOSES.assign(Y=[20.0, float("nan")]))  # Y's last close 02-28
    with pytest.raises(DataError, match="no close.*code=Y"):
        holding_weights(fund, index, delisted_y)
