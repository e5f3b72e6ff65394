"""A simulated shop: does feedback learn what shoppers take, and does ``report`` measure the uplift?

Shoppers draw carts from real baskets (Groceries, Online Retail) and take a suggestion with a hidden
probability that differs from its co-purchase rate. Over rounds of mine -> serve -> events ->
mine again with the events (``mine(feedback=...)``), it reports per round the accept rate and the
regret of the shown suggestions against the oracle, with feedback and without, and the uplift
``report`` estimates against the true one.

The hidden model (the shop's truth, seeded):

- each item has an **appeal**, drawn once from a log-normal with mean ``APPEAL_MEAN`` and
  sigma ``APPEAL_SIGMA``; a shopper with cart ``C`` shown item ``i`` adds it with probability
  ``p(C, i) = min(P_MAX, appeal(i) * rate(C, i))``, where ``rate(C, i)`` is the item's true
  co-purchase rate with the cart, the most of ``baskets with a and i / baskets with a`` over
  the cart's items ``a``, counted over every basket of the data set. So an item often bought
  with the cart but of low appeal (bought anyway, never taken from a suggestion) is rarely
  added, and the rules, which see only co-purchase, cannot tell;
- each item has a **price**: the data set's own (Online Retail's, as the reader derives them
  from the order lines), or else drawn once from a log-normal (median 3, sigma 0.6): Groceries
  has none;
- a **shopper** draws a basket of at least two items uniformly from the data set, shuffles it;
  the first one to three items (uniform, leaving at least one) are the cart, the others what
  they buy anyway. The order is the cart, the others and each shown item added (once; an item
  they would buy anyway adds nothing to the order).

The **oracle** shows, for each cart, the ``LIMIT`` items of highest ``p(C, i)`` among all items
not in the cart; **regret** is the oracle's expected adds per answer minus those of the shown
items (expected, from the hidden probabilities, so it has no draw noise). The **true uplift** of
a round is the expected value (and item count) the model's suggestions add to an order, averaged
over all the round's shoppers (both arms: what the treatment answer would have added), from
the hidden probabilities; ``report`` estimates it from the events alone as treatment mean minus
control mean with Welch's 95% interval.

The components are the project's own: ``recommender.mine`` (the Python API behind ``recommender
mine``, with ``feedback=`` the events store's URL as ``--feedback`` passes it), the service's
FastAPI app built by ``create_app`` (the code ``recommender serve`` runs: the same arm
assignment, the served-answers log and the events route with its group-commit writer into a real
SQLite store), driven in-process through Starlette's TestClient rather than over a socket, and
``feedback_report`` (behind ``recommender report``). The ranking without feedback is the same
model mined without events, asked through the Python API (``Recommender.recommend``) for the
same carts; the orders mined are the data set's every round (the simulated purchases are not
added to them), so that model is the same each round.

    python benchmarks/bench_simulator.py --preset small   # 1 seed, 3 rounds of 1,000 shoppers
    python benchmarks/bench_simulator.py --preset full    # 10 seeds, 5 rounds of 3,000 shoppers
    python benchmarks/bench_simulator.py --preset retail  # Online Retail, its own prices: 5 seeds
"""

from __future__ import annotations

import math
import os
import platform
import random
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import emit, preset_parser

