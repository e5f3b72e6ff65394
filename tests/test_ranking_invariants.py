"""Invariants of every answer, on the sample shop, for carts hypothesis makes up."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recommender import RankingConfig, Recommender, mine
from recommender.config import COMBINATIONS, KINDS, OBJECTIVES
from recommender.ranking.index import RuleIndex
from recommender.sample_shop import generate_sample_shop


@pytest.fixture(scope="module")
def shop():
    return generate_sample_shop(seed=7)


@pytest.fixture(scope="module")
def model(shop):
    return mine(shop.orders, catalog=shop.catalog, min_support=0.001, min_confidence=0.05, max_len=4)


@pytest.fixture(scope="module")
def rec(model):
    return Recommender(model.data, config=RankingConfig(free_shipping_threshold=60.0))


@pytest.fixture(scope="module")
def recs(model):
    """One recommender per way of combining rules."""
    return {
        combine: Recommender(model.data, config=RankingConfig(free_shipping_threshold=60.0, combine=combine))
        for combine in COMBINATIONS
    }


@st.composite
def requests(draw, items):
    cart = draw(st.lists(st.sampled_from(items + ["unknown-1", "unknown-2"]), max_size=20))
    return {
        "cart": cart,
        "limit": draw(st.integers(min_value=1, max_value=8)),
        "exclude": draw(st.lists(st.sampled_from(items), max_size=5)),
        "kinds": draw(st.one_of(st.none(), st.sets(st.sampled_from(KINDS), min_size=1))),
        "objective": draw(st.sampled_from(OBJECTIVES)),
        "cart_total": draw(st.one_of(st.none(), st.floats(min_value=0, max_value=200))),
    }


def check_answer(rec, shop, request, answer):
    catalog = shop.catalog.set_index("item_id")
    shown = answer.item_ids
    assert len(shown) <= request["limit"]
    assert len(set(shown)) == len(shown)
    assert not set(shown) & set(request["cart"]) and not set(shown) & set(request["exclude"])
    assert all(catalog.loc[i, "in_stock"] and catalog.loc[i, "active"] for i in shown)
    assert answer.unknown_items == tuple(dict.fromkeys(i for i in request["cart"] if i.startswith("unknown")))
    kinds = request["kinds"] or KINDS
    assert all(s.kind in kinds for s in answer.items)
    assert sum(s.kind == "upgrade" for s in answer.items) <= 1

    # Order: free-shipping add-ons first, then rule-based by score, then the thin evidence (items
    # co-bought below the support, best sellers that category rules point to) by score, then the
    # popular fill of the cart's categories by score, then the shop's popular items by score.
    def tier(s):
        if "free_shipping" in s.reason:
            return 0
        if s.kind != "popular":
            return 1.5 if "backoff" in s.reason else 1
        return 2 if s.reason["category"] is not None else 3

    tiers = [(tier(s), -s.score) for s in answer.items]
    assert tiers == sorted(tiers)
    categories = [catalog.loc[i, "category"] for i in shown]
    assert len(categories) == len(set(categories)) or answer.fallback is not None
    if answer.fallback is None and "popular" in kinds:
        assert all(s.kind != "popular" for s in answer.items)
    cart_families = {catalog.loc[i, "family"] for i in request["cart"] if i in catalog.index}
    for suggestion in answer.items:
        if suggestion.kind != "upgrade":
            assert catalog.loc[suggestion.item_id, "family"] not in cart_families  # no substitutes
        if suggestion.kind == "upgrade":
            replaced = suggestion.reason["replaces"]
            assert replaced in request["cart"]
            assert catalog.loc[suggestion.item_id, "family"] == catalog.loc[replaced, "family"]
            ratio = catalog.loc[suggestion.item_id, "price"] / catalog.loc[replaced, "price"]
            assert 1.1 <= ratio <= 2.0


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_every_answer_keeps_the_invariants(recs, shop, data):
    rec = recs[data.draw(st.sampled_from(COMBINATIONS))]
    request = data.draw(requests(sorted(shop.catalog["item_id"])))
    answer = rec.recommend(**request)
    check_answer(rec, shop, request, answer)
    assert rec.recommend(**request) == answer  # the same answer twice


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_batch_equals_one_by_one(rec, shop, data):
    items = sorted(shop.catalog["item_id"])
    batch = data.draw(st.lists(st.lists(st.sampled_from(items), max_size=8), max_size=6))
    assert rec.recommend_many(batch, limit=4) == [rec.recommend(cart, limit=4) for cart in batch]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_trie_matches_exactly_the_rules_inside_the_cart(model, data):
    """The index against a scan of every rule: same rules for any cart."""
    index = RuleIndex(model.data, per_antecedent=10**6)
    n_items = len(model.data.items)
    cart = sorted(set(data.draw(st.lists(st.integers(0, n_items - 1), max_size=12))))
    matched = {(r[4], r[3]) for rules in index.match(cart) for r in rules}
    rules = model.data.rules
    expected = {(a, c) for a, c in zip(rules.antecedents, rules.consequents) if set(a) <= set(cart)}
    assert matched == expected


def test_the_planted_complements_come_first(model, shop):
    rec = Recommender(model.data, config=RankingConfig(max_per_category=None))
    for anchor, complement in shop.planted_complements:
        answer = rec.recommend([anchor], kinds=["cross_sell"], limit=3)
        assert complement in answer.item_ids, (anchor, answer.item_ids)


def test_serving_imports_no_pandas_numpy_scipy_or_mlxtend(model, tmp_path):
    path = model.save(tmp_path / "model.rcm")
    code = (
        "import sys\nfrom recommender import Recommender\n"
        f"rec = Recommender.load({str(path)!r})\n"
        "assert rec.recommend(['KET-BASIC']).items and rec.bundle('COF-DRIPPER').found\n"
        "print(sorted(m for m in ('pandas', 'scipy', 'mlxtend', 'numpy') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.fixture(scope="module")
def straight_and_general():
    """Groceries has no catalog: no categories, families or upgrades, so the policy can only take
    the rules' candidates in order and answers take the straight path from rules to answer. A
    free-shipping threshold with no cart total changes no answer but turns that path off."""
    from .conftest import data_file

    data = mine(str(data_file("groceries.csv")), min_support=0.001, min_confidence=0.1, max_len=3).data
    pairs = {}
    for shrinkage in (None, 5.0):
        straight = Recommender(data, config=RankingConfig(shrinkage=shrinkage))
        general = Recommender(data, config=RankingConfig(shrinkage=shrinkage, free_shipping_threshold=1e12))
        assert straight._in_rule_order and not general._in_rule_order
        pairs[shrinkage] = (straight, general)
    return list(data.items), pairs


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_straight_path_answers_as_the_policy_does(straight_and_general, data):
    items, pairs = straight_and_general
    straight, general = pairs[data.draw(st.sampled_from([None, 5.0]))]
    cart = data.draw(st.lists(st.sampled_from(items), max_size=12))
    options = {
        "limit": data.draw(st.integers(min_value=1, max_value=8)),
        "exclude": data.draw(st.lists(st.sampled_from(items), max_size=3)),
        "kinds": data.draw(st.sampled_from([None, ("cross_sell",), ("cross_sell", "popular")])),
    }
    assert straight.recommend(cart, **options) == general.recommend(cart, **options)
