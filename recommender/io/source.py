"""Files as users have them: compressed or not, checksummed, their format guessed."""

from __future__ import annotations

import bz2
import errno
import gzip
import hashlib
import io
import lzma
import os
import re
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from ..exceptions import ArtifactError, InputError

__all__ = [
    "COMPRESSIONS",
    "open_text",
    "open_binary",
    "text_lines",
    "file_encoding",
    "undecodable_line",
    "file_sha256",
    "guess_format",
    "check_readable",
    "check_writable",
    "write_error",
]

COMPRESSIONS = {".gz": gzip.open, ".xz": lzma.open, ".bz2": bz2.open}
# The start of a file that decides its encoding: UTF-8 when it decodes, else Latin-1.
SNIFF_BYTES = 1 << 20
# A line end of a lone carriage return (old Mac files), where a text line is split.
_CR_ENDS = re.compile("(?<=\r)(?!\n)")
# What check_writable writes: one block, which a full disk or quota refuses.
PROBE_BYTES = 4096
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
    """Open a possibly compressed text file; UTF-8, falling back to Latin-1 for old exports
    whose start is not UTF-8 (see :func:`sniff_encoding`)."""
    raw = open_binary(path)
    head = raw.read(SNIFF_BYTES)
    raw.seek(0)
    return io.TextIOWrapper(raw, encoding=sniff_encoding(head), newline="")


def sniff_encoding(head: bytes) -> str:
    """``"utf-8"`` when the start of a file decodes as UTF-8, else ``"latin-1"`` (old exports,
    such as the usual CSV of Online Retail; Latin-1 decodes any byte).

    Examples
    --------
    >>> sniff_encoding("Crème brûlée".encode("utf-8")), sniff_encoding("Crème brûlée".encode("latin-1"))
    ('utf-8', 'latin-1')
    """
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sample is still UTF-8.
        return "utf-8" if error.start >= len(head) - 3 else "latin-1"
    return "utf-8"


def text_lines(path: Path, *, what: str) -> Iterator[str]:
    """The lines of a possibly compressed text file (ends kept), decoded one at a time in the
    encoding of its start, so that a line that breaks it is named (:class:`InputError`)."""
    with open_binary(path) as raw:
        encoding = sniff_encoding(raw.read(SNIFF_BYTES))
        raw.seek(0)
        offset = 0
        for number, line in enumerate(raw, start=1):
            try:
                text = line.decode(encoding)
            except UnicodeDecodeError as error:
                raise InputError(_not_utf8(path, what, number, offset + error.start, line, error.start)) from None
            offset += len(line)
            if "\r" in text[:-2]:  # old Mac line ends, alone or mixed with others
                yield from (part for part in _CR_ENDS.split(text) if part)
            else:
                yield text


def file_encoding(path: Path) -> str:
    """The encoding of a possibly compressed text file, from its start (:func:`sniff_encoding`)."""
    with open_binary(path) as raw:
        return sniff_encoding(raw.read(SNIFF_BYTES))


def undecodable_line(path: Path, *, what: str) -> str:
    """The message naming the first line of ``path`` that breaks the encoding of its start (a
    reader that decodes in large blocks only knows the block)."""
    try:
        for _ in text_lines(path, what=what):
            pass
    except InputError as error:
        return str(error)
    return f"{what} is not valid UTF-8; re-save it as UTF-8."


def _not_utf8(path: Path, what: str, number: int, offset: int, line: bytes, start: int) -> str:
    uncompressed = " of the uncompressed text" if path.suffix.lower() in COMPRESSIONS else ""
    return (
        f"{what} is not valid UTF-8 at line {number:,} (byte {offset:,}{uncompressed}: {line[start : start + 4]!r}), "
        f"though its first {SNIFF_BYTES >> 20} MB is: re-save it as UTF-8 (that line, and maybe others after it, "
        "are in another encoding, such as Latin-1)."
    )


def open_binary(path: Path) -> IO[bytes]:
    opener = COMPRESSIONS.get(path.suffix.lower())
    raw: IO[bytes] = opener(path, "rb") if opener else open(path, "rb")  # type: ignore[operator]
    return raw


def check_writable(path: Path, what: str = "model") -> None:
    """Raise a clear :class:`ArtifactError` when no file can be written at ``path``.

    Run before the work whose result the file is to hold, not after it. A small file is
    created beside ``path``, written, flushed to disk and removed: that finds what asking
    cannot (a read-only mount, an immutable folder, a full disk or quota, a folder such as
    ``/proc`` that takes no new files, and permissions as they apply to root too).
    """
    if path.is_dir():
        raise ArtifactError(f"cannot write the {what} to {str(path)!r}: it is a folder; name a file such as model.rcm.")
    parent = path.parent
    if not parent.exists():
        raise ArtifactError(
            f"cannot write the {what} to {str(path)!r}: folder {str(parent)!r} does not exist; create it first."
        )
    if not parent.is_dir():
        raise ArtifactError(
            f"cannot write the {what} to {str(path)!r}: {str(parent)!r} is a file, not a folder; choose a path in a "
            "folder."
        )
    probe = parent / f".{path.name}.{secrets.token_hex(6)}.probe"
    try:
        handle = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    except OSError as error:
        raise ArtifactError(write_error(path, error, what)) from None
    try:
        os.write(handle, bytes(PROBE_BYTES))
        os.fsync(handle)
    except OSError as error:
        raise ArtifactError(write_error(path, error, what)) from None
    finally:
        os.close(handle)
        probe.unlink(missing_ok=True)


# What an error of the file system means for someone writing a file, and what to do.
_WRITE_ERRORS = {
    errno.ENOSPC: ("the disk is full", "free some space or write it elsewhere"),
    errno.EDQUOT: ("the disk quota is used up", "free some space or write it elsewhere"),
    errno.EFBIG: ("the file would pass the largest size allowed here", "write it elsewhere"),
    errno.EROFS: ("its file system is read-only", "write it to a folder of a writable disk"),
    errno.EACCES: ("there is no permission to create files in its folder",
                   "write it elsewhere or change the folder's permissions"),
    errno.EPERM: ("its folder does not allow new files (immutable, or a special file system)", "write it elsewhere"),
    errno.ENOENT: ("its folder takes no new files (a virtual file system such as /proc)",
                   "write it to a folder on a disk"),
    errno.ENOTDIR: ("a part of the path is a file, not a folder", "choose a path in a folder"),
}  # fmt: skip


def write_error(path: Path, error: OSError, what: str = "model") -> str:
    """One sentence for a file that could not be written: what, where, why, and the fix.

    Examples
    --------
    >>> import errno
    >>> write_error(Path("/mnt/x/model.rcm"), OSError(errno.ENOSPC, "No space left on device"))
    "cannot write the model to '/mnt/x/model.rcm': the disk is full (No space left on device); free some space or write it elsewhere."
    """  # noqa: E501
    reason, fix = _WRITE_ERRORS.get(error.errno or 0, ("the system refused", "write it elsewhere"))
    return f"cannot write the {what} to {str(path)!r}: {reason} ({error.strerror or error}); {fix}."


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