PRESETS: dict[str, dict[str, Any]] = {
    "small": {"data": "groceries.csv", "seeds": 1, "rounds": 3, "shoppers": 1000, "min_support": 0.003},
    "full": {"data": "groceries.csv", "seeds": 10, "rounds": 5, "shoppers": 3000, "min_support": 0.001},
    "retail": {"data": "online_retail.csv.xz", "seeds": 5, "rounds": 5, "shoppers": 3000, "min_support": 0.01},
}
LIMIT = 3
HOLDOUT = 0.1  # the control arm's share (no suggestions)
APPEAL_MEAN = 0.5
APPEAL_SIGMA = 1.0
P_MAX = 0.9
EVENTS_PER_POST = 100
# Online Retail has orders of up to 1,108 lines: the service's caps raised as such a shop would.
MAX_ITEMS = 2000
MAX_BODY_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True, kw_only=True)
class HiddenShop:
    """What the simulator knows and the recommender does not."""

    baskets: tuple[tuple[str, ...], ...]  # those of at least two items
    items: tuple[str, ...]
    price: dict[str, float]
    appeal: Any  # numpy array, by item index
    together: Any  # scipy CSR matrix: baskets with both items (0 on the diagonal)
    counts: Any  # numpy array: baskets with each item
    index: dict[str, int]

    def probabilities(self, cart: Sequence[str]) -> dict[str, float]:
        """``p(C, i)`` of every item ``i`` not in the cart with a co-purchase rate above 0."""
        import numpy as np

        best = np.zeros(len(self.items))
        indptr, indices, data = self.together.indptr, self.together.indices, self.together.data
        for a in cart:
            k = self.index[a]
            row = slice(indptr[k], indptr[k + 1])
            best[indices[row]] = np.maximum(best[indices[row]], data[row] / self.counts[k])
        best[[self.index[a] for a in cart]] = 0.0
        p = np.minimum(P_MAX, self.appeal * best)
        return {self.items[j]: float(p[j]) for j in np.flatnonzero(p)}


def hidden_shop(baskets: Sequence[Sequence[str]], seed: int, *, prices: dict[str, float] | None = None) -> HiddenShop:
    """The shop's truth for ``baskets``: appeals drawn with ``seed``, and prices too but for the
    items ``prices`` has (a data set's own)."""
    import numpy as np
    import scipy.sparse as sp

    rng = random.Random(seed)
    items = tuple(sorted({item for basket in baskets for item in basket}))
    mu = math.log(APPEAL_MEAN) - APPEAL_SIGMA**2 / 2  # a log-normal of mean APPEAL_MEAN
    appeal = np.array([math.exp(rng.gauss(mu, APPEAL_SIGMA)) for _ in items])
    price = {item: round(math.exp(rng.gauss(math.log(3.0), 0.6)), 2) for item in items}
    price.update((item, value) for item, value in (prices or {}).items() if item in price)
    index = {item: k for k, item in enumerate(items)}
    rows = [index[item] for basket in baskets for item in set(basket)]
    starts = np.cumsum([0] + [len(set(basket)) for basket in baskets])
    matrix = sp.csr_matrix((np.ones(len(rows)), np.array(rows), starts), shape=(len(baskets), len(items)))
    together = (matrix.T @ matrix).tocsr()
    together.setdiag(0.0)
    together.eliminate_zeros()
    counts = np.asarray(matrix.sum(axis=0)).ravel()
    kept = tuple(tuple(sorted(set(b))) for b in baskets if len(set(b)) >= 2)
    return HiddenShop(
        baskets=kept, items=items, price=price, appeal=appeal, together=together, counts=counts, index=index
    )


def draw_shopper(shop: HiddenShop, rng: random.Random) -> tuple[list[str], list[str]]:
    """A cart and the items the shopper buys anyway."""
    basket = list(rng.choice(shop.baskets))
    rng.shuffle(basket)
    k = rng.randint(1, min(3, len(basket) - 1))
    return basket[:k], basket[k:]


def expected_adds(p: dict[str, float], shown: Sequence[str]) -> float:
    return sum(p.get(item, 0.0) for item in shown)


def oracle_adds(p: dict[str, float]) -> float:
    return sum(sorted(p.values(), reverse=True)[:LIMIT])


