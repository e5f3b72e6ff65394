"""Event ids (issue 18): a batch sent again after its 202 was lost is stored once, on SQLite and
on a real PostgreSQL server; events without ids are stored as sent; stores made before event
ids get the column when the service opens them."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

pytest.importorskip("fastapi", reason="the service tests need the `serve` extra")

from recommender.feedback import Event, EventStore  # noqa: E402

from .test_events import client_for, model, postgres_db  # noqa: E402, F401 - fixtures shared with test_events


def batch(prefix: str) -> list[dict]:
    return [
        {"type": "impression", "session_id": "s1", "recommendation_id": "r1", "items": ["TEA", "MUG"],
         "event_id": f"{prefix}-1"},
        {"type": "add_to_cart", "session_id": "s1", "item_id": "TEA", "recommendation_id": "r1",
         "event_id": f"{prefix}-2"},
        {"type": "purchase", "session_id": "s1", "order_id": "o1",
         "items": [{"item_id": "TEA", "price": 4.5, "quantity": 1}], "event_id": f"{prefix}-3"},
        {"type": "click", "session_id": "s1", "item_id": "MUG"},  # no id: stored each time it is sent
    ]  # fmt: skip


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_retried_batch_is_stored_once(model, tmp_path, backend, request):  # noqa: F811
    url = f"sqlite:///{tmp_path / 'events.db'}" if backend == "sqlite" else request.getfixturevalue("postgres_db")
    with client_for(model, events_url=url) as client:
        first = client.post("/v1/events", json={"events": batch("a")})
        again = client.post("/v1/events", json={"events": batch("a")})  # the shop never saw the first 202
        # Within one batch too, and mixed with new events: only what is new is added.
        mixed = client.post("/v1/events", json={"events": [*batch("a")[:2], batch("b")[0], batch("b")[0]]})
    assert [r.status_code for r in (first, again, mixed)] == [202, 202, 202]
    assert again.json() == {"accepted": 4}  # every event of the batch is durable: the retry may stop
    rows = EventStore(url).events()
    assert [(r["event_id"], r["type"]) for r in rows] == [
        ("a-1", "impression"), ("a-2", "add_to_cart"), ("a-3", "purchase"), (None, "click"),
        (None, "click"), ("b-1", "impression"),
    ]  # fmt: skip


def test_event_ids_are_checked(model, tmp_path):  # noqa: F811
    url = f"sqlite:///{tmp_path / 'events.db'}"
    click = {"type": "click", "session_id": "s", "item_id": "A"}
    with client_for(model, events_url=url) as client:
        for bad in ("", "x" * 129, 7):
            response = client.post("/v1/events", json={"events": [{**click, "event_id": bad}]})
            assert response.status_code == 422
            assert ["events", 0, "click", "event_id"] in [d["loc"] for d in response.json()["detail"]]
    assert EventStore(url).events() == []


def test_a_store_made_before_event_ids_gets_the_column(tmp_path):
    path = tmp_path / "events.db"
    with sqlite3.connect(path) as connection:  # the table as the first version made it
        connection.execute(
            "CREATE TABLE recommender_events (id INTEGER NOT NULL PRIMARY KEY, type VARCHAR(16) NOT NULL, "
            "at DATETIME NOT NULL, received_at DATETIME NOT NULL, session_id VARCHAR(128) NOT NULL, "
            "arm VARCHAR(16) NOT NULL, recommendation_id VARCHAR(64), item_id VARCHAR(128), order_id VARCHAR(128), "
            "items JSON NOT NULL)"
        )
        connection.execute(
            "INSERT INTO recommender_events (type, at, received_at, session_id, arm, item_id, items) "
            "VALUES ('click', '2026-11-01 10:00:00', '2026-11-01 10:00:01', 's', 'treatment', 'OLD', '[]')"
        )
    store = EventStore(f"sqlite:///{path}")
    now = datetime(2026, 11, 30, tzinfo=UTC)
    new = Event(type="click", session_id="s", item_id="NEW", at=now, event_id="e1")
    assert store.append([new]) == 1 and store.append([new]) == 1
    assert [(r["item_id"], r["event_id"]) for r in store.events()] == [("OLD", None), ("NEW", "e1")]
