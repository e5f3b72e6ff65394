"""The events store: what shops report (impressions, clicks, adds to cart, purchases) and what
the service answered, in SQLite or PostgreSQL, behind one small layer over SQLAlchemy Core.

Why SQLAlchemy Core: one dialect-neutral description of two tables, the same insert and select
on both databases, URLs parsed and passwords hidden in messages, and a connection pool with
pre-ping, so that a PostgreSQL restart costs one failed call and no restart of ours. No ORM:
rows are inserted in batches and read back as plain mappings.

Durability: :meth:`EventStore.append` returns only after the transaction has committed, so an
event the service acknowledged is on disk. SQLite runs in WAL mode (writers do not block the
report's readers, and several worker processes append to one file, waiting on each other up to
the busy timeout) with ``synchronous=FULL``: a commit is fsynced, so an acknowledged event
survives a power cut, not only a crash of the process. Whatever goes wrong (the server down, the
file locked past the timeout, read-only or on a full disk) is one :class:`StoreUnavailableError`.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from ..exceptions import ConfigError, StoreUnavailableError

__all__ = ["EVENT_TYPES", "Event", "OrderLine", "Served", "EventStore", "cart_items_behind"]

logger = logging.getLogger(__name__)

EVENT_TYPES = ("impression", "click", "add_to_cart", "purchase")

metadata = MetaData()

# Prefixed names: a shop's PostgreSQL database holds other tables.
events_table = Table(
    "recommender_events",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("type", String(16), nullable=False),
    Column("at", DateTime, nullable=False, index=True),
    Column("received_at", DateTime, nullable=False),
    Column("session_id", String(128), nullable=False, index=True),
    Column("arm", String(16), nullable=False),
    Column("recommendation_id", String(64), index=True),
    Column("item_id", String(128)),
    Column("order_id", String(128)),
    # The ids shown (impression) or the lines bought (purchase): [{"item_id", "price", "quantity"}].
    Column("items", JSON, nullable=False),
    # The shop's id of the event, when it sends one: an event sent again (a batch retried after
    # its 202 was lost) is stored once. Events without one (NULL) never conflict.
    Column("event_id", String(128)),
)
event_id_index = Index("ix_recommender_events_event_id", events_table.c.event_id, unique=True)

served_table = Table(
    "recommender_served",
    metadata,
    Column("recommendation_id", String(64), primary_key=True),
    Column("at", DateTime, nullable=False, index=True),
    Column("session_id", String(128)),
    Column("arm", String(16), nullable=False),
    Column("model_id", String(128), nullable=False),
    # The suggestions in their order: [{"item_id", "kind", "because"}], "because" the cart items
    # each was suggested for (the rule's antecedent, the item an upgrade replaces; [] for popular
    # items); absent in rows logged before it was.
    Column("items", JSON, nullable=False),
    # The cart they were for (its ids as sent): what `mine --feedback` pairs with each suggestion.
    # NULL in rows logged before carts were.
    Column("cart", JSON),
)


@dataclass(frozen=True, kw_only=True)
class OrderLine:
    """One line of a purchase."""

    item_id: str
    price: float
    quantity: int


@dataclass(frozen=True, kw_only=True)
class Event:
    """One event from the shop, validated (the service's schemas check every field).

    ``at`` is when it happened (the shop's clock, UTC), ``arm`` the arm of its session when the
    service received it. ``items`` are the ids shown, in order (impressions); ``lines`` the
    order's lines (purchases). ``event_id``, when the shop gives one, makes sending the event
    again harmless: the store keeps the first.
    """

    type: str
    session_id: str
    at: datetime
    arm: str = "treatment"
    recommendation_id: str | None = None
    item_id: str | None = None
    order_id: str | None = None
    items: tuple[str, ...] = ()
    lines: tuple[OrderLine, ...] = ()
    event_id: str | None = None

    def __post_init__(self) -> None:
        if self.type not in EVENT_TYPES:
            raise ConfigError(f"an event's type must be one of {', '.join(EVENT_TYPES)}, got {self.type!r}.")


@dataclass(frozen=True, kw_only=True)
class Served:
    """One answer of the service: its suggestions as ``(item_id, kind)`` pairs, in order, and
    the cart they were for. ``because``, when given, holds for each suggestion, in the same
    order, the cart items it was suggested because of (empty for a popular item)."""

    recommendation_id: str
    at: datetime
    session_id: str | None
    arm: str
    model_id: str
    items: tuple[tuple[str, str], ...]
    cart: tuple[str, ...] = ()
    because: tuple[tuple[str, ...], ...] | None = None

    def __post_init__(self) -> None:
        if self.because is not None and len(self.because) != len(self.items):
            raise ValueError(
                f"a served answer's because must name the cart items of each of its {len(self.items)} "
                f"suggestions, got {len(self.because)}."
            )

    def item_rows(self) -> list[dict[str, Any]]:
        """The JSON of the ``items`` column."""
        if self.because is None:
            return [{"item_id": item, "kind": kind} for item, kind in self.items]
        return [
            {"item_id": item, "kind": kind, "because": list(because)}
            for (item, kind), because in zip(self.items, self.because, strict=True)
        ]


def cart_items_behind(reason: Mapping[str, Any]) -> tuple[str, ...]:
    """The cart items a suggestion's ``reason`` names: a rule's ``because`` (also pins, the
    co-bought and category back-offs), the item an upgrade ``replaces``; none for a popular item.

    >>> cart_items_behind({"because": ["tea", "milk"], "confidence": 0.4})
    ('tea', 'milk')
    >>> cart_items_behind({"replaces": "KET-BASIC", "share": 0.1}), cart_items_behind({"share": 0.02})
    (('KET-BASIC',), ())
    """
    because = reason.get("because")
    if because:
        return tuple(str(item) for item in because)
    replaces = reason.get("replaces")
    return () if replaces is None else (str(replaces),)


def _utc(moment: datetime) -> datetime:
    """``moment`` in UTC without its zone: SQLite keeps no zone, so both databases store UTC.

    A moment within a day of the first or the last that a datetime holds, whose zone takes it
    beyond them in UTC (0001-01-01T00:00:00+00:01), is stored as that first or last moment.

    >>> _utc(datetime.fromisoformat("0001-01-01T00:00:00+00:01"))
    datetime.datetime(1, 1, 1, 0, 0)
    """
    if moment.tzinfo is not None:
        try:
            moment = moment.astimezone(UTC)
        except OverflowError:
            return datetime.min if moment.year == datetime.min.year else datetime.max
    return moment.replace(tzinfo=None)


class EventStore:
    """Events and served answers in the database at ``url`` (``sqlite:///FILE`` or
    ``postgresql://USER:PASSWORD@HOST/DB``); the tables are created when missing.

    ``timeout`` bounds how long a call waits for a locked SQLite file or a PostgreSQL server
    that does not answer, before it fails with :class:`StoreUnavailableError`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from datetime import datetime, UTC
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> store = EventStore(f"sqlite:///{folder}/events.db")
    >>> store.append([Event(type="click", session_id="s1", item_id="tea", at=datetime.now(UTC))])
    1
    >>> [row["item_id"] for row in store.events()]
    ['tea']
    >>> store.close()
    """

    def __init__(self, url: str, *, timeout: float = 5.0) -> None:
        self.url = _read_url(url)
        self.engine = _engine(self.url, timeout)
        self.where = self.url.render_as_string(hide_password=True)
        self._schema_ready = False
        # An event whose id is stored already is skipped (ON CONFLICT DO NOTHING, in SQLite and
        # PostgreSQL alike), within a batch too: a retried batch is stored once.
        dialect = sqlite if self.url.get_backend_name() == "sqlite" else postgresql
        self._insert_events = dialect.insert(events_table).on_conflict_do_nothing(index_elements=["event_id"])
        self._lock = threading.Lock()
        # SQLite takes one writer at a time. Threads of one process queue here, in order, rather
        # than in SQLite's busy handler, which sleeps them by up to 100 ms a try; other processes
        # still wait in the busy handler.
        self._writer = threading.Lock() if self.url.get_backend_name() == "sqlite" else None
        self.timeout = timeout
        self.accepted = 0
        self.refused = 0
        self.failures = 0

    def ensure_schema(self, *, failing: str = "cannot create its tables") -> None:
        """Create the tables when missing, and add the columns of later versions to older ones
        (once per store; safe when several processes race); ``failing`` says what could not be
        done when the store does not answer."""
        if self._schema_ready:
            return
        try:
            self._create()
        except SQLAlchemyError:
            # Another worker may have made a change between the check and ours: look again.
            try:
                self._create()
            except SQLAlchemyError as error:
                raise self._unavailable(failing, error) from None
        self._schema_ready = True

    def _create(self) -> None:
        metadata.create_all(self.engine, checkfirst=True)
        # Columns later versions added to tables made before them (no Alembic for two columns).
        events_columns = {c["name"] for c in inspect(self.engine).get_columns(events_table.name)}
        served_columns = {c["name"] for c in inspect(self.engine).get_columns(served_table.name)}
        if "event_id" not in events_columns:
            with self.engine.begin() as connection:
                connection.execute(text(f"ALTER TABLE {events_table.name} ADD COLUMN event_id VARCHAR(128)"))
                event_id_index.create(connection, checkfirst=True)
        if "cart" not in served_columns:
            cart_type = served_table.c.cart.type.compile(dialect=self.engine.dialect)
            with self.engine.begin() as connection:
                connection.execute(text(f"ALTER TABLE {served_table.name} ADD COLUMN cart {cart_type}"))

    def append(self, events: Sequence[Event]) -> int:
        """Store ``events`` in one transaction; returns their count once committed.

        Raises
        ------
        StoreUnavailableError
            When nothing was stored (the transaction is rolled back whole).
        """
        return self.commit(events, ())

    def append_served(self, answers: Sequence[Served]) -> int:
        """Store the service's ``answers`` in one transaction; returns their count."""
        self.commit((), answers)
        return len(answers)

    def commit(self, events: Sequence[Event], answers: Sequence[Served]) -> int:
        """Store ``events`` and served ``answers`` in one transaction (all or none); returns the
        count of events once committed. The service's :class:`~.writer.GroupWriter` gathers
        concurrent batches into one call.

        Raises
        ------
        StoreUnavailableError
            When nothing was stored.
        """
        if not events and not answers:
            return 0
        received = _utc(datetime.now(UTC))
        rows = [
            {
                "type": e.type,
                "at": _utc(e.at),
                "received_at": received,
                "session_id": e.session_id,
                "arm": e.arm,
                "recommendation_id": e.recommendation_id,
                "item_id": e.item_id,
                "order_id": e.order_id,
                "items": list(e.items)
                if e.type == "impression"
                else [{"item_id": line.item_id, "price": line.price, "quantity": line.quantity} for line in e.lines],
                "event_id": e.event_id,
            }
            for e in events
        ]
        served = [
            {
                "recommendation_id": a.recommendation_id,
                "at": _utc(a.at),
                "session_id": a.session_id,
                "arm": a.arm,
                "model_id": a.model_id,
                "items": a.item_rows(),
                "cart": list(a.cart),
            }
            for a in answers
        ]
        try:
            self.ensure_schema()
            with self._turn(), self.engine.begin() as connection:
                if rows:
                    connection.execute(self._insert_events, rows)
                if served:
                    connection.execute(insert(served_table), served)
        except (SQLAlchemyError, StoreUnavailableError) as error:
            if rows:  # a failed write of served answers alone is counted by whoever logs them
                with self._lock:
                    self.refused += len(rows)
                    self.failures += 1
            if isinstance(error, StoreUnavailableError):
                raise
            raise self._unavailable(
                "did not take the events" if rows else "did not take the served answers", error
            ) from None
        with self._lock:
            self.accepted += len(rows)
        return len(rows)

    @contextlib.contextmanager
    def _turn(self) -> Iterator[None]:
        """This thread's turn to write: at once on PostgreSQL; on SQLite after the process's
        other writers, waiting no longer than the timeout (a store locked by another program
        makes every writer queued here fail in time, not one timeout after another)."""
        if self._writer is None:
            yield
            return
        if not self._writer.acquire(timeout=self.timeout):
            raise StoreUnavailableError(
                f"the events store {self.where} is busy: no turn to write within {self.timeout} s."
            )
        try:
            yield
        finally:
            self._writer.release()

    def events(self, *, since: datetime | None = None, until: datetime | None = None) -> list[dict[str, Any]]:
        """The events with ``since <= at < until``, in the order they were stored."""
        return self._read(events_table, since, until, order=events_table.c.id)

    def served(self, *, since: datetime | None = None, until: datetime | None = None) -> list[dict[str, Any]]:
        """The served answers with ``since <= at < until``."""
        return self._read(served_table, since, until, order=served_table.c.recommendation_id)

    def counts(self) -> dict[str, int]:
        """This process's counts of events accepted and refused, and of failed writes."""
        with self._lock:
            return {"accepted": self.accepted, "refused": self.refused, "failures": self.failures}

    def close(self) -> None:
        self.engine.dispose()

    def _read(
        self, table: Table, since: datetime | None, until: datetime | None, *, order: Any
    ) -> list[dict[str, Any]]:
        query = select(table).order_by(order)
        if since is not None:
            query = query.where(table.c.at >= _utc(since))
        if until is not None:
            query = query.where(table.c.at < _utc(until))
        try:
            self.ensure_schema(failing="cannot be read")
            with self.engine.connect() as connection:
                return [dict(row) for row in connection.execute(query).mappings()]
        except SQLAlchemyError as error:
            raise self._unavailable("cannot be read", error) from None

    def _unavailable(self, what: str, error: BaseException) -> StoreUnavailableError:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0][:300]
        return StoreUnavailableError(f"the events store {self.where} {what}: {reason}.")


def events_and_served(
    store: EventStore | str, *, since: datetime | None = None, until: datetime | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The events of ``store`` (an open store, or its URL: then opened and closed here) with
    ``since <= at < until``, and the answers served then (none read when there is no event)."""
    events_store = EventStore(store) if isinstance(store, str) else store
    try:
        events = events_store.events(since=since, until=until)
        served = events_store.served(since=since, until=until) if events else []
    finally:
        if isinstance(store, str):
            events_store.close()
    return events, served


def _read_url(text: str) -> URL:
    try:
        url = make_url(text)
    except (ArgumentError, ValueError):
        raise ConfigError(
            f"{text!r} is not a database URL; give sqlite:///events.db or postgresql://USER@HOST/DATABASE."
        ) from None
    backend = url.get_backend_name()
    if backend == "sqlite":
        if url.database in (None, "", ":memory:"):
            raise ConfigError(
                f"{text!r} is an in-memory database, lost at every restart and not shared by workers; "
                "give a file: sqlite:///events.db."
            )
        return url
    if backend == "postgresql":
        # psycopg 3 (a dependency) rather than SQLAlchemy's default psycopg2, which is not installed.
        return url.set(drivername="postgresql+psycopg") if url.drivername == "postgresql" else url
    raise ConfigError(
        f"the events store must be SQLite or PostgreSQL, got {url.drivername!r} in {text!r}; "
        "give sqlite:///events.db or postgresql://USER@HOST/DATABASE."
    )


def _engine(url: URL, timeout: float) -> Engine:
    engine = _connect(url, timeout)
    # Rows go in as one multi-row INSERT (SQLAlchemy's "insertmanyvalues", pages of 1,000) rather
    # than a statement per row: the SQLite driver releases the interpreter at every statement it
    # steps and, under a recommendation load, waits up to the switch interval to get it back;
    # PostgreSQL gets one round trip. SQLAlchemy uses this form only with RETURNING by default.
    engine.dialect.use_insertmanyvalues_wo_returning = True
    return engine


def _connect(url: URL, timeout: float) -> Engine:
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": timeout})
        busy_ms = int(timeout * 1000)

        @event.listens_for(engine, "connect")
        def pragmas(connection: Any, record: Any) -> None:
            cursor = connection.cursor()
            try:
                cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = FULL")
            finally:
                cursor.close()

        return engine
    return create_engine(
        url, pool_pre_ping=True, pool_timeout=timeout, connect_args={"connect_timeout": max(1, round(timeout))}
    )
