"""Scale benchmark: an Instacart-sized shop mined by both engines as the baskets grow.

A seeded generator writes a shop of order lines as a Parquet folder (Instacart's own layout:
one row per order line): about 3 million baskets over 50,000 products of Zipf popularity,
basket sizes around 10, and planted bundles (groups of 2 to 4 products bought together, with
Zipf weights so that some are frequent and some are not). Each size (a prefix of the orders,
a folder of links to the first part files) is mined by ``recommender.mine`` with
``engine="mlxtend"`` and ``engine="spark"``, each run in a fresh process so that its peak
memory is its own: wall time from start to the model, and the peak of the proportional set
size summed over the process and its children (mining workers, Spark's JVM), sampled every
250 ms. Both engines read the same folder; the Spark engine keeps it in Spark. The script
checks that both engines give the same rules (a digest of every rule's items and counts) and
counts the planted bundles found as rules.

    python benchmarks/bench_scale.py --preset small   # seconds; run by the tests
    python benchmarks/bench_scale.py --preset full    # 100k, 300k, 1M, 3M baskets (long)
"""

from __future__ import annotations

import json
import os
import re
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
    "small": {
        "baskets": 10_000,
        "items": 1_000,
        "sizes": (5_000, 10_000),
        "part_baskets": 5_000,
        "min_support": 0.005,
        "bundles": 20,
    },
    "full": {
        "baskets": 3_000_000,
        "items": 50_000,
        "sizes": (100_000, 300_000, 1_000_000, 3_000_000),
        "part_baskets": 100_000,
        "min_support": 0.0005,
        "bundles": 200,
    },
}
MIN_CONFIDENCE = 0.1
MAX_LEN = 3
MEAN_BASKET = 10.0
ZIPF_EXPONENT = 1.0
ZIPF_OFFSET = 10.0  # flattens the head: the best seller is in about one basket in ten
BUNDLE_SHARE = 0.15  # of baskets that hold a planted bundle
SPARK_CONF = ("spark.driver.memory=5g", "spark.ui.enabled=false")
RUN_TIMEOUT = 900
ENGINES = ("mlxtend", "spark")
# An engine that needed longer than this at one size is not run at the larger ones: on this
# machine it has stopped being practical, and its time grows at least in step with the baskets.
PRACTICAL_SECONDS = 480


def generate_shop(
    rng: np.random.Generator, *, n_baskets: int, n_items: int, n_bundles: int, part_baskets: int, out: Path
) -> dict[str, Any]:
    """Write ``n_baskets`` orders as Parquet part files of ``part_baskets`` orders each.

    Products are drawn with Zipf weights ``1 / (rank + offset)``; a share of the baskets also
    holds one planted bundle of 2 to 4 mid-popular products, bundles drawn with Zipf weights.
    Returns the bundles and the files written.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    weights = 1.0 / (np.arange(1, n_items + 1) + ZIPF_OFFSET) ** ZIPF_EXPONENT
    cdf = np.cumsum(weights / weights.sum())
    # Bundles of products outside the best sellers, so that the bundle, not popularity, links them.
    pool = rng.permutation(np.arange(n_items // 50, n_items // 5))
    sizes = rng.integers(2, 5, size=n_bundles)
    bundles = [pool[start : start + size] for start, size in zip(np.cumsum(sizes) - sizes, sizes)]
    bundle_cdf = np.cumsum(1.0 / np.arange(1, n_bundles + 1))
    bundle_cdf /= bundle_cdf[-1]
    names = np.asarray([f"P{k:05d}" for k in range(n_items)], dtype=object)
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for part, start in enumerate(range(0, n_baskets, part_baskets)):
        count = min(part_baskets, n_baskets - start)
        lengths = 1 + rng.poisson(MEAN_BASKET - 1.0, size=count)
        drawn = np.minimum(np.searchsorted(cdf, rng.random(int(lengths.sum()))), n_items - 1)
        orders = np.repeat(np.arange(start, start + count, dtype=np.int64), lengths)
        with_bundle = np.flatnonzero(rng.random(count) < BUNDLE_SHARE)
        chosen = np.searchsorted(bundle_cdf, rng.random(len(with_bundle)))
        extra_orders = np.concatenate([np.full(len(bundles[b]), start + i) for i, b in zip(with_bundle, chosen)])
        extra_items = np.concatenate([bundles[b] for b in chosen])
        orders = np.concatenate([orders, extra_orders.astype(np.int64)])
        items = np.concatenate([drawn, extra_items])
        table = pa.table({"order_id": orders, "product_id": pa.array(names[items], type=pa.string())})
        path = out / f"part-{part:05d}.parquet"
        pq.write_table(table, path)
        files.append(path)
    return {"bundles": [sorted(names[b].tolist()) for b in bundles], "files": files}


def prefix_folder(files: list[Path], n_parts: int, out: Path) -> Path:
    """A folder of links to the first ``n_parts`` part files: the first orders of the shop."""
    out.mkdir(parents=True, exist_ok=True)
    for file in files[:n_parts]:
        link = out / file.name
        if not link.exists():
            link.symlink_to(file)
    return out


CHILD = """
import json, sys, time, warnings
warnings.simplefilter("ignore")
started = time.perf_counter()
from recommender import mine
engine, path, support = sys.argv[1], sys.argv[2], float(sys.argv[3])
options = dict(engine=engine, min_support=support, min_confidence={confidence}, max_len={max_len}, max_pairs=None)
if engine == "spark":
    options["spark_conf"] = {spark_conf!r}
