"""The HTTP service in-process: every route, every error path, reloads under load, and a fuzz
test generated from its own OpenAPI document."""

from __future__ import annotations

import gc
import json
import shutil
import threading
import weakref

import pytest

pytest.importorskip("fastapi", reason="the service tests need the `serve` extra")

from fastapi.testclient import TestClient  # noqa: E402

from recommender import mine  # noqa: E402
from recommender.sample_shop import generate_sample_shop  # noqa: E402
from recommender.service import ServiceSettings, create_app  # noqa: E402

TOKEN = "t" * 24


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """Two different models of the sample shop (seeds 7 and 8), saved once."""
    folder = tmp_path_factory.mktemp("models")
    paths = []
    for seed in (7, 8):
        shop = generate_sample_shop(seed=seed, n_customers=400)
        paths.append(mine(shop.orders, catalog=shop.catalog).save(folder / f"seed{seed}.rcm"))
    return paths


@pytest.fixture
def live(models, tmp_path):
    """A served copy of the first model, which tests may overwrite to reload."""
    path = tmp_path / "live.rcm"
    shutil.copy(models[0], path)
    return path


def client_for(path, **settings):
    return TestClient(create_app(ServiceSettings(model_path=str(path), **settings), handle_sighup=False))


def test_recommendations_shape_and_semantics(live):
    from recommender.service.schemas import RecommendationResponse

    with client_for(live) as client:
        response = client.post("/v1/recommendations", json={"cart": ["KET-BASIC", "nope"], "limit": 2})
        assert response.status_code == 200
        body = response.json()
        RecommendationResponse.model_validate(body)  # the documented shape, strictly
        assert set(body) == {"model", "items", "unknown_items", "fallback", "recommendation_id", "arm"}
        assert set(body["model"]) == {"id", "created_at"}
        assert body["unknown_items"] == ["nope"] and len(body["items"]) == 2
        first = next(item for item in body["items"] if item["kind"] == "cross_sell")
        assert first["item_id"] == "TEA-BREAKFAST"  # the planted complement of the kettle
        assert first["reason"]["because"] == ["KET-BASIC"] and first["reason"]["baskets"] > 0
        assert {"confidence", "lift", "text"} <= set(first["reason"])
        empty = client.post("/v1/recommendations", json={}).json()
        assert empty["fallback"] == "popular" and len(empty["items"]) == 3
        for cart in (["PHONE-STD", "KET-BASIC"], ["COF-ESPRESSO-BASIC"], ["nope"]):
            for objective in ("confidence", "revenue"):
                answer = client.post("/v1/recommendations", json={"cart": cart, "objective": objective, "limit": 5})
                RecommendationResponse.model_validate(answer.json())


def test_a_trace_is_returned_when_asked_and_equals_the_recommenders(live):
    from recommender import Recommender
    from recommender.service.schemas import RecommendationResponse

    request = {"cart": ["KET-BASIC", "TEA-GREEN"], "limit": 3, "exclude": ["MUG-CLASSIC"], "trace": True}
    with client_for(live) as client:
        body = client.post("/v1/recommendations", json=request).json()
        plain = client.post("/v1/recommendations", json={**request, "trace": False}).json()
    RecommendationResponse.model_validate(body)
    assert "trace" not in plain and plain["items"] == body["items"]
    rec = Recommender.load(live)
    expected = rec.recommend(["KET-BASIC", "TEA-GREEN"], limit=3, exclude=["MUG-CLASSIC"], trace=True)
    assert body["trace"] == json.loads(json.dumps([line.to_dict() for line in expected.trace]))
    shown = [(line["item_id"], line["position"]) for line in body["trace"] if line["status"] == "shown"]
    assert shown == [(item["item_id"], at) for at, item in enumerate(body["items"], start=1)]
    assert {"MUG-CLASSIC": "excluded"}.items() <= {line["item_id"]: line["status"] for line in body["trace"]}.items()


