"""A real server: `recommender serve` in its own process on a free loopback port, called over
HTTP, reloaded by the admin route and by SIGHUP, stopped with SIGTERM."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

httpx = pytest.importorskip("httpx", reason="the server test needs the `serve` and `test` extras")
pytest.importorskip("uvicorn")

from recommender import RankingConfig, mine  # noqa: E402
from recommender.ranking import Recommender  # noqa: E402
from recommender.sample_shop import generate_sample_shop  # noqa: E402

TOKEN = "s" * 24


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(check, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("timed out")


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_serve_reload_and_stop(tmp_path, workers):
    models = []
    for seed in (7, 8):
        shop = generate_sample_shop(seed=seed, n_customers=300)
        models.append(mine(shop.orders, catalog=shop.catalog).save(tmp_path / f"seed{seed}.rcm"))
    live = tmp_path / "live.rcm"
    shutil.copy(models[0], live)
    port = free_port()
    env = {**os.environ, "RECOMMENDER_ADMIN_TOKEN": TOKEN}
    server = subprocess.Popen(
        [sys.executable, "-m", "recommender.cli", "serve", str(live), "--port", str(port), "--workers", str(workers)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=10) as client:
            wait_until(lambda: client.get("/readyz").status_code == 200)
            answer = client.post("/v1/recommendations", json={"cart": ["KET-BASIC"], "limit": 3})
            assert answer.status_code == 200 and len(answer.json()["items"]) == 3
            first = client.get("/v1/model").json()["id"]

            if workers == 1:
                shutil.copy(models[1], live)
                reloaded = client.post("/v1/admin/reload", headers={"Authorization": f"Bearer {TOKEN}"})
                assert reloaded.status_code == 200 and reloaded.json()["id"] != first
                live.write_bytes(b"truncated")
                refused = client.post("/v1/admin/reload", headers={"Authorization": f"Bearer {TOKEN}"})
                assert refused.status_code == 409
                assert client.get("/v1/model").json()["id"] == reloaded.json()["id"]
                shutil.copy(models[0], live)
                server.send_signal(signal.SIGHUP)
                wait_until(lambda: client.get("/v1/model").json()["id"] == first)
            else:
                # Several workers: SIGHUP makes uvicorn restart them, each loading the new file.
                shutil.copy(models[1], live)
                server.send_signal(signal.SIGHUP)
                wait_until(lambda: client.get("/v1/model").json()["id"] != first)
            assert client.post("/v1/recommendations", json={"cart": ["PHONE-STD"]}).status_code == 200
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            _, stderr = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            _, stderr = server.communicate()
    # uvicorn shuts down gracefully, then re-raises SIGTERM so the process ends as signalled.
    assert server.returncode in (0, -signal.SIGTERM), stderr[-2000:]
    assert "Application shutdown complete" in stderr or "Finished server process" in stderr
    assert "Traceback" not in stderr and "ERROR" not in stderr.replace("ERROR recommender.service.holder", "")
    assert '"path": "/v1/recommendations"' in stderr  # structured access log lines


def test_serve_refuses_a_bad_model_with_exit_2(tmp_path):
    bad = tmp_path / "bad.rcm"
    bad.write_text("nope\n")
    result = subprocess.run(
        [sys.executable, "-m", "recommender.cli", "serve", str(bad), "--port", str(free_port())],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2 and "not a recommender model file" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_without_the_extra_says_how_to_install_it(tmp_path):
    code = (
        "import sys\nsys.modules['fastapi'] = None  # as if the serve extra were not installed\n"
        "from recommender.cli import main\nsys.exit(main(['serve', 'model.rcm']))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert 'pip install -e ".[serve]"' in result.stderr and "Traceback" not in result.stderr


def worker_pid(server_port: int, client_port: int, parent: int) -> int | None:
    """The worker process of ``parent`` that accepted the loopback connection from
    ``client_port``, found through /proc (None where there is no /proc to read)."""
    proc = Path("/proc")
    try:
        lines = (proc / "net" / "tcp").read_text().splitlines()[1:]
    except OSError:
        return None
    # Columns: sl, local address, remote address, state, queues, timers, retransmits, uid, timeout, inode.
    ends = (f":{server_port:04X}", f":{client_port:04X}")
    inodes = {f"socket:[{c[9]}]" for c in map(str.split, lines) if (c[1][-5:], c[2][-5:]) == ends}
    for process in proc.iterdir():
        try:
            # The parent's id is the second field after the command name, which may hold spaces.
            if not process.name.isdigit() or (process / "stat").read_text().rsplit(")", 1)[1].split()[1] != str(parent):
                continue
            if any(os.readlink(fd) in inodes for fd in (process / "fd").iterdir()):
                return int(process.name)
        except OSError:  # a process that ended meanwhile, or one not ours to read
            continue
    return None


@pytest.mark.slow
def test_every_worker_ranks_with_the_ranking_options_given(tmp_path):
    """Issue 15: `serve --workers 2` answered with the default ranking; the workers must rank
    exactly as one process given the same options does, and those options must matter."""
    shop = generate_sample_shop(seed=7, n_customers=300)
    model = str(mine(shop.orders, catalog=shop.catalog).save(tmp_path / "shop.rcm"))
    options = ["--min-lift", "5", "--combine", "cumulative", "--free-shipping", "40", "--max-per-category", "0"]
    config = RankingConfig(min_lift=5.0, combine="cumulative", free_shipping_threshold=40.0, max_per_category=None)
    paid = shop.orders[~shop.orders["order_id"].str.startswith("C")]
    baskets = paid.groupby("order_id", sort=True)["item_id"].agg(lambda items: tuple(sorted(set(items))))
    carts = list(dict.fromkeys(b[:2] for b in baskets if len(b) >= 2))[:10]
    carts += [(item,) for item in sorted(shop.catalog["item_id"])[::9][:10]]
    bodies = [json.dumps({"cart": list(cart), "cart_total": 30.0}) for cart in carts]

    def essence(answer: dict) -> list:
        return [(s["item_id"], s["kind"], s["score"], s["reason"]) for s in answer["items"]]

    def ask(connection: http.client.HTTPConnection, body: str) -> dict:
        connection.request("POST", "/v1/recommendations", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        assert response.status == 200
        return json.loads(response.read())

    servers = {}
    try:
        for workers in (1, 2):  # both start at once: loading them is most of this test's time
            port = free_port()
            servers[workers] = port, subprocess.Popen(
                [sys.executable, "-m", "recommender.cli", "serve", model, "--port", str(port),
                 "--workers", str(workers), "--log-level", "warning", *options],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
        for port, _ in servers.values():
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
                wait_until(lambda: client.get("/readyz").status_code == 200)

        port, _ = servers[1]
        single = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            expected = [essence(ask(single, body)) for body in bodies]
        finally:
            single.close()

        # Each connection is served by one worker, whichever accepts it first: open fresh ones
        # until both workers have answered every cart (where /proc cannot tell them apart, six).
        port, server = servers[2]
        pids: set[int] = set()
        for attempt in range(100):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                answers = [essence(ask(connection, body)) for body in bodies]
                pid = worker_pid(port, connection.sock.getsockname()[1], server.pid)
            finally:
                connection.close()
            assert answers == expected, f"worker {pid} ranks otherwise than a single process"
            pids.update({pid} - {None})
            if len(pids) == 2 or (not pids and attempt >= 5):
                break
        assert len(pids) == 2 or not pids, f"only worker {pids} answered, over {attempt + 1} connections"
    finally:
        stderr = {}
        for workers, (_, process) in servers.items():
            process.send_signal(signal.SIGTERM)
            try:
                stderr[workers] = process.communicate(timeout=30)[1]
            except subprocess.TimeoutExpired:
                process.kill()
                stderr[workers] = process.communicate()[1]
    assert all("Traceback" not in text for text in stderr.values()), stderr

    # The options took effect: every cart's answer is the one of these options, not the defaults'.
    served = Recommender.load(model, config=config)
    defaults = Recommender.load(model, config=RankingConfig(free_shipping_threshold=40.0))
    assert expected == [essence(served.recommend(list(cart), cart_total=30.0).to_dict()) for cart in carts]
    unchanged = [
        cart
        for cart, answer in zip(carts, expected)
        if essence(defaults.recommend(list(cart), cart_total=30.0).to_dict()) == answer
    ]
    assert len(unchanged) <= len(carts) // 2, unchanged
