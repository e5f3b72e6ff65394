"""The policy's path read fast: upgrades ranked from flat arrays, the category back-off and the
fill built only as far as an answer reads them. Each fast part is held to the plain way of
reading every candidate, on generated shops: the sample shop and a grocer's (many categories,
product families with price ladders, so that most answers take the policy's path)."""

from __future__ import annotations

import random
from itertools import combinations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recommender import RankingConfig, Recommender, mine
from recommender.config import OBJECTIVES
from recommender.ranking.candidates import upgrade_candidates
from recommender.ranking.cart import read_cart
from recommender.ranking.categories import CategoryCandidate
from recommender.ranking.items import ItemTable
from recommender.ranking.upgrade_index import UpgradeIndex
from recommender.ranking.upgrades import Upgrade
from recommender.sample_shop import generate_sample_shop

SETTINGS = {
    "deadline": None,
    # (generating made-up upgrades can be slow on a busy machine)
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
}


def grocer(seed: int = 5) -> tuple[list[list[str]], pd.DataFrame]:
    """Seeded baskets of a grocer: 24 categories of 30 items, families of five at rising prices,
    a long tail of items bought a few times (too few for co-bought pairs: the category rules
    speak for them), categories bought in pairs (c with c + 1) more often than alone."""
    rng = random.Random(seed)
    rows = []
    for category in range(24):
        for k in range(30):
            price = round(2.0 * (1 + k % 5) * (1 + 0.1 * category), 2)
            rows.append({"item": f"c{category:02d}-{k:02d}", "category": f"cat{category:02d}",
                         "family": f"c{category}-f{k // 5}", "price": price,
                         "active": k != 7, "in_stock": k != 11})  # fmt: skip
    catalog = pd.DataFrame(rows)
    items = catalog["item"].tolist()
    weights = [1 / (1 + int(item[-2:])) ** 1.6 / (1 + int(item[1:3]) / 6) for item in items]
    baskets = []
    for _ in range(5000):
        basket = set(rng.choices(items, weights, k=rng.randint(1, 8)))
        for item in sorted(basket):  # in a fixed order: a set's order changes with each process's hash seed
            if rng.random() < 0.5:
                category = (int(item[1:3]) + 1) % 24
                basket.add(f"c{category:02d}-{min(int(rng.expovariate(0.3)), 29):02d}")
        baskets.append(sorted(basket))
    return baskets, catalog


@pytest.fixture(scope="module")
def shops():
    """The sample shop and the grocer, mined with a catalog (categories, families, prices)."""
    sample = generate_sample_shop(seed=7)
    baskets, catalog = grocer()
    return {
        "sample shop": mine(sample.orders, catalog=sample.catalog, min_support=0.001, min_confidence=0.05,
                            max_len=4).data,
        "grocer": mine(baskets, catalog=catalog, min_support=0.002, min_confidence=0.3).data,
    }  # fmt: skip


@pytest.fixture(scope="module")
def recommender_for(shops):
    """One recommender per shop and settings, built once."""
    built = {}

    def get(name, **settings):
        key = (name, tuple(sorted(settings.items())))
        if key not in built:
            built[key] = Recommender(shops[name], config=RankingConfig(**settings))
        return built[key]

    return get


def test_the_grocer_takes_the_policys_path(shops):
    """What the tests below need from the grocer: upgrades, category rules, and answers that the
    rules leave short (ranked by the rules: 284 upgrades shown in 300 answers, 28 filled from the
    category rules first, 262 from co-bought pairs)."""
    rec = Recommender(shops["grocer"], config=RankingConfig(combine="max"))
    assert len(rec._upgrade_index) == 864 and len(rec.fallbacks.categories.rules) == 300
    rng = random.Random(1)
    answers = [rec.recommend(rng.sample(rec.table.ids, rng.randint(1, 6)), limit=4) for _ in range(300)]
    assert sum(s.kind == "upgrade" for a in answers for s in a.items) > 200
    assert sum(a.fallback == "category_rules" for a in answers) > 20


@st.composite
def upgrade_maps(draw, n_items):
    """Upgrades of a few items into a few others, shares and customers from small sets, so that
    two cart items often offer one item at equal scores (and equal or different customers)."""
    targets = draw(st.lists(st.integers(0, n_items - 1), min_size=1, max_size=8, unique=True))
    found = {}
    for item in draw(st.lists(st.integers(0, n_items - 1), min_size=1, max_size=10, unique=True)):
        chosen = draw(st.lists(st.sampled_from(targets), max_size=5, unique=True))
        found[item] = [
            Upgrade(b, draw(st.sampled_from([0.1, 0.25, 0.5])), customers, "traded_up" if customers else "family")
            for b in chosen
            for customers in [draw(st.sampled_from([0, 1, 2]))]
        ]
    return found


@settings(max_examples=200, **SETTINGS)
@given(data=st.data())
def test_the_upgrade_index_ranks_as_the_plain_loop(shops, recommender_for, data):
    """UpgradeIndex.candidates against candidates.upgrade_candidates (every upgrade of every cart
    item scored in a loop): the same candidates, in the same order, with the same completeness,
    for made-up upgrades full of ties and for the grocer's own."""
    rec = recommender_for(data.draw(st.sampled_from(sorted(shops))))
    table = rec.table
    upgrades = data.draw(upgrade_maps(len(table))) if data.draw(st.booleans()) else rec.upgrades
    index = UpgradeIndex(upgrades, table)
    pool = sorted(upgrades) + list(range(len(table)))
    cart = read_cart(table, [table.ids[i] for i in data.draw(st.lists(st.sampled_from(pool), max_size=10))])
    sellable_only = data.draw(st.booleans())
    skip = cart.blocked | set(data.draw(st.lists(st.integers(0, len(table) - 1), max_size=3)))
    options = {
        "skip": skip if sellable_only else frozenset(),
        "sellable_only": sellable_only,
        "objective": data.draw(st.sampled_from(OBJECTIVES)),
        "wanted": data.draw(st.sampled_from([None, 1, 2, 3, 6])),
    }
    fast, fast_complete = index.candidates(cart, **options)
    plain, plain_complete = upgrade_candidates(upgrades, table, cart, **options)
    assert fast == plain and fast_complete == plain_complete


