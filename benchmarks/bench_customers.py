"""Customers: does what the model keeps about a customer make the offer better?

For each data set with customers and order times: split by time (the latest 20% of the orders
held out, as ``recommender evaluate`` does), mine the train orders once (with the customers'
summary, :mod:`recommender.mining.customers`), hide one item of each held-out basket whose
customer placed a train order, and ask the default ranking for the rest of the basket. Then
each use of the customer, on the same cases:

- ``again N``: the customer's items bought again and again (the summary's) take the first N of
  the three places, the ranking's answer the rest;
- ``history a``: the customer's past items as a weaker cart beside the cart: each item's score is
  its score for the cart plus ``a`` times its score for the past items;
- ``revenue objective``: the ranking ordered by expected revenue instead of confidence, by
  segment (the customers behind 80% of the revenue and the rest): revenue@3 is the price of the
  hidden item when it is suggested, per case.

Hit@3 is "does the customer's later basket hold the suggestion"; several seeds draw the hidden
items anew (the time split does not depend on the seed).

    python benchmarks/bench_customers.py --preset full    # Online Retail, Complete Journey (full), 3 seeds
    python benchmarks/bench_customers.py --preset small   # the sample shop; run by the tests
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from common import read_dataset, run_over_datasets

LIMIT = 3
DATASETS: dict[str, dict[str, Any]] = {
    "online_retail": {"file": "online_retail.csv.xz", "min_support": 0.003},
    "completejourney_full": {"file": "completejourney/transactions.parquet", "min_support": 0.0005},
}
PRESETS: dict[str, dict[str, Any]] = {
    "small": {"datasets": ("sample_shop",), "seeds": 2, "max_cases": 400, "again": (1, 2), "history": (0.25,)},
    "full": {"datasets": ("online_retail", "completejourney_full"), "seeds": 3, "max_cases": 5000,
             "again": (1, 2, 3), "history": (0.1, 0.25)},
}  # fmt: skip
# How many suggestions the blends read from each answer.
DEPTH = 20


def _top(scores: dict[str, float], limit: int) -> list[str]:
    return sorted(scores, key=lambda item: (-scores[item], item))[:limit]


def run_dataset(name: str, data: Path, settings: dict[str, Any]) -> dict[str, Any]:
    from recommender import Recommender, mine
    from recommender.evaluation import leave_one_out, split_baskets

    baskets = read_dataset(name, data, DATASETS.get(name, {}).get("file"))
    parts = split_baskets(baskets, test_share=0.2, method="time")
    train, test = parts.train, parts.test
    started = time.perf_counter()
    model = mine(train, min_support=DATASETS.get(name, {}).get("min_support", 0.02), min_confidence=0.1, max_len=3)
    mined = time.perf_counter() - started
    summary = model.data.customers
    assert summary is not None, f"{name} has no customers"
    row_of = {customer: k for k, customer in enumerate(summary.ids)}
    past: dict[str, list[str]] = defaultdict(list)  # each customer's train items, one per order
    for i, customer in enumerate(train.customers or ()):
        if customer is not None:
            past[customer].extend(train.basket(i))
    price = {item: entry.price for item, entry in model.data.catalog.items()}
    rec = Recommender(model.data)
    runs = []
    for seed in range(settings["seeds"]):
        case_seed = np.random.SeedSequence(seed).spawn(3)[1]
        cases = leave_one_out(test, seed=np.random.default_rng(case_seed), max_cases=settings["max_cases"])
        hits: dict[str, list[bool]] = defaultdict(list)
        revenue: dict[str, list[float]] = defaultdict(list)
        for cart, hidden, row in zip(cases.carts, cases.hidden, cases.rows.tolist()):
            customer = (test.customers or ())[row]
            k = row_of.get(customer) if customer is not None else None
            if k is None:
                continue
            cart = list(cart)
            base = rec.recommend(cart, limit=DEPTH)
            ranked = [s.item_id for s in base.items]
            hits["none"].append(hidden in ranked[:LIMIT])
            again = [model.data.items[i] for i in summary.repeats[k] if model.data.items[i] not in cart]
            for n in settings["again"]:
                hits[f"again {n}"].append(hidden in list(dict.fromkeys(again[:n] + ranked))[:LIMIT])
            history = [item for item in dict.fromkeys(past[customer]) if item not in cart][:DEPTH]
            weaker = rec.recommend(history, limit=DEPTH, exclude=cart).items if history else ()
            for share in settings["history"]:
                scores: dict[str, float] = defaultdict(float)
                for s in base.items:
                    scores[s.item_id] += s.score
                for s in weaker:
                    scores[s.item_id] += share * s.score
                hits[f"history {share:g}"].append(hidden in _top(scores, LIMIT))
            segment = "vital" if summary.vital[k] else "other"
            value = price.get(hidden) or 0.0
            for objective in ("confidence", "revenue"):
                shown = [s.item_id for s in rec.recommend(cart, limit=LIMIT, objective=objective).items]
                revenue[f"{objective}, {segment}"].append(value if hidden in shown else 0.0)
                hits[f"{objective} objective, {segment}"].append(hidden in shown)
        runs.append({
            "seed": seed,
            "cases": len(hits["none"]),
            "hit_rate": {key: float(np.mean(v)) for key, v in hits.items()},
            "revenue_per_case": {key: float(np.mean(v)) for key, v in revenue.items()},
            "cases_by_segment": {key: len(v) for key, v in revenue.items() if key.startswith("confidence")},
        })  # fmt: skip
        print(f"{name}: seed {seed}: {runs[-1]['hit_rate']}", file=sys.stderr)
    base = np.array([r["hit_rate"]["none"] for r in runs])
    summary_table = {
        key: {
            "hit_rate": float(np.mean([r["hit_rate"][key] for r in runs])),
            "difference": float(np.mean([r["hit_rate"][key] for r in runs] - base)),
            "difference_sd": float(np.std([r["hit_rate"][key] for r in runs] - base, ddof=1)) if len(runs) > 1 else 0.0,
        }
        for key in runs[0]["hit_rate"]
        if not key.endswith(("vital", "other"))
    }
    return {
        "dataset": name,
        "train_baskets": len(train),
        "customers": len(summary.ids),
        "vital_customers": sum(summary.vital),
        "customers_buying_again": sum(1 for r in summary.repeats if r),
        "mining_seconds": round(mined, 1),
        "summary": summary_table,
        "revenue": {
            key: float(np.mean([r["revenue_per_case"][key] for r in runs])) for key in runs[0]["revenue_per_case"]
        },
        "runs": runs,
    }


def main() -> None:
    run_over_datasets(__doc__ or "", PRESETS, run_dataset, LIMIT)


if __name__ == "__main__":
    main()
