"""The checkout service under load: a real `recommender serve` process, driven from another
process over loopback by a bounded asynchronous HTTP/1.1 client with keep-alive connections
(8 by default, like a shop backend's pool).

Carts are real orders of the preset's shop (Online Retail's invoices; the Complete Journey's baskets
with ``full-cj``): a random 1 to 10 of their items, seeded, posted to
``POST /v1/recommendations``; the run is bounded in time and requests. Reported: throughput,
latency percentiles (from writing a request to reading its whole answer), errors (any status but
200, or a broken connection) and the server's resident memory before and after.

With ``--events sqlite|postgresql`` the server runs with ``--events URL`` (SQLite: a file in the
run's temporary folder; PostgreSQL: ``--postgres-url`` or ``RECOMMENDER_TEST_POSTGRES_URL``) and
``--event-connections`` more connections post batches of ``--batch`` events to ``POST /v1/events``
at the same time as the recommendations (the issue's target is both at once on one worker, and
the two routes share its event loop; ``--connections 0`` posts events alone). The events are
shaped like the README's example (impressions of a cart's items, adds to cart, purchases with
prices), each with a session id tagged for the run. Reported under ``"events"``: events/s, the
latency of the events call, the 503s (store busy: nothing stored, the shop sends the batch again)
and, read back from the store by SQL after the run, the events stored against those acknowledged
with 202; any difference, and any other status, counts as an error.

    python benchmarks/bench_service.py --preset full    # online_retail.csv.xz, 60 s, 1 worker
    python benchmarks/bench_service.py --preset small   # the sample shop, 3 s (run by the tests)
    python benchmarks/bench_service.py --preset full-cj # the full Complete Journey with its product master
    python benchmarks/bench_service.py --preset full --events sqlite        # and 2 connections of events
    python benchmarks/bench_service.py --preset full --events postgresql --postgres-url postgresql://…
    python benchmarks/bench_service.py --preset full --customers 0.5    # half the requests name a known customer
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
import uuid
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
    # A grocer's whole baskets with its product master as the catalog: categories and families,
    # so answers take the policy's path (category caps, upgrades, the fill) rather than the
    # fast one; the thresholds are `mine`'s defaults.
    "full-cj": {
        "source": "completejourney/transactions.parquet",
        "catalog": "completejourney/products.csv.gz",
        "min_support": 0.001,
        "min_confidence": 0.1,
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
        catalog = data / preset["catalog"] if "catalog" in preset else None
        model = mine(baskets, min_support=preset["min_support"], min_confidence=preset["min_confidence"],
                     catalog=catalog)  # fmt: skip
    rng = random.Random(7)
    pool = [list(b) for b in baskets]
    carts = []
    for _ in range(5000):
        basket = rng.choice(pool)
        carts.append(rng.sample(basket, min(len(basket), rng.randint(1, 10))))
    return model.save(folder / "model.rcm"), carts


def with_customers(model_path: Path, carts: list[list[str]], share: float) -> list[dict[str, Any]]:
    """The request bodies, ``share`` of them naming a customer the model knows (drawn with a
    seed), the model rewritten to give the items a customer buys again two places (as
    ``mine --buy-again 2`` would), so that those requests take the customer's path."""
    from dataclasses import replace

    from recommender.artifact import read_model, write_model

    data = read_model(model_path)
    if data.customers is None:
        raise SystemExit("--customers needs orders with customers; the model of this preset has none")
    write_model(replace(data, customers=replace(data.customers, again_slots=2)), model_path)
    rng = random.Random(11)
    known = [c for c, again in zip(data.customers.ids, data.customers.repeats) if again]
    return [
        {"cart": cart, "limit": 3, **({"customer_id": rng.choice(known)} if rng.random() < share else {})}
        for cart in carts
    ]


