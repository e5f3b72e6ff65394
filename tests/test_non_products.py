"""Non-merchandise lines (postage, fees, vouchers, coupon records) never reach a model, and
defaults that work on real exports: a support that fits the pair budget, a word when no rule is kept.

A hand-made shop with exact expectations first, then the command line, the catalog's ``active``
flag on every kind of answer, and last Online Retail (skipped without the shared data).
"""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import replace

import pandas as pd
import pytest

from recommender import ConfigError, RankingConfig, Recommender, mine, read_baskets
from recommender.cli import main
from recommender.io.non_products import LeftOut, find_non_products, read_item_list, service_word

from .conftest import data_file

# -- a hand-made shop: 50 product codes with digits, and every kind of non-product line ------------


def shop_lines() -> pd.DataFrame:
    """40 orders of three products each (codes 10000-10049, steady prices), and beside them:

    - POST "POSTAGE" in 5 orders, DOT "DOTCOM POSTAGE" in 3 (rule 1: a service's description);
      a cancelled POST line, which counts as a cancellation, not as postage;
    - 23444 "Next Day Carriage" in 2 (rule 1 on a code with digits), 21000 "FRENCH CARRIAGE
      LANTERN" in 2 (goods: carriage is not its last word);
    - ADJ with no description, priced 1 to 500 (rule 2: letters only, price spans > 100-fold),
      PADS at 0.001 (rule 2: under a cent), DCGSSBOY "BOYS PARTY BAG" at 3.29 (letters only but
      a steady price: a product);
    - 99001 in 10 orders with quantity 0 (rule 3: never sold), 99002 in 3 such (too few lines).
    """
    rows: list[tuple[str, str, str | None, int, float]] = []
    for order in range(40):
        for k in range(3):
            code = 10000 + (order * 3 + k) % 50
            rows.append((f"5{order:05d}", str(code), f"PRODUCT {code}", 1 + k, 1.0 + (code % 7)))

    def add(orders: range, code: str, name: str | None, prices: list[float], quantity: int = 1) -> None:
        for order, price in zip(orders, prices):
            rows.append((f"5{order:05d}", code, name, quantity, price))

    add(range(0, 5), "POST", "POSTAGE", [18.0, 18.0, 40.0, 15.0, 18.0])
    add(range(5, 8), "DOT", "DOTCOM POSTAGE", [184.96, 12.5, 300.0])
    add(range(8, 10), "23444", "Next Day Carriage", [15.0, 15.0])
    add(range(10, 12), "21000", "FRENCH CARRIAGE LANTERN", [4.95, 4.95])
    add(range(12, 16), "ADJ", None, [1.0, 500.0, 20.0, 3.0])
    add(range(16, 18), "PADS", "PADS TO MATCH ALL CUSHIONS", [0.001, 0.001])
    add(range(18, 21), "DCGSSBOY", "BOYS PARTY BAG", [3.29, 3.29, 3.29])
    add(range(20, 30), "99001", None, [0.0] * 10, quantity=0)
    add(range(30, 33), "99002", None, [0.0] * 3, quantity=0)
    rows.append(("C500001", "POST", "POSTAGE", -1, 18.0))
    return pd.DataFrame(rows, columns=["InvoiceNo", "StockCode", "Description", "Quantity", "UnitPrice"])


ODD = "is letters only, unlike the shop's codes, and its"
LEFT_OUT = (
    LeftOut(item="99001", lines=10, reason="never sold: 10 of its 10 lines have no quantity or value"),
    LeftOut(item="POST", lines=5, reason="description 'POSTAGE' names a service"),
    LeftOut(item="ADJ", lines=4, reason=f"code 'ADJ' {ODD} price spans 1 to 500"),
    LeftOut(item="DOT", lines=3, reason="description 'DOTCOM POSTAGE' names a service"),
    LeftOut(item="23444", lines=2, reason="description 'Next Day Carriage' names a service"),
    LeftOut(item="PADS", lines=2, reason=f"code 'PADS' {ODD} median price is 0.001"),
)
SUMMARY = "left out 6 non-product items (26 lines): 99001 (10 lines), POST (5), ADJ (4), DOT (3), 23444 (2), PADS (2)"


def test_the_hand_made_shop_loses_exactly_its_non_product_lines():
    baskets = read_baskets(shop_lines())
    summary = baskets.summary
    assert summary.non_products == LEFT_OUT
    assert summary.non_product_rows == 26 and summary.cancelled_rows == 1
    assert summary.rows_read == 120 + 5 + 3 + 2 + 2 + 4 + 2 + 3 + 10 + 3 + 1
    assert summary.describe_non_products() == SUMMARY
    assert SUMMARY in summary.describe()
    kept = set(baskets.items)
    assert {"21000", "DCGSSBOY", "99002"} <= kept
    assert not kept & {left.item for left in LEFT_OUT}
    assert len(kept) == 50 + 3
    # Every product line is still there: the 40 orders of three products, nothing else lost.
    assert len(baskets) == 40
    # Left out before the catalog is derived: no name or price of theirs reaches the model.
    assert not set(baskets.catalog.index) & {left.item for left in LEFT_OUT}


def test_each_rule_needs_its_column_and_is_skipped_without_it():
    lines = shop_lines()
    lines = lines[~lines["InvoiceNo"].str.startswith("C")]
    items = lines["StockCode"]
    by_words = find_non_products(items, names=lines["Description"])
    assert set(by_words) == {"POST", "DOT", "23444"}
    by_prices = find_non_products(items, unit_prices=lines["UnitPrice"].astype(float))
    # Without words, only the letters-only codes priced like no product: POST (15 to 40) and DOT
    # (12.50 to 300) are priced within the 100-fold a product may span, so their words are needed.
    assert set(by_prices) == {"ADJ", "PADS"}
    by_sales = find_non_products(items, nothing_sold=lines["Quantity"] == 0)
    assert set(by_sales) == {"99001"}
    assert find_non_products(items) == {}


def test_a_shop_whose_codes_are_words_has_no_odd_codes():
    """The sample shop's codes are words (KET-BASIC, WHISK): a letters-only code is its usual shape."""
    items = pd.Series(["WHISK", "SPATULA", "KETTLE"] * 10 + [f"ITEM-{k}" for k in range(20)])
    prices = pd.Series([0.001, 5.0, 500.0] * 10 + [2.0] * 20)
    assert find_non_products(items, unit_prices=prices) == {}


@pytest.mark.parametrize(
    "description, word",
    [
        ("POSTAGE", "postage"), ("Next Day Carriage", "carriage"), ("PACKING CHARGE", "charge"),
        ("Bank Charges", "charge"), ("AMAZON FEE", "fee"), ("CRUK Commission", "commission"), ("Manual", "manual"),
        ("Discount", "discount"), ("SAMPLES", "sample"), ("Adjust bad debt", "debt"), ("adjustment", "adjustment"),
        ("Dotcomgiftshop Gift Voucher £100.00", "voucher"), ("Gift Card 25", "gift card"),
        ("FRENCH CARRIAGE LANTERN", None), ("BLACK BAROQUE CARRIAGE CLOCK", None), ("SAMPLE BOX", None),
        ("ZINC HEART LATTICE CHARGER LARGE", None), ("GLASS", None), ("Non-Stick Frying Pan 20cm", None),
        ("", None), (None, None),
    ],
)  # fmt: skip
def test_service_words_are_the_last_word(description, word):
    assert service_word(description) == word


