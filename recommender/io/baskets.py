"""Baskets: the distinct items of each order, held sparse.

One CSR-like layout (``indptr``/``indices`` into a sorted item vocabulary) is what every
reader produces and what the miners consume, so no stage ever holds a dense one-hot matrix.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..exceptions import InputError
from .non_products import LeftOut

__all__ = [
    "Baskets",
    "ReadSummary",
    "SourceInfo",
    "baskets_from_pairs",
    "baskets_from_code_parts",
    "ranked_items",
    "without_items",
]

# How many left-out items the one-line summary names; the model's provenance lists them all.
NAMED_LEFT_OUT = 8


@dataclass(frozen=True, kw_only=True)
class ReadSummary:
    """What reading kept and what it dropped, for the user to see.

    Examples
    --------
    >>> ReadSummary(rows_read=5, baskets=2, items=3, cancelled_rows=1).dropped_rows
    1
    """

    rows_read: int
    baskets: int
    items: int
    cancelled_rows: int = 0
    returned_rows: int = 0
    missing_item_rows: int = 0
    repeated_item_rows: int = 0
    empty_baskets: int = 0
    non_product_rows: int = 0
    non_products: tuple[LeftOut, ...] = ()
    # The customer and time columns whose days made the baskets, when the table had no order column.
    day_baskets: tuple[str, str] | None = None

    @property
    def dropped_rows(self) -> int:
        """Rows that are not purchases: cancellations, returns, rows without an item, and
        lines of items that are not merchandise (postage, fees, ...)."""
        return self.cancelled_rows + self.returned_rows + self.missing_item_rows + self.non_product_rows

    def describe(self) -> str:
        """One line for a person: what was read, kept and dropped.

        Examples
        --------
        >>> ReadSummary(rows_read=10, baskets=3, items=4, returned_rows=2).describe()
        '10 rows read: 3 baskets of 4 distinct items; dropped 2 return rows (negative quantity)'
        """
        text = f"{self.rows_read:,} rows read: {self.baskets:,} baskets of {self.items:,} distinct items"
        dropped = []
        if self.cancelled_rows:
            dropped.append(f"{self.cancelled_rows:,} cancellation rows (invoices starting with C)")
        if self.returned_rows:
            dropped.append(f"{self.returned_rows:,} return rows (negative quantity)")
        if self.missing_item_rows:
            dropped.append(f"{self.missing_item_rows:,} rows without an item")
        if self.empty_baskets:
            dropped.append(f"{self.empty_baskets:,} empty baskets")
        if dropped:
            text += "; dropped " + ", ".join(dropped)
        if self.non_products:
            text += "; " + self.describe_non_products()
        if self.repeated_item_rows:
            text += f"; {self.repeated_item_rows:,} repeated lines of an item merged into its basket"
        if self.day_baskets is not None:
            text += "; " + self.describe_day_baskets()
        return text

    def describe_day_baskets(self) -> str:
        """What a basket is when the table had no order column ("" when it had one).

        Examples
        --------
        >>> ReadSummary(rows_read=3, baskets=2, items=2, day_baskets=("Member_number", "Date")).describe_day_baskets()
        "no order column: a basket is each customer's lines of one day (Member_number, Date); name an order column with --order-col to change this"
        """  # noqa: E501
        if self.day_baskets is None:
            return ""
        customer, time = self.day_baskets
        return (
            f"no order column: a basket is each customer's lines of one day ({customer}, {time}); "
            "name an order column with --order-col to change this"
        )

    def describe_non_products(self) -> str:
        """The items left out as non-product lines, most lines first.

        Examples
        --------
        >>> left = (LeftOut(item="POST", lines=1130, reason=""), LeftOut(item="DOT", lines=709, reason=""))
        >>> ReadSummary(rows_read=9, baskets=1, items=1, non_product_rows=1839, non_products=left).describe_non_products()
        'left out 2 non-product items (1,839 lines): POST (1,130 lines), DOT (709)'
        """  # noqa: E501
        if not self.non_products:
            return "left out no non-product items"
        shown = [f"{left.item} ({left.lines:,} lines)" if k == 0 else f"{left.item} ({left.lines:,})"
                 for k, left in enumerate(self.non_products[:NAMED_LEFT_OUT])]  # fmt: skip
        more = len(self.non_products) - NAMED_LEFT_OUT
        if more > 0:
            shown.append(f"and {more:,} more")
        n = len(self.non_products)
        return (
            f"left out {n:,} non-product item{'s' if n != 1 else ''} ({self.non_product_rows:,} lines): "
            + ", ".join(shown)
        )

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready counts, and the items left out as non-products with their reasons."""
        return {
            "rows_read": self.rows_read,
            "baskets": self.baskets,
            "items": self.items,
            "cancelled_rows": self.cancelled_rows,
            "returned_rows": self.returned_rows,
            "missing_item_rows": self.missing_item_rows,
            "repeated_item_rows": self.repeated_item_rows,
            "empty_baskets": self.empty_baskets,
            "non_product_rows": self.non_product_rows,
            "non_products": [left.as_dict() for left in self.non_products],
            **({"day_baskets": list(self.day_baskets)} if self.day_baskets is not None else {}),
        }

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> ReadSummary:
        """The summary of :meth:`as_dict` (a model's provenance), also one written before
        non-product lines were counted.

        Examples
        --------
        >>> ReadSummary.from_dict(ReadSummary(rows_read=3, baskets=1, items=2).as_dict()).rows_read
        3
        """
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in record.items() if key in known}
        values["non_products"] = tuple(LeftOut.from_dict(left) for left in values.get("non_products", ()))
        if values.get("day_baskets") is not None:
            customer, time = values["day_baskets"]
            values["day_baskets"] = (str(customer), str(time))
        return cls(**values)


