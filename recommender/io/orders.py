"""Long order tables: one row per order line, from CSV, Parquet or a DataFrame.

Columns are found by their usual names (``InvoiceNo``, ``basket_id``, ``StockCode``, ...)
or named by the caller. Cancellations, returns and rows without an item are dropped and
counted; everything a later stage may use (quantity, price, customer, time, description)
is kept.
"""

from __future__ import annotations

import mmap
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas._libs.hashtable import Int64HashTable

from ..exceptions import InputError
from .basket_runs import BasketRuns, rows_of_runs
from .baskets import Baskets, ReadSummary, SourceInfo, baskets_from_code_parts, ranked_items
from .catalog import catalog_from_lines
from .freed_memory import give_back_freed
from .non_products import LeftOut, NonProductOptions, find_non_products, never_sold
from .source import file_encoding, open_binary, undecodable_line

__all__ = ["ColumnSpec", "read_long", "long_from_frame", "long_from_batches", "header_names_orders"]

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
        "transactiondate",
        "transactiondt",
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


def _resolve(columns: list[str], spec: ColumnSpec, what: str, *, by_day: bool = False) -> dict[str, str | None]:
    """Map each role to a column of the table, explicit names first, then usual names.

    ``by_day``: a table without an order column but with a customer and a time column is
    accepted (the order role stays ``None``): its baskets are each customer's lines of one
    day, as :class:`_Reading` makes them. Without it (readers that cannot), it is refused.
    """
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
            if role == "order" and by_day and found["customer"] is not None and found["time"] is not None:
                continue  # baskets of a customer's day
            examples = ", ".join(CANDIDATES[role][:5])
            other = (
                " or, for baskets of each customer's lines of one day, name a customer and a time column "
                "(--customer-col, --time-col)"
                if role == "order" and by_day
                else ""
            )
            raise InputError(
                f"{what} has no {role} column: none of its columns {columns} is a known name "
                f"({examples}, ...); name it with {option} (columns={{'{role}': ...}} in Python){other}."
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

    The file is read by pyarrow a batch of lines at a time, only the columns the reader uses,
    text columns dictionary-encoded. Each batch's ids become integer codes into dictionaries
    that grow with the distinct ids, the reading rules are applied to the batch, and only the
    codes of its kept lines are kept: the lines' columns are never held all at once.
    """
    try:
        try:
            parquet = path.is_dir() or path.suffix.lower() in {".parquet", ".pq"}
            if parquet:
                names, batches = _parquet_batches(path, columns, what)
            else:
                names, batches = _csv_batches(path, columns, what)

            def read(day_first: bool | None) -> Baskets:
                nonlocal batches
                if day_first is not None:  # read again from the start
                    _, batches = _parquet_batches(path, columns, what) if parquet else _csv_batches(path, columns, what)
                columns_of = ({name: batch.column(name) for name in names} for batch in batches)
                return long_from_batches(
                    names, columns_of, columns=columns, what=what, source=source, header_rows=1,
                    non_products=non_products, day_first=day_first,
                )  # fmt: skip

            return day_first_again(read)
        except _WholeFile:
            table = _read_parquet(path, columns, what)
        except _PandasReads:
            table = _read_csv_by_pandas(path)
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


# Lines per batch read from Parquet; a batch's columns, parsed, take about 100 bytes a line.
BATCH_LINES = 65_536


class _WholeFile(Exception):
    """A Parquet folder whose files lack a used column (a partition column): read as one table."""


def _parquet_batches(path: Path, spec: ColumnSpec, what: str) -> tuple[list[str], Iterator[pa.RecordBatch]]:
    """The columns the roles use, and the batches of a Parquet file or folder, text columns
    dictionary-encoded."""
    import pyarrow.parquet as pq

    if path.is_dir():
        dataset = pq.ParquetDataset(path)
        schema, files = dataset.schema, [str(file) for file in dataset.files]
    else:
        schema, files = pq.read_schema(path), [str(path)]
    used, text = _parquet_columns(schema, spec, what)
    if any(not set(used) <= set(pq.read_schema(file).names) for file in files):
        raise _WholeFile

    def batches() -> Iterator[pa.RecordBatch]:
        for file in files:
            handle = pq.ParquetFile(file, read_dictionary=text)
            try:
                yield from handle.iter_batches(batch_size=BATCH_LINES, columns=used)
            finally:
                handle.close()

    return used, batches()


def _parquet_columns(schema: pa.Schema, spec: ColumnSpec, what: str) -> tuple[list[str], list[str]]:
    """The columns the roles use, and those of them that hold text."""
    # Columns pandas wrote from a frame's index are not columns of the table (pandas.read_parquet).
    index_columns = {c for c in (schema.pandas_metadata or {}).get("index_columns", []) if isinstance(c, str)}
    names = [name for name in schema.names if name not in index_columns]
    role = _resolve(names, spec, what, by_day=True)
    used = list(dict.fromkeys(c for c in role.values() if c is not None))
    text = [
        c for c in used if pa.types.is_string(schema.field(c).type) or pa.types.is_large_string(schema.field(c).type)
    ]
    return used, text


def _read_parquet(path: Path, spec: ColumnSpec, what: str) -> pa.Table:
    """The columns of a Parquet file or folder that the roles use, text columns dictionary-encoded."""
    import pyarrow.parquet as pq

    schema = pq.ParquetDataset(path).schema if path.is_dir() else pq.read_schema(path)
    used, text = _parquet_columns(schema, spec, what)
    return pq.read_table(path, columns=used, read_dictionary=text)


def _csv_batches(path: Path, spec: ColumnSpec, what: str) -> tuple[list[str], Iterator[pa.RecordBatch]]:
    """The columns of a CSV that the roles use, and its batches (a block of the file each), every
    column as dictionary-encoded text, with the missing values pandas knows (``NA``, ``NULL``,
    blanks, ...).

    A file pyarrow refuses (rows of uneven lengths, line ends inside quotes, header names
    repeated or blank) raises :class:`_PandasReads`, even after some batches: pandas then reads
    it whole, with its messages and its rules for such files, so that every file reads as it
    did before.
    """
    import pyarrow.csv as pacsv

    read_options = pacsv.ReadOptions(encoding=file_encoding(path), block_size=_CSV_BLOCK_BYTES)
    parse_options = pacsv.ParseOptions(delimiter=_separator(path))
    try:
        with open_binary(path) as raw:
            names = pacsv.open_csv(raw, read_options=read_options, parse_options=parse_options).schema.names
    except pa.ArrowInvalid:
        raise _PandasReads from None
    if len(set(names)) != len(names) or "" in names:
        raise _PandasReads
    role = _resolve(names, spec, what, by_day=True)
    used = list(dict.fromkeys(c for c in role.values() if c is not None))
    convert = pacsv.ConvertOptions(
        column_types={name: _DICTIONARY_TEXT for name in used},
        include_columns=used,
        null_values=list(PANDAS_NA_TEXT),
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
    )

    def batches() -> Iterator[pa.RecordBatch]:
        with open_binary(path) as raw:
            try:
                reader = pacsv.open_csv(
                    raw, read_options=read_options, parse_options=parse_options, convert_options=convert
                )
                yield from reader
            except pa.ArrowInvalid:
                raise _PandasReads from None

    return used, batches()


def _read_csv_by_pandas(path: Path) -> pa.Table:
    # Strings everywhere: ids such as StockCode 85123A or CustomerID 17850.0 must not be turned
    # into numbers; numeric columns are converted later with clear errors.
    frame = pd.read_csv(path, dtype=str, sep=_separator(path), encoding=file_encoding(path))
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
# pyarrow's block of a CSV, one batch of lines: tens of thousands of lines of a usual export.
_CSV_BLOCK_BYTES = 2 << 20


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
    """A column as one code per line (``-1`` for missing; int32) into its distinct values.

    ``source``, for a batch of an Arrow dictionary column: that dictionary, and the place in
    it of each of ``values``. The batches of a Parquet row group share their dictionary, so
    that an id of it is looked up once for the row group, not once per batch.
    """

    codes: np.ndarray
    values: pd.Series
    source: tuple[pa.Array, np.ndarray] | None = None

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


def _code_batch(column: pa.Array) -> _Coded:
    """Codes of a batch's column into the distinct values its lines use: a batch of a Parquet
    row group carries the whole row group's dictionary, which is cut to those values."""
    given = pa.types.is_dictionary(column.type)
    encoded = column if given else column.dictionary_encode()
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32, copy=False)
    values = encoded.dictionary
    used = np.flatnonzero(np.bincount(codes[codes >= 0], minlength=len(values)))
    if len(used) < len(values):
        renumber = np.full(len(values) + 1, -1, dtype=np.int32)  # the last for the missing lines' -1
        renumber[used] = np.arange(len(used), dtype=np.int32)
        codes, values = renumber[codes], values.take(pa.array(used))
    return _Coded(codes, values.to_pandas(), source=(encoded.dictionary, used) if given else None)


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
    role = _resolve(names, spec, what, by_day=True)
    # Only the columns of a role are coded (by hash, each distinct value once).
    used = dict.fromkeys(c for c in role.values() if c is not None)
    coded = {name: _code_series(frame[name]) for name in used}
    return _long_from_columns(
        coded, columns=spec, what=what, source=source, header_rows=header_rows, non_products=non_products
    )


def long_from_batches(
    names: list[str],
    batches: Iterable[Mapping[str, pa.Array]],
    *,
    columns: ColumnSpec,
    what: str,
    source: SourceInfo | None,
    header_rows: int = 0,
    non_products: NonProductOptions | None = None,
    day_first: bool | None = None,
) -> Baskets:
    """Baskets from a long order table given a batch of lines at a time: each batch an Arrow
    array per column of ``names`` (a CSV's block, a Parquet record batch, a database's chunk).

    Each batch's ids become codes into dictionaries that grow, the reading rules are applied
    to it, and only its kept lines' codes are kept: whatever the batches, the baskets of one
    batch holding every line.

    ``day_first``: whether dates such as 05-01-2015 put the day first; None: told by the first
    date that reads one way only (21-07-2015), and :class:`DayFirstLate` raised when that comes
    after dates read month first (:func:`day_first_again` reads the batches again then).
    """
    reading = _Reading(
        names, columns=columns, what=what, header_rows=header_rows, non_products=non_products, day_first=day_first
    )
    for batch in batches:
        reading.add({name: _code_batch(batch[name]) for name in names})
    return reading.finish(source)


def _long_from_columns(
    coded: dict[str, _Coded],
    *,
    columns: ColumnSpec,
    what: str,
    source: SourceInfo | None,
    header_rows: int,
    non_products: NonProductOptions | None,
) -> Baskets:
    """The reading rules on coded columns holding every line: one batch."""
    names = list(coded)
    if not names or len(next(iter(coded.values())).codes) == 0:
        raise InputError(f"{what} has no rows; pass a table with one row per order line.")
    reading = _Reading(names, columns=columns, what=what, header_rows=header_rows, non_products=non_products)
    reading.add(coded)
    return reading.finish(source)


