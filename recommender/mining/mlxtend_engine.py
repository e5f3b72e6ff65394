"""The adapter to mlxtend: the only module that imports it.

mlxtend's public functions are called with keyword arguments only (its ``association_rules``
signature changed under users once) and only with sparse DataFrames, never a dense one-hot frame.

Conditional databases repeat their rows (2.2 million rows of 3 million baskets are 306,000
distinct), and ``fpgrowth`` inserts every row into its FP-tree one at a time, in Python. Its
FP-tree takes a count per inserted itemset (``FPTree.insert_itemset(itemset, count)``, which its
own conditional trees use), so each distinct row is inserted once with its count, and the tree
is mined by mlxtend's own recursion (``fpg_step``): the same algorithm, the same itemsets and
counts (the tree differs in shape only where columns tie in frequency). Those two are
internals, not the public API: they are checked once (names, signatures and a small known
answer), and when they differ mining goes through the public ``fpgrowth`` with every row
(benchmarks/README.md has the figures of both).
"""

from __future__ import annotations

import functools
import importlib
import inspect
import logging
import multiprocessing
import os
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .partition import ConditionalBatch
from .processes import start_worker, stop_workers

__all__ = ["mine_matrix", "mine_batches", "mlxtend_version", "weighted_tree_available"]

logger = logging.getLogger(__name__)

# Below this many entries in all batches together, starting processes costs more than it saves.
PARALLEL_MIN_ENTRIES = 200_000

Itemsets = list[tuple[tuple[int, ...], int]]
# mlxtend's FPTree class and its fpg_step(tree, minsup, colnames, max_len, verbose).
FPTreeInternals = tuple[Callable[..., Any], Callable[..., Any]]


def mlxtend_version() -> str:
    import mlxtend

    return str(mlxtend.__version__)


def mine_matrix(matrix: sp.csr_matrix, *, min_count: int, max_len: int) -> Itemsets:
    """Itemsets of columns (any size up to ``max_len``) held by at least ``min_count`` rows.

    mlxtend's FP-tree is given each distinct row once with its count when its internals are the
    expected ones (:func:`weighted_tree_available`); else its public ``fpgrowth`` is given every row.
    """
    if matrix.shape[0] < min_count or matrix.shape[1] == 0:
        return []
    internals = _fp_tree_internals()
    if internals is None:
        return _mine_public(matrix, min_count=min_count, max_len=max_len)
    return _mine_weighted(matrix, internals, min_count=min_count, max_len=max_len)


def _mine_public(matrix: sp.csr_matrix, *, min_count: int, max_len: int) -> Itemsets:
    """mlxtend's public ``fpgrowth`` on a sparse frame of the rows."""
    from mlxtend.frequent_patterns import fpgrowth

    n_rows, n_columns = matrix.shape
    columns = [str(j) for j in range(n_columns)]
    frame = pd.DataFrame.sparse.from_spmatrix(matrix.astype(bool), columns=columns)
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


