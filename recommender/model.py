"""A mined model as merchandisers and pipelines see it: pandas tables over the model data.

:class:`Model` is the offline face of a model file (it imports pandas); serving reads the same
file through :mod:`recommender.artifact` without pandas. It knows nothing of mining:
:func:`recommender.mining.mine` returns one, and :meth:`Model.load` reads one from a file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .artifact import read_model, write_model
from .model_data import ModelData, RuleCounts
from .rule_stats import (
    METRICS,
    adjust_p_values,
    fisher_p_values,
    redundant_rules,
    rule_metrics,
    shrunk_confidence,
)

if TYPE_CHECKING:
    from .io.baskets import Baskets

__all__ = ["Model", "RULE_COLUMNS"]

RULE_COLUMNS = (
    "antecedents",
    "consequent",
    "antecedent_names",
    "consequent_name",
    "count",
    "antecedent_count",
    "consequent_count",
)


class Model:
    """Rules, bundles' itemsets, popularity and catalog of one mining run.

    Parameters
    ----------
    data : ModelData
        The content of the model file.
    baskets : Baskets, optional
        The baskets it was mined from, when it was mined in this process (not saved).

    Examples
    --------
    >>> from recommender import mine
    >>> model = mine([["tea", "kettle"], ["tea", "kettle"], ["tea"]], min_support=0.5, min_confidence=0.5)
    >>> len(model.rules), model.n_baskets
    (2, 3)
    """

    def __init__(self, data: ModelData, *, baskets: Baskets | None = None) -> None:
        self.data = data
        self.baskets = baskets

    def __repr__(self) -> str:
        return (
            f"Model(id={self.data.model_id!r}, baskets={self.n_baskets:,}, items={len(self.data.items):,}, "
            f"rules={len(self.data.rules):,})"
        )

    @property
    def id(self) -> str:
        return self.data.model_id

    @property
    def n_baskets(self) -> int:
        return self.data.n_baskets

    @property
    def config(self) -> dict[str, Any]:
        return dict(self.data.config)

    @property
    def provenance(self) -> dict[str, Any]:
        return dict(self.data.provenance)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the model file atomically; returns its path."""
        return write_model(self.data, path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Model:
        """Read a model file written by :meth:`save` (refuses truncated or corrupt files)."""
        return cls(read_model(path))

    def name_of(self, item_id: str) -> str:
        """The catalog name of an item, or its id when the catalog has none."""
        entry = self.data.catalog.get(item_id)
        return entry.name if entry is not None and entry.name else item_id

    @cached_property
    def catalog(self) -> pd.DataFrame:
        """The catalog as a table indexed by ``item_id`` (empty when none was known)."""
        columns = ["name", "category", "family", "brand", "price", "margin", "in_stock", "active"]
        rows = {item: [getattr(entry, c) for c in columns] for item, entry in self.data.catalog.items()}
        frame = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
        frame.index.name = "item_id"
        return frame.sort_index()

    @cached_property
    def items(self) -> pd.DataFrame:
        """Every item with its basket count and support, most popular first."""
        counts = np.asarray(self.data.item_counts, dtype=np.int64)
        frame = pd.DataFrame(
            {
                "item_id": self.data.items,
                "name": [self.name_of(i) for i in self.data.items],
                "count": counts,
                "support": counts / self.n_baskets,
            }
        )
        return frame.sort_values(["count", "item_id"], ascending=[False, True], ignore_index=True)

    @cached_property
    def rules(self) -> pd.DataFrame:
        """One row per rule ``antecedents -> consequent`` with counts and every metric.

        Columns: ``antecedents`` (tuple of item ids), ``consequent``, their names, the basket
        counts of the rule, its antecedent and its consequent, then ``antecedent_support``,
        ``consequent_support``, ``support``, ``confidence``, ``lift``, ``leverage``,
        ``conviction``, ``zhangs_metric``, ``jaccard``, ``certainty``, ``kulczynski``, then the
        hygiene columns: ``p_value`` (one-sided Fisher test), ``p_adjusted`` (corrected across
        every rule mined), ``redundant``, ``confidence_shrunk`` and ``lift_shrunk`` (smoothed
        with the model's ``shrinkage``). Sorted by lift, then confidence, then count (all
        descending).
        """
        return self._rules_frame(self.data.rules, self.data.items, self.data.item_counts, self.name_of)

    @cached_property
    def category_rules(self) -> pd.DataFrame:
        """Rules between categories (mined when the catalog or a hierarchy gives categories),
        with the columns of :attr:`rules`; empty without categories."""
        return self._rules_frame(
            self.data.category_rules, self.data.categories, self.data.category_counts, lambda name: name
        )

    def _rules_frame(
        self, rules: RuleCounts, items: Sequence[str], item_counts_: Sequence[int], name_of: Callable[[str], str]
    ) -> pd.DataFrame:
        item_counts = np.asarray(item_counts_, dtype=np.int64)
        consequents = np.asarray(rules.consequents, dtype=np.int64)
        counts = np.asarray(rules.counts, dtype=np.int64)
        antecedent_counts = np.asarray(rules.antecedent_counts, dtype=np.int64)
        consequent_counts = item_counts[consequents] if len(consequents) else np.zeros(0, dtype=np.int64)
        frame = pd.DataFrame(
            {
                "antecedents": [tuple(items[i] for i in a) for a in rules.antecedents],
                "consequent": [items[c] for c in rules.consequents],
                "antecedent_names": [tuple(name_of(items[i]) for i in a) for a in rules.antecedents],
                "consequent_name": [name_of(items[c]) for c in rules.consequents],
                "count": counts,
                "antecedent_count": antecedent_counts,
                "consequent_count": consequent_counts,
            }
        )
        metrics = rule_metrics(counts, antecedent_counts, consequent_counts, self.n_baskets)
        for name in METRICS:
            frame[name] = metrics[name]
        frame["p_value"] = fisher_p_values(counts, antecedent_counts, consequent_counts, self.n_baskets)
        # Files of schema 1 carry no adjusted p-values: the kept rules are all there is to adjust.
        frame["p_adjusted"] = (
            np.asarray(rules.p_adjusted, dtype=float)
            if rules.p_adjusted
            else adjust_p_values(frame["p_value"].to_numpy())
        )
        frame["redundant"] = (
            np.asarray(rules.redundant, dtype=bool)
            if rules.redundant
            else redundant_rules(rules.antecedents, rules.consequents, metrics["confidence"])
        )
        k = float(self.config.get("shrinkage", 0.0))
        frame["confidence_shrunk"] = shrunk_confidence(counts, antecedent_counts, metrics["consequent_support"], k)
        frame["lift_shrunk"] = frame["confidence_shrunk"] / metrics["consequent_support"]
        order = np.lexsort((-frame["count"].to_numpy(), -frame["confidence"].to_numpy(), -frame["lift"].to_numpy()))
        return frame.iloc[order].reset_index(drop=True)

    @cached_property
    def itemsets(self) -> pd.DataFrame:
        """The frequent itemsets of two or three items (bundle candidates) with count and support."""
        items = self.data.items
        return pd.DataFrame(
            {
                "items": [tuple(items[i] for i in members) for members, _ in self.data.itemsets],
                "count": np.asarray([count for _, count in self.data.itemsets], dtype=np.int64),
            }
        ).assign(support=lambda f: f["count"] / self.n_baskets)