class Tally:
    """One route's outcomes over the run: latencies, errors and (events) 503s and acknowledged."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.unavailable = 0
        self.acknowledged = 0

    def summary(self, elapsed: float) -> dict[str, Any]:
        self.latencies.sort()

        def pct(share: float) -> float | None:
            if not self.latencies:
                return None
            return round(self.latencies[min(len(self.latencies) - 1, int(share * len(self.latencies)))] * 1000, 3)

        return {
            "requests": len(self.latencies), "seconds": round(elapsed, 3),
            "rps": round(len(self.latencies) / elapsed, 1),
            "p50_ms": pct(0.5), "p90_ms": pct(0.9), "p99_ms": pct(0.99), "max_ms": pct(1.0),
            "errors": len(self.errors), "error_examples": self.errors[:3],
        }  # fmt: skip


async def _client(host: str, port: int, route: bytes, bodies: list[bytes], deadline: float, budget: list[int],
                  tally: Tally, seed: int) -> None:  # fmt: skip
    """One keep-alive connection posting ``bodies`` (drawn at random) to ``route`` until the deadline.

    Recommendations expect 200; events expect ``202 {"accepted": n}`` (counted as acknowledged)
    or 503 (the store busy: counted apart, not an error)."""
    reader, writer = await asyncio.open_connection(host, port)
    rng = random.Random(seed)
    events = route == b"/v1/events"
    try:
        while time.perf_counter() < deadline and budget[0] > 0:
            budget[0] -= 1
            body = rng.choice(bodies)
            request = (
                b"POST " + route + b" HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
            )
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))
            payload = await reader.readexactly(length)
            tally.latencies.append(time.perf_counter() - started)
            if events and head.startswith(b"HTTP/1.1 202"):
                tally.acknowledged += int(json.loads(payload)["accepted"])
            elif events and head.startswith(b"HTTP/1.1 503"):
                tally.unavailable += 1
            elif events or not head.startswith(b"HTTP/1.1 200"):
                tally.errors.append(head.split(b"\r\n", 1)[0].decode() + " " + payload[:100].decode(errors="replace"))
    except (OSError, asyncio.IncompleteReadError) as error:
        tally.errors.append(f"connection: {error!r}")
    finally:
        writer.close()


def load(host: str, port: int, bodies_path: str, seconds: float, connections: int, max_requests: int,
         event_bodies_path: str | None = None, event_connections: int = 0) -> None:  # fmt: skip
    """The load generator's own process: prints its results as one JSON line."""
    bodies = [line.encode() for line in Path(bodies_path).read_text().splitlines()]
    event_bodies = (
        [line.encode() for line in Path(event_bodies_path).read_text().splitlines()] if event_bodies_path else []
    )
    answers, events = Tally(), Tally()

    async def main() -> float:
        deadline = time.perf_counter() + seconds
        budget = [max_requests]
        unbounded = [2**62]  # the events connections run until the deadline
        started = time.perf_counter()
        await asyncio.gather(
            *(_client(host, port, b"/v1/recommendations", bodies, deadline, budget, answers, seed)
              for seed in range(connections)),
            *(_client(host, port, b"/v1/events", event_bodies, deadline, unbounded, events, 1000 + seed)
              for seed in range(event_connections if event_bodies else 0)),
        )  # fmt: skip
        return time.perf_counter() - started

    elapsed = asyncio.run(main())
    result = answers.summary(elapsed)
    if event_bodies:
        result["events"] = {
            **events.summary(elapsed),
            "acknowledged": events.acknowledged,
            "events_per_s": round(events.acknowledged / elapsed, 1),
            "unavailable_503": events.unavailable,
        }
    print(json.dumps(result))


def event_batches(carts: list[list[str]], tag: str, batch: int, count: int = 2000) -> list[str]:
    """``count`` bodies of ``batch`` events each, shaped like the README's example: per session an
    impression of three cart items, an add to cart of one and a purchase of two (with prices),
    in turn; every session id starts with ``tag`` so that the run's events can be counted apart."""
    rng = random.Random(11)
    bodies = []
    for number in range(count):
        events: list[dict[str, Any]] = []
        while len(events) < batch:
            session, recommendation = f"{tag}-{number}-{len(events)}", uuid.UUID(int=rng.getrandbits(128)).hex
            items = rng.choice(carts)
            shown = (items * 3)[:3]
            events += [
                {"type": "impression", "session_id": session, "recommendation_id": recommendation, "items": shown},
                {"type": "add_to_cart", "session_id": session, "item_id": shown[0],
                 "recommendation_id": recommendation},
                {"type": "purchase", "session_id": session, "order_id": f"{session}-order",
                 "items": [{"item_id": item, "price": round(rng.uniform(0.5, 20), 2), "quantity": rng.randint(1, 3)}
                           for item in shown[:2]]},
            ]  # fmt: skip
        bodies.append(json.dumps({"events": events[:batch]}))
    return bodies


