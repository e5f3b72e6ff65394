"""The ranking layer: cross-sell for the whole cart, upgrades, bundles, fallbacks, all capped and
explained, with a decision trace of what was considered and why it was or was not shown."""

from __future__ import annotations

from .recommender import Recommender
from .results import Bundle, Considered, Recommendations, Suggestion

__all__ = ["Recommender", "Recommendations", "Suggestion", "Considered", "Bundle"]