def _mine_weighted(matrix: sp.csr_matrix, internals: FPTreeInternals, *, min_count: int, max_len: int) -> Itemsets:
    """mlxtend's FP-growth with each distinct row inserted once, with its count.

    As ``fpgrowth`` does (``setup_fptree``): only columns in ``min_count`` rows or more, each
    row's in the order of the columns' counts, most frequent first; then ``fpg_step`` mines.
    The columns are relabelled by that order (0 the most frequent), so that a row sorted by
    label is in insertion order and equal rows are equal arrays. ``matrix`` is a canonical
    CSR matrix (no entry twice), as :mod:`.partition` makes them.
    """
    tree_class, mine_tree = internals
    lengths = np.diff(matrix.indptr)
    column_counts = np.bincount(matrix.indices, minlength=matrix.shape[1])
    frequent = np.flatnonzero(column_counts >= min_count)
    if len(frequent) == 0:
        return []
    # More frequent first, ties by column (fpgrowth breaks ties its own way: the tree differs
    # in shape, never in the itemsets or their counts).
    column_of_label = frequent[np.lexsort((frequent, -column_counts[frequent]))]
    label = np.full(matrix.shape[1], -1, dtype=np.int64)
    label[column_of_label] = np.arange(len(column_of_label))
    labels = label[matrix.indices]
    kept = labels >= 0
    row_of_entry = np.repeat(np.arange(matrix.shape[0]), lengths)[kept]
    labels = labels[kept]
    kept_lengths = np.bincount(row_of_entry, minlength=matrix.shape[0])
    starts = np.concatenate(([0], np.cumsum(kept_lengths)[:-1]))

    # The rank fpgrowth gives its tree (least frequent 0), though only conditional trees use theirs.
    tree = tree_class({j: len(column_of_label) - 1 - j for j in range(len(column_of_label))})
    for length in np.unique(kept_lengths[kept_lengths > 0]).tolist():
        rows = np.flatnonzero(kept_lengths == length)
        block = labels[starts[rows, None] + np.arange(length)]
        block.sort(axis=1)
        distinct, distinct_counts = _distinct_rows(block)
        for itemset, count in zip(distinct.tolist(), distinct_counts.tolist()):
            tree.insert_itemset(itemset, count)
    found: Itemsets = []
    for count, itemset in mine_tree(tree, min_count, None, max_len, 0):
        if count >= min_count:
            found.append((tuple(sorted(int(column_of_label[j]) for j in itemset)), int(count)))
    return found


def _distinct_rows(block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of ``block`` (rows x width), in lexicographic order, and how many
    times each occurs."""
    block = block[np.lexsort(block.T[::-1])]
    first = np.flatnonzero(np.concatenate(([True], (block[1:] != block[:-1]).any(axis=1))))
    return block[first], np.diff(np.append(first, len(block)))


def weighted_tree_available() -> bool:
    """Whether mlxtend's FP-tree is given each distinct row once with its count (its internals
    are the expected ones: checked once per process), rather than every row through ``fpgrowth``."""
    return _fp_tree_internals() is not None


@functools.cache
def _fp_tree_internals() -> FPTreeInternals | None:
    """mlxtend's ``FPTree`` class and ``fpg_step`` when they pass :func:`_internals_problem`."""
    common = importlib.import_module("mlxtend.frequent_patterns.fpcommon")
    growth = importlib.import_module("mlxtend.frequent_patterns.fpgrowth")
    tree_class, mine_tree = getattr(common, "FPTree", None), getattr(growth, "fpg_step", None)
    problem = _internals_problem(tree_class, mine_tree)
    if problem is None and tree_class is not None and mine_tree is not None:
        return tree_class, mine_tree
    logger.warning(
        "mlxtend %s's FP-tree internals are not those this adapter knows (mlxtend 0.23-0.25: %s): mining "
        "through its public fpgrowth, which is slower; the itemsets are the same.",
        mlxtend_version(),
        problem,
    )
    return None


