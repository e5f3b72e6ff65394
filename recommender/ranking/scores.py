"""The scoring stage: how several rules for one item add up, and what an item is worth.

Every candidate carries a likelihood, the estimated chance the shopper takes it given the
cart. :func:`combine_rules` estimates it from the rules inside the cart; :func:`value` turns it
into the units of the objective (a chance, a lift, expected revenue or margin). A learned
scorer plugs in here: it replaces the likelihood, the policy downstream stays as it is.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from .index import Rule
from .items import ItemTable

__all__ = ["Combined", "combine_rules", "value"]


@dataclass(slots=True)
class Combined:
    """The rules inside a cart for one item: the strongest, how many, and the likelihood they add up to."""

    rule: Rule
    rules: int
    likelihood: float


def combine_rules(
    lists: Iterable[Sequence[Rule]], *, how: str, cart_size: int, table: ItemTable, skip: Collection[int]
) -> list[Combined]:
    """Every consequent of the rules in ``lists``, but those in ``skip``, with its likelihood.

    ``how`` is ``"max"`` (the strongest rule's confidence), ``"noisy_or"`` (``1 - prod(1 -
    confidence)``: rules as independent evidence) or ``"cumulative"`` (the strongest rule's
    confidence plus, for each other rule, its confidence above the item's base rate, divided by
    the cart's size, so that a long cart cannot outvote a strong rule).
    """
    support = table.support
    strongest: dict[int, Rule] = {}
    evidence: dict[int, float] = {}  # noisy-or: prod(1 - confidence); cumulative: sum of confidence above base
    counted: dict[int, int] = {}
    for rules in lists:
        for rule in rules:
            item = rule.consequent
            if item in skip:
                continue
            known = strongest.get(item)
            if known is None or rule.order < known.order:
                strongest[item] = rule
            if how == "noisy_or":
                evidence[item] = evidence.get(item, 1.0) * (1.0 - rule.confidence)
            else:
                evidence[item] = evidence.get(item, 0.0) + max(0.0, rule.confidence - support[item])
            counted[item] = counted.get(item, 0) + 1
    combined = []
    for item, rule in strongest.items():
        if how == "noisy_or":
            likelihood = 1.0 - evidence[item]
        elif how == "cumulative":
            others = evidence[item] - max(0.0, rule.confidence - support[item])
            likelihood = rule.confidence + others / cart_size
        else:
            likelihood = rule.confidence
        combined.append(Combined(rule, counted[item], likelihood))
    return combined


def value(table: ItemTable, objective: str, item: int, likelihood: float, replaces: int | None = None) -> float:
    """What suggesting ``item`` is worth under the objective: its likelihood, its lift (the
    likelihood over the item's base rate), or the likelihood times its price (times its margin);
    an upgrade is worth the difference to the item it ``replaces``."""
    if objective == "confidence":
        return likelihood
    if objective == "lift":
        support = table.support[item]
        return likelihood / support if support else 0.0
    price = _worth(table, objective, item)
    if replaces is not None:
        price -= _worth(table, objective, replaces)
    return likelihood * price


def _worth(table: ItemTable, objective: str, item: int) -> float:
    """An item's price, times its margin under the margin objective (an unknown margin counts as 1)."""
    price = table.prices[item] or 0.0
    margin = table.margins[item]
    return price * margin if objective == "margin" and margin is not None else price
