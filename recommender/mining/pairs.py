"""Pair counts within a memory budget: one pass that serves the rules and the co-bought pairs.

The count of a pair of items is an entry of the Gram matrix ``XᵀX`` of the baskets, computed
a block of rows (items) at a time. Rows of items in many baskets are counted in dense tables
(a cell per item of the vocabulary, small enough for the processor's cache) by ``np.bincount``
over the items of the baskets holding them; the rest as blocked sparse products. Blocks are
cut to keep their work arrays within a byte budget whatever the popular items. From each
block two things are kept, never the block itself: the frequent pairs (at least the support's
count: the input of mining) and each item's most co-bought items (at least two baskets: the
ranking's item-level back-off, :mod:`.cobought`); and, when asked, every count among a few
thousand items as a dense matrix (the Gram matrix the learned weights solve, :mod:`.weights`).
"""

from __future__ import annotations

import mmap
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ..io.baskets import Baskets
from .processes import start_worker, stop_workers

__all__ = ["PairCounts", "count_pairs", "basket_counts_matrix", "default_memory_budget", "BYTES_PER_PAIR"]

# Bytes a block's product costs per entry at its peak: scipy's product (int32 counts and
# int32 columns, plus its per-row work arrays), then the selections made from it.
BYTES_PER_PAIR = 24
# The budget by default: this share of the memory the machine has available, at most
# DEFAULT_MAX_BYTES: larger blocks count no faster (3 million baskets: 24.4 s in blocks of 1 GB,
# 26-31 s in two of about 5 GB; benchmarks/README.md) and only raise the peak.
DEFAULT_MEMORY_SHARE = 0.25
DEFAULT_MAX_BYTES = 1 << 30
# Entries of a block written into the dense counts at a time (9 bytes of work arrays each).
DENSE_CHUNK = 1 << 22
# An item's row of counts is counted in a table (a cell per item of the vocabulary to clear
# and read) when its pair occurrences are at least the vocabulary's size over this ratio;
# below it, scipy's sparse product, whose cost follows the occurrences alone (and is several
# times a table's per occurrence), costs less. On 3 million baskets of 50,000 items, tables
# for every row and for those over 1/64 took the same time, and 1/32 (scipy for a third of
# the rows) 30% more (benchmarks/README.md).
TABLE_OCCURRENCE_RATIO = 64
# Cells of one block's table (8 bytes each, 4 MB): it stays in the processor's cache while
# counted (2 and 8 MB were no faster there).
TABLE_CELLS = 1 << 19
# Keys counted at once at most (8 bytes each): beyond this, larger buffers count no faster.
KEYS_AT_ONCE = 1 << 24
# The widths baskets are padded to, each this factor above the last: at most a quarter of a
# padded basket is padding, and one fancy index gathers every basket of a width.
PADDING_GROWTH = 1.25
# Baskets tallied at a time (their entries copied to 64-bit integers by np.bincount).
TALLY_BASKETS = 1 << 18
# Entries of the blocks' counts selected from at once (about 20 bytes each).
SELECT_AT_ONCE = 1 << 20
# Count levels told apart when finding which entries cannot be among a row's largest (the
# counts above the last are one level).
TOP_LEVELS = 64
# Never cut blocks finer than this budget: below it the per-block overhead dominates.
MIN_BUDGET_BYTES = 64 << 20
# Below this many keys of the tables (pair occurrences of their rows), the tables are counted in
# one process: the pool and the forked process's first use of its memory cost about 0.6 s
# (retail.dat's 14.5 million keys: 0.73-0.80 s in one process, 1.34-1.36 s in two), what some
# 50 million keys take to count; 3 million baskets of bench_scale.py hold 355 million.
PARALLEL_MIN_KEYS = 100_000_000

# A table's cell (cleared, added to, read) costs about this fraction of a key (gathered and
# counted): the forked shares of the tables of 3 million baskets took the same time so
# (2.8 and 2.6 s), against 4.1 and 1.3 s when keys and cells were weighed alike.
CELLS_PER_KEY = 10

# Pairs kept from counts, ``(a, b, count)``; and what a share of the tables keeps: the frequent
# pairs and the top partners, each as the parts it selected.
Selected = tuple[np.ndarray, np.ndarray, np.ndarray]
Kept = tuple[list[Selected], list[Selected]]


