"""Orders from a SQL database: a real PostgreSQL server (the ``postgres_url`` fixture) and SQLite.

The sample shop's order lines are written to a CSV file, a SQLite table and a PostgreSQL table
(with the database's own types: timestamps, integers, doubles); mining any of them must give the
same model, because the database reader feeds the CSV reader's path.
"""

from __future__ import annotations

import json
import socket
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from recommender import Model, mine
from recommender.cli import main
from recommender.exceptions import InputError
from recommender.io import read_baskets
from recommender.io.database import read_database
from recommender.sample_shop import generate_sample_shop

TABLE = "test_database_order_lines"
RULE_COLUMNS = ["antecedents", "consequent", "count", "antecedent_count", "support", "confidence", "lift"]


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The sample shop's orders as a CSV export, a SQLite database and its typed frame."""
    folder = tmp_path_factory.mktemp("shop")
    orders = generate_sample_shop(seed=7).orders
    csv = folder / "orders.csv"
    orders.to_csv(csv, index=False)
    typed = orders.assign(timestamp=pd.to_datetime(orders["timestamp"]))
    with sqlite3.connect(folder / "shop.db") as db:
        typed.to_sql("order_lines", db, index=False)
        typed.iloc[:0][["description", "quantity"]].to_sql("no_ids", db, index=False)
    return {"csv": csv, "sqlite": f"sqlite:///{folder / 'shop.db'}", "frame": typed, "folder": folder}


@pytest.fixture(scope="module")
def pg_shop(shop: dict[str, object], postgres_url: str) -> str:
    """The same order lines in a PostgreSQL table; returns the server's URL."""
    engine = sa.create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1))
    frame = shop["frame"]
    assert isinstance(frame, pd.DataFrame)
    with engine.begin() as connection:
        frame.to_sql(TABLE, connection, index=False, if_exists="replace", chunksize=5_000)
    engine.dispose()
    return postgres_url


def _same_model(a: object, b: object) -> None:
    rules_a = a.rules[RULE_COLUMNS].reset_index(drop=True)  # type: ignore[attr-defined]
    rules_b = b.rules[RULE_COLUMNS].reset_index(drop=True)  # type: ignore[attr-defined]
    assert len(rules_a) > 100
    pd.testing.assert_frame_equal(rules_a, rules_b)
    for key in ("read", "counts", "has_customers", "has_timestamps", "non_products"):
        assert a.provenance[key] == b.provenance[key], key  # type: ignore[attr-defined]
    assert a.data.catalog == b.data.catalog  # type: ignore[attr-defined]


def test_sqlite_and_postgresql_give_the_csv_model(shop: dict[str, object], pg_shop: str) -> None:
    from_csv = mine(shop["csv"], learn_weights=False)
    from_sqlite = mine(shop["sqlite"], table="order_lines", learn_weights=False)
    from_postgres = mine(pg_shop, table=TABLE, learn_weights=False)
    _same_model(from_sqlite, from_csv)
    _same_model(from_postgres, from_csv)
    # The sample shop's planted returns (orders C...) and its gift card are dropped as in the CSV.
    read = from_postgres.provenance["read"]
    assert read["cancelled_rows"] > 0 and read["non_product_rows"] > 0
    assert from_postgres.provenance["input"]["kind"] == "database:postgresql"
    assert "***" in from_postgres.provenance["input"]["name"]  # the password never reaches the model


def _by_order(baskets: object) -> dict[str, frozenset[str]]:
    """Order id -> its items: what a table holds, whatever order its rows come back in."""
    items, indptr, indices = baskets.items, baskets.indptr, baskets.indices  # type: ignore[attr-defined]
    return {
        order: frozenset(items[j] for j in indices[indptr[i] : indptr[i + 1]])
        for i, order in enumerate(baskets.basket_ids)  # type: ignore[attr-defined]
    }


def test_chunks_do_not_change_the_baskets(shop: dict[str, object], pg_shop: str) -> None:
    expected = _by_order(read_baskets(shop["csv"]))
    for url, table in ((pg_shop, TABLE), (str(shop["sqlite"]), "order_lines")):
        whole = read_database(url, table=table, chunk_rows=1_000_000)
        chunked = read_database(url, table=table, chunk_rows=997)  # a size that splits orders
        assert chunked.summary == whole.summary
        assert chunked.basket_ids == whole.basket_ids
        assert chunked.indptr.tolist() == whole.indptr.tolist()
        assert chunked.indices.tolist() == whole.indices.tolist()
        assert _by_order(chunked) == expected


def test_a_query_reads_what_it_selects(shop: dict[str, object], pg_shop: str) -> None:
    frame = shop["frame"]
    assert isinstance(frame, pd.DataFrame)
    first_half = frame[frame["timestamp"] < "2025-07-01 10:00:00"]
    expected = read_baskets(first_half)
    # Colons in the query are SQL, not bound parameters (a time, PostgreSQL's :: cast).
    query = f"SELECT * FROM {TABLE} WHERE timestamp < '2025-07-01 10:00:00'::timestamp"
    from_postgres = read_baskets(pg_shop, query=query)
    from_sqlite = read_baskets(
        str(shop["sqlite"]), query="SELECT * FROM order_lines WHERE timestamp < '2025-07-01 10:00:00'"
    )
    assert 0 < expected.summary.rows_read < len(frame)
    for baskets in (from_postgres, from_sqlite):
        assert baskets.summary == expected.summary
        assert baskets.items == expected.items


