"""The recommender: a loaded model answering carts with capped, explained suggestions.

An answer goes through one pipeline, a module per stage: the cart (:mod:`.cart`) ->
candidates (:mod:`.candidates`: rules, upgrades, pins) -> scores (:mod:`.scores`) -> the
policy (:mod:`.policy`) -> fill (:mod:`.fill`) -> explain (:mod:`.explain`). Loading builds the
indexes once, and answering a cart costs what the cart matches. Everything here is plain Python
over the model file's data, but for the learned weights' scores (:mod:`.learned`, numpy); no
pandas, scipy or mlxtend.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..artifact import read_model
from ..config import RankingConfig, check_limit
from ..model_data import ModelData
from .bundles import BundleIndex
from .candidates import (
    Candidate,
    pin,
    rule_candidates,
    strongest_rules,
    upgrade_candidates,
)
from .cart import Cart, read_cart, read_kinds, read_objective
from .customers import CustomerBook
from .explain import Explainer
from .feedback import FeedbackConfig, FeedbackRanking
from .fill import Fallbacks
from .index import Rule, RuleIndex
from .items import ItemTable
from .policy import Caps, Decision, mark_free_shipping, select
from .recency import ranked_rules
from .results import Bundle, Recommendations
from .scores import value
from .upgrade_index import UpgradeIndex
from .upgrades import Upgrade, UpgradeFinder, customer_band

if TYPE_CHECKING:
    from .learned import LearnedWeights

__all__ = ["Recommender"]

# Candidates of the rules (or learned weights) and of the upgrades taken into the policy per slot
# of the answer, when the policy may turn some away (caps, substitutes, pins): enough that the
# answer is usually the one every candidate gives; when it may not be (see _as_from_all), it is
# worked out again from more.
CANDIDATES_PER_SLOT = 2


class Recommender:
    """Suggestions for a whole cart, bundles for a product page, from one model.

    Parameters
    ----------
    data : ModelData
        A model, as :func:`recommender.artifact.read_model` returns it.
    config : RankingConfig, optional
        Limits, objective, diversity, pins, blocks, price band, discounts.

    Examples
    --------
    >>> from recommender import mine
    >>> baskets = [["tea", "kettle"], ["tea", "kettle"], ["mug"], ["mug"], ["mug", "cake"]]
    >>> rec = Recommender(mine(baskets, min_support=0.2).data)
    >>> answer = rec.recommend(["kettle"], limit=2)
    >>> [(s.item_id, s.kind) for s in answer.items], answer.fallback
    ([('tea', 'cross_sell'), ('mug', 'popular')], 'popular')
    >>> answer.items[0].reason["text"]
    'because kettle is in the cart: 100% of those baskets also had tea, 2.5x the usual rate'
    >>> [(line.item_id, line.status) for line in rec.recommend(["kettle"], limit=1, trace=True).trace]
    [('tea', 'shown')]
    """

    def __init__(self, data: ModelData, *, config: RankingConfig | None = None) -> None:
        self.data = data
        self.config = config = config or RankingConfig()
        self.table = table = ItemTable(data, blocked=config.blocked)
        self.shrinkage = float(data.config.get("shrinkage", 0.0) if config.shrinkage is None else config.shrinkage)
        self.rules = RuleIndex(rule for rule in ranked_rules(data, shrinkage=self.shrinkage) if self._usable(rule))
        self._unused_rules: RuleIndex | None = None  # built when a trace first asks for them
        # Learned weights rank when asked for and the model has them; otherwise the rules do
        # (and the weights are not loaded).
        self.learned = config.combine == "learned" and bool(data.weights)
        self.weights: LearnedWeights | None = None
        if self.learned:
            # Imported here, so that a model ranked by its rules alone never loads numpy.
            from .learned import LearnedWeights

            self.weights = LearnedWeights(data.weights, table, bias=data.weight_terms.bias)
        finder = UpgradeFinder(data, table)
        self.upgrades = finder.index(config.upgrade_band)
        self._upgrade_index = UpgradeIndex(self.upgrades, table, objective=config.objective)  # ranked fast
        # A known customer's band follows their price level: candidates found per request.
        self._finder = finder if config.upgrade_band_follows and self.upgrades else None
        self.bundles = BundleIndex(data)
        self.customers = CustomerBook(data, table)
        self.fallbacks = Fallbacks(data, table, min_lift=config.min_lift, shrinkage=self.shrinkage)
        self.explainer = Explainer(
            table, n_baskets=data.n_baskets, combine=config.combine, min_count=int(data.config.get("min_count", 1))
        )
        self.pins: dict[str, tuple[str, ...]] = dict(config.pins)
        self.caps = Caps(max_per_category=config.max_per_category, max_upgrades=config.max_upgrades)
        self.model_info = {"id": data.model_id, "created_at": data.created_at}
        # -- feedback (issue 18): a model mined with events moves the rules' or learned weights'
        # candidates by what shoppers did with them (see _candidates and .feedback).
        self.feedback: FeedbackRanking | None = None
        if data.feedback is not None and data.feedback.pairs:
            prior = FeedbackConfig(strength=data.feedback.strength, calibration=data.feedback.calibration)
            self.feedback = FeedbackRanking(data.feedback.pairs, table.ids, prior)
        # Whether the policy could turn a rules candidate away or put one before a stronger one:
        # if not, the rules' `limit` best candidates are all an answer needs.
        self._policy_may_reorder = bool(
            self.feedback is not None  # attach counts reorder the candidates
            or self.pins
            or config.free_shipping_threshold is not None
            or (config.max_upgrades and self.upgrades)
            or any(family is not None for family in table.families)
            or (config.max_per_category is not None and any(c is not None for c in table.categories))
        )
        # Then a cross-sell answer is the strongest candidates of its one source, in their order:
        # the learned weights' best items, or, with rules not combined and the answer ranked by
        # confidence, the rules' strongest consequents. A fast path to the same answer (tests
        # hold the two equal).
        self._straight = not self._policy_may_reorder and config.combine in ("max", "learned")

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, config: RankingConfig | None = None) -> Recommender:
        """Load a model file (refusing a truncated or corrupt one) and build the indexes."""
        return cls(read_model(path), config=config)

    def describe(self) -> dict[str, Any]:
        """What model is loaded: id, time, counts, thresholds."""
        return {
            **self.model_info,
            "baskets": self.data.n_baskets,
            "items": len(self.data.items),
            "rules": self.rules.n_rules,
            "bundles": len(self.data.itemsets),
            "upgrades": sum(len(v) for v in self.upgrades.values()),
            "thresholds": dict(self.data.config),
            "input": dict(self.data.provenance.get("input", {})),
        }

    def recommend(
        self,
        cart: Sequence[str],
        *,
        limit: int | None = None,
        cart_total: float | None = None,
        exclude: Iterable[str] = (),
        kinds: Iterable[str] | None = None,
        objective: str | None = None,
        trace: bool = False,
        customer_id: str | None = None,
        history: Sequence[str] = (),
    ) -> Recommendations:
        """At most ``limit`` suggestions for the whole cart, best first, each with its reason.

        Never an item of the cart, of ``exclude``, blocked, inactive or out of stock. Unknown
        cart items are reported in ``unknown_items``; when the rules give fewer than ``limit``
        suggestions, thinner evidence fills in (items bought with a cart item below the rules'
        thresholds, the best sellers of the categories that the cart's categories point to),
        then popular items (of the cart's categories first), and ``fallback`` says which.
        With ``trace``, the answer's ``trace`` lists every candidate considered, its score and
        why it was or was not shown. With ``customer_id`` (or the customer's past purchases,
        ``history``), the items that customer buys again take the first places the model gives
        them (see :mod:`.customers`), and with ``upgrade_band_follows`` the customer's upgrades
        are those of the band that follows their price level (see :func:`.upgrades.customer_band`).
        """
        limit = self.config.limit if limit is None else check_limit(limit)
        upgrades = self._customer_upgrades(customer_id, cart)
        answer = self._answer(cart, limit=limit, cart_total=cart_total, exclude=exclude, kinds=kinds,
                              objective=objective, trace=trace, upgrades=upgrades)  # fmt: skip
        if self.customers.slots and (customer_id is not None or history) and "cross_sell" in read_kinds(kinds):
            again = self.customers.again(customer_id, history)
            return self.customers.place(answer, again, cart=cart, exclude=exclude, limit=limit) if again else answer
        return answer

    def _answer(
        self,
        cart: Sequence[str],
        *,
        limit: int,
        cart_total: float | None,
        exclude: Iterable[str],
        kinds: Iterable[str] | None,
        objective: str | None,
        trace: bool,
        upgrades: Mapping[int, Sequence[Upgrade]],
    ) -> Recommendations:
        """The answer for the cart alone, the upgrades' candidates taken from ``upgrades``."""
        wanted_kinds = read_kinds(kinds)
        objective = read_objective(objective, self.config.objective)
        basket = read_cart(self.table, cart, exclude)
        if self._straight and not trace and "cross_sell" in wanted_kinds:
            # Nothing downstream can turn a candidate away or move one (see __init__): the
            # `limit` best are the answer, when there are that many.
            if self.weights is not None:
                best, _ = self.weights.best(
                    self.data.weight_terms,
                    basket,
                    skip=basket.blocked,
                    sellable_only=True,
                    objective=objective,
                    wanted=limit,
                )
                if len(best) == limit or "popular" not in wanted_kinds:
                    suggestions = self.explainer.pair_suggestions(best)
                    return Recommendations(suggestions, basket.unknown, None, self.model_info, None)
            elif objective == "confidence":
                rules, _ = strongest_rules(self.rules, self.table, basket, skip=basket.blocked, wanted=limit)
                if len(rules) == limit or "popular" not in wanted_kinds:
                    suggestions = self.explainer.rule_suggestions(rules)
                    return Recommendations(suggestions, basket.unknown, None, self.model_info, None)
        decisions: list[Decision] | None = [] if trace else None
        threshold = self.config.free_shipping_threshold
        missing = None if threshold is None or cart_total is None or cart_total >= threshold else threshold - cart_total
        # Any candidate may take the cart over the free-shipping threshold, or be pinned (and
        # shown with its rule), so then all are read.
        if trace or missing is not None or self._pinned_for(basket) or self.feedback is not None:
            wanted = None  # (with feedback: a candidate below the best few may rise above them)
        else:
            wanted = CANDIDATES_PER_SLOT * limit if self._policy_may_reorder else limit
        while True:
            candidates, cut_short = self._candidates(
                basket, wanted_kinds, objective, wanted, traced=trace, upgrades=upgrades
            )
            if missing is not None:
                mark_free_shipping(candidates, self.table, missing=missing)
            chosen = select(candidates, self.table, basket, limit=limit, caps=self.caps, trace=decisions)
            if self._as_from_all(chosen, limit, cut_short):
                break
            # The policy turned too many away: work the answer out again from more candidates
            # (four times as many each time, so that a cart with hundreds costs a few rounds).
            wanted = 4 * (wanted or 1)
        fallback = None
        if len(chosen) < limit and "popular" in wanted_kinds:
            chosen, fallback = self.fallbacks.fill(
                chosen,
                basket,
                limit=limit,
                cross_sell="cross_sell" in wanted_kinds,
                objective=objective,
                caps=self.caps,
                trace=decisions,
            )
        shipping = None if threshold is None or missing is None else (threshold, missing)
        return Recommendations(
            self.explainer.suggestions(chosen, shipping=shipping),
            basket.unknown,
            fallback,
            self.model_info,
            None if decisions is None else self.explainer.trace(decisions, chosen, basket),
        )

    def _as_from_all(self, chosen: Sequence[Candidate], limit: int, cut_short: Sequence[Candidate]) -> bool:
        """Whether ``chosen`` is the answer every candidate would give, when the sources that
        were cut short read candidates up to those of ``cut_short`` (the weakest read of each):
        every unread candidate ranks after its source's weakest read, so the policy would not have
        reached it when the answer is full and its last item ranks before that; an unread upgrade
        neither when the answer already holds all the upgrades it may."""
        if not cut_short:
            return True
        if len(chosen) < limit:
            return False
        ids, cap = self.table.ids, self.caps.max_upgrades
        last = chosen[-1].key(ids)
        upgrades_full = cap is not None and sum(c.kind == "upgrade" for c in chosen) >= cap
        return all(last <= weakest.key(ids) or (weakest.kind == "upgrade" and upgrades_full) for weakest in cut_short)

    def _candidates(
        self,
        cart: Cart,
        kinds: frozenset[str],
        objective: str,
        wanted: int | None,
        *,
        traced: bool,
        upgrades: Mapping[int, Sequence[Upgrade]],
    ) -> tuple[list[Candidate], list[Candidate]]:
        """The rules' and the upgrades' candidates of the cart (the ``wanted`` best of each),
        scored and pinned, and the weakest candidate read from each source cut short. A trace
        takes every candidate, even those the policy will turn away, and the rules the index
        leaves out (lift floor, not for sale)."""
        table = self.table
        # The index holds only rules into items for sale; a trace takes the cart's items too.
        skip = frozenset() if traced else cart.blocked
        rules: list[Candidate] = []
        complete = True
        if "cross_sell" in kinds and cart.items and self.weights is not None:
            rules, complete = self.weights.candidates(
                self.data.weight_terms,
                cart,
                skip=skip,
                sellable_only=not traced,
                objective=objective,
                wanted=wanted,
            )
        elif "cross_sell" in kinds and cart.items:
            combine = "max" if self.config.combine == "learned" else self.config.combine
            rules, complete = rule_candidates(
                self.rules, table, cart, skip=skip, combine=combine, objective=objective, wanted=wanted
            )
        if self.feedback is not None and rules:  # -- feedback (issue 18): likelihoods moved, sorted again
            self.feedback.adjust(rules, cart.items, lambda item, likelihood: value(table, objective, item, likelihood))
        cut_short = [] if complete else [rules[-1]]
        if not (traced or self.pins or ("upgrade" in kinds and self.config.max_upgrades and self.upgrades)):
            return rules, cut_short  # the rules are the only source: no item can come twice
        found = {candidate.item: candidate for candidate in rules}
        if "upgrade" in kinds and self.config.max_upgrades and cart.items:
            cap = self.config.max_upgrades
            # The policy turns an upgrade away only for the cap on upgrades (the source leaves out
            # what may not be shown; pins, feedback, the free-shipping nudge and a trace read every one):
            # once `cap` of those read stand, no unread one can be shown, so that many are read first.
            for take in (wanted,) if wanted is None or cap >= wanted else (cap, wanted):
                if upgrades is self.upgrades:
                    read, complete = self._upgrade_index.candidates(
                        cart, skip=skip, sellable_only=not traced, objective=objective, wanted=take
                    )
                else:  # a known customer's band
                    read, complete = upgrade_candidates(
                        upgrades, table, cart, skip=skip, sellable_only=not traced, objective=objective, wanted=take
                    )
                # An item of a cart item's family may only show as an upgrade: when a rule
                # suggests it too, the upgrade is the candidate that stands.
                standing = [u for u in read if u.item not in found or table.families[u.item] in cart.families]
                if complete or len(standing) >= cap:
                    break
            if not complete and len(standing) < cap:
                cut_short.append(read[-1])
            found.update((upgrade.item, upgrade) for upgrade in standing)
        pin(found, table, cart, self.pins)
        if traced and "cross_sell" in kinds and cart.items and not self.learned:
            # Last, so that they stand only for items no other source offers.
            found.update((c.item, c) for c in self._unused_rule_candidates(cart, exclude=found))
        return list(found.values()), cut_short

    def _customer_upgrades(self, customer_id: str | None, cart: Sequence[str]) -> Mapping[int, Sequence[Upgrade]]:
        """The upgrades of the cart's items: the model's, or, for a known customer with
        ``upgrade_band_follows``, those of the band that follows the customer's price level in
        each item's category."""
        levels = self.customers.price_levels(customer_id) if self._finder is not None else {}
        if not levels or self._finder is None:
            return self.upgrades
        table, config = self.table, self.config
        found: dict[int, Sequence[Upgrade]] = {}
        for item_id in cart:
            item = table.index.get(str(item_id).strip())
            if item is None or table.prices[item] is None:
                continue
            category = table.categories[item]
            level = levels.get(category) if category is not None else None
            band = customer_band(config.upgrade_band, level, config.upgrade_band_follows)
            found[item] = self.upgrades.get(item, ()) if band == config.upgrade_band else self._finder.find(item, band)
        return found

    def _pinned_for(self, cart: Cart) -> bool:
        """Whether the shop pinned items for an item of the cart or its category."""
        table, pins = self.table, self.pins
        return bool(pins) and any(
            table.ids[item] in pins or f"category:{table.categories[item]}" in pins for item in cart.items
        )

    def _usable(self, rule: Rule) -> bool:
        """Whether the ranking uses a rule: at or above the lift floor, into an item for sale."""
        return rule.lift >= self.config.min_lift and self.table.sellable[rule.consequent]

    def _unused_rule_candidates(self, cart: Cart, *, exclude: dict[int, Candidate]) -> list[Candidate]:
        """For the trace: the items only rules the ranking does not use point to, each as a
        candidate the policy turns away (see :func:`.policy.unsellable` and the lift floor)."""
        if self._unused_rules is None:
            unused = (rule for rule in ranked_rules(self.data, shrinkage=self.shrinkage) if not self._usable(rule))
            self._unused_rules = RuleIndex(unused)
        found, _ = rule_candidates(
            self._unused_rules,
            self.table,
            cart,
            skip=exclude.keys(),
            combine="max",
            objective="confidence",
            wanted=None,
        )
        for candidate in found:
            candidate.below_floor = True
        return found

    def recommend_many(self, carts: Iterable[Sequence[str]], **options: Any) -> list[Recommendations]:
        """:meth:`recommend` for each cart, with the same options."""
        return [self.recommend(cart, **options) for cart in carts]

    def bundle(self, item_id: str) -> Bundle:
        """The product-page bundle of ``item_id`` (empty, with a reason, when it has none)."""
        item = self.table.index.get(str(item_id).strip())
        if item is None:
            return Bundle(item_id=str(item_id), reason="unknown item", model=self.model_info)
        return self.bundles.best(
            item,
            self.table,
            discount=self.config.bundle_discount,
            triple_share=self.config.bundle_triple_share,
            model=self.model_info,
        )
