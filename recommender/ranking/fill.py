"""The fill stage: what completes an answer the rules leave short, thinnest evidence last.

First, when cross-sell is asked for, two kinds of thin evidence in the same units (the chance of
the item given the cart): items bought with a cart item in too few baskets for a rule (co-bought
pairs), and the best sellers of the categories that the cart's categories point to (category
rules). Then popular items, of the cart's categories first, then the shop's.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import NamedTuple

from ..config import DEFAULT_MIN_LIFT
from ..model_data import ModelData
from .candidates import Candidate
from .cart import Cart
from .categories import CategoryBackoff
from .items import ItemTable
from .policy import Caps, Decision, select
from .scores import value

__all__ = ["Fallbacks"]

POPULAR_KEPT = 200
POPULAR_PER_CATEGORY = 32


class _Pair(NamedTuple):
    """A co-bought pair's evidence for an item: its smoothed share of the cart item's baskets."""

    likelihood: float
    baskets: int
    because: int


class Fallbacks:
    """The back-off sources of a model, built once at load time.

    Co-bought pairs take any pair by default: they fill what the rules leave short, and the
    best sellers they bring are often right. A lift floor raised above the default applies to
    them too: who asks for stronger reasons gets no weaker ones from the back-off.
    """

    def __init__(self, data: ModelData, table: ItemTable, *, min_lift: float, shrinkage: float) -> None:
        self.table = table
        self.shrinkage = shrinkage
        self.n_baskets = data.n_baskets
        counts = table.counts
        by_popularity = sorted(
            (i for i in range(len(table)) if counts[i] > 0 and table.sellable[i]),
            key=lambda i: (-counts[i], table.ids[i]),
        )
        self.popular = by_popularity[:POPULAR_KEPT]
        self.popular_in: dict[str, list[int]] = {}
        for item in by_popularity:
            category = table.categories[item]
            if category is not None:
                members = self.popular_in.setdefault(category, [])
                if len(members) < POPULAR_PER_CATEGORY:
                    members.append(item)
        floor = min_lift if min_lift > DEFAULT_MIN_LIFT else 0.0
        self.cobought: dict[int, list[tuple[int, int]]] = {}
        for a, b, baskets in data.cobought:
            if table.sellable[b] and baskets * data.n_baskets >= floor * counts[a] * counts[b]:
                self.cobought.setdefault(a, []).append((b, baskets))
        self.categories = CategoryBackoff(
            data, item_categories=table.categories, best_sellers=self.popular_in, item_counts=counts, min_lift=min_lift
        )

    def fill(
        self,
        chosen: list[Candidate],
        cart: Cart,
        *,
        limit: int,
        cross_sell: bool,
        objective: str,
        caps: Caps,
        trace: list[Decision] | None,
    ) -> tuple[list[Candidate], str | None]:
        """``chosen`` completed up to ``limit``, and the source of the first item added (None
        when none was). The category cap holds where it can; when it leaves the answer short,
        it gives way."""
        taken = {c.item for c in chosen} | set(cart.items) | cart.excluded
        candidates = []
        if cross_sell and cart.items:
            candidates = self.cobought_candidates(cart, taken)
            if self.categories:
                candidates += self.category_candidates(cart, taken, limit - len(chosen))
        self._score(candidates, objective)
        if trace is None and candidates:
            # Popular items rank below all thin evidence (their tiers come after): when the thin
            # evidence fills the answer within the caps, as in most answers that need filling,
            # the first pass below would not reach them, and they are not built. A trace lists
            # every candidate.
            added = select(candidates, self.table, cart, limit=limit - len(chosen), caps=caps, already=chosen)
            if len(chosen) + len(added) == limit:
                added.sort(key=lambda c: c.key(self.table.ids))
                return chosen + added, added[0].source
        popular = self.popular_candidates(cart, taken)
        self._score(popular, objective)
        candidates += popular
        added = []
        for max_per_category in (caps.max_per_category, None):
            added += select(
                candidates,
                self.table,
                cart,
                limit=limit - len(chosen) - len(added),
                caps=Caps(max_per_category=max_per_category, max_upgrades=caps.max_upgrades),
                already=chosen + added,
                trace=trace,
            )
            if len(chosen) + len(added) >= limit or max_per_category is None:
                break
        if not added:
            return chosen, None
        added.sort(key=lambda c: c.key(self.table.ids))
        return chosen + added, added[0].source

    def _score(self, candidates: list[Candidate], objective: str) -> None:
        """Each candidate's worth under ``objective`` (see :func:`.scores.value`)."""
        for candidate in candidates:
            candidate.score = value(self.table, objective, candidate.item, candidate.likelihood)

    def cobought_candidates(self, cart: Cart, taken: Collection[int]) -> list[Candidate]:
        """The items bought most often with a cart item that no rule suggests (too few baskets,
        or a confidence under the threshold), each by its best cart item's share of baskets,
        smoothed by the model's shrinkage as rules are."""
        counts, n, k = self.table.counts, self.n_baskets, self.shrinkage
        best: dict[int, _Pair] = {}
        for item in cart.items:
            for other, baskets in self.cobought.get(item, ()):
                if other in taken:
                    continue
                likelihood = (baskets + k * counts[other] / n) / (counts[item] + k)
                found = best.get(other)
                if found is None or (likelihood, baskets) > (found.likelihood, found.baskets):
                    best[other] = _Pair(likelihood, baskets, item)
        candidates = []
        for other, (likelihood, baskets, item) in best.items():
            confidence = baskets / counts[item]
            evidence = {
                "because": [self.table.ids[item]],
                "confidence": confidence,
                "lift": confidence * n / counts[other],
                "baskets": baskets,
                "backoff": "cobought",
            }
            candidates.append(
                Candidate(
                    item=other,
                    kind="cross_sell",
                    source="cobought",
                    likelihood=likelihood,
                    strength=likelihood,
                    count=baskets,
                    evidence=evidence,
                )
            )
        return candidates

    def category_candidates(self, cart: Cart, taken: Collection[int], wanted: int) -> list[Candidate]:
        """The best sellers of the categories the cart's categories point to (see :mod:`.categories`)."""
        backoff, ids = self.categories, self.table.ids
        candidates = []
        for found in backoff.candidates(cart.items, taken, wanted):
            because = [ids[i] for i in cart.items if backoff.category_of[i] in found.antecedent]
            evidence = {
                "backoff": "category_rules",
                "because": because,
                "because_categories": [backoff.names[c] for c in found.antecedent],
                "category": backoff.names[found.category],
                "confidence": found.confidence,
                "lift": found.lift,
                "baskets": found.baskets,
                "share_in_category": found.likelihood / found.confidence,
            }
            candidates.append(
                Candidate(
                    item=found.item,
                    kind="cross_sell",
                    source="category_rules",
                    likelihood=found.likelihood,
                    strength=found.likelihood,
                    count=found.baskets,
                    evidence=evidence,
                )
            )
        return candidates

    def popular_candidates(self, cart: Cart, taken: Collection[int]) -> list[Candidate]:
        """Popular items: the best sellers of the cart's categories, then the shop's."""
        table = self.table
        categories = dict.fromkeys(c for i in cart.items if (c := table.categories[i]) is not None)
        in_categories = [item for category in categories for item in self.popular_in.get(category, ())]
        pooled = [("category_popular", item) for item in in_categories]
        seen = set(in_categories)
        pooled += [("popular", item) for item in self.popular if item not in seen]
        return [
            Candidate(
                item=item,
                kind="popular",
                source=source,
                likelihood=table.support[item],
                strength=table.support[item],
                count=table.counts[item],
                evidence={
                    "popular": True,
                    "category": table.categories[item] if source == "category_popular" else None,
                    "baskets": table.counts[item],
                    "share": table.support[item],
                },
            )
            for source, item in pooled
            if item not in taken
        ]
