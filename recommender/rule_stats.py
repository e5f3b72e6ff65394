"""Statistics of rules from their exact basket counts: metrics, significance, redundancy.

Every function takes the counts a :class:`~recommender.model_data.RuleCounts` holds (of
``A ∪ {c}``, of ``A``, of ``c``) and the number of baskets, vectorised with numpy and
scipy, so the miner (which filters on them) and :class:`~recommender.model.Model` (which
shows them) compute the same numbers from the same counts. Nothing here reads baskets.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import special

from .config import CORRECTIONS, RULE_METRICS

__all__ = [
    "METRICS",
    "rule_metrics",
    "fisher_p_values",
    "adjust_p_values",
    "redundant_rules",
    "shrunk_confidence",
]

METRICS = RULE_METRICS


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
    return hypergeom_sf(both, n_baskets, consequent, antecedent)


def hypergeom_sf(k: np.ndarray, population: int, successes: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """``P(X >= k)`` for ``X ~ Hypergeom(population, successes, draws)``, elementwise: what
    ``scipy.stats.hypergeom.sf(k - 1, ...)`` gives (a test holds them equal to a relative
    1e-12 for populations of hundreds, 1e-9 for a hundred thousand, 1e-7 for millions: the
    precision of the log-probability at ``k``), computed in a way whose cost does not grow with
    the population (scipy's sf takes seconds for twenty thousand rules of a shop of a hundred
    thousand baskets; this, a few hundredths).

    The probabilities fall away on both sides of the mode, each term a simple ratio of the one
    before. Above the mode, the tail is summed up from ``k``; at or below it, the terms below
    ``k`` are summed down from ``k - 1`` and taken from 1. Either sum stops when what is left
    (less than the last term times ``r / (1 - r)``, ``r`` the last ratio, since the ratios
    shrink away from the mode) cannot change it.

    Examples
    --------
    >>> hypergeom_sf(np.array([4, 2, 0]), 20, np.array([8, 8, 8]), np.array([5, 5, 5])).round(6).tolist()
    [0.057792, 0.693498, 1.0]
    """
    k = np.asarray(k, dtype=np.float64)
    big = float(population)
    good = np.broadcast_to(np.asarray(successes, dtype=np.float64), k.shape)
    drawn = np.broadcast_to(np.asarray(draws, dtype=np.float64), k.shape)
    low, high = np.maximum(0.0, drawn + good - big), np.minimum(drawn, good)
    mode = np.floor((drawn + 1) * (good + 1) / (big + 2))
    up = k > mode  # sum P(X = x) for x = k, k + 1, ...; else for x = k - 1, k - 2, ... and take from 1
    x = np.where(up, k, k - 1)
    inside = (k > low) & (k <= high)  # else P(X >= k) is 1 (k at or below the least) or 0 (above the most)
    total = np.zeros(k.shape)
    at = np.flatnonzero(inside)
    x, up = x[at], up[at]
    n, g = drawn[at], good[at]
    term = np.exp(_hypergeom_logpmf(x, big, g, n))
    sums = term.copy()
    while len(at):
        ratio = np.where(
            up,
            (g - x) * (n - x) / ((x + 1) * (big - g - n + x + 1)),
            x * (big - g - n + x) / np.maximum((g - x + 1) * (n - x + 1), 1.0),
        )
        x = np.where(up, x + 1, x - 1)
        term = term * ratio
        sums = sums + term
        going = (ratio > 0) & ((ratio >= 1) | (term * ratio > (1 - ratio) * sums * 1e-17))
        done = ~going
        total[at[done]] = sums[done]
        at, x, up, n, g, term, sums = (a[going] for a in (at, x, up, n, g, term, sums))
    p = np.where(inside & ~(k > mode), 1.0 - total, total)
    p = np.where(k <= low, 1.0, np.where(k > high, 0.0, p))
    clipped: np.ndarray = np.clip(p, 0.0, 1.0)
    return clipped


def _hypergeom_logpmf(x: np.ndarray, population: float, successes: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """``log P(X = x)``, as ``scipy.stats.hypergeom.logpmf`` computes it (from log beta
    functions), without importing scipy.stats: half a second of every ``mine`` otherwise."""
    bad = population - successes
    return (
        special.betaln(successes + 1, 1)
        + special.betaln(bad + 1, 1)
        + special.betaln(population - draws + 1, draws + 1)
        - special.betaln(x + 1, successes - x + 1)
        - special.betaln(draws - x + 1, bad - draws + x + 1)
        - special.betaln(population + 1, 1)
    )


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
    # Step up: each sorted p-value times the tests over its rank, then the least of those at or
    # after it (what scipy.stats.false_discovery_control(p, method="bh") gives; a test holds
    # them equal).
    order = np.argsort(p, kind="stable")
    scaled = p[order] * p.size / np.arange(1, p.size + 1)
    adjusted = np.empty(p.size)
    adjusted[order] = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    return adjusted


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
