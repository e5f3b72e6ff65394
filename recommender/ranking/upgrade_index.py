"""The upgrades of a cart, ranked from flat arrays built once at load time.

A cart of ten items has some 25 upgrades to rank (five per priced item, see :mod:`.upgrades`),
and an answer shows one. Ranking them one by one in Python, scoring each and building each
into a :class:`.Candidate`, cost about a quarter of a grocer's answer. Here every item's upgrades
sit side by side in flat arrays, with each objective's scores and every upgrade's place in the
order of all of them (score, share, customers, id) worked out once: a cart's places are sliced
out and sorted as integers, and only the few the answer can use become candidates.

:meth:`UpgradeIndex.candidates` gives exactly what :func:`.candidates.upgrade_candidates` gives
for the model's own upgrades (tests hold the two equal); a known customer's upgrades of another
price band take that plain path.
"""

from __future__ import annotations

from array import array
from collections.abc import Collection, Mapping, Sequence
from typing import NamedTuple

from .candidates import Candidate, upgrade_candidate, upgrade_candidates
from .cart import Cart
from .items import ItemTable
from .scores import value
from .upgrades import Upgrade

__all__ = ["UpgradeIndex"]


class UpgradeIndex:
    """Every item's upgrade candidates in flat arrays, the items' spans in ``offsets``.

    Parameters
    ----------
    upgrades : mapping of item -> sequence of Upgrade
        Each item's upgrades, as :meth:`.UpgradeFinder.index` finds them.
    table : ItemTable
        The items: prices (for the scores), ids (for ties) and whether they are for sale.

    Examples
    --------
    >>> import pandas as pd
    >>> from recommender import mine
    >>> from recommender.ranking.cart import read_cart
    >>> from recommender.ranking.upgrades import UpgradeFinder
    >>> catalog = pd.DataFrame({"item": ["kettle", "glass kettle", "smart kettle", "tea"],
    ...                         "family": ["kettle"] * 3 + ["tea"], "price": [20.0, 30.0, 35.0, 3.0]})
    >>> model = mine([["kettle", "tea"], ["smart kettle"], ["glass kettle"], ["glass kettle"]],
    ...              min_support=0.25, catalog=catalog)
    >>> table = ItemTable(model.data)
    >>> index = UpgradeIndex(UpgradeFinder(model.data, table).index((1.1, 2.0)), table)
    >>> cart = read_cart(table, ["kettle", "tea"])
    >>> found, complete = index.candidates(cart, skip=cart.blocked, sellable_only=True, objective="revenue", wanted=1)
    >>> [(table.ids[c.item], c.score) for c in found], complete
    ([('glass kettle', 5.0)], False)
    """

    def __init__(
        self, upgrades: Mapping[int, Sequence[Upgrade]], table: ItemTable, *, objective: str | None = None
    ) -> None:
        self.table = table
        self._upgrades = upgrades
        offsets = array("l", [0])
        flat: list[Upgrade] = []
        replaces = array("l")
        for item in range(len(table)):
            found = upgrades.get(item, ())
            flat += found
            replaces += array("l", [item]) * len(found)
            offsets.append(len(flat))
        self._offsets = offsets
        self._flat = flat
        self._replaces = replaces
        self._items = array("l", [u.item for u in flat])
        self._negative_shares = array("d", [-u.share for u in flat])
        self._orders: dict[str, _Order] = {}
        if objective is not None:
            self._order(objective)

    def __len__(self) -> int:
        return len(self._flat)

    def _order(self, objective: str) -> _Order:
        """Every upgrade's score under ``objective`` and its place in the order of all upgrades,
        the answer's order (:meth:`.Candidate.key` among upgrades): score, share, customers, id.
        Built at load time for the ranking's objective, on first use for another (half a second
        for a grocer's 281,000 upgrades)."""
        order = self._orders.get(objective)
        if order is None:
            table, replaces, flat = self.table, self._replaces, self._flat
            scores = array("d", [-value(table, objective, u.item, u.share, replaces[at]) for at, u in enumerate(flat)])
            # Sorted key by key, the last first (each sort keeps the order of equals): sorts of
            # plain numbers, several times faster than one of tuples.
            rank = {item_id: at for at, item_id in enumerate(sorted(table.ids))}
            id_ranks = list(map([rank[item_id] for item_id in table.ids].__getitem__, self._items))
            customers = [u.customers for u in flat]
            ranked = sorted(range(len(flat)), key=id_ranks.__getitem__)
            ranked.sort(key=customers.__getitem__, reverse=True)
            ranked.sort(key=self._negative_shares.__getitem__)
            ranked.sort(key=scores.__getitem__)
            places = array("l", sorted(range(len(ranked)), key=ranked.__getitem__))
            order = self._orders[objective] = _Order(scores, places, array("l", ranked))
        return order

    def candidates(
        self,
        cart: Cart,
        *,
        skip: Collection[int],
        sellable_only: bool,
        objective: str,
        wanted: int | None = None,
    ) -> tuple[list[Candidate], bool]:
        """The ``wanted`` best upgrades of the cart's items (all for None) but those in ``skip``
        (and those not for sale when ``sellable_only``), in the answer's order, and whether that
        is all of them: :func:`.candidates.upgrade_candidates` of the model's upgrades."""
        ranked = self._ranked(cart.items, skip=skip, sellable_only=sellable_only, objective=objective, wanted=wanted)
        if ranked is None:  # a tie the arrays do not settle (see _ranked): the plain path
            return upgrade_candidates(
                self._upgrades, self.table, cart, skip=skip, sellable_only=sellable_only, objective=objective,
                wanted=wanted,
            )  # fmt: skip
        found, complete = ranked
        scores, replaces, flat = self._order(objective).scores, self._replaces, self._flat
        return [upgrade_candidate(self.table, -scores[at], replaces[at], flat[at]) for at in found], complete

    def _ranked(
        self,
        cart: Sequence[int],
        *,
        skip: Collection[int],
        sellable_only: bool,
        objective: str,
        wanted: int | None,
    ) -> tuple[list[int], bool] | None:
        """The positions in the flat arrays of the cart's ``wanted`` best upgrades, and whether
        that is all of them; None when two cart items offer one item at the same score and share
        but with different customers (the plain path settles it).

        Of two cart items offering the same item, the plain path keeps the one it is worth more
        for (score, then share), and of equals the first in the cart. In the order of all
        upgrades (score, share, customers, id), the first entry of an item is that one unless an
        entry of equal score and share comes from a cart item further up; such entries sort next
        to each other's score and share, so past the ``wanted`` items the scan goes on while they
        last.
        """
        offsets, (scores, places, at_place) = self._offsets, self._order(objective)
        entries: list[int] = []  # the places of the cart's upgrades in the order of all
        for item in cart:
            start, end = offsets[item], offsets[item + 1]
            if start < end:
                entries += places[start:end]
        if not entries:
            return [], True
        entries.sort()
        items, sellable, shares = self._items, self.table.sellable, self._negative_shares
        kept: dict[int, int] = {}  # item -> its entry's position in the flat arrays
        order: list[int] = []  # the items kept, best first
        position: dict[int, int] | None = None  # cart item -> its place in the cart, when needed
        last: tuple[float, float] | None = None  # past `wanted`: the score and share still to read
        complete = True
        for place in entries:
            at = at_place[place]
            if last is not None and (scores[at], shares[at]) != last:
                break
            item = items[at]
            if item in skip or (sellable_only and not sellable[item]):
                continue
            first = kept.get(item)
            if first is None:
                if last is not None:
                    continue
                if wanted is not None and len(order) == wanted:
                    complete, last = False, (scores[at], shares[at])
                    continue
                kept[item] = at
                order.append(item)
            elif (scores[first], shares[first]) == (scores[at], shares[at]):
                # Of equals, the plain path keeps the cart item first in the cart.
                if position is None:
                    position = {replaced: place for place, replaced in enumerate(cart)}
                replaces = self._replaces
                if position[replaces[at]] < position[replaces[first]]:
                    if self._flat[at].customers != self._flat[first].customers:
                        return None
                    kept[item] = at
        return [kept[item] for item in order], complete


class _Order(NamedTuple):
    """The upgrades under one objective: their scores (negated), each one's place in the order
    of all, and the upgrade at each place (positions in the flat arrays)."""

    scores: array[float]
    places: array[int]
    at_place: array[int]
