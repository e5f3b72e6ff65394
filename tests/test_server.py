"""A real server: `recommender serve` in its own process on a free loopback port, called over
HTTP, reloaded by the admin route and by SIGHUP, stopped with SIGTERM."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

httpx = pytest.importorskip("httpx", reason="the server test needs the `serve` and `test` extras")
pytest.importorskip("uvicorn")

from recommender import mine  # noqa: E402
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
