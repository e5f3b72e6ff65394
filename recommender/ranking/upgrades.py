"""Upgrade candidates: a pricier item of the same family, preferably one buyers traded up to.

Built once at load time for every item: the items of its family (or, for an item without a
family, of its category) whose price is within the configured band above its own, ordered by
the evidence for them: first items customers actually traded up to (the share of the item's
buyers who later bought them), then the rest of the family by popularity.
"""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

from ..model_data import ModelData
from .items import ItemTable

__all__ = ["Upgrade", "upgrade_index"]

PER_ITEM = 5


class Upgrade(NamedTuple):
    """A pricier item of the same family (or category): ``share`` of the buyers of the item it
    replaces later bought it (``customers`` of them; ``basis`` "traded_up"), or, with no trade-up
    seen, its share of all baskets (``basis`` "family" or "category": what the catalog says)."""

    item: int
    share: float
    customers: int
    basis: str


def upgrade_index(data: ModelData, table: ItemTable, *, band: tuple[float, float]) -> dict[int, list[Upgrade]]:
    """For each item with a price, its best upgrade candidates (at most five)."""
    low, high = band
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for item in range(len(table)):
        if table.prices[item] is None:
            continue
        if table.families[item] is not None:
            groups[("family", table.families[item])].append(item)  # type: ignore[index]
        elif table.categories[item] is not None:
            groups[("category", table.categories[item])].append(item)  # type: ignore[index]
    group_of: dict[int, tuple[str, str]] = {item: key for key, members in groups.items() for item in members}
    traded: dict[int, dict[int, int]] = defaultdict(dict)
    for a, b, customers in data.tradeups:
        traded[a][b] = customers

    def in_band(a: int, b: int) -> bool:
        price_a, price_b = table.prices[a], table.prices[b]
        return price_a is not None and price_b is not None and price_a > 0 and low <= price_b / price_a <= high

    index: dict[int, list[Upgrade]] = {}
    for a, key in group_of.items():
        buyers = data.buyers[a] if a < len(data.buyers) else 0
        found: list[Upgrade] = []
        for b in groups[key]:
            if b == a or not in_band(a, b):
                continue
            customers = traded.get(a, {}).get(b, 0)
            if customers and buyers:
                found.append(Upgrade(b, customers / buyers, customers, "traded_up"))
            else:
                # No trade-up seen: the catalog says it is the same kind of product; its
                # popularity is the only evidence, and it ranks below any seen trade-up.
                found.append(Upgrade(b, table.support[b], 0, key[0]))
        found.sort(key=lambda u: (u.basis != "traded_up", -u.share, -u.customers, table.ids[u.item]))
        if found:
            index[a] = found[:PER_ITEM]
    return index
