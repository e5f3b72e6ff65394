"""The explain stage: reasons a person can read, next to the numbers behind them, for what is
shown, and the decision trace for what was considered."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from .candidates import Candidate
from .cart import Cart
from .index import Rule
from .items import ItemTable
from .policy import DROPPED, Decision
from .results import Considered, Suggestion

__all__ = [
    "Explainer",
    "LearnedPair",
    "pair_evidence",
    "text_for",
    "cross_sell_text",
    "category_text",
    "upgrade_text",
    "popular_text",
    "free_shipping_text",
]

RULE_REASONS_KEPT = 100_000  # reasons of rules kept for the next answers, cleared when full
PAIR_REASONS_KEPT = 100_000  # reasons of learned weights' pairs kept likewise


def _names(table: ItemTable, items: Sequence[int]) -> str:
    return _listed([table.label(i) for i in items])


def cross_sell_text(table: ItemTable, because: Sequence[int], item: int, confidence: float, lift: float) -> str:
    """e.g. "because Tea is in the cart: 42% of those baskets also had Kettle, 3.1x the usual rate"."""
    verb = "is" if len(because) == 1 else "are"
    return (
        f"because {_names(table, because)} {verb} in the cart: {confidence:.0%} of those baskets also had "
        f"{table.label(item)}, {lift:.1f}x the usual rate"
    )


def category_text(because: Sequence[str], category: str, item: str, confidence: float, lift: float) -> str:
    """e.g. "because sausage is in the cart: 42% of those baskets also had dairy produce, 2.1x the
    usual rate; Whole milk sells most there"."""
    names = _listed(because)
    return (
        f"because {names} {'is' if len(because) == 1 else 'are'} in the cart: {confidence:.0%} of those baskets "
        f"also had {category}, {lift:.1f}x the usual rate; {item} sells most there"
    )


def upgrade_text(table: ItemTable, replaces: int, item: int, share: float, customers: int, basis: str) -> str:
    if basis == "traded_up":
        return (
            f"a step up from {table.label(replaces)}: {customers} of its buyers ({share:.0%}) later bought "
            f"{table.label(item)}"
        )
    return f"a step up from {table.label(replaces)} in the same {basis}"


def popular_text(share: float, category: str | None) -> str:
    where = f" in {category}" if category else ""
    return f"popular{where}: in {share:.1%} of all baskets"


def free_shipping_text(threshold: float, missing: float) -> str:
    return f"takes the cart over the free-shipping threshold of {threshold:g} (it was {missing:.2f} short)"


def text_for(table: ItemTable, kind: str, item: int, reason: Mapping[str, Any]) -> str:
    """The sentence for a suggestion that no rule and no pin explains, from its reason's numbers."""
    if reason.get("backoff") == "category_rules":
        return category_text(
            reason["because_categories"], reason["category"], table.label(item), reason["confidence"], reason["lift"]
        )
    if kind == "cross_sell":
        because = [table.index[i] for i in reason["because"]]
        return cross_sell_text(table, because, item, reason["confidence"], reason["lift"])
    if kind == "upgrade":
        replaces = table.index[reason["replaces"]]
        return upgrade_text(table, replaces, item, reason["share"], reason["customers"], reason["basis"])
    return popular_text(reason["share"], reason.get("category"))


class LearnedPair(NamedTuple):
    """A suggestion of the learned weights (:mod:`.learned`) and the mined pair that explains it:
    the cart item ``source`` with the largest ``weight`` to ``item``, and the ``baskets`` that held
    both."""

    item: int
    likelihood: float
    score: float
    source: int
    weight: float
    baskets: int


def pair_evidence(table: ItemTable, pair: LearnedPair) -> dict[str, Any]:
    """The numbers of a learned suggestion's reason: its pair's cart item, confidence, lift and
    baskets, and the learned score."""
    confidence = pair.baskets / table.counts[pair.source]
    support = table.support[pair.item]
    return {
        "because": [table.ids[pair.source]],
        "confidence": confidence,
        "lift": confidence / support if support else 0.0,
        "baskets": pair.baskets,
        "learned_score": pair.likelihood,
    }


