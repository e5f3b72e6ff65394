"""Exports without an order column (Kaggle's Groceries dataset, Ta-Feng): a basket is a
customer's lines of one calendar day, by every reader (CSV, Parquet, DataFrame, database)."""

from __future__ import annotations

import pandas as pd
import pytest

from recommender.cli import main
from recommender.exceptions import InputError
from recommender.io import read_baskets
from recommender.io.database import read_database, write_sqlite
from recommender.model import Model

# Kaggle's "Groceries dataset" layout: dates day first, lines in no particular order.
KAGGLE = """\
Member_number,Date,itemDescription
1808,21-07-2015,tropical fruit
2552,05-01-2015,whole milk
2300,19-09-2015,pip fruit
1187,12-12-2015,other vegetables
1808,21-07-2015,whole milk
2552,05-01-2015,rolls/buns
1808,22-07-2015,yogurt
2300,19-09-2015,whole milk
1808,21-07-2015,tropical fruit
2552,06-01-2015,whole milk
1187,12-12-2015,whole milk
2552,,soda
,19-09-2015,soda
"""

# By hand: the six (customer, day) pairs of the lines with both, in the order of their first
# line; 1808 bought tropical fruit twice on the 21st (one item of its basket); the day-first
# 21-07-2015 tells that 05-01-2015 is the 5th of January; soda is only on the two lines
# without a day or a customer, so it is no item.
EXPECTED = {
    "1808 2015-07-21": ("tropical fruit", "whole milk"),
    "2552 2015-01-05": ("rolls/buns", "whole milk"),
    "2300 2015-09-19": ("pip fruit", "whole milk"),
    "1187 2015-12-12": ("other vegetables", "whole milk"),
    "1808 2015-07-22": ("yogurt",),
    "2552 2015-01-06": ("whole milk",),
}
NOTE = (
    "no order column: a basket is each customer's lines of one day (Member_number, Date); "
    "name an order column with --order-col to change this"
)


@pytest.fixture
def kaggle_csv(tmp_path):
    path = tmp_path / "groceries_kaggle.csv"
    path.write_text(KAGGLE)
    return path


def as_dict(baskets):
    return dict(zip(baskets.basket_ids, baskets, strict=True))


def test_a_basket_is_a_customers_day(kaggle_csv):
    baskets = read_baskets(kaggle_csv)
    assert as_dict(baskets) == EXPECTED
    assert list(baskets.basket_ids) == list(EXPECTED)  # numbered by their first line
    assert baskets.customers == ("1808", "2552", "2300", "1187", "1808", "2552")
    assert [str(t)[:10] for t in baskets.timestamps] == [key.split()[1] for key in EXPECTED]
    summary = baskets.summary
    assert (summary.rows_read, summary.baskets, summary.items) == (13, 6, 6)
    # A line without a day or a customer is dropped like one without an order id.
    assert summary.missing_item_rows == 2
    assert summary.repeated_item_rows == 1
    assert summary.cancelled_rows == 0
    assert summary.day_baskets == ("Member_number", "Date")
    assert summary.describe().endswith("; " + NOTE)
    assert summary.as_dict()["day_baskets"] == ["Member_number", "Date"]


def test_dataframe_and_parquet_read_the_same_baskets(kaggle_csv, tmp_path):
    frame = pd.read_csv(kaggle_csv)  # Member_number as floats (a blank among them), Date as text
    parquet = tmp_path / "kaggle.parquet"
    frame.to_parquet(parquet)
    for source in (frame, parquet):
        baskets = read_baskets(source)
        assert as_dict(baskets) == EXPECTED
        assert baskets.summary.missing_item_rows == 2
        assert baskets.summary.day_baskets == ("Member_number", "Date")


def test_times_of_day_fall_in_their_day_and_an_order_column_wins():
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "a"],
            "timestamp": pd.to_datetime(
                ["2024-03-01 08:00", "2024-03-01 23:59", "2024-03-02 00:01", "2024-03-01 08:00", "2024-03-01 12:00"]
            ),
            "sku": ["tea", "mug", "tea", "tea", "cake"],
        }
    )
    baskets = read_baskets(frame)
    assert as_dict(baskets) == {
        "a 2024-03-01": ("cake", "mug", "tea"),
        "a 2024-03-02": ("tea",),
        "b 2024-03-01": ("tea",),
    }
    # Each line its own order: the order column decides, the days do not.
    with_orders = read_baskets(frame.assign(order_id=["1", "2", "3", "4", "5"]))
    assert len(with_orders) == 5
    assert with_orders.summary.day_baskets is None
    assert "no order column" not in with_orders.summary.describe()


def test_named_columns_and_ta_feng_names():
    ta_feng = pd.DataFrame(
        {
            "TRANSACTION_DT": ["11/1/2000", "11/1/2000", "11/2/2000"],
            "CUSTOMER_ID": [1104905, 1104905, 1104905],
            "PRODUCT_ID": [4710199010372, 4710857472535, 4710199010372],
        }
    )
    baskets = read_baskets(ta_feng)
    assert as_dict(baskets) == {
        "1104905 2000-11-01": ("4710199010372", "4710857472535"),
        "1104905 2000-11-02": ("4710199010372",),
    }
    odd = ta_feng.set_axis(["when", "who", "PRODUCT_ID"], axis=1)
    named = read_baskets(odd, columns={"customer": "who", "time": "when"})
    assert list(named) == list(baskets)
    assert named.summary.day_baskets == ("who", "when")


