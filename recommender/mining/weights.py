"""Item-item weights fitted on the baskets in closed form, and how much of the pairs' plain
confidence and of the items' popularity to add to them: what the learned ranking adds up.

The weights are EASE's (Steck 2019): a ridge regression of each item on the others,
``P = (G + lambda I)^-1``, ``B = -P / diag(P)`` with a zero diagonal, where ``G`` is the Gram
matrix of the baskets (``G[a, b]``: baskets holding both). Each cart item keeps half of
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
    + popularity_term * the item's support,

over the items some cart item has a positive weight to. ``lambda`` and the two terms are chosen
per shop on a validation split of the baskets given (the latest when they have times), by the
sum of the hit rate and NDCG at 3 on one hidden item per validation basket, over the most
frequent items, and the hit rate on the hidden items that are not best sellers (the terms
favour the best sellers: this keeps them from buying accuracy on the obvious with reach). Then
the weights are fitted on all of them.
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
from ..model_data import WeightTerms

__all__ = ["ItemWeights", "fit_item_weights", "modelled_items", "LAMBDAS", "CONFIDENCE_TERMS", "POPULARITY_TERMS"]

logger = logging.getLogger(__name__)

# Weights kept per cart item, the choices in order: half of them its largest positive ones,
# half its most negative. A larger number is taken only when the validation cases show it
# clearly better (by more than twice the standard error of the paired difference).
PER_ITEM = (50, 100, 200, 400)
CLEARLY_BETTER = 2.0
# One basket together is chance; two is the least that repeats (for a positive weight, which
# explains a suggestion).
MIN_PAIR_BASKETS = 2
# The dense solve holds a few N x N float64 matrices: 6,000 items are 288 MB each.
MAX_ITEMS = 6_000
# The grid of lambda, in baskets: the ridge's pull toward no weight at all.
LAMBDAS = (3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)
# The grids of the two terms added to the weights' sum.
CONFIDENCE_TERMS = (0.0, 0.1, 0.3)
POPULARITY_TERMS = (0.0, 0.1, 0.3)
# The validation also scores the hit rate on the items outside the best sellers (any shop can
# show those): what the terms, which favour the best sellers, cost in reach.
BEST_SELLERS = 10
# The choice is made on the validation split over at most this many of the most frequent items:
# each lambda tried costs a dense solve, cubic in the items.
VALIDATION_ITEMS = 3_000
VALIDATION_SHARE = 0.2
MAX_VALIDATION_CASES = 5_000
TOP = 3  # the answer's length the validation scores

Setting = tuple[float, float, float, int]  # lambda, confidence term, popularity term, weights per item


@dataclass(frozen=True, kw_only=True)
class ItemWeights:
    """Weights ``(a, b, weight, baskets)``: what ``a`` in a cart adds to ``b``'s score, and the
    baskets that held both; with the ``lambda_`` and the two terms chosen, the items modelled
    (the most frequent, at most ``MAX_ITEMS``) and the validation hit rate, NDCG and hit rate
    beyond the best sellers of each setting tried, keyed ``(lambda, confidence_term,
    popularity_term, per_item)``; ``per_item`` is the number of weights each item keeps (at most)."""

    lambda_: float
    confidence_term: float = 0.0
    popularity_term: float = 0.0
    per_item: int
    items_modelled: int
    triples: tuple[tuple[int, int, float, int], ...]
    validation: dict[Setting, tuple[float, float, float]] = field(default_factory=dict)

    @property
    def terms(self) -> WeightTerms:
        """The two terms, as the model stores them."""
        return WeightTerms(self.confidence_term, self.popularity_term)

    def as_dict(self) -> dict[str, object]:
        """What the model's provenance records of the fit."""
        best = self.validation.get((self.lambda_, self.confidence_term, self.popularity_term, self.per_item))
        return {
            "lambda": self.lambda_,
            "confidence_term": self.confidence_term,
            "popularity_term": self.popularity_term,
            "weights_per_item": self.per_item,
            "items_modelled": self.items_modelled,
            "weights": len(self.triples),
            "settings_tried": len(self.validation),
            "validation_hit_rate": None if best is None else round(best[0], 4),
            "validation_ndcg": None if best is None else round(best[1], 4),
            "validation_beyond_best_sellers": None if best is None else round(best[2], 4),
        }


