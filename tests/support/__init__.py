"""Builders, fakes, oracles and the kernel comparison table shared by the whole test suite.

Import from the modules, e.g. ``from support.markets import market_from_closes``: pytest's default
``prepend`` import mode puts the folder of the top-level ``tests/conftest.py`` on ``sys.path``
(``tests/`` has no ``__init__.py``), so this package is found from every test folder, also when a
single test file is run.

Modules
-------
markets
    Real :class:`~engine.data.market.MarketData` objects built through ``MarketData.from_frames``:
    from a ``[date, code]`` close panel, from security specs (rules tests), from tidy tables (data
    tests).
methodologies
    Shipped methodologies rebased for those small markets, and the benchmark's standard workload.
reviews
    Hand-made :class:`~engine.rules.schedule.Review` and ``ReviewSchedule`` objects (no rules engine).
cases
    Random inputs: index-kernel arrays, and a scripted fund market with its index.
terminal
    The one error line a refused ``hsidi`` command prints (:func:`~support.terminal.one_line_error`).
fakes
    Hand-made results for the analytics and report tests: an ``IndexResult`` chain-linked by hand,
    a real ``FundResult`` built from frames, a toy backtest, the default pipeline built once.
oracles
    Plain-Python statements of the compiled kernels (index levels, the fund's daily loop).
comparisons
    ``COMPARISONS``: each kernel's implementations (engine, oracle, pandas) and its inputs.
"""
