"""Traceable answers, the control arm and POST /v1/events (issue 18): in-process on SQLite and on
a real PostgreSQL server, a store that is locked or missing, and `serve --workers 2` writing to
one SQLite file."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the service tests need the `serve` extra")

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from recommender import mine  # noqa: E402
from recommender.feedback import EventStore, assign_arm  # noqa: E402
from recommender.sample_shop import generate_sample_shop  # noqa: E402
from recommender.service import ServiceSettings, create_app  # noqa: E402


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    shop = generate_sample_shop(seed=7, n_customers=300)
    return mine(shop.orders, catalog=shop.catalog).save(tmp_path_factory.mktemp("model") / "shop.rcm")


def client_for(model, **settings):
    return TestClient(create_app(ServiceSettings(model_path=str(model), **settings), handle_sighup=False))


def sample_events(rid: str, n: int = 0) -> list[dict]:
    """One of each event shape, for session ``s{n}``."""
    session = f"s{n}"
    return [
        {"type": "impression", "session_id": session, "recommendation_id": rid, "items": ["TEA-BREAKFAST", "MUG"]},
        {"type": "click", "session_id": session, "item_id": "TEA-BREAKFAST", "recommendation_id": rid},
        {"type": "add_to_cart", "session_id": session, "item_id": "TEA-BREAKFAST", "recommendation_id": rid,
         "at": "2026-11-30T10:00:00+01:00"},
        {"type": "add_to_cart", "session_id": session, "item_id": "BREAD"},
        {"type": "purchase", "session_id": session, "order_id": f"o{n}",
         "items": [{"item_id": "TEA-BREAKFAST", "price": 4.5, "quantity": 2}, {"item_id": "BREAD", "price": 2.0,
                                                                              "quantity": 1}]},
    ]  # fmt: skip


# -- the arms ------------------------------------------------------------------------------


def test_arms_take_the_share_and_agree_across_processes():
    sessions = [f"session-{i}" for i in range(20_000)]
    arms = [assign_arm(s, share=0.2) for s in sessions]
    # 20,000 draws of p = 0.2: standard deviation 0.0028, so 0.2 +- 0.012 is over 4 of them.
    assert arms.count("control") / len(arms) == pytest.approx(0.2, abs=0.012)
    # Raising the share only moves sessions into control.
    wider = [assign_arm(s, share=0.3) for s in sessions]
    assert all(w == "control" for a, w in zip(arms, wider) if a == "control")
    # Another salt: another, independent control group (about 0.2 x 0.2 of sessions in both).
    other = [assign_arm(s, share=0.2, salt="winter-test") for s in sessions]
    both = sum(a == o == "control" for a, o in zip(arms, other)) / len(arms)
    assert both == pytest.approx(0.04, abs=0.01)
    # Another process with another hash seed (as another worker, or after a restart): the same arms.
    code = "from recommender.feedback import assign_arm; print(''.join(assign_arm(f'session-{i}', share=0.2)[0] " \
           "for i in range(20000)))"  # fmt: skip
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.strip() == "".join(a[0] for a in arms)


def test_bad_holdout_settings_are_refused_in_one_sentence(model):
    from recommender.exceptions import ConfigError

    with pytest.raises(ConfigError, match="holdout share must be at least 0 and below 1"):
        ServiceSettings(model_path=str(model), holdout_share=1.5)
    with pytest.raises(ConfigError, match="salt must be 1 to 64 bytes"):
        ServiceSettings(model_path=str(model), holdout_salt="")
    with pytest.raises(ConfigError, match="in-memory database"):
        create_app(ServiceSettings(model_path=str(model), events_url="sqlite://"))
    with pytest.raises(ConfigError, match="must be SQLite or PostgreSQL"):
        create_app(ServiceSettings(model_path=str(model), events_url="mysql://u@h/db"))


# -- traceable answers ---------------------------------------------------------------------


def test_every_answer_has_its_own_id_and_says_its_arm(model):
    with client_for(model, holdout_share=0.5) as client:
        answers = [
            client.post("/v1/recommendations", json={"cart": ["KET-BASIC"], "session_id": f"c{i}"}).json()
            for i in range(60)
        ]
        anonymous = client.post("/v1/recommendations", json={"cart": ["KET-BASIC"]}).json()
    assert len({a["recommendation_id"] for a in answers}) == 60
    for i, answer in enumerate(answers):
        assert answer["arm"] == assign_arm(f"c{i}", share=0.5)
        assert (answer["items"] == []) == (answer["arm"] == "control")
    assert {a["arm"] for a in answers} == {"treatment", "control"}
    assert anonymous["arm"] == "treatment" and len(anonymous["items"]) == 3  # no session: treated


def test_the_control_arm_may_get_popular_items_only(model):
    control = next(f"p{i}" for i in range(100) if assign_arm(f"p{i}", share=0.5) == "control")
    with client_for(model, holdout_share=0.5, control_suggestions="popular") as client:
        body = client.post("/v1/recommendations", json={"cart": ["KET-BASIC"], "session_id": control}).json()
    assert body["arm"] == "control" and len(body["items"]) == 3
    assert {item["kind"] for item in body["items"]} == {"popular"}
    assert "KET-BASIC" not in {item["item_id"] for item in body["items"]}


# -- POST /v1/events on SQLite --------------------------------------------------------------


def test_events_are_stored_with_their_arm_and_the_answers_served(model, tmp_path):
    url = f"sqlite:///{tmp_path / 'events.db'}"
    with client_for(model, events_url=url, holdout_share=0.5) as client:
        answer = client.post("/v1/recommendations", json={"cart": ["KET-BASIC"], "session_id": "s0"}).json()
        response = client.post("/v1/events", json={"events": sample_events(answer["recommendation_id"])})
        assert response.status_code == 202 and response.json() == {"accepted": 5}
        counts = client.get("/v1/model").json()["events"]
        assert counts["accepted"] == 5 and counts["refused"] == 0
    store = EventStore(url)
    rows = store.events()
    assert [r["type"] for r in rows] == ["impression", "click", "add_to_cart", "add_to_cart", "purchase"]
    assert {r["arm"] for r in rows} == {assign_arm("s0", share=0.5)}
    assert rows[0]["items"] == ["TEA-BREAKFAST", "MUG"]
    assert rows[2]["at"].isoformat() == "2026-11-30T09:00:00"  # stored in UTC
    assert rows[4]["items"][0] == {"item_id": "TEA-BREAKFAST", "price": 4.5, "quantity": 2}
    served = store.served()  # written by the log's thread, flushed when the app stopped
    assert [s["recommendation_id"] for s in served] == [answer["recommendation_id"]]
    # With each suggestion, the cart items its reason names: the rule's, or the one an upgrade replaces.
    assert served[0]["items"] == [
        {"item_id": i["item_id"], "kind": i["kind"], "because": i["reason"].get("because") or [i["reason"]["replaces"]]}
        for i in answer["items"]
    ]
    assert {tuple(i["because"]) for i in served[0]["items"]} == {("KET-BASIC",)}
    with sqlite3.connect(tmp_path / "events.db") as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_times_at_the_ends_of_the_calendar_are_stored_at_its_ends(model, tmp_path):
    """Valid ISO 8601 times whose zone takes them past the first or the last moment a datetime
    holds in UTC (found by the fuzz test below, which got a 503 for the first): taken, and
    stored as that first or last moment."""
    url = f"sqlite:///{tmp_path / 'events.db'}"
    events = [
        {"type": "click", "session_id": "s", "item_id": "A", "at": "0001-01-01T00:00:00+00:01"},
        {"type": "click", "session_id": "s", "item_id": "B", "at": "9999-12-31T23:59:00-00:02"},
    ]
    with client_for(model, events_url=url) as client:
        response = client.post("/v1/events", json={"events": events})
    assert response.status_code == 202 and response.json() == {"accepted": 2}
    stored = {row["item_id"]: row["at"] for row in EventStore(url).events()}
    assert stored == {"A": datetime.min, "B": datetime.max}


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"type": "purchase", "session_id": "s", "order_id": "o",
          "items": [{"item_id": "A", "price": -1, "quantity": 1}]}, ["events", 1, "purchase", "items", 0, "price"]),
        ({"type": "impression", "session_id": "s", "items": ["A"]}, ["events", 1, "impression", "recommendation_id"]),
        ({"type": "add_to_cart", "session_id": "s", "item_id": ""}, ["events", 1, "add_to_cart", "item_id"]),
        ({"type": "refund", "session_id": "s"}, ["events", 1]),
        ({"type": "click", "session_id": "s", "item_id": "A", "at": "yesterday"}, ["events", 1, "click", "at"]),
        ({"type": "click", "session_id": "s", "item_id": "A", "colour": "red"}, ["events", 1, "click", "colour"]),
        ({"type": "purchase", "session_id": "s", "order_id": "o", "items": []}, ["events", 1, "purchase", "items"]),
    ],
)  # fmt: skip
def test_a_bad_event_is_a_422_naming_its_field_and_nothing_is_stored(model, tmp_path, event, field):
    url = f"sqlite:///{tmp_path / 'events.db'}"
    good = {"type": "click", "session_id": "s", "item_id": "A"}
    with client_for(model, events_url=url) as client:
        response = client.post("/v1/events", json={"events": [good, event]})
    assert response.status_code == 422
    assert field in [d["loc"] for d in response.json()["detail"]]
    assert EventStore(url).events() == []  # all or none


def test_event_batches_are_capped(model, tmp_path):
    url = f"sqlite:///{tmp_path / 'events.db'}"
    click = {"type": "click", "session_id": "s", "item_id": "A"}
    with client_for(model, events_url=url, max_events=10, max_body_bytes=4096) as client:
        assert client.post("/v1/events", json={"events": [click] * 11}).status_code == 422
        assert client.post("/v1/events", json={"events": []}).status_code == 422
        too_long = {**click, "item_id": "x" * 5000}
        assert client.post("/v1/events", json={"events": [too_long]}).status_code == 413
        assert client.post("/v1/events", content=b"[", headers={"content-type": "application/json"}).status_code == 422
        assert client.post("/v1/events", json={"events": [click] * 10}).status_code == 202
    assert len(EventStore(url).events()) == 10


def test_no_events_route_without_a_store(model):
    with client_for(model) as client:
        assert client.post("/v1/events", json={"events": []}).status_code in (404, 405)
        assert "events" not in client.get("/v1/model").json()


# -- a store that fails ------------------------------------------------------------------------


def test_a_locked_store_gets_503_and_recommendations_go_on(model, tmp_path):
    path = tmp_path / "events.db"
    url = f"sqlite:///{path}"
    click = {"type": "click", "session_id": "s", "item_id": "A"}
    with client_for(model, events_url=url, events_timeout=0.3) as client:
        assert client.post("/v1/events", json={"events": [click]}).status_code == 202
        locker = sqlite3.connect(path, isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")  # another program holds the file's write lock
        try:
            refused = client.post("/v1/events", json={"events": [click, click]})
            assert refused.status_code == 503 and refused.headers["retry-after"] == "5"
            assert "Nothing was stored; send the events again" in refused.json()["detail"]
            assert client.post("/v1/recommendations", json={"cart": ["KET-BASIC"]}).status_code == 200
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        assert client.post("/v1/events", json={"events": [click] * 3}).status_code == 202  # retried: taken
        counts = client.get("/v1/model").json()["events"]
    assert (counts["accepted"], counts["refused"], counts["failures"]) == (4, 2, 1)
    assert len(EventStore(url).events()) == 4  # what was acknowledged, and nothing else


def test_a_missing_store_gets_503_until_it_is_there(model, tmp_path):
    folder = tmp_path / "not-yet"
    url = f"sqlite:///{folder / 'events.db'}"
    click = {"type": "click", "session_id": "s", "item_id": "A"}
    with client_for(model, events_url=url) as client:  # starts all the same
        assert client.post("/v1/recommendations", json={"cart": ["KET-BASIC"]}).status_code == 200
        assert client.post("/v1/events", json={"events": [click]}).status_code == 503
        folder.mkdir()
        assert client.post("/v1/events", json={"events": [click]}).status_code == 202  # tables made now
    assert len(EventStore(url).events()) == 1


def test_an_unreachable_postgresql_gets_503_and_recommendations_go_on(model):
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql://nobody:secret@127.0.0.1:{port}/shop"
    click = {"type": "click", "session_id": "s", "item_id": "A"}
    with client_for(model, events_url=url, events_timeout=1.0) as client:
        assert client.post("/v1/recommendations", json={"cart": ["KET-BASIC"]}).status_code == 200
        refused = client.post("/v1/events", json={"events": [click]})
        assert refused.status_code == 503
        assert "secret" not in refused.text  # the password is hidden from the message
        counts = client.get("/v1/model").json()["events"]
        assert counts["refused"] == 1 and counts["served_log"]["pending"] + counts["served_log"]["dropped"] == 1


# -- a real PostgreSQL server ---------------------------------------------------------------


@pytest.fixture
def postgres_db(postgres_url):
    """A fresh database on the test server, dropped afterwards."""
    name = f"events_{os.getpid()}_{threading.get_ident() % 10_000}"
    admin = create_engine(
        postgres_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    base, _, _ = postgres_url.rpartition("/")
    yield f"{base}/{name}"
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def test_events_on_postgresql(model, postgres_db):
    with client_for(model, events_url=postgres_db, holdout_share=0.5) as client:
        answers = [
            client.post("/v1/recommendations", json={"cart": ["KET-BASIC"], "session_id": f"s{n}"}).json()
            for n in range(20)
        ]
        for n, answer in enumerate(answers):
            response = client.post("/v1/events", json={"events": sample_events(answer["recommendation_id"], n)})
            assert response.status_code == 202 and response.json() == {"accepted": 5}
    store = EventStore(postgres_db)
    rows = store.events()
    assert len(rows) == 100
    assert {r["order_id"] for r in rows if r["type"] == "purchase"} == {f"o{n}" for n in range(20)}
    assert all(r["arm"] == assign_arm(r["session_id"], share=0.5) for r in rows)
    assert rows[2]["at"].isoformat() == "2026-11-30T09:00:00"
    assert {s["recommendation_id"] for s in store.served()} == {a["recommendation_id"] for a in answers}
    store.close()


def test_postgresql_connections_cut_under_the_service_cost_no_event(model, postgres_db):
    """The server drops every connection (a restart, a failover, an idle timeout): the pool's
    pre-ping notices, the next batch is stored on a fresh connection."""
    click = {"type": "click", "session_id": "s", "item_id": "A"}
    with client_for(model, events_url=postgres_db) as client:
        assert client.post("/v1/events", json={"events": [click]}).status_code == 202
        name = postgres_db.rpartition("/")[2]
        with EventStore(postgres_db).engine.connect() as connection:
            cut = connection.execute(
                text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                     "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name},
            ).scalar()  # fmt: skip
        assert cut >= 1  # the service's pooled connection
        assert client.post("/v1/events", json={"events": [click, click]}).status_code == 202
    assert len(EventStore(postgres_db).events()) == 3


# -- /metrics ------------------------------------------------------------------------------------


def metric(text: str, name: str) -> float:
    """The value of the sample ``name`` (with its labels) in Prometheus text."""
    values = [float(line.rpartition(" ")[2]) for line in text.splitlines() if line.startswith(name + " ")]
    assert len(values) == 1, (name, text)
    return values[0]


def scrape(server) -> str:
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request("GET", "/metrics")
        response = connection.getresponse()
        assert response.status == 200 and response.getheader("content-type").startswith("text/plain")
        return response.read().decode()
    finally:
        connection.close()


def test_metrics_count_requests_events_and_describe_the_model(model, tmp_path):
    url = f"sqlite:///{tmp_path / 'events.db'}"
    click = {"type": "click", "session_id": "s", "item_id": "A"}
    with client_for(model, events_url=url, events_timeout=0.3) as client:
        for _ in range(3):
            assert client.post("/v1/recommendations", json={"cart": ["KET-BASIC"]}).status_code == 200
        assert client.post("/v1/recommendations", json={"cart": 5}).status_code == 422
        assert client.get("/v1/bundles/KET-BASIC").status_code == 200
        assert client.get("/wp-admin/setup.php").status_code == 404
        assert client.post("/v1/events", json={"events": [click] * 4}).status_code == 202
        locker = sqlite3.connect(tmp_path / "events.db", isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")
        try:
            assert client.post("/v1/events", json={"events": [click] * 2}).status_code == 503
        finally:
            locker.execute("ROLLBACK")
            locker.close()
        text = client.get("/metrics").text
        model_id = client.get("/v1/model").json()["id"]
    assert metric(text, 'recommender_requests_total{route="/v1/recommendations",status="200"}') == 3
    assert metric(text, 'recommender_requests_total{route="/v1/recommendations",status="422"}') == 1
    assert metric(text, 'recommender_requests_total{route="/v1/bundles/{item_id}",status="200"}') == 1
    assert metric(text, 'recommender_requests_total{route="other",status="404"}') == 1  # no series per URL
    assert metric(text, 'recommender_request_seconds_count{route="/v1/recommendations"}') == 4
    assert metric(text, "recommender_events_accepted_total") == 4
    assert metric(text, "recommender_events_refused_total") == 2
    assert metric(text, f'recommender_model_info{{model_id="{model_id}"}}') == 1
    assert metric(text, "recommender_model_age_seconds") > 0
    assert metric(text, 'recommender_model_reloads_total{outcome="refused"}') == 0


# -- several workers, one SQLite file ----------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="telling the workers apart reads /proc")
def test_two_workers_lose_and_duplicate_no_event(model, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from .test_service_workers import Server

    url = f"sqlite:///{tmp_path / 'events.db'}"
    server = Server(model, "--workers", "2", "--events", url, "--holdout-share", "0.1", log=tmp_path / "serve.log")
    try:

        def post(n: int):
            events = [{"type": "add_to_cart", "session_id": f"s{n}", "item_id": f"item-{n}-{k}"} for k in range(3)]
            status, body, pid = server.request(
                "POST", "/v1/events", json.dumps({"events": events}), {"Content-Type": "application/json"}
            )
            return n, status, body, pid

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(post, range(300)))
        answers = [server.request("POST", "/v1/recommendations", json.dumps({"cart": ["KET-BASIC"]}))[1]
                   for _ in range(20)]  # fmt: skip
        scrapes = [scrape(server) for _ in range(10)]  # from either worker
    finally:
        server.stop()
    assert all(status == 202 and body == {"accepted": 3} for _, status, body, _ in results), results[:3]
    assert len({pid for *_, pid in results} - {None}) == 2  # both workers wrote
    rows = EventStore(url).events()
    assert sorted(r["item_id"] for r in rows) == sorted(f"item-{n}-{k}" for n in range(300) for k in range(3))
    # /metrics sums the workers' counters, whichever worker answers the scrape.
    assert {metric(text, "recommender_events_accepted_total") for text in scrapes} == {900.0}
    requests = 'recommender_requests_total{route="/v1/recommendations",status="200"}'
    assert {metric(text, requests) for text in scrapes} == {20.0}
    # Every answer was logged by the worker that gave it, before it stopped.
    assert {s["recommendation_id"] for s in EventStore(url).served()} == {a["recommendation_id"] for a in answers}


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_sigkill_during_an_event_load_loses_nothing_acknowledged(model, tmp_path, backend, request):
    import signal
    import time

    from .test_service_workers import Server

    url = f"sqlite:///{tmp_path / 'events.db'}" if backend == "sqlite" else request.getfixturevalue("postgres_db")
    server = Server(model, "--events", url, log=tmp_path / "serve.log")
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def load(client: int) -> None:
        n = 0
        while not stop.is_set():
            ids = [f"c{client}-{n}-{k}" for k in range(5)]
            n += 1
            body = json.dumps({"events": [{"type": "click", "session_id": "s", "item_id": i} for i in ids]})
            try:
                status, *_ = server.request("POST", "/v1/events", body, {"Content-Type": "application/json"})
            except OSError:  # the server is gone: this batch was not acknowledged
                return
            if status == 202:
                with lock:
                    acknowledged.extend(ids)

    threads = [threading.Thread(target=load, args=(c,)) for c in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 500 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.process.send_signal(signal.SIGKILL)  # no shutdown, no flush: whatever the disk holds
    server.process.wait()
    stop.set()
    for thread in threads:
        thread.join()
    assert len(acknowledged) >= 500
    restarted = Server(model, "--events", url, log=tmp_path / "restarted.log")
    try:
        status, *_ = restarted.request(
            "POST", "/v1/events", json.dumps({"events": [{"type": "click", "session_id": "s", "item_id": "after"}]}),
            {"Content-Type": "application/json"},
        )  # fmt: skip
        assert status == 202
    finally:
        restarted.stop()
    stored = [row["item_id"] for row in EventStore(url).events()]
    assert len(stored) == len(set(stored))  # nothing twice
    assert set(acknowledged) <= set(stored)  # every acknowledged event, after the kill and the restart
    # At most the batches in flight when the server died (4 clients, 5 events each) were stored
    # without an acknowledgement reaching their client.
    assert len(set(stored) - set(acknowledged) - {"after"}) <= 4 * 5


def test_fuzzed_events_never_get_a_5xx(model, tmp_path):
    """Bodies generated from the OpenAPI document, valid ones and invalid ones: a 202 or a 4xx,
    never a 5xx, and the store holds exactly the events acknowledged (an event id once)."""
    schemathesis = pytest.importorskip("schemathesis")
    from hypothesis import HealthCheck, given, settings
    from schemathesis import GenerationMode

    url = f"sqlite:///{tmp_path / 'events.db'}"
    app = create_app(ServiceSettings(model_path=str(model), events_url=url, max_events=20), handle_sighup=False)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    statuses: dict[str, list[int]] = {"positive": [], "negative": []}
    accepted = 0
    anonymous: list[dict] = []
    ids: set[str] = set()
    operation = next(op.ok() for op in schema.get_all_operations() if op.ok().path == "/v1/events")
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        seen = statuses[mode.value]

        @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy(mode))
        def probe(case):
            nonlocal accepted
            response = case.call()
            seen.append(response.status_code)  # noqa: B023 - probe runs within this iteration
            assert response.status_code < 500, (case.body, response.text[:300])
            if response.status_code == 202:
                accepted += response.json()["accepted"]
                for event in case.body["events"]:  # an event id sent again is stored once
                    if event.get("event_id") is None:
                        anonymous.append(event)
                    else:
                        ids.add(event["event_id"])

        probe()
    assert set(statuses["positive"]) == {202}  # whatever the document calls valid is taken
    assert {s // 100 for s in statuses["negative"]} <= {2, 4} and 422 in statuses["negative"]
    stored = EventStore(url).events()
    assert len(stored) == len(anonymous) + len(ids) <= accepted
    assert {row["event_id"] for row in stored} - {None} == ids