class Explainer:
    """Turns chosen candidates into suggestions with their reasons, and decisions into the trace.

    A rule's reason gives what the baskets show (the observed confidence and lift, even when the
    ranking used shrunk ones); it is the same every time the rule is shown, so it is kept, as is
    the sentence of the mined pair that explains a learned weights' suggestion.
    """

    def __init__(self, table: ItemTable, *, n_baskets: int, combine: str, min_count: int) -> None:
        self.table = table
        self.n_baskets = n_baskets
        self.min_count = min_count
        self.combined_key = "combined_confidence" if combine == "noisy_or" else "cumulative_score"
        self._rule_reasons: dict[int, dict[str, Any]] = {}
        self._pair_reasons: dict[tuple[int, int], dict[str, Any]] = {}

    def suggestions(
        self, chosen: Sequence[Candidate], *, shipping: tuple[float, float] | None
    ) -> tuple[Suggestion, ...]:
        """The answer's suggestions; ``shipping`` is (threshold, amount missing) when the cart
        is short of free shipping."""
        ids, names, prices = self.table.ids, self.table.names, self.table.prices
        # Positional: item_id, kind, score, reason, name, price.
        return tuple(
            [
                Suggestion(
                    ids[c.item], c.kind, c.score, self.reason(c, shipping=shipping), names[c.item], prices[c.item]
                )
                for c in chosen
            ]
        )

    def rule_suggestions(self, rules: Sequence[Rule]) -> tuple[Suggestion, ...]:
        """The suggestions of rules' consequents scored by their confidence, as :meth:`suggestions`
        makes them of the rules' candidates (unpinned, not bridging, rules not combined)."""
        ids, names, prices = self.table.ids, self.table.names, self.table.prices
        shown = []
        for rule in rules:
            item = rule.consequent
            shown.append(
                Suggestion(ids[item], "cross_sell", rule.confidence, self._rule_reason(rule), names[item], prices[item])
            )
        return tuple(shown)

    def pair_suggestions(self, pairs: Sequence[LearnedPair]) -> tuple[Suggestion, ...]:
        """The suggestions of learned pairs, as :meth:`suggestions` makes them of their
        candidates (unpinned, not bridging), without the candidates."""
        table = self.table
        ids, names, prices = table.ids, table.names, table.prices
        shown = []
        for pair in pairs:
            item = pair.item
            shown.append(
                Suggestion(ids[item], "cross_sell", pair.score, self._pair_reason(pair), names[item], prices[item])
            )
        return tuple(shown)

    def reason(self, candidate: Candidate, shipping: tuple[float, float] | None = None) -> dict[str, Any]:
        """The numbers behind a suggestion and its sentence (``"text"``)."""
        table, item = self.table, candidate.item
        if candidate.rule is not None:
            reason = self._rule_reason(candidate.rule)
            if candidate.rules_combined:
                reason["rules"] = candidate.rules_combined
                reason[self.combined_key] = candidate.likelihood
        elif candidate.pinned_for is None and candidate.source == "weights":
            c, because = candidate, table.index[(candidate.evidence or {})["because"][0]]
            reason = self._pair_reason(LearnedPair(item, c.likelihood, c.score, because, c.strength, c.count))
        elif candidate.pinned_for is None:
            reason = dict(candidate.evidence or {})
            reason["text"] = text_for(table, candidate.kind, item, reason)
            if candidate.source == "cobought" and reason["baskets"] < self.min_count:
                reason["text"] += f" (only {reason['baskets']} baskets)"
        else:
            reason = dict(candidate.evidence or {})
        if candidate.pinned_for is not None:
            key, cart_item = candidate.pinned_for
            reason["pinned"] = key
            reason["text"] = f"chosen by the shop for {table.label(cart_item)}"
        if candidate.bridges and shipping is not None:
            threshold, missing = shipping
            reason["free_shipping"] = {"threshold": threshold, "missing": round(missing, 2)}
            reason["text"] += "; " + free_shipping_text(threshold, round(missing, 2))
        return reason

    def _pair_reason(self, pair: LearnedPair) -> dict[str, Any]:
        """A learned suggestion's reason: its pair's numbers and sentence, the same each time the
        pair explains a suggestion (kept, as a rule's reason is), and its learned score."""
        key = (pair.source, pair.item)
        kept = self._pair_reasons.get(key)
        if kept is None:
            if len(self._pair_reasons) >= PAIR_REASONS_KEPT:
                self._pair_reasons.clear()
            kept = pair_evidence(self.table, pair)
            kept["text"] = text_for(self.table, "cross_sell", pair.item, kept)
            kept["because"] = tuple(kept["because"])
            self._pair_reasons[key] = kept
        reason = dict(kept)
        reason["because"] = list(kept["because"])
        reason["learned_score"] = pair.likelihood
        return reason

    def _rule_reason(self, rule: Rule) -> dict[str, Any]:
        """A rule's reason: the cart items of its antecedent, observed confidence, lift, baskets, sentence."""
        kept = self._rule_reasons.get(rule.order)
        if kept is None:
            if len(self._rule_reasons) >= RULE_REASONS_KEPT:
                self._rule_reasons.clear()
            table = self.table
            confidence = rule.baskets / rule.antecedent_count
            lift = confidence * self.n_baskets / table.counts[rule.consequent]
            kept = self._rule_reasons[rule.order] = {
                "because": tuple(table.ids[i] for i in rule.antecedent),
                "confidence": confidence,
                "lift": lift,
                "baskets": rule.baskets,
                "text": cross_sell_text(table, rule.antecedent, rule.consequent, confidence, lift),
            }
        reason = dict(kept)
        reason["because"] = list(kept["because"])
        return reason

    def trace(self, decisions: Sequence[Decision], chosen: Sequence[Candidate], cart: Cart) -> tuple[Considered, ...]:
        """The trace: each decision as a :class:`Considered` line, shown ones with their position."""
        table = self.table
        position = {c.item: at for at, c in enumerate(chosen, start=1)}
        lines = []
        for decision in decisions:
            c = decision.candidate
            shown = decision.status == "shown"
            figures = self._figures(c)
            lines.append(
                Considered(
                    item_id=table.ids[c.item],
                    name=table.names[c.item],
                    kind=c.kind,
                    source=c.source,
                    score=c.score,
                    status=decision.status,
                    detail=self._detail(c, decision.status, cart),
                    because=self._because(c),
                    confidence=figures.get("confidence"),
                    lift=figures.get("lift"),
                    baskets=figures.get("baskets"),
                    position=position.get(c.item) if shown else None,
                )
            )
        return tuple(lines)

    def _figures(self, candidate: Candidate) -> Mapping[str, Any]:
        if candidate.rule is not None:
            return self._rule_reason(candidate.rule)
        return candidate.evidence or {}

    def _because(self, candidate: Candidate) -> tuple[str, ...]:
        ids = self.table.ids
        if candidate.rule is not None:
            return tuple(ids[i] for i in candidate.rule.antecedent)
        if candidate.replaces is not None:
            return (ids[candidate.replaces],)
        return tuple((candidate.evidence or {}).get("because", ()))

    def _detail(self, candidate: Candidate, status: str, cart: Cart) -> str:
        """Why a candidate was dropped, or for a shown one its reason's sentence."""
        table, item = self.table, candidate.item
        if status == "shown":
            return str(self.reason(candidate)["text"])
        if status == "substitute":
            family = table.families[item]
            of = [table.label(i) for i in cart.items if table.families[i] == family]
            return f"a substitute for {_listed(of)} (same product family): only an upgrade may show it"
        if status == "category_cap":
            return f"the answer already holds as many suggestions of {table.categories[item]} as allowed"
        return DROPPED[status]


def _listed(labels: Sequence[str]) -> str:
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
