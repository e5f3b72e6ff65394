"""The systems an evaluation compares: our rules and the baselines they must beat.

One contract for all: a system is built from the train baskets (or the model mined from
them) and answers every case at once with ``suggest(cases, limit=K)``, returning
:class:`Answers` (item indices of the train vocabulary, best first, -1 padded, and whether
each answer fell back for lack of evidence). The baselines are vectorised: a case's scores are
the sum of the rows of its cart's items (sparse counts, or EASE's dense weights), ranked a block
of cases at a time.

Ties break on train popularity, then on the item id, everywhere.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from ..config import RankingConfig, check_limit
from ..exceptions import ConfigError, InputError, MissingDependencyError
from ..io.baskets import Baskets
from ..model_data import ModelData
from .metrics import hit_rate, ndcg, ranks_of
from .splits import SPLIT_METHODS, Cases, leave_one_out, split_baskets

__all__ = [
    "Answers",
    "System",
    "RulesSystem",
    "Popular",
    "Cooccurrence",
    "RandomItems",
    "ImplicitALS",
    "EASE",
    "ease_weights",
    "top_k",
    "basket_matrix",
]

logger = logging.getLogger(__name__)

Details = tuple[tuple[str, Any], ...]

# Dense score blocks hold at most this many values (16 MB of float64) at a time.
BLOCK_VALUES = 2_000_000


@dataclass(frozen=True, kw_only=True, eq=False)
class Answers:
    """Every case's suggestions: ``suggested[c]`` are train item indices, best first, -1 padded."""

    suggested: np.ndarray
    fallback: np.ndarray

    def __post_init__(self) -> None:
        if self.suggested.ndim != 2 or self.fallback.shape != (self.suggested.shape[0],):
            raise InputError("answers need a (cases, K) array of suggestions and one fallback flag per case.")


class System(Protocol):
    """What every evaluated system provides."""

    name: str

    def suggest(self, cases: Cases, *, limit: int) -> Answers: ...

    def details(self) -> Details:
        """What the system chose or assumed (e.g. EASE's lambda), as JSON-ready ``(key, value)`` pairs."""
        ...


