"""The ranking layer: cross-sell for the whole cart, upgrades, bundles, fallbacks, all capped and explained."""

from __future__ import annotations

from .recommender import Recommender
from .results import Bundle, Recommendations, Suggestion

__all__ = ["Recommender", "Recommendations", "Suggestion", "Bundle"]
