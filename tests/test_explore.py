"""The notebook API (recommender.explore) on an eight-basket shop worked out by hand.

Baskets: {kettle, black tea, mug, honey} twice, {kettle, black tea, cups}, {kettle, mug, cups},
{green tea, biscuits} twice, {green tea}, {biscuits}. Counts: kettle 4; black tea, mug, green
tea, biscuits 3; cups, honey 2. Black and green tea are one family (tea), the kettle and the
glass kettle another (kettle, the glass one never sold); mug and cups are tableware; honey is out
of stock. At min_support 2/8, min_confidence 0.5, max_len 3 there are 28 rules, for example
kettle -> mug (3 of 4: confidence 0.75, lift 0.75 / 0.375 = 2), kettle -> cups (2 of 4: 0.5,
lift 2), mug + black tea -> honey (2 of 2: 1, lift 4), green tea -> biscuits (2 of 3, lift 16/9).
The answers are the rules' ranking (``combine="max"``), which these rules work out by hand.
"""

from __future__ import annotations

import io

import pandas as pd
import pytest

from recommender import ConfigError, RankingConfig, Recommender, mine
from recommender import explore as ex

BASKETS = [
    ["kettle", "tea-black", "mug", "honey"],
    ["kettle", "tea-black", "mug", "honey"],
    ["kettle", "tea-black", "cups"],
    ["kettle", "mug", "cups"],
    ["tea-green", "biscuits"],
    ["tea-green", "biscuits"],
    ["tea-green"],
    ["biscuits"],
]
CATALOG = pd.DataFrame(
    [
        ("kettle", "Kettle", "appliances", "kettle", 20.0, True),
        ("kettle-glass", "Glass Kettle", "appliances", "kettle", 35.0, True),
        ("tea-black", "Black Tea", "tea", "tea", 3.0, True),
        ("tea-green", "Green Tea", "tea", "tea", 4.0, True),
        ("mug", "Mug", "tableware", None, 6.0, True),
        ("cups", "Cups", "tableware", None, 8.0, True),
        ("honey", "Honey", "pantry", None, 5.0, False),
        ("biscuits", "Biscuits", "pantry", None, 2.5, True),
    ],
    columns=["item_id", "name", "category", "family", "price", "in_stock"],
)


@pytest.fixture(scope="module")
def model():
    return mine(BASKETS, min_support=0.25, min_confidence=0.5, max_len=3, catalog=CATALOG, workers=1)


@pytest.fixture(scope="module")
def rec(model):
    return Recommender(model.data, config=RankingConfig(combine="max"))


def pairs(table: pd.DataFrame) -> list[tuple[tuple[str, ...], str]]:
    return list(zip(table["antecedents"], table["consequent"]))


# -- rules_table ---------------------------------------------------------------------------------


def test_rules_table_has_names_and_every_rule(model):
    table = ex.rules_table(model)
    assert len(table) == 28
    first = table.iloc[0]
    assert (first["if_bought"], first["then_bought"], first["category"]) == ("Mug + Black Tea", "Honey", "pantry")
    assert (first["count"], first["confidence"], first["lift"]) == (2, pytest.approx(1.0), pytest.approx(4.0))
    assert list(table["lift"]) == sorted(table["lift"], reverse=True)


def test_rules_table_filters(model):
    # Honey's two baskets are {kettle, black tea, mug, honey}: every rule inside that set that
    # involves honey is mined, 9 with honey in the antecedent ({honey} -> 3 items, {honey, x} ->
    # 2 items for 3 x) and 6 into it (from 3 single items and 3 pairs).
    assert len(ex.rules_table(model, item="honey")) == 15
    assert len(ex.rules_table(model, item="Honey")) == 15  # by name too
    tableware = ex.rules_table(model, category="tableware")
    assert set(tableware["consequent"]) == {"mug", "cups"} and len(tableware) == 7
    assert pairs(ex.rules_table(model, category="tableware", min_confidence=0.75)) == [
        (("honey",), "mug"),
        (("honey", "kettle"), "mug"),
        (("honey", "tea-black"), "mug"),
        (("kettle",), "mug"),
    ]
    assert len(ex.rules_table(model, min_lift=2.5)) == 11  # the rules of honey with lift 8/3 and 4
    assert len(ex.rules_table(model, min_support=0.375)) == 4
    assert pairs(ex.rules_table(model, min_count=3, sort="count")) == [
        (("mug",), "kettle"),
        (("tea-black",), "kettle"),
        (("kettle",), "mug"),
        (("kettle",), "tea-black"),
    ]
    top = ex.rules_table(model, sort="confidence", top=3)
    assert len(top) == 3 and list(top["confidence"]) == [pytest.approx(1.0)] * 3
    assert list(top["lift"]) == [pytest.approx(4.0), pytest.approx(8 / 3), pytest.approx(8 / 3)]


