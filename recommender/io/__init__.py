"""Readers: long orders, basket lines, DataFrames, Python lists and catalogs, all to :class:`Baskets`."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Union

import pandas as pd

from ..exceptions import InputError
from .basket_files import read_basket_lines
from .baskets import Baskets, ReadSummary, SourceInfo, without_items
from .catalog import CATALOG_COLUMNS, catalog_from_frame, read_catalog
from .database import is_database_url, read_database
from .non_products import LeftOut, NonProductOptions
from .orders import ColumnSpec, header_names_orders, long_from_frame, read_long
from .source import check_readable, file_sha256, guess_format

__all__ = [
    "Baskets",
    "ReadSummary",
    "SourceInfo",
    "ColumnSpec",
    "LeftOut",
    "NonProductOptions",
    "CATALOG_COLUMNS",
    "OrdersInput",
    "read_baskets",
    "read_catalog",
    "catalog_from_frame",
]

OrdersInput = Union[str, "os.PathLike[str]", pd.DataFrame, Baskets, Iterable[Iterable[Any]]]
FORMATS = ("auto", "long", "basket")


def read_baskets(
    source: OrdersInput,
    *,
    format: str = "auto",
    columns: ColumnSpec | Mapping[str, str | None] | None = None,
    exclude_items: Iterable[Any] | None = None,
    keep_items: Iterable[Any] | None = None,
    detect_non_products: bool = True,
    table: str | None = None,
    query: str | None = None,
) -> Baskets:
    """Read orders into :class:`Baskets`, whatever shape users have them in.

    Parameters
    ----------
    source : path, database URL, DataFrame, Baskets or iterable of baskets
        A long order file (CSV, compressed or not, or Parquet), a basket-per-line file
        (``.csv``/``.dat``, ``.gz``/``.xz`` too), a SQL database's URL (``postgresql://...``,
        ``sqlite:///shop.db``) with ``table`` or ``query``, a long DataFrame, or lists of item ids.
    format : {"auto", "long", "basket"}
        How a file is laid out; ``auto`` decides from the suffix and the header line.
    columns : ColumnSpec or mapping, optional
        Column names of a long table where they are not the usual ones.
    exclude_items, keep_items : iterables of item ids, optional
        Items to leave out besides the detected non-product lines (any input), and items never
        left out.
    detect_non_products : bool
        Leave out the lines of a long table's items that are not merchandise (postage, fees,
        adjustments, vouchers, coupon records), found by
        :func:`recommender.io.non_products.find_non_products` and counted in the summary.
        Basket files and lists carry no descriptions or prices: only ``exclude_items`` applies.
    table, query : str, optional
        With a database URL, exactly one: the table (or view) of order lines, or a ``SELECT``
        whose rows are order lines; read in chunks like a long file
        (:func:`recommender.io.database.read_database`).

    Examples
    --------
    >>> read_baskets([["tea", "kettle"], ["tea", "tea", "mug"], []]).summary.describe()
    '5 rows read: 2 baskets of 3 distinct items; dropped 1 empty baskets; 1 repeated lines of an item merged into its basket'
    """  # noqa: E501
    if format not in FORMATS:
        raise InputError(f"format must be one of {FORMATS}, got {format!r}.")
    options = NonProductOptions.of(detect=detect_non_products, exclude=exclude_items, keep=keep_items)
    if table is not None or query is not None or is_database_url(source):
        if not isinstance(source, str):
            raise InputError(
                f"a table or query is read from a database URL such as sqlite:///shop.db, not from a "
                f"{type(source).__name__}; pass the URL as the orders."
            )
        if format == "basket":
            raise InputError("a database table is read as long orders (one row per order line); drop format='basket'.")
        baskets = read_database(
            source, table=table, query=query, columns=ColumnSpec.coerce(columns), non_products=options
        )
        return _text_ids(baskets, f"orders from {baskets.source.name}")
    if isinstance(source, Baskets):
        return without_items(source, options.exclude)
    if isinstance(source, pd.DataFrame):
        frame_sha = pd.util.hash_pandas_object(source, index=False).to_numpy().tobytes()
        import hashlib

        info = SourceInfo(name="<DataFrame>", kind="dataframe", sha256=hashlib.sha256(frame_sha).hexdigest())
        baskets = long_from_frame(source, columns=columns, source=info, non_products=options)
        return _text_ids(baskets, "the DataFrame")
    if isinstance(source, (str, os.PathLike)):
        baskets = _read_file(Path(source), format=format, columns=ColumnSpec.coerce(columns), non_products=options)
        return _text_ids(baskets, f"orders file {str(source)!r}")
    if isinstance(source, (bytes, Mapping)) or not isinstance(source, Iterable):
        raise InputError(
            f"cannot read orders from a {type(source).__name__}; pass a file path, a pandas "
            "DataFrame with one row per order line, or a list of baskets (lists of item ids)."
        )
    return without_items(Baskets.from_lists(source), options.exclude)


# NUL and the other control characters (C0, DEL, C1): no shop's item id holds one, binary data does.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def _text_ids(baskets: Baskets, what: str) -> Baskets:
    """The baskets, unless item ids hold control characters: then the input is not a text export
    of orders (a binary file, or the wrong one), and mining it would only replace a good model."""
    bad = [item for item in baskets.items if _CONTROL.search(item)]
    if bad:
        raise InputError(
            f"{what} does not look like orders as text: {len(bad):,} of its {len(baskets.items):,} item ids hold "
            f"control characters (e.g. {bad[0][:20]!r}); check that it is the right file, exported as CSV or Parquet."
        )
    return baskets


def _read_file(path: Path, *, format: str, columns: ColumnSpec, non_products: NonProductOptions) -> Baskets:
    what = f"orders file {str(path)!r}"
    check_readable(path, "orders")
    layout = guess_format(path, header_has_columns=header_names_orders) if format == "auto" else format
    sha, size = file_sha256(path)
    info = SourceInfo(name=path.name, kind=f"file:{layout}", sha256=sha, size_bytes=size)
    if layout == "long":
        return read_long(path, columns=columns, what=what, source=info, non_products=non_products)
    return without_items(read_basket_lines(path, source=info, what=what), non_products.exclude)
