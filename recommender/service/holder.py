"""The live model, swapped atomically on reload; a file that fails to load is refused."""

from __future__ import annotations

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
    fully loaded and indexed before one reference assignment makes it live.
    """

    def __init__(self, path: str, config: RankingConfig) -> None:
        self.path = path
        self.config = config
        self._lock = threading.Lock()
        self.current: Recommender = Recommender.load(path, config=config)
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
            self.loaded_at = time.time()
            self.reloads += 1
            logger.info("reloaded %s: model %s replaces %s", self.path, fresh.model_info["id"], previous)
            return fresh
