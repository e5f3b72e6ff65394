"""Pandas views and matplotlib plots of a model, for merchandisers working in Jupyter.

Everything here takes a :class:`~recommender.model.Model` (and, for what the checkout shows, a
:class:`~recommender.ranking.Recommender` built on it) and returns a new DataFrame or a
:class:`matplotlib.figure.Figure`; nothing is drawn on screen, printed or mutated. Figures are
made without pyplot, so they work on any backend (Agg included) and are displayed by Jupyter
when a cell returns them.

One module per job: :mod:`.load` (the orders and catalog to work on), :mod:`.tables` (rules,
bundles, attach rates, upgrade paths), :mod:`.plots` (every figure), :mod:`.sweeps` (the
effect of the thresholds), :mod:`.preview` (what the checkout shows, and what it filters).

>>> from recommender import Recommender, mine
>>> model = mine([["tea", "kettle"], ["tea", "kettle"], ["tea"], ["mug"]], min_support=0.5)
>>> rules_table(model)[["if_bought", "then_bought", "confidence", "lift"]].to_dict("records")
[{'if_bought': 'kettle', 'then_bought': 'tea', 'confidence': 1.0, 'lift': 1.3333333333333333}, {'if_bought': 'tea', 'then_bought': 'kettle', 'confidence': 0.6666666666666666, 'lift': 1.3333333333333333}]
"""  # noqa: E501

from __future__ import annotations

from .load import load_shop
from .plots import plot_rule_graph, plot_rules_scatter, plot_sweep, plot_upgrade_paths
from .preview import REASONS, explain_filtered, preview_cart
from .sweeps import threshold_sweep
from .tables import SORTABLE, attach_rates, rules_table, top_bundles, upgrade_paths

__all__ = [
    "SORTABLE",
    "REASONS",
    "load_shop",
    "rules_table",
    "top_bundles",
    "attach_rates",
    "plot_rules_scatter",
    "plot_rule_graph",
    "threshold_sweep",
    "plot_sweep",
    "preview_cart",
    "explain_filtered",
    "upgrade_paths",
    "plot_upgrade_paths",
]
