"""Baskets kept as runs give exactly the Baskets that a basket code per line gives.

While every order's kept lines come together, the reader keeps a length and an order per
basket instead of a basket code per line (``recommender.io.basket_runs``), and makes the
matrix's rows from the runs; the first order that comes back after another began sends it
to the counting-sort path. Tables with orders together, interleaved, and one coming back
late, read in batches of a few lines, must give the Baskets of the plain path (every line a
basket code, ``BasketRuns.add`` refusing every batch), and the baskets a brute-force reading
of the lines gives.
"""

from __future__ import annotations

from contextlib import contextmanager
from unittest import mock

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import recommender.io.basket_runs as basket_runs
import recommender.io.orders as orders
from recommender.io import read_baskets
from recommender.io.basket_runs import BasketRuns, rows_of_runs
from recommender.io.non_products import NOTHING_SOLD_MIN_LINES
from recommender.io.orders import ColumnSpec, long_from_batches

from .test_reading_batches import _same


@contextmanager
def _plain():
    """Every batch refused as runs: a basket code per kept line from the first batch on."""
    with mock.patch.object(BasketRuns, "add", lambda self, orders: False):
        yield


@contextmanager
def _small(*, lines: int = 3, block_bytes: int = 120):
    """Batches of a few lines, the kept codes in blocks of 5, windows of 3 lines, ids made
    strings 2 at a time: runs across batches, blocks and windows."""
    with (
        mock.patch.object(orders, "BATCH_LINES", lines),
        mock.patch.object(orders, "_CSV_BLOCK_BYTES", block_bytes),
        mock.patch.object(orders, "CODE_BLOCK", 5),
        mock.patch.object(orders, "_IDS_AT_ONCE", 2),
        mock.patch.object(basket_runs, "WINDOW_LINES", 3),
    ):
        yield


@contextmanager
def _runs_ended():
    """Calls of the end made from runs, as a list that grows by one each time."""
    made = []
    finish_runs = orders._Reading._finish_runs

    def counted(self, source):
        made.append(self.runs.count)
        return finish_runs(self, source)

    with mock.patch.object(orders._Reading, "_finish_runs", counted):
        yield made


