"""Offline evaluation: would the suggestions have been right on orders the model never saw?

Orders are split into train and test (by time when they have timestamps, otherwise at random,
seeded); rules are mined on the train orders only. From every test basket with at least two
items one item is hidden, and each system suggests ``limit`` items for the rest of the basket
(leave-one-out basket completion). Every system answers exactly the same cases, so their
scores compare. See :mod:`.metrics` for the metrics and :mod:`.baselines` for the systems.

EASE (``ease``) is the accuracy anchor: it chooses its lambda on a validation split of the train
orders alone, built as the cases here are, and reports lambda and the items it modelled.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Unpack

import numpy as np
import pandas as pd

from ..config import MiningConfig, MiningOptions, RankingConfig, check_limit, mining_config
from ..exceptions import ConfigError, InputError
from ..io import ColumnSpec, OrdersInput, read_baskets, read_catalog
from ..io.catalog import catalog_from_frame, merge_catalogs
from .baselines import EASE, Answers, Cooccurrence, ImplicitALS, Popular, RandomItems, RulesSystem, System
from .metrics import Scores, ranks_of, score
from .splits import SPLIT_METHODS, Cases, Split, leave_one_out, split_baskets

__all__ = [
    "evaluate",
    "Evaluation",
    "Counts",
    "Segment",
    "Scores",
    "SYSTEMS",
    "DEFAULT_SYSTEMS",
    "DEFAULT_MAX_CASES",
    "BEST_SELLERS",
    "Split",
    "Cases",
    "split_baskets",
    "leave_one_out",
]

logger = logging.getLogger(__name__)

SYSTEMS = ("rules", "popular", "cooccurrence", "cosine", "ease", "random", "implicit")
DEFAULT_SYSTEMS = ("rules", "popular", "cooccurrence", "cosine", "ease")
# Enough cases that a hit rate of 0.1 is known within about +-0.01 (95%), few enough to stay quick.
DEFAULT_MAX_CASES = 5000
# "Beyond the obvious": the cases whose hidden item is not one of this many best sellers of the
# train orders (what any shop would suggest without a model).
BEST_SELLERS = 10

Progress = Callable[[str], None]


@dataclass(frozen=True, kw_only=True)
class Counts:
    """How many orders, items, rules and cases the evaluation saw."""

    train_baskets: int
    test_baskets: int
    train_items: int
    rules: int
    eligible: int
    cases: int
    hidden_unseen: int
    carts_unseen: int

    def __post_init__(self) -> None:
        for name, value in self.as_dict().items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError(f"count {name} must be a whole number, 0 or more, got {value!r}.")
        if self.cases > self.eligible:
            raise ConfigError(f"cases ({self.cases}) cannot exceed the eligible test baskets ({self.eligible}).")

    def as_dict(self) -> dict[str, int]:
        return {
            "train_baskets": self.train_baskets,
            "test_baskets": self.test_baskets,
            "train_items": self.train_items,
            "rules": self.rules,
            "eligible": self.eligible,
            "cases": self.cases,
            "hidden_unseen": self.hidden_unseen,
            "carts_unseen": self.carts_unseen,
        }


@dataclass(frozen=True, kw_only=True)
class Segment:
    """Hit rate and NDCG of every system on one kind of case (e.g. single-item carts)."""

    name: str
    cases: int
    hit_rate: tuple[tuple[str, float], ...]
    ndcg: tuple[tuple[str, float], ...]

    def __post_init__(self) -> None:
        if [name for name, _ in self.hit_rate] != [name for name, _ in self.ndcg]:
            raise ConfigError(f"segment {self.name!r} needs the same systems for hit rate and NDCG.")

    def as_dict(self) -> dict[str, Any]:
        return {"cases": self.cases, "hit_rate": dict(self.hit_rate), "ndcg": dict(self.ndcg)}


@dataclass(frozen=True, kw_only=True)
class Evaluation:
    """The result of :func:`evaluate`: every system's scores on the same held-out cases.

    ``thresholds`` are the mining thresholds (with ``min_count``, the least basket count they
    mean on the train orders); ``segments`` break the hit rate down by kind of case.
    """

    dataset: str
    limit: int
    split: str
    test_share: float
    seed: int
    thresholds: tuple[tuple[str, Any], ...]
    ranking: RankingConfig
    counts: Counts
    systems: tuple[Scores, ...]
    segments: tuple[Segment, ...] = ()
    seconds: tuple[tuple[str, float], ...] = ()
    half_life: float | None = None

    def __post_init__(self) -> None:
        check_limit(self.limit)
        if self.split not in ("time", "random"):
            raise ConfigError(f"split must be 'time' or 'random', got {self.split!r}.")
        names = [s.name for s in self.systems]
        if len(set(names)) != len(names):
            raise ConfigError(f"each system is scored once, got {names}.")

    def __getitem__(self, name: str) -> Scores:
        """The scores of one system.

        Raises
        ------
        KeyError
            When the system was not evaluated.
        """
        for scores in self.systems:
            if scores.name == name:
                return scores
        raise KeyError(f"no system {name!r} in this evaluation; it has {[s.name for s in self.systems]}")

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of ``recommender evaluate --format json``."""
        return {
            "dataset": self.dataset,
            "limit": self.limit,
            "split": {"method": self.split, "test_share": self.test_share, "seed": self.seed},
            "thresholds": dict(self.thresholds),
            "half_life_days": self.half_life,
            "ranking": {
                "objective": self.ranking.objective,
                "combine": self.ranking.combine,
                "min_lift": self.ranking.min_lift,
                "max_per_category": self.ranking.max_per_category,
            },
            "counts": self.counts.as_dict(),
            "systems": {s.name: s.as_dict() for s in self.systems},
            "segments": {s.name: s.as_dict() for s in self.segments},
            "seconds": dict(self.seconds),
        }

    def describe(self) -> str:
        """One paragraph for a person: the split, the cases and the thresholds."""
        c, t = self.counts, dict(self.thresholds)
        split = "by time: the latest orders held out" if self.split == "time" else f"at random, seed {self.seed}"
        return (
            f"{self.dataset}: split {split}, test share {self.test_share:g}: "
            f"{c.train_baskets:,} train orders, {c.test_baskets:,} test orders; "
            f"{c.cases:,} cases (one item hidden from each of {c.cases:,} of the {c.eligible:,} test baskets "
            f"with 2+ items; {c.hidden_unseen:,} hidden items never seen in train), top {self.limit}; "
            f"rules mined on train at support >= {t['min_support']:g} ({t['min_count']:,} baskets), "
            f"confidence >= {t['min_confidence']:g}, max_len {t['max_len']}: {c.rules:,} rules"
            + ("" if self.half_life is None else f", ranked with a half-life of {self.half_life:g} days")
        )

    def table(self) -> str:
        """The scores as a text table, one row per system."""
        k = self.limit
        header = ("system", f"hit@{k}", f"prec@{k}", f"ndcg@{k}", f"mrr@{k}", "coverage", "fallback", "revenue")
        rows: list[tuple[str, ...]] = [header]
        for s in self.systems:
            revenue = "-" if s.revenue_hit_rate is None else f"{s.revenue_hit_rate:.4f}"
            rows.append(
                (s.name, *(f"{v:.4f}" for v in (s.hit_rate, s.precision, s.ndcg, s.mrr, s.coverage, s.fallback_share)),
                 revenue)
            )  # fmt: skip
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        lines = [
            "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))
            for row in rows
        ]
        notes = [
            _learned_line(s) for s in self.systems if s.name == "rules" and dict(s.details).get("ranking") == "learned"
        ]
        return "\n".join(lines + notes + [_ease_line(s, k) for s in self.systems if s.name == "ease"])


