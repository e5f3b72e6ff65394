"""Recommendation quality: our rules against popular items and item co-occurrence, held out.

For each data set, orders are split into train and test (the latest 20% when orders have
times, otherwise a seeded random 20%), rules are mined on the train orders, one item is hidden
from each test basket of two or more items, and every system suggests three items for the
rest (``recommender.evaluate``). All systems answer the same cases. Then one-at-a-time sweeps
of the mining thresholds and of the ranking's score combination show what the defaults cost.

    python benchmarks/bench_quality.py --preset full     # every data set, sweeps on Groceries and retail.dat
    python benchmarks/bench_quality.py --preset small    # Groceries only, small sweep; run by the tests
"""

from __future__ import annotations

import importlib.util
import platform
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from common import emit, preset_parser

LIMIT = 3
SEED = 0
BASE_SYSTEMS = ("rules", "popular", "cooccurrence", "cosine", "random")

# Per data set: thresholds that suit it. Online Retail's long baskets need support >= 0.003
# (the max_pairs guard); Complete Journey is a sample of lines, so its baskets are thin and
# its items many: a low support keeps some rules.
DATASETS: dict[str, dict[str, Any]] = {
    "groceries": {"file": "groceries.csv", "min_support": 0.001, "min_confidence": 0.1, "max_len": 3},
    "online_retail": {"file": "online_retail.csv.xz", "min_support": 0.003, "min_confidence": 0.1, "max_len": 3},
    "retail": {"file": "retail.dat.xz", "min_support": 0.0005, "min_confidence": 0.1, "max_len": 3},
    "completejourney": {"file": "completejourney/transactions_sample.csv.gz", "min_support": 0.0001,
                        "min_confidence": 0.1, "max_len": 3},
}  # fmt: skip

# Swept on both data sets: confidence, length, the ranking, and the rule hygiene (issue 7), each
# option alone against the first line of the table.
_SWEEP_BOTH: dict[str, tuple[Any, ...]] = {
    "min_confidence": (0.01, 0.05, 0.1, 0.2, 0.5),
    "max_len": (2, 3, 4),
    "combine": ("max", "noisy_or", "cumulative"),
    "min_lift": (0.0, 1.0, 1.5, 2.0),
    "max_p": (0.05, 0.001),
    "prune_redundant": (True,),
    "min_count": (20,),
    "shrinkage": (5.0, 20.0),
}
SWEEPS: dict[str, dict[str, tuple[Any, ...]]] = {
    "groceries": {
        "min_support": (0.0005, 0.001, 0.002, 0.005),
        **_SWEEP_BOTH,
        "hierarchy": ("groceries_items.csv",),
    },
    "retail": {"min_support": (0.0003, 0.0005, 0.001, 0.002), **_SWEEP_BOTH},
}

PRESETS: dict[str, dict[str, Any]] = {
    "small": {
        "tables": ("groceries",),
        "seeds": {"groceries": 2},
        "sweeps": {"groceries": {"min_confidence": (0.05, 0.1), "combine": ("max", "noisy_or", "cumulative")}},
        "max_cases": 500,
    },
    "full": {
        "tables": ("groceries", "online_retail", "retail", "completejourney"),
        # Splits and cases drawn anew with each seed: how much of a difference is luck.
        "seeds": {"groceries": 5, "online_retail": 5, "retail": 5},
        "sweeps": SWEEPS,
        "max_cases": 5000,
    },
}

# Seeded runs also score the rules under this combination next to the default one.
SEEDED_COMBINE = "cumulative"
MINING_KEYS = ("min_support", "min_confidence", "max_len")
HYGIENE_KEYS = ("max_p", "prune_redundant", "min_count", "shrinkage", "hierarchy")
RANKING_KEYS = ("combine", "min_lift")


def run_one(
    baskets: Any, settings: dict[str, Any], *, systems: tuple[str, ...], max_cases: int, seed: int = SEED
) -> dict[str, Any]:
    from recommender import RankingConfig, evaluate

    ranking = RankingConfig(**{k: settings[k] for k in RANKING_KEYS if k in settings})
    started = time.perf_counter()
    result = evaluate(
        baskets, limit=LIMIT, seed=seed, max_cases=max_cases, systems=systems, ranking=ranking,
        **{k: settings[k] for k in MINING_KEYS}, **{k: settings[k] for k in HYGIENE_KEYS if k in settings},
    )  # fmt: skip
    return {**result.as_dict(), "describe": result.describe(), "wall_seconds": round(time.perf_counter() - started, 1)}


