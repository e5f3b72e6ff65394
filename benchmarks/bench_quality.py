"""Recommendation quality: our rules against popular items, item co-occurrence and EASE, held out.

For each data set, orders are split into train and test (the latest 20% when orders have
times, otherwise a seeded random 20%), rules are mined on the train orders, one item is hidden
from each test basket of two or more items, and every system suggests three items for the
rest (``recommender.evaluate``). All systems answer the same cases. EASE, the accuracy anchor,
chooses its lambda on a validation split of the train orders and models at most 6,000 items
(the most frequent); its lambda and items are reported. "Beyond the obvious" is the hit rate on
the cases whose hidden item is not one of the 10 best sellers of the train orders. Then
one-at-a-time sweeps of the mining thresholds and of the ranking's score combination show what
the defaults cost.

    python benchmarks/bench_quality.py --preset full     # every data set, sweeps on Groceries and retail.dat
    python benchmarks/bench_quality.py --preset small    # Groceries only, small sweep; run by the tests
    python benchmarks/bench_quality.py --preset full --datasets retail --no-sweeps   # a part of the full run
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
BASE_SYSTEMS = ("rules", "popular", "cooccurrence", "cosine", "ease", "random")
# The seeded runs leave out random (a floor, known) and implicit (optional, slow, far behind).
SEEDED_SYSTEMS = ("rules", "popular", "cooccurrence", "cosine", "ease")

# Per data set: thresholds that suit it. Online Retail's long baskets need support >= 0.003
# (the max_pairs guard); Complete Journey's sample is a sample of lines, so its baskets are thin
# and its items many: a low support keeps some rules. Its full transactions (whole baskets,
# 68,509 products) are the Complete Journey that can tell basket models apart. IBM Quest's
# synthetic T10I4D100K (baskets of long overlapping patterns) came later, as a set the defaults
# had never been measured on; its thresholds are the ones `mine` picks by itself.
DATASETS: dict[str, dict[str, Any]] = {
    "groceries": {"file": "groceries.csv", "min_support": 0.001, "min_confidence": 0.1, "max_len": 3},
    "online_retail": {"file": "online_retail.csv.xz", "min_support": 0.003, "min_confidence": 0.1, "max_len": 3},
    "retail": {"file": "retail.dat.xz", "min_support": 0.0005, "min_confidence": 0.1, "max_len": 3},
    "completejourney": {"file": "completejourney/transactions_sample.csv.gz", "min_support": 0.0001,
                        "min_confidence": 0.1, "max_len": 3},
    "completejourney_full": {"file": "completejourney/transactions.parquet", "min_support": 0.0005,
                             "min_confidence": 0.1, "max_len": 3},
    "quest": {"file": "T10I4D100K.dat.xz", "min_support": 0.001, "min_confidence": 0.1, "max_len": 3},
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
        "tables": tuple(DATASETS),
        # Splits and cases drawn anew with each seed: how much of a difference is luck.
        "seeds": dict.fromkeys(DATASETS, 5),
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


def beyond(result: dict[str, Any]) -> dict[str, float]:
    """Each system's hit rate on the cases whose hidden item is not a best seller of the train."""
    (segment,) = [s for name, s in result["segments"].items() if name.startswith("hidden item outside the")]
    return dict(segment["hit_rate"])


def ease_choice(result: dict[str, Any]) -> dict[str, Any]:
    """What EASE chose in one run: lambda, its items, its validation cases, its seconds."""
    ease = result["systems"]["ease"]
    keys = ("lambda", "lambda_source", "items_modelled", "items_total", "validation_cases")
    return {**{key: ease[key] for key in keys}, "seconds": result["seconds"]["ease"]}