def test_exclude_and_keep_items_on_every_input():
    # keep wins over the detection; exclude adds to it.
    baskets = read_baskets(shop_lines(), exclude_items=["10001"], keep_items=["POST"])
    left = {entry.item: entry for entry in baskets.summary.non_products}
    assert "POST" in baskets.items and "POST" not in left
    assert left["10001"] == LeftOut(item="10001", lines=3, reason="listed to exclude")
    assert baskets.summary.non_product_rows == 26 - 5 + 3
    # Detection off: only what is listed.
    plain = read_baskets(shop_lines(), detect_non_products=False, exclude_items=["DOT"])
    assert [entry.item for entry in plain.summary.non_products] == ["DOT"] and "POST" in plain.items
    # Lists of baskets and Baskets: exclude only, one line per basket holding the item.
    lists = read_baskets([["tea", "POST"], ["POST"], ["tea", "mug"]], exclude_items=["POST", "nope"])
    assert list(lists) == [("tea",), ("mug", "tea")]
    assert lists.summary.non_products == (LeftOut(item="POST", lines=2, reason="listed to exclude"),)
    assert read_baskets(lists, exclude_items=["mug"]).summary.non_product_rows == 3
    with pytest.raises(ConfigError, match="'POST' is both to exclude and to keep"):
        read_baskets(shop_lines(), exclude_items=["POST"], keep_items=["POST"])


def test_a_model_holds_no_non_product_and_says_which_it_left_out():
    model = mine(shop_lines(), min_support=0.05, min_confidence=0.1, workers=1)
    left = {entry.item for entry in LEFT_OUT}
    assert not set(model.data.items) & left
    read = model.provenance["read"]
    assert read["non_product_rows"] == 26
    assert read["non_products"] == [entry.as_dict() for entry in LEFT_OUT]
    assert model.provenance["non_products"] == {
        "detect": True, "exclude_items": [], "keep_items": [], "detected_in": "reading",
    }  # fmt: skip


# -- the command line ------------------------------------------------------------------------------


def run_cli(capsys, *argv):
    status = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_mine_names_the_lines_it_left_out_and_takes_exclude_and_keep(tmp_path, capsys):
    orders = tmp_path / "orders.csv"
    shop_lines().to_csv(orders, index=False)
    model = tmp_path / "m.rcm"
    status, out, err = run_cli(capsys, "mine", orders, "-o", model, "--min-support", "0.05", "--workers", "1")
    assert status == 0, err
    assert SUMMARY in out
    items = tmp_path / "more.txt"
    items.write_text("# not merchandise here\n10001\n\n10002  # a comment\n")
    status, out, err = run_cli(
        capsys, "mine", orders, "-o", model, "--min-support", "0.05", "--workers", "1",
        "--exclude-items", items, "--exclude-items", "10003,10004", "--keep-items", "POST", "--keep-items", "DOT",
    )  # fmt: skip
    assert status == 0, err
    assert "left out 8 non-product items (30 lines): 99001 (10 lines), ADJ (4), 10001 (3)" in out
    assert "POST" not in out.split("left out")[1].split(";")[0]
    provenance = Recommender.load(model).data.provenance
    assert provenance["non_products"]["exclude_items"] == ["10001", "10002", "10003", "10004"]
    assert provenance["non_products"]["keep_items"] == ["DOT", "POST"]
    assert {entry["item"] for entry in provenance["read"]["non_products"]} == {
        "99001", "ADJ", "23444", "PADS", "10001", "10002", "10003", "10004",
    }  # fmt: skip
    status, _, err = run_cli(capsys, "mine", orders, "-o", model, "--exclude-items", "POST", "--keep-items", "POST")
    assert status == 2 and "'POST' is both to exclude and to keep" in err


def test_mine_excludes_items_of_a_basket_file(tmp_path, capsys):
    baskets = tmp_path / "baskets.dat"
    baskets.write_text("tea kettle POST\ntea kettle\nPOST mug\nmug tea\n")
    model = tmp_path / "m.rcm"
    status, out, err = run_cli(capsys, "mine", baskets, "-o", model, "--min-support", "0.25", "--exclude-items", "POST")
    assert status == 0, err
    assert "left out 1 non-product item (2 lines): POST (2 lines)" in out
    assert "POST" not in Recommender.load(model).data.items


def test_read_item_list_reads_ids_and_files(tmp_path):
    listed = tmp_path / "ids.csv"
    listed.write_text("DOT,postage\nPOST # shipping\n\n")
    assert read_item_list(["M", str(listed), "DOT"]) == ("M", "DOT", "POST")


# -- the catalog's active flag: never suggested, bundled or the free-shipping add-on ----------------


