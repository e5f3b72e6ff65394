"""The policy that turns scored candidates into an answer: filters, caps, diversity, pins,
the free-shipping nudge and the popular fallback. Every rule of what a shopper may see is here.

Order of an answer, by a full key: pinned items first (in the merchandiser's order), then items
that take the cart over the free-shipping threshold, then the suggestions of the rules, then those
of the category rules, then the popular items of the cart's categories, then the shop's popular
items; within each, by score,
then by the strength of the evidence, then by basket count, then by item id.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .items import ItemTable

__all__ = ["Candidate", "select"]


@dataclass(slots=True)
class Candidate:
    """An item that may be suggested, with everything the order and the reason need.

    ``evidence`` holds a cross-sell's rule (antecedent, confidence, lift, count, rules
    combined, combined confidence), turned into its reason only if it is shown.
    """

    item: int
    kind: str
    score: float
    strength: float
    count: int
    reason: dict[str, Any] = field(default_factory=dict)
    evidence: tuple[Any, ...] | None = None
    pinned: int = 0  # 0: not pinned; otherwise the pin's rank, 1 first
    bridges: bool = False  # takes the cart over the free-shipping threshold
    fill: int = 0  # 0: item rules; 1: category rules; 2: popular in the cart's categories; 3: in the shop

    def key(self, table: ItemTable) -> tuple[Any, ...]:
        return (
            self.pinned == 0,
            self.pinned,
            not self.bridges,
            self.fill,
            -self.score,
            -self.strength,
            -self.count,
            table.ids[self.item],
        )


def select(
    candidates: Iterable[Candidate],
    table: ItemTable,
    *,
    limit: int,
    blocked: set[int],
    max_per_category: int | None,
    max_per_kind: dict[str, int],
    already: Iterable[Candidate] = (),
    substitutes: frozenset[str] = frozenset(),
) -> list[Candidate]:
    """At most ``limit`` candidates, in order, one per item, within the caps.

    ``blocked`` holds the cart, the caller's exclusions and anything already shown; items the
    catalog marks inactive or out of stock (or the configuration blocks) are never taken.
    Pinned items are exempt from the diversity cap but count towards it. ``already`` chosen
    candidates count towards the caps. Items of a family in ``substitutes`` (the families of
    the cart's items) are substitutes, not complements: only an upgrade may show one.
    """
    chosen: list[Candidate] = []
    per_category: dict[str | None, int] = {}
    per_kind: dict[str, int] = {}
    for earlier in already:
        per_kind[earlier.kind] = per_kind.get(earlier.kind, 0) + 1
        category = table.categories[earlier.item]
        if category is not None:
            per_category[category] = per_category.get(category, 0) + 1
    for candidate in sorted(candidates, key=lambda c: c.key(table)):
        item = candidate.item
        if item in blocked or not table.sellable[item]:
            continue
        if substitutes and candidate.kind != "upgrade" and not candidate.pinned and table.families[item] in substitutes:
            continue
        cap = max_per_kind.get(candidate.kind)
        if cap is not None and per_kind.get(candidate.kind, 0) >= cap:
            continue
        category = table.categories[item]
        if (
            max_per_category is not None
            and not candidate.pinned
            and category is not None
            and per_category.get(category, 0) >= max_per_category
        ):
            continue
        chosen.append(candidate)
        blocked.add(item)
        per_kind[candidate.kind] = per_kind.get(candidate.kind, 0) + 1
        if category is not None:
            per_category[category] = per_category.get(category, 0) + 1
        if len(chosen) == limit:
            break
    return chosen
