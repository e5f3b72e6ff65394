"""Running the service under uvicorn: one process, or several workers serving one model.

Two things uvicorn does not do on its own are added here:

- **Deadlines on connections.** uvicorn closes a connection left idle after an answer
  (``timeout_keep_alive``), but not one that never sends a request, or sends its headers a
  byte at a time: thousands of those exhaust the file descriptors. :class:`_Deadlines` closes
  a connection whose request (headers and body) is not in within ``header_timeout`` seconds,
  and answers 431 to a request head over ``max_header_bytes``.
- **Workers that behave as one.** With ``workers > 1`` the parent keeps the service's model in
  a :class:`~recommender.service.shared.SharedModel`; SIGHUP promotes the file on disk there
  (if it loads) and every worker loads it in place, instead of uvicorn's default of replacing
  every worker (which closed the connections they held). A worker uvicorn starts in place of
  a dead one loads the shared copy, so a bad file on disk cannot stop it.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import logging
import os
from typing import Any

import uvicorn
from uvicorn.supervisors.multiprocess import Multiprocess

from .metrics import MULTIPROC_ENV
from .settings import ServiceSettings
from .shared import SharedModel

try:  # the protocol uvicorn's "auto" picks: httptools where it is installed (the standard extra)
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _HTTPProtocol
except ImportError:  # pragma: no cover - without httptools, h11
    from uvicorn.protocols.http.h11_impl import H11Protocol as _HTTPProtocol  # type: ignore[assignment]

__all__ = ["serve"]

logger = logging.getLogger(__name__)

APP_FACTORY = "recommender.service.app:app_from_env"


def serve(settings: ServiceSettings, *, host: str, port: int, workers: int, log_level: str) -> None:
    """Serve ``settings`` on ``host:port`` until SIGINT or SIGTERM.

    Raises
    ------
    ArtifactError
        When the model file does not load (before anything listens).
    """
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "access_log": False,
        "log_level": log_level,
        "http": Protocol,
        "limit_concurrency": settings.limit_concurrency,
        "timeout_keep_alive": settings.keep_alive_timeout,
        "h11_max_incomplete_event_size": settings.max_header_bytes,  # h11's own head cap
    }
    if workers == 1:
        from .app import create_app

        app = create_app(settings)  # loads the model now: a bad file stops here
        uvicorn.Server(_config(app, settings, **options)).run()
        return
    shared = SharedModel.create(settings.model_path, settings.ranking)  # a bad file stops here
    try:
        os.environ.update(dataclasses.replace(settings, shared_dir=str(shared.folder)).to_env())
        if not os.environ.get(MULTIPROC_ENV):
            # The workers' counters, summed by whichever answers GET /metrics (see metrics.py).
            (shared.folder / "metrics").mkdir()
            os.environ[MULTIPROC_ENV] = str(shared.folder / "metrics")
        config = _config(APP_FACTORY, settings, factory=True, workers=workers, **options)
        sockets = [config.bind_socket()]
        # uvicorn 0.30 to 0.3x take the workers' target; later versions make it themselves.
        if "target" in inspect.signature(Multiprocess.__init__).parameters:
            _Supervisor(config, target=uvicorn.Server(config).run, sockets=sockets, shared=shared).run()
        else:
            _Supervisor(config, sockets=sockets, shared=shared).run()
    finally:
        shared.remove()


def _config(app: Any, settings: ServiceSettings, **options: Any) -> uvicorn.Config:
    config = uvicorn.Config(app, **options)
    # Read by the protocol in each process (the config is what uvicorn hands its workers).
    config.recommender_header_timeout = settings.header_timeout  # type: ignore[attr-defined]
    config.recommender_max_header_bytes = settings.max_header_bytes  # type: ignore[attr-defined]
    config.recommender_settings = settings  # type: ignore[attr-defined]
    return config


class _Supervisor(Multiprocess):
    """uvicorn's supervisor of worker processes, with SIGHUP reloading the model in place."""

    def __init__(self, *args: Any, shared: SharedModel, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shared = shared

    def handle_hup(self) -> None:
        settings: ServiceSettings = self.config.recommender_settings  # type: ignore[attr-defined]
        logger.info("SIGHUP: loading %s", settings.model_path)
        try:
            promoted = self.shared.promote(settings.model_path, settings.ranking)
        except Exception as error:  # noqa: BLE001 - whatever went wrong, the file is refused
            logger.error("reload refused, the workers keep serving their model: %s", error)
            return
        if promoted is None:
            logger.info("%s holds the model served already", settings.model_path)
            return
        model, generation = promoted
        logger.info(
            "model %s accepted (generation %d): every worker loads it in place", model.model_info["id"], generation
        )


class _Deadlines:
    """Closes a connection whose request is not in within the header timeout, and answers 431
    to a request head over the cap (a mixin over uvicorn's HTTP protocol).

    The deadline starts when the connection is made and again after each answer; it is met
    once a request's headers and body are in (the time the application then takes is not
    counted).
    """

    config: Any
    cycle: Any
    loop: Any
    transport: Any

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._head_bytes = 0
        self._deadline: Any = None
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)  # type: ignore[misc]

    def data_received(self, data: bytes) -> None:
        waiting = self._waiting()
        super().data_received(data)  # type: ignore[misc]
        if waiting and self._waiting() and not self.transport.is_closing():
            self._head_bytes += len(data)
            if self._head_bytes > self.config.recommender_max_header_bytes:
                self._refuse_head()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        self._head_bytes = 0
        if not self.transport.is_closing():
            self._arm()

    def _waiting(self) -> bool:
        """Whether the connection waits for a request's head (between requests included)."""
        return self.cycle is None or self.cycle.response_complete

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.config.recommender_header_timeout, self._expire)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        in_progress = not self._waiting() and not self.cycle.more_body
        if not in_progress and not self.transport.is_closing():
            self.transport.close()

    def _refuse_head(self) -> None:
        body = json.dumps({"detail": f"request head over {self.config.recommender_max_header_bytes} bytes"}).encode()
        self.transport.write(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(body), body)
        )
        self.transport.close()


class Protocol(_Deadlines, _HTTPProtocol):
    """uvicorn's HTTP protocol with :class:`_Deadlines`."""
