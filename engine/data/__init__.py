"""Stage 1: market data (panels, security master, corporate actions, memberships, relevance, FX).

* :class:`MarketData` and :meth:`MarketData.from_frames` (validated tidy frames -> aligned panels);
* :func:`read_folder` / :func:`write_folder`: the canonical folder (Parquet or CSV, docs/data-format.md);
* :mod:`engine.data.vendors`: yfinance CSV layouts (dividend-adjusted prices: a market built on them
  carries a warning that its price index is total-return-like);
* :func:`read_etf_csv` / :func:`splice`: observed ETF closes (English or Chinese headers), two
  sources joined (:mod:`engine.data.etf_prices`);
* :class:`Plausibility`: thresholds of the plausibility checks (spikes, rights above the market);
* :func:`check_folder`: every problem in a data folder in one pass (``hsidi check``);
* :func:`onboard` / :class:`Onboarding` / :class:`OnboardSettings` / :func:`reference_table`:
  onboarding real data (:mod:`engine.data.onboard`; :func:`engine.onboard` also checks what a
  methodology needs);
* :func:`default_market`: the embedded SYNTHETIC default market;
* :func:`hkex_sessions` and :data:`EXTRA_CLOSURES`: the HKEX calendar (``XHKG`` less the whole-day
  closures it misses; :mod:`engine.data.calendar`).
"""

from engine.data import vendors
from engine.data.calendar import EXTRA_CLOSURES, Closure, hkex_sessions
from engine.data.check import CheckReport, check_folder
from engine.data.etf_prices import read_etf_csv, splice
from engine.data.io import read_folder, write_folder
from engine.data.market import MarketData
from engine.data.onboard import Onboarding, OnboardSettings, onboard, reference_table
from engine.data.plausibility import Plausibility
from engine.data.synthetic import default_market

__all__ = [
    "EXTRA_CLOSURES",
    "CheckReport",
    "Closure",
    "MarketData",
    "OnboardSettings",
    "Onboarding",
    "Plausibility",
    "check_folder",
    "default_market",
    "hkex_sessions",
    "onboard",
    "read_etf_csv",
    "read_folder",
    "reference_table",
    "splice",
    "vendors",
    "write_folder",
]
