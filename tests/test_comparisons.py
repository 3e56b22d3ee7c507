"""Every implementation of every kernel in ``support.comparisons.COMPARISONS`` agrees.

Each entry holds the engine's compiled kernel, a plain-Python oracle and, where natural, the
pandas expression a user would write; all are called on the same random inputs and must match to
the entry's tolerances (NaN where the oracle gives NaN).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support.comparisons import COMPARISONS, IMPLEMENTATIONS, implementations


def test_every_entry_has_an_engine_and_an_oracle():
    for name, entry in COMPARISONS.items():
        assert {"engine", "oracle"} <= set(entry), name
        assert set(entry) <= set(IMPLEMENTATIONS) | {"inputs", "rtol", "atol"}, name
        assert all(callable(v) for k, v in entry.items() if k not in ("rtol", "atol")), name


def _assert_agree(name: str, seed: int) -> None:
    entry = COMPARISONS[name]
    args = entry["inputs"](seed)
    got = {impl: np.asarray(f(*args), dtype=float) for impl, f in implementations(name).items()}
    want = got.pop("oracle")
    if want.ndim:  # a series or panel: the inputs must give the oracle something to say
        assert np.isfinite(want).any(), (name, seed)
    for impl, value in got.items():
        np.testing.assert_allclose(
            value,
            want,
            rtol=entry["rtol"],
            atol=entry["atol"],
            equal_nan=True,
            err_msg=f"{name}: {impl} against the oracle, seed {seed}",
        )


@pytest.mark.parametrize("name", sorted(n for n in COMPARISONS if n != "fund_loop"))
@given(seed=st.integers(0, 2**32 - 1))
def test_every_implementation_agrees(name, seed):
    _assert_agree(name, seed)


@pytest.mark.parametrize("seed", range(4))
def test_fund_loop_engine_agrees_with_its_oracle(seed):
    """The fund loop is slow in plain Python: four seeds (board lots on for even seeds)."""
    _assert_agree("fund_loop", seed)


def test_a_wrong_implementation_is_caught():
    """The agreement check fails when an implementation is off by a little."""
    entry = COMPARISONS["index_levels"]
    args = entry["inputs"](3)
    want = entry["oracle"](*args)
    bad = entry["engine"](*args) * (1 + 1e-8)
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(bad, want, rtol=entry["rtol"], atol=entry["atol"])
