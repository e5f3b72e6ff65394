"""Recommendation latency: our rule index against the obvious pandas approach, in one run.

Rules are mined once from a basket file; carts are random subsets (1 to 20 items) of real
baskets of the same file, seeded. For each cart both answer the same question: the three most
confident consequents of the rules whose antecedent lies inside the cart, none of them in the
cart. Ours is ``Recommender.recommend`` (cross-sell only, no lift floor, no diversity, so both
rank the same rules); the pandas approach filters the rules DataFrame with
``antecedents <= cart``, drops consequents in the cart, sorts and takes the head. Latency is
measured per cart with ``time.perf_counter_ns``; the answers are compared cart by cart.
That comparison needs the rules' ranking (``combine="max"``); the shipped default, the learned
ranking (item-item weights summed over the cart), answers the same carts in the same rounds,
and its latency is reported beside the rules' (``learned_us``, ``learned_vs_rules_p50``).

The two are timed in alternating rounds (a fifth of our carts, then a fifth of the pandas
approach's, and so on), each round after a few untimed carts that bring its data back into the
caches the other filled: on a shared machine whose speed drifts over seconds, both then see the
same machine, and the ratio does not depend on when each ran.

Before timing, the model is collected once and frozen out of the garbage collector's way, as
the service does after each load (``recommender/service/holder.py``): otherwise a full
collection, which walks every object the model has, lands in one of the timed answers. What
a full collection costs before and after the model is loaded, and once frozen, is reported.

    python benchmarks/bench_recommend.py --preset full    # retail.dat.xz, support 0.0005, max_len 10
    python benchmarks/bench_recommend.py --preset small   # groceries.csv, support 0.001, max_len 10
    python benchmarks/bench_recommend.py --preset full-max-len-3   # retail.dat.xz at the default max_len
"""

from __future__ import annotations

import gc
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from common import emit, preset_parser

LIMIT = 3
ROUNDS = 5
WARM_UP = 3  # untimed carts at the start of each round, ours and the pandas approach's

