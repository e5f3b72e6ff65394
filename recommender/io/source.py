"""Files as users have them: compressed or not, checksummed, their format guessed."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import lzma
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO

from ..exceptions import InputError

__all__ = ["COMPRESSIONS", "open_text", "file_sha256", "guess_format", "check_readable"]

COMPRESSIONS = {".gz": gzip.open, ".xz": lzma.open, ".bz2": bz2.open}
BASKET_SUFFIXES = {".dat", ".txt", ".basket", ".baskets"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
TABLE_SUFFIXES = {".csv", ".tsv"}


def check_readable(path: Path, what: str) -> None:
    """Raise a clear :class:`InputError` when ``path`` is not a readable, non-empty file."""
    if not path.exists():
        raise InputError(f"{what} file {str(path)!r} does not exist; check the path.")
    if path.is_dir() and not any(path.glob("*.parquet")):
        raise InputError(f"{what} path {str(path)!r} is a folder, not a file; pass the file itself.")
    if path.is_file():
        if not os.access(path, os.R_OK):
            raise InputError(f"{what} file {str(path)!r} is not readable; check its permissions.")
        if path.stat().st_size == 0:
            raise InputError(f"{what} file {str(path)!r} is empty; pass a file with orders in it.")


def data_suffix(path: Path) -> str:
    """The suffix that tells the format, under any compression suffix (``a.csv.gz`` -> ``.csv``)."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in COMPRESSIONS:
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def open_text(path: Path) -> IO[str]:
    """Open a possibly compressed text file; UTF-8, falling back to Latin-1 for old exports."""
    opener = COMPRESSIONS.get(path.suffix.lower())
    raw: IO[bytes] = opener(path, "rb") if opener else open(path, "rb")  # type: ignore[operator]
    head = raw.read(1 << 20)
    raw.seek(0)
    try:
        head.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sample is still UTF-8.
        encoding = "utf-8" if error.start >= len(head) - 3 else "latin-1"
    return io.TextIOWrapper(raw, encoding=encoding, newline="")


def file_sha256(path: Path) -> tuple[str, int]:
    """SHA-256 of the file's bytes (or of a Parquet folder's files in name order) and its size."""
    digest = hashlib.sha256()
    size = 0
    files = sorted(path.glob("*.parquet")) if path.is_dir() else [path]
    for file in files:
        with open(file, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
                size += len(block)
    return digest.hexdigest(), size


def guess_format(path: Path, *, header_has_columns: Callable[[str], bool]) -> str:
    """``"long"`` (one row per order line) or ``"basket"`` (one basket per line).

    Parquet is always long; ``.dat``/``.txt`` are baskets; a CSV is long when its first line
    names an order and an item column, baskets otherwise.
    """
    if path.is_dir():
        return "long"
    suffix = data_suffix(path)
    if suffix in PARQUET_SUFFIXES:
        return "long"
    if suffix in BASKET_SUFFIXES:
        return "basket"
    if suffix in TABLE_SUFFIXES or suffix == "":
        try:
            with open_text(path) as handle:
                first = handle.readline()
        except (OSError, EOFError, lzma.LZMAError) as error:
            raise InputError(
                f"cannot read {str(path)!r}: {error}; check that the file is complete and its "
                "compression matches its name."
            ) from None
        return "long" if header_has_columns(first) else "basket"
    raise InputError(
        f"cannot tell the format of {str(path)!r} from its suffix {suffix!r}; name it .csv, "
        ".parquet or .dat, or pass --format long|basket."
    )
