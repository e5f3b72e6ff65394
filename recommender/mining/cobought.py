"""Items bought together too rarely for a rule: the ranking's item-level back-off.

Below the support threshold, a pair seen in a handful of baskets is weak evidence, but it is
specific to the item, and better than the shop's best sellers for a cart whose items have no
rule at all (rare items, new items). For each item the model keeps the few items bought most
often with it, from the exact pair counts: the same counts, made once, that mining reads its
frequent pairs from (:mod:`.pairs`).
"""

from __future__ import annotations

from ..io.baskets import Baskets
from .pairs import PairCounts, count_pairs

__all__ = ["top_cobought", "COBOUGHT_PER_ITEM", "COBOUGHT_MIN_COUNT"]

# An answer shows three items; ten leaves room for the cart's own items and exclusions.
COBOUGHT_PER_ITEM = 10
# One basket together is chance; two is the least that repeats.
COBOUGHT_MIN_COUNT = 2


def top_cobought(
    baskets: Baskets,
    *,
    per_item: int = COBOUGHT_PER_ITEM,
    min_count: int = COBOUGHT_MIN_COUNT,
    pairs: PairCounts | None = None,
    memory_bytes: int | None = None,
) -> tuple[tuple[int, int, int], ...]:
    """For each item ``a``, the ``per_item`` items ``b`` bought with it in the most baskets (at
    least ``min_count``), as ``(a, b, baskets)``; ties go to the smaller index.

    ``pairs``, when given, are the counts mining made (:func:`.pairs.count_pairs` with the
    same ``per_item`` and ``min_count``): the co-bought pairs are read from them, not counted
    again. Otherwise they are counted in blocks within ``memory_bytes``.

    Examples
    --------
    >>> b = Baskets.from_lists([["tea", "kettle"], ["tea", "kettle"], ["tea", "mug"], ["mug", "tea"]])
    >>> [(b.items[x], b.items[y], n) for x, y, n in top_cobought(b)]
    [('kettle', 'tea', 2), ('mug', 'tea', 2), ('tea', 'kettle', 2), ('tea', 'mug', 2)]
    """
    if pairs is None:
        # No frequent pairs wanted: a count no pair reaches.
        pairs = count_pairs(
            baskets, min_count=len(baskets) + 1, per_item=per_item, top_min_count=min_count, memory_bytes=memory_bytes
        )
    first, second, counts = pairs.top
    return tuple(zip(first.tolist(), second.tolist(), counts.tolist()))