def test_mine_and_evaluate_from_the_command_line(
    shop: dict[str, object], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = tmp_path / "m.rcm"
    assert main(["mine", str(shop["sqlite"]), "--table", "order_lines", "-o", str(model)]) == 0
    out = capsys.readouterr().out
    assert "31,446 rows read: 12,259 baskets of 87 distinct items" in out
    assert model.exists()
    arguments = ["--format", "json", "--systems", "rules,popular", "--max-cases", "300", "--min-support", "0.003"]
    assert main(["evaluate", str(shop["sqlite"]), "--table", "order_lines", *arguments]) == 0
    from_database = json.loads(capsys.readouterr().out)
    assert main(["evaluate", str(shop["csv"]), *arguments]) == 0
    from_csv = json.loads(capsys.readouterr().out)
    assert from_database["systems"] == from_csv["systems"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wrong_password(url: str) -> str:
    scheme, _, rest = url.partition("://")
    credentials, _, place = rest.rpartition("@")
    return f"{scheme}://{credentials.partition(':')[0]}:not-the-password@{place}"


@pytest.mark.parametrize(
    ("source", "option", "expected"),
    [
        ("shop.db", ["--table", "t"], "'shop.db' is not a database URL; write it as postgresql://"),
        ("postgresql://u@h:port/db", ["--table", "t"], "is not a database URL"),
        ("foo://x/y", ["--table", "t"], "unknown database kind 'foo'"),
        ("{sqlite}", ["--table", "nope"], "has no table 'nope' (its tables: no_ids, order_lines)"),
        ("{postgres}", ["--table", "nope"], "has no table 'nope'"),
        ("{sqlite}", ["--query", "SELEC * FROM order_lines"], "the query failed on sqlite:///"),
        ("{postgres}", ["--query", "SELECT * FROM nowhere"], 'relation "nowhere" does not exist'),
        ("{sqlite}", ["--table", "no_ids"], "has no order column"),
        ("{postgres}", ["--query", "SELECT 1 AS a, 'x' AS item_id"], "has no order column"),
        ("{sqlite}", [], "needs exactly one of a table (--table NAME) or a query"),
        ("sqlite:///{folder}/missing.db", ["--table", "t"], "missing.db' (from 'sqlite:///"),
        ("postgresql://postgres:pw@127.0.0.1:{port}/postgres", ["--table", "t"], "Connection refused"),
        ("{wrong_password}", ["--table", "t"], "refused user 'postgres' (connection failed"),
        ("{no_database}", ["--table", "t"], "has no such database (connection failed: connection to server at"),
    ],
)
def test_bad_input_is_one_sentence_and_writes_nothing(
    shop: dict[str, object],
    pg_shop: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    source: str,
    option: list[str],
    expected: str,
) -> None:
    url = source.format(
        sqlite=shop["sqlite"], postgres=pg_shop, folder=shop["folder"], port=_free_port(),
        wrong_password=_wrong_password(pg_shop), no_database=pg_shop.rpartition("/")[0] + "/no_such_database",
    )  # fmt: skip
    model = tmp_path / "m.rcm"
    assert main(["mine", url, *option, "-o", str(model)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("recommender mine: error: ") and expected in error
    assert error.count("\n") == 1 and "Traceback" not in error
    assert "not-the-password" not in error and pg_shop.rpartition("@")[0].rpartition(":")[2] not in error
    assert list(tmp_path.iterdir()) == []
    assert not (Path(str(shop["folder"])) / "missing.db").exists()  # SQLite did not create it


def test_python_errors_are_input_errors(shop: dict[str, object]) -> None:
    with pytest.raises(InputError, match="exactly one of a table"):
        mine(str(shop["sqlite"]), table="order_lines", query="SELECT * FROM order_lines")
    with pytest.raises(InputError, match="from a database URL such as sqlite:///shop.db, not from a DataFrame"):
        read_baskets(pd.DataFrame({"order": ["1"], "item": ["tea"]}), table="order_lines")


def test_demo_writes_the_shop_into_sqlite_and_mines_it_from_there(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "demo"
    assert main(["demo", "--out", str(folder), "--sqlite"]) == 0
    out = capsys.readouterr().out
    url = f"sqlite:///{folder / 'shop.db'}"
    assert f"mined from {url}" in out and "31,446 rows read: 12,259 baskets of 87 distinct items" in out
    with sqlite3.connect(folder / "shop.db") as db:
        assert db.execute("SELECT count(*), typeof(quantity), typeof(unit_price) FROM order_lines").fetchone() == (
            31_446, "integer", "real",
        )  # fmt: skip
    from_database = Model.load(folder / "model.rcm")
    assert from_database.provenance["input"]["kind"] == "database:sqlite"
    _same_model(from_database, mine(folder / "orders.csv", catalog=folder / "catalog.csv"))


def test_named_columns_and_a_table_in_a_schema(tmp_path: Path, postgres_url: str) -> None:
    lines = pd.DataFrame(
        {
            "bon": ["1", "1", "2", "2", "3"],
            "artikel": ["tea", "mug", "tea", "mug", "tea"],
            "menge": [1, 2, 1, -1, 3],
            "notizen": ["a", "b", "c", "d", "e"],
        }
    )
    names = {"order": "bon", "item": "artikel", "quantity": "menge"}
    expected = read_baskets(lines, columns=names)
    assert (
        expected.summary.describe()
        == "5 rows read: 3 baskets of 2 distinct items; dropped 1 return rows (negative quantity)"
    )
    engine = sa.create_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE SCHEMA IF NOT EXISTS test_database_shop"))
        lines.to_sql("lines", connection, schema="test_database_shop", index=False, if_exists="replace")
    engine.dispose()
    sqlite = f"sqlite:///{tmp_path / 'shop.db'}"
    with sqlite3.connect(tmp_path / "shop.db") as db:
        lines.to_sql("lines", db, index=False)
    for url, table in ((postgres_url, "test_database_shop.lines"), (sqlite, "lines")):
        baskets = read_baskets(url, table=table, columns=names)
        assert baskets.summary == expected.summary and _by_order(baskets) == _by_order(expected)
    with pytest.raises(InputError, match="has no column 'nope' \\(given as the order column\\)"):
        read_baskets(sqlite, table="lines", columns={"order": "nope"})


def test_chunks_are_read_as_batches_and_give_the_csv_baskets(
    shop: dict[str, object], pg_shop: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each chunk goes through the reader on its own (never one frame of every row). SQLite
    returns the rows in the CSV's order: the baskets, ids, customers, times, catalog and summary
    are the CSV export's, byte for byte; PostgreSQL returns them in another order (baskets are
    numbered by their first line): the same per order, and the same catalog and summary."""
    import recommender.io.orders as orders

    from .test_reading_columnar import _same

    from_csv = read_baskets(shop["csv"])
    sizes: list[int] = []
    add = orders._Reading.add

    def counted(self: object, coded: dict[str, object]) -> None:
        sizes.append(len(next(iter(coded.values())).codes))  # type: ignore[attr-defined]
        add(self, coded)  # type: ignore[arg-type]

    monkeypatch.setattr(orders._Reading, "add", counted)
    rows = from_csv.summary.rows_read
    from_sqlite = read_database(str(shop["sqlite"]), table="order_lines", chunk_rows=997)
    assert sizes == [997] * (rows // 997) + [rows % 997]
    _same(from_sqlite, from_csv)
    assert from_csv.catalog is not None and from_csv.customers is not None and from_csv.timestamps is not None
    sizes.clear()
    from_postgres = read_database(pg_shop, table=TABLE, chunk_rows=997)
    assert sizes == [997] * (rows // 997) + [rows % 997]
    assert _per_order(from_postgres) == _per_order(from_csv)
    assert from_postgres.summary == from_csv.summary
    pd.testing.assert_frame_equal(from_postgres.catalog, from_csv.catalog)


def _per_order(baskets: object) -> dict[str, tuple[object, ...]]:
    """Order id -> its items, customer and time."""
    items = _by_order(baskets)
    return {
        order: (items[order], customer, time)
        for order, customer, time in zip(
            baskets.basket_ids,  # type: ignore[attr-defined]
            baskets.customers,  # type: ignore[attr-defined]
            baskets.timestamps.tolist(),  # type: ignore[attr-defined]
        )
    }


def test_a_null_or_a_mixed_type_in_one_chunk_changes_no_id(tmp_path: Path) -> None:
    """An integer column with a NULL in one chunk keeps its ids (1, not 1.0, as a pandas column
    would make them); a SQLite column holding text and numbers reads as text, as in a CSV."""
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE lines (order_id INTEGER, item_id, quantity)")
        db.executemany(
            "INSERT INTO lines VALUES (?, ?, ?)",
            [(1, "tea", 1), (1, 7, 2), (2, "tea", 1), (None, "mug", 1), (3, 7.5, "2"), (3, "mug", None)],
        )
    csv = tmp_path / "orders.csv"
    csv.write_text("order_id,item_id,quantity\n1,tea,1\n1,7,2\n2,tea,1\n,mug,1\n3,7.5,2\n3,mug,\n")
    expected = read_baskets(csv)
    for chunk_rows in (1, 2, 4, 100):
        baskets = read_database(f"sqlite:///{path}", table="lines", chunk_rows=chunk_rows)
        assert baskets.basket_ids == ("1", "2", "3") == expected.basket_ids
        assert [baskets.basket(i) for i in range(3)] == [("7", "tea"), ("tea",), ("7.5", "mug")]
        assert baskets.summary == expected.summary and baskets.summary.missing_item_rows == 1