model = mine(path, **options)
rules = model.rules
keys = sorted(
    "|".join([",".join(a), c, str(n), str(na)])
    for a, c, n, na in zip(rules["antecedents"], rules["consequent"], rules["count"], rules["antecedent_count"])
)
print(json.dumps({{
    "seconds_in_process": time.perf_counter() - started,
    "baskets": model.n_baskets,
    "rules": len(rules),
    "digest": __import__("hashlib").sha256("\\n".join(keys).encode()).hexdigest(),
    "pairs": [list(a) + [c] for a, c in zip(rules["antecedents"], rules["consequent"])],
    "timings": model.provenance["timings_seconds"],
    "stages": model.provenance["stages"]["stages"],
    "frequent_items": model.provenance["counts"]["frequent_items"],
    "frequent_itemsets": model.provenance["counts"]["frequent_itemsets"],
}}))
"""


def run_engine(engine: str, path: Path, support: float) -> dict[str, Any]:
    """Mine ``path`` in a fresh process; wall time and the peak memory of its process tree."""
    code = CHILD.format(confidence=MIN_CONFIDENCE, max_len=MAX_LEN, spark_conf=SPARK_CONF)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    started = time.perf_counter()
    child = subprocess.Popen(
        # -P: the child imports this tree's recommender (PYTHONPATH), not one in the current folder.
        [sys.executable, "-P", "-c", code, engine, str(path), repr(support)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_memory(child.pid))
            done.wait(0.25)  # reading a JVM's smaps often slows it down

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        out, err = child.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        done.set()
        return {"engine": engine, "error": f"stopped after {RUN_TIMEOUT} s", "peak_mb": round(peak / 2**20)}
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if child.returncode != 0:
        return {"engine": engine, "error": err.strip().splitlines()[-1] if err.strip() else f"exit {child.returncode}"}
    result = json.loads(out.strip().splitlines()[-1])
    return {"engine": engine, "seconds": round(seconds, 1), "peak_mb": round(peak / 2**20), **result}


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1)) * 1024
    return f"{cpu}, {os.cpu_count()} cores, {memory / 2**30:.0f} GiB"


def run(
    preset: str,
    workdir: Path,
    seed: int = 2024,
    *,
    engines: tuple[str, ...] = ENGINES,
    sizes: tuple[int, ...] | None = None,
) -> dict[str, Any]:
    settings = PRESETS[preset]
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    # A shop written before with the same settings and seed is the same shop: keep it.
    marker = workdir / "shop" / "shop.json"
    key = {"seed": seed, **{k: v for k, v in settings.items() if k != "sizes"}}
    if marker.exists() and json.loads(marker.read_text())["key"] == key:
        shop = json.loads(marker.read_text())
        shop["files"] = sorted((workdir / "shop").glob("part-*.parquet"))
    else:
        shop = generate_shop(
            rng,
            n_baskets=settings["baskets"],
            n_items=settings["items"],
            n_bundles=settings["bundles"],
            part_baskets=settings["part_baskets"],
            out=workdir / "shop",
        )
        marker.write_text(json.dumps({"key": key, "bundles": shop["bundles"]}))
    generated = time.perf_counter() - started
    rows: list[dict[str, Any]] = []
    stopped: dict[str, str] = {}
    for size in sizes or settings["sizes"]:
        folder = prefix_folder(shop["files"], -(-size // settings["part_baskets"]), workdir / f"first-{size}")
        runs = {}
        for engine in engines:
            if engine in stopped:
                runs[engine] = {"engine": engine, "error": stopped[engine]}
                continue
            runs[engine] = run_engine(engine, folder, settings["min_support"])
            took = runs[engine].get("seconds", RUN_TIMEOUT)
            if "error" in runs[engine] or took > PRACTICAL_SECONDS:
                stopped[engine] = f"not run: {took:.0f} s at {size:,} baskets"
        digests = [run["digest"] for run in runs.values() if "digest" in run]
        # None where an engine did not run: nothing to compare.
        same_rules = digests[0] == digests[1] if len(digests) == 2 else None
        found = {
            engine: _bundles_found(run.pop("pairs", []), shop["bundles"]) if "error" not in run else None
            for engine, run in runs.items()
        }
        rows.append(
            {
                "baskets": size,
                "same_rules": same_rules,
                "bundles_found": found,
                **runs,
            }
        )
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    import recommender

    versions = {"recommender": recommender.__version__}
    if "spark" in engines:
        import pyspark

        versions["pyspark"] = pyspark.__version__
    return {
        "preset": preset,
        "seed": seed,
        **{k: v for k, v in settings.items() if k != "sizes"},
        "min_confidence": MIN_CONFIDENCE,
        "max_len": MAX_LEN,
        "spark_conf": list(SPARK_CONF),
        "generate_seconds": round(generated, 1),
        "parquet_mb": round(sum(f.stat().st_size for f in shop["files"]) / 2**20, 1),
        "machine": machine(),
        "versions": versions,
        "date": time.strftime("%Y-%m-%d"),
        "runs": rows,
    }


def _bundles_found(pairs: list[list[str]], bundles: list[list[str]]) -> int:
    """Planted bundles with at least one rule inside them (every item of the rule in the bundle)."""
    inside = {frozenset(rule) for rule in pairs}
    return sum(1 for bundle in bundles if any(rule <= frozenset(bundle) for rule in inside))


def main(argv: list[str] | None = None) -> int:
    parser = preset_parser(__doc__, PRESETS)
    parser.add_argument("--workdir", type=Path, help="where to write the shop (default: a temporary folder)")
    parser.add_argument(
        "--engines", nargs="+", choices=ENGINES, default=list(ENGINES), help="the engines to run (default: both)"
    )
    parser.add_argument(
        "--sizes", nargs="+", type=int, help="numbers of baskets to mine (default: the preset's; at most its baskets)"
    )
    args = parser.parse_args(argv)
    options = {"engines": tuple(args.engines), "sizes": tuple(args.sizes) if args.sizes else None}
    if args.workdir:
        result = run(args.preset, args.workdir, **options)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-scale-") as folder:
            result = run(args.preset, Path(folder), **options)
    emit(result, args.json)
    return 0 if all(row["same_rules"] is not False for row in result["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
