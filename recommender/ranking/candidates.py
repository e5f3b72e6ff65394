"""The candidate stage: what may be suggested for a cart, each with its evidence.

Sources, strongest evidence first: the rules inside the cart (one candidate per consequent), or
the item-item weights learned at mining time when the ranking uses them (:mod:`.learned`), upgrades of the cart's
items, and the merchandiser's pins; the back-off sources that fill an answer the rules leave
short are in :mod:`.fill`. A candidate carries its estimated chance of
being taken (``likelihood``); the scoring stage turns it into the objective's units.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .cart import Cart
from .index import Rule, RuleIndex
from .items import ItemTable
from .scores import combine_rules, value
from .upgrades import Upgrade

__all__ = [
    "Candidate",
    "TIERS",
    "rule_candidates",
    "strongest_rules",
    "upgrade_candidates",
    "upgrade_candidate",
    "pin",
]

# Where a candidate comes from, and the tier it is ranked in: rules or weights, upgrades and pins first,
# then the thin evidence of the back-off, then popular items of the cart's categories, then the
# shop's.
TIERS = {
    "rules": 0,
    "weights": 0,
    "upgrades": 0,
    "pins": 0,
    "cobought": 1,
    "category_rules": 1,
    "category_popular": 2,
    "popular": 3,
}


@dataclass(slots=True)
class Candidate:
    """An item that may be suggested, as it moves through the stages.

    ``likelihood`` is the estimated chance the shopper takes it given the cart; ``score`` its
    worth under the objective (set by the scoring stage); ``strength`` and ``count`` (the
    strongest evidence's confidence and baskets) break ties. A rules candidate holds its
    strongest ``rule`` (and ``rules_combined`` when several are added up); the other sources
    hold what their reason shows in ``evidence``. ``pinned`` is the rank of the merchandiser's
    pin (1 first, 0 for none) and ``pinned_for`` the pin's key and the cart item that set it off;
    ``bridges`` marks an item that takes the cart over the free-shipping threshold;
    ``below_floor`` one that only rules under the lift floor point to (shown in a trace only).
    """

    item: int
    kind: str
    source: str
    likelihood: float
    strength: float
    count: int
    score: float = 0.0
    rule: Rule | None = None
    rules_combined: int = 0
    replaces: int | None = None
    evidence: dict[str, Any] | None = None
    pinned: int = 0
    pinned_for: tuple[str, int] | None = None
    bridges: bool = False
    below_floor: bool = False

    def key(self, ids: Sequence[str]) -> tuple[Any, ...]:
        """The full order of an answer: pins (in the merchandiser's order), then items that take
        the cart over the free-shipping threshold, then by tier, score, strength, baskets, id."""
        return (
            self.pinned == 0,
            self.pinned,
            not self.bridges,
            TIERS[self.source],
            -self.score,
            -self.strength,
            -self.count,
            ids[self.item],
        )


def rule_candidates(
    index: RuleIndex,
    table: ItemTable,
    cart: Cart,
    *,
    skip: Collection[int],
    combine: str,
    objective: str,
    wanted: int | None,
) -> tuple[list[Candidate], bool]:
    """One candidate per consequent of the rules inside the cart, scored, the ``wanted`` best
    (all for None); and whether that is every one of them.

    When an item's score is its strongest rule's confidence (the confidence objective, rules
    not combined), the index finds the best without reading every rule; otherwise every rule
    inside the cart is read and combined.
    """
    ids = table.ids
    if combine == "max" and objective == "confidence":
        rules, complete = strongest_rules(index, table, cart, skip=skip, wanted=wanted)
        return [_from_rule(rule, rule.confidence, 0) for rule in rules], complete
    combined = combine_rules(index.match(cart.items), how=combine, cart_size=len(cart.items), table=table, skip=skip)
    found = [_from_rule(c.rule, c.likelihood, c.rules if combine != "max" else 0) for c in combined]
    for candidate in found:
        candidate.score = value(table, objective, candidate.item, candidate.likelihood)
    found.sort(key=lambda c: (-c.score, -c.strength, -c.count, ids[c.item]))
    if wanted is not None and len(found) > wanted:
        return found[:wanted], False
    return found, True


def strongest_rules(
    index: RuleIndex, table: ItemTable, cart: Cart, *, skip: Collection[int], wanted: int | None
) -> tuple[list[Rule], bool]:
    """The strongest rule of each of the ``wanted`` most confident consequents of the rules inside
    the cart (all for None), best first (confidence, baskets, id), and whether that is all of
    them: when an item's score is its strongest rule's confidence, the index finds the best
    without reading every rule."""
    ids = table.ids
    rules, complete = index.strongest(cart.items, wanted=wanted, skip=skip)
    rules.sort(key=lambda rule: (-rule.confidence, -rule.baskets, ids[rule.consequent]))
    if wanted is not None and len(rules) > wanted:
        return rules[:wanted], False
    return rules, complete


def _from_rule(rule: Rule, likelihood: float, rules_combined: int) -> Candidate:
    # Positional, as this is made for each rules candidate of every answer.
    return Candidate(
        rule.consequent,
        "cross_sell",
        "rules",
        likelihood,
        rule.confidence,
        rule.baskets,
        likelihood,
        rule,
        rules_combined,
    )


def upgrade_candidates(
    upgrades: Mapping[int, Sequence[Upgrade]],
    table: ItemTable,
    cart: Cart,
    *,
    skip: Collection[int],
    sellable_only: bool,
    objective: str,
    wanted: int | None = None,
) -> tuple[list[Candidate], bool]:
    """A pricier, better item of the family (or category) of a cart item (not in ``skip``, and for
    sale when ``sellable_only``), scored by what it adds over the item it replaces; of two cart
    items with the same upgrade, the one it is worth more for. The ``wanted`` best (all for
    None) in the answer's order, and whether that is all of them."""
    ids = table.ids
    best: dict[int, tuple[float, int, Upgrade]] = {}  # item: (score, the cart item it replaces, upgrade)
    for replaces in cart.items:
        for upgrade in upgrades.get(replaces, ()):
            if upgrade.item in skip or (sellable_only and not table.sellable[upgrade.item]):
                continue
            score = value(table, objective, upgrade.item, upgrade.share, replaces)
            old = best.get(upgrade.item)
            if old is None or (old[0], old[2].share) < (score, upgrade.share):
                best[upgrade.item] = (score, replaces, upgrade)
    # The answer's order (Candidate.key) among upgrades: score, share, customers, id.
    ranked = sorted(
        best.values(), key=lambda found: (-found[0], -found[2].share, -found[2].customers, ids[found[2].item])
    )
    complete = wanted is None or len(ranked) <= wanted
    found = [upgrade_candidate(table, score, replaces, upgrade) for score, replaces, upgrade in ranked[:wanted]]
    return found, complete


def upgrade_candidate(table: ItemTable, score: float, replaces: int, upgrade: Upgrade) -> Candidate:
    """The candidate of ``upgrade`` for the cart item ``replaces``, scored ``score``: the one
    definition for the plain ranking above and the flat arrays of :mod:`.upgrade_index`."""
    price, old_price = table.prices[upgrade.item], table.prices[replaces]
    # Positional: item, kind, source, likelihood, strength, count, score, rule, rules_combined,
    # replaces, evidence.
    return Candidate(
        upgrade.item, "upgrade", "upgrades", upgrade.share, upgrade.share, upgrade.customers, score, None, 0, replaces,
        {
            "replaces": table.ids[replaces],
            "basis": upgrade.basis,
            "customers": upgrade.customers,
            "share": upgrade.share,
            "price_difference": None if price is None or old_price is None else round(price - old_price, 2),
        },
    )  # fmt: skip


def pin(
    candidates: dict[int, Candidate],
    table: ItemTable,
    cart: Cart,
    pins: Mapping[str, Sequence[str]],
) -> None:
    """Mark the merchandiser's choices for the cart's items (by item id, or ``"category:NAME"``)
    as pinned, in the order of the cart and of each pin; a pinned item no source offered is
    added. Items of the cart, excluded or not for sale are not pinned."""
    if not pins:
        return
    rank = 0
    for item in cart.items:
        for key in (table.ids[item], f"category:{table.categories[item]}"):
            for pinned_id in pins.get(key, ()):
                pinned = table.index.get(pinned_id)
                if pinned is None or pinned in cart.blocked or not table.sellable[pinned]:
                    continue
                rank += 1
                candidate = candidates.get(pinned)
                if candidate is None:
                    candidate = candidates[pinned] = Candidate(
                        item=pinned,
                        kind="cross_sell",
                        source="pins",
                        likelihood=0.0,
                        strength=0.0,
                        count=0,
                        evidence={"because": [table.ids[item]]},
                    )
                if not candidate.pinned:
                    candidate.pinned = rank
                    candidate.pinned_for = (key, item)
