"""Property tests against a brute-force miner: every itemset counted, every rule derived."""

from __future__ import annotations

from itertools import combinations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recommender import mine

ITEMS = list("abcdefg")


def brute_force_itemsets(rows, min_count, max_len):
    """Every itemset of up to ``max_len`` items held by at least ``min_count`` of ``rows`` (sets),
    with its count: each combination of the items seen, counted against every row."""
    universe = sorted(set().union(*rows)) if rows else []
    found = {}
    for size in range(1, max_len + 1):
        for itemset in combinations(universe, size):
            count = sum(1 for row in rows if row.issuperset(itemset))
            if count >= min_count:
                found[itemset] = count
    return found


def brute_force_rules(baskets, min_count, min_confidence, max_len):
    counts = brute_force_itemsets([frozenset(b) for b in baskets if b], min_count, max_len)
    rules = set()
    for itemset, count in counts.items():
        if len(itemset) < 2:
            continue
        for consequent in itemset:
            antecedent = tuple(i for i in itemset if i != consequent)
            if count / counts[antecedent] >= min_confidence:
                rules.add((antecedent, consequent, count, counts[antecedent]))
    return rules


@st.composite
def shops(draw, min_baskets=1):
    baskets = draw(
        st.lists(st.lists(st.sampled_from(ITEMS), min_size=1, max_size=6), min_size=min_baskets, max_size=40)
    )
    n = len(baskets)
    # Thresholds drawn on the exact boundaries the data can reach: count / n and count / count.
    min_count = draw(st.integers(min_value=1, max_value=max(1, n // 2 + 1)))
    numerator = draw(st.integers(min_value=0, max_value=6))
    denominator = draw(st.integers(min_value=max(1, numerator), max_value=6))
    max_len = draw(st.integers(min_value=2, max_value=5))
    return baskets, min_count / n, numerator / denominator, max_len


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shops())
def test_rules_equal_brute_force(shop):
    baskets, min_support, min_confidence, max_len = shop
    model = mine(baskets, min_support=min_support, min_confidence=min_confidence, max_len=max_len)
    min_count = model.config["min_count"]
    assert min_count / len(baskets) >= min_support > (min_count - 1) / len(baskets)
    got = {
        (row["antecedents"], row["consequent"], row["count"], row["antecedent_count"])
        for row in model.rules.to_dict("records")
    }
    assert got == brute_force_rules(baskets, min_count, min_confidence, max_len)


@settings(max_examples=60, deadline=None)
@given(shops())
def test_bundle_itemsets_equal_brute_force(shop):
    baskets, min_support, _, max_len = shop
    model = mine(baskets, min_support=min_support, min_confidence=0.0, max_len=max_len)
    min_count = model.config["min_count"]
    sets = [frozenset(b) for b in baskets]
    universe = sorted(set().union(*sets))
    expected = {}
    for size in range(2, min(3, max_len) + 1):
        for itemset in combinations(universe, size):
            count = sum(1 for b in sets if b.issuperset(itemset))
            if count >= min_count:
                expected[itemset] = count
    assert dict(zip(model.itemsets["items"], model.itemsets["count"])) == expected


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shops())
def test_parallel_mining_equals_brute_force(shop):
    """Conditional databases in many small batches mined in two processes (forced for tiny inputs)."""
    import functools

    import recommender.mining as mining
    import recommender.mining.mlxtend_engine as engine

    baskets, min_support, min_confidence, max_len = shop
    saved = engine.PARALLEL_MIN_ENTRIES, mining.conditional_batches
    engine.PARALLEL_MIN_ENTRIES = 0
    mining.conditional_batches = functools.partial(saved[1], max_cells=6)
    try:
        model = mine(baskets, min_support=min_support, min_confidence=min_confidence, max_len=max_len, workers=2)
    finally:
        engine.PARALLEL_MIN_ENTRIES, mining.conditional_batches = saved
    got = {
        (row["antecedents"], row["consequent"], row["count"], row["antecedent_count"])
        for row in model.rules.to_dict("records")
    }
    assert got == brute_force_rules(baskets, model.config["min_count"], min_confidence, max_len)


def test_batches_are_split_and_mined_in_processes(monkeypatch):
    """Small batches mined in two processes still give every itemset once, with its count."""
    from recommender.io import read_baskets
    from recommender.mining import encode, mlxtend_engine, partition

    monkeypatch.setattr(mlxtend_engine, "PARALLEL_MIN_ENTRIES", 0)
    baskets = [
        ["a", "b", "c", "d"],
        ["a", "b", "c"],
        ["b", "c", "d"],
        ["a", "c", "d"],
        ["a", "b", "d"],
        ["e", "a", "b"],
    ] * 3
    parsed = read_baskets(baskets)
    reduced = encode.reduce_for_mining(parsed, parsed.item_counts(), 3)
    batches = partition.conditional_batches(reduced.matrix, reduced.pair_keys, min_count=3, max_cells=20)
    assert len(batches) >= 2
    found = mlxtend_engine.mine_batches(batches, min_count=3, max_len=4, workers=2)
    names = [parsed.items[i] for i in reduced.items]
    got = {tuple(sorted(names[j] for j in itemset)): count for itemset, count in found}
    sets = [frozenset(b) for b in baskets]
    expected = {}
    for size in (3, 4):
        for itemset in combinations("abcde", size):
            count = sum(1 for b in sets if b.issuperset(itemset))
            if count >= 3:
                expected[itemset] = count
    assert got == expected


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shops(min_baskets=4))
def test_conditional_batches_hold_only_what_can_be_frequent_and_need_no_table(shop):
    """Every row of a batch has two members or more, and pruned until nothing changes, every
    column (a member of its owner's database) is in min_count rows or more; the batches are the
    same whether the frequent pairs are looked up in a table or searched among sorted keys, and
    the members counted or sorted."""
    import numpy as np

    from recommender.io import read_baskets
    from recommender.mining import encode, partition

    baskets, min_support, _, _ = shop
    parsed = read_baskets(baskets)
    min_count = max(1, int(np.ceil(min_support * len(parsed) - 1e-9)))
    reduced = encode.reduce_for_mining(parsed, parsed.item_counts(), min_count)
    batches = partition.conditional_batches(reduced.matrix, reduced.pair_keys, min_count=min_count)
    table_cells, dense_keys, prune_until = encode.PAIR_TABLE_CELLS, partition.DENSE_KEYS, partition.PRUNE_UNTIL
    try:
        partition.PRUNE_UNTIL = 0
        pruned = partition.conditional_batches(reduced.matrix, reduced.pair_keys, min_count=min_count)
        encode.PAIR_TABLE_CELLS = partition.DENSE_KEYS = 0
        unpadded = encode.reduce_for_mining(parsed, parsed.item_counts(), min_count)
        searched = partition.conditional_batches(reduced.matrix, reduced.pair_keys, min_count=min_count)
    finally:
        encode.PAIR_TABLE_CELLS, partition.DENSE_KEYS, partition.PRUNE_UNTIL = table_cells, dense_keys, prune_until
    assert (unpadded.matrix != reduced.matrix).nnz == 0 and np.array_equal(unpadded.pair_keys, reduced.pair_keys)
    for batch in batches + pruned:
        assert np.diff(batch.matrix.indptr).min() >= 2
    for batch in pruned:
        assert np.bincount(batch.matrix.indices, minlength=batch.matrix.shape[1]).min() >= min_count
    # The same databases (rows in any order): each row as its (owner, member) pairs.
    assert [_rows(batch) for batch in pruned] == [_rows(batch) for batch in searched]


def _rows(batch):
    matrix = batch.matrix
    return sorted(
        tuple(
            (int(batch.owner[c]), int(batch.member[c])) for c in matrix.indices[matrix.indptr[r] : matrix.indptr[r + 1]]
        )
        for r in range(matrix.shape[0])
    )
