"""The rules as the ranking reads them from a model mined with a half-life.

A model mined with ``half_life`` (see :mod:`recommender.mining.recency`) holds, beside each
rule's basket counts, the summed weights of those baskets, recent ones weighing more. The
ranking orders and scores the rules by the confidences and lifts of the weights; a reason still
gives what the baskets show (the baskets behind the rule, its observed confidence and lift).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..model_data import ModelData
from .index import Rule, rules_of

__all__ = ["ranked_rules"]


def ranked_rules(data: ModelData, *, shrinkage: float = 0.0) -> list[Rule]:
    """:func:`.index.rules_of` of ``data``, from the weighted counts when it has them.

    Examples
    --------
    >>> from recommender.model_data import Recency, RuleCounts
    >>> rules = RuleCounts(antecedents=((0,), (0,)), consequents=(1, 2), counts=(3, 2), antecedent_counts=(4, 4))
    >>> data = ModelData(model_id="m", created_at="2026-01-01T00:00:00Z", n_baskets=6, items=("a", "b", "c"),
    ...                  item_counts=(4, 3, 2), rules=rules, itemsets=())
    >>> [(r.consequent, r.confidence) for r in ranked_rules(data)]
    [(1, 0.75), (2, 0.5)]
    >>> recent = Recency(half_life_days=30.0, at="2026-01-01T00:00:00Z", baskets=3.0, item_counts=(2.0, 1.0, 1.5),
    ...                  rule_counts=(0.5, 1.5), antecedent_counts=(2.0, 2.0))
    >>> [(r.consequent, r.confidence, r.baskets) for r in ranked_rules(replace(data, recency=recent))]
    [(2, 0.75, 2), (1, 0.25, 3)]
    """
    recency = data.recency
    if recency is None:
        return rules_of(data, shrinkage=shrinkage)
    # rules_of reads numbers: the weights stand in for the basket counts they weigh.
    counts: dict[str, Any] = {"counts": recency.rule_counts, "antecedent_counts": recency.antecedent_counts}
    weighted: dict[str, Any] = {
        "n_baskets": recency.baskets,
        "item_counts": recency.item_counts,
        "rules": replace(data.rules, **counts),
    }
    raw = {
        (tuple(antecedent), consequent): (count, antecedent_count)
        for antecedent, consequent, count, antecedent_count in zip(
            data.rules.antecedents, data.rules.consequents, data.rules.counts, data.rules.antecedent_counts
        )
    }
    found = []
    for rule in rules_of(replace(data, **weighted), shrinkage=shrinkage):
        count, antecedent_count = raw[(rule.antecedent, rule.consequent)]
        found.append(rule._replace(baskets=count, antecedent_count=antecedent_count))
    return found
