"""The kernel tests once more with ``NUMBA_DISABLE_JIT=1``: every kernel also runs as plain Python.

Coverage tools and debuggers see the kernels that way, so they must give the same results.  The run
is a subprocess (the switch is read when Numba is imported) with a small hypothesis profile.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
KERNEL_TESTS = [
    "rules/test_rules_capping.py",
    "rules/test_rules_selection.py",
    "rules/test_rules_kernel_steps.py",
    "index/test_index_properties.py",
    "index/test_index_handworked.py",
    "index/test_variants_distinct.py",
    "fund/test_kernel.py",
    "fund/test_loop_oracle.py",
    "test_metrics_core.py",
    "test_comparisons.py",  # every entry of support.comparisons.COMPARISONS
    "analytics/test_contributions_kernels.py",
    "fund/test_fund_batch.py",  # simulate_batch, the kernel of engine.fund.batch (about 2 s without JIT)
]


def test_kernel_tests_pass_without_jit():
    missing = [f for f in KERNEL_TESTS if not (TESTS / f).is_file()]
    assert not missing, f"kernel test files not found: {missing}"
    files = [str(TESTS / f) for f in KERNEL_TESTS]
    env = dict(os.environ, NUMBA_DISABLE_JIT="1", HYPOTHESIS_PROFILE="nojit")
    code = (
        "import sys, pytest\n"
        "from hypothesis import HealthCheck, settings\n"
        "settings.register_profile('nojit', deadline=None, max_examples=5,\n"
        "    suppress_health_check=[HealthCheck.too_slow])\n"
        "from engine.index import _nb\n"
        "assert not hasattr(_nb.index_kernel, 'py_func'), 'the JIT is still on'\n"
        "sys.exit(pytest.main(sys.argv[1:]))\n"
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "-q",
            "-x",
            "-p",
            "no:cacheprovider",
            "-n",
            "0",
            "-k",
            "not larger_markets",
            *files,
        ],
        cwd=TESTS.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout
