"""Item-item weights fitted on the baskets in closed form, each item's own bias, and how much
of the pairs' plain confidence to add to them: what the learned ranking adds up.

The weights are EASE's (Steck 2019) with an intercept: a ridge regression of each item on the
others, ``P = (C + lambda I)^-1``, ``B = -P / diag(P)`` with a zero diagonal, where ``C`` is
the Gram matrix of the centred baskets, ``G - n m m^T`` (``G[a, b]``: baskets holding both;
``m``: each item's share of the ``n`` baskets), and the intercept, each item's bias, is
``m - B^T m``. EASE itself has no intercept: its weights must also carry how much each item
sells on its own, which a bias carries better (more hits at the same reach beyond the best
sellers, benchmarks/README.md, "Quality"). Each cart item keeps half of
``per_item`` of each sign: its largest positive weights among the pairs seen together in at
least ``min_count`` baskets, which explain its suggestions, and its most negative weights,
seen together or not. A negative weight is what EASE knows beyond co-occurrence (the cart
speaks against an item that sells with its items' usual companions, or never with them): it
is what puts EASE ahead of the positive weights alone, and between items never bought
together it is what pushes down the best sellers that merely sell beside everything. Every
weight carries the pair's basket count, so a suggestion is explained by a pair a merchandiser
can check. (Zeroing the rarer pairs in ``G`` itself instead would leave a matrix that is no
Gram matrix: not positive semi-definite.)

How many weights each item keeps is chosen too: the fewest of ``PER_ITEM`` unless more are
clearly better on the validation cases. A shop whose baskets follow long patterns (IBM Quest's
synthetic baskets) needs many more of them than one whose suggestions come from a few strong
companions (retail.dat, Groceries: more change nothing beyond noise), and every weight kept is
read by every cart that holds its item (benchmarks/README.md, "Quality").

An item's learned score for a cart is

    sum of the weights from the cart's items
    + confidence_term * the largest confidence of a kept pair from a cart item
    + bias_scale * the item's bias,

over the items a cart item offers: by a positive weight, or a negative one on a pair bought
together in ``OFFERING_BASKETS`` baskets or more (the bias lifts an item the cart's weights
only lower a little: the pair is its evidence). ``lambda``, the confidence term and the bias's
scale are chosen per shop on a validation split of the baskets given (the latest when they
have times), on one hidden item per validation basket, over the most frequent items: the most
accurate setting (the mean of the hit rate and NDCG at 3), unless one that also values the
hits on items that are not best sellers is clearly better, case by case (the bias and the
confidence favour the best sellers: reach past them is part of what a suggestion is worth,
bought with accuracy only where the cases show it beyond their noise). Then the weights are
fitted on all of them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import product

import numpy as np
import scipy.sparse as sp
from scipy.linalg import lapack
from threadpoolctl import threadpool_limits

from ..io.baskets import Baskets
from ..model_data import OFFERING_BASKETS, WeightTerms

__all__ = ["ItemWeights", "fit_item_weights", "modelled_items", "LAMBDAS", "CONFIDENCE_TERMS", "BIAS_SCALES"]

logger = logging.getLogger(__name__)

# Weights kept per cart item, the choices in order: half of them its largest positive ones,
# half its most negative. A larger number is taken only when the validation cases show it
# clearly better (by more than twice the standard error of the paired difference).
PER_ITEM = (50, 100, 200, 400)
CLEARLY_BETTER = 2.0
# The least baskets behind a positive weight, which explains a suggestion (and offers its item).
MIN_PAIR_BASKETS = OFFERING_BASKETS
# The dense solve holds a few N x N float64 matrices: 6,000 items are 288 MB each.
MAX_ITEMS = 6_000
# The grid of lambda, in baskets: the ridge's pull toward no weight at all.
LAMBDAS = (3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)
# The grids of the confidence term and of the share of each item's bias added to the weights' sum.
CONFIDENCE_TERMS = (0.0, 0.1, 0.3)
BIAS_SCALES = (0.0, 0.25, 0.5, 0.75, 1.0)
# The validation also scores the hit rate on the items outside the best sellers (any shop can
# show those): what the terms, which favour the best sellers, cost in reach. A hit there is worth
# this much more than one on a best seller, in the worth that may overrule accuracy.
BEST_SELLERS = 10
REACH_WORTH = 2.0
# The choice is made on the validation split over at most this many of the most frequent items:
# each lambda tried costs a dense solve, cubic in the items.
VALIDATION_ITEMS = 3_000
VALIDATION_SHARE = 0.2
MAX_VALIDATION_CASES = 5_000
# Validation carts whose offers are found at a time: a block's items are dense rows of every
# validation item, and its carts' items list their kept weights (up to 400 each) once.
CARTS_AT_A_TIME = 500
TOP = 3  # the answer's length the validation scores

Setting = tuple[float, float, float, int]  # lambda, confidence term, bias scale, weights per item


@dataclass(frozen=True, kw_only=True)
class ItemWeights:
    """Weights ``(a, b, weight, baskets)``: what ``a`` in a cart adds to ``b``'s score, and the
    baskets that held both; each item's ``bias`` (over the whole vocabulary, 0 outside the items
    modelled), already times the ``bias_scale`` chosen; with the ``lambda_`` and the confidence
    term chosen, the items modelled (the most frequent, at most ``MAX_ITEMS``) and the
    validation hit rate, NDCG and hit rate beyond the best sellers of each setting tried, keyed
    ``(lambda, confidence_term, bias_scale, per_item)``, and the share of the validation cases
    whose hidden item is not a best seller; ``per_item`` is the number of weights each item
    keeps (at most)."""

    lambda_: float
    confidence_term: float = 0.0
    bias_scale: float = 0.0
    bias: tuple[float, ...] = ()
    per_item: int
    items_modelled: int
    triples: tuple[tuple[int, int, float, int], ...]
    validation: dict[Setting, tuple[float, float, float]] = field(default_factory=dict)
    beyond_share: float = 0.0

    @property
    def terms(self) -> WeightTerms:
        """The terms and the bias, as the model stores them."""
        return WeightTerms(confidence=self.confidence_term, bias=self.bias)

    def as_dict(self) -> dict[str, object]:
        """What the model's provenance records of the fit."""
        best = self.validation.get((self.lambda_, self.confidence_term, self.bias_scale, self.per_item))
        return {
            "lambda": self.lambda_,
            "confidence_term": self.confidence_term,
            "bias_scale": self.bias_scale,
            "weights_per_item": self.per_item,
            "items_modelled": self.items_modelled,
            "weights": len(self.triples),
            "settings_tried": len(self.validation),
            "validation_hit_rate": None if best is None else round(best[0], 4),
            "validation_ndcg": None if best is None else round(best[1], 4),
            "validation_beyond_best_sellers": None if best is None else round(best[2], 4),
            "validation_share_beyond_best_sellers": round(self.beyond_share, 4),
        }


def fit_item_weights(
    baskets: Baskets,
    *,
    per_item: int | Sequence[int] = PER_ITEM,
    min_count: int = MIN_PAIR_BASKETS,
    max_items: int = MAX_ITEMS,
    lambdas: Sequence[float] = LAMBDAS,
    confidence_terms: Sequence[float] = CONFIDENCE_TERMS,
    bias_scales: Sequence[float] = BIAS_SCALES,
    seed: int = 0,
    gram: np.ndarray | None = None,
) -> ItemWeights:
    """Fit the weights and the biases on ``baskets``, lambda, the confidence term and the bias's
    scale chosen on a seeded validation split.

    ``gram``, when given, is the baskets' Gram matrix over :func:`modelled_items` (``max_items``
    of them), as :func:`.pairs.count_pairs` counts it beside the rules' pairs; otherwise it is
    counted here.

    Examples
    --------
    >>> b = Baskets.from_lists([["tea", "kettle"]] * 6 + [["mug", "cake"]] * 4 + [["tea", "mug"]] * 2)
    >>> fitted = fit_item_weights(b, lambdas=(1.0,), confidence_terms=(0.0,), bias_scales=(0.0,))
    >>> sorted((b.items[x], b.items[y]) for x, y, w, _ in fitted.triples if w > 0)[:3]
    [('cake', 'mug'), ('kettle', 'tea'), ('mug', 'cake')]
    >>> all(baskets >= 2 for _, _, w, baskets in fitted.triples if w > 0)  # each has a pair behind it
    True
    >>> sorted((b.items[x], b.items[y], n) for x, y, w, n in fitted.triples if w < 0)[:2]  # never together
    [('cake', 'kettle', 0), ('cake', 'tea', 0)]
    """
    item_counts = baskets.item_counts()
    modelled = modelled_items(item_counts, max_items)
    if len(modelled) < np.count_nonzero(item_counts):
        logger.info("weights over the %d most frequent of %d items", len(modelled), baskets.n_items)
    if gram is None:
        gram = _gram(_columns(baskets, modelled))
    elif gram.shape != (len(modelled), len(modelled)):
        raise ValueError(f"a Gram matrix over {len(modelled)} items was expected, not one of shape {gram.shape}")
    choices = sorted({per_item} if isinstance(per_item, int) else set(per_item))
    grid = [(float(a), float(b), float(c)) for a, b, c in product(lambdas, confidence_terms, bias_scales)]
    validation: dict[Setting, tuple[float, float, float]] = {}
    beyond_share = 0.0
    if len(grid) * len(choices) > 1:
        rng = np.random.default_rng(seed)
        held = _held_out(baskets, rng)
        # The validation's items are the most frequent; its Gram that of the baskets not held
        # out: all of them less the held ones (a fifth of the counting).
        head = modelled[:VALIDATION_ITEMS]
        held_columns = _columns(baskets, head, rows=held)
        fit_gram = np.asarray(gram[: len(head), : len(head)], dtype=np.float64) - _gram(held_columns)
        validation, best, beyond_share = _validate(
            held_columns,
            fit_gram,
            len(baskets) - int(held.sum()),
            grid,
            choices,
            min_count=min_count,
            rng=rng,
        )
    else:
        best = (*grid[0], choices[0])
    lam, confidence_term, bias_scale, kept_per_item = best
    weights = _solve(gram, lam, n_baskets=len(baskets))
    bias = np.zeros(baskets.n_items)
    bias[modelled] = bias_scale * _bias(gram, len(baskets), weights)
    kept = _kept_weights(weights, kept_per_item, gram >= min_count).tocoo()
    del weights
    triples = tuple(
        zip(
            modelled[kept.row].tolist(),
            modelled[kept.col].tolist(),
            kept.data.tolist(),
            np.asarray(gram[kept.row, kept.col], dtype=np.int64).tolist(),
        )
    )
    return ItemWeights(
        lambda_=lam,
        confidence_term=confidence_term,
        bias_scale=bias_scale,
        bias=tuple(bias.tolist()),
        per_item=kept_per_item,
        items_modelled=len(modelled),
        triples=triples,
        validation=validation,
        beyond_share=beyond_share,
    )


def modelled_items(item_counts: np.ndarray, max_items: int = MAX_ITEMS) -> np.ndarray:
    """The items the weights model: the ``max_items`` in the most baskets (ties to the smaller
    index), most frequent first, as indices of the vocabulary."""
    used = np.flatnonzero(item_counts > 0)
    return used[np.lexsort((used, -item_counts[used]))][:max_items]


def _validate(
    carts_and_hidden: sp.csr_matrix,
    gram: np.ndarray,
    n_fit: int,
    grid: list[tuple[float, float, float]],
    per_item: Sequence[int],
    *,
    min_count: int,
    rng: np.random.Generator,
) -> tuple[dict[Setting, tuple[float, float, float]], Setting, float]:
    """Hit rate, NDCG and hit rate beyond the best sellers at ``TOP`` of each setting tried,
    fitted on the ``n_fit`` baskets whose Gram matrix is ``gram`` and scored on one hidden item
    of each basket of ``carts_and_hidden`` (the held-out baskets over the same items); the
    setting chosen; and the share of the cases whose hidden item is not a best seller.

    Each number of weights per item (fewest first) has its best ``grid`` setting: the most
    accurate (:func:`_accurate`), unless the setting of the best :func:`_worth` (which values
    reach past the best sellers too) is clearly better than it on that worth, case by case.
    The bias and the confidence term favour the best sellers, so the most accurate setting
    often reaches less far; a shop knows its best sellers, and reaching past them is part of
    what a suggestion is worth, but only a gain the cases show beyond their noise trades
    accuracy for it. Among equals, the plainest:
    a larger lambda, smaller terms. The next number is tried only while each one is clearly
    better than the one before it, on the same worth.

    A cart is scored on the items it may be offered only (:class:`_Offers`: a few hundred of
    the thousands of items at 50 weights per item), not on dense rows of every item: the same
    figures, to the bit (``tests/test_weights_speed.py`` holds them to the dense computation),
    in half the time on 3 million baskets (benchmarks/README.md, "A lean data path").
    """
    carts, hidden = _hide_one(carts_and_hidden, rng)
    beyond_share = float(np.mean(hidden >= BEST_SELLERS)) if len(hidden) else 0.0
    counts = np.diag(gram).copy()
    seen = gram >= min_count
    confidence = gram / np.maximum(counts, 1.0)[:, None]
    lambdas = sorted({setting[0] for setting in grid})
    # Each lambda's weights at the most kept, in float32: half the work of float64, and on
    # Groceries and retail.dat the same figures for every setting (the stored weights are
    # solved in float64). Fewer per item are the first of these in each row's order.
    widest, biases = {}, {}
    for lam in lambdas:
        weights = _solve(gram, lam, n_baskets=n_fit, dtype=np.float32)
        biases[lam] = _bias(gram, n_fit, weights)
        widest[lam] = _RankedWeights.of(_kept_weights(weights, max(per_item), seen))
        del weights
    found: dict[Setting, tuple[float, float, float]] = {}
    chosen: tuple[Setting, np.ndarray] | None = None
    for number in per_item:
        if chosen is not None and chosen[0][3] // 2 >= len(gram):
            break  # every weight is kept already
        values: dict[Setting, np.ndarray] = {}
        for lam in lambdas:
            offers = _offers(carts, hidden, widest[lam].cut(number), confidence, seen).of_cases_offered()
            for choice in grid:
                if choice[0] == lam:
                    # The weights' sum plus the terms, each added only when not 0 (a term of 0
                    # adds nothing a score is compared by).
                    scores = offers.summed + choice[1] * offers.largest_confidence if choice[1] else offers.summed
                    if choice[2]:
                        scores = scores + choice[2] * biases[lam][offers.items]
                    setting = (*choice, number)
                    found[setting], values[setting] = _accuracy(scores, offers, hidden)
        best = max(values, key=lambda s: (_accurate(found[s]), s[0], -s[1], -s[2]))
        reaching = max(values, key=lambda s: (_worth(found[s], beyond_share), s[0], -s[1], -s[2]))
        if _clearly_better(values[reaching], values[best]):
            best = reaching
        if chosen is not None and not _clearly_better(values[best], chosen[1]):
            break
        chosen = (best, values[best])
    assert chosen is not None
    return found, chosen[0], beyond_share


def _accurate(figures: tuple[float, float, float]) -> float:
    """A setting's accuracy: the mean of its hit rate and NDCG (the same accuracy, seen two ways)."""
    return (figures[0] + figures[1]) / 2


def _worth(figures: tuple[float, float, float], beyond_share: float) -> float:
    """A setting's worth, of its hit rate, NDCG and hit rate beyond the best sellers,
    ``beyond_share`` of the cases' hidden items not being best sellers: its accuracy, and
    ``REACH_WORTH`` more for each hit beyond the best sellers (reach counts as often as shoppers
    want such items: little in a café whose menu is mostly best sellers)."""
    return _accurate(figures) + REACH_WORTH * beyond_share * figures[2]


def _clearly_better(values: np.ndarray, than: np.ndarray) -> bool:
    """Whether the cases' ``values`` are above ``than`` (the same cases) by more than
    ``CLEARLY_BETTER`` standard errors of the mean difference."""
    difference = values - than
    if len(difference) < 2:
        return False
    error = difference.std(ddof=1) / np.sqrt(len(difference))
    return bool(difference.mean() > CLEARLY_BETTER * error)


def _held_out(baskets: Baskets, rng: np.random.Generator) -> np.ndarray:
    """The validation baskets: the latest ``VALIDATION_SHARE`` when baskets have times (the
    weights will meet later baskets, and a shopper's repeated orders must not sit on both
    sides), else a random share."""
    n = len(baskets)
    if baskets.timestamps is None:
        return rng.random(n) < VALIDATION_SHARE
    held = np.zeros(n, dtype=bool)
    held[np.argsort(baskets.timestamps, kind="stable")[n - int(round(n * VALIDATION_SHARE)) :]] = True
    return held


