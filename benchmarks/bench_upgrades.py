"""Upgrades: does the band that follows a customer's price level find the upgrade they buy?

The orders split by time as ``recommender evaluate`` splits them (the latest 20% held out), the
train orders mined once with the shop's product master as the catalog (families and categories;
prices from the order lines), with the customers' summary (:mod:`recommender.mining.customers`:
each customer's price level per category, the mean price paid over the category's median).

A case is an item ``a`` in a held-out basket of a customer who placed a train order, the first
held-out basket of that customer holding ``a``, when the model has upgrades for ``a`` in its
band. The cart ``[a]`` is asked for three upgrades (``kinds=["upgrade"]``, through
``Recommender.recommend`` with the case's ``customer_id``), and a hit is one of the customer's
later held-out baskets holding a suggested upgrade: hit@1 for the first, hit@3 for any. Each
setting of ``upgrade_band_follows`` (0: the band for everyone; ``f``: the band's top times the
customer's level in the category to the power ``f``) answers the same cases; several seeds draw
the cases anew (the time split does not depend on the seed), and differences are paired.

    python benchmarks/bench_upgrades.py --preset full    # the full Complete Journey, 3 seeds
    python benchmarks/bench_upgrades.py --preset small   # the sample shop; run by the tests
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
    "completejourney_full": {
        "file": "completejourney/transactions.parquet",
        "catalog": "completejourney/products.csv.gz",
    },
}
PRESETS: dict[str, dict[str, Any]] = {
    "small": {"datasets": ("sample_shop",), "seeds": 2, "max_cases": 400, "follows": (0.0, 1.0, 2.0)},
    "full": {"datasets": ("completejourney_full",), "seeds": 3, "max_cases": 20_000,
             "follows": (0.0, 1.0, 2.0, 3.0, 4.0)},
}  # fmt: skip


def _catalog(name: str, data: Path) -> Any:
    """The shop's catalog: the sample shop's own, or the data set's product master file."""
    if name == "sample_shop":
        from recommender.sample_shop import generate_sample_shop

        return generate_sample_shop(seed=7, n_customers=300).catalog
    path = data / DATASETS[name]["catalog"]
    if not path.exists():
        raise SystemExit(f"{path} is not here; pass --data with the folder of the shared data sets")
    return path


def _cases(test: Any, known: set[str]) -> list[tuple[str, str, np.datetime64, dict[str, np.datetime64]]]:
    """``(customer, item, time, last)`` for each customer's first held-out basket holding each
    item, ``last`` the time the customer last bought each item in the held-out baskets."""
    times = np.asarray(test.timestamps, dtype="datetime64[ns]")
    last: dict[str, dict[str, np.datetime64]] = defaultdict(dict)
    first: dict[tuple[str, str], np.datetime64] = {}
    for row in np.argsort(times, kind="stable"):
        customer = (test.customers or ())[row]
        if customer is None or customer not in known:
            continue
        at = times[row]
        for item in test.basket(int(row)):
            first.setdefault((customer, item), at)
            last[customer][item] = at
    return [(customer, item, at, last[customer]) for (customer, item), at in first.items()]


def run_dataset(name: str, data: Path, settings: dict[str, Any]) -> dict[str, Any]:
    from recommender import RankingConfig, Recommender, mine
    from recommender.evaluation import split_baskets

    baskets = read_dataset(name, data, DATASETS.get(name, {}).get("file"))
    parts = split_baskets(baskets, test_share=0.2, method="time")
    train, test = parts.train, parts.test
    started = time.perf_counter()
    # The upgrades and the summary do not depend on the rules: a high support keeps mining short.
    model = mine(train, catalog=_catalog(name, data), min_support=0.02, learn_weights=False)
    mined = time.perf_counter() - started
    summary = model.data.customers
    assert summary is not None, f"{name} has no customers"
    recs = {
        follows: Recommender(
            model.data, config=RankingConfig(max_upgrades=LIMIT, max_per_category=None, upgrade_band_follows=follows)
        )
        for follows in settings["follows"]
    }
    plain = recs[0.0]
    upgradable = {plain.table.ids[item] for item in plain.upgrades}
    every = [case for case in _cases(test, set(summary.ids)) if case[1] in upgradable]
    runs = []
    for seed in range(settings["seeds"]):
        rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(3)[1])
        chosen = rng.permutation(len(every))[: settings["max_cases"]]
        hits: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        for k in chosen.tolist():
            customer, item, at, last = every[k]
            category = plain.table.categories[plain.table.index[item]]
            level = plain.customers.price_levels(customer).get(category) if category is not None else None
            group = "no level" if level is None else "level above 1" if level > 1 else "level 1 or below"
            for follows, rec in recs.items():
                shown = [s.item_id for s in rec.recommend([item], kinds=["upgrade"], limit=LIMIT,
                                                          customer_id=customer).items]  # fmt: skip
                bought = [b in last and last[b] > at for b in shown]
                for key in ("all", group):
                    hits[key][f"hit@1 {follows:g}"].append(float(any(bought[:1])))
                    hits[key][f"hit@3 {follows:g}"].append(float(any(bought)))
                    hits[key][f"shown {follows:g}"].append(float(len(shown)))
        runs.append({
            "seed": seed,
            "cases": {key: len(v["hit@1 0"]) for key, v in hits.items()},
            "means": {key: {m: float(np.mean(x)) for m, x in v.items()} for key, v in hits.items()},
        })  # fmt: skip
        print(f"{name}: seed {seed}: {runs[-1]['means']['all']}", file=sys.stderr)
    table: dict[str, dict[str, Any]] = {}
    for group in sorted({key for run in runs for key in run["means"]}):
        present = [run for run in runs if group in run["means"]]
        rows = {}
        for follows in settings["follows"]:
            row: dict[str, Any] = {"cases": float(np.mean([run["cases"][group] for run in present]))}
            for metric in ("hit@1", "hit@3", "shown"):
                values = np.array([run["means"][group][f"{metric} {follows:g}"] for run in present])
                base = np.array([run["means"][group][f"{metric} 0"] for run in present])
                row[metric] = float(values.mean())
                row[f"{metric} difference"] = float((values - base).mean())
                row[f"{metric} difference sd"] = float((values - base).std(ddof=1)) if len(present) > 1 else 0.0
            rows[f"follows {follows:g}"] = row
        table[group] = rows
    return {
        "dataset": name,
        "train_baskets": len(train),
        "test_baskets": len(test),
        "customers": len(summary.ids),
        "customers_with_levels": sum(1 for levels in summary.price_levels if levels),
        "price_levels_kept": sum(len(levels) for levels in summary.price_levels),
        "upgradable_items": len(plain.upgrades),
        "cases_available": len(every),
        "mining_seconds": round(mined, 1),
        "summary": table,
        "runs": runs,
    }


def main() -> None:
    run_over_datasets(__doc__ or "", PRESETS, run_dataset, LIMIT)


if __name__ == "__main__":
    main()
