"""The learned ranking: item-item weights fitted at mining time (EASE on mined pairs), stored in
the model, added up over the cart by the ranking, each suggestion explained by a mined pair."""

from __future__ import annotations

import numpy as np
import pytest

from recommender import RankingConfig, Recommender, mine
from recommender.artifact import read_model, write_model
from recommender.io.baskets import Baskets
from recommender.mining.weights import fit_item_weights

BASKETS = (
    [["tea", "kettle", "mug"]] * 5
    + [["tea", "kettle"]] * 3
    + [["coffee", "filters"]] * 4
    + [["coffee", "mug"]] * 3
    + [["cake", "tea"]] * 2
    + [["cake"]] * 2
    + [["biscuits", "mug"]]  # seen together once: no weight
)


def ease_by_hand(baskets: Baskets, lam: float) -> dict[tuple[str, str], float]:
    """The closed form written out independently: G = X'X, P = (G + lam I)^-1,
    B[i, j] = -P[i, j] / P[j, j], zero diagonal; kept: the positive weights of pairs seen twice."""
    items = list(baskets.items)
    x = np.zeros((len(baskets), len(items)))
    for row in range(len(baskets)):
        x[row, baskets.indices[baskets.indptr[row] : baskets.indptr[row + 1]]] = 1
    g = x.T @ x
    seen = g >= 2
    p = np.linalg.inv(g + lam * np.eye(len(items)))
    b = -p / np.diag(p)
    np.fill_diagonal(b, 0)
    return {
        (items[i], items[j]): b[i, j]
        for i in range(len(items))
        for j in range(len(items))
        if b[i, j] > 0 and seen[i, j] > 0
    }


def test_the_weights_are_ease_kept_to_the_pairs_seen_together():
    baskets = Baskets.from_lists(BASKETS)
    fitted = fit_item_weights(baskets, lambdas=(2.0,), per_item=10)
    got = {(baskets.items[a], baskets.items[b]): w for a, b, w, _ in fitted.triples}
    expected = ease_by_hand(baskets, 2.0)
    assert got.keys() == expected.keys()
    assert [got[k] for k in sorted(got)] == pytest.approx([expected[k] for k in sorted(expected)])
    # Each weight carries the baskets behind its pair: tea and kettle, 8; never biscuits and mug (1).
    pairs = {(baskets.items[a], baskets.items[b]): n for a, b, _, n in fitted.triples}
    assert pairs[("tea", "kettle")] == 8 and ("biscuits", "mug") not in pairs
    assert fitted.lambda_ == 2.0 and fitted.items_modelled == len(baskets.items)


def test_lambda_is_chosen_on_a_validation_split_and_recorded():
    baskets = Baskets.from_lists(BASKETS * 20)
    fitted = fit_item_weights(baskets, lambdas=(1.0, 10.0, 100.0))
    assert set(fitted.validation) == {1.0, 10.0, 100.0}
    best = max(fitted.validation.values())
    assert fitted.validation[fitted.lambda_] == best
    assert fitted.as_dict()["lambda"] == fitted.lambda_


def test_only_the_most_frequent_items_are_modelled_when_asked():
    baskets = Baskets.from_lists(BASKETS)
    fitted = fit_item_weights(baskets, lambdas=(2.0,), max_items=3)
    modelled = {baskets.items[a] for a, _, _, _ in fitted.triples} | {baskets.items[b] for _, b, _, _ in fitted.triples}
    assert fitted.items_modelled == 3 and modelled <= {"tea", "mug", "kettle"}


@pytest.fixture(scope="module")
def model():
    return mine(BASKETS, min_support=0.1, min_confidence=0.1)


def test_learned_scores_add_the_cart_items_weights_and_name_the_strongest_pair(model, tmp_path):
    data = read_model(write_model(model.data, tmp_path / "m.rcm"))  # weights survive the file
    assert data.weights == model.data.weights and data.weights
    rec = Recommender(data, config=RankingConfig(combine="learned"))
    items = data.items
    weights = {(items[a], items[b]): (w, n) for a, b, w, n in data.weights}
    answer = rec.recommend(["tea", "coffee"], limit=3, kinds=["cross_sell"])
    for suggestion in answer.items:
        adds = [weights[(c, suggestion.item_id)] for c in ("tea", "coffee") if (c, suggestion.item_id) in weights]
        assert suggestion.score == pytest.approx(sum(w for w, _ in adds))
        because = suggestion.reason["because"][0]
        strongest = max(adds)
        assert weights[(because, suggestion.item_id)] == strongest
        assert suggestion.reason["baskets"] == strongest[1]
        together, alone = strongest[1], data.item_counts[items.index(because)]
        assert suggestion.reason["confidence"] == pytest.approx(together / alone)
        assert "in the cart" in suggestion.reason["text"]
    scores = [s.score for s in answer.items]
    assert scores == sorted(scores, reverse=True)


def test_a_model_without_weights_ranks_learned_as_the_strongest_rule(model):
    import dataclasses

    without = dataclasses.replace(model.data, weights=())
    learned = Recommender(without, config=RankingConfig(combine="learned"))
    plain = Recommender(without, config=RankingConfig(combine="max"))
    for cart in (["tea"], ["coffee", "mug"], ["cake"], []):
        assert learned.recommend(cart).items == plain.recommend(cart).items


def test_a_trace_of_the_learned_ranking_lists_its_candidates(model):
    rec = Recommender(model.data, config=RankingConfig(combine="learned"))
    answer = rec.recommend(["tea"], limit=2, trace=True)
    assert {line.source for line in answer.trace} >= {"weights"}
    assert [line.item_id for line in answer.trace if line.status == "shown"] == list(answer.item_ids)