def _columns(baskets: Baskets, items: np.ndarray, *, rows: np.ndarray | None = None) -> sp.csr_matrix:
    """Ones where a basket (of ``rows``, a mask, when given) holds an item of ``items``, column
    ``k`` for ``items[k]`` (float64: ready for the Gram product). Within a basket the entries
    keep the baskets' order, from which the validation draws its hidden items."""
    indptr, indices = baskets.indptr, baskets.indices
    if rows is not None:
        starts, stops = indptr[:-1][rows], indptr[1:][rows]
        sizes = stops - starts
        indptr, indices = np.concatenate(([0], np.cumsum(sizes))), indices[_ranges(starts, sizes)]
    position = np.full(baskets.n_items, -1, dtype=np.int32)
    position[items] = np.arange(len(items))
    column = position[indices]
    kept = column >= 0
    n_rows = len(indptr) - 1
    row = np.repeat(np.arange(n_rows, dtype=np.int32), np.diff(indptr))[kept]
    new_indptr = np.concatenate(([0], np.cumsum(np.bincount(row, minlength=n_rows))))
    return sp.csr_matrix((np.ones(int(kept.sum())), column[kept], new_indptr), shape=(n_rows, len(items)))


def _gram(matrix: sp.csr_matrix) -> np.ndarray:
    """Baskets holding each pair of items (dense), and each item on the diagonal."""
    return np.asarray((matrix.T @ matrix).toarray(), dtype=np.float64)


def _solve(
    gram: np.ndarray, lam: float, *, n_baskets: int | None = None, dtype: type[np.floating] = np.float64
) -> np.ndarray:
    """EASE's closed form: B = -P / diag(P) with P = (G + lam I)^-1, zero diagonal, in ``dtype``;
    with ``n_baskets``, of the centred baskets: ``G - n m m^T`` for ``G`` (``m = diag(G) / n``)."""
    inverse = _spd_inverse(gram, lam, n_baskets=n_baskets, dtype=dtype)
    inverse /= -np.diag(inverse).copy()[None, :]
    np.fill_diagonal(inverse, 0.0)
    return inverse


def _spd_inverse(
    gram: np.ndarray, lam: float, *, n_baskets: int | None = None, dtype: type[np.floating] = np.float64
) -> np.ndarray:
    """``(gram + lam I)^-1`` for a symmetric positive semi-definite ``gram`` and ``lam > 0``; with
    ``n_baskets``, ``gram`` is first centred (see :func:`_centre`), which keeps it so.

    The matrix is symmetric positive definite, so its inverse comes from its Cholesky factor
    (LAPACK's potrf, then potri on one triangle): a third of the arithmetic of the LU inverse
    of ``np.linalg.inv``, in place in one copy of ``gram``. On one BLAS thread: OpenBLAS's
    threaded potrf waits at every block for its other thread, and when the other core is busy
    (a shared machine, the mining workers) that took 4 to 11 s on 3,000 items against 0.4 s on
    one thread (and 2 s for the threaded potri against 1 s)."""
    n = len(gram)
    # The same symmetric matrix as its transpose, whose copy in column order reads and writes
    # in the same order (a tenth of the time of a copy from row order, 0.5 s at 6,000 items).
    matrix = np.array(gram.T, dtype=dtype, order="F")
    if n_baskets:
        _centre(matrix, n_baskets)
    matrix.flat[:: n + 1] += lam
    if n == 0:
        return matrix
    potrf, potri = lapack.get_lapack_funcs(("potrf", "potri"), (matrix,))
    with threadpool_limits(1, user_api="blas"):
        factor, info = potrf(matrix, lower=True, overwrite_a=True, clean=False)
        if info == 0:
            inverse, info = potri(factor, lower=True, overwrite_c=True)
    if info != 0:  # not positive definite: lam <= 0, or a matrix that is no Gram matrix
        raise np.linalg.LinAlgError(f"G + {lam} I is not positive definite (LAPACK info {info})")
    _mirror_lower(inverse)
    return inverse.T  # the same symmetric matrix, in row order for the cuts of rows


