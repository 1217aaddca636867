"""Giving a job's freed memory back to the system, so a long-running daemon stays as small as its data.

A cycle allocates, then frees, the whole sheet as read and, on a busy day, every
e-mail it renders. Python frees them, but glibc's allocator keeps the pages: freed
blocks sit between live ones, and large ones are served from the heap once glibc's
adaptive threshold has grown. The process then holds the largest cycle it ever ran,
and each later cycle's peak starts from there. `malloc_trim(0)` hands the free pages
back (the practice of long-running Python services on glibc, Dask's workers among them).
"""

import ctypes
import ctypes.util
from collections.abc import Callable


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):   # not glibc (musl, macOS): nothing to trim this way
        return None


_TRIM = _malloc_trim()


def give_back() -> bool:
    """Return the allocator's free pages to the system; False where the C library cannot."""
    if _TRIM is None:
        return False
    _TRIM(0)
    return True
