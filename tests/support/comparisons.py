"""One table of implementations per compiled kernel, for the tests and the benchmarks.

``COMPARISONS[name]`` maps implementation names to callables that compute the same thing:

* ``"engine"``: the engine's compiled kernel (through its public or ``_nb`` entry point);
* ``"oracle"``: a short, obviously right plain-Python version (:mod:`support.oracles`);
* ``"pandas"`` (where one is natural): the pandas/NumPy expression a user would write;

plus ``"inputs"``: ``inputs(seed) -> args``, random arguments every implementation is called with
(``impl(*args)``), and ``"rtol"`` / ``"atol"``: the tolerances of their agreement.
``tests/test_comparisons.py`` asserts that every implementation of every entry agrees; a benchmark
can time ``impl(*inputs(seed))`` for each implementation (the inputs are small: these are test
sizes).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from engine import metrics
from engine.conventions import Conventions
from engine.enums import PAYER_FUND
from engine.fund import _nb as fund_nb
from engine.index import _nb as index_nb
from engine.prepare import ACTION_DT

from .cases import fund_loop_case, index_dense_args, random_index_arrays
from .oracles import oracle_levels, oracle_loop

IMPLEMENTATIONS = ("engine", "oracle", "pandas")
"""The implementation names an entry may hold (``engine`` and ``oracle`` always)."""


# ----------------------------------------------------------------- metrics (engine.metrics)
def oracle_std(x, ddof):
    """Sample standard deviation with ``ddof`` (NaN when ``len(x) <= ddof``)."""
    n = len(x)
    if n <= ddof:
        return math.nan
    m = sum(x) / n
    return math.sqrt(sum((v - m) ** 2 for v in x) / (n - ddof))


def oracle_rms(x):
    """Root mean square (NaN when empty)."""
    return math.sqrt(sum(v * v for v in x) / len(x)) if len(x) else math.nan


def oracle_max_drawdown(levels):
    """Most negative ``L_t / max_{s <= t} L_s - 1`` (NaN when a level is NaN)."""
    peak, dd = levels[0], 0.0
    for x in levels:
        if math.isnan(x):
            return math.nan
        peak = max(peak, x)
        dd = min(dd, x / peak - 1.0)
    return dd


def returns_inputs(seed: int) -> tuple:
    """1 to 59 daily returns (normal, 2 % a day) and conventions of 246 periods a year, ddof 0 or 1."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 0.02, rng.integers(1, 60))
    return x, Conventions(periods_per_year=246, ddof=int(rng.integers(0, 2)))


METRICS = {
    "std": {
        "engine": lambda x, c: metrics.std(x, c),
        "oracle": lambda x, c: oracle_std(list(x), c.ddof),
        "pandas": lambda x, c: pd.Series(x).std(ddof=c.ddof) if len(x) > c.ddof else math.nan,
    },
    "tracking_error_rms": {
        "engine": lambda x, c: metrics.tracking_error(x, c, "rms"),
        "oracle": lambda x, c: oracle_rms(list(x)) * math.sqrt(c.periods_per_year),
        "pandas": lambda x, c: math.sqrt((pd.Series(x) ** 2).mean() * c.periods_per_year),
    },
    "max_drawdown": {
        "engine": lambda x, c: metrics.max_drawdown(np.cumprod(1 + x)),
        "oracle": lambda x, c: oracle_max_drawdown(list(np.cumprod(1 + x))),
        "pandas": lambda x, c: float(
            (pd.Series(np.cumprod(1 + x)) / pd.Series(np.cumprod(1 + x)).cummax() - 1).min()
        ),
    },
}
"""The metric entries: each implementation takes ``(returns, conventions)`` and returns a float."""


# ----------------------------------------------------------------- index levels (engine.index._nb)
def index_inputs(seed: int) -> tuple:
    """A random :func:`~support.cases.random_index_arrays` case: 8-60 sessions, 3-8 securities,
    late listings and delistings, 1-4 reviews, up to 15 corporate actions."""
    rng = np.random.default_rng(seed)
    T, N = int(rng.integers(8, 61)), int(rng.integers(3, 9))
    n_reviews, n_actions = int(rng.integers(1, 5)), int(rng.integers(0, 16))
    return (random_index_arrays(rng, T, N, n_reviews=n_reviews, n_actions=n_actions),)


def index_levels_engine(case: dict) -> np.ndarray:
    """``[T, 3]`` price, gross and net levels from ``engine.index._nb.index_dense``."""
    return index_nb.index_dense(*index_dense_args(case))[0]


