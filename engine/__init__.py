"""hsidi-engine: rebuild the Hang Seng Innovative Drug Index and backtest ETF 520500.

Pipeline (each stage only moves forward)::

    data -> rules -> index -> fund -> analytics -> report
"""

__version__ = "0.1.0"
