"""Sparse encoding with the pruning that keeps mining small.

Nothing here is dense in the number of items: item counts come from ``bincount``, pair counts
from a sparse product, and the matrix handed to the miner holds only what can still be part
of a frequent itemset of two or more items.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..io.baskets import Baskets

__all__ = ["Reduced", "basket_matrix", "reduce_for_mining"]


def basket_matrix(baskets: Baskets, columns: np.ndarray) -> sp.csr_matrix:
    """Baskets x ``columns`` (item indices) as a boolean CSR matrix, other items left out."""
    position = np.full(baskets.n_items, -1, dtype=np.int64)
    position[columns] = np.arange(len(columns))
    mapped = position[baskets.indices]
    keep = mapped >= 0
    rows = np.repeat(np.arange(len(baskets), dtype=np.int64), np.diff(baskets.indptr))[keep]
    data = np.ones(int(keep.sum()), dtype=bool)
    return sp.csr_matrix((data, (rows, mapped[keep])), shape=(len(baskets), len(columns)))


@dataclass(frozen=True, kw_only=True, eq=False)
class Reduced:
    """The part of the baskets that can hold frequent itemsets of two or more items.

    ``matrix`` has one column per entry of ``items`` (indices into the vocabulary) and only
    the baskets with at least two such items; an item of a basket is kept only when it forms
    a frequent pair with another item of the same basket. Counts of itemsets of two or more
    items are the same in ``matrix`` as in the full baskets, because every pair inside a
    frequent itemset is itself frequent.
    """

    items: np.ndarray
    matrix: sp.csr_matrix
    pair_count: int


def _keep_partnered(chunk: sp.csr_matrix, strong_keys: np.ndarray, width: int) -> sp.csr_matrix:
    """Rows of ``chunk`` reduced to the items with a frequent partner in the same row; rows
    left with fewer than two items are dropped.

    Every ordered pair of items within a row is looked up among the frequent pairs (sorted
    keys ``x * width + y``); the work follows the sum of squared basket lengths.
    """
    lengths = np.diff(chunk.indptr)
    entry_row = np.repeat(np.arange(chunk.shape[0]), lengths)
    per_entry = lengths[entry_row]
    first = np.repeat(np.arange(chunk.nnz), per_entry)
    offsets = np.arange(len(first)) - np.repeat(np.cumsum(per_entry) - per_entry, per_entry)
    second = np.repeat(chunk.indptr[entry_row], per_entry) + offsets
    keys = chunk.indices[first].astype(np.int64) * width + chunk.indices[second]
    where = np.searchsorted(strong_keys, keys)
    where[where == len(strong_keys)] = 0
    hit = strong_keys[where] == keys if len(strong_keys) else np.zeros(len(keys), dtype=bool)
    partnered = np.bincount(first[hit], minlength=chunk.nnz) > 0
    rows_kept = np.bincount(entry_row[partnered], minlength=chunk.shape[0])
    keep_rows = rows_kept >= 2
    keep_entries = partnered & keep_rows[entry_row]
    new_rows = np.cumsum(keep_rows) - 1
    return sp.csr_matrix(
        (np.ones(int(keep_entries.sum()), dtype=bool), (new_rows[entry_row[keep_entries]], chunk.indices[keep_entries])),
        shape=(int(keep_rows.sum()), chunk.shape[1]),
    )


def reduce_for_mining(baskets: Baskets, item_counts: np.ndarray, min_count: int, *, block: int = 4096) -> Reduced:
    """Drop infrequent items, items in no frequent pair, and baskets left with one item.

    Work is done in blocks (of items for the pair counts, of baskets for the partner test) so
    that no intermediate grows with items x items or baskets x items.
    """
    frequent = np.flatnonzero(item_counts >= min_count)
    matrix = basket_matrix(baskets, frequent).astype(np.int32)
    by_item = matrix.T.tocsr()
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    for start in range(0, matrix.shape[1], block):
        # Pair counts of a block of items against all items; only frequent pairs are kept.
        counts = (by_item[start : start + block] @ matrix).tocoo()
        strong = (counts.data >= min_count) & (counts.row + start != counts.col)
        rows.append(counts.row[strong] + start)
        cols.append(counts.col[strong])
    pair_rows = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    pair_cols = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    adjacency = sp.csr_matrix(
        (np.ones(len(pair_rows), dtype=np.int32), (pair_rows, pair_cols)), shape=(matrix.shape[1],) * 2
    )
    partnered = np.flatnonzero(adjacency.getnnz(axis=0) > 0)
    matrix = matrix[:, partnered].tocsr()
    adjacency = adjacency[partnered][:, partnered].tocsr()
    # Within each basket, keep an item only if one of its frequent partners is there too.
    strong_keys = np.sort(adjacency.tocoo().row.astype(np.int64) * len(partnered) + adjacency.tocoo().col)
    kept: list[sp.csr_matrix] = []
    for start in range(0, matrix.shape[0], block):
        kept.append(_keep_partnered(matrix[start : start + block], strong_keys, len(partnered)))
    reduced = sp.vstack(kept, format="csr") if kept else sp.csr_matrix((0, len(partnered)), dtype=bool)
    reduced.sort_indices()
    return Reduced(items=frequent[partnered], matrix=reduced, pair_count=len(pair_rows) // 2)
