"""`recommender serve --workers 2` as real processes: the admin reload reaches every worker, a
bad file cannot turn a worker's death into an outage, SIGHUP stops no worker, and connections
that send nothing are closed (issue 17)."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("httpx", reason="the server tests need the `serve` and `test` extras")
pytest.importorskip("uvicorn")

from recommender import mine  # noqa: E402
from recommender.sample_shop import generate_sample_shop  # noqa: E402

from .test_server import free_port, worker_pid  # noqa: E402

TOKEN = "w" * 24
AUTH = {"Authorization": f"Bearer {TOKEN}"}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="telling the workers apart reads /proc"),
]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """Two different models of the sample shop (seeds 7 and 8), and their ids."""
    folder = tmp_path_factory.mktemp("models")
    paths = []
    for seed in (7, 8):
        shop = generate_sample_shop(seed=seed, n_customers=300)
        paths.append(mine(shop.orders, catalog=shop.catalog).save(folder / f"seed{seed}.rcm"))
    return paths


class Server:
    """`recommender serve MODEL ...` in its own process group, its log in a file."""

    def __init__(self, model: Path, *options: str, log: Path) -> None:
        self.port = free_port()
        self.log = log
        with log.open("w") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "recommender.cli", "serve", str(model), "--port", str(self.port), *options],
                stdout=sink, stderr=subprocess.STDOUT, env={**os.environ, "RECOMMENDER_ADMIN_TOKEN": TOKEN},
            )  # fmt: skip
        self.wait(lambda: self.get("/readyz")[0] == 200, "the server to be ready")

    def request(self, method: str, path: str, body: str | None = None, headers: dict | None = None):
        """(status, parsed JSON, worker pid) over a fresh connection: each may reach either worker."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body, headers or {})
            local = connection.sock.getsockname()[1]
            response = connection.getresponse()
            status, payload = response.status, response.read()
            pid = worker_pid(self.port, local, self.process.pid)
        finally:
            connection.close()
        try:
            return status, json.loads(payload), pid
        except ValueError:  # uvicorn's own answers (503) are text
            return status, payload.decode(errors="replace"), pid

    def get(self, path: str):
        try:
            return self.request("GET", path)
        except OSError:
            return 0, None, None

    def wait(self, check, what: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the server ended ({self.process.returncode}):\n{self.text()[-3000:]}")
            if check():
                return
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}:\n{self.text()[-3000:]}")

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def model_ids(self, n: int) -> tuple[list[str], set[int]]:
        """The model id of at least ``n`` answers of GET /v1/model, asked until both workers have
        answered (or 400 times), and the workers that gave them."""
        ids, pids = [], set()
        while len(ids) < n or (len(pids - {None}) < 2 and len(ids) < 400):
            status, answer, pid = self.request("GET", "/v1/model")
            assert status == 200, answer
            ids.append(answer["id"])
            pids.add(pid)
        return ids, pids

    def workers(self) -> set[int]:
        """The worker processes' ids (the parent's children that answer requests)."""
        pids: set[int] = set()
        for _ in range(200):
            pids.add(self.request("GET", "/healthz")[2])
            if len(pids - {None}) == 2:
                break
        return pids - {None}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def serve(tmp_path):
    started: list[Server] = []

    def start(model: Path, *options: str) -> Server:
        started.append(Server(model, *options, log=tmp_path / f"server{len(started)}.log"))
        return started[-1]

    yield start
    for server in started:
        server.stop()


def model_id(path: Path) -> str:
    from recommender.ranking import Recommender

    return str(Recommender.load(path).model_info["id"])


def test_the_admin_reload_reaches_every_worker(models, tmp_path, serve):
    live = tmp_path / "live.rcm"
    shutil.copy(models[0], live)
    server = serve(live, "--workers", "2")
    old, new = model_id(models[0]), model_id(models[1])
    ids, pids = server.model_ids(10)
    assert set(ids) == {old}

    shutil.copy(models[1], live)  # overwritten in place, as an operator's `cp` does
    status, answer, _ = server.request("POST", "/v1/admin/reload", headers=AUTH)
    assert status == 200 and answer["id"] == new, answer
    ids, pids = server.model_ids(40)
    assert ids == [new] * len(ids), f"{ids.count(old)} of {len(ids)} answers still show the old model"
    assert len(pids) == 2, f"only worker {pids} answered"

    # A refused file (409) changes no worker.
    live.write_bytes(models[0].read_bytes()[:500])
    status, answer, _ = server.request("POST", "/v1/admin/reload", headers=AUTH)
    assert status == 409 and "old model keeps serving" in answer["detail"], answer
    assert set(server.model_ids(20)[0]) == {new}
    assert "Traceback" not in server.text()


