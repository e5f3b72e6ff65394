"""The FastAPI application: thin synchronous handlers over the live :class:`Recommender`."""

# No `from __future__ import annotations` here: FastAPI reads the handlers' annotations at run
# time, and the request model is built per app (its caps come from the settings).

import asyncio
import contextlib
import dataclasses
import hmac
import json
import logging
import os
import signal
import threading
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import FastAPI, Header, HTTPException, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from ..exceptions import ArtifactError, RecommenderError, StoreUnavailableError
from ..feedback import Event, EventStore, GroupWriter, OrderLine, Served, assign_arm, cart_items_behind
from .holder import ModelHolder
from .metrics import CONTENT_TYPE, ServiceMetrics
from .middleware import ServiceMiddleware
from .schemas import (
    BundleResponse,
    ErrorResponse,
    EventsAccepted,
    Health,
    ModelResponse,
    RecommendationResponse,
    events_model,
    request_model,
)
from .settings import ServiceSettings
from .shared import SharedModel

__all__ = ["create_app", "app_from_env", "LOG_FORMAT"]

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"

logger = logging.getLogger(__name__)


def create_app(settings: ServiceSettings, *, handle_sighup: bool = True) -> FastAPI:
    """Build the service for ``settings``; the model is loaded now, so a bad file fails here.

    ``handle_sighup``: reload the model file on SIGHUP (when the app runs in the main thread
    of a process with an event loop that supports signal handlers).
    """
    shared = None if settings.shared_dir is None else SharedModel(settings.shared_dir)
    holder = ModelHolder(
        settings.model_path,
        settings.ranking,
        shared=shared,
        wait_seconds=settings.reload_wait_seconds,
        explore_share=settings.explore_share,
        explore_seed=settings.explore_seed,
    )
    store = None if settings.events_url is None else EventStore(settings.events_url, timeout=settings.events_timeout)

    def describe() -> dict[str, Any]:
        return {
            **holder.current.describe(),
            "loaded_at": holder.loaded_at,
            "reloads": holder.reloads,
            "failed_reloads": holder.failed_reloads,
        }

    metrics = ServiceMetrics(describe)
    writer = None if store is None else GroupWriter(store, on_served_drop=metrics.served_dropped.inc)
    if store is not None:
        try:
            store.ensure_schema()
        except StoreUnavailableError as error:
            # Suggestions do not need the store: serve, and refuse events (503) until it is back.
            logger.warning("%s; events get 503 until it is back", error)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if writer is not None:
            writer.start()
        try:
            async with _following(app):
                yield
        finally:
            if writer is not None:
                await run_in_threadpool(writer.close)  # what is pending goes to the store
            if store is not None:
                store.close()

    @contextlib.asynccontextmanager
    async def _following(app: FastAPI) -> AsyncIterator[None]:
        if handle_sighup:
            loop = asyncio.get_running_loop()

            def on_sighup() -> None:
                # Loading takes a moment: off the event loop, which keeps serving meanwhile.
                loop.run_in_executor(None, _reload_quietly, holder)

            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signal.SIGHUP, on_sighup)
        if shared is None:
            yield
            return
        # A worker among several: load each model another process promotes, off the event loop.
        stop = threading.Event()
        watcher = threading.Thread(target=_follow, args=(holder, stop), name="recommender-follow", daemon=True)
        watcher.start()
        try:
            yield
        finally:
            stop.set()
            watcher.join(timeout=5)
            shared.forget(os.getpid())

    app = FastAPI(
        title="recommender",
        summary="Capped, explained cross-sell, upgrade and bundle suggestions from association rules.",
        version="1",
        lifespan=lifespan,
        responses={413: {"model": ErrorResponse, "description": "request body too large"}},
    )
    app.state.holder = holder
    app.state.events = store
    Request_ = request_model(settings.max_cart_items)

    @app.exception_handler(RecommenderError)
    def bad_value(request: Request, error: RecommenderError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": str(error)})

    @app.exception_handler(RequestValidationError)
    def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        return _invalid(error.errors())

    def openapi() -> dict[str, Any]:
        # The request model is read by the handler itself (faster than FastAPI's parameter
        # machinery), so its schema is added to the document here.
        if app.openapi_schema is None:
            document = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
            schema = Request_.model_json_schema(ref_template="#/components/schemas/{model}")
            components = document.setdefault("components", {}).setdefault("schemas", {})
            components.update(schema.pop("$defs", {}))
            components["RecommendationRequest"] = schema
            if store is not None:
                batch = Events_.model_json_schema(ref_template="#/components/schemas/{model}")
                components.update(batch.pop("$defs", {}))
                components["EventBatch"] = batch
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.post(
        "/v1/recommendations",
        response_model=None,
        responses={
            200: {"model": RecommendationResponse, "description": "the suggestions"},
            422: {"model": ErrorResponse, "description": "invalid request"},
        },
        summary="At most `limit` suggestions for the whole cart, each with its reason",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RecommendationRequest"}}},
            }
        },
    )
    async def recommendations(request: Request) -> Response:
        # Served by the middleware's fast lane (below); this route documents it and answers
        # whatever reaches the router all the same.
        status, payload = answer_cart(await request.body())
        return Response(payload, status_code=status, media_type="application/json")

    def answer_cart(raw: bytes) -> tuple[int, bytes]:
        """Status and JSON body of POST /v1/recommendations for a raw request body.

        The body is validated by pydantic straight from the bytes (the model the OpenAPI
        document shows) and the answer serialised once, in the shape RecommendationResponse
        documents (tests check it). Synchronous and quick: about a tenth of a millisecond of
        CPU, less than a hop to a worker thread would cost.
        """
        try:
            body = Request_.model_validate_json(raw)
        except ValidationError as error:
            return 422, _dumps({"detail": _details(error.errors(include_input=False))})
        recommender = holder.current  # one model for the whole request, even during a reload
        session_id = body.session_id  # type: ignore[attr-defined]
        arm = assign_arm(session_id, share=settings.holdout_share, salt=settings.holdout_salt)
        popular_only = arm == "control" and settings.control_suggestions == "popular"
        answer = recommender.recommend(
            body.cart,  # type: ignore[attr-defined]
            limit=body.limit,  # type: ignore[attr-defined]
            cart_total=body.cart_total,  # type: ignore[attr-defined]
            exclude=body.exclude,  # type: ignore[attr-defined]
            kinds=["popular"] if popular_only else body.kinds,  # type: ignore[attr-defined]
            objective=body.objective,  # type: ignore[attr-defined]
            trace=body.trace,  # type: ignore[attr-defined]
            customer_id=body.customer_id,  # type: ignore[attr-defined]
            history=body.history,  # type: ignore[attr-defined]
        )
        if arm == "control" and not popular_only:
            # The cart is still read (its unknown items are reported); the trace, when asked
            # for, shows what the treatment arm would have seen.
            answer = dataclasses.replace(answer, items=(), fallback=None)
        shape = answer.to_dict()
        shape["recommendation_id"] = recommendation_id = uuid.uuid4().hex
        shape["arm"] = arm
        if writer is not None:
            writer.record(
                Served(
                    recommendation_id=recommendation_id,
                    at=datetime.now(UTC),
                    session_id=session_id,
                    arm=arm,
                    model_id=answer.model.get("id", ""),
                    items=tuple((s.item_id, s.kind) for s in answer.items),
                    cart=tuple(body.cart),  # type: ignore[attr-defined]
                    because=tuple(cart_items_behind(s.reason) for s in answer.items),
                )
            )
        return 200, _dumps(shape)

    @app.get(
        "/v1/bundles/{item_id}",
        response_model=BundleResponse,
        summary="The product-page bundle of one item (empty items when it has none)",
    )
    def bundle(item_id: Annotated[str, Path(min_length=1, max_length=128)]) -> dict[str, Any]:
        return holder.current.bundle(item_id).to_dict()

    @app.get("/v1/model", response_model=ModelResponse, summary="The model being served")
    def model() -> dict[str, Any]:
        described = {
            **describe(),
            "holdout": {"share": settings.holdout_share, "control_suggestions": settings.control_suggestions},
        }
        if store is not None and writer is not None:
            # This worker's counts (each worker of `serve --workers N` counts its own).
            described["events"] = {"store": store.where, **store.counts(), "served_log": writer.counts()}
        return described

    if store is not None and writer is not None:
        Events_ = events_model(settings.max_cart_items, settings.max_events)

        @app.post(
            "/v1/events",
            status_code=202,
            response_model=EventsAccepted,
            responses={
                422: {"model": ErrorResponse, "description": "an invalid event (the field is named); none stored"},
                503: {"model": ErrorResponse, "description": "the store is unavailable; none stored, send again"},
            },
            summary="Store a batch of events from the shop (all or none, durable once acknowledged)",
            openapi_extra={
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EventBatch"}}},
                }
            },
        )
        async def events(request: Request) -> Response:
            try:
                batch = Events_.model_validate_json(await request.body())
            except ValidationError as error:
                return _invalid(error.errors(include_input=False))
            received = datetime.now(UTC)
            records = [_event(e, received, settings) for e in batch.events]  # type: ignore[attr-defined]
            try:
                # Answered once the transaction holding the batch has committed (group commit).
                accepted = await asyncio.wrap_future(writer.submit(records))
            except StoreUnavailableError as error:
                metrics.events_refused.inc(len(records))
                logger.error("%d events refused with 503 (%d in all): %s", len(records), store.refused, error)
                return JSONResponse(
                    status_code=503,
                    content={"detail": f"{error} Nothing was stored; send the events again."},
                    headers={"Retry-After": "5"},
                )
            metrics.events_accepted.inc(accepted)
            return JSONResponse(status_code=202, content={"accepted": accepted})

    @app.get(
        "/metrics",
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE: {}}, "description": "Prometheus text format"}},
        summary="Prometheus metrics: requests, latency, the model's id and age, events, reloads",
    )
    def prometheus() -> Response:
        return Response(metrics.scrape(), media_type=CONTENT_TYPE)

    @app.get("/healthz", response_model=Health, summary="Liveness")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", response_model=Health, summary="Ready: a model is loaded")
    def readyz() -> dict[str, str]:
        return {"status": "ready"}

    if settings.admin_token:
        token = settings.admin_token

        @app.post(
            "/v1/admin/reload",
            response_model=ModelResponse,
            responses={
                401: {"model": ErrorResponse, "description": "missing or wrong token"},
                409: {"model": ErrorResponse, "description": "the file was refused; the old model keeps serving"},
            },
            summary="Load the model file again (Authorization: Bearer TOKEN)",
        )
        def reload(authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
            scheme, _, given = (authorization or "").strip().partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
                raise HTTPException(status_code=401, detail="missing or wrong admin token")
            try:
                holder.reload()
            except ArtifactError as error:
                raise HTTPException(status_code=409, detail=f"{error} The old model keeps serving.") from None
            return model()

    # The checkout route is the hot one: the middleware answers it directly, below FastAPI's
    # router and parameter machinery (a third of the time of a request), with the same function.
    app.add_middleware(
        ServiceMiddleware,
        max_body_bytes=settings.max_body_bytes,
        fast_routes={("POST", "/v1/recommendations"): answer_cart},
        observe=metrics.observe,
    )
    return app


def _event(event: Any, received: datetime, settings: ServiceSettings) -> Event:
    """The store's record of a validated event; a time without a zone is UTC, the arm is the
    session's under the service's holdout settings now (the report compares purchases by it)."""
    at = event.at or received
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    kind = event.type
    return Event(
        type=kind,
        session_id=event.session_id,
        at=at,
        arm=assign_arm(event.session_id, share=settings.holdout_share, salt=settings.holdout_salt),
        recommendation_id=getattr(event, "recommendation_id", None),
        item_id=getattr(event, "item_id", None),
        order_id=getattr(event, "order_id", None),
        items=tuple(event.items) if kind == "impression" else (),
        lines=tuple(OrderLine(item_id=x.item_id, price=x.price, quantity=x.quantity) for x in event.items)
        if kind == "purchase"
        else (),
        event_id=event.event_id,
    )


def _details(errors: Any) -> list[dict[str, Any]]:
    """Where, what and why of validation errors, without echoing the input: an input such as
    NaN cannot even be written back as JSON (FastAPI's default handler fails on it with a 500)."""
    return [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))} for e in errors
    ]


