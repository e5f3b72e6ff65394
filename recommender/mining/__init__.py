"""Mining: baskets -> frequent itemsets (mlxtend) -> rules with counts -> a :class:`Model`."""

from __future__ import annotations

import logging
import math
import os
import platform
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Unpack

import numpy as np
import pandas as pd

from ..artifact import new_model_id
from ..config import MiningConfig, MiningOptions, mining_config
from ..exceptions import ConfigError, InputError
from ..io import Baskets, ColumnSpec, NonProductOptions, OrdersInput, read_baskets, read_catalog
from ..io.catalog import catalog_from_frame, merge_catalogs
from ..io.database import is_database_url
from ..io.hierarchy import hierarchy_from, read_hierarchy
from ..model import Model
from ..model_data import CatalogEntry, ModelData, RuleCounts, WeightTerms
from .beside import Beside
from .categories import CATEGORY_MAX_LEN, category_baskets, with_categories
from .cobought import COBOUGHT_MIN_COUNT, COBOUGHT_PER_ITEM, top_cobought
from .customers import check_buy_again, customer_key, summarise_customers
from .encode import Reduced, reduce_for_mining, support_that_fits
from .hygiene import apply_hygiene
from .pairs import PairCounts, count_pairs
from .partition import conditional_batches
from .recency import check_half_life, recency_of
from .rules import rules_from_itemsets
from .spark_engine import SparkOrders, SparkSettings
from .stages import StageClock
from .tradeups import count_tradeups
from .weights import ItemWeights, fit_item_weights, modelled_items

__all__ = ["mine", "ENGINES", "BUNDLE_MAX_ITEMS"]

logger = logging.getLogger(__name__)

ENGINES = ("mlxtend", "spark")
# The least memory budget for the pair counts: below it every block is one item.
MIN_MEMORY_BYTES = 1 << 20
# Bundles are a product and one or two companions; larger itemsets serve rules only.
BUNDLE_MAX_ITEMS = 3
# More itemsets of three or more items than this, and `mine` says the baskets are dense: few
# items that all sell together make mining take minutes and the rules run to hundreds of
# thousands, where the shops of the benchmarks give a few thousand (benchmarks/README.md).
DENSE_ITEMSETS = 100_000
# The learned weights are fitted in a forked process while the rules are mined, when more than
# one worker is allowed and both take long: baskets of this many order lines or more (the
# mining then takes seconds: 3.5 s at bench_scale.py's 30 million; retail.dat's 0.9 million
# take 0.5-1 s, which a third busy process on two cores costs more than it saves) and weights
# over this many items (a fit of a second or more).
FIT_BESIDE_MIN_LINES = 5_000_000
FIT_BESIDE_MIN_ITEMS = 1_000

Progress = Callable[[str], None]


