"""One basket per line: comma-separated CSV (arules Groceries) or space-separated FIMI ``.dat``."""

from __future__ import annotations

import csv
import lzma
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ..exceptions import InputError
from .baskets import Baskets, SourceInfo, baskets_from_pairs
from .source import data_suffix, text_lines

__all__ = ["read_basket_lines"]


def read_basket_lines(path: Path, *, source: SourceInfo, what: str) -> Baskets:
    """Read a basket-per-line file; blank lines are empty baskets, dropped and counted."""
    order_codes: list[int] = []
    labels: list[str] = []
    empty = 0
    rows = 0
    try:
        for number, items in enumerate(_lines(path, what=what)):
            rows += 1
            kept = [item for item in items if item]
            if not kept:
                empty += 1
                continue
            order_codes.extend([number] * len(kept))
            labels.extend(kept)
    except (OSError, EOFError, lzma.LZMAError, zlib.error, csv.Error) as error:
        raise InputError(
            f"cannot read {what} after {rows:,} lines: {error}; check that the file is complete "
            "and that its compression matches its name."
        ) from None
    return baskets_from_pairs(
        np.asarray(order_codes, dtype=np.int64),
        labels,
        rows_read=rows,
        source=source,
        what=what,
        extra_summary={"empty_baskets": empty},
    )


def _lines(path: Path, *, what: str) -> Iterator[list[str]]:
    """Items of each line, stripped (Groceries writes ``"cream cheese "`` with a space)."""
    lines = text_lines(path, what=what)
    if data_suffix(path) == ".csv":
        for row in csv.reader(lines):
            yield [cell.strip() for cell in row]
    else:
        for line in lines:
            yield line.split()
