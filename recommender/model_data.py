"""What a model holds, as plain, frozen Python values: the types every layer shares.

The miner builds a :class:`ModelData`, :mod:`recommender.artifact` writes and reads it, the
ranking serves from it and :class:`recommender.model.Model` shows it as tables. This module
imports the standard library only, so any layer can use these types without pulling in
another (see ``tests/test_layers.py``).
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, NamedTuple

__all__ = [
    "CatalogEntry",
    "Customers",
    "Feedback",
    "RuleCounts",
    "ModelData",
    "Recency",
    "SEGMENTS",
    "OFFERING_BASKETS",
    "WeightTerms",
    "check_model",
    "hash_customer",
]


@dataclass(frozen=True, kw_only=True)
class CatalogEntry:
    """What the catalog knows of one item; ``None`` where it knows nothing."""

    name: str | None = None
    category: str | None = None
    family: str | None = None
    brand: str | None = None
    price: float | None = None
    margin: float | None = None
    in_stock: bool = True
    active: bool = True


@dataclass(frozen=True, kw_only=True)
class RuleCounts:
    """Rules as parallel tuples: antecedent (sorted item indices), consequent, basket counts.

    ``p_adjusted`` (the Fisher p-value adjusted across every rule tested, which the kept
    rules alone cannot reproduce) and ``redundant`` are empty when not computed.

    Examples
    --------
    The rule ``{0} -> 1`` seen in 2 of the 3 baskets holding item 0:

    >>> rules = RuleCounts(antecedents=((0,),), consequents=(1,), counts=(2,), antecedent_counts=(3,))
    >>> len(rules), rules.p_adjusted
    (1, ())
    """

    antecedents: tuple[tuple[int, ...], ...] = ()
    consequents: tuple[int, ...] = ()
    counts: tuple[int, ...] = ()
    antecedent_counts: tuple[int, ...] = ()
    p_adjusted: tuple[float, ...] = ()
    redundant: tuple[bool, ...] = ()

    def __post_init__(self) -> None:
        n = len(self.consequents)
        if not len(self.antecedents) == len(self.counts) == len(self.antecedent_counts) == n:
            raise ValueError("rule columns must have the same length")
        if len(self.p_adjusted) not in (0, n) or len(self.redundant) not in (0, n):
            raise ValueError("rule columns must have the same length")

    def __len__(self) -> int:
        return len(self.consequents)


class WeightTerms(NamedTuple):
    """What the learned score adds to the sum of a cart's weights to an item: ``confidence``
    times the largest confidence of a weighted pair from a cart item, ``popularity`` times the
    item's support, which may be negative: a pull away from the best sellers, and the item's own
    ``bias`` (one per item of the vocabulary, or none; see :mod:`recommender.mining.weights`).

    Weights fitted with a bias (on centred baskets) offer an item by any weight whose pair was
    bought together in at least :data:`OFFERING_BASKETS` baskets, negative ones too: the bias
    carries what the item sells on its own, the pair is the evidence that names it. Without a
    bias only a positive weight offers its item."""

    confidence: float = 0.0
    popularity: float = 0.0
    bias: tuple[float, ...] = ()


# The least baskets a pair must have been bought in to offer its item (one basket together is
# chance; two is the least that repeats); every positive weight has that many behind it.
OFFERING_BASKETS = 2


@dataclass(frozen=True, kw_only=True)
class Recency:
    """The counts of a model mined with a half-life, each basket weighted ``2 ** (-age / half_life_days)``
    by its age at ``at`` (the latest order): the summed weight of all baskets, of those holding each
    item, and of those holding each rule's items and its antecedent (parallel to the rules). The
    ranking reads its confidences and lifts from them; the thresholds and reasons from the raw counts
    (see :mod:`recommender.mining.recency`).

    Examples
    --------
    >>> Recency(half_life_days=30.0, at="2026-01-01T00:00:00Z", baskets=1.5, item_counts=(1.5,)).baskets
    1.5
    """

    half_life_days: float
    at: str
    baskets: float
    item_counts: tuple[float, ...]
    rule_counts: tuple[float, ...] = ()
    antecedent_counts: tuple[float, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Feedback:
    """What shoppers did with the suggestions, as ``recommender mine --feedback`` counted it:
    ``pairs`` are ``(cart item, suggested item, impressions, attaches)`` (indices into the
    model's items), and the ranking's beta prior: ``calibration`` (attach rate per unit of
    score) and ``strength`` (the impressions the rule's evidence is worth); see
    :mod:`recommender.ranking.feedback`.

    Examples
    --------
    >>> Feedback(pairs=((0, 1, 40, 12),), calibration=0.5).strength
    20.0
    """

    pairs: tuple[tuple[int, int, int, int], ...] = ()
    calibration: float = 1.0
    strength: float = 20.0


# The most places of an answer that items bought again may take (an answer holds up to 50).
MAX_AGAIN_SLOTS = 10
# A customer's value segment, from the recency and frequency of their orders (see
# recommender.mining.customers).
SEGMENTS = ("champion", "loyal", "new", "at_risk", "lapsed", "occasional")


# The environment variable holding the key of the customer hashes, for mining and serving.
CUSTOMER_KEY_ENV = "RECOMMENDER_CUSTOMER_KEY"


def hash_customer(customer: str, key: bytes) -> str:
    """The keyed hash (HMAC-SHA256) under which a model mined with ``--hash-customers`` keeps
    ``customer``; the miner and the service compute it alike.

    Examples
    --------
    >>> hash_customer("17850", b"0123456789abcdef")[:12]
    'h:d86d7e407d'
    """
    return "h:" + hmac.new(key, customer.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True, kw_only=True)
class Customers:
    """What a model keeps about each customer (parallel to ``ids``): the value segment (one of
    :data:`SEGMENTS`), whether the customer is among those behind 80% of the revenue
    (``vital``), the items bought again and again (indices into the model's items, the most
    often bought first), and the price level in some categories: ``(k, level)`` with ``k`` an
    index into ``categories`` and ``level`` the mean price paid there over the category's median
    price. ``hashed``: the ids are keyed hashes, not the shop's ids. ``again_slots``: how many of
    an answer's places the items a known customer buys again take (0: none).

    Examples
    --------
    >>> Customers(ids=("ann",), segments=("loyal",), vital=(True,), repeats=((0,),)).ids
    ('ann',)
    """

    ids: tuple[str, ...]
    segments: tuple[str, ...]
    vital: tuple[bool, ...]
    repeats: tuple[tuple[int, ...], ...]
    hashed: bool = False
    categories: tuple[str, ...] = ()
    price_levels: tuple[tuple[tuple[int, float], ...], ...] = ()
    again_slots: int = 0


@dataclass(frozen=True, kw_only=True)
class ModelData:
    """Everything a model file holds, as plain Python values.

    Item ``i`` is ``items[i]``; rules and itemsets refer to items by index. ``tradeups`` are
    ``(a, b, customers)``: how many customers who bought ``a`` later bought the pricier ``b`` of
    the same family; ``buyers`` the customers who bought each item (empty without customers).
    ``category_rules`` are rules between the ``categories`` (indices into them), mined from
    the baskets' categories, with ``category_counts`` the baskets holding each category.
    ``cobought`` are ``(a, b, baskets)``: for each item, the few items bought with it most
    often, below the support threshold too (the ranking's item-level back-off). ``weights`` are
    ``(a, b, weight, baskets)``: what ``a`` in a cart adds to ``b``'s learned score, fitted on
    the baskets (see :mod:`recommender.mining.weights`), with the baskets that held both;
    ``weight_terms`` how much of a pair's confidence and of an item's support the learned score
    adds to the weights' sum, and each item's own bias. ``recency``, when mined with a
    half-life, holds the weighted counts the ranking's confidences and lifts come from.
    ``feedback``, when mined with events, the attach counts the ranking moves its scores by.

    Examples
    --------
    >>> data = ModelData(model_id="m1", created_at="2026-01-01T00:00:00Z", n_baskets=2,
    ...                  items=("kettle", "tea"), item_counts=(1, 2), rules=RuleCounts(), itemsets=())
    >>> data.items[1], len(data.rules)
    ('tea', 0)
    """

    model_id: str
    created_at: str
    n_baskets: int
    items: tuple[str, ...]
    item_counts: tuple[int, ...]
    rules: RuleCounts
    itemsets: tuple[tuple[tuple[int, ...], int], ...]
    tradeups: tuple[tuple[int, int, int], ...] = ()
    buyers: tuple[int, ...] = ()
    catalog: Mapping[str, CatalogEntry] = field(default_factory=dict)
    config: Mapping[str, Any] = field(default_factory=dict)
    provenance: Mapping[str, Any] = field(default_factory=dict)
    categories: tuple[str, ...] = ()
    category_counts: tuple[int, ...] = ()
    category_rules: RuleCounts = field(default_factory=RuleCounts)
    cobought: tuple[tuple[int, int, int], ...] = ()
    weights: tuple[tuple[int, int, float, int], ...] = ()
    weight_terms: WeightTerms = WeightTerms()
    recency: Recency | None = None
    customers: Customers | None = None
    feedback: Feedback | None = None


# Floats a model holds (prices, margins, weights and the learned score's terms) stay within
# this magnitude: no price or weight comes near it, and the product or the sum of a few stays
# finite, so an answer's scores are numbers JSON can carry.
MAX_MAGNITUDE = 1e12
# Counts of baskets stay exact as floats (a basket count divided by another is a share).
MAX_BASKETS = 2**53
# How deep the free-form mappings (``config``, ``provenance``) may nest: a mined model's go
# three levels deep; the answer to ``GET /v1/model`` serialises them, recursively.
MAX_NESTING = 32


def check_model(data: ModelData) -> None:
    """Check that ``data`` is a model the ranking can serve: every value in its range, every
    index inside what it indexes, parallel columns of one length, every count consistent with
    the counts it is part of (a rule's baskets within its antecedent's, within each item's).

    The fields must already have the types they are declared with, as
    :func:`recommender.artifact.read_model` builds them; what is checked here is what the
    types cannot say. A model the miner builds passes; one that passes answers every cart
    without dividing by zero or indexing outside a list.

    Raises
    ------
    ValueError
        Naming the first field found wrong, its position and value, and what it should be.

    Examples
    --------
    >>> data = ModelData(model_id="m1", created_at="2026-01-01T00:00:00Z", n_baskets=2,
    ...                  items=("kettle", "tea"), item_counts=(1, 3), rules=RuleCounts(), itemsets=())
    >>> check_model(data)
    Traceback (most recent call last):
    ...
    ValueError: item_counts[1] is 3, outside 0 to n_baskets (2)
    """
    n = data.n_baskets
    if not 1 <= n <= MAX_BASKETS:
        raise ValueError(f"n_baskets is {n!r}, where a model holds at least one basket")
    n_items = len(data.items)
    _unique(data.items, "items")
    _same_length(data.item_counts, n_items, "item_counts", "items")
    counts = data.item_counts
    _within(counts, 0, n, "item_counts", "n_baskets")
    _check_rules(data.rules, "rules", counts)
    _check_itemsets(data.itemsets, counts)
    for k, (a, b, customers) in enumerate(data.tradeups):
        _index(a, n_items, f"tradeups.from[{k}]")
        _index(b, n_items, f"tradeups.to[{k}]")
        if not 0 <= customers <= n:
            raise ValueError(f"tradeups.customers[{k}] is {customers!r}, outside 0 to n_baskets ({n})")
    if data.buyers:
        _same_length(data.buyers, n_items, "buyers", "items")
        _within(data.buyers, 0, n, "buyers", "n_baskets")
    for k, (a, b, baskets) in enumerate(data.cobought):
        _pair(a, b, baskets, counts, f"cobought[{k}]")
    for k, (a, b, weight, baskets) in enumerate(data.weights):
        _number(weight, f"weights.weight[{k}]", low=-MAX_MAGNITUDE)
        # A positive weight explains a suggestion by its pair, bought together; a negative one
        # only lowers a score, also between items never bought together.
        _pair(a, b, baskets, counts, f"weights[{k}]", least=1 if weight > 0 else 0)
    _number(data.weight_terms.confidence, "weights.confidence_term", low=0.0)
    _number(data.weight_terms.popularity, "weights.popularity_term", low=-MAX_MAGNITUDE)
    if data.weight_terms.bias:
        _same_length(data.weight_terms.bias, n_items, "weights.bias", "items")
        for k, bias in enumerate(data.weight_terms.bias):
            _number(bias, f"weights.bias[{k}]", low=-MAX_MAGNITUDE)
    for item, entry in data.catalog.items():
        if entry.price is not None:
            _number(entry.price, f"catalog.price of item {item!r}", low=0.0)
        if entry.margin is not None:
            _number(entry.margin, f"catalog.margin of item {item!r}", low=-MAX_MAGNITUDE)
    _unique(data.categories, "categories.names")
    _same_length(data.category_counts, len(data.categories), "categories.counts", "categories.names")
    _within(data.category_counts, 0, n, "categories.counts", "n_baskets")
    _check_rules(data.category_rules, "categories.rules", data.category_counts)
    if data.recency is not None:
        _check_recency(data.recency, data)
    if data.customers is not None:
        _check_customers(data.customers, n_items)
    if data.feedback is not None:
        _check_feedback(data.feedback, n_items)
    _check_free_form(data.config, "config")
    _check_free_form(data.provenance, "provenance")
    shrinkage = data.config.get("shrinkage", 0.0)
    if isinstance(shrinkage, bool) or not isinstance(shrinkage, (int, float)):
        raise ValueError(f"config.shrinkage is {shrinkage!r}, where a number of pseudo-baskets is expected")
    _number(shrinkage, "config.shrinkage", low=0.0)
    min_count = data.config.get("min_count", 1)
    if isinstance(min_count, bool) or not isinstance(min_count, int) or not 0 <= min_count <= n:
        raise ValueError(f"config.min_count is {min_count!r}, where a count of baskets from 0 to n_baskets is expected")
    if not isinstance(data.provenance.get("input", {}), Mapping):
        raise ValueError("provenance.input is not a mapping")


def _check_recency(recency: Recency, data: ModelData) -> None:
    """Weighted counts as the raw ones are: each weight at most 1, so a weighted count within
    0 and its raw count, above 0 where the raw count is, and a rule's within its antecedent's
    and its consequent's."""
    _number(recency.half_life_days, "recency.half_life_days", low=0.0)
    if recency.half_life_days <= 0.0:
        raise ValueError(f"recency.half_life_days is {recency.half_life_days!r}, where a positive number is expected")
    if not 0.0 < recency.baskets <= data.n_baskets:
        raise ValueError(
            f"recency.baskets is {recency.baskets!r}, outside 0 (excluded) to n_baskets ({data.n_baskets})"
        )
    _same_length(recency.item_counts, len(data.items), "recency.item_counts", "items")
    _same_length(recency.rule_counts, len(data.rules), "recency.rule_counts", "rules")
    _same_length(recency.antecedent_counts, len(data.rules), "recency.antecedent_counts", "rules")
    for k, (weighted, raw) in enumerate(zip(recency.item_counts, data.item_counts)):
        if not (0.0 < weighted <= min(raw, recency.baskets) or weighted == raw == 0):
            raise ValueError(
                f"recency.item_counts[{k}] is {weighted!r}, where a weight above 0 and at most the item's {raw} "
                "baskets is expected"
            )
    rules = data.rules
    for k, (weighted, antecedent, consequent, raw) in enumerate(
        zip(recency.rule_counts, recency.antecedent_counts, rules.consequents, rules.counts)
    ):
        within = min(raw, antecedent, recency.item_counts[consequent])
        if not (0.0 < weighted <= within and antecedent <= min(recency.item_counts[a] for a in rules.antecedents[k])):
            raise ValueError(
                f"recency.rule_counts[{k}] and antecedent_counts[{k}] are {weighted!r} and {antecedent!r}, where "
                "0 < the rule's weight <= its antecedent's <= each of its items' weights"
            )


def _check_feedback(feedback: Feedback, n_items: int) -> None:
    """Pairs of two different items of the model, each listed once, with attaches within 0 and
    the impressions, impressions within what a count holds; a positive, finite prior."""
    seen: set[tuple[int, int]] = set()
    for k, (a, b, shown, added) in enumerate(feedback.pairs):
        _index(a, n_items, f"feedback.from[{k}]")
        _index(b, n_items, f"feedback.to[{k}]")
        if a == b or (a, b) in seen:
            raise ValueError(f"feedback.pairs[{k}] pairs items {a} and {b}, where two different items are paired once")
        seen.add((a, b))
        if not 0 <= added <= shown <= MAX_BASKETS:
            raise ValueError(
                f"feedback.pairs[{k}] has {added!r} attaches in {shown!r} impressions, where "
                f"0 <= attaches <= impressions <= {MAX_BASKETS} is expected"
            )
    for name in ("calibration", "strength"):
        value = getattr(feedback, name)
        _number(value, f"feedback.{name}", low=0.0)
        # No smaller than the largest magnitude's inverse: a score is divided by the calibration
        # (1e-320 made it infinite, and the answer no JSON).
        if value < 1.0 / MAX_MAGNITUDE:
            raise ValueError(
                f"feedback.{name} is {value!r}, where a positive number of at least {1.0 / MAX_MAGNITUDE:g} is expected"
            )


def _check_customers(customers: Customers, n_items: int) -> None:
    """One entry per customer in every column; known segments; items and categories that exist;
    finite, positive price levels."""
    n = len(customers.ids)
    _unique(customers.ids, "customers.ids")
    _same_length(customers.segments, n, "customers.segments", "customers")
    _same_length(customers.vital, n, "customers.vital", "customers")
    _same_length(customers.repeats, n, "customers.repeats", "customers")
    if customers.price_levels:
        _same_length(customers.price_levels, n, "customers.price_levels", "customers")
    if not 0 <= customers.again_slots <= MAX_AGAIN_SLOTS:
        raise ValueError(f"customers.again_slots is {customers.again_slots!r}, outside 0 to {MAX_AGAIN_SLOTS}")
    for k, segment in enumerate(customers.segments):
        if segment not in SEGMENTS:
            raise ValueError(f"customers.segments[{k}] is {segment!r}, where one of {', '.join(SEGMENTS)} is expected")
    for k, items in enumerate(customers.repeats):
        for item in items:
            _index(item, n_items, f"customers.repeats[{k}]")
    n_categories = len(customers.categories)
    for k, levels in enumerate(customers.price_levels):
        for category, level in levels:
            if not 0 <= category < n_categories:
                raise ValueError(
                    f"customers.price_levels[{k}] names category {category!r}, not one of the {n_categories}"
                )
            _number(level, f"customers.price_levels[{k}]", low=0.0)


def _unique(values: tuple[str, ...], name: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{name} holds {value!r} twice, where each is listed once")
        seen.add(value)


def _same_length(values: tuple[Any, ...], length: int, name: str, other: str) -> None:
    if len(values) != length:
        raise ValueError(f"{name} holds {len(values)} values for {length} {other}")


def _within(values: tuple[int, ...], low: int, high: int, name: str, bound: str) -> None:
    if values and not low <= min(values) <= max(values) <= high:
        k, value = next((k, v) for k, v in enumerate(values) if not low <= v <= high)
        raise ValueError(f"{name}[{k}] is {value!r}, outside {low} to {bound} ({high})")


def _index(value: int, length: int, name: str) -> None:
    if not 0 <= value < length:
        raise ValueError(f"{name} is {value!r}, not the index of one of the {length} items")


def _number(value: float, name: str, *, low: float) -> None:
    if not (math.isfinite(value) and low <= value <= MAX_MAGNITUDE):
        raise ValueError(f"{name} is {value!r}, outside {low:g} to {MAX_MAGNITUDE:g}")


def _pair(a: int, b: int, baskets: int, counts: tuple[int, ...], name: str, *, least: int = 1) -> None:
    """An item pair with the baskets that hold both: at least ``least``, at most either item's."""
    _index(a, len(counts), f"{name} (from)")
    _index(b, len(counts), f"{name} (to)")
    if a == b or not least <= baskets <= min(counts[a], counts[b]):
        at_least = "one basket" if least == 1 else f"{least} baskets"
        raise ValueError(
            f"{name} pairs items {a} and {b} in {baskets!r} baskets, where two items are paired in at least "
            f"{at_least} and at most as many as either is in ({min(counts[a], counts[b])})"
        )


def _check_rules(rules: RuleCounts, name: str, counts: tuple[int, ...]) -> None:
    """Rules ``A -> c`` over items (or categories) of ``counts``: ``A`` sorted, without ``c``;
    ``1 <= count <= count(A) <= count(a)`` for each ``a`` in ``A``, and ``count <= count(c)``."""
    if not _rules_hold(rules, counts):
        _explain_rules(rules, name, counts)
    if not all(0.0 <= p <= 1.0 for p in rules.p_adjusted):
        k, p = next((k, p) for k, p in enumerate(rules.p_adjusted) if not 0.0 <= p <= 1.0)
        raise ValueError(f"{name}.p_adjusted[{k}] is {p!r}, where a p-value from 0 to 1 is expected")


def _rules_hold(rules: RuleCounts, counts: tuple[int, ...]) -> bool:
    """Whether every rule is as :func:`_check_rules` says: one pass, a model's rules at a time
    (a hundred thousand take a tenth of a second), without building a message."""
    length = len(counts)
    for antecedent, consequent, count, antecedent_count in zip(
        rules.antecedents, rules.consequents, rules.counts, rules.antecedent_counts
    ):
        if not (0 <= consequent < length and 1 <= count <= antecedent_count and count <= counts[consequent]):
            return False
        previous = -1
        for item in antecedent:  # increasing from 0, so sorted, distinct and never negative
            if not previous < item < length or item == consequent or antecedent_count > counts[item]:
                return False
            previous = item
        if previous < 0:
            return False  # an empty antecedent
    return True


def _explain_rules(rules: RuleCounts, name: str, counts: tuple[int, ...]) -> None:
    """Raise the ValueError that names the first rule :func:`_rules_hold` refused."""
    length = len(counts)
    for k, (antecedent, consequent, count, antecedent_count) in enumerate(
        zip(rules.antecedents, rules.consequents, rules.counts, rules.antecedent_counts)
    ):
        if not antecedent or any(a >= b for a, b in zip(antecedent, antecedent[1:])):
            raise ValueError(f"{name}.antecedents[{k}] is {list(antecedent)!r}, where increasing indices are expected")
        _index(antecedent[0], length, f"{name}.antecedents[{k}]")
        _index(antecedent[-1], length, f"{name}.antecedents[{k}]")
        _index(consequent, length, f"{name}.consequents[{k}]")
        if consequent in antecedent:
            raise ValueError(f"{name}[{k}] has its consequent {consequent} in its antecedent")
        if not 1 <= count <= antecedent_count <= min(counts[a] for a in antecedent) or count > counts[consequent]:
            raise ValueError(
                f"{name}.counts[{k}] and antecedent_counts[{k}] are {count!r} and {antecedent_count!r}, where "
                f"1 <= count <= antecedent count <= the baskets of each item of the rule"
            )
    raise ValueError(f"{name} holds a rule that is not consistent with the counts")  # not reached


def _check_itemsets(itemsets: tuple[tuple[tuple[int, ...], int], ...], counts: tuple[int, ...]) -> None:
    """Bundles of two or three items, each held by at least one basket and at most as many as
    any of its items; with every three, its three pairs (frequent itemsets are closed downwards,
    and a product page's bundle starts from a pair)."""
    length = len(counts)
    pairs = {members for members, _ in itemsets if len(members) == 2}
    for k, (members, count) in enumerate(itemsets):
        previous = -1
        for item in members:
            if not previous < item < length or count > counts[item]:
                break
            previous = item
        else:
            if count >= 1 and (
                len(members) == 2 or (len(members) == 3 and all(pair in pairs for pair in combinations(members, 2)))
            ):
                continue
        if not 2 <= len(members) <= 3 or any(a >= b for a, b in zip(members, members[1:])):
            raise ValueError(
                f"itemsets.items[{k}] is {list(members)!r}, where two or three increasing indices are expected"
            )
        _index(members[0], length, f"itemsets.items[{k}]")
        _index(members[-1], length, f"itemsets.items[{k}]")
        if not 1 <= count <= min(counts[m] for m in members):
            raise ValueError(
                f"itemsets.counts[{k}] is {count!r}, where 1 to the baskets of its least bought item is expected"
            )
        raise ValueError(f"itemsets.items[{k}] is {list(members)!r}, but not each of its pairs is an itemset")


def _check_free_form(mapping: Mapping[str, Any], name: str) -> None:
    """``config`` and ``provenance``: JSON values, finite numbers, nested at most :data:`MAX_NESTING` deep."""
    stack: list[tuple[Any, int, str]] = [(mapping, 1, name)]
    while stack:
        value, depth, where = stack.pop()
        if isinstance(value, Mapping):
            children: Any = ((f"{where}.{key}", child) for key, child in value.items())
        elif isinstance(value, (list, tuple)):
            children = ((f"{where}[{k}]", child) for k, child in enumerate(value))
        else:
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"{where} is {value!r}, not a finite number")
            continue
        if depth > MAX_NESTING:
            raise ValueError(f"{name} is nested deeper than {MAX_NESTING} levels at {where}")
        stack.extend((child, depth + 1, key) for key, child in children)
