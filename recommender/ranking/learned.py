"""The learned candidates: items the cart's learned weights point to, scored with numpy.

A cart item's weights (see :mod:`recommender.mining.weights`) are one row of a matrix: up to
a few dozen items it speaks for or against, each with the baskets that held both. An item's
learned score is the sum of the cart's weights to it, plus ``terms.confidence`` times the
largest confidence of those pairs, plus ``terms.popularity`` times its support, plus its own
bias when the weights have one. A cart reads
every weight of every cart item it holds, some hundreds: as arrays that is a handful of
vectorised steps, where a Python loop over the same weights costs several times the rules'
whole answer. Only the few items that make the cut become :class:`.Candidate` objects.

This is the one module of the serving path that imports numpy, and only a model with learned
weights ranked with them loads it; pandas, scipy and mlxtend stay off the serving path.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable, Sequence

import numpy as np

from ..model_data import OFFERING_BASKETS, WeightTerms
from .candidates import Candidate
from .cart import Cart
from .explain import LearnedPair, pair_evidence
from .items import ItemTable
from .scores import value

__all__ = ["LearnedWeights"]


class LearnedWeights:
    """A model's learned weights, one row per item that has any, over an :class:`.ItemTable`.

    A row holds the weights that offer their item first (only those items can become
    candidates: a positive weight; with a ``bias``, also a negative one whose pair was bought
    together in :data:`.OFFERING_BASKETS` baskets or more, see :class:`.WeightTerms`) and then
    the others, each part padded to the longest with weights of 0 into a slot no item uses
    (index ``len(table)``); an item without weights reads a row of padding. The rows of a cart
    are then one rectangular block whose first columns are the items it reaches.

    Parameters
    ----------
    triples : iterable of (int, int, float, int)
        The model's weights ``(a, b, weight, baskets)``: from cart item ``a`` to item ``b``,
        with the baskets that held both.
    table : ItemTable
        The items, their support and whether they are for sale.
    bias : sequence of float
        Each item's own term in its score (the model's ``weight_terms.bias``), or none.

    Examples
    --------
    >>> from recommender import mine
    >>> from recommender.ranking.items import ItemTable
    >>> model = mine([["tea", "kettle"], ["tea", "kettle"], ["tea", "mug"], ["mug"]], min_support=0.25)
    >>> weights = LearnedWeights(model.data.weights, ItemTable(model.data))
    >>> len(weights) == len({a for a, _, _, _ in model.data.weights})
    True
    """

    def __init__(
        self, triples: Iterable[tuple[int, int, float, int]], table: ItemTable, *, bias: Sequence[float] = ()
    ) -> None:
        offering: dict[int, list[tuple[int, float, int]]] = {}
        other: dict[int, list[tuple[int, float, int]]] = {}
        biased = len(bias) > 0
        for a, b, weight, baskets in triples:
            offers = weight > 0 or (biased and baskets >= OFFERING_BASKETS)
            (offering if offers else other).setdefault(a, []).append((b, weight, baskets))
            (other if offers else offering).setdefault(a, [])
        self.table = table
        self.sources = list(offering)  # the cart item of each row
        nowhere = len(table)
        # Row `len(self.sources)` is all padding: the row of every item without weights.
        self.row_at = np.full(nowhere + 1, len(self.sources), dtype=np.intp)
        self.row_at[self.sources] = np.arange(len(self.sources))
        self.reach = max((len(row) for row in offering.values()), default=0)  # the offering columns
        width = self.reach + max((len(row) for row in other.values()), default=0)
        self.targets = np.full((len(self.sources) + 1, width), nowhere, dtype=np.intp)
        self.weights = np.zeros(self.targets.shape)
        self.baskets = np.zeros(self.targets.shape, dtype=np.int64)
        for r, a in enumerate(self.sources):
            for start, row in ((0, offering[a]), (self.reach, other[a])):
                columns = slice(start, start + len(row))
                self.targets[r, columns] = [b for b, _, _ in row]
                self.weights[r, columns] = [w for _, w, _ in row]
                self.baskets[r, columns] = [n for _, _, n in row]
        counts = np.asarray([*(table.counts[a] for a in self.sources), 0], dtype=float)
        # The confidence of each pair: its baskets over the cart item's (0 for the padding).
        self.confidences = np.divide(
            self.baskets, counts[:, None], out=np.zeros(self.weights.shape), where=counts[:, None] > 0
        )
        self.support = np.asarray([*table.support, 0.0])
        # The model's items first; a catalog's items never sold, after them, have no bias.
        self.bias = np.zeros(len(self.support))
        self.bias[: len(bias)] = bias
        self.sellable = np.asarray([*table.sellable, False])
        self._worth: dict[str, np.ndarray] = {}
        self._base: dict[tuple[float, bool], np.ndarray] = {}
        self._scratch = threading.local()  # each thread's rows over the items: :meth:`_zeros`, :meth:`_marked`

    def __len__(self) -> int:
        return len(self.sources)

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
        """The candidates of :meth:`best`'s pairs (and whether that is all of them), each with
        its pair's evidence."""
        pairs, complete = self.best(
            terms, cart, skip=skip, sellable_only=sellable_only, objective=objective, wanted=wanted
        )
        found = []
        for pair in pairs:
            # Positional (faster than keywords): item, kind, source, likelihood, strength, count, score.
            candidate = Candidate(pair.item, "cross_sell", "weights", pair.likelihood, pair.weight, pair.baskets,
                                  pair.score)  # fmt: skip
            candidate.evidence = pair_evidence(self.table, pair)
            found.append(candidate)
        return found, complete

    def best(
        self,
        terms: WeightTerms,
        cart: Cart,
        *,
        skip: Collection[int],
        sellable_only: bool,
        objective: str,
        wanted: int | None,
    ) -> tuple[list[LearnedPair], bool]:
        """One suggestion per item a cart item's weights offer (only items for sale with
        ``sellable_only``, none in ``skip``) whose learned score is above 0, the ``wanted``
        best (all for None) in the answer's order, and whether that is all of them.

        The order is the score under ``objective`` (see :func:`.scores.value`), then the
        strongest pair's weight and baskets, then the id. Each is explained by its strongest
        pair: the first cart item with the largest weight to it, with the baskets of the two
        together.
        """
        if not cart.items or not self.reach:
            return [], True
        in_cart = np.fromiter(cart.items, np.intp, len(cart.items))
        rows = self.row_at[in_cart]
        targets, weights = self.targets.take(rows, axis=0), self.weights.take(rows, axis=0)
        reached = targets[:, : self.reach]  # a candidate needs a weight that offers it
        items = self._distinct_items(reached)
        skipped = None
        if skip:
            # Never a candidate: usually the cart's own items, whose array is at hand.
            skipped = in_cart if skip is cart.blocked and not cart.excluded else np.fromiter(skip, np.intp, len(skip))
        # The cart's weights summed, plus the support term and bias: -inf for the padding's slot
        # and, when only items for sale are asked for, for the others.
        likelihood = (
            self._sums(targets, weights, items, skipped) + self._base_of(terms.popularity, sellable_only)[items]
        )
        if terms.confidence:
            confidence = self._zeros("confidence")
            try:
                np.maximum.at(confidence, targets.ravel(), self.confidences.take(rows, axis=0).ravel())
                likelihood += terms.confidence * confidence[items]
            finally:
                confidence[targets] = 0.0
        keep = likelihood > 0
        items, likelihood = items[keep], likelihood[keep]
        if not len(items):
            return [], True
        score = self._value(objective, items, likelihood)
        complete = wanted is None or len(items) <= wanted
        if not complete:
            # Every item of the answer scores at least the wanted-th best score; the ties at it
            # are broken on the full key, with the strongest pairs.
            cut = len(score) - wanted  # type: ignore[operator]
            taken = score >= np.partition(score, cut)[cut]
            items, likelihood = items[taken], likelihood[taken]
            score = likelihood if objective == "confidence" else score[taken]
        # Where each item has its largest weight; argmax keeps the first, the earliest cart item.
        strengths = weights[:, : self.reach]
        found_at = np.where(reached == items[:, None, None], strengths, -np.inf)
        strongest = found_at.reshape(len(items), -1).argmax(axis=1)
        found = self._explained(cart, rows, strengths, items, likelihood, score, strongest)
        return (found, True) if complete else (found[:wanted], False)

    def _sums(
        self, targets: np.ndarray, weights: np.ndarray, items: np.ndarray, skipped: np.ndarray | None
    ) -> np.ndarray:
        """Per item of ``items``, the sum of the cart's ``weights`` to it (their ``targets``), or
        -inf for the ``skipped`` items.

        The weights are summed into this thread's row of zeros over all items in the order a
        loop over the cart's rows adds them (the same sums to the last bit), read at ``items``,
        and the row is set back to zeros: a cart costs its own few hundred weights, where a new
        row per cart would cost the whole catalog's length in memory to allocate and clear.
        """
        total = self._zeros("total")
        try:
            np.add.at(total, targets.ravel(), weights.ravel())
            if skipped is not None:
                total[skipped] = -np.inf
            sums: np.ndarray = total[items]
            return sums
        finally:
            total[targets] = 0.0
            if skipped is not None:
                total[skipped] = 0.0

    def _distinct_items(self, reached: np.ndarray) -> np.ndarray:
        """The distinct items of ``reached``, sorted: a sort of the cart's entries when they
        are few for the catalog; when they are many for it (a small shop's items, each with
        hundreds of weights), each marked in this thread's row of flags over the items, which
        one scan reads and clears: a scan of the catalog then costs less than the sort."""
        if reached.size * 4 < len(self.support):
            return _distinct(reached)
        return self._marked(reached)

    def _marked(self, reached: np.ndarray) -> np.ndarray:
        """The distinct items of ``reached``, sorted, from marks in this thread's row of flags
        (left all clear again)."""
        seen = getattr(self._scratch, "seen", None)
        if seen is None:
            seen = self._scratch.seen = np.zeros(len(self.support), dtype=bool)
        seen[reached] = True
        items = np.flatnonzero(seen)
        seen[items] = False
        return items

    def _zeros(self, name: str) -> np.ndarray:
        """This thread's row of zeros called ``name``, one slot per item and the padding's;
        whoever writes into it sets it back to zeros before returning."""
        row: np.ndarray | None = getattr(self._scratch, name, None)
        if row is None:
            row = np.zeros(len(self.support))
            setattr(self._scratch, name, row)
        return row

    def _base_of(self, popularity: float, sellable_only: bool) -> np.ndarray:
        """Per item, ``popularity`` times its support plus its bias, or -inf when
        ``sellable_only`` and the item is not for sale; kept, as the model's terms are the same
        for every cart."""
        key = (popularity, sellable_only)
        base = self._base.get(key)
        if base is None:
            base = popularity * self.support + self.bias
            if sellable_only:
                base[~self.sellable] = -np.inf
            base[-1] = -np.inf  # the padding's slot
            self._base[key] = base
        return base

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
        cart: Cart,
        rows: np.ndarray,
        strengths: np.ndarray,
        items: np.ndarray,
        likelihood: np.ndarray,
        score: np.ndarray,
        strongest: np.ndarray,
    ) -> list[LearnedPair]:
        """The pairs of ``items`` in the answer's order, each item explained by its strongest
        pair: the cart item of row ``strongest // reach`` (of the cart's ``rows``), with its
        weight in the cart's offering ``strengths`` at that row and column."""
        ids = self.table.ids
        ranked = []
        for item, p, s, position in zip(items.tolist(), likelihood.tolist(), score.tolist(), strongest.tolist()):
            row, column = divmod(position, self.reach)
            source, baskets = cart.items[row], int(self.baskets[rows[row], column])
            pair = LearnedPair(item, p, s, source, float(strengths[row, column]), baskets)
            ranked.append(((-s, -pair.weight, -pair.baskets, ids[item]), pair))
        ranked.sort()
        return [pair for _, pair in ranked]


def _distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values of an array of any shape, sorted: what numpy's ``unique`` does,
    without its general machinery, which costs more than the rest of a cart's scoring on a few
    hundred item indices."""
    values = np.sort(values, axis=None)
    first = np.empty(len(values), dtype=bool)
    first[0] = True
    np.not_equal(values[1:], values[:-1], out=first[1:])
    return values[first]
