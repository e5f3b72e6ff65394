"""The built-in sample shop: deterministic, well-formed, and its planted structure is really there."""

from __future__ import annotations

import pandas as pd
import pytest

from recommender import mine
from recommender.sample_shop import CATALOG_COLUMNS, ORDER_COLUMNS, generate_sample_shop, write_sample_shop


@pytest.fixture(scope="module")
def shop():
    return generate_sample_shop(seed=7)


@pytest.fixture(scope="module")
def purchases(shop):
    orders = shop.orders
    return orders[~orders["order_id"].str.startswith("C")]


def test_same_seed_same_shop_other_seed_other_orders(shop):
    again = generate_sample_shop(seed=7)
    pd.testing.assert_frame_equal(shop.orders, again.orders)
    pd.testing.assert_frame_equal(shop.catalog, again.catalog)
    assert shop.planted_upgrades == again.planted_upgrades
    assert not shop.orders.equals(generate_sample_shop(seed=8).orders)


def test_schema_and_size(shop, purchases):
    catalog, orders = shop.catalog, shop.orders
    assert tuple(catalog.columns) == CATALOG_COLUMNS and tuple(orders.columns) == ORDER_COLUMNS
    assert catalog["item_id"].is_unique and (catalog["price"] > 0).all()
    assert 80 <= len(catalog) <= 140 and 10 <= catalog["category"].nunique() <= 14
    assert set(orders["item_id"]) <= set(catalog["item_id"])
    assert 8_000 <= purchases["order_id"].nunique() <= 15_000
    assert 2.0 <= purchases.groupby("order_id").size().mean() <= 4.0
    assert orders["customer_id"].nunique() == 1200
    assert 3 <= (~catalog["in_stock"]).sum() <= 6 and 1 <= (~catalog["active"]).sum() <= 3
    # Each order's lines share one customer and one time.
    per_order = purchases.groupby("order_id")[["customer_id", "timestamp"]].nunique()
    assert (per_order == 1).all().all()


def test_returns_are_rare_negative_and_follow_a_purchase(shop, purchases):
    returns = shop.orders[shop.orders["order_id"].str.startswith("C")]
    assert 0.005 <= len(returns) / len(purchases) <= 0.02
    assert (returns["quantity"] < 0).all() and (purchases["quantity"] > 0).all()
    bought = set(zip(purchases["customer_id"], purchases["item_id"]))
    assert all(pair in bought for pair in zip(returns["customer_id"], returns["item_id"]))


def test_families_rise_in_price_with_tier(shop):
    families = shop.catalog.groupby("family").filter(lambda f: len(f) > 1)
    assert families["family"].nunique() >= 8
    for _, family in families.groupby("family"):
        ordered = family.sort_values("tier")
        assert ordered["tier"].tolist() == list(range(1, len(family) + 1))
        assert ordered["price"].is_monotonic_increasing and ordered["price"].is_unique


def test_planted_complements_co_occur_with_high_lift(shop, purchases):
    baskets = purchases.groupby("order_id")["item_id"].agg(frozenset)
    n = len(baskets)
    for anchor, complement in shop.planted_complements:
        with_anchor = baskets[baskets.map(lambda b, a=anchor: a in b)]
        both = int(with_anchor.map(lambda b, c=complement: c in b).sum())
        share = baskets.map(lambda b, c=complement: c in b).sum() / n
        assert both >= 20, (anchor, complement, both)
        assert (both / len(with_anchor)) / share > 3, (anchor, complement)


def test_mining_recovers_the_planted_complements(shop):
    rules = mine(shop.orders, catalog=shop.catalog).rules
    found = set(zip(rules["antecedents"], rules["consequent"]))
    for anchor, complement in shop.planted_complements:
        assert ((anchor,), complement) in found, (anchor, complement)
    strong = rules[rules["lift"] > 3]
    assert len(strong) >= len(shop.planted_complements)


def test_customers_trade_up_within_families(shop, purchases):
    assert len(shop.planted_upgrades) >= 8
    first = purchases.groupby(["customer_id", "item_id"])["timestamp"].min()
    last = purchases.groupby(["customer_id", "item_id"])["timestamp"].max()
    for lower, higher in shop.planted_upgrades:
        buyers = first.xs(lower, level="item_id")
        if len(buyers) < 20:
            continue
        later = last.xs(higher, level="item_id") if higher in last.index.get_level_values(1) else pd.Series()
        traded = sum(1 for customer, when in buyers.items() if customer in later.index and later[customer] > when)
        assert traded / len(buyers) >= 0.2, (lower, higher, traded, len(buyers))


def test_discontinued_products_sell_only_early(shop, purchases):
    inactive = shop.catalog.loc[~shop.catalog["active"], "item_id"]
    year_end = purchases["timestamp"].max()
    for item in inactive:
        sold = purchases.loc[purchases["item_id"] == item, "timestamp"]
        assert len(sold) > 0 and sold.max() < year_end[:5] + "08-01"


def test_write_sample_shop_round_trips(tmp_path, shop):
    orders_path, catalog_path = write_sample_shop(tmp_path / "shop", seed=7)
    assert len(pd.read_csv(orders_path)) == len(shop.orders)
    assert len(pd.read_csv(catalog_path)) == len(shop.catalog)