PRESETS: dict[str, dict[str, Any]] = {
    "small": {"file": "groceries.csv", "min_support": 0.001, "min_confidence": 0.1, "max_len": 10,
              "carts": 1000, "pandas_carts": 100},
    "full": {"file": "retail.dat.xz", "min_support": 0.0005, "min_confidence": 0.1, "max_len": 10,
             "carts": 20000, "pandas_carts": 500},
    "full-max-len-3": {"file": "retail.dat.xz", "min_support": 0.0005, "min_confidence": 0.1, "max_len": 3,
                       "carts": 20000, "pandas_carts": 500},
    # IBM Quest's synthetic baskets: the learned ranking keeps 400 weights per item there (50 on
    # retail.dat), so a cart reads eight times as many.
    "quest": {"file": "T10I4D100K.dat.xz", "min_support": 0.001, "min_confidence": 0.1, "max_len": 3,
              "carts": 20000, "pandas_carts": 500},
}  # fmt: skip


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def make_carts(baskets: list[tuple[str, ...]], count: int, seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    carts = []
    while len(carts) < count:
        basket = rng.choice(baskets)
        size = min(len(basket), rng.randint(1, 20))
        carts.append(rng.sample(list(basket), size))
    return carts


def pandas_rules(model: Any) -> Any:
    """The rules as the tutorials hold them: one row per rule, antecedents as frozensets."""
    rules = model.rules[["antecedents", "consequent", "confidence", "lift", "count"]].copy()
    rules["antecedents"] = rules["antecedents"].map(frozenset)
    return rules


def pandas_recommend(rules: Any, cart: list[str]) -> tuple[str, ...]:
    basket = frozenset(cart)
    matched = rules[rules["antecedents"].map(basket.issuperset) & ~rules["consequent"].isin(basket)]
    # The ranking's own key: confidence, then basket count (both descending), then the item id.
    ranked = matched.sort_values(["confidence", "count", "consequent"], ascending=[False, False, True])
    return tuple(ranked.drop_duplicates("consequent")["consequent"].head(LIMIT))


def run(preset: str, data: Path, seed: int = 7) -> dict[str, Any]:
    from recommender import RankingConfig, Recommender, mine, read_baskets

    settings = PRESETS[preset]
    path = data / settings["file"]
    if not path.exists():
        raise SystemExit(f"{path} is not here; pass --data with the folder of the shared data sets")
    baskets = read_baskets(path)
    model = mine(baskets, min_support=settings["min_support"], min_confidence=settings["min_confidence"],
                 max_len=settings["max_len"])  # fmt: skip
    carts = make_carts([b for b in baskets], settings["carts"], seed)
    warm_up = make_carts([b for b in baskets], ROUNDS * WARM_UP, seed + 1)
    config = RankingConfig(combine="max", min_lift=0.0, max_per_category=None, max_upgrades=0)
    default_config = RankingConfig(max_per_category=None, max_upgrades=0)  # the learned ranking

    with tempfile.TemporaryDirectory() as folder:
        model_path = model.save(Path(folder) / "model.rcm")
        without_model_ms = _collection_ms()
        started = time.perf_counter()
        recommender = Recommender.load(model_path, config=config)
        load_seconds = time.perf_counter() - started
        learned = Recommender.load(model_path, config=default_config)
        # Memory in a second load: tracing allocations slows them, so it is not timed.
        tracemalloc.start()
        held = Recommender.load(model_path, config=config)
        load_held, load_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        del held
        size_bytes = model_path.stat().st_size
    with_model_ms = _collection_ms()
    gc.freeze()
    frozen_ms = _collection_ms()

    rules = pandas_rules(model)
    ours: list[float] = []
    theirs: list[float] = []
    learned_us: list[float] = []
    answers: list[tuple[str, ...]] = []
    agree = 0
    per_round, pandas_per_round = len(carts) // ROUNDS, settings["pandas_carts"] // ROUNDS
    for start in range(ROUNDS):
        for cart in warm_up[start * WARM_UP : (start + 1) * WARM_UP]:
            recommender.recommend(cart, limit=LIMIT, kinds=("cross_sell",))
        for cart in carts[start * per_round : (start + 1) * per_round]:
            started_ns = time.perf_counter_ns()
            answer = recommender.recommend(cart, limit=LIMIT, kinds=("cross_sell",))
            ours.append((time.perf_counter_ns() - started_ns) / 1000)
            answers.append(answer.item_ids)
        for cart in warm_up[start * WARM_UP : (start + 1) * WARM_UP]:
            learned.recommend(cart, limit=LIMIT, kinds=("cross_sell",))
        for cart in carts[start * per_round : (start + 1) * per_round]:
            started_ns = time.perf_counter_ns()
            learned.recommend(cart, limit=LIMIT, kinds=("cross_sell",))
            learned_us.append((time.perf_counter_ns() - started_ns) / 1000)
        # The pandas approach answers carts of this round, compared with ours.
        for cart in warm_up[start * WARM_UP : (start + 1) * WARM_UP]:
            pandas_recommend(rules, cart)
        for at in range(start * per_round, start * per_round + pandas_per_round):
            started_ns = time.perf_counter_ns()
            expected = pandas_recommend(rules, carts[at])
            theirs.append((time.perf_counter_ns() - started_ns) / 1000)
            agree += expected == answers[at]
    gc.unfreeze()  # a caller in the same process (the tests) gets its collector back as it was
    import platform

    return {
        "preset": preset,
        **{k: v for k, v in settings.items()},
        "date": time.strftime("%Y-%m-%d"),
        "python": platform.python_version(),
        "rules": len(model.rules),
        "cart_sizes": {
            "min": min(map(len, carts)),
            "max": max(map(len, carts)),
            "mean": round(statistics.mean(map(len, carts)), 2),
        },  # fmt: skip
        "ours_us": {
            "p50": round(percentile(ours, 0.5), 1),
            "p99": round(percentile(ours, 0.99), 1),
            "mean": round(statistics.mean(ours), 1),
        },  # fmt: skip
        "pandas_us": {
            "p50": round(percentile(theirs, 0.5), 1),
            "p99": round(percentile(theirs, 0.99), 1),
            "mean": round(statistics.mean(theirs), 1),
        },  # fmt: skip
        "learned_us": {
            "p50": round(percentile(learned_us, 0.5), 1),
            "p99": round(percentile(learned_us, 0.99), 1),
            "mean": round(statistics.mean(learned_us), 1),
        },  # fmt: skip
        "learned_vs_rules_p50": round(percentile(learned_us, 0.5) / percentile(ours, 0.5), 2),
        "weights": len(model.data.weights),
        "speedup_p50": round(percentile(theirs, 0.5) / percentile(ours, 0.5), 1),
        "speedup_mean": round(statistics.mean(theirs) / statistics.mean(ours), 1),
        "same_answers": f"{agree}/{len(theirs)}",
        "load": {
            "seconds": round(load_seconds, 3),
            "peak_python_mb": round(load_peak / 2**20, 1),
            "held_python_mb": round(load_held / 2**20, 1),
            "file_mb": round(size_bytes / 2**20, 2),
        },  # fmt: skip
        # A full collection of all this process holds (baskets, carts, mined model; then the model):
        "full_collection_ms": {
            "before_load": round(without_model_ms, 1),
            "after_load": round(with_model_ms, 1),
            "frozen": round(frozen_ms, 1),
        },  # fmt: skip
    }


def _collection_ms() -> float:
    """How long a full garbage collection takes now, in milliseconds (the fastest of three)."""
    times = []
    for _ in range(3):
        started = time.perf_counter()
        gc.collect()
        times.append((time.perf_counter() - started) * 1000)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    args = preset_parser(__doc__, PRESETS).parse_args(argv)
    result = run(args.preset, args.data)
    emit(result, args.json)
    agreed, total = map(int, result["same_answers"].split("/"))
    return 0 if agreed == total else 1


if __name__ == "__main__":
    sys.exit(main())