def _invalid(errors: Any) -> JSONResponse:
    return JSONResponse(status_code=422, content={"detail": _details(errors)})


try:  # orjson (in the serve extra) writes the answer several times faster than json
    import orjson

    def _dumps(value: Any) -> bytes:
        return orjson.dumps(value)

except ImportError:  # pragma: no cover - without it, the standard library

    def _dumps(value: Any) -> bytes:
        return json.dumps(value).encode()


def _reload_quietly(holder: ModelHolder) -> None:
    """A reload on SIGHUP: nobody awaits it, so whatever goes wrong is logged here."""
    try:
        holder.reload()
    except ArtifactError:
        pass  # refused, and logged by the holder: the old model keeps serving
    except Exception as error:  # noqa: BLE001 - nothing may escape into an unread future
        logger.error("reload on SIGHUP failed: %r", error)


# How often a worker looks at the shared model's generation (a read of a small file), and how
# often it marks the shared files as in use (see SharedModel.touch).
_FOLLOW_SECONDS = 0.1
_TOUCH_SECONDS = 3600.0


def _follow(holder: ModelHolder, stop: threading.Event) -> None:
    """A worker's watcher: loads each model another process makes the shared one."""
    touched = time.monotonic()
    while not stop.wait(_FOLLOW_SECONDS):
        try:
            holder.follow()
            if holder.shared is not None and time.monotonic() - touched > _TOUCH_SECONDS:
                holder.shared.touch()
                touched = time.monotonic()
        except Exception as error:  # noqa: BLE001 - the watcher outlives any failure
            logger.error("cannot follow the service's model: %r", error)


def app_from_env() -> FastAPI:
    """The factory uvicorn's worker processes call: settings from ``RECOMMENDER_SETTINGS``.

    A worker process starts afresh, so it sets up logging as the parent did.
    """
    level = os.environ.get("RECOMMENDER_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(level=level, format=LOG_FORMAT)
    return create_app(ServiceSettings.from_env())
