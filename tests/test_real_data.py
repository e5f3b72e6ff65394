"""Published figures on the real data sets of ../shared/data."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from recommender import mine, read_baskets

from .conftest import data_file


def test_shared_data_is_the_published_bytes():
    sums = data_file("SHA256SUMS").read_text().split("\n")
    for line in filter(None, sums):
        digest, name = line.split()
        name = name.lstrip("*")
        if name == "groceries.csv":
            assert hashlib.sha256(data_file(name).read_bytes()).hexdigest() == digest


@pytest.fixture(scope="module")
def groceries_model():
    return mine(data_file("groceries.csv"), min_support=0.001, min_confidence=0.5, max_len=10)


def test_groceries_has_the_5668_rules_arules_publishes(groceries_model):
    assert groceries_model.n_baskets == 9835
    assert len(groceries_model.rules) == 5668


def test_groceries_top_rule_by_lift(groceries_model):
    top = groceries_model.rules.iloc[0]
    assert set(top["antecedents"]) == {"Instant food products", "soda"}
    assert top["consequent"] == "hamburger meat"
    assert top["lift"] == pytest.approx(18.996, abs=5e-4)
    # 12 of the 19 baskets with both; hamburger meat is in 327 of 9835.
    assert (top["count"], top["antecedent_count"], top["consequent_count"]) == (12, 19, 327)


def test_groceries_matches_mlxtend_the_tutorial_way(groceries_model):
    """mlxtend on a dense TransactionEncoder frame (fine at 169 items) gives the same rules."""
    from mlxtend.frequent_patterns import association_rules, fpgrowth
    from mlxtend.preprocessing import TransactionEncoder

    baskets = [list(b) for b in read_baskets(data_file("groceries.csv"))]
    encoder = TransactionEncoder()
    frame = pd.DataFrame(encoder.fit(baskets).transform(baskets), columns=encoder.columns_)
    itemsets = fpgrowth(frame, min_support=0.001, use_colnames=True, max_len=10)
    expected = association_rules(itemsets, num_itemsets=len(frame), metric="confidence", min_threshold=0.5)
    expected = expected[expected["consequents"].map(len) == 1]
    theirs = {
        (frozenset(a), next(iter(c))): (sup, lift)
        for a, c, sup, lift in zip(
            expected["antecedents"], expected["consequents"], expected["support"], expected["lift"]
        )
    }
    ours = {
        (frozenset(a), c): (sup, lift)
        for a, c, sup, lift in zip(
            groceries_model.rules["antecedents"],
            groceries_model.rules["consequent"],
            groceries_model.rules["support"],
            groceries_model.rules["lift"],
        )
    }
    assert ours.keys() == theirs.keys()
    for key, (support, lift) in ours.items():
        assert support == pytest.approx(theirs[key][0])
        assert lift == pytest.approx(theirs[key][1])


@pytest.mark.slow
def test_online_retail_reads_with_cancellations_reported():
    path = data_file("online_retail.csv.xz")
    baskets = read_baskets(path)
    summary = baskets.summary
    assert summary.rows_read == 541_909
    # UCI Online Retail: 9,288 lines belong to invoices starting with C (cancellations).
    assert summary.cancelled_rows == 9_288
    # Independent count with pandas: invoices with at least one purchase line.
    raw = pd.read_csv(path, dtype={"InvoiceNo": str, "StockCode": str})
    purchases = raw[~raw["InvoiceNo"].str.startswith("C") & (raw["Quantity"] >= 0) & raw["StockCode"].notna()]
    assert summary.returned_rows == int(((raw["Quantity"] < 0) & ~raw["InvoiceNo"].str.startswith("C")).sum())
    # Postage, fees, vouchers and the like are left out and counted (tests/test_non_products.py).
    left_out = {entry.item for entry in summary.non_products}
    assert {"POST", "DOT", "M", "C2"} <= left_out
    codes = purchases["StockCode"].str.strip()
    products = purchases[~codes.isin(left_out)]
    assert summary.non_product_rows == int(codes.isin(left_out).sum())
    assert len(baskets) == products["InvoiceNo"].nunique()
    assert baskets.n_items == products["StockCode"].str.strip().nunique()
    # The catalog is derived from the descriptions and prices.
    assert baskets.catalog.loc["85123A", "name"] == "WHITE HANGING HEART T-LIGHT HOLDER"
    assert baskets.catalog.loc["85123A", "price"] > 0
    assert baskets.customers[0] == "17850"  # written 17850.0 in the file


@pytest.mark.slow
def test_retail_dat_shape():
    baskets = read_baskets(data_file("retail.dat.xz"))
    assert (len(baskets), baskets.n_items) == (88_162, 16_470)
