"""Items bought together too rarely for a rule: the ranking's item-level back-off.

Below the support threshold, a pair seen in a handful of baskets is weak evidence, but it is
specific to the item, and better than the shop's best sellers for a cart whose items have no
rule at all (rare items, new items). For each item the model keeps the few items bought most
often with it, from the exact pair counts.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..io.baskets import Baskets

__all__ = ["top_cobought", "COBOUGHT_PER_ITEM", "COBOUGHT_MIN_COUNT"]

# An answer shows three items; ten leaves room for the cart's own items and exclusions.
COBOUGHT_PER_ITEM = 10
# One basket together is chance; two is the least that repeats.
COBOUGHT_MIN_COUNT = 2
# Pair occurrences per block of the pair counts (at most this many entries, about 12 bytes
# each), which bounds the memory of a large shop whatever its popular items.
_BLOCK_PAIRS = 20_000_000


def top_cobought(
    baskets: Baskets, *, per_item: int = COBOUGHT_PER_ITEM, min_count: int = COBOUGHT_MIN_COUNT
) -> tuple[tuple[int, int, int], ...]:
    """For each item ``a``, the ``per_item`` items ``b`` bought with it in the most baskets (at
    least ``min_count``), as ``(a, b, baskets)``; ties go to the smaller index.

    Examples
    --------
    >>> b = Baskets.from_lists([["tea", "kettle"], ["tea", "kettle"], ["tea", "mug"], ["mug", "tea"]])
    >>> [(b.items[x], b.items[y], n) for x, y, n in top_cobought(b)]
    [('kettle', 'tea', 2), ('mug', 'tea', 2), ('tea', 'kettle', 2), ('tea', 'mug', 2)]
    """
    n_items = len(baskets.items)
    matrix = sp.csr_matrix(
        (np.ones(len(baskets.indices), dtype=np.int32), baskets.indices, baskets.indptr),
        shape=(len(baskets), n_items),
    )
    by_item = matrix.tocsc()
    # The pair occurrences of each item (the sizes of its baskets summed) bound the entries of
    # its row of counts; blocks of consecutive items take at most _BLOCK_PAIRS of them.
    sizes = np.diff(baskets.indptr)
    pairs = np.bincount(baskets.indices, weights=np.repeat(sizes, sizes), minlength=n_items)
    bounds = [0]
    total = 0.0
    for item, weight in enumerate(pairs.tolist()):
        if total and total + weight > _BLOCK_PAIRS:
            bounds.append(item)
            total = 0.0
        total += weight
    bounds.append(n_items)
    found: list[tuple[int, int, int]] = []
    for start, stop in zip(bounds[:-1], bounds[1:]):
        # Rows start..stop of the item-item count matrix.
        block = (by_item[:, start:stop].T @ matrix).tocsr()
        for row in range(stop - start):
            item = start + row
            lo, hi = block.indptr[row], block.indptr[row + 1]
            others, counts = block.indices[lo:hi], block.data[lo:hi]
            keep = (counts >= min_count) & (others != item)
            others, counts = others[keep], counts[keep]
            order = np.lexsort((others, -counts))[:per_item]
            found.extend((item, int(others[k]), int(counts[k])) for k in order)
    return tuple(found)