@dataclass(frozen=True, kw_only=True)
class SourceInfo:
    """Where baskets came from: a file (name, size, SHA-256 of its bytes) or Python data."""

    name: str
    kind: str
    sha256: str
    size_bytes: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "sha256": self.sha256, "bytes": self.size_bytes}


@dataclass(frozen=True, kw_only=True, eq=False)
class Baskets:
    """Distinct items per basket, sparse.

    Attributes
    ----------
    items : tuple of str
        The item vocabulary, sorted; column ``j`` is ``items[j]``.
    indptr, indices : numpy.ndarray
        Basket ``i`` holds the items ``indices[indptr[i]:indptr[i + 1]]``, sorted, distinct.
    basket_ids : tuple of str or None
        The order id of each basket when the input had one.
    customers : tuple of (str or None) or None
        The customer of each basket when the input had a customer column.
    timestamps : numpy.ndarray or None
        The time of each basket (``datetime64[ns]``, UTC) when the input had a time column.
    catalog : pandas.DataFrame or None
        Names and prices derived from the order lines (see :mod:`recommender.io.catalog`).
    summary : ReadSummary
    source : SourceInfo

    Examples
    --------
    >>> b = Baskets.from_lists([["tea", "kettle"], ["tea"], ["tea", "tea"]])
    >>> b.items, len(b), b.basket(0)
    (('kettle', 'tea'), 3, ('kettle', 'tea'))
    >>> b.item_counts().tolist()
    [1, 3]
    """

    items: tuple[str, ...]
    indptr: np.ndarray
    indices: np.ndarray
    summary: ReadSummary
    source: SourceInfo
    basket_ids: tuple[str, ...] | None = None
    customers: tuple[str | None, ...] | None = None
    timestamps: np.ndarray | None = None
    catalog: pd.DataFrame | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.indptr) - 1

    @property
    def n_items(self) -> int:
        return len(self.items)

    def basket(self, i: int) -> tuple[str, ...]:
        """The item ids of basket ``i``."""
        return tuple(self.items[j] for j in self.indices[self.indptr[i] : self.indptr[i + 1]])

    def __iter__(self) -> Any:
        for i in range(len(self)):
            yield self.basket(i)

    def item_counts(self) -> np.ndarray:
        """Baskets holding each item, aligned with :attr:`items`."""
        return np.bincount(self.indices, minlength=self.n_items).astype(np.int64)

    def content_sha256(self) -> str:
        """A digest of the baskets' content, independent of order and of input format."""
        digest = hashlib.sha256()
        lines = sorted("\t".join(self.basket(i)) for i in range(len(self)))
        for line in lines:
            digest.update(line.encode("utf-8"))
            digest.update(b"\n")
        return digest.hexdigest()

    @classmethod
    def from_lists(cls, baskets: Iterable[Iterable[Any]], *, name: str = "<baskets>") -> Baskets:
        """Baskets from Python iterables of item ids (converted with ``str``).

        Raises
        ------
        InputError
            When a basket is a string (its characters would become items) or nothing is left.
        """
        order_codes: list[int] = []
        item_labels: list[str] = []
        rows = 0
        empty = 0
        for number, basket in enumerate(baskets):
            if isinstance(basket, (str, bytes)):
                raise InputError(
                    f"basket {number} of {name} is the string {basket!r}, not a list of items; "
                    f"wrap it as [{basket!r}] or split it into its items."
                )
            try:
                labels = [str(item).strip() for item in basket if item is not None]
            except TypeError:
                raise InputError(
                    f"basket {number} of {name} is {basket!r}, not a list of items; "
                    "pass one list (or set) of item ids per basket."
                ) from None
            labels = [label for label in labels if label]
            rows += len(labels)
            if not labels:
                empty += 1
                continue
            order_codes.extend([number] * len(labels))
            item_labels.extend(labels)
        return baskets_from_pairs(
            np.asarray(order_codes, dtype=np.int64),
            item_labels,
            rows_read=rows,
            source=SourceInfo(name=name, kind="python", sha256=""),
            extra_summary={"empty_baskets": empty},
            what=name,
        )


