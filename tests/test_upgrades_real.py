"""Upgrades mined from a real shop: The Complete Journey (households, dates, brands, product types)."""

from __future__ import annotations

import pandas as pd
import pytest

from recommender import Recommender, mine

from .conftest import data_file


@pytest.fixture(scope="module")
def journey():
    transactions = data_file("completejourney/transactions_sample.csv.gz")
    products = data_file("completejourney/products.csv.gz")
    model = mine(transactions, catalog=products, min_support=0.0005)
    return model, Recommender(model.data), pd.read_csv(transactions, dtype={"product_id": str, "household_id": str})


@pytest.mark.slow
def test_every_upgrade_is_pricier_in_band_and_of_the_same_product_type(journey):
    model, rec, _ = journey
    catalog = model.catalog
    checked = 0
    for item, candidates in rec.upgrades.items():
        a = rec.table.ids[item]
        for upgrade, share, customers, basis in candidates:
            b = rec.table.ids[upgrade]
            if pd.isna(catalog.loc[a, "family"]):  # no product type: same product category
                assert catalog.loc[b, "category"] == catalog.loc[a, "category"] and basis != "family"
            else:
                assert catalog.loc[b, "family"] == catalog.loc[a, "family"]  # product_type
            assert 1.1 <= catalog.loc[b, "price"] / catalog.loc[a, "price"] <= 2.0
            if basis == "traded_up":
                assert 0 < customers <= model.data.buyers[item] and share == pytest.approx(
                    customers / model.data.buyers[item]
                )
            checked += 1
    assert checked > 1000


@pytest.mark.slow
def test_trade_up_counts_match_the_raw_transactions(journey):
    model, rec, raw = journey
    raw["time"] = pd.to_datetime(raw["transaction_timestamp"], utc=True, format="mixed")
    first = raw.groupby(["household_id", "product_id"])["time"].min()
    last = raw.groupby(["household_id", "product_id"])["time"].max()
    strongest = sorted(model.data.tradeups, key=lambda t: -t[2])[:5]
    assert strongest[0][2] >= 5
    for a_index, b_index, customers in strongest:
        a, b = model.data.items[a_index], model.data.items[b_index]
        bought_a = first.xs(a, level="product_id")
        bought_b = last.xs(b, level="product_id")
        both = bought_a.index.intersection(bought_b.index)
        assert customers == int((bought_b[both] > bought_a[both]).sum()), (a, b)


@pytest.mark.slow
def test_private_label_to_national_brand_upgrades_exist_and_are_served(journey):
    model, rec, _ = journey
    catalog = model.catalog
    private_to_national = [
        (rec.table.ids[item], rec.table.ids[c[0]])
        for item, candidates in rec.upgrades.items()
        for c in candidates
        if c[3] == "traded_up"
        and catalog.loc[rec.table.ids[item], "brand"] == "Private"
        and catalog.loc[rec.table.ids[c[0]], "brand"] == "National"
    ]
    assert len(private_to_national) >= 100
    # White bread: households moved from the 0.99 store brand to a 1.59 national brand.
    assert ("999971", "951590") in private_to_national
    answer = rec.recommend(["999971"], kinds=["upgrade"])
    assert answer.items[0].item_id == "951590" and answer.items[0].reason["replaces"] == "999971"
