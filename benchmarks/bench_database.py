"""Database benchmark: order lines read from PostgreSQL against the same rows from CSV and Parquet.

The same order lines (the sample shop for ``small``; Online Retail, 541,909 lines, for ``full``)
are written to a CSV file, a Parquet file, a SQLite database and a PostgreSQL table with the
database's own types (integers, doubles, timestamps; loaded with COPY). Each reading runs in a
fresh process, so that its peak resident memory is its own:

- ``read``: the whole reader, order lines to baskets (``recommender.io.read_baskets``, the
  path of ``recommender mine``), from each source; PostgreSQL at several chunk sizes, to show
  the memory staying flat in the chunk size (the server-side cursor holds one chunk);
- ``fetch``: the driver part alone, the rows of the reader's columns: our SQLAlchemy Core
  chunked read (each chunk as Arrow columns, one chunk held at a time, as the reader takes
  them) against ADBC into one DataFrame (``adbc-driver-postgresql``, Arrow record batches;
  measured when installed, not a dependency).

Rows/s is lines read per second of wall time, from the start of the reading (the imports and
the process start are not counted); every source must give the same baskets (a digest of each
order's items) and the same summary.

    RECOMMENDER_TEST_POSTGRES_URL=postgresql://... python benchmarks/bench_database.py --preset small
    python benchmarks/bench_database.py --preset full --postgres postgresql://USER:PASSWORD@HOST/DB
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import REPO, emit, preset_parser

PRESETS: dict[str, dict[str, Any]] = {
    "small": {"orders": "sample_shop", "chunks": (1_000, 10_000, 100_000), "repeats": 1},
    "full": {"orders": "online_retail.csv.xz", "chunks": (5_000, 50_000, 1_000_000), "repeats": 3},
}
TABLE = "bench_database_order_lines"
READ_COLUMNS = {
    "sample_shop": ("order_id", "item_id", "description", "quantity", "unit_price", "customer_id", "timestamp"),
    "online_retail.csv.xz": (
        "InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID",
    ),
}  # fmt: skip
RUN_TIMEOUT = 900


def order_lines(name: str, data: Path) -> Any:
    """The order lines as a typed DataFrame (ids as text, numbers as numbers, times as times)."""
    import pandas as pd

    if name == "sample_shop":
        from recommender.sample_shop import generate_sample_shop

        lines = generate_sample_shop(seed=7).orders
        return lines.assign(timestamp=pd.to_datetime(lines["timestamp"]))
    path = data / name
    if not path.exists():
        raise SystemExit(f"{path} is not here (the shared data sets live in ../shared/data); pass --data")
    text = {"InvoiceNo": str, "StockCode": str, "Description": str, "Country": str}
    lines = pd.read_csv(path, dtype=text, encoding="latin-1", parse_dates=["InvoiceDate"])
    return lines


def write_sources(lines: Any, folder: Path, postgres: str) -> dict[str, str]:
    """The same lines as CSV, Parquet, SQLite and a PostgreSQL table; returns where each is."""
    from recommender.io.database import write_sqlite

    csv, parquet = folder / "orders.csv", folder / "orders.parquet"
    lines.to_csv(csv, index=False)
    lines.to_parquet(parquet, index=False)
    sqlite = write_sqlite(lines, folder / "shop.db", table=TABLE)
    load_postgres(lines, postgres)
    return {"csv": str(csv), "parquet": str(parquet), "sqlite": sqlite, "postgresql": postgres}


def load_postgres(lines: Any, url: str) -> None:
    """``CREATE TABLE`` with the frame's types, then ``COPY`` its rows (missing values as NULL)."""
    import pandas as pd
    import psycopg

    def sql_type(column: Any) -> str:
        if pd.api.types.is_integer_dtype(column):
            return "bigint"
        if pd.api.types.is_float_dtype(column):
            return "double precision"
        if pd.api.types.is_datetime64_any_dtype(column):
            return "timestamp"
        return "text"

    names = ", ".join(f'"{c}"' for c in lines.columns)
    types = ", ".join(f'"{c}" {sql_type(lines[c])}' for c in lines.columns)
    values = lines.astype(object).where(lines.notna(), None)
    with psycopg.connect(url) as connection:
        connection.execute(f"DROP TABLE IF EXISTS {TABLE}")
        connection.execute(f"CREATE TABLE {TABLE} ({types})")
        with connection.cursor().copy(f"COPY {TABLE} ({names}) FROM STDIN") as copy:
            for row in values.itertuples(index=False, name=None):
                copy.write_row(row)
        connection.execute(f"ANALYZE {TABLE}")