def mine(
    orders: OrdersInput,
    *,
    config: MiningConfig | None = None,
    catalog: str | Path | pd.DataFrame | None = None,
    hierarchy: str | Path | pd.DataFrame | Mapping[str, str] | None = None,
    hierarchy_level: str | None = None,
    format: str = "auto",
    columns: ColumnSpec | Mapping[str, str | None] | None = None,
    engine: str = "mlxtend",
    workers: int | None = None,
    spark_master: str | None = None,
    spark_conf: Mapping[str, str] | Sequence[str] | None = None,
    progress: Progress | None = None,
    exclude_items: Iterable[Any] | None = None,
    keep_items: Iterable[Any] | None = None,
    detect_non_products: bool = True,
    fit_support: bool | None = None,
    learn_weights: bool = True,
    table: str | None = None,
    query: str | None = None,
    half_life: float | None = None,
    keep_customers: bool = True,
    hash_customers: bool = False,
    buy_again: int = 0,
    memory: int | None = None,
    report_stages: Callable[[str], None] | None = None,
    feedback: str | None = None,
    feedback_strength: float | None = None,
    **options: Unpack[MiningOptions],
) -> Model:
    """Mine association rules from orders into a :class:`~recommender.model.Model`.

    Parameters
    ----------
    orders : path, database URL, DataFrame, Baskets or list of baskets
        See :func:`recommender.io.read_baskets`.
    config : MiningConfig, optional
        The thresholds and rule hygiene (default: ``MiningConfig()``).
    **options
        Shortcuts for the fields of :class:`~recommender.config.MiningConfig`:
        ``min_support``, ``min_confidence``, ``max_len``, ``max_pairs`` (thresholds and the
        size guard), ``min_count``, ``max_p``, ``correction``, ``prune_redundant``,
        ``shrinkage`` (rule hygiene; every rule's adjusted p-value and redundancy are
        recorded either way). With ``config`` they may only repeat its values.
    catalog : path or DataFrame, optional
        Product names, categories, families, prices, stock; gaps are filled from the orders.
    hierarchy : path, DataFrame or mapping, optional
        Item -> category (e.g. Groceries' ``groceries_items.csv``), read as
        :func:`recommender.io.hierarchy.read_hierarchy` does; fills the catalog's missing
        categories. With categories from either, rules between categories are mined too and
        back the ranking off where an item's own rules are thin.
    hierarchy_level : str, optional
        The hierarchy's column of categories (default: its category or level2 column).
    format, columns
        How to read a file; see :func:`recommender.io.read_baskets`.
    engine : {"mlxtend", "spark"}
        The miner of frequent itemsets: mlxtend in this process, or Spark MLlib's FPGrowth
        (the ``spark`` extra; same rules, same metrics; a Parquet file or folder of order
        lines is then read and grouped in Spark, without trade-ups).
    workers : int, optional
        Processes to count pairs and mine in (default: the machine's cores, at most 8); 1
        counts and mines in this one.
    spark_master, spark_conf
        With ``engine="spark"``: the master URL (default: a running session, else
        ``local[*]``) and Spark settings (``KEY=VALUE`` strings or a mapping).
    progress : callable, optional
        Called with the name of each stage as it starts.
    exclude_items, keep_items, detect_non_products
        Which lines are not merchandise and never reach the model (postage, fees, vouchers,
        ...): found in long order tables unless ``detect_non_products=False``, plus
        ``exclude_items``, minus ``keep_items``; see :func:`recommender.io.read_baskets`.
        They are listed, with their line counts and reasons, in ``provenance["read"]``.
    fit_support : bool, optional
        When the support leaves more frequent pairs than ``max_pairs``, mine at the smallest
        support that fits instead of stopping, and record it (``provenance["support_fitted"]``).
        Default: when no support was given (neither ``min_support`` nor ``config``).
    learn_weights : bool
        Fit the item-item weights of the learned ranking (:mod:`recommender.mining.weights`).
        False leaves them out, for a model that ranks with the rules only (a threshold sweep,
        an evaluation of the rules' own ranking); it then ranks as with ``combine="max"``.
    table, query : str, optional
        With a database URL as ``orders`` (``postgresql://...``, ``sqlite:///shop.db``), the
        table of order lines or a ``SELECT`` of them: ``mine("sqlite:///shop.db", table="order_lines")``.
    half_life : float, optional
        Days after which an order counts half in the confidences and lifts the ranking uses:
        each basket weighs ``2 ** (-age / half_life)``, its age taken at the latest order
        (:mod:`recommender.mining.recency`). The thresholds and the hygiene stay on the raw
        basket counts, so the rules are the same; the orders need times. Default: every order
        counts the same.
    keep_customers, hash_customers : bool
        When orders carry a customer id, the model keeps a small summary per customer (value
        segment, whether among the customers behind 80% of the revenue, price level per
        category, items bought again and again: :mod:`recommender.mining.customers`), unless
        ``keep_customers`` is False; with ``hash_customers``, under keyed hashes of the ids only
        (the key in the ``RECOMMENDER_CUSTOMER_KEY`` environment variable).
    memory : int, optional
        Bytes the pair counts may take at once (blocks of the sparse product ``XᵀX`` are cut to
        fit; default: a quarter of the memory available). Lower it on a crowded machine.
    report_stages : callable, optional
        Called with one line per stage as it ends: its seconds and peak memory (``mine
        --verbose``); the same figures are in ``provenance["stages"]``.
    buy_again : int
        How many of an answer's places the items a known customer buys again take (a request
        with ``customer_id`` or ``history``; :mod:`recommender.ranking.customers`). Default 0:
        on Online Retail they cost hit rate, on the Complete Journey they gain
        (``benchmarks/README.md``).
    feedback : str, optional
        The URL of an events store (``sqlite:///events.db``, ``postgresql://...``): the model
        keeps the attach counts per (cart item, suggested item) of its events
        (:mod:`recommender.feedback.learn`), and the ranking moves its scores by them
        (:mod:`recommender.ranking.feedback`); ``provenance["feedback"]`` says where from and how
        many. A store that cannot be read stops mining before it starts.
    feedback_strength : float, optional
        With ``feedback``: the impressions the rule's evidence is worth in the ranking's prior
        (default 20); larger, the feedback moves the ranking more slowly.

    Examples
    --------
    >>> model = mine([["tea", "kettle"], ["tea", "kettle"], ["tea"], ["mug"]],
    ...              min_support=0.5, min_confidence=0.6)
    >>> model.rules[["antecedents", "consequent", "count", "confidence", "lift"]].to_dict("records")
    [{'antecedents': ('kettle',), 'consequent': 'tea', 'count': 2, 'confidence': 1.0, 'lift': 1.3333333333333333}, {'antecedents': ('tea',), 'consequent': 'kettle', 'count': 2, 'confidence': 0.6666666666666666, 'lift': 1.3333333333333333}]
    >>> from recommender import MiningConfig
    >>> same = mine([["tea", "kettle"], ["tea", "kettle"], ["tea"], ["mug"]],
    ...             config=MiningConfig(min_support=0.5, min_confidence=0.6))
    >>> same.rules["confidence"].tolist() == model.rules["confidence"].tolist()
    True
    """  # noqa: E501
    if fit_support is None:
        fit_support = config is None and "min_support" not in options
    config = mining_config(config, options, caller="mine")
    half_life = check_half_life(half_life)
    # Before the minutes of mining: a missing key is known at once.
    key = customer_key() if hash_customers and keep_customers else None
    buy_again = check_buy_again(buy_again)
    non_products = NonProductOptions.of(detect=detect_non_products, exclude=exclude_items, keep=keep_items)
    if engine not in ENGINES:
        raise ConfigError(f"engine must be one of {ENGINES}, got {engine!r}.")
    if engine != "spark" and (spark_master is not None or spark_conf):
        raise ConfigError(
            f"Spark settings (master {spark_master!r}, conf {spark_conf!r}) apply to the spark engine only, "
            f"and the engine is {engine!r}; add --engine spark (engine='spark'), or drop them."
        )
    if workers is None:
        workers = min(8, os.cpu_count() or 1)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"workers must be a whole number of processes of at least 1, got {workers!r}.")
    if memory is not None and (isinstance(memory, bool) or not isinstance(memory, int) or memory < MIN_MEMORY_BYTES):
        raise ConfigError(
            f"memory must be a whole number of bytes of at least {MIN_MEMORY_BYTES:,} (1 MB), got {memory!r}; "
            "give it as --memory 2G, say."
        )
    attached, strength = None, None
    if feedback is None and feedback_strength is not None:
        raise ConfigError(
            f"a feedback strength ({feedback_strength!r}) weighs the feedback of an events store, and none is "
            "given; add --feedback EVENTS_URL (feedback=), or drop --feedback-strength."
        )
    if feedback is not None:  # before the minutes of mining: a store that cannot be read is known at once
        from ..feedback.learn import check_strength, read_feedback

        strength = check_strength(feedback_strength)
        attached = read_feedback(feedback)
    say = progress or (lambda stage: logger.info("%s", stage))
    clock = StageClock(report_stages)
    lap = clock.lap

    say("reading orders")
    spark = SparkSettings.of(master=spark_master, conf=spark_conf) if engine == "spark" else None
    baskets: Baskets | SparkOrders = (
        _read(orders, format, columns, non_products, table=table, query=query)
        if spark is None
        else _read_for_spark(orders, format, columns, spark, non_products, table=table, query=query)
    )
    if half_life is not None and not isinstance(baskets, Baskets):
        raise ConfigError(
            "--half-life needs the orders' times on this machine, and Parquet orders read in Spark stay there; "
            "mine them with --engine mlxtend, or leave out --half-life."
        )
    given_catalog = None
    if catalog is not None:
        given_catalog = catalog_from_frame(catalog) if isinstance(catalog, pd.DataFrame) else read_catalog(catalog)
    categories_of = None
    if hierarchy is not None:
        categories_of = (
            hierarchy_from(hierarchy, level=hierarchy_level, items=baskets.items)
            if isinstance(hierarchy, (pd.DataFrame, Mapping))
            else read_hierarchy(hierarchy, level=hierarchy_level, items=baskets.items)
        )
    if isinstance(baskets, Baskets):
        _check_basket_sizes(baskets, config)
    lap("read")

    say("counting items")
    item_counts = baskets.item_counts()
    n_baskets = len(baskets)
    min_count = config.support_count(n_baskets)
    engine_notes: dict[str, Any] = {}
    notes: list[str] = []
    fitted: dict[str, Any] | None = None
    counted: PairCounts | None = None
    weights_fit: Beside[ItemWeights] | None = None
    try:
        if spark is None and isinstance(baskets, Baskets):
            # Every pair counted once, within the memory budget: the frequent ones are mined, the
            # co-bought ones back off the ranking, and those among the items the learned weights
            # model are their Gram matrix.
            counted = count_pairs(
                baskets, min_count=min_count, per_item=COBOUGHT_PER_ITEM, top_min_count=COBOUGHT_MIN_COUNT,
                memory_bytes=memory, dense_items=modelled_items(item_counts) if learn_weights else None,
                workers=workers,
            )  # fmt: skip
            if learn_weights:
                # The weights need nothing of the rules: fitted beside the mining when they are many.
                gram = counted.dense
                weights_fit = Beside(
                    lambda: fit_item_weights(baskets, gram=gram),
                    fork=workers > 1
                    and len(baskets.indices) >= FIT_BESIDE_MIN_LINES
                    and gram is not None
                    and len(gram) >= FIT_BESIDE_MIN_ITEMS,
                )
            reduced = reduce_for_mining(baskets, item_counts, min_count, pairs=counted.frequent)
            if fit_support:
                fitted = _support_that_fits_pairs(reduced, config, n_baskets, min_count)
                if fitted is not None:
                    config = replace(config, min_support=fitted["to"])
                    min_count = config.support_count(n_baskets)
                    notes.append(fitted["note"])
                    logger.info("%s", fitted["note"])
                    reduced = reduce_for_mining(baskets, item_counts, min_count, pairs=counted.frequent_at(min_count))
            _check_size(reduced, config, n_baskets, min_count)
            lap("encode")

            say(f"mining itemsets with {engine}")
            itemset_counts = _frequent_itemsets(reduced, min_count=min_count, max_len=config.max_len, workers=workers)
            mined_shape = (int(reduced.matrix.shape[0]), int(reduced.matrix.shape[1]))
        else:
            from .spark_engine import spark_frequent_itemsets

            mined = spark_frequent_itemsets(
                baskets, item_counts, min_count=min_count, max_len=config.max_len, max_pairs=config.max_pairs,
                settings=spark, progress=say,
            )  # fmt: skip
            itemset_counts, engine_notes = mined.itemsets, {"spark": mined.provenance}
            mined_shape = (mined.mined_baskets, mined.mined_items)
        lap("mine")

        say("building rules")
        rules = rules_from_itemsets(
            itemset_counts, item_counts, min_confidence=config.min_confidence, max_len=config.max_len
        )
        say("testing rules")
        rules, hygiene = apply_hygiene(rules, item_counts, n_baskets, config)
        bundles = tuple(
            sorted(
                ((itemset, count) for itemset, count in itemset_counts.items() if len(itemset) <= BUNDLE_MAX_ITEMS),
                key=lambda pair: (len(pair[0]), pair[0]),
            )
        )
        recency = None
        if half_life is not None and isinstance(baskets, Baskets):
            say("weighing recent orders")
            recency = recency_of(baskets, rules, half_life)
        lap("rules")

        merged_catalog = with_categories(merge_catalogs(given_catalog, baskets.catalog), categories_of, baskets.items)
        say("mining category rules")
        category_model = (
            _mine_categories(baskets, merged_catalog, config, min_count=min_count, workers=workers)
            if isinstance(baskets, Baskets)
            else _Categories()  # orders kept in Spark: no category baskets on the driver
        )
        lap("category_rules")
        say("counting pairs below the support")
        cobought = top_cobought(baskets, pairs=counted, memory_bytes=memory) if isinstance(baskets, Baskets) else ()
        lap("cobought")
        say("fitting item weights")
        beside = weights_fit is not None and weights_fit.forked
        weights = None if weights_fit is None else weights_fit.result()
        lap("weights", note="fitted in a process beside the mining: the wait after it" if beside else None)
    finally:
        if weights_fit is not None:
            weights_fit.close()  # a fit whose result was not taken (mining stopped) is stopped
    say("summarising customers")
    customers = (
        summarise_customers(baskets, merged_catalog, key=key, again_slots=buy_again)
        if keep_customers and isinstance(baskets, Baskets)
        else None
    )
    lap("customers")
    say("counting trade-ups")
    tradeups, buyers = count_tradeups(baskets, merged_catalog) if isinstance(baskets, Baskets) else ((), ())
    lap("tradeups")
    if not len(rules):
        notes.append(_no_rules_note(config, itemset_counts, item_counts, n_baskets, min_count, hygiene, cobought,
                                    baskets.items))  # fmt: skip
        logger.info("%s", notes[-1])
    longer = sum(1 for itemset in itemset_counts if len(itemset) > 2)
    if longer > DENSE_ITEMSETS:
        notes.append(
            f"{longer:,} itemsets of three items or more ({len(rules):,} rules): the baskets are dense, and mining "
            "them takes long; --max-len 2 or a higher --min-support mines in seconds: the learned ranking (the "
            "default) does not use the longer rules for cross-sell (bundles of three items do)"
        )
        logger.info("%s", notes[-1])
    created_at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    content = baskets.source.sha256 or baskets.content_sha256()
    n_frequent = int((item_counts >= min_count).sum())
    feedback_section, feedback_notes = None, None
    if attached is not None and feedback is not None and strength is not None:
        from ..feedback.learn import feedback_of, public_url

        feedback_section, feedback_notes = feedback_of(
            attached, baskets.items, rules, source=public_url(feedback), strength=strength
        )
    data = ModelData(
        model_id=new_model_id(created_at, content),
        created_at=created_at,
        n_baskets=n_baskets,
        items=baskets.items,
        item_counts=tuple(int(c) for c in item_counts),
        rules=rules,
        itemsets=bundles,
        tradeups=tradeups,
        buyers=buyers,
        catalog=_catalog_entries(merged_catalog),
        config={**config.as_dict(), "min_count": min_count, "engine": engine, "hygiene": hygiene},
        categories=category_model.names,
        category_counts=category_model.counts,
        category_rules=category_model.rules,
        cobought=cobought,
        weights=() if weights is None else weights.triples,
        weight_terms=WeightTerms() if weights is None else weights.terms,
        recency=recency,
        customers=customers,
        feedback=feedback_section,
        provenance={
            "input": {**baskets.source.as_dict(), "sha256": content},
            "read": baskets.summary.as_dict(),
            "counts": {
                "baskets": n_baskets,
                "items": baskets.n_items,
                "frequent_items": n_frequent,
                "frequent_itemsets": n_frequent + len(itemset_counts),
                "rules": len(rules),
                "category_rules": len(category_model.rules),
                "mined_baskets": mined_shape[0],
                "mined_items": mined_shape[1],
            },
            "timings_seconds": clock.seconds,
            "stages": clock.as_dict(),
            "versions": _versions(engine),
            **engine_notes,
            "weights": None if weights is None else weights.as_dict(),
            "has_customers": baskets.customers is not None,
            "has_timestamps": baskets.timestamps is not None,
            "customers": {
                "kept": customers is not None,
                "count": 0 if customers is None else len(customers.ids),
                "hashed": customers is not None and customers.hashed,
            },
            "recency": None
            if recency is None
            else {"half_life_days": recency.half_life_days, "at": recency.at, "weighted_baskets": recency.baskets},
            "feedback": feedback_notes,
            "non_products": {
                **non_products.as_dict(),
                "detected_in": "spark: not looked for" if isinstance(baskets, SparkOrders) else "reading",
            },
            **({"support_fitted": {k: v for k, v in fitted.items() if k != "note"}} if fitted else {}),
            "notes": notes,
        },
    )
    return Model(data, baskets=baskets if isinstance(baskets, Baskets) else None)


