"""``GET /metrics``: Prometheus text from prometheus-client, one view of all the workers.

With ``recommender serve --workers N`` each worker is a process of its own, and a scrape reaches
one of them; so the counters live in prometheus-client's multiprocess mode (every process writes
its values to files in ``PROMETHEUS_MULTIPROC_DIR``, which ``serve`` makes in the service's
private folder, and the worker answering the scrape sums them). What describes the model (its
id, age, reloads) is read at scrape time from the answering worker, which serves the same model
as the others. Without that variable (one process, or the tests) the app keeps its own registry.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

__all__ = ["ServiceMetrics", "MULTIPROC_ENV", "CONTENT_TYPE"]

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# The routes as labels: paths with an id in them are one route, unknown paths one label, so that
# a scan of random URLs cannot make the series grow without bound.
_ROUTES = ("/v1/recommendations", "/v1/events", "/v1/model", "/healthz", "/readyz", "/v1/admin/reload", "/metrics")
_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 2.5)


def route_of(path: str) -> str:
    """The route label of a request path."""
    if path in _ROUTES:
        return path
    if path.startswith("/v1/bundles/"):
        return "/v1/bundles/{item_id}"
    return "other"


class ServiceMetrics:
    """The service's counters, and the text of a scrape.

    ``describe`` gives what the answering worker knows at scrape time: the model's id and
    creation time, when it was loaded, and its reload counts.
    """

    def __init__(self, describe: Callable[[], dict[str, Any]]) -> None:
        self.multiprocess = bool(os.environ.get(MULTIPROC_ENV))
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "recommender_requests", "HTTP requests answered, by route and status", ("route", "status"),
            registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "recommender_request_seconds", "Time to answer a request, by route", ("route",),
            buckets=_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.events_accepted = Counter(
            "recommender_events_accepted", "Events stored (acknowledged with 202)", registry=self.registry
        )
        self.events_refused = Counter(
            "recommender_events_refused", "Events refused with 503 (the store unavailable)", registry=self.registry
        )
        self.served_dropped = Counter(
            "recommender_served_dropped", "Served answers the store did not take (best-effort log)",
            registry=self.registry,
        )  # fmt: skip
        self._describe = describe
        self._children: dict[tuple[str, int], tuple[Any, Any]] = {}

    def observe(self, path: str, status: int, seconds: float) -> None:
        """Count one answered request (called by the middleware, on the hot path: cached children)."""
        key = (path, status)
        children = self._children.get(key)
        if children is None:
            route = route_of(path)
            children = (self.requests.labels(route, str(status)), self.latency.labels(route))
            if len(self._children) < 1000:
                self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def scrape(self) -> bytes:
        """The Prometheus text of every worker's counters and this worker's model."""
        if self.multiprocess:
            registry = CollectorRegistry()
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        else:
            registry = self.registry
        return generate_latest(registry) + generate_latest(_ModelRegistry(self._describe))


class _ModelRegistry:
    """The model's figures, as a registry of one collector for ``generate_latest``."""

    def __init__(self, describe: Callable[[], dict[str, Any]]) -> None:
        self._describe = describe

    def collect(self) -> Iterator[Metric]:
        described = self._describe()
        info = GaugeMetricFamily("recommender_model_info", "The model served (value 1)", labels=["model_id"])
        info.add_metric([str(described.get("id", ""))], 1.0)
        yield info
        created = _timestamp(described.get("created_at"))
        if created is not None:
            yield GaugeMetricFamily(
                "recommender_model_age_seconds", "Seconds since the model was mined", value=time.time() - created
            )
        yield GaugeMetricFamily(
            "recommender_model_loaded_timestamp_seconds",
            "When this worker loaded the model (Unix time)",
            value=float(described.get("loaded_at", 0.0)),
        )
        reloads = CounterMetricFamily(
            "recommender_model_reloads", "Model reloads in the answering worker", labels=["outcome"]
        )
        reloads.add_metric(["loaded"], float(described.get("reloads", 0)))
        reloads.add_metric(["refused"], float(described.get("failed_reloads", 0)))
        yield reloads


def _timestamp(text: Any) -> float | None:
    try:
        return datetime.fromisoformat(str(text)).timestamp()
    except ValueError:
        return None
