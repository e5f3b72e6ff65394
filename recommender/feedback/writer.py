"""The service's one writer to the events store: group commit.

Every ``POST /v1/events`` of a worker process hands its batch to one thread, which gathers all
the batches waiting (and the served answers logged meanwhile) into one transaction, commits it,
and only then lets each call answer ``202``: an acknowledged event is on disk, and a hundred
concurrent batches cost one commit (one fsync) instead of a hundred.

Why one thread rather than a write per request on the thread pool: under a recommendation load
the event loop holds the interpreter almost all the time, and a thread that releases it (the
SQLite driver does so at every row it steps, and again for the fsync) waits up to the switch
interval (5 ms) to get it back. A write per request paid that for each row of each batch, while
the requests queued on SQLite's one writer; measured, with 2,500 recommendations/s, a batch of
10 events waited seconds (``benchmarks/README.md``). Here the waits are paid once per
transaction, whatever it holds.

The served answers ride along: they are best effort (nobody was promised their rows), so they
are written at the latest every ``flush_seconds``, with the next events otherwise, at most
``max_served`` wait in memory, and the answers of a transaction the store refused are counted
as dropped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future

from ..exceptions import StoreUnavailableError
from .store import Event, EventStore, Served

__all__ = ["GroupWriter"]

logger = logging.getLogger(__name__)


class GroupWriter:
    """Writes the events and served answers of a process in as few transactions as it can.

    :meth:`submit` returns a future that resolves to the count of events once their
    transaction has committed, or fails with :class:`StoreUnavailableError` when nothing of it
    was stored. At most ``max_group_events`` events go in one transaction (a burst is split, so
    that one transaction does not hold the file for long).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from datetime import datetime, UTC
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> store = EventStore(f"sqlite:///{folder}/events.db")
    >>> writer = GroupWriter(store)
    >>> now = datetime.now(UTC)
    >>> futures = [writer.submit([Event(type="click", session_id="s", item_id=i, at=now)]) for i in "ab"]
    >>> [f.result() for f in futures]
    [1, 1]
    >>> writer.close()
    >>> sorted(row["item_id"] for row in store.events())
    ['a', 'b']
    """

    def __init__(
        self,
        store: EventStore,
        *,
        flush_seconds: float = 0.25,
        max_served: int = 100_000,
        max_group_events: int = 5_000,
        on_served_drop: Callable[[int], None] | None = None,
    ) -> None:
        self.store = store
        self.flush_seconds = flush_seconds
        self.max_served = max_served
        self.max_group_events = max_group_events
        self.on_served_drop = on_served_drop
        self.transactions = 0
        self.served_written = 0
        self.served_dropped = 0
        self._batches: list[tuple[Sequence[Event], Future[int]]] = []
        self._served: list[Served] = []
        self._wake = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._last_warning = 0.0

    def submit(self, events: Sequence[Event]) -> Future[int]:
        """Queue ``events`` for the next transaction; the future says when they are durable."""
        future: Future[int] = Future()
        with self._wake:
            if self._stopping:
                future.set_exception(
                    StoreUnavailableError(f"the events store {self.store.where} is closing: the service is stopping.")
                )
                return future
            self._batches.append((events, future))
            self._wake.notify()
        self.start()
        return future

    def record(self, answer: Served) -> None:
        """Log a served answer (best effort: dropped when ``max_served`` already wait)."""
        with self._wake:
            full = len(self._served) >= self.max_served
            if full:
                self.served_dropped += 1
            else:
                self._served.append(answer)
        if full and self.on_served_drop is not None:
            self.on_served_drop(1)

    def start(self) -> None:
        with self._wake:
            if self._thread is not None or self._stopping:
                return
            self._thread = threading.Thread(target=self._run, name="recommender-events-writer", daemon=True)
            self._thread.start()

    def close(self) -> None:
        """Write whatever waits, then stop the thread; later submits fail at once."""
        with self._wake:
            self._stopping = True
            self._wake.notify()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=60)
        self._drain()  # the thread never ran, or did not finish in time

    def counts(self) -> dict[str, int]:
        """The served answers written, dropped and waiting, and the transactions committed."""
        with self._wake:
            return {
                "written": self.served_written,
                "dropped": self.served_dropped,
                "pending": len(self._served),
                "transactions": self.transactions,
            }

    def _run(self) -> None:
        due = time.monotonic() + self.flush_seconds
        while True:
            with self._wake:
                while not self._batches and not self._stopping:
                    left = due - time.monotonic()
                    if left > 0:
                        self._wake.wait(timeout=left)
                    elif self._served:
                        break
                    else:
                        due = time.monotonic() + self.flush_seconds
                batches, served = self._take()
                stopping = self._stopping
            if batches or served:
                self._write(batches, served)
                due = time.monotonic() + self.flush_seconds
            elif stopping:
                return

    def _drain(self) -> None:
        while True:
            with self._wake:
                batches, served = self._take()
            if not batches and not served:
                return
            self._write(batches, served)

    def _take(self) -> tuple[list[tuple[Sequence[Event], Future[int]]], list[Served]]:
        """The batches for one transaction (up to ``max_group_events``, at least one) and every
        served answer waiting; the caller holds the condition's lock."""
        taken, size = 0, 0
        for events, _ in self._batches:
            if taken and size + len(events) > self.max_group_events:
                break
            taken += 1
            size += len(events)
        batches, self._batches = self._batches[:taken], self._batches[taken:]
        served, self._served = self._served, []
        return batches, served

    def _write(self, batches: list[tuple[Sequence[Event], Future[int]]], served: list[Served]) -> None:
        events = [event for batch, _ in batches for event in batch]
        try:
            self.store.commit(events, served)
        except StoreUnavailableError as error:
            for _, future in batches:
                future.set_exception(error)
            self._count_dropped(served, error)
            return
        except Exception as error:  # noqa: BLE001 - no caller may wait forever on a bug of ours
            logger.exception("the events writer failed")
            failure = StoreUnavailableError(f"the events store {self.store.where} failed to write: {error!r}.")
            for _, future in batches:
                future.set_exception(failure)
            self._count_dropped(served, failure)
            return
        with self._wake:
            self.transactions += 1
            self.served_written += len(served)
        for batch, future in batches:
            future.set_result(len(batch))

    def _count_dropped(self, served: list[Served], error: StoreUnavailableError) -> None:
        if not served:
            return
        with self._wake:
            self.served_dropped += len(served)
        if self.on_served_drop is not None:
            self.on_served_drop(len(served))
        now = time.monotonic()
        if now - self._last_warning > 60:  # once a minute: a store down for hours is one line a minute
            self._last_warning = now
            logger.warning("%d served answers not logged (%d in all): %s", len(served), self.served_dropped, error)