@dataclass(frozen=True)
class _Categories:
    names: tuple[str, ...] = ()
    counts: tuple[int, ...] = ()
    rules: RuleCounts = RuleCounts()


def _mine_categories(
    baskets: Baskets, catalog: pd.DataFrame | None, config: MiningConfig, *, min_count: int, workers: int
) -> _Categories:
    """Rules between the baskets' categories, at the items' thresholds (at most two categories
    on the left), with the same hygiene; nothing when no item has a category."""
    by_category = category_baskets(baskets, catalog)
    if by_category is None:
        return _Categories()
    counts = by_category.item_counts()
    max_len = min(config.max_len, CATEGORY_MAX_LEN)
    reduced = reduce_for_mining(by_category, counts, min_count)
    itemsets = _frequent_itemsets(reduced, min_count=min_count, max_len=max_len, workers=workers)
    rules = rules_from_itemsets(itemsets, counts, min_confidence=config.min_confidence, max_len=max_len)
    rules, _ = apply_hygiene(rules, counts, len(baskets), config)
    return _Categories(by_category.items, tuple(int(c) for c in counts), rules)


def _support_that_fits_pairs(
    reduced: Reduced, config: MiningConfig, n_baskets: int, min_count: int
) -> dict[str, Any] | None:
    """The smallest round support that leaves at most ``max_pairs`` frequent pairs, and a line
    saying so; None when the support given already fits."""
    counts = reduced.pairs[2]
    if config.max_pairs is None or len(counts) <= config.max_pairs:
        return None
    past = int(np.sort(counts)[::-1][config.max_pairs])
    support = support_that_fits(past, n_baskets)
    fitted_count = replace(config, min_support=support).support_count(n_baskets)
    note = (
        f"support {config.min_support:g} ({min_count:,} baskets) leaves {len(counts):,} frequent pairs, over the "
        f"budget of {config.max_pairs:,} (--max-pairs); mined at {support:g} ({fitted_count:,} baskets) instead "
        "(--min-support chooses the support)"
    )
    return {"from": config.min_support, "to": support, "pairs": int(len(counts)), "max_pairs": config.max_pairs,
            "note": note}  # fmt: skip


