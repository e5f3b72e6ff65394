"""Sparse encoding with the pruning that keeps mining small.

Nothing here is dense in the number of items: item counts come from ``bincount``, pair counts
from :func:`.pairs.count_pairs`, and the matrix handed to the miner holds only what can still be
part of a frequent itemset of two or more items.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..io.baskets import Baskets

__all__ = [
    "Reduced",
    "basket_matrix",
    "reduce_for_mining",
    "within_basket_pairs",
    "is_frequent_pair",
    "frequent_pair_table",
]

# Frequent pairs are looked up in a dense table of booleans (one per pair of columns) up to
# this many cells (64 MB); past it, by binary search among their sorted keys. The table takes
# a tenth of the search's time (3 million baskets: 0.3 s against 3.1 s).
PAIR_TABLE_CELLS = 1 << 26
# Pairs of a padded basket's items looked up at once (a byte each).
PAIRS_AT_ONCE = 1 << 24


def basket_matrix(baskets: Baskets, columns: np.ndarray) -> sp.csr_matrix:
    """Baskets x ``columns`` (item indices) as a boolean CSR matrix, other items left out."""
    # int32 positions: the work arrays over every entry are half of int64's (125 MB for the 31
    # million entries of 3 million baskets, each such array also a fresh run of page faults).
    position = np.full(baskets.n_items, -1, dtype=np.int32)
    position[columns] = np.arange(len(columns), dtype=np.int32)
    mapped = position[baskets.indices]
    keep = mapped >= 0
    # Built as CSR directly (each basket's kept entries stay in place), not through COO.
    matrix = sp.csr_matrix(
        (np.ones(int(np.count_nonzero(keep)), dtype=bool), mapped[keep], _kept_before(keep, baskets.indptr)),
        shape=(len(baskets), len(columns)),
    )
    if not matrix.has_sorted_indices:  # columns not in ascending order
        matrix.sort_indices()
    return matrix


def _kept_before(keep: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """The number of kept entries (``keep`` true) before each position of ``indptr``: the
    row pointers of the rows cut to their kept entries. Found among the kept entries' positions
    rather than by a cumulative sum over every entry (an int64 array of all of them: 250 MB
    for 3 million baskets, and 1-1.5 s there against 0.3 s for this)."""
    return np.searchsorted(np.flatnonzero(keep), indptr)


@dataclass(frozen=True, kw_only=True, eq=False)
class Reduced:
    """The part of the baskets that can hold frequent itemsets of two or more items.

    ``matrix`` has one column per entry of ``items`` (indices into the vocabulary) and only
    the baskets with at least two such items; an item of a basket is kept only when it forms
    a frequent pair with another item of the same basket. ``pair_keys`` are the frequent pairs
    as sorted keys ``x * width + y`` (both orders) and ``pairs`` the same pairs once (``x < y``)
    with their basket counts, all in column indices of ``matrix``. Counts of itemsets of two or more
    items are the same in ``matrix`` as in the full baskets, because every pair inside a
    frequent itemset is itself frequent.
    """

    items: np.ndarray
    matrix: sp.csr_matrix
    pair_keys: np.ndarray
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray]


def within_basket_pairs(
    matrix: sp.csr_matrix, *, block: int = 1 << 15
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Every ordered pair of distinct items within each basket, a block of baskets at a time.

    Yields ``(entry, partner_entry, basket)`` arrays: positions in ``matrix.indices`` of the
    two items, and the basket's row. The work follows the sum of squared basket lengths.
    """
    for start in range(0, matrix.shape[0], block):
        stop = min(start + block, matrix.shape[0])
        indptr = matrix.indptr[start : stop + 1]
        lengths = np.diff(indptr)
        entry_row = np.repeat(np.arange(start, stop), lengths)
        entries = np.arange(indptr[0], indptr[-1])
        per_entry = lengths[entry_row - start]
        first = np.repeat(entries, per_entry)
        offsets = np.arange(len(first)) - np.repeat(np.cumsum(per_entry) - per_entry, per_entry)
        second = np.repeat(matrix.indptr[entry_row], per_entry) + offsets
        distinct = first != second
        yield first[distinct], second[distinct], np.repeat(entry_row, per_entry)[distinct]


def frequent_pair_table(pair_keys: np.ndarray, width: int) -> np.ndarray | None:
    """The keys ``x * width + y`` of ``pair_keys`` as a flat boolean table of ``width**2``
    cells, or None when it would be larger than ``PAIR_TABLE_CELLS``."""
    if width * width > PAIR_TABLE_CELLS:
        return None
    table = np.zeros(width * width, dtype=bool)
    table[pair_keys] = True
    return table


def is_frequent_pair(keys: np.ndarray, pair_keys: np.ndarray, table: np.ndarray | None = None) -> np.ndarray:
    """Whether each key ``x * width + y`` is among the sorted ``pair_keys`` (their
    :func:`frequent_pair_table`, when given, answers instead)."""
    if table is not None:
        found: np.ndarray = table[keys]
        return found
    if len(pair_keys) == 0:
        return np.zeros(len(keys), dtype=bool)
    where = np.minimum(np.searchsorted(pair_keys, keys), len(pair_keys) - 1)
    hit: np.ndarray = pair_keys[where] == keys
    return hit


