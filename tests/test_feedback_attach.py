"""Attach counts per (cart item, suggested item) from a real service's log and events (issue 18:
what `mine --feedback` learns from)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

pytest.importorskip("fastapi", reason="the service tests need the `serve` extra")

from recommender.feedback import Event, EventStore, Served, attach_counts  # noqa: E402

from .test_events import client_for, model  # noqa: E402, F401 - the module's model fixture


def test_attach_counts_pair_each_cart_item_with_each_suggestion_shown(model, tmp_path):  # noqa: F811
    url = f"sqlite:///{tmp_path / 'events.db'}"
    with client_for(model, events_url=url) as client:
        answer = client.post("/v1/recommendations", json={"cart": ["KET-BASIC", "MUG", "MUG"], "session_id": "s1",
                                                          "limit": 2}).json()  # fmt: skip
        shown = [item["item_id"] for item in answer["items"]]
        assert len(shown) == 2
        rid = answer["recommendation_id"]
        impression = {"type": "impression", "session_id": "s1", "recommendation_id": rid, "items": shown}
        events = [
            impression,
            impression,  # sent twice: one impression
            {"type": "add_to_cart", "session_id": "s1", "item_id": shown[0], "recommendation_id": rid},
            {"type": "add_to_cart", "session_id": "s1", "item_id": shown[0], "recommendation_id": rid},  # again
            {"type": "add_to_cart", "session_id": "s1", "item_id": "BREAD", "recommendation_id": rid},  # not shown
            {"type": "impression", "session_id": "s2", "recommendation_id": "never-served", "items": ["TEA"]},
        ]
        assert client.post("/v1/events", json={"events": events}).status_code == 202
    counts = attach_counts(url)
    expected = {("KET-BASIC", shown[0], 1, 1), ("KET-BASIC", shown[1], 1, 0), ("MUG", shown[0], 1, 1),
                ("MUG", shown[1], 1, 0)}  # fmt: skip
    assert set(counts.pairs) == expected and len(counts.pairs) == 4
    assert counts.unpaired == 1  # the impression of an answer the log does not hold


def test_answers_logged_before_carts_were_count_as_unpaired(tmp_path):
    path = tmp_path / "events.db"
    with sqlite3.connect(path) as connection:  # the served table as the first version made it
        connection.execute(
            "CREATE TABLE recommender_served (recommendation_id VARCHAR(64) NOT NULL PRIMARY KEY, at DATETIME NOT "
            "NULL, session_id VARCHAR(128), arm VARCHAR(16) NOT NULL, model_id VARCHAR(128) NOT NULL, items JSON "
            "NOT NULL)"
        )
        connection.execute(
            "INSERT INTO recommender_served VALUES ('old', '2026-11-01 10:00:00', 's', 'treatment', 'm', "
            '\'[{"item_id": "CUP", "kind": "cross_sell"}]\')'
        )
    store = EventStore(f"sqlite:///{path}")  # adds the cart column
    now = datetime(2026, 11, 30, tzinfo=UTC)
    store.append_served([Served(recommendation_id="new", at=now, session_id="s", arm="treatment", model_id="m",
                                items=(("CUP", "cross_sell"),), cart=("TEA",))])  # fmt: skip
    store.append([Event(type="impression", session_id="s", recommendation_id=r, items=("CUP",), at=now)
                  for r in ("old", "new")])  # fmt: skip
    assert [(row["recommendation_id"], row["cart"]) for row in store.served()] == [("new", ["TEA"]), ("old", None)]
    counts = attach_counts(store)
    assert counts.pairs == (("TEA", "CUP", 1, 0),) and counts.unpaired == 1


def test_an_attach_count_above_its_impressions_is_refused():
    from recommender.feedback import AttachCounts

    with pytest.raises(ValueError, match="between 0 and its 1 impressions, got 2"):
        AttachCounts(pairs=(("TEA", "CUP", 1, 2),), unpaired=0)