def baskets_from_pairs(
    order_codes: np.ndarray,
    item_labels: Sequence[str] | np.ndarray,
    *,
    rows_read: int,
    source: SourceInfo,
    what: str,
    basket_ids: Sequence[str] | None = None,
    customers: Sequence[str | None] | None = None,
    timestamps: np.ndarray | None = None,
    catalog: pd.DataFrame | None = None,
    extra_summary: dict[str, int] | None = None,
    non_products: tuple[LeftOut, ...] = (),
) -> Baskets:
    """Build :class:`Baskets` from one (basket code, item id) pair per kept row.

    ``order_codes`` are dense codes ``0..n-1`` in basket order; ``basket_ids``,
    ``customers`` and ``timestamps``, when given, are indexed by those codes. Codes that
    never occur (baskets whose rows were all dropped) are removed.
    """
    item_codes, labels = pd.factorize(np.asarray(item_labels, dtype=object))
    return baskets_from_code_parts(
        [order_codes], [item_codes], np.asarray(labels, dtype=object),
        n_codes=int(order_codes.max()) + 1 if len(order_codes) else 0, rows_read=rows_read, source=source,
        what=what, basket_ids=basket_ids, customers=customers, timestamps=timestamps, catalog=catalog,
        extra_summary=extra_summary, non_products=non_products,
    )  # fmt: skip