def test_a_database_in_small_chunks_reads_the_same_baskets(kaggle_csv, tmp_path):
    url = write_sqlite(pd.read_csv(kaggle_csv, dtype=str), tmp_path / "shop.db")
    # Chunks of 4 lines: 1808's 21 July is split over three of them and is still one basket.
    baskets = read_database(url, table="order_lines", chunk_rows=4)
    assert as_dict(baskets) == EXPECTED
    assert baskets.summary.day_baskets == ("Member_number", "Date")


def test_mine_writes_a_model_and_says_what_a_basket_is(kaggle_csv, tmp_path, capsys):
    output = tmp_path / "m.rcm"
    status = main(["mine", str(kaggle_csv), "-o", str(output), "--min-support", "0.15"])
    out = capsys.readouterr().out
    assert status == 0
    assert NOTE in out
    assert "6 baskets of 6 distinct items" in out
    model = Model.load(output)
    assert model.provenance["read"]["day_baskets"] == ["Member_number", "Date"]
    assert model.provenance["counts"]["baskets"] == 6


@pytest.mark.parametrize(
    ("header", "missing"),
    [("Member_number,itemDescription", "customer and a time"), ("Date,itemDescription", "customer and a time")],
)
def test_no_order_column_and_no_customer_day_is_refused(tmp_path, capsys, header, missing):
    path = tmp_path / "lines.csv"
    path.write_text(f"{header}\n1808,tea\n2552,mug\n")
    output = tmp_path / "m.rcm"
    status = main(["mine", str(path), "-o", str(output)])
    err = capsys.readouterr().err
    assert status == 2
    assert "has no order column" in err and "--order-col" in err and missing in err
    assert not output.exists()
    with pytest.raises(InputError, match="--customer-col, --time-col"):
        read_baskets(pd.read_csv(path))


@pytest.mark.parametrize(
    ("dates", "days"),
    [
        # Online Retail's month-first dates stay month first: 12/13 tells, 12/1 follows it.
        (["12/1/2010 8:26", "12/13/2010 9:00"], ["2010-12-01", "2010-12-13"]),
        # Nothing tells: month first, as pandas reads them.
        (["05-01-2015", "06-01-2015"], ["2015-05-01", "2015-06-01"]),
        # One day over 12 tells that all of them put the day first.
        (["05-01-2015", "13-01-2015"], ["2015-01-05", "2015-01-13"]),
    ],
)
def test_which_of_day_and_month_comes_first(dates, days):
    frame = pd.DataFrame({"order_id": ["1", "2"], "item_id": ["tea", "mug"], "date": dates})
    baskets = read_baskets(frame)
    assert [str(t)[:10] for t in baskets.timestamps] == days


# Sorted by date, day first: the first lines (the 5th and 6th of January) read both ways; the
# 13th tells that the day comes first only after them.
SORTED_BY_DAY = "Member_number,Date,itemDescription\n" + "".join(
    f"{customer},{day},{item}\n"
    for day in ("05-01-2015", "06-01-2015", "13-01-2015")
    for customer, item in ((1, "tea"), (1, "mug"), (2, "tea"))
)
SORTED_EXPECTED = {
    f"{customer} 2015-01-{day}": items
    for day in ("05", "06", "13")
    for customer, items in ((1, ("mug", "tea")), (2, ("tea",)))
}


def test_day_first_told_late_reads_the_file_again(tmp_path, monkeypatch):
    from recommender.io import orders

    path = tmp_path / "sorted.csv"
    path.write_text(SORTED_BY_DAY)
    monkeypatch.setattr(orders, "_CSV_BLOCK_BYTES", 64)  # a few lines a batch
    monkeypatch.setattr(orders, "BATCH_LINES", 2)
    seen = []
    add = orders._Reading.add
    monkeypatch.setattr(
        orders._Reading, "add", lambda self, coded: (seen.append((self, self.day_first)), add(self, coded))
    )
    baskets = read_baskets(path)
    assert as_dict(baskets) == SORTED_EXPECTED
    # Batches read month first until the 13th, then all of them again, day first from the start.
    readings = list(dict.fromkeys(reading for reading, _ in seen))
    assert len(readings) == 2
    assert [first for reading, first in seen if reading is readings[0]][:2] == [False, False]
    assert all(first for reading, first in seen if reading is readings[1])
    frame = pd.read_csv(path, dtype=str)
    parquet = tmp_path / "sorted.parquet"
    frame.to_parquet(parquet, row_group_size=2)
    assert as_dict(read_baskets(parquet)) == SORTED_EXPECTED
    url = write_sqlite(frame, tmp_path / "sorted.db")
    assert as_dict(read_database(url, table="order_lines", chunk_rows=2)) == SORTED_EXPECTED