def fit_item_weights(
    baskets: Baskets,
    *,
    per_item: int | Sequence[int] = PER_ITEM,
    min_count: int = MIN_PAIR_BASKETS,
    max_items: int = MAX_ITEMS,
    lambdas: Sequence[float] = LAMBDAS,
    confidence_terms: Sequence[float] = CONFIDENCE_TERMS,
    popularity_terms: Sequence[float] = POPULARITY_TERMS,
    seed: int = 0,
    gram: np.ndarray | None = None,
) -> ItemWeights:
    """Fit the weights on ``baskets``, lambda and the terms chosen on a seeded validation split.

    ``gram``, when given, is the baskets' Gram matrix over :func:`modelled_items` (``max_items``
    of them), as :func:`.pairs.count_pairs` counts it beside the rules' pairs; otherwise it is
    counted here.

    Examples
    --------
    >>> b = Baskets.from_lists([["tea", "kettle"]] * 6 + [["mug", "cake"]] * 4 + [["tea", "mug"]] * 2)
    >>> fitted = fit_item_weights(b, lambdas=(1.0,), confidence_terms=(0.0,), popularity_terms=(0.0,))
    >>> sorted((b.items[x], b.items[y]) for x, y, w, _ in fitted.triples if w > 0)[:3]
    [('cake', 'mug'), ('kettle', 'tea'), ('mug', 'cake')]
    >>> all(baskets >= 2 for _, _, w, baskets in fitted.triples if w > 0)  # each has a pair behind it
    True
    >>> sorted((b.items[x], b.items[y], n) for x, y, w, n in fitted.triples if w < 0)[:2]  # never together
    [('cake', 'tea', 0), ('kettle', 'mug', 0)]
    """
    modelled = modelled_items(baskets.item_counts(), max_items)
    if len(modelled) < np.count_nonzero(baskets.item_counts()):
        logger.info("weights over the %d most frequent of %d items", len(modelled), baskets.n_items)
    if gram is None:
        gram = _gram(_columns(baskets, modelled))
    elif gram.shape != (len(modelled), len(modelled)):
        raise ValueError(f"a Gram matrix over {len(modelled)} items was expected, not one of shape {gram.shape}")
    choices = sorted({per_item} if isinstance(per_item, int) else set(per_item))
    grid = [(float(a), float(b), float(c)) for a, b, c in product(lambdas, confidence_terms, popularity_terms)]
    validation: dict[Setting, tuple[float, float, float]] = {}
    if len(grid) * len(choices) > 1:
        rng = np.random.default_rng(seed)
        held = _held_out(baskets, rng)
        # The validation's items are the most frequent; its Gram that of the baskets not held
        # out: all of them less the held ones (a fifth of the counting).
        head = modelled[:VALIDATION_ITEMS]
        held_columns = _columns(baskets, head, rows=held)
        fit_gram = np.asarray(gram[: len(head), : len(head)], dtype=np.float64) - _gram(held_columns)
        validation, best = _validate(
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
    lam, confidence_term, popularity_term, kept_per_item = best
    kept = _kept_weights(_solve(gram, lam), kept_per_item, gram >= min_count).tocoo()
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
        popularity_term=popularity_term,
        per_item=kept_per_item,
        items_modelled=len(modelled),
        triples=triples,
        validation=validation,
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
) -> tuple[dict[Setting, tuple[float, float, float]], Setting]:
    """Hit rate, NDCG and hit rate beyond the best sellers at ``TOP`` of each setting tried,
    fitted on the ``n_fit`` baskets whose Gram matrix is ``gram`` and scored on one hidden item
    of each basket of ``carts_and_hidden`` (the held-out baskets over the same items); and the
    setting chosen.

    Each number of weights per item (fewest first) has its best ``grid`` setting: the best sum
    of the three figures (a shop knows its best sellers: reaching past them is part of what a
    suggestion is worth); among equals, the plainest: a larger lambda, smaller terms. The next
    number is tried only while each one is clearly better than the one before it, case by case.
    """
    carts, hidden = _hide_one(carts_and_hidden, rng)
    counts = np.diag(gram).copy()
    support = counts / max(n_fit, 1)
    seen = gram >= min_count
    confidence = gram / np.maximum(counts, 1.0)[:, None]
    in_cart = carts.toarray() > 0
    lambdas = sorted({setting[0] for setting in grid})
    # Each lambda's weights at the most kept, in float32: half the work of float64, and on
    # Groceries and retail.dat the same figures for every setting (the stored weights are
    # solved in float64). Fewer per item are the largest of these.
    widest = {lam: _kept_weights(_solve(gram, lam, dtype=np.float32), max(per_item), seen) for lam in lambdas}
    found: dict[Setting, tuple[float, float, float]] = {}
    chosen: tuple[Setting, np.ndarray] | None = None
    for number in per_item:
        if chosen is not None and chosen[0][3] // 2 >= len(gram):
            break  # every weight is kept already
        values: dict[Setting, np.ndarray] = {}
        for lam in lambdas:
            weights = widest[lam].toarray()
            if number < max(per_item):
                weights = _kept_weights(weights, number, seen).toarray()
            kept = weights != 0
            summed = np.asarray(carts @ weights)
            # The items a cart may be offered: reached by a positive weight, not in the cart.
            offered = (np.asarray(carts @ (weights > 0)) > 0) & ~in_cart
            largest_confidence = _row_max(carts, np.where(kept, confidence, 0.0))
            for choice in grid:
                if choice[0] == lam:
                    # The weights' sum plus the terms, each added only when not 0 (a term of 0
                    # adds nothing a score is compared by; each is an array of every cart and item).
                    scores = summed + choice[1] * largest_confidence if choice[1] else summed.copy()
                    if choice[2]:
                        scores += choice[2] * support[None, :]
                    setting = (*choice, number)
                    found[setting], values[setting] = _accuracy(scores, offered, hidden)
        best = max(values, key=lambda s: (sum(found[s]), s[0], -s[1], -s[2]))
        if chosen is not None and not _clearly_better(values[best], chosen[1]):
            break
        chosen = (best, values[best])
    assert chosen is not None
    return found, chosen[0]


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
        # Each kept basket's entries, in order: its start plus 0, 1, ... its size - 1.
        at = np.repeat(starts - np.concatenate(([0], np.cumsum(sizes)[:-1])), sizes) + np.arange(sizes.sum())
        indptr, indices = np.concatenate(([0], np.cumsum(sizes))), indices[at]
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


