"""Stage 1: market data (panels, security master, corporate actions, memberships, relevance, FX)."""

from engine.data.calendar import hkex_sessions
from engine.data.market import MarketData

__all__ = ["MarketData", "hkex_sessions"]