def test_an_inactive_item_is_in_no_answer_of_any_kind(tmp_path):
    """The kettle is bought with the tea in most baskets (a rule of lift 1.04), is the second best
    seller, and at 30.00 is the add-on that takes a 24.00 cart past free shipping at 50:
    inactive, it shows nowhere."""
    baskets = (
        [["tea", "kettle", "mug"]] * 6 + [["tea", "kettle"]] * 6 + [["tea", "mug"]] * 3
        + [["kettle", "cake"]] * 3 + [["cake", "mug"]] * 2 + [["spoon", "tea"]] * 2
    )  # fmt: skip
    catalog = pd.DataFrame(
        {
            "item_id": ["tea", "kettle", "mug", "cake", "spoon"],
            "name": ["Tea", "Kettle", "Mug", "Cake", "Spoon"],
            "category": ["drinks", "kitchen", "kitchen", "food", "kitchen"],
            "price": [4.0, 30.0, 8.0, 5.0, 2.0],
            "active": [True, False, True, True, True],
        }
    )
    model = mine(baskets, catalog=catalog, min_support=0.05, min_confidence=0.1, workers=1)
    assert ("tea",) in [r for r in model.rules["antecedents"]] and "kettle" in set(model.rules["consequent"])
    active = Recommender(model.data, config=RankingConfig(free_shipping_threshold=50))
    carts = [["tea"], ["mug"], ["cake"], ["tea", "mug"], [], ["spoon"], ["nope"]]
    for cart in carts:
        for total in (None, 24.0, 45.0):
            answer = active.recommend(cart, cart_total=total, limit=3)
            assert "kettle" not in [s.item_id for s in answer.items], (cart, total)
    for item in ("tea", "mug", "cake", "spoon"):
        bundle = active.bundle(item)
        assert "kettle" not in bundle.items, item
    assert active.bundle("kettle").items == () and active.bundle("kettle").reason == "not for sale"
    # The same model with the kettle active does suggest and bundle it: the test has teeth.
    entries = dict(model.data.catalog)
    entries["kettle"] = replace(entries["kettle"], active=True)
    selling = Recommender(replace(model.data, catalog=entries), config=RankingConfig(free_shipping_threshold=50))
    assert selling.recommend(["tea"], cart_total=24.0).items[0].item_id == "kettle"  # the nudge
    assert "kettle" in selling.bundle("tea").items
    assert "kettle" in [s.item_id for s in selling.recommend([]).items]


# -- defaults that work: a support that fits the pair budget, a word when no rule is kept ----------

# Pairs ab 9, cd 7, ef 5, gh 3 of 24 baskets: 4 frequent pairs at the default support, the
# third-largest count is 5, so a support of 6/24 = 0.25 fits two pairs, written rounded up 0.26.
PAIRS = [["a", "b"]] * 9 + [["c", "d"]] * 7 + [["e", "f"]] * 5 + [["g", "h"]] * 3


def test_an_unset_support_is_raised_to_fit_the_pair_budget(tmp_path, capsys):
    model = mine(PAIRS, max_pairs=2, workers=1)
    assert model.config["min_support"] == pytest.approx(0.26) and model.config["min_count"] == 7
    assert sorted(members for members, _ in model.data.itemsets) == [(0, 1), (2, 3)]
    assert model.provenance["support_fitted"] == {"from": 0.001, "to": 0.26, "pairs": 4, "max_pairs": 2}
    note = (
        "support 0.001 (1 baskets) leaves 4 frequent pairs, over the budget of 2 (--max-pairs); mined at 0.26 "
        "(7 baskets) instead (--min-support chooses the support)"
    )
    assert model.provenance["notes"] == [note]
    # Given, the support is kept and mining stops (tests/test_inputs.py checks the message).
    with pytest.raises(ConfigError, match="more than max_pairs 2"):
        mine(PAIRS, max_pairs=2, min_support=0.001, workers=1)
    with pytest.raises(ConfigError, match="more than max_pairs 2"):
        mine(PAIRS, max_pairs=2, fit_support=False, workers=1)
    path = tmp_path / "pairs.dat"
    path.write_text("\n".join(" ".join(b) for b in PAIRS) + "\n")
    status, out, err = run_cli(capsys, "mine", path, "-o", tmp_path / "m.rcm", "--max-pairs", "2")
    assert status == 0, err
    assert note in out and "mined 24 baskets at support >= 0.26 (7 baskets)" in out
    status, _, err = run_cli(
        capsys, "mine", path, "-o", tmp_path / "n.rcm", "--max-pairs", "2", "--min-support", "0.001"
    )
    assert status == 2 and "raise --min-support to 0.26" in err


