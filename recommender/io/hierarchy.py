"""Item hierarchies: which category each item belongs to, for category-level rules.

A hierarchy is a table with an item column and one or more level columns (Groceries ships
``groceries_items.csv``: ``labels`` → ``level2`` → ``level1``). The item column is found by
the catalog's usual names; the level is the one named, or the catalog's category column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from ..exceptions import InputError
from .catalog import catalog_from_frame, read_table

__all__ = ["read_hierarchy", "hierarchy_from"]


def read_hierarchy(path: str | Path, *, level: str | None = None, items: Sequence[str] | None = None) -> dict[str, str]:
    """Read an item hierarchy file (CSV or Parquet) into ``{item_id: category}``.

    Parameters
    ----------
    path : path
        The table: an item column (item_id, sku, labels, ...) and level columns.
    level : str, optional
        The column that holds the categories (default: the catalog's category column, e.g.
        ``category``, ``level2``, ``department``).
    items : sequence of str, optional
        The items of the orders: the item column is then the one that names most of them
        (a hierarchy may hold codes and labels side by side).

    Raises
    ------
    InputError
        For a missing file, no item column, an unknown level, or no category at all.
    """
    path = Path(path)
    frame = read_table(path, "hierarchy")
    return hierarchy_from(frame, level=level, items=items, what=f"hierarchy {str(path)!r}")


def hierarchy_from(
    table: pd.DataFrame | Mapping[str, str],
    *,
    level: str | None = None,
    items: Sequence[str] | None = None,
    what: str = "the hierarchy",
) -> dict[str, str]:
    """``{item_id: category}`` from a table (see :func:`read_hierarchy`) or a mapping.

    Examples
    --------
    >>> table = pd.DataFrame({"labels": ["milk", "butter", "beer"],
    ...                       "level2": ["dairy", "dairy", "beverages"], "level1": ["fresh", "fresh", "drinks"]})
    >>> hierarchy_from(table)
    {'milk': 'dairy', 'butter': 'dairy', 'beer': 'beverages'}
    >>> hierarchy_from(table, level="level1")["beer"]
    'drinks'
    >>> coded = table.assign(item_code=["011", "012", "013"])
    >>> hierarchy_from(coded, items=["beer", "milk"])["beer"]
    'beverages'
    """
    if isinstance(table, Mapping):
        return {str(item): str(category) for item, category in table.items() if category is not None}
    frame = table
    if level is not None:
        if level not in frame.columns:
            raise InputError(
                f"{what} has no column {level!r}; the columns are {list(map(str, frame.columns))}: "
                "pass one of them as the level."
            )
        # The chosen level becomes the one category column the catalog reader looks for.
        others = [c for c in frame.columns if c != level and str(c).lower() != "category"]
        frame = frame[others].assign(category=frame[level])
    if items is not None:
        wanted = set(items)
        overlap = {column: int(frame[column].astype(str).str.strip().isin(wanted).sum()) for column in frame.columns}
        best = max(overlap, key=lambda column: overlap[column])
        if overlap[best] == 0:
            raise InputError(
                f"{what} names none of the orders' items in any column; check that it describes these orders."
            )
        frame = frame.drop(columns=[c for c in frame.columns if str(c).lower() == "item_id" and c != best])
        frame = frame.rename(columns={best: "item_id"})
    normalised = catalog_from_frame(frame, what=what, header_rows=1)
    categories = normalised["category"].dropna()
    if categories.empty:
        raise InputError(
            f"{what} has no category column (category, level2, department) or it is empty; "
            "name the column of categories with the level option."
        )
    return {str(item): str(category) for item, category in categories.items()}
