"""A five-basket shop whose every number was worked out by hand.

Baskets: {tea, kettle, mug}, {tea, kettle}, {tea, mug}, {tea}, {coffee, mug}.
Counts: tea 4, mug 3, kettle 2, coffee 1; {kettle, tea} 2, {mug, tea} 2, {kettle, mug} 1.
At min_support 0.4 (2 baskets, met exactly by kettle and both pairs) and min_confidence 0.5
(met exactly by tea -> kettle and tea -> mug) there are four rules.
"""

from __future__ import annotations

import math

import pytest

from recommender import mine

BASKETS = [["tea", "kettle", "mug"], ["tea", "kettle"], ["tea", "mug"], ["tea"], ["coffee", "mug"]]


@pytest.fixture(scope="module")
def rules():
    model = mine(BASKETS, min_support=0.4, min_confidence=0.5, max_len=3)
    return {
        (a, c): row
        for a, c, row in zip(model.rules["antecedents"], model.rules["consequent"], model.rules.to_dict("records"))
    }


def test_exactly_the_four_rules_at_inclusive_thresholds(rules):
    assert set(rules) == {(("kettle",), "tea"), (("tea",), "kettle"), (("mug",), "tea"), (("tea",), "mug")}


def test_kettle_to_tea_metrics(rules):
    r = rules[(("kettle",), "tea")]
    assert (r["count"], r["antecedent_count"], r["consequent_count"]) == (2, 2, 4)
    assert r["support"] == pytest.approx(0.4)
    assert r["antecedent_support"] == pytest.approx(0.4)
    assert r["consequent_support"] == pytest.approx(0.8)
    assert r["confidence"] == pytest.approx(1.0)
    assert r["lift"] == pytest.approx(1.25)
    assert r["leverage"] == pytest.approx(0.4 - 0.4 * 0.8)
    assert math.isinf(r["conviction"])
    assert r["zhangs_metric"] == pytest.approx(0.08 / 0.24)
    assert r["jaccard"] == pytest.approx(0.4 / (0.4 + 0.8 - 0.4))
    assert r["certainty"] == pytest.approx(1.0)
    assert r["kulczynski"] == pytest.approx((1.0 + 0.5) / 2)


def test_tea_to_kettle_at_the_confidence_boundary(rules):
    r = rules[(("tea",), "kettle")]
    assert r["confidence"] == pytest.approx(0.5)
    assert r["lift"] == pytest.approx(0.5 / 0.4)
    assert r["conviction"] == pytest.approx((1 - 0.4) / (1 - 0.5))
    assert r["certainty"] == pytest.approx((0.5 - 0.4) / (1 - 0.4))


def test_mug_to_tea_is_a_negative_association(rules):
    r = rules[(("mug",), "tea")]
    assert r["confidence"] == pytest.approx(2 / 3)
    assert r["lift"] == pytest.approx((2 / 3) / 0.8)
    assert r["leverage"] == pytest.approx(0.4 - 0.6 * 0.8)
    # Zhang: leverage / max(0.4 * (1 - 0.6), 0.6 * (0.8 - 0.4)) = -0.08 / 0.24
    assert r["zhangs_metric"] == pytest.approx(-0.08 / 0.24)


def test_raising_support_above_a_count_drops_it():
    model = mine(BASKETS, min_support=0.41, min_confidence=0.5, max_len=3)
    assert len(model.rules) == 0
    assert model.config["min_count"] == 3


def test_same_metrics_as_mlxtend_association_rules():
    """mlxtend's own rule generator, run the tutorial way, is the oracle for every metric."""
    import pandas as pd
    from mlxtend.frequent_patterns import association_rules, fpgrowth
    from mlxtend.preprocessing import TransactionEncoder

    encoder = TransactionEncoder()
    frame = pd.DataFrame(encoder.fit(BASKETS).transform(BASKETS), columns=encoder.columns_)
    itemsets = fpgrowth(frame, min_support=0.4, use_colnames=True, max_len=3)
    expected = association_rules(itemsets, num_itemsets=len(frame), metric="confidence", min_threshold=0.5)
    ours = mine(BASKETS, min_support=0.4, min_confidence=0.5, max_len=3).rules
    assert len(ours) == len(expected)
    theirs = {
        (tuple(sorted(a)), next(iter(c))): row
        for a, c, row in zip(expected["antecedents"], expected["consequents"], expected.to_dict("records"))
    }
    for row in ours.to_dict("records"):
        other = theirs[(row["antecedents"], row["consequent"])]
        for ours_name, their_name in (
            ("support", "support"),
            ("confidence", "confidence"),
            ("lift", "lift"),
            ("leverage", "leverage"),
            ("conviction", "conviction"),
            ("zhangs_metric", "zhangs_metric"),
            ("jaccard", "jaccard"),
            ("certainty", "certainty"),
            ("kulczynski", "kulczynski"),
            ("antecedent_support", "antecedent support"),
            ("consequent_support", "consequent support"),
        ):
            assert row[ours_name] == pytest.approx(other[their_name]), ours_name
