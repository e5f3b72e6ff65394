"""What a model holds, as plain, frozen Python values: the types every layer shares.

The miner builds a :class:`ModelData`, :mod:`recommender.artifact` writes and reads it, the
ranking serves from it and :class:`recommender.model.Model` shows it as tables. This module
imports the standard library only, so any layer can use these types without pulling in
another (see ``tests/test_layers.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

__all__ = ["CatalogEntry", "RuleCounts", "ModelData", "WeightTerms"]


@dataclass(frozen=True, kw_only=True)
class CatalogEntry:
    """What the catalog knows of one item; ``None`` where it knows nothing."""

    name: str | None = None
    category: str | None = None
    family: str | None = None
    brand: str | None = None
    price: float | None = None
    margin: float | None = None
    in_stock: bool = True
    active: bool = True


@dataclass(frozen=True, kw_only=True)
class RuleCounts:
    """Rules as parallel tuples: antecedent (sorted item indices), consequent, basket counts.

    ``p_adjusted`` (the Fisher p-value adjusted across every rule tested, which the kept
    rules alone cannot reproduce) and ``redundant`` are empty when not computed.

    Examples
    --------
    The rule ``{0} -> 1`` seen in 2 of the 3 baskets holding item 0:

    >>> rules = RuleCounts(antecedents=((0,),), consequents=(1,), counts=(2,), antecedent_counts=(3,))
    >>> len(rules), rules.p_adjusted
    (1, ())
    """

    antecedents: tuple[tuple[int, ...], ...] = ()
    consequents: tuple[int, ...] = ()
    counts: tuple[int, ...] = ()
    antecedent_counts: tuple[int, ...] = ()
    p_adjusted: tuple[float, ...] = ()
    redundant: tuple[bool, ...] = ()

    def __post_init__(self) -> None:
        n = len(self.consequents)
        if not len(self.antecedents) == len(self.counts) == len(self.antecedent_counts) == n:
            raise ValueError("rule columns must have the same length")
        if len(self.p_adjusted) not in (0, n) or len(self.redundant) not in (0, n):
            raise ValueError("rule columns must have the same length")

    def __len__(self) -> int:
        return len(self.consequents)


class WeightTerms(NamedTuple):
    """What the learned score adds to the sum of a cart's weights to an item: ``confidence``
    times the largest confidence of a weighted pair from a cart item, and ``popularity`` times
    the item's support, which may be negative: a pull away from the best sellers (see
    :mod:`recommender.mining.weights`)."""

    confidence: float = 0.0
    popularity: float = 0.0


@dataclass(frozen=True, kw_only=True)
class ModelData:
    """Everything a model file holds, as plain Python values.

    Item ``i`` is ``items[i]``; rules and itemsets refer to items by index. ``tradeups`` are
    ``(a, b, customers)``: how many customers who bought ``a`` later bought the pricier ``b`` of
    the same family; ``buyers`` the customers who bought each item (empty without customers).
    ``category_rules`` are rules between the ``categories`` (indices into them), mined from
    the baskets' categories, with ``category_counts`` the baskets holding each category.
    ``cobought`` are ``(a, b, baskets)``: for each item, the few items bought with it most
    often, below the support threshold too (the ranking's item-level back-off). ``weights`` are
    ``(a, b, weight, baskets)``: what ``a`` in a cart adds to ``b``'s learned score, fitted on
    the baskets (see :mod:`recommender.mining.weights`), with the baskets that held both;
    ``weight_terms`` how much of a pair's confidence and of an item's support the learned score
    adds to the weights' sum.

    Examples
    --------
    >>> data = ModelData(model_id="m1", created_at="2026-01-01T00:00:00Z", n_baskets=2,
    ...                  items=("kettle", "tea"), item_counts=(1, 2), rules=RuleCounts(), itemsets=())
    >>> data.items[1], len(data.rules)
    ('tea', 0)
    """

    model_id: str
    created_at: str
    n_baskets: int
    items: tuple[str, ...]
    item_counts: tuple[int, ...]
    rules: RuleCounts
    itemsets: tuple[tuple[tuple[int, ...], int], ...]
    tradeups: tuple[tuple[int, int, int], ...] = ()
    buyers: tuple[int, ...] = ()
    catalog: Mapping[str, CatalogEntry] = field(default_factory=dict)
    config: Mapping[str, Any] = field(default_factory=dict)
    provenance: Mapping[str, Any] = field(default_factory=dict)
    categories: tuple[str, ...] = ()
    category_counts: tuple[int, ...] = ()
    category_rules: RuleCounts = field(default_factory=RuleCounts)
    cobought: tuple[tuple[int, int, int], ...] = ()
    weights: tuple[tuple[int, int, float, int], ...] = ()
    weight_terms: WeightTerms = WeightTerms()
