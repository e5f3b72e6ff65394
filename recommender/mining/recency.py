"""Recency: recent orders weigh more in the confidences and lifts the ranking uses.

A shop's year runs into its seasons, and rules counted evenly over it speak for last winter
in spring. With a half-life of ``h`` days, a basket of age ``t`` days at the export's end (its
latest order) counts ``2 ** (-t / h)``: one a half-life old counts half, one two half-lives old
a quarter. The miner's thresholds and the rule hygiene stay on the raw basket counts (so the
rules kept are the same as without recency, and arules parity holds); the weighted counts of
the kept rules, of their antecedents and of every item are recorded beside them
(:class:`~recommender.model_data.Recency`), and the ranking reads its confidences and lifts
from those.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from ..exceptions import ConfigError, InputError
from ..io.baskets import Baskets
from ..model_data import Recency, RuleCounts

__all__ = ["basket_weights", "check_half_life", "recency_of", "weighted_counts"]

# The least weight a basket keeps: a basket thousands of half-lives old would weigh 0 as a
# float, and an item bought only then would leave a lift of 0/0. This keeps every ratio finite
# while such baskets still count for nothing next to any recent one.
MIN_WEIGHT = 1e-300
_DAY = np.timedelta64(86_400_000_000_000, "ns")


def check_half_life(half_life: object) -> float | None:
    """A half-life in days as a float (None: every basket counts the same).

    Raises
    ------
    ConfigError
        When it is not a positive, finite number of days.

    Examples
    --------
    >>> check_half_life(30), check_half_life(None)
    (30.0, None)
    """
    if half_life is None:
        return None
    if isinstance(half_life, bool) or not isinstance(half_life, (int, float)) or not 0 < half_life < math.inf:
        raise ConfigError(
            f"half_life must be a positive number of days, got {half_life!r}; e.g. --half-life 90 counts an order "
            "three months old half as much as the latest (leave it out to count every order the same)."
        )
    return float(half_life)


def basket_weights(timestamps: np.ndarray, half_life: float, *, at: np.datetime64 | None = None) -> np.ndarray:
    """``2 ** (-age / half_life)`` of each basket, its age in days at ``at`` (default: the
    latest timestamp), at least :data:`MIN_WEIGHT`; a basket later than ``at`` weighs 1.

    Examples
    --------
    >>> times = np.array(["2026-01-01", "2026-01-31", "2026-03-02"], dtype="datetime64[ns]")
    >>> basket_weights(times, 30.0).round(4).tolist()
    [0.25, 0.5, 1.0]
    """
    times = np.asarray(timestamps, dtype="datetime64[ns]")
    end = times.max() if at is None else np.datetime64(at, "ns")
    age_days = np.maximum((end - times) / _DAY, 0.0)
    weights: np.ndarray = np.maximum(np.exp2(-age_days / half_life), MIN_WEIGHT)
    return weights


def weighted_counts(baskets: Baskets, weights: np.ndarray, itemsets: Sequence[tuple[int, ...]]) -> np.ndarray:
    """The summed weight of the baskets holding each itemset (sorted item indices).

    Single items come from one weighted count of every item, pairs from the weighted co-counts
    of the items in them (one sparse product), larger itemsets from intersecting the baskets of
    their items (each prefix once).

    Examples
    --------
    >>> b = Baskets.from_lists([["tea", "kettle"], ["tea", "kettle", "mug"], ["tea"]])
    >>> weighted_counts(b, np.array([0.5, 1.0, 0.25]), [(1,), (0, 2), (0, 1, 2)]).tolist()
    [1.0, 1.5, 1.0]
    """
    result = np.zeros(len(itemsets), dtype=float)
    if not len(itemsets):
        return result
    n_items = baskets.n_items
    weights = np.asarray(weights, dtype=float)
    rows = np.repeat(np.arange(len(baskets), dtype=np.int64), np.diff(baskets.indptr))
    singles = np.bincount(baskets.indices, weights=weights[rows], minlength=n_items)
    sizes = np.fromiter((len(itemset) for itemset in itemsets), dtype=np.int64, count=len(itemsets))
    for k in np.flatnonzero(sizes == 1).tolist():
        result[k] = singles[itemsets[k][0]]
    pair_positions = np.flatnonzero(sizes == 2)
    matrix = sp.csr_matrix(
        (np.ones(len(baskets.indices), dtype=float), baskets.indices, baskets.indptr), shape=(len(baskets), n_items)
    )
    if len(pair_positions):
        firsts = np.array([itemsets[k][0] for k in pair_positions.tolist()], dtype=np.int64)
        seconds = np.array([itemsets[k][1] for k in pair_positions.tolist()], dtype=np.int64)
        used = np.unique(np.concatenate([firsts, seconds]))
        local = np.full(n_items, -1, dtype=np.int64)
        local[used] = np.arange(len(used))
        part = matrix[:, used]
        gram = (part.T @ sp.diags(weights) @ part).tocsr()
        result[pair_positions] = np.asarray(gram[local[firsts], local[seconds]]).ravel()
    longer = np.flatnonzero(sizes > 2)
    if len(longer):
        by_item = matrix.tocsc()

        def holding(item: int) -> np.ndarray:
            return by_item.indices[by_item.indptr[item] : by_item.indptr[item + 1]]

        known: dict[tuple[int, ...], np.ndarray] = {}

        def baskets_of(itemset: tuple[int, ...]) -> np.ndarray:
            if len(itemset) == 1:
                return holding(itemset[0])
            found = known.get(itemset)
            if found is None:
                found = np.intersect1d(baskets_of(itemset[:-1]), holding(itemset[-1]), assume_unique=True)
                known[itemset] = found
            return found

        for k in longer.tolist():
            result[k] = float(weights[baskets_of(tuple(itemsets[k]))].sum())
    return result


def recency_of(baskets: Baskets, rules: RuleCounts, half_life: float) -> Recency:
    """The weighted counts the ranking reads with a half-life of ``half_life`` days: of every
    item, of each rule (its antecedent with its consequent) and of its antecedent.

    Raises
    ------
    InputError
        When the baskets have no time, or some have none.

    Examples
    --------
    >>> b = Baskets.from_lists([["tea", "kettle"], ["tea", "kettle"], ["tea"]])
    >>> from dataclasses import replace
    >>> b = replace(b, timestamps=np.array(["2026-01-01", "2026-01-11", "2026-01-11"], dtype="datetime64[ns]"))
    >>> rules = RuleCounts(antecedents=((0,),), consequents=(1,), counts=(2,), antecedent_counts=(2,))
    >>> r = recency_of(b, rules, 10.0)
    >>> r.baskets, r.item_counts, r.rule_counts, r.at
    (2.5, (1.5, 2.5), (1.5,), '2026-01-11T00:00:00Z')
    """
    times = baskets.timestamps
    if times is None:
        raise InputError(
            f"{baskets.source.name} has no order times, so recent orders cannot weigh more; pass its time column "
            "(e.g. --time-col InvoiceDate) or leave out --half-life."
        )
    missing = int(np.isnat(np.asarray(times)).sum())
    if missing:
        raise InputError(
            f"{missing:,} of the {len(baskets):,} orders of {baskets.source.name} have no time, so their weight for "
            "--half-life is unknown; fill their times or leave out --half-life."
        )
    weights = basket_weights(times, half_life)
    end = np.asarray(times, dtype="datetime64[ns]").max()
    joined = [tuple(sorted((*a, c))) for a, c in zip(rules.antecedents, rules.consequents)]
    antecedents = [tuple(a) for a in rules.antecedents]
    wanted = list(dict.fromkeys(joined + antecedents))
    position = {itemset: k for k, itemset in enumerate(wanted)}
    counted = weighted_counts(baskets, weights, wanted)
    items = weighted_counts(baskets, weights, [(j,) for j in range(baskets.n_items)])
    of_antecedents = counted[[position[itemset] for itemset in antecedents]]
    of_antecedents = np.minimum(of_antecedents, [min(items[a] for a in itemset) for itemset in antecedents])
    # Sums of one weight in different orders may differ in the last bit: a rule's weight stays
    # within its antecedent's and its consequent's, as its baskets do.
    of_rules = np.minimum(counted[[position[itemset] for itemset in joined]], of_antecedents)
    of_rules = np.minimum(of_rules, items[np.asarray(rules.consequents, dtype=np.int64)])
    return Recency(
        half_life_days=float(half_life),
        at=str(np.datetime_as_string(end, unit="s")) + "Z",
        baskets=float(weights.sum()),
        item_counts=tuple(float(c) for c in items),
        rule_counts=tuple(float(c) for c in of_rules),
        antecedent_counts=tuple(float(c) for c in of_antecedents),
    )