def test_of_two_cart_items_offering_one_upgrade_equally_the_first_in_the_cart_stands(shops):
    """Hand-made: items 1 and 2 both offer item 9 at a share of 0.25; with equal customers the
    upgrade replaces the cart's first item, whichever is offered first in the arrays; with
    different customers the index leaves it to the plain loop, which gives the same."""
    table = ItemTable(shops["sample shop"])
    for customers in ((3, 3), (1, 3)):
        upgrades = {1: [Upgrade(9, 0.25, customers[0], "traded_up")], 2: [Upgrade(9, 0.25, customers[1], "traded_up")]}
        for order in ((2, 1), (1, 2)):
            cart = read_cart(table, [table.ids[i] for i in order])
            options = {"skip": cart.blocked, "sellable_only": False, "objective": "confidence", "wanted": 1}
            (fast,), _ = UpgradeIndex(upgrades, table).candidates(cart, **options)
            (plain,), _ = upgrade_candidates(upgrades, table, cart, **options)
            assert fast == plain and fast.replaces == order[0]


def brute_force_category_candidates(backoff, cart, blocked, per_category):
    """Every category rule of every one or two of the cart's categories read, the strongest
    (confidence, lift, count; of equals the first antecedent: singles, then pairs, in order)
    kept per target category outside the cart, and its first ``per_category`` best sellers."""
    mine = sorted({backoff.category_of[i] for i in cart} - {None})
    antecedents = [a for size in (1, 2) for a in combinations(mine, size)]
    best = {}
    for antecedent in antecedents:
        for confidence, lift, count, consequent in backoff.rules.get(antecedent, ()):
            if consequent not in mine and (consequent not in best or (confidence, lift, count) > best[consequent][:3]):
                best[consequent] = (confidence, lift, count, antecedent)
    found = []
    for category, (confidence, lift, count, antecedent) in best.items():
        items = [i for i in backoff.best_sellers[category] if i not in blocked][:per_category]
        for item in items:
            share = backoff.item_counts[item] / backoff.category_counts[category]
            found.append(CategoryCandidate(confidence * share, item, category, antecedent, confidence, lift, count))
    return found


@settings(max_examples=150, **SETTINGS)
@given(data=st.data())
def test_the_category_back_off_finds_what_reading_every_rule_finds(shops, recommender_for, data):
    backoff = recommender_for(data.draw(st.sampled_from(sorted(shops)))).fallbacks.categories
    n_items = len(backoff.category_of)
    cart = data.draw(st.lists(st.integers(0, n_items - 1), max_size=12, unique=True))
    blocked = set(cart) | set(data.draw(st.lists(st.integers(0, n_items - 1), max_size=6)))
    per_category = data.draw(st.integers(1, 4))
    found = backoff.candidates(cart, blocked, per_category)
    assert sorted(found) == sorted(brute_force_category_candidates(backoff, cart, blocked, per_category))


@settings(max_examples=150, **SETTINGS)
@given(data=st.data())
def test_the_fill_built_as_far_as_it_reads_answers_as_every_candidate_built(shops, recommender_for, data):
    """Fallbacks.fill builds the candidates the policy reads (trace None) or all of them (with
    a trace): the same suggestions, in the same order, from the same source."""
    rec = recommender_for(
        data.draw(st.sampled_from(sorted(shops))),
        max_per_category=data.draw(st.sampled_from([None, 1, 2])),
        min_lift=data.draw(st.sampled_from([1.0, 2.0])),
    )
    ids = rec.table.ids
    cart = read_cart(rec.table, data.draw(st.lists(st.sampled_from(ids), max_size=8)))
    limit = data.draw(st.integers(1, 8))
    chosen = [c for c in rec.fallbacks.popular_candidates(cart, cart.blocked) if c.item not in cart.blocked]
    chosen = chosen[: data.draw(st.integers(0, limit - 1))]
    options = {"limit": limit, "cross_sell": data.draw(st.booleans()),
               "objective": data.draw(st.sampled_from(OBJECTIVES)), "caps": rec.caps}  # fmt: skip
    lazy, lazy_source = rec.fallbacks.fill(list(chosen), cart, trace=None, **options)
    every, every_source = rec.fallbacks.fill(list(chosen), cart, trace=[], **options)
    assert lazy == every and lazy_source == every_source


@settings(max_examples=150, **SETTINGS)
@given(data=st.data())
def test_a_grocers_answer_is_the_answer_from_every_candidate(recommender_for, data):
    """The whole answer, cut short where it can be (the best few candidates of each source,
    upgrades up to the cap that stand, the fill built as read), against the traced answer, for
    which every candidate is read and built."""
    rec = recommender_for(
        "grocer",
        max_upgrades=data.draw(st.sampled_from([1, 2, 3])),
        max_per_category=data.draw(st.sampled_from([None, 1, 2])),
        combine=data.draw(st.sampled_from(["learned", "max"])),
    )
    cart = data.draw(st.lists(st.sampled_from(rec.table.ids), max_size=10))
    options = {"limit": data.draw(st.integers(1, 6)), "objective": data.draw(st.sampled_from(OBJECTIVES))}
    answer = rec.recommend(cart, **options)
    traced = rec.recommend(cart, trace=True, **options)
    assert answer.items == traced.items and answer.fallback == traced.fallback
