"""The category back-off: rules between categories speak where an item's own rules are thin.

A cart of rarely bought items has few rules of its own, but its categories have many: "42% of
baskets with sausage also hold a dairy product". The back-off turns such a rule into the
category's best sellers, each scored as the chance of the category times the item's share of
it, P(item | cart) ~ P(category | cart categories) x P(item | category).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from itertools import combinations
from typing import NamedTuple

from ..model_data import ModelData

__all__ = ["CategoryBackoff", "CategoryCandidate"]


class CategoryCandidate(NamedTuple):
    """A best seller of a category the cart's categories point to, by the category rule's
    confidence times the item's share of the category's baskets."""

    likelihood: float
    item: int
    category: int
    antecedent: tuple[int, ...]
    confidence: float
    lift: float
    baskets: int


# Categories of the cart looked at together: rules between categories have at most two on the left.
MAX_ANTECEDENT = 2


class CategoryBackoff:
    """Category rules of a model, by antecedent, with each category's best sellers.

    Parameters
    ----------
    data : ModelData
        The model (its ``categories``, ``category_counts`` and ``category_rules``).
    item_categories : sequence of str or None
        The category of each item (the catalog's, as the ranking sees it).
    best_sellers : dict of category -> item indices
        Each category's sellable items, most popular first.
    item_counts : sequence of int
        Baskets of each item.
    min_lift : float
        Category rules below this lift are left out, as item rules are, and so are those of
        lift 1 or less.
    """

    def __init__(
        self,
        data: ModelData,
        *,
        item_categories: Sequence[str | None],
        best_sellers: dict[str, list[int]],
        item_counts: Sequence[int],
        min_lift: float,
    ) -> None:
        self.names = data.categories
        code = {name: k for k, name in enumerate(self.names)}
        self.category_of = [code.get(c) if c is not None else None for c in item_categories]
        self.best_sellers = [best_sellers.get(name, []) for name in self.names]
        self.item_counts = item_counts
        self.category_counts = data.category_counts
        # Each category's best sellers with their share of its baskets, worked out once.
        self._shares = [
            [(item, item_counts[item] / data.category_counts[category]) for item in items]
            for category, items in enumerate(self.best_sellers)
        ]
        # Each antecedent's rules, strongest first: (confidence, lift, count, consequent).
        self.rules: dict[tuple[int, ...], list[tuple[float, float, int, int]]] = {}
        rules = data.category_rules
        n = data.n_baskets
        for antecedent, consequent, count, antecedent_count in zip(
            rules.antecedents, rules.consequents, rules.counts, rules.antecedent_counts
        ):
            confidence = count / antecedent_count
            lift = confidence * n / data.category_counts[consequent]
            # A category rule at lift 1 says no more than the popular fill does.
            if lift >= min_lift and lift > 1.0:
                self.rules.setdefault(antecedent, []).append((confidence, lift, count, consequent))
        for found in self.rules.values():
            found.sort(reverse=True)

    def __bool__(self) -> bool:
        return bool(self.rules)

    def candidates(self, cart: Sequence[int], blocked: Collection[int], per_category: int) -> list[CategoryCandidate]:
        """The best sellers of the categories the cart's categories point to, in no particular order.

        Each target category keeps its strongest rule (by confidence, then lift, count; of
        equals, the first antecedent: single categories before pairs, in the categories' order);
        each of its ``per_category`` best sellers not in ``blocked`` is scored by that rule's
        confidence times the item's share of the category's baskets.
        """
        mine = sorted({c for c in (self.category_of[i] for i in cart) if c is not None})
        best: dict[int, tuple[tuple[float, float, int, int], tuple[int, ...]]] = {}
        rules = self.rules
        for size in range(1, min(MAX_ANTECEDENT, len(mine)) + 1):
            for antecedent in combinations(mine, size):
                for rule in rules.get(antecedent, ()):
                    consequent = rule[3]
                    found = best.get(consequent)
                    # The same consequent: the tuples compare by confidence, lift and count.
                    if found is None or rule > found[0]:
                        best[consequent] = (rule, antecedent)
        for category in mine:
            best.pop(category, None)
        found_items: list[CategoryCandidate] = []
        shares = self._shares
        for category, ((confidence, lift, count, _), antecedent) in best.items():
            taken = 0
            for item, share in shares[category]:
                if taken == per_category:
                    break
                if item in blocked:
                    continue
                found_items.append(
                    CategoryCandidate(confidence * share, item, category, antecedent, confidence, lift, count)
                )
                taken += 1
        return found_items