def evaluate(
    orders: OrdersInput,
    *,
    limit: int = 3,
    test_share: float = 0.2,
    seed: int = 0,
    max_cases: int | None = DEFAULT_MAX_CASES,
    systems: Iterable[str] = DEFAULT_SYSTEMS,
    split: str = "auto",
    config: MiningConfig | None = None,
    catalog: str | Path | pd.DataFrame | None = None,
    hierarchy: str | Path | pd.DataFrame | Mapping[str, str] | None = None,
    hierarchy_level: str | None = None,
    format: str = "auto",
    columns: ColumnSpec | Mapping[str, str | None] | None = None,
    workers: int | None = None,
    ranking: RankingConfig | None = None,
    progress: Progress | None = None,
    table: str | None = None,
    query: str | None = None,
    half_life: float | None = None,
    exclude_items: Iterable[str] = (),
    keep_items: Iterable[str] = (),
    **options: Unpack[MiningOptions],
) -> Evaluation:
    """Score our rules and the baselines on held-out orders (leave-one-out basket completion).

    Parameters
    ----------
    orders : path, DataFrame, Baskets or list of baskets
        See :func:`recommender.io.read_baskets`.
    limit : int
        Suggestions per case (K of hit rate@K and the rest).
    test_share : float
        Share of the orders held out: the latest ones when every order has a time, otherwise
        a random share drawn with ``seed``.
    seed : int
        Seeds the split, the choice of cases and hidden items, and the random system.
    max_cases : int or None
        At most this many cases (a seeded sample of the test baskets), None for all.
    systems : iterable of str
        Among :data:`SYSTEMS`: ``rules`` (our recommender), ``popular``, ``cooccurrence``,
        ``cosine``, ``ease`` (:class:`~.baselines.EASE`: lambda chosen on a validation split of
        the train orders made with ``test_share``, the split's method and ``max_cases``; at most
        :data:`~.baselines.EASE_MAX_ITEMS` items, the most frequent), ``random``, ``implicit``
        (ALS; needs the implicit package).
    split : {"auto", "time", "random"}
        How to split; ``auto`` splits by time when every order has a time.
    config : MiningConfig, optional
        The thresholds and rule hygiene of the rules mined on the train orders (default:
        ``MiningConfig()``), so that their effect on the suggestions can be measured.
    catalog, hierarchy, hierarchy_level, format, columns, workers
        As for :func:`recommender.mine`: the orders are read with ``format`` and ``columns``,
        the rules mined on the train orders with the rest.
    table, query : str, optional
        With a database URL as ``orders``: the table of order lines or a ``SELECT`` of them.
    ranking : RankingConfig, optional
        The rules' ranking settings (default: the shipped defaults).
    half_life : float, optional
        As for :func:`recommender.mine`: the rules mined on the train orders rank by
        confidences and lifts in which an order ``half_life`` days older than the latest train
        order counts half. The baselines count every order the same.
    exclude_items, keep_items : iterable of str
        As for :func:`recommender.mine`: items left out of the orders besides the non-product
        lines reading finds, and items never left out; every system sees the same orders.
    progress : callable, optional
        Called with the name of each stage as it starts.
    **options
        Shortcuts for the fields of :class:`~recommender.config.MiningConfig` (``min_support``,
        ``min_confidence``, ``max_len``, ...), as for :func:`recommender.mine`.

    Examples
    --------
    >>> baskets = [["tea", "kettle"]] * 6 + [["mug", "cake"]] * 4 + [["tea", "mug"]] * 2
    >>> result = evaluate(baskets, limit=1, test_share=0.5, min_support=0.1, workers=1)
    >>> result.counts.cases, result["cooccurrence"].hit_rate, result["rules"].hit_rate
    (6, 0.6666666666666666, 0.6666666666666666)
    >>> sorted(result.as_dict()["systems"]["popular"])[:3]
    ['coverage', 'fallback_share', 'hit_rate']
    """
    limit = check_limit(limit)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ConfigError(f"seed must be a whole number, got {seed!r}.")
    chosen = tuple(dict.fromkeys(str(s) for s in ([systems] if isinstance(systems, str) else systems)))
    unknown = [s for s in chosen if s not in SYSTEMS]
    if unknown or not chosen:
        raise ConfigError(f"systems must be some of {SYSTEMS}, got {list(chosen)}; e.g. ('rules', 'popular').")
    if split not in SPLIT_METHODS:
        raise ConfigError(f"split must be one of {SPLIT_METHODS}, got {split!r}.")
    config = mining_config(config, options, caller="evaluate")
    from ..mining.recency import check_half_life

    half_life = check_half_life(half_life)
    say = progress or (lambda stage: logger.info("%s", stage))

    say("reading orders")
    baskets = read_baskets(
        orders, format=format, columns=columns, table=table, query=query, exclude_items=exclude_items,
        keep_items=keep_items,
    )  # fmt: skip
    # Independent streams: the split, the cases and the random system each get their own, so
    # that e.g. a different max_cases does not change which item a basket hides.
    split_seed, case_seed, system_seed = np.random.SeedSequence(int(seed)).spawn(3)
    say("splitting orders")
    parts = split_baskets(baskets, test_share=test_share, seed=np.random.default_rng(split_seed), method=split)
    cases = leave_one_out(parts.test, seed=np.random.default_rng(case_seed), max_cases=max_cases)
    if not len(cases):
        raise InputError(
            f"none of the {len(parts.test):,} test orders of {baskets.source.name} holds two or more items, so "
            "there is nothing to hide and predict; raise --test-share or evaluate on orders with fuller baskets."
        )
    train = parts.train
    say("mining the train orders")
    from ..mining import mine

    # The learned weights only for a rules system that ranks with them.
    learned = "rules" in chosen and (ranking or RankingConfig()).combine == "learned"
    model = mine(
        train, config=config, catalog=catalog, hierarchy=hierarchy, hierarchy_level=hierarchy_level, workers=workers,
        learn_weights=learned, half_life=half_life,
    )  # fmt: skip
    index = {item: k for k, item in enumerate(train.items)}
    hidden = np.array([index.get(item, -1) for item in cases.hidden], dtype=np.int64)
    indptr, _ = cases.cart_matrix(train.items)
    prices = _hidden_prices(cases, baskets.catalog, catalog, train_has_prices=_has_prices(model.data.catalog))

    results: list[Scores] = []
    answers: dict[str, Answers] = {}
    seconds: list[tuple[str, float]] = []
    for name in chosen:
        say(f"asking {name}")
        started = time.perf_counter()
        system = _system(
            name, model.data, train, ranking=ranking, seed=np.random.default_rng(system_seed),
            validation={"limit": limit, "validation_share": float(test_share), "max_cases": max_cases,
                        "split": parts.method},
        )  # fmt: skip
        answer = system.suggest(cases, limit=limit)
        seconds.append((name, round(time.perf_counter() - started, 3)))
        answers[name] = answer
        scores = score(name, answer.suggested, hidden, limit=limit, n_items=train.n_items, fallback=answer.fallback,
                       prices=prices)  # fmt: skip
        results.append(replace(scores, details=system.details()))
    # The thresholds as the miner applied them (with the least basket count they meant).
    thresholds = {key: value for key, value in model.data.config.items() if key != "engine"}
    return Evaluation(
        dataset=baskets.source.name,
        limit=limit,
        split=parts.method,
        test_share=float(test_share),
        seed=int(seed),
        thresholds=tuple(thresholds.items()),
        ranking=ranking or RankingConfig(),
        counts=Counts(
            train_baskets=len(train),
            test_baskets=len(parts.test),
            train_items=train.n_items,
            rules=len(model.data.rules),
            eligible=cases.eligible,
            cases=len(cases),
            hidden_unseen=int((hidden < 0).sum()),
            carts_unseen=int((np.diff(indptr) == 0).sum()),
        ),
        systems=tuple(results),
        segments=_segments(cases, hidden, answers, indptr, best_sellers=_best_sellers(train)),
        seconds=tuple(seconds),
        half_life=half_life,
    )


