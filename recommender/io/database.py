"""Long order tables from a SQL database: a table or a query, read in chunks.

One library reaches every database: SQLAlchemy Core (``postgresql://`` through psycopg 3,
``sqlite:///`` through the standard library, any other dialect whose driver is installed).
The rows are fetched through a server-side cursor, ``chunk_rows`` at a time, and only the
columns the long reader uses are kept; each chunk, as Arrow columns, then takes the path of a
CSV export's blocks (:func:`recommender.io.orders.long_from_batches`): the same column
finding, cancellations, returns, repeated lines and non-product lines, and the same summary,
with only the kept lines' codes held between chunks (the chunks are never joined).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

from ..exceptions import InputError
from .baskets import Baskets, SourceInfo
from .non_products import NonProductOptions
from .orders import ColumnSpec, _resolve, day_first_again, long_from_batches

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Connection

__all__ = ["DEFAULT_CHUNK_ROWS", "is_database_url", "read_database", "write_sqlite"]

logger = logging.getLogger(__name__)

# Rows per fetch: large enough that the round trips cost little, small enough that a chunk
# is a few MB beside the table it adds to (benchmarks/bench_database.py).
DEFAULT_CHUNK_ROWS = 50_000
# The schemes that name a database rather than a file (SQLAlchemy's dialects).
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9]*)(\+[A-Za-z0-9_]+)?://")
DIALECTS = ("postgresql", "postgres", "sqlite", "mysql", "mariadb", "oracle", "mssql")
_ROLES = ("order", "item", "quantity", "price", "line_total", "customer", "time", "name")


def is_database_url(source: object) -> bool:
    """Whether ``source`` is a string naming a SQL database (``postgresql://``, ``sqlite:///``, ...).

    Examples
    --------
    >>> is_database_url("sqlite:///shop.db"), is_database_url("postgresql+psycopg://h/db")
    (True, True)
    >>> is_database_url("orders.csv"), is_database_url("s3a://bucket/orders.parquet")
    (False, False)
    """
    if not isinstance(source, str):
        return False
    match = _SCHEME.match(source)
    return match is not None and match.group(1).lower() in DIALECTS


def read_database(
    url: str,
    *,
    table: str | None = None,
    query: str | None = None,
    columns: ColumnSpec | None = None,
    non_products: NonProductOptions | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> Baskets:
    """Read the order lines of a table, or of a query's result, into :class:`Baskets`.

    Parameters
    ----------
    url : str
        A SQLAlchemy database URL: ``postgresql://user:password@host:5432/shop``,
        ``sqlite:///shop.db`` (relative) or ``sqlite:////var/shop.db`` (absolute).
    table, query : str
        Exactly one: a table or view (``schema.table`` allowed), or a ``SELECT`` whose result
        holds one row per order line.
    columns : ColumnSpec, optional
        Column names where they are not the usual ones, as for CSV files.
    non_products : NonProductOptions, optional
        Which lines are not merchandise (default: detect them).
    chunk_rows : int
        Rows fetched at a time.

    Examples
    --------
    >>> import sqlite3, tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with sqlite3.connect(folder / "shop.db") as db:
    ...     _ = db.execute("CREATE TABLE lines (order_id TEXT, item_id TEXT, quantity INT)")
    ...     _ = db.executemany("INSERT INTO lines VALUES (?, ?, ?)",
    ...                        [("1", "tea", 1), ("1", "mug", 2), ("2", "tea", 1), ("C3", "tea", -1)])
    >>> read_database(f"sqlite:///{folder / 'shop.db'}", table="lines").summary.describe()
    '4 rows read: 2 baskets of 2 distinct items; dropped 1 cancellation rows (invoices starting with C)'
    """
    import sqlalchemy as sa

    if (table is None) == (query is None):
        raise InputError(
            f"reading orders from database {_shown(url)!r} needs exactly one of a table (--table NAME) or a query "
            f"(--query 'SELECT ...'), got {'both' if table is not None else 'neither'}."
        )
    if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, int) or chunk_rows < 1:
        raise InputError(f"chunk_rows must be a whole number of rows of at least 1, got {chunk_rows!r}.")
    parsed = _parse(url)
    shown = _shown(url)
    what = f"table {table!r} of {shown}" if table is not None else f"the query's result from {shown}"
    info = SourceInfo(
        name=f"{shown} {'table ' + table if table else 'query'}",
        kind=f"database:{parsed.get_backend_name()}",
        sha256="",
    )
    engine = _engine(parsed, url)

    def read(day_first: bool | None) -> Baskets:
        with engine.connect() as connection:
            statement = _table_select(connection, table, shown) if table is not None else _text_query(str(query))
            names, roles, chunks = _chunks(
                connection, statement, what=what, columns=columns or ColumnSpec(), chunk_rows=chunk_rows
            )
            # The columns were resolved on the result's names: name them, so that the roles
            # resolve to exactly those.
            spec = ColumnSpec(**{role: roles.get(role) for role in _ROLES})
            return long_from_batches(
                names, chunks, columns=spec, what=what, source=info, non_products=non_products, day_first=day_first
            )

    try:
        # Dates told to be day first only after some were read month first: the query runs again.
        return day_first_again(read)
    except InputError:
        raise
    except sa.exc.DBAPIError as error:
        raise InputError(_database_error(error, parsed, shown, query)) from None
    except sa.exc.SQLAlchemyError as error:
        raise InputError(
            f"cannot read orders from {shown}: {_first_line(error)}; check the URL and the table or query."
        ) from None
    finally:
        engine.dispose()


def write_sqlite(frame: pd.DataFrame, path: str | os.PathLike[str], *, table: str = "order_lines") -> str:
    """Write a long order table into a SQLite file as table ``table``; returns its URL.

    The file is written beside ``path`` and moved into place, so that a reader never sees a
    half-written database; an existing file at ``path`` is replaced.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "shop.db"
    >>> url = write_sqlite(pd.DataFrame({"order_id": ["1", "1"], "item_id": ["tea", "mug"]}), path)
    >>> read_database(url, table="order_lines").summary.describe()
    '2 rows read: 1 baskets of 2 distinct items'
    """
    target = Path(path)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        with contextlib.closing(sqlite3.connect(partial)) as connection:
            frame.to_sql(table, connection, index=False)
            connection.commit()
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return f"sqlite:///{target}"


def _parse(url: str) -> URL:
    import sqlalchemy as sa

    try:
        parsed = sa.engine.make_url(url)
    except (sa.exc.ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise InputError(
            f"{_shown(url)!r} is not a database URL; write it as postgresql://USER:PASSWORD@HOST:PORT/DATABASE or "
            "sqlite:///PATH/TO/shop.db."
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):
        # psycopg 3 is the driver installed with this package (SQLAlchemy's default is psycopg2).
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            path = Path(database)
            # SQLite would create a missing file, and then find no table in it.
            if not path.is_file():
                raise InputError(
                    f"SQLite database file {database!r} (from {_shown(url)!r}) does not exist; check the path "
                    "(sqlite:///relative/shop.db, or sqlite:////absolute/shop.db with four slashes)."
                )
    return parsed


def _engine(parsed: URL, url: str) -> Any:
    import sqlalchemy as sa

    try:
        return sa.create_engine(parsed)
    except sa.exc.NoSuchModuleError:
        raise InputError(
            f"unknown database kind {parsed.drivername!r} in {_shown(url)!r}; use postgresql://... or sqlite:///... "
            "(or another SQLAlchemy dialect whose driver is installed)."
        ) from None
    except ImportError as error:
        raise InputError(
            f"the driver for {parsed.drivername!r} is not installed ({error}); install it, or use postgresql://... "
            "or sqlite:///..., whose drivers come with this package."
        ) from None


def _table_select(connection: Connection, table: str, shown: str) -> Any:
    """``SELECT * FROM table``, the table reflected so that its name is quoted as the database spells it."""
    import sqlalchemy as sa

    schema, _, name = table.rpartition(".")
    try:
        reflected = sa.Table(name, sa.MetaData(), schema=schema or None, autoload_with=connection)
    except sa.exc.NoSuchTableError:
        inspector = sa.inspect(connection)
        known = sorted(
            [*inspector.get_table_names(schema=schema or None), *inspector.get_view_names(schema=schema or None)]
        )
        listed = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "") if known else "none"
        raise InputError(
            f"database {shown} has no table {table!r} (its tables: {listed}); name one with --table, or pass "
            "--query 'SELECT ...'."
        ) from None
    return sa.select(reflected)


def _text_query(query: str) -> Any:
    """The query as written: its colons (``'10:00'``, PostgreSQL's ``::date``) are text, not
    SQLAlchemy's bound parameters."""
    import sqlalchemy as sa

    return sa.text(query.replace(":", "\\:"))


def _chunks(
    connection: Connection, statement: Any, *, what: str, columns: ColumnSpec, chunk_rows: int
) -> tuple[list[str], dict[str, str | None], Iterator[dict[str, pa.Array]]]:
    """The columns the long reader uses, the roles they were found for, and the result's rows
    ``chunk_rows`` at a time through a server-side cursor, each chunk as one Arrow array per
    column (fetched as the iterator is consumed, within ``connection``).

    A table's columns are known before it is read: only the used ones are asked for (a shop's
    table of order lines often holds dozens).
    """
    import sqlalchemy as sa

    if isinstance(statement, sa.Select):
        selected = list(statement.selected_columns)
        roles = _resolve([str(c.name) for c in selected], columns, what, by_day=True)
        used = set(roles.values())
        statement = statement.with_only_columns(*(c for c in selected if c.name in used))
    result = connection.execution_options(stream_results=True, max_row_buffer=chunk_rows).execute(statement)
    if not result.returns_rows:
        raise InputError(
            f"the query on {what.rpartition(' from ')[2]} is not a SELECT (it returns no rows); pass a SELECT of "
            "order lines."
        )
    names = [str(key) for key in result.keys()]
    # No order (nor customer and time) or no item column: one sentence, before any row is read.
    roles = _resolve(names, columns, what, by_day=True)
    kept = [names.index(column) for column in dict.fromkeys(c for c in roles.values() if c is not None)]
    kept_names = [names[i] for i in kept]

    def chunks() -> Iterator[dict[str, pa.Array]]:
        for rows in result.partitions(chunk_rows):
            # Column by column: twice as fast as building the chunk row by row.
            values = list(zip(*rows))
            logger.debug("read %d rows of %s", len(rows), what)
            yield {name: _arrow_column(values[i]) for name, i in zip(kept_names, kept)}

    return kept_names, roles, chunks()


def _arrow_column(values: Sequence[object]) -> pa.Array:
    """A chunk's values of one column as an Arrow array of the values' own type (integers stay
    integers beside a NULL, unlike a pandas column); a column mixing types (SQLite allows it)
    as text, as pandas would show them."""
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if value is None else str(value) for value in values], type=pa.string())