def test_no_rules_kept_is_said_with_what_to_change_and_the_model_still_serves(tmp_path, capsys):
    # a+b in 3 of 100 baskets, c+d in 2: nothing reaches support 0.05 (5 baskets).
    baskets = [["a", "b"]] * 3 + [["c", "d"]] * 2 + [[f"x{k}"] for k in range(95)]
    path = tmp_path / "thin.dat"
    path.write_text("\n".join(" ".join(b) for b in baskets) + "\n")
    model_path = tmp_path / "m.rcm"
    status, out, err = run_cli(capsys, "mine", path, "-o", model_path, "--min-support", "0.05")
    assert status == 0, err
    assert (
        "0 rules kept: no pair of items is in 5 baskets (support 0.05); the most frequent pair, a and b, is in 3 "
        "of 100 baskets (support 0.03): lower --min-support to 0.03 or below for rules; the model serves "
        "co-bought pairs (4) and popular items"
    ) in out
    status, out, err = run_cli(capsys, "recommend", model_path, "a", "--format", "json")
    assert status == 0, err
    answer = json.loads(out)
    assert answer["items"][0]["item_id"] == "b"  # from the co-bought pairs
    # Frequent pairs, but no rule confident enough: the best confidence is named.
    b2 = [["a", "b"]] * 3 + [["a"]] * 10 + [["b"]] * 10 + [["e"]] * 70
    model = mine(b2, min_support=0.02, min_confidence=0.5, workers=1)
    assert model.provenance["notes"] == [
        "0 rules kept: 1 pairs are frequent at support 0.02 but none reaches confidence 0.5 (the best is 0.231); "
        "lower --min-confidence to 0.23 or below; the model serves co-bought pairs (2) and popular items"
    ]
    assert mine(b2, min_support=0.02, min_confidence=0.2, workers=1).provenance["notes"] == []


def test_dense_baskets_are_said_with_what_mines_them_fast(monkeypatch):
    """Every basket holds 6 of 8 items: C(8, 3) = 56 itemsets of three, 70 of four, 56 of five
    and 28 of six are frequent (max_len 6), 210 in all; above a threshold of 100 mine says the
    baskets are dense and what mines them in seconds."""
    import itertools

    import recommender.mining as mining

    items = "abcdefgh"
    baskets = [list(kept) for kept in itertools.combinations(items, 6)] * 3
    monkeypatch.setattr(mining, "DENSE_ITEMSETS", 100)
    model = mine(baskets, min_support=0.01, min_confidence=0.5, max_len=6, workers=1)
    assert len(model.data.itemsets) == 28 + 56  # pairs and threes: the bundles' itemsets
    notes = model.provenance["notes"]
    assert len(notes) == 1 and notes[0].startswith("210 itemsets of three items or more (")
    assert "--max-len 2 or a higher --min-support mines in seconds" in notes[0]
    assert mine(baskets, min_support=0.01, min_confidence=0.5, max_len=3, workers=1).provenance["notes"] == []


# -- Online Retail: one mining run with no options --------------------------------------------------

ONLINE_RETAIL_SERVICES = {"POST", "DOT", "M", "C2", "BANK CHARGES", "AMAZONFEE", "B", "S", "PADS", "23444", "23574"}


def test_the_sample_shop_loses_only_its_gift_card():
    from recommender.sample_shop import generate_sample_shop

    baskets = read_baskets(generate_sample_shop(seed=7).orders)
    assert [(entry.item, entry.reason) for entry in baskets.summary.non_products] == [
        ("GIFT-CARD-25", "description 'Gift Card 25' names a service")
    ]
    assert len(baskets.items) == 87  # of 88 products: every other one stays