def test_rules_table_refuses_unknown_sort_and_item(model):
    with pytest.raises(ConfigError, match="sort must be one of"):
        ex.rules_table(model, sort="zhang")
    with pytest.raises(ConfigError, match="'teapot'"):
        ex.rules_table(model, item="teapot")


# -- attach rates, bundles, upgrades --------------------------------------------------------------


def test_attach_rates_of_the_kettle(model):
    drivers = ex.attach_rates(model, "kettle")
    assert drivers.attrs == {"item": "kettle", "name": "Kettle", "item_baskets": 4}
    assert list(drivers["if_bought"])[:4] == ["Mug", "Black Tea", "Cups", "Honey"]
    # 3 of the kettle's 4 baskets hold a mug: 0.75; cups 2 of 4.
    assert list(drivers["share_of_item_baskets"]) == pytest.approx([0.75, 0.75, 0.5, 0.5, 0.5, 0.5, 0.5])
    assert list(drivers["confidence"]) == pytest.approx([1.0] * 7)
    assert list(drivers["count"]) == [3, 3, 2, 2, 2, 2, 2]


def test_top_bundles(model, rec):
    bundles = ex.top_bundles(model, rec, n=2)
    assert list(bundles["items"]) == [("kettle", "mug", "tea-black"), ("biscuits", "tea-green")]
    first = bundles.iloc[0]
    # {kettle, mug, black tea} in 2 of the kettle's 4 baskets; 20 + 6 + 3 = 29, 10% off.
    assert (first["baskets"], first["confidence"]) == (2, pytest.approx(0.5))
    assert (first["total_price"], first["bundle_price"]) == (pytest.approx(29.0), pytest.approx(26.1))
    assert first["bundle"] == "Kettle + Mug + Black Tea"
    with pytest.raises(ConfigError):
        ex.top_bundles(model, rec, n=0)


def test_upgrade_paths(model, rec):
    paths = ex.upgrade_paths(model, rec).set_index("item_id")
    kettle = paths.loc["kettle"]
    assert (kettle["group"], kettle["upgrade_id"], kettle["upgrade_price"]) == ("kettle", "kettle-glass", 35.0)
    assert kettle["price_ratio"] == pytest.approx(1.75) and kettle["basis"] == "family"
    assert paths.loc["tea-black", "upgrade_id"] == "tea-green"  # 3.00 -> 4.00, same family
    assert not paths.loc["biscuits", "upgrade_sellable"]  # honey: same category, out of stock
    assert "tea-green" not in paths.index  # nothing pricier within +10%..+100% in its family


# -- what the checkout shows, and what it filters -----------------------------------------------


def test_preview_cart_rows(rec):
    shown = ex.preview_cart(rec, ["kettle", "tea-green", "nope"])
    assert list(shown["rank"]) == [1, 2, 3]
    assert list(shown["item_id"]) == ["mug", "biscuits", "kettle-glass"]
    assert list(shown["kind"]) == ["cross_sell", "cross_sell", "upgrade"]
    # mug 3/4 by the kettle; biscuits 2/3 by the green tea; the glass kettle never sold (score 0).
    assert list(shown["score"]) == pytest.approx([0.75, 2 / 3, 0.0])
    assert list(shown["price"]) == [6.0, 2.5, 35.0]
    assert shown["reason"][0] == "because Kettle is in the cart: 75% of those baskets also had Mug, 2.0x the usual rate"
    assert shown.attrs == {"unknown_items": ("nope",), "fallback": None}