def run_seed(
    baskets: Sequence[Sequence[str]], seed: int, *, rounds: int, shoppers: int, min_support: float,
    explore_share: float, folder: Path, prices: dict[str, float] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Rounds of one seeded shop; per round the figures the module's docstring describes."""
    from fastapi.testclient import TestClient

    from recommender import mine
    from recommender.feedback import feedback_report
    from recommender.ranking import Recommender
    from recommender.service import ServiceSettings, create_app

    shop = hidden_shop(baskets, seed, prices=prices)
    url = f"sqlite:///{folder / f'events-{seed}.db'}"

    def mined(feedback: str | None = None) -> Any:
        return mine(baskets, min_support=min_support, min_confidence=0.01, workers=1, feedback=feedback)

    plain_model = mined()
    plain = Recommender(plain_model.data)
    model = plain_model
    rng = random.Random(seed * 1_000 + 1)  # shoppers and their choices
    results = []
    for round_ in range(1, rounds + 1):
        path = model.save(folder / f"model-{seed}-{round_}.rcm")
        exploring: dict[str, Any] = {"explore_share": explore_share, "explore_seed": seed} if explore_share else {}
        settings = ServiceSettings(
            model_path=str(path), events_url=url, holdout_share=HOLDOUT, max_cart_items=MAX_ITEMS,
            max_body_bytes=MAX_BODY_BYTES, **exploring,
        )  # fmt: skip
        app = create_app(settings, handle_sighup=False)
        figures: dict[str, list[float]] = defaultdict(list)
        pending: list[dict[str, Any]] = []
        started = time.perf_counter()
        since = _now()
        with TestClient(app) as client:
            served = app.state.holder.current
            for n in range(shoppers):
                cart, anyway = draw_shopper(shop, rng)
                session = f"s{seed}-{round_}-{n}"
                answer = client.post(
                    "/v1/recommendations", json={"cart": cart, "limit": LIMIT, "session_id": session}
                ).json()
                shown = [item["item_id"] for item in answer["items"]]
                p = shop.probabilities(cart)
                if answer["arm"] == "treatment":
                    without = [s.item_id for s in plain.recommend(cart, limit=LIMIT).items]
                    best = oracle_adds(p)
                    figures["regret_feedback"].append(best - expected_adds(p, shown))
                    figures["regret_without"].append(best - expected_adds(p, without))
                    figures["expected_accept_feedback"].append(expected_adds(p, shown) / max(len(shown), 1))
                    figures["expected_accept_without"].append(expected_adds(p, without) / max(len(without), 1))
                    figures["oracle_accept"].append(best / LIMIT)
                    would_show = shown
                else:
                    would_show = [s.item_id for s in served.recommend(cart, limit=LIMIT).items]
                extra = [item for item in would_show if item not in anyway]
                figures["true_value"].append(sum(p.get(item, 0.0) * shop.price[item] for item in extra))
                figures["true_items"].append(sum(p.get(item, 0.0) for item in extra))
                added = [item for item in shown if rng.random() < p.get(item, 0.0)]
                order = list(dict.fromkeys(cart + anyway + added))
                if shown:
                    rid = answer["recommendation_id"]
                    pending.append({"type": "impression", "recommendation_id": rid, "session_id": session,
                                    "items": shown})  # fmt: skip
                    pending += [
                        {"type": "add_to_cart", "item_id": item, "session_id": session, "recommendation_id": rid}
                        for item in added
                    ]
                pending.append({
                    "type": "purchase", "order_id": session, "session_id": session,
                    "items": [{"item_id": item, "price": shop.price[item], "quantity": 1} for item in order],
                })  # fmt: skip
                if len(pending) >= EVENTS_PER_POST:
                    _post(client, pending)
            if pending:
                _post(client, pending)
        seconds = time.perf_counter() - started
        report = feedback_report(url, since=since, until=_now())
        true_value = statistics.fmean(figures["true_value"])
        true_items = statistics.fmean(figures["true_items"])
        treatment = report.by_arm.get("treatment")
        results.append({
            "round": round_,
            "feedback_pairs": 0 if model.data.feedback is None else len(model.data.feedback.pairs),
            "answers_treatment": len(figures["regret_feedback"]),
            "accept_rate_observed": None if treatment is None else treatment.attach_rate,
            "accept_rate_expected": {
                "feedback": statistics.fmean(figures["expected_accept_feedback"]),
                "without": statistics.fmean(figures["expected_accept_without"]),
                "oracle": statistics.fmean(figures["oracle_accept"]),
            },
            "regret": {
                "feedback": statistics.fmean(figures["regret_feedback"]),
                "without": statistics.fmean(figures["regret_without"]),
            },
            "uplift": {
                "basket_value": _uplift(report.basket_value, true_value),
                "items_per_order": _uplift(report.items_per_order, true_items),
            },
            "seconds": round(seconds, 1),
        })  # fmt: skip
        model = mined(feedback=url)
    return {"seed": seed, "rounds": results}


def _uplift(estimate: Any, truth: float) -> dict[str, Any]:
    interval = estimate.ci95
    return {
        "estimate": estimate.difference,
        "ci95": None if interval is None else list(interval),
        "truth": truth,
        "covered": interval is not None and interval[0] <= truth <= interval[1],
        "orders": [estimate.orders_treatment, estimate.orders_control],
    }


def _post(client: Any, pending: list[dict[str, Any]]) -> None:
    response = client.post("/v1/events", json={"events": pending})
    if response.status_code != 202:
        raise RuntimeError(f"the events route answered {response.status_code}: {response.text}")
    pending.clear()


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def summarise(runs: list[dict[str, Any]], rounds: int) -> dict[str, Any]:
    """Per round, the means over seeds; the coverage of the intervals over every seed and round."""
    per_round = []
    for k in range(rounds):
        rows = [run["rounds"][k] for run in runs]
        per_round.append({
            "round": k + 1,
            "regret_feedback": statistics.fmean(r["regret"]["feedback"] for r in rows),
            "regret_without": statistics.fmean(r["regret"]["without"] for r in rows),
            "accept_feedback": statistics.fmean(r["accept_rate_expected"]["feedback"] for r in rows),
            "accept_without": statistics.fmean(r["accept_rate_expected"]["without"] for r in rows),
            "accept_oracle": statistics.fmean(r["accept_rate_expected"]["oracle"] for r in rows),
            "accept_observed": statistics.fmean(r["accept_rate_observed"] for r in rows),
            "true_value_uplift": statistics.fmean(r["uplift"]["basket_value"]["truth"] for r in rows),
            "estimated_value_uplift": statistics.fmean(r["uplift"]["basket_value"]["estimate"] for r in rows),
        })  # fmt: skip
    coverage = {}
    for name in ("basket_value", "items_per_order"):
        flags = [r["uplift"][name]["covered"] for run in runs for r in run["rounds"]]
        coverage[name] = f"{sum(flags)}/{len(flags)}"
    last = [run["rounds"][-1]["regret"] for run in runs]
    first = [run["rounds"][0]["regret"] for run in runs]
    return {
        "per_round": per_round,
        "coverage": coverage,
        "seeds_last_below_first": f"{sum(a['feedback'] < b['feedback'] for a, b in zip(last, first))}/{len(runs)}",
        "seeds_last_below_without": f"{sum(a['feedback'] < a['without'] for a in last)}/{len(runs)}",
    }


def main() -> None:
    parser = preset_parser(__doc__ or "", PRESETS)
    parser.add_argument("--seeds", type=int, help="number of seeded shops (default: the preset's)")
    parser.add_argument("--explore-share", type=float, default=0.0, help="the service's share of explored slots")
    args = parser.parse_args()
    preset = PRESETS[args.preset]
    from recommender import read_baskets

    path = args.data / preset["data"]
    if not path.exists():
        raise SystemExit(f"{path} is not here; pass --data with the folder of the shared data sets")
    read = read_baskets(path)
    baskets = _basket_lists(read)
    prices = None
    if read.catalog is not None and "price" in read.catalog:  # Online Retail's own (median) prices
        known = read.catalog["price"].dropna()
        prices = {str(item): float(price) for item, price in known.items()}
    seeds = args.seeds or preset["seeds"]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        runs = [
            run_seed(baskets, seed, rounds=preset["rounds"], shoppers=preset["shoppers"],
                     min_support=preset["min_support"], explore_share=args.explore_share, folder=Path(folder),
                     prices=prices)
            for seed in range(seeds)
        ]  # fmt: skip
    result = {
        "preset": args.preset,
        "data": preset["data"],
        "seeds": seeds,
        "rounds": preset["rounds"],
        "shoppers_per_round": preset["shoppers"],
        "holdout": HOLDOUT,
        "explore_share": args.explore_share,
        "hidden_model": {"appeal_mean": APPEAL_MEAN, "appeal_sigma": APPEAL_SIGMA, "p_max": P_MAX},
        "summary": summarise(runs, preset["rounds"]),
        "runs": runs,
        "seconds": round(time.perf_counter() - started, 1),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "load_average": list(os.getloadavg())},
    }
    emit(result, args.json)


def _basket_lists(baskets: Any) -> list[list[str]]:
    items = baskets.items
    return [[items[k] for k in baskets.indices[a:b]] for a, b in zip(baskets.indptr[:-1], baskets.indptr[1:])]


if __name__ == "__main__":
    main()