def test_bundles_model_health(live):
    with client_for(live) as client:
        bundle = client.get("/v1/bundles/COF-DRIPPER").json()
        assert [i["item_id"] for i in bundle["items"]][:2] == ["COF-DRIPPER", "COF-FILTERS"]
        assert bundle["bundle_price"] == pytest.approx(round(bundle["total_price"] * 0.9, 2))
        assert client.get("/v1/bundles/nope").json()["items"] == []
        info = client.get("/v1/model").json()
        assert info["rules"] > 0 and info["thresholds"]["max_len"] == 3 and info["reloads"] == 0
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/readyz").json() == {"status": "ready"}


def test_request_ids_are_echoed_or_made(live):
    with client_for(live) as client:
        assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"] == "abc-123"
        made = client.get("/healthz").headers["x-request-id"]
        assert len(made) == 32 and made != client.get("/healthz").headers["x-request-id"]


@pytest.mark.parametrize(
    "body, status",
    [
        ({"cart": "KET-BASIC"}, 422),
        ({"cart": ["a"] * 6}, 422),  # over max_cart_items (5 here)
        ({"cart": [""]}, 422),
        ({"cart": ["x" * 129]}, 422),
        ({"cart": [], "limit": 0}, 422),
        ({"cart": [], "limit": 51}, 422),
        ({"cart": [], "limit": "three"}, 422),
        ({"cart": [], "cart_total": -1}, 422),
        ({"cart": [], "kinds": ["bundle"]}, 422),
        ({"cart": [], "kinds": []}, 422),
        ({"cart": [], "objective": "profit"}, 422),
        ({"cart": [], "colour": "red"}, 422),
        ([1, 2], 422),
    ],
)
def test_bad_requests_get_a_4xx_with_a_reason(live, body, status):
    with client_for(live, max_cart_items=5) as client:
        response = client.post("/v1/recommendations", json=body)
        assert response.status_code == status
        assert response.json()["detail"]


def test_malformed_and_oversized_bodies(live):
    with client_for(live, max_body_bytes=1000) as client:
        assert client.post("/v1/recommendations", content=b"{nope").status_code == 422
        assert client.post("/v1/recommendations", content=b'{"cart_total": NaN}',
                           headers={"content-type": "application/json"}).status_code == 422  # fmt: skip
        big = json.dumps({"cart": ["x"] * 400}).encode()
        response = client.post("/v1/recommendations", content=big, headers={"content-type": "application/json"})
        assert response.status_code == 413 and "1000 bytes" in response.json()["detail"]

        def chunks():  # no Content-Length: counted as it streams
            for _ in range(20):
                yield b" " * 100

        assert client.post("/v1/recommendations", content=chunks()).status_code == 413
        assert client.get("/v1/nowhere").status_code == 404
        assert client.get("/v1/recommendations").status_code == 405


