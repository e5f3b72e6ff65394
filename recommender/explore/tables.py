"""The model as pandas tables with product names: rules, bundles, attach rates, upgrades."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import ConfigError
from ..model import Model
from ..ranking import Recommender

__all__ = ["SORTABLE", "rules_table", "top_bundles", "attach_rates", "upgrade_paths"]

SORTABLE = ("lift", "confidence", "support", "count", "leverage", "conviction")

_SEP = " + "


def _categories(model: Model) -> dict[str, str | None]:
    return {item: entry.category for item, entry in model.data.catalog.items()}


def _resolve(model: Model, item: str) -> str:
    """An item id from an id or an exact catalog name (strict: offline code raises)."""
    key = str(item).strip()
    if key in model.data.catalog or key in set(model.data.items):
        return key
    by_name = [i for i, entry in model.data.catalog.items() if entry.name == key]
    if len(by_name) == 1:
        return by_name[0]
    raise ConfigError(f"item {item!r} is neither an item id nor the name of one product; pick one of model.items.")


def rules_table(
    model: Model,
    *,
    item: str | None = None,
    category: str | None = None,
    min_lift: float | None = None,
    min_confidence: float | None = None,
    min_support: float | None = None,
    min_count: int | None = None,
    sort: str = "lift",
    top: int | None = None,
) -> pd.DataFrame:
    """The rules with product names, filtered and sorted, one row per rule.

    Parameters
    ----------
    model : Model
    item : str, optional
        Keep rules where this item (an id or an exact product name) is on either side.
    category : str, optional
        Keep rules whose consequent (the suggested item) is of this catalog category.
    min_lift, min_confidence, min_support, min_count : optional
        Inclusive floors on the rule's metrics and basket count.
    sort : {"lift", "confidence", "support", "count", "leverage", "conviction"}
        Sorted descending by this, then by confidence, count and the item ids.
    top : int, optional
        Keep the first ``top`` rows.

    Returns
    -------
    pandas.DataFrame
        ``if_bought`` (antecedent names joined by " + "), ``then_bought`` (consequent name),
        ``antecedents``, ``consequent``, ``category`` (of the consequent), ``count``,
        ``support``, ``confidence``, ``lift``, ``leverage``, ``conviction``.

    Examples
    --------
    >>> from recommender import mine
    >>> model = mine([["tea", "kettle"], ["tea", "kettle"], ["tea"], ["mug", "cake"], ["mug", "cake"]],
    ...              min_support=0.4)
    >>> rules_table(model, item="kettle", sort="confidence")[["antecedents", "consequent", "confidence"]]
      antecedents consequent  confidence
    0   (kettle,)        tea    1.000000
    1      (tea,)     kettle    0.666667
    """
    if sort not in SORTABLE:
        raise ConfigError(f"sort must be one of {SORTABLE}, got {sort!r}.")
    rules = model.rules
    keep = np.ones(len(rules), dtype=bool)
    if item is not None:
        wanted = _resolve(model, item)
        keep &= np.asarray([c == wanted or wanted in a for a, c in zip(rules["antecedents"], rules["consequent"])],
                           dtype=bool)  # fmt: skip
    categories = _categories(model)
    category_of = rules["consequent"].map(lambda c: categories.get(c))
    if category is not None:
        keep &= (category_of == category).to_numpy(dtype=bool)
    for column, floor in (("lift", min_lift), ("confidence", min_confidence), ("support", min_support),
                          ("count", min_count)):  # fmt: skip
        if floor is not None:
            keep &= (rules[column] >= floor).to_numpy(dtype=bool)
    table = pd.DataFrame(
        {
            "if_bought": [_SEP.join(names) for names in rules["antecedent_names"]],
            "then_bought": rules["consequent_name"],
            "antecedents": rules["antecedents"],
            "consequent": rules["consequent"],
            "category": category_of,
            **{c: rules[c] for c in ("count", "support", "confidence", "lift", "leverage", "conviction")},
        }
    )[keep]
    # Full key: the metric, then confidence and count, then the ids (determinism).
    keys = {"confidence": ["confidence", "lift", "count"], "count": ["count", "confidence", "lift"]}.get(
        sort, [sort, "confidence", "count"]
    )
    table = table.assign(_a=table["antecedents"].map(_SEP.join)).sort_values(
        [*keys, "_a", "consequent"], ascending=[False, False, False, True, True], kind="mergesort"
    )
    table = table.drop(columns="_a").reset_index(drop=True)
    return table if top is None else table.head(top).reset_index(drop=True)


def top_bundles(model: Model, recommender: Recommender, n: int = 10) -> pd.DataFrame:
    """The product-page bundle of the most popular products, one row per distinct bundle.

    Products are taken by popularity; a bundle already listed for a more popular product
    (the same set of items) is not listed again.

    Returns
    -------
    pandas.DataFrame
        ``product``, ``product_name``, ``bundle`` (names joined by " + "), ``items``,
        ``baskets`` (holding the whole bundle), ``confidence`` (share of the product's baskets),
        ``lift``, ``total_price``, ``bundle_price``.

    Examples
    --------
    >>> from recommender import Recommender, mine
    >>> model = mine([["tea", "kettle"], ["tea", "kettle"], ["tea"], ["mug"]], min_support=0.5)
    >>> top_bundles(model, Recommender(model.data))[["product", "items", "baskets", "confidence"]]
      product          items  baskets  confidence
    0     tea  (tea, kettle)        2    0.666667
    """
    if n < 1:
        raise ConfigError(f"n must be at least 1, got {n!r}.")
    rows: list[dict[str, Any]] = []
    seen: set[frozenset[str]] = set()
    for item_id in model.items["item_id"]:
        bundle = recommender.bundle(item_id)
        if not bundle.found or frozenset(bundle.items) in seen:
            continue
        seen.add(frozenset(bundle.items))
        rows.append(
            {
                "product": item_id,
                "product_name": bundle.names[0],
                "bundle": _SEP.join(bundle.names),
                "items": bundle.items,
                "baskets": bundle.baskets,
                "confidence": bundle.confidence,
                "lift": bundle.lift,
                "total_price": bundle.total_price,
                "bundle_price": bundle.bundle_price,
            }
        )
        if len(rows) == n:
            break
    columns = ["product", "product_name", "bundle", "items", "baskets", "confidence", "lift", "total_price",
               "bundle_price"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def attach_rates(model: Model, item: str) -> pd.DataFrame:
    """What drives a product's attach rate: the rules that suggest it, strongest evidence first.

    ``share_of_item_baskets`` is the share of the item's baskets that also held the rule's
    antecedent (rule count / item count): how much of the item's sales each antecedent goes
    with. Shares of different antecedents overlap (one basket can hold several), so they do
    not add up to one. The table's ``attrs`` hold the item, its name and its basket count.

    Examples
    --------
    >>> from recommender import mine
    >>> model = mine([["tea", "kettle"], ["tea", "kettle"], ["tea", "mug"], ["tea"]], min_support=0.25)
    >>> drivers = attach_rates(model, "tea")
    >>> drivers[["if_bought", "count", "confidence", "share_of_item_baskets"]]
      if_bought  count  confidence  share_of_item_baskets
    0    kettle      2         1.0                   0.50
    1       mug      1         1.0                   0.25
    >>> drivers.attrs["item_baskets"]
    4
    """
    item_id = _resolve(model, item)
    rules = model.rules
    mine_ = rules[rules["consequent"] == item_id]
    items = list(model.data.items)
    item_count = int(model.data.item_counts[items.index(item_id)]) if item_id in items else 0
    table = pd.DataFrame(
        {
            "if_bought": [_SEP.join(n) for n in mine_["antecedent_names"]],
            "antecedents": mine_["antecedents"],
            "count": mine_["count"],
            "antecedent_count": mine_["antecedent_count"],
            "confidence": mine_["confidence"],
            "lift": mine_["lift"],
            "share_of_item_baskets": mine_["count"] / item_count if item_count else mine_["count"] * 0.0,
        }
    )
    table = table.assign(_a=table["antecedents"].map(_SEP.join)).sort_values(
        ["count", "confidence", "_a"], ascending=[False, False, True], kind="mergesort"
    )
    table = table.drop(columns="_a").reset_index(drop=True)
    table.attrs.update(item=item_id, name=model.name_of(item_id), item_baskets=item_count)
    return table


def upgrade_paths(model: Model, recommender: Recommender) -> pd.DataFrame:
    """Every upgrade the ranking may offer, per product family (or category), cheapest first.

    Returns
    -------
    pandas.DataFrame
        ``group`` (family, or category for items without one), ``item_id``, ``name``,
        ``price``, ``upgrade_id``, ``upgrade_name``, ``upgrade_price``, ``price_ratio``,
        ``tradeup_customers`` (buyers of the item who later bought the upgrade), ``share``
        (of the item's buyers; for an upgrade without trade-ups, the upgrade's popularity),
        ``basis`` (``traded_up``, ``family`` or ``category``), ``rank`` (1: offered first) and
        ``upgrade_sellable`` (False: out of stock, inactive or blocked, so not offered now).

    Examples
    --------
    >>> from recommender import Recommender, mine
    >>> catalog = pd.DataFrame({"item_id": ["k1", "k2"], "family": ["kettle"] * 2, "price": [20.0, 30.0]})
    >>> model = mine([["k1"], ["k2"], ["k1"]], min_support=0.3, catalog=catalog)
    >>> upgrade_paths(model, Recommender(model.data))[["group", "item_id", "upgrade_id", "price_ratio", "basis"]]
        group item_id upgrade_id  price_ratio   basis
    0  kettle      k1         k2          1.5  family
    """
    table = recommender.table
    rows = []
    for item, options in recommender.upgrades.items():
        for rank, (upgrade, share, customers, basis) in enumerate(options, start=1):
            price, upgrade_price = table.prices[item], table.prices[upgrade]
            rows.append(
                {
                    "group": table.families[item] or table.categories[item],
                    "item_id": table.ids[item],
                    "name": model.name_of(table.ids[item]),
                    "price": price,
                    "upgrade_id": table.ids[upgrade],
                    "upgrade_name": model.name_of(table.ids[upgrade]),
                    "upgrade_price": upgrade_price,
                    "price_ratio": upgrade_price / price if price and upgrade_price is not None else float("nan"),
                    "tradeup_customers": customers,
                    "share": share,
                    "basis": basis,
                    "rank": rank,
                    "upgrade_sellable": table.sellable[upgrade],
                }
            )
    columns = ["group", "item_id", "name", "price", "upgrade_id", "upgrade_name", "upgrade_price", "price_ratio",
               "tradeup_customers", "share", "basis", "rank", "upgrade_sellable"]  # fmt: skip
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values(["group", "price", "item_id", "rank"], ignore_index=True)
