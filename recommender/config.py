"""Validated, frozen settings.

Settings are checked where they are declared, so a bad threshold fails when it is given,
with the value and the valid range, not deep inside the miner.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, TypedDict

from .exceptions import ConfigError

__all__ = [
    "MiningConfig",
    "MiningOptions",
    "mining_config",
    "RankingConfig",
    "DEFAULT_MIN_SUPPORT",
    "DEFAULT_MIN_CONFIDENCE",
    "DEFAULT_MAX_LEN",
]

# A typical shop has hundreds to thousands of products and tens of thousands of orders:
# one basket in a thousand is about the least evidence worth a rule there (tens of
# baskets), and a cross-sell shown to one shopper in ten of those who qualify is already
# worth ranking. The ranking layer orders rules by lift and confidence, so a generous
# floor here loses nothing. Frequently-bought-together rarely needs more than two items
# on the left, hence max_len 3.
DEFAULT_MIN_SUPPORT = 0.001
DEFAULT_MIN_CONFIDENCE = 0.1
DEFAULT_MAX_LEN = 3
# The ranking's lift floor: rules that make their item less likely than usual are not used.
DEFAULT_MIN_LIFT = 1.0
MAX_MAX_LEN = 10
# The useful models of the tests and benchmarks hold from a few hundred to 16,000 frequent
# pairs; Online Retail at support 0.001 holds 322,000 (at 0.003, 44,000: 36 s, 211,581 rules).
DEFAULT_MAX_PAIRS = 50_000
# The largest basket of the data sets at hand holds 1,108 distinct items (Online Retail; FIMI's
# kosarak 2,498). One of 5,000 costs about 40 s and 1.2 GB to mine (its 12.5 million pairs, in
# the learned weights above all); one of 4.17 million items, a file of 50 MB, would need
# terabytes: a missing order column makes one basket of everything.
DEFAULT_MAX_BASKET_ITEMS = 5_000


@dataclass(frozen=True, kw_only=True)
class MiningConfig:
    """What one mining run keeps: thresholds (all inclusive) and rule hygiene.

    These settings decide which rules a model holds, so they are recorded in it
    (:meth:`as_dict`). How the rules are computed (``engine``, ``workers``, Spark settings) and
    what they are read from (``format``, ``columns``, ``catalog``, ``hierarchy``) change nothing
    in the rules and stay arguments of :func:`recommender.mine` and
    :func:`recommender.evaluate`, which take this as ``config=`` or its fields as keywords.

    Parameters
    ----------
    min_support : float
        Least share of baskets, in (0, 1], that must hold an itemset for it to be frequent.
    min_confidence : float
        Least confidence, in [0, 1], of a rule ``A -> c``.
    max_len : int
        Most items in a rule, antecedent and consequent together (2 to 10).
    max_pairs : int or None
        Most frequent pairs of items the thresholds may leave (None: no limit). Past it the
        run stops early with the support that would fit: mining would take long and the
        model would be too large to serve well.
    max_basket_items : int or None
        Most distinct items in one basket (None: no limit). A basket's pairs grow with the
        square of its items, so a larger one is refused before any pair is counted.
    min_count : int
        Least number of baskets behind an itemset (and so a rule), whatever the support: a
        floor against rules built on a handful of baskets.
    max_p : float or None
        Keep only rules whose one-sided Fisher test, adjusted by ``correction`` across all
        rules tested, has a p-value at most this (None: keep all, the p-values are still
        recorded).
    correction : {"fdr_bh", "bonferroni", "none"}
        The multiple-testing correction: Benjamini-Hochberg (default), Bonferroni, none.
    prune_redundant : bool
        Drop the rules that a rule with the same consequent and a strict subset of the
        antecedent matches or beats in confidence (they are always flagged).
    shrinkage : float
        Pseudo-baskets that pull each rule's confidence toward its consequent's base rate
        for ranking (0: none); see :func:`recommender.mining.hygiene.shrunk_confidence`.

    Examples
    --------
    >>> MiningConfig(min_support=0.01).max_len
    3
    >>> MiningConfig(min_support=2.0)
    Traceback (most recent call last):
    ...
    recommender.exceptions.ConfigError: min_support must be a share of baskets in (0, 1], got 2.0; pass e.g. 0.001 for one basket in a thousand.
    """  # noqa: E501

    min_support: float = DEFAULT_MIN_SUPPORT
    min_confidence: float = DEFAULT_MIN_CONFIDENCE
    max_len: int = DEFAULT_MAX_LEN
    max_pairs: int | None = DEFAULT_MAX_PAIRS
    max_basket_items: int | None = DEFAULT_MAX_BASKET_ITEMS
    min_count: int = 1
    max_p: float | None = None
    correction: str = "fdr_bh"
    prune_redundant: bool = False
    shrinkage: float = 0.0

    def __post_init__(self) -> None:
        if isinstance(self.min_count, bool) or not isinstance(self.min_count, int) or self.min_count < 1:
            raise ConfigError(f"min_count must be a whole number of baskets, 1 or more, got {self.min_count!r}.")
        if self.max_p is not None and not 0.0 < _as_float("max_p", self.max_p) <= 1.0:
            raise ConfigError(f"max_p must be a significance level in (0, 1] or None, got {self.max_p!r}; e.g. 0.05.")
        if self.correction not in CORRECTIONS:
            raise ConfigError(f"correction must be one of {CORRECTIONS}, got {self.correction!r}.")
        if not isinstance(self.prune_redundant, bool):
            raise ConfigError(f"prune_redundant must be True or False, got {self.prune_redundant!r}.")
        if _as_float("shrinkage", self.shrinkage) < 0:
            raise ConfigError(f"shrinkage must be 0 or more pseudo-baskets, got {self.shrinkage!r}; e.g. 10.")
        if self.max_pairs is not None and (
            isinstance(self.max_pairs, bool) or not isinstance(self.max_pairs, int) or self.max_pairs < 1
        ):
            raise ConfigError(f"max_pairs must be a positive whole number or None, got {self.max_pairs!r}.")
        if self.max_basket_items is not None and (
            isinstance(self.max_basket_items, bool)
            or not isinstance(self.max_basket_items, int)
            or self.max_basket_items < 2
        ):
            raise ConfigError(
                f"max_basket_items must be a whole number of items, 2 or more, or None, got {self.max_basket_items!r}."
            )
        support = _as_float("min_support", self.min_support)
        if not 0.0 < support <= 1.0:
            raise ConfigError(
                f"min_support must be a share of baskets in (0, 1], got {self.min_support!r}; "
                "pass e.g. 0.001 for one basket in a thousand."
            )
        confidence = _as_float("min_confidence", self.min_confidence)
        if not 0.0 <= confidence <= 1.0:
            raise ConfigError(
                f"min_confidence must be in [0, 1], got {self.min_confidence!r}; "
                "pass e.g. 0.1 for rules right at least one time in ten."
            )
        if isinstance(self.max_len, bool) or not isinstance(self.max_len, int):
            raise ConfigError(f"max_len must be a whole number of items, got {self.max_len!r}; pass e.g. 3.")
        if not 2 <= self.max_len <= MAX_MAX_LEN:
            raise ConfigError(
                f"max_len must be between 2 and {MAX_MAX_LEN} items per rule, got {self.max_len}; "
                "3 suits frequently-bought-together."
            )
        object.__setattr__(self, "min_support", support)
        object.__setattr__(self, "min_confidence", confidence)

    def support_count(self, n_baskets: int) -> int:
        """Least basket count of a frequent itemset among ``n_baskets`` baskets.

        The smallest whole ``c`` with ``c / n_baskets >= min_support`` computed in floating
        point, exactly as the inclusive threshold on support reads, so that no itemset at the
        boundary is lost or gained by rounding; at least ``min_count``.

        Examples
        --------
        >>> MiningConfig(min_support=0.001).support_count(9835)
        10
        >>> MiningConfig(min_support=0.5).support_count(4)
        2
        >>> MiningConfig(min_support=0.001, min_count=25).support_count(9835)
        25
        """
        count = max(1, math.ceil(self.min_support * n_baskets))
        while count > 1 and (count - 1) / n_baskets >= self.min_support:
            count -= 1
        while count / n_baskets < self.min_support:
            count += 1
        return max(count, self.min_count)

    def as_dict(self) -> dict[str, Any]:
        """The thresholds as plain JSON-ready values (``max_basket_items`` decides whether a run
        goes ahead, never which rules it finds: it is left out)."""
        return {
            "min_support": self.min_support,
            "min_confidence": self.min_confidence,
            "max_len": self.max_len,
            "max_pairs": self.max_pairs,
            "min_count_floor": self.min_count,
            "max_p": self.max_p,
            "correction": self.correction,
            "prune_redundant": self.prune_redundant,
            "shrinkage": self.shrinkage,
        }


class MiningOptions(TypedDict, total=False):
    """The fields of :class:`MiningConfig`, as keyword shortcuts of ``mine()`` and ``evaluate()``."""

    min_support: float
    min_confidence: float
    max_len: int
    max_pairs: int | None
    max_basket_items: int | None
    min_count: int
    max_p: float | None
    correction: str
    prune_redundant: bool
    shrinkage: float


def mining_config(config: MiningConfig | None, options: Mapping[str, Any], *, caller: str) -> MiningConfig:
    """The mining settings of a call that takes ``config=`` and keyword shortcuts.

    Shortcuts alone make a :class:`MiningConfig`; with ``config`` they may only repeat its
    values, since which of two different values was meant cannot be known.

    Examples
    --------
    >>> mining_config(None, {"min_support": 0.01}, caller="mine").min_support
    0.01
    >>> mining_config(MiningConfig(max_len=4), {"max_len": 4}, caller="mine").max_len
    4
    >>> mining_config(MiningConfig(min_support=0.01), {"min_support": 0.02}, caller="mine")
    Traceback (most recent call last):
    ...
    recommender.exceptions.ConfigError: mine() got config=MiningConfig(min_support=0.01, ...) and min_support=0.02; give each setting once: in the config (dataclasses.replace(config, min_support=0.02)) or as a keyword without config.
    """  # noqa: E501
    names = [f.name for f in fields(MiningConfig)]
    for name in options:
        if name not in names:
            close = difflib.get_close_matches(name, names, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; the mining settings are {names}."
            raise TypeError(f"{caller}() got an unexpected keyword argument {name!r}{hint}")
    if config is None:
        return MiningConfig(**options)
    if not isinstance(config, MiningConfig):
        raise ConfigError(
            f"config must be a MiningConfig, got a {type(config).__name__}; e.g. MiningConfig(min_support=0.01)."
        )
    asked = replace(config, **options)  # validates the shortcuts' values
    conflicts = [name for name in options if getattr(asked, name) != getattr(config, name)]
    if conflicts:
        given = ", ".join(f"{name}={getattr(config, name)!r}" for name in conflicts)
        shortcuts = ", ".join(f"{name}={options[name]!r}" for name in conflicts)
        raise ConfigError(
            f"{caller}() got config=MiningConfig({given}, ...) and {shortcuts}; give each setting once: "
            f"in the config (dataclasses.replace(config, {shortcuts})) or as a keyword without config."
        )
    return config


def _as_float(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{name} must be a number, got {value!r}.")
    result = float(value)
    if math.isnan(result):
        raise ConfigError(f"{name} must be a number, got NaN.")
    return result


# Every metric of a rule, in the order of the rules table (see recommender.mining.rules).
RULE_METRICS = (
    "antecedent_support",
    "consequent_support",
    "support",
    "confidence",
    "lift",
    "leverage",
    "conviction",
    "zhangs_metric",
    "jaccard",
    "certainty",
    "kulczynski",
)
OBJECTIVES = ("confidence", "lift", "revenue", "margin")
COMBINATIONS = ("max", "noisy_or", "cumulative", "learned")
# Multiple-testing corrections of rule p-values (see recommender.mining.hygiene).
CORRECTIONS = ("fdr_bh", "bonferroni", "none")
KINDS = ("cross_sell", "upgrade", "popular")
MAX_LIMIT = 50


@dataclass(frozen=True, kw_only=True)
class RankingConfig:
    """How suggestions are chosen, capped and ordered.

    Parameters
    ----------
    limit : int
        Suggestions per answer (default 3: a shopper decides better among three than ten).
    objective : {"confidence", "lift", "revenue", "margin"}
        What a suggestion is worth: its likelihood, its lift, likelihood x price (for an
        upgrade, x the price difference), or likelihood x price x margin.
    combine : {"learned", "max", "noisy_or", "cumulative"}
        How the evidence for an item adds up. ``learned`` (the default) sums the item-item
        weights fitted on the baskets at mining time (see :mod:`recommender.mining.weights`)
        over the cart's items, plus the shares of pair confidence and support chosen then; each
        suggestion is explained by its strongest pair. Over five seeds it is at or above a tuned
        EASE on hit@3 and NDCG@3 on four shops (benchmarks/README.md, "Quality"); a model without
        weights (older files, the Spark engine) ranks as with ``max``. The rules' ways: the
        strongest rule's confidence (``max``); ``1 - prod(1 - confidence)`` over all of them
        (``noisy_or``: treats rules as independent evidence); or ``cumulative``, the strongest
        rule's confidence plus, for each of the item's other rules, its confidence above the
        item's base rate, divided by the number of known cart items (evidence that piles up
        across a cart, weighed so that a long cart cannot outvote a strong rule).
    max_per_category : int or None
        Diversity: at most this many suggestions of one category (None: no limit).
    max_upgrades : int
        At most this many upgrades in one answer.
    upgrade_band : (float, float)
        An upgrade costs between these multiples of the item it replaces (default +10% to +100%).
    upgrade_band_follows : float
        For a request naming a known customer (``customer_id``) who pays more than most in the
        item's category: the band's top times the customer's price level there to this power
        (the level: the mean price the customer paid there over the category's median; 0: every
        customer gets the band). On the Complete Journey, 2 (the default) finds 7% more of the
        upgrades such customers buy next, and narrowing the band for customers who buy cheap
        lost a third of theirs, so it never narrows (benchmarks/README.md, "Upgrades").
    bundle_discount : float
        Bundle price = the items' total x (1 - discount).
    bundle_triple_share : float
        A bundle takes a third item when that trio is bought at least this share as often as
        the best pair.
    min_lift : float
        Rules whose lift is below this are not used for cross-sell. The default, 1, drops only
        the rules that make their item less likely than usual: in the offline evaluation
        (benchmarks/README.md, "Quality") a floor of 1.5 cost 0.03 of hit rate@3 on retail.dat,
        where the items most often bought next are popular ones whose lift cannot reach 1.5.
        A floor above 1 holds for the co-bought back-off too; at the default it takes any pair.
    free_shipping_threshold : float or None
        With ``cart_total`` given, add-ons that take the cart over it come first.
    pins : tuple of (key, items)
        Merchandiser's choices: when the cart holds item ``key`` (or an item of category
        ``"category:NAME"``), these items come first.
    blocked : frozenset of str
        Items never suggested.
    shrinkage : float or None
        Pseudo-baskets that pull rule confidences toward the consequent's base rate before
        ranking, so that rules on a handful of baskets cannot top the list (None: the
        model's own setting, ``MiningConfig.shrinkage``; 0: none). Reasons still show the
        observed confidence.

    Examples
    --------
    >>> RankingConfig(limit=5, pins=(("tea", ("kettle",)),)).limit
    5
    >>> RankingConfig(objective="profit")
    Traceback (most recent call last):
    ...
    recommender.exceptions.ConfigError: objective must be one of ('confidence', 'lift', 'revenue', 'margin'), got 'profit'.
    """  # noqa: E501

    limit: int = 3
    objective: str = "confidence"
    combine: str = "learned"
    max_per_category: int | None = 1
    max_upgrades: int = 1
    upgrade_band: tuple[float, float] = (1.1, 2.0)
    upgrade_band_follows: float = 2.0
    bundle_discount: float = 0.1
    bundle_triple_share: float = 0.5
    min_lift: float = DEFAULT_MIN_LIFT
    free_shipping_threshold: float | None = None
    pins: tuple[tuple[str, tuple[str, ...]], ...] = ()
    blocked: frozenset[str] = frozenset()
    shrinkage: float | None = None

    def __post_init__(self) -> None:
        check_limit(self.limit)
        if self.shrinkage is not None and _as_float("shrinkage", self.shrinkage) < 0:
            raise ConfigError(f"shrinkage must be 0 or more pseudo-baskets or None, got {self.shrinkage!r}.")
        if self.objective not in OBJECTIVES:
            raise ConfigError(f"objective must be one of {OBJECTIVES}, got {self.objective!r}.")
        if self.combine not in COMBINATIONS:
            raise ConfigError(f"combine must be one of {COMBINATIONS}, got {self.combine!r}.")
        if self.max_per_category is not None and (
            isinstance(self.max_per_category, bool)
            or not isinstance(self.max_per_category, int)
            or self.max_per_category < 1
        ):
            raise ConfigError(f"max_per_category must be at least 1 or None, got {self.max_per_category!r}.")
        if isinstance(self.max_upgrades, bool) or not isinstance(self.max_upgrades, int) or self.max_upgrades < 0:
            raise ConfigError(f"max_upgrades must be a whole number, 0 or more, got {self.max_upgrades!r}.")
        low, high = (_as_float("upgrade_band", v) for v in self.upgrade_band)
        if not 1.0 <= low <= high:
            raise ConfigError(
                f"upgrade_band must be (low, high) price multiples with 1 <= low <= high, got {self.upgrade_band!r}; "
                "e.g. (1.1, 2.0) for +10% to +100%."
            )
        object.__setattr__(self, "upgrade_band", (low, high))
        follows = _as_float("upgrade_band_follows", self.upgrade_band_follows)
        if not 0.0 <= follows <= 4.0:
            raise ConfigError(
                f"upgrade_band_follows must be a power from 0 to 4, got {self.upgrade_band_follows!r}; 0 gives "
                "every customer the same band, 1 moves its top in proportion to the customer's price level."
            )
        object.__setattr__(self, "upgrade_band_follows", follows)
        if not 0.0 <= _as_float("bundle_discount", self.bundle_discount) < 1.0:
            raise ConfigError(f"bundle_discount must be in [0, 1), got {self.bundle_discount!r}; e.g. 0.1 for 10%.")
        if not 0.0 <= _as_float("bundle_triple_share", self.bundle_triple_share) <= 1.0:
            raise ConfigError(f"bundle_triple_share must be in [0, 1], got {self.bundle_triple_share!r}.")
        if _as_float("min_lift", self.min_lift) < 0:
            raise ConfigError(f"min_lift must be 0 or more, got {self.min_lift!r}; 1 keeps rules above chance.")
        if (
            self.free_shipping_threshold is not None
            and _as_float("free_shipping_threshold", self.free_shipping_threshold) <= 0
        ):
            raise ConfigError(
                f"free_shipping_threshold must be a positive amount or None, got {self.free_shipping_threshold!r}."
            )
        pins = tuple((str(key), tuple(str(item) for item in items)) for key, items in dict(self.pins).items())
        object.__setattr__(self, "pins", pins)
        object.__setattr__(self, "blocked", frozenset(str(item) for item in self.blocked))


def check_limit(limit: object) -> int:
    """``limit`` as a number of suggestions between 1 and :data:`MAX_LIMIT`, or a ConfigError."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ConfigError(f"limit must be a whole number of suggestions from 1 to {MAX_LIMIT}, got {limit!r}.")
    return limit
