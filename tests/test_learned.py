"""The learned ranking: item-item weights fitted at mining time (EASE on mined pairs), stored in
the model with the two terms chosen beside them, added up over the cart by the ranking, each
suggestion explained by a mined pair."""

from __future__ import annotations

import math
import random
import sys
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recommender import RankingConfig, Recommender, mine
from recommender.artifact import read_model, write_model
from recommender.config import OBJECTIVES
from recommender.io.baskets import Baskets
from recommender.mining.weights import fit_item_weights
from recommender.model_data import WeightTerms
from recommender.ranking.cart import read_cart
from recommender.ranking.items import ItemTable
from recommender.ranking.learned import LearnedWeights, _distinct
from recommender.ranking.scores import value

BASKETS = (
    [["tea", "kettle", "mug"]] * 5
    + [["tea", "kettle"]] * 3
    + [["coffee", "filters"]] * 4
    + [["coffee", "mug"]] * 3
    + [["cake", "tea"]] * 2
    + [["cake"]] * 2
    + [["biscuits", "mug"]]  # seen together once: no weight
)


def ease_by_hand(baskets: Baskets, lam: float) -> tuple[dict[tuple[str, str], float], np.ndarray, np.ndarray]:
    """The closed form with an intercept written out independently: the baskets' 0/1 matrix X
    less each column's mean (Xc), P = (Xc'Xc + lam I)^-1, B[i, j] = -P[i, j] / P[j, j], zero
    diagonal, and the intercept of each item's regression, mean(X[:, j]) - mean(X) @ B[:, j];
    every nonzero weight, G = X'X and the intercepts."""
    items = list(baskets.items)
    x = np.zeros((len(baskets), len(items)))
    for row in range(len(baskets)):
        x[row, baskets.indices[baskets.indptr[row] : baskets.indptr[row + 1]]] = 1
    centred = x - x.mean(axis=0)
    p = np.linalg.inv(centred.T @ centred + lam * np.eye(len(items)))
    b = -p / np.diag(p)
    np.fill_diagonal(b, 0)
    weights = {(items[i], items[j]): b[i, j] for i in range(len(items)) for j in range(len(items)) if b[i, j] != 0}
    return weights, x.T @ x, x.mean(axis=0) - x.mean(axis=0) @ b


def test_the_weights_are_ease_positive_on_pairs_seen_twice_negative_on_any():
    """The weights and biases are EASE's with an intercept. A positive weight explains a
    suggestion, so it needs a pair bought together twice; a negative one only lowers a score,
    and is kept between items never bought together too."""
    baskets = Baskets.from_lists(BASKETS)
    fitted = fit_item_weights(baskets, lambdas=(2.0,), confidence_terms=(0.0,), bias_scales=(1.0,), per_item=20)
    got = {(baskets.items[a], baskets.items[b]): w for a, b, w, _ in fitted.triples}
    weights, g, bias = ease_by_hand(baskets, 2.0)
    assert fitted.bias == pytest.approx(bias.tolist()) and fitted.terms.bias == fitted.bias
    at = {item: k for k, item in enumerate(baskets.items)}
    expected = {pair: w for pair, w in weights.items() if w < 0 or g[at[pair[0]], at[pair[1]]] >= 2}
    assert got.keys() == expected.keys()
    assert [got[k] for k in sorted(got)] == pytest.approx([expected[k] for k in sorted(expected)])
    assert any(w < 0 and g[at[a], at[b]] == 0 for (a, b), w in got.items())  # never together, kept
    # Each weight carries the baskets behind its pair: tea and kettle, 8; never biscuits and mug (1).
    pairs = {(baskets.items[a], baskets.items[b]): n for a, b, _, n in fitted.triples}
    assert pairs[("tea", "kettle")] == 8 and ("biscuits", "mug") not in pairs
    assert all(n == g[at[a], at[b]] for (a, b), n in pairs.items())
    assert fitted.lambda_ == 2.0 and fitted.items_modelled == len(baskets.items)


def test_each_item_keeps_its_largest_positive_and_most_negative_weights():
    baskets = Baskets.from_lists(BASKETS)
    everything = fit_item_weights(baskets, lambdas=(2.0,), confidence_terms=(0.0,), bias_scales=(0.0,))
    four = fit_item_weights(baskets, lambdas=(2.0,), confidence_terms=(0.0,), bias_scales=(0.0,), per_item=4)
    by_source: dict[int, list[float]] = {}
    for a, _, w, _ in everything.triples:
        by_source.setdefault(a, []).append(w)
    expected = sorted(
        w
        for ws in by_source.values()
        for w in sorted((w for w in ws if w > 0), reverse=True)[:2] + sorted(w for w in ws if w < 0)[:2]
    )
    assert sorted(w for _, _, w, _ in four.triples) == pytest.approx(expected)


def chosen_by_the_rule(fitted, per_item, *, cases_agree: bool):
    """The setting the validation chooses among those keeping ``per_item`` weights: the most
    accurate (mean of hit rate and NDCG), or, when ``cases_agree`` that it is clearly better,
    the best accuracy plus each hit beyond the best sellers twice more. Ties: a larger lambda,
    smaller terms."""
    tried = {s: v for s, v in fitted.validation.items() if s[3] == per_item}
    share = fitted.beyond_share
    if cases_agree:
        return max(tried, key=lambda s: ((tried[s][0] + tried[s][1]) / 2 + 2 * share * tried[s][2], s[0], -s[1], -s[2]))
    return max(tried, key=lambda s: ((tried[s][0] + tried[s][1]) / 2, s[0], -s[1], -s[2]))


def test_lambda_and_the_terms_are_chosen_on_a_validation_split_and_recorded():
    baskets = Baskets.from_lists(BASKETS * 20)
    fitted = fit_item_weights(baskets, lambdas=(1.0, 10.0, 100.0), confidence_terms=(0.0, 0.3), bias_scales=(0.0,))
    # Six items: 50 weights per item keep them all, so no larger number is tried.
    assert set(fitted.validation) == {(lam, c, 0.0, 50) for lam in (1.0, 10.0, 100.0) for c in (0.0, 0.3)}
    chosen = (fitted.lambda_, fitted.confidence_term, fitted.bias_scale, fitted.per_item)
    # Seven items: every case is a best seller's, so the worth is the accuracy.
    assert chosen == chosen_by_the_rule(fitted, 50, cases_agree=False)
    # Seven items, all among the 10 best sellers: no case reaches past them.
    assert fitted.beyond_share == 0.0 and fitted.as_dict()["validation_share_beyond_best_sellers"] == 0.0
    recorded = fitted.as_dict()
    assert (recorded["lambda"], recorded["confidence_term"], recorded["bias_scale"]) == chosen[:3]
    assert recorded["weights_per_item"] == 50 and recorded["settings_tried"] == 6


def test_more_weights_per_item_only_when_the_validation_cases_show_them_clearly_better(data):
    """On a synthetic FIMI set (IBM Quest, baskets made of long overlapping patterns) an item's
    50 strongest weights leave out much of what predicts: every larger number tried is clearly
    better there, so the most are kept. On Groceries, 100 per item is tried and is not clearly
    more accurate (within the cases' noise), so the fewest are kept. (Quest's first
    30,000 baskets: 200 per item, and 400 tried and not clearly better; on all of them, 400.)"""
    from recommender.evaluation.splits import subset_baskets
    from recommender.io import read_baskets

    quest = read_baskets(data("T10I4D100K.dat.xz"))
    fitted = fit_item_weights(subset_baskets(quest, np.arange(30_000)))
    best = {n: max(sum(v[:2]) / 2 for s, v in fitted.validation.items() if s[3] == n) for n in (50, 100, 200, 400)}
    assert best[50] < best[100] < best[200] and fitted.per_item >= 200
    assert best[fitted.per_item] - best[50] > 0.03  # the hit rate alone: 0.70 to 0.74 on the whole set

    groceries = fit_item_weights(read_baskets(data("groceries.csv")))
    assert groceries.per_item == 50 and {s[3] for s in groceries.validation} == {50, 100}


def test_a_larger_number_of_weights_must_beat_the_smaller_by_twice_its_standard_error():
    from recommender.mining.weights import _clearly_better

    rng = np.random.default_rng(0)
    base = rng.random(1_000)
    assert not _clearly_better(base, base)  # the same cases, the same values
    assert _clearly_better(base + 0.01, base)  # better on every case
    # A mean gain of 0.05 with a spread of 1 per case: a standard error of about 0.032 over
    # 1,000 cases, so 0.05 is within two of them; over 10,000 cases (0.01) it is not.
    noise = rng.standard_normal(10_000)
    noise = (noise - noise.mean()) / noise.std(ddof=1)
    assert not _clearly_better(noise[:1_000] - noise[:1_000].mean() + 0.05, np.zeros(1_000))
    assert _clearly_better(noise + 0.05, np.zeros(10_000))


def test_the_validation_baskets_are_the_latest_when_baskets_have_times():
    from dataclasses import replace

    from recommender.mining.weights import VALIDATION_SHARE, _held_out

    baskets = Baskets.from_lists(BASKETS * 5)
    n = len(baskets)
    # Times in reverse order of the rows: the latest baskets are the first rows.
    timed = replace(baskets, timestamps=np.array(range(n, 0, -1), dtype="datetime64[D]"))
    held = _held_out(timed, np.random.default_rng(0))
    assert held.sum() == round(n * VALIDATION_SHARE)
    assert held[: held.sum()].all() and not held[held.sum() :].any()


def test_only_the_most_frequent_items_are_modelled_when_asked():
    baskets = Baskets.from_lists(BASKETS)
    fitted = fit_item_weights(baskets, lambdas=(2.0,), max_items=3)
    modelled = {baskets.items[a] for a, _, _, _ in fitted.triples} | {baskets.items[b] for _, b, _, _ in fitted.triples}
    assert fitted.items_modelled == 3 and modelled <= {"tea", "mug", "kettle"}


@pytest.mark.parametrize("n_items", [0, 1, 7, 300, 1100])
def test_the_cholesky_solve_equals_the_plain_inverse_formula(n_items):
    """``_solve`` inverts G + lam I through its Cholesky factor (one triangle, then mirrored in
    bands of 1,024 columns: 1,100 items cross a band): the formula with ``np.linalg.inv`` to
    1e-9 relative in float64; float32, used to choose the settings, to 1e-3 of the largest
    weight (its precision, 6e-8, times the condition number of these matrices, below 1e4)."""
    from recommender.mining.weights import _solve

    rng = np.random.default_rng(n_items)
    x = (rng.random((4 * n_items + 10, n_items)) < rng.uniform(0.005, 0.2, n_items)).astype(np.float64)
    gram = x.T @ x
    for lam in (3.0, 100.0):
        inverse = np.linalg.inv(gram + lam * np.eye(n_items))
        expected = -inverse / np.diag(inverse)[None, :]
        np.fill_diagonal(expected, 0.0)
        got = _solve(gram, lam)
        assert got.shape == expected.shape and got.dtype == np.float64 and got.flags.c_contiguous
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
        single = _solve(gram, lam, dtype=np.float32)
        assert single.dtype == np.float32
        scale = np.abs(expected).max(initial=0.0)
        np.testing.assert_allclose(single, expected, rtol=0, atol=1e-3 * scale)


@pytest.mark.parametrize("max_items", [3, 1000])
def test_the_weights_from_the_mined_pair_counts_equal_those_counted_alone(max_items):
    """Mining hands the weights the Gram matrix its pair counts hold (every pair counted once);
    the validation's Gram is then that of all baskets less the held-out ones: the same
    figures, choice and weights as the weights' own count of every pair."""
    from recommender.mining.pairs import count_pairs
    from recommender.mining.weights import modelled_items

    rng = np.random.default_rng(4)
    lists = [
        sorted(set(rng.choice(40, rng.integers(1, 8), p=np.arange(40, 0, -1) / 820).astype(str))) for _ in range(600)
    ]
    baskets = Baskets.from_lists(lists)
    items = modelled_items(baskets.item_counts(), max_items)
    gram = count_pairs(baskets, min_count=5, per_item=5, top_min_count=2, memory_bytes=1, dense_items=items).dense
    shared = fit_item_weights(baskets, gram=gram, max_items=max_items)
    alone = fit_item_weights(baskets, max_items=max_items)
    assert len(shared.validation) % 90 == 0 and shared.validation == alone.validation
    assert (shared.lambda_, shared.terms, shared.per_item) == (alone.lambda_, alone.terms, alone.per_item)
    assert shared.triples == alone.triples and shared.items_modelled == min(max_items, 40)
    with pytest.raises(ValueError, match="Gram matrix over 3 items"):
        fit_item_weights(baskets, gram=gram[:2, :2], max_items=3)


def test_a_matrix_that_is_not_positive_definite_is_refused_by_the_solve():
    from recommender.mining.weights import _solve

    with pytest.raises(np.linalg.LinAlgError, match="not positive definite"):
        _solve(np.array([[1.0, 2.0], [2.0, 1.0]]), 0.5)


@pytest.fixture(scope="module")
def model():
    return mine(BASKETS, min_support=0.1, min_confidence=0.1)


def test_learned_scores_add_the_cart_items_weights_and_name_the_strongest_pair(model, tmp_path):
    data = read_model(write_model(model.data, tmp_path / "m.rcm"))  # weights survive the file
    assert data.weights == model.data.weights and data.weights
    assert data.weight_terms == model.data.weight_terms
    terms = WeightTerms(confidence=0.3, popularity=0.1)  # both terms at work, whatever was chosen
    rec = Recommender(replace(data, weight_terms=terms), config=RankingConfig(combine="learned"))
    items = data.items
    weights = {(items[a], items[b]): (w, n) for a, b, w, n in data.weights}
    answer = rec.recommend(["tea", "coffee"], limit=3, kinds=["cross_sell"])
    assert answer.items
    for suggestion in answer.items:
        cart = [c for c in ("tea", "coffee") if (c, suggestion.item_id) in weights]
        adds = [weights[(c, suggestion.item_id)] for c in cart]
        confidence = max(weights[(c, suggestion.item_id)][1] / data.item_counts[items.index(c)] for c in cart)
        support = data.item_counts[items.index(suggestion.item_id)] / data.n_baskets
        expected = sum(w for w, _ in adds) + 0.3 * confidence + 0.1 * support
        assert suggestion.score == pytest.approx(expected) and expected > 0
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


def test_an_item_the_cart_speaks_against_is_no_learned_candidate(model):
    """A candidate needs a positive weight from the cart and a positive score on the whole."""
    items = model.data.items
    tea, kettle, cake = items.index("tea"), items.index("kettle"), items.index("cake")
    weights = ((tea, cake, 0.4, 2), (kettle, cake, -0.6, 2), (tea, kettle, 0.5, 8))
    data = replace(model.data, weights=weights, weight_terms=WeightTerms())
    rec = Recommender(data, config=RankingConfig(combine="learned"))
    traced = rec.recommend(["tea", "kettle"], kinds=["cross_sell"], trace=True).trace
    assert "cake" not in [line.item_id for line in traced if line.source == "weights"]  # 0.4 - 0.6 < 0
    shown = [s.item_id for s in rec.recommend(["tea"], kinds=["cross_sell"]).items]
    assert shown[:2] == ["kettle", "cake"]  # 0.5, then 0.4


def test_with_a_bias_a_pair_bought_together_offers_its_item_whatever_its_weight(model, tmp_path):
    """Weights fitted with a bias: a negative weight on a pair bought together in two baskets or
    more offers its item (the bias carries it), one on a pair seen once does not; the bias
    survives the file. By hand, cart [tea]: cake 0.4 + 0, kettle -0.2 + 0.5 = 0.3, mug
    -0.1 + 0.9 (its pair seen once: not offered)."""
    items = model.data.items
    tea, kettle, cake, mug = (items.index(x) for x in ("tea", "kettle", "cake", "mug"))
    weights = ((tea, cake, 0.4, 2), (tea, kettle, -0.2, 5), (tea, mug, -0.1, 1))
    bias = [0.0] * len(items)
    bias[kettle], bias[mug] = 0.5, 0.9
    data = replace(model.data, weights=weights, weight_terms=WeightTerms(bias=tuple(bias)))
    data = read_model(write_model(data, tmp_path / "biased.rcm"))
    assert data.weight_terms.bias == tuple(bias)
    answer = Recommender(data, config=RankingConfig(combine="learned")).recommend(["tea"], kinds=["cross_sell"])
    assert [s.item_id for s in answer.items] == ["cake", "kettle"]
    assert [s.score for s in answer.items] == [pytest.approx(0.4), pytest.approx(0.3)]
    assert answer.items[1].reason["because"] == ["tea"] and answer.items[1].reason["baskets"] == 5
    without = replace(data, weight_terms=WeightTerms())  # no bias: only a positive weight offers
    rec = Recommender(without, config=RankingConfig(combine="learned"))
    traced = rec.recommend(["tea"], kinds=["cross_sell"], trace=True).trace
    assert [line.item_id for line in traced if line.source == "weights"] == ["cake"]


def test_a_bias_of_the_wrong_length_is_refused():
    from recommender.model_data import check_model

    data = replace(mine(BASKETS, min_support=0.1, min_confidence=0.1).data, weight_terms=WeightTerms(bias=(0.1, 0.2)))
    with pytest.raises(ValueError, match="weights.bias holds 2 values"):
        check_model(data)


def test_a_model_file_of_schema_3_loads_without_the_terms(model, tmp_path):
    """Schema 3 files (before the terms) still load: their learned score is the weights' sum."""
    import gzip
    import hashlib
    import json

    path = write_model(replace(model.data, weight_terms=WeightTerms(0.3, 0.1)), tmp_path / "m.rcm")
    header_line, _, compressed = path.read_bytes().partition(b"\n")
    header, content = json.loads(header_line), json.loads(gzip.decompress(compressed))
    del content["weights"]["confidence_term"], content["weights"]["popularity_term"], content["weights"]["bias"]
    older = gzip.compress(json.dumps(content).encode(), mtime=0)
    header.update(schema_version=3, payload_bytes=len(older), payload_sha256=hashlib.sha256(older).hexdigest())
    path.write_bytes(json.dumps(header).encode() + b"\n" + older)
    data = read_model(path)
    assert data.weight_terms == WeightTerms(0.0, 0.0) and data.weights == model.data.weights


def test_on_real_baskets_each_item_keeps_both_signs():
    """On Groceries the cut keeps weights of both signs: the positive ones each on a pair seen
    twice or more, half of the 50 kept per item at most."""
    from recommender import read_baskets

    from .conftest import data_file

    baskets = read_baskets(data_file("groceries.csv"))
    fitted = fit_item_weights(baskets, lambdas=(100.0,), confidence_terms=(0.0,), bias_scales=(0.0,))
    assert {w > 0 for _, _, w, _ in fitted.triples} == {True, False}
    assert min(n for _, _, w, n in fitted.triples if w > 0) >= 2
    per_source: dict[tuple[int, bool], int] = {}
    for a, _, w, _ in fitted.triples:
        per_source[a, w > 0] = per_source.get((a, w > 0), 0) + 1
    assert max(per_source.values()) == 25  # PER_ITEM // 2 of each sign


def test_mining_can_leave_the_weights_out(model):
    """For a model that ranks with the rules only (a threshold sweep, the rules' evaluation)."""
    plain = mine(BASKETS, min_support=0.1, min_confidence=0.1, learn_weights=False)
    assert plain.data.weights == () and plain.data.provenance["weights"] is None
    assert len(plain.rules) == len(model.rules) and model.data.weights
    learned = Recommender(plain.data)  # the default asks for the learned ranking: there is none
    rules = Recommender(model.data, config=RankingConfig(combine="max"))
    assert not learned.learned
    for cart in (["tea"], ["coffee", "mug"], ["cake"]):
        assert learned.recommend(cart).items == rules.recommend(cart).items


def plain_learned_candidates(data, table, cart, *, skip, sellable_only, objective, wanted):
    """The learned candidates by their definition, a loop over the cart's weights in the model's
    order: the sum, the largest confidence, the support, the bias; the strongest pair the first
    cart item with the largest weight that offers the item (positive, or with a bias bought
    together in two baskets or more). ``(score, weight, baskets, item, likelihood, source)`` in
    the answer's order, and whether that is all of them."""
    terms = data.weight_terms
    bias = terms.bias or (0.0,) * len(data.items)
    total, confidence, strongest = {}, {}, {}
    for source in cart.items:
        for a, b, weight, baskets in data.weights:
            if a != source:
                continue
            total[b] = total.get(b, 0.0) + weight
            if terms.confidence and baskets / table.counts[a] > confidence.get(b, 0.0):
                confidence[b] = baskets / table.counts[a]
            offers = weight > 0 or (terms.bias and baskets >= 2)
            if offers and weight > strongest.get(b, (-math.inf,))[0]:
                strongest[b] = (weight, baskets, source)
    ranked = []
    for item, (weight, baskets, source) in strongest.items():
        if item in skip or (sellable_only and not table.sellable[item]):
            continue
        # In the order the vectorised scoring adds them (ties are broken on the full key, so a
        # different rounding would break them differently).
        likelihood = (
            total[item] + (terms.popularity * table.support[item] + bias[item])
        ) + terms.confidence * confidence.get(item, 0.0)
        if likelihood > 0:
            score = value(table, objective, item, likelihood)
            ranked.append((-score, -weight, -baskets, table.ids[item], item, likelihood, source))
    ranked.sort()
    chosen = [(-s, -w, -n, item, p, source) for s, w, n, _, item, p, source in ranked[:wanted]]
    return chosen, wanted is None or len(ranked) <= wanted


@pytest.fixture(scope="module")
def zipf_shop():
    """Seeded Zipf baskets with prices for some items and a few items out of stock."""
    rng = random.Random(5)
    items = [f"i{k:02d}" for k in range(40)]
    baskets = [
        sorted(set(rng.choices(items, [1 / (r + 1) for r in range(40)], k=rng.randint(1, 8)))) for _ in range(1500)
    ]
    catalog = pd.DataFrame(
        {
            "item_id": items,
            "price": [round(rng.uniform(1, 30), 2) for _ in items],
            "in_stock": [k % 9 != 4 for k in range(40)],
        }
    )
    return mine(baskets, min_support=0.002, min_confidence=0.05, max_len=3, catalog=catalog).data


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_vectorised_learned_candidates_are_those_of_the_definition(zipf_shop, data):
    """The learned candidates, scored with numpy over the cart's rows, against the plain loop of
    their definition, on weights drawn from a few values among a few items, so that sums and
    strongest pairs tie."""
    n = data.draw(st.integers(2, 12))  # the items with weights, of the shop's 40
    pairs = data.draw(
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), min_size=n, max_size=n * n, unique=True)
    )
    triples = tuple(
        (a, b, data.draw(st.sampled_from([-0.5, 0.25, 0.5])), data.draw(st.integers(1, 40))) for a, b in pairs if a != b
    )
    with_bias = data.draw(st.booleans())
    bias = tuple(data.draw(st.sampled_from([-0.25, 0.0, 0.5])) for _ in zipf_shop.items) if with_bias else ()
    terms = WeightTerms(
        confidence=data.draw(st.sampled_from([0.0, 0.3])),
        popularity=data.draw(st.sampled_from([0.0, 0.1])),
        bias=bias,
    )
    model = replace(zipf_shop, weights=triples, weight_terms=terms)
    table = ItemTable(model)
    weights = LearnedWeights(model.weights, table, bias=terms.bias)
    cart = read_cart(table, data.draw(st.lists(st.sampled_from(model.items[: n + 2]), max_size=8)))
    traced = data.draw(st.booleans())
    skip = frozenset() if traced else cart.blocked
    options = {
        "skip": skip,
        "sellable_only": not traced,
        "objective": data.draw(st.sampled_from(OBJECTIVES)),
        "wanted": data.draw(st.sampled_from([1, 3, 6, None])),
    }
    # Another cart answered first: whatever its sums and skipped items wrote into the thread's
    # row of zeros must be gone when this cart is summed.
    other = read_cart(table, data.draw(st.lists(st.sampled_from(model.items[: n + 2]), max_size=8)))
    weights.candidates(terms, other, **{**options, "skip": frozenset() if traced else other.blocked})
    found, complete = weights.candidates(terms, cart, **options)
    expected, expected_complete = plain_learned_candidates(model, table, cart, **options)
    assert complete == expected_complete
    assert [c.item for c in found] == [item for _, _, _, item, _, _ in expected]
    for candidate, (score, weight, baskets, _, likelihood, source) in zip(found, expected):
        assert (candidate.strength, candidate.count, candidate.evidence["because"]) == (
            weight,
            baskets,
            [table.ids[source]],
        )
        assert (candidate.score, candidate.likelihood) == (pytest.approx(score), pytest.approx(likelihood))
        assert candidate.evidence["confidence"] == pytest.approx(baskets / table.counts[source])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_two_ways_to_a_carts_distinct_items_agree(zipf_shop, data):
    """The sort of the cart's entries and the marks over the catalog give the same sorted
    distinct items, on any block of item indices (padding's slot included), and the marks are
    all clear after each cart."""
    weights = LearnedWeights(zipf_shop.weights, ItemTable(zipf_shop))
    n = len(weights.support)  # the shop's 40 items and the padding's slot
    rows, width = data.draw(st.integers(1, 20)), data.draw(st.integers(1, 30))
    block = np.asarray(
        data.draw(st.lists(st.integers(0, n - 1), min_size=rows * width, max_size=rows * width)), dtype=np.intp
    ).reshape(rows, width)
    reached = block[:, : data.draw(st.integers(1, width))]  # a slice, as the offering columns are
    marked = weights._marked(reached)
    assert marked.tolist() == sorted(set(reached.ravel().tolist()))
    assert np.array_equal(marked, _distinct(reached)) and marked.dtype == _distinct(reached).dtype
    assert not weights._scratch.seen.any()


def test_threads_answering_at_once_get_the_answers_of_one_thread(zipf_shop):
    """Each thread sums its carts in its own row of zeros, set back to zeros after every cart:
    four threads answering 400 carts each at once get, cart by cart, what one thread gets, and
    each has a row of its own, all zeros when its carts are done. (With one row shared, a
    thread switch between one cart's sums and their reading would mix two carts; the GIL makes
    that window rare, so the rows are checked directly too.)"""
    import threading

    weights = zipf_shop.weights
    terms = WeightTerms(confidence=0.3, popularity=0.1, bias=tuple(0.01 * (k % 5) for k in range(len(zipf_shop.items))))
    model = replace(zipf_shop, weight_terms=terms)
    table = ItemTable(model)
    learned = LearnedWeights(weights, table, bias=terms.bias)
    rng = random.Random(11)
    carts = [read_cart(table, rng.sample(model.items[:20], rng.randint(1, 6))) for _ in range(1600)]

    def answer(cart):
        pairs, _ = learned.best(terms, cart, skip=cart.blocked, sellable_only=True, objective="confidence", wanted=3)
        return [(p.item, p.likelihood, p.source) for p in pairs]

    expected = [answer(cart) for cart in carts]
    assert sum(map(len, expected)) > 1600  # the carts do get suggestions
    found: list[list] = [[] for _ in range(4)]
    barrier = threading.Barrier(4)

    rows: list = [None] * 4

    def work(k: int) -> None:
        barrier.wait()
        found[k] = [answer(cart) for cart in carts[k::4]]
        rows[k] = learned._zeros("total")

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns within a cart's numpy steps, not only between carts
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    for k in range(4):
        assert found[k] == expected[k::4]
    assert len({id(row) for row in rows}) == 4
    assert not any(row.any() for row in rows)


def cafe_baskets(seed: int) -> list[list[str]]:
    """A café's orders: coffee in about half of them whatever else is bought (the case the issue
    found the rules losing to plain popularity on), a few complements, small baskets."""
    rng = np.random.default_rng(seed)
    menu = ["tea", "bread", "cake", "pastry", "sandwich", "soup", "juice", "cookies", "muffin", "scone",
            "hot chocolate", "brownie", "salad", "toast", "jam"]  # fmt: skip
    share = np.array([14, 32, 10, 8, 7, 3, 4, 5, 4, 3, 6, 4, 3, 3, 2], dtype=float)
    complements = {"toast": "jam", "sandwich": "soup", "salad": "juice", "cake": "hot chocolate", "scone": "jam"}
    baskets = []
    for _ in range(6000):
        basket = set(rng.choice(menu, size=1 + rng.poisson(1.2), p=share / share.sum()))
        basket |= {b for a, b in complements.items() if a in basket and rng.random() < 0.35}
        if rng.random() < 0.48:
            basket.add("coffee")
        baskets.append(sorted(basket))
    return baskets


def test_on_a_cafe_the_default_ranking_beats_popularity_and_keeps_up_with_ease():
    """Coffee in half the baskets makes popularity a strong baseline and leaves the rules little
    to say about it (its lift is about 1 with everything). The learned weights' bias carries its
    base rate. On the held-out orders of seeds 0, 1 and 2 of this shop the default ranking finds
    0.6289, 0.6272 and 0.6379 of the hidden items, popularity 0.5945, 0.5885 and 0.5754, tuned
    EASE 0.6299, 0.6352 and 0.639: level with EASE within a seed's spread (a few hundred
    cases), well above popularity. Over the three seeds, as one seed's cases are too few to
    tell 0.01 apart."""
    from recommender import evaluate

    hit: dict[str, list[float]] = {}
    for seed in (0, 1, 2):
        found = evaluate(cafe_baskets(seed), systems=["rules", "popular", "ease"], seed=seed, min_support=0.002)
        assert dict(found.systems[0].details)["ranking"] == "learned"
        for system in found.systems:
            hit.setdefault(system.name, []).append(system.hit_rate)
    mean = {name: float(np.mean(rates)) for name, rates in hit.items()}
    assert mean["rules"] >= mean["popular"] + 0.03
    assert mean["rules"] >= mean["ease"] - 0.01