def test_explain_filtered_reasons(rec):
    why = ex.explain_filtered(rec, ["kettle", "mug", "tea-green"])
    reasons = dict(zip(why["item_id"], why["reason"]))
    assert reasons == {"kettle": "in_cart", "mug": "in_cart", "tea-black": "substitute", "honey": "out_of_stock"}
    row = why.set_index("item_id").loc["honey"]
    # The strongest rule into honey inside this cart: mug -> honey (2 of 3, lift 8/3).
    assert row["because"] == ("mug",)
    assert (row["confidence"], row["lift"]) == (pytest.approx(2 / 3), pytest.approx(8 / 3))
    assert "Green Tea" in why.set_index("item_id").loc["tea-black", "detail"]

    why = ex.explain_filtered(rec, ["kettle", "tea-green"])
    assert dict(zip(why["item_id"], why["reason"])) == {
        "tea-black": "substitute",
        "honey": "out_of_stock",
        "cups": "category_cap",  # the mug (tableware) is shown
    }
    assert why.set_index("item_id").loc["cups", "score"] == pytest.approx(0.5)


def test_explain_filtered_caps_cut_and_exclusions(model, rec):
    # One upgrade per answer: black tea -> green tea (3 of 8 baskets) beats the glass kettle (0).
    why = ex.explain_filtered(rec, ["kettle", "tea-black"])
    assert why.set_index("item_id").loc["kettle-glass", "reason"] == "kind_cap"
    why = ex.explain_filtered(rec, ["kettle"], limit=1, exclude=["cups"])
    assert dict(zip(why["item_id"], why["reason"])) == {
        "cups": "excluded",
        "honey": "out_of_stock",
        "tea-black": "below_limit",  # ties with the mug at 0.75; the mug's id sorts first
        "kettle-glass": "below_limit",
    }
    # Only cross-sell asked for: the glass kettle, an upgrade, is no candidate at all.
    strict = Recommender(model.data, config=RankingConfig(min_lift=2.5, blocked=frozenset({"mug"}), combine="max"))
    why = ex.explain_filtered(strict, ["kettle"], kinds=["cross_sell"])
    assert dict(zip(why["item_id"], why["reason"])) == {
        "mug": "blocked",
        "honey": "out_of_stock",
        "tea-black": "lift_floor",
        "cups": "lift_floor",
    }


@pytest.fixture(scope="module")
def shop_rec():
    from recommender.sample_shop import generate_sample_shop

    shop = generate_sample_shop(seed=7, n_customers=400)
    return Recommender(mine(shop.orders, catalog=shop.catalog, workers=1).data, config=RankingConfig(combine="max"))


@pytest.mark.parametrize(
    "cart",
    [["KET-BASIC"], ["KET-BASIC", "TEA-GREEN"], ["COF-BEANS-HOUSE", "COF-GRINDER-BLADE"], ["PHONE-STD"], ["PAN-20"]],
)
def test_shown_and_filtered_account_for_every_candidate(shop_rec, cart):
    """Every item a rule inside the cart points to, or an upgrade of a cart item, is either
    shown (as a rule's or an upgrade's suggestion) or explained, never both."""
    table = shop_rec.table
    known = {table.index[i] for i in cart}
    data = shop_rec.data
    candidates = {
        data.items[c] for a, c in zip(data.rules.antecedents, data.rules.consequents) if known.issuperset(a)
    } | {table.ids[u] for i in known for u, *_ in shop_rec.upgrades.get(i, ())}
    shown = ex.preview_cart(shop_rec, cart)
    # Back-offs (items co-bought below the rules' thresholds, category rules) are not rules' candidates.
    from_rules = set(shown.loc[shown["evidence"].isin(["rule", "upgrade"]), "item_id"])
    why = ex.explain_filtered(shop_rec, cart)
    assert not why["item_id"].duplicated().any()
    assert set(why["item_id"]).isdisjoint(from_rules)
    assert set(why["item_id"]) | from_rules == candidates
    assert set(why["reason"]) <= set(ex.REASONS)