def _system(
    name: str, data: Any, train: Any, *, ranking: RankingConfig | None, seed: np.random.Generator,
    validation: Mapping[str, Any],
) -> System:  # fmt: skip
    """One system built on the train orders; ``validation`` tells EASE how evaluate made its cases."""
    if name == "rules":
        return RulesSystem(data, config=ranking, items=train.items)
    if name == "popular":
        return Popular(train)
    if name in ("cooccurrence", "cosine"):
        return Cooccurrence(train, cosine=name == "cosine")
    if name == "random":
        return RandomItems(train, seed=seed)
    if name == "ease":
        return EASE(train, seed=seed, **validation)
    return ImplicitALS(train, seed=int(seed.integers(2**31)))


def _has_prices(catalog: Mapping[str, Any]) -> bool:
    return any(entry.price is not None for entry in catalog.values())


def _hidden_prices(
    cases: Cases, derived: pd.DataFrame | None, given: str | Path | pd.DataFrame | None, *, train_has_prices: bool
) -> np.ndarray | None:
    """The price of each hidden item (NaN when unknown), or None when the train has no prices.

    Prices come from the given catalog, then from the order lines of every order: an item's
    price is a fact of the shop, not something the model learns from the test orders.
    """
    if not train_has_prices:
        return None
    given_frame = None
    if given is not None:
        given_frame = catalog_from_frame(given) if isinstance(given, pd.DataFrame) else read_catalog(given)
    merged = merge_catalogs(given_frame, derived)
    if merged is None or "price" not in merged:
        return None
    price = merged["price"]
    return np.array([float(price.get(item, np.nan)) for item in cases.hidden], dtype=float)


