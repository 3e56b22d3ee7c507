"""The single Numba shim every kernel goes through.

``njit`` compiles with ``cache=True`` and ``nogil=True``.  Setting ``NUMBA_DISABLE_JIT=1`` (Numba's own
switch) runs every kernel as plain Python, which is how coverage tools and debuggers see them.

Numba's on-disk cache checks only the source file of the function it compiled, so a kernel that
calls a kernel of another module (the batch index kernel calls the rules kernel) or compiles in a
constant of another module (the codes of :mod:`engine.enums`, the dtype of :mod:`engine.prepare`)
would be loaded stale after that other file changed.  The engine's kernels are therefore cached in
a folder named by :func:`kernel_stamp`, a hash of every kernel module (``_nb.py`` or
``*_nb.py``) and of every other engine module they import from (found in their source, so the
list cannot go stale): any edit to one of them starts a fresh cache.  The folder is
``<NUMBA_CACHE_DIR>/hsidi-<stamp>`` when ``NUMBA_CACHE_DIR`` is set, else
``engine/__pycache__/numba/hsidi-<stamp>`` (the user's cache folder, ``$XDG_CACHE_HOME`` or
``~/.cache``, ``hsidi-engine/numba/hsidi-<stamp>``, when the package folder is not writable).  Only the engine's own kernels use it; other Numba code in the process keeps
Numba's settings.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from contextlib import contextmanager
from pathlib import Path

from numba import config, prange
from numba import njit as _njit

__all__ = ["cache_is_cold", "kernel_files", "kernel_stamp", "njit", "prange"]

_ROOT = Path(__file__).resolve().parent
_IMPORT = re.compile(rb"^\s*from engine\.([\w.]+) import", re.MULTILINE)


def kernel_files(root: Path | None = None) -> list[Path]:
    """Every kernel module under ``root`` (a name ending ``_nb.py``) and every other module of the
    engine one of them imports from (``from engine.x import ...``): the codes of
    :mod:`engine.enums`, the dtypes of :mod:`engine.prepare`, this shim."""
    root = _ROOT if root is None else root
    kernels = sorted(root.rglob("*_nb.py"))
    deps = set()
    for path in kernels:
        for name in _IMPORT.findall(path.read_bytes()):
            dep = root.joinpath(*name.decode().split(".")).with_suffix(".py")
            if dep.is_file() and not dep.name.endswith("_nb.py"):
                deps.add(dep)
    return kernels + sorted(deps)


@functools.lru_cache(maxsize=1)
def kernel_stamp() -> str:
    """A hash of the source of every file of :func:`kernel_files`."""
    h = hashlib.sha256()
    for path in kernel_files():
        h.update(path.relative_to(_ROOT).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _writable(path: Path) -> bool:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(path, os.W_OK)


@functools.lru_cache(maxsize=1)
def cache_dir() -> str | None:
    """The folder the engine's kernels are cached in (None: Numba's default locations)."""
    name = f"hsidi-{kernel_stamp()}"
    user = os.environ.get("NUMBA_CACHE_DIR")
    if user:
        candidates = [Path(user) / name]
    else:
        home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        candidates = [
            _ROOT / "__pycache__" / "numba" / name,
            home / "hsidi-engine" / "numba" / name,
        ]
    for path in candidates:
        if _writable(path):
            return str(path)
    return None


COMPILE_SECONDS = 40
"""About how long the first run compiles the kernels on an idle machine, in seconds of CPU time:
``hsidi demo`` took 49 s of CPU on a fresh cache and 13 s on a warm one (2-core x86-64 host,
NUMBA_CACHE_DIR set to an empty folder; wall-clock time grows on a busy machine)."""


def cache_is_cold() -> bool:
    """True when the kernels will be compiled: the cache folder (:func:`cache_dir`) holds no compiled
    kernel yet, as on the first run after an install or an edit of a kernel module.  False when the
    JIT is off (``NUMBA_DISABLE_JIT=1``) or Numba's own locations are used (nothing to tell)."""
    if config.DISABLE_JIT:
        return False
    where = cache_dir()
    return where is not None and not any(Path(where).rglob("*.nbi"))


@contextmanager
def _engine_cache():
    """Numba reads ``config.CACHE_DIR`` when a function's cache is set up (at decoration): point it
    at :func:`cache_dir` for the engine's kernels only."""
    before = config.CACHE_DIR
    where = cache_dir()
    if where is not None:
        config.CACHE_DIR = where
    try:
        yield
    finally:
        config.CACHE_DIR = before


def njit(*args, **kwargs):
    """``numba.njit`` with the engine's defaults (``cache=True``, ``nogil=True``), cached under
    :func:`cache_dir`."""
    kwargs.setdefault("cache", True)
    kwargs.setdefault("nogil", True)
    if args and callable(args[0]) and len(args) == 1 and not kwargs.get("_sig"):
        with _engine_cache():
            return _njit(**kwargs)(args[0])
    decorate = _njit(*args, **kwargs)

    def apply(func):
        with _engine_cache():
            return decorate(func)

    return apply
