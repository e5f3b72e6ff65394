"""The checkout service under load: a real `recommender serve` process, driven from another
process over loopback by a bounded asynchronous HTTP/1.1 client with keep-alive connections
(8 by default, like a shop backend's pool).

Carts are real invoices of Online Retail (a random 1 to 10 of their items, seeded), posted to
``POST /v1/recommendations``; the run is bounded in time and requests. Reported: throughput,
latency percentiles (from writing a request to reading its whole answer), errors (any status but
200, or a broken connection) and the server's resident memory before and after.

    python benchmarks/bench_service.py --preset full    # online_retail.csv.xz, 60 s, 1 worker
    python benchmarks/bench_service.py --preset small   # the sample shop, 3 s (run by the tests)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"

PRESETS: dict[str, dict[str, Any]] = {
    "small": {"source": "sample", "seconds": 3.0, "connections": 8, "max_requests": 20_000},
    "full": {
        "source": "online_retail.csv.xz",
        "min_support": 0.005,
        "min_confidence": 0.2,
        "seconds": 60.0,
        "connections": 8,
        "max_requests": 1_000_000,
    },
}


def rss(pid: int) -> int:
    match = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    return int(match.group(1)) * 1024 if match else 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def build_model(preset: dict[str, Any], data: Path, folder: Path) -> tuple[Path, list[list[str]]]:
    from recommender import mine, read_baskets
    from recommender.sample_shop import generate_sample_shop

    if preset["source"] == "sample":
        shop = generate_sample_shop(seed=7)
        model = mine(shop.orders, catalog=shop.catalog)
        baskets = read_baskets(shop.orders)
    else:
        path = data / preset["source"]
        if not path.exists():
            raise SystemExit(f"{path} is not here; pass --data with the folder of the shared data sets")
        baskets = read_baskets(path)
        # Online Retail's baskets are long (25 items on average): at the default support of
        # 0.001 they hold 322,000 frequent pairs; 0.005 gives a model of 21,569 rules.
        model = mine(baskets, min_support=preset["min_support"], min_confidence=preset["min_confidence"])
    rng = random.Random(7)
    pool = [list(b) for b in baskets]
    carts = []
    for _ in range(5000):
        basket = rng.choice(pool)
        carts.append(rng.sample(basket, min(len(basket), rng.randint(1, 10))))
    return model.save(folder / "model.rcm"), carts


async def _client(host: str, port: int, bodies: list[bytes], deadline: float, budget: list[int],
                  latencies: list[float], errors: list[str]) -> None:  # fmt: skip
    reader, writer = await asyncio.open_connection(host, port)
    rng = random.Random(len(latencies))
    try:
        while time.perf_counter() < deadline and budget[0] > 0:
            budget[0] -= 1
            body = rng.choice(bodies)
            request = (
                b"POST /v1/recommendations HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
            )
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))
            payload = await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if not head.startswith(b"HTTP/1.1 200"):
                errors.append(head.split(b"\r\n", 1)[0].decode() + " " + payload[:100].decode(errors="replace"))
    except (OSError, asyncio.IncompleteReadError) as error:
        errors.append(f"connection: {error!r}")
    finally:
        writer.close()


def load(host: str, port: int, bodies_path: str, seconds: float, connections: int, max_requests: int) -> None:
    """The load generator's own process: prints its results as one JSON line."""
    bodies = [line.encode() for line in Path(bodies_path).read_text().splitlines()]
    latencies: list[float] = []
    errors: list[str] = []

    async def main() -> float:
        deadline = time.perf_counter() + seconds
        budget = [max_requests]
        started = time.perf_counter()
        await asyncio.gather(
            *(_client(host, port, bodies, deadline, budget, latencies, errors) for _ in range(connections))
        )
        return time.perf_counter() - started

    elapsed = asyncio.run(main())
    latencies.sort()

    def pct(share: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(share * len(latencies)))] * 1000, 3)

    print(json.dumps({
        "requests": len(latencies), "seconds": round(elapsed, 3), "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": pct(0.5), "p90_ms": pct(0.9), "p99_ms": pct(0.99), "max_ms": pct(1.0),
        "errors": len(errors), "error_examples": errors[:3],
    }))  # fmt: skip


def run(preset_name: str, data: Path, workers: int, log_level: str) -> dict[str, Any]:
    preset = PRESETS[preset_name]
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        model_path, carts = build_model(preset, data, folder)
        bodies = folder / "bodies.jsonl"
        bodies.write_text("\n".join(json.dumps({"cart": cart, "limit": 3}) for cart in carts))
        port = free_port()
        # The server's log goes to a file: a pipe nobody reads would fill and stall it.
        log = (folder / "server.log").open("w")
        server = subprocess.Popen(
            [sys.executable, "-m", "recommender.cli", "serve", str(model_path), "--port", str(port),
             "--workers", str(workers), "--log-level", log_level],
            stdout=subprocess.DEVNULL, stderr=log, text=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit("the server did not start") from None
                    time.sleep(0.1)
            # Warm-up: a second of load, not measured.
            warm = dict(preset, seconds=1.0)
            subprocess.run(_load_command(port, bodies, warm), check=True, capture_output=True)
            before = rss(server.pid)
            result = subprocess.run(_load_command(port, bodies, preset), check=True, capture_output=True, text=True)
            after = rss(server.pid)
        finally:
            server.send_signal(signal.SIGTERM)
            server.communicate(timeout=30)
            log.close()
            log_lines = sum(1 for _ in (folder / "server.log").open())
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    return {
        "preset": preset_name,
        **preset,
        "workers": workers,
        "server_log_level": log_level,
        "date": time.strftime("%Y-%m-%d"),
        "cpus": os.cpu_count(),
        **measured,
        "server_rss_mb": {"before": round(before / 2**20, 1), "after": round(after / 2**20, 1)},
        "server_log_lines": log_lines,
    }


def _load_command(port: int, bodies: Path, preset: dict[str, Any]) -> list[str]:
    return [sys.executable, __file__, "--load", f"127.0.0.1:{port}", "--bodies", str(bodies),
            "--seconds", str(preset["seconds"]), "--load-connections", str(preset["connections"]),
            "--max-requests", str(preset["max_requests"])]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=sorted(PRESETS), default="small")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--log-level", default="warning", help="server log level (info writes access logs)")
    parser.add_argument(
        "--connections",
        dest="override_connections",
        type=int,
        help="concurrent keep-alive connections (default: the preset's)",
    )
    parser.add_argument("--json", type=Path)
    # The load generator's own process:
    parser.add_argument("--load", help=argparse.SUPPRESS)
    parser.add_argument("--bodies", help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--load-connections", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--max-requests", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.load:
        host, port = args.load.rsplit(":", 1)
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit("the load generator only targets this machine (loopback)")
        load(host, int(port), args.bodies, args.seconds, args.load_connections, args.max_requests)
        return 0
    if args.override_connections:
        PRESETS[args.preset] = {**PRESETS[args.preset], "connections": args.override_connections}
    result = run(args.preset, args.data, args.workers, args.log_level)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
