"""Stage 4: the ETF 520500 simulator (NAV in CNY, holdings in HKD, flows, costs, taxes, FX).

Quick use::

    from engine.fund import EtfConfig, backtest
    fund = backtest(index_result, market)                        # every effect on
    ideal = backtest(index_result, market, EtfConfig.default().with_effects(()))  # == gross TR
"""

from engine.fund.backtest import backtest, replication_plan
from engine.fund.config import COST_KINDS, EFFECTS, EtfConfig
from engine.fund.flows import UNIT_ANCHORS, check_flows, default_flows, fund_sessions
from engine.fund.replication import ReplicationPlan
from engine.fund.result import FundResult

__all__ = [
    "COST_KINDS",
    "EFFECTS",
    "EtfConfig",
    "FundResult",
    "ReplicationPlan",
    "UNIT_ANCHORS",
    "backtest",
    "check_flows",
    "default_flows",
    "fund_sessions",
    "replication_plan",
]
