"""The engine's kernels are cached in a folder named by a hash of every kernel module (and of the
modules whose constants they compile in), so editing one of them never loads another kernel's
stale compiled code (Numba checks only the compiled function's own file)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import engine._jit as jit

ROOT = Path(jit.__file__).resolve().parent


def _stamp_of(root: Path, monkeypatch) -> str:
    monkeypatch.setattr(jit, "_ROOT", root)
    jit.kernel_stamp.cache_clear()
    try:
        return jit.kernel_stamp()
    finally:
        jit.kernel_stamp.cache_clear()


def test_the_stamp_follows_every_kernel_module_and_its_constants(tmp_path, monkeypatch):
    copy = tmp_path / "engine"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    base = _stamp_of(copy, monkeypatch)
    assert base == _stamp_of(copy, monkeypatch)  # deterministic
    assert {"enums.py", "prepare.py", "_jit.py"} <= {
        f.relative_to(copy).as_posix() for f in jit.kernel_files(copy)
    }  # what the kernels import from, found in their source
    for rel in ("rules/_nb.py", "enums.py", "prepare.py"):
        f = copy / rel
        text = f.read_text()
        f.write_text(text + "\n# edited\n")
        assert _stamp_of(copy, monkeypatch) != base, rel
        f.write_text(text)
    assert _stamp_of(copy, monkeypatch) == base
    (copy / "cli.py").write_text("# not a kernel module\n")
    assert _stamp_of(copy, monkeypatch) == base


def test_kernels_cache_under_the_stamped_folder_and_leave_numba_config_alone(tmp_path):
    code = (
        "import numba, engine.rules._nb as nb\n"
        "from engine._jit import cache_dir, kernel_stamp\n"
        "print(cache_dir()); print(kernel_stamp()); print(numba.config.CACHE_DIR)\n"
        "print(nb.reviews_kernel._cache._cache_path)\n"
    )
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.split("\n")
    where, stamp, numba_dir, kernel_path = out[:4]
    assert where == str(tmp_path / f"hsidi-{stamp}")
    assert numba_dir == str(tmp_path)  # other Numba code keeps the user's setting
    assert kernel_path.startswith(where)
