"""Every integer code that crosses a kernel boundary, with its label, in one module.

(Named ``enums`` so that it does not read like :attr:`MarketData.codes <engine.data.market.MarketData.codes>`,
the security codes of a market; ``engine.codes`` is its deprecated alias.)

Kernels see only the integers (``_nb.py`` files import them from here); tables for a reader turn them
into labels only when asked (``to_frame()``).  Sections: corporate-action kinds and events (one
numbering for the data, the index and the fund), review reasons (rules), trade reasons, fund events
and cost kinds (fund).
"""

from __future__ import annotations

import numpy as np

# --- corporate-action kinds and the events logged for them: data, index and fund -----------------
# One numbering.  The index logs a review (0), each corporate action under its own kind (1-4) and a
# deletion (5); the fund logs the same actions under the same codes and three events of its own
# (6, 7).  The data stage names the kinds by their labels (engine.data.schema.ACTION_KINDS).
EV_REVIEW = 0
ACT_SPLIT = 1
ACT_BONUS = 2
ACT_RIGHTS = 3
ACT_CASH_DIVIDEND = 4
EV_DELETION = 5
EV_CASH_IN_LIEU = 6
EV_DIVIDEND_PAID = 7
ACTION_CODES = {
    "cash_dividend": ACT_CASH_DIVIDEND,
    "split": ACT_SPLIT,
    "bonus": ACT_BONUS,
    "rights": ACT_RIGHTS,
}
"""Corporate-action kind (the ``kind`` column of the actions table) -> code."""
ACTION_LABELS = tuple(ACTION_CODES)
"""The corporate-action kinds, in the order the data stage lists them."""
EVENT_LABELS = (
    "review",
    "split",
    "bonus",
    "rights",
    "cash_dividend",
    "deletion",
    "cash_in_lieu",
    "dividend_paid",
)
"""Labels of the event codes, indexed by code (the index's event table reads the first six)."""

# --- review reasons: rules ---------------------------------------------------------------------
# Why a security is in or out at a review; the review table renders them as text only when asked
# (engine.rules._reasons.reason_text), with the rank, score or traded value the text needs.
RS_NONE = 0  # not decided (never left in a finished review)
RS_SELECTED = 1  # "selected: rank r"
RS_KEPT_BY_BUFFER = 2  # "selected: rank r kept by buffer (<=R)"
RS_FILLS_VACANCY = 3  # "selected: rank r fills a vacancy"
RS_CUT_OVERFLOW = 4  # "out: rank r cut (more than K qualified)"
RS_BELOW_BUFFER = 5  # "out: rank r below the buffer (>R)"
RS_NEWCOMER_RANK = 6  # "out: rank r, a newcomer needs rank <=A"
RS_BELOW_CUT = 7  # "out: rank r below the cut"
RS_NOT_LISTED = 10  # "out: not listed"
RS_TOO_YOUNG = 11  # "out: listed less than n months (listed d)"
RS_SUSPENDED = 12  # "out: suspended at cutoff"
RS_NOT_HSCI = 13  # "out: not an HSCI member"
RS_NOT_SOUTHBOUND = 14  # "out: not Southbound eligible"
RS_CXO = 15  # "out: CXO excluded"
RS_INDUSTRY = 16  # "out: industry x not eligible"
RS_RELEVANCE = 17  # "out: relevance score s"
RS_LIQUIDITY = 18  # "out: liquidity HKD xm < ym"
RS_DELISTED = 19  # "out: delisted after the cap date ..."
RS_LONG_SUSPENDED = 20  # "out: suspended n sessions"
# selection.replace_delisted (engine.rules.replace): a security with no close from the review's
# effective date on, and the two selection outcomes of an ad-hoc replacement review
RS_GONE = 21  # "out: delisted (last close d)"
RS_REPLACES = 22  # "selected: rank r replaces c (delisted, last close d)"
RS_KEPT_AT_REPLACEMENT = 23  # "selected: constituent kept at the replacement (...)"
RS_REPLACE_CODES = (RS_GONE, RS_REPLACES, RS_KEPT_AT_REPLACEMENT)
REASON_LABELS = {
    RS_NONE: "",
    RS_SELECTED: "selected",
    RS_KEPT_BY_BUFFER: "selected: kept by buffer",
    RS_FILLS_VACANCY: "selected: fills a vacancy",
    RS_CUT_OVERFLOW: "out: cut (more than max_constituents qualified)",
    RS_BELOW_BUFFER: "out: below the buffer",
    RS_NEWCOMER_RANK: "out: newcomer ranked below buffer_add_rank",
    RS_BELOW_CUT: "out: below the cut",
    RS_NOT_LISTED: "out: not listed",
    RS_TOO_YOUNG: "out: listed too recently",
    RS_SUSPENDED: "out: suspended at cutoff",
    RS_NOT_HSCI: "out: not an HSCI member",
    RS_NOT_SOUTHBOUND: "out: not Southbound eligible",
    RS_CXO: "out: CXO excluded",
    RS_INDUSTRY: "out: industry not eligible",
    RS_RELEVANCE: "out: relevance score",
    RS_LIQUIDITY: "out: liquidity",
    RS_DELISTED: "out: delisted after the cap date",
    RS_LONG_SUSPENDED: "out: suspended too long",
    RS_GONE: "out: delisted",
    RS_REPLACES: "selected: replaces a delisted constituent",
    RS_KEPT_AT_REPLACEMENT: "selected: constituent kept at a replacement",
}

