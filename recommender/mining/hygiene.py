"""Rule hygiene: significance, multiple-testing correction, redundancy, smoothing.

Retail data throws up many rules that are chance (a handful of baskets of a rare item) or
that say nothing a shorter rule does not. :func:`apply_hygiene` tests and flags every mined
rule and keeps what the mining settings ask for; the statistics it applies live in
:mod:`recommender.rule_stats` (the model's tables show the same ones) and are importable
from here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..config import CORRECTIONS, MiningConfig
from ..model_data import RuleCounts
from ..rule_stats import adjust_p_values, fisher_p_values, redundant_rules, shrunk_confidence

__all__ = [
    "CORRECTIONS",
    "apply_hygiene",
    "fisher_p_values",
    "adjust_p_values",
    "redundant_rules",
    "shrunk_confidence",
]


def apply_hygiene(
    rules: RuleCounts, item_counts: np.ndarray | Sequence[int], n_baskets: int, config: MiningConfig
) -> tuple[RuleCounts, dict[str, Any]]:
    """Test every rule, flag the redundant ones, keep what ``config`` asks for.

    Every rule gets its adjusted p-value (adjusted across all the rules mined, before any is
    dropped) and its redundancy flag (against all the rules mined); then rules above
    ``config.max_p`` and, with ``config.prune_redundant``, redundant rules are dropped.
    Returns the kept rules and what was applied, for the model's record.

    Examples
    --------
    >>> rules = RuleCounts(antecedents=((0,), (0, 1)), consequents=(2, 2), counts=(9, 5),
    ...                    antecedent_counts=(10, 6))
    >>> kept, record = apply_hygiene(rules, [10, 6, 12], 40, MiningConfig(prune_redundant=True))
    >>> kept.antecedents, record["redundant"], record["kept"]
    (((0,),), 1, 1)
    """
    counts = np.asarray(rules.counts, dtype=np.int64)
    antecedent_counts = np.asarray(rules.antecedent_counts, dtype=np.int64)
    consequents = np.asarray(rules.consequents, dtype=np.int64)
    consequent_counts = np.asarray(item_counts, dtype=np.int64)[consequents] if len(consequents) else consequents
    p_values = fisher_p_values(counts, antecedent_counts, consequent_counts, n_baskets)
    adjusted = adjust_p_values(p_values, config.correction)
    redundant = redundant_rules(rules.antecedents, rules.consequents, counts / np.maximum(antecedent_counts, 1))
    significant = adjusted <= config.max_p if config.max_p is not None else np.ones(len(counts), dtype=bool)
    keep = significant & ~redundant if config.prune_redundant else significant
    kept = np.flatnonzero(keep).tolist()
    record: dict[str, Any] = {
        "test": "fisher_one_sided",
        "correction": config.correction,
        "max_p": config.max_p,
        "prune_redundant": config.prune_redundant,
        "min_count": config.min_count,
        "shrinkage": config.shrinkage,
        "tested": len(counts),
        "not_significant": int((~significant).sum()),
        "redundant": int(redundant.sum()),
        "kept": len(kept),
    }
    result = RuleCounts(
        antecedents=tuple(rules.antecedents[i] for i in kept),
        consequents=tuple(rules.consequents[i] for i in kept),
        counts=tuple(rules.counts[i] for i in kept),
        antecedent_counts=tuple(rules.antecedent_counts[i] for i in kept),
        p_adjusted=tuple(float(adjusted[i]) for i in kept),
        redundant=tuple(bool(redundant[i]) for i in kept),
    )
    return result, record
