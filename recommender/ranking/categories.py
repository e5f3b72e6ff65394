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


def _strength(found: tuple[float, float, int, tuple[int, ...]]) -> tuple[float, float, int]:
    confidence, lift, count, _ = found
    return confidence, lift, count


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

    def __bool__(self) -> bool:
        return bool(self.rules)

    def candidates(self, cart: Sequence[int], blocked: Collection[int], per_category: int) -> list[CategoryCandidate]:
        """The best sellers of the categories the cart's categories point to, strongest first.

        Each target category keeps its strongest rule (by confidence, then lift, count);
        each of its ``per_category`` best sellers not in ``blocked`` is scored by that rule's
        confidence times the item's share of the category's baskets.
        """
        mine = sorted({c for c in (self.category_of[i] for i in cart) if c is not None})
        best: dict[int, tuple[float, float, int, tuple[int, ...]]] = {}
        for size in range(1, min(MAX_ANTECEDENT, len(mine)) + 1):
            for antecedent in combinations(mine, size):
                for confidence, lift, count, consequent in self.rules.get(antecedent, ()):
                    if consequent in mine:
                        continue
                    found = best.get(consequent)
                    if found is None or (confidence, lift, count) > _strength(found):
                        best[consequent] = (confidence, lift, count, antecedent)
        found_items: list[CategoryCandidate] = []
        for category, (confidence, lift, count, antecedent) in best.items():
            taken = 0
            for item in self.best_sellers[category]:
                if taken == per_category:
                    break
                if item in blocked:
                    continue
                share = self.item_counts[item] / self.category_counts[category]
                found_items.append(
                    CategoryCandidate(confidence * share, item, category, antecedent, confidence, lift, count)
                )
                taken += 1
        found_items.sort(key=lambda c: (-c.likelihood, -c.confidence, c.item))
        return found_items