def _centre(matrix: np.ndarray, n_baskets: int, block: int = 1024) -> None:
    """Turn the Gram matrix of ``n_baskets`` baskets into that of the centred baskets, in place:
    ``G - n m m^T`` with ``m = diag(G) / n``, each item's share of the baskets; a band of
    ``block`` columns at a time (no second n x n array)."""
    share = np.diag(matrix) / n_baskets
    for start in range(0, len(matrix), block):
        stop = min(start + block, len(matrix))
        matrix[:, start:stop] -= (n_baskets * share)[:, None] * share[None, start:stop]


def _bias(gram: np.ndarray, n_baskets: int, weights: np.ndarray) -> np.ndarray:
    """Each item's intercept in the regression on the centred baskets whose ``weights`` these
    are: its share of the baskets less what the weights give it from every item's share,
    ``m - B^T m``; so that a cart's score is the bias plus the sum of its items' weights."""
    share = np.diag(gram) / n_baskets
    return share - share @ weights


def _mirror_lower(matrix: np.ndarray, block: int = 1024) -> None:
    """Copy the lower triangle of a square ``matrix`` onto its upper one, in place (potri
    computes one triangle), a band of ``block`` columns at a time (no second n x n array)."""
    n = len(matrix)
    for start in range(0, n, block):
        stop = min(start + block, n)
        matrix[:start, start:stop] = matrix[start:stop, :start].T
        diagonal = matrix[start:stop, start:stop]
        diagonal[...] = np.tril(diagonal) + np.tril(diagonal, -1).T


