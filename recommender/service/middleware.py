"""Pure ASGI middleware: request ids, structured access logs and the request-size cap."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

__all__ = ["ServiceMiddleware"]

access_log = logging.getLogger("recommender.service.access")

Scope = dict[str, Any]
Message = dict[str, Any]


class ServiceMiddleware:
    """Echoes (or assigns) ``X-Request-ID``, logs one JSON line per request, answers 413 to
    bodies over ``max_body_bytes`` before the application reads them, and 415 to a body sent
    as another type than JSON (a body without a ``Content-Type`` is read as JSON).

    ``fast_routes`` maps (method, path) to a function from the request body to (status, JSON
    body): such requests are answered here, without the application's router. ``observe``, when
    given, is called with the path, status and seconds of every answered request (the metrics).
    """

    def __init__(
        self,
        app: Any,
        *,
        max_body_bytes: int,
        fast_routes: dict[tuple[str, str], Callable[[bytes], tuple[int, bytes]]] | None = None,
        observe: Callable[[str, int, float], None] | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.fast_routes = fast_routes or {}
        self.observe = observe

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = ""
        length = None
        media_type = None
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                request_id = value.decode("latin-1")[:128]
            elif name == b"content-length":
                length = value
            elif name == b"content-type":
                media_type = value
        request_id = request_id or uuid.uuid4().hex
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (b"x-request-id", request_id.encode("latin-1"))]
            await send(message)

        try:
            too_large = length is not None and (not length.isdigit() or int(length) > self.max_body_bytes)
            if too_large:
                await self._refuse(send_with_id)
                return
            if scope["method"] in ("POST", "PUT", "PATCH"):
                body, ok = await self._read(receive)
                if not ok:
                    await self._refuse(send_with_id)
                    return
                if body and media_type is not None and not _is_json(media_type):
                    given = media_type[:80].decode("latin-1")
                    detail = f"the body must be JSON (Content-Type: application/json), not {given!r}"
                    await _respond(send_with_id, 415, json.dumps({"detail": detail}).encode())
                    return
                fast = self.fast_routes.get((scope["method"], scope["path"]))
                if fast is not None:
                    status_code, payload = fast(body)
                    await _respond(send_with_id, status_code, payload)
                    return
                receive = _replay(body, receive)
            await self.app(scope, receive, send_with_id)
        finally:
            if self.observe is not None:
                self.observe(scope["path"], status, time.perf_counter() - started)
            if access_log.isEnabledFor(logging.INFO):
                access_log.info(
                    json.dumps(
                        {
                            "request_id": request_id,
                            "method": scope["method"],
                            "path": scope["path"],
                            "status": status,
                            "ms": round((time.perf_counter() - started) * 1000, 3),
                        }
                    )
                )

    async def _read(self, receive: Any) -> tuple[bytes, bool]:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks), True
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return b"", False
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks), True

    async def _refuse(self, send: Any) -> None:
        await _respond(send, 413, json.dumps({"detail": f"request body over {self.max_body_bytes} bytes"}).encode())


def _is_json(media_type: bytes) -> bool:
    """``application/json`` or a ``+json`` type, with or without parameters (``charset``)."""
    kind = media_type.split(b";", 1)[0].strip().lower()
    return kind == b"application/json" or (kind.startswith(b"application/") and kind.endswith(b"+json"))


async def _respond(send: Any, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _replay(body: bytes, original: Any) -> Any:
    """A receive that gives the body read already, then waits on the client as before."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        message: Message = await original()
        return message

    return receive