def ranked_items(
    item_parts: list[np.ndarray], labels: np.ndarray, left_out: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The distinct labels the item codes of ``item_parts`` use (but those ``left_out`` flags),
    sorted as text, and each code's column among them (int32; -1 for a label not used): the
    matrix's vocabulary, sorting only the labels in use."""
    in_use = np.zeros(len(labels), dtype=bool)
    for part in item_parts:
        in_use[part] = True
    if left_out is not None:
        in_use &= ~left_out
    used = np.flatnonzero(in_use)
    del in_use
    items = np.asarray([str(label) for label in labels[used]], dtype=object)
    order = np.argsort(items, kind="stable")
    rank = np.full(len(labels), -1, dtype=np.int32)
    rank[used[order]] = np.arange(len(order), dtype=np.int32)
    return items[order], rank


def baskets_from_code_parts(
    order_parts: list[np.ndarray],
    item_parts: list[np.ndarray],
    labels: np.ndarray,
    *,
    n_codes: int,
    rows_read: int,
    source: SourceInfo,
    what: str,
    basket_ids: Sequence[str] | None = None,
    customers: Sequence[str | None] | None = None,
    timestamps: np.ndarray | None = None,
    catalog: pd.DataFrame | None = None,
    extra_summary: dict[str, int] | None = None,
    non_products: tuple[LeftOut, ...] = (),
) -> Baskets:
    """Build :class:`Baskets` from (basket code, item code) pairs, one per kept row, given in
    parts as a reader keeps them batch by batch (``order_parts[k]`` with ``item_parts[k]``;
    basket codes below ``n_codes``). The item codes index ``labels`` (distinct item ids, in any
    order; those no row uses are left out of the vocabulary). As :func:`baskets_from_pairs`
    otherwise, with no Python object made per row.

    The parts are not joined: the basket matrix is laid out from them by a counting sort, and
    each part is let go (taken out of the lists, which are emptied) once placed.
    """
    if sum(len(part) for part in order_parts) == 0:
        dropped = ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in (extra_summary or {}).items() if v)
        raise InputError(
            f"{what} holds no purchases"
            + (f" (dropped: {dropped})" if dropped else "")
            + "; check that it is the right file and that its order and item columns are filled."
        )
    items, rank = ranked_items(item_parts, labels)
    n_items = len(items)
    indptr, cols, repeated = _rows_of_parts(order_parts, item_parts, rank, n_rows=n_codes, n_cols=n_items)
    lengths = np.diff(indptr)
    present = np.flatnonzero(lengths)
    if len(present) < len(lengths):  # codes no row uses (baskets whose rows were all dropped)
        indptr = np.zeros(len(present) + 1, dtype=np.int64)
        np.cumsum(lengths[present], out=indptr[1:])

    def pick(values: Sequence[Any] | None) -> tuple[Any, ...] | None:
        if values is None:
            return None
        if len(present) == len(values):  # every basket kept: no copy
            return tuple(values)
        return tuple(values[int(i)] for i in present)

    counts: dict[str, Any] = dict(extra_summary or {})  # counts only, but typed as every field is
    summary = ReadSummary(
        rows_read=rows_read, baskets=len(present), items=n_items, repeated_item_rows=repeated,
        non_products=non_products, **counts,
    )  # fmt: skip
    return Baskets(
        items=tuple(str(item) for item in items),
        indptr=indptr.astype(np.int64, copy=False),
        indices=cols,
        summary=summary,
        source=source,
        basket_ids=pick(basket_ids),
        customers=pick(customers),
        timestamps=None if timestamps is None else np.asarray(timestamps)[present],
        catalog=catalog,
    )


# Lines placed at a time when the basket matrix is laid out.
_PLACED_LINES = 1 << 16


