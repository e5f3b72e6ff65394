"""The candidate stage: what may be suggested for a cart, each with its evidence.

Sources, strongest evidence first: the rules inside the cart (one candidate per consequent), or
the item-item weights learned at mining time when the ranking uses them, upgrades of the cart's
items, and the merchandiser's pins; the back-off sources that fill an answer the rules leave
short are in :mod:`.fill`. A candidate carries its estimated chance of
being taken (``likelihood``); the scoring stage turns it into the objective's units.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..model_data import WeightTerms
from .cart import Cart
from .index import Rule, RuleIndex
from .items import ItemTable
from .scores import combine_rules, value
from .upgrades import Upgrade

__all__ = [
    "Candidate",
    "TIERS",
    "Weights",
    "weight_rows",
    "rule_candidates",
    "strongest_rules",
    "weight_candidates",
    "upgrade_candidates",
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


class Weights(NamedTuple):
    """A cart item's learned weights, in columns: to which items, how much, and the baskets
    and confidence (the baskets over the cart item's) of each pair."""

    items: tuple[int, ...]
    weights: tuple[float, ...]
    baskets: tuple[int, ...]
    confidences: tuple[float, ...]


def weight_rows(triples: Iterable[tuple[int, int, float, int]], counts: Sequence[int]) -> dict[int, Weights]:
    """The model's weights ``(a, b, weight, baskets)`` as columns per cart item ``a``."""
    rows: dict[int, list[tuple[int, float, int]]] = {}
    for a, b, weight, baskets in triples:
        rows.setdefault(a, []).append((b, weight, baskets))
    return {
        a: Weights(
            tuple(b for b, _, _ in row),
            tuple(w for _, w, _ in row),
            tuple(n for _, _, n in row),
            tuple(n / counts[a] if counts[a] else 0.0 for _, _, n in row),
        )
        for a, row in rows.items()
    }


def weight_candidates(
    weights: Mapping[int, Weights],
    terms: WeightTerms,
    table: ItemTable,
    cart: Cart,
    *,
    skip: Collection[int],
    sellable_only: bool,
    objective: str,
    wanted: int | None,
) -> tuple[list[Candidate], bool]:
    """One candidate per item a cart item carries a positive learned weight to (only items for
    sale with ``sellable_only``), the ``wanted`` best (all for None), and whether that is all
    of them. Its learned score is the sum of the cart's weights to it, plus ``terms.confidence``
    times the largest confidence of those pairs, plus ``terms.popularity`` times its support
    (see :mod:`recommender.mining.weights`); an item the cart speaks against on the whole (a
    score of 0 or less) is no candidate. Each is explained by its strongest pair: the cart item
    with the largest weight to it, with the baskets, confidence and lift of the two together.
    """
    total: dict[int, float] = {}  # item -> the sum of the cart's weights to it
    confidence: dict[int, float] = {}  # item -> the largest confidence of a weighted pair into it
    strongest: dict[int, float] = {}  # item -> its largest positive weight from the cart
    pair: dict[int, tuple[int, int]] = {}  # item -> the cart item of that weight, and their baskets
    add, best, stronger = total.get, confidence.get, strongest.get
    for source in cart.items:
        row = weights.get(source)
        if row is None:
            continue
        for item, weight, baskets in zip(row.items, row.weights, row.baskets):
            total[item] = add(item, 0.0) + weight
            if weight > stronger(item, 0.0):
                strongest[item] = weight
                pair[item] = (source, baskets)
        if terms.confidence:
            for item, pair_confidence in zip(row.items, row.confidences):
                if pair_confidence > best(item, 0.0):
                    confidence[item] = pair_confidence
    ids, support, sellable = table.ids, table.support, table.sellable
    confidence_term, popularity_term = terms.confidence, terms.popularity
    # Scores first, in the answer's order (score, then the strongest pair's weight and baskets,
    # then the id); a Candidate only for the items that make the cut.
    ranked = []
    for item, weight in strongest.items():
        if item in skip or (sellable_only and not sellable[item]):
            continue
        likelihood = total[item] + confidence_term * confidence.get(item, 0.0) + popularity_term * support[item]
        if likelihood > 0:
            score = value(table, objective, item, likelihood)
            ranked.append((-score, -weight, -pair[item][1], ids[item], item, likelihood))
    if wanted is None or len(ranked) <= wanted:
        chosen, complete = sorted(ranked), True
    else:
        chosen, complete = heapq.nsmallest(wanted, ranked), False
    found = []
    for negative_score, negative_weight, _, _, item, likelihood in chosen:
        source, baskets = pair[item]
        pair_confidence = baskets / table.counts[source]
        found.append(
            Candidate(
                item=item,
                kind="cross_sell",
                source="weights",
                likelihood=likelihood,
                strength=-negative_weight,
                count=baskets,
                score=-negative_score,
                evidence={
                    "because": [ids[source]],
                    "confidence": pair_confidence,
                    "lift": pair_confidence / support[item] if support[item] else 0.0,
                    "baskets": baskets,
                    "learned_score": likelihood,
                },
            )
        )
    return found, complete


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
) -> list[Candidate]:
    """A pricier, better item of the family (or category) of a cart item (not in ``skip``, and for
    sale when ``sellable_only``), scored by what it adds over the item it replaces; of two cart
    items with the same upgrade, the one it is worth more for."""
    found: dict[int, Candidate] = {}
    for replaces in cart.items:
        for upgrade in upgrades.get(replaces, ()):
            if upgrade.item in skip or (sellable_only and not table.sellable[upgrade.item]):
                continue
            score = value(table, objective, upgrade.item, upgrade.share, replaces)
            old = found.get(upgrade.item)
            if old is not None and (old.score, old.strength) >= (score, upgrade.share):
                continue
            price, old_price = table.prices[upgrade.item], table.prices[replaces]
            found[upgrade.item] = Candidate(
                item=upgrade.item,
                kind="upgrade",
                source="upgrades",
                likelihood=upgrade.share,
                strength=upgrade.share,
                count=upgrade.customers,
                score=score,
                replaces=replaces,
                evidence={
                    "replaces": table.ids[replaces],
                    "basis": upgrade.basis,
                    "customers": upgrade.customers,
                    "share": upgrade.share,
                    "price_difference": None if price is None or old_price is None else round(price - old_price, 2),
                },
            )
    return list(found.values())


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
