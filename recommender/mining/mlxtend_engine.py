"""The adapter to mlxtend: the only module that imports it.

mlxtend is called with keyword arguments only (its ``association_rules`` signature changed
under users once) and only with sparse DataFrames, never a dense one-hot frame.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
import warnings
from concurrent.futures import ProcessPoolExecutor

import pandas as pd
import scipy.sparse as sp

from .partition import ConditionalBatch

__all__ = ["mine_matrix", "mine_batches", "mlxtend_version"]

# Below this many entries in all batches together, starting processes costs more than it saves.
PARALLEL_MIN_ENTRIES = 200_000
# prctl(2): the signal a process gets when the thread that started it ends.
PR_SET_PDEATHSIG = 1
# Where prctl is missing, how often a worker looks whether its parent is still there.
PARENT_CHECK_SECONDS = 1.0


def mlxtend_version() -> str:
    import mlxtend

    return str(mlxtend.__version__)


def mine_matrix(matrix: sp.csr_matrix, *, min_count: int, max_len: int) -> list[tuple[tuple[int, ...], int]]:
    """Itemsets of columns (any size up to ``max_len``) held by at least ``min_count`` rows."""
    from mlxtend.frequent_patterns import fpgrowth

    n_rows, n_columns = matrix.shape
    if n_rows < min_count or n_columns == 0:
        return []
    columns = [str(j) for j in range(n_columns)]
    frame = pd.DataFrame.sparse.from_spmatrix(matrix.astype(bool), columns=columns)
    # mlxtend turns the share back into a count with ceil(min_support * rows); half a basket
    # below the count keeps that exact whatever the rounding of the division.
    min_support = min(1.0, (min_count - 0.5) / n_rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        found = fpgrowth(frame, min_support=min_support, use_colnames=False, max_len=max_len)
    return [
        (tuple(sorted(int(j) for j in itemset)), int(round(support * n_rows)))
        for itemset, support in zip(found["itemsets"].tolist(), found["support"].tolist())
    ]


def _mine_batch(batch: ConditionalBatch, min_count: int, max_len: int) -> list[tuple[tuple[int, ...], int]]:
    """Itemsets of two or more members of one conditional database, with their owner added."""
    found = []
    for columns, count in mine_matrix(batch.matrix, min_count=min_count, max_len=max_len - 1):
        if len(columns) < 2:
            continue  # a single member is a pair with the owner, counted exactly elsewhere
        owner = int(batch.owner[columns[0]])
        found.append((tuple(sorted([owner, *(int(batch.member[c]) for c in columns)])), count))
    return found


# The batches of the pool being run, for workers forked from this process (see mine_batches).
_FORKED_BATCHES: list[ConditionalBatch] = []


def _mine_forked_batch(number: int, min_count: int, max_len: int) -> list[tuple[tuple[int, ...], int]]:
    return _mine_batch(_FORKED_BATCHES[number], min_count, max_len)


def mine_batches(
    batches: list[ConditionalBatch], *, min_count: int, max_len: int, workers: int = 1
) -> list[tuple[tuple[int, ...], int]]:
    """Frequent itemsets of three to ``max_len`` items from conditional databases.

    With ``workers`` > 1 and enough work, batches are mined in that many processes.
    """
    total = sum(batch.cost for batch in batches)
    if workers <= 1 or len(batches) < 2 or total < PARALLEL_MIN_ENTRIES:
        return [itemset for batch in batches for itemset in _mine_batch(batch, min_count, max_len)]
    # fork shares the imported libraries with the children at no cost (mlxtend imported here
    # first, rather than once in each worker); spawn elsewhere.
    from mlxtend.frequent_patterns import fpgrowth  # noqa: F401

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() and os.name == "posix" else "spawn"
    context = multiprocessing.get_context(method)
    ordered = sorted(batches, key=lambda batch: -batch.cost)
    global _FORKED_BATCHES
    if method == "fork":
        # The workers are forked at the first task, after this line: they find the batches in
        # their copy of this module (pages shared with this process until written), and each
        # task sends only a batch's number, not a pickled copy of its matrix.
        _FORKED_BATCHES = ordered
    try:
        with ProcessPoolExecutor(
            max_workers=min(workers, len(batches)),
            mp_context=context,
            initializer=_start_worker,
            initargs=(os.getpid(),),
        ) as pool:
            try:
                tasks: list[int] | list[ConditionalBatch] = list(range(len(ordered))) if method == "fork" else ordered
                mine_one = _mine_forked_batch if method == "fork" else _mine_batch
                # Futures of its own, not map's: map cancels the batches left when interrupted,
                # and the pool's thread, failing them as the workers end, then reports a
                # failure set on a cancelled batch (Python 3.11).
                futures = [pool.submit(mine_one, task, min_count, max_len) for task in tasks]
                return [itemset for future in futures for itemset in future.result()]
            except BaseException:
                _stop_workers(pool)
                raise
    finally:
        _FORKED_BATCHES = []


def _start_worker(parent: int) -> None:
    """Set up a mining process: it dies with its parent, and leaves interruptions to it.

    A terminal's Ctrl-C reaches the whole process group: the parent stops the workers, which
    ignore it (a worker interrupted in a task would only report it back). A forked worker
    inherits the parent's handlers, such as the command line's SIGTERM handler: it gets the
    default back, so that stopping it is immediate.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent(parent)


def _die_with_parent(parent: int) -> None:
    """End this process when ``parent`` ends, however it ends (``kill -9`` included).

    On Linux the kernel does it (``prctl(PR_SET_PDEATHSIG, SIGKILL)``): at once, whatever
    the worker is doing, with no thread and no polling; SIGKILL since a worker has nothing
    to save, its results going to a parent that is gone. Elsewhere a daemon thread polls the
    parent id, which changes when the parent dies (the worker is handed to another process).
    """
    if sys.platform.startswith("linux"):
        try:
            prctl = ctypes.CDLL(None, use_errno=True).prctl
        except (OSError, AttributeError):  # a libc without prctl: the thread below does it
            prctl = None
        if prctl is not None and prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
            if os.getppid() != parent:  # the parent died before the line above
                os._exit(1)
            return
    threading.Thread(target=_watch_parent, args=(parent,), name="watch-parent", daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Stop an interrupted pool now: end the workers, which would otherwise finish the batches
    in hand (minutes on a large input) before the ``with`` block lets the interruption through;
    the pool, broken, fails the batches left."""
    # Python 3.14 has pool.terminate_workers(); before it, the processes are only reachable
    # here, and only until shutdown() forgets them.
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        process.terminate()
    pool.shutdown(wait=False)