def _no_rules_note(
    config: MiningConfig,
    itemsets: Mapping[tuple[int, ...], int],
    item_counts: np.ndarray,
    n_baskets: int,
    min_count: int,
    hygiene: Mapping[str, Any],
    cobought: Sequence[tuple[int, int, int]],
    items: Sequence[str],
) -> str:
    """Why mining kept no rule, and what to change, with the numbers."""
    served = f"the model serves co-bought pairs ({len(cobought):,}) and popular items"
    pairs = [(members, count) for members, count in itemsets.items() if len(members) == 2]
    if hygiene.get("tested"):
        return (
            f"0 rules kept: the {hygiene['tested']:,} rules mined were all dropped by the rule hygiene (--max-p "
            f"{config.max_p}); raise --max-p or leave it out; {served}"
        )
    if pairs:
        best = max(count / int(item_counts[m]) for members, count in pairs for m in members)
        return (
            f"0 rules kept: {len(pairs):,} pairs are frequent at support {config.min_support:g} but none reaches "
            f"confidence {config.min_confidence:g} (the best is {best:.3g}); lower --min-confidence to {best:.2g} "
            f"or below; {served}"
        )
    floor = f" (--min-count {config.min_count:,} sets it)" if config.min_count >= min_count > 1 else ""
    if not cobought:
        return (
            f"0 rules kept: no two items are bought together in two baskets or more of {n_baskets:,}, so there "
            f"is nothing to mine; check that each order's lines share one order id; {served}"
        )
    a, b, count = max(cobought, key=lambda entry: (entry[2], -entry[0], -entry[1]))
    top = count / n_baskets
    below = float(f"{top:.2g}")
    if below > top:  # rounded up: one step of the second digit down
        below = float(f"{below - 10 ** (math.floor(math.log10(below)) - 1):.2g}")
    return (
        f"0 rules kept: no pair of items is in {min_count:,} baskets (support {config.min_support:g}){floor}; the "
        f"most frequent pair, {items[a]} and {items[b]}, is in {count:,} of {n_baskets:,} baskets (support "
        f"{top:.3g}): lower --min-support to {below:g} or below for rules; {served}"
    )


