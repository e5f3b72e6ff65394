"""Reading benchmark: memory and time of reading long orders as the lines grow, items fixed.

A seeded generator writes order lines (about 10 per order, 50,000 products of Zipf
popularity) as CSV and as Parquet at each size; each file is read by
``recommender.io.read_baskets`` in a fresh process: wall time, and the peak of the process's
proportional set size sampled every 50 ms, and the kernel's peak resident size of the process
(``VmHWM``), each less that of the same process after its imports (so the figure is what
reading adds); ``growth`` is the bytes each further line costs between the smallest and the
largest file. With a fixed number of distinct items, what reading holds per line is the kept
lines' item codes (4 bytes: the basket matrix's own entries; a basket code per line as well
when an order's lines do not come together, which they do here) and, since there is an order
per 10 lines here, the orders' ids; the rest (the items, each once; a batch of lines) does not
grow. ``cpu_seconds`` is the reading's user and system time (``getrusage``).
Of the peak, each run also gives the resident size after the first batch (the file's reader
set up), the peak before the end (the basket matrix laid out, the order ids made Python
strings), and the size of what reading returns, its ``output`` (the matrix's int32 item per
kept line and its offsets, the order ids, the item ids): the peak beyond it is the reader's own.

    python benchmarks/bench_reading.py --preset small   # seconds; run by the tests
    python benchmarks/bench_reading.py --preset full    # 1M, 3M, 10M lines
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
from common import REPO, emit, preset_parser, tree_memory

PRESETS: dict[str, dict[str, Any]] = {
    "small": {"lines": (20_000, 60_000), "items": 2_000},
    "full": {"lines": (1_000_000, 3_000_000, 10_000_000), "items": 50_000},
}
LINES_PER_ORDER = 10
ZIPF_OFFSET = 10.0
CHUNK_LINES = 1_000_000

CHILD = """
import json, re, resource, sys, time
from pathlib import Path
import recommender.io
import recommender.io.orders as orders
from recommender.io import read_baskets
def status(key):  # VmHWM: the peak resident size of this program (ru_maxrss counts the parent's before exec)
    return int(re.search(key + r":\\s+(\\d+)", Path("/proc/self/status").read_text()).group(1))
# Where reading stands (kB): resident after the first batch (the file's reader set up, its
# first block or row group), and the peak before the end (the basket matrix, the ids).
marks = {}
add, finish = orders._Reading.add, orders._Reading.finish
def first_batch(self, coded):
    add(self, coded)
    marks.setdefault("first_batch_rss_kb", status("VmRSS"))
def at_end(self, source):
    marks["before_end_hwm_kb"] = status("VmHWM")
    return finish(self, source)
orders._Reading.add, orders._Reading.finish = first_batch, at_end
imported = status("VmHWM")
print("imported", flush=True)
sys.stdin.readline()
def cpu():  # user and system seconds of this process
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
started, cpu_started = time.perf_counter(), cpu()
baskets = read_baskets(sys.argv[1])
seconds, cpu_seconds = time.perf_counter() - started, cpu() - cpu_started
peak = status("VmHWM")
ids = baskets.basket_ids or ()
output = (baskets.indptr.nbytes + baskets.indices.nbytes + sys.getsizeof(ids) + sum(map(sys.getsizeof, ids))
          + sum(map(sys.getsizeof, baskets.items)))
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds, "baskets": len(baskets), "items": baskets.n_items,
                  "rows": baskets.summary.rows_read, "imports_rss_kb": imported, "peak_rss_kb": peak,
                  "output_kb": output // 1024, **marks}), flush=True)
