"""Trade-ups: which pricier item of the same family did buyers of an item go on to buy?

Counted from orders that carry customers and times: a customer trades up from ``a`` to ``b``
when ``b`` is of ``a``'s family, costs more, and the customer bought ``b`` after first buying
``a``. These counts are the evidence behind upgrade suggestions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..io.baskets import Baskets

__all__ = ["count_tradeups"]


def count_tradeups(
    baskets: Baskets, catalog: pd.DataFrame | None
) -> tuple[tuple[tuple[int, int, int], ...], tuple[int, ...]]:
    """Trade-up counts ``(a, b, customers)`` and customers per item (vocabulary indices).

    Empty when the orders have no customers, no times, or the catalog no families and prices.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from recommender.io import read_baskets
    >>> orders = pd.DataFrame({"order": ["1", "2", "3"], "item": ["kettle", "smart kettle", "kettle"],
    ...                        "customer": ["ann", "ann", "bob"],
    ...                        "date": ["2024-01-01", "2024-02-01", "2024-01-05"]})
    >>> baskets = read_baskets(orders)
    >>> catalog = pd.DataFrame({"family": ["kettle", "kettle"], "price": [20.0, 60.0]},
    ...                        index=["kettle", "smart kettle"])
    >>> count_tradeups(baskets, catalog)
    (((0, 1, 1),), (2, 1))
    """
    if baskets.customers is None:
        return (), ()
    lengths = np.diff(baskets.indptr)
    customer_of_basket = pd.Series(baskets.customers, dtype="string")
    lines = pd.DataFrame(
        {
            "customer": np.repeat(customer_of_basket.to_numpy(dtype=object), lengths),
            "item": baskets.indices.astype(np.int64),
        }
    )
    has_customer = lines["customer"].notna()
    buyers = lines[has_customer].drop_duplicates().groupby("item").size().reindex(range(baskets.n_items), fill_value=0)
    buyer_counts = tuple(int(c) for c in buyers.to_numpy())
    if baskets.timestamps is None or catalog is None or "family" not in catalog or "price" not in catalog:
        return (), buyer_counts
    lines["time"] = np.repeat(baskets.timestamps, lengths)
    info = catalog.reindex(list(baskets.items))[["family", "price"]].reset_index(drop=True)
    lines = lines[has_customer].join(info, on="item").dropna(subset=["family", "price", "time"])
    per_item = (
        lines.groupby(["customer", "item"])
        .agg(family=("family", "first"), price=("price", "first"), first=("time", "min"), last=("time", "max"))
        .reset_index()
    )
    pairs = per_item.merge(per_item, on=["customer", "family"], suffixes=("_a", "_b"))
    pairs = pairs[(pairs["price_b"] > pairs["price_a"]) & (pairs["last_b"] > pairs["first_a"])]
    counts = pairs.groupby(["item_a", "item_b"]).size().reset_index(name="customers")
    counts = counts.sort_values(["item_a", "customers", "item_b"], ascending=[True, False, True])
    tradeups = tuple(
        (int(a), int(b), int(c)) for a, b, c in zip(counts["item_a"], counts["item_b"], counts["customers"])
    )
    return tradeups, buyer_counts