def _solve(gram: np.ndarray, lam: float, *, dtype: type[np.floating] = np.float64) -> np.ndarray:
    """EASE's closed form: B = -P / diag(P) with P = (G + lam I)^-1, zero diagonal, in ``dtype``."""
    inverse = _spd_inverse(gram, lam, dtype=dtype)
    inverse /= -np.diag(inverse).copy()[None, :]
    np.fill_diagonal(inverse, 0.0)
    return inverse


def _spd_inverse(gram: np.ndarray, lam: float, *, dtype: type[np.floating] = np.float64) -> np.ndarray:
    """``(gram + lam I)^-1`` for a symmetric positive semi-definite ``gram`` and ``lam > 0``.

    The matrix is symmetric positive definite, so its inverse comes from its Cholesky factor
    (LAPACK's potrf, then potri on one triangle): a third of the arithmetic of the LU inverse
    of ``np.linalg.inv``, in place in one copy of ``gram``. On one BLAS thread: OpenBLAS's
    threaded potrf waits at every block for its other thread, and when the other core is busy
    (a shared machine, the mining workers) that took 4 to 11 s on 3,000 items against 0.4 s on
    one thread (and 2 s for the threaded potri against 1 s)."""
    n = len(gram)
    matrix = np.array(gram, dtype=dtype, order="F")
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
        positive = _largest_per_row(np.where(near & (rows > 0), rows, 0.0), keep)
        negative = _largest_per_row(np.where(rows < 0, -rows, 0.0), keep)
        parts.append(positive - negative)
    return sp.vstack(parts, format="csr")


def _largest_per_row(values: np.ndarray, keep: int) -> sp.csr_matrix:
    """Each row's ``keep`` largest of ``values`` (which are 0 or more), the rest 0 (sparse)."""
    n = values.shape[0]
    if keep == 0:
        return sp.csr_matrix(values.shape)
    columns = np.argpartition(-values, keep - 1, axis=1)[:, :keep]
    rows = np.repeat(np.arange(n), keep)
    kept = values[rows, columns.ravel()]
    nonzero = kept > 0
    return sp.csr_matrix((kept[nonzero], (rows[nonzero], columns.ravel()[nonzero])), shape=values.shape)


def _row_max(carts: sp.csr_matrix, values: np.ndarray) -> np.ndarray:
    """For each cart, the largest of ``values`` over the rows of its items (0 for none)."""
    out = np.zeros((carts.shape[0], values.shape[1]))
    for row in range(carts.shape[0]):
        items = carts.indices[carts.indptr[row] : carts.indptr[row + 1]]
        if len(items):
            out[row] = values[items].max(axis=0)
    return out


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


def _accuracy(
    scores: np.ndarray, offered: np.ndarray, hidden: np.ndarray
) -> tuple[tuple[float, float, float], np.ndarray]:
    """Hit rate and NDCG at ``TOP`` (the hidden item among the ``TOP`` best scored items the
    cart may be ``offered`` with a positive score; and at which place), and the hit rate of the
    carts whose hidden item is not one of the ``BEST_SELLERS`` (the first columns); and each
    case's share of their sum (the three figures added up are its mean). ``scores`` is used up."""
    if not len(hidden):
        return (0.0, 0.0, 0.0), np.zeros(0)
    np.copyto(scores, -np.inf, where=~(offered & (scores > 0)))
    # The best item left of each cart, TOP times (a tie to the more frequent item): three
    # passes of argmax cost a twentieth of a partition of every row.
    rows = np.arange(len(scores))
    found = np.zeros((len(scores), min(TOP, scores.shape[1])), dtype=bool)
    for place in range(found.shape[1]):
        best = scores.argmax(axis=1)
        found[:, place] = (best == hidden) & np.isfinite(scores[rows, best])
        scores[rows, best] = -np.inf
    hit = found.any(axis=1)
    gain = np.where(hit, 1.0 / np.log2(np.argmax(found, axis=1) + 2.0), 0.0)
    beyond = hidden >= BEST_SELLERS
    reach = np.where(beyond & hit, len(hidden) / max(int(beyond.sum()), 1), 0.0)
    figures = (float(hit.mean()), float(gain.mean()), float(hit[beyond].mean()) if beyond.any() else 0.0)
    return figures, hit + gain + reach
