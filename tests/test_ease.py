"""EASE, the accuracy anchor of `evaluate`: exact weights on a hand-checked fixture, lambda chosen
on the train orders alone, the most-frequent-items bound stated, and the command line."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from recommender import ConfigError, evaluate, read_baskets
from recommender.cli import main
from recommender.evaluation import Cases, split_baskets
from recommender.evaluation import baselines as baselines_module
from recommender.evaluation.baselines import EASE, EASE_DEFAULT_LAMBDA, basket_matrix, ease_weights
from recommender.io import Baskets

from .conftest import data_file

# a in 4 baskets, b in 4, c in 3; a+b 3, a+c 2, b+c 2. Items are a, b, c in this order.
FIXTURE = [["a", "b"], ["a", "b"], ["a", "c"], ["b", "c"], ["a", "b", "c"]]


def _direct_ease(gram: np.ndarray, l2: float) -> np.ndarray:
    """EASE written as the paper states it, independently of the code under test."""
    p = np.linalg.inv(gram + l2 * np.eye(len(gram)))
    b = -p / np.diag(p)  # column j divided by -P[j, j]
    np.fill_diagonal(b, 0.0)
    return b


def _case(*carts: tuple[str, ...]) -> Cases:
    return Cases(carts=carts, hidden=("zzz",) * len(carts), rows=np.arange(len(carts)))


def test_weights_by_hand_on_three_items():
    train = Baskets.from_lists(FIXTURE)
    gram = basket_matrix(train).T @ basket_matrix(train)
    assert gram.toarray().tolist() == [[4, 3, 2], [3, 4, 2], [2, 2, 3]]
    # G + I = [[5,3,2],[3,5,2],[2,2,4]], determinant 48; its inverse is the adjugate over 48:
    # P = [[16,-8,-4],[-8,16,-4],[-4,-4,16]] / 48, so B[i, j] = -P[i, j] / P[j, j]:
    by_hand = np.array([[0.0, 0.5, 0.25], [0.5, 0.0, 0.25], [0.25, 0.25, 0.0]])
    ease = EASE(train, l2=1.0)
    assert ease.weights_ == pytest.approx(by_hand, abs=1e-12)
    assert ease.weights_ == pytest.approx(_direct_ease(gram.toarray(), 1.0), abs=1e-12)
    assert dict(ease.details())["lambda_source"] == "given"


def test_weights_equal_the_direct_formula_on_random_baskets():
    rng = np.random.default_rng(7)
    x = (rng.random((400, 60)) < 0.08).astype(float)
    gram = x.T @ x
    before = gram.copy()
    for l2 in (0.5, 10.0, 300.0):
        assert ease_weights(gram, l2) == pytest.approx(_direct_ease(gram, l2), rel=1e-9, abs=1e-12)
    assert np.array_equal(gram, before)  # the Gram matrix is not modified


def test_scores_are_sums_of_weight_rows_and_the_cart_is_never_suggested():
    train = Baskets.from_lists(FIXTURE)
    ease = EASE(train, l2=1.0)
    # Cart {a}: b 0.5, c 0.25. Cart {a, b}: c 0.25 + 0.25 = 0.5, then nothing left but -1.
    # Cart {c}: a and b tie at 0.25; a and b tie on popularity (4 baskets each), so by id.
    answer = ease.suggest(_case(("a",), ("a", "b"), ("c",)), limit=2)
    named = [[train.items[i] if i >= 0 else None for i in row] for row in answer.suggested]
    assert named == [["b", "c"], ["c", None], ["a", "b"]]
    assert answer.fallback.tolist() == [False, False, False]


def test_only_the_most_frequent_items_are_modelled_and_that_is_stated():
    # d is the rarest item: with room for three items, it gets no score and is never suggested.
    train = Baskets.from_lists(FIXTURE + [["a", "d"]])
    ease = EASE(train, l2=1.0, max_items=3)
    assert [train.items[i] for i in ease.modelled_] == ["a", "b", "c"]
    details = dict(ease.details())
    assert (details["items_modelled"], details["items_total"]) == (3, 4)
    gram = basket_matrix(train).toarray()[:, :3]
    assert ease.weights_ == pytest.approx(_direct_ease(gram.T @ gram, 1.0), abs=1e-12)
    answer = ease.suggest(_case(("a",), ("d",)), limit=3)
    d = train.items.index("d")
    assert d not in answer.suggested
    # A cart of unmodelled items only: the most popular modelled items, counted as a fallback.
    assert [train.items[i] for i in answer.suggested[1]] == ["a", "b", "c"]
    assert answer.fallback.tolist() == [False, True]


def test_lambda_is_refused_unless_positive():
    train = Baskets.from_lists(FIXTURE)
    for bad in (0.0, -1.0, float("nan"), ()):
        with pytest.raises(ConfigError, match="lambda"):
            EASE(train, l2=bad)
    with pytest.raises(ConfigError, match="max_items"):
        EASE(train, l2=1.0, max_items=0)


def test_no_validation_case_means_the_default_lambda_said_so():
    ease = EASE(Baskets.from_lists([["a"], ["b"], ["c"], ["a"], ["b"]]))
    details = dict(ease.details())
    assert (details["lambda"], details["lambda_source"], details["validation_cases"]) == (
        EASE_DEFAULT_LAMBDA,
        "default",
        0,
    )


# -- lambda comes from the train orders only ----------------------------------------------------


def test_validation_cases_are_train_baskets_and_lambda_the_best_of_the_grid():
    baskets = read_baskets(data_file("groceries.csv"))
    train = split_baskets(baskets, test_share=0.2, seed=0).train
    ease = EASE(train, seed=1, max_cases=800)
    cases = ease.validation_cases_
    assert cases is not None and len(cases) == 800 == len(ease.validation_rows_)
    # Every validation case is a train basket, split into a cart and its hidden item.
    for cart, hidden, row in zip(cases.carts, cases.hidden, ease.validation_rows_.tolist()):
        assert set(cart) | {hidden} == set(train.basket(row)) and hidden not in cart
    details = dict(ease.details())
    grid = dict(zip(details["validation_lambdas"], zip(details["validation_hit_rate"], details["validation_ndcg"])))
    assert {10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0} <= set(grid) and len(grid) >= 7  # the grid, refined
    assert details["lambda_source"] == "validation" and details["lambda"] in grid
    assert grid[details["lambda"]] == max(grid.values())


def _timed(baskets: list[list[str]]) -> pd.DataFrame:
    """Long orders, one a day: a time split holds out the last ones."""
    return pd.DataFrame(
        [{"order": f"o{n}", "item": item, "time": pd.Timestamp("2024-01-01") + pd.Timedelta(days=n)}
         for n, basket in enumerate(baskets) for item in basket]
    )  # fmt: skip


@pytest.mark.slow
def test_the_test_orders_never_influence_lambda():
    groceries = read_baskets(data_file("groceries.csv"))
    lists = [list(groceries.basket(i)) for i in range(2500)]
    # The latest 20% are the test orders; give them other contents (each basket reversed in
    # the catalogue's order of items: a different item set of the same size).
    items = sorted(groceries.items)
    mirror = dict(zip(items, reversed(items)))
    changed = lists[:2000] + [[mirror[item] for item in basket] for basket in lists[2000:]]
    options = {"systems": ("ease",), "max_cases": 400, "workers": 1, "min_support": 0.01}
    first = evaluate(_timed(lists), **options)
    second = evaluate(_timed(changed), **options)
    assert first.split == second.split == "time" and first.counts.train_baskets == 2000
    a, b = first.as_dict()["systems"]["ease"], second.as_dict()["systems"]["ease"]
    assert a["validation_method"] == "time" and a["validation_cases"] > 100
    chosen = ("lambda", "lambda_source", "validation_cases", "validation_lambdas", "validation_hit_rate",
              "validation_ndcg", "items_modelled")  # fmt: skip
    assert {key: a[key] for key in chosen} == {key: b[key] for key in chosen}
    assert a["hit_rate"] != b["hit_rate"]  # the test orders did change


# -- evaluate and the command line -------------------------------------------------------------


@pytest.mark.slow
def test_evaluate_states_lambda_and_items_in_json_and_table(capsys, monkeypatch):
    groceries = str(data_file("groceries.csv"))
    assert main(["evaluate", groceries, "--systems", "ease", "--max-cases", "200", "--format", "json",
                 "--workers", "1"]) == 0  # fmt: skip
    answer = json.loads(capsys.readouterr().out)
    ease = answer["systems"]["ease"]
    assert list(answer["systems"]) == ["ease"] and ease["lambda_source"] == "validation"
    assert ease["lambda"] in ease["validation_lambdas"] and ease["items_modelled"] == ease["items_total"] == 168
    assert 0.1 < ease["hit_rate"] < 0.35
    # Fewer items than the train holds: the table says how many were modelled, and lambda.
    monkeypatch.setattr(baselines_module, "EASE_MAX_ITEMS", 100)
    assert main(["evaluate", groceries, "--systems", "ease,popular", "--max-cases", "200", "--workers", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[2:4]] == ["ease", "popular"]
    (note,) = [line for line in lines if line.startswith("ease: lambda ")]
    # (lambda is chosen again on the 100 items; it is one of the lambdas tried)
    shown = re.match(r"ease: lambda ([0-9.e+]+) chosen by hit@3 on [0-9,]+ validation cases of the train orders "
                     r"\(random split; tried ([0-9., e+]+)\)", note)  # fmt: skip
    assert shown and shown.group(1) in shown.group(2).split(", ")
    assert note.endswith("; 100 of 168 train items modelled")