def test_admin_reload_is_off_without_a_token(live):
    with client_for(live) as client:
        assert client.post("/v1/admin/reload", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 404


def test_reload_good_truncated_corrupt_and_missing(live, models):
    with client_for(live, admin_token=TOKEN) as client:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        first = client.get("/v1/model").json()["id"]
        assert client.post("/v1/admin/reload").status_code == 401
        assert client.post("/v1/admin/reload", headers={"Authorization": "Bearer wrong"}).status_code == 401

        shutil.copy(models[1], live)
        reloaded = client.post("/v1/admin/reload", headers=auth)
        assert reloaded.status_code == 200
        second = reloaded.json()["id"]
        assert second != first and client.get("/v1/model").json()["reloads"] == 1

        raw = models[0].read_bytes()
        for damaged in (raw[: len(raw) // 2], raw[:-1] + bytes([raw[-1] ^ 0xFF]), b"not a model\n"):
            live.write_bytes(damaged)
            refused = client.post("/v1/admin/reload", headers=auth)
            assert refused.status_code == 409 and "old model keeps serving" in refused.json()["detail"]
            assert client.get("/v1/model").json()["id"] == second
            assert client.post("/v1/recommendations", json={"cart": ["KET-BASIC"]}).status_code == 200
        live.unlink()
        assert client.post("/v1/admin/reload", headers=auth).status_code == 409
        assert client.get("/v1/model").json()["failed_reloads"] == 4


def test_the_admin_token_needs_the_bearer_scheme(live):
    with client_for(live, admin_token=TOKEN) as client:
        for refused in (TOKEN, f"Basic {TOKEN}", f"Bearer{TOKEN}", f"Token {TOKEN}", "Bearer ", ""):
            assert client.post("/v1/admin/reload", headers={"Authorization": refused}).status_code == 401, refused
        for accepted in (f"Bearer {TOKEN}", f"bearer {TOKEN}", f"  Bearer {TOKEN} "):
            assert client.post("/v1/admin/reload", headers={"Authorization": accepted}).status_code == 200, accepted


def test_a_body_sent_as_another_type_than_json_gets_415(live):
    body = json.dumps({"cart": ["KET-BASIC"]})
    with client_for(live) as client:
        for media_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
            response = client.post("/v1/recommendations", content=body, headers={"content-type": media_type})
            assert response.status_code == 415 and "application/json" in response.json()["detail"], media_type
        for media_type in ("application/json", "application/json; charset=utf-8", "application/merge-patch+json"):
            response = client.post("/v1/recommendations", content=body, headers={"content-type": media_type})
            assert response.status_code == 200, media_type
        assert client.post("/v1/recommendations", content=body).status_code == 200  # no type: read as JSON


def test_any_failure_during_a_reload_is_a_refused_reload(live, models, monkeypatch):
    """Whatever a load raises (the loader's own checks aside), the reload is refused and
    counted, the old model serves, and the SIGHUP path lets nothing escape into a future."""
    from recommender.ranking import Recommender
    from recommender.service.app import _reload_quietly

    with client_for(live, admin_token=TOKEN) as client:
        holder = client.app.state.holder
        first = client.get("/v1/model").json()["id"]
        shutil.copy(models[1], live)
        for error in (ZeroDivisionError("division by zero"), RecursionError("too deep"), TypeError("a dict")):

            def broken(*args, error=error, **kwargs):
                raise error

            monkeypatch.setattr(Recommender, "load", broken)
            refused = client.post("/v1/admin/reload", headers={"Authorization": f"Bearer {TOKEN}"})
            assert refused.status_code == 409 and str(error) in refused.json()["detail"]
            _reload_quietly(holder)
        monkeypatch.undo()
        answer = client.get("/v1/model").json()
        assert answer["id"] == first and answer["failed_reloads"] == 6 and answer["reloads"] == 0


def test_a_served_model_is_out_of_the_collectors_way_and_a_replaced_one_is_freed(live, models):
    """The live model's objects are frozen (a full collection does not walk them), and a
    replaced model is freed, not kept frozen."""
    with client_for(live, admin_token=TOKEN) as client:
        holder = client.app.state.holder
        first = holder.current
        index = first.rules  # objects with a __dict__: always tracked, walked unless frozen
        assert gc.is_tracked(first) and gc.is_tracked(index)
        assert all(tracked is not first and tracked is not index for tracked in gc.get_objects())
        replaced = weakref.ref(first)
        del first, index

        shutil.copy(models[1], live)
        assert client.post("/v1/admin/reload", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        assert replaced() is None
        fresh = holder.current.rules
        assert all(tracked is not fresh for tracked in gc.get_objects())


def test_requests_in_flight_survive_reloads(live, models):
    """Requests hammer the service while it reloads good and bad files: all answered, 200."""
    with client_for(live, admin_token=TOKEN) as client:
        ids = {client.get("/v1/model").json()["id"]}
        statuses: list[int] = []
        seen: set[str] = set()
        stop = threading.Event()

        def shop() -> None:
            while not stop.is_set():
                response = client.post("/v1/recommendations", json={"cart": ["KET-BASIC", "PHONE-STD"]})
                statuses.append(response.status_code)
                seen.add(response.json()["model"]["id"])

        workers = [threading.Thread(target=shop) for _ in range(4)]
        for worker in workers:
            worker.start()
        auth = {"Authorization": f"Bearer {TOKEN}"}
        for round_ in range(6):
            source = models[round_ % 2]
            live.write_bytes(source.read_bytes() if round_ != 3 else b"truncated")
            status = client.post("/v1/admin/reload", headers=auth).status_code
            assert status == (409 if round_ == 3 else 200)
            ids.add(client.get("/v1/model").json()["id"])
        stop.set()
        for worker in workers:
            worker.join()
        assert statuses and set(statuses) == {200}
        assert seen <= ids and len(ids) == 2


def test_openapi_describes_the_routes(live):
    with client_for(live, admin_token=TOKEN) as client:
        document = client.get("/openapi.json").json()
        assert {"/v1/recommendations", "/v1/bundles/{item_id}", "/v1/model", "/healthz", "/readyz",
                "/v1/admin/reload"} <= set(document["paths"])  # fmt: skip
        request = document["components"]["schemas"]["RecommendationRequest"]["properties"]
        assert request["cart"]["maxItems"] == 100 and request["limit"]["maximum"] == 50


def test_fuzz_from_the_openapi_document_finds_no_5xx(live):
    schemathesis = pytest.importorskip("schemathesis")
    from hypothesis import HealthCheck, given, settings

    app = create_app(ServiceSettings(model_path=str(live), admin_token=TOKEN), handle_sighup=False)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures = []
    calls = []
    for operation in schema.get_all_operations():
        operation = operation.ok()

        @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def probe(case):
            response = case.call()
            calls.append(response.status_code)
            if response.status_code >= 500:
                failures.append((case.method, case.path, response.status_code, response.text[:200]))

        probe()
    assert failures == []
    assert len(calls) >= 150 and 200 in calls and any(400 <= status < 500 for status in calls)


def test_the_shared_model_of_the_workers(models, tmp_path):
    """SharedModel, what `serve --workers N` keeps: a checked copy per generation; the same bytes
    again change nothing; a bad file changes nothing and leaves nothing behind."""
    from recommender import RankingConfig
    from recommender.exceptions import ArtifactError
    from recommender.service.shared import SharedModel

    live = tmp_path / "live.rcm"
    shutil.copy(models[0], live)
    shared = SharedModel.create(str(live), RankingConfig())
    try:
        model, generation = shared.read(RankingConfig())
        assert generation == 1 and shared.model(1).read_bytes() == models[0].read_bytes()
        assert shared.promote(str(live), RankingConfig()) is None  # the same bytes: nothing to do

        live.write_bytes(models[1].read_bytes()[:300])
        with pytest.raises(ArtifactError):
            shared.promote(str(live), RankingConfig())
        live.unlink()
        with pytest.raises(ArtifactError, match="cannot copy"):
            shared.promote(str(live), RankingConfig())
        assert shared.generation()[0] == 1 and sorted(p.name for p in shared.folder.glob("*.rcm")) == ["model-1.rcm"]

        shutil.copy(models[1], live)
        fresh, generation = shared.promote(str(live), RankingConfig())
        assert generation == 2 and shared.read(RankingConfig())[0].model_info == fresh.model_info
        assert sorted(p.name for p in shared.folder.glob("*.rcm")) == ["model-2.rcm"]  # the old copy is gone
        assert model.model_info != fresh.model_info
    finally:
        shared.remove()
    assert not shared.folder.exists()


def test_a_reload_that_cannot_write_its_copy_is_refused(models, tmp_path):
    """A full disk, for real: the copy is written in a process whose files may not grow past
    1,000 bytes (RLIMIT_FSIZE, the write fails with EFBIG as on a full disk with ENOSPC)."""
    pytest.importorskip("resource")  # POSIX
    import subprocess
    import sys

    from recommender import RankingConfig
    from recommender.service.shared import SharedModel

    live = tmp_path / "live.rcm"
    shutil.copy(models[0], live)
    shared = SharedModel.create(str(live), RankingConfig())
    shutil.copy(models[1], live)
    code = f"""
import resource, signal
from recommender import RankingConfig
from recommender.exceptions import ArtifactError
from recommender.service.shared import SharedModel
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))
try:
    SharedModel({str(shared.folder)!r}).promote({str(live)!r}, RankingConfig())
except ArtifactError as error:
    print(error)
"""
    try:
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0 and "cannot copy" in result.stdout and "File too large" in result.stdout, result
        assert shared.generation()[0] == 1
        assert sorted(p.name for p in shared.folder.iterdir()) == ["generation", "lock", "model-1.rcm", "workers"]
    finally:
        shared.remove()
