"""The customers' summary a model keeps (segments, the vital few, price levels, items bought
again), checked against the orders directly; and what --no-customers and --hash-customers
leave in the file."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from recommender import mine
from recommender.artifact import read_model
from recommender.cli import main
from recommender.exceptions import ConfigError
from recommender.mining.customers import CUSTOMER_KEY_ENV, VITAL_SHARE, hash_customer
from recommender.model_data import SEGMENTS, check_model
from recommender.sample_shop import generate_sample_shop

from .conftest import run_benchmark

KEY = "a-secret-key-of-the-shop-0123456789"


@pytest.fixture(scope="module")
def shop():
    return generate_sample_shop(seed=7, n_customers=150, days=200)


@pytest.fixture(scope="module")
def model(shop):
    return mine(shop.orders, catalog=shop.catalog, min_support=0.02, workers=1, learn_weights=False)


def _orders(shop) -> pd.DataFrame:
    """The sample shop's purchases as the reader keeps them: distinct items per order, no returns."""
    lines = shop.orders[shop.orders["quantity"] > 0]
    return lines.drop_duplicates(["order_id", "item_id"])


def test_every_customer_has_a_summary(shop, model):
    customers = model.data.customers
    assert customers is not None and not customers.hashed
    assert customers.ids == tuple(sorted(_orders(shop)["customer_id"].unique()))
    assert set(customers.segments) <= set(SEGMENTS)
    assert model.data.provenance["customers"] == {"kept": True, "count": len(customers.ids), "hashed": False}


def test_the_vital_few_are_the_fewest_customers_behind_80_percent_of_the_revenue(shop, model):
    customers = model.data.customers
    price = {item: entry.price for item, entry in model.data.catalog.items()}
    orders = _orders(shop)
    revenue = orders.assign(value=orders["item_id"].map(price)).groupby("customer_id")["value"].sum()
    vital = [c for c, v in zip(customers.ids, customers.vital) if v]
    share = revenue[vital].sum() / revenue.sum()
    assert share >= VITAL_SHARE
    # One fewer (the smallest of them) would not reach it, and no one left out spent more.
    assert (revenue[vital].sum() - revenue[vital].min()) / revenue.sum() < VITAL_SHARE
    assert revenue.drop(vital).max() <= revenue[vital].min()
    assert 0 < len(vital) < len(customers.ids)


def test_items_bought_again_are_those_in_two_orders_or_more(shop, model):
    customers, items = model.data.customers, model.data.items
    orders = _orders(shop)
    for k in range(0, len(customers.ids), 15):
        bought = Counter(orders.loc[orders["customer_id"] == customers.ids[k], "item_id"])
        again = sorted(
            (item for item, n in bought.items() if n >= 2), key=lambda item: (-bought[item], items.index(item))
        )
        assert [items[i] for i in customers.repeats[k]] == again[:10]


def test_price_levels_are_the_prices_paid_over_the_category_median(shop, model):
    customers, catalog = model.data.customers, model.data.catalog
    sold = [catalog[item] for item in model.data.items]  # the median is of the items sold
    assert customers.categories == tuple(sorted({e.category for e in sold if e.category and e.price}))
    median = pd.DataFrame([(e.category, e.price) for e in sold if e.category and e.price]).groupby(0)[1].median()
    orders = _orders(shop)
    k = int(np.argmax([len(levels) for levels in customers.price_levels]))
    mine_ = orders[orders["customer_id"] == customers.ids[k]]
    for category, level in customers.price_levels[k]:
        name = customers.categories[category]
        paid = [catalog[i].price / median[name] for i in mine_["item_id"] if catalog[i].category == name]
        assert level == pytest.approx(np.mean(paid), abs=1e-3)


def test_the_summary_survives_the_file_and_bad_values_are_refused(model, tmp_path):
    loaded = read_model(model.save(tmp_path / "m.rcm"))
    assert loaded.customers == model.data.customers
    customers = model.data.customers
    with pytest.raises(ValueError, match=r"customers.segments\[0\] is 'whale'"):
        check_model(replace(model.data, customers=replace(customers, segments=("whale", *customers.segments[1:]))))
    with pytest.raises(ValueError, match=r"customers.repeats\[0\]"):
        check_model(replace(model.data, customers=replace(customers, repeats=((10**6,), *customers.repeats[1:]))))


