"""Long order tables: one row per order line, from CSV, Parquet or a DataFrame.

Columns are found by their usual names (``InvoiceNo``, ``basket_id``, ``StockCode``, ...)
or named by the caller. Cancellations, returns and rows without an item are dropped and
counted; everything a later stage may use (quantity, price, customer, time, description)
is kept.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ..exceptions import InputError
from .baskets import Baskets, SourceInfo, baskets_from_codes
from .catalog import catalog_from_lines
from .non_products import LeftOut, NonProductOptions, find_non_products
from .source import file_encoding, open_binary, undecodable_line

__all__ = ["ColumnSpec", "read_long", "long_from_frame", "header_names_orders"]

# Known names, compared after lower-casing and dropping everything but letters and digits.
CANDIDATES: dict[str, tuple[str, ...]] = {
    "order": (
        "orderid",
        "order",
        "invoiceno",
        "invoice",
        "invoiceid",
        "basketid",
        "basket",
        "transaction",
        "transactionid",
        "transactionno",
        "receipt",
        "receiptid",
        "ticket",
        "ticketid",
        "cartid",
        "orderno",
        "ordernumber",
        "billno",
        "tid",
    ),
    "item": (
        "itemid",
        "item",
        "productid",
        "product",
        "stockcode",
        "sku",
        "skuid",
        "itemcode",
        "productcode",
        "article",
        "articleid",
        "itemdescription",
        "upc",
        "ean",
    ),
    "quantity": ("quantity", "qty", "units", "count", "amount"),
    "price": ("unitprice", "price", "itemprice", "priceeach", "unitcost"),
    "line_total": ("salesvalue", "linetotal", "sales", "revenue", "total", "value", "netsales"),
    "customer": (
        "customerid",
        "customer",
        "clientid",
        "client",
        "userid",
        "user",
        "householdid",
        "household",
        "memberid",
        "membernumber",
        "member",
        "accountid",
    ),
    "time": (
        "invoicedate",
        "timestamp",
        "transactiontimestamp",
        "orderdate",
        "datetime",
        "date",
        "time",
        "ordertime",
        "createdat",
        "purchasedate",
    ),
    "name": ("description", "name", "productname", "itemname", "title", "productdescription"),
}


@dataclass(frozen=True, kw_only=True)
class ColumnSpec:
    """Names of the columns of a long order table; ``None`` means find it by its usual names.

    Examples
    --------
    >>> ColumnSpec(order="ticket_no").order
    'ticket_no'
    """

    order: str | None = None
    item: str | None = None
    quantity: str | None = None
    price: str | None = None
    line_total: str | None = None
    customer: str | None = None
    time: str | None = None
    name: str | None = None

    @classmethod
    def coerce(cls, value: ColumnSpec | Mapping[str, str | None] | None) -> ColumnSpec:
        if value is None:
            return cls()
        if isinstance(value, ColumnSpec):
            return value
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(value) - known)
        if unknown:
            raise InputError(f"unknown column role(s) {unknown}; the roles are {sorted(known)}.")
        return cls(**dict(value))


def _normal(name: object) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _resolve(columns: list[str], spec: ColumnSpec, what: str) -> dict[str, str | None]:
    """Map each role to a column of the table, explicit names first, then usual names."""
    by_normal: dict[str, str] = {}
    for column in columns:
        by_normal.setdefault(_normal(column), column)
    taken: set[str] = set()
    found: dict[str, str | None] = {}
    for role in ("order", "item", "quantity", "price", "line_total", "customer", "time", "name"):
        wanted = getattr(spec, role)
        if wanted is not None:
            if wanted not in columns:
                raise InputError(
                    f"{what} has no column {wanted!r} (given as the {role} column); its columns are {columns}."
                )
            found[role] = wanted
            taken.add(wanted)
    for role in ("order", "item", "quantity", "price", "line_total", "customer", "time", "name"):
        if role in found:
            continue
        found[role] = None
        for candidate in CANDIDATES[role]:
            match = by_normal.get(candidate)
            if match is not None and match not in taken:
                found[role] = match
                taken.add(match)
                break
    for role, option in (("order", "--order-col"), ("item", "--item-col")):
        if found[role] is None:
            examples = ", ".join(CANDIDATES[role][:5])
            raise InputError(
                f"{what} has no {role} column: none of its columns {columns} is a known name "
                f"({examples}, ...); name it with {option} (columns={{'{role}': ...}} in Python)."
            )
    return found


def header_names_orders(first_line: str) -> bool:
    """Whether a CSV's first line is a header naming an order or an item column.

    One known name is enough: a long table missing the other column then gets a clear
    error instead of being read as baskets of column names.
    """
    names = {_normal(cell) for cell in re.split(r"[,;\t]", first_line.strip())}
    return bool(names & (set(CANDIDATES["order"]) | set(CANDIDATES["item"])))


def read_long(
    path: Path,
    *,
    columns: ColumnSpec,
    what: str,
    source: SourceInfo,
    non_products: NonProductOptions | None = None,
) -> Baskets:
    """Read a long order table from a CSV (any compression) or Parquet file or folder.

    The file is read by pyarrow, only the columns the reader uses, and order and item ids
    (and the other text columns) as dictionary-encoded columns: one integer code per line
    and each distinct value once, never a Python object per line.
    """
    try:
        if path.is_dir() or path.suffix.lower() in {".parquet", ".pq"}:
            table = _read_parquet(path, columns, what)
        else:
            table = _read_csv(path, columns, what)
    except InputError:
        raise
    except UnicodeDecodeError:  # a reader that decodes in blocks only knows the block: name the line
        raise InputError(undecodable_line(path, what=what)) from None
    except (OSError, EOFError, ValueError, pd.errors.ParserError) as error:
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise InputError(f"cannot read {what}: {message}; check that it is a complete CSV or Parquet file.") from None
    coded = _table_columns(table)
    del table  # the codes and distinct values are all that is kept of the lines
    return _long_from_columns(
        coded, columns=columns, what=what, source=source, header_rows=1, non_products=non_products
    )


def _read_parquet(path: Path, spec: ColumnSpec, what: str) -> pa.Table:
    """The columns of a Parquet file or folder that the roles use, text columns dictionary-encoded."""
    import pyarrow.parquet as pq

    schema = pq.ParquetDataset(path).schema if path.is_dir() else pq.read_schema(path)
    # Columns pandas wrote from a frame's index are not columns of the table (pandas.read_parquet).
    index_columns = {c for c in (schema.pandas_metadata or {}).get("index_columns", []) if isinstance(c, str)}
    names = [name for name in schema.names if name not in index_columns]
    role = _resolve(names, spec, what)
    used = list(dict.fromkeys(c for c in role.values() if c is not None))
    text = [
        c for c in used if pa.types.is_string(schema.field(c).type) or pa.types.is_large_string(schema.field(c).type)
    ]
    return pq.read_table(path, columns=used, read_dictionary=text)


def _read_csv(path: Path, spec: ColumnSpec, what: str) -> pa.Table:
    """The columns of a CSV that the roles use, every one as dictionary-encoded text, with the
    missing values pandas knows (``NA``, ``NULL``, blanks, ...).

    A file pyarrow refuses (rows of uneven lengths, line ends inside quotes, header names
    repeated or blank) is read by pandas instead, with its messages and its rules for such
    files, so that every file reads as it did before.
    """
    import pyarrow.csv as pacsv

    encoding = file_encoding(path)
    read_options = pacsv.ReadOptions(encoding=encoding, block_size=_CSV_BLOCK_BYTES)
    parse_options = pacsv.ParseOptions(delimiter=_separator(path))
    try:
        with open_binary(path) as raw:
            names = pacsv.open_csv(raw, read_options=read_options, parse_options=parse_options).schema.names
        if len(set(names)) != len(names) or "" in names:
            raise _PandasReads
        role = _resolve(names, spec, what)
        used = list(dict.fromkeys(c for c in role.values() if c is not None))
        convert = pacsv.ConvertOptions(
            column_types={name: _DICTIONARY_TEXT for name in used},
            include_columns=used,
            null_values=list(PANDAS_NA_TEXT),
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        )
        with open_binary(path) as raw:
            return pacsv.read_csv(raw, read_options=read_options, parse_options=parse_options, convert_options=convert)
    except (pa.ArrowInvalid, _PandasReads):
        pass
    # Strings everywhere: ids such as StockCode 85123A or CustomerID 17850.0 must not be turned
    # into numbers; numeric columns are converted later with clear errors.
    frame = pd.read_csv(path, dtype=str, sep=_separator(path), encoding=encoding)
    return pa.Table.from_pandas(frame.set_axis([str(c) for c in frame.columns], axis=1), preserve_index=False)


# The text pandas.read_csv reads as missing (its documented default ``na_values``): a CSV reads
# the same whichever of the two readers takes it.
PANDAS_NA_TEXT = (
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA",
    "NULL", "NaN", "None", "n/a", "nan", "null",
)  # fmt: skip


class _PandasReads(Exception):
    """A CSV that pandas reads rather than pyarrow."""


# Text read as one integer code per line into the distinct values.
_DICTIONARY_TEXT = pa.dictionary(pa.int32(), pa.string())
# pyarrow's block of a CSV: each block holds its own dictionaries, so larger blocks hold fewer copies.
_CSV_BLOCK_BYTES = 16 << 20


def _separator(path: Path) -> str:
    """Tab for .tsv; ';' for the exports of European tools; ',' otherwise."""
    from .source import data_suffix, open_text

    if data_suffix(path) == ".tsv":
        return "\t"
    with open_text(path) as handle:
        first = handle.readline()
    return ";" if first.count(";") > first.count(",") else ","


@dataclass(frozen=True, eq=False)
class _Coded:
    """A column as one code per line (``-1`` for missing; int32) into its distinct values."""

    codes: np.ndarray
    values: pd.Series

    def take(self, values: np.ndarray, missing: Any) -> np.ndarray:
        """``values`` (one per distinct value) per line, ``missing`` where the line has none."""
        out = np.append(values, np.asarray([missing], dtype=values.dtype))
        return out[self.codes]


def _code_series(column: pd.Series) -> _Coded:
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    return _Coded(codes.astype(np.int32), pd.Series(uniques))


def _code_arrow(column: pa.ChunkedArray) -> _Coded:
    """Codes of a pyarrow column into one dictionary for the whole column (chunks of a
    dictionary column each have their own: combining them unifies those)."""
    if column.num_chunks == 0:
        return _Coded(np.zeros(0, dtype=np.int32), pd.Series([], dtype=object))
    # One hash pass over the whole column: encoding chunk by chunk, then unifying thousands
    # of chunk dictionaries of order ids, is many times slower.
    combined = column.combine_chunks()
    encoded = combined if pa.types.is_dictionary(combined.type) else combined.dictionary_encode()
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32, copy=False)
    return _Coded(codes, encoded.dictionary.to_pandas())


def _table_columns(table: pa.Table) -> dict[str, _Coded]:
    return {str(name): _code_arrow(table.column(i)) for i, name in enumerate(table.column_names)}


def long_from_frame(
    frame: pd.DataFrame,
    *,
    columns: ColumnSpec | Mapping[str, str | None] | None = None,
    what: str = "the orders DataFrame",
    source: SourceInfo | None = None,
    header_rows: int = 0,
    non_products: NonProductOptions | None = None,
) -> Baskets:
    """Baskets from a long order table held in a DataFrame (not modified).

    ``header_rows`` shifts row numbers in messages so that they match the file's lines.
    Lines of items that are not merchandise (postage, fees, vouchers, ...; see
    :func:`recommender.io.non_products.find_non_products`) are left out and counted, as
    ``non_products`` says (default: detect them).
    """
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"{what} must be a pandas DataFrame, got {type(frame).__name__}.")
    if frame.empty:
        raise InputError(f"{what} has no rows; pass a table with one row per order line.")
    spec = ColumnSpec.coerce(columns)
    names = [str(c) for c in frame.columns]
    frame = frame.set_axis(names, axis=1)
    role = _resolve(names, spec, what)
    # Only the columns of a role are coded (by hash, each distinct value once).
    used = dict.fromkeys(c for c in role.values() if c is not None)
    coded = {name: _code_series(frame[name]) for name in used}
    return _long_from_columns(
        coded, columns=spec, what=what, source=source, header_rows=header_rows, non_products=non_products
    )


def _long_from_columns(
    coded: dict[str, _Coded],
    *,
    columns: ColumnSpec,
    what: str,
    source: SourceInfo | None,
    header_rows: int,
    non_products: NonProductOptions | None,
) -> Baskets:
    """The reading rules on coded columns: each rule that looks at a value looks at each
    distinct value once, and lines only through their codes."""
    names = list(coded)
    if not names or len(next(iter(coded.values())).codes) == 0:
        raise InputError(f"{what} has no rows; pass a table with one row per order line.")
    role = _resolve(names, columns, what)
    rows_read = len(coded[names[0]].codes)

    order = _text_coded(coded[str(role["order"])])
    item = _text_coded(coded[str(role["item"])])
    keep = (item.codes >= 0) & (order.codes >= 0)
    missing_item = int((~keep).sum())

    quantity = _number(coded, role["quantity"], what, header_rows)
    price = _number(coded, role["price"], what, header_rows)
    line_total = _number(coded, role["line_total"], what, header_rows)

    # Online Retail's convention: an invoice number starting with C is a cancellation.
    cancelled = order.take(order.values.str.match(r"^[Cc]\d").to_numpy(dtype=bool), False) & keep
    # A negative quantity (or, without one, a negative line total) is a return.
    signed = quantity if quantity is not None else line_total
    returned = ~cancelled & keep & (signed < 0) if signed is not None else np.zeros(rows_read, dtype=bool)
    keep &= ~cancelled & ~returned

    unit_price = price
    if unit_price is None and line_total is not None:
        qty = quantity if quantity is not None else np.ones(rows_read)
        with np.errstate(divide="ignore", invalid="ignore"):
            unit_price = line_total / np.where(qty != 0, qty, np.nan)
    descriptions = _text_coded(coded[role["name"]]) if role["name"] else None
    left_out, non_products_left = _non_product_lines(
        item, keep, options=non_products or NonProductOptions(), names=descriptions, unit_price=unit_price,
        quantity=quantity, line_total=line_total,
    )  # fmt: skip
    keep &= ~left_out

    customers = _text_coded(coded[role["customer"]]) if role["customer"] else None
    if customers is not None:
        # IDs exported through a float column read like 17850.0.
        customers = _Coded(customers.codes, customers.values.str.replace(r"^(\d+)\.0$", r"\1", regex=True))
    times = _times(coded, role["time"], what, header_rows)

    # Baskets numbered in the order of their first kept line.
    codes, first_order = pd.factorize(order.codes[keep], sort=False)
    codes = codes.astype(np.int32)
    n_baskets = len(first_order)
    basket_ids = tuple(str(u) for u in order.values.to_numpy(dtype=object)[first_order])
    basket_customers: tuple[str | None, ...] | None = None
    basket_times: np.ndarray | None = None
    if customers is not None:
        # The first line of the basket that names a customer.
        customer_codes = customers.codes[keep]
        named = customer_codes >= 0
        first = pd.Series(customer_codes[named]).groupby(codes[named]).first().reindex(range(n_baskets))
        labels = customers.values.to_numpy(dtype=object)
        basket_customers = tuple(
            None if pd.isna(c) or pd.isna(labels[int(c)]) else str(labels[int(c)]) for c in first.tolist()
        )
    if times is not None:
        basket_times = pd.Series(times[keep]).groupby(codes).min().reindex(range(n_baskets)).to_numpy()

    item_kept = item.codes[keep]
    catalog = None
    if descriptions is not None or unit_price is not None:
        catalog = catalog_from_lines(
            _categorical(item, keep),
            names=_categorical(descriptions, keep) if descriptions is not None else None,
            prices=pd.Series(unit_price[keep]) if unit_price is not None else None,
        )

    return baskets_from_codes(
        codes,
        item_kept,
        item.values.to_numpy(dtype=object),
        rows_read=rows_read,
        source=source or SourceInfo(name=what, kind="dataframe", sha256=""),
        what=what,
        basket_ids=basket_ids,
        customers=basket_customers,
        timestamps=basket_times,
        catalog=catalog,
        extra_summary={
            "cancelled_rows": int(cancelled.sum()),
            "returned_rows": int(returned.sum()),
            "missing_item_rows": missing_item,
            "non_product_rows": int(left_out.sum()),
        },
        non_products=non_products_left,
    )


def _categorical(column: _Coded, rows: np.ndarray) -> pd.Series:
    """The values of ``rows`` as a categorical Series: a code per line, each value once."""
    return pd.Series(pd.Categorical.from_codes(column.codes[rows], categories=pd.Index(column.values, dtype=object)))


def _non_product_lines(
    item: _Coded,
    keep: np.ndarray,
    *,
    options: NonProductOptions,
    names: _Coded | None,
    unit_price: np.ndarray | None,
    quantity: np.ndarray | None,
    line_total: np.ndarray | None,
) -> tuple[np.ndarray, tuple[LeftOut, ...]]:
    """Which kept lines are of items that are not merchandise, and those items with their
    line counts and reasons (most lines first)."""
    reasons: dict[str, str] = {}
    # Without descriptions, prices or quantities no rule applies: the lines are not looked at.
    if options.detect and (
        names is not None or unit_price is not None or line_total is not None or quantity is not None
    ):
        rows = np.flatnonzero(keep)
        nothing_sold = None
        if quantity is not None or unit_price is not None or line_total is not None:
            value = line_total if line_total is not None else unit_price
            none = np.zeros(len(keep), dtype=bool)
            if quantity is not None:
                none |= quantity == 0
            if value is not None:
                none |= value == 0
            nothing_sold = pd.Series(none[rows])
        reasons = find_non_products(
            _categorical(item, rows),
            names=_categorical(names, rows) if names is not None else None,
            unit_prices=pd.Series(unit_price[rows]) if unit_price is not None else None,
            nothing_sold=nothing_sold,
        )
    for excluded in options.exclude:
        reasons.setdefault(excluded, "listed to exclude")
    for kept in options.keep:
        reasons.pop(kept, None)
    if not reasons:
        return np.zeros(len(keep), dtype=bool), ()
    listed = item.values.isin(list(reasons)).to_numpy(dtype=bool)
    left_out = keep & item.take(listed, False)
    lines = np.bincount(item.codes[left_out], minlength=len(item.values))
    labels = item.values.tolist()
    found = tuple(
        LeftOut(item=str(labels[j]), lines=int(lines[j]), reason=reasons[str(labels[j])])
        for j in sorted(np.flatnonzero(lines).tolist(), key=lambda j: (-lines[j], str(labels[j])))
    )
    return left_out, found


def _text_coded(column: _Coded) -> _Coded:
    """Ids as stripped strings, blanks missing; values equal once stripped share one code."""
    codes, values = pd.factorize(_text(column.values), use_na_sentinel=True)
    return _Coded(column.take(codes.astype(np.int32), -1), pd.Series(values, dtype="string"))


def _text(column: pd.Series) -> pd.Series:
    """Ids as stripped strings; blanks become missing."""
    values = column.astype("string").str.strip()
    return values.mask(values == "")


def _number(coded: dict[str, _Coded], column: str | None, what: str, header_rows: int) -> np.ndarray | None:
    """The column's numbers per line (NaN where missing), each distinct value parsed once."""
    if column is None:
        return None
    raw = coded[column]
    if pd.api.types.is_numeric_dtype(raw.values) and not pd.api.types.is_bool_dtype(raw.values):
        return raw.take(raw.values.astype(float).to_numpy(), np.nan)
    text = raw.values.astype("string").str.strip()
    values = pd.to_numeric(text, errors="coerce")
    bad = _first_unparsed(values, text, raw.codes, header_rows)
    if bad is not None:
        raise InputError(
            f"{what}: column {column!r} must hold numbers, but {bad[0]} has {bad[1]!r}; fix that value "
            "(use a dot for decimals) or name another column."
        )
    return raw.take(values.astype(float).to_numpy(), np.nan)