def _table(seed: int, *, layout: str, orders_n: int = 60) -> pd.DataFrame:
    """Order lines of ``orders_n`` orders (1-5 lines each), their lines together, interleaved
    or together but for one early order's line coming back at the end. Lines repeat an item
    of their order, some are returns (negative quantity), lack an item, or belong to a
    cancellation (an order id starting with C); COUPON lines sell nothing (quantity 0: left
    out as never sold), and one order holds only a COUPON (its basket dropped)."""
    rng = np.random.default_rng(seed)
    blocks = []  # each order's lines
    for k in range(orders_n):
        order = f"C{k}" if k % 17 == 5 else f"O{k:03d}"
        block = []
        for _ in range(int(rng.integers(1, 6))):
            item = f"I{int(rng.integers(0, 12)):02d}" if rng.random() > 0.05 else ""
            block.append((order, item, int(rng.choice([1, 1, 2, 3, -1]))))
        if k % 7 == 3:
            block.append((order, block[-1][1], 1))  # the item again
        if k % 9 == 4:
            block.insert(1, (order, "COUPON", 0))
        blocks.append(block)
    for k in range(NOTHING_SOLD_MIN_LINES):
        blocks.insert(int(rng.integers(0, len(blocks))), [(f"V{k}", "COUPON", 0), (f"V{k}", "I05", 1)])
    blocks.insert(len(blocks) // 2, [("ONLYCOUPON", "COUPON", 0)])
    rows = [line for block in blocks for line in block]
    frame = pd.DataFrame(rows, columns=["InvoiceNo", "StockCode", "Quantity"])
    if layout == "interleaved":
        frame = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    elif layout == "late":
        first = frame.index[frame["InvoiceNo"] == "O001"][0]
        frame = pd.concat([frame, frame.loc[[first]].assign(StockCode="I99")], ignore_index=True)
    return frame


def _brute(frame: pd.DataFrame) -> tuple[list[str], list[tuple[str, ...]], int]:
    """Basket ids, baskets (sorted distinct items) and repeated lines, line by line in Python."""
    baskets: dict[str, list[str]] = {}
    for order, item, quantity in frame.itertuples(index=False):
        if item == "" or pd.isna(item) or order.startswith("C") or quantity < 0 or item == "COUPON":
            continue
        baskets.setdefault(order, []).append(item)
    repeated = sum(len(items) - len(set(items)) for items in baskets.values())
    return list(baskets), [tuple(sorted(set(items))) for items in baskets.values()], repeated


@pytest.mark.parametrize("layout", ["together", "interleaved", "late"])
@pytest.mark.parametrize("kind", ["csv", "parquet", "frame"])
def test_runs_and_the_fallback_give_the_plain_baskets(tmp_path, layout, kind):
    frame = _table(7, layout=layout)
    if kind == "csv":
        source = tmp_path / "orders.csv"
        frame.to_csv(source, index=False)
    elif kind == "parquet":
        source = tmp_path / "orders.parquet"
        frame.to_parquet(source, index=False)
    else:
        source = frame
    with _small(), _runs_ended() as made:
        runs = read_baskets(source)
    with _small(), _plain(), _runs_ended() as made_plain:
        plain = read_baskets(source)
    _same(runs, plain)
    # Runs to the end only when every order's lines came together (a frame is one batch).
    assert made == ([len(_brute(frame)[0]) + 1] if layout == "together" else [])  # ONLYCOUPON's basket too
    assert made_plain == []
    ids, baskets, repeated = _brute(frame)
    assert list(runs.basket_ids) == ids and list(runs) == baskets
    s = runs.summary
    assert s.repeated_item_rows == repeated and s.non_products[0].item == "COUPON"
    assert s.cancelled_rows and s.returned_rows and s.missing_item_rows
    assert runs.indices.dtype == np.int32 and runs.indptr.dtype == np.int64


def test_excluded_items_and_a_table_left_without_purchases(tmp_path):
    frame = _table(8, layout="together")
    frame.to_csv(tmp_path / "orders.csv", index=False)
    with _small():
        runs = read_baskets(tmp_path / "orders.csv", exclude_items=["I00", "I01"], keep_items=["COUPON"])
        with _plain():
            plain = read_baskets(tmp_path / "orders.csv", exclude_items=["I00", "I01"], keep_items=["COUPON"])
    _same(runs, plain)
    assert "I00" not in runs.items and "COUPON" in runs.items
    # Every line of an excluded item: the same message both ways.
    lone = pd.DataFrame({"InvoiceNo": ["1", "1", "2"], "StockCode": ["A", "A", "A"], "Quantity": [1, 2, 1]})
    messages = []
    for path in (False, True):
        with pytest.raises(ValueError) as raised, _small():
            if path:
                with _plain():
                    read_baskets(lone, exclude_items=["A"])
            else:
                read_baskets(lone, exclude_items=["A"])
        messages.append(str(raised.value))
    assert messages[0] == messages[1] and "holds no purchases" in messages[0]


def test_basket_runs_take_a_batch_whole_or_not_at_all():
    runs = BasketRuns()
    assert runs.add(np.array([0, 0, 1], dtype=np.int32))
    assert runs.add(np.array([1, 1, 2, 3, 3], dtype=np.int32))  # order 1 goes on across batches
    before = (runs.count, runs.lengths[: runs.count].tolist(), runs.orders[: runs.count].tolist())
    assert before == (4, [2, 3, 1, 2], [0, 1, 2, 3])
    for late in ([3, 4, 0], [4, 5, 4], [2]):  # order 0 back; order 4 twice in a batch; 2 after 3
        assert not runs.add(np.array(late, dtype=np.int32))
        assert (runs.count, runs.lengths[: runs.count].tolist(), runs.orders[: runs.count].tolist()) == before
    assert runs.basket_of(6).tolist() == [0, 1, 2, 3, -1, -1]
    with mock.patch.object(basket_runs, "WINDOW_LINES", 3):
        assert np.concatenate(list(runs.line_baskets())).tolist() == [0, 0, 1, 1, 1, 2, 3, 3]


class _Blocks:
    def __init__(self) -> None:
        self.values: list[np.ndarray] = []

    def append(self, values: np.ndarray) -> None:
        self.values.append(values.copy())

    def parts(self) -> list[np.ndarray]:
        values, self.values = self.values, []
        return values


@pytest.mark.parametrize("seed", range(4))
def test_rows_of_runs_against_scipy(seed, monkeypatch):
    """Rows sorted, repeats merged, lines of left-out items dropped and baskets left empty
    dropped: what scipy's COO-to-CSR gives of the same (basket, column) pairs."""
    monkeypatch.setattr(basket_runs, "WINDOW_LINES", 1 + seed * 3)
    rng = np.random.default_rng(seed)
    n_labels, n_baskets = 9, 40
    lengths = rng.integers(1, 6, n_baskets)
    items = rng.integers(0, n_labels, int(lengths.sum())).astype(np.int32)
    left_out = rng.random(n_labels) < 0.3 if seed else None
    rank = rng.permutation(n_labels).astype(np.int32)
    baskets = np.repeat(np.arange(n_baskets), lengths)
    kept = np.ones(len(items), dtype=bool) if left_out is None else ~left_out[items]
    oracle = sp.coo_matrix(
        (np.ones(int(kept.sum())), (baskets[kept], rank[items[kept]])), shape=(n_baskets, n_labels)
    ).tocsr()
    oracle.sum_duplicates()
    rows_kept = np.diff(oracle.indptr) > 0
    oracle = oracle[rows_kept]

    parts = [items[k : k + 7] for k in range(0, len(items), 7)]
    indptr, indices, basket_kept, repeated = rows_of_runs(
        parts, lengths.astype(np.int64), rank, n_cols=n_labels, left_out=left_out, staged=_Blocks()
    )
    assert parts == []  # every part let go
    assert indptr.tolist() == oracle.indptr.tolist() and indices.tolist() == oracle.indices.tolist()
    assert repeated == int(kept.sum()) - oracle.nnz
    assert (basket_kept is None and rows_kept.all()) or basket_kept.tolist() == rows_kept.tolist()


_LINE = st.tuples(st.integers(0, 5), st.integers(0, 6), st.sampled_from([-1, 0, 1, 2]))


@settings(max_examples=60, deadline=None)
@given(
    lines=st.lists(_LINE, min_size=1, max_size=40),
    together=st.booleans(),
    batch=st.integers(1, 7),
    window=st.integers(1, 5),
)
def test_any_lines_in_any_batches(lines, together, batch, window):
    """Any order lines (orders together or in any order), in batches of any size: the Baskets
    of the runs path (or of its fallback) are those of the plain path."""
    if together:
        lines = sorted(lines, key=lambda line: line[0])
    frame = pd.DataFrame(lines, columns=["order", "item", "quantity"]).astype({"order": str, "item": str})
    frame["order"] = "O" + frame["order"]
    names = ["order", "item", "quantity"]

    def read():
        batches = (
            {name: pa.array(frame[name].iloc[start : start + batch]) for name in names}
            for start in range(0, len(frame), batch)
        )
        return long_from_batches(names, batches, columns=ColumnSpec(), what="lines", source=None)

    with mock.patch.object(orders, "CODE_BLOCK", 3), mock.patch.object(basket_runs, "WINDOW_LINES", window):
        try:
            runs = read()
        except ValueError as error:  # no purchase left: the plain path says the same
            with _plain(), pytest.raises(ValueError) as raised:
                read()
            assert str(raised.value) == str(error)
            return
        with _plain():
            plain = read()
    _same(runs, plain)


def test_freed_memory_given_back_where_the_library_allows():
    import platform

    from recommender.io import freed_memory

    freed_memory.give_back_freed()
    if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
        assert freed_memory._malloc_trim() is not None