# --- trade reasons, fund events, cost kinds, cost payers: fund --------------------------------
# The fund's codes are ``np.int64``, not ``int``: a Python int constant handed to a jitted helper is
# typed as a literal and would compile one more specialisation of the helper per value.
TRADE_INCEPTION = np.int64(0)
TRADE_REVIEW = np.int64(1)
TRADE_CREATION = np.int64(2)
TRADE_REDEMPTION = np.int64(3)
TRADE_RIGHTS = np.int64(4)
TRADE_FEE = np.int64(5)
TRADE_DELETION = np.int64(6)
TRADE_REINVEST = np.int64(7)
TRADE_REASONS = (
    "inception",
    "review",
    "creation",
    "redemption",
    "rights",
    "fee",
    "deletion",
    "reinvest",
)
"""Labels of the trade reasons, indexed by code."""

EVENT_SPLIT = np.int64(ACT_SPLIT)
EVENT_BONUS = np.int64(ACT_BONUS)
EVENT_RIGHTS = np.int64(ACT_RIGHTS)
EVENT_DIVIDEND = np.int64(ACT_CASH_DIVIDEND)
EVENT_DELETION = np.int64(EV_DELETION)
EVENT_CASH_IN_LIEU = np.int64(EV_CASH_IN_LIEU)
EVENT_DIVIDEND_PAID = np.int64(EV_DIVIDEND_PAID)
FUND_EVENTS = tuple("dividend" if c == ACT_CASH_DIVIDEND else x for c, x in enumerate(EVENT_LABELS))
"""Labels of the fund's events, indexed by the event code (:data:`EVENT_LABELS`; the fund's table
calls a cash dividend's ex-date event ``"dividend"``)."""

COST_MANAGEMENT_FEE = 0
COST_CUSTODY_FEE = 1
COST_TRADING0 = 2  # first of the six trading-cost kinds, in TRADING_COST_KINDS order
COST_WITHHOLDING = 8
COST_FX = 9
COST_KINDS = (
    "management_fee",
    "custody_fee",
    "stamp_duty",
    "sfc_levy",
    "afrc_levy",
    "trading_fee",
    "brokerage",
    "market_impact",
    "withholding_tax",
    "fx",
)
"""Cost kinds, indexed by column of the kernel's cost arrays."""
TRADING_COST_KINDS = COST_KINDS[COST_TRADING0 : COST_TRADING0 + 6]
N_COSTS = len(COST_KINDS)

PAYER_FUND = np.int64(0)
PAYER_PARTICIPANT = np.int64(1)
COST_PAYERS = ("fund", "participant")
"""Who bears a trading or conversion cost: the fund (all holders) or the creating/redeeming
participant (see ``EtfConfig.creation_costs``)."""

__all__ = [
    "ACTION_CODES",
    "ACTION_LABELS",
    "EVENT_LABELS",
    "ACT_BONUS",
    "ACT_CASH_DIVIDEND",
    "ACT_RIGHTS",
    "ACT_SPLIT",
    "COST_KINDS",
    "COST_PAYERS",
    "FUND_EVENTS",
    "N_COSTS",
    "TRADE_REASONS",
    "TRADING_COST_KINDS",
    "REASON_LABELS",
    *(name for name in dir() if name.startswith(("RS_", "EV_", "EVENT_"))),
]