@dataclass(frozen=True, kw_only=True, eq=False)
class PairCounts:
    """Pairs of vocabulary indices with their basket counts.

    ``frequent`` holds every pair ``(a, b, count)`` with ``count >= min_count``, both orders,
    by ``a`` (within ``a`` in no set order). ``top`` holds, for each item ``a``, its ``per_item`` partners ``b``
    in the most baskets (at least ``top_min_count``; ties to the smaller index), sorted by
    ``a`` then rank. ``blocks`` is how many products the counting took. ``dense``, when asked
    for, holds the count of every pair of the ``dense_items`` given, in their order (on the
    diagonal, each item's baskets).
    """

    frequent: tuple[np.ndarray, np.ndarray, np.ndarray]
    top: tuple[np.ndarray, np.ndarray, np.ndarray]
    min_count: int
    blocks: int
    dense: np.ndarray | None = None

    def frequent_at(self, min_count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The frequent pairs at a count of at least ``min_count`` (not below the one counted)."""
        if min_count < self.min_count:
            raise ValueError(f"pairs were kept from {self.min_count} baskets on, not {min_count}")
        a, b, counts = self.frequent
        keep = counts >= min_count
        return a[keep], b[keep], counts[keep]


def default_memory_budget() -> int:
    """A quarter of the memory available now (``MemAvailable``), at least 64 MB and at most 1 GB."""
    available = 0
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    available = int(line.split()[1]) * 1024
                    break
    except OSError:
        pass
    if not available and hasattr(os, "sysconf"):
        try:
            available = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError):
            available = 0
    return max(MIN_BUDGET_BYTES, min(DEFAULT_MAX_BYTES, int(available * DEFAULT_MEMORY_SHARE)))


def basket_counts_matrix(baskets: Baskets) -> sp.csr_matrix:
    """Baskets x items, int32 ones, over the baskets' own arrays (no copy of their items)."""
    return sp.csr_matrix(
        (np.ones(len(baskets.indices), dtype=np.int32), baskets.indices, baskets.indptr),
        shape=(len(baskets), baskets.n_items),
        copy=False,
    )


def count_pairs(
    baskets: Baskets,
    *,
    min_count: int,
    per_item: int,
    top_min_count: int,
    memory_bytes: int | None = None,
    matrix: sp.csr_matrix | None = None,
    dense_items: np.ndarray | None = None,
    workers: int = 1,
) -> PairCounts:
    """Count every pair of items once, in blocks within ``memory_bytes`` (default:
    :func:`default_memory_budget`); keep the frequent pairs and each item's top partners, and
    every count among ``dense_items`` (vocabulary indices) as an int32 matrix in their order.

    The items in many baskets (their pair occurrences at least a share of the vocabulary's
    size) are counted in tables, a block of items at a time: each item's row of counts is a
    dense array over the vocabulary, small enough to stay in the processor's cache, filled by
    ``np.bincount`` from the baskets holding the item (padded to a few widths, so that one
    fancy index gathers them all). The other items, whose rows would be mostly empty, are
    counted by scipy's sparse product ``XᵀX`` over their rows.

    With ``workers`` > 1 and enough keys, the tables' blocks are shared among that many
    processes forked once the padded baskets are built (they read them from the memory they
    share with this process; nothing is copied to them), this process counting a share too;
    each sends back what it kept. The counts are those of one process, array for array.

    Examples
    --------
    >>> b = Baskets.from_lists([["tea", "kettle"], ["tea", "kettle"], ["tea", "mug"], ["mug", "tea"]])
    >>> counted = count_pairs(b, min_count=2, per_item=1, top_min_count=2)
    >>> sorted((b.items[x], b.items[y], int(n)) for x, y, n in zip(*counted.frequent))
    [('kettle', 'tea', 2), ('mug', 'tea', 2), ('tea', 'kettle', 2), ('tea', 'mug', 2)]
    >>> [(b.items[x], b.items[y]) for x, y, _ in zip(*counted.top)]
    [('kettle', 'tea'), ('mug', 'tea'), ('tea', 'kettle')]
    >>> count_pairs(b, min_count=2, per_item=1, top_min_count=2, dense_items=np.array([2, 0])).dense  # tea, kettle
    array([[4, 2],
           [2, 2]], dtype=int32)
    """
    budget = memory_bytes if memory_bytes is not None else default_memory_budget()
    n_items = baskets.n_items
    item_counts, occurrences = _tallies(baskets)
    wide = occurrences * TABLE_OCCURRENCE_RATIO >= n_items
    dense = None
    position = np.full(n_items, -1, dtype=np.int64)
    if dense_items is not None:
        # In memory shared with forked processes, which write the rows they count.
        dense = _shared_zeros((len(dense_items), len(dense_items))) if workers > 1 else None
        dense = np.zeros((len(dense_items), len(dense_items)), dtype=np.int32) if dense is None else dense
        position[dense_items] = np.arange(len(dense_items))
    found = _Found(min_count=min_count, top_min_count=top_min_count, per_item=per_item)
    blocks = 0
    if wide.any():
        blocks += _count_in_tables(
            baskets, np.flatnonzero(wide), occurrences, found, budget=budget, dense=dense, position=position,
            workers=workers,
        )  # fmt: skip
    if not wide.all():
        blocks += _count_in_products(
            baskets, np.flatnonzero(~wide), occurrences, found, budget=budget, matrix=matrix, dense=dense,
            position=position,
        )  # fmt: skip
    if dense is not None:  # each item with itself: its baskets
        dense[np.diag_indices(len(dense))] = item_counts[dense_items]
    frequent, top = found.results()
    return PairCounts(frequent=frequent, top=top, min_count=min_count, blocks=blocks, dense=dense)


@dataclass(kw_only=True)
class _Found:
    """What the blocks keep of their counts: the frequent pairs and each row's top partners.

    Blocks hand in their counts (``add``); they are selected ``SELECT_AT_ONCE`` entries or
    more at a time (``flush``), rows ascending: a table of rows of rare items keeps a few
    thousand entries, and selecting from each alone took more in numpy's calls than in work.
    """

    min_count: int
    top_min_count: int
    per_item: int
    frequent: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    top: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    pending: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    pending_entries: int = 0

    @property
    def least(self) -> int:
        """The least count either selection keeps (never 0: pairs never seen are no pairs)."""
        wanted = self.min_count if self.per_item <= 0 else min(self.min_count, self.top_min_count)
        return max(1, wanted)

    def add(self, rows: np.ndarray, cols: np.ndarray, counts: np.ndarray) -> None:
        """Take a block's counts ``(rows, cols, counts)`` (item indices, rows ascending and
        above every row of the blocks added before), at least :attr:`least`."""
        self.pending.append((rows, cols, counts))
        self.pending_entries += len(rows)
        if self.pending_entries >= SELECT_AT_ONCE:
            self.flush()

    def flush(self) -> None:
        """Keep from the counts taken since the last flush every pair of two distinct items."""
        if not self.pending:
            return
        rows, cols, counts = (np.concatenate(part) for part in zip(*self.pending))
        self.pending, self.pending_entries = [], 0
        other = rows != cols
        rows, cols, counts = rows[other], cols[other], counts[other]
        strong = counts >= self.min_count
        self.frequent.append(
            (rows[strong].astype(np.int32), cols[strong].astype(np.int32), counts[strong].astype(np.int64))
        )
        candidate = counts >= self.top_min_count
        item, partner, count = _top_per_row(rows[candidate], cols[candidate], counts[candidate], self.per_item)
        self.top.append((item.astype(np.int32), partner, count))

    def results(self) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """The frequent pairs by ``a``, and the top partners by ``a`` then rank."""
        self.flush()
        frequent, top = _concatenate(self.frequent), _concatenate(self.top)
        by_item = np.argsort(frequent[0], kind="stable")
        ranked = np.argsort(top[0], kind="stable")  # each row's partners are together, in rank order
        a, b, counts = frequent
        top_a, top_b, top_counts = top
        return (a[by_item], b[by_item], counts[by_item]), (top_a[ranked], top_b[ranked], top_counts[ranked])


def _tallies(baskets: Baskets) -> tuple[np.ndarray, np.ndarray]:
    """Each item's baskets and its pair occurrences (the sizes of its baskets summed: its row
    of counts has at most that many entries), a block of baskets at a time: ``np.bincount``
    copies its input to 64-bit integers, 250 MB for all the entries of 3 million baskets."""
    n_items = len(baskets.items)
    counts = np.zeros(n_items, dtype=np.int64)
    occurrences = np.zeros(n_items, dtype=np.float64)
    for start in range(0, len(baskets), TALLY_BASKETS):
        stop = min(start + TALLY_BASKETS, len(baskets))
        items = baskets.indices[baskets.indptr[start] : baskets.indptr[stop]]
        sizes = np.diff(baskets.indptr[start : stop + 1])
        counts += np.bincount(items, minlength=n_items)
        occurrences += np.bincount(items, weights=np.repeat(sizes, sizes), minlength=n_items)
    return counts, occurrences


def _count_in_tables(
    baskets: Baskets,
    rows: np.ndarray,
    occurrences: np.ndarray,
    found: _Found,
    *,
    budget: int,
    dense: np.ndarray | None,
    position: np.ndarray,
    workers: int,
) -> int:
    """Count the rows of ``rows`` (item indices) in dense tables, blocks of rows at a time, in
    up to ``workers`` processes; returns the number of blocks."""
    width = baskets.n_items + 1  # a column more for the padding of baskets
    per_block = max(1, min(TABLE_CELLS, budget // (4 * 8)) // width)
    starts = list(range(0, len(rows), per_block))
    keys = float(occurrences[rows].sum())
    shares = 1
    if workers > 1 and len(starts) > 1 and keys >= PARALLEL_MIN_KEYS and _can_fork():
        shares = min(workers, len(starts))
    job = _TableJob(
        padded=_PaddedBaskets.of(baskets, rows), rows=rows, width=width, per_block=per_block,
        # The processes' buffers of keys together as large as one process's (a quarter of the budget).
        buffer_keys=min(budget // (4 * 8), KEYS_AT_ONCE) // shares, dense=dense, position=position,
        min_count=found.min_count, top_min_count=found.top_min_count, per_item=found.per_item,
    )  # fmt: skip
    found.flush()  # what was found before stays before the tables' pairs
    parts = [starts]
    if shares > 1:
        # Each block's work: its keys, and its table's cells.
        work = np.add.reduceat(occurrences[rows], starts) + per_block * width / CELLS_PER_KEY
        parts = _split_work(starts, work, shares)
    kept = [job.count(parts[0])] if len(parts) == 1 else _count_forked(job, parts)
    for frequent, top in kept:
        found.frequent += frequent
        found.top += top
    return len(starts)


@dataclass(frozen=True, kw_only=True, eq=False)
class _TableJob:
    """What counting blocks of the tables needs, for this process or a forked one."""

    padded: _PaddedBaskets
    rows: np.ndarray
    width: int
    per_block: int
    buffer_keys: int
    dense: np.ndarray | None
    position: np.ndarray
    min_count: int
    top_min_count: int
    per_item: int

    def count(self, starts: list[int]) -> Kept:
        """Count the blocks of rows starting at ``starts``: the frequent pairs and top partners
        kept from them (in the blocks' order), their dense counts written into ``dense``."""
        found = _Found(min_count=self.min_count, top_min_count=self.top_min_count, per_item=self.per_item)
        n_items, width, rows, position, dense = self.width - 1, self.width, self.rows, self.position, self.dense
        # Keys gathered before a table counts them: 8 bytes each.
        buffer = np.empty(max(max(self.padded.widths, default=1), self.buffer_keys), dtype=np.int64)
        dense_columns = None if dense is None else _dense_columns(position, dense)
        for start in starts:
            block_items = rows[start : start + self.per_block]
            table = self.padded.table(start, start + len(block_items), width=width, buffer=buffer)
            counts = table.reshape(len(block_items), width)
            if dense is not None and dense_columns is not None:
                inside = np.flatnonzero(position[block_items] >= 0)
                dense[position[block_items[inside]]] = counts[np.ix_(inside, dense_columns)]
            hits = np.flatnonzero(table >= found.least)
            local, cols = np.divmod(hits, width)
            keep = cols < n_items
            found.add(block_items[local[keep]], cols[keep], table[hits[keep]])
        found.flush()
        return found.frequent, found.top


# The job of the pool being run, for processes forked from this one (see _count_forked).
_FORKED_JOB: _TableJob | None = None


def _count_share(starts: list[int]) -> Kept:
    """A forked process's task: its share of the blocks of ``_FORKED_JOB``."""
    if _FORKED_JOB is None:
        raise RuntimeError("a share of the tables was sent to a process not forked from the counting one")
    return _FORKED_JOB.count(starts)


def _split_work(starts: list[int], work: np.ndarray, shares: int) -> list[list[int]]:
    """``starts`` cut into at most ``shares`` runs of about equal ``work`` (one per start),
    none empty: a run ends before the first start with its share of the work before it."""
    before = np.cumsum(work) - work
    bounds = np.unique(np.searchsorted(before, np.arange(1, shares) * float(work.sum()) / shares))
    bounds = bounds[(bounds > 0) & (bounds < len(starts))].tolist()
    return [starts[low:high] for low, high in zip([0, *bounds], [*bounds, len(starts)])]


def _count_forked(job: _TableJob, shares: list[list[int]]) -> list[Kept]:
    """Each share of the blocks counted: the first in this process, the others in processes
    forked now, which find ``job`` in their copy of this module (pages shared with this
    process until written) and get only their blocks' starts."""
    global _FORKED_JOB
    _FORKED_JOB = job
    try:
        with ProcessPoolExecutor(
            max_workers=len(shares) - 1,
            mp_context=multiprocessing.get_context("fork"),
            initializer=start_worker,
            initargs=(os.getpid(),),
        ) as pool:
            try:
                futures = [pool.submit(_count_share, share) for share in shares[1:]]
                first = job.count(shares[0])
                return [first, *(future.result() for future in futures)]
            except BaseException:
                stop_workers(pool)
                raise
    finally:
        _FORKED_JOB = None


def _can_fork() -> bool:
    return os.name == "posix" and "fork" in multiprocessing.get_all_start_methods()


def _shared_zeros(shape: tuple[int, int]) -> np.ndarray | None:
    """An int32 array of zeros in anonymous memory shared with processes forked later (None
    where processes cannot be forked)."""
    if not _can_fork():
        return None
    size = max(1, shape[0] * shape[1] * 4)
    return np.frombuffer(mmap.mmap(-1, size), dtype=np.int32, count=shape[0] * shape[1]).reshape(shape)


def _add_counts(table: np.ndarray | None, keys: np.ndarray, cells: int) -> np.ndarray:
    """``table`` (None: zeros) plus the counts of ``keys`` over ``cells`` cells."""
    counted = np.bincount(keys, minlength=cells)
    return counted if table is None else table + counted


def _dense_columns(position: np.ndarray, dense: np.ndarray) -> np.ndarray:
    """The items of the dense counts in their order (``position``'s inverse)."""
    columns = np.empty(len(dense), dtype=np.int64)
    inside = np.flatnonzero(position >= 0)
    columns[position[inside]] = inside
    return columns


def _count_in_products(
    baskets: Baskets,
    rows: np.ndarray,
    occurrences: np.ndarray,
    found: _Found,
    *,
    budget: int,
    matrix: sp.csr_matrix | None,
    dense: np.ndarray | None,
    position: np.ndarray,
) -> int:
    """Count the rows of ``rows`` (item indices, ascending) as blocked sparse products of those
    rows of ``XᵀX``; returns the number of blocks."""
    by_basket = matrix if matrix is not None else basket_counts_matrix(baskets)
    by_item = by_basket[:, rows].T.tocsr()  # those items x baskets: the one copy the products need
    bounds = _block_bounds(occurrences[rows], max(1, budget // BYTES_PER_PAIR))
    for start, stop in zip(bounds[:-1], bounds[1:]):
        block = by_item[start:stop] @ by_basket  # those rows of XᵀX, columns in no order
        local = np.repeat(np.arange(stop - start, dtype=np.int64), np.diff(block.indptr))
        cols, counts = block.indices, block.data
        del block
        if dense is not None:
            _scatter(dense, position, rows[start:stop][local], cols, counts)
        hit = counts >= found.least
        found.add(rows[start:stop][local[hit]], cols[hit], counts[hit])
    return len(bounds) - 1


@dataclass(frozen=True, kw_only=True, eq=False)
class _PaddedBaskets:
    """The baskets of two or more items, grouped by width and padded (with the vocabulary's
    size, a column no item has) into one int32 array per width; and for each row of the
    tables, its baskets in each width (``by_row[k]``: rows x baskets of width ``widths[k]``)."""

    widths: tuple[int, ...]
    padded: tuple[np.ndarray, ...]
    by_row: tuple[sp.csr_matrix, ...]

    @classmethod
    def of(cls, baskets: Baskets, rows: np.ndarray) -> _PaddedBaskets:
        n_items = baskets.n_items
        sizes = np.diff(baskets.indptr)
        # Each item's row of the tables; items that are no row, and the padding, are marked
        # past the rows, and left out of the rows' lists of baskets.
        row_of = np.full(n_items + 1, len(rows), dtype=np.int32)
        row_of[rows] = np.arange(len(rows), dtype=np.int32)
        widths, padded, by_row = [], [], []
        largest = int(sizes.max(initial=0))
        width = 2
        low = 2
        while low <= largest:
            members = np.flatnonzero((sizes >= low) & (sizes <= width))
            if len(members):
                offsets = np.arange(width)
                filled = offsets < sizes[members][:, None]
                # Clipped: the last basket's padding would read past the end (replaced anyway).
                gathered = np.take(baskets.indices, baskets.indptr[members][:, None] + offsets, mode="clip")
                items = np.where(filled, gathered, n_items).astype(np.int32, copy=False)
                del gathered, filled
                # Baskets x rows (the padding and the items that are no row left out): its
                # transpose lists each row's baskets.
                row = row_of[items]
                is_row = row < len(rows)
                pattern = sp.csr_matrix(
                    (
                        np.ones(int(np.count_nonzero(is_row)), dtype=bool),
                        row[is_row],
                        np.concatenate(([0], np.cumsum(np.count_nonzero(is_row, axis=1)))),
                    ),
                    shape=(len(members), len(rows)),
                )
                del row, is_row
                widths.append(width)
                padded.append(items)
                by_row.append(pattern.tocsc())
            low, width = width + 1, max(width + 1, int(width * PADDING_GROWTH))
        return cls(widths=tuple(widths), padded=tuple(padded), by_row=tuple(by_row))

    def table(self, start: int, stop: int, *, width: int, buffer: np.ndarray) -> np.ndarray:
        """The counts of rows ``start..stop``: cell ``row * width + item`` holds the baskets
        with both (the row's own item and the padding column included). The keys are written
        into ``buffer`` and counted each time it is full."""
        cells = (stop - start) * width
        table = None
        filled = 0
        for padded, by_row in zip(self.padded, self.by_row):
            indptr = by_row.indptr
            if indptr[start] == indptr[stop]:
                continue
            members = by_row.indices[indptr[start] : indptr[stop]]
            row_keys = np.repeat(np.arange(stop - start, dtype=np.int64) * width, np.diff(indptr[start : stop + 1]))
            basket_width = padded.shape[1]
            step = max(1, len(buffer) // basket_width)
            for at in range(0, len(members), step):
                chunk = members[at : at + step]
                if filled + len(chunk) * basket_width > len(buffer):
                    table = _add_counts(table, buffer[:filled], cells)
                    filled = 0
                out = buffer[filled : filled + len(chunk) * basket_width].reshape(len(chunk), basket_width)
                np.add(row_keys[at : at + step, None], np.take(padded, chunk, axis=0), out=out)
                filled += out.size
        return _add_counts(table, buffer[:filled], cells)


def _scatter(dense: np.ndarray, position: np.ndarray, rows: np.ndarray, cols: np.ndarray, counts: np.ndarray) -> None:
    """Write the counts of the pairs whose two items have a ``position`` (not -1) into ``dense``,
    ``DENSE_CHUNK`` entries at a time: the work arrays stay small beside the block's."""
    for start in range(0, len(rows), DENSE_CHUNK):
        at_row, at_col = position[rows[start : start + DENSE_CHUNK]], position[cols[start : start + DENSE_CHUNK]]
        inside = (at_row >= 0) & (at_col >= 0)
        dense[at_row[inside], at_col[inside]] = counts[start : start + DENSE_CHUNK][inside]


def _block_bounds(occurrences: np.ndarray, max_entries: int) -> list[int]:
    """Consecutive items cut into blocks of at most ``max_entries`` pair occurrences (an item
    with more is a block of its own)."""
    bounds = [0]
    total = 0.0
    for item, weight in enumerate(occurrences.tolist()):
        if total and total + weight > max_entries:
            bounds.append(item)
            total = 0.0
        total += weight
    bounds.append(len(occurrences))
    return bounds


def _top_per_row(
    rows: np.ndarray, cols: np.ndarray, counts: np.ndarray, per_item: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``per_item`` entries of each row with the largest counts, ties to the smaller column.

    ``rows`` come in ascending runs; the columns within a row are in no order (scipy's product
    leaves them so, and sorting them, every pair seen once included, took 6 of the 40 s of 3
    million baskets). The entries under a level that ``per_item`` entries of their row reach
    are dropped first (:func:`_under_top_level`: most entries of a row of a rare item, seen in
    two or three baskets); one sort by (row, count descending) of the rest finds each row's
    ``per_item``-th count; only the entries with at least that count are then sorted by column
    among equal counts.
    """
    if len(rows) == 0 or per_item <= 0:
        return rows[:0].astype(np.int32), cols[:0].astype(np.int32), counts[:0].astype(np.int64)
    above = ~_under_top_level(rows, counts, per_item)
    rows, cols, counts = rows[above], cols[above], counts[above]
    key = rows.astype(np.int64) << 32 | (np.int64(np.iinfo(np.int32).max) - counts.astype(np.int64))
    order = np.argsort(key, kind="stable")  # a merge sort: the rows come in ascending runs (6 times faster)
    first, sizes = _runs(rows[order])
    threshold = counts[order[first + np.minimum(sizes, per_item) - 1]]
    running = order[counts[order] >= np.repeat(threshold, sizes)]
    del order
    running = running[np.lexsort((cols[running], key[running]))]
    rows, cols, counts = rows[running], cols[running], counts[running]
    first, sizes = _runs(rows)
    keep = np.arange(len(rows)) - np.repeat(first, sizes) < per_item
    return rows[keep], cols[keep].astype(np.int32), counts[keep].astype(np.int64)


def _under_top_level(rows: np.ndarray, counts: np.ndarray, per_item: int) -> np.ndarray:
    """Whether each entry's count is under a level that ``per_item`` other entries of its row
    reach (so it is not among the row's ``per_item`` largest, whatever the ties): each row's
    count of entries at or above each level, counts capped at ``TOP_LEVELS - 1``, from one
    histogram of (row, capped count)."""
    low = int(rows.min())
    span = int(rows.max()) - low + 1
    capped = np.minimum(counts, TOP_LEVELS - 1)
    tally = np.bincount((rows - low) * TOP_LEVELS + capped, minlength=span * TOP_LEVELS).reshape(span, TOP_LEVELS)
    reaching = np.cumsum(tally[:, ::-1], axis=1)[:, ::-1]  # [row, level]: entries at or above it
    level = np.count_nonzero(reaching >= per_item, axis=1) - 1  # the highest such level; -1: none
    under: np.ndarray = counts < level[rows - low]
    return under


def _runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each run of equal ``values`` starts (a sorted array's groups), and its length."""
    first = np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))
    return first, np.diff(np.append(first, len(values)))


def _concatenate(parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not parts:
        empty = np.zeros(0, dtype=np.int32)
        return empty, empty, np.zeros(0, dtype=np.int64)
    return (
        np.concatenate([p[0] for p in parts]).astype(np.int32),
        np.concatenate([p[1] for p in parts]).astype(np.int32),
        np.concatenate([p[2] for p in parts]).astype(np.int64),
    )
