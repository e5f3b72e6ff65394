"""Upgrade candidates: a pricier item of the same family, preferably one buyers traded up to.

Built once at load time for every item: the items of its family (or, for an item without a
family, of its category) whose price is within the configured band above its own, ordered by
the evidence for them: first items customers actually traded up to (the share of the item's
buyers who later bought them), then the rest of the family by popularity.

A known customer's band may follow the price level at which that customer buys in the item's
category (``RankingConfig.upgrade_band_follows``, see :func:`customer_band`): the candidates of
that band are found by the same :class:`UpgradeFinder` at request time.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache
from typing import NamedTuple

from ..model_data import ModelData
from .items import ItemTable

__all__ = ["Upgrade", "UpgradeFinder", "customer_band"]

PER_ITEM = 5
# (item, band) pairs whose candidates are kept, the latest used: a shopper's next requests ask
# for the same bands again (a few MB at most).
CACHED_BANDS = 8_192


class Upgrade(NamedTuple):
    """A pricier item of the same family (or category): ``share`` of the buyers of the item it
    replaces later bought it (``customers`` of them; ``basis`` "traded_up"), or, with no trade-up
    seen, its share of all baskets (``basis`` "family" or "category": what the catalog says)."""

    item: int
    share: float
    customers: int
    basis: str


class UpgradeFinder:
    """The upgrade candidates of any priced item, in any price band.

    Examples
    --------
    >>> import pandas as pd
    >>> from recommender import mine
    >>> catalog = pd.DataFrame({"item": ["kettle", "glass kettle", "smart kettle"], "family": ["kettle"] * 3,
    ...                         "price": [20.0, 30.0, 60.0]})
    >>> model = mine([["kettle"], ["smart kettle"], ["glass kettle"]], min_support=0.3, catalog=catalog)
    >>> table = ItemTable(model.data)
    >>> finder = UpgradeFinder(model.data, table)
    >>> [table.ids[u.item] for u in finder.find(table.index["kettle"], (1.1, 2.0))]
    ['glass kettle']
    >>> [table.ids[u.item] for u in finder.find(table.index["kettle"], (1.1, 3.0))]
    ['glass kettle', 'smart kettle']
    """

    def __init__(self, data: ModelData, table: ItemTable) -> None:
        self.table = table
        groups: dict[tuple[str, str], list[int]] = defaultdict(list)
        for item in range(len(table)):
            if table.prices[item] is None:
                continue
            if table.families[item] is not None:
                groups[("family", table.families[item])].append(item)  # type: ignore[index]
            elif table.categories[item] is not None:
                groups[("category", table.categories[item])].append(item)  # type: ignore[index]
        # Each family's members, the most popular first: with the trade-ups seen, all the
        # evidence an upgrade has, so a band's best are found without sorting the family.
        self._popular = {
            key: sorted(members, key=lambda b: (-table.support[b], table.ids[b])) for key, members in groups.items()
        }
        self._dearest = {key: max(table.prices[b] or 0.0 for b in members) for key, members in groups.items()}
        self._group_of: dict[int, tuple[str, str]] = {item: key for key, members in groups.items() for item in members}
        traded: dict[int, dict[int, int]] = defaultdict(dict)
        for a, b, customers in data.tradeups:
            if customers > 0 and a in self._group_of and self._group_of.get(b) == self._group_of[a]:
                traded[a][b] = customers
        self._traded = dict(traded)
        self._buyers = data.buyers
        self._cached = lru_cache(maxsize=CACHED_BANDS)(self._find)

    def index(self, band: tuple[float, float]) -> dict[int, list[Upgrade]]:
        """Every item's best upgrade candidates (at most five) in ``band``, for the items that have some."""
        found = {item: self._find(item, band) for item in self._group_of}
        return {item: upgrades for item, upgrades in found.items() if upgrades}

    def find(self, item: int, band: tuple[float, float]) -> list[Upgrade]:
        """The best (at most five) upgrades of ``item`` costing ``band[0]`` to ``band[1]`` times
        its price (remembered for the bands asked for again)."""
        return self._cached(item, band)

    def _find(self, item: int, band: tuple[float, float]) -> list[Upgrade]:
        key = self._group_of.get(item)
        price = self.table.prices[item]
        if key is None or price is None or price <= 0:
            return []
        low, high = band
        table = self.table

        def in_band(b: int) -> bool:
            price_b = table.prices[b]
            return b != item and price_b is not None and low <= price_b / price <= high

        buyers = self._buyers[item] if item < len(self._buyers) else 0
        traded = self._traded.get(item, {}) if buyers else {}
        # Items traded up to first, by the share of the item's buyers who did.
        found = sorted(
            (Upgrade(b, customers / buyers, customers, "traded_up") for b, customers in traded.items() if in_band(b)),
            key=lambda u: (-u.share, -u.customers, table.ids[u.item]),
        )[:PER_ITEM]
        # No trade-up seen: the catalog says it is the same kind of product; its popularity is
        # the only evidence, and it ranks below any seen trade-up.
        for b in self._popular[key] if self._dearest[key] >= low * price else ():
            if len(found) == PER_ITEM:
                break
            if b not in traded and in_band(b):
                found.append(Upgrade(b, table.support[b], 0, key[0]))
        return found


def customer_band(band: tuple[float, float], level: float | None, follows: float) -> tuple[float, float]:
    """The band of a customer who buys at ``level`` times the category's median price: for one
    who pays more than most (a level above 1), its top times ``level ** follows``, further up the
    range; for anyone else, the band itself.

    Narrowing the band for customers who buy cheap (a level below 1) lost a third of their
    upgrades' hits on the Complete Journey (``benchmarks/README.md``, "Upgrades"), so it is not
    done.

    Examples
    --------
    >>> customer_band((1.1, 2.0), 1.5, 1.0), customer_band((1.1, 2.0), 1.5, 2.0)
    ((1.1, 3.0), (1.1, 4.5))
    >>> customer_band((1.1, 2.0), 0.5, 1.0), customer_band((1.1, 2.0), None, 1.0)
    ((1.1, 2.0), (1.1, 2.0))
    """
    if level is None or not follows or level <= 1.0:
        return band
    low, high = band
    return (low, round(high * level**follows, 3))  # rounded: customers at close levels share a band (and its cache)