def index_levels_oracle(case: dict) -> np.ndarray:
    """The same from :func:`~support.oracles.oracle_levels` (chain-linked in plain Python)."""
    return oracle_levels(
        case["close"],
        0,
        1000.0,
        case["review_rows"],
        case["review_q"],
        case["actions"],
        case["wht"],
    )


# ----------------------------------------------------------------- the fund loop (engine.fund._nb)
def run_fund_loop(case: dict) -> dict:
    """``engine.fund._nb.simulate`` on a :func:`~support.cases.fund_loop_case` (no corporate
    actions, the fund bears every cost); returns its output arrays by name (``state``, ``hold``,
    ``days``, ``costs``, ``pcosts``, ``trades`` and ``events`` cut to their counts)."""
    close, n = case["close"], case["close"].shape[1]
    T = close.shape[0]
    rev_rows = np.array(sorted(case["reviews"]), dtype=np.int64)
    rev_q = np.array([case["reviews"][r] for r in rev_rows], dtype=float)
    p = fund_nb.records(1, fund_nb.PARAMS_DT)
    p["management_fee"], p["custody_fee"] = case["fee_rates"]
    p["cash_buffer"], p["sweep"], p["lag"] = case["buffer"], case["sweep"], case["lag"]
    p["initial_value_hkd"], p["initial_units"] = case["init_hkd"], case["init_units"]
    p["use_lots"], p["immediate"], p["creation_payer"] = True, False, PAYER_FUND
    arrays = fund_nb.FundArrays(
        close, case["lot"], np.zeros(n), case["days"], case["pay_fees"], case["target_q"],
        rev_rows, rev_q, fund_nb.records(0, ACTION_DT), case["flows"],
    )  # fmt: skip
    books = fund_nb.books(T, n, 2000, 10)
    fund_nb.simulate(arrays, p, case["rates"], books)
    state = books.state[0]
    assert state["n_trades"] <= len(books.trades), "trade buffer too small"
    out = books._asdict()
    out["trades"] = books.trades[: state["n_trades"]]
    out["events"] = books.events[: state["n_events"]]
    return out


def fund_loop_oracle_run(case: dict):
    """:func:`~support.oracles.oracle_loop` on a :func:`~support.cases.fund_loop_case`:
    ``([(holdings, cash_hkd, units, nav_hkd)] per row, the fund's trading costs in HKD)``."""
    return oracle_loop(
        case["close"],
        list(case["lot"]),
        list(case["rates"]),
        list(case["fee_rates"]),
        case["days"],
        case["pay_fees"],
        case["buffer"],
        case["init_hkd"],
        case["init_units"],
        case["target_q"],
        {r: list(q) for r, q in case["reviews"].items()},
        case["flows"],
        case["lag"],
        case["sweep"],
    )


def fund_loop_engine(case: dict) -> np.ndarray:
    """``[T, n + 3]``: holdings (shares), cash (HKD), units and NAV (HKD) after each session."""
    out = run_fund_loop(case)
    d = out["days"]
    return np.column_stack([out["hold"], d["cash_hkd"], d["units"], d["nav_hkd"]])


def fund_loop_oracle(case: dict) -> np.ndarray:
    """The same from the plain-Python loop."""
    rows, _ = fund_loop_oracle_run(case)
    return np.array([[*h, cash, units, nav] for h, cash, units, nav in rows])


def fund_loop_inputs(seed: int) -> tuple:
    """A :func:`~support.cases.fund_loop_case` with board lots on or off (by the seed's parity)."""
    return (fund_loop_case(seed, lots_on=seed % 2 == 0),)


COMPARISONS = {
    **{
        name: {**impls, "inputs": returns_inputs, "rtol": 1e-12, "atol": 1e-15}
        for name, impls in METRICS.items()
    },
    "index_levels": {
        "engine": index_levels_engine,
        "oracle": index_levels_oracle,
        "inputs": index_inputs,
        "rtol": 1e-10,
        "atol": 0.0,
    },
    "fund_loop": {
        "engine": fund_loop_engine,
        "oracle": fund_loop_oracle,
        "inputs": fund_loop_inputs,
        "rtol": 1e-9,
        "atol": 1e-5,  # HKD cash and fractional shares after thousands of HKD of trades
    },
}
"""Kernel name -> ``{"engine", "oracle", "pandas" (optional): callable, "inputs", "rtol", "atol"}``."""


def implementations(name: str) -> dict:
    """The callables of ``COMPARISONS[name]`` by implementation name (no inputs, no tolerances)."""
    return {k: v for k, v in COMPARISONS[name].items() if k in IMPLEMENTATIONS}
