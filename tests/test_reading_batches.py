"""Reading a long order file batch by batch gives exactly what reading it in one batch gives.

The reader applies its rules to each batch of lines (a block of a CSV, a record batch of a
Parquet file) and keeps only the kept lines' codes and per-item tallies. Batches of a few
lines split orders, customers, times, repeated lines and an item's lines across batches; the
baskets, summary, catalog and non-product lines must not change. Real files: the start of
Online Retail and of the Complete Journey sample (every reading rule has lines there).
"""

from __future__ import annotations

import gzip
import lzma
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import recommender.io.orders as orders
from recommender.exceptions import InputError
from recommender.io import read_baskets

from .conftest import data_file
from .test_reading_columnar import _orders
from .test_reading_columnar import _same as _same_with_catalog

ONE_BATCH_SIZES = {"lines": 1 << 30, "block_bytes": 1 << 30}


def _same(a, b) -> None:
    """Equal baskets, ids, customers, times, summaries and catalogs (or neither has one)."""
    if a.catalog is None or b.catalog is None:
        assert a.catalog is None and b.catalog is None
        a, b = replace(a, catalog=pd.DataFrame()), replace(b, catalog=pd.DataFrame())
    _same_with_catalog(a, b)


def _read(monkeypatch, path, *, lines: int, block_bytes: int, **options):
    """The baskets of ``path`` read in batches of ``lines`` (Parquet) or blocks of ``block_bytes``
    (CSV), the kept codes in blocks of 5 when batches are small, and how many batches that was."""
    monkeypatch.setattr(orders, "BATCH_LINES", lines)
    monkeypatch.setattr(orders, "_CSV_BLOCK_BYTES", block_bytes)
    # The kept codes in blocks of 5: a batch's codes across blocks, and many blocks.
    monkeypatch.setattr(orders, "CODE_BLOCK", 5 if lines < ONE_BATCH_SIZES["lines"] else 1 << 20)
    batches = []
    add = orders._Reading.add

    def counted(self, coded):
        batches.append(len(next(iter(coded.values())).codes))
        return add(self, coded)

    monkeypatch.setattr(orders._Reading, "add", counted)
    try:
        return read_baskets(path, **options), batches
    finally:
        monkeypatch.setattr(orders._Reading, "add", add)