class _Ids:
    """The distinct ids seen so far, each once, coded in the order first seen: ids stripped,
    blanks missing; values equal once stripped share one code.

    Held without a Python object per id, since order ids grow with the lines: the ids' UTF-8
    bytes one after another in a growing buffer (read as an Arrow string array, without a
    copy), and pandas' hash table of 64-bit integers from each id's 64-bit hash to its code
    (pandas has no public table that grows batch by batch; a dict of strings costs some 170
    bytes an id). An id found by its hash is compared with the id stored under that code, so
    that two ids sharing a hash never share a code: the later ones (not met in practice) are
    coded through a small dictionary.

    Ids that come as integers (order numbers in Parquet or a database) are coded by their
    value in a table of their own and kept as int64, made text only when asked for: no string
    and no hash per id while reading. Should an id of a later batch come as text, those read
    so far become text ids with the codes they had, and every id after it is coded as text.
    """

    def __init__(self) -> None:
        self.by_hash: Int64HashTable | None = Int64HashTable()
        self.count = 0
        self.data = np.zeros(1 << 12, dtype=np.uint8)  # the ids' UTF-8 bytes
        self.ends = np.zeros(1 << 8, dtype=np.int64)  # id k is data[ends[k]:ends[k + 1]]
        self.collided: dict[str, int] = {}
        # While every id has come as an integer: a table from each id's value to its code (let
        # go when reading ends), and the ids by code (``numbers[:count]``); both None once an id
        # came as text.
        self.by_value: Int64HashTable | None = Int64HashTable()
        self.numbers: np.ndarray | None = np.zeros(1 << 8, dtype=np.int64)
        # The Arrow dictionary of the last batch read from one, and each of its values' code.
        self.dictionary: pa.Array | None = None
        self.dictionary_codes = np.zeros(0, dtype=np.int32)

    def __len__(self) -> int:
        return self.count

    def close(self) -> None:
        """No more ids will be coded: the hash tables are let go, the ids kept."""
        self.by_hash = self.by_value = None
        self.dictionary, self.dictionary_codes = None, np.zeros(0, dtype=np.int32)

    def encode(self, column: _Coded) -> np.ndarray:
        """The lines' codes (int32, ``-1`` missing)."""
        used = np.flatnonzero(np.bincount(column.codes[column.codes >= 0], minlength=len(column.values)))
        codes = np.full(len(column.values) + 1, -1, dtype=np.int32)  # the last for the missing lines' -1
        if column.source is None:
            codes[used] = self._value_codes(column.values.iloc[used])
            return codes[column.codes]
        # The batches of a Parquet row group share its dictionary: each value is looked up the
        # first time a line uses it (for the 3 million baskets of bench_scale.py, 50,000 items
        # once per row group instead of some 10,000 per batch of 65,536 lines).
        dictionary, places = column.source
        if self.dictionary is None or not dictionary.equals(self.dictionary):
            self.dictionary = dictionary
            self.dictionary_codes = np.full(len(dictionary), _UNCODED, dtype=np.int32)
        fresh = used[self.dictionary_codes[places[used]] == _UNCODED]
        self.dictionary_codes[places[fresh]] = self._value_codes(column.values.iloc[fresh])
        codes[used] = self.dictionary_codes[places[used]]
        return codes[column.codes]

    def _value_codes(self, values: pd.Series) -> np.ndarray:
        """The code of each of ``values`` (distinct; ``-1``: blank), new ids coded in the order given."""
        numbers = _integers(values)
        if numbers is not None and self.by_value is not None and self.numbers is not None:
            codes = self.by_value.lookup(numbers)  # -1: not seen before
            new = np.flatnonzero(codes < 0)
            codes[new] = np.arange(self.count, self.count + len(new))
            self.by_value.map_keys_to_values(numbers[new], codes[new])
            if self.count + len(new) > len(self.numbers):
                self.numbers = _resized(self.numbers, self.count + len(new))
            self.numbers[self.count : self.count + len(new)] = numbers[new]
            self.count += len(new)
            return codes.astype(np.int32)
        if len(values) == 0:
            return np.zeros(0, dtype=np.int32)
        text = _text(values)
        written = ~text.isna().to_numpy(dtype=bool)
        codes = np.full(len(text), -1, dtype=np.int32)
        codes[written] = self._codes(text[written].to_numpy(dtype=object))
        return codes

    def _to_text(self) -> None:
        """An id came as text: the integer ids coded so far become text ids with their codes."""
        if self.numbers is None:
            return
        numbers, self.numbers, self.by_value = self.numbers[: self.count], None, None
        if len(numbers) == 0:
            return
        # Distinct ids, none stored: stored in their codes' order, each found by its hash but
        # those sharing a hash with an earlier one (looked up by their text).
        texts = pc.cast(pa.array(numbers), pa.large_string()).to_numpy(zero_copy_only=False)
        hashes = _hash(texts)
        _, first = np.unique(hashes, return_index=True)
        owners = np.sort(first)
        if self.by_hash is None:
            raise RuntimeError("ids are coded after the reading ended")
        self.count = 0
        self.by_hash.map_keys_to_values(hashes[owners], owners.astype(np.int64))
        for k in np.setdiff1d(np.arange(len(texts)), owners).tolist():
            self.collided[texts[k]] = k
        self._append(texts)

    def _codes(self, values: np.ndarray) -> np.ndarray:
        """The code of each id (strings, perhaps repeated), new ids coded in the order given."""
        if self.by_hash is None:
            raise RuntimeError("ids are coded after the reading ended")
        self._to_text()
        hashes = _hash(values)
        codes = self.by_hash.lookup(hashes).astype(np.int64)  # -1: a hash not seen before
        clash = np.zeros(len(values), dtype=bool)
        known = np.flatnonzero(codes >= 0)
        if len(known):
            stored = self.strings().take(pa.array(codes[known]))
            same = pc.equal(stored, pa.array(values[known], type=pa.large_string()))
            clash[known] = ~same.to_numpy(zero_copy_only=False)
        new = np.flatnonzero(codes < 0)
        if len(new):
            # The first id of each new hash is coded by it; another id with that hash is the
            # same id or a clash.
            _, first, group = np.unique(hashes[new], return_index=True, return_inverse=True)
            rank = np.empty(len(first), dtype=np.int64)
            rank[np.argsort(first)] = np.arange(len(first))
            codes[new] = self.count + rank[group]
            owners = new[np.sort(first)]
            self.by_hash.map_keys_to_values(hashes[owners], np.arange(self.count, self.count + len(owners)))
            self._append(values[owners])
            clash[new] = values[new] != values[new[first[group]]]
        for k in np.flatnonzero(clash).tolist():
            value = values[k]
            if value not in self.collided:
                self.collided[value] = self.count
                self._append(values[k : k + 1])
            codes[k] = self.collided[value]
        return codes.astype(np.int32)

    def _append(self, values: np.ndarray) -> None:
        """Store ids after those stored, coded from ``self.count`` on."""
        array = pa.array(values, type=pa.large_string())
        offsets = np.frombuffer(array.buffers()[1], dtype=np.int64, count=len(array) + 1)
        size = int(offsets[-1])
        data = np.frombuffer(array.buffers()[2], dtype=np.uint8, count=size) if size else np.zeros(0, np.uint8)
        start, end = int(self.ends[self.count]), int(self.ends[self.count]) + size
        if end > len(self.data):
            self.data = _resized(self.data, end)
        if self.count + len(array) + 1 > len(self.ends):
            self.ends = _resized(self.ends, self.count + len(array) + 1)
        self.data[start:end] = data
        self.ends[self.count + 1 : self.count + len(array) + 1] = start + offsets[1:]
        self.count += len(array)

    def strings(self) -> pa.LargeStringArray:
        """Every id stored, by code: a view of the buffers, valid until ids are added."""
        if self.numbers is not None:  # every id came as an integer
            return pc.cast(pa.array(self.numbers[: self.count]), pa.large_string())
        ends = self.ends[: self.count + 1]
        return pa.LargeStringArray.from_buffers(
            self.count, pa.py_buffer(ends), pa.py_buffer(self.data[: int(ends[-1])])
        )

    def take(self, codes: np.ndarray) -> np.ndarray:
        """The ids of ``codes``, as Python strings."""
        if self.numbers is not None:  # integers: only those taken made text
            return pc.cast(pa.array(self.numbers[codes]), pa.large_string()).to_numpy(zero_copy_only=False)
        return self.strings().take(pa.array(codes)).to_numpy(zero_copy_only=False)

    def labels(self) -> np.ndarray:
        return self.strings().to_numpy(zero_copy_only=False)

    def tuple_of(self, codes: np.ndarray) -> tuple[str, ...]:
        """The ids of ``codes`` as a tuple of Python strings, made a slice at a time: the Arrow
        and numpy arrays of all of them at once would be held beside the strings."""
        ids: list[str] = []
        for start in range(0, len(codes), _IDS_AT_ONCE):
            ids.extend(self.take(codes[start : start + _IDS_AT_ONCE]).tolist())
        return tuple(ids)


