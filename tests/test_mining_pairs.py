"""Pair counts within a memory budget, shared by mining and the co-bought pairs; stage figures."""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from itertools import combinations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recommender import mine
from recommender.cli import main
from recommender.io import Baskets
from recommender.mining import pairs
from recommender.mining.encode import reduce_for_mining
from recommender.mining.pairs import BYTES_PER_PAIR, count_pairs

basket_lists = st.lists(st.sets(st.sampled_from("abcdefgh"), min_size=1, max_size=6), min_size=1, max_size=40)


# Which rows are counted in tables: none (0), those in many baskets (1), all (64, the default).
table_ratios = st.sampled_from([0, 1, pairs.TABLE_OCCURRENCE_RATIO])


@contextmanager
def tables_for(ratio):
    default, pairs.TABLE_OCCURRENCE_RATIO = pairs.TABLE_OCCURRENCE_RATIO, ratio
    try:
        yield
    finally:
        pairs.TABLE_OCCURRENCE_RATIO = default


@settings(max_examples=60, deadline=None)
@given(
    baskets=basket_lists,
    min_count=st.integers(1, 4),
    budget=st.sampled_from([1, 3, 10, 10_000]),
    ratio=table_ratios,
)
def test_pairs_in_any_budget_equal_brute_force(baskets, min_count, budget, ratio):
    b = Baskets.from_lists([sorted(x) for x in baskets])
    with tables_for(ratio):
        counted = count_pairs(b, min_count=min_count, per_item=2, top_min_count=2, memory_bytes=budget * BYTES_PER_PAIR)
    together = Counter(pair for basket in baskets for pair in combinations(sorted(basket), 2))
    index = {item: j for j, item in enumerate(b.items)}
    expected = {
        (index[x], index[y], n) for (a, c), n in together.items() if n >= min_count for x, y in ((a, c), (c, a))
    }
    assert set(zip(*(part.tolist() for part in counted.frequent))) == expected
    for a in range(b.n_items):
        partners = sorted(
            (-n, index[c if x == b.items[a] else x])
            for (x, c), n in together.items()
            if b.items[a] in (x, c) and n >= 2
        )[:2]
        got = [(-n, y) for x, y, n in zip(*(part.tolist() for part in counted.top)) if x == a]
        assert got == partners


@settings(max_examples=40, deadline=None)
@given(baskets=basket_lists, budget=st.sampled_from([1, 3, 10_000]), ratio=table_ratios, data=st.data())
def test_the_dense_counts_are_the_gram_matrix_of_the_items_asked_for(baskets, budget, ratio, data):
    """Every count among the items asked for (any subset, any order), each item's baskets on
    the diagonal, whatever the blocks: X^T X of the baskets over those items."""
    b = Baskets.from_lists([sorted(x) for x in baskets])
    asked = np.array(
        data.draw(st.permutations(range(b.n_items)))[: data.draw(st.integers(0, b.n_items))], dtype=np.int64
    )
    chunk = data.draw(st.sampled_from([1, 3, pairs.DENSE_CHUNK]))  # entries written at a time
    default, pairs.DENSE_CHUNK = pairs.DENSE_CHUNK, chunk
    try:
        with tables_for(ratio):
            counted = count_pairs(
                b, min_count=2, per_item=2, top_min_count=2, memory_bytes=budget * BYTES_PER_PAIR, dense_items=asked
            )
    finally:
        pairs.DENSE_CHUNK = default
    x = np.zeros((len(b), b.n_items), dtype=np.int64)
    for row in range(len(b)):
        x[row, b.indices[b.indptr[row] : b.indptr[row + 1]]] = 1
    assert counted.dense is not None and counted.dense.dtype == np.int32
    assert np.array_equal(counted.dense, (x.T @ x)[np.ix_(asked, asked)])
    assert count_pairs(b, min_count=2, per_item=2, top_min_count=2).dense is None


def test_mining_reads_its_pairs_from_the_shared_counts():
    rng = np.random.default_rng(3)
    lists = [sorted(set(rng.choice(list("abcdefghij"), rng.integers(1, 6)))) for _ in range(400)]
    b = Baskets.from_lists(lists)
    counted = count_pairs(b, min_count=20, per_item=10, top_min_count=2, memory_bytes=2 * BYTES_PER_PAIR)
    assert counted.blocks > 1  # a budget of two counts: many blocks
    shared = reduce_for_mining(b, b.item_counts(), 20, pairs=counted.frequent)
    alone = reduce_for_mining(b, b.item_counts(), 20)
    assert np.array_equal(shared.items, alone.items) and np.array_equal(shared.pair_keys, alone.pair_keys)
    assert (shared.matrix != alone.matrix).nnz == 0
    # At a higher count (a fitted support), the same pairs as counted at that count.
    higher = reduce_for_mining(b, b.item_counts(), 40, pairs=counted.frequent_at(40))
    assert np.array_equal(higher.pair_keys, reduce_for_mining(b, b.item_counts(), 40).pair_keys)


def test_the_budget_changes_nothing_in_the_model_and_stages_are_recorded():
    rng = np.random.default_rng(5)
    lists = [sorted(set(rng.choice(list("abcdefghijkl"), rng.integers(1, 7)))) for _ in range(500)]
    small = mine(lists, min_support=0.05, min_confidence=0.3, memory=1 << 20, learn_weights=False)
    large = mine(lists, min_support=0.05, min_confidence=0.3, learn_weights=False)
    assert small.rules.equals(large.rules)
    assert small.data.cobought == large.data.cobought and len(small.data.cobought) > 0
    stages = small.provenance["stages"]["stages"]
    assert list(stages)[:3] == ["read", "encode", "mine"]
    assert all(stage["seconds"] >= 0 and stage["peak_mb"] > 0 for stage in stages.values())
    assert small.provenance["timings_seconds"] == {name: stage["seconds"] for name, stage in stages.items()}


def test_mine_verbose_prints_each_stage_and_memory_takes_a_size(tmp_path, capsys):
    orders = tmp_path / "baskets.csv"
    orders.write_text("\n".join(["tea,kettle", "tea,kettle,mug", "tea,mug", "kettle,mug"] * 10) + "\n")
    status = main(["mine", str(orders), "-o", str(tmp_path / "m.rcm"), "--min-support", "0.2", "--memory", "64M", "-v"])
    err = capsys.readouterr().err
    assert status == 0, err
    lines = [line for line in err.splitlines() if line.startswith(("read:", "encode:", "mine:", "cobought:"))]
    assert [line.split(":")[0] for line in lines] == ["read", "encode", "mine", "cobought"]
    assert all(" s, peak " in line and line.endswith(" MB") for line in lines)
    with pytest.raises(SystemExit) as stopped:
        main(["mine", str(orders), "-o", str(tmp_path / "n.rcm"), "--memory", "lots"])
    assert stopped.value.code == 2
    assert "expected a size such as 2G or 500M, got 'lots'" in capsys.readouterr().err
    assert not (tmp_path / "n.rcm").exists()
