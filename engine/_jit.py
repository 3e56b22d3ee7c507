"""The single Numba shim every kernel goes through.

``njit`` compiles with ``cache=True`` and ``nogil=True``.  Setting ``NUMBA_DISABLE_JIT=1`` (Numba's own
switch) runs every kernel as plain Python, which is how coverage tools and debuggers see them.  If the
cache directory is not writable, set ``NUMBA_CACHE_DIR`` to a writable folder.
"""

from __future__ import annotations

from numba import njit as _njit
from numba import prange

__all__ = ["njit", "prange"]


def njit(*args, **kwargs):
    """``numba.njit`` with the engine's defaults (``cache=True``, ``nogil=True``)."""
    kwargs.setdefault("cache", True)
    kwargs.setdefault("nogil", True)
    if args and callable(args[0]) and len(args) == 1 and not kwargs.get("_sig"):
        return _njit(**kwargs)(args[0])
    return _njit(*args, **kwargs)
