"""Pair counts within a memory budget: one pass that serves the rules and the co-bought pairs.

The count of a pair of items is an entry of the Gram matrix ``XᵀX`` of the baskets. It is
computed as blocked sparse products, rows of items at a time: a block's product holds at most
as many entries as the pair occurrences of its items (the sizes of their baskets summed), so
blocks are cut to keep that within a byte budget whatever the popular items. From each block
two things are kept, never the block itself: the frequent pairs (at least the support's count:
the input of mining) and each item's most co-bought items (at least two baskets: the
ranking's item-level back-off, :mod:`.cobought`); and, when asked, every count among a few
thousand items as a dense matrix (the Gram matrix the learned weights solve, :mod:`.weights`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..io.baskets import Baskets

__all__ = ["PairCounts", "count_pairs", "basket_counts_matrix", "default_memory_budget", "BYTES_PER_PAIR"]

# Bytes a block's product costs per entry at its peak: scipy's product (int32 counts and
# int32 columns, plus its per-row work arrays), then the selections made from it.
BYTES_PER_PAIR = 24
# The budget by default: this share of the memory the machine has available, at most
# DEFAULT_MAX_BYTES: larger blocks count no faster (3 million baskets: 24.4 s in blocks of 1 GB,
# 26-31 s in two of about 5 GB; benchmarks/README.md) and only raise the peak.
DEFAULT_MEMORY_SHARE = 0.25
DEFAULT_MAX_BYTES = 1 << 30
# Entries of a block written into the dense counts at a time (9 bytes of work arrays each).
DENSE_CHUNK = 1 << 22
# Never cut blocks finer than this budget: below it the per-block overhead dominates.
MIN_BUDGET_BYTES = 64 << 20


@dataclass(frozen=True, kw_only=True, eq=False)
class PairCounts:
    """Pairs of vocabulary indices with their basket counts.

    ``frequent`` holds every pair ``(a, b, count)`` with ``count >= min_count``, both orders,
    by ``a`` (within ``a`` in no set order). ``top`` holds, for each item ``a``, its ``per_item`` partners ``b``
    in the most baskets (at least ``top_min_count``; ties to the smaller index), sorted by
    ``a`` then rank. ``blocks`` is how many products the counting took. ``dense``, when asked
    for, holds the count of every pair of the ``dense_items`` given, in their order (on the
    diagonal, each item's baskets).
    """

    frequent: tuple[np.ndarray, np.ndarray, np.ndarray]
    top: tuple[np.ndarray, np.ndarray, np.ndarray]
    min_count: int
    blocks: int
    dense: np.ndarray | None = None

    def frequent_at(self, min_count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The frequent pairs at a count of at least ``min_count`` (not below the one counted)."""
        if min_count < self.min_count:
            raise ValueError(f"pairs were kept from {self.min_count} baskets on, not {min_count}")
        a, b, counts = self.frequent
        keep = counts >= min_count
        return a[keep], b[keep], counts[keep]


def default_memory_budget() -> int:
    """A quarter of the memory available now (``MemAvailable``), at least 64 MB and at most 1 GB."""
    available = 0
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    available = int(line.split()[1]) * 1024
                    break
    except OSError:
        pass
    if not available and hasattr(os, "sysconf"):
        try:
            available = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError):
            available = 0
    return max(MIN_BUDGET_BYTES, min(DEFAULT_MAX_BYTES, int(available * DEFAULT_MEMORY_SHARE)))


def basket_counts_matrix(baskets: Baskets) -> sp.csr_matrix:
    """Baskets x items, int32 ones, over the baskets' own arrays (no copy of their items)."""
    return sp.csr_matrix(
        (np.ones(len(baskets.indices), dtype=np.int32), baskets.indices, baskets.indptr),
        shape=(len(baskets), baskets.n_items),
        copy=False,
    )


