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


def reduce_for_mining(baskets: Baskets, item_counts: np.ndarray, min_count: int) -> Reduced:
    """Drop infrequent items, items in no frequent pair, and baskets left with one item."""
    frequent = np.flatnonzero(item_counts >= min_count)
    matrix = basket_matrix(baskets, frequent).astype(np.int32)
    # Pair counts, sparse: the product only holds pairs that occur at all.
    pairs = (matrix.T @ matrix).tocoo()
    strong = (pairs.data >= min_count) & (pairs.row != pairs.col)
    pair_count = int(strong.sum()) // 2
    adjacency = sp.csr_matrix(
        (np.ones(int(strong.sum()), dtype=np.int32), (pairs.row[strong], pairs.col[strong])),
        shape=pairs.shape,
    )
    partnered = np.flatnonzero(adjacency.getnnz(axis=0) > 0)
    matrix = matrix[:, partnered].tocsr()
    adjacency = adjacency[partnered][:, partnered].tocsr()
    # Within each basket, keep an item only if one of its frequent partners is there too.
    partners_present = (matrix @ adjacency).multiply(matrix).tocsr()
    partners_present.eliminate_zeros()
    rows = np.flatnonzero(partners_present.getnnz(axis=1) >= 2)
    reduced = (partners_present[rows] > 0).tocsr()
    reduced.sort_indices()
    return Reduced(items=frequent[partnered], matrix=reduced, pair_count=pair_count)
