"""Work run beside the caller's: in a process forked now, its result taken when it is wanted.

:func:`recommender.mine` fits the learned weights (seconds of dense algebra over thousands of
items) while it mines the rules, since neither needs the other. A forked process sees the
baskets and their Gram matrix in the memory it shares with this one: nothing is copied or sent
to it, and only its result comes back, through a pipe. Where processes cannot be forked, or
when not asked to fork, the work is done in this process when its result is asked for; should
the forked process die without a result (killed, out of memory), it is done here too.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Generic, TypeVar

from .processes import start_worker

__all__ = ["Beside"]

logger = logging.getLogger(__name__)

T = TypeVar("T")


class Beside(Generic[T]):
    """``work`` started beside the caller, in a forked process when ``fork`` and the system
    allow; :meth:`result` gives what it returned (or raises what it raised). Used as a context
    manager (or closed), a process whose result was never taken is stopped on the way out.

    Examples
    --------
    >>> with Beside(lambda: sum(range(10)), fork=True) as pending:
    ...     pending.result()
    45
    """

    def __init__(self, work: Callable[[], T], *, fork: bool) -> None:
        self._work = work
        self._process: multiprocessing.process.BaseProcess | None = None
        self._receive: Connection | None = None
        if fork and os.name == "posix" and "fork" in multiprocessing.get_all_start_methods():
            context = multiprocessing.get_context("fork")
            self._receive, send = context.Pipe(duplex=False)
            self._process = context.Process(target=_run, args=(work, send, os.getpid()), daemon=True)
            self._process.start()
            send.close()  # the forked process holds the sending end: a death shows as the end of the pipe

    @property
    def forked(self) -> bool:
        """Whether the work runs in a forked process."""
        return self._process is not None

    def result(self) -> T:
        """What the work returned, waiting for it; what it raised is raised here."""
        if self._process is None or self._receive is None:
            return self._work()
        try:
            outcome, value = self._receive.recv()
        except EOFError:
            self._process.join()
            logger.warning(
                "the process working beside this one stopped without a result (exit code %s); "
                "doing its work here instead",
                self._process.exitcode,
            )
            return self._work()
        finally:
            self._stop()
        if outcome == "raised":
            raise value
        return value  # type: ignore[no-any-return]

    def _stop(self) -> None:
        if self._process is None:
            return
        if self._process.is_alive():  # it sent its result: it is ending
            self._process.join(timeout=5)
            if self._process.is_alive():
                self._process.terminate()
                self._process.join()
        if self._receive is not None:
            self._receive.close()
        self._process, self._receive = None, None

    def __enter__(self) -> Beside[T]:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the forked process if its result was never taken (the caller stopped early)."""
        if self._process is not None:
            self._process.terminate()
            self._process.join()
            self._stop()


def _run(work: Callable[[], object], send: Connection, parent: int) -> None:
    """The forked process's whole life: do the work and send back its outcome. It ends with
    its parent, however that ends, as the mining's workers do."""
    start_worker(parent)
    try:
        outcome: tuple[str, object] = ("returned", work())
    except BaseException as error:  # noqa: BLE001 - whatever it was, the caller raises it
        outcome = ("raised", error)
    try:
        send.send(outcome)
    except Exception as error:  # an outcome that cannot be sent (an exception that does not pickle)
        send.send(("raised", RuntimeError(f"the work beside failed and its outcome could not be sent back: {error}")))
    send.close()
