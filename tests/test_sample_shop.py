"""The built-in sample shop: deterministic, well-formed, and its planted structure is really there.

Planted structure is measured directly with pandas on the purchases (returns left out), so these
tests do not depend on the miner; one test then checks that mining finds it too.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recommender.sample_shop import (
    CATALOG_COLUMNS,
    ORDER_COLUMNS,
    SampleShop,
    generate_sample_shop,
    write_sample_shop,
)

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def shop() -> SampleShop:
    return generate_sample_shop(seed=7)


@pytest.fixture(scope="module")
def purchases(shop: SampleShop) -> pd.DataFrame:
    return shop.orders[~shop.orders["order_id"].str.startswith("C")]


@pytest.fixture(scope="module")
def baskets(purchases: pd.DataFrame) -> pd.Series:
    return purchases.groupby("order_id")["item_id"].agg(frozenset)


def _digest(frame: pd.DataFrame) -> str:
    return hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()


def test_same_seed_same_shop_other_seed_other_orders(shop: SampleShop) -> None:
    again = generate_sample_shop(seed=7)
    pd.testing.assert_frame_equal(shop.orders, again.orders)
    pd.testing.assert_frame_equal(shop.catalog, again.catalog)
    assert shop.planted_complements == again.planted_complements
    assert shop.planted_upgrades == again.planted_upgrades
    assert shop.seed == 7
    assert not shop.orders.equals(generate_sample_shop(seed=8).orders)


def test_same_seed_same_shop_in_another_process(shop: SampleShop) -> None:
    # Another hash seed too: nothing may depend on the order of sets or on hash().
    code = (
        "import hashlib; from recommender.sample_shop import generate_sample_shop; "
        "print(hashlib.sha256(generate_sample_shop(seed=7).orders.to_csv(index=False).encode()).hexdigest())"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONHASHSEED": "12345"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == _digest(shop.orders)


def test_catalog_schema(shop: SampleShop) -> None:
    catalog = shop.catalog
    assert tuple(catalog.columns) == CATALOG_COLUMNS
    assert 80 <= len(catalog) <= 140 and 10 <= catalog["category"].nunique() <= 14
    assert catalog["item_id"].is_unique and catalog["name"].is_unique
    assert catalog["item_id"].str.fullmatch(r"[A-Z0-9-]+").all()
    assert str(catalog["tier"].dtype) == "int64" and str(catalog["price"].dtype) == "float64"
    assert catalog["in_stock"].dtype == bool and catalog["active"].dtype == bool
    assert (catalog["price"] > 0).all() and (catalog["price"] == catalog["price"].round(2)).all()
    assert catalog["margin"].between(0.15, 0.6).all()
    assert 3 <= (~catalog["in_stock"]).sum() <= 6 and 1 <= (~catalog["active"]).sum() <= 3
    assert catalog.notna().all().all()


def test_brands_include_a_cheaper_house_brand(shop: SampleShop) -> None:
    median_price = shop.catalog.groupby("brand")["price"].median()
    assert 3 <= len(median_price) <= 8
    assert median_price.idxmin() == "Larder"


def test_families_rise_in_price_with_tier(shop: SampleShop) -> None:
    families = shop.catalog.groupby("family").filter(lambda family: len(family) > 1)
    assert families["family"].nunique() >= 8
    for _, family in families.groupby("family"):
        ordered = family.sort_values("tier")
        assert 2 <= len(family) <= 4
        assert ordered["tier"].tolist() == list(range(1, len(family) + 1))
        assert ordered["price"].is_monotonic_increasing and ordered["price"].is_unique


def test_order_schema(shop: SampleShop, purchases: pd.DataFrame) -> None:
    orders, catalog = shop.orders, shop.catalog.set_index("item_id")
    assert tuple(orders.columns) == ORDER_COLUMNS
    assert str(orders["quantity"].dtype) == "int64" and str(orders["unit_price"].dtype) == "float64"
    assert orders.notna().all().all()
    assert set(orders["item_id"]) <= set(catalog.index)
    assert (orders["description"] == catalog.loc[orders["item_id"], "name"].to_numpy()).all()
    assert orders["order_id"].str.fullmatch(r"[OC]\d{6}").all()
    assert orders["customer_id"].str.fullmatch(r"C\d{5}").all()
    # Unit prices are the catalog's, now and then 10% off.
    listed = catalog.loc[purchases["item_id"], "price"].to_numpy()
    discounted = purchases["unit_price"].to_numpy() != listed
    assert (purchases["unit_price"] > 0).all() and 0 < discounted.mean() < 0.1
    assert purchases["quantity"].between(1, 3).all() and (purchases["quantity"] == 1).mean() > 0.8
    # One customer and one time per order; each order's lines name distinct items.
    per_order = orders.groupby("order_id")[["customer_id", "timestamp"]].nunique()
    assert (per_order == 1).all().all()
    assert not orders.duplicated(["order_id", "item_id"]).any()


def test_orders_are_numbered_in_time_order_within_the_period(shop: SampleShop) -> None:
    orders = shop.orders
    times = pd.to_datetime(orders["timestamp"])
    assert times.is_monotonic_increasing
    assert times.min() >= pd.Timestamp("2025-01-01") and times.max() < pd.Timestamp("2026-01-01")
    first = orders.drop_duplicates("order_id")
    numbers = first["order_id"].str[1:].astype(int)
    # Purchases and returns share one sequence, as invoice numbers do.
    assert numbers.is_unique and numbers.is_monotonic_increasing
    assert numbers.tolist() == list(range(1, len(first) + 1))


def test_size_of_the_default_shop(shop: SampleShop, purchases: pd.DataFrame) -> None:
    assert 8_000 <= purchases["order_id"].nunique() <= 15_000
    assert 2.0 <= purchases.groupby("order_id").size().mean() <= 4.0
    per_customer = purchases.groupby("customer_id")["order_id"].nunique()
    assert len(per_customer) == 1200
    # Some loyal customers buy far more often than most.
    assert per_customer.max() >= 4 * per_customer.median()


def test_returns_are_rare_negative_and_follow_a_purchase(shop: SampleShop, purchases: pd.DataFrame) -> None:
    returns = shop.orders[shop.orders["order_id"].str.startswith("C")]
    assert 0.005 <= len(returns) / len(purchases) <= 0.02
    assert returns["order_id"].is_unique  # one returned line per return order
    assert (returns["quantity"] < 0).all() and (purchases["quantity"] > 0).all()
    first_bought = purchases.groupby(["customer_id", "item_id"])["timestamp"].min()
    for customer, item, when, quantity in returns[["customer_id", "item_id", "timestamp", "quantity"]].itertuples(
        index=False
    ):
        assert first_bought[(customer, item)] < when
        bought = purchases[(purchases["customer_id"] == customer) & (purchases["item_id"] == item)]
        assert -quantity in set(bought["quantity"])


def test_planted_complements_co_occur_with_high_lift(shop: SampleShop, baskets: pd.Series) -> None:
    assert 10 <= len(shop.planted_complements) <= 20
    assert len(set(shop.planted_complements)) == len(shop.planted_complements)
    n = len(baskets)
    for anchor, complement in shop.planted_complements:
        has_anchor = baskets.map(lambda basket, a=anchor: a in basket)
        has_complement = baskets.map(lambda basket, c=complement: c in basket)
        both = int((has_anchor & has_complement).sum())
        confidence = both / has_anchor.sum()
        assert both >= 20, (anchor, complement, both)
        assert 0.25 <= confidence <= 0.7, (anchor, complement, confidence)
        assert confidence / (has_complement.sum() / n) > 3, (anchor, complement)


def test_bundles_of_three_are_bought_whole(shop: SampleShop, baskets: pd.Series) -> None:
    bundle = {"COF-ESPRESSO-BASIC", "COF-BEANS-SINGLE", "COF-MILK-JUG"}
    assert {("COF-ESPRESSO-BASIC", "COF-BEANS-SINGLE"), ("COF-ESPRESSO-BASIC", "COF-MILK-JUG")} <= set(
        shop.planted_complements
    )
    with_machine = baskets[baskets.map(lambda basket: "COF-ESPRESSO-BASIC" in basket)]
    whole = with_machine.map(bundle.issubset).sum()
    assert whole >= 20 and whole / len(with_machine) >= 0.2


def test_mining_recovers_the_planted_complements(shop: SampleShop) -> None:
    from recommender import mine

    rules = mine(shop.orders, catalog=shop.catalog).rules
    single = rules[rules["antecedents"].map(len) == 1]
    lift = {(antecedents[0], consequent): value for antecedents, consequent, value in single[
        ["antecedents", "consequent", "lift"]
    ].itertuples(index=False)}  # fmt: skip
    for pair in shop.planted_complements:
        assert lift.get(pair, 0.0) > 3, pair


def test_customers_trade_up_within_families(shop: SampleShop, purchases: pd.DataFrame) -> None:
    family = dict(zip(shop.catalog["item_id"], shop.catalog["family"]))
    tier = dict(zip(shop.catalog["item_id"], shop.catalog["tier"].tolist()))
    for lower, higher in shop.planted_upgrades:
        assert family[lower] == family[higher] and tier[higher] == tier[lower] + 1
    first = purchases.groupby(["item_id", "customer_id"])["timestamp"].min()
    last = purchases.groupby(["item_id", "customer_id"])["timestamp"].max()
    measured = 0
    for lower, higher in shop.planted_upgrades:
        buyers = first.loc[lower]
        if len(buyers) < 20:  # too few to measure a share
            continue
        later = last.loc[higher].reindex(buyers.index) if higher in last.index else pd.Series(dtype=object)
        traded = int((later > buyers).sum())
        assert traded / len(buyers) >= 0.2, (lower, higher, traded, len(buyers))
        measured += 1
    assert measured >= 10


def test_discontinued_products_sell_only_early(shop: SampleShop, purchases: pd.DataFrame) -> None:
    inactive = shop.catalog.loc[~shop.catalog["active"], "item_id"]
    cutoff = (pd.Timestamp("2025-01-01") + pd.Timedelta(days=0.6 * 365)).strftime("%Y-%m-%d %H:%M:%S")
    for item in inactive:
        sold = purchases.loc[purchases["item_id"] == item, "timestamp"]
        assert len(sold) >= 10 and sold.max() < cutoff, (item, len(sold), sold.max())


def test_write_sample_shop_round_trips(tmp_path: Path, shop: SampleShop) -> None:
    orders_path, catalog_path = write_sample_shop(tmp_path / "new" / "shop", seed=7)
    assert (orders_path.name, catalog_path.name) == ("orders.csv", "catalog.csv")
    orders, catalog = pd.read_csv(orders_path), pd.read_csv(catalog_path)
    assert len(orders) == len(shop.orders) and len(catalog) == len(shop.catalog)
    pd.testing.assert_frame_equal(orders, shop.orders, check_dtype=False)
    pd.testing.assert_frame_equal(catalog, shop.catalog, check_dtype=False)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"n_customers": 0}, "n_customers"),
        ({"days": 0}, "days"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"start": "not a date"}, "start"),
    ],
)
def test_bad_arguments_are_refused(arguments: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate_sample_shop(**arguments)  # type: ignore[arg-type]


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_customers=st.integers(1, 60),
    days=st.integers(1, 400),
    start=st.sampled_from(["2024-02-29", "2025-01-01", "2023-07-15"]),
)
def test_small_shops_keep_the_invariants(seed: int, n_customers: int, days: int, start: str) -> None:
    shop = generate_sample_shop(seed=seed, n_customers=n_customers, days=days, start=start)
    orders = shop.orders
    assert tuple(orders.columns) == ORDER_COLUMNS and len(orders) > 0
    times = pd.to_datetime(orders["timestamp"])
    assert times.is_monotonic_increasing
    assert times.min() >= pd.Timestamp(start) and times.max() < pd.Timestamp(start) + pd.Timedelta(days=days)
    assert orders["customer_id"].nunique() == n_customers
    returned = orders["order_id"].str.startswith("C")
    assert (orders.loc[returned, "quantity"] < 0).all() and (orders.loc[~returned, "quantity"] > 0).all()
    assert orders.drop_duplicates("order_id")["order_id"].str[1:].astype(int).is_monotonic_increasing
    assert set(orders["item_id"]) <= set(shop.catalog["item_id"])
