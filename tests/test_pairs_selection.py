"""The fast selections of the pair counts held equal to their plain definitions.

``count_pairs`` keeps each item's top partners by dropping, before any sort, the entries under
a count level that enough entries of their row reach, and selects from many blocks at once;
``encode`` finds each basket's kept entries among the kept positions. Each is compared here with
the computation it stands for, on generated data with ties and counts above the levels told apart.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from recommender.io import Baskets
from recommender.mining import pairs
from recommender.mining.encode import _kept_before, basket_matrix
from recommender.mining.pairs import _top_per_row, _under_top_level, count_pairs


def plain_top(rows, cols, counts, per_item):
    """Each row's ``per_item`` entries of the largest counts, ties to the smaller column, by a
    full sort on (row, count descending, column)."""
    order = np.lexsort((cols, -counts, rows))
    kept = []
    taken: dict[int, int] = {}
    for i in order.tolist():
        r = int(rows[i])
        if taken.get(r, 0) < per_item:
            taken[r] = taken.get(r, 0) + 1
            kept.append(i)
    kept_at = np.array(kept, dtype=np.int64)
    return rows[kept_at], cols[kept_at], counts[kept_at]


def generated_entries(rng, n_rows, *, high):
    """Rows in ascending runs, distinct columns within a row, counts with many ties: most small,
    some above ``pairs.TOP_LEVELS``."""
    rows, cols, counts = [], [], []
    for row in sorted(rng.choice(10 * n_rows, size=n_rows, replace=False).tolist()):
        size = int(rng.integers(1, 40))
        rows.append(np.full(size, row))
        cols.append(rng.choice(1000, size=size, replace=False))
        small = rng.integers(1, 6, size=size)
        counts.append(np.where(rng.random(size) < 0.15, rng.integers(1, high, size=size), small))
    return (
        np.concatenate(rows).astype(np.int32),
        np.concatenate(cols).astype(np.int32),
        np.concatenate(counts).astype(np.int64),
    )


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("per_item", [1, 3, 10])
def test_top_per_row_equals_a_full_sort(seed, per_item):
    rng = np.random.default_rng(seed)
    rows, cols, counts = generated_entries(rng, 200, high=3 * pairs.TOP_LEVELS)
    got = _top_per_row(rows, cols, counts, per_item)
    expected = plain_top(rows, cols, counts, per_item)
    for g, e in zip(got, expected):
        np.testing.assert_array_equal(g, e)


def test_under_top_level_drops_only_what_cannot_be_kept():
    # Row 7: counts 5, 5, 3, 3, 2 with two kept: the 3s and the 2 are under level 5, reached by
    # two entries. Row 9: 100 and 200 (both capped to the last level) and 1: the 1 is under it.
    # Row 11: one entry, fewer than two: nothing is under a level.
    rows = np.array([7, 7, 7, 7, 7, 9, 9, 9, 11])
    counts = np.array([5, 3, 5, 2, 3, 100, 1, 200, 4])
    under = _under_top_level(rows, counts, 2)
    assert under.tolist() == [False, True, False, True, True, False, True, False, False]


def random_baskets(rng, n_baskets, n_items):
    lists = []
    for _ in range(n_baskets):
        size = int(rng.integers(1, 12))
        picks = rng.zipf(1.3, size=size) % n_items
        lists.append([f"i{p:03d}" for p in picks])
    return Baskets.from_lists(lists)


@pytest.mark.parametrize("seed", range(3))
def test_selecting_block_by_block_or_all_at_once_gives_the_same(seed, monkeypatch):
    b = random_baskets(np.random.default_rng(seed), 3000, 300)
    options = dict(min_count=3, per_item=4, top_min_count=2, memory_bytes=64 * 1024, dense_items=np.arange(20))
    monkeypatch.setattr(pairs, "SELECT_AT_ONCE", 1)  # a selection after every block
    one_by_one = count_pairs(b, **options)
    monkeypatch.setattr(pairs, "SELECT_AT_ONCE", 1 << 40)  # one selection at the end
    at_once = count_pairs(b, **options)
    assert one_by_one.blocks > 1
    for x, y in zip((*one_by_one.frequent, *one_by_one.top), (*at_once.frequent, *at_once.top)):
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(one_by_one.dense, at_once.dense)
    # and against X^T X, densely
    x = sp.csr_matrix((np.ones(len(b.indices)), b.indices, b.indptr), shape=(len(b), b.n_items)).toarray()
    gram = (x.T @ x).astype(np.int64)
    np.fill_diagonal(gram, 0)
    a, c, n = at_once.frequent
    np.testing.assert_array_equal(n, gram[a, c])
    assert int(n.size) == int(np.count_nonzero(gram >= 3))


@pytest.mark.parametrize("share", [0.0, 0.3, 1.0])
def test_kept_before_equals_a_cumulative_sum(share):
    rng = np.random.default_rng(1)
    keep = rng.random(5000) < share
    indptr = np.sort(np.concatenate(([0, 5000], rng.integers(0, 5001, size=300))))
    expected = np.concatenate(([0], np.cumsum(keep)))[indptr]
    np.testing.assert_array_equal(_kept_before(keep, indptr), expected)


def test_basket_matrix_keeps_the_columns_given():
    b = Baskets.from_lists([["a", "b", "c"], ["c"], ["d", "a"], ["b", "d"]])
    m = basket_matrix(b, np.array([3, 0]))  # d, a
    assert m.toarray().tolist() == [[False, True], [False, False], [True, True], [True, False]]
