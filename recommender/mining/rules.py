"""Rules ``A -> c`` from frequent itemsets.

Rules are kept as exact integer counts (the basket counts of ``A ∪ {c}``, of ``A`` and of
``c``); every metric is computed from those (:mod:`recommender.rule_stats`), so the artifact
stores no float that could disagree with another.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..model_data import RuleCounts

__all__ = ["rules_from_itemsets"]


def rules_from_itemsets(
    itemset_counts: Mapping[tuple[int, ...], int],
    item_counts: Sequence[int] | np.ndarray,
    *,
    min_confidence: float,
    max_len: int,
) -> RuleCounts:
    """Every rule with a single consequent whose confidence reaches ``min_confidence``.

    ``itemset_counts`` maps each frequent itemset of two or more items (sorted tuple) to its
    basket count; single items come from ``item_counts``. Rules are ordered by antecedent
    length, then antecedent, then consequent.

    Examples
    --------
    >>> r = rules_from_itemsets({(0, 1): 2}, [3, 2], min_confidence=0.5, max_len=2)
    >>> list(zip(r.antecedents, r.consequents, r.counts, r.antecedent_counts))
    [((0,), 1, 2, 3), ((1,), 0, 2, 2)]
    """
    found: list[tuple[tuple[int, ...], int, int, int]] = []
    for itemset, count in itemset_counts.items():
        if len(itemset) > max_len:
            continue
        for position, consequent in enumerate(itemset):
            antecedent = itemset[:position] + itemset[position + 1 :]
            antecedent_count = int(item_counts[antecedent[0]]) if len(antecedent) == 1 else itemset_counts[antecedent]
            # Inclusive threshold, compared as the share it is (as arules does).
            if count / antecedent_count >= min_confidence:
                found.append((antecedent, consequent, count, antecedent_count))
    found.sort(key=lambda rule: (len(rule[0]), rule[0], rule[1]))
    return RuleCounts(
        antecedents=tuple(rule[0] for rule in found),
        consequents=tuple(rule[1] for rule in found),
        counts=tuple(rule[2] for rule in found),
        antecedent_counts=tuple(rule[3] for rule in found),
    )
