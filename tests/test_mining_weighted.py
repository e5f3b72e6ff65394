"""mlxtend's FP-tree given each distinct row once with its count (``mlxtend_engine``'s weighted
path) finds exactly what its public ``fpgrowth`` finds on every row, and what brute force finds."""

from __future__ import annotations

import logging
import sys

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mlxtend.frequent_patterns.fpcommon import FPTree
from mlxtend.frequent_patterns.fpgrowth import fpg_step

from recommender.io import read_baskets
from recommender.mining import encode, mlxtend_engine, partition

from .conftest import data_file
from .test_oracle import brute_force_itemsets


def as_matrix(rows: list[frozenset[int]], n_columns: int) -> sp.csr_matrix:
    """A canonical CSR matrix (sorted, no entry twice), as partition.py makes them."""
    indices = [sorted(row) for row in rows]
    return sp.csr_matrix(
        (
            np.ones(sum(map(len, indices)), dtype=bool),
            np.array([j for row in indices for j in row], dtype=np.int32),
            np.concatenate(([0], np.cumsum([len(row) for row in indices]))),
        ),
        shape=(len(rows), n_columns),
    )


def weighted(matrix: sp.csr_matrix, min_count: int, max_len: int) -> dict[tuple[int, ...], int]:
    internals = mlxtend_engine._fp_tree_internals()
    assert internals is not None
    found = mlxtend_engine._mine_weighted(matrix, internals, min_count=min_count, max_len=max_len)
    assert len(found) == len(set(itemset for itemset, _ in found))  # each itemset once
    return dict(found)


def public(matrix: sp.csr_matrix, min_count: int, max_len: int) -> dict[tuple[int, ...], int]:
    return dict(mlxtend_engine._mine_public(matrix, min_count=min_count, max_len=max_len))


def repeated_rows(seed: int) -> tuple[list[frozenset[int]], int]:
    """Rows drawn from a few distinct ones with Zipf-like columns, each repeated 1 to 8 times,
    shuffled: what conditional databases look like."""
    rng = np.random.default_rng(seed)
    n_columns = int(rng.integers(6, 13))
    weights = 1.0 / np.arange(1, n_columns + 1)
    distinct = []
    for _ in range(int(rng.integers(15, 40))):
        size = int(rng.integers(1, min(6, n_columns) + 1))
        distinct.append(frozenset(rng.choice(n_columns, size=size, replace=False, p=weights / weights.sum()).tolist()))
    rows = [row for row in distinct for _ in range(int(rng.integers(1, 9)))]
    rng.shuffle(rows)
    return rows, n_columns


def test_the_installed_mlxtend_takes_counted_rows():
    """The fast path is the one used here (mlxtend 0.23-0.25 share these internals); a later
    mlxtend that changed them fails this test rather than slowing mining down unnoticed."""
    assert mlxtend_engine.weighted_tree_available()


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("max_len", [2, 3, 4])
def test_counted_rows_give_fpgrowths_itemsets_at_the_boundary(seed, max_len):
    rows, n_columns = repeated_rows(seed)
    matrix = as_matrix(rows, n_columns)
    assert len(set(rows)) < len(rows)  # rows repeat: the counts are exercised
    # Thresholds on the counts the data reach: a pair's count, one below and one above it.
    pair_counts = sorted(count for itemset, count in brute_force_itemsets(rows, 1, 2).items() if len(itemset) == 2)
    middle = pair_counts[len(pair_counts) // 2]
    for min_count in (1, middle - 1, middle, middle + 1):
        if min_count < 1:
            continue
        expected = brute_force_itemsets(rows, min_count, max_len)
        assert expected  # something to find
        assert weighted(matrix, min_count, max_len) == expected
        assert public(matrix, min_count, max_len) == expected
        assert dict(mlxtend_engine.mine_matrix(matrix, min_count=min_count, max_len=max_len)) == expected


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    distinct=st.lists(st.frozensets(st.integers(0, 6), max_size=5), min_size=1, max_size=12),
    repeats=st.lists(st.integers(1, 5), min_size=12, max_size=12),
    min_count=st.integers(1, 12),
    max_len=st.integers(1, 5),
)
def test_counted_rows_equal_brute_force_itemsets(distinct, repeats, min_count, max_len):
    """Empty rows, one column, every row equal, thresholds above every count included."""
    rows = [row for row, times in zip(distinct, repeats) for _ in range(times)]
    matrix = as_matrix(rows, 7)
    expected = brute_force_itemsets(rows, min_count, max_len)
    assert dict(mlxtend_engine.mine_matrix(matrix, min_count=min_count, max_len=max_len)) == expected


