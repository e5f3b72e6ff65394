"""The upgrade band that follows a known customer's price level, on a shop small enough to work
out by hand; the request path (Python and HTTP) uses it; the product master of the Complete
Journey reads as a catalog."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from recommender import RankingConfig, Recommender, mine
from recommender.cli import main
from recommender.exceptions import ConfigError
from recommender.io.catalog import read_catalog
from recommender.ranking.upgrades import customer_band

from .conftest import data_file, run_benchmark

# Four teas of one family and category; the category's median price is (3 + 5) / 2 = 4.
CATALOG = pd.DataFrame({
    "item": ["tea-basic", "tea-good", "tea-fine", "tea-rare", "mug"],
    "category": ["tea", "tea", "tea", "tea", "kitchen"],
    "family": ["tea", "tea", "tea", "tea", None],
    "price": [2.0, 3.0, 5.0, 8.0, 6.0],
})  # fmt: skip
# Ann pays 5 and 8 for tea (level (5/4 + 8/4) / 2 = 1.625), Bob 2 twice (0.5), Cy 3 twice
# (0.75), Dee buys a mug only (no level for tea).
ORDERS = pd.DataFrame(
    [
        ("1", "tea-fine", "ann", "2026-01-01"),
        ("2", "tea-rare", "ann", "2026-02-01"),
        ("3", "tea-basic", "bob", "2026-01-02"),
        ("4", "tea-basic", "bob", "2026-02-02"),
        ("5", "tea-good", "cy", "2026-01-03"),
        ("6", "tea-good", "cy", "2026-02-03"),
        ("7", "mug", "dee", "2026-01-04"),
    ],
    columns=["order", "item", "customer", "date"],
)


@pytest.fixture(scope="module")
def model():
    return mine(ORDERS, catalog=CATALOG, min_support=0.5, workers=1, learn_weights=False)


def _upgrades(model, customer, follows, cart=("tea-basic",)):
    config = RankingConfig(upgrade_band_follows=follows, max_upgrades=3, max_per_category=None)
    answer = Recommender(model.data, config=config).recommend(list(cart), kinds=["upgrade"], customer_id=customer)
    return [s.item_id for s in answer.items]


def test_price_levels_of_the_fixture(model):
    summary = model.data.customers
    tea = summary.categories.index("tea")
    levels = {c: dict(levels).get(tea) for c, levels in zip(summary.ids, summary.price_levels)}
    assert levels == {"ann": pytest.approx(1.625), "bob": 0.5, "cy": 0.75, "dee": None}


def test_the_band_widens_for_a_customer_who_pays_more_and_stays_for_the_others():
    assert customer_band((1.1, 2.0), 1.625, 1.0) == (1.1, 3.25)
    assert customer_band((1.1, 2.0), 1.625, 2.0) == (1.1, 5.281)  # 2 x 1.625^2 = 5.28125
    assert customer_band((1.1, 2.0), 0.5, 2.0) == (1.1, 2.0)
    assert customer_band((1.1, 2.0), None, 2.0) == (1.1, 2.0)
    assert customer_band((1.1, 2.0), 1.625, 0.0) == (1.1, 2.0)


def test_a_known_customer_who_pays_more_gets_upgrades_further_up(model):
    # Tea at 2: the band 1.1-2.0 holds only tea-good (3, x1.5); Ann's top 2 x 1.625 = 3.25 lets
    # tea-fine (5, x2.5) in, and 2 x 1.625^2 = 5.28 tea-rare (8, x4) too. Tea-good first: two of
    # seven baskets against one (no trade-up seen from tea-basic); then by id.
    assert _upgrades(model, "ann", 0.0) == ["tea-good"]
    assert _upgrades(model, "ann", 1.0) == ["tea-good", "tea-fine"]
    assert _upgrades(model, "ann", 2.0) == ["tea-good", "tea-fine", "tea-rare"]
    for someone in ("bob", "cy", "dee", "nobody", None):  # below the median, no level, unknown
        assert _upgrades(model, someone, 2.0) == ["tea-good"]


def test_the_default_follows_the_evidence():
    assert RankingConfig().upgrade_band_follows == 2.0


def test_the_setting_is_checked():
    with pytest.raises(ConfigError, match="upgrade_band_follows must be a power from 0 to 4, got -1"):
        RankingConfig(upgrade_band_follows=-1)
    with pytest.raises(ConfigError, match="upgrade_band_follows must be a number"):
        RankingConfig(upgrade_band_follows="2")


def test_the_service_widens_the_band_for_the_customer_it_names(model, tmp_path):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from recommender.service import ServiceSettings, create_app

    path = model.save(tmp_path / "teas.rcm")
    settings = ServiceSettings(model_path=str(path), ranking=RankingConfig(max_upgrades=3, max_per_category=None))
    with TestClient(create_app(settings, handle_sighup=False)) as client:

        def ask(**fields):
            body = {"cart": ["tea-basic"], "kinds": ["upgrade"], **fields}
            return [item["item_id"] for item in client.post("/v1/recommendations", json=body).json()["items"]]

        assert ask(customer_id="ann") == ["tea-good", "tea-fine", "tea-rare"]
        assert ask(customer_id="bob") == ask() == ["tea-good"]


def test_the_command_line_takes_the_setting(model, tmp_path, capsys):
    path = str(model.save(tmp_path / "teas.rcm"))
    for follows in ("0", "2"):
        assert main(["recommend", path, "tea-basic", "--customer", "ann", "--format", "json",
                     "--upgrade-band-follows", follows]) == 0  # fmt: skip
        items = json.loads(capsys.readouterr().out)["items"]
        assert [(item["item_id"], item["kind"]) for item in items if item["kind"] == "upgrade"] == [
            ("tea-good", "upgrade")  # one upgrade per answer by default: the best of either band
        ]
    assert main(["recommend", path, "tea-basic", "--upgrade-band-follows", "9"]) == 2
    assert "upgrade_band_follows must be a power from 0 to 4, got 9.0" in capsys.readouterr().err


def test_the_complete_journey_product_master_reads_as_a_catalog():
    catalog = read_catalog(data_file("completejourney/products.csv.gz"))
    assert len(catalog) == 92_331
    # product_category is the category, product_type the family, brand National/Private; no
    # prices (they come from the order lines) and no names.
    row = catalog.loc["1000050"]
    assert (row["category"], row["family"], row["brand"]) == ("COLD CEREAL", "KIDS CEREAL", "National")
    assert catalog["price"].isna().all() and catalog["name"].isna().all()
    assert catalog["family"].notna().sum() == 92_331 - 528


def test_upgrades_benchmark_small_preset(tmp_path):
    result = run_benchmark("bench_upgrades.py", tmp_path / "upgrades.json")
    shop = result["datasets"][0]
    rows = shop["summary"]["all"]
    assert shop["dataset"] == "sample_shop" and rows["follows 0"]["cases"] > 100
    assert set(rows) == {"follows 0", "follows 1", "follows 2"} and rows["follows 0"]["hit@3 difference"] == 0
    # The band never narrows: the customers at or below their category's median get the same answers.
    below = shop["summary"]["level 1 or below"]
    assert all(row["hit@3 difference"] == 0 and row["shown difference"] == 0 for row in below.values())
    for row in rows.values():
        assert 0 <= row["hit@1"] <= row["hit@3"] <= 1


def test_a_catalog_with_nothing_the_model_can_use_is_refused(tmp_path, capsys):
    orders = tmp_path / "orders.csv"
    orders.write_text("order_id,item_id\n1,a\n1,b\n2,a\n")
    catalog = tmp_path / "products.csv"
    catalog.write_text("product_id,manufacturer_id,package_size\na,2,22 LB\nb,69,12 OZ\n")
    model = tmp_path / "m.rcm"
    assert main(["mine", str(orders), "--catalog", str(catalog), "-o", str(model), "--min-support", "0.5"]) == 2
    err = capsys.readouterr().err
    assert "has item ids ('product_id') but no column the model can use: none of ['manufacturer_id', " in err
    assert "rename the columns" in err and not model.exists()


def test_a_hashed_model_widens_the_band_for_the_customer_it_finds_with_the_key(monkeypatch):
    monkeypatch.setenv("RECOMMENDER_CUSTOMER_KEY", "a-secret-key-of-the-shop-0123456789")
    hashed = mine(ORDERS, catalog=CATALOG, min_support=0.5, workers=1, learn_weights=False, hash_customers=True)
    assert "ann" not in hashed.data.customers.ids
    assert _upgrades(hashed, "ann", 2.0) == ["tea-good", "tea-fine", "tea-rare"]
    monkeypatch.delenv("RECOMMENDER_CUSTOMER_KEY")
    assert _upgrades(hashed, "ann", 2.0) == ["tea-good"]  # without the key, nobody is known
