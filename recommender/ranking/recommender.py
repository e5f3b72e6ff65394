"""The recommender: a loaded model answering carts with capped, explained suggestions.

Everything here is plain Python over the model file's data (no pandas, numpy, scipy or
mlxtend): loading builds the indexes once, and answering a cart costs what the cart matches.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..artifact import ModelData, read_model
from ..config import DEFAULT_MIN_LIFT, KINDS, OBJECTIVES, RankingConfig, check_limit
from ..exceptions import ConfigError
from . import explain
from .bundles import BundleIndex
from .categories import CategoryBackoff, CategoryCandidate
from .index import RankedRule, RuleIndex
from .items import ItemTable
from .policy import Candidate, select
from .results import Bundle, Recommendations, Suggestion, recommendations, suggestion
from .upgrades import upgrade_index

__all__ = ["Recommender", "CandidatePool"]


@dataclass(kw_only=True)
class CandidatePool:
    """The candidates of one cart before the policy caps them (see :meth:`Recommender.candidates`).

    ``known`` are the cart's items the model knows (indices), ``unknown`` the others;
    ``blocked`` the cart and the exclusions; ``substitutes`` the families of the cart's items;
    ``complete`` whether every rule's candidate is there (``keep`` may have cut them).
    """

    known: list[int]
    unknown: list[str]
    blocked: set[int]
    substitutes: frozenset[str]
    kinds: frozenset[str]
    objective: str
    candidates: dict[int, Candidate]
    complete: bool


# What fills an answer, by Candidate.fill: thin evidence (co-bought pairs below the support, and
# category rules), then popular items of the cart's categories, then the shop's.
FALLBACKS = {2: "category_popular", 3: "popular"}
POPULAR_KEPT = 200
ALL_KINDS = frozenset(KINDS)
REASONS_KEPT = 100_000  # kept reasons of rules, cleared when full
REASON_FIELDS = ("because", "confidence", "lift", "baskets", "text")  # a rule's reason, in order
POPULAR_PER_CATEGORY = 32
# Candidates taken into the policy: enough that caps and diversity rarely run short; when they
# do, every candidate is taken.
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
    """

    def __init__(self, data: ModelData, *, config: RankingConfig | None = None) -> None:
        self.data = data
        self.config = config or RankingConfig()
        self.table = ItemTable(data, blocked=self.config.blocked)
        shrinkage = self.config.shrinkage
        self.shrinkage = float(data.config.get("shrinkage", 0.0) if shrinkage is None else shrinkage)
        self.rules = RuleIndex(
            data,
            min_lift=self.config.min_lift,
            sellable=self.table.sellable,
            shrinkage=self.shrinkage,
            numbers=list(self.table.index.values()),
        )
        self.upgrades = upgrade_index(data, self.table, band=self.config.upgrade_band)
        self.bundles = BundleIndex(data)
        table = self.table
        by_popularity = sorted(
            (i for i in range(len(table)) if table.counts[i] > 0 and table.sellable[i]),
            key=lambda i: (-table.counts[i], table.ids[i]),
        )
        self.popular = by_popularity[:POPULAR_KEPT]
        self.popular_in: dict[str, list[int]] = {}
        for item in by_popularity:
            category = table.categories[item]
            if category is not None:
                members = self.popular_in.setdefault(category, [])
                if len(members) < POPULAR_PER_CATEGORY:
                    members.append(item)
        # Co-bought pairs fill answers the rules leave short, so by default any pair will do: in
        # the offline evaluation, holding them to the rules' lift floor of 1 cost 0.0013 to 0.0015
        # of hit rate@3 (Groceries, retail.dat; the best sellers they bring are often right). A
        # floor raised above that applies to them too: who asks for stronger reasons gets no
        # weaker ones from the back-off.
        self.cobought: dict[int, list[tuple[int, int]]] = {}
        n = data.n_baskets
        min_lift = self.config.min_lift if self.config.min_lift > DEFAULT_MIN_LIFT else 0.0
        for a, b, baskets in data.cobought:
            if table.sellable[b] and baskets * n >= min_lift * table.counts[a] * table.counts[b]:
                self.cobought.setdefault(a, []).append((b, baskets))
        self.category_backoff = CategoryBackoff(
            data,
            item_categories=table.categories,
            best_sellers=self.popular_in,
            item_counts=table.counts,
            min_lift=self.config.min_lift,
        )
        self.pins: dict[str, list[str]] = {key: list(items) for key, items in self.config.pins}
        self.model_info = {"id": data.model_id, "created_at": data.created_at}
        # (antecedent, item) -> the reason of that rule (because as a tuple of ids), copied into answers
        self._reasons: dict[tuple[tuple[int, ...], int], dict[str, Any]] = {}
        # rule number -> what the straight path shows of that rule (see _keep_shown)
        self._shown_rules: list[tuple[Any, ...] | None] = [None] * self.rules.n_ranked
        # Whether the policy can only take the rules' candidates best first: no pins, no
        # free-shipping nudge, no upgrades, no substitutes (families) and no category cap that
        # could apply. Then the rules' `limit` best candidates are the answer's.
        self._in_rule_order = not (
            self.pins
            or self.config.free_shipping_threshold is not None
            or (self.config.max_upgrades and self.upgrades)
            or any(family is not None for family in table.families)
            or (self.config.max_per_category is not None and any(c is not None for c in table.categories))
        )
        # Whether, with the confidence as objective, answers come straight from the rules.
        self._straight = self._in_rule_order and self.config.combine == "max"
        self._by_confidence = self.config.objective == "confidence"
        # What a reason calls the score that several rules add up to.
        self._combined_key = "combined_confidence" if self.config.combine == "noisy_or" else "cumulative_score"

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

    # -- answers ---------------------------------------------------------------------------------

    def recommend(
        self,
        cart: Sequence[str],
        *,
        limit: int | None = None,
        cart_total: float | None = None,
        exclude: Iterable[str] = (),
        kinds: Iterable[str] | None = None,
        objective: str | None = None,
    ) -> Recommendations:
        """At most ``limit`` suggestions for the whole cart, best first, each with its reason.

        Never an item of the cart, of ``exclude``, blocked, inactive or out of stock. Unknown
        cart items are reported in ``unknown_items``; when the rules give fewer than ``limit``
        suggestions, thinner evidence fills in (items bought with a cart item below the rules'
        thresholds, the best sellers of the categories that the cart's categories point to),
        then popular items (of the cart's categories first), and ``fallback`` says which.
        """
        limit = self.config.limit if limit is None else check_limit(limit)
        exclude = tuple(exclude)
        if self._straight and (objective is None and self._by_confidence or objective == "confidence"):
            kinds_wanted = ALL_KINDS if kinds is None else self._kinds(kinds)
            if "cross_sell" in kinds_wanted:
                answer = self._by_rules(cart, exclude, limit, fill="popular" in kinds_wanted)
                if answer is not None:
                    return answer
        # A few candidates per slot are almost always enough (just `limit` when the policy can
        # turn none away); when caps or diversity leave the answer short and more candidates
        # exist, the answer is worked out from all of them.
        keep: int | None = limit if self._in_rule_order else CANDIDATES_PER_SLOT * limit
        while True:
            pool = self.candidates(
                cart, cart_total=cart_total, exclude=exclude, kinds=kinds, objective=objective, keep=keep
            )
            chosen = self._select(pool, limit)
            if len(chosen) == limit or pool.complete or keep is None:
                break
            keep = None
        fallback = None
        if len(chosen) < limit and "popular" in pool.kinds:
            chosen, fallback = self._fill(chosen, pool, limit)
        shown = tuple([self._suggestion(c) for c in chosen])
        return recommendations(shown, tuple(pool.unknown), fallback, self.model_info)

    def _by_rules(
        self, cart: Sequence[str], exclude: tuple[str, ...], limit: int, *, fill: bool
    ) -> Recommendations | None:
        """:meth:`recommend` when the answer is the rules' ``limit`` strongest consequents:
        the policy can only take the rules' candidates in order (see ``_in_rule_order``), the
        objective is the confidence and the combination the strongest rule. Straight from the
        rules to the answer, with no candidates to filter. None when the rules give fewer than
        ``limit`` and the answer is to be filled in (by the general path).
        """
        items, unknown = self._look_up(cart)
        blocked = set(items)
        known = sorted(blocked)
        inside = blocked
        if exclude:
            inside = set(known)
            self._block(blocked, exclude)
        top, _ = self._strongest(known, blocked, limit, inside)
        if len(top) < limit and fill:
            return None
        kept = self._shown_rules
        shown = []
        for _, _, _, rule in top:
            shown_as = kept[rule[6]] or self._keep_shown(rule)
            item_id, score, name, price, because, confidence, lift, baskets, text = shown_as
            reason = {
                "because": list(because),
                "confidence": confidence,
                "lift": lift,
                "baskets": baskets,
                "text": text,
            }
            shown.append(suggestion(item_id, "cross_sell", score, reason, name, price))
        return recommendations(tuple(shown), tuple(unknown), None, self.model_info)

    def candidates(
        self,
        cart: Sequence[str],
        *,
        cart_total: float | None = None,
        exclude: Iterable[str] = (),
        kinds: Iterable[str] | None = None,
        objective: str | None = None,
        keep: int | None = None,
    ) -> CandidatePool:
        """What the policy chooses from for a cart: the rules' and the upgrades' candidates,
        scored, pinned and marked for free shipping, before any cap (``keep`` of the rules'
        best, or all of them for None). :meth:`recommend` answers from it; notebooks use it to
        show what was filtered and why.
        """
        kinds_wanted = self._kinds(kinds)
        objective = self._objective(objective)
        table = self.table
        known, unknown, blocked = self._read_cart(cart, exclude)
        families = table.families
        substitutes = frozenset([family for i in known if (family := families[i]) is not None])
        candidates: dict[int, Candidate] = {}
        complete = True
        if "cross_sell" in kinds_wanted and known:
            found, complete = self._cross_sell(sorted(known), blocked, objective, keep)
            candidates = {candidate.item: candidate for candidate in found}
        if "upgrade" in kinds_wanted and self.config.max_upgrades and known:
            for candidate in self._upgrades(known, blocked, objective):
                # An item of a cart item's family may only show as an upgrade: when a rule
                # suggests it too, the upgrade is the candidate that stands.
                if candidate.item not in candidates or table.families[candidate.item] in substitutes:
                    candidates[candidate.item] = candidate
        self._pin(known, candidates, blocked)
        self._free_shipping(candidates.values(), cart_total)
        return CandidatePool(
            known=known,
            unknown=unknown,
            blocked=blocked,
            substitutes=substitutes,
            kinds=kinds_wanted,
            objective=objective,
            candidates=candidates,
            complete=complete,
        )

    def _read_cart(self, cart: Sequence[str], exclude: Iterable[str]) -> tuple[list[int], list[str], set[int]]:
        """The cart's items the model knows (indices, in order, once each), the ids it does
        not know, and what may not be suggested: the known items and the exclusions."""
        items, unknown = self._look_up(cart)
        known = list(dict.fromkeys(items))
        blocked = set(known)
        self._block(blocked, exclude)
        return known, unknown, blocked

    def _look_up(self, cart: Sequence[str]) -> tuple[list[int], list[str]]:
        """The indices of the cart's items the model knows (in order, repeats kept), and the
        ids it does not know (once each)."""
        get = self.table.index.get
        # The common case, clean strings, costs one dict probe each; anything else (a padded
        # id, a number, an unhashable value) is read as its stripped text.
        try:
            items: list[int | None] = list(map(get, cart))
        except TypeError:
            items = [None] * len(cart)
        if None not in items:
            return items, []  # type: ignore[return-value]
        unknown: list[str] = []
        for at, raw in enumerate(cart):
            if items[at] is None:
                item_id = str(raw).strip()
                items[at] = get(item_id)
                if items[at] is None and item_id and item_id not in unknown:
                    unknown.append(item_id)
        return [item for item in items if item is not None], unknown

    def _block(self, blocked: set[int], exclude: Iterable[str]) -> None:
        """Add the items of ``exclude`` the model knows to ``blocked``."""
        index = self.table.index
        for raw in exclude:
            excluded = index.get(str(raw).strip())
            if excluded is not None:
                blocked.add(excluded)

    def _select(self, pool: CandidatePool, limit: int) -> list[Candidate]:
        return select(
            pool.candidates.values(),
            self.table,
            limit=limit,
            blocked=set(pool.blocked),
            max_per_category=self.config.max_per_category,
            max_per_kind={"upgrade": self.config.max_upgrades},
            substitutes=pool.substitutes,
        )

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

    # -- candidates ------------------------------------------------------------------------------

    def _value(self, objective: str, item: int, likelihood: float, replaces: int | None = None) -> float:
        """What suggesting ``item`` is worth under the objective (upgrades: over what they replace)."""
        table = self.table
        if objective == "confidence":
            return likelihood
        if objective == "lift":
            support = table.support[item]
            return likelihood / support if support else 0.0
        price = table.prices[item] or 0.0
        if objective == "margin":
            price *= table.margins[item] if table.margins[item] is not None else 1.0  # type: ignore[operator]
        if replaces is not None:
            old = table.prices[replaces] or 0.0
            if objective == "margin" and table.margins[replaces] is not None:
                old *= table.margins[replaces]  # type: ignore[operator]
            price -= old
        return likelihood * price

    def _cross_sell(
        self, cart: list[int], blocked: set[int], objective: str, keep: int | None
    ) -> tuple[list[Candidate], bool]:
        """Every rule inside the cart votes for its consequent; the ``keep`` best candidates
        (all of them for ``None``), scored, and whether they are all there were.

        With the default objective and combination, a consequent's score is its strongest
        rule's confidence, so the index finds the exact top without reading every rule
        (:meth:`RuleIndex.strongest`); otherwise every rule inside the cart is read.
        """
        wanted = keep if keep is not None else len(self.table)
        if objective != "confidence" or self.config.combine != "max":
            return self._combined(cart, blocked, objective, wanted)
        top, complete = self._strongest(cart, blocked, wanted)
        return [
            Candidate(rule[4], "cross_sell", -rule[0], -rule[0], -rule[2], evidence=_evidence(rule))
            for _, _, _, rule in top
        ], complete

    def _strongest(
        self, cart: list[int], blocked: set[int], wanted: int, inside: set[int] | None = None
    ) -> tuple[list[tuple[float, int, str, RankedRule]], bool]:
        """The strongest rules of the ``wanted`` best consequents of the rules inside ``cart``
        (sorted; ``inside``: its items as a set, when the caller has it), best first, and
        whether they are all. Each comes with the key it is ranked by: its -confidence,
        -count and consequent's id (its fourth field is the rule)."""
        ids = self.table.ids
        strongest, complete, bound = self.rules.strongest(cart, blocked, wanted, inside)
        # Scored as in _combined: score (here the confidence), count, id. Only the consequents
        # as strong as the wanted-th best can be among the best.
        if len(strongest) > wanted:
            scored = [(r[0], r[2], ids[item], r) for item, r in strongest.items() if r[0] <= bound]
        else:
            scored = [(r[0], r[2], ids[item], r) for item, r in strongest.items()]
        scored.sort()  # ids differ: the rules themselves are never compared
        return scored[:wanted], complete and len(strongest) <= wanted

    def _combined(
        self, cart: list[int], blocked: set[int], objective: str, wanted: int
    ) -> tuple[list[Candidate], bool]:
        """:meth:`_cross_sell` reading every rule inside the cart: for another objective than
        the confidence, or another combination than the strongest rule."""
        sellable, support = self.table.sellable, self.table.support
        combine = self.config.combine
        noisy_or = combine == "noisy_or"
        # item -> [confidence, lift, count, antecedent, combined evidence, rules]; the combined
        # evidence is the product of (1 - confidence) for noisy-or, and the sum of the rules'
        # confidences above the item's base rate for the cumulative score.
        best: dict[int, list[Any]] = {}
        for rules in self.rules.match(cart):
            for negative_confidence, negative_lift, negative_count, consequent, antecedent in rules:
                if consequent in blocked or not sellable[consequent]:
                    continue
                confidence = -negative_confidence
                evidence = 1.0 - confidence if noisy_or else max(0.0, confidence - support[consequent])
                found = best.get(consequent)
                if found is None:
                    best[consequent] = [confidence, -negative_lift, -negative_count, antecedent, evidence, 1]
                    continue
                if (confidence, -negative_lift, -negative_count) > (found[0], found[1], found[2]):
                    found[0], found[1], found[2], found[3] = confidence, -negative_lift, -negative_count, antecedent
                if noisy_or:
                    found[4] *= evidence
                else:
                    found[4] += evidence
                found[5] += 1
        ids = self.table.ids
        likelihoods = {}
        scored = []
        for item, (confidence, _, count, _, evidence, _) in best.items():
            if combine == "noisy_or":
                likelihood = 1.0 - evidence
            elif combine == "cumulative":
                # The other rules' evidence (the strongest one's is already the confidence).
                likelihood = confidence + (evidence - max(0.0, confidence - support[item])) / len(cart)
            else:
                likelihood = confidence
            likelihoods[item] = likelihood
            scored.append((-self._value(objective, item, likelihood), -confidence, -count, ids[item], item))
        top, complete = _top(scored, wanted, True)
        result = []
        for negative_score, _, _, _, item in top:
            confidence, lift, count, antecedent, _, n_rules = best[item]
            combined = (antecedent, confidence, lift, count, n_rules if combine != "max" else 0, likelihoods[item])
            result.append(Candidate(item, "cross_sell", -negative_score, confidence, count, evidence=combined))
        return result, complete

    def _upgrades(self, known: list[int], blocked: set[int], objective: str) -> list[Candidate]:
        table = self.table
        found: dict[int, Candidate] = {}
        for replaces in known:
            for item, likelihood, customers, basis in self.upgrades.get(replaces, ()):
                if item in blocked or not table.sellable[item]:
                    continue
                score = self._value(objective, item, likelihood, replaces)
                old = found.get(item)
                if old is not None and (old.score, old.strength) >= (score, likelihood):
                    continue
                price, old_price = table.prices[item], table.prices[replaces]
                found[item] = Candidate(
                    item=item,
                    kind="upgrade",
                    score=score,
                    strength=likelihood,
                    count=customers,
                    reason={
                        "replaces": table.ids[replaces],
                        "basis": basis,
                        "customers": customers,
                        "share": likelihood,
                        "price_difference": None if price is None or old_price is None else round(price - old_price, 2),
                    },
                )
        return list(found.values())

    def _pin(self, known: list[int], candidates: dict[int, Candidate], blocked: set[int]) -> None:
        if not self.pins:
            return
        table = self.table
        rank = 0
        for item in known:
            for key in (table.ids[item], f"category:{table.categories[item]}"):
                for pinned_id in self.pins.get(key, ()):
                    pinned = table.index.get(pinned_id)
                    if pinned is None or pinned in blocked or not table.sellable[pinned]:
                        continue
                    rank += 1
                    candidate = candidates.get(pinned)
                    if candidate is None:
                        candidate = Candidate(item=pinned, kind="cross_sell", score=0.0, strength=0.0, count=0,
                                              reason={"because": [table.ids[item]]})  # fmt: skip
                        candidates[pinned] = candidate
                    if not candidate.pinned:
                        candidate.pinned = rank
                        candidate.reason["pinned"] = key
                        candidate.reason.setdefault("text", f"chosen by the shop for {table.label(item)}")

    def _free_shipping(self, candidates: Iterable[Candidate], cart_total: float | None) -> None:
        threshold = self.config.free_shipping_threshold
        if threshold is None or cart_total is None or cart_total >= threshold:
            return
        table = self.table
        missing = threshold - cart_total
        for candidate in candidates:
            price = table.prices[candidate.item]
            if price is None:
                continue
            if candidate.kind == "upgrade":
                price -= table.prices[table.index[candidate.reason["replaces"]]] or 0.0
            if price >= missing:
                candidate.bridges = True
                candidate.reason["free_shipping"] = {"threshold": threshold, "missing": round(missing, 2)}

    def _fill(self, chosen: list[Candidate], pool: CandidatePool, limit: int) -> tuple[list[Candidate], str | None]:
        """What fills an answer the item rules leave short: when cross-sell is asked for, the
        items most often bought with a cart item that no rule covers and the best sellers of the
        categories the cart's categories point to (category rules), ranked together by score;
        then popular items, the cart's categories first, then the shop's.

        Diversity holds where it can; when it leaves the answer short, it gives way.
        """
        table = self.table
        known, blocked, objective, substitutes = pool.known, pool.blocked, pool.objective, pool.substitutes
        categories = [c for c in dict.fromkeys(table.categories[i] for i in known) if c is not None]
        in_categories = [i for c in categories for i in self.popular_in.get(c, ())]
        pool_of = [(2, i) for i in in_categories] + [(3, i) for i in self.popular if i not in set(in_categories)]
        taken = set(blocked) | {c.item for c in chosen}
        fill = []
        if "cross_sell" in pool.kinds and known:
            # Thin evidence of two kinds, in the same units (the chance of the item given the
            # cart): the items bought with a cart item below the rules' support, and the best
            # sellers of the categories that the cart's categories point to.
            fill = self._cobought(known, taken, objective)
            if self.category_backoff:
                wanted = limit - len(chosen)
                fill += [
                    self._by_category(found, known, objective)
                    for found in self.category_backoff.candidates(known, taken, wanted)
                ]
        fill += [self._popular(item, group, objective) for group, item in pool_of if item not in taken]
        added: list[Candidate] = []
        for max_per_category in (self.config.max_per_category, None):
            added += select(
                fill,
                table,
                limit=limit - len(chosen) - len(added),
                blocked=taken | {c.item for c in added},
                max_per_category=max_per_category,
                max_per_kind={},
                already=chosen + added,
                substitutes=substitutes,
            )
            if len(chosen) + len(added) >= limit or max_per_category is None:
                break
        if not added:
            return chosen, None
        added.sort(key=lambda c: c.key(table))
        first = added[0]
        if first.fill == 1:
            return chosen + added, first.reason["backoff"]
        return chosen + added, FALLBACKS[first.fill]

    def _cobought(self, cart: list[int], taken: set[int], objective: str) -> list[Candidate]:
        """The items bought most often with a cart item that no rule suggests (too few baskets,
        or a confidence under the threshold), each scored by its best cart item's share of
        baskets (smoothed by the model's shrinkage), as rules are."""
        counts = self.table.counts
        n = self.data.n_baskets
        k = self.shrinkage
        support_count = int(self.data.config.get("min_count", 1))
        best: dict[int, tuple[float, int, int]] = {}
        for item in cart:
            for other, baskets in self.cobought.get(item, ()):
                if other in taken:
                    continue
                likelihood = (baskets + k * counts[other] / n) / (counts[item] + k)
                found = best.get(other)
                if found is None or (likelihood, baskets) > found[:2]:
                    best[other] = (likelihood, baskets, item)
        candidates = []
        for other, (likelihood, baskets, item) in best.items():
            confidence = baskets / counts[item]
            lift = confidence * n / counts[other]
            candidates.append(
                Candidate(
                    item=other,
                    kind="cross_sell",
                    score=self._value(objective, other, likelihood),
                    strength=likelihood,
                    count=baskets,
                    fill=1,
                    reason={
                        "because": [self.table.ids[item]],
                        "confidence": confidence,
                        "lift": lift,
                        "baskets": baskets,
                        "backoff": "cobought",
                        "text": explain.cross_sell_text(self.table, (item,), other, confidence, lift)
                        + ("" if baskets >= support_count else f" (only {baskets} baskets)"),
                    },
                )
            )
        return candidates

    def _by_category(self, found: CategoryCandidate, cart: list[int], objective: str) -> Candidate:
        likelihood, item, category, antecedent, confidence, lift, count = found
        backoff = self.category_backoff
        names = backoff.names
        table = self.table
        return Candidate(
            item=item,
            kind="cross_sell",
            score=self._value(objective, item, likelihood),
            strength=likelihood,
            count=count,
            fill=1,
            reason={
                "backoff": "category_rules",
                "because": [table.ids[i] for i in cart if backoff.category_of[i] in antecedent],
                "because_categories": [names[c] for c in antecedent],
                "category": names[category],
                "confidence": confidence,
                "lift": lift,
                "baskets": count,
                "share_in_category": likelihood / confidence,
                "text": explain.category_text(
                    [names[c] for c in antecedent], names[category], table.label(item), confidence, lift
                ),
            },
        )

    def _popular(self, item: int, group: int, objective: str) -> Candidate:
        table = self.table
        category = table.categories[item] if group == 2 else None
        return Candidate(
            item=item,
            kind="popular",
            score=self._value(objective, item, table.support[item]),
            strength=table.support[item],
            count=table.counts[item],
            fill=group,
            reason={
                "popular": True,
                "category": category,
                "baskets": table.counts[item],
                "share": table.support[item],
            },
        )

    def _suggestion(self, candidate: Candidate) -> Suggestion:
        item = candidate.item
        # Reasons and texts are written only for what is shown, not for every candidate.
        evidence = candidate.evidence
        if evidence is not None and not candidate.reason:
            reason = self._rule_reason(item, evidence)
        else:
            reason = dict(candidate.reason)
            if evidence is not None:
                if self.shrinkage:
                    evidence = self._observed(item, evidence)
                antecedent, confidence, lift, count, n_rules, combined = evidence
                reason.update(because=[self.table.ids[i] for i in antecedent], confidence=confidence, lift=lift,
                              baskets=count)  # fmt: skip
                if n_rules:
                    reason.update({"rules": n_rules, self._combined_key: combined})
            reason["text"] = explain.text_for(self.table, candidate.kind, item, reason)
        return self._shown(item, candidate.kind, candidate.score, reason)

    def _shown(self, item: int, kind: str, score: float, reason: dict[str, Any]) -> Suggestion:
        table = self.table
        return suggestion(table.ids[item], kind, score, reason, table.names[item], table.prices[item])

    def _rule_reason(self, item: int, evidence: tuple[Any, ...]) -> dict[str, Any]:
        """The reason of a rule's suggestion: the cart items of its antecedent, confidence,
        lift, baskets, the sentence (and the rules combined, when they are).

        All but the combined figures are the same every time the rule is shown, so they are
        kept; each answer gets its own dict and list, which callers may change.
        """
        antecedent, _, _, _, n_rules, combined = evidence
        reason = self._reasons.get((antecedent, item)) or self._keep_reason(item, evidence)
        reason = reason.copy()
        reason["because"] = list(reason["because"])
        if n_rules:
            text = reason.pop("text")
            reason["rules"] = n_rules
            reason[self._combined_key] = combined
            reason["text"] = text
        return reason

    def _keep_shown(self, rule: RankedRule) -> tuple[Any, ...]:
        """What the straight path shows of a rule's consequent, kept for the next answers that
        show it: its id, score, name and price, then the rule's reason (because, confidence,
        lift, baskets, text). One tuple: a cold answer reads a few cache lines of it, where the
        dicts it could be kept as take several each."""
        table = self.table
        item = rule[4]
        kept = self._shown_rules[rule[6]] = (
            table.ids[item],
            -rule[0],
            table.names[item],
            table.prices[item],
            *self._rule_figures(item, _evidence(rule)),
        )
        return kept

    def _keep_reason(self, item: int, evidence: tuple[Any, ...]) -> dict[str, Any]:
        """The reason of a rule's suggestion, kept for the next answers that show it (with
        ``because`` as a tuple: each answer copies the dict and the list)."""
        if len(self._reasons) > REASONS_KEPT:
            self._reasons.clear()
        figures = self._rule_figures(item, evidence)
        kept = self._reasons[(evidence[0], item)] = dict(zip(REASON_FIELDS, figures))
        return kept

    def _rule_figures(self, item: int, evidence: tuple[Any, ...]) -> tuple[Any, ...]:
        """What a rule's reason says, in the order of ``REASON_FIELDS``: the ids of its
        antecedent (a tuple), its observed confidence, lift and baskets, and the sentence."""
        antecedent = evidence[0]
        if self.shrinkage:
            evidence = self._observed(item, evidence)
        _, confidence, lift, count, _, _ = evidence
        because = tuple([self.table.ids[i] for i in antecedent])
        return because, confidence, lift, count, explain.cross_sell_text(self.table, antecedent, item, confidence, lift)

    def _observed(self, item: int, evidence: tuple[Any, ...]) -> tuple[Any, ...]:
        """A rule's evidence with the observed confidence and lift in place of the shrunk ones
        it was ranked by: the reason tells what the baskets show."""
        antecedent, _, _, count, n_rules, combined = evidence
        confidence = count / self.rules.antecedent_counts[antecedent]
        lift = confidence * self.data.n_baskets / self.table.counts[item]
        return antecedent, confidence, lift, count, n_rules, combined

    def _kinds(self, kinds: Iterable[str] | None) -> frozenset[str]:
        if kinds is None:
            return ALL_KINDS
        try:
            chosen = frozenset(kinds)
        except TypeError:
            chosen = frozenset()
        if chosen and chosen <= ALL_KINDS:
            return chosen
        chosen = frozenset([str(k) for k in kinds])
        if not chosen <= ALL_KINDS:
            raise ConfigError(f"unknown kind(s) {sorted(chosen - ALL_KINDS)}; the kinds are {list(KINDS)}.")
        return chosen

    def _objective(self, objective: str | None) -> str:
        objective = self.config.objective if objective is None else objective
        if objective not in OBJECTIVES:
            raise ConfigError(f"objective must be one of {OBJECTIVES}, got {objective!r}.")
        return objective


def _top(scored: list[tuple[Any, ...]], wanted: int, complete: bool) -> tuple[list[tuple[Any, ...]], bool]:
    """The ``wanted`` smallest of ``scored``, sorted, and whether that is all of them (and
    ``complete`` was). Sorting them all is quicker than a heap for the few that carts have."""
    return sorted(scored)[:wanted], complete and len(scored) <= wanted


def _evidence(rule: RankedRule) -> tuple[Any, ...]:
    """A rule's evidence, as a Candidate holds it: antecedent, confidence, lift, count, no
    rules combined, and the score they combine to (its confidence)."""
    return rule[5], -rule[0], -rule[1], -rule[2], 0, -rule[0]