def _check_basket_sizes(baskets: Baskets, config: MiningConfig) -> None:
    """Refuse a basket with more distinct items than ``max_basket_items``, before any pair of
    items is counted: the pairs of a basket, and the work and memory of every stage that
    pairs items up, grow with the square of its size."""
    if config.max_basket_items is None or not len(baskets):
        return
    sizes = np.diff(baskets.indptr)
    largest = int(np.argmax(sizes))
    size = int(sizes[largest])
    if size <= config.max_basket_items:
        return
    which = (
        f"order {baskets.basket_ids[largest]!r}"
        if baskets.basket_ids is not None
        else f"basket {largest + 1:,} (in file order)"
    )
    over = int((sizes > config.max_basket_items).sum())
    others = f", and {over - 1:,} more baskets hold over {config.max_basket_items:,}" if over > 1 else ""
    raise InputError(
        f"{which} holds {size:,} distinct items ({size * (size - 1) // 2:,} pairs to count){others}, more than "
        f"max_basket_items {config.max_basket_items:,}; check that every order has its own id (a missing or constant "
        "order column makes one basket of all the lines), or raise --max-basket-items (0: no limit)."
    )


def _check_size(reduced: Reduced, config: MiningConfig, n_baskets: int, min_count: int) -> None:
    """Stop before mining when the thresholds leave more frequent pairs than allowed, and say
    which support would fit."""
    counts = reduced.pairs[2]
    if config.max_pairs is None or len(counts) <= config.max_pairs:
        return
    # The smallest support that keeps at most max_pairs pairs: one basket above the count of
    # the first pair past the limit.
    past = int(np.sort(counts)[::-1][config.max_pairs])
    suggestion = support_that_fits(past, n_baskets)
    raise ConfigError(
        f"at min_support {config.min_support:g} ({min_count:,} baskets) these {n_baskets:,} orders hold "
        f"{len(counts):,} frequent pairs of items, more than max_pairs {config.max_pairs:,}: mining would take "
        f"long and the model would be too large to serve well; raise --min-support to {suggestion:g} or more "
        f"(long baskets need a higher support), or raise --max-pairs."
    )