@pytest.mark.slow
def test_complete_journey_loses_its_coupon_records_only():
    """No descriptions and codes of digits only: rule 3 alone applies, and finds the two coupon
    records of the sample (lines of quantity 0 that carry a coupon discount)."""
    baskets = read_baskets(data_file("completejourney/transactions_sample.csv.gz"))
    assert [(entry.item, entry.lines) for entry in baskets.summary.non_products] == [
        ("5978656", 139), ("5978648", 80),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def online_retail(tmp_path_factory):
    path = data_file("online_retail.csv.xz")
    model_path = tmp_path_factory.mktemp("online_retail") / "m.rcm"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = main(["mine", str(path), "-o", str(model_path)])
    assert status == 0
    return model_path, printed.getvalue()


@pytest.mark.slow
def test_online_retail_mines_with_no_options_and_no_answer_holds_a_non_product(online_retail, capsys):
    model_path, printed = online_retail
    # What mine printed: the lines left out, and the support raised to fit the pair budget.
    assert "left out 19 non-product items (2,463 lines): POST (1,130 lines), DOT (709), M (327), C2 (142)" in printed
    assert (
        "support 0.001 (21 baskets) leaves 320,002 frequent pairs, over the budget of 50,000 (--max-pairs); mined at "
        "0.003 (62 baskets) instead"
    ) in printed
    rec = Recommender.load(model_path, config=RankingConfig(free_shipping_threshold=50))
    provenance = rec.data.provenance
    left = {entry["item"]: entry for entry in provenance["read"]["non_products"]}
    assert ONLINE_RETAIL_SERVICES <= set(left)
    assert {item for item in left if item.startswith("gift_0001_")} == {f"gift_0001_{v}" for v in (10, 20, 30, 40, 50)}
    assert left["POST"]["lines"] == 1130 and left["DOT"]["lines"] == 709 and left["M"]["lines"] == 327
    assert "DCGSSBOY" in rec.data.items and "DCGSSGIRL" in rec.data.items  # letters only, but party bags
    assert not set(rec.data.items) & set(left)
    # The pair budget: the default support 0.001 leaves over 300,000 pairs; mined at 0.003.
    fitted = provenance["support_fitted"]
    assert (fitted["from"], fitted["to"], fitted["max_pairs"]) == (0.001, 0.003, 50_000) and fitted["pairs"] > 300_000
    assert rec.data.config["min_support"] == 0.003 and len(rec.data.rules.consequents) > 100_000

    # Every kind of answer, for many carts: none holds a line left out.
    items = list(rec.data.items)
    counts = rec.data.item_counts
    by_count = sorted(range(len(items)), key=lambda i: (-counts[i], items[i]))
    popular = [items[i] for i in by_count[:150]]
    rare = [items[i] for i in by_count[-50:]]
    carts = [[item] for item in popular + rare] + [popular[k : k + 3] for k in range(0, 60, 3)]
    carts += [["21731"], ["85123A", "22423"], [], ["nope"], list(left)[:3]]
    kinds_seen: set[str] = set()
    for cart in carts:
        for total in (None, 24.0):
            for objective in ("confidence", "revenue"):
                answer = rec.recommend(cart, cart_total=total, objective=objective, limit=5)
                shown = {s.item_id for s in answer.items}
                assert not shown & set(left), (cart, total, objective, shown & set(left))
                kinds_seen |= {s.kind for s in answer.items}
    for item in popular + rare:
        assert not set(rec.bundle(item).items) & set(left), item
    assert {"cross_sell", "popular"} <= kinds_seen
    # The free-shipping nudge picks an add-on, and not postage.
    nudged = rec.recommend(["85123A", "22423"], cart_total=24.0)
    assert nudged.items and not {s.item_id for s in nudged.items} & set(left)

    # `recommend` at the command line agrees.
    status, out, _ = run_cli(capsys, "recommend", model_path, "21731", "--format", "json")
    assert status == 0 and not {i["item_id"] for i in json.loads(out)["items"]} & set(left)