def test_no_customers_leaves_them_out(shop):
    plain = mine(shop.orders, min_support=0.02, workers=1, learn_weights=False, keep_customers=False)
    assert plain.data.customers is None and plain.data.provenance["customers"]["kept"] is False
    baskets = mine([["tea", "kettle"], ["tea"]], min_support=0.5, learn_weights=False)
    assert baskets.data.customers is None  # no customer column: nothing to keep


def test_hashed_customers_name_nobody_in_the_file(shop, tmp_path, monkeypatch, capsys):
    orders = tmp_path / "orders.csv"
    shop.orders.to_csv(orders, index=False)
    model = tmp_path / "m.rcm"
    monkeypatch.delenv(CUSTOMER_KEY_ENV, raising=False)
    assert main(["mine", str(orders), "-o", str(model), "--hash-customers", "--min-support", "0.02"]) == 2
    err = capsys.readouterr().err
    assert f"needs a secret key of at least 16 characters in {CUSTOMER_KEY_ENV}" in err and err.count("\n") == 1
    assert not model.exists()
    monkeypatch.setenv(CUSTOMER_KEY_ENV, KEY)
    assert main(["mine", str(orders), "-o", str(model), "--hash-customers", "--min-support", "0.02",
                 "--workers", "1"]) == 0  # fmt: skip
    data = read_model(model)
    ids = sorted(_orders(shop)["customer_id"].unique())
    assert data.customers.hashed
    assert set(data.customers.ids) == {hash_customer(c, KEY.encode()) for c in ids}
    payload = gzip.decompress(model.read_bytes().partition(b"\n")[2]).decode()
    assert not any(f'"{c}"' in payload for c in ids)
    assert main(["mine", str(orders), "-o", str(model), "--no-customers", "--min-support", "0.02",
                 "--workers", "1"]) == 0  # fmt: skip
    assert read_model(model).customers is None
    assert "customers" in json.loads(gzip.decompress(model.read_bytes().partition(b"\n")[2]))


def test_a_short_key_is_refused(monkeypatch):
    monkeypatch.setenv(CUSTOMER_KEY_ENV, "short")
    with pytest.raises(ConfigError, match="it has 5"):
        mine([["tea", "kettle"]], min_support=0.5, hash_customers=True)


def test_customers_benchmark_small_preset(tmp_path):
    (result,) = run_benchmark("bench_customers.py", tmp_path / "customers.json")["datasets"]
    assert 0 < result["vital_customers"] < result["customers"]
    assert set(result["summary"]) == {"none", "again 1", "again 2", "history 0.25"}
    assert result["summary"]["none"]["difference"] == 0.0
    for run in result["runs"]:
        assert run["cases"] == sum(run["cases_by_segment"].values()) > 0
        assert all(0.0 <= rate <= 1.0 for rate in run["hit_rate"].values())


# -- a known customer's answer ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def again_model(shop):
    return mine(shop.orders, catalog=shop.catalog, min_support=0.02, workers=1, buy_again=1)


def _customer_with_repeats(data, *, least: int = 2) -> tuple[str, list[str]]:
    customers = data.customers
    k = next(k for k, items in enumerate(customers.repeats) if len(items) >= least)
    return customers.ids[k], [data.items[i] for i in customers.repeats[k]]


def test_a_known_customer_gets_an_item_they_buy_again_first(again_model):
    from recommender.ranking import Recommender

    data = again_model.data
    rec = Recommender(data)
    customer, again = _customer_with_repeats(data)
    cart = [data.items[0]] if data.items[0] not in again else [data.items[1]]
    plain = rec.recommend(cart, limit=3)
    known = rec.recommend(cart, limit=3, customer_id=customer)
    expected = next(item for item in again if item not in cart and item not in plain.item_ids[:2])
    assert known.items[0].item_id == expected and known.items[0].reason["again"] is True
    assert [s.item_id for s in known.items[1:]] == [i for i in plain.item_ids if i != expected][:2]
    assert not set(known.item_ids) & set(cart) and len(known.items) == 3
    # An unknown customer, and no customer, get the cart's own answer.
    assert rec.recommend(cart, limit=3, customer_id="nobody").item_ids == plain.item_ids
    # Excluded, it is not offered; the past purchases of a request do the same as the summary.
    assert expected not in rec.recommend(cart, limit=3, customer_id=customer, exclude=[expected]).item_ids
    history = [expected, cart[0], expected]
    assert rec.recommend(cart, limit=3, history=history).items[0].item_id == expected
    assert rec.recommend(cart, limit=3, history=[expected]).item_ids == plain.item_ids  # once is not again
    # Mined without --buy-again, a customer changes nothing.
    without = Recommender(mine(again_model.baskets, min_support=0.02, workers=1).data)
    assert without.recommend(cart, customer_id=customer).item_ids == without.recommend(cart).item_ids


