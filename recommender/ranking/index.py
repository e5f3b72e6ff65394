"""Rule matching for a whole cart: a trie of antecedents, built once at load time.

A rule ``A -> c`` applies to a cart when ``A`` is inside the cart. Antecedents are sorted
tuples of item indices stored in a trie; walking it with the cart's sorted items visits only
the antecedents (and their prefixes) made of cart items, so the cost follows the cart and its
matches, never the number of rules.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from typing import Any

from ..artifact import ModelData

__all__ = ["RuleIndex", "MatchedRule"]

# (-confidence, -lift, -basket count, consequent, antecedent): tuples that sort strongest first,
# so that the matched lists merge without a key function.
MatchedRule = tuple[float, float, int, int, tuple[int, ...]]
# [children by item, rules of this antecedent]
_Node = list[Any]


class RuleIndex:
    """Antecedent trie over the rules of a model.

    Rules below ``min_lift``, and rules into items that may not be sold, are left out. Each
    antecedent keeps at most ``per_antecedent`` rules, the most confident first: an answer
    shows a few items, and an antecedent with hundreds of consequents only ever contributes
    its strongest ones after filtering.

    With ``shrinkage`` k > 0, rules are ranked by their confidence smoothed toward the
    consequent's base rate, ``(count + k * support(c)) / (count(A) + k)``, and lift from it
    (see :func:`recommender.mining.hygiene.shrunk_confidence`); ``antecedent_counts`` then
    gives back the observed confidence for reasons.
    """

    def __init__(
        self,
        data: ModelData,
        *,
        min_lift: float = 0.0,
        sellable: Sequence[bool] | None = None,
        per_antecedent: int = 64,
        shrinkage: float = 0.0,
    ) -> None:
        self.root: _Node = [{}, []]
        self.n_rules = 0
        self.antecedent_counts: dict[tuple[int, ...], int] = {}
        rules = data.rules
        n = data.n_baskets
        counts_of_items = data.item_counts
        for antecedent, consequent, count, antecedent_count in zip(
            rules.antecedents, rules.consequents, rules.counts, rules.antecedent_counts
        ):
            if shrinkage:
                base = counts_of_items[consequent] / n
                confidence = (count + shrinkage * base) / (antecedent_count + shrinkage)
                self.antecedent_counts[antecedent] = antecedent_count
            else:
                confidence = count / antecedent_count
            lift = confidence * n / counts_of_items[consequent]
            if lift < min_lift or (sellable is not None and not sellable[consequent]):
                continue
            node = self.root
            for item in antecedent:
                node = node[0].setdefault(item, [{}, []])
            node[1].append((-confidence, -lift, -count, consequent, antecedent))
            self.n_rules += 1
        self._freeze(self.root, per_antecedent)

    def _freeze(self, root: _Node, keep: int) -> None:
        stack = [root]
        while stack:
            node = stack.pop()
            # Strongest first, full key for determinism: confidence, lift, count, then ids.
            node[1].sort()
            del node[1][keep:]
            stack.extend(node[0].values())

    def match(self, cart: Sequence[int]) -> list[list[MatchedRule]]:
        """The rule lists of every antecedent inside ``cart`` (item indices, any order).

        Antecedents are sorted tuples, so each is reached by exactly one path; at every node
        the walk tests whichever is fewer, the node's children or the cart's items.
        """
        matched: list[list[MatchedRule]] = []
        items = set(cart)
        size = len(items)
        stack: list[dict[int, _Node]] = [self.root[0]]
        append, push, pop = matched.append, stack.append, stack.pop
        while stack:
            children = pop()
            if len(children) <= size:
                for item, (grandchildren, rules) in children.items():
                    if item in items:
                        if rules:
                            append(rules)
                        if grandchildren:
                            push(grandchildren)
            else:
                get = children.get
                for item in items:
                    child = get(item)
                    if child is not None:
                        if child[1]:
                            append(child[1])
                        if child[0]:
                            push(child[0])
        return matched

    def strongest(self, cart: Sequence[int], blocked: set[int], wanted: int) -> tuple[dict[int, list[Any]], bool]:
        """The consequents of highest confidence among the rules inside ``cart``: at least
        ``wanted`` of them (when there are), with every one tied with the last, none in
        ``blocked``.

        Returns ``{consequent: [confidence, lift, count, antecedent]}`` (each consequent's
        strongest rule) and whether every rule inside the cart was read. Exact, and cheap (a
        threshold algorithm): the matched lists are read strongest head first, each only while
        its rules can still beat the ``wanted``-th best confidence found so far.
        """
        matched = self.match(cart)
        matched.sort(key=_head)
        best: dict[int, list[Any]] = {}
        strongest: list[float] = []  # the wanted best confidences, one per consequent (a min-heap)
        threshold = -1.0
        complete = True
        for rules in matched:
            if -rules[0][0] < threshold:
                complete = False
                break
            for negative_confidence, negative_lift, negative_count, consequent, antecedent in rules:
                confidence = -negative_confidence
                if confidence < threshold:
                    complete = False
                    break
                if consequent in blocked:
                    continue
                known = best.get(consequent)
                if known is not None:
                    if (confidence, -negative_lift, -negative_count) > (known[0], known[1], known[2]):
                        known[0], known[1], known[2], known[3] = confidence, -negative_lift, -negative_count, antecedent
                    # Its older, lower entry stays in the heap: the threshold can only be too low
                    # (reading more), never too high (missing an item).
                    continue
                best[consequent] = [confidence, -negative_lift, -negative_count, antecedent]
                if len(strongest) < wanted:
                    heapq.heappush(strongest, confidence)
                    if len(strongest) == wanted:
                        threshold = strongest[0]
                elif confidence > strongest[0]:
                    heapq.heappushpop(strongest, confidence)
                    threshold = strongest[0]
        return best, complete


def _head(rules: list[MatchedRule]) -> MatchedRule:
    return rules[0]
