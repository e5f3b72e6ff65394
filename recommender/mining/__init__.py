"""Mining: baskets -> frequent itemsets (mlxtend) -> rules with counts -> a :class:`Model`."""

from __future__ import annotations

import logging
import os
import platform
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Unpack

import numpy as np
import pandas as pd

from ..artifact import new_model_id
from ..config import MiningConfig, MiningOptions, mining_config
from ..exceptions import ConfigError
from ..io import Baskets, ColumnSpec, OrdersInput, read_baskets, read_catalog
from ..io.catalog import catalog_from_frame, merge_catalogs
from ..io.hierarchy import hierarchy_from, read_hierarchy
from ..model import Model
from ..model_data import CatalogEntry, ModelData, RuleCounts
from .categories import CATEGORY_MAX_LEN, category_baskets, with_categories
from .cobought import top_cobought
from .encode import Reduced, reduce_for_mining, support_that_fits
from .hygiene import apply_hygiene
from .partition import conditional_batches
from .rules import rules_from_itemsets
from .spark_engine import SparkOrders, SparkSettings
from .tradeups import count_tradeups
from .weights import fit_item_weights

__all__ = ["mine", "ENGINES", "BUNDLE_MAX_ITEMS"]

logger = logging.getLogger(__name__)

ENGINES = ("mlxtend", "spark")
# Bundles are a product and one or two companions; larger itemsets serve rules only.
BUNDLE_MAX_ITEMS = 3

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
    **options: Unpack[MiningOptions],
) -> Model:
    """Mine association rules from orders into a :class:`~recommender.model.Model`.

    Parameters
    ----------
    orders : path, DataFrame, Baskets or list of baskets
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
        Processes to mine in (default: the machine's cores, at most 8); 1 mines in this one.
    spark_master, spark_conf
        With ``engine="spark"``: the master URL (default: a running session, else
        ``local[*]``) and Spark settings (``KEY=VALUE`` strings or a mapping).
    progress : callable, optional
        Called with the name of each stage as it starts.

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
    config = mining_config(config, options, caller="mine")
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
    say = progress or (lambda stage: logger.info("%s", stage))
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 4)
        clock = now

    say("reading orders")
    spark = SparkSettings.of(master=spark_master, conf=spark_conf) if engine == "spark" else None
    baskets: Baskets | SparkOrders = (
        read_baskets(orders, format=format, columns=columns)
        if spark is None
        else _read_for_spark(orders, format, columns, spark)
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
    lap("read")

    say("counting items")
    item_counts = baskets.item_counts()
    n_baskets = len(baskets)
    min_count = config.support_count(n_baskets)
    engine_notes: dict[str, Any] = {}
    if spark is None and isinstance(baskets, Baskets):
        reduced = reduce_for_mining(baskets, item_counts, min_count)
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
    cobought = top_cobought(baskets) if isinstance(baskets, Baskets) else ()
    lap("cobought")
    say("fitting item weights")
    weights = fit_item_weights(baskets) if isinstance(baskets, Baskets) else None
    lap("weights")
    say("counting trade-ups")
    tradeups, buyers = count_tradeups(baskets, merged_catalog) if isinstance(baskets, Baskets) else ((), ())
    lap("tradeups")
    created_at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    content = baskets.source.sha256 or baskets.content_sha256()
    n_frequent = int((item_counts >= min_count).sum())
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
            "timings_seconds": timings,
            "versions": _versions(engine),
            **engine_notes,
            "weights": None if weights is None else weights.as_dict(),
            "has_customers": baskets.customers is not None,
            "has_timestamps": baskets.timestamps is not None,
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


def _read_for_spark(
    orders: OrdersInput, format: str, columns: ColumnSpec | Mapping[str, str | None] | None, spark: SparkSettings
) -> Baskets | SparkOrders:
    """Start Spark (failing fast without Java or pyspark), then read: Parquet stays in Spark."""
    from .spark_engine import read_orders

    return read_orders(orders, format=format, columns=columns, settings=spark)
