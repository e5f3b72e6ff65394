"""Validated, frozen settings.

Settings are checked where they are declared, so a bad threshold fails when it is given,
with the value and the valid range, not deep inside the miner.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .exceptions import ConfigError

__all__ = ["MiningConfig", "DEFAULT_MIN_SUPPORT", "DEFAULT_MIN_CONFIDENCE", "DEFAULT_MAX_LEN"]

# A typical shop has hundreds to thousands of products and tens of thousands of orders:
# one basket in a thousand is about the least evidence worth a rule there (tens of
# baskets), and a cross-sell shown to one shopper in ten of those who qualify is already
# worth ranking. The ranking layer orders rules by lift and confidence, so a generous
# floor here loses nothing. Frequently-bought-together rarely needs more than two items
# on the left, hence max_len 3.
DEFAULT_MIN_SUPPORT = 0.001
DEFAULT_MIN_CONFIDENCE = 0.1
DEFAULT_MAX_LEN = 3
MAX_MAX_LEN = 10


@dataclass(frozen=True, kw_only=True)
class MiningConfig:
    """Thresholds of one mining run; all inclusive.

    Parameters
    ----------
    min_support : float
        Least share of baskets, in (0, 1], that must hold an itemset for it to be frequent.
    min_confidence : float
        Least confidence, in [0, 1], of a rule ``A -> c``.
    max_len : int
        Most items in a rule, antecedent and consequent together (2 to 10).

    Examples
    --------
    >>> MiningConfig(min_support=0.01).max_len
    3
    >>> MiningConfig(min_support=2.0)
    Traceback (most recent call last):
    ...
    recommender.exceptions.ConfigError: min_support must be a share of baskets in (0, 1], got 2.0; pass e.g. 0.001 for one basket in a thousand.
    """  # noqa: E501

    min_support: float = DEFAULT_MIN_SUPPORT
    min_confidence: float = DEFAULT_MIN_CONFIDENCE
    max_len: int = DEFAULT_MAX_LEN

    def __post_init__(self) -> None:
        support = _as_float("min_support", self.min_support)
        if not 0.0 < support <= 1.0:
            raise ConfigError(
                f"min_support must be a share of baskets in (0, 1], got {self.min_support!r}; "
                "pass e.g. 0.001 for one basket in a thousand."
            )
        confidence = _as_float("min_confidence", self.min_confidence)
        if not 0.0 <= confidence <= 1.0:
            raise ConfigError(
                f"min_confidence must be in [0, 1], got {self.min_confidence!r}; "
                "pass e.g. 0.1 for rules right at least one time in ten."
            )
        if isinstance(self.max_len, bool) or not isinstance(self.max_len, int):
            raise ConfigError(f"max_len must be a whole number of items, got {self.max_len!r}; pass e.g. 3.")
        if not 2 <= self.max_len <= MAX_MAX_LEN:
            raise ConfigError(
                f"max_len must be between 2 and {MAX_MAX_LEN} items per rule, got {self.max_len}; "
                "3 suits frequently-bought-together."
            )
        object.__setattr__(self, "min_support", support)
        object.__setattr__(self, "min_confidence", confidence)

    def min_count(self, n_baskets: int) -> int:
        """Least basket count of a frequent itemset among ``n_baskets`` baskets.

        The smallest whole ``c`` with ``c / n_baskets >= min_support`` computed in floating
        point, exactly as the inclusive threshold on support reads, so that no itemset at the
        boundary is lost or gained by rounding.

        Examples
        --------
        >>> MiningConfig(min_support=0.001).min_count(9835)
        10
        >>> MiningConfig(min_support=0.5).min_count(4)
        2
        """
        count = max(1, math.ceil(self.min_support * n_baskets))
        while count > 1 and (count - 1) / n_baskets >= self.min_support:
            count -= 1
        while count / n_baskets < self.min_support:
            count += 1
        return count

    def as_dict(self) -> dict[str, Any]:
        """The thresholds as plain JSON-ready values."""
        return {
            "min_support": self.min_support,
            "min_confidence": self.min_confidence,
            "max_len": self.max_len,
        }


def _as_float(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{name} must be a number, got {value!r}.")
    result = float(value)
    if math.isnan(result):
        raise ConfigError(f"{name} must be a number, got NaN.")
    return result
