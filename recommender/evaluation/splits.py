"""Held-out evaluation data: a train/test split of orders and leave-one-out cases.

The split never leaks: train baskets are rebuilt from the train rows alone (their vocabulary,
counts and catalog know nothing of the test orders), and with timestamps the test orders are
the latest ones, as they would be in production (the model is mined on the past and asked
about the future).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from ..exceptions import ConfigError, InputError
from ..io.baskets import Baskets, ReadSummary, SourceInfo

__all__ = ["Split", "Cases", "split_baskets", "subset_baskets", "leave_one_out", "SPLIT_METHODS"]

logger = logging.getLogger(__name__)

SPLIT_METHODS = ("auto", "time", "random")


@dataclass(frozen=True, kw_only=True, eq=False)
class Split:
    """Train and test orders of one data set.

    Attributes
    ----------
    train, test : Baskets
        Each rebuilt from its own rows only: its own vocabulary, counts and catalog rows.
    train_rows, test_rows : numpy.ndarray
        Positions of the baskets in the input, sorted; disjoint, together all of them.
    method : {"time", "random"}
        ``time``: the latest ``test_share`` of the orders are the test; ``random``: a seeded
        random share.
    """

    train: Baskets
    test: Baskets
    train_rows: np.ndarray
    test_rows: np.ndarray
    method: str

    def __post_init__(self) -> None:
        if self.method not in ("time", "random"):
            raise ConfigError(f"split method must be 'time' or 'random', got {self.method!r}.")
        if len(np.intersect1d(self.train_rows, self.test_rows)):
            raise InputError("a split's train and test rows overlap; build splits with split_baskets().")


def split_baskets(
    baskets: Baskets, *, test_share: float = 0.2, seed: int | np.random.Generator = 0, method: str = "auto"
) -> Split:
    """Split orders into train and test without leaking the test into the train.

    Parameters
    ----------
    baskets : Baskets
        The orders.
    test_share : float
        Share of the orders held out, in (0, 1). At least one order goes to each side.
    seed : int or numpy.random.Generator
        Seeds the random split (unused by the time split).
    method : {"auto", "time", "random"}
        ``auto``: by time when every basket has a timestamp, otherwise random.

    Examples
    --------
    >>> b = Baskets.from_lists([["a", "b"], ["a", "c"], ["b", "c"], ["c", "d"], ["d", "e"]])
    >>> split = split_baskets(b, test_share=0.4, seed=0)
    >>> split.method, len(split.train), len(split.test)
    ('random', 3, 2)
    >>> sorted(set(split.train_rows.tolist()) | set(split.test_rows.tolist()))
    [0, 1, 2, 3, 4]
    """
    share = _share(test_share)
    if method not in SPLIT_METHODS:
        raise ConfigError(f"split method must be one of {SPLIT_METHODS}, got {method!r}.")
    n = len(baskets)
    if n < 2:
        raise InputError(f"{baskets.source.name} holds {n} basket(s); an evaluation needs at least two orders.")
    n_test = min(n - 1, max(1, int(round(share * n))))
    times = baskets.timestamps
    has_times = times is not None and not np.isnat(np.asarray(times)).any()
    if method == "time" and not has_times:
        raise InputError(
            f"{baskets.source.name} has no timestamp on every order, so it cannot be split by time; "
            "pass a time column (e.g. --time-col InvoiceDate) or use the random split."
        )
    if method == "auto" and times is not None and not has_times:
        logger.warning("some orders have no timestamp: splitting at random instead of by time")
    if has_times and method != "random":
        # Stable: orders of equal time keep their file order, so the split is deterministic and
        # no test order is older than a train order.
        order = np.argsort(np.asarray(times), kind="stable")
        test_rows, train_rows = np.sort(order[n - n_test :]), np.sort(order[: n - n_test])
        chosen = "time"
    else:
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        permutation = rng.permutation(n)
        test_rows, train_rows = np.sort(permutation[:n_test]), np.sort(permutation[n_test:])
        chosen = "random"
    return Split(
        train=subset_baskets(baskets, train_rows, part="train"),
        test=subset_baskets(baskets, test_rows, part="test"),
        train_rows=train_rows,
        test_rows=test_rows,
        method=chosen,
    )


def subset_baskets(baskets: Baskets, rows: np.ndarray, *, part: str = "subset") -> Baskets:
    """The baskets at ``rows``, with a vocabulary, counts and catalog of their own.

    Items that occur only outside ``rows`` are not in the result's vocabulary, and its
    catalog keeps only the items it holds.

    Examples
    --------
    >>> b = Baskets.from_lists([["a", "b"], ["c", "d"], ["b"]])
    >>> part = subset_baskets(b, np.array([0, 2]))
    >>> part.items, [part.basket(i) for i in range(len(part))], part.item_counts().tolist()
    (('a', 'b'), [('a', 'b'), ('b',)], [1, 2])
    """
    rows = np.asarray(rows, dtype=np.int64)
    if rows.ndim != 1 or (len(rows) and (rows.min() < 0 or rows.max() >= len(baskets))):
        raise InputError(f"rows must be positions of baskets in 0..{len(baskets) - 1}.")
    starts = baskets.indptr[rows]
    lengths = baskets.indptr[rows + 1] - starts
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    # Positions of the kept entries: each row's start, plus 0..length-1.
    positions = np.repeat(starts - indptr[:-1], lengths) + np.arange(indptr[-1])
    old = baskets.indices[positions]
    used = np.unique(old)
    remap = np.full(baskets.n_items, -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    items = tuple(baskets.items[j] for j in used.tolist())
    catalog = baskets.catalog
    if catalog is not None:
        catalog = catalog.loc[catalog.index.isin(items)]
    source = baskets.source
    return Baskets(
        items=items,
        indptr=indptr,
        # Baskets' items stay sorted: the vocabulary is sorted and the remap keeps its order.
        indices=remap[old].astype(np.int32),
        summary=ReadSummary(rows_read=int(indptr[-1]), baskets=len(rows), items=len(items)),
        source=SourceInfo(name=f"{source.name} ({part})", kind=source.kind, sha256="", size_bytes=None),
        basket_ids=None if baskets.basket_ids is None else tuple(baskets.basket_ids[i] for i in rows.tolist()),
        customers=None if baskets.customers is None else tuple(baskets.customers[i] for i in rows.tolist()),
        timestamps=None if baskets.timestamps is None else np.asarray(baskets.timestamps)[rows],
        catalog=catalog,
    )


@dataclass(frozen=True, kw_only=True, eq=False)
class Cases:
    """Leave-one-out cases: for each chosen test basket, the cart and the item hidden from it.

    Attributes
    ----------
    carts : tuple of tuple of str
        The basket without its hidden item (every item, known to the train vocabulary or not).
    hidden : tuple of str
        The item hidden from each cart: the one relevant answer.
    rows : numpy.ndarray
        The basket of each case, as a position in the test baskets.
    eligible : int
        Test baskets with at least two items (the cases were drawn from them).
    """

    carts: tuple[tuple[str, ...], ...]
    hidden: tuple[str, ...]
    rows: np.ndarray
    eligible: int = 0

    def __post_init__(self) -> None:
        if len(self.carts) != len(self.hidden) or len(self.carts) != len(self.rows):
            raise InputError("cases need one cart and one hidden item per basket.")
        for cart, hidden in zip(self.carts, self.hidden):
            if not cart or hidden in cart:
                raise InputError(f"a case's cart {cart!r} must be non-empty and must not hold its hidden item.")

    def __len__(self) -> int:
        return len(self.hidden)

    def cart_matrix(self, vocabulary: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """The carts as CSR ``(indptr, indices)`` over ``vocabulary``; unknown items are left out."""
        index = {item: k for k, item in enumerate(vocabulary)}
        indptr = np.zeros(len(self.carts) + 1, dtype=np.int64)
        indices: list[int] = []
        for row, cart in enumerate(self.carts):
            indices.extend(sorted(k for k in (index.get(item) for item in cart) if k is not None))
            indptr[row + 1] = len(indices)
        return indptr, np.asarray(indices, dtype=np.int64)


def leave_one_out(
    test: Baskets, *, seed: int | np.random.Generator = 0, max_cases: int | None = None, min_items: int = 2
) -> Cases:
    """Hide one item, drawn at random, of every test basket with at least ``min_items`` items.

    The hidden item of each basket is drawn before the sample of ``max_cases`` baskets, so a
    basket hides the same item whatever the cap.

    Examples
    --------
    >>> test = Baskets.from_lists([["a", "b"], ["c"], ["a", "b", "c"]])
    >>> cases = leave_one_out(test, seed=1)
    >>> len(cases), cases.eligible, cases.rows.tolist()
    (2, 2, [0, 2])
    >>> all(set(cart) | {hidden} == set(test.basket(int(row)))
    ...     for cart, hidden, row in zip(cases.carts, cases.hidden, cases.rows))
    True
    """
    if isinstance(min_items, bool) or not isinstance(min_items, int) or min_items < 2:
        raise ConfigError(f"min_items must be a whole number of at least 2, got {min_items!r}.")
    if max_cases is not None and (isinstance(max_cases, bool) or not isinstance(max_cases, int) or max_cases < 1):
        raise ConfigError(f"max_cases must be a whole number of at least 1 or None, got {max_cases!r}.")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    sizes = np.diff(test.indptr)
    eligible = np.flatnonzero(sizes >= min_items)
    positions = (rng.random(len(eligible)) * sizes[eligible]).astype(np.int64)
    if max_cases is not None and len(eligible) > max_cases:
        chosen = np.sort(rng.choice(len(eligible), size=max_cases, replace=False))
        eligible, positions = eligible[chosen], positions[chosen]
    carts: list[tuple[str, ...]] = []
    hidden: list[str] = []
    for row, position in zip(eligible.tolist(), positions.tolist()):
        basket = test.basket(row)
        hidden.append(basket[position])
        carts.append(basket[:position] + basket[position + 1 :])
    return Cases(carts=tuple(carts), hidden=tuple(hidden), rows=eligible, eligible=int((sizes >= min_items).sum()))


def _share(test_share: object) -> float:
    if isinstance(test_share, bool) or not isinstance(test_share, (int, float)) or not 0.0 < test_share < 1.0:
        raise ConfigError(
            f"test_share must be a share of the orders in (0, 1), got {test_share!r}; e.g. 0.2 holds out one in five."
        )
    return float(test_share)