def test_a_bad_file_and_dead_workers_cause_no_outage(models, tmp_path, serve):
    live = tmp_path / "live.rcm"
    shutil.copy(models[0], live)
    server = serve(live, "--workers", "2")
    good = model_id(models[0])
    first = server.workers()
    assert len(first) == 2

    live.write_bytes(models[0].read_bytes()[:1000])  # truncated, put in place
    server.process.send_signal(signal.SIGHUP)
    server.wait(lambda: "refused" in server.text(), "the SIGHUP reload to be refused")
    assert set(server.model_ids(10)[0]) == {good}

    # A worker dies; its replacement cannot load the file on disk, and serves the model the
    # service had all the same. Then the other one dies too.
    for dead, victim in enumerate(sorted(first), start=1):
        os.kill(victim, signal.SIGKILL)
        server.wait(lambda: len(server.workers() - first) >= dead, "a new worker")  # noqa: B023
    replaced = server.workers()
    assert not replaced & first and len(replaced) == 2
    ids, pids = server.model_ids(20)
    assert set(ids) == {good} and pids == replaced
    assert server.get("/healthz")[0] == 200
    time.sleep(2)  # no crash loop: the same two workers serve a while later
    assert server.workers() == replaced
    assert server.text().count("Started server process") == 4, server.text()[-3000:]

    # A good file and SIGHUP: both workers follow, with no worker restarted.
    shutil.copy(models[1], live)
    server.process.send_signal(signal.SIGHUP)
    new = model_id(models[1])
    server.wait(lambda: set(server.model_ids(10)[0]) == {new}, "both workers to serve the new model")
    assert server.workers() == replaced


def test_sighup_with_workers_loses_no_request(models, tmp_path, serve):
    """SIGHUP used to make uvicorn replace every worker (connections closed under the clients);
    now each worker loads the new model in place, and no request fails."""
    live = tmp_path / "live.rcm"
    shutil.copy(models[0], live)
    server = serve(live, "--workers", "2", "--log-level", "warning")
    before = server.workers()
    errors: list[str] = []
    answered = [0]
    stop = threading.Event()

    def load() -> None:  # keep-alive connections, as a checkout backend's pool
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        body = json.dumps({"cart": ["KET-BASIC"], "limit": 3})
        while not stop.is_set():
            try:
                connection.request("POST", "/v1/recommendations", body, {"Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    errors.append(f"status {response.status}")
                answered[0] += 1
            except (OSError, http.client.HTTPException) as error:
                errors.append(repr(error))
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        connection.close()

    threads = [threading.Thread(target=load) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        for model in (models[1], models[0], models[1]):
            time.sleep(0.5)
            shutil.copy(model, live)
            server.process.send_signal(signal.SIGHUP)
            expected = model_id(model)
            server.wait(lambda: set(server.model_ids(6)[0]) == {expected}, "the reload")  # noqa: B023
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert answered[0] > 100 and errors == [], errors[:5]
    assert server.workers() == before


def test_idle_and_slow_connections_are_closed(models, tmp_path, serve):
    server = serve(
        models[0], "--header-timeout", "1", "--keep-alive-timeout", "1", "--limit-concurrency", "3",
        "--log-level", "warning",
    )  # fmt: skip

    def closed_after(sock: socket.socket) -> float:
        started = time.monotonic()
        sock.settimeout(10)
        try:
            while sock.recv(4096):
                pass
        except ConnectionResetError:
            pass
        return time.monotonic() - started

    # A connection that never sends a byte.
    with socket.create_connection(("127.0.0.1", server.port)) as idle:
        assert closed_after(idle) < 5
    # One that sends its headers a byte at a time, never finishing.
    with socket.create_connection(("127.0.0.1", server.port)) as slow:
        started = time.monotonic()
        try:
            for byte in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100:
                slow.sendall(bytes([byte]))
                time.sleep(0.1)
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert time.monotonic() - started < 6
        assert closed_after(slow) < 5
    # One left idle after an answer (keep-alive).
    with socket.create_connection(("127.0.0.1", server.port)) as kept:
        kept.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b"200 OK" in kept.recv(4096)
        assert closed_after(kept) < 5
    # Headers past the cap are refused.
    with socket.create_connection(("127.0.0.1", server.port)) as big:
        try:
            big.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        big.settimeout(10)
        try:
            reply = big.recv(4096)
        except ConnectionResetError:
            reply = b""
        assert reply == b"" or reply.startswith(b"HTTP/1.1 431"), reply[:100]
    # Past the concurrency limit, a request gets a 503 at once; once the idle ones are closed, a 200.
    idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(3)]
    try:
        time.sleep(0.2)
        assert server.get("/healthz")[0] == 503
        assert all(closed_after(sock) < 5 for sock in idle)
    finally:
        for sock in idle:
            sock.close()
    assert server.get("/healthz")[0] == 200
