"""Conditional databases: the frequent-itemset problem cut into independent pieces.

Every frequent itemset of three or more items has one least frequent item ``x``; the rest of it
lies in the baskets holding ``x``, among the items more frequent than ``x`` that form a frequent
pair with it. That is ``x``'s conditional database (as in FP-growth's first step and in
Spark's parallel FP-growth). Mining each of them for itemsets of two or more items finds every
frequent itemset of three or more items exactly once, with its exact count.

Conditional databases share no columns, so many of them are stacked block-diagonally into one
matrix (a batch) that one call of the miner handles: no itemset can span two blocks, and the
count threshold is absolute. Batches are sized so that the miner's own dense copy of a batch
stays small, and they are independent, so they can go to several processes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .encode import baskets_by_width, is_frequent_pair, padded_pair_table, within_basket_pairs

__all__ = ["ConditionalBatch", "conditional_batches"]

# Members are pruned again while a pass drops at least this share of the entries.
PRUNE_UNTIL = 0.01
# Keys of (owner, member) below this are counted in an array rather than sorted (8 bytes each).
DENSE_KEYS = 1 << 24


@dataclass(frozen=True, kw_only=True, eq=False)
class ConditionalBatch:
    """Conditional databases stacked block-diagonally.

    Column ``c`` of ``matrix`` stands for item ``member[c]`` in the conditional database of
    item ``owner[c]`` (both column indices of the matrix the batch was cut from).
    """

    matrix: sp.csr_matrix
    owner: np.ndarray
    member: np.ndarray

    @property
    def cost(self) -> int:
        return int(self.matrix.nnz)


def conditional_batches(
    matrix: sp.csr_matrix,
    pair_keys: np.ndarray,
    *,
    min_count: int,
    max_cells: int = 1 << 25,
) -> list[ConditionalBatch]:
    """Cut ``matrix`` (baskets x items, boolean) into batches of conditional databases.

    ``pair_keys`` are the frequent pairs as sorted keys ``x * width + y`` (both orders).
    Databases with fewer than ``min_count`` baskets of two or more items cannot hold a
    frequent itemset and are left out. ``max_cells`` bounds rows x columns of a batch.
    """
    width = matrix.shape[1]
    if not matrix.has_sorted_indices:
        matrix = matrix.sorted_indices()
    counts = np.asarray(matrix.sum(axis=0)).ravel()
    # Rank: more frequent first, ties by column, as FP-growth orders its tree.
    order = np.lexsort((np.arange(width), -counts))
    rank = np.empty(width, dtype=np.int64)
    rank[order] = np.arange(width)

    owners: list[np.ndarray] = []
    baskets: list[np.ndarray] = []
    members: list[np.ndarray] = []
    # Kept as int32 (columns and baskets of a sparse matrix fit): half the memory of the
    # entries, the largest arrays of the mining stage.
    padded = padded_pair_table(pair_keys, width)
    if padded is not None:
        # Baskets of one width at a time: every (owner, member) of a basket found at once, by
        # basket, then owner, then member.
        columns = np.append(matrix.indices, width)  # the padding: in no pair
        padded_rank = np.append(rank, width)
        for rows, entries in baskets_by_width(matrix):
            items = columns[entries]
            ranks = padded_rank[items]
            keep = padded[items[:, :, None], items[:, None, :]] & (ranks[:, None, :] < ranks[:, :, None])
            row, owner_at, member_at = np.nonzero(keep)
            owners.append(items[row, owner_at].astype(np.int32))
            baskets.append(rows[row].astype(np.int32))
            members.append(items[row, member_at].astype(np.int32))
    else:
        for first, second, basket in within_basket_pairs(matrix):
            x = matrix.indices[first].astype(np.int64)
            y = matrix.indices[second].astype(np.int64)
            keep = (rank[y] < rank[x]) & is_frequent_pair(x * width + y, pair_keys)
            owners.append(x[keep].astype(np.int32))
            baskets.append(basket[keep].astype(np.int32))
            members.append(y[keep].astype(np.int32))
    if not owners:
        return []
    owner = np.concatenate(owners)
    basket = np.concatenate(baskets)
    member = np.concatenate(members)

    # Rows of a database are (owner, basket) with at least two members; a member in fewer than
    # min_count rows of its owner's database is in no frequent itemset of it. Dropping such
    # members can leave rows of one member, and those rows members below the count: again,
    # while a pass drops at least PRUNE_UNTIL of the entries (the last passes drop little, and
    # what they leave costs mlxtend less than another pass; benchmarks/README.md). A row's
    # entries are together already: the pairs came basket by basket, an owner's at a time.
    while len(owner):
        row_start = np.concatenate(([True], (owner[1:] != owner[:-1]) | (basket[1:] != basket[:-1])))
        row_id = np.cumsum(row_start, dtype=np.int64) - 1
        keep = np.bincount(row_id)[row_id] >= 2
        _, column_of_entry, column_rows = _distinct(owner[keep].astype(np.int64) * width + member[keep], width * width)
        keep[keep] = column_rows[column_of_entry] >= min_count
        dropped = len(keep) - int(keep.sum())
        owner, basket, member = owner[keep], basket[keep], member[keep]
        if dropped <= PRUNE_UNTIL * (len(owner) + dropped):
            break
    if len(owner) == 0:
        return []
    # The last pass may have left rows of one member: of no use, but harmless (the miner counts
    # itemsets of two or more members only); dropped all the same.
    row_start = np.concatenate(([True], (owner[1:] != owner[:-1]) | (basket[1:] != basket[:-1])))
    row_id = np.cumsum(row_start, dtype=np.int64) - 1
    keep = np.bincount(row_id)[row_id] >= 2
    owner, basket, member = owner[keep], basket[keep], member[keep]
    if len(owner) == 0:
        return []
    # Grouped by owner, then basket: the pairs came basket by basket (within each width), so a
    # stable sort by owner (a radix sort below 65,536 columns) is enough.
    sort = np.argsort(owner.astype(np.uint16) if width <= 1 << 16 else owner, kind="stable")
    owner, basket, member = owner[sort], basket[sort], member[sort]
    del sort
    row_start = np.concatenate(([True], (owner[1:] != owner[:-1]) | (basket[1:] != basket[:-1])))
    row_id = np.cumsum(row_start, dtype=np.int64) - 1
    column_keys, column_of_entry, _ = _distinct(owner.astype(np.int64) * width + member, width * width)
    rows_per_owner = np.bincount(owner[row_start], minlength=width)
    column_owner, column_member = np.divmod(column_keys, width)
    columns_per_owner = np.bincount(column_owner, minlength=width)

    viable = np.flatnonzero(rows_per_owner >= min_count)
    # Big databases first so batches fill evenly; each batch stays under max_cells.
    viable = viable[np.argsort(-(rows_per_owner[viable] * columns_per_owner[viable]), kind="stable")]
    groups: list[list[int]] = []
    rows_in = cols_in = 0
    for x in viable.tolist():
        r, c = int(rows_per_owner[x]), int(columns_per_owner[x])
        if groups and (rows_in + r) * (cols_in + c) <= max_cells:
            groups[-1].append(x)
            rows_in, cols_in = rows_in + r, cols_in + c
        else:
            groups.append([x])
            rows_in, cols_in = r, c

    batches: list[ConditionalBatch] = []
    for group in groups:
        in_group = np.isin(owner, group)
        rows = row_id[in_group]
        cols = column_of_entry[in_group]
        _, local_rows = np.unique(rows, return_inverse=True)
        used_cols, local_cols = np.unique(cols, return_inverse=True)
        block = sp.csr_matrix(
            (np.ones(len(rows), dtype=bool), (local_rows, local_cols)),
            shape=(int(local_rows.max()) + 1, len(used_cols)),
        )
        block.sort_indices()
        batches.append(ConditionalBatch(matrix=block, owner=column_owner[used_cols], member=column_member[used_cols]))
    return batches


def _distinct(keys: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``np.unique(keys, return_inverse=True, return_counts=True)`` for keys in ``[0, size)``,
    by counting when ``size`` is at most ``DENSE_KEYS`` (no sort)."""
    if size > DENSE_KEYS:
        distinct, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
        return distinct, inverse, counts
    tally = np.bincount(keys, minlength=size)
    distinct = np.flatnonzero(tally)
    code = np.zeros(size, dtype=np.int64)
    code[distinct] = np.arange(len(distinct))
    return distinct, code[keys], tally[distinct]
