"""The systems an evaluation compares: our rules and the baselines they must beat.

One contract for all: a system is built from the train baskets (or the model mined from
them) and answers every case at once with ``suggest(cases, limit=K)``, returning
:class:`Answers` (item indices of the train vocabulary, best first, -1 padded, and whether
each answer fell back for lack of evidence). The baselines are vectorised: a case's scores are
the sum of the sparse rows of its cart's items, ranked a block of cases at a time.

Ties break on train popularity, then on the item id, everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import scipy.sparse as sp

from ..config import RankingConfig, check_limit
from ..exceptions import InputError, MissingDependencyError
from ..io.baskets import Baskets
from ..model_data import ModelData
from .splits import Cases

__all__ = [
    "Answers",
    "System",
    "RulesSystem",
    "Popular",
    "Cooccurrence",
    "RandomItems",
    "ImplicitALS",
    "top_k",
    "basket_matrix",
]

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
