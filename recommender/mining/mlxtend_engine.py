"""The adapter to mlxtend: the only module that imports it.

mlxtend is called with keyword arguments only (its ``association_rules`` signature changed
under users once) and only with sparse DataFrames, never a dense one-hot frame.
"""

from __future__ import annotations

import multiprocessing
import os
import warnings
from concurrent.futures import ProcessPoolExecutor

import pandas as pd
import scipy.sparse as sp

from .partition import ConditionalBatch

__all__ = ["mine_matrix", "mine_batches", "mlxtend_version"]

# Below this many entries in all batches together, starting processes costs more than it saves.
PARALLEL_MIN_ENTRIES = 200_000


def mlxtend_version() -> str:
    import mlxtend

    return str(mlxtend.__version__)


def mine_matrix(matrix: sp.csr_matrix, *, min_count: int, max_len: int) -> list[tuple[tuple[int, ...], int]]:
    """Itemsets of columns (any size up to ``max_len``) held by at least ``min_count`` rows."""
    from mlxtend.frequent_patterns import fpgrowth

    n_rows, n_columns = matrix.shape
    if n_rows < min_count or n_columns == 0:
        return []
    columns = [str(j) for j in range(n_columns)]
    frame = pd.DataFrame.sparse.from_spmatrix(matrix.astype(bool), columns=columns)  # type: ignore[attr-defined]
    # mlxtend turns the share back into a count with ceil(min_support * rows); half a basket
    # below the count keeps that exact whatever the rounding of the division.
    min_support = min(1.0, (min_count - 0.5) / n_rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        found = fpgrowth(frame, min_support=min_support, use_colnames=False, max_len=max_len)
    return [
        (tuple(sorted(int(j) for j in itemset)), int(round(support * n_rows)))
        for itemset, support in zip(found["itemsets"].tolist(), found["support"].tolist())
    ]


def _mine_batch(batch: ConditionalBatch, min_count: int, max_len: int) -> list[tuple[tuple[int, ...], int]]:
    """Itemsets of two or more members of one conditional database, with their owner added."""
    found = []
    for columns, count in mine_matrix(batch.matrix, min_count=min_count, max_len=max_len - 1):
        if len(columns) < 2:
            continue  # a single member is a pair with the owner, counted exactly elsewhere
        owner = int(batch.owner[columns[0]])
        found.append((tuple(sorted([owner, *(int(batch.member[c]) for c in columns)])), count))
    return found


def mine_batches(
    batches: list[ConditionalBatch], *, min_count: int, max_len: int, workers: int = 1
) -> list[tuple[tuple[int, ...], int]]:
    """Frequent itemsets of three to ``max_len`` items from conditional databases.

    With ``workers`` > 1 and enough work, batches are mined in that many processes.
    """
    total = sum(batch.cost for batch in batches)
    if workers <= 1 or len(batches) < 2 or total < PARALLEL_MIN_ENTRIES:
        return [itemset for batch in batches for itemset in _mine_batch(batch, min_count, max_len)]
    # fork shares the imported libraries with the children at no cost; spawn elsewhere.
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() and os.name == "posix" else "spawn"
    context = multiprocessing.get_context(method)
    ordered = sorted(batches, key=lambda batch: -batch.cost)
    with ProcessPoolExecutor(max_workers=min(workers, len(batches)), mp_context=context) as pool:
        results = pool.map(_mine_batch, ordered, [min_count] * len(ordered), [max_len] * len(ordered))
        return [itemset for found in results for itemset in found]
