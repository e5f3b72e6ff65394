"""Rules you can trust: significance, corrections, redundancy, count floors, shrinkage and
category-level rules, against hand-computed numbers, scipy and R arules' published figures."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import fisher_exact

from recommender import ConfigError, RankingConfig, Recommender, mine
from recommender.artifact import read_model
from recommender.cli import main
from recommender.mining.hygiene import adjust_p_values, fisher_p_values, redundant_rules, shrunk_confidence

from .conftest import data_file

# -- significance ------------------------------------------------------------------------------


def test_fisher_p_value_by_hand():
    # 20 baskets, 5 with A, 8 with c, 4 with both: P(X >= 4), X ~ Hypergeom(20, 8, 5)
    # = (C(8,4) C(12,1) + C(8,5) C(12,0)) / C(20,5) = (70*12 + 56) / 15504.
    expected = (math.comb(8, 4) * math.comb(12, 1) + math.comb(8, 5)) / math.comb(20, 5)
    assert fisher_p_values([4], [5], [8], 20)[0] == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(0.0577915, abs=1e-7)
    # No association (both = |A||c|/n = 2): 1 - P(X=0) - P(X=1) = 1 - (C(12,5) + 8 C(12,4)) / C(20,5)
    # = 10752/15504; none at all (both = 0): P(X >= 0) = 1.
    assert fisher_p_values([2, 0], [5, 5], [8, 8], 20).tolist() == pytest.approx([10752 / 15504, 1.0], rel=1e-12)


def test_fisher_p_values_equal_scipy_rule_by_rule():
    rng = np.random.default_rng(3)
    n = 500
    a = rng.integers(1, 200, size=300)
    c = rng.integers(1, 200, size=300)
    both = np.array([rng.integers(max(0, x + y - n), min(x, y) + 1) for x, y in zip(a, c)])
    ours = fisher_p_values(both, a, c, n)
    scipy_p = [
        fisher_exact([[k, x - k], [y - k, n - x - y + k]], alternative="greater").pvalue for k, x, y in zip(both, a, c)
    ]
    assert ours == pytest.approx(scipy_p, rel=1e-9, abs=1e-300)


@pytest.mark.parametrize("population, rel", [(5, 1e-12), (40, 1e-12), (500, 1e-11), (88_162, 1e-9), (3_000_000, 1e-7)])
def test_the_hypergeometric_tail_equals_scipy_on_both_sides_of_the_mode(population, rel):
    from scipy import stats

    from recommender.rule_stats import hypergeom_sf

    rng = np.random.default_rng(population)
    draws = rng.integers(1, population + 1, 3000)
    successes = rng.integers(1, population + 1, 3000)
    low, high = np.maximum(0, draws + successes - population), np.minimum(draws, successes)
    # Every k from below the least count to one above the most: tails far out, near the mode, edges.
    k = low - 1 + (rng.random(3000) * (high - low + 3)).astype(np.int64)
    ours = hypergeom_sf(k, population, successes, draws)
    theirs = stats.hypergeom.sf(k - 1, population, successes, draws)
    assert ours == pytest.approx(theirs, rel=rel, abs=1e-300)
    assert ((k <= low) <= (ours == 1.0)).all() and ((k > high) <= (ours == 0.0)).all()


def test_benjamini_hochberg_and_the_log_probabilities_equal_scipy():
    from scipy import stats

    from recommender.rule_stats import _hypergeom_logpmf

    rng = np.random.default_rng(11)
    p = np.concatenate([rng.random(2000) ** 4, [0.0, 1.0, 0.5, 0.5]])  # ties, and both ends
    assert adjust_p_values(p, "fdr_bh") == pytest.approx(stats.false_discovery_control(p, method="bh"), rel=1e-15)
    population = 88_162
    draws, successes = rng.integers(1, population, 2000), rng.integers(1, population, 2000)
    low, high = np.maximum(0, draws + successes - population), np.minimum(draws, successes)
    k = low + (rng.random(2000) * (high - low + 1)).astype(np.int64)
    ours = _hypergeom_logpmf(k.astype(float), float(population), successes.astype(float), draws.astype(float))
    assert np.array_equal(ours, stats.hypergeom.logpmf(k, population, successes, draws))


def test_benjamini_hochberg_and_bonferroni_by_hand():
    # Sorted: 0.005, 0.01, 0.03, 0.04 -> p * 4 / rank = 0.02, 0.02, 0.04, 0.04 (already monotone).
    assert adjust_p_values([0.01, 0.04, 0.03, 0.005], "fdr_bh").tolist() == pytest.approx([0.02, 0.04, 0.04, 0.02])
    # A step-up: 0.02 * 3 / 2 = 0.03 would exceed the adjusted value above it, 0.025 * 3 / 3.
    assert adjust_p_values([0.001, 0.02, 0.025], "fdr_bh").tolist() == pytest.approx([0.003, 0.025, 0.025])
    assert adjust_p_values([0.01, 0.2, 0.6], "bonferroni").tolist() == pytest.approx([0.03, 0.6, 1.0])
    assert adjust_p_values([0.01, 0.2], "none").tolist() == [0.01, 0.2]
    with pytest.raises(ValueError, match="correction must be one of"):
        adjust_p_values([0.1], "holm")


def test_bonferroni_filter_on_groceries_matches_scipy_loop():
    path = data_file("groceries.csv")
    model = mine(path, min_support=0.001, min_confidence=0.5, max_len=10)
    kept = mine(path, min_support=0.001, min_confidence=0.5, max_len=10, max_p=0.05, correction="bonferroni")
    rules = model.rules
    assert len(rules) == 5668
    n = model.n_baskets
    tested = len(rules)
    oracle = sum(
        fisher_exact([[k, a - k], [c - k, n - a - c + k]], alternative="greater").pvalue * tested <= 0.05
        for k, a, c in zip(rules["count"], rules["antecedent_count"], rules["consequent_count"])
    )
    assert len(kept.rules) == oracle
    assert (kept.rules["p_adjusted"] <= 0.05).all()
    assert kept.config["hygiene"] == {
        "test": "fisher_one_sided",
        "correction": "bonferroni",
        "max_p": 0.05,
        "prune_redundant": False,
        "min_count": 1,
        "shrinkage": 0.0,
        "tested": 5668,
        "not_significant": 5668 - oracle,
        "redundant": int(model.rules["redundant"].sum()),
        "kept": oracle,
    }


# -- redundancy --------------------------------------------------------------------------------


def test_redundancy_on_a_small_fixture():
    # a -> c holds in 3 of 4 baskets with a; {a, b} -> c in 2 of 3: less confident than a -> c,
    # so redundant. {b} -> d: 2 of 4; {a, b} -> d: 2 of 3, more confident: not redundant.
    baskets = [["a", "b", "c", "d"], ["a", "b", "c", "d"], ["a", "b"], ["a", "c"], ["b"], ["e"]]
    model = mine(baskets, min_support=0.3, min_confidence=0.5, max_len=3)
    flags = {
        (a, c): r for a, c, r in zip(model.rules["antecedents"], model.rules["consequent"], model.rules["redundant"])
    }
    assert flags[(("a", "b"), "c")]
    assert not flags[(("a",), "c")]
    assert not flags[(("a", "b"), "d")]
    pruned = mine(baskets, min_support=0.3, min_confidence=0.5, max_len=3, prune_redundant=True)
    assert set(zip(pruned.rules["antecedents"], pruned.rules["consequent"])) == {
        key for key, redundant in flags.items() if not redundant
    }


def test_redundancy_looks_through_subsets_missing_from_the_set():
    # {0} -> 9 (0.9) makes {0, 1, 2} -> 9 (0.6) redundant although {0, 1} -> 9 is not a rule.
    flags = redundant_rules([(0,), (0, 1, 2)], [9, 9], [0.9, 0.6])
    assert flags.tolist() == [False, True]


@st.composite
def basket_sets(draw):
    n = draw(st.integers(min_value=4, max_value=30))
    return [draw(st.sets(st.sampled_from("abcdef"), min_size=1, max_size=5)) for _ in range(n)]


@settings(max_examples=40, deadline=None)
@given(baskets=basket_sets(), confidence=st.sampled_from([0.0, 0.3, 0.6]))
def test_redundancy_equals_brute_force(baskets, confidence):
    """arules' definition, from the baskets themselves: a rule is redundant when some strict,
    non-empty subset of its antecedent predicts the consequent at least as confidently."""
    model = mine([sorted(b) for b in baskets], min_support=0.1, min_confidence=confidence, max_len=4, max_pairs=None)

    def count(items):
        return sum(set(items) <= b for b in baskets)

    for antecedent, consequent, flagged in zip(
        model.rules["antecedents"], model.rules["consequent"], model.rules["redundant"]
    ):
        confidence_of = count(antecedent + (consequent,)) / count(antecedent)
        best_below = max(
            (
                count(subset + (consequent,)) / count(subset)
                for size in range(1, len(antecedent))
                for subset in itertools.combinations(antecedent, size)
            ),
            default=-1.0,
        )
        assert flagged == (best_below >= confidence_of - 1e-12), (antecedent, consequent)


def test_groceries_redundancy_pruning_leaves_392_of_410_as_published_for_arules():
    # Hahsler's arules: apriori(Groceries, support 0.001, confidence 0.8) gives 410 rules;
    # rules[!is.redundant(rules)] leaves 392.
    path = data_file("groceries.csv")
    model = mine(path, min_support=0.001, min_confidence=0.8, max_len=10)
    assert len(model.rules) == 410
    assert int((~model.rules["redundant"]).sum()) == 392
    pruned = mine(path, min_support=0.001, min_confidence=0.8, max_len=10, prune_redundant=True)
    assert len(pruned.rules) == 392
    assert not pruned.rules["redundant"].any()


# -- count floor and shrinkage -----------------------------------------------------------------


def test_min_count_floor_equals_the_support_it_implies():
    path = data_file("groceries.csv")
    floored = mine(path, min_support=0.001, min_confidence=0.5, max_len=4, min_count=25)
    by_support = mine(path, min_support=25 / 9835, min_confidence=0.5, max_len=4)
    assert floored.config["min_count"] == 25 and floored.rules["count"].min() >= 25
    pd.testing.assert_frame_equal(
        floored.rules[["antecedents", "consequent", "count"]], by_support.rules[["antecedents", "consequent", "count"]]
    )
    assert len(floored.rules) < len(mine(path, min_support=0.001, min_confidence=0.5, max_len=4).rules)


def test_shrunk_confidence_by_hand():
    # (3 + 10 * 0.1) / (3 + 10) = 4/13; (300 + 10 * 0.3) / (400 + 10) = 303/410.
    assert shrunk_confidence([3, 300], [3, 400], [0.1, 0.3], 10).tolist() == pytest.approx([4 / 13, 303 / 410])
    assert shrunk_confidence([3], [3], [0.1], 0).tolist() == [1.0]


def _rare_and_common():
    # 1,000 baskets: rare -> x in 3 of 3 (x in 10% of baskets), common -> y in 300 of 400
    # (y in 30%).
    return [["rare", "x"]] * 3 + [["common", "y"]] * 300 + [["common"]] * 100 + [["x"]] * 97 + [["filler"]] * 500


def test_shrinkage_keeps_a_three_basket_rule_from_topping_the_list():
    baskets = _rare_and_common()
    plain = Recommender(mine(baskets, min_support=0.003, min_confidence=0.1).data, config=RankingConfig(combine="max"))
    answer = plain.recommend(["rare", "common"], limit=2, kinds=["cross_sell"])
    assert [(s.item_id, s.score) for s in answer.items] == [("x", 1.0), ("y", 0.75)]

    shrunk_model = mine(baskets, min_support=0.003, min_confidence=0.1, shrinkage=10)
    assert shrunk_model.rules.set_index("consequent").loc["x", "confidence_shrunk"] == pytest.approx(4 / 13)
    answer = Recommender(shrunk_model.data, config=RankingConfig(combine="max")).recommend(
        ["rare", "common"], limit=2, kinds=["cross_sell"]
    )
    assert [s.item_id for s in answer.items] == ["y", "x"]
    assert [s.score for s in answer.items] == pytest.approx([303 / 410, 4 / 13])
    # The reason tells what the baskets show, not the smoothed number.
    x = answer.items[1].reason
    assert (x["confidence"], x["lift"], x["baskets"]) == (pytest.approx(1.0), pytest.approx(10.0), 3)
    assert x["text"] == "because rare is in the cart: 100% of those baskets also had x, 10.0x the usual rate"
    # The ranking may override the model's setting.
    override = Recommender(shrunk_model.data, config=RankingConfig(shrinkage=0, combine="max"))
    assert override.recommend(["rare", "common"], limit=1, kinds=["cross_sell"]).item_ids == ("x",)


def test_hygiene_settings_are_validated():
    for bad, match in (
        ({"max_p": 0.0}, "max_p must be"),
        ({"max_p": 2}, "max_p must be"),
        ({"correction": "holm"}, "correction must be one of"),
        ({"min_count": 0}, "min_count must be"),
        ({"shrinkage": -1}, "shrinkage must be"),
        ({"prune_redundant": "yes"}, "prune_redundant must be"),
    ):
        with pytest.raises(ConfigError, match=match):
            mine([["a", "b"]], **bad)


# -- category rules and the back-off -----------------------------------------------------------

PASTA_SHOP = [["pasta-a", "sauce-x"]] * 6 + [["pasta-b", "sauce-y"]] * 4 + [["pasta-c"]] * 2 + [["bread"]] * 8
HIERARCHY = pd.DataFrame(
    {
        "item": ["pasta-a", "pasta-b", "pasta-c", "sauce-x", "sauce-y", "bread"],
        "level2": ["pasta", "pasta", "pasta", "sauce", "sauce", "bakery"],
        "level1": ["dry goods", "dry goods", "dry goods", "dry goods", "dry goods", "fresh"],
    }
)


def test_category_rules_by_hand():
    # Category baskets: 10 x {pasta, sauce}, 2 x {pasta}, 8 x {bakery}.
    model = mine(PASTA_SHOP, min_support=0.2, min_confidence=0.5, hierarchy=HIERARCHY)
    rules = model.category_rules.set_index("consequent")
    assert sorted(model.data.categories) == ["bakery", "pasta", "sauce"]
    assert rules.loc["sauce", "antecedents"] == ("pasta",)
    assert (rules.loc["sauce", "count"], rules.loc["sauce", "antecedent_count"]) == (10, 12)
    assert rules.loc["sauce", "confidence"] == pytest.approx(10 / 12)
    assert rules.loc["sauce", "lift"] == pytest.approx(10 / 12 * 20 / 10)
    assert rules.loc["pasta", "confidence"] == pytest.approx(1.0)
    # The hierarchy filled the catalog's categories.
    assert model.catalog.loc["sauce-y", "category"] == "sauce"
    # A higher level gives other categories.
    coarse = mine(PASTA_SHOP, min_support=0.2, hierarchy=HIERARCHY, hierarchy_level="level1")
    assert sorted(coarse.data.categories) == ["dry goods", "fresh"]


def test_category_back_off_for_an_item_without_rules():
    # pasta-c (2 baskets) is below the support: no rule of its own. Pasta -> sauce (10 of 12,
    # lift 1.67) points to the sauces; sauce-x holds 6 of the 10 sauce baskets: 10/12 * 6/10 = 0.5.
    # Diversity keeps one sauce; the pasta best seller and then bread fill the rest.
    rec = Recommender(mine(PASTA_SHOP, min_support=0.2, min_confidence=0.5, hierarchy=HIERARCHY).data)
    answer = rec.recommend(["pasta-c"], limit=3)
    assert answer.fallback == "category_rules"
    assert [(s.item_id, s.kind) for s in answer.items] == [
        ("sauce-x", "cross_sell"),
        ("pasta-a", "popular"),
        ("bread", "popular"),
    ]
    first = answer.items[0]
    assert first.score == pytest.approx(0.5)
    assert first.reason["because"] == ["pasta-c"] and first.reason["because_categories"] == ["pasta"]
    assert first.reason["category"] == "sauce"
    assert first.reason["text"] == (
        "because pasta is in the cart: 83% of those baskets also had sauce, 1.7x the usual rate; "
        "sauce-x sells most there"
    )
    # Without categories the same cart gets the shop's best sellers only.
    plain = Recommender(mine(PASTA_SHOP, min_support=0.2, min_confidence=0.5).data).recommend(["pasta-c"], limit=3)
    assert plain.fallback == "popular" and plain.item_ids == ("bread", "pasta-a", "sauce-x")
    # Item rules come first where they exist: pasta-a -> sauce-x (confidence 1).
    assert rec.recommend(["pasta-a"], limit=1).items[0].reason["because"] == ["pasta-a"]


def test_category_rules_on_groceries_with_its_hierarchy():
    path = data_file("groceries.csv")
    model = mine(path, min_support=0.001, min_confidence=0.5, max_len=3, hierarchy=data_file("groceries_items.csv"))
    assert len(model.data.categories) == 55  # level2 of the published hierarchy
    rules = model.category_rules
    assert len(rules) > 0 and (rules["confidence"] >= 0.5).all() and (rules["antecedents"].map(len) <= 2).all()
    # Category counts are basket counts of the category: at least those of any of its items.
    categories = model.catalog["category"]
    item_counts = model.items.set_index("item_id")["count"]
    counts = dict(zip(model.data.categories, model.data.category_counts))
    for item, count in item_counts.items():
        assert counts[categories[item]] >= count


# -- the record and the command line -----------------------------------------------------------


def test_cli_mine_with_hygiene_options_records_what_was_applied(tmp_path, capsys):
    path = data_file("groceries.csv")
    out = tmp_path / "g.rcm"
    status = main(
        [
            "mine", str(path), "-o", str(out), "--min-support", "0.001", "--min-confidence", "0.8", "--max-len", "10",
            "--prune-redundant", "--max-p", "0.05", "--hierarchy", str(data_file("groceries_items.csv")),
        ]
    )  # fmt: skip
    assert status == 0
    printed = capsys.readouterr().out
    assert "18 of 410 rules redundant" in printed and "392 kept" in printed
    data = read_model(out)
    assert data.config["hygiene"]["kept"] == len(data.rules) == 392
    assert len(data.rules.p_adjusted) == 392 and not any(data.rules.redundant)
    assert len(data.categories) == 55 and len(data.category_rules) > 0
    assert main(["rules", str(out), "--top", "2", "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert {"p_value", "p_adjusted", "redundant", "confidence_shrunk"} <= set(records[0])
    assert main(["rules", str(out), "--sort", "p_value", "--top", "3", "--format", "csv"]) == 0
    p_values = pd.read_csv(__import__("io").StringIO(capsys.readouterr().out))["p_value"]
    assert p_values.is_monotonic_increasing
    assert main(["rules", str(out), "--categories", "--top", "1", "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 1


def test_cli_hygiene_errors_are_one_sentence(tmp_path, capsys):
    path = data_file("groceries.csv")
    out = tmp_path / "g.rcm"
    assert main(["mine", str(path), "-o", str(out), "--max-p", "1.5"]) == 2
    assert "max_p must be a significance level in (0, 1]" in capsys.readouterr().err
    assert main(["mine", str(path), "-o", str(out), "--hierarchy", str(tmp_path / "none.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(
        ["mine", str(path), "-o", str(out), "--hierarchy", str(data_file("groceries_items.csv")),
         "--hierarchy-level", "aisle"]
    ) == 2  # fmt: skip
    assert "has no column 'aisle'" in capsys.readouterr().err
    assert not out.exists()


# -- the item-level back-off: pairs below the support ------------------------------------------


@settings(max_examples=40, deadline=None)
@given(baskets=basket_sets())
def test_cobought_pairs_equal_brute_force(baskets):
    from recommender.io import Baskets
    from recommender.mining.cobought import top_cobought
    from recommender.mining.pairs import BYTES_PER_PAIR

    b = Baskets.from_lists([sorted(x) for x in baskets])
    got = top_cobought(b, per_item=3, min_count=2)
    # Counted in blocks of a few items each (a budget of 5 pair counts), the same pairs.
    assert top_cobought(b, per_item=3, min_count=2, memory_bytes=5 * BYTES_PER_PAIR) == got
    for a, item in enumerate(b.items):
        counts = {other: sum({item, other} <= basket for basket in baskets) for other in b.items if other != item}
        expected = sorted(((-n, other) for other, n in counts.items() if n >= 2))[:3]
        assert [(b.items[y], n) for x, y, n in got if x == a] == [(other, -n) for n, other in expected]


def test_cobought_back_off_for_an_item_without_rules():
    # 23 baskets, support 0.2 (5 baskets): rules only between a and b. rare is in 3 baskets, 2 of
    # them with c (confidence 2/3, lift 2/3 * 23 / 2), 1 with d (once is chance: left out).
    baskets = [["a", "b"]] * 10 + [["rare", "c"]] * 2 + [["rare", "d"]] + [["e"]] * 10
    model = mine(baskets, min_support=0.2, min_confidence=0.1)
    assert set(model.rules["consequent"]) == {"a", "b"}
    # The rules' ranking (the learned one ranks c by the weight of the same pair).
    answer = Recommender(model.data, config=RankingConfig(combine="max")).recommend(["rare"], limit=3)
    assert answer.fallback == "cobought"
    assert [(s.item_id, s.kind) for s in answer.items] == [("c", "cross_sell"), ("a", "popular"), ("b", "popular")]
    first = answer.items[0]
    assert first.score == pytest.approx(2 / 3)
    assert first.reason["backoff"] == "cobought" and first.reason["baskets"] == 2
    assert first.reason["lift"] == pytest.approx(2 / 3 * 23 / 2)
    assert first.reason["text"] == (
        "because rare is in the cart: 67% of those baskets also had c, 7.7x the usual rate (only 2 baskets)"
    )
    # The rules' own suggestions still come first where they exist.
    assert Recommender(model.data, config=RankingConfig(combine="max")).recommend(["a", "rare"], limit=2).item_ids == (
        "b",
        "c",
    )
    # The pair is a thin rule of lift 7.67, under the rules' lift floor like them.
    kept = Recommender(model.data, config=RankingConfig(min_lift=7.6, combine="max")).recommend(["rare"], limit=3)
    assert kept.item_ids == ("c", "a", "b") and kept.fallback == "cobought"
    dropped = Recommender(model.data, config=RankingConfig(min_lift=7.7, combine="max")).recommend(["rare"], limit=3)
    assert dropped.item_ids == ("a", "b", "e") and dropped.fallback == "popular"