def _both(monkeypatch, path, *, lines: int = 3, block_bytes: int = 200, **options):
    whole, one = _read(monkeypatch, path, **ONE_BATCH_SIZES, **options)
    small, many = _read(monkeypatch, path, lines=lines, block_bytes=block_bytes, **options)
    assert len(one) == 1 and max(many) <= max(lines, block_bytes // 10) and len(many) > 20
    return whole, small


def _head(source, opener, lines: int, target) -> None:
    with opener(source, "rb") as handle:
        target.write_bytes(b"".join(line for _, line in zip(range(lines + 1), handle)))


@pytest.mark.parametrize(
    "name, opener", [("online_retail.csv.xz", lzma.open), ("completejourney/transactions_sample.csv.gz", gzip.open)]
)
def test_real_files_in_batches_of_a_few_lines(monkeypatch, tmp_path, name, opener):
    csv = tmp_path / "orders.csv"
    _head(data_file(name), opener, 1_000, csv)
    whole, small = _both(monkeypatch, csv)
    _same(small, whole)
    assert whole.summary.rows_read == 1_000 and len(whole) > 20
    if name.startswith("online"):
        # The start of Online Retail holds cancellations, returns, repeated lines and postage.
        s = whole.summary
        assert s.cancelled_rows and s.repeated_item_rows and s.non_products[0].item == "POST"
        assert whole.catalog is not None and whole.customers is not None and whole.timestamps is not None
    # The same lines as Parquet, its columns typed as pandas reads them.
    pd.read_csv(csv).to_parquet(tmp_path / "orders.parquet", index=False)
    whole_pq, small_pq = _both(monkeypatch, tmp_path / "orders.parquet", lines=4)
    _same(small_pq, whole_pq)
    assert whole_pq.content_sha256() == whole.content_sha256()


@pytest.mark.parametrize("seed", [3, 4])
def test_generated_edge_cases_in_batches(monkeypatch, tmp_path, seed):
    """Cancellations, returns, blank and missing ids, ids with blanks around them, repeated lines,
    postage, float-exported customers and times (see test_reading_columnar)."""
    frame = _orders(seed, lines=300)
    frame.to_csv(tmp_path / "orders.csv", index=False)
    frame.assign(Quantity=frame["Quantity"].astype(int), UnitPrice=frame["UnitPrice"].astype(float)).to_parquet(
        tmp_path / "orders.parquet", index=False
    )
    for path, lines in (
        (tmp_path / "orders.csv", 1),
        (tmp_path / "orders.parquet", 1),
        (tmp_path / "orders.parquet", 7),
    ):
        whole, small = _both(monkeypatch, path, lines=lines, block_bytes=300)
        _same(small, whole)
    # Without descriptions and prices the never-sold rule works on tallies kept batch by batch.
    lean = frame[["InvoiceNo", "StockCode", "Quantity", "CustomerID", "InvoiceDate"]].copy()
    lean.loc[lean.index[::15], "StockCode"] = "COUPON"
    lean.loc[lean["StockCode"] == "COUPON", "Quantity"] = "0"
    lean.to_csv(tmp_path / "lean.csv", index=False)
    whole, small = _both(monkeypatch, tmp_path / "lean.csv", block_bytes=150)
    _same(small, whole)
    assert whole.summary.non_products[0].item == "COUPON" and whole.catalog is None


def test_an_order_across_batches(monkeypatch, tmp_path):
    """Basket 1's customer is named on its second line and its earliest time is on its third."""
    text = (
        "InvoiceNo,StockCode,Quantity,InvoiceDate,CustomerID\n"
        "1,A,1,2024-01-02 10:00:00,\n"
        "2,B,1,2024-01-05 10:00:00,5.0\n"
        "1,B,1,2024-01-03 10:00:00,7.0\n"
        "C3,A,1,2024-01-01 10:00:00,\n"
        "1, A ,2,2024-01-01 09:00:00,8\n"
        "2,C,-1,2024-01-01 10:00:00,5.0\n"
    )
    (tmp_path / "orders.csv").write_text(text)
    pd.read_csv(tmp_path / "orders.csv", dtype=str).to_parquet(tmp_path / "orders.parquet", index=False)
    for path in (tmp_path / "orders.csv", tmp_path / "orders.parquet"):
        for lines in (1, 2):
            b, batches = _read(monkeypatch, path, lines=lines, block_bytes=60)
            assert len(batches) >= 3
            assert [b.basket(i) for i in range(len(b))] == [("A", "B"), ("B",)]
            assert b.basket_ids == ("1", "2") and b.customers == ("7", "5")
            assert [pd.Timestamp(t) for t in b.timestamps] == [
                pd.Timestamp("2024-01-01 09:00"),
                pd.Timestamp("2024-01-05 10:00"),
            ]
            s = b.summary
            assert (s.rows_read, s.cancelled_rows, s.returned_rows, s.repeated_item_rows) == (6, 1, 1, 1)


def test_the_first_bad_value_is_named_whatever_the_batches(monkeypatch, tmp_path):
    """Quantities are checked before prices: a bad quantity late in the file is named, not the
    bad price of an earlier batch, and by its line of the file."""
    rows = [f"{k // 3},I{k % 5}{k},{'x' if k == 40 else 1},{'y' if k == 4 else 2.5}" for k in range(50)]
    (tmp_path / "orders.csv").write_text("order,item,quantity,price\n" + "\n".join(rows) + "\n")
    # As Parquet, text columns: each batch of the row group carries the values of all its lines.
    pd.read_csv(tmp_path / "orders.csv", dtype=str).to_parquet(tmp_path / "orders.parquet", index=False)
    for path in (tmp_path / "orders.csv", tmp_path / "orders.parquet"):
        for lines, block_bytes in ((1 << 30, 1 << 30), (2, 64)):
            monkeypatch.setattr(orders, "BATCH_LINES", lines)
            monkeypatch.setattr(orders, "_CSV_BLOCK_BYTES", block_bytes)
            with pytest.raises(InputError, match=r"column 'quantity' must hold numbers, but line 42 has 'x'"):
                read_baskets(path)
    (tmp_path / "empty.csv").write_text("order,item\n")
    with pytest.raises(InputError, match="has no rows"):
        read_baskets(tmp_path / "empty.csv")


def test_a_csv_pyarrow_refuses_late_is_read_by_pandas_whole(monkeypatch, tmp_path):
    rows = [f"{k // 4},item{k % 7}" for k in range(60)]
    rows[50] = "12"  # a short line: pyarrow refuses it, pandas reads a missing item
    (tmp_path / "orders.csv").write_text("order,item\n" + "\n".join(rows) + "\n")
    whole, _ = _read(monkeypatch, tmp_path / "orders.csv", **ONE_BATCH_SIZES)
    small, _ = _read(monkeypatch, tmp_path / "orders.csv", lines=2, block_bytes=40)
    _same(small, whole)
    assert whole.summary.rows_read == 60 and whole.summary.missing_item_rows == 1


def test_a_parquet_folder_is_read_file_by_file(monkeypatch, tmp_path):
    frame = _orders(5, lines=300)
    folder = tmp_path / "orders"
    folder.mkdir()
    frame.iloc[:200].to_parquet(folder / "part-0.parquet", index=False)
    frame.iloc[200:].to_parquet(folder / "part-1.parquet", index=False)
    frame.to_csv(tmp_path / "orders.csv", index=False)
    whole, files = _read(monkeypatch, folder, **ONE_BATCH_SIZES)
    small, batches = _read(monkeypatch, folder, lines=5, block_bytes=200)
    assert len(files) == 2 and len(batches) == 40 + 23
    _same(small, whole)
    _same(small, read_baskets(tmp_path / "orders.csv"))


@pytest.mark.parametrize("clashing", [False, True])
def test_ids_are_coded_in_the_order_first_seen(monkeypatch, clashing):
    """The ids' table finds an id by its 64-bit hash and compares the id itself: with every
    hash the same, every id still gets its own code."""
    if clashing:
        monkeypatch.setattr(orders, "_hash", lambda values: np.zeros(len(values), dtype=np.int64))
    ids = orders._Ids()
    first = ids._codes(np.array(["b", "a", "b", ""], dtype=object))
    second = ids._codes(np.array(["c", "a", "é", "b"], dtype=object))
    assert first.tolist() == [0, 1, 0, 2] and second.tolist() == [3, 1, 4, 0]
    assert ids.labels().tolist() == ["b", "a", "", "c", "é"] and len(ids) == 5
    assert ids.take(np.array([4, 0])).tolist() == ["é", "b"]


def test_ids_sharing_hashes_read_as_with_the_real_hash(monkeypatch, tmp_path):
    """A hash of three values: nearly every order, item and customer id shares its hash with
    others, in the same batch and across batches; the baskets are those of the real hash."""
    frame = _orders(6, lines=300)
    frame.to_csv(tmp_path / "orders.csv", index=False)
    whole, small = _both(monkeypatch, tmp_path / "orders.csv", block_bytes=300)
    real = orders._hash
    monkeypatch.setattr(orders, "_hash", lambda values: real(values) % 3)
    clashing_whole, clashing_small = _both(monkeypatch, tmp_path / "orders.csv", block_bytes=300)
    _same(clashing_whole, whole)
    _same(clashing_small, small)
    assert whole.customers is not None and len(set(whole.basket_ids)) == len(whole) > 20


@pytest.mark.parametrize("seed, placed", [(0, 1 << 16), (1, 7), (2, 1)])
def test_basket_matrix_from_parts_is_scipys_from_all_lines(monkeypatch, seed, placed):
    """The counting sort over parts gives scipy's COO-to-CSR of the joined lines: baskets
    spread over parts and unsorted, items repeated within and across parts, basket codes no
    line uses (left out), items no line uses (not in the vocabulary); parts placed whole or
    a few lines at a time."""
    import scipy.sparse as sp

    import recommender.io.baskets as baskets
    from recommender.io.baskets import SourceInfo, baskets_from_code_parts

    monkeypatch.setattr(baskets, "_PLACED_LINES", placed)

    rng = np.random.default_rng(seed)
    lines, n_codes, n_labels = 2_000, 300, 60
    rows = rng.integers(0, n_codes, lines).astype(np.int32)
    rows[rows % 7 == 3] = 0  # codes 3, 10, 17, ... used by no line
    items = rng.integers(0, n_labels - 5, lines).astype(np.int32)
    labels = np.asarray([f"i{k:03d}" for k in rng.permutation(n_labels)], dtype=object)
    cuts = np.sort(rng.choice(np.arange(1, lines), 12, replace=False))
    b = baskets_from_code_parts(
        np.split(rows, cuts), np.split(items, cuts), labels, n_codes=n_codes, rows_read=lines,
        source=SourceInfo(name="t", kind="python", sha256=""), what="t", basket_ids=[f"o{k}" for k in range(n_codes)],
    )  # fmt: skip
    vocabulary = np.sort(labels[np.unique(items)])
    column = {label: j for j, label in enumerate(vocabulary)}
    expected = sp.csr_matrix(
        (np.ones(lines, dtype=bool), (rows, [column[label] for label in labels[items]])),
        shape=(n_codes, len(vocabulary)),
    )
    kept = np.flatnonzero(np.diff(expected.indptr))
    expected = expected[kept]
    assert b.items == tuple(vocabulary) and len(vocabulary) <= n_labels - 5
    assert b.indptr.tolist() == expected.indptr.tolist() and b.indices.tolist() == expected.indices.tolist()
    assert b.indices.dtype == np.int32 and b.indptr.dtype == np.int64
    assert b.basket_ids == tuple(f"o{k}" for k in kept) and len(kept) < n_codes
    assert b.summary.repeated_item_rows == lines - expected.nnz > 0


def test_kept_codes_in_blocks(monkeypatch):
    monkeypatch.setattr(orders, "CODE_BLOCK", 5)
    codes = orders._Codes()
    assert codes.parts() == []
    for start, stop in ((0, 3), (3, 3), (3, 12), (12, 13)):
        codes.append(np.arange(start, stop, dtype=np.int32))
    parts = codes.parts()
    assert [part.tolist() for part in parts] == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11, 12]]
    assert codes.parts() == []
