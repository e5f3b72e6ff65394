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

import numpy as np
import pandas as pd

from ..exceptions import InputError
from .baskets import Baskets, SourceInfo, baskets_from_pairs
from .catalog import catalog_from_lines
from .non_products import LeftOut, NonProductOptions, find_non_products
from .source import file_encoding, undecodable_line

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
    """Read a long order table from a CSV (any compression) or Parquet file or folder."""
    try:
        if path.is_dir() or path.suffix.lower() in {".parquet", ".pq"}:
            frame = pd.read_parquet(path)
        else:
            # Strings everywhere: ids such as StockCode 85123A or CustomerID 17850.0 must not
            # be turned into numbers; numeric columns are converted below with clear errors.
            frame = pd.read_csv(path, dtype=str, sep=_separator(path), encoding=file_encoding(path))
    except InputError:
        raise
    except UnicodeDecodeError:  # pandas names a position in a block of the file: name the line
        raise InputError(undecodable_line(path, what=what)) from None
    except (OSError, EOFError, ValueError, pd.errors.ParserError) as error:
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise InputError(f"cannot read {what}: {message}; check that it is a complete CSV or Parquet file.") from None
    return long_from_frame(frame, columns=columns, what=what, source=source, header_rows=1, non_products=non_products)


def _separator(path: Path) -> str:
    """Tab for .tsv; ';' for the exports of European tools; ',' otherwise."""
    from .source import data_suffix, open_text

    if data_suffix(path) == ".tsv":
        return "\t"
    with open_text(path) as handle:
        first = handle.readline()
    return ";" if first.count(";") > first.count(",") else ","


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
    rows_read = len(frame)

    order = _text(frame[role["order"]])
    item = _text(frame[role["item"]])
    keep = item.notna() & order.notna()
    missing_item = int((~keep).sum())

    quantity = _number(frame, role["quantity"], what, header_rows)
    price = _number(frame, role["price"], what, header_rows)
    line_total = _number(frame, role["line_total"], what, header_rows)

    # Online Retail's convention: an invoice number starting with C is a cancellation.
    cancelled = order.str.match(r"^[Cc]\d", na=False) & keep
    # A negative quantity (or, without one, a negative line total) is a return.
    signed = quantity if quantity is not None else line_total
    returned = ~cancelled & keep & (signed < 0) if signed is not None else cancelled & False
    keep &= ~cancelled & ~returned

    unit_price = price
    if unit_price is None and line_total is not None:
        qty = quantity if quantity is not None else pd.Series(1.0, index=frame.index)
        with np.errstate(divide="ignore", invalid="ignore"):
            unit_price = (line_total / qty.where(qty != 0)).astype(float)
    descriptions = _text(frame[role["name"]]) if role["name"] else None
    left_out, non_products_left = _non_product_lines(
        item, keep, options=non_products or NonProductOptions(), names=descriptions, unit_price=unit_price,
        quantity=quantity, line_total=line_total,
    )  # fmt: skip
    keep &= ~left_out

    customers = _text(frame[role["customer"]]) if role["customer"] else None
    if customers is not None:
        # IDs exported through a float column read like 17850.0.
        customers = customers.str.replace(r"^(\d+)\.0$", r"\1", regex=True)
    times = _times(frame, role["time"], what, header_rows)

    kept = np.flatnonzero(keep.to_numpy())
    order_kept = order.iloc[kept]
    codes, uniques = pd.factorize(order_kept, sort=False)
    basket_ids = tuple(str(u) for u in uniques)
    basket_customers: tuple[str | None, ...] | None = None
    basket_times: np.ndarray | None = None
    if customers is not None:
        first_customer = customers.iloc[kept].groupby(codes).first()
        basket_customers = tuple(
            None if pd.isna(c) else str(c) for c in first_customer.reindex(range(len(uniques))).tolist()
        )
    if times is not None:
        basket_times = times.iloc[kept].groupby(codes).min().reindex(range(len(uniques))).to_numpy()

    catalog = None
    if descriptions is not None or unit_price is not None:
        catalog = catalog_from_lines(
            item.iloc[kept],
            names=descriptions.iloc[kept] if descriptions is not None else None,
            prices=unit_price.iloc[kept] if unit_price is not None else None,
        )

    return baskets_from_pairs(
        codes.astype(np.int64),
        item.iloc[kept].to_numpy(dtype=object),
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


def _non_product_lines(
    item: pd.Series,
    keep: pd.Series,
    *,
    options: NonProductOptions,
    names: pd.Series | None,
    unit_price: pd.Series | None,
    quantity: pd.Series | None,
    line_total: pd.Series | None,
) -> tuple[pd.Series, tuple[LeftOut, ...]]:
    """Which kept lines are of items that are not merchandise, and those items with their
    line counts and reasons (most lines first)."""
    reasons: dict[str, str] = {}
    if options.detect:
        rows = np.flatnonzero(keep.to_numpy())
        nothing_sold = None
        if quantity is not None or unit_price is not None or line_total is not None:
            value = line_total if line_total is not None else unit_price
            none = pd.Series(False, index=item.index)
            if quantity is not None:
                none |= quantity == 0
            if value is not None:
                none |= value == 0
            nothing_sold = none.iloc[rows]
        reasons = find_non_products(
            item.iloc[rows],
            names=names.iloc[rows] if names is not None else None,
            unit_prices=unit_price.iloc[rows] if unit_price is not None else None,
            nothing_sold=nothing_sold,
        )
    for excluded in options.exclude:
        reasons.setdefault(excluded, "listed to exclude")
    for kept in options.keep:
        reasons.pop(kept, None)
    if not reasons:
        return pd.Series(False, index=item.index), ()
    left_out = keep & item.isin(list(reasons)).fillna(False).astype(bool)
    lines = item[left_out].value_counts()
    found = tuple(
        LeftOut(item=str(i), lines=int(n), reason=reasons[str(i)])
        for i, n in sorted(lines.items(), key=lambda pair: (-pair[1], str(pair[0])))
    )
    return left_out, found


def _text(column: pd.Series) -> pd.Series:
    """Ids as stripped strings; blanks become missing."""
    values = column.astype("string").str.strip()
    return values.mask(values == "")


def _number(frame: pd.DataFrame, column: str | None, what: str, header_rows: int) -> pd.Series | None:
    if column is None:
        return None
    raw = frame[column]
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        return raw.astype(float)
    text = raw.astype("string").str.strip()
    values = pd.to_numeric(text, errors="coerce")
    bad = _first_unparsed(values, text, header_rows)
    if bad is not None:
        raise InputError(
            f"{what}: column {column!r} must hold numbers, but {bad[0]} has {bad[1]!r}; fix that value "
            "(use a dot for decimals) or name another column."
        )
    return values.astype(float)


def _first_unparsed(parsed: pd.Series, text: pd.Series, header_rows: int) -> tuple[str, str] | None:
    """Where (line of the file, or row of the frame) and what the first value was that was
    written but could not be parsed; None when every written value parsed."""
    bad = parsed.isna() & text.notna() & (text != "")
    if not bad.any():
        return None
    position = int(np.flatnonzero(bad.to_numpy())[0])
    where = f"line {position + 1 + header_rows}" if header_rows else f"row {position}"
    return where, str(text.iloc[position])


def _times(frame: pd.DataFrame, column: str | None, what: str, header_rows: int) -> pd.Series | None:
    if column is None:
        return None
    raw = frame[column]
    if pd.api.types.is_datetime64_any_dtype(raw):
        parsed = pd.to_datetime(raw, utc=True)
    else:
        text = raw.astype("string").str.strip()
        parsed = pd.to_datetime(text, errors="coerce", utc=True, format="mixed")
        bad = _first_unparsed(parsed, text, header_rows)
        if bad is not None:
            raise InputError(
                f"{what}: column {column!r} must hold dates, but {bad[0]} has {bad[1]!r}; write dates as "
                "YYYY-MM-DD[ HH:MM:SS] or name another column."
            )
    return parsed.dt.tz_localize(None).astype("datetime64[ns]")