def test_a_hashed_model_finds_its_customers_with_the_key_only(shop, monkeypatch):
    from recommender.ranking import Recommender

    monkeypatch.setenv(CUSTOMER_KEY_ENV, KEY)
    model = mine(shop.orders, min_support=0.02, workers=1, buy_again=1, hash_customers=True, learn_weights=False)
    customers = model.data.customers
    k = next(k for k, items in enumerate(customers.repeats) if items)
    customer = next(
        c for c in _orders(shop)["customer_id"].unique() if hash_customer(c, KEY.encode()) == customers.ids[k]
    )
    assert Recommender(model.data).customers.known(customer)
    monkeypatch.delenv(CUSTOMER_KEY_ENV)
    assert not Recommender(model.data).customers.known(customer)


def test_buy_again_out_of_range_is_refused():
    with pytest.raises(ConfigError, match="buy_again must be a whole number of places from 0 to 10, got 11"):
        mine([["tea", "kettle"]], min_support=0.5, buy_again=11)


def test_the_service_takes_customer_id_and_history(again_model, tmp_path):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from recommender.service import ServiceSettings, create_app

    path = again_model.save(tmp_path / "again.rcm")
    customer, again = _customer_with_repeats(again_model.data)
    cart = [i for i in again_model.data.items if i not in again][:1]
    with TestClient(create_app(ServiceSettings(model_path=str(path)), handle_sighup=False)) as client:
        known = client.post("/v1/recommendations", json={"cart": cart, "customer_id": customer}).json()
        plain = client.post("/v1/recommendations", json={"cart": cart}).json()
        assert known["items"][0]["item_id"] == again[0] and known["items"][0]["reason"]["again"] is True
        assert all("again" not in item["reason"] for item in plain["items"])
        by_history = client.post("/v1/recommendations", json={"cart": cart, "history": [again[0]] * 2}).json()
        assert by_history["items"][0]["item_id"] == again[0]
        too_long = client.post("/v1/recommendations", json={"cart": cart, "history": ["x"] * 10_000})
        assert too_long.status_code == 422


def test_service_benchmark_with_known_customers(tmp_path):
    pytest.importorskip("uvicorn")
    result = run_benchmark("bench_service.py", tmp_path / "service.json", "--customers", "0.5", "--duration", "1")
    assert result["customers_share"] == 0.5 and result["errors"] == 0 and result["requests"] > 100


def test_recommend_names_its_customer_on_the_command_line(again_model, tmp_path, capsys):
    path = again_model.save(tmp_path / "again.rcm")
    customer, again = _customer_with_repeats(again_model.data)
    cart = [i for i in again_model.data.items if i not in again][:1]
    assert main(["recommend", str(path), *cart, "--customer", customer]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert f"[{again[0]}]" in first and "(bought again," in first
    assert main(["recommend", str(path), *cart, "--customer", customer, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["items"][0]["reason"]["again"] is True


def test_items_bought_again_are_cross_sells_and_stay_out_of_other_kinds(again_model):
    from recommender.ranking import Recommender

    rec = Recommender(again_model.data)
    customer, again = _customer_with_repeats(again_model.data)
    cart = [i for i in again_model.data.items if i not in again][:1]
    popular_only = rec.recommend(cart, kinds=["popular"], customer_id=customer)
    assert popular_only.item_ids == rec.recommend(cart, kinds=["popular"]).item_ids
    assert all(s.kind == "popular" for s in popular_only.items)
