"""Baskets whose lines come together: the basket matrix's rows appended as they are read.

Exports almost always give an order's lines one after another. While they do, a reader needs
per kept line only its item code, which is the matrix's own entry, and per basket its number
of lines and its order: no basket code per line, and no counting sort to lay the matrix out
(:func:`recommender.io.baskets.baskets_from_code_parts`). :class:`BasketRuns` numbers the
baskets of such lines and tells when an order's lines come back after another order began,
from which point the reader keeps a basket code per line again; :func:`rows_of_runs` makes
the matrix's rows of the lines kept in runs, a window of baskets at a time, each row's items
sorted and repeats merged, so that the lines are never held twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

import numpy as np
import pandas as pd

__all__ = ["BasketRuns", "rows_of_runs"]

# Lines per window when the rows are made: the window's arrays stay small whatever the file.
WINDOW_LINES = 1 << 16


class Column(Protocol):
    """A column of int32 values growing by appends, handed over as parts (``_Codes``)."""

    def append(self, values: np.ndarray) -> None: ...

    def parts(self) -> list[np.ndarray]: ...


class BasketRuns:
    """The baskets of kept lines that come as runs of one order each, numbered as they come.

    ``lengths[k]`` is basket ``k``'s number of kept lines and ``orders[k]`` its order's code;
    ``has_basket`` tells, per order code, whether the order has a basket: the set of orders
    seen, which is all that telling a run of an order seen before needs (1 byte an order).
    """

    def __init__(self) -> None:
        self.count = 0
        self.lengths = np.zeros(1 << 10, dtype=np.int64)
        self.orders = np.zeros(1 << 10, dtype=np.int32)
        self.has_basket = np.zeros(1 << 10, dtype=bool)

    def add(self, orders: np.ndarray) -> bool:
        """Append a batch's kept lines, given their order codes (int32, none missing), the lines
        after those added before; False, and nothing added, when the lines of an order that has
        a basket come after another order's lines (that order's lines do not come together)."""
        if len(orders) == 0:
            return True
        starts = np.flatnonzero(np.diff(orders, prepend=np.int32(-1)))
        runs, sizes = orders[starts], np.diff(starts, append=len(orders))
        if int(runs.max()) >= len(self.has_basket):
            self.has_basket = _grown(self.has_basket, int(runs.max()) + 1)
        # The batch's first run may go on with the last basket; every other run begins a basket.
        going_on = self.count > 0 and runs[0] == self.orders[self.count - 1]
        fresh, fresh_sizes = (runs[1:], sizes[1:]) if going_on else (runs, sizes)
        if self.has_basket[fresh].any() or len(pd.unique(fresh)) < len(fresh):
            return False
        if going_on:
            self.lengths[self.count - 1] += sizes[0]
        runs, sizes = fresh, fresh_sizes
        end = self.count + len(runs)
        if end > len(self.lengths):
            self.lengths, self.orders = _grown(self.lengths, end), _grown(self.orders, end)
        self.lengths[self.count : end] = sizes
        self.orders[self.count : end] = runs
        self.has_basket[runs] = True
        self.count = end
        return True

    def basket_of(self, n_orders: int) -> np.ndarray:
        """Each order code's basket (int32; -1: none), for ``n_orders`` order codes."""
        basket_of = np.full(n_orders, -1, dtype=np.int32)
        basket_of[self.orders[: self.count]] = np.arange(self.count, dtype=np.int32)
        return basket_of

    def line_baskets(self) -> Iterator[np.ndarray]:
        """Each kept line's basket (int32), in the lines' order, a window of baskets at a time."""
        for start in range(0, self.count, WINDOW_LINES):
            end = min(self.count, start + WINDOW_LINES)
            yield np.repeat(np.arange(start, end, dtype=np.int32), self.lengths[start:end])


def rows_of_runs(
    item_parts: list[np.ndarray],
    lengths: np.ndarray,
    rank: np.ndarray,
    *,
    n_cols: int,
    left_out: np.ndarray | None,
    staged: Column,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, int]:
    """The basket matrix of lines kept in runs: ``indptr`` (int64) and ``indices`` (int32) of
    each basket's distinct columns, sorted; which baskets kept a line (None: all), and how many
    lines repeated an item of their basket.

    ``item_parts`` holds the lines' item codes one part after another (emptied as they are
    read), ``lengths`` each basket's lines (overwritten); a line's column is ``rank`` of its
    item, lines of items ``left_out`` flags are dropped, and a basket left without a line is
    dropped. The rows are made a window of baskets at a time into ``staged`` (blocks given
    back as they are read, as the parts are), then copied into one array: the lines are held
    once, and the matrix beside them only block by block.
    """
    parts = _Lines(item_parts)
    repeated, start = 0, 0
    while start < len(lengths):
        # Whole baskets of about WINDOW_LINES lines (at least one basket).
        ends = np.cumsum(lengths[start : start + WINDOW_LINES])
        n = max(1, int(np.searchsorted(ends, WINDOW_LINES, side="right")))
        items = parts.take(int(ends[n - 1]))
        rows = np.repeat(np.arange(n, dtype=np.int64), lengths[start : start + n])
        if left_out is not None:
            kept = ~left_out[items]
            items, rows = items[kept], rows[kept]
        # Sorting (row, column) keys sorts each row's columns, the rows already in order.
        keys = np.sort(rows * n_cols + rank[items])
        distinct = np.ones(len(keys), dtype=bool)
        distinct[1:] = keys[1:] != keys[:-1]
        keys = keys[distinct]
        repeated += len(distinct) - len(keys)
        lengths[start : start + n] = np.bincount(keys // n_cols, minlength=n)
        staged.append((keys % n_cols).astype(np.int32))
        start += n
    basket_kept = None
    if left_out is not None and not lengths.all():
        basket_kept = lengths > 0
        lengths = lengths[basket_kept]
    indptr = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    indices = np.empty(int(indptr[-1]), dtype=np.int32)
    blocks, placed = staged.parts(), 0
    blocks.reverse()
    while blocks:  # each block let go once copied
        block = blocks.pop()
        indices[placed : placed + len(block)] = block
        placed += len(block)
        del block
    return indptr, indices, basket_kept, repeated


class _Lines:
    """The values of parts one after another, read from the start, each part let go once read."""

    def __init__(self, parts: list[np.ndarray]) -> None:
        parts.reverse()
        self.parts = parts  # the next part last
        self.offset = 0  # values of the next part already read

    def take(self, n: int) -> np.ndarray:
        """The next ``n`` values."""
        pieces = []
        while n > 0:
            part = self.parts[-1]
            piece = part[self.offset : self.offset + n]
            pieces.append(piece)
            n -= len(piece)
            self.offset += len(piece)
            if self.offset == len(part):
                self.parts.pop()
                self.offset = 0
            del part
        return pieces[0] if len(pieces) == 1 else np.concatenate(pieces)


def _grown(array: np.ndarray, needed: int) -> np.ndarray:
    """``array``'s values in an array of at least ``needed`` places, grown by half at a time."""
    bigger = np.zeros(max(needed, len(array) + len(array) // 2), dtype=array.dtype)
    bigger[: len(array)] = array
    return bigger