def _learned_line(scores: Scores) -> str:
    """What mining chose for the learned ranking, under the table."""
    d = dict(scores.details)
    return (
        f"rules: learned weights, lambda {d['lambda']:g}, confidence term {d['confidence_term']:g}, bias scale "
        f"{d['bias_scale']:g} (chosen at mining time on a validation split of the train orders); "
        f"{d['weights']:,} weights over {d['items_modelled']:,} items"
        + ("" if d.get("weights_per_item") is None else f", at most {d['weights_per_item']} per item")
    )


def _ease_line(scores: Scores, limit: int) -> str:
    """What EASE chose, under the table: lambda, where it came from, the items modelled."""
    d = scores.as_dict()
    if d["lambda_source"] == "validation":
        tried = ", ".join(f"{l2:g}" for l2 in d["validation_lambdas"])
        source = (
            f"chosen by hit@{limit} on {d['validation_cases']:,} validation cases of the train orders "
            f"({d['validation_method']} split; tried {tried})"
        )
    elif d["lambda_source"] == "given":
        source = "as given"
    else:
        source = "by default (the train orders left no validation case)"
    items = f"{d['items_modelled']:,} of {d['items_total']:,} train items modelled"
    return f"ease: lambda {d['lambda']:g} {source}; {items}"


def _best_sellers(train: Any) -> np.ndarray:
    """The train indices of the :data:`BEST_SELLERS` most frequent train items (ties by id)."""
    counts = train.item_counts()
    return np.lexsort((np.arange(len(counts)), -counts))[:BEST_SELLERS]


