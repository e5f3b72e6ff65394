"""Memory freed while reading, given back to the system.

Reading a large file allocates and frees a batch's arrays over and over. Two allocators keep
what was freed resident: glibc's malloc keeps freed chunks inside its heap (numpy's arrays of
a batch, pandas' and pyarrow's C++ structures land there), where they are reused only in part
as the sizes shift; and pyarrow's pool (mimalloc) keeps the pages of the buffers it freed.
Left alone, what glibc's heap holds free grows with the lines read, and a Parquet file's row
groups leave their buffers in pyarrow's pool, both resident beside the basket matrix and the
order ids made next (figures: ``benchmarks/README.md``, reading). The reader gives them back
every million lines or so (``orders.GIVE_BACK_LINES``).
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable

import pyarrow as pa

__all__ = ["give_back_freed"]


def give_back_freed() -> None:
    """Give the pages of freed memory back to the system: glibc's ``malloc_trim`` (where the C
    library is glibc; elsewhere nothing) and pyarrow's pool's ``release_unused``. Cheap next to
    reading a million lines; nothing in use moves."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
    pa.default_memory_pool().release_unused()


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none (musl, macOS, Windows).

    Looked up among the symbols the interpreter is linked with (``CDLL(None)``), not by
    ``ctypes.util.find_library``, which runs ``ldconfig`` in a child process.
    """
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim
