"""The learned weights' validation, made fast: each fast piece held equal to the plain
computation it replaced (dense arrays of every validation cart and item), on generated baskets.

The fast validation finds each cart's offers (the items its weights reach) as sparse entries
instead of dense rows of every item, cuts fewer weights per item out of the most kept once
ranked instead of searching every row again, and places each hidden item by counting the
offers ahead of it instead of three passes of argmax. Its figures must be the plain ones to the
bit (the same sums added in the same order, the same ties): exact equality is the claim, so the
floats are compared exactly.
"""

from __future__ import annotations

from itertools import product

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.mining import weights
from recommender.mining.weights import (
    TOP,
    _accuracy,
    _bias,
    _clearly_better,
    _hide_one,
    _kept_weights,
    _offers,
    _RankedWeights,
    _solve,
    _validate,
)


def plain_largest_confidence(carts: sp.csr_matrix, kept: np.ndarray, confidence: np.ndarray) -> np.ndarray:
    """For each cart, the largest confidence of a kept pair over the rows of its items, cart by cart."""
    values = np.where(kept, confidence, 0.0)
    out = np.zeros((carts.shape[0], values.shape[1]))
    for row in range(carts.shape[0]):
        items = carts.indices[carts.indptr[row] : carts.indptr[row + 1]]
        if len(items):
            out[row] = values[items].max(axis=0)
    return out


def plain_accuracy(scores: np.ndarray, offered: np.ndarray, hidden: np.ndarray) -> tuple[tuple, np.ndarray]:
    """The best offered item of each cart with a positive score, ``TOP`` times, by argmax (a tie
    to the smaller column); then the same figures as the fast one."""
    scores = np.where(offered & (scores > 0), scores, -np.inf)
    rows = np.arange(len(scores))
    found = np.zeros((len(scores), min(TOP, scores.shape[1])), dtype=bool)
    for place in range(found.shape[1]):
        best = scores.argmax(axis=1)
        found[:, place] = (best == hidden) & np.isfinite(scores[rows, best])
        scores[rows, best] = -np.inf
    hit = found.any(axis=1)
    gain = np.where(hit, 1.0 / np.log2(np.argmax(found, axis=1) + 2.0), 0.0)
    beyond = hidden >= weights.BEST_SELLERS
    figures = (float(hit.mean()), float(gain.mean()), float(hit[beyond].mean()) if beyond.any() else 0.0)
    return figures, (hit + gain) / 2 + weights.REACH_WORTH * (beyond & hit)


def plain_scores(carts, kept_weights, confidence, seen, bias, choice):
    """Every cart's score of every item (the weights' sum from its items plus the confidence
    term and the scaled bias), and which items it may be offered (a weight from a cart item on
    a pair ``seen`` together often enough), as dense arrays."""
    dense = kept_weights.toarray()
    summed = np.asarray(carts @ dense)
    offered = (np.asarray(carts @ ((dense != 0) & seen)) > 0) & ~(carts.toarray() > 0)
    scores = summed + choice[1] * plain_largest_confidence(carts, dense != 0, confidence) if choice[1] else summed
    if choice[2]:
        scores = scores + choice[2] * bias[None, :]
    return scores, offered


def plain_validate(carts_and_hidden, gram, n_fit, grid, per_item, *, min_count, rng):
    """The validation as it was written first: every number of weights per item cut anew from
    the dense weights, every setting scored on dense arrays."""
    carts, hidden = _hide_one(carts_and_hidden, rng)
    share = float(np.mean(hidden >= weights.BEST_SELLERS))
    seen = gram >= min_count
    confidence = gram / np.maximum(np.diag(gram), 1.0)[:, None]
    lambdas = sorted({setting[0] for setting in grid})
    solved = {lam: _solve(gram, lam, n_baskets=n_fit, dtype=np.float32) for lam in lambdas}
    biases = {lam: _bias(gram, n_fit, solved[lam]) for lam in lambdas}
    widest = {lam: _kept_weights(solved[lam], max(per_item), seen) for lam in lambdas}
    found, chosen = {}, None
    for number in per_item:
        if chosen is not None and chosen[0][3] // 2 >= len(gram):
            break
        values = {}
        for lam in lambdas:
            kept = widest[lam] if number == max(per_item) else _kept_weights(widest[lam].toarray(), number, seen)
            for choice in (c for c in grid if c[0] == lam):
                scores, offered = plain_scores(carts, kept, confidence, seen, biases[lam], choice)
                setting = (*choice, number)
                found[setting], values[setting] = plain_accuracy(scores, offered, hidden)

        def accuracy(s):
            return (found[s][0] + found[s][1]) / 2

        accurate = max(values, key=lambda s: (accuracy(s), s[0], -s[1], -s[2]))

        def worth(s):
            return accuracy(s) + weights.REACH_WORTH * share * found[s][2]

        reaching = max(values, key=lambda s: (worth(s), s[0], -s[1], -s[2]))
        best = reaching if _clearly_better(values[reaching], values[accurate]) else accurate
        if chosen is not None and not _clearly_better(values[best], chosen[1]):
            break
        chosen = (best, values[best])
    return found, chosen[0], share


def patterned_baskets(rng: np.random.Generator, *, n_baskets: int, n_items: int) -> sp.csr_matrix:
    """Baskets of a few items drawn with skewed popularity, a third of them also holding one of
    a few planted patterns of five items (where more weights per item help), as rows of ones;
    some baskets of one item (no validation case) and items in no basket."""
    popularity = 1.0 / np.arange(1, n_items + 1)
    patterns = [rng.choice(n_items, 5, replace=False) for _ in range(6)]
    rows = []
    for _ in range(n_baskets):
        basket = set(rng.choice(n_items - 3, rng.integers(1, 6), p=popularity[:-3] / popularity[:-3].sum()).tolist())
        if rng.random() < 0.35:
            basket |= set(patterns[rng.integers(len(patterns))].tolist())
        rows.append(sorted(basket))
    indptr = np.concatenate(([0], np.cumsum([len(r) for r in rows])))
    indices = np.concatenate([np.asarray(r, dtype=np.int32) for r in rows])
    return sp.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(n_baskets, n_items))


def fitted_weights(baskets: sp.csr_matrix, lam: float, per_item: int, *, min_count: int = 2):
    gram = (baskets.T @ baskets).toarray()
    return gram, _kept_weights(_solve(gram, lam, dtype=np.float32), per_item, gram >= min_count)


@pytest.mark.parametrize("n_items", [7, 90, 300])
def test_fewer_weights_per_item_are_a_cut_of_the_most_kept(n_items):
    """Each row's k largest positive and k most negative weights, cut from its 200 of each
    ranked once, are those a new search of the dense row finds (continuous weights: no ties)."""
    rng = np.random.default_rng(n_items)
    dense = rng.standard_normal((n_items, n_items)).astype(np.float32)
    seen = rng.random((n_items, n_items)) < 0.4
    ranked = _RankedWeights.of(_kept_weights(dense, 400, seen))
    for per_item in (2, 10, 50, 100, 400):
        expected = _kept_weights(dense, per_item, seen)
        got = ranked.cut(per_item)
        assert got.nnz == expected.nnz
        np.testing.assert_array_equal(got.toarray(), expected.toarray())


def test_the_places_break_ties_to_the_smaller_column():
    row = sp.csr_matrix(np.array([[0.5, -0.25, 0.5, 0.75, -0.25, -1.0]], dtype=np.float32))
    assert _RankedWeights.of(row).place.tolist() == [1, 1, 2, 0, 2, 0]
    np.testing.assert_array_equal(_RankedWeights.of(row).cut(4).toarray(), [[0.5, -0.25, 0, 0.75, 0, -1.0]])


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("per_item", [4, 40])
def test_the_offers_and_their_figures_are_those_of_the_dense_arrays(seed, per_item):
    """Every setting's figures and case values, with both terms, on carts taken a few at a time
    (blocks of 7), equal the dense computation's to the bit; so do the offered items and sums."""
    rng = np.random.default_rng(seed)
    baskets = patterned_baskets(rng, n_baskets=600, n_items=60)
    gram, kept = fitted_weights(baskets, 10.0, per_item)
    carts, hidden = _hide_one(baskets[:200], rng)
    confidence = gram / np.maximum(np.diag(gram), 1.0)[:, None]
    seen = gram >= 2
    bias = _bias(gram, baskets.shape[0], _solve(gram, 10.0, n_baskets=baskets.shape[0]))
    offers = _offers(carts, hidden, kept, confidence, seen, block=7)
    dense_summed, offered = plain_scores(carts, kept, confidence, seen, bias, (10.0, 0.0, 0.0))
    assert offers.carts.tolist() == np.nonzero(offered)[0].tolist()
    assert offers.items.tolist() == np.nonzero(offered)[1].tolist()
    np.testing.assert_array_equal(offers.summed, dense_summed[offered])
    for choice in product([10.0], [0.0, 0.1, 0.3], [0.0, 0.5]):
        scores = offers.summed + choice[1] * offers.largest_confidence if choice[1] else offers.summed
        if choice[2]:
            scores = scores + choice[2] * bias[offers.items]
        figures, values = _accuracy(scores, offers, hidden)
        expected_figures, expected_values = plain_accuracy(
            *plain_scores(carts, kept, confidence, seen, bias, choice), hidden
        )
        assert figures == expected_figures
        np.testing.assert_array_equal(values, expected_values)
    assert figures[0] > 0  # the carts find some of their hidden items


def random_offers(
    rng: np.random.Generator, *, n_carts: int, n_items: int, share: float, confidences: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, weights._Offers]:
    """Carts offered a random ``share`` of the items, scores of a few whole values (many ties,
    some 0 or below), one hidden item each, and those offers as the validation holds them."""
    offered = rng.random((n_carts, n_items)) < share
    dense = rng.integers(-1, 4, size=(n_carts, n_items)).astype(float)
    hidden = rng.integers(n_items, size=n_carts)
    cart, item = np.nonzero(offered)
    is_hidden = item == hidden[cart]
    hidden_at = np.full(n_carts, -1)
    hidden_at[cart[is_hidden]] = np.flatnonzero(is_hidden)
    largest_confidence = rng.integers(0, 3, len(cart)) / 2 if confidences else np.zeros(len(cart))
    offers = weights._Offers(
        carts=cart, items=item, summed=dense[offered], largest_confidence=largest_confidence,
        hidden_at=hidden_at, ahead_on_tie=item < hidden[cart],
    )  # fmt: skip
    return offered, dense, hidden, offers


@pytest.mark.parametrize("seed", range(5))
def test_a_hidden_item_tied_with_others_is_placed_after_the_more_frequent(seed):
    """Scores of a few whole values (many ties, some 0 or below): the hidden item's place is
    that of three passes of argmax, which takes the smaller column first."""
    rng = np.random.default_rng(seed)
    offered, dense, hidden, offers = random_offers(rng, n_carts=300, n_items=25, share=0.5)
    figures, values = _accuracy(dense[offered], offers, hidden)
    expected_figures, expected_values = plain_accuracy(dense, offered, hidden)
    assert figures == expected_figures
    np.testing.assert_array_equal(values, expected_values)


@pytest.mark.parametrize("seed", [3, 4])
def test_the_validation_scores_and_chooses_as_the_plain_one(seed):
    """The whole walk over the numbers of weights per item: every setting tried has the plain
    figures, and the same setting is chosen."""
    rng = np.random.default_rng(seed)
    baskets = patterned_baskets(rng, n_baskets=1500, n_items=50)
    held = baskets[:300]
    gram = (baskets[300:].T @ baskets[300:]).toarray().astype(np.float64)
    grid = [(float(a), float(b), float(c)) for a, b, c in product((3.0, 30.0), (0.0, 0.3), (0.0, 0.1))]
    per_item = (2, 4, 8, 16, 400)
    got = _validate(held, gram, 1200, grid, per_item, min_count=2, rng=np.random.default_rng(seed))
    expected = plain_validate(held, gram, 1200, grid, per_item, min_count=2, rng=np.random.default_rng(seed))
    assert got == expected
    assert len({setting[3] for setting in got[0]}) >= 2  # the walk went past the fewest


def plain_kept_weights(weights_: np.ndarray, per_item: int, seen: np.ndarray) -> sp.csr_matrix:
    """The cut as it was first written: each sign's sizes (0 for no candidate) by ``np.where``,
    then ``argpartition`` of their negation, whole rows at a time."""
    keep = min(per_item // 2, len(weights_))
    parts = []
    for values in (np.where(seen & (weights_ > 0), weights_, 0.0), np.where(weights_ < 0, -weights_, 0.0)):
        columns = np.argpartition(-values, keep - 1, axis=1)[:, :keep]
        rows = np.repeat(np.arange(len(values)), keep)
        kept = values[rows, columns.ravel()]
        parts.append(sp.csr_matrix((kept[kept > 0], (rows[kept > 0], columns.ravel()[kept > 0])), shape=values.shape))
    return parts[0] - parts[1]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("per_item", [2, 10, 50])
def test_the_kept_weights_are_those_of_the_plain_search_ties_included(dtype, per_item):
    """The cut from negated sizes built without ``np.where`` keeps the very weights of the plain
    one, in blocks of rows or not, even where a row's sizes tie at the cut (weights of a few
    whole values): the partition compares the same numbers, so it leaves them in the same places."""
    rng = np.random.default_rng(per_item)
    n_items = 120
    seen = rng.random((n_items, n_items)) < 0.5
    for dense in (rng.standard_normal((n_items, n_items)), rng.integers(-3, 4, size=(n_items, n_items)) / 4.0):
        dense = dense.astype(dtype)
        np.fill_diagonal(dense, 0.0)
        expected = plain_kept_weights(dense, per_item, seen)
        for block in (7, 512):
            got = _kept_weights(dense, per_item, seen, block=block)
            assert got.dtype == dtype
            np.testing.assert_array_equal(got.indptr, expected.indptr)
            np.testing.assert_array_equal(got.indices, expected.indices)
            np.testing.assert_array_equal(got.data, expected.data)


@pytest.mark.parametrize("seed", range(3))
def test_the_cases_whose_hidden_item_is_offered_give_every_figure(seed):
    """Scoring only the carts whose hidden item is among their offers (the others are no hit)
    gives the figures and case values of all the offers, with ties and scores of 0 or below."""
    rng = np.random.default_rng(seed)
    offered, dense, hidden, offers = random_offers(rng, n_carts=400, n_items=30, share=0.3, confidences=True)
    fewer = offers.of_cases_offered()
    assert 0 < len(fewer.carts) < len(offers.carts)
    assert set(fewer.carts.tolist()) == set(np.flatnonzero(offers.hidden_at >= 0).tolist())
    assert (fewer.items[fewer.hidden_at[fewer.hidden_at >= 0]] == hidden[fewer.hidden_at >= 0]).all()
    for term in (0.0, 0.5):
        figures, values = _accuracy(offers.summed + term * offers.largest_confidence, offers, hidden)
        assert figures[0] > 0
        got_figures, got_values = _accuracy(fewer.summed + term * fewer.largest_confidence, fewer, hidden)
        assert got_figures == figures
        np.testing.assert_array_equal(got_values, values)
