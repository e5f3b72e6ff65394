"""Pair counts in forked processes are those of one process, array for array.

``count_pairs(workers=...)`` shares the tables' blocks among processes forked after the padded
baskets are built; the dense counts are written into memory shared with them. Generated
baskets (Zipf items, some baskets of one item), the tables cut into many small blocks, every
row in tables or only some, and the threshold of keys lowered so that small baskets fork.
"""

from __future__ import annotations

import numpy as np
import pytest

from recommender.mining import pairs
from recommender.mining.pairs import count_pairs

from .test_pairs_selection import random_baskets


@pytest.mark.parametrize("seed, workers, ratio", [(0, 2, 64), (1, 3, 64), (2, 2, 1)])
def test_forked_counts_equal_one_process(monkeypatch, seed, workers, ratio):
    b = random_baskets(np.random.default_rng(seed), 3000, 300)
    options = dict(min_count=3, per_item=4, top_min_count=2, memory_bytes=64 * 1024, dense_items=np.arange(40)[::-1])
    monkeypatch.setattr(pairs, "TABLE_OCCURRENCE_RATIO", ratio)  # 1: the rarer rows by products
    alone = count_pairs(b, **options)
    monkeypatch.setattr(pairs, "PARALLEL_MIN_KEYS", 0)
    shares = []
    count = pairs._TableJob.count

    def counted(job, starts):  # in this process, the share it keeps (the others' are forked)
        shares.append(len(starts))
        return count(job, starts)

    monkeypatch.setattr(pairs._TableJob, "count", counted)
    forked = count_pairs(b, **options, workers=workers)
    assert len(shares) == 1 and 0 < shares[0] < alone.blocks  # the rest of the blocks went to the others
    assert forked.blocks == alone.blocks > 10
    for x, y in zip((*alone.frequent, *alone.top), (*forked.frequent, *forked.top)):
        assert x.dtype == y.dtype
        np.testing.assert_array_equal(x, y)
    assert alone.dense is not None and forked.dense is not None
    np.testing.assert_array_equal(forked.dense, alone.dense)
    assert int(forked.dense.sum()) > 0


def test_few_keys_are_counted_in_this_process(monkeypatch):
    """Under ``PARALLEL_MIN_KEYS`` no process is forked: every block counted here."""
    b = random_baskets(np.random.default_rng(3), 500, 100)
    shares = []
    count = pairs._TableJob.count
    monkeypatch.setattr(pairs._TableJob, "count", lambda job, starts: shares.append(len(starts)) or count(job, starts))
    counted = count_pairs(b, min_count=2, per_item=3, top_min_count=2, memory_bytes=64 * 1024, workers=2)
    assert shares == [counted.blocks]