def run_task(task: dict[str, Any]) -> dict[str, Any]:
    """One reading, in this (fresh) process: seconds, rows, rows/s, peak memory, digest."""
    import pandas  # noqa: F401  (imported before the clock starts, as in a running job)
    import sqlalchemy  # noqa: F401

    from recommender.io import read_baskets
    from recommender.io.database import read_database

    started = time.perf_counter()
    if task["kind"] == "read":
        source = task["source"]
        if task.get("table"):
            baskets = read_database(source, table=task["table"], chunk_rows=task["chunk_rows"])
        else:
            baskets = read_baskets(source)
        seconds = time.perf_counter() - started
        rows, digest = baskets.summary.rows_read, basket_digest(baskets)
        summary = baskets.summary.describe()
    elif task["kind"] == "fetch_sqlalchemy":
        rows = fetch_sqlalchemy(task["source"], task["columns"], task["chunk_rows"])
        seconds, digest, summary = time.perf_counter() - started, "", ""
    elif task["kind"] == "fetch_adbc":
        frame = fetch_adbc(task["source"], task["columns"])
        seconds, rows, digest, summary = time.perf_counter() - started, len(frame), "", ""
    else:
        seconds, rows, digest, summary = 0.0, 0, "", ""  # the imports alone: the memory baseline
    peak = peak_resident()
    return {
        "seconds": round(seconds, 3),
        "rows": rows,
        "rows_per_s": round(rows / seconds) if seconds else None,
        "peak_mb": round(peak / 2**20, 1),
        "digest": digest,
        "summary": summary,
    }


def peak_resident() -> int:
    """This process's peak resident memory in bytes: VmHWM, which starts afresh at exec (the
    rusage maximum does not: it keeps the size of the parent this process was forked from)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)


def fetch_sqlalchemy(url: str, columns: list[str], chunk_rows: int) -> int:
    """The columns' rows as the reader fetches them (its own fetch: SQLAlchemy Core, psycopg 3,
    a server-side cursor, ``chunk_rows`` at a time, each chunk as Arrow columns, one chunk held
    at a time); returns the rows."""
    import sqlalchemy as sa

    from recommender.io.database import _chunks  # the reader's driver part, without the cleaning after it
    from recommender.io.orders import ColumnSpec

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    rows = 0
    with engine.connect() as connection:
        statement = sa.select(*(sa.column(c) for c in columns)).select_from(sa.table(TABLE))
        names, _, chunks = _chunks(connection, statement, what=TABLE, columns=ColumnSpec(), chunk_rows=chunk_rows)
        for chunk in chunks:
            rows += len(chunk[names[0]])
    engine.dispose()
    return rows


def fetch_adbc(url: str, columns: list[str]) -> Any:
    """The same rows through ADBC's PostgreSQL driver: COPY in binary, Arrow record batches."""
    import adbc_driver_postgresql.dbapi as adbc
    import pyarrow as pa

    names = ", ".join(f'"{c}"' for c in columns)
    with adbc.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute(f"SELECT {names} FROM {TABLE}")
        table = pa.Table.from_batches(list(cursor.fetch_record_batch()))
    return table.to_pandas()


