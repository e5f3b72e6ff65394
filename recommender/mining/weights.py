"""Item-item weights fitted on the baskets in closed form: what the learned ranking adds up.

The model is EASE (Steck 2019), kept to mined evidence: a ridge regression of each item on the
others, ``P = (G + lambda I)^-1``, ``B = -P / diag(P)`` with a zero diagonal, where ``G`` is the
Gram matrix of the baskets (``G[a, b]``: baskets holding both). An item's score for a cart is
the sum of the weights from the cart's items. Only weights of pairs seen together in at least
``min_count`` baskets are kept, each item's ``per_item`` largest positive ones, each with the
pair's basket count, so that a suggestion is explained by a pair a merchandiser can check.
(Zeroing the rarer pairs in ``G`` itself instead would leave a matrix that is no Gram matrix:
not positive semi-definite, it needs a large lambda to be solved.) ``lambda`` is chosen per shop
on a validation split of the baskets given (hit rate at 3 on one hidden item per validation
basket, over the most frequent items), then the weights are fitted on all of them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ..io.baskets import Baskets

__all__ = ["ItemWeights", "fit_item_weights", "LAMBDAS"]

logger = logging.getLogger(__name__)

# Weights kept per item: an answer shows three items; twenty leave room for the cart's own.
PER_ITEM = 20
# One basket together is chance; two is the least that repeats.
MIN_PAIR_BASKETS = 2
# The dense solve holds two N x N float64 matrices: 5,000 items are 400 MB.
MAX_ITEMS = 5_000
# The grid of lambda, in baskets: the ridge's pull toward no weight at all.
LAMBDAS = (3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)
# Lambda is chosen on the validation split over at most this many of the most frequent items:
# each value tried costs a dense solve, cubic in the items.
LAMBDA_ITEMS = 3_000
VALIDATION_SHARE = 0.1
MAX_VALIDATION_CASES = 3_000
TOP = 3  # the answer's length the validation scores


@dataclass(frozen=True, kw_only=True)
class ItemWeights:
    """Weights ``(a, b, weight, baskets)``: what ``a`` in a cart adds to ``b``'s score, and the
    baskets that held both; with the ``lambda_`` chosen, the items modelled (the most frequent,
    at most ``MAX_ITEMS``) and the validation hit rate of each lambda tried."""

    lambda_: float
    items_modelled: int
    triples: tuple[tuple[int, int, float, int], ...]
    validation: dict[float, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        """What the model's provenance records of the fit."""
        return {
            "lambda": self.lambda_,
            "items_modelled": self.items_modelled,
            "weights": len(self.triples),
            "validation_hit_rate": {str(lam): round(hit, 4) for lam, hit in self.validation.items()},
        }


def fit_item_weights(
    baskets: Baskets,
    *,
    per_item: int = PER_ITEM,
    min_count: int = MIN_PAIR_BASKETS,
    max_items: int = MAX_ITEMS,
    lambdas: Sequence[float] = LAMBDAS,
    seed: int = 0,
) -> ItemWeights:
    """Fit the weights on ``baskets``, lambda chosen on a seeded validation split of them.

    Examples
    --------
    >>> b = Baskets.from_lists([["tea", "kettle"]] * 6 + [["mug", "cake"]] * 4 + [["tea", "mug"]] * 2)
    >>> fitted = fit_item_weights(b, lambdas=(1.0,))
    >>> sorted((b.items[x], b.items[y]) for x, y, _, _ in fitted.triples)[:3]
    [('cake', 'mug'), ('kettle', 'tea'), ('mug', 'cake')]
    >>> all(baskets >= 2 for _, _, _, baskets in fitted.triples)  # every weight has a pair behind it
    True
    """
    matrix = _binary(baskets)
    counts = np.asarray(matrix.sum(axis=0)).ravel()
    used = np.flatnonzero(counts > 0)
    modelled = used[np.lexsort((used, -counts[used]))][:max_items]
    if len(modelled) < len(used):
        logger.info("weights over the %d most frequent of %d items", len(modelled), len(used))
    columns = matrix[:, modelled].tocsr()
    validation: dict[float, float] = {}
    if len(lambdas) > 1:
        rng = np.random.default_rng(seed)
        held = rng.random(columns.shape[0]) < VALIDATION_SHARE
        head = columns[:, :LAMBDA_ITEMS]  # the columns are in order of frequency
        carts, hidden = _hide_one(head[held], rng)
        gram = _gram(head[~held])
        for lam in lambdas:
            weights = _top_weights(_solve(gram, lam), per_item, gram >= min_count)
            validation[float(lam)] = _hit_rate(weights, carts, hidden)
        best = max(validation, key=lambda lam: (validation[lam], -lam))
    else:
        best = float(lambdas[0])
    gram = _gram(columns)
    weights = _top_weights(_solve(gram, best), per_item, gram >= min_count)
    rows, cols = weights.nonzero()
    triples = tuple(
        (int(modelled[a]), int(modelled[b]), float(weights[a, b]), int(gram[a, b])) for a, b in zip(rows, cols)
    )
    return ItemWeights(lambda_=best, items_modelled=len(modelled), triples=triples, validation=validation)


def _binary(baskets: Baskets) -> sp.csr_matrix:
    data = np.ones(len(baskets.indices), dtype=np.float64)
    return sp.csr_matrix((data, baskets.indices, baskets.indptr), shape=(len(baskets), len(baskets.items)))


def _gram(matrix: sp.csr_matrix) -> np.ndarray:
    """Baskets holding each pair of items (dense), and each item on the diagonal."""
    return np.asarray((matrix.T @ matrix).toarray(), dtype=np.float64)


def _solve(gram: np.ndarray, lam: float) -> np.ndarray:
    """EASE's closed form: B = -P / diag(P) with P = (G + lam I)^-1, zero diagonal."""
    inverse = np.linalg.inv(gram + lam * np.eye(len(gram)))
    weights = -inverse / np.diag(inverse)[None, :]
    np.fill_diagonal(weights, 0.0)
    return weights


def _top_weights(weights: np.ndarray, per_item: int, seen: np.ndarray) -> sp.csr_matrix:
    """Each row's ``per_item`` largest positive weights of the pairs ``seen`` together often
    enough (a weight without a pair behind it could not be explained), the rest 0 (sparse)."""
    weights = np.where(seen, weights, 0.0)
    n = weights.shape[0]
    if n == 0:
        return sp.csr_matrix((0, 0))
    keep = min(per_item, n)
    columns = np.argpartition(-weights, keep - 1, axis=1)[:, :keep]
    rows = np.repeat(np.arange(n), keep)
    values = weights[rows, columns.ravel()]
    positive = values > 0
    return sp.csr_matrix((values[positive], (rows[positive], columns.ravel()[positive])), shape=(n, n))


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


def _hit_rate(weights: sp.csr_matrix, carts: sp.csr_matrix, hidden: np.ndarray) -> float:
    """Share of the carts whose hidden item is among the ``TOP`` best scored items outside them."""
    if not len(hidden):
        return 0.0
    scores = np.asarray((carts @ weights).toarray())
    scores[carts.nonzero()] = -np.inf
    top = np.argpartition(-scores, TOP - 1, axis=1)[:, :TOP] if scores.shape[1] > TOP else np.argsort(-scores)
    found = (top == hidden[:, None]) & np.isfinite(np.take_along_axis(scores, top, axis=1))
    found &= np.take_along_axis(scores, top, axis=1) > 0
    return float(found.any(axis=1).mean())
