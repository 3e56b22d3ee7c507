"""engine.analytics.holdings: fund vs index holding weights and the active share, hand-worked."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pytest

from engine.analytics import active_share, holding_weights
from engine.errors import DataError

DAY = pd.Timestamp("2025-03-03")


@dataclass(frozen=True)
class _Closes:
    """The one thing holding_weights reads from a market: its close panel."""

    close: pd.DataFrame

    def panel(self, name: str) -> pd.DataFrame:
        assert name == "close"
        return self.close


@dataclass(frozen=True)
class _Holdings:
    """A fund result with holdings only (no ``weights()`` view): the market's closes are used."""

    holdings: pd.Series


@dataclass(frozen=True)
class _IndexWeights:
    weights: pd.DataFrame


def _inputs():
    holdings = pd.Series(
        [100.0, 50.0], index=pd.MultiIndex.from_tuples([(DAY, "X"), (DAY, "Y")]), name="shares"
    )
    market = _Closes(pd.DataFrame({"X": [10.0], "Y": [20.0], "Z": [5.0]}, index=[DAY]))
    index = _IndexWeights(pd.DataFrame({"X": [0.6], "Y": [0.2], "Z": [0.2]}, index=[DAY]))
    return _Holdings(holdings), index, market


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
    fund, index, market = _inputs()
    no_y = _Closes(market.close.assign(Y=float("nan")))
    with pytest.raises(DataError, match="no close.*code=Y"):
        holding_weights(fund, index, no_y)