def basket_digest(baskets: Any) -> str:
    """SHA-256 of every order's sorted items, orders sorted: the same whatever the row order."""
    items, indptr, indices = baskets.items, baskets.indptr, baskets.indices
    lines = sorted(
        order + "\t" + " ".join(sorted(items[j] for j in indices[indptr[i] : indptr[i + 1]]))
        for i, order in enumerate(baskets.basket_ids)
    )
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def in_fresh_process(task: dict[str, Any], repeats: int) -> dict[str, Any]:
    """The task run ``repeats`` times, each in a new process; the fastest run is kept."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    runs = []
    for _ in range(repeats):
        done = subprocess.run(
            [sys.executable, __file__, "--task", json.dumps(task)],
            check=True, capture_output=True, text=True, env=env, timeout=RUN_TIMEOUT,
        )  # fmt: skip
        runs.append(json.loads(done.stdout))
    return min(runs, key=lambda run: run["seconds"])


def benchmark(preset: str, data: Path, postgres: str) -> dict[str, Any]:
    settings = PRESETS[preset]
    lines = order_lines(settings["orders"], data)
    columns = list(READ_COLUMNS[settings["orders"]])
    repeats = settings["repeats"]
    with tempfile.TemporaryDirectory(prefix="bench-database-") as folder:
        sources = write_sources(lines, Path(folder), postgres)
        baseline = in_fresh_process({"kind": "imports"}, 1)
        read = {
            "csv": in_fresh_process({"kind": "read", "source": sources["csv"]}, repeats),
            "parquet": in_fresh_process({"kind": "read", "source": sources["parquet"]}, repeats),
            "sqlite": in_fresh_process(
                {"kind": "read", "source": sources["sqlite"], "table": TABLE, "chunk_rows": 50_000}, repeats
            ),
        }
        for chunk in settings["chunks"]:
            task = {"kind": "read", "source": postgres, "table": TABLE, "chunk_rows": chunk}
            read[f"postgresql_chunk_{chunk}"] = in_fresh_process(task, repeats)
        fetch = {
            "sqlalchemy_chunk_50000": in_fresh_process(
                {"kind": "fetch_sqlalchemy", "source": postgres, "columns": columns, "chunk_rows": 50_000}, repeats
            )
        }
        try:
            import adbc_driver_postgresql  # noqa: F401

            fetch["adbc"] = in_fresh_process({"kind": "fetch_adbc", "source": postgres, "columns": columns}, repeats)
        except ImportError:
            fetch["adbc"] = {"skipped": "adbc-driver-postgresql is not installed"}
    digests = {run["digest"] for run in read.values()}
    summaries = {run["summary"] for run in read.values()}
    return {
        "preset": preset,
        "orders": settings["orders"],
        "rows": len(lines),
        "same_baskets": len(digests) == 1 and len(summaries) == 1,
        "summary": summaries.pop() if len(summaries) == 1 else sorted(summaries),
        "imports_peak_mb": baseline["peak_mb"],
        "read": {name: {k: v for k, v in run.items() if k not in ("digest", "summary")} for name, run in read.items()},
        "fetch": {
            name: {k: v for k, v in run.items() if k not in ("digest", "summary")} for name, run in fetch.items()
        },
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d"),
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--task"]:
        print(json.dumps(run_task(json.loads(argv[1]))))
        return 0
    parser = preset_parser(__doc__ or "", PRESETS)
    parser.add_argument(
        "--postgres", default=os.environ.get("RECOMMENDER_TEST_POSTGRES_URL"),
        help="a PostgreSQL server's URL (default: RECOMMENDER_TEST_POSTGRES_URL); its table " + TABLE + " is replaced",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if not args.postgres:
        parser.error("no PostgreSQL server: pass --postgres URL or set RECOMMENDER_TEST_POSTGRES_URL")
    emit(benchmark(args.preset, args.data, args.postgres), args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