# -- thresholds ---------------------------------------------------------------------------------


def test_threshold_sweep_counts_and_coverage(model):
    sweep = ex.threshold_sweep(BASKETS, supports=(0.25, 0.375, 0.5), confidences=(0.5,), max_lens=(3,),
                               catalog=CATALOG, workers=1)  # fmt: skip
    assert list(sweep.columns) == [
        "min_support", "min_confidence", "max_len", "rules", "covered_items", "shop_items", "coverage",
        "test_cases", "hits", "hit_rate",
    ]  # fmt: skip
    # 28 rules at 2/8, into each of the 7 sold items (the 8th item of the shop, the glass kettle,
    # never sold); at 3/8 only kettle <-> mug and kettle <-> black tea; at 4/8 only the kettle
    # is frequent, so there is no pair and no rule.
    assert list(sweep["rules"]) == [28, 4, 0]
    assert list(sweep["covered_items"]) == [7, 3, 0]
    assert list(sweep["shop_items"]) == [8, 8, 8]
    assert list(sweep["coverage"]) == pytest.approx([7 / 8, 3 / 8, 0.0])
    # 2 test baskets (20% of 8) drawn with the seed; the cases are those of two items or more.
    assert sweep.attrs["test_baskets"] == 2
    assert set(sweep["test_cases"]) <= {0, 1, 2} and sweep["test_cases"].nunique() == 1


def test_threshold_sweep_hit_rate_by_hand():
    # Two pairs bought only together: hiding either item of a test basket, the other suggests it
    # (confidence 1, lift 2 >= min_lift 1.5): every case is a hit. Above support 0.5 no rules.
    baskets = [["a", "b"]] * 50 + [["c", "d"]] * 50
    sweep = ex.threshold_sweep(baskets, supports=(0.1, 0.6), confidences=(0.5,), max_lens=(2,), workers=1)
    assert list(sweep["test_cases"]) == [20, 20]
    assert list(sweep["hits"]) == [20, 0]
    assert list(sweep["hit_rate"]) == pytest.approx([1.0, 0.0])


def test_threshold_sweep_is_monotone_and_matches_mining():
    from recommender.sample_shop import generate_sample_shop

    shop = generate_sample_shop(seed=3, n_customers=300)
    supports, confidences = (0.002, 0.004, 0.008, 0.016), (0.1, 0.3)
    sweep = ex.threshold_sweep(shop.orders, supports=supports, confidences=confidences, max_lens=(2, 3),
                               catalog=shop.catalog, workers=1)  # fmt: skip
    assert len(sweep) == 16
    for (_, _), group in sweep.groupby(["min_confidence", "max_len"]):
        group = group.sort_values("min_support")
        assert list(group["rules"]) == sorted(group["rules"], reverse=True)
        assert list(group["coverage"]) == sorted(group["coverage"], reverse=True)
    assert ((sweep["hit_rate"] >= 0) & (sweep["hit_rate"] <= 1)).all()
    assert sweep["hit_rate"].max() > 0.05  # the planted complements are found
    # Filtering by confidence gives what mining at that confidence gives.
    direct = mine(shop.orders, min_support=0.004, min_confidence=0.3, max_len=3, catalog=shop.catalog, workers=1)
    row = sweep[(sweep["min_support"] == 0.004) & (sweep["min_confidence"] == 0.3) & (sweep["max_len"] == 3)]
    assert int(row["rules"].iloc[0]) == len(direct.rules)
    assert int(row["covered_items"].iloc[0]) == direct.rules["consequent"].nunique()


def test_threshold_sweep_validates():
    with pytest.raises(ConfigError):
        ex.threshold_sweep(BASKETS, supports=())
    with pytest.raises(ConfigError):
        ex.threshold_sweep(BASKETS, test_share=1.0)


# -- plots --------------------------------------------------------------------------------------


