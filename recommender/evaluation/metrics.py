"""Top-K metrics with one relevant item per case (leave-one-out basket completion).

Every metric takes ``ranks``: for each case, the 1-based position of the hidden item among
the suggestions, or 0 when it is not among them. With one relevant item, the ideal DCG is 1,
so NDCG@K is ``1 / log2(rank + 1)`` on a hit and 0 on a miss, and MRR@K is ``1 / rank``.
An empty set of cases scores 0, never NaN.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..config import check_limit
from ..exceptions import ConfigError, InputError

__all__ = [
    "Scores",
    "ranks_of",
    "hit_rate",
    "precision",
    "ndcg",
    "mrr",
    "coverage",
    "revenue_hit_rate",
    "score",
]


def ranks_of(suggested: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    """The rank (1-based) of each case's hidden item in its row of suggestions, 0 when absent.

    Parameters
    ----------
    suggested : numpy.ndarray of int, shape (cases, K)
        Suggested item indices, best first, padded with -1.
    hidden : numpy.ndarray of int, shape (cases,)
        The hidden item of each case (-1 when the item is unknown: never found).

    Examples
    --------
    >>> ranks_of(np.array([[4, 2, 7], [1, 5, -1], [3, -1, -1]]), np.array([7, 9, -1])).tolist()
    [3, 0, 0]
    """
    suggested = np.asarray(suggested)
    hidden = np.asarray(hidden)
    if suggested.ndim != 2 or hidden.shape != (suggested.shape[0],):
        raise InputError(f"suggested must be (cases, K) and hidden (cases,), got {suggested.shape} and {hidden.shape}.")
    found = (suggested == hidden[:, None]) & (hidden[:, None] >= 0)
    return np.where(found.any(axis=1), found.argmax(axis=1) + 1, 0).astype(np.int64)


def _ranks(ranks: Sequence[int] | np.ndarray) -> np.ndarray:
    array = np.asarray(ranks, dtype=np.int64)
    if array.ndim != 1 or (len(array) and array.min() < 0):
        raise InputError("ranks must be one whole number per case: the hidden item's 1-based rank, 0 for a miss.")
    return array


def hit_rate(ranks: Sequence[int] | np.ndarray) -> float:
    """Share of cases whose hidden item was suggested.

    Examples
    --------
    >>> hit_rate([1, 0, 3, 0])
    0.5
    """
    array = _ranks(ranks)
    return float((array > 0).mean()) if len(array) else 0.0


def precision(ranks: Sequence[int] | np.ndarray, *, limit: int) -> float:
    """Mean of hits / K: with one relevant item per case, the hit rate divided by K.

    Examples
    --------
    >>> precision([1, 0, 3, 0], limit=3)
    0.16666666666666666
    """
    return hit_rate(ranks) / check_limit(limit)


def ndcg(ranks: Sequence[int] | np.ndarray) -> float:
    """Mean NDCG@K: ``1 / log2(rank + 1)`` on a hit (the ideal DCG is 1), 0 on a miss.

    Examples
    --------
    >>> ndcg([1, 0, 3, 0])  # (1 + 1/log2(4)) / 4
    0.375
    """
    return _mean_gain(ranks, lambda rank: 1.0 / np.log2(rank + 1.0))


def mrr(ranks: Sequence[int] | np.ndarray) -> float:
    """Mean reciprocal rank within the top K (0 for a miss).

    Examples
    --------
    >>> mrr([1, 0, 2, 4])  # (1 + 1/2 + 1/4) / 4
    0.4375
    """
    return _mean_gain(ranks, lambda rank: 1.0 / rank)


def coverage(suggested: Iterable[int], n_items: int) -> float:
    """Distinct suggested items (ignoring -1 padding) over the items of the vocabulary.

    Examples
    --------
    >>> coverage([3, 1, 3, -1, 2], 10)
    0.3
    """
    if isinstance(n_items, bool) or not isinstance(n_items, int) or n_items < 1:
        raise ConfigError(f"n_items must be a positive whole number, got {n_items!r}.")
    distinct = np.unique(np.asarray(list(suggested) if not isinstance(suggested, np.ndarray) else suggested))
    return float((distinct >= 0).sum() / n_items)


def revenue_hit_rate(ranks: Sequence[int] | np.ndarray, prices: Sequence[float] | np.ndarray) -> float | None:
    """Sum of the prices of the hidden items found over the sum of all hidden items' prices.

    Cases whose hidden item has no price (NaN) count in neither sum; None when no hidden
    item has a price.

    Examples
    --------
    >>> revenue_hit_rate([1, 0, 2], [10.0, 30.0, float("nan")])
    0.25
    >>> revenue_hit_rate([1], [float("nan")]) is None
    True
    """
    array = _ranks(ranks)
    values = np.asarray(prices, dtype=float)
    if values.shape != array.shape:
        raise InputError(f"prices must be one per case: got {values.shape[0]} for {array.shape[0]} cases.")
    known = ~np.isnan(values)
    total = float(values[known].sum())
    if not known.any() or total <= 0:
        return None
    return float(values[known & (array > 0)].sum() / total)


@dataclass(frozen=True, kw_only=True)
class Scores:
    """The scores of one system on one set of cases.

    ``revenue_hit_rate`` is None when prices are unknown; ``fallback_share`` is the share of
    answers that fell back to a default (popular items) for lack of evidence. ``details`` are
    what the system chose or assumed (EASE's lambda and modelled items), JSON-ready pairs
    that :meth:`as_dict` adds beside the metrics.
    """

    name: str
    cases: int
    hit_rate: float
    precision: float
    ndcg: float
    mrr: float
    coverage: float
    fallback_share: float
    revenue_hit_rate: float | None = None
    details: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        if not self.name:
            raise ConfigError("a system's scores need its name.")
        if isinstance(self.cases, bool) or not isinstance(self.cases, int) or self.cases < 0:
            raise ConfigError(f"cases must be a whole number, 0 or more, got {self.cases!r}.")
        for metric in ("hit_rate", "precision", "ndcg", "mrr", "coverage", "fallback_share", "revenue_hit_rate"):
            value = getattr(self, metric)
            if value is not None and not 0.0 <= value <= 1.0:
                raise ConfigError(f"{metric} of {self.name} must be in [0, 1], got {value!r}.")
        clash = sorted({key for key, _ in self.details} & set(_METRICS))
        if clash:
            raise ConfigError(f"details of {self.name} must not reuse the metrics' names, got {clash}.")

    def as_dict(self) -> dict[str, Any]:
        """The metrics as JSON-ready numbers (the ``systems`` entries of ``evaluate --format json``),
        then the details."""
        return {
            "hit_rate": self.hit_rate,
            "precision": self.precision,
            "ndcg": self.ndcg,
            "mrr": self.mrr,
            "coverage": self.coverage,
            "fallback_share": self.fallback_share,
            "revenue_hit_rate": self.revenue_hit_rate,
            **dict(self.details),
        }


_METRICS = ("name", "cases", "hit_rate", "precision", "ndcg", "mrr", "coverage", "fallback_share", "revenue_hit_rate")


def score(
    name: str,
    suggested: np.ndarray,
    hidden: np.ndarray,
    *,
    limit: int,
    n_items: int,
    fallback: np.ndarray | None = None,
    prices: np.ndarray | None = None,
) -> Scores:
    """Every metric of one system from its suggestions (``(cases, K)`` item indices, -1 padded).

    Examples
    --------
    >>> s = score("toy", np.array([[1, 2], [3, 1]]), np.array([2, 0]), limit=2, n_items=4,
    ...           fallback=np.array([False, True]), prices=np.array([5.0, 15.0]))
    >>> s.hit_rate, s.ndcg, s.coverage, s.fallback_share, s.revenue_hit_rate
    (0.5, 0.31546487678572877, 0.75, 0.5, 0.25)
    """
    ranks = ranks_of(suggested, hidden)
    return Scores(
        name=name,
        cases=len(ranks),
        hit_rate=hit_rate(ranks),
        precision=precision(ranks, limit=limit),
        ndcg=ndcg(ranks),
        mrr=mrr(ranks),
        coverage=coverage(np.asarray(suggested).ravel(), n_items),
        fallback_share=float(np.mean(fallback)) if fallback is not None and len(fallback) else 0.0,
        revenue_hit_rate=None if prices is None else revenue_hit_rate(ranks, prices),
    )


def _mean_gain(ranks: Sequence[int] | np.ndarray, gain: Callable[[np.ndarray], np.ndarray]) -> float:
    """The mean over cases of ``gain(rank)`` on a hit and 0 on a miss (rank 0)."""
    array = _ranks(ranks)
    if not len(array):
        return 0.0
    gains = np.zeros(len(array))
    hits = array > 0
    gains[hits] = gain(array[hits].astype(float))
    return float(gains.mean())
