"""The error hierarchy.

Every error the package raises on purpose is a :class:`RecommenderError`; the ones caused by
a bad value (a file, a column, a threshold) also inherit :class:`ValueError`, so callers that
already catch ``ValueError`` keep working. Messages say what was wrong, the value, and the fix.
"""

from __future__ import annotations

__all__ = [
    "RecommenderError",
    "InputError",
    "ConfigError",
    "ArtifactError",
    "MissingDependencyError",
    "StoreUnavailableError",
]


class RecommenderError(Exception):
    """Base class of every error raised by :mod:`recommender`."""


class InputError(RecommenderError, ValueError):
    """Orders, baskets or a catalog that cannot be read or do not validate."""


class ConfigError(RecommenderError, ValueError):
    """A setting (threshold, limit, option) outside its valid range."""


class ArtifactError(RecommenderError, ValueError):
    """A model file that is missing, truncated, corrupt or of an unknown schema."""


class MissingDependencyError(RecommenderError, ImportError):
    """An optional extra (``serve``, ``spark``, ``notebooks``) is not installed."""


class StoreUnavailableError(RecommenderError, OSError):
    """The events store cannot be reached or written (down, locked, full, read-only)."""
