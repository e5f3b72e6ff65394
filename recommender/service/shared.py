"""The model the workers of one ``recommender serve --workers N`` share.

Worker processes come and go (uvicorn replaces one that dies), and the model file on disk may
be replaced or broken at any moment; yet every worker must answer with the same model, the one
the service last accepted. So the service keeps its own copy of that model, in a private folder
made when it starts and removed when it stops:

- ``model-G.rcm``: the bytes of the last model file that loaded, copied before they were
  loaded, so that the copy is exactly what was checked (``G``: its generation);
- ``generation``: that generation, raised each time another model is accepted, and the copy's
  digest; written last, so that a failure before (a full disk) leaves the shared model as it was;
- ``workers/PID``: the generation each worker serves.

A reload (SIGHUP to the parent, or the admin route in any worker) copies the model file in,
loads the copy, and only if it loads makes it the shared model and raises the generation; every
worker watches the generation and loads the new copy in place, so no worker is stopped and no
connection closed. A new worker loads the shared copy, never the file on disk: the service
keeps the model it had through a bad file and a dead worker. Why files and not a signal to
each worker: a worker started during a reload still sees the last generation, a worker that
dies is simply replaced, and the admin route can wait until every live worker has loaded.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from ..config import RankingConfig
from ..exceptions import ArtifactError
from ..ranking import Recommender

try:  # one promotion at a time across processes; fcntl is POSIX (uvicorn's workers are too)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["SharedModel"]

logger = logging.getLogger(__name__)

# How often a waiting reload looks at the workers' records.
_POLL_SECONDS = 0.05


class SharedModel:
    """The folder of the model shared by the workers (see the module's docstring)."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self._generation = self.folder / "generation"
        self._workers = self.folder / "workers"

    @classmethod
    def create(cls, path: str, config: RankingConfig) -> SharedModel:
        """A new private folder holding a checked copy of ``path``.

        Raises
        ------
        ArtifactError
            When ``path`` does not load (nothing is left on disk).
        """
        shared = cls(tempfile.mkdtemp(prefix="recommender-serve-"))
        try:
            shared._workers.mkdir()
            shared.promote(path, config)
        except BaseException:
            shared.remove()
            raise
        return shared

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def model(self, generation: int) -> Path:
        """The shared copy of the model of ``generation``."""
        return self.folder / f"model-{generation}.rcm"

    def touch(self) -> None:
        """Mark the folder's files as in use, so that a cleaner of old temporary files (such as
        systemd-tmpfiles, which empties /tmp of files untouched for ten days) leaves them be."""
        for path in (self.folder, self._generation, self.model(self.generation()[0])):
            with contextlib.suppress(OSError):
                os.utime(path)

    def generation(self) -> tuple[int, str]:
        """The generation of the shared model and its digest ((0, "") before the first)."""
        try:
            number, digest = self._generation.read_text().split()
            return int(number), digest
        except (OSError, ValueError):
            return 0, ""

    def promote(self, path: str, config: RankingConfig) -> tuple[Recommender, int] | None:
        """Make the model file at ``path`` the shared model if it loads.

        Returns the loaded model and its generation, or None when ``path`` holds the bytes of
        the shared model already (nothing to do).

        Raises
        ------
        ArtifactError
            When the file cannot be copied or does not load, whatever the reason (a full disk
            included); the shared model is unchanged and nothing partial is left.
        """
        with self._exclusive():
            number, current = self.generation()
            handle, incoming = tempfile.mkstemp(dir=self.folder, prefix=".incoming-", suffix=".rcm")
            try:
                digest = hashlib.sha256()
                try:
                    with os.fdopen(handle, "wb") as sink, open(path, "rb") as source:
                        while chunk := source.read(1 << 20):
                            digest.update(chunk)
                            sink.write(chunk)
                except OSError as error:  # a missing file, or no room for the copy
                    raise ArtifactError(
                        f"cannot copy {path!r} into the service's folder {str(self.folder)!r}: {error}."
                    ) from None
                if digest.hexdigest() == current:
                    return None
                fresh = Recommender.load(incoming, config=config)
                os.replace(incoming, self.model(number + 1))
                try:
                    _write_atomically(self._generation, f"{number + 1} {digest.hexdigest()}\n")
                except OSError as error:
                    os.unlink(self.model(number + 1))
                    raise ArtifactError(
                        f"cannot record the new model in the service's folder {str(self.folder)!r}: {error}."
                    ) from None
            except ArtifactError:
                raise
            except Exception as error:  # noqa: BLE001 - any failure is a refused file
                raise ArtifactError(f"cannot load {path!r}: {error}") from None
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(incoming)
            with contextlib.suppress(FileNotFoundError):  # a worker loading it has it open
                os.unlink(self.model(number))
        return fresh, number + 1

    def read(self, config: RankingConfig) -> tuple[Recommender, int]:
        """The shared model and its generation, as a worker loads it."""
        while True:
            generation = self.generation()[0]
            try:
                return Recommender.load(self.model(generation), config=config), generation
            except ArtifactError:
                if self.generation()[0] == generation:
                    raise
                # else a reload replaced that copy meanwhile: load the new one

    def acknowledge(self, pid: int, generation: int) -> None:
        """Record that worker ``pid`` serves ``generation`` (-1: still loading)."""
        _write_atomically(self._workers / str(pid), f"{generation}\n")

    def forget(self, pid: int) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self._workers / str(pid)).unlink()

    def wait_for_workers(self, generation: int, *, timeout: float) -> list[int]:
        """Wait until every live worker serves ``generation`` (or a later one).

        Returns the workers still behind after ``timeout`` seconds (an empty list when all
        caught up); the ones that ended are forgotten.
        """
        deadline = time.monotonic() + timeout
        while True:
            behind = []
            for record in self._workers.iterdir():
                if record.name.startswith("."):
                    continue
                pid = int(record.name)
                try:
                    served = int(record.read_text())
                except (OSError, ValueError):
                    continue
                if served >= generation:
                    continue
                if _alive(pid):
                    behind.append(pid)
                else:
                    self.forget(pid)
            if not behind or time.monotonic() > deadline:
                return sorted(behind)
            time.sleep(_POLL_SECONDS)

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        with open(self.folder / "lock", "a") as lock:
            if fcntl is not None:
                fcntl.flock(lock, fcntl.LOCK_EX)
            yield


def _write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        with os.fdopen(handle, "w") as sink:
            sink.write(text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, killed but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True  # no /proc here: kill(0) is all there is to go by
    return state not in ("Z", "X")