def _rows_of_parts(
    order_parts: list[np.ndarray], item_parts: list[np.ndarray], rank: np.ndarray, *, n_rows: int, n_cols: int
) -> tuple[np.ndarray, np.ndarray, int]:
    """``indptr`` and ``indices`` (int32) of the rows' distinct columns, sorted, and how many
    (row, column) pairs repeated one before; the pairs are ``order_parts[k]`` with
    ``rank[item_parts[k]]``, and the lists are emptied as the parts are placed.

    A counting sort: each row's length, then each part's pairs written at their rows' next
    free places (a part's lines grouped by row with a stable sort, cheap on the lines of
    orders that come together); scipy then sorts each row's columns and merges repeats in
    place. Joining the parts, then scipy's COO-to-CSR, held the lines two or three times over.
    """
    lengths = np.zeros(n_rows, dtype=np.int64)
    for rows in order_parts:
        if len(rows):
            low = int(rows.min())
            counted = np.bincount(rows - low)
            lengths[low : low + len(counted)] += counted
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    del lengths
    free = indptr[:-1].copy()  # each row's next place
    indices = np.empty(int(indptr[-1]), dtype=np.int32)
    # The last parts first: the memory a reader took last is given back first.
    while order_parts:
        part_rows, part_items = order_parts.pop(), item_parts.pop()
        # A slice of lines at a time: the sort's arrays stay small whatever the parts.
        for start in range(0, len(part_rows), _PLACED_LINES):
            lines = slice(start, start + _PLACED_LINES)
            by_row = np.argsort(part_rows[lines], kind="stable")
            rows = part_rows[lines][by_row]
            starts = np.flatnonzero(np.diff(rows, prepend=-1))
            sizes = np.diff(starts, append=len(rows))
            within = np.arange(len(rows)) - np.repeat(starts, sizes)
            indices[free[rows] + within] = rank[part_items[lines][by_row]]
            free[rows[starts]] += sizes
        del part_rows, part_items
    del free
    matrix = sp.csr_matrix((np.ones(len(indices), dtype=bool), indices, indptr), shape=(n_rows, n_cols))
    del indices
    matrix.sum_duplicates()  # sorts each row's columns, merges repeated ones, in place
    repeated = int(indptr[-1]) - matrix.nnz
    return matrix.indptr, matrix.indices.astype(np.int32, copy=False), repeated


def without_items(baskets: Baskets, items: Iterable[str], *, reason: str = "listed to exclude") -> Baskets:
    """The baskets without ``items`` (not modified), counted as non-product lines.

    For inputs whose lines cannot be told apart when read (basket files, lists): each basket
    holding an excluded item counts as one line left out. Baskets left empty are dropped.

    Examples
    --------
    >>> b = Baskets.from_lists([["tea", "POST"], ["POST"], ["mug"]])
    >>> kept = without_items(b, ["POST"])
    >>> list(kept), kept.summary.non_product_rows, kept.summary.non_products[0].item
    ([('tea',), ('mug',)], 2, 'POST')
    """
    position = {item: j for j, item in enumerate(baskets.items)}
    columns = sorted({position[item] for item in items if item in position})
    if not columns:
        return baskets
    counts = baskets.item_counts()
    drop = np.zeros(baskets.n_items, dtype=bool)
    drop[columns] = True
    rows = np.repeat(np.arange(len(baskets), dtype=np.int64), np.diff(baskets.indptr))
    keep = ~drop[baskets.indices]
    labels = np.asarray(baskets.items, dtype=object)[baskets.indices[keep]]
    left = tuple(
        LeftOut(item=baskets.items[j], lines=int(counts[j]), reason=reason)
        for j in sorted(columns, key=lambda j: (-counts[j], baskets.items[j]))
    )
    before = baskets.summary
    catalog = baskets.catalog
    if catalog is not None:
        catalog = catalog.loc[~catalog.index.isin([baskets.items[j] for j in columns])]
    result = baskets_from_pairs(
        rows[keep],
        labels,
        rows_read=before.rows_read,
        source=baskets.source,
        what=baskets.source.name,
        basket_ids=baskets.basket_ids,
        customers=baskets.customers,
        timestamps=baskets.timestamps,
        catalog=catalog,
    )
    summary = replace(
        before,
        baskets=result.summary.baskets,
        items=result.summary.items,
        non_product_rows=before.non_product_rows + sum(entry.lines for entry in left),
        non_products=tuple(sorted(before.non_products + left, key=lambda entry: (-entry.lines, entry.item))),
    )
    return replace(result, summary=summary)