def _kept_weights(weights: np.ndarray, per_item: int, seen: np.ndarray, *, block: int = 512) -> sp.csr_matrix:
    """Each row's ``per_item // 2`` largest positive weights among the pairs ``seen`` together
    often enough (what a suggestion is explained by: a positive weight without a pair behind it
    could not be), and its ``per_item // 2`` most negative weights, seen together or not (a
    negative weight only lowers a score, and one between items never bought together is what
    pushes down the best sellers that merely sell beside everything); the rest 0 (sparse).
    ``block`` rows at a time: the cut's work arrays stay a few of ``block`` rows, not of all."""
    n = weights.shape[0]
    if n == 0:
        return sp.csr_matrix((0, 0))
    keep = min(per_item // 2, n)
    parts = []
    for start in range(0, n, block):
        rows, near = weights[start : start + block], seen[start : start + block]
        # Each sign's candidates as negative sizes, 0 for none: the positive weights of the
        # pairs seen together (times ``near``, 0 or 1), negated; the negative weights as they are.
        positive = _smallest_per_row(-(np.maximum(rows, 0.0) * near), keep)
        negative = _smallest_per_row(np.minimum(rows, 0.0), keep)
        parts.append(negative - positive)  # -(-w) for a positive weight w, w for a negative one
    return sp.vstack(parts, format="csr")


def _smallest_per_row(values: np.ndarray, keep: int) -> sp.csr_matrix:
    """Each row's ``keep`` smallest of ``values`` (which are 0 or less) that are below 0, the
    rest 0 (sparse). (The sizes are negated rather than the search reversed: one pass less over
    the rows, and the same partition, which compares the same numbers.)"""
    n = values.shape[0]
    if keep == 0:
        return sp.csr_matrix(values.shape)
    columns = np.argpartition(values, keep - 1, axis=1)[:, :keep]
    rows = np.repeat(np.arange(n), keep)
    kept = values[rows, columns.ravel()]
    below = kept < 0
    return sp.csr_matrix((kept[below], (rows[below], columns.ravel()[below])), shape=values.shape)


@dataclass(frozen=True)
class _RankedWeights:
    """Kept weights (sparse rows), with each one's place in its row among the weights of its
    sign: 0 for the largest positive weight and for the most negative, a tie to the smaller
    column. A row's ``k`` largest positive and ``k`` most negative weights are those placed
    before ``k``: fewer weights per item are a cut of these, not a new search of every row."""

    weights: sp.csr_matrix
    place: np.ndarray

    @classmethod
    def of(cls, weights: sp.csr_matrix) -> _RankedWeights:
        """The places of ``weights`` (each row's in column order, as :func:`_kept_weights` gives
        them): each row sorted by the weights' size as a row of a padded array (a few hundred
        weights at most: a small sort each), a weight's place being the count of weights of its
        sign before it."""
        n = weights.shape[0]
        rows = np.repeat(np.arange(n), np.diff(weights.indptr))
        at = np.arange(weights.nnz) - weights.indptr[rows]
        size = np.full((n, int(np.diff(weights.indptr).max(initial=0))), np.inf)
        size[rows, at] = -np.abs(weights.data)
        order = np.argsort(size, axis=1, kind="stable")  # the largest first, a tie to the smaller column
        negative = np.zeros(size.shape, dtype=bool)
        negative[rows, at] = weights.data < 0
        negative = np.take_along_axis(negative, order, axis=1)
        places = np.where(negative, np.cumsum(negative, axis=1), np.cumsum(~negative, axis=1)) - 1
        place = np.empty(size.shape, dtype=np.int32)
        np.put_along_axis(place, order, places.astype(np.int32), axis=1)
        return cls(weights, place[rows, at])

    def cut(self, per_item: int) -> sp.csr_matrix:
        """Each row's ``per_item // 2`` largest positive and most negative weights."""
        keep = self.place < per_item // 2
        indptr = np.concatenate(([0], np.cumsum(keep)))[self.weights.indptr]
        data, indices = self.weights.data[keep], self.weights.indices[keep]
        return sp.csr_matrix((data, indices, indptr), shape=self.weights.shape)


@dataclass(frozen=True)
class _Offers:
    """What the validation carts may be offered: an entry per cart and item offered by a weight
    from one of the cart's items (see :func:`_offers`) and not in the cart, cart by cart (items in
    order); with the weights' sum from the cart's items and the largest confidence of a kept
    pair from one of them. ``hidden_at`` is where each cart's hidden item is among the entries
    (-1: not offered), ``ahead_on_tie`` whether an entry's item comes before its cart's hidden
    item on an equal score (it is more frequent: a smaller column)."""

    carts: np.ndarray
    items: np.ndarray
    summed: np.ndarray
    largest_confidence: np.ndarray
    hidden_at: np.ndarray
    ahead_on_tie: np.ndarray

    def of_cases_offered(self) -> _Offers:
        """The entries of the carts whose hidden item is offered: a cart whose hidden item is not
        is no hit whatever the scores, so its entries change no figure (on 3 million baskets at 50
        weights per item, half the entries are of such carts, and every setting scores them)."""
        offered = self.hidden_at >= 0
        keep = offered[self.carts]
        hidden_at = np.full(len(self.hidden_at), -1)
        hidden_at[offered] = (np.cumsum(keep) - 1)[self.hidden_at[offered]]
        return _Offers(
            carts=self.carts[keep], items=self.items[keep], summed=self.summed[keep],
            largest_confidence=self.largest_confidence[keep], hidden_at=hidden_at,
            ahead_on_tie=self.ahead_on_tie[keep],
        )  # fmt: skip


def _offers(
    carts: sp.csr_matrix,
    hidden: np.ndarray,
    weights: sp.csr_matrix,
    confidence: np.ndarray,
    seen: np.ndarray,
    *,
    block: int = CARTS_AT_A_TIME,
) -> _Offers:
    """The offers of ``carts`` (rows over the validation items) with their ``hidden`` items,
    under the kept ``weights`` (sparse, those items by those items), ``confidence`` being each
    pair's and ``seen`` whether it was bought together often enough to offer its item; ``block``
    carts at a time, each block's offers found in dense rows of every item."""
    rows = np.repeat(np.arange(weights.shape[0]), np.diff(weights.indptr))
    pair_confidence = confidence[rows, weights.indices]
    # Every positive weight's pair was seen often enough; a negative one's may have been.
    offering = seen[rows, weights.indices].astype(np.float64)
    reaches = sp.csr_matrix((offering, weights.indices, weights.indptr), shape=weights.shape)
    n_items = weights.shape[1]
    parts = [(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0))]  # no carts: none
    for start in range(0, carts.shape[0], block):
        part = carts[start : start + block]
        # The weights' sums as the product with the dense weights adds them: each cart's items'
        # weights in the order of its items (the same float64 sums, to the bit).
        summed = (part @ weights).toarray().ravel()
        reached = (part @ reaches).toarray() > 0
        offered = np.flatnonzero(reached & (part.toarray() == 0))  # cart and item, as one index
        largest = _largest_confidence(part, weights, pair_confidence).ravel()
        cart, item = np.divmod(offered, n_items)
        parts.append((cart + start, item, summed[offered], largest[offered]))
    cart, item, summed, largest = (np.concatenate(arrays) for arrays in zip(*parts))
    is_hidden = item == hidden[cart]
    hidden_at = np.full(len(hidden), -1)
    hidden_at[cart[is_hidden]] = np.flatnonzero(is_hidden)
    return _Offers(
        carts=cart, items=item, summed=summed, largest_confidence=largest, hidden_at=hidden_at,
        ahead_on_tie=item < hidden[cart],
    )  # fmt: skip


