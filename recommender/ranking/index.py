"""Rule matching for a whole cart: a trie of antecedents, built once at load time.

A rule ``A -> c`` applies to a cart when ``A`` is inside the cart. Antecedents are sorted
tuples of item indices stored in a trie; walking it with the cart's sorted items visits only
the antecedents (and their prefixes) made of cart items, so the cost follows the cart and its
matches, never the number of rules.
"""

from __future__ import annotations

import heapq
from array import array
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from ..model_data import ModelData

__all__ = ["Rule", "RuleIndex", "rules_of"]


class Rule(NamedTuple):
    """One rule ``antecedent -> consequent`` as the ranking reads it.

    ``confidence`` and ``lift`` are what the rule is ranked by: with shrinkage, the confidence
    pulled toward the consequent's base rate; ``baskets`` and ``antecedent_count`` are the baskets
    behind it, from which reasons give what the baskets show. ``order`` numbers the rules of a
    model strongest first (see :func:`rules_of`): of two rules of one consequent, the one of
    smaller order wins.
    """

    antecedent: tuple[int, ...]
    consequent: int
    confidence: float
    lift: float
    baskets: int
    antecedent_count: int
    order: int = 0


def rules_of(data: ModelData, *, shrinkage: float = 0.0) -> list[Rule]:
    """Every rule of ``data``, ranked by its confidence smoothed with ``shrinkage``
    pseudo-baskets toward the consequent's base rate, ``(count + k * support(c)) / (count(A) + k)``
    (see :func:`recommender.mining.hygiene.shrunk_confidence`), and by the lift from it.

    The rules are numbered (``Rule.order``) by confidence, lift and baskets, then by the rank of
    their antecedent (antecedents ordered by their strongest rule), then by consequent: between
    two equally strong rules of one item, the same one wins whatever the cart and the index.
    """
    rules, n, item_counts = data.rules, data.n_baskets, data.item_counts
    found = []
    for antecedent, consequent, count, antecedent_count in zip(
        rules.antecedents, rules.consequents, rules.counts, rules.antecedent_counts
    ):
        if shrinkage:
            confidence = (count + shrinkage * item_counts[consequent] / n) / (antecedent_count + shrinkage)
        else:
            confidence = count / antecedent_count
        lift = confidence * n / item_counts[consequent]
        found.append(Rule(tuple(antecedent), consequent, confidence, lift, count, antecedent_count))
    strongest: dict[tuple[int, ...], tuple[tuple[float, float, int], int]] = {}
    for rule in found:
        key = (strength(rule), rule.consequent)
        if rule.antecedent not in strongest or key < strongest[rule.antecedent]:
            strongest[rule.antecedent] = key
    ranked = sorted(strongest, key=lambda antecedent: (strongest[antecedent], antecedent))
    rank = {antecedent: at for at, antecedent in enumerate(ranked)}
    found.sort(key=lambda rule: (strength(rule), rank[rule.antecedent], rule.consequent))
    return [rule._replace(order=order) for order, rule in enumerate(found)]


def strength(rule: Rule) -> tuple[float, float, int]:
    """What orders the rules of one antecedent: confidence, then lift, then baskets (descending)."""
    return -rule.confidence, -rule.lift, -rule.baskets


@dataclass(slots=True)
class _Node:
    """A trie node: the rules of its antecedent (all of them), the nodes one item longer, and
    what :meth:`RuleIndex.strongest` reads of the rules it reads: their confidences, consequents
    and numbers (``Rule.order``) in three flat arrays, side by side, strongest first."""

    every: list[Rule] = field(default_factory=list)
    confidences: array[float] = field(default_factory=lambda: array("d"))
    consequents: array[int] = field(default_factory=lambda: array("q"))
    orders: array[int] = field(default_factory=lambda: array("q"))
    children: dict[int, _Node] = field(default_factory=dict)
    items: frozenset[int] = frozenset()  # the children's items, to intersect with a cart