def _first_unparsed(parsed: pd.Series, text: pd.Series, codes: np.ndarray, header_rows: int) -> tuple[str, str] | None:
    """Where (line of the file, or row of the frame) and what the first value was that was
    written but could not be parsed; None when every written value parsed. ``parsed`` and
    ``text`` hold the distinct values, ``codes`` the line's value."""
    bad = (parsed.isna() & text.notna() & (text != "")).to_numpy(dtype=bool)
    if not bad.any():
        return None
    position = int(np.flatnonzero(np.append(bad, False)[codes])[0])
    where = f"line {position + 1 + header_rows}" if header_rows else f"row {position}"
    return where, str(text.iloc[int(codes[position])])


def _times(coded: dict[str, _Coded], column: str | None, what: str, header_rows: int) -> np.ndarray | None:
    """The column's times per line (``datetime64[ns]``, UTC, NaT where missing), each distinct
    value parsed once."""
    if column is None:
        return None
    raw = coded[column]
    if pd.api.types.is_datetime64_any_dtype(raw.values):
        parsed = pd.to_datetime(raw.values, utc=True)
    else:
        text = raw.values.astype("string").str.strip()
        parsed = pd.to_datetime(text, errors="coerce", utc=True, format="mixed")
        bad = _first_unparsed(parsed, text, raw.codes, header_rows)
        if bad is not None:
            raise InputError(
                f"{what}: column {column!r} must hold dates, but {bad[0]} has {bad[1]!r}; write dates as "
                "YYYY-MM-DD[ HH:MM:SS] or name another column."
            )
    return raw.take(parsed.dt.tz_localize(None).astype("datetime64[ns]").to_numpy(), np.datetime64("NaT", "ns"))