class _Codes:
    """An int32 column growing batch by batch, held in blocks of anonymous memory mapped one
    by one: a block let go is given back to the system at once. (Arrays from malloc, freed in
    the middle of its heap, stay resident: the memory the lines' codes took would still count
    when the basket matrix and the order ids are made.) Pages of a block not yet written take
    no memory.
    """

    def __init__(self) -> None:
        self.blocks: list[np.ndarray] = []
        self.filled = 0  # values in the last block

    def append(self, values: np.ndarray) -> None:
        start = 0
        while start < len(values):
            if not self.blocks or self.filled == CODE_BLOCK:
                self.blocks.append(np.frombuffer(mmap.mmap(-1, CODE_BLOCK * 4), dtype=np.int32))
                self.filled = 0
            end = min(len(values), start + CODE_BLOCK - self.filled)
            self.blocks[-1][self.filled : self.filled + end - start] = values[start:end]
            self.filled += end - start
            start = end

    def parts(self) -> list[np.ndarray]:
        """The values, a view of each block: the blocks are then held by those alone."""
        blocks, self.blocks = self.blocks, []
        if blocks:
            blocks[-1] = blocks[-1][: self.filled]
        return blocks


# Lines read between two givings back of freed memory (see freed_memory): a few times a second.
GIVE_BACK_LINES = 1 << 20
# Ids made Python strings at a time.
_IDS_AT_ONCE = 1 << 16
# A value of an Arrow dictionary not yet looked up among the ids.
_UNCODED = -2
# Codes per block of a kept column (4 MB): the lines' codes are let go block by block.
CODE_BLOCK = 1 << 20


