"""Rule hygiene: significance, multiple-testing correction, redundancy, smoothing.

Retail data throws up many rules that are chance (a handful of baskets of a rare item) or
that say nothing a shorter rule does not. Everything here works on the exact basket counts
of :class:`~recommender.model_data.RuleCounts`, vectorised with numpy and scipy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats

from ..config import CORRECTIONS, MiningConfig
from ..model_data import RuleCounts

__all__ = [
    "CORRECTIONS",
    "apply_hygiene",
    "fisher_p_values",
    "adjust_p_values",
    "redundant_rules",
    "shrunk_confidence",
]


def fisher_p_values(
    counts: np.ndarray | Sequence[int],
    antecedent_counts: np.ndarray | Sequence[int],
    consequent_counts: np.ndarray | Sequence[int],
    n_baskets: int,
) -> np.ndarray:
    """One-sided Fisher exact test of each rule ``A -> c``: is ``c`` more frequent with ``A``?

    The 2x2 table of baskets is (A and c, A without c, c without A, neither); under
    independence with the margins fixed, the count of baskets with both is hypergeometric,
    and the p-value is the chance of at least the observed count: the same as
    ``scipy.stats.fisher_exact(table, alternative="greater")`` and R's
    ``fisher.test(alternative = "greater")`` (arules' ``is.significant``), computed for all
    rules in one call.

    Examples
    --------
    Two baskets of ten hold the antecedent, both also the consequent, which four hold in all:
    the chance of that is C(4,2)/C(10,2) = 6/45.

    >>> float(fisher_p_values([2], [2], [4], 10)[0])  # doctest: +ELLIPSIS
    0.1333...
    """
    both = np.asarray(counts, dtype=np.int64)
    antecedent = np.asarray(antecedent_counts, dtype=np.int64)
    consequent = np.asarray(consequent_counts, dtype=np.int64)
    # P(X >= both) for X ~ Hypergeom(population n, successes |c|, draws |A|).
    p = stats.hypergeom.sf(both - 1, n_baskets, consequent, antecedent)
    clipped: np.ndarray = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    return clipped


def adjust_p_values(p_values: np.ndarray | Sequence[float], method: str = "fdr_bh") -> np.ndarray:
    """P-values adjusted for testing all of them at once.

    ``fdr_bh``: Benjamini-Hochberg (controls the share of false discoveries among the kept
    rules); ``bonferroni``: each times the number of tests (controls the chance of any false
    rule); ``none``: unchanged. Keeping the rules whose adjusted p-value is at most ``alpha``
    applies the procedure at level ``alpha``.

    Examples
    --------
    >>> adjust_p_values([0.01, 0.04, 0.03, 0.005], "fdr_bh").round(4).tolist()
    [0.02, 0.04, 0.04, 0.02]
    >>> adjust_p_values([0.01, 0.3], "bonferroni").tolist()
    [0.02, 0.6]
    """
    p = np.asarray(p_values, dtype=float)
    if method not in CORRECTIONS:
        raise ValueError(f"correction must be one of {CORRECTIONS}, got {method!r}.")
    if method == "none" or p.size == 0:
        return p.copy()
    if method == "bonferroni":
        bonferroni: np.ndarray = np.minimum(p * p.size, 1.0)
        return bonferroni
    return np.asarray(stats.false_discovery_control(p, method="bh"), dtype=float)


def redundant_rules(
    antecedents: Sequence[tuple[int, ...]], consequents: Sequence[int], confidences: np.ndarray | Sequence[float]
) -> np.ndarray:
    """Which rules are redundant: a rule with the same consequent and a strict subset of the
    antecedent is at least as confident (R arules' ``is.redundant``, improvement <= 0).

    Sub-rules missing from the set cannot make a rule redundant themselves (below the
    confidence threshold, so less confident than any rule of the set), but their own
    sub-rules can; the best confidence below each antecedent is therefore found through all
    its subsets, each computed once.

    Examples
    --------
    ``{0} -> 2`` (0.9) makes ``{0, 1} -> 2`` (0.8) redundant; ``{1} -> 2`` (0.5) does not make
    ``{1, 3} -> 2`` (0.7) redundant.

    >>> redundant_rules([(0,), (0, 1), (1,), (1, 3)], [2, 2, 2, 2], [0.9, 0.8, 0.5, 0.7]).tolist()
    [False, True, False, False]
    """
    confidence = np.asarray(confidences, dtype=float)
    known = {
        (antecedent, consequent): float(c) for antecedent, consequent, c in zip(antecedents, consequents, confidence)
    }
    below: dict[tuple[tuple[int, ...], int], float] = {}

    def best_below(antecedent: tuple[int, ...], consequent: int) -> float:
        """The highest confidence among the rules of strict, non-empty subsets of ``antecedent``."""
        key = (antecedent, consequent)
        found = below.get(key)
        if found is None:
            found = -1.0
            if len(antecedent) > 1:
                for drop in range(len(antecedent)):
                    subset = antecedent[:drop] + antecedent[drop + 1 :]
                    found = max(found, known.get((subset, consequent), -1.0), best_below(subset, consequent))
            below[key] = found
        return found

    return np.fromiter(
        (
            len(antecedent) > 1 and best_below(tuple(antecedent), int(consequent)) >= c
            for antecedent, consequent, c in zip(antecedents, consequents, confidence)
        ),
        dtype=bool,
        count=len(confidence),
    )


def shrunk_confidence(
    counts: np.ndarray | Sequence[int],
    antecedent_counts: np.ndarray | Sequence[int],
    consequent_support: np.ndarray | Sequence[float],
    k: float,
) -> np.ndarray:
    """Confidence smoothed toward the consequent's base rate with ``k`` pseudo-baskets.

    ``(count + k * support(c)) / (count(A) + k)``: a rule seen in many baskets keeps its
    confidence, one seen in a handful moves toward ``support(c)`` (lift toward 1), so tiny
    counts cannot top a ranking on a lucky streak. ``k = 0`` is the plain confidence.

    Examples
    --------
    Three of three baskets against 300 of 400, for an item in 10% of baskets:

    >>> shrunk_confidence([3, 300], [3, 400], [0.1, 0.1], 10).round(3).tolist()
    [0.308, 0.734]
    """
    both = np.asarray(counts, dtype=float)
    antecedent = np.asarray(antecedent_counts, dtype=float)
    base = np.asarray(consequent_support, dtype=float)
    return (both + k * base) / (antecedent + k)


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