def _segments(
    cases: Cases, hidden: np.ndarray, answers: Mapping[str, Answers], indptr: np.ndarray, *, best_sellers: np.ndarray
) -> tuple[Segment, ...]:
    """Hit rate and NDCG by kind of case: where each system wins and loses."""
    from .metrics import hit_rate, ndcg

    sizes = np.array([len(cart) for cart in cases.carts])
    masks: list[tuple[str, np.ndarray]] = [
        ("cart of 1 item", sizes == 1),
        ("cart of 2-4 items", (sizes >= 2) & (sizes <= 4)),
        ("cart of 5+ items", sizes >= 5),
        ("hidden item unseen in train", hidden < 0),
        ("no cart item seen in train", np.diff(indptr) == 0),
        # Beyond the obvious: a hidden item unseen in train counts here too (a miss for all).
        (f"hidden item outside the {BEST_SELLERS} best sellers", ~np.isin(hidden, best_sellers)),
    ]
    if "rules" in answers:
        fell_back = answers["rules"].fallback
        masks += [("rules answered from rules only", ~fell_back), ("rules fell back to popular", fell_back)]
    ranks = {name: ranks_of(answer.suggested, hidden) for name, answer in answers.items()}
    return tuple(
        Segment(
            name=name,
            cases=int(mask.sum()),
            hit_rate=tuple((system, hit_rate(r[mask])) for system, r in ranks.items()),
            ndcg=tuple((system, ndcg(r[mask])) for system, r in ranks.items()),
        )
        for name, mask in masks
    )
