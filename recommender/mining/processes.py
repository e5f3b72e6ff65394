"""The processes mining forks: each ends with its parent and leaves interruptions to it.

Used by the mining pool (:mod:`.mlxtend_engine`), the pair counts' shares (:mod:`.pairs`) and
the weights fitted beside the mining (:mod:`.beside`).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor

__all__ = ["start_worker", "die_with_parent", "stop_workers"]

# prctl(2): the signal a process gets when the thread that started it ends.
PR_SET_PDEATHSIG = 1
# Where prctl is missing, how often a worker looks whether its parent is still there.
PARENT_CHECK_SECONDS = 1.0


def start_worker(parent: int) -> None:
    """Set up a mining process: it dies with its parent, and leaves interruptions to it.

    A terminal's Ctrl-C reaches the whole process group: the parent stops the workers, which
    ignore it (a worker interrupted in a task would only report it back). A forked worker
    inherits the parent's handlers, such as the command line's SIGTERM handler: it gets the
    default back, so that stopping it is immediate.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    die_with_parent(parent)


def die_with_parent(parent: int) -> None:
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


def stop_workers(pool: ProcessPoolExecutor) -> None:
    """Stop an interrupted pool now: end the workers, which would otherwise finish the batches
    in hand (minutes on a large input) before the ``with`` block lets the interruption through;
    the pool, broken, fails the batches left."""
    # Python 3.14 has pool.terminate_workers(); before it, the processes are only reachable
    # here, and only until shutdown() forgets them.
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        process.terminate()
    pool.shutdown(wait=False)
