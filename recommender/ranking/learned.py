"""The learned candidates: items the cart's learned weights point to, scored with numpy.

A cart item's weights (see :mod:`recommender.mining.weights`) are one row of a matrix: up to
a few dozen items it speaks for or against, each with the baskets that held both. An item's
learned score is the sum of the cart's weights to it, plus ``terms.confidence`` times the
largest confidence of those pairs, plus ``terms.popularity`` times its support. A cart reads
every weight of every cart item it holds, some hundreds: as arrays that is a handful of
vectorised steps, where a Python loop over the same weights costs several times the rules'
whole answer. Only the few items that make the cut become :class:`.Candidate` objects.

This is the one module of the serving path that imports numpy, and only a model with learned
weights ranked with them loads it; pandas, scipy and mlxtend stay off the serving path.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

import numpy as np

from ..model_data import WeightTerms
from .candidates import Candidate
from .cart import Cart
from .items import ItemTable
from .scores import value

__all__ = ["LearnedWeights"]


class LearnedWeights:
    """A model's learned weights, one row per item that has any, over an :class:`.ItemTable`.

    Rows are padded to the longest with weights of 0 into a slot no item uses (index
    ``len(table)``), so that the rows of a cart are one rectangular block.

    Parameters
    ----------
    triples : iterable of (int, int, float, int)
        The model's weights ``(a, b, weight, baskets)``: from cart item ``a`` to item ``b``,
        with the baskets that held both; a row keeps the order of the triples.
    table : ItemTable
        The items, their support and whether they are for sale.

    Examples
    --------
    >>> from recommender import mine
    >>> from recommender.ranking.items import ItemTable
    >>> model = mine([["tea", "kettle"], ["tea", "kettle"], ["tea", "mug"], ["mug"]], min_support=0.25)
    >>> weights = LearnedWeights(model.data.weights, ItemTable(model.data))
    >>> len(weights) == len({a for a, _, _, _ in model.data.weights})
    True
    """

    def __init__(self, triples: Iterable[tuple[int, int, float, int]], table: ItemTable) -> None:
        rows: dict[int, list[tuple[int, float, int]]] = {}
        for a, b, weight, baskets in triples:
            rows.setdefault(a, []).append((b, weight, baskets))
        self.table = table
        self.row_of = {a: r for r, a in enumerate(rows)}
        self.sources = list(rows)  # the cart item of each row
        nowhere = len(table)
        width = max((len(row) for row in rows.values()), default=0)
        self.targets = np.full((len(rows), width), nowhere, dtype=np.intp)
        self.weights = np.zeros((len(rows), width))
        self.baskets = np.zeros((len(rows), width), dtype=np.int64)
        for r, row in enumerate(rows.values()):
            self.targets[r, : len(row)] = [b for b, _, _ in row]
            self.weights[r, : len(row)] = [w for _, w, _ in row]
            self.baskets[r, : len(row)] = [n for _, _, n in row]
        counts = np.asarray([table.counts[a] for a in rows], dtype=float)
        # The confidence of each pair: its baskets over the cart item's (0 for the padding).
        self.confidences = np.divide(
            self.baskets, counts[:, None], out=np.zeros(self.weights.shape), where=counts[:, None] > 0
        )
        self.support = np.asarray([*table.support, 0.0])
        self.sellable = np.asarray([*table.sellable, False])
        self._worth: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.row_of)

    def candidates(
        self,
        terms: WeightTerms,
        cart: Cart,
        *,
        skip: Collection[int],
        sellable_only: bool,
        objective: str,
        wanted: int | None,
    ) -> tuple[list[Candidate], bool]:
        """One candidate per item a cart item carries a positive weight to (only items for sale
        with ``sellable_only``, none in ``skip``) whose learned score is above 0, the ``wanted``
        best (all for None) in the answer's order, and whether that is all of them.

        The order is the score under ``objective`` (see :func:`.scores.value`), then the
        strongest pair's weight and baskets, then the id. Each candidate is explained by its
        strongest pair: the first cart item with the largest weight to it, with the baskets,
        confidence and lift of the two together.
        """
        rows = [self.row_of[item] for item in cart.items if item in self.row_of]
        if not rows:
            return [], True
        targets, weights = self.targets.take(rows, axis=0).ravel(), self.weights.take(rows, axis=0).ravel()
        # Summed in the order a loop over the cart's rows adds them: the same sums to the last bit.
        total = np.bincount(targets, weights=weights, minlength=len(self.support))
        if skip:
            total[list(skip)] = -np.inf  # never a candidate
        items = _distinct(targets[weights > 0])  # a candidate needs a positive weight
        likelihood = total[items] + terms.popularity * self.support[items]
        if terms.confidence:
            confidence = np.zeros(len(self.support))
            np.maximum.at(confidence, targets, self.confidences.take(rows, axis=0).ravel())
            likelihood += terms.confidence * confidence[items]
        keep = likelihood > 0
        if sellable_only:
            keep &= self.sellable[items]
        items, likelihood = items[keep], likelihood[keep]
        score = self._value(objective, items, likelihood)
        if wanted is None or len(items) <= wanted:
            return self._explained(rows, targets, weights, items, likelihood, score), True
        # Every item of the answer scores at least the wanted-th best score; the ties at it are
        # broken on the full key, with the strongest pairs.
        cut = len(score) - wanted
        taken = score >= np.partition(score, cut)[cut]
        found = self._explained(rows, targets, weights, items[taken], likelihood[taken], score[taken])
        return found[:wanted], False

    def _value(self, objective: str, items: np.ndarray, likelihood: np.ndarray) -> np.ndarray:
        """:func:`.scores.value` of each item, computed with the same operations."""
        if objective == "confidence":
            return likelihood
        if objective == "lift":
            support = self.support[items]
            return np.divide(likelihood, support, out=np.zeros(len(items)), where=support > 0)
        if objective not in self._worth:  # a price, or a price times a margin, per item
            table = self.table
            self._worth[objective] = np.asarray([*(value(table, objective, k, 1.0) for k in range(len(table))), 0.0])
        return likelihood * self._worth[objective][items]

    def _explained(
        self,
        rows: list[int],
        targets: np.ndarray,
        weights: np.ndarray,
        items: np.ndarray,
        likelihood: np.ndarray,
        score: np.ndarray,
    ) -> list[Candidate]:
        """The candidates of ``items`` in the answer's order, each explained by its strongest
        pair among the cart's ``rows`` (``targets`` and ``weights`` flattened, in cart order)."""
        table, width = self.table, self.targets.shape[1]
        # Where each item has its largest weight; argmax keeps the first, the earliest cart item.
        strongest = np.where(targets == items[:, None], weights, -np.inf).argmax(axis=1)
        ranked = []
        for item, p, s, position in zip(items.tolist(), likelihood.tolist(), score.tolist(), strongest.tolist()):
            row, column = divmod(position, width)
            source, baskets = self.sources[rows[row]], int(self.baskets[rows[row], column])
            ranked.append((-s, -float(weights[position]), -baskets, table.ids[item], item, p, source))
        ranked.sort()
        found = []
        for negative_score, negative_weight, negative_baskets, _, item, p, source in ranked:
            baskets = -negative_baskets
            confidence = baskets / table.counts[source]
            found.append(
                Candidate(
                    item=item,
                    kind="cross_sell",
                    source="weights",
                    likelihood=p,
                    strength=-negative_weight,
                    count=baskets,
                    score=-negative_score,
                    evidence={
                        "because": [table.ids[source]],
                        "confidence": confidence,
                        "lift": confidence / table.support[item] if table.support[item] else 0.0,
                        "baskets": baskets,
                        "learned_score": p,
                    },
                )
            )
        return found


def _distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted: what numpy's ``unique`` does, without its general machinery,
    which costs more than the rest of a cart's scoring on a few hundred item indices."""
    values = np.sort(values)
    first = np.ones(len(values), dtype=bool)
    np.not_equal(values[1:], values[:-1], out=first[1:])
    return values[first]