def count_pairs(
    baskets: Baskets,
    *,
    min_count: int,
    per_item: int,
    top_min_count: int,
    memory_bytes: int | None = None,
    matrix: sp.csr_matrix | None = None,
    dense_items: np.ndarray | None = None,
) -> PairCounts:
    """Count every pair of items once, in blocks within ``memory_bytes`` (default:
    :func:`default_memory_budget`); keep the frequent pairs and each item's top partners, and
    every count among ``dense_items`` (vocabulary indices) as an int32 matrix in their order.

    Examples
    --------
    >>> b = Baskets.from_lists([["tea", "kettle"], ["tea", "kettle"], ["tea", "mug"], ["mug", "tea"]])
    >>> counted = count_pairs(b, min_count=2, per_item=1, top_min_count=2)
    >>> sorted((b.items[x], b.items[y], int(n)) for x, y, n in zip(*counted.frequent))
    [('kettle', 'tea', 2), ('mug', 'tea', 2), ('tea', 'kettle', 2), ('tea', 'mug', 2)]
    >>> [(b.items[x], b.items[y]) for x, y, _ in zip(*counted.top)]
    [('kettle', 'tea'), ('mug', 'tea'), ('tea', 'kettle')]
    >>> count_pairs(b, min_count=2, per_item=1, top_min_count=2, dense_items=np.array([2, 0])).dense  # tea, kettle
    array([[4, 2],
           [2, 2]], dtype=int32)
    """
    budget = memory_bytes if memory_bytes is not None else default_memory_budget()
    n_items = baskets.n_items
    by_basket = matrix if matrix is not None else basket_counts_matrix(baskets)
    by_item = by_basket.T.tocsr()  # items x baskets: the one copy of the items the products need
    sizes = np.diff(baskets.indptr)
    # The entries of item a's row of counts are at most its pair occurrences.
    occurrences = np.bincount(baskets.indices, weights=np.repeat(sizes, sizes), minlength=n_items)
    bounds = _block_bounds(occurrences, max(1, budget // BYTES_PER_PAIR))
    frequent: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    top: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    dense = None
    if dense_items is not None:
        dense = np.zeros((len(dense_items), len(dense_items)), dtype=np.int32)
        position = np.full(n_items, -1, dtype=np.int32)
        position[dense_items] = np.arange(len(dense_items), dtype=np.int32)
    for start, stop in zip(bounds[:-1], bounds[1:]):
        block = by_item[start:stop] @ by_basket  # rows start..stop of XᵀX, columns in no order
        rows = np.repeat(np.arange(start, stop, dtype=np.int32), np.diff(block.indptr))
        cols, counts = block.indices, block.data
        del block
        if dense is not None:
            _scatter(dense, position, rows, cols, counts)
        other = cols != rows
        strong = other & (counts >= min_count)
        frequent.append((rows[strong], cols[strong].astype(np.int32), counts[strong].astype(np.int64)))
        candidate = other & (counts >= top_min_count)
        top.append(_top_per_row(rows[candidate], cols[candidate], counts[candidate], per_item))
    return PairCounts(
        frequent=_concatenate(frequent), top=_concatenate(top), min_count=min_count, blocks=len(bounds) - 1,
        dense=dense,
    )  # fmt: skip


def _scatter(dense: np.ndarray, position: np.ndarray, rows: np.ndarray, cols: np.ndarray, counts: np.ndarray) -> None:
    """Write the counts of the pairs whose two items have a ``position`` (not -1) into ``dense``,
    ``DENSE_CHUNK`` entries at a time: the work arrays stay small beside the block's."""
    for start in range(0, len(rows), DENSE_CHUNK):
        at_row, at_col = position[rows[start : start + DENSE_CHUNK]], position[cols[start : start + DENSE_CHUNK]]
        inside = (at_row >= 0) & (at_col >= 0)
        dense[at_row[inside], at_col[inside]] = counts[start : start + DENSE_CHUNK][inside]


def _block_bounds(occurrences: np.ndarray, max_entries: int) -> list[int]:
    """Consecutive items cut into blocks of at most ``max_entries`` pair occurrences (an item
    with more is a block of its own)."""
    bounds = [0]
    total = 0.0
    for item, weight in enumerate(occurrences.tolist()):
        if total and total + weight > max_entries:
            bounds.append(item)
            total = 0.0
        total += weight
    bounds.append(len(occurrences))
    return bounds


def _top_per_row(
    rows: np.ndarray, cols: np.ndarray, counts: np.ndarray, per_item: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``per_item`` entries of each row with the largest counts, ties to the smaller column.

    ``rows`` ascend; the columns within a row are in no order (scipy's product leaves them so,
    and sorting them, every pair seen once included, took 6 of the 40 s of 3 million baskets).
    One sort by (row, count descending) finds each row's ``per_item``-th count; only the
    entries with at least that count are then sorted by column among equal counts.
    """
    if len(rows) == 0 or per_item <= 0:
        return rows[:0].astype(np.int32), cols[:0].astype(np.int32), counts[:0].astype(np.int64)
    key = rows.astype(np.int64) << 32 | (np.int64(np.iinfo(np.int32).max) - counts.astype(np.int64))
    order = np.argsort(key, kind="stable")  # a merge sort: the rows come in ascending runs (6 times faster)
    first, sizes = _runs(rows[order])
    threshold = counts[order[first + np.minimum(sizes, per_item) - 1]]
    running = order[counts[order] >= np.repeat(threshold, sizes)]
    del order
    running = running[np.lexsort((cols[running], key[running]))]
    rows, cols, counts = rows[running], cols[running], counts[running]
    first, sizes = _runs(rows)
    keep = np.arange(len(rows)) - np.repeat(first, sizes) < per_item
    return rows[keep], cols[keep].astype(np.int32), counts[keep].astype(np.int64)


def _runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each run of equal ``values`` starts (a sorted array's groups), and its length."""
    first = np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))
    return first, np.diff(np.append(first, len(values)))


def _concatenate(parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not parts:
        empty = np.zeros(0, dtype=np.int32)
        return empty, empty, np.zeros(0, dtype=np.int64)
    return (
        np.concatenate([p[0] for p in parts]).astype(np.int32),
        np.concatenate([p[1] for p in parts]).astype(np.int32),
        np.concatenate([p[2] for p in parts]).astype(np.int64),
    )
