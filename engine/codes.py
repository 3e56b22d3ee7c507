"""Every integer code that crosses a kernel boundary, with its label, in one module.

Kernels see only the integers (``_nb.py`` files import them from here); tables for a reader turn them
into labels only when asked (``to_frame()``).  Sections: corporate-action kinds (shared by the index
and the fund), review reasons (rules), trade reasons, fund events and cost kinds (fund).
"""

from __future__ import annotations

# --- corporate-action kinds: index and fund ---------------------------------------------------
ACT_SPLIT = 1
ACT_BONUS = 2
ACT_RIGHTS = 3
ACT_CASH_DIVIDEND = 4
ACTION_CODES = {
    "split": ACT_SPLIT,
    "bonus": ACT_BONUS,
    "rights": ACT_RIGHTS,
    "cash_dividend": ACT_CASH_DIVIDEND,
}

# --- review reasons: rules (filled by the batch rules core) -----------------------------------

# --- trade reasons, fund events, cost kinds: fund ---------------------------------------------

__all__ = ["ACTION_CODES", "ACT_BONUS", "ACT_CASH_DIVIDEND", "ACT_RIGHTS", "ACT_SPLIT"]
