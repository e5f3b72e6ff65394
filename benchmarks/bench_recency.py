"""Recency: do rules ranked with recent orders weighing more suggest better? (``--half-life``)

For each data set with order times: split by time (the latest 20% of the orders held out, as
``recommender evaluate`` does), mine the train orders once, then rank the same rules with each
half-life (each train basket weighing ``2 ** (-age / half_life)`` at the latest train order; the
thresholds stay on the raw counts, so the rules are the same) and without one, on the same
leave-one-out cases: hit@3 and NDCG@3 of the rules' ranking (``combine="max"``: the learned
weights do not take basket weights yet), for several seeds of the cases (the time split itself
does not depend on the seed).

    python benchmarks/bench_recency.py --preset full     # Online Retail, Complete Journey (full), 5 seeds
    python benchmarks/bench_recency.py --preset small    # the sample shop; run by the tests
    python benchmarks/bench_recency.py --preset full --datasets online_retail --ease   # and EASE, weighted
"""

from __future__ import annotations

import platform
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from common import emit, preset_parser, read_dataset

LIMIT = 3
DATASETS: dict[str, dict[str, Any]] = {
    "online_retail": {"file": "online_retail.csv.xz", "min_support": 0.003, "min_confidence": 0.1, "max_len": 3},
    "completejourney_full": {"file": "completejourney/transactions.parquet", "min_support": 0.0005,
                             "min_confidence": 0.1, "max_len": 3},
}  # fmt: skip
PRESETS: dict[str, dict[str, Any]] = {
    "small": {
        "datasets": ("sample_shop",),
        "half_lives": (None, 30.0, 120.0),
        "seeds": 2,
        "max_cases": 500,
        "ease_half_lives": (None, 30.0),
    },
    "full": {
        "datasets": ("online_retail", "completejourney_full"),
        "half_lives": (None, 7.0, 14.0, 30.0, 60.0, 90.0, 180.0, 365.0),
        "seeds": 5,
        "max_cases": 5000,
        # EASE, an item-item ridge regression as the learned weights are, on a Gram matrix of
        # weighted baskets: what a half-life would do to the learned ranking.
        "ease_half_lives": (None, 90.0, 180.0, 365.0),
    },
}


