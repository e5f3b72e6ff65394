"""The live model, swapped atomically on reload; a file that fails to load is refused."""

from __future__ import annotations

import gc
import logging
import os
import random
import threading
import time
from pathlib import Path

from ..config import RankingConfig
from ..exceptions import ArtifactError
from ..ranking import Recommender
from .shared import SharedModel

__all__ = ["ModelHolder"]

logger = logging.getLogger(__name__)

# After a worker failed to load a new shared model, it tries again this much later (not at each
# look at the generation, which would load it ten times a second).
_RETRY_SECONDS = 5.0


class ModelHolder:
    """Holds the :class:`Recommender` requests use.

    A request reads :attr:`current` once and answers with that model to the end, so a reload
    never changes a model under a request in flight. Reloads are serialised; the new model is
    fully loaded and indexed before one reference assignment makes it live. After each load
    the model is put out of the garbage collector's way (:func:`_settle`).

    With ``shared`` (the workers of ``recommender serve --workers N``), the model comes from the
    workers' shared copy rather than from ``path`` (see :mod:`recommender.service.shared`): a
    reload promotes ``path`` to the shared model and waits up to ``wait_seconds`` for the other
    workers to load it, and :meth:`follow` loads a model another process promoted.
    """

    def __init__(
        self,
        path: str,
        config: RankingConfig,
        *,
        shared: SharedModel | None = None,
        wait_seconds: float = 60.0,
        explore_share: float = 0.0,
        explore_seed: int | None = None,
    ) -> None:
        self.path = path
        self.config = config
        self.explore_share = explore_share
        self._explore_rng = random.Random(explore_seed)  # None: the system's entropy
        self.shared = shared
        self.wait_seconds = wait_seconds
        self._lock = threading.Lock()
        self.generation = 0
        self._failed_generation = (0, 0.0)  # the generation that failed to load, and when
        if shared is None:
            self.current: Recommender = Recommender.load(path, config=config)
        else:
            try:
                shared.acknowledge(os.getpid(), -1)  # a reload from now on waits for this worker
                self.current, self.generation = shared.read(config)
                shared.acknowledge(os.getpid(), self.generation)
            except Exception as error:  # noqa: BLE001 - serving the file on disk beats not serving
                logger.error(
                    "cannot load the service's model from %s (%r); serving %s instead", shared.folder, error, path
                )
                self.current = Recommender.load(path, config=config)
        self._explore(self.current)
        _settle()
        self.loaded_at = time.time()
        self.reloads = 0
        self.failed_reloads = 0

    def reload(self) -> Recommender:
        """Load the model file again and make it live; on any failure keep the old one.

        Raises
        ------
        ArtifactError
            When the file is missing, truncated, corrupt, of another schema, or fails to load
            for any other reason (the old model keeps serving).
        """
        with self._lock:
            try:
                if self.shared is None:
                    fresh: Recommender | None = Recommender.load(self.path, config=self.config)
                else:
                    promoted = self.shared.promote(self.path, self.config)
                    fresh, generation = (None, self.generation) if promoted is None else promoted
            except Exception as error:  # noqa: BLE001 - whatever went wrong, the file is refused
                self.failed_reloads += 1
                logger.error("reload refused, still serving model %s: %s", self.current.model_info["id"], error)
                if isinstance(error, ArtifactError):
                    raise
                raise ArtifactError(f"cannot load {str(Path(self.path))!r}: {error!r}") from None
            if fresh is None:
                logger.info("reload of %s: the file holds the model served already", self.path)
            else:
                self._swap(fresh)
            if self.shared is not None and fresh is not None:
                self.generation = generation
                self.shared.acknowledge(os.getpid(), generation)
        if self.shared is not None:
            self.follow()  # the file was the shared model already: this worker may not have it yet
            behind = self.shared.wait_for_workers(self.generation, timeout=self.wait_seconds)
            if behind:
                logger.error("after %s s, workers %s still serve an older model", self.wait_seconds, behind)
        return self.current

    def follow(self) -> bool:
        """Load the shared model if another process promoted a newer one; True if it did.

        A failure is logged and the model kept (tried again a few seconds later).
        """
        if self.shared is None:
            return False
        generation = self.shared.generation()[0]
        failed, when = self._failed_generation
        if generation <= self.generation or (generation == failed and time.monotonic() - when < _RETRY_SECONDS):
            return False
        with self._lock:
            if generation <= self.generation:
                return False
            try:
                fresh, generation = self.shared.read(self.config)
            except Exception as error:  # noqa: BLE001 - a worker keeps its model whatever failed
                self._failed_generation = (generation, time.monotonic())
                logger.error(
                    "cannot load the service's model %s (generation %s), still serving model %s: %r",
                    self.shared.folder, generation, self.current.model_info["id"], error,
                )  # fmt: skip
                return False
            self._swap(fresh)
            self.generation = generation
            self.shared.acknowledge(os.getpid(), generation)
        return True

    def _explore(self, fresh: Recommender) -> None:
        """With ``explore_share``, a model with attach counts ranks that share of its answers by
        Thompson sampling (:meth:`.FeedbackRanking.exploring`); before it serves anything."""
        if self.explore_share and fresh.feedback is not None:
            fresh.feedback = fresh.feedback.exploring(self.explore_share, self._explore_rng)

    def _swap(self, fresh: Recommender) -> None:
        self._explore(fresh)
        previous = self.current.model_info["id"]
        self.current = fresh
        _settle()
        self.loaded_at = time.time()
        self.reloads += 1
        logger.info("reloaded %s: model %s replaces %s", self.path, fresh.model_info["id"], previous)


def _settle() -> None:
    """Collect once, then freeze every object there is, the model's included.

    The collector tracks tens of thousands of a model's objects (37,000 for the retail.dat
    model of ``benchmarks/bench_recommend.py``), which live as long as it serves. Each full
    collection walks them all: 11 to 19 ms there, spent in whichever request triggered it.
    Frozen objects are never walked, and are still freed when nothing refers to them, as a
    replaced model is once its last request is done. Unfreezing first puts the previous
    model's objects back in reach of this collection, so that a cycle among them could not
    outlive it.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()