def _hash(values: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each string (int64; pandas' SipHash of its UTF-8 bytes)."""
    return pd.util.hash_array(values, categorize=False).view(np.int64)


def _resized(array: np.ndarray, needed: int) -> np.ndarray:
    """``array``'s values in an array of at least ``needed`` places, grown by half at a time."""
    grown = np.zeros(max(needed, len(array) + len(array) // 2), dtype=array.dtype)
    grown[: len(array)] = array
    return grown


class _Reading:
    """The reading rules applied batch by batch of lines: what is kept of a batch is the codes
    of its kept lines (order, item; the customer, time, description and price when the table
    has them) and per-item tallies; every rule that looks at a value looks at each distinct
    value of the batch once, and lines only through their codes.

    Whatever the batches, the result is that of one batch holding every line.
    """

    def __init__(
        self,
        names: list[str],
        *,
        columns: ColumnSpec,
        what: str,
        header_rows: int,
        non_products: NonProductOptions | None,
        day_first: bool | None = None,
    ) -> None:
        self.role = _resolve(names, columns, what, by_day=True)
        self.what, self.header_rows = what, header_rows
        self.options = non_products or NonProductOptions()
        # No order column: a basket is a customer's lines of one day, its order an int64 key
        # of the customer's code and the day (see _day_keys).
        self.by_day = self.role["order"] is None
        self.orders, self.items = _Ids(), _Ids()
        self.customers = _Ids() if self.role["customer"] else None
        self.names = _Ids() if self.role["name"] else None
        self.rows = 0
        self.rows_since_given_back = 0  # lines added since freed memory was last given back
        self.counts = {"cancelled_rows": 0, "returned_rows": 0, "missing_item_rows": 0}
        self.kept: dict[str, list[np.ndarray]] = {}
        # The kept lines' basket and item codes, the two columns every table has. While every
        # order's kept lines come together, their baskets are runs (lengths, no code per line).
        self.baskets, self.items_kept = _Codes(), _Codes()
        self.runs: BasketRuns | None = BasketRuns()
        # Non-product rules on descriptions or prices look at the kept lines' values; without
        # them the one rule left (never sold) needs each item's lines and lines selling nothing.
        self.by_line = bool(self.role["name"] or self.role["price"] or self.role["line_total"])
        # Baskets are numbered in the order of their first kept line: each order's basket, -1
        # while no line of it is kept.
        self.basket_of = np.zeros(0, dtype=np.int32)
        self.n_baskets = 0
        self.lines = np.zeros(0, dtype=np.int64)
        self.nothing_sold = np.zeros(0, dtype=np.int64)
        # The first unparsable value of each numeric column by the order the columns are checked.
        self.errors: dict[int, str] = {}
        # Whether dates such as 05-01-2015 put the day first: given, or told by the first batch
        # holding one that only reads one way (21-07-2015); until then month first, as pandas
        # reads them, and ``guessed`` once a batch's such dates were read so.
        self.day_first, self.told, self.guessed = bool(day_first), day_first is not None, False

    def add(self, coded: dict[str, _Coded]) -> None:
        """Apply the rules to a batch of lines (its columns coded), the lines after those added before."""
        role = self.role
        rows = len(coded[str(role["item"])].codes)
        offset, self.rows = self.rows, self.rows + rows
        if rows == 0:
            return
        self.rows_since_given_back += rows
        if self.rows_since_given_back >= GIVE_BACK_LINES:
            give_back_freed()
            self.rows_since_given_back = 0
        parsed: dict[str, np.ndarray | None] = {}
        for rank, name in enumerate(_CHECKED):
            if self.errors and rank >= min(self.errors):
                continue  # a value of this column, or of one checked before it, failed on an earlier line
            try:
                if name == "time":
                    column = role["time"]
                    if column is not None and not self.told:
                        self._tell_day_first(_date_order(coded[column].values))
                    parsed[name] = _times(coded, column, self.what, self.header_rows, offset, day_first=self.day_first)
                else:
                    parsed[name] = _number(coded, role[name], self.what, self.header_rows, offset)
            except InputError as error:
                self.errors[rank] = str(error)
        if self.errors:
            return

        customer = self.customers.encode(coded[str(role["customer"])]) if self.customers is not None else None
        if self.by_day and customer is not None and parsed["time"] is not None:
            order = self.orders.encode(_day_keys(customer, parsed["time"]))
        else:
            order = self.orders.encode(coded[str(role["order"])])
        item = self.items.encode(coded[str(role["item"])])
        keep = (item >= 0) & (order >= 0)
        self.counts["missing_item_rows"] += int(rows - keep.sum())
        quantity, price, line_total = parsed["quantity"], parsed["price"], parsed["line_total"]
        if self.by_day:  # no invoice numbers: no cancellations to tell
            cancelled = np.zeros(rows, dtype=bool)
        else:
            # Online Retail's convention: an invoice number starting with C is a cancellation.
            cancelling = _cancelling(coded[str(role["order"])].values)
            cancelled = coded[str(role["order"])].take(cancelling, False) & keep
        # A negative quantity (or, without one, a negative line total) is a return.
        signed = quantity if quantity is not None else line_total
        returned = ~cancelled & keep & (signed < 0) if signed is not None else np.zeros(rows, dtype=bool)
        keep &= ~cancelled & ~returned
        self.counts["cancelled_rows"] += int(cancelled.sum())
        self.counts["returned_rows"] += int(returned.sum())

        unit_price = price
        if unit_price is None and line_total is not None:
            qty = quantity if quantity is not None else np.ones(rows)
            with np.errstate(divide="ignore", invalid="ignore"):
                unit_price = line_total / np.where(qty != 0, qty, np.nan)
        self._place(order[keep])
        self.items_kept.append(item[keep])
        if self.names is not None:
            self._keep("name", self.names.encode(coded[str(role["name"])])[keep])
        if unit_price is not None:
            self._keep("price", unit_price[keep])
        if quantity is not None or unit_price is not None:
            value = line_total if line_total is not None else unit_price
            none = np.zeros(rows, dtype=bool)
            if quantity is not None:
                none |= quantity == 0
            if value is not None:
                none |= value == 0
            if self.by_line:
                self._keep("none", none[keep])
            else:
                n = len(self.items)
                self.lines = _grown(self.lines, n) + np.bincount(item[keep], minlength=n)
                self.nothing_sold = _grown(self.nothing_sold, n) + np.bincount(item[keep & none], minlength=n)
        if customer is not None:
            self._keep("customer", customer[keep])
        if parsed["time"] is not None:
            self._keep("time", parsed["time"][keep])

    def _tell_day_first(self, order: str) -> None:
        """Take what a batch's dates tell of the order of day and month (:func:`_date_order`)."""
        if order == "either":
            self.guessed = True
        elif order in ("day", "month"):
            if order == "day" and self.guessed:
                raise DayFirstLate
            self.day_first, self.told = order == "day", True

    def _place(self, orders: np.ndarray) -> None:
        """Number the baskets of a batch's kept lines, given their orders: as runs while every
        order's lines come together, else a basket code per line."""
        if self.runs is not None:
            if self.runs.add(orders):
                return
            self._runs_end()
        self.baskets.append(self._baskets(orders))

    def _runs_end(self) -> None:
        """From now on a basket code per kept line (lines of an order came back after another
        order's, or the end needs the codes): the codes of the lines kept so far made from the runs."""
        runs, self.runs = self.runs, None
        if runs is None:
            return
        self.basket_of, self.n_baskets = runs.basket_of(len(self.orders)), runs.count
        for codes in runs.line_baskets():
            self.baskets.append(codes)

    def _baskets(self, orders: np.ndarray) -> np.ndarray:
        """The basket of each kept line of a batch, given its order; an order's first kept line
        gives it the next basket number."""
        if len(self.basket_of) < len(self.orders):
            grown = np.full(max(len(self.orders), 2 * len(self.basket_of)), -1, dtype=np.int32)
            grown[: len(self.basket_of)] = self.basket_of
            self.basket_of = grown
        first_seen = pd.unique(orders)
        fresh = first_seen[self.basket_of[first_seen] < 0]
        self.basket_of[fresh] = np.arange(self.n_baskets, self.n_baskets + len(fresh), dtype=np.int32)
        self.n_baskets += len(fresh)
        return self.basket_of[orders]

    def _keep(self, name: str, values: np.ndarray) -> None:
        self.kept.setdefault(name, []).append(values)

    def _column(self, name: str) -> np.ndarray | None:
        """A kept column of every batch's kept lines, its batches let go."""
        parts = self.kept.pop(name, None)
        if parts is None:
            return None
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def finish(self, source: SourceInfo | None) -> Baskets:
        """The baskets of every line added."""
        if self.rows == 0:
            raise InputError(f"{self.what} has no rows; pass a table with one row per order line.")
        if self.errors:
            raise InputError(self.errors[min(self.errors)])
        for ids in (self.orders, self.items, self.customers, self.names):
            if ids is not None:
                ids.close()
        # The last row group's or block's buffers: the output is made beside what is left. (glibc's
        # heap is not trimmed here: measured, no lower peak, and the pages given back are taken
        # again by whatever runs next, 10% of the seconds of reading a million lines.)
        pa.default_memory_pool().release_unused()
        if self.runs is not None and not self.kept:
            # Every order's lines came together, and the table has no column kept per line
            # (customer, time, description, price): the matrix is made from the runs.
            return self._finish_runs(source)
        self._runs_end()
        # The basket and item codes stay in their batches' parts: joined, they would be held twice.
        basket_parts, item_parts = self.baskets.parts(), self.items_kept.parts()
        names, prices, none = self._column("name"), self._column("price"), self._column("none")
        customers, times = self._column("customer"), self._column("time")
        labels = self.items.labels()

        listed, found = self._non_products(item_parts, labels, names=names, prices=prices, none=none)
        if listed is not None:
            rests = []
            for k, part in enumerate(item_parts):
                rest = ~listed[part]
                basket_parts[k], item_parts[k] = basket_parts[k][rest], part[rest]
                if names is not None or prices is not None or customers is not None or times is not None:
                    rests.append(rest)
            if rests:
                rest = np.concatenate(rests)
                names = names[rest] if names is not None else None
                prices = prices[rest] if prices is not None else None
                customers = customers[rest] if customers is not None else None
                times = times[rest] if times is not None else None
            del rests
        non_product_rows = sum(left.lines for left in found)

        # Baskets numbered in the order of their first kept line: numbered again when lines left
        # out were the first of their basket.
        order_of = np.empty(self.n_baskets, dtype=np.int64)
        assigned = np.flatnonzero(self.basket_of >= 0)
        order_of[self.basket_of[assigned]] = assigned
        n_baskets = self.n_baskets
        if listed is not None:
            number = np.full(self.n_baskets, -1, dtype=np.int32)
            firsts, n_baskets = [], 0
            for k, part in enumerate(basket_parts):
                seen = pd.unique(part)
                fresh = seen[number[seen] < 0]
                number[fresh] = np.arange(n_baskets, n_baskets + len(fresh), dtype=np.int32)
                n_baskets += len(fresh)
                firsts.append(fresh)
                basket_parts[k] = number[part]
            order_of = order_of[np.concatenate(firsts)] if firsts else order_of[:0]
            del number, firsts
        basket_customers: tuple[str | None, ...] | None = None
        basket_times: np.ndarray | None = None
        codes = _joined(basket_parts) if customers is not None or times is not None else None
        if codes is not None and customers is not None and self.customers is not None:
            # The first line of the basket that names a customer; IDs exported through a float
            # column read like 17850.0.
            who = _plain_ids(pd.Series(self.customers.labels(), dtype="string"))
            named = customers >= 0
            first = pd.Series(customers[named]).groupby(codes[named]).first().reindex(range(n_baskets))
            values = who.to_numpy(dtype=object)
            basket_customers = tuple(
                None if pd.isna(c) or pd.isna(values[int(c)]) else str(values[int(c)]) for c in first.tolist()
            )
        if codes is not None and times is not None:
            basket_times = pd.Series(times).groupby(codes).min().reindex(range(n_baskets)).to_numpy()
        del codes

        catalog = None
        if names is not None or prices is not None:
            catalog = catalog_from_lines(
                _categorical(_joined(item_parts), labels),
                names=_categorical(names, self.names.labels()) if names is not None and self.names else None,
                prices=pd.Series(prices) if prices is not None else None,
            )
        baskets = baskets_from_code_parts(
            basket_parts,
            item_parts,
            labels,
            n_codes=n_baskets,
            rows_read=self.rows,
            source=source or SourceInfo(name=self.what, kind="dataframe", sha256=""),
            what=self.what,
            customers=basket_customers,
            timestamps=basket_times,
            catalog=catalog,
            extra_summary={**self.counts, "non_product_rows": non_product_rows},
            non_products=found,
        )
        # Every basket number has a line, so the order ids are the baskets' own; made Python
        # strings only now, once the lines' codes are let go.
        if self.by_day and self.customers is not None and self.orders.numbers is not None:
            keys = self.orders.numbers[order_of]
            who = _plain_ids(pd.Series(self.customers.labels(), dtype="string")).to_numpy(dtype=object)
            days = pd.Series((keys % _DAY_SPAN - _DAY_ZERO).astype("datetime64[D]")).dt.strftime("%Y-%m-%d")
            labels = pd.Series(who[keys // _DAY_SPAN], dtype="string") + " " + days.astype("string")
            summary = replace(baskets.summary, day_baskets=(str(self.role["customer"]), str(self.role["time"])))
            baskets = replace(baskets, basket_ids=tuple(labels.tolist()), summary=summary)
        else:
            baskets = replace(baskets, basket_ids=self.orders.tuple_of(order_of))
        # pyarrow's pool (mimalloc) keeps the pages of the buffers it freed (the batches', the
        # ids' text): given back, the stages after reading start lower (3 million baskets of
        # bench_scale.py: 60-120 MB).
        pa.default_memory_pool().release_unused()
        return baskets

    def _finish_runs(self, source: SourceInfo | None) -> Baskets:
        """The baskets of every line added, kept as runs (:class:`BasketRuns`): the same
        Baskets as the basket codes per line give, without them."""
        runs = self.runs
        if runs is None:
            raise RuntimeError("the lines were not kept as runs")
        item_parts, labels = self.items_kept.parts(), self.items.labels()
        listed, found = self._non_products(item_parts, labels, names=None, prices=None, none=None)
        extra_summary = {**self.counts, "non_product_rows": sum(left.lines for left in found)}
        # The items of the lines left, sorted, each a column (as baskets_from_code_parts numbers them).
        items, rank = ranked_items(item_parts, labels, left_out=listed)
        if len(items) == 0:  # no line left: the reader's message of a table without purchases
            return baskets_from_code_parts(
                [], [], labels, n_codes=0, rows_read=self.rows, source=source or SourceInfo(name=self.what,
                kind="dataframe", sha256=""), what=self.what, extra_summary=extra_summary,
            )  # fmt: skip
        indptr, indices, basket_kept, repeated = rows_of_runs(
            item_parts, runs.lengths[: runs.count], rank, n_cols=len(items), left_out=listed, staged=_Codes()
        )
        order_of = runs.orders[: runs.count] if basket_kept is None else runs.orders[: runs.count][basket_kept]
        self.runs = None
        del runs
        summary = ReadSummary(
            rows_read=self.rows, baskets=len(indptr) - 1, items=len(items), repeated_item_rows=repeated,
            non_products=found, **extra_summary,
        )  # fmt: skip
        baskets = Baskets(
            items=tuple(str(item) for item in items),
            indptr=indptr,
            indices=indices,
            summary=summary,
            source=source or SourceInfo(name=self.what, kind="dataframe", sha256=""),
            basket_ids=self.orders.tuple_of(order_of),
        )
        pa.default_memory_pool().release_unused()  # as at the end of finish
        return baskets

    def _non_products(
        self,
        item_parts: list[np.ndarray],
        labels: np.ndarray,
        *,
        names: np.ndarray | None,
        prices: np.ndarray | None,
        none: np.ndarray | None,
    ) -> tuple[np.ndarray | None, tuple[LeftOut, ...]]:
        """Which items are not merchandise (a flag per label; None when no kept line is of one),
        and those items with their line counts and reasons (most lines first)."""
        role, options = self.role, self.options
        reasons: dict[str, str] = {}
        # Without descriptions, prices or quantities no rule applies: the lines are not looked at.
        if options.detect and self.by_line:
            reasons = find_non_products(
                _categorical(_joined(item_parts), labels),
                names=_categorical(names, self.names.labels()) if names is not None and self.names else None,
                unit_prices=pd.Series(prices) if prices is not None else None,
                nothing_sold=pd.Series(none) if none is not None else None,
            )
        elif options.detect and role["quantity"]:
            n = len(labels)
            reasons = never_sold(labels, _grown(self.lines, n), _grown(self.nothing_sold, n))
        for excluded in options.exclude:
            reasons.setdefault(excluded, "listed to exclude")
        for kept in options.keep:
            reasons.pop(kept, None)
        if not reasons:
            return None, ()
        listed = np.isin(labels, list(reasons))
        lines = np.zeros(len(labels), dtype=np.int64)
        for part in item_parts:
            lines += np.bincount(part[listed[part]], minlength=len(labels))
        found = tuple(
            LeftOut(item=str(labels[j]), lines=int(lines[j]), reason=reasons[str(labels[j])])
            for j in sorted(np.flatnonzero(lines).tolist(), key=lambda j: (-lines[j], str(labels[j])))
        )
        return (listed if lines.any() else None), found


# A basket of a customer's day is keyed customer * _DAY_SPAN + _DAY_ZERO + day (days since
# 1970-01-01): the days datetime64[ns] holds (1677-2262, within +-106,752) fit in 2**18, and
# the customer codes (int32) leave the key well inside int64.
_DAY_SPAN = 1 << 18
_DAY_ZERO = 1 << 17


def _day_keys(customers: np.ndarray, times: np.ndarray) -> _Coded:
    """The basket key of each line (a customer's calendar day), coded like an integer order
    column; a line without a customer or a time has none (dropped like one without an order)."""
    days = times.astype("datetime64[D]").astype(np.int64)
    present = (customers >= 0) & ~np.isnat(times)
    keys = np.where(present, customers.astype(np.int64) * _DAY_SPAN + _DAY_ZERO + days, -1)
    codes, values = pd.factorize(keys[present])
    line_codes = np.full(len(keys), -1, dtype=np.int32)
    line_codes[present] = codes
    return _Coded(line_codes, pd.Series(values, dtype=np.int64))


def _plain_ids(ids: pd.Series) -> pd.Series:
    """Ids as exported: those written through a float column (17850.0) read 17850."""
    return ids.str.replace(r"^(\d+)\.0$", r"\1", regex=True)


# The columns parsed, in the order their first unparsable value is reported.
_CHECKED = ("quantity", "price", "line_total", "time")


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    """The parts one after another (int32 codes; none: empty)."""
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)


def _grown(counts: np.ndarray, n: int) -> np.ndarray:
    """Per-item counts extended with zeros to ``n`` items."""
    return counts if len(counts) >= n else np.concatenate([counts, np.zeros(n - len(counts), dtype=counts.dtype)])


def _categorical(codes: np.ndarray, labels: np.ndarray) -> pd.Series:
    """Lines as a categorical Series: a code per line (``-1`` missing), each value once."""
    return pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index(labels, dtype=object)))


def _cancelling(orders: pd.Series) -> np.ndarray:
    """Whether each distinct order id is a cancellation: Online Retail's convention, an invoice
    number starting with C (an id read as an integer never is)."""
    if _integers(orders) is not None:
        return np.zeros(len(orders), dtype=bool)
    return _text(orders).str.match(r"^[Cc]\d").fillna(False).to_numpy(dtype=bool)


def _integers(values: pd.Series) -> np.ndarray | None:
    """The values as int64 when they are integers that int64 holds (a column typed as
    integers); None otherwise. Their text is that of ``str``, without blanks to strip."""
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_integer_dtype(dtype):
        return None
    if pd.api.types.is_unsigned_integer_dtype(dtype) and getattr(dtype, "itemsize", 8) >= 8:
        return None
    return np.ascontiguousarray(values.to_numpy(dtype=np.int64))


def _text(column: pd.Series) -> pd.Series:
    """Ids as stripped strings; blanks become missing."""
    values = column.astype("string").str.strip()
    return values.mask(values == "")


def _number(
    coded: dict[str, _Coded], column: str | None, what: str, header_rows: int, offset: int = 0
) -> np.ndarray | None:
    """The column's numbers per line (NaN where missing), each distinct value parsed once; the
    lines are those after ``offset`` others."""
    if column is None:
        return None
    raw = coded[column]
    if pd.api.types.is_numeric_dtype(raw.values) and not pd.api.types.is_bool_dtype(raw.values):
        return raw.take(raw.values.astype(float).to_numpy(), np.nan)
    text = raw.values.astype("string").str.strip()
    values = pd.to_numeric(text, errors="coerce")
    bad = _first_unparsed(values, text, raw.codes, header_rows, offset)
    if bad is not None:
        raise InputError(
            f"{what}: column {column!r} must hold numbers, but {bad[0]} has {bad[1]!r}; fix that value "
            "(use a dot for decimals) or name another column."
        )
    return raw.take(values.astype(float).to_numpy(), np.nan)


def _first_unparsed(
    parsed: pd.Series, text: pd.Series, codes: np.ndarray, header_rows: int, offset: int
) -> tuple[str, str] | None:
    """Where (line of the file, or row of the frame) and what the first value was that was
    written but could not be parsed; None when every written value parsed. ``parsed`` and
    ``text`` hold the distinct values, ``codes`` the line's value."""
    bad = (parsed.isna() & text.notna() & (text != "")).to_numpy(dtype=bool)
    if not bad.any():
        return None
    position = int(np.flatnonzero(np.append(bad, False)[codes])[0])
    row = offset + position
    where = f"line {row + 1 + header_rows}" if header_rows else f"row {row}"
    return where, str(text.iloc[int(codes[position])])


# A date written day and month as numbers before the year (21-07-2015, 7/21/2015, 21.07.2015).
_NUMERIC_DATE = re.compile(r"^\s*(\d{1,2})[-/.](\d{1,2})[-/.]\d{4}(?!\d)")


def _date_order(values: pd.Series) -> str:
    """Which comes first in the dates written as numbers before the year: ``"day"`` when one
    of them starts with more than 12 (21-07-2015), ``"month"`` when one has more than 12
    second (7/21/2015), ``"either"`` when none tells (05-01-2015 reads both ways), ``""``
    when there are none (ISO dates, a column of times or numbers).

    Examples
    --------
    >>> [_date_order(pd.Series(v)) for v in (["05-01-2015", "21-07-2015"], ["05-01-2015"], ["2015-01-05"])]
    ['day', 'either', '']
    """
    if pd.api.types.is_datetime64_any_dtype(values) or pd.api.types.is_numeric_dtype(values):
        return ""
    parts = values.astype("string").str.extract(_NUMERIC_DATE).dropna()
    if parts.empty:
        return ""
    if (parts[0].astype(int) > 12).any():
        return "day"
    if (parts[1].astype(int) > 12).any():
        return "month"
    return "either"


class DayFirstLate(Exception):
    """A batch's date told that the day comes first after earlier batches' dates were read
    month first: the batches are to be read again, day first."""


def day_first_again(read: Callable[[bool | None], Baskets]) -> Baskets:
    """``read(None)``, the order of day and month told by the dates; should that come too late
    (:class:`DayFirstLate`: a file sorted by date whose first block holds only the 1st to the
    12th of a month), ``read(True)``, which reads the batches again from the start."""
    try:
        return read(None)
    except DayFirstLate:
        return read(True)


def _times(
    coded: dict[str, _Coded],
    column: str | None,
    what: str,
    header_rows: int,
    offset: int = 0,
    *,
    day_first: bool = False,
) -> np.ndarray | None:
    """The column's times per line (``datetime64[ns]``, UTC, NaT where missing), each distinct
    value parsed once; ``day_first``: dates such as 05-01-2015 are the 5th of January."""
    if column is None:
        return None
    raw = coded[column]
    if pd.api.types.is_datetime64_any_dtype(raw.values):
        parsed = pd.to_datetime(raw.values, utc=True)
    else:
        text = raw.values.astype("string").str.strip()
        parsed = pd.to_datetime(text, errors="coerce", utc=True, format="mixed", dayfirst=day_first)
        bad = _first_unparsed(parsed, text, raw.codes, header_rows, offset)
        if bad is not None:
            raise InputError(
                f"{what}: column {column!r} must hold dates, but {bad[0]} has {bad[1]!r}; write dates as "
                "YYYY-MM-DD[ HH:MM:SS] or name another column."
            )
    return raw.take(parsed.dt.tz_localize(None).astype("datetime64[ns]").to_numpy(), np.datetime64("NaT", "ns"))