def run(preset: str, data: Path, *, datasets: tuple[str, ...] | None = None, sweeps: bool = True) -> dict[str, Any]:
    from recommender import read_baskets

    settings = dict(PRESETS[preset])
    if datasets is not None:  # a part of the preset: one data set at a time on a busy machine
        settings["tables"] = tuple(name for name in settings["tables"] if name in datasets)
        settings["seeds"] = {name: n for name, n in settings["seeds"].items() if name in datasets}
        settings["sweeps"] = {name: v for name, v in settings["sweeps"].items() if name in datasets}
    if not sweeps:
        settings["sweeps"] = {}
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
        result = run_one(baskets(name), DATASETS[name], systems=systems, max_cases=settings["max_cases"])
        tables.append({"name": name, **result, "beyond": beyond(result), "ease": ease_choice(result)})
    seeded = []
    for name, n_seeds in settings["seeds"].items():
        runs = []
        for seed in range(n_seeds):
            print(f"{name}: seed {seed}", file=sys.stderr)
            result = run_one(baskets(name), DATASETS[name], systems=SEEDED_SYSTEMS, max_cases=settings["max_cases"],
                             seed=seed)  # fmt: skip
            # The other way of adding rules up, on the same split and cases (the same seed).
            combined = run_one(baskets(name), {**DATASETS[name], "combine": SEEDED_COMBINE}, systems=("rules",),
                               max_cases=settings["max_cases"], seed=seed)  # fmt: skip
            systems = {**result["systems"], f"rules, {SEEDED_COMBINE}": combined["systems"]["rules"]}
            outside = {**beyond(result), f"rules, {SEEDED_COMBINE}": beyond(combined)["rules"]}
            runs.append({
                "seed": seed, "cases": result["counts"]["cases"], "ease": ease_choice(result),
                "systems": {system: {"hit_rate": s["hit_rate"], "ndcg": s["ndcg"], "beyond": outside[system]}
                            for system, s in systems.items()},
            })  # fmt: skip
        seeded.append({
            "dataset": name, "seeds": n_seeds, "runs": runs,
            "systems": {
                system: {
                    metric: (float(np.mean([r["systems"][system][metric] for r in runs])),
                             float(np.std([r["systems"][system][metric] for r in runs], ddof=1)) if n_seeds > 1
                             else 0.0)
                    for metric in ("hit_rate", "ndcg", "beyond")
                }
                for system in runs[0]["systems"]
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
            f"{t['min_confidence']:g}, max_len {t['max_len']}: {c['rules']:,} rules; {table['wall_seconds']} s; "
            f"{ease_note(table['ease'])}\n"
        )
        out.append(
            f"| system | hit@{k} | precision@{k} | NDCG@{k} | MRR@{k} | coverage | fallback | revenue hit "
            f"| beyond the obvious hit@{k} | seconds |"
        )
        out.append("|---|---|---|---|---|---|---|---|---|---|")
        for name, s in table["systems"].items():
            revenue = "-" if s["revenue_hit_rate"] is None else f"{s['revenue_hit_rate']:.4f}"
            cells = (s["hit_rate"], s["precision"], s["ndcg"], s["mrr"], s["coverage"], s["fallback_share"])
            out.append(
                f"| {name} | " + " | ".join(f"{v:.4f}" for v in cells)
                + f" | {revenue} | {table['beyond'][name]:.4f} | {table['seconds'][name]:.1f} |"
            )  # fmt: skip
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
        out.append(f"Beyond the obvious: hit@{k} on the cases whose hidden item is not one of the 10 best sellers "
                   "of the train orders (mean ± standard deviation over the seeds)\n")  # fmt: skip
        out.append("| data | seeds | " + " | ".join(systems) + " |")
        out.append("|---|---|" + "---|" * len(systems))
        for row in result["seeded"]:
            cells = [f"{s['beyond'][0]:.4f} ± {s['beyond'][1]:.4f}" for s in row["systems"].values()]
            out.append(f"| {row['dataset']} | {row['seeds']} | " + " | ".join(cells) + " |")
        out.append("")
        out.append(f"Each seed: the shipped rules and EASE (hit@{k} / NDCG@{k} / beyond the obvious hit@{k}), "
                   "EASE's lambda (chosen on the train orders) and items modelled, its seconds (fit, lambda search "
                   "and answers)\n")  # fmt: skip
        out.append("| data | seed | cases | rules | ease | lambda | items modelled | ease seconds |")
        out.append("|---|---|---|---|---|---|---|---|")
        for row in result["seeded"]:
            for run in row["runs"]:
                rules, ease, choice = run["systems"]["rules"], run["systems"]["ease"], run["ease"]
                out.append(
                    f"| {row['dataset']} | {run['seed']} | {run['cases']:,} | {_three(rules)} | {_three(ease)} | "
                    f"{choice['lambda']:g} | {choice['items_modelled']:,} of {choice['items_total']:,} | "
                    f"{choice['seconds']:.1f} |"
                )
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


def ease_note(choice: dict[str, Any]) -> str:
    return (
        f"EASE: lambda {choice['lambda']:g} ({choice['lambda_source']}, {choice['validation_cases']:,} validation "
        f"cases of the train orders), {choice['items_modelled']:,} of {choice['items_total']:,} items modelled"
    )


def _three(s: dict[str, float]) -> str:
    return f"{s['hit_rate']:.4f} / {s['ndcg']:.4f} / {s['beyond']:.4f}"


def main() -> None:
    parser = preset_parser(__doc__ or "", PRESETS)
    parser.add_argument("--markdown", type=Path, help="also write the tables as Markdown to this file")
    parser.add_argument(
        "--datasets", nargs="+", choices=sorted(DATASETS), help="only these data sets of the preset (default: all)"
    )
    parser.add_argument("--no-sweeps", action="store_true", help="leave out the sweeps of the rules' settings")
    args = parser.parse_args()
    result = run(args.preset, args.data, datasets=tuple(args.datasets) if args.datasets else None,
                 sweeps=not args.no_sweeps)  # fmt: skip
    emit(result, args.json)
    if args.markdown:
        args.markdown.write_text(markdown(result) + "\n")


if __name__ == "__main__":
    main()