def _database_error(error: Any, parsed: URL, shown: str, query: str | None) -> str:
    """One sentence for what the database or its driver refused: what, where, and the fix."""
    message = _first_line(error.orig if error.orig is not None else error)
    lowered = message.lower()
    where = f"{parsed.host or 'localhost'}:{parsed.port or _default_port(parsed)}"
    if "password authentication failed" in lowered or "authentication failed" in lowered:
        return (
            f"the database at {where} refused user {parsed.username!r} ({message}); check the user and password in "
            f"the URL {shown}."
        )
    if re.search(r'database "[^"]*" does not exist', message):
        return f"the server at {where} has no such database ({message}); check the database name at the end of {shown}."
    if "connection refused" in lowered or "could not connect" in lowered or "connection failed" in lowered:
        return (
            f"cannot connect to the database at {where} ({message}); check that the server is running and the URL's "
            f"host and port ({shown})."
        )
    if "not a database" in lowered:
        return f"{shown} is not a SQLite database ({message}); check the path."
    if query is not None:
        return f"the query failed on {shown} ({message}); check it with the database's own client (psql, sqlite3)."
    return f"cannot read orders from {shown} ({message}); check the URL and the table."


def _default_port(parsed: URL) -> str:
    return {"postgresql": "5432", "mysql": "3306", "mariadb": "3306"}.get(parsed.get_backend_name(), "?")


def _first_line(error: object) -> str:
    text = str(error).strip()
    return text.splitlines()[0].strip() if text else type(error).__name__


def _shown(url: str) -> str:
    """The URL without its password, for messages (``user:***@host``)."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)
