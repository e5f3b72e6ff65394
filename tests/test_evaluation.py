"""Offline evaluation: exact metrics on hand-computed cases, a split that leaks nothing,
determinism, the command line, and a real run on Groceries."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from recommender import ConfigError, InputError, evaluate, read_baskets
from recommender.cli import main
from recommender.evaluation import Cases, leave_one_out, split_baskets
from recommender.evaluation.baselines import Cooccurrence, Popular, RandomItems, top_k
from recommender.evaluation.metrics import coverage, hit_rate, mrr, ndcg, precision, ranks_of, revenue_hit_rate
from recommender.evaluation.splits import subset_baskets
from recommender.io import Baskets

from .conftest import data_file

# -- metrics on hand-computed cases ------------------------------------------------------------


def test_metrics_of_four_cases_by_hand():
    ranks = [1, 0, 2, 3]  # hit at 1, miss, hit at 2, hit at 3; K = 3
    assert hit_rate(ranks) == pytest.approx(0.75)
    assert precision(ranks, limit=3) == pytest.approx(0.25)  # 3 hits / (4 cases x 3 slots)
    assert ndcg(ranks) == pytest.approx((1 + 0 + 1 / math.log2(3) + 1 / math.log2(4)) / 4)
    assert ndcg(ranks) == pytest.approx(0.5327324383928644)
    assert mrr(ranks) == pytest.approx((1 + 0 + 1 / 2 + 1 / 3) / 4)


def test_metrics_of_no_cases_are_zero_not_nan():
    assert (hit_rate([]), ndcg([]), mrr([])) == (0.0, 0.0, 0.0)


def test_ranks_of_ignores_unknown_hidden_items_and_padding():
    suggested = np.array([[5, 1, -1], [2, 3, 4], [-1, -1, -1], [7, -2, -1]])
    assert ranks_of(suggested, np.array([1, 4, -1, -1])).tolist() == [2, 3, 0, 0]


def test_coverage_and_revenue_by_hand():
    assert coverage(np.array([[0, 1, 2], [2, 1, -1]]).ravel(), 8) == pytest.approx(3 / 8)
    # Hits on the 10 and the 20, a miss on the 70; the unpriced case counts in neither sum.
    assert revenue_hit_rate([1, 3, 0, 2], [10.0, 20.0, 70.0, float("nan")]) == pytest.approx(30 / 100)
    assert revenue_hit_rate([1, 0], [float("nan"), float("nan")]) is None


def test_bad_ranks_are_refused():
    with pytest.raises(InputError, match="rank"):
        hit_rate([1, -1])


# -- baselines ---------------------------------------------------------------------------------


def test_top_k_breaks_ties_by_column_and_never_takes_excluded():
    scores = np.array([[1.0, 3.0, 3.0, 3.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0], [-np.inf, 2.0, -np.inf, -np.inf, -np.inf]])
    assert top_k(scores, 2).tolist() == [[1, 2], [0, 1], [1, -1]]


def _case(cart: tuple[str, ...], hidden: str) -> Cases:
    return Cases(carts=(cart,), hidden=(hidden,), rows=np.array([0]))


def test_cooccurrence_counts_and_cosine_by_hand():
    # a with b once, a with c twice; c is in 12 baskets, b in 1, a in 3.
    train = Baskets.from_lists([["a", "b"], ["a", "c"], ["a", "c"]] + [["c"]] * 10)
    case = _case(("a",), "b")
    items = train.items  # ('a', 'b', 'c')
    # Counts: c 2, b 1. Cosine: b 1/sqrt(3*1) = 0.577 beats c 2/sqrt(3*12) = 0.333.
    assert [items[i] for i in Cooccurrence(train).suggest(case, limit=2).suggested[0]] == ["c", "b"]
    assert [items[i] for i in Cooccurrence(train, cosine=True).suggest(case, limit=2).suggested[0]] == ["b", "c"]
    together = Cooccurrence(train).together_.toarray()
    assert together.tolist() == [[0, 1, 2], [1, 0, 0], [2, 0, 0]]


def test_popular_skips_the_cart_and_breaks_ties_by_id():
    train = Baskets.from_lists([["b", "c"], ["c", "a"], ["b", "d"], ["d"]])  # a 1, b 2, c 2, d 2
    answer = Popular(train).suggest(_case(("c",), "a"), limit=3)
    assert [train.items[i] for i in answer.suggested[0]] == ["b", "d", "a"]
    assert answer.fallback.tolist() == [False]


def test_cooccurrence_falls_back_when_few_items_co_occur():
    train = Baskets.from_lists([["a", "b"], ["c"], ["c"], ["d"]])
    answer = Cooccurrence(train).suggest(_case(("a",), "b"), limit=3)
    assert [train.items[i] for i in answer.suggested[0]] == ["b", "c", "d"]  # then popularity
    assert answer.fallback.tolist() == [True]


def test_random_system_is_seeded():
    train = Baskets.from_lists([[str(i) for i in range(50)]])
    cases = Cases(carts=(("0",), ("1",)), hidden=("2", "3"), rows=np.array([0, 1]))
    first = RandomItems(train, seed=4).suggest(cases, limit=5).suggested
    assert np.array_equal(first, RandomItems(train, seed=4).suggest(cases, limit=5).suggested)
    assert not np.array_equal(first, RandomItems(train, seed=5).suggest(cases, limit=5).suggested)


# -- the split leaks nothing -------------------------------------------------------------------


def test_random_split_is_a_partition_and_train_knows_only_train_items():
    lists = [["a", "b"], ["b", "c"], ["only-test", "a"], ["c", "d"], ["d", "e"], ["a", "e"]] * 5
    lists[2] = ["rare", "a"]  # "rare" is in exactly one basket
    baskets = read_baskets(lists)
    split = split_baskets(baskets, test_share=0.3, seed=1)
    train_rows, test_rows = set(split.train_rows.tolist()), set(split.test_rows.tolist())
    assert not train_rows & test_rows and train_rows | test_rows == set(range(len(baskets)))
    assert len(split.test) == round(0.3 * len(baskets))
    # Train baskets are the input's baskets at the train rows, over a vocabulary of their own.
    assert [split.train.basket(i) for i in range(len(split.train))] == [baskets.basket(r) for r in split.train_rows]
    seen = {item for i in range(len(split.train)) for item in split.train.basket(i)}
    assert set(split.train.items) == seen
    counts = dict(zip(split.train.items, split.train.item_counts().tolist()))
    assert counts == {item: sum(item in baskets.basket(r) for r in split.train_rows) for item in seen}
    rare_in_train = bool({int(r) for r in split.train_rows} & {2})
    assert ("rare" in split.train.items) == rare_in_train


def _timed_orders() -> pd.DataFrame:
    """12 old orders ({a,b} x3, {c} x5, {d} x4) and the latest, {a,b}; prices for a and b."""
    baskets = [["a", "b"]] * 3 + [["c"]] * 5 + [["d"]] * 4 + [["a", "b"]]
    rows = []
    # Orders are listed out of time order: the split must sort by time, not by line.
    days = [12, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 30]
    for number, (basket, day) in enumerate(zip(baskets, days)):
        for item in basket:
            price = {"a": 2.0, "b": 4.0, "c": 1.0, "d": 1.0}[item]
            rows.append({"order": f"o{number}", "item": item, "price": price,
                         "time": pd.Timestamp("2024-01-01") + pd.Timedelta(days=day)})  # fmt: skip
    return pd.DataFrame(rows)


def test_time_split_holds_out_the_latest_orders():
    baskets = read_baskets(_timed_orders())
    split = split_baskets(baskets, test_share=0.25, seed=0)
    assert split.method == "time" and len(split.test) == 3
    assert split.train.timestamps.max() <= split.test.timestamps.min()
    assert set(split.test.basket_ids) == {"o12", "o11", "o0"}  # days 30, 12 and 10
    assert not set(split.test.basket_ids) & set(split.train.basket_ids)
    # The catalog of the train orders holds only train items.
    assert set(split.train.catalog.index) == set(split.train.items)


def test_random_split_is_forced_without_timestamps_and_time_split_refused():
    baskets = read_baskets([["a", "b"], ["b", "c"], ["c", "a"]])
    assert split_baskets(baskets, test_share=0.34).method == "random"
    with pytest.raises(InputError, match="timestamp"):
        split_baskets(baskets, method="time")


def test_hidden_item_does_not_depend_on_the_cap():
    baskets = read_baskets(data_file("groceries.csv"))
    test = subset_baskets(baskets, np.arange(2000))
    every = leave_one_out(test, seed=5)
    some = leave_one_out(test, seed=5, max_cases=100)
    assert len(some) == 100 and every.eligible == some.eligible == len(every)
    hidden = dict(zip(every.rows.tolist(), every.hidden))
    assert all(hidden[row] == item for row, item in zip(some.rows.tolist(), some.hidden))


# -- evaluate end to end -----------------------------------------------------------------------


def test_evaluate_by_hand_on_a_time_split():
    # Mined on the 12 old orders; the one case is {a,b} with either item hidden, K = 2.
    result = evaluate(_timed_orders(), limit=2, test_share=0.05, min_support=0.2, workers=1,
                      systems=("rules", "popular", "cooccurrence"))  # fmt: skip
    counts = result.counts
    assert (result.split, counts.train_baskets, counts.test_baskets, counts.cases) == ("time", 12, 1, 1)
    assert counts.train_items == 4 and counts.rules == 2  # a -> b and b -> a
    rules, popular, cooc = result["rules"], result["popular"], result["cooccurrence"]
    # Rules: the other item first (confidence 1, lift 4), then the most popular, c: a hit at rank 1.
    assert (rules.hit_rate, rules.ndcg, rules.mrr, rules.precision) == pytest.approx((1.0, 1.0, 1.0, 0.5))
    assert (rules.coverage, rules.fallback_share, rules.revenue_hit_rate) == pytest.approx((0.5, 1.0, 1.0))
    # Popular: c (5 baskets) and d (4) beat a and b (3 each): a miss.
    assert (popular.hit_rate, popular.ndcg, popular.coverage, popular.revenue_hit_rate) == pytest.approx(
        (0.0, 0.0, 0.5, 0.0)
    )
    # Co-occurrence: the other item (3 baskets together), then c; one item co-occurs: a fallback.
    assert (cooc.hit_rate, cooc.ndcg, cooc.fallback_share) == pytest.approx((1.0, 1.0, 1.0))
    shape = result.as_dict()
    assert shape["limit"] == 2 and set(shape["systems"]) == {"rules", "popular", "cooccurrence"}
    assert shape["thresholds"]["min_support"] == pytest.approx(0.2) and shape["thresholds"]["min_count"] == 3


def test_evaluate_leaves_out_the_items_named_like_mine(tmp_path, capsys):
    # Without c (5 of the 12 old orders), d is the best seller and the other of a and b comes
    # second: popular items hit the hidden one where they missed it behind c and d.
    result = evaluate(_timed_orders(), limit=2, test_share=0.05, min_support=0.2, workers=1,
                      systems=("rules", "popular"), exclude_items=["c"])  # fmt: skip
    assert (result.counts.train_baskets, result.counts.train_items) == (7, 3)
    assert result["popular"].hit_rate == 1.0
    orders, excluded = tmp_path / "orders.csv", tmp_path / "leave_out.txt"
    _timed_orders().to_csv(orders, index=False)
    excluded.write_text("c  # a non-product line\n")
    arguments = ["--test-share", "0.05", "--min-support", "0.2", "--workers", "1", "--systems", "popular",
                 "--limit", "2", "--format", "json"]  # fmt: skip
    assert main(["evaluate", str(orders), *arguments, "--exclude-items", str(excluded)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["counts"]["train_items"], shown["systems"]["popular"]["hit_rate"]) == (3, 1.0)
    assert main(["evaluate", str(orders), *arguments, "--exclude-items", "c", "--keep-items", "c"]) == 2
    assert "both to exclude and to keep" in capsys.readouterr().err


def test_evaluate_refuses_bad_settings_with_the_fix():
    with pytest.raises(ConfigError, match="systems must be some of"):
        evaluate([["a", "b"], ["a", "b"]], systems=("rules", "magic"))
    with pytest.raises(ConfigError, match="test_share"):
        evaluate([["a", "b"], ["a", "b"]], test_share=0.0)
    with pytest.raises(InputError, match="two or more items"):
        evaluate([["a"], ["b"], ["c"], ["a"], ["b"]], test_share=0.4, min_support=0.2)


@pytest.mark.slow
def test_groceries_scores_are_sensible_and_deterministic():
    groceries = data_file("groceries.csv")
    options = {"max_cases": 600, "seed": 3, "workers": 1,
               "systems": ("rules", "popular", "cooccurrence", "cosine", "random")}  # fmt: skip
    result = evaluate(groceries, **options)
    again = evaluate(groceries, **options)
    assert again.as_dict()["systems"] == result.as_dict()["systems"]
    assert again.counts == result.counts
    assert result.split == "random" and result.counts.cases == 600 and result.counts.train_baskets == 7868
    floor = 3 / result.counts.train_items  # a random guess among 169 items: 0.018
    assert result["random"].hit_rate < 3 * floor
    for name in ("rules", "cooccurrence", "cosine", "popular"):
        scores = result[name]
        # Groceries' baskets are small and dominated by a few staples: between 1 in 10 and 1 in 3.
        assert 0.1 < scores.hit_rate < 0.35, name
        assert scores.ndcg < scores.hit_rate and scores.mrr <= scores.ndcg
    assert result["rules"].hit_rate > 5 * floor and result["cooccurrence"].hit_rate > 5 * floor
    assert result["popular"].coverage < result["rules"].coverage  # popular says the same few items
    other = evaluate(groceries, **{**options, "seed": 4})
    assert other.as_dict()["systems"] != result.as_dict()["systems"]


# -- the command line --------------------------------------------------------------------------


def run(capsys, *argv):
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.slow
def test_cli_evaluate_json_and_table(capsys):
    groceries = str(data_file("groceries.csv"))
    status, out, err = run(capsys, "evaluate", groceries, "--max-cases", "200", "--format", "json", "--workers", "1",
                           "--combine", "cumulative")  # fmt: skip
    assert status == 0, err
    answer = json.loads(out)
    assert answer["dataset"] == "groceries.csv" and answer["limit"] == 3
    assert answer["ranking"]["combine"] == "cumulative" and answer["ranking"]["min_lift"] == 1.0
    assert set(answer["systems"]) == {"rules", "popular", "cooccurrence", "cosine", "ease"}
    metrics = {"hit_rate", "precision", "ndcg", "mrr", "coverage", "fallback_share", "revenue_hit_rate"}
    assert all(set(scores) == metrics for name, scores in answer["systems"].items() if name not in ("ease", "rules"))
    # The rules' ranking says how it added up the evidence.
    assert (
        set(answer["systems"]["rules"]) == metrics | {"ranking"}
        and answer["systems"]["rules"]["ranking"] == "cumulative"
    )
    # EASE adds what it chose: lambda (on a validation split of the train orders) and its items.
    assert metrics | {"lambda", "lambda_source", "items_modelled", "items_total"} <= set(answer["systems"]["ease"])
    assert answer["counts"]["cases"] == 200 and answer["split"]["method"] == "random"
    status, out, _ = run(capsys, "evaluate", "--systems", "popular", groceries, "--max-cases", "200", "--limit", "5",
                         "--systems", "cosine", "--workers", "1")  # fmt: skip
    lines = out.splitlines()
    assert status == 0 and "200 cases" in lines[0] and "support >= 0.001" in lines[0]
    assert lines[1].split()[:3] == ["system", "hit@5", "prec@5"]
    assert [line.split()[0] for line in lines[2:]] == ["popular", "cosine"]
    # The default ranking is learned: evaluate shows what mining chose for it, in JSON and under the table.
    status, out, err = run(capsys, "evaluate", groceries, "--max-cases", "200", "--systems", "rules", "--workers", "1",
                           "--format", "json")  # fmt: skip
    rules = json.loads(out)["systems"]["rules"]
    assert status == 0 and rules["ranking"] == "learned" and rules["items_modelled"] == 168 and rules["weights"] > 0
    assert rules["lambda"] in (3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)
    assert rules["confidence_term"] in (0.0, 0.1, 0.3) and rules["bias_scale"] in (0.0, 0.25, 0.5, 0.75, 1.0)
    status, out, _ = run(capsys, "evaluate", groceries, "--max-cases", "200", "--systems", "rules", "--workers", "1")
    assert status == 0 and f"rules: learned weights, lambda {rules['lambda']:g}," in out


def test_cli_evaluate_bad_input_exits_2_with_a_sentence(tmp_path, capsys):
    status, out, err = run(capsys, "evaluate", str(tmp_path / "missing.csv"))
    assert status == 2 and not out and "does not exist" in err and "Traceback" not in err
    singles = tmp_path / "singles.csv"
    singles.write_text("a\nb\nc\na\nb\n")
    status, _, err = run(capsys, "evaluate", str(singles), "--test-share", "0.4", "--min-support", "0.2")
    assert status == 2 and "two or more items" in err
    status, _, err = run(capsys, "evaluate", str(singles), "--test-share", "2")
    assert status == 2 and "test_share must be a share" in err
