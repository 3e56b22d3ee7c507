"""Stage 1: market data (panels, security master, corporate actions, memberships, relevance, FX)."""

from engine.data.calendar import hkex_sessions
from engine.data.market import MarketData
from engine.data.synthetic import default_market

__all__ = ["MarketData", "default_market", "hkex_sessions"]