def run(preset: str, data: Path) -> dict[str, Any]:
    from recommender import read_baskets

    settings = PRESETS[preset]
    systems = BASE_SYSTEMS + (("implicit",) if importlib.util.find_spec("implicit") else ())
    read: dict[str, Any] = {}

    def baskets(name: str) -> Any:
        if name not in read:
            path = data / DATASETS[name]["file"]
            if not path.exists():
                raise SystemExit(f"{path} is not here; pass --data with the folder of the shared data sets")
            read[name] = read_baskets(path)
        return read[name]

    tables = []
    for name in settings["tables"]:
        print(f"{name}: all systems", file=sys.stderr)
        tables.append(
            {"name": name, **run_one(baskets(name), DATASETS[name], systems=systems, max_cases=settings["max_cases"])}
        )
    seeded = []
    for name, n_seeds in settings["seeds"].items():
        runs = []
        for seed in range(n_seeds):
            print(f"{name}: seed {seed}", file=sys.stderr)
            result = run_one(baskets(name), DATASETS[name], systems=BASE_SYSTEMS[:-1], max_cases=settings["max_cases"],
                             seed=seed)  # fmt: skip
            # The other way of adding rules up, on the same split and cases (the same seed).
            combined = run_one(baskets(name), {**DATASETS[name], "combine": SEEDED_COMBINE}, systems=("rules",),
                               max_cases=settings["max_cases"], seed=seed)  # fmt: skip
            runs.append({**result["systems"], f"rules, {SEEDED_COMBINE}": combined["systems"]["rules"]})
        seeded.append({
            "dataset": name, "seeds": n_seeds,
            "systems": {
                system: {
                    metric: (float(np.mean([r[system][metric] for r in runs])),
                             float(np.std([r[system][metric] for r in runs], ddof=1)) if n_seeds > 1 else 0.0)
                    for metric in ("hit_rate", "ndcg")
                }
                for system in runs[0]
            },
        })  # fmt: skip
    sweeps = []
    for name, parameters in settings["sweeps"].items():
        base = DATASETS[name]
        for parameter, values in parameters.items():
            for value in values:
                print(f"{name}: {parameter} = {value}", file=sys.stderr)
                # A hierarchy is a file of the shared data sets.
                given = data / value if parameter == "hierarchy" else value
                result = run_one(baskets(name), {**base, parameter: given}, systems=("rules",),
                                 max_cases=settings["max_cases"])  # fmt: skip
                rules = result["systems"]["rules"]
                sweeps.append({
                    "dataset": name, "parameter": parameter, "value": value, "rules": result["counts"]["rules"],
                    "hit_rate": rules["hit_rate"], "ndcg": rules["ndcg"], "fallback_share": rules["fallback_share"],
                    "coverage": rules["coverage"], "cases": result["counts"]["cases"],
                })  # fmt: skip
    return {
        "preset": preset,
        "limit": LIMIT,
        "seed": SEED,
        "tables": tables,
        "seeded": seeded,
        "sweeps": sweeps,
        "machine": {"python": platform.python_version(), "processor": platform.processor() or platform.machine()},
        "date": date.today().isoformat(),
    }


def markdown(result: dict[str, Any]) -> str:
    """The tables for benchmarks/README.md."""
    k = result["limit"]
    out = []
    for table in result["tables"]:
        t = table["thresholds"]
        c = table["counts"]
        out.append(
            f"### {table['name']}\n\n`{table['dataset']}`: {table['split']['method']} split, "
            f"{c['train_baskets']:,} train / {c['test_baskets']:,} test orders, {c['cases']:,} cases "
            f"({c['hidden_unseen']:,} hidden items unseen in train); support {t['min_support']:g}, confidence "
            f"{t['min_confidence']:g}, max_len {t['max_len']}: {c['rules']:,} rules; {table['wall_seconds']} s\n"
        )
        out.append(f"| system | hit@{k} | precision@{k} | NDCG@{k} | MRR@{k} | coverage | fallback | revenue hit |")
        out.append("|---|---|---|---|---|---|---|---|")
        for name, s in table["systems"].items():
            revenue = "-" if s["revenue_hit_rate"] is None else f"{s['revenue_hit_rate']:.4f}"
            cells = (s["hit_rate"], s["precision"], s["ndcg"], s["mrr"], s["coverage"], s["fallback_share"])
            out.append(f"| {name} | " + " | ".join(f"{v:.4f}" for v in cells) + f" | {revenue} |")
        out.append("")
        out.append(f"| {table['name']}: hit@{k} by case | cases | " + " | ".join(table["systems"]) + " |")
        out.append("|---|---|" + "---|" * len(table["systems"]))
        for segment, s in table["segments"].items():
            if s["cases"]:
                out.append(
                    f"| {segment} | {s['cases']:,} | " + " | ".join(f"{v:.4f}" for v in s["hit_rate"].values()) + " |"
                )
        out.append("")
    if result["seeded"]:
        out.append(f"### Over several seeds (mean and standard deviation of hit@{k} and NDCG@{k})\n")
        systems = list(result["seeded"][0]["systems"])
        out.append("| data | seeds | " + " | ".join(systems) + " |")
        out.append("|---|---|" + "---|" * len(systems))
        for row in result["seeded"]:
            cells = [
                f"{s['hit_rate'][0]:.4f} ± {s['hit_rate'][1]:.4f} / {s['ndcg'][0]:.4f} ± {s['ndcg'][1]:.4f}"
                for s in row["systems"].values()
            ]
            out.append(f"| {row['dataset']} | {row['seeds']} | " + " | ".join(cells) + " |")
        out.append("")
    if result["sweeps"]:
        out.append("### Sweeps\n")
        out.append(f"| data | parameter | value | rules | rules hit@{k} | rules NDCG@{k} | fallback | coverage |")
        out.append("|---|---|---|---|---|---|---|---|")
        for s in result["sweeps"]:
            out.append(
                f"| {s['dataset']} | {s['parameter']} | {s['value']} | {s['rules']:,} | {s['hit_rate']:.4f} | "
                f"{s['ndcg']:.4f} | {s['fallback_share']:.4f} | {s['coverage']:.4f} |"
            )
    return "\n".join(out)


def main() -> None:
    parser = preset_parser(__doc__ or "", PRESETS)
    parser.add_argument("--markdown", type=Path, help="also write the tables as Markdown to this file")
    args = parser.parse_args()
    result = run(args.preset, args.data)
    emit(result, args.json)
    if args.markdown:
        args.markdown.write_text(markdown(result) + "\n")


if __name__ == "__main__":
    main()
