"""The fill stage: what completes an answer the rules leave short, thinnest evidence last.

First, when cross-sell is asked for, two kinds of thin evidence in the same units (the chance of
the item given the cart): items bought with a cart item in too few baskets for a rule (co-bought
pairs), and the best sellers of the categories that the cart's categories point to (category
rules). Then popular items, of the cart's categories first, then the shop's.

A candidate is built only when the policy reads it, and a category of the back-off only read
when the answer gets down to what its best sellers can score (see :class:`_Pool`): an answer
that needs two items reads a few of a hundred.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Collection
from functools import partial
from typing import Any, NamedTuple

from ..config import DEFAULT_MIN_LIFT
from ..model_data import ModelData
from .candidates import TIERS, Candidate
from .cart import Cart
from .categories import CategoryBackoff, CategoryCandidate
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
        self._bounds: dict[str, list[float]] = {}

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
        pool = _Pool(self.table)
        if cross_sell and cart.items:
            pool.add(self._cobought_entries(cart, taken, objective))
            if self.categories:
                read = partial(self._category_entries, cart=cart, taken=taken, wanted=limit - len(chosen),
                               objective=objective)  # fmt: skip
                pool.later(self._category_sources(cart, objective), read)
        if trace is None and pool:
            # Popular items rank below all thin evidence (their tiers come after): when the thin
            # evidence fills the answer within the caps, as in most answers that need filling,
            # the first pass below would not reach them, and they are not built. A trace lists
            # every candidate.
            added = pool.select(cart, limit=limit - len(chosen), caps=caps, already=chosen)
            if len(chosen) + len(added) == limit:
                added.sort(key=lambda c: c.key(self.table.ids))
                return chosen + added, added[0].source
        pool.add(self._popular_entries(cart, taken, objective))
        added = []
        for max_per_category in (caps.max_per_category, None):
            added += pool.select(
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

    def cobought_candidates(self, cart: Cart, taken: Collection[int], objective: str = "confidence") -> list[Candidate]:
        """The items bought most often with a cart item that no rule suggests (too few baskets,
        or a confidence under the threshold), each by its best cart item's share of baskets,
        smoothed by the model's shrinkage as rules are; scored, in the answer's order."""
        return _Pool(self.table).add(self._cobought_entries(cart, taken, objective)).candidates()

    def category_candidates(
        self, cart: Cart, taken: Collection[int], wanted: int, objective: str = "confidence"
    ) -> list[Candidate]:
        """The best sellers of the categories the cart's categories point to (see
        :mod:`.categories`), scored, in the answer's order."""
        pool = _Pool(self.table)
        read = partial(self._category_entries, cart=cart, taken=taken, wanted=wanted, objective=objective)
        pool.later(self._category_sources(cart, objective), read)
        return pool.candidates()

    def popular_candidates(self, cart: Cart, taken: Collection[int], objective: str = "confidence") -> list[Candidate]:
        """Popular items: the best sellers of the cart's categories, then the shop's; scored, in
        the answer's order."""
        return _Pool(self.table).add(self._popular_entries(cart, taken, objective)).candidates()

    def _cobought_entries(self, cart: Cart, taken: Collection[int], objective: str) -> list[_Entry]:
        counts, n, k, table = self.table.counts, self.n_baskets, self.shrinkage, self.table
        best: dict[int, _Pair] = {}
        for item in cart.items:
            for other, baskets in self.cobought.get(item, ()):
                if other in taken:
                    continue
                likelihood = (baskets + k * counts[other] / n) / (counts[item] + k)
                found = best.get(other)
                if found is None or (likelihood, baskets) > (found.likelihood, found.baskets):
                    best[other] = _Pair(likelihood, baskets, item)
        tier, ids, make = TIERS["cobought"], table.ids, self._cobought_candidate
        return [
            (tier, -value(table, objective, other, likelihood), -likelihood, -baskets, ids[other], 0, make,
             (other, likelihood, baskets, item))
            for other, (likelihood, baskets, item) in best.items()
        ]  # fmt: skip

    def _cobought_candidate(self, other: int, likelihood: float, baskets: int, item: int) -> Candidate:
        counts, n = self.table.counts, self.n_baskets
        confidence = baskets / counts[item]
        evidence = {
            "because": [self.table.ids[item]],
            "confidence": confidence,
            "lift": confidence * n / counts[other],
            "baskets": baskets,
            "backoff": "cobought",
        }
        return Candidate(
            item=other,
            kind="cross_sell",
            source="cobought",
            likelihood=likelihood,
            strength=likelihood,
            count=baskets,
            evidence=evidence,
        )

    def _category_sources(self, cart: Cart, objective: str) -> list[_Later]:
        """The categories the cart's categories point to, each as a source of best sellers to be
        read when the answer gets down to the most its candidates can score: the rule's
        confidence times the most any of its best sellers scores with its share of the category
        (a score is the chance times a weight of the item, :func:`.scores.value`)."""
        most = self._category_bounds(objective)
        found = []
        for category, (rule, antecedent) in self.categories.strongest(cart.items).items():
            bound = rule[0] * most[category]
            found.append((-bound - abs(bound) * 1e-9, category, rule, antecedent))  # (scores are rounded otherwise)
        return found

    def _category_bounds(self, objective: str) -> list[float]:
        """The most any best seller of each category scores under ``objective`` with its share of
        the category as its chance (worked out once per objective)."""
        found = self._bounds.get(objective)
        if found is None:
            table = self.table
            found = self._bounds[objective] = [
                max((value(table, objective, item, share) for item, share in sellers), default=0.0)
                for sellers in self.categories.shares
            ]
        return found

    def _category_entries(
        self,
        category: int,
        rule: tuple[float, float, int, int],
        antecedent: tuple[int, ...],
        *,
        cart: Cart,
        taken: Collection[int],
        wanted: int,
        objective: str,
    ) -> list[_Entry]:
        table, make = self.table, self._category_candidate
        tier, ids = TIERS["category_rules"], table.ids
        return [
            (tier, -value(table, objective, found.item, found.likelihood), -found.likelihood, -found.baskets,
             ids[found.item], 1, make, (found, cart))
            for found in self.categories.best_sellers_of(category, rule, antecedent, taken, wanted)
        ]  # fmt: skip

    def _category_candidate(self, found: CategoryCandidate, cart: Cart) -> Candidate:
        backoff, ids = self.categories, self.table.ids
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
        return Candidate(
            item=found.item,
            kind="cross_sell",
            source="category_rules",
            likelihood=found.likelihood,
            strength=found.likelihood,
            count=found.baskets,
            evidence=evidence,
        )

    def _popular_entries(self, cart: Cart, taken: Collection[int], objective: str) -> list[_Entry]:
        table = self.table
        categories = dict.fromkeys(c for i in cart.items if (c := table.categories[i]) is not None)
        in_categories = [item for category in categories for item in self.popular_in.get(category, ())]
        pooled = [("category_popular", item) for item in in_categories]
        seen = set(in_categories)
        pooled += [("popular", item) for item in self.popular if item not in seen]
        support, counts, ids, make = table.support, table.counts, table.ids, self._popular_candidate
        return [
            (TIERS[source], -value(table, objective, item, support[item]), -support[item], -counts[item], ids[item],
             2, make, (source, item))
            for source, item in pooled
            if item not in taken
        ]  # fmt: skip

    def _popular_candidate(self, source: str, item: int) -> Candidate:
        table = self.table
        return Candidate(
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


# A fill candidate before it is built: its place in the answer's order (Candidate.key: tier,
# score, strength, baskets, id; negated where descending), its source's rank among the fill's
# sources (of two candidates of one item and equal key, the earlier source's stands first, as
# when the sources' lists are sorted one after the other), its score, and how to build it.
_Entry = tuple[int, float, float, int, str, int, Callable[..., Candidate], tuple[Any, ...]]


# A source of fill candidates read later (a category of the category back-off): the most its
# candidates can score (negated), the category, its strongest rule and that rule's antecedent.
_Later = tuple[float, int, tuple[float, float, int, int], tuple[int, ...]]


def _none(*_: Any) -> list[_Entry]:
    return []


# The category back-off's tier: the sources read later are of it.
_LATER_TIER = TIERS["category_rules"]


class _Pool:
    """The fill's candidates in the answer's order, built only as far as the policy reads them.

    A grocer's short answer has a hundred candidates of thin evidence, and the two or so it
    needs are near the top: sorting them as tuples and building the first few costs a small
    part of building every one (the policy would turn the rest away as below the limit). The
    category back-off's categories are read later still, the most promising first: until a
    category is read, only the candidates that score more than it can are known to come first.
    :meth:`select` gives what :func:`.policy.select` gives over every candidate: over the first
    ones in the answer's order, as soon as they fill the answer, it is the same.
    """

    def __init__(self, table: ItemTable) -> None:
        self.table = table
        self.entries: list[_Entry] = []
        self.built: list[Candidate] = []  # the first entries', in order
        self.unread: list[_Later] = []  # the sources read later, the most promising first
        self._read: Callable[..., list[_Entry]] = _none  # what gives their candidates
        self._batch = 4  # how many of them are read next

    def __bool__(self) -> bool:
        return bool(self.entries or self.unread)

    def add(self, entries: list[_Entry]) -> _Pool:
        """Add candidates."""
        built = self.built
        if built and entries and min(entries) < self.entries[len(built) - 1]:
            built.clear()  # one of them goes before a candidate built: built again, in order
        self.entries += entries
        self.entries.sort()
        return self

    def later(self, sources: list[_Later], read: Callable[..., list[_Entry]]) -> None:
        """Set the sources of candidates of the category back-off's tier, each with the most its
        candidates can score, to be read (``read(category, rule, antecedent)``) when the answer
        gets that far."""
        self.unread, self._read = sorted(sources), read

    def _known(self) -> int:
        """How many of the first entries are known to come before every unread source's."""
        if not self.unread:
            return len(self.entries)
        return bisect_left(self.entries, (_LATER_TIER, self.unread[0][0]))

    def _read_more(self) -> None:
        """Read the next few sources (twice as many each time)."""
        sources, self.unread = self.unread[: self._batch], self.unread[self._batch :]
        self._batch *= 2
        read = self._read
        self.add([entry for _, category, rule, antecedent in sources for entry in read(category, rule, antecedent)])

    def candidates(self, count: int | None = None) -> list[Candidate]:
        """The first ``count`` candidates (all for None, every source read), built."""
        if count is None:
            while self.unread:
                self._read_more()
        entries, built = self.entries, self.built
        for _, score, _, _, _, _, make, args in entries[len(built) : count]:
            candidate = make(*args)
            candidate.score = -score
            built.append(candidate)
        return built[:count]

    def select(
        self,
        cart: Cart,
        *,
        limit: int,
        caps: Caps,
        already: list[Candidate],
        trace: list[Decision] | None = None,
    ) -> list[Candidate]:
        """:func:`.policy.select` over the pool: the first few candidates known to come first,
        then four times as many, reading more sources when they are all read, until the answer
        is full or every candidate is read (all at once with a trace)."""
        count: int | None = None if trace is not None else 2 * limit + 2
        while True:
            known = self._known() if count is not None else None
            read = self.candidates(count if known is None or count is None else min(count, known))
            added = select(read, self.table, cart, limit=limit, caps=caps, already=already, trace=trace)
            if len(added) == limit or count is None or (not self.unread and len(read) == len(self.entries)):
                return added
            if known is not None and count < known:
                count *= 4
            else:
                self._read_more()
