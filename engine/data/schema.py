"""The vocabulary of the market tables, in one place: columns, optional columns, kinds.

:class:`~engine.data.market.MarketData`, the validation (:mod:`engine.data.validate`), the folder
reader and writer (:mod:`engine.data.io`) and the loaders read their column lists and kind names
from here.  The corporate-action kinds are the labels of the integer codes of :mod:`engine.enums`
(one numbering for the data, the index and the fund).

Tables
------
prices
    :data:`PRICE_COLUMNS`: one row per (date, code) on HKEX sessions.
securities
    :data:`SECURITY_COLUMNS`: the security master.
actions
    :data:`ACTION_COLUMNS`: corporate actions of the kinds :data:`ACTION_KINDS`; the fields each
    kind needs are :data:`ACTION_NEEDS`.

    * ``cash_dividend``: ``amount_hkd`` per share, paid on ``pay_date`` (defaults to ``ex_date``).
    * ``split``: ``ratio`` = new shares per old share (2.0 for a 2-for-1 split, 0.1 for a 10-to-1
      consolidation).
    * ``bonus``: ``ratio`` = bonus shares per share held (0.1 for 1 bonus share per 10).
    * ``rights``: ``ratio`` = new shares offered per share held, ``price_hkd`` = subscription price.
intervals
    :data:`INTERVAL_COLUMNS`: membership intervals of the kinds :data:`INTERVAL_KINDS`.
relevance
    :data:`RELEVANCE_COLUMNS`: innovative-drug relevance scores.
fx
    :data:`FX_COLUMNS`: HKD->CNY fixings (CNY per 1 HKD).
"""

from __future__ import annotations

from engine.enums import ACTION_LABELS

PANELS = {
    "close": "close_hkd",
    "shares": "shares",
    "free_float": "free_float",
    "traded_value": "traded_value_hkd",
    "suspended": "suspended",
}
"""Panel name -> :class:`~engine.data.market.MarketData` attribute (``[day, security]`` arrays)."""

PRICE_COLUMNS = [
    "date",
    "code",
    "close_hkd",
    "shares",
    "free_float",
    "traded_value_hkd",
    "suspended",
]
SECURITY_COLUMNS = [
    "code",  # str, HKEX code, 4 digits zero-padded ("0013")
    "name",  # str
    "industry",  # str, e.g. "Pharmaceuticals", "Biotechnology", "Healthcare Equipment", ...
    "sub_industry",  # str
    "is_cxo",  # bool, main business is CRO/CMO/CDMO
    "is_18a",  # bool, listed under HKEX Chapter 18A ("-B" suffix)
    "listing_date",  # Timestamp, first session
    "delisting_date",  # Timestamp or NaT, last session
    "board_lot",  # int, shares per board lot
    "wht_class",  # str, withholding-tax class: "H", "red_chip", "p_chip", "foreign", "hk"
]
ACTION_KINDS = ACTION_LABELS
"""Corporate-action kinds, indexed by their code in :mod:`engine.enums` (``ACT_*``)."""
ACTION_COLUMNS = ["ex_date", "code", "kind", "amount_hkd", "ratio", "price_hkd", "pay_date"]
"""Corporate action fields (see the module docstring for what each kind reads)."""
ACTION_NEEDS: dict[str, tuple[str, ...]] = {
    "cash_dividend": ("amount_hkd",),
    "split": ("ratio",),
    "bonus": ("ratio",),
    "rights": ("ratio", "price_hkd"),
}
"""The fields each action kind needs, positive (rights: the ratio is checked before the price)."""
INTERVAL_KINDS = ("hsci", "southbound")
INTERVAL_COLUMNS = ["code", "kind", "start", "end"]
RELEVANCE_COLUMNS = ["as_of", "code", "score"]
FX_COLUMNS = ["date", "hkd_cny"]

TABLE_COLUMNS: dict[str, list[str]] = {
    "prices": PRICE_COLUMNS,
    "securities": SECURITY_COLUMNS,
    "actions": ACTION_COLUMNS,
    "intervals": INTERVAL_COLUMNS,
    "relevance": RELEVANCE_COLUMNS,
    "fx": FX_COLUMNS,
}
"""Columns of each table, in file order."""

OPTIONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "prices": ("suspended",),
    "securities": ("sub_industry", "is_18a", "delisting_date"),
    "actions": ("amount_hkd", "ratio", "price_hkd", "pay_date"),
    "intervals": (),
    "relevance": (),
    "fx": (),
}
"""Columns a table may leave out (defaults: see :meth:`MarketData.from_frames`)."""

__all__ = [
    "ACTION_COLUMNS",
    "ACTION_KINDS",
    "ACTION_NEEDS",
    "FX_COLUMNS",
    "INTERVAL_COLUMNS",
    "INTERVAL_KINDS",
    "OPTIONAL_COLUMNS",
    "PANELS",
    "PRICE_COLUMNS",
    "RELEVANCE_COLUMNS",
    "SECURITY_COLUMNS",
    "TABLE_COLUMNS",
]