def _largest_confidence(carts: sp.csr_matrix, weights: sp.csr_matrix, pair_confidence: np.ndarray) -> np.ndarray:
    """For each cart and item (dense rows), the largest ``pair_confidence`` (one per kept weight
    of ``weights``) of a pair from one of the cart's items to the item; 0 for none. The carts'
    first items are taken together, then their second items, and so on: within one step no two
    weights fall on the same cart and item, so each step is a plain maximum in place."""
    n_carts, n_items = carts.shape
    largest = np.zeros(n_carts * n_items)
    sizes = np.diff(carts.indptr)
    for place in range(int(sizes.max(initial=0))):
        with_one = np.flatnonzero(sizes > place)
        source = carts.indices[carts.indptr[with_one] + place]
        count = np.diff(weights.indptr)[source]
        at = _ranges(weights.indptr[source], count)
        cell = np.repeat(with_one * n_items, count) + weights.indices[at]  # cart and item, as one index
        largest[cell] = np.maximum(largest[cell], pair_confidence[at])
    return largest.reshape(n_carts, n_items)


def _ranges(starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """The positions ``starts[k], starts[k] + 1, ... starts[k] + sizes[k] - 1`` for each ``k``, in order."""
    offsets = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    return np.repeat(starts - offsets, sizes) + np.arange(int(sizes.sum()))


def _hide_one(matrix: sp.csr_matrix, rng: np.random.Generator) -> tuple[sp.csr_matrix, np.ndarray]:
    """Of each basket with two items or more (at most ``MAX_VALIDATION_CASES``), the rest as a
    cart and one item drawn at random as the one to predict."""
    sizes = np.diff(matrix.indptr)
    rows = np.flatnonzero(sizes >= 2)
    if len(rows) > MAX_VALIDATION_CASES:
        rows = np.sort(rng.choice(rows, MAX_VALIDATION_CASES, replace=False))
    hidden = np.array([matrix.indices[matrix.indptr[r] + rng.integers(sizes[r])] for r in rows], dtype=np.int64)
    carts = matrix[rows].tolil()
    for at, item in enumerate(hidden):
        carts[at, item] = 0
    return carts.tocsr(), hidden


def _accuracy(scores: np.ndarray, offers: _Offers, hidden: np.ndarray) -> tuple[tuple[float, float, float], np.ndarray]:
    """Hit rate and NDCG at ``TOP`` (the hidden item among the ``TOP`` best ``scores`` of its
    cart's ``offers`` with a positive score, a tie to the more frequent item; and at which
    place), and the hit rate of the carts whose hidden item is not one of the ``BEST_SELLERS``
    (the first columns); and each case's :func:`_worth` (its mean over the cases)."""
    if not len(hidden):
        return (0.0, 0.0, 0.0), np.zeros(0)
    offered = offers.hidden_at >= 0
    hidden_score = np.zeros(len(hidden))
    hidden_score[offered] = scores[offers.hidden_at[offered]]
    # A hidden item's place: its cart's offers ahead of it, by a higher score or by the same
    # score and a more frequent item. (Those of a cart whose hidden item scores 0 or less count
    # for nothing: it is no hit.)
    against = hidden_score[offers.carts]
    ahead = (scores > against) | ((scores == against) & offers.ahead_on_tie)
    place = np.bincount(offers.carts[ahead], minlength=len(hidden))
    hit = (hidden_score > 0) & (place < TOP)
    gain = np.where(hit, 1.0 / np.log2(place + 2.0), 0.0)
    beyond = hidden >= BEST_SELLERS
    figures = (float(hit.mean()), float(gain.mean()), float(hit[beyond].mean()) if beyond.any() else 0.0)
    return figures, (hit + gain) / 2 + REACH_WORTH * (beyond & hit)
