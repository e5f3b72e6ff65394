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


# A category rule as the back-off reads it: confidence, lift, count, consequent.
Rule = tuple[float, float, int, int]

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
        self.shares = [
            [(item, item_counts[item] / data.category_counts[category]) for item in items]
            for category, items in enumerate(self.best_sellers)
        ]
        # Each antecedent's rules, strongest first: (confidence, lift, count, consequent).
        self.rules: dict[tuple[int, ...], list[Rule]] = {}
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
        """The best sellers of the categories the cart's categories point to, in no particular order:
        those of :meth:`best_sellers_of` for every category of :meth:`strongest`."""
        return [
            found
            for category, (rule, antecedent) in self.strongest(cart).items()
            for found in self.best_sellers_of(category, rule, antecedent, blocked, per_category)
        ]

    def strongest(self, cart: Sequence[int]) -> dict[int, tuple[Rule, tuple[int, ...]]]:
        """The categories the cart's categories point to (none of the cart's), each with its
        strongest rule (by confidence, then lift, count; of equals, the first antecedent: single
        categories before pairs, in the categories' order) and that rule's antecedent."""
        mine = sorted({c for c in (self.category_of[i] for i in cart) if c is not None})
        best: dict[int, tuple[Rule, tuple[int, ...]]] = {}
        rules = self.rules
        for size in range(1, min(MAX_ANTECEDENT, len(mine)) + 1):
            for antecedent in combinations(mine, size):
                for rule in rules.get(antecedent, ()):
                    found = best.get(rule[3])
                    # Of one consequent: the tuples compare by confidence, lift and count.
                    if found is None or rule > found[0]:
                        best[rule[3]] = (rule, antecedent)
        for category in mine:
            best.pop(category, None)
        return best

    def best_sellers_of(
        self, category: int, rule: Rule, antecedent: tuple[int, ...], blocked: Collection[int], per_category: int
    ) -> list[CategoryCandidate]:
        """The ``per_category`` best sellers of ``category`` not in ``blocked``, each scored by
        the ``rule`` into it: its confidence times the item's share of the category's baskets."""
        confidence, lift, count, _ = rule
        found: list[CategoryCandidate] = []
        for item, share in self.shares[category]:
            if len(found) == per_category:
                break
            if item not in blocked:
                found.append(CategoryCandidate(confidence * share, item, category, antecedent, confidence, lift, count))
        return found