def test_plots_return_figures_with_labels(model):
    pytest.importorskip("matplotlib", reason="matplotlib is not installed: pip install -e '.[notebooks]'")
    from matplotlib.figure import Figure
    from matplotlib.text import Annotation

    scatter = ex.plot_rules_scatter(model.rules)
    assert isinstance(scatter, Figure)
    ax, colorbar = scatter.axes
    assert (ax.get_xlabel(), ax.get_ylabel(), colorbar.get_ylabel()) == ("support (share of baskets)", "confidence",
                                                                         "lift")  # fmt: skip
    assert len(ax.collections[0].get_offsets()) == 28

    graph = ex.plot_rule_graph(ex.rules_table(model), top=5)
    assert isinstance(graph, Figure)
    labels = {t.get_text() for t in graph.axes[0].texts} - {""}
    # The five rules of highest lift: mug + black tea -> honey, then honey's rules of lift 8/3.
    assert {"Honey", "Mug", "Black Tea", "Mug + Black Tea", "Honey + Kettle"} <= labels
    arrows = [t for t in graph.axes[0].texts if isinstance(t, Annotation) and t.arrow_patch is not None]
    assert len(arrows) == 5

    empty = ex.plot_rule_graph(ex.rules_table(model, min_lift=100))
    assert [t.get_text() for t in empty.axes[0].texts] == ["no rules to draw"]

    sweep = ex.threshold_sweep(BASKETS, supports=(0.25, 0.375), confidences=(0.5,), max_lens=(2, 3), workers=1)
    figure = ex.plot_sweep(sweep)
    assert [a.get_ylabel() for a in figure.axes] == ["rules", "coverage (share of items suggested)", "hit rate"]
    assert all(a.get_xlabel() == "min_support" for a in figure.axes)
    assert len(figure.axes[0].get_lines()) == 2  # one per (confidence, max_len)
    figure.savefig(io.BytesIO(), format="png")  # draws without pyplot or a display


def test_plot_upgrade_paths(model, rec):
    pytest.importorskip("matplotlib", reason="matplotlib is not installed: pip install -e '.[notebooks]'")
    from matplotlib.text import Annotation

    paths = ex.upgrade_paths(model, rec)
    ax = ex.plot_upgrade_paths(paths).axes[0]
    # No customers in these baskets, so no trade-ups: groups by number of upgrades, then name.
    assert [t.get_text() for t in ax.get_yticklabels()] == ["kettle", "pantry", "tableware", "tea"]
    arrows = [t for t in ax.texts if isinstance(t, Annotation) and t.arrow_patch is not None]
    assert len(arrows) == len(paths) == 4
    assert all(a.arrow_patch.get_linestyle() == "--" for a in arrows)  # catalog only, not seen
    assert ax.get_xlabel() == "price"
    only = ex.plot_upgrade_paths(paths, groups=["tea"]).axes[0]
    assert [t.get_text() for t in only.get_yticklabels()] == ["tea"]
    empty = ex.plot_upgrade_paths(paths.iloc[:0]).axes[0]
    assert "no upgrade paths" in empty.texts[0].get_text()


def test_explain_filtered_with_pins_and_unknown_kinds(model):
    # The shop pins cups, then biscuits, for kettles: cups fill the one slot; biscuits, pinned
    # for the kettle but neither a rule's nor an upgrade's candidate, fall below the limit.
    pinned = Recommender(model.data, config=RankingConfig(pins=(("kettle", ("cups", "biscuits")),), combine="max"))
    assert list(ex.preview_cart(pinned, ["kettle"], limit=1)["item_id"]) == ["cups"]
    why = ex.explain_filtered(pinned, ["kettle"], limit=1).set_index("item_id")
    assert why.loc["biscuits", "reason"] == "below_limit" and why.loc["biscuits", "because"] == ("kettle",)
    assert why.loc["mug", "reason"] == "category_cap"  # tableware, as the pinned cups are
    with pytest.raises(ConfigError, match="unknown kind"):
        ex.explain_filtered(pinned, ["kettle"], kinds=["bundle"])