def _frequent_itemsets(reduced: Reduced, *, min_count: int, max_len: int, workers: int) -> dict[tuple[int, ...], int]:
    """Frequent itemsets of two or more items, as sorted tuples of vocabulary indices.

    Pairs come exactly from the sparse pair counts; larger itemsets from mining the
    conditional databases of :mod:`.partition` with mlxtend.
    """
    from .mlxtend_engine import mine_batches

    items = reduced.items
    first, second, counts = reduced.pairs
    found: dict[tuple[int, ...], int] = {
        (int(items[a]), int(items[b])): int(c) for a, b, c in zip(first.tolist(), second.tolist(), counts.tolist())
    }
    if max_len >= 3:
        batches = conditional_batches(reduced.matrix, reduced.pair_keys, min_count=min_count)
        for columns, count in mine_batches(batches, min_count=min_count, max_len=max_len, workers=workers):
            found[tuple(int(items[j]) for j in columns)] = count
    return found


def _catalog_entries(catalog: pd.DataFrame | None) -> dict[str, CatalogEntry]:
    if catalog is None:
        return {}
    return {
        str(item_id): CatalogEntry(
            name=_text(row.get("name")),
            category=_text(row.get("category")),
            family=_text(row.get("family")),
            brand=_text(row.get("brand")),
            price=_number(row.get("price")),
            margin=_number(row.get("margin")),
            in_stock=bool(row.get("in_stock", True)),
            active=bool(row.get("active", True)),
        )
        for item_id, row in zip(catalog.index, catalog.to_dict("records"))
    }