def run_dataset(
    name: str, data: Path, *, half_lives: tuple[float | None, ...], seeds: int, max_cases: int,
    ease_half_lives: tuple[float | None, ...] = (),
) -> dict:  # fmt: skip
    from recommender import RankingConfig, mine
    from recommender.evaluation import leave_one_out, split_baskets
    from recommender.evaluation.baselines import RulesSystem
    from recommender.evaluation.metrics import score
    from recommender.mining.recency import recency_of

    thresholds = DATASETS.get(name, {"min_support": 0.002, "min_confidence": 0.1, "max_len": 3})
    baskets = read_dataset(name, data, DATASETS.get(name, {}).get("file"))
    parts = split_baskets(baskets, test_share=0.2, method="time")
    train = parts.train
    started = time.perf_counter()
    model = mine(train, learn_weights=False, **{k: thresholds[k] for k in ("min_support", "min_confidence", "max_len")})
    mined_seconds = time.perf_counter() - started
    ranking = RankingConfig(combine="max")
    index = {item: k for k, item in enumerate(train.items)}
    results: dict[str, list[dict[str, float]]] = {}
    weigh_seconds: dict[str, float] = {}
    for half_life in half_lives:
        label = "none" if half_life is None else f"{half_life:g}"
        started = time.perf_counter()
        data_now = model.data
        if half_life is not None:
            data_now = replace(model.data, recency=recency_of(train, model.data.rules, half_life))
        weigh_seconds[label] = round(time.perf_counter() - started, 2)
        system = RulesSystem(data_now, config=ranking, items=train.items)
        runs = []
        for seed in range(seeds):
            # evaluate's stream for the cases: the second child of the seed.
            case_seed = np.random.SeedSequence(seed).spawn(3)[1]
            cases = leave_one_out(parts.test, seed=np.random.default_rng(case_seed), max_cases=max_cases)
            hidden = np.array([index.get(item, -1) for item in cases.hidden], dtype=np.int64)
            answer = system.suggest(cases, limit=LIMIT)
            scores = score(label, answer.suggested, hidden, limit=LIMIT, n_items=train.n_items,
                           fallback=answer.fallback)  # fmt: skip
            runs.append({"seed": seed, "cases": len(cases), "hit_rate": scores.hit_rate, "ndcg": scores.ndcg})
        results[label] = runs
        print(f"{name}: half-life {label}: hit@3 {np.mean([r['hit_rate'] for r in runs]):.4f}", file=sys.stderr)
    from recommender.evaluation.baselines import EASE

    for half_life in ease_half_lives:
        label = "ease, none" if half_life is None else f"ease, {half_life:g}"
        ease = EASE(train, seed=np.random.default_rng(0), limit=LIMIT, validation_share=0.2, max_cases=max_cases,
                    split="time", half_life=half_life)  # fmt: skip
        runs = []
        for seed in range(seeds):
            case_seed = np.random.SeedSequence(seed).spawn(3)[1]
            cases = leave_one_out(parts.test, seed=np.random.default_rng(case_seed), max_cases=max_cases)
            hidden = np.array([index.get(item, -1) for item in cases.hidden], dtype=np.int64)
            scores = score(label, ease.suggest(cases, limit=LIMIT).suggested, hidden, limit=LIMIT,
                           n_items=train.n_items)  # fmt: skip
            runs.append({"seed": seed, "cases": len(cases), "hit_rate": scores.hit_rate, "ndcg": scores.ndcg,
                         "lambda": ease.lambda_})  # fmt: skip
        results[label] = runs
        print(f"{name}: {label}: hit@3 {np.mean([r['hit_rate'] for r in runs]):.4f}", file=sys.stderr)
    summary = {}
    for label, runs in results.items():
        # Each against its own system without a half-life, on the same cases.
        base = results["ease, none" if label.startswith("ease") else "none"]
        hits = np.array([r["hit_rate"] for r in runs])
        ndcgs = np.array([r["ndcg"] for r in runs])
        summary[label] = {
            "hit_rate": float(hits.mean()),
            "ndcg": float(ndcgs.mean()),
            # Paired with no half-life on the same cases: the difference and its spread over seeds.
            "hit_rate_difference": float((hits - np.array([r["hit_rate"] for r in base])).mean()),
            "hit_rate_difference_sd": float((hits - np.array([r["hit_rate"] for r in base])).std(ddof=1))
            if len(runs) > 1
            else 0.0,
            "ndcg_difference": float((ndcgs - np.array([r["ndcg"] for r in base])).mean()),
        }
    times = np.asarray(train.timestamps, dtype="datetime64[D]")
    return {
        "dataset": name,
        "train_baskets": len(train),
        "test_baskets": len(parts.test),
        "train_days": int((times.max() - times.min()).astype(int)),
        "rules": len(model.data.rules),
        "thresholds": {k: thresholds[k] for k in ("min_support", "min_confidence", "max_len")},
        "mining_seconds": round(mined_seconds, 1),
        "weighing_seconds": weigh_seconds,
        "summary": summary,
        "runs": results,
    }


def main() -> None:
    parser = preset_parser(__doc__ or "", PRESETS)
    parser.add_argument("--datasets", nargs="+", choices=sorted(DATASETS), help="a part of the preset")
    parser.add_argument("--ease", action="store_true", help="also EASE on weighted baskets (slow)")
    args = parser.parse_args()
    settings = PRESETS[args.preset]
    result = {
        "preset": args.preset,
        "limit": LIMIT,
        "seeds": settings["seeds"],
        "datasets": [
            run_dataset(
                name,
                args.data,
                half_lives=settings["half_lives"],
                seeds=settings["seeds"],
                max_cases=settings["max_cases"],
                ease_half_lives=settings["ease_half_lives"] if args.ease else (),
            )  # fmt: skip
            for name in (args.datasets or settings["datasets"])
        ],
        "machine": {"python": platform.python_version(), "processor": platform.processor() or platform.machine()},
        "date": date.today().isoformat(),
    }
    emit(result, args.json)


if __name__ == "__main__":
    main()