def _internals_problem(tree_class: Any, mine_tree: Any) -> str | None:
    """What keeps ``tree_class`` and ``mine_tree`` from being mlxtend 0.23-0.25's ``FPTree`` and
    ``fpg_step`` (None when nothing does): their names and parameters, then the answer they give
    on a small table whose answer is known, since a later mlxtend could keep the names and
    change what they mean."""
    if tree_class is None or mine_tree is None:
        return "no FPTree or no fpg_step"
    insert: Any = getattr(tree_class, "insert_itemset", None)
    expected = (
        ("FPTree", tree_class, ["rank"]),
        ("FPTree.insert_itemset", insert, ["self", "itemset", "count"]),
        ("fpg_step", mine_tree, ["tree", "minsup", "colnames", "max_len", "verbose"]),
    )
    for name, function, names in expected:
        try:
            parameters = list(inspect.signature(function).parameters)
        except (TypeError, ValueError):  # not a function, or one without a signature
            parameters = None
        if parameters != names:
            return f"{name} takes {parameters}, not {names}"
    try:
        # Items 0 (most frequent) to 2: {0, 1} three times, {0, 1, 2} twice, {0, 2} once.
        tree = tree_class({0: 2, 1: 1, 2: 0})
        for itemset, count in (([0, 1], 3), ([0, 1, 2], 2), ([0, 2], 1)):
            tree.insert_itemset(itemset, count)
        got = {tuple(sorted(itemset)): count for count, itemset in mine_tree(tree, 2, None, 3, 0)}
    except Exception as error:  # whatever changed internals raise, the public path is the answer
        return f"a small table raised {error!r}"
    if got != {(0,): 6, (1,): 5, (2,): 3, (0, 1): 5, (0, 2): 3, (1, 2): 2, (0, 1, 2): 2}:
        return f"a small table gave {got}"
    return None


def _mine_batch(batch: ConditionalBatch, min_count: int, max_len: int) -> Itemsets:
    """Itemsets of two or more members of one conditional database, with their owner added."""
    found = []
    for columns, count in mine_matrix(batch.matrix, min_count=min_count, max_len=max_len - 1):
        if len(columns) < 2:
            continue  # a single member is a pair with the owner, counted exactly elsewhere
        owner = int(batch.owner[columns[0]])
        found.append((tuple(sorted([owner, *(int(batch.member[c]) for c in columns)])), count))
    return found


# The batches of the pool being run, for workers forked from this process (see mine_batches).
_FORKED_BATCHES: list[ConditionalBatch] = []


def _mine_task(task: int | ConditionalBatch, min_count: int, max_len: int) -> Itemsets:
    """A worker's task: a batch, or its number in ``_FORKED_BATCHES`` for a forked worker."""
    return _mine_batch(_FORKED_BATCHES[task] if isinstance(task, int) else task, min_count, max_len)


def mine_batches(batches: list[ConditionalBatch], *, min_count: int, max_len: int, workers: int = 1) -> Itemsets:
    """Frequent itemsets of three to ``max_len`` items from conditional databases.

    With ``workers`` > 1 and enough work, batches are mined in that many processes.
    """
    total = sum(batch.cost for batch in batches)
    if workers <= 1 or len(batches) < 2 or total < PARALLEL_MIN_ENTRIES:
        return [itemset for batch in batches for itemset in _mine_batch(batch, min_count, max_len)]
    # fork shares the imported libraries with the children at no cost (mlxtend imported here
    # first, and its internals checked, rather than once in each worker); spawn elsewhere.
    weighted_tree_available()

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() and os.name == "posix" else "spawn"
    context = multiprocessing.get_context(method)
    ordered = sorted(batches, key=lambda batch: -batch.cost)
    global _FORKED_BATCHES
    if method == "fork":
        # The workers are forked at the first task, after this line: they find the batches in
        # their copy of this module (pages shared with this process until written), and each
        # task sends only a batch's number, not a pickled copy of its matrix.
        _FORKED_BATCHES = ordered
    try:
        with ProcessPoolExecutor(
            max_workers=min(workers, len(batches)),
            mp_context=context,
            initializer=start_worker,
            initargs=(os.getpid(),),
        ) as pool:
            try:
                tasks: list[int] | list[ConditionalBatch] = list(range(len(ordered))) if method == "fork" else ordered
                # Futures of its own, not map's: map cancels the batches left when interrupted,
                # and the pool's thread, failing them as the workers end, then reports a
                # failure set on a cancelled batch (Python 3.11).
                futures = [pool.submit(_mine_task, task, min_count, max_len) for task in tasks]
                return [itemset for future in futures for itemset in future.result()]
            except BaseException:
                stop_workers(pool)
                raise
    finally:
        _FORKED_BATCHES = []