def stored_events(url: str, tag: str) -> int:
    """The events of this run in the store, counted by SQL (a PostgreSQL database may hold others)."""
    from sqlalchemy import func, select

    from recommender.feedback.store import EventStore, events_table

    store = EventStore(url)
    try:
        query = select(func.count()).select_from(events_table).where(events_table.c.session_id.startswith(f"{tag}-"))
        with store.engine.connect() as connection:
            return int(connection.execute(query).scalar_one())
    finally:
        store.close()


def events_url(kind: str, folder: Path, postgres_url: str | None) -> str | None:
    if kind == "none":
        return None
    if kind == "sqlite":
        return f"sqlite:///{folder / 'events.db'}"
    url = postgres_url or os.environ.get("RECOMMENDER_TEST_POSTGRES_URL")
    if not url:
        raise SystemExit(
            "--events postgresql needs a server: pass --postgres-url postgresql://USER:PASSWORD@HOST/DB "
            "or set RECOMMENDER_TEST_POSTGRES_URL; skipped."
        )
    return url


def run(preset_name: str, data: Path, workers: int, log_level: str, events: str = "none", batch: int = 10,
        event_connections: int = 2, postgres_url: str | None = None,
        customers: float = 0.0) -> dict[str, Any]:  # fmt: skip
    preset = PRESETS[preset_name]
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        url = events_url(events, folder, postgres_url)
        model_path, carts = build_model(preset, data, folder)
        bodies = folder / "bodies.jsonl"
        bodies.write_text("\n".join(json.dumps({"cart": cart, "limit": 3}) for cart in carts))
        if customers:
            bodies.write_text("\n".join(json.dumps(body) for body in with_customers(model_path, carts, customers)))
        tag = f"bench-{uuid.uuid4().hex[:12]}"
        event_bodies = None
        if url is not None:
            event_bodies = folder / "events.jsonl"
            event_bodies.write_text("\n".join(event_batches(carts, tag, batch)))
        port = free_port()
        # The server's log goes to a file: a pipe nobody reads would fill and stall it.
        log = (folder / "server.log").open("w")
        # -P: the server imports the recommender of PYTHONPATH or the installed one, never a
        # folder of that name where the script is started.
        server = subprocess.Popen(
            [sys.executable, "-P", "-m", "recommender.cli", "serve", str(model_path), "--port", str(port),
             "--workers", str(workers), "--log-level", log_level, *(["--events", url] if url else [])],
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
            # Warm-up: a second of load, not measured (its events acknowledged are counted).
            warm = dict(preset, seconds=1.0)
            warmed = subprocess.run(
                _load_command(port, bodies, warm, event_bodies, event_connections), check=True, capture_output=True
            )
            before = rss(server.pid)
            result = subprocess.run(
                _load_command(port, bodies, preset, event_bodies, event_connections),
                check=True, capture_output=True, text=True,
            )  # fmt: skip
            after = rss(server.pid)
        finally:
            server.send_signal(signal.SIGTERM)
            server.communicate(timeout=30)
            log.close()
            log_lines = sum(1 for _ in (folder / "server.log").open())
        measured = json.loads(result.stdout.strip().splitlines()[-1])
        if url is not None:
            # After the server has stopped: every 202 it sent must be a row in the store.
            warm_ack = json.loads(warmed.stdout.decode().strip().splitlines()[-1])["events"]["acknowledged"]
            acknowledged = warm_ack + measured["events"]["acknowledged"]
            stored = stored_events(url, tag)
            measured["events"].update(
                store=events, batch=batch, connections=event_connections,
                acknowledged_with_warm_up=acknowledged, stored=stored,
            )  # fmt: skip
            if stored != acknowledged:
                measured["events"]["errors"] += 1
                measured["events"]["error_examples"].append(
                    f"the store holds {stored} events of this run, {acknowledged} were acknowledged"
                )
    return {
        "preset": preset_name,
        **preset,
        "workers": workers,
        "customers_share": customers,
        "server_log_level": log_level,
        "date": time.strftime("%Y-%m-%d"),
        "cpus": os.cpu_count(),
        **measured,
        "server_rss_mb": {"before": round(before / 2**20, 1), "after": round(after / 2**20, 1)},
        "server_log_lines": log_lines,
    }


def _load_command(port: int, bodies: Path, preset: dict[str, Any], event_bodies: Path | None = None,
                  event_connections: int = 0) -> list[str]:  # fmt: skip
    command = [sys.executable, __file__, "--load", f"127.0.0.1:{port}", "--bodies", str(bodies),
               "--seconds", str(preset["seconds"]), "--load-connections", str(preset["connections"]),
               "--max-requests", str(preset["max_requests"])]  # fmt: skip
    if event_bodies is not None:
        command += ["--event-bodies", str(event_bodies), "--event-load-connections", str(event_connections)]
    return command


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
    parser.add_argument("--duration", type=float, help="seconds of measured load (default: the preset's)")
    parser.add_argument(
        "--events",
        choices=("none", "sqlite", "postgresql"),
        default="none",
        help="also post event batches, the server storing them in SQLite or PostgreSQL (default: none)",
    )
    parser.add_argument("--batch", type=int, default=10, help="events in one POST /v1/events (default 10)")
    parser.add_argument("--event-connections", type=int, default=2, help="connections posting events (default 2)")
    parser.add_argument(
        "--postgres-url",
        help="the PostgreSQL database of --events postgresql (default: $RECOMMENDER_TEST_POSTGRES_URL)",
    )
    parser.add_argument(
        "--customers", type=float, default=0.0, metavar="SHARE",
        help="share of the requests naming a known customer, whose items bought again take two places (default 0)",
    )  # fmt: skip
    parser.add_argument("--json", type=Path)
    # The load generator's own process:
    parser.add_argument("--load", help=argparse.SUPPRESS)
    parser.add_argument("--bodies", help=argparse.SUPPRESS)
    parser.add_argument("--event-bodies", help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--load-connections", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--event-load-connections", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--max-requests", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.load:
        host, port = args.load.rsplit(":", 1)
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit("the load generator only targets this machine (loopback)")
        load(host, int(port), args.bodies, args.seconds, args.load_connections, args.max_requests,
             args.event_bodies, args.event_load_connections)  # fmt: skip
        return 0
    if not 0.0 <= args.customers <= 1.0:
        parser.error(f"--customers {args.customers} is not a share of the requests; give 0.5, say")
    if not 1 <= args.batch <= 1000:
        parser.error(f"--batch {args.batch} is outside 1 to 1000 (the server's default --max-events); give 10, say")
    if args.events != "none" and args.event_connections < 1:
        parser.error(f"--event-connections {args.event_connections} posts no events; give 1 or more, or --events none")
    if args.override_connections is not None:
        if args.override_connections < (0 if args.events != "none" else 1):
            parser.error(f"--connections {args.override_connections} sends no load; give 1 or more")
        PRESETS[args.preset] = {**PRESETS[args.preset], "connections": args.override_connections}
    if args.duration is not None:
        if args.duration <= 0:
            parser.error(f"--duration {args.duration} is not a positive number of seconds; give 3, say")
        PRESETS[args.preset] = {**PRESETS[args.preset], "seconds": args.duration}
    result = run(args.preset, args.data, args.workers, args.log_level, args.events, args.batch,
                 args.event_connections, args.postgres_url, args.customers)  # fmt: skip
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    failed = result["errors"] or result.get("events", {}).get("errors")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
