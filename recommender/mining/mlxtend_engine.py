"""The adapter to mlxtend: the only module that imports it.

mlxtend is called with keyword arguments only (its ``association_rules`` signature changed
under users once) and only with a sparse DataFrame, never a dense one-hot frame.
"""

from __future__ import annotations

import warnings

import pandas as pd
import scipy.sparse as sp

__all__ = ["frequent_itemsets", "mlxtend_version"]


def mlxtend_version() -> str:
    import mlxtend

    return str(mlxtend.__version__)


def frequent_itemsets(
    matrix: sp.csr_matrix, *, min_count: int, max_len: int
) -> tuple[list[tuple[int, ...]], list[int]]:
    """Itemsets of two to ``max_len`` columns held by at least ``min_count`` rows.

    Returns the itemsets as sorted tuples of column indices and their row counts.
    """
    from mlxtend.frequent_patterns import fpgrowth

    n_rows, n_columns = matrix.shape
    if n_rows == 0 or n_columns < 2:
        return [], []
    frame = pd.DataFrame.sparse.from_spmatrix(
        matrix.astype(bool), columns=[str(j) for j in range(n_columns)]
    )
    # mlxtend turns the share back into a count with ceil(min_support * rows); half a basket
    # below the count keeps that exact whatever the rounding of the division.
    min_support = min(1.0, (min_count - 0.5) / n_rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        found = fpgrowth(frame, min_support=min_support, use_colnames=False, max_len=max_len)
    itemsets: list[tuple[int, ...]] = []
    counts: list[int] = []
    supports = found["support"].to_numpy(dtype=float)
    for itemset, support in zip(found["itemsets"].tolist(), supports):
        if len(itemset) < 2:
            continue
        itemsets.append(tuple(sorted(int(j) for j in itemset)))
        counts.append(int(round(support * n_rows)))
    del frame
    if counts and min(counts) < min_count:  # pragma: no cover - a guard against a changed mlxtend
        raise RuntimeError(f"mlxtend returned an itemset below {min_count} baskets")
    return itemsets, counts


