"""Baskets of categories: the input of category-level rules.

A rule between categories ("baskets with pasta also hold a sauce, 2.4x the usual rate")
has far more evidence than any rule between two of their products, so the ranking backs
off to it where an item's own rules are thin.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..io.baskets import Baskets, ReadSummary, SourceInfo
from ..io.catalog import CATALOG_COLUMNS

__all__ = ["category_baskets", "with_categories", "CATEGORY_MAX_LEN"]

# Category rules back off single items; two categories on the left say all they can.
CATEGORY_MAX_LEN = 3


def with_categories(
    catalog: pd.DataFrame | None, categories_of: Mapping[str, str] | None, items: Sequence[str]
) -> pd.DataFrame | None:
    """The catalog with its missing categories filled from a hierarchy (not modified).

    Examples
    --------
    >>> with_categories(None, {"milk": "dairy"}, ["milk", "beer"])["category"].to_dict()
    {'beer': None, 'milk': 'dairy'}
    """
    if not categories_of:
        return catalog
    if catalog is None:
        catalog = pd.DataFrame(index=pd.Index(sorted(items), name="item_id"), columns=list(CATALOG_COLUMNS))
        catalog = catalog.astype(object).where(catalog.notna(), None)
        catalog["in_stock"] = True
        catalog["active"] = True
    filled = catalog.copy()
    known = pd.Series(categories_of, dtype=object).reindex(filled.index)
    category = filled["category"].astype(object)
    filled["category"] = category.where(category.notna(), known).astype(object)
    filled["category"] = filled["category"].where(filled["category"].notna(), None)
    return filled


def category_baskets(baskets: Baskets, catalog: pd.DataFrame | None) -> Baskets | None:
    """Each basket as the set of its items' categories; ``None`` when no item has one.

    Items without a category are left out; a basket none of whose items has one is empty.

    Examples
    --------
    >>> b = Baskets.from_lists([["milk", "butter"], ["beer", "milk"], ["nuts"]])
    >>> catalog = with_categories(None, {"milk": "dairy", "butter": "dairy", "beer": "drinks"}, b.items)
    >>> c = category_baskets(b, catalog)
    >>> c.items, [c.basket(i) for i in range(len(c))]
    (('dairy', 'drinks'), [('dairy',), ('dairy', 'drinks'), ()])
    """
    if catalog is None or "category" not in catalog:
        return None
    of_item = catalog["category"].reindex(list(baskets.items))
    if of_item.isna().all():
        return None
    names, codes = np.unique(of_item.dropna().astype(str).to_numpy(), return_inverse=True)
    item_code = np.full(len(baskets.items), -1, dtype=np.int64)
    item_code[np.flatnonzero(of_item.notna().to_numpy())] = codes
    rows = np.repeat(np.arange(len(baskets), dtype=np.int64), np.diff(baskets.indptr))
    code = item_code[baskets.indices]
    known = code >= 0
    # Distinct (basket, category) pairs, sorted by basket then category: the CSR layout.
    keys = np.unique(rows[known] * len(names) + code[known])
    basket_of, category = np.divmod(keys, len(names))
    indptr = np.zeros(len(baskets) + 1, dtype=np.int64)
    np.cumsum(np.bincount(basket_of, minlength=len(baskets)), out=indptr[1:])
    return Baskets(
        items=tuple(str(n) for n in names),
        indptr=indptr,
        indices=category.astype(np.int32),
        summary=ReadSummary(rows_read=int(known.sum()), baskets=len(baskets), items=len(names)),
        source=SourceInfo(name=f"categories of {baskets.source.name}", kind="categories", sha256=""),
    )
