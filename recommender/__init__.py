"""Retail cross-sell recommendations from association rules.

Mine the baskets of past orders into a model file, then ask it for a few well-chosen, explained
suggestions. Importing this package is light: the heavy parts load when first used.

>>> from recommender import mine
>>> mine([["tea", "kettle"], ["tea", "kettle"], ["tea"]], min_support=0.5).rules.shape[0]
2
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .exceptions import (
    ArtifactError,
    ConfigError,
    InputError,
    MissingDependencyError,
    RecommenderError,
)

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "mine",
    "Model",
    "Recommender",
    "MiningConfig",
    "RankingConfig",
    "read_baskets",
    "evaluate",
    "RecommenderError",
    "InputError",
    "ConfigError",
    "ArtifactError",
    "MissingDependencyError",
]

if TYPE_CHECKING:
    from .config import MiningConfig, RankingConfig
    from .evaluation import evaluate
    from .io import read_baskets
    from .mining import mine
    from .model import Model
    from .ranking import Recommender

_LAZY = {
    "mine": ("recommender.mining", "mine"),
    "Model": ("recommender.model", "Model"),
    "Recommender": ("recommender.ranking", "Recommender"),
    "MiningConfig": ("recommender.config", "MiningConfig"),
    "RankingConfig": ("recommender.config", "RankingConfig"),
    "read_baskets": ("recommender.io", "read_baskets"),
    "evaluate": ("recommender.evaluation", "evaluate"),
}


def __getattr__(name: str) -> Any:
    # Lazy so that `import recommender` (and the serving path) never pulls in pandas or scipy.
    if name in _LAZY:
        import importlib

        module, attribute = _LAZY[name]
        value = getattr(importlib.import_module(module), attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'recommender' has no attribute {name!r}")
