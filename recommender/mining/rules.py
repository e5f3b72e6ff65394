"""Rules ``A -> c`` from frequent itemsets, and their metrics.

Rules are kept as exact integer counts (the basket counts of ``A ∪ {c}``, of ``A`` and of
``c``); every metric is computed from those, so the artifact stores no float that could
disagree with another.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..config import RULE_METRICS
from ..model_data import RuleCounts

__all__ = ["RuleCounts", "rules_from_itemsets", "rule_metrics", "METRICS"]

METRICS = RULE_METRICS


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


def rule_metrics(
    counts: np.ndarray, antecedent_counts: np.ndarray, consequent_counts: np.ndarray, n_baskets: int
) -> dict[str, np.ndarray]:
    """All metrics of :data:`METRICS`, vectorised, with mlxtend's conventions at the edges.

    conviction is ``inf`` for rules that always hold; Zhang's metric and certainty are 0 where
    their denominator is 0.

    Examples
    --------
    >>> m = rule_metrics(np.array([2]), np.array([3]), np.array([2]), 4)
    >>> round(float(m["confidence"][0]), 4), round(float(m["lift"][0]), 4)
    (0.6667, 1.3333)
    """
    n = float(n_baskets)
    s_ac = np.asarray(counts, dtype=float) / n
    s_a = np.asarray(antecedent_counts, dtype=float) / n
    s_c = np.asarray(consequent_counts, dtype=float) / n
    confidence = s_ac / s_a
    lift = confidence / s_c
    leverage = s_ac - s_a * s_c
    with np.errstate(divide="ignore", invalid="ignore"):
        conviction = np.where(confidence < 1.0, (1.0 - s_c) / (1.0 - confidence), np.inf)
        zhang_denominator = np.maximum(s_ac * (1.0 - s_a), s_a * (s_c - s_ac))
        zhangs = np.where(zhang_denominator == 0, 0.0, leverage / zhang_denominator)
        certainty = np.where(s_c == 1.0, 0.0, (confidence - s_c) / (1.0 - s_c))
    jaccard = s_ac / (s_a + s_c - s_ac)
    kulczynski = (s_ac / s_a + s_ac / s_c) / 2.0
    return {
        "antecedent_support": s_a,
        "consequent_support": s_c,
        "support": s_ac,
        "confidence": confidence,
        "lift": lift,
        "leverage": leverage,
        "conviction": conviction,
        "zhangs_metric": zhangs,
        "jaccard": jaccard,
        "certainty": certainty,
        "kulczynski": kulczynski,
    }
