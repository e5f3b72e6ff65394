"""Catalogs: what each item is called, costs, belongs to, and whether it can be sold.

A catalog comes from a file (``--catalog``) or is derived from order lines that carry a
description and a price. Either way it is one normalised table indexed by ``item_id`` with
the columns of :data:`CATALOG_COLUMNS`; unknown values are missing, never guessed.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import InputError
from .source import check_readable, data_suffix, file_encoding, undecodable_line

__all__ = ["CATALOG_COLUMNS", "read_catalog", "catalog_from_frame", "catalog_from_lines", "merge_catalogs"]

CATALOG_COLUMNS = ("name", "category", "family", "brand", "price", "margin", "in_stock", "active")

_ALIASES: dict[str, tuple[str, ...]] = {
    "item_id": ("itemid", "item", "productid", "product", "stockcode", "sku", "itemcode", "labels", "label"),
    "name": ("name", "description", "productname", "itemname", "title"),
    "category": ("category", "productcategory", "level2", "department", "categoryname"),
    "family": ("family", "productfamily", "producttype", "line", "productline"),
    "brand": ("brand", "manufacturer", "brandname"),
    "price": ("price", "unitprice", "listprice"),
    "margin": ("margin", "grossmargin", "marginrate"),
    "in_stock": ("instock", "stock", "available", "availability", "stocklevel"),
    "active": ("active", "isactive", "enabled", "status"),
}
_TRUE = {"1", "true", "t", "yes", "y", "in stock", "instock", "active", "available"}
_FALSE = {"0", "false", "f", "no", "n", "out of stock", "outofstock", "inactive", "discontinued", "unavailable"}


def _normal(name: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def read_catalog(path: str | Path) -> pd.DataFrame:
    """Read a catalog file (CSV or Parquet, any compression) into the normalised table.

    Raises
    ------
    InputError
        For a missing file, no item column, duplicate item ids, a non-numeric price.
    """
    path = Path(path)
    return catalog_from_frame(read_table(path, "catalog"), what=f"catalog {str(path)!r}", header_rows=1)


def read_table(path: Path, what: str) -> pd.DataFrame:
    """A CSV (as text, any compression) or Parquet table (file or folder) describing products."""
    check_readable(path, what)
    try:
        if data_suffix(path) in {".parquet", ".pq"} or path.is_dir():
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype=str, encoding=file_encoding(path))
    except UnicodeDecodeError:  # pandas names a position in a block of the file: name the line
        raise InputError(undecodable_line(path, what=f"{what} {str(path)!r}")) from None
    except (OSError, EOFError, ValueError, pd.errors.ParserError) as error:
        raise InputError(f"cannot read {what} {str(path)!r}: {str(error).strip()[:200]}; check the file.") from None


def catalog_from_frame(frame: pd.DataFrame, *, what: str = "the catalog", header_rows: int = 0) -> pd.DataFrame:
    """Normalise a catalog table (not modified): columns found by their usual names.

    Examples
    --------
    >>> table = pd.DataFrame({"sku": ["a", "b"], "price": ["1.5", "2"], "stock": ["yes", "0"]})
    >>> catalog_from_frame(table)[["price", "in_stock"]].to_dict("index")
    {'a': {'price': 1.5, 'in_stock': True}, 'b': {'price': 2.0, 'in_stock': False}}
    """
    if frame.empty:
        raise InputError(f"{what} has no rows; pass a table with one row per product.")
    by_normal: dict[str, str] = {}
    for column in frame.columns:
        by_normal.setdefault(_normal(column), str(column))
    found: dict[str, str] = {}
    for role, names in _ALIASES.items():
        for name in names:
            candidate = by_normal.get(name)
            if candidate is not None and candidate not in found.values():
                found[role] = candidate
                break
    if "item_id" not in found:
        raise InputError(
            f"{what} has no item column: none of {list(map(str, frame.columns))} is item_id, sku, "
            "product_id or StockCode; rename the column that holds the item ids to item_id."
        )
    if len(found) == 1:
        others = [str(column) for column in frame.columns if str(column) != found["item_id"]]
        raise InputError(
            f"{what} has item ids ({found['item_id']!r}) but no column the model can use: none of {others} is a "
            "name, category, family, brand, price, margin, in_stock or active column; rename the columns that "
            "hold them (e.g. product_category to category, product_type to family)."
        )
    ids = frame[found["item_id"]].astype("string").str.strip()
    if ids.isna().any() or (ids == "").any():
        line = int(np.flatnonzero((ids.isna() | (ids == "")).to_numpy())[0]) + 1 + header_rows
        raise InputError(f"{what}: line {line} has no item id; fill it in or remove the line.")
    duplicated = ids[ids.duplicated()]
    if len(duplicated):
        raise InputError(f"{what} lists item {duplicated.iloc[0]!r} more than once; keep one line per item.")
    out = pd.DataFrame(index=pd.Index(ids.to_numpy(dtype=object), name="item_id"))
    for role in ("name", "category", "family", "brand"):
        if role in found:
            values = frame[found[role]].astype("string").str.strip()
            out[role] = values.mask(values == "").to_numpy(dtype=object)
        else:
            out[role] = None
    for role in ("price", "margin"):
        out[role] = _numbers(frame, found.get(role), what, header_rows)
    for role in ("in_stock", "active"):
        out[role] = _flags(frame, found.get(role), what, header_rows)
    if (out["price"] < 0).any():
        bad = out.index[out["price"] < 0][0]
        raise InputError(f"{what}: item {bad!r} has a negative price; fix the price.")
    return out[list(CATALOG_COLUMNS)]


def catalog_from_lines(items: pd.Series, *, names: pd.Series | None, prices: pd.Series | None) -> pd.DataFrame:
    """A catalog derived from order lines: the most common description, the median positive price."""
    frame = pd.DataFrame({"item_id": items.to_numpy(dtype=object)})
    out = pd.DataFrame(index=pd.Index(sorted(frame["item_id"].unique()), name="item_id"))
    if names is not None:
        frame["name"] = names.to_numpy(dtype=object)
        named = frame.dropna(subset=["name"])
        counts = named.groupby(["item_id", "name"]).size().reset_index(name="n")
        # Most frequent description; ties go to the alphabetically first for determinism.
        counts = counts.sort_values(["item_id", "n", "name"], ascending=[True, False, True])
        out["name"] = counts.drop_duplicates("item_id").set_index("item_id")["name"]
    else:
        out["name"] = None
    for role in ("category", "family", "brand"):
        out[role] = None
    if prices is not None:
        frame["price"] = prices.to_numpy(dtype=float)
        positive = frame[frame["price"] > 0]
        out["price"] = positive.groupby("item_id")["price"].median().round(4)
    else:
        out["price"] = np.nan
    out["margin"] = np.nan
    out["in_stock"] = True
    out["active"] = True
    out["name"] = out["name"].astype(object).where(out["name"].notna(), None)
    return out[list(CATALOG_COLUMNS)]


def merge_catalogs(given: pd.DataFrame | None, derived: pd.DataFrame | None) -> pd.DataFrame | None:
    """The given catalog, its gaps filled from the one derived from the orders."""
    if given is None:
        return derived
    if derived is None:
        return given
    merged = given.copy()
    for column in ("name", "price"):
        fill = derived[column].reindex(merged.index)
        merged[column] = merged[column].where(merged[column].notna(), fill)
    extra = derived.loc[derived.index.difference(merged.index)]
    return pd.concat([merged, extra]).sort_index() if len(extra) else merged


def _numbers(frame: pd.DataFrame, column: str | None, what: str, header_rows: int) -> np.ndarray:
    if column is None:
        return np.full(len(frame), np.nan)
    text = frame[column].astype("string").str.strip()
    values = pd.to_numeric(text, errors="coerce")
    bad = values.isna() & text.notna() & (text != "")
    if bad.any():
        line = int(np.flatnonzero(bad.to_numpy())[0]) + 1 + header_rows
        raise InputError(
            f"{what}: column {column!r} must hold numbers, but line {line} has "
            f"{str(text.iloc[line - 1 - header_rows])!r}; fix the value (a dot for decimals)."
        )
    return values.to_numpy(dtype=float)


def _flags(frame: pd.DataFrame, column: str | None, what: str, header_rows: int) -> np.ndarray:
    if column is None:
        return np.ones(len(frame), dtype=bool)
    text = frame[column].astype("string").str.strip().str.lower()
    numeric = pd.to_numeric(text, errors="coerce")
    result = []
    for position, (value, number) in enumerate(zip(text.tolist(), numeric.tolist())):
        if pd.isna(value) or value == "":
            result.append(True)
        elif value in _TRUE:
            result.append(True)
        elif value in _FALSE:
            result.append(False)
        elif number == number:  # a stock level: sellable when above zero
            result.append(number > 0)
        else:
            raise InputError(
                f"{what}: column {column!r} must say yes/no (or a stock level), but line "
                f"{position + 1 + header_rows} has {value!r}; use true/false."
            )
    return np.asarray(result, dtype=bool)