def basket_matrix(baskets: Baskets) -> sp.csr_matrix:
    """Baskets as a sparse 0/1 matrix, one row per basket, one column per vocabulary item.

    Examples
    --------
    >>> basket_matrix(Baskets.from_lists([["a", "b"], ["b"]])).toarray().tolist()
    [[1.0, 1.0], [0.0, 1.0]]
    """
    data = np.ones(len(baskets.indices))
    return sp.csr_matrix((data, baskets.indices, baskets.indptr), shape=(len(baskets), baskets.n_items))


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Columns of the ``k`` largest values of each row, ties to the lower column; ``-inf`` is
    never taken and short rows are padded with -1.

    Examples
    --------
    >>> top_k(np.array([[0.0, 2.0, 2.0, 1.0], [-np.inf, 0.0, -np.inf, -np.inf]]), 3).tolist()
    [[1, 2, 3], [1, -1, -1]]
    """
    rows, n = scores.shape
    out = np.full((rows, k), -1, dtype=np.int64)
    width = min(k, n)
    if rows == 0 or width == 0:
        return out
    kth = -np.partition(-scores, width - 1, axis=1)[:, width - 1]
    above = scores > kth[:, None]
    equal = scores == kth[:, None]
    need = width - above.sum(axis=1)
    # Of the values tied with the k-th, the first ones by column: a deterministic tie-break.
    taken = (above | (equal & (np.cumsum(equal, axis=1) <= need[:, None]))) & np.isfinite(scores)
    row, column = np.nonzero(taken)
    order = np.lexsort((column, -scores[row, column], row))
    row, column = row[order], column[order]
    within = np.arange(len(row)) - np.searchsorted(row, row)
    out[row, within] = column
    return out


class _Ranked:
    """Shared machinery: block-wise dense scores over the items in tie order, carts excluded."""

    name = "baseline"

    def __init__(self, train: Baskets) -> None:
        self.items_ = train.items
        self.counts_ = train.item_counts()
        # Tie order: most popular first, then by id (the vocabulary is sorted by id).
        self.order_ = np.lexsort((np.arange(train.n_items), -self.counts_))

    def details(self) -> Details:
        return ()

    def _rank(self, cases: Cases, limit: int, block_scores: Callable[[sp.csr_matrix], np.ndarray] | None) -> Answers:
        """Rank every case; without scores (popularity alone) only the head of the tie order is
        looked at: a cart can push at most its own length of items out of the top ``limit``."""
        limit = check_limit(limit)
        indptr, indices = cases.cart_matrix(self.items_)
        n_items = len(self.items_)
        carts = sp.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(len(cases), n_items))
        order = self.order_
        if block_scores is None:
            longest = int(np.diff(indptr).max()) if len(cases) else 0
            order = order[: limit + longest]
        suggested = np.full((len(cases), limit), -1, dtype=np.int64)
        fallback = np.zeros(len(cases), dtype=bool)
        step = max(1, BLOCK_VALUES // max(len(order), 1))
        for start in range(0, len(cases), step):
            block = carts[start : start + step]
            if block_scores is None:
                # Columns already in tie order; -inf for the cart's items.
                ranked = np.where(block[:, order].toarray() > 0, -np.inf, 0.0)
            else:
                dense = np.asarray(block_scores(block), dtype=float)
                row, column = block.nonzero()
                dense[row, column] = -np.inf
                ranked = dense[:, order]
                fallback[start : start + step] = (dense > 0).sum(axis=1) < limit
            chosen = top_k(ranked, limit)
            suggested[start : start + step] = np.where(chosen >= 0, order[np.maximum(chosen, 0)], -1)
        return Answers(suggested=suggested, fallback=fallback)


class Popular(_Ranked):
    """The most frequent train items not in the cart (what the rules fall back to).

    Examples
    --------
    >>> from .splits import Cases
    >>> train = Baskets.from_lists([["a", "b"], ["b", "c"], ["b"], ["c"]])
    >>> cases = Cases(carts=(("b",),), hidden=("a",), rows=np.array([0]))
    >>> Popular(train).suggest(cases, limit=2).suggested.tolist()
    [[2, 0]]
    """

    name = "popular"

    def suggest(self, cases: Cases, *, limit: int) -> Answers:
        return self._rank(cases, limit, None)


class Cooccurrence(_Ranked):
    """Items bought with the cart's items: item j scores the sum over cart items i of the
    baskets holding both (``cosine``: divided by ``sqrt(n_i n_j)``).

    An answer falls back when fewer than ``limit`` items co-occur with the cart (popular
    items fill in through the tie-break).

    Examples
    --------
    >>> from .splits import Cases
    >>> train = Baskets.from_lists([["a", "b"], ["a", "b"], ["a", "c"], ["c"], ["c"]])
    >>> cases = Cases(carts=(("a",),), hidden=("b",), rows=np.array([0]))
    >>> [train.items[i] for i in Cooccurrence(train).suggest(cases, limit=2).suggested[0]]
    ['b', 'c']
    """

    def __init__(self, train: Baskets, *, cosine: bool = False) -> None:
        super().__init__(train)
        self.cosine = cosine
        self.name = "cosine" if cosine else "cooccurrence"
        matrix = basket_matrix(train)
        together = (matrix.T @ matrix).tocsr()
        together.setdiag(0)
        together.eliminate_zeros()
        if cosine:
            scale = sp.diags(1.0 / np.sqrt(np.maximum(self.counts_, 1)))
            together = (scale @ together @ scale).tocsr()
        self.together_ = together

    def suggest(self, cases: Cases, *, limit: int) -> Answers:
        return self._rank(cases, limit, lambda block: (block @ self.together_).toarray())


class RandomItems(_Ranked):
    """Items drawn at random (seeded): the floor any system must clear.

    Examples
    --------
    >>> from .splits import Cases
    >>> train = Baskets.from_lists([["a", "b", "c", "d"]])
    >>> cases = Cases(carts=(("a",),), hidden=("b",), rows=np.array([0]))
    >>> answer = RandomItems(train, seed=0).suggest(cases, limit=3).suggested[0]
    >>> sorted(answer.tolist())
    [1, 2, 3]
    """

    name = "random"

    def __init__(self, train: Baskets, *, seed: int | np.random.Generator = 0) -> None:
        super().__init__(train)
        self.rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)

    def suggest(self, cases: Cases, *, limit: int) -> Answers:
        # Scores in (1, 2): above the zero of no evidence, so the draw never looks like a fallback.
        return self._rank(cases, limit, lambda block: 1.0 + self.rng.random(block.shape))


class ImplicitALS(_Ranked):
    """Matrix factorisation of the baskets (``implicit``'s alternating least squares); a cart
    is folded in as a new user. Needs ``pip install implicit``.

    Few factors and a mild confidence weight suit baskets: on Groceries, 8 to 16 factors with
    ``alpha`` 5 found the hidden item about twice as often as 64 factors with ``alpha`` 1.
    """

    name = "implicit"

    def __init__(
        self, train: Baskets, *, factors: int = 16, alpha: float = 5.0, regularization: float = 0.1,
        iterations: int = 15, seed: int = 0,
    ) -> None:  # fmt: skip
        super().__init__(train)
        try:
            from implicit.cpu.als import AlternatingLeastSquares
        except ImportError:
            raise MissingDependencyError(
                "the 'implicit' system needs the implicit package; pip install implicit, or leave it out of systems."
            ) from None
        self.model_: Any = AlternatingLeastSquares(
            factors=factors, alpha=alpha, regularization=regularization, iterations=iterations, random_state=seed,
            num_threads=1,
        )  # fmt: skip
        with _one_blas_thread():
            self.model_.fit(basket_matrix(train).astype(np.float32), show_progress=False)

    def suggest(self, cases: Cases, *, limit: int) -> Answers:
        def scores(block: sp.csr_matrix) -> np.ndarray:
            users = self.model_.recalculate_user(np.arange(block.shape[0]), block.astype(np.float32))
            values: np.ndarray = np.asarray(users @ self.model_.item_factors.T, dtype=float)
            # Factor scores may be negative: shift so that every item outranks "no evidence".
            shifted: np.ndarray = values - values.min(axis=1, keepdims=True) + 1.0
            return shifted

        answers = self._rank(cases, limit, scores)
        indptr, _ = cases.cart_matrix(self.items_)
        # Falls back (to arbitrary factors) only when none of the cart's items is known.
        return Answers(suggested=answers.suggested, fallback=np.diff(indptr) == 0)


# EASE's dense solve holds a few N x N float64 matrices at once (the Gram matrix kept for the
# grid of lambda, the one being inverted, a block of scores): at 6,000 items each is 0.29 GB,
# about 1 GB in all, and a solve takes seconds on two cores. Past that, the N most frequent
# items are modelled (where nearly all hidden items are: the rest are bought a handful of times).
EASE_MAX_ITEMS = 6000
# The first grid of lambda; the best is then followed past an edge of the grid and refined
# halfway (geometrically) to its neighbours. See EASE.
EASE_LAMBDAS = (10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0)
# Only when the train orders leave no validation case to choose on (a handful of orders).
EASE_DEFAULT_LAMBDA = 100.0
# Symmetrising the inverse a band of rows at a time keeps its copies small.
_BAND = 512


def ease_weights(gram: np.ndarray, l2: float) -> np.ndarray:
    """EASE's item-item weights (Steck 2019): ``P = (G + l2 I)^-1``, ``B[i, j] = -P[i, j] / P[j, j]``,
    ``B[j, j] = 0``; a cart scores item ``j`` with the sum of ``B[i, j]`` over its items ``i``.

    ``G`` is the Gram matrix ``XᵀX`` of the baskets' 0/1 item matrix ``X`` (symmetric); it is
    not modified. The inverse comes from a Cholesky factorisation (``G + l2 I`` is positive
    definite for ``l2 > 0``), half the work of a general inverse.

    Examples
    --------
    >>> gram = np.array([[2.0, 1.0], [1.0, 2.0]])  # two items, together once, each twice
    >>> ease_weights(gram, 1.0).round(4).tolist()  # P = inv([[3, 1], [1, 3]]) = [[3, -1], [-1, 3]] / 8
    [[0.0, 0.3333], [0.3333, 0.0]]
    """
    l2 = _check_l2(l2)
    gram = np.asarray(gram, dtype=np.float64)
    n = gram.shape[0]
    if gram.ndim != 2 or gram.shape != (n, n):
        raise InputError(f"the Gram matrix must be square, got shape {gram.shape}.")
    if n == 0:
        return np.zeros((0, 0))
    work = np.array(gram, dtype=np.float64, order="C", copy=True)
    work[np.diag_indices(n)] += l2
    # LAPACK reads the C-ordered symmetric matrix through its transpose (Fortran order, the same
    # matrix) and works in place: its upper triangle is our lower one.
    factor, info = scipy.linalg.lapack.dpotrf(work.T, lower=0, clean=0, overwrite_a=1)
    if info == 0:
        inverse, info = scipy.linalg.lapack.dpotri(factor, lower=0, overwrite_c=1)
    if info != 0:
        raise InputError(
            f"the Gram matrix plus {l2:g} times the identity could not be inverted (LAPACK info {info}); "
            "a larger lambda makes it better conditioned."
        )
    p = np.ascontiguousarray(inverse.T)  # the same memory when LAPACK worked in place
    _fill_upper_from_lower(p)
    p /= -np.diag(p).copy()[None, :]
    p[np.diag_indices(n)] = 0.0
    return p


def _fill_upper_from_lower(matrix: np.ndarray) -> None:
    """Make a matrix whose lower triangle holds a symmetric result symmetric, in place."""
    n = matrix.shape[0]
    for start in range(0, n, _BAND):
        stop = min(start + _BAND, n)
        square = matrix[start:stop, start:stop]
        square[...] = np.tril(square) + np.tril(square, -1).T
        matrix[start:stop, stop:] = matrix[stop:, start:stop].T


def _check_l2(l2: object) -> float:
    if (
        isinstance(l2, bool)
        or not isinstance(l2, (int, float, np.integer, np.floating))
        or not (math.isfinite(float(l2)) and float(l2) > 0)
    ):
        raise ConfigError(f"EASE's lambda must be a positive number, got {l2!r}; e.g. 100.")
    return float(l2)


class EASE(_Ranked):
    """EASE (Steck 2019, "Embarrassingly Shallow Autoencoders"): closed-form item-item ridge
    regression on the train baskets, the usual anchor of basket-completion comparisons.

    ``B`` is :func:`ease_weights` of the Gram matrix of the train baskets; a cart scores item
    ``j`` with the sum over its items ``i`` of ``B[i, j]`` (negative scores rank too); items in
    the cart are never suggested; ties break on popularity, then id, as for every baseline.

    **lambda** (``l2``): a number is used as given. A sequence (default :data:`EASE_LAMBDAS`)
    is a grid searched on a validation split of the *train* orders only, built as
    :func:`recommender.evaluate` builds its cases (:func:`~.splits.split_baskets` with
    ``validation_share`` and ``split``, then :func:`~.splits.leave_one_out` with ``max_cases``):
    each lambda is fitted on the validation split's train part and scored by hit rate@``limit``
    (then NDCG, then the larger lambda) on its cases; while the best is the grid's largest
    (smallest) and strictly better than the next, lambda x3 (/3) is tried, up to three times;
    then the geometric midpoints to the best's neighbours (3 significant digits). The best is
    refitted on all train baskets. With no validation case (a handful of orders)
    :data:`EASE_DEFAULT_LAMBDA` is used and ``details()`` says so.

    **Items**: at most ``max_items`` (default :data:`EASE_MAX_ITEMS`) are modelled, the most
    frequent train items (ties by id); the others get no score and are never suggested. A cart
    with none of the modelled items gets the most popular modelled items and counts as a
    fallback.

    **half_life**: days after which a train basket counts half in the Gram matrix (``XᵀWX``, the
    weights of :func:`recommender.mining.recency.basket_weights`), in the validation fits too;
    None counts every basket the same.

    ``details()`` reports ``lambda``, ``lambda_source`` (``validation``, ``given`` or
    ``default``), ``items_modelled``, ``items_total``, and the validation split's method, its
    number of cases and every lambda tried with its hit rate and NDCG (parallel tuples).

    Examples
    --------
    >>> from .splits import Cases
    >>> train = Baskets.from_lists([["a", "b"]] * 3 + [["a", "c"]] + [["c"]] * 4)
    >>> ease = EASE(train, l2=1.0)
    >>> cases = Cases(carts=(("a",),), hidden=("b",), rows=np.array([0]))
    >>> [train.items[i] for i in ease.suggest(cases, limit=2).suggested[0]]
    ['b', 'c']
    >>> dict(ease.details())["items_modelled"], dict(ease.details())["lambda"]
    (3, 1.0)
    """

    name = "ease"

    def __init__(
        self, train: Baskets, *, l2: float | Sequence[float] = EASE_LAMBDAS, max_items: int | None = None,
        limit: int = 3, validation_share: float = 0.2, max_cases: int | None = 5000, split: str = "auto",
        seed: int | np.random.Generator = 0, half_life: float | None = None,
    ) -> None:  # fmt: skip
        super().__init__(train)
        limit = check_limit(limit)
        from ..mining.recency import check_half_life

        self.half_life = check_half_life(half_life)
        max_items = EASE_MAX_ITEMS if max_items is None else max_items
        if isinstance(max_items, bool) or not isinstance(max_items, (int, np.integer)) or max_items < 1:
            raise ConfigError(f"max_items must be a whole number of items, at least 1, got {max_items!r}.")
        if split not in SPLIT_METHODS:
            raise ConfigError(f"split must be one of {SPLIT_METHODS}, got {split!r}.")
        grid = (l2,) if isinstance(l2, (int, float, np.integer, np.floating)) else tuple(l2)
        if not grid:
            raise ConfigError("EASE needs a lambda or a grid of them, got an empty grid; e.g. (10, 100, 1000).")
        grid = tuple(sorted({_check_l2(value) for value in grid}))
        self.max_items = int(max_items)
        self.modelled_ = _most_frequent(self.order_, self.max_items)
        self.validation_: dict[float, tuple[float, float]] = {}
        self.validation_method_: str | None = None
        # The validation cases, and the position in the train baskets of the basket of each.
        self.validation_cases_: Cases | None = None
        self.validation_rows_ = np.zeros(0, dtype=np.int64)
        if len(grid) == 1:
            self.lambda_, self.lambda_source_ = grid[0], "given"
        else:
            self.lambda_, self.lambda_source_ = self._choose(
                train, grid, limit=limit, share=validation_share, max_cases=max_cases, split=split, seed=seed
            )
        self.weights_ = ease_weights(_gram(train, self.modelled_, half_life=self.half_life), self.lambda_)

    def suggest(self, cases: Cases, *, limit: int) -> Answers:
        answers = self._rank(cases, limit, _ease_scorer(self.modelled_, self.weights_, len(self.items_)))
        return Answers(suggested=answers.suggested, fallback=_none_modelled(cases, self.items_, self.modelled_))

    def details(self) -> Details:
        grid = sorted(self.validation_.items())
        return (
            ("lambda", self.lambda_),
            ("lambda_source", self.lambda_source_),
            ("half_life", self.half_life),
            ("items_modelled", len(self.modelled_)),
            ("items_total", len(self.items_)),
            ("validation_method", self.validation_method_),
            ("validation_cases", 0 if self.validation_cases_ is None else len(self.validation_cases_)),
            ("validation_lambdas", tuple(l2 for l2, _ in grid)),
            ("validation_hit_rate", tuple(scores[0] for _, scores in grid)),
            ("validation_ndcg", tuple(scores[1] for _, scores in grid)),
        )

    def _choose(
        self, train: Baskets, grid: tuple[float, ...], *, limit: int, share: float, max_cases: int | None, split: str,
        seed: int | np.random.Generator,
    ) -> tuple[float, str]:  # fmt: skip
        """The lambda of the grid that does best on a validation split of the train orders."""
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        split_rng, case_rng = rng.spawn(2)
        if len(train) < 2:
            return EASE_DEFAULT_LAMBDA, "default"
        parts = split_baskets(train, test_share=share, seed=split_rng, method=split)
        cases = leave_one_out(parts.test, seed=case_rng, max_cases=max_cases)
        self.validation_method_ = parts.method
        if not len(cases):
            logger.info("EASE: no validation case in the train orders; lambda %g by default", EASE_DEFAULT_LAMBDA)
            return EASE_DEFAULT_LAMBDA, "default"
        self.validation_cases_ = cases
        self.validation_rows_ = parts.test_rows[cases.rows]
        fit = _Ranked(parts.train)
        modelled = _most_frequent(fit.order_, self.max_items)
        gram = _gram(parts.train, modelled, half_life=self.half_life)
        index = {item: k for k, item in enumerate(parts.train.items)}
        hidden = np.array([index.get(item, -1) for item in cases.hidden], dtype=np.int64)
        tried = self.validation_

        def trial(l2: float) -> None:
            l2 = float(f"{l2:.3g}")
            if l2 in tried:
                return
            scorer = _ease_scorer(modelled, ease_weights(gram, l2), parts.train.n_items)
            ranks = ranks_of(fit._rank(cases, limit, scorer).suggested, hidden)
            tried[l2] = (hit_rate(ranks), ndcg(ranks))
            logger.info("EASE: lambda %g: validation hit@%d %.4f, NDCG %.4f", l2, limit, *tried[l2])

        def best() -> float:
            return max(tried, key=lambda l2: (*tried[l2], l2))

        for l2 in grid:
            trial(l2)
        for _ in range(3):  # the best at an edge, strictly better than its neighbour: not bracketed
            values, chosen = sorted(tried), best()
            if chosen == values[-1] and tried[chosen] > tried[values[-2]]:
                trial(chosen * 3)
            elif chosen == values[0] and tried[chosen] > tried[values[1]]:
                trial(chosen / 3)
            else:
                break
        values, chosen = sorted(tried), best()
        at = values.index(chosen)
        for neighbour in values[max(at - 1, 0) : at] + values[at + 1 : at + 2]:
            trial(math.sqrt(chosen * neighbour))
        return best(), "validation"


def _most_frequent(order: np.ndarray, n: int) -> np.ndarray:
    """The first ``n`` items of the tie order (most frequent first, then by id), as sorted columns."""
    return np.sort(order[:n])


def _gram(baskets: Baskets, columns: np.ndarray, *, half_life: float | None = None) -> np.ndarray:
    """``XᵀX`` of the baskets' 0/1 matrix restricted to ``columns``, dense float64; with a
    half-life, ``XᵀWX``, each basket weighted as :func:`recommender.mining.recency.basket_weights`
    weighs it (recent orders count more)."""
    matrix = basket_matrix(baskets).tocsc()[:, columns]
    if half_life is None:
        return np.asarray((matrix.T @ matrix).toarray(), dtype=np.float64)
    from ..mining.recency import basket_weights

    if baskets.timestamps is None or np.isnat(np.asarray(baskets.timestamps)).any():
        raise InputError(f"{baskets.source.name} has no time on every order, so EASE cannot weigh them by age.")
    weights = sp.diags(basket_weights(baskets.timestamps, half_life))
    return np.asarray((matrix.T @ weights @ matrix).toarray(), dtype=np.float64)


def _ease_scorer(modelled: np.ndarray, weights: np.ndarray, n_items: int) -> Callable[[sp.csr_matrix], np.ndarray]:
    """A block of carts (over all items) to scores over all items; unmodelled items get -inf."""
    everything = len(modelled) == n_items

    def scores(block: sp.csr_matrix) -> np.ndarray:
        if everything:
            return np.asarray(block @ weights)
        dense = np.full((block.shape[0], n_items), -np.inf)
        dense[:, modelled] = block[:, modelled] @ weights
        return dense

    return scores


def _none_modelled(cases: Cases, items: tuple[str, ...], modelled: np.ndarray) -> np.ndarray:
    """For each case, whether none of its cart's items is modelled (the answer is popularity)."""
    indptr, indices = cases.cart_matrix(items)
    known = np.zeros(len(items), dtype=bool)
    known[modelled] = True
    case_of_entry = np.repeat(np.arange(len(cases)), np.diff(indptr))
    counts: np.ndarray = np.bincount(case_of_entry, weights=known[indices], minlength=len(cases))
    none: np.ndarray = counts == 0
    return none


def _one_blas_thread() -> Any:
    """implicit's own threads and a BLAS thread pool fight each other; it asks for one BLAS thread."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - implicit depends on threadpoolctl
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(1, "blas")


class RulesSystem:
    """Our recommender, built from a model mined on the train baskets.

    Answers come from :meth:`Recommender.recommend_many` with the given ranking settings (the
    shipped defaults otherwise); an answer falls back when popular items filled it in.
    """

    name = "rules"

    def __init__(self, data: ModelData, *, config: RankingConfig | None = None, items: tuple[str, ...]) -> None:
        from ..ranking import Recommender

        self.recommender_ = Recommender(data, config=config)
        self.index_ = {item: k for k, item in enumerate(items)}

    def details(self) -> Details:
        """How the ranking added up the evidence; for learned weights, what mining chose."""
        recommender = self.recommender_
        if not recommender.learned:
            return (("ranking", recommender.config.combine if recommender.config.combine != "learned" else "max"),)
        fitted = recommender.data.provenance.get("weights") or {}
        keys = ("lambda", "confidence_term", "bias_scale", "weights_per_item", "items_modelled", "weights")
        return (("ranking", "learned"), *((key, fitted.get(key)) for key in keys))

    def suggest(self, cases: Cases, *, limit: int) -> Answers:
        limit = check_limit(limit)
        answers = self.recommender_.recommend_many(cases.carts, limit=limit)
        suggested = np.full((len(cases), limit), -1, dtype=np.int64)
        for row, answer in enumerate(answers):
            # An item outside the train vocabulary (a catalog item never sold) can't be a hit
            # by construction of the hidden indices; -2 keeps it apart from the padding.
            suggested[row, : len(answer.items)] = [self.index_.get(s.item_id, -2) for s in answer.items]
        fallback = np.array([answer.fallback is not None for answer in answers], dtype=bool)
        return Answers(suggested=suggested, fallback=fallback)