"""


def write_orders(rng: np.random.Generator, lines: int, items: int, folder: Path) -> dict[str, Path]:
    """``lines`` order lines as one CSV and one Parquet file, written a million lines at a time."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    weights = 1.0 / (np.arange(1, items + 1) + ZIPF_OFFSET)
    cdf = np.cumsum(weights / weights.sum())
    names = np.asarray([f"P{k:05d}" for k in range(items)], dtype=object)
    paths = {"csv": folder / f"orders-{lines}.csv", "parquet": folder / f"orders-{lines}.parquet"}
    schema = pa.schema([("order_id", pa.string()), ("product_id", pa.string()), ("quantity", pa.int64())])
    with pacsv.CSVWriter(paths["csv"], schema) as csv_out, pq.ParquetWriter(paths["parquet"], schema) as pq_out:
        for start in range(0, lines, CHUNK_LINES):
            count = min(CHUNK_LINES, lines - start)
            order = (np.arange(start, start + count) // LINES_PER_ORDER).astype(str)
            drawn = np.minimum(np.searchsorted(cdf, rng.random(count)), items - 1)
            table = pa.table(
                {
                    "order_id": pa.array(np.char.add("O", order).tolist(), type=pa.string()),
                    "product_id": pa.array(names[drawn].tolist(), type=pa.string()),
                    "quantity": pa.array(rng.integers(1, 4, count)),
                },
                schema=schema,
            )
            csv_out.write_table(table)
            pq_out.write_table(table)
    return paths


def read_in_child(path: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert child.stdout is not None and child.stdin is not None
    child.stdout.readline()  # imports done
    time.sleep(0.2)
    base = tree_memory(child.pid)
    peak = base
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_memory(child.pid))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    child.stdin.write("go\n")
    child.stdin.flush()
    out, err = child.communicate(timeout=900)
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if child.returncode != 0:
        raise SystemExit(f"reading {path} failed: {err.strip().splitlines()[-1] if err.strip() else child.returncode}")
    result = json.loads(out.strip().splitlines()[-1])
    read_seconds, cpu_seconds = result.pop("seconds"), result.pop("cpu_seconds")
    imports_rss, peak_rss = result.pop("imports_rss_kb") / 2**10, result.pop("peak_rss_kb") / 2**10
    first_batch, before_end = result.pop("first_batch_rss_kb") / 2**10, result.pop("before_end_hwm_kb") / 2**10
    output = result.pop("output_kb") / 2**10
    return {
        **result,
        "wall_seconds": round(seconds, 2),
        "read_seconds": round(read_seconds, 2),
        # User and system seconds of the reading: steadier than wall seconds on a shared machine.
        "cpu_seconds": round(cpu_seconds, 2),
        "imports_mb": round(base / 2**20),
        "peak_rise_mb": round((peak - base) / 2**20),
        # The kernel's own peak resident size of the reading process (no sampling), and its rise.
        "peak_rss_mb": round(peak_rss),
        "peak_rss_rise_mb": round(peak_rss - imports_rss),
        # Of that rise: resident after the first batch, the peak before the end, and the size of
        # what reading returns (basket matrix, order ids, item ids); the rest is beyond the output.
        "first_batch_rise_mb": round(first_batch - imports_rss),
        "before_end_rise_mb": round(before_end - imports_rss),
        "output_mb": round(output, 1),
        "beyond_output_mb": round(peak_rss - imports_rss - output),
    }


def run(preset: str, workdir: Path, seed: int = 2026) -> dict[str, Any]:
    settings = PRESETS[preset]
    rng = np.random.default_rng(seed)
    rows = []
    for lines in settings["lines"]:
        paths = write_orders(rng, lines, settings["items"], workdir)
        for kind, path in paths.items():
            measured = read_in_child(path)
            row = {"lines": lines, "format": kind, "file_mb": round(path.stat().st_size / 2**20, 1), **measured}
            row["bytes_per_line"] = round(measured["peak_rise_mb"] * 2**20 / lines, 1)
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
            path.unlink()
    return {
        "preset": preset,
        "seed": seed,
        "items": settings["items"],
        "lines_per_order": LINES_PER_ORDER,
        "date": time.strftime("%Y-%m-%d"),
        "load_average": os.getloadavg(),
        "runs": rows,
        "growth": growth(rows),
    }


def growth(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Bytes of peak resident memory each further line costs, per format: the slope between the
    smallest and the largest file (0 would be memory flat in the lines)."""
    slopes = {}
    for kind in sorted({row["format"] for row in rows}):
        runs = sorted((row for row in rows if row["format"] == kind), key=lambda row: row["lines"])
        first, last = runs[0], runs[-1]
        if last["lines"] > first["lines"]:
            rise = (last["peak_rss_rise_mb"] - first["peak_rss_rise_mb"]) * 2**20
            slopes[kind] = round(rise / (last["lines"] - first["lines"]), 1)
    return slopes


def main(argv: list[str] | None = None) -> int:
    parser = preset_parser(__doc__, PRESETS)
    parser.add_argument("--workdir", type=Path, help="where to write the order files (default: a temporary folder)")
    args = parser.parse_args(argv)
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        result = run(args.preset, args.workdir)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-reading-") as folder:
            result = run(args.preset, Path(folder))
    emit(result, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