def baskets_by_width(matrix: sp.csr_matrix) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The baskets of two or more entries, those of about one width together: ``(rows,
    entries)``, ``entries`` a rows x width array of positions in ``matrix.indices``, padded
    with ``matrix.nnz`` (a position past them). Widths grow by a quarter at most, so that at
    most a fifth of the array is padding; at most ``PAIRS_AT_ONCE`` width x width cells at a time.
    """
    sizes = np.diff(matrix.indptr)
    low, high = 2, 2
    largest = int(sizes.max(initial=0))
    while low <= largest:
        baskets = np.flatnonzero((sizes >= low) & (sizes <= high))
        step = max(1, PAIRS_AT_ONCE // (high * high))
        offsets = np.arange(high)
        for start in range(0, len(baskets), step):
            rows = baskets[start : start + step]
            yield rows, np.where(offsets < sizes[rows][:, None], matrix.indptr[rows][:, None] + offsets, matrix.nnz)
        low, high = high + 1, max(high + 1, int(high * 1.25))


def padded_pair_table(pair_keys: np.ndarray, width: int) -> np.ndarray | None:
    """The frequent pairs (keys ``x * width + y``) as a ``(width + 1) x (width + 1)`` boolean
    table, the last column and row the padding's (in no pair); None when too large."""
    table = frequent_pair_table(pair_keys // width * (width + 1) + pair_keys % width, width + 1)
    return None if table is None else table.reshape(width + 1, width + 1)


def _partnered_by_width(matrix: sp.csr_matrix, table: np.ndarray) -> np.ndarray:
    """Whether each entry of ``matrix`` has a frequent partner in its basket (``table``: the
    :func:`padded_pair_table`): every pair of a padded basket's items is looked up at once."""
    columns = np.append(matrix.indices, matrix.shape[1])  # position nnz: the padding
    partnered = np.zeros(matrix.nnz + 1, dtype=bool)
    for _, entries in baskets_by_width(matrix):
        items = columns[entries]
        partnered[entries] = table[items[:, :, None], items[:, None, :]].any(axis=2)
    return partnered[:-1]


def _keep_partnered(matrix: sp.csr_matrix, pair_keys: np.ndarray) -> sp.csr_matrix:
    """Baskets reduced to the items with a frequent partner in the same basket; baskets left
    with fewer than two items are dropped."""
    width = matrix.shape[1]
    table = padded_pair_table(pair_keys, width)
    if table is not None:
        partnered = _partnered_by_width(matrix, table)
    else:
        partnered = np.zeros(matrix.nnz, dtype=bool)
        for first, second, _ in within_basket_pairs(matrix):
            keys = matrix.indices[first].astype(np.int64) * width + matrix.indices[second]
            partnered[first[is_frequent_pair(keys, pair_keys)]] = True
    per_row = np.diff(_kept_before(partnered, matrix.indptr))
    keep_rows = per_row >= 2
    keep = partnered & np.repeat(keep_rows, np.diff(matrix.indptr))
    # Built as CSR directly: each kept basket's entries stay in place and in order.
    reduced = sp.csr_matrix(
        (
            np.ones(int(keep.sum()), dtype=bool),
            matrix.indices[keep],
            np.concatenate(([0], np.cumsum(per_row[keep_rows]))),
        ),
        shape=(int(keep_rows.sum()), width),
    )
    return reduced


def reduce_for_mining(
    baskets: Baskets,
    item_counts: np.ndarray,
    min_count: int,
    *,
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    memory_bytes: int | None = None,
) -> Reduced:
    """Drop infrequent items, items in no frequent pair, and baskets left with one item.

    ``pairs`` are the frequent pairs ``(a, b, count)`` in vocabulary indices, both orders, as
    :func:`recommender.mining.pairs.count_pairs` keeps them (counted here when not given, in
    blocks within ``memory_bytes``); the partner test goes a block of baskets at a time, so
    that no intermediate grows with items x items or baskets x items. ``item_counts`` is kept
    for callers: a pair in ``min_count`` baskets is one of two frequent items, so the pairs
    alone say which items are.
    """
    from .pairs import count_pairs

    if pairs is None:
        pairs = count_pairs(
            baskets, min_count=min_count, per_item=0, top_min_count=len(baskets) + 1, memory_bytes=memory_bytes
        ).frequent
    first, second, pair_counts = (np.asarray(part, dtype=np.int64) for part in pairs)
    keep = pair_counts >= min_count
    first, second, pair_counts = first[keep], second[keep], pair_counts[keep]
    partnered = np.unique(first)  # vocabulary indices, sorted; each is a frequent item
    position = np.full(baskets.n_items, -1, dtype=np.int64)
    position[partnered] = np.arange(len(partnered))
    pair_rows, pair_cols = position[first], position[second]
    order = np.argsort(pair_rows * len(partnered) + pair_cols)
    pair_keys = (pair_rows * len(partnered) + pair_cols)[order]
    upper = pair_rows[order] < pair_cols[order]
    return Reduced(
        items=partnered,
        matrix=_keep_partnered(basket_matrix(baskets, partnered), pair_keys),
        pair_keys=pair_keys,
        pairs=(pair_rows[order][upper], pair_cols[order][upper], pair_counts[order][upper]),
    )


def support_that_fits(past: int, n_baskets: int) -> float:
    """A round support that keeps fewer pairs than a limit: one basket above ``past``, the count
    of the first pair past the limit, rounded to one or two significant digits, never below.

    Examples
    --------
    >>> support_that_fits(59, 20_728)
    0.003
    >>> support_that_fits(11, 1000)
    0.013
    """
    fitting = (past + 1) / n_baskets
    suggestion = float(f"{fitting:.1g}")
    if suggestion < fitting:
        suggestion = float(f"{fitting * 1.05:.2g}")
    return suggestion
