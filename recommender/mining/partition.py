"""Conditional databases: the frequent-itemset problem cut into independent pieces.

Every frequent itemset of three or more items has one least frequent item ``x``; the rest of it
lies in the baskets holding ``x``, among the items more frequent than ``x`` that form a frequent
pair with it. That is ``x``'s conditional database (as in FP-growth's first step and in
Spark's parallel FP-growth). Mining each of them for itemsets of two or more items finds every
frequent itemset of three or more items exactly once, with its exact count.

Conditional databases share no columns, so many of them are stacked block-diagonally into one
matrix (a batch) that one call of the miner handles: no itemset can span two blocks, and the
count threshold is absolute. Batches are sized so that mlxtend's public ``fpgrowth``, where it is
the miner (``mlxtend_engine.py``), keeps its dense copy of a batch small, and they are
independent, so they can go to several processes. Rows repeat (2.2 million rows of 3 million
baskets are 306,000 distinct); the miner gives each distinct row once with its count.
"""

from __future__ import annotations

import functools
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
    counts = np.bincount(matrix.indices, minlength=width)
    # Rank: more frequent first, ties by column, as FP-growth orders its tree. Owners and
    # members are numbered by rank until the batches are made (column_of_rank maps back), so
    # that "more frequent than the owner" is "a smaller number".
    column_of_rank = np.lexsort((np.arange(width), -counts))
    rank = np.empty(width, dtype=np.int64)
    rank[column_of_rank] = np.arange(width)

    # An entry is an (owner, member) pair of a basket, as owner * width + member, and whether
    # it starts a row of a database (an owner's members in one basket): int32 where they fit,
    # the largest arrays of the mining stage.
    key_type = np.int32 if width * width < 1 << 31 else np.int64
    keys: list[np.ndarray] = []
    starts: list[np.ndarray] = []
    # The frequent pairs' table in ranks (for padded_pair_table, the keys need no order).
    padded = padded_pair_table(rank[pair_keys // width] * width + rank[pair_keys % width], width)
    if padded is not None:
        # Baskets of one width at a time, each basket's items sorted by rank (the padding,
        # numbered width, last): every (owner, member) pair is a position pair (j, i) with
        # i < j, so only those pairs are looked up, all of a basket's at once. Pairs taken by
        # j, then i: entries come by basket, then owner, then member.
        ranks_of_entries = np.append(rank[matrix.indices], width)
        for _, entries in baskets_by_width(matrix):
            items = ranks_of_entries[entries]
            items.sort(axis=1)
            owner_at, member_at = _pairs_by_owner(items.shape[1])
            row, pair = np.nonzero(padded[items[:, owner_at], items[:, member_at]])
            owner = items[row, owner_at[pair]]
            keys.append((owner * width + items[row, member_at[pair]]).astype(key_type))
            starts.append(_changes(owner, row))
    else:
        for first, second, basket in within_basket_pairs(matrix):
            x = matrix.indices[first].astype(np.int64)
            y = matrix.indices[second].astype(np.int64)
            keep = (rank[y] < rank[x]) & is_frequent_pair(x * width + y, pair_keys)
            owner = rank[x[keep]]
            keys.append((owner * width + rank[y[keep]]).astype(key_type))
            starts.append(_changes(owner, basket[keep]))
    if not keys:
        return []
    key = np.concatenate(keys)
    del keys
    # Rows numbered in order: a basket's pairs came together, an owner's at a time.
    row = np.cumsum(np.concatenate(starts), dtype=np.int32 if len(key) < 1 << 31 else np.int64) - 1
    del starts

    # Rows of a database are (owner, basket) with at least two members; a member in fewer than
    # min_count rows of its owner's database is in no frequent itemset of it. Dropping such
    # members can leave rows of one member, and those rows members below the count: again,
    # while a pass drops at least PRUNE_UNTIL of the entries (the last passes drop little, and
    # what they leave costs mlxtend less than another pass; benchmarks/README.md).
    while len(key):
        keep = np.bincount(row)[row] >= 2
        keep[keep] = _occurrences(key[keep], width * width) >= min_count
        dropped = len(keep) - int(keep.sum())
        key, row = key[keep], row[keep]
        if dropped <= PRUNE_UNTIL * (len(key) + dropped):
            break
    # The last pass may have left rows of one member: of no use, but harmless (the miner counts
    # itemsets of two or more members only); dropped all the same.
    keep = np.bincount(row)[row] >= 2
    key, row = key[keep], row[keep]
    if len(key) == 0:
        return []
    # Grouped by owner, then basket: the pairs came basket by basket (within each width), so a
    # stable sort by owner (a radix sort below 65,536 columns) is enough.
    owner = key // width
    sort = np.argsort(owner.astype(np.uint16) if width <= 1 << 16 else owner, kind="stable")
    key, row, owner = key[sort], row[sort], owner[sort]
    del sort
    row_start = _changes(row)
    # Columns are numbered by owner, then member: a row's members come in rank order, so its
    # columns come sorted.
    column_keys, column_of_entry, _ = _distinct(key, width * width)
    rows_per_owner = np.bincount(owner[row_start], minlength=width)
    column_owner, column_member = np.divmod(column_keys, width)
    columns_per_owner = np.bincount(column_owner, minlength=width)

    viable = np.flatnonzero(rows_per_owner >= min_count)
    # Big databases first (ties by column) so batches fill evenly; each stays under max_cells.
    viable = viable[np.lexsort((column_of_rank[viable], -(rows_per_owner[viable] * columns_per_owner[viable])))]
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

    # Each group's entries (a stable sort keeps them by owner, then basket) and columns (in
    # order) together; a group's columns numbered from 0 in their order.
    group_of_owner = np.full(width, len(groups), dtype=np.int16 if len(groups) < 1 << 15 else np.int64)
    for number, group in enumerate(groups):
        group_of_owner[group] = number
    entry_group = group_of_owner[owner]
    entries = np.argsort(entry_group, kind="stable")
    entry_bounds = np.searchsorted(entry_group[entries], np.arange(len(groups) + 1))
    column_group = group_of_owner[column_owner]
    columns = np.argsort(column_group, kind="stable")
    column_bounds = np.searchsorted(column_group[columns], np.arange(len(groups) + 1))
    local_column = np.empty(len(column_keys), dtype=np.int32)
    local_column[columns] = np.arange(len(columns)) - column_bounds[column_group[columns]]

    batches: list[ConditionalBatch] = []
    for number in range(len(groups)):
        in_group = entries[entry_bounds[number] : entry_bounds[number + 1]]
        used = columns[column_bounds[number] : column_bounds[number + 1]]
        starts = np.flatnonzero(row_start[in_group])
        indices = local_column[column_of_entry[in_group]]
        block = sp.csr_matrix(
            (np.ones(len(in_group), dtype=bool), indices, np.append(starts, len(in_group))),
            shape=(len(starts), len(used)),
        )
        block.sort_indices()  # sorted already where the pairs came by width
        batches.append(
            ConditionalBatch(
                matrix=block, owner=column_of_rank[column_owner[used]], member=column_of_rank[column_member[used]]
            )
        )
    return batches


def _changes(*columns: np.ndarray) -> np.ndarray:
    """Whether each position starts a run of equal values in all ``columns``."""
    change = np.zeros(len(columns[0]), dtype=bool)
    change[:1] = True
    for column in columns:
        change[1:] |= column[1:] != column[:-1]
    return change


@functools.cache
def _pairs_by_owner(width: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions ``(j, i)``, ``i < j``, of the pairs within a row of ``width`` items, by ``j`` then ``i``."""
    owner_at, member_at = np.tril_indices(width, -1)
    return owner_at, member_at


def _occurrences(keys: np.ndarray, size: int) -> np.ndarray:
    """How many times each entry's key occurs among ``keys`` (in ``[0, size)``), by counting
    when ``size`` is at most ``DENSE_KEYS``."""
    if size > DENSE_KEYS:
        _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
        found: np.ndarray = counts[inverse]
        return found
    tally: np.ndarray = np.bincount(keys, minlength=size)[keys]
    return tally


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