def test_groceries_databases_give_the_same_itemsets_both_ways():
    """Groceries' conditional databases at arules' support 0.001 (10 baskets), itemsets up to
    10 items: every batch gives fpgrowth's itemsets and counts (10,354 itemsets of three or
    more items in all; the 5,668 rules end to end are tests/test_real_data.py's)."""
    baskets = read_baskets(data_file("groceries.csv"))
    min_count = 10
    reduced = encode.reduce_for_mining(baskets, baskets.item_counts(), min_count)
    batches = partition.conditional_batches(reduced.matrix, reduced.pair_keys, min_count=min_count)
    total = 0
    for batch in batches:
        got = weighted(batch.matrix, min_count, 9)
        assert got == public(batch.matrix, min_count, 9)
        total += sum(1 for itemset in got if len(itemset) >= 2)
    assert total == 10_354
    assert len(mlxtend_engine.mine_batches(batches, min_count=min_count, max_len=10)) == 10_354


class TreeWithoutCounts:
    """An FP-tree as a later mlxtend might have it: insertion takes no count."""

    def __init__(self, rank=None):
        self._tree = FPTree(rank)

    def insert_itemset(self, itemset):
        self._tree.insert_itemset(itemset)


def step_in_shares(tree, minsup, colnames, max_len, verbose):
    """fpg_step's parameters with another meaning: supports as shares of the rows, not counts."""
    for count, itemset in fpg_step(tree, minsup, colnames, max_len, verbose):
        yield count / tree.root.count, itemset


def step_without_verbose(tree, minsup, colnames, max_len):
    yield from ()


def step_that_finds_nothing(tree, minsup, colnames, max_len, verbose):
    yield from ()


def test_internals_of_another_signature_or_meaning_are_refused():
    problem = mlxtend_engine._internals_problem
    assert problem(FPTree, fpg_step) is None
    assert "insert_itemset" in problem(TreeWithoutCounts, fpg_step)
    assert "fpg_step" in problem(FPTree, step_without_verbose)
    assert "a small table gave" in problem(FPTree, step_in_shares)
    assert problem(FPTree, None) == "no FPTree or no fpg_step"
    assert "not ['rank']" in problem(object(), fpg_step)


def test_without_the_internals_mining_goes_through_fpgrowth(monkeypatch):
    """What ``mine_matrix`` does when the check fails (the check itself: the test above)."""
    monkeypatch.setattr(mlxtend_engine, "_fp_tree_internals", lambda: None)
    assert not mlxtend_engine.weighted_tree_available()
    rows, n_columns = repeated_rows(1)
    matrix = as_matrix(rows, n_columns)
    assert dict(mlxtend_engine.mine_matrix(matrix, min_count=3, max_len=3)) == brute_force_itemsets(rows, 3, 3)


def test_a_failed_check_is_said_once(monkeypatch, caplog):
    growth = sys.modules["mlxtend.frequent_patterns.fpgrowth"]
    mlxtend_engine._fp_tree_internals.cache_clear()
    try:
        monkeypatch.setattr(growth, "fpg_step", step_that_finds_nothing)
        with caplog.at_level(logging.WARNING, logger=mlxtend_engine.__name__):
            assert mlxtend_engine._fp_tree_internals() is None
            assert mlxtend_engine._fp_tree_internals() is None
    finally:
        mlxtend_engine._fp_tree_internals.cache_clear()
    assert caplog.text.count("mining through its public fpgrowth") == 1
    assert "a small table gave {}" in caplog.text
