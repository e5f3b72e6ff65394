"""The live model, swapped atomically on reload; a file that fails to load is refused."""

from __future__ import annotations

import gc
import logging
import threading
import time
from pathlib import Path

from ..config import RankingConfig
from ..exceptions import ArtifactError
from ..ranking import Recommender

__all__ = ["ModelHolder"]

logger = logging.getLogger(__name__)


class ModelHolder:
    """Holds the :class:`Recommender` requests use.

    A request reads :attr:`current` once and answers with that model to the end, so a reload
    never changes a model under a request in flight. Reloads are serialised; the new model is
    fully loaded and indexed before one reference assignment makes it live. After each load
    the model is put out of the garbage collector's way (:func:`_settle`).
    """

    def __init__(self, path: str, config: RankingConfig) -> None:
        self.path = path
        self.config = config
        self._lock = threading.Lock()
        self.current: Recommender = Recommender.load(path, config=config)
        _settle()
        self.loaded_at = time.time()
        self.reloads = 0
        self.failed_reloads = 0

    def reload(self) -> Recommender:
        """Load the model file again and make it live; on any failure keep the old one.

        Raises
        ------
        ArtifactError
            When the file is missing, truncated, corrupt or of another schema (the old model
            keeps serving).
        """
        with self._lock:
            try:
                fresh = Recommender.load(self.path, config=self.config)
            except ArtifactError as error:
                self.failed_reloads += 1
                logger.error("reload refused, still serving model %s: %s", self.current.model_info["id"], error)
                raise
            except (OSError, ValueError, MemoryError) as error:
                self.failed_reloads += 1
                logger.error("reload refused, still serving model %s: %s", self.current.model_info["id"], error)
                raise ArtifactError(f"cannot load {str(Path(self.path))!r}: {error}") from None
            previous = self.current.model_info["id"]
            self.current = fresh
            _settle()
            self.loaded_at = time.time()
            self.reloads += 1
            logger.info("reloaded %s: model %s replaces %s", self.path, fresh.model_info["id"], previous)
            return fresh


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