class RuleIndex:
    """Antecedent trie over ``rules``.

    Each antecedent keeps at most ``per_antecedent`` rules, the strongest first: an answer shows
    a few items, and an antecedent with hundreds of consequents only ever contributes its
    strongest ones.

    Rules come numbered (see :func:`rules_of`).
    """

    def __init__(self, rules: Iterable[Rule], *, per_antecedent: int = 64) -> None:
        by_antecedent: dict[tuple[int, ...], list[Rule]] = {}
        for rule in rules:
            by_antecedent.setdefault(rule.antecedent, []).append(rule)
        for found in by_antecedent.values():
            found.sort(key=lambda rule: rule.order)
            del found[per_antecedent:]
        numbered = [rule for found in by_antecedent.values() for rule in found]
        self.n_rules = len(numbered)
        self._by_order = {rule.order: rule for rule in numbered}
        self._root = _Node()
        best = {(rule.antecedent, rule.consequent): rule.order for rule in numbered}
        for rule in sorted(numbered, key=lambda rule: (rule.antecedent, rule.order)):
            node = self._root
            for item in rule.antecedent:
                node = node.children.setdefault(item, _Node())
            node.every.append(rule)
            # A rule A -> c never decides an answer when a rule S -> c, with S the antecedent A
            # less one item, wins over it: every cart that holds A holds S. `strongest` skips it;
            # `match` keeps it, since combining rules counts every one.
            if not _dominated(rule, best):
                node.confidences.append(rule.confidence)
                node.consequents.append(rule.consequent)
                node.orders.append(rule.order)
        nodes = [self._root]
        while nodes:
            node = nodes.pop()
            node.items = frozenset(node.children)
            nodes += node.children.values()

    def match(self, cart: Collection[int]) -> list[list[Rule]]:
        """The rule lists of every antecedent inside ``cart`` (item indices), strongest first
        within each list, the lists in no particular order."""
        return [node.every for node in self._nodes(cart) if node.every]

    def _nodes(self, cart: Collection[int]) -> list[_Node]:
        """The nodes of every antecedent (or prefix of one) inside ``cart``, level by level:
        single items first, the longest antecedents last.

        Antecedents are sorted tuples, so each is reached by exactly one path: from the node of
        its first item through the children that are in the cart.
        """
        inside = frozenset(cart)
        found: list[_Node] = []
        level = [self._root]
        while level:
            below = [node.children[item] for node in level for item in node.items & inside]
            found += below
            level = [node for node in below if node.children]
        return found

    def strongest(self, cart: Collection[int], *, wanted: int | None, skip: Collection[int]) -> tuple[list[Rule], bool]:
        """The strongest rule of each consequent of the rules inside ``cart``, but those in
        ``skip``, as far as needed to find the ``wanted`` most confident consequents (every one
        for None); and whether every consequent is there.

        The rules returned hold the ``wanted`` most confident consequents and every one tied with
        the last of them, in no particular order. Exact and cheap (a threshold algorithm): each
        matched list is read strongest first, only while its rules can still reach the
        ``wanted``-th best confidence found so far.
        """
        best: dict[int, int] = {}  # consequent -> the number of its strongest rule so far
        confidences: list[float] = []  # the wanted best confidences found, one per consequent (a min-heap)
        bound = 0.0  # rules under this confidence cannot be among the wanted best
        complete = True
        # Longer antecedents hold the more confident rules: reading them first raises the bound sooner.
        for node in reversed(self._nodes(cart)):
            for confidence, item, order in zip(node.confidences, node.consequents, node.orders):
                if confidence < bound:
                    complete = False
                    break
                if item in skip:
                    continue
                known = best.get(item)
                if known is not None:
                    if order < known:
                        best[item] = order  # the heap keeps the older, lower entry: the bound stays safe
                    continue
                best[item] = order
                if wanted is None:
                    continue
                if len(confidences) < wanted:
                    heapq.heappush(confidences, confidence)
                    if len(confidences) == wanted:
                        bound = confidences[0]
                elif confidence > bound:
                    heapq.heappushpop(confidences, confidence)
                    bound = confidences[0]
        rules = self._by_order
        found = [rule for order in best.values() if (rule := rules[order]).confidence >= bound]
        return found, complete and len(found) == len(best)


def _dominated(rule: Rule, best: dict[tuple[tuple[int, ...], int], int]) -> bool:
    """Whether an antecedent one item smaller has a rule into the same item of smaller order
    (``best``: the order of each (antecedent, consequent))."""
    antecedent = rule.antecedent
    if len(antecedent) < 2:
        return False
    for skipped in range(len(antecedent)):
        rival = best.get((antecedent[:skipped] + antecedent[skipped + 1 :], rule.consequent))
        if rival is not None and rival < rule.order:
            return True
    return False
