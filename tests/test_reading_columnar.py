"""The columnar reader (pyarrow, dictionary-encoded columns) against a plain per-line oracle.

Generated order lines hold everything the reading rules look at: cancellations (invoices
starting with C), returns (negative quantities), lines without an item or an order, ids with
blanks around them or blank, repeated lines of an item, a non-product line
(POSTAGE), customers exported through a float column (``17850.0``) and times. The same lines,
written as CSV (plain and gzip), as Parquet, or given as a DataFrame, must give the same
baskets, and those the oracle's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recommender.io import read_baskets

NA_TEXT = {"", "NA", "N/A", "NULL", "nan", "None"}


def _orders(seed: int, lines: int = 3_000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_orders = lines // 4
    order = rng.integers(0, n_orders, lines)
    order_ids = np.asarray([f"{536000 + k}" for k in range(n_orders)], dtype=object)
    cancelled = rng.random(n_orders) < 0.05
    order_ids[cancelled] = ["C" + o for o in order_ids[cancelled]]
    items = np.asarray([f"{20000 + k}A" if k % 3 else f"{20000 + k}" for k in range(120)], dtype=object)
    item = items[np.minimum(rng.zipf(1.4, lines), len(items)) - 1].astype(object)
    # Blanks around some ids, some ids missing, written in the ways exports write them.
    spaced = rng.random(lines) < 0.05
    item[spaced] = [f" {x} " for x in item[spaced]]
    missing = np.flatnonzero(rng.random(lines) < 0.02)
    item[missing] = rng.choice(["", "  "], len(missing))
    item[missing[::3]] = None  # in Parquet a missing value; in CSV a blank
    postage = rng.random(lines) < 0.03
    item[postage] = "POST"
    quantity = rng.integers(1, 5, lines).astype(object)
    quantity[rng.random(lines) < 0.03] = -1
    price = np.round(rng.uniform(0.5, 9.0, lines), 2)
    price[postage] = 18.0
    names = np.asarray([f"ITEM {x}".strip() for x in item], dtype=object)
    names[postage] = "POSTAGE"
    customer = np.asarray([f"{17000 + k % 90}.0" for k in range(n_orders)], dtype=object)[order]
    customer[rng.random(lines) < 0.1] = ""
    day = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 200, n_orders), unit="D")
    when = day[order].strftime("%Y-%m-%d %H:%M:%S")
    frame = pd.DataFrame(
        {
            "InvoiceNo": order_ids[order],
            "StockCode": item,
            "Description": names,
            "Quantity": quantity.astype(str),
            "InvoiceDate": when,
            "UnitPrice": price.astype(str),
            "CustomerID": customer,
            "Country": "United Kingdom",
        }
    )
    # Repeated lines: some lines twice.
    return pd.concat([frame, frame.iloc[rng.integers(0, lines, lines // 20)]], ignore_index=True)


def _oracle(frame: pd.DataFrame) -> dict:
    """The reading rules, one line at a time in plain Python."""
    baskets: dict[str, set[str]] = {}
    customers: dict[str, str] = {}
    times: dict[str, pd.Timestamp] = {}
    counts = {"cancelled": 0, "returned": 0, "missing": 0, "non_product": 0}
    for order, item, quantity, name, customer, when in zip(
        frame["InvoiceNo"], frame["StockCode"], frame["Quantity"], frame["Description"], frame["CustomerID"],
        frame["InvoiceDate"],
    ):  # fmt: skip
        order, item = order.strip(), item.strip() if isinstance(item, str) else ""
        if order in NA_TEXT or item in NA_TEXT:
            counts["missing"] += 1
        elif order[0] in "Cc" and order[1:2].isdigit():
            counts["cancelled"] += 1
        elif float(quantity) < 0:
            counts["returned"] += 1
        elif name == "POSTAGE":
            counts["non_product"] += 1
        else:
            baskets.setdefault(order, set()).add(item)
            if customer.strip() and order not in customers:
                customers[order] = customer.strip().removesuffix(".0")
            stamp = pd.Timestamp(when)
            times[order] = min(times.get(order, stamp), stamp)
    return {"baskets": baskets, "customers": customers, "times": times, "counts": counts}


def _as_plain(baskets) -> dict:
    return {
        "baskets": {order: set(baskets.basket(i)) for i, order in enumerate(baskets.basket_ids)},
        "customers": {o: c for o, c in zip(baskets.basket_ids, baskets.customers) if c is not None},
        "times": {o: pd.Timestamp(t) for o, t in zip(baskets.basket_ids, baskets.timestamps)},
        "counts": {
            "cancelled": baskets.summary.cancelled_rows,
            "returned": baskets.summary.returned_rows,
            "missing": baskets.summary.missing_item_rows,
            "non_product": baskets.summary.non_product_rows,
        },
    }


def _same(a, b) -> None:
    assert a.items == b.items
    assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    assert a.basket_ids == b.basket_ids and a.customers == b.customers
    assert np.array_equal(a.timestamps, b.timestamps)
    assert a.summary == b.summary
    pd.testing.assert_frame_equal(a.catalog, b.catalog)


@pytest.mark.parametrize("seed", [0, 1])
def test_every_source_gives_the_oracles_baskets(tmp_path, seed):
    frame = _orders(seed)
    frame.to_csv(tmp_path / "orders.csv", index=False)
    frame.to_csv(tmp_path / "orders.csv.gz", index=False)
    typed = frame.assign(
        Quantity=frame["Quantity"].astype(int),
        UnitPrice=frame["UnitPrice"].astype(float),
        InvoiceDate=pd.to_datetime(frame["InvoiceDate"]),
    )
    typed.to_parquet(tmp_path / "orders.parquet", index=False)
    from_csv = read_baskets(tmp_path / "orders.csv")
    expected = _oracle(frame)
    assert _as_plain(from_csv) == expected
    # The lines in the order of the file: baskets numbered by their first kept line.
    assert list(from_csv.basket_ids) == list(expected["baskets"])
    assert from_csv.summary.repeated_item_rows > 0 and from_csv.summary.non_products[0].item == "POST"
    for other in (
        read_baskets(tmp_path / "orders.csv.gz"),
        read_baskets(tmp_path / "orders.parquet"),
        read_baskets(pd.read_csv(tmp_path / "orders.csv", dtype=str)),
        read_baskets(typed),
    ):
        _same(other, from_csv)


def test_a_csv_pyarrow_refuses_is_read_by_pandas_as_before(tmp_path):
    # A short line (pandas fills it with missing values) and a repeated header name; "NA" is
    # missing in a CSV read by either reader.
    text = "order,item,item\n1,tea,x\n1,mug\n2,tea,y\n3,NA,z\n"
    (tmp_path / "orders.csv").write_text(text)
    baskets = read_baskets(tmp_path / "orders.csv")
    assert [baskets.basket(i) for i in range(len(baskets))] == [("mug", "tea"), ("tea",)]
    assert baskets.summary.rows_read == 4 and baskets.summary.missing_item_rows == 1
    (tmp_path / "plain.csv").write_text("order,item\n1,tea\n1,mug\n2,NA\n2, N/A\n")
    plain = read_baskets(tmp_path / "plain.csv")
    assert plain.summary.missing_item_rows == 1 and plain.items == ("N/A", "mug", "tea")  # " N/A" is no NA mark


def test_reading_keeps_no_line_as_a_python_object(tmp_path):
    """The baskets hold int32 codes; only distinct values (items, orders) are Python strings."""
    frame = _orders(2)
    frame.to_parquet(tmp_path / "orders.parquet", index=False)
    baskets = read_baskets(tmp_path / "orders.parquet")
    assert baskets.indices.dtype == np.int32
    assert len(baskets.items) == len(set(baskets.items)) <= 121