def _text(value: Any) -> str | None:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _versions(engine: str) -> dict[str, Any]:
    import scipy

    from .. import __version__

    versions: dict[str, Any] = {
        "recommender": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "scipy": scipy.__version__,
    }
    if engine == "mlxtend":
        from .mlxtend_engine import mlxtend_version

        versions["mlxtend"] = mlxtend_version()
    if engine == "spark":
        from .spark_engine import spark_version

        versions["pyspark"] = spark_version()
    return versions


def _read(
    orders: OrdersInput,
    format: str,
    columns: ColumnSpec | Mapping[str, str | None] | None,
    non_products: NonProductOptions,
    *,
    table: str | None = None,
    query: str | None = None,
) -> Baskets:
    return read_baskets(
        orders, format=format, columns=columns, exclude_items=non_products.exclude, keep_items=non_products.keep,
        detect_non_products=non_products.detect, table=table, query=query,
    )  # fmt: skip


def _read_for_spark(
    orders: OrdersInput,
    format: str,
    columns: ColumnSpec | Mapping[str, str | None] | None,
    spark: SparkSettings,
    non_products: NonProductOptions,
    *,
    table: str | None = None,
    query: str | None = None,
) -> Baskets | SparkOrders:
    """Start Spark (failing fast without Java or pyspark), then read: Parquet stays in Spark,
    without looking for non-product lines (the pandas reader's rules need every line of an item)."""
    from .spark_engine import read_orders, reads_in_spark, spark_session

    from_database = table is not None or query is not None or is_database_url(orders)
    if not from_database and reads_in_spark(orders, format=format):
        if non_products.exclude:
            raise ConfigError(
                f"items to exclude ({', '.join(sorted(non_products.exclude)[:3])}, ...) cannot be left out of Parquet "
                "orders read in Spark; mark them inactive in --catalog (never suggested), or mine with --engine "
                "mlxtend."
            )
        return read_orders(orders, format=format, columns=columns, settings=spark)
    spark_session(spark)
    return _read(orders, format, columns, non_products, table=table, query=query)
