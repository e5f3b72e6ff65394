"""Upgrades mined from a real shop: The Complete Journey (households, dates, brands, product types)."""

from __future__ import annotations

from collections import defaultdict

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


def _brute_force_upgrades(rec, members, item, band):
    """Every other member of the item's family (or category) in the band, by the evidence."""
    table, data = rec.table, rec.data
    traded = {(a, b): c for a, b, c in data.tradeups if a == item}
    buyers = data.buyers[item]
    basis = "family" if table.families[item] is not None else "category"
    found = []
    for b in members:
        if b == item or not band[0] <= table.prices[b] / table.prices[item] <= band[1]:
            continue
        customers = traded.get((item, b), 0)
        if customers and buyers:
            found.append((b, customers / buyers, customers, "traded_up"))
        else:
            found.append((b, table.support[b], 0, basis))
    found.sort(key=lambda u: (u[3] != "traded_up", -u[1], -u[2], table.ids[u[0]]))
    return found[:5]


@pytest.mark.slow
def test_the_upgrades_of_any_band_are_the_brute_force_ones(journey):
    _, rec, _ = journey
    from recommender.ranking.upgrades import UpgradeFinder

    finder = UpgradeFinder(rec.data, rec.table)
    table = rec.table
    groups = defaultdict(list)  # the family, or the category for an item without one
    for i in range(len(table)):
        if table.prices[i] is not None and (table.families[i] or table.categories[i]):
            groups[("family", table.families[i]) if table.families[i] else ("category", table.categories[i])].append(i)
    key_of = {i: key for key, members in groups.items() for i in members}
    traded = sorted({a for a, _, _ in rec.data.tradeups})
    checked = 0
    for item in sorted(key_of)[::50] + traded[::5]:
        for band in ((1.1, 2.0), (1.1, 4.5), (1.5, 3.0)):
            expected = _brute_force_upgrades(rec, groups[key_of[item]], item, band)
            assert [tuple(u) for u in finder.find(item, band)] == expected, item
            checked += 1
    assert checked > 1000
