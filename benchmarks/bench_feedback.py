"""Feedback: what attach counts in the model cost an answer (``mine --feedback``).

Mines Groceries once, answers random carts of one to four items with the model as mined, and
with the same model holding attach counts for every (cart item, suggested item) pair its answers
to the first half of the carts showed (an impression each, an attach one time in ten, seeded):
the time per answer of each, after a warm-up pass. A model with counts reads every candidate of
a cart (a suggestion far down may rise), where one without takes the best few.

    python benchmarks/bench_feedback.py --preset full     # Groceries, 2,000 carts
    python benchmarks/bench_feedback.py --preset small    # the sample shop, 200 carts
"""

from __future__ import annotations

import dataclasses
import os
import platform
import random
import time
from typing import Any

from common import emit, preset_parser

from recommender import mine
from recommender.model_data import Feedback
from recommender.ranking import Recommender
from recommender.sample_shop import generate_sample_shop

PRESETS: dict[str, dict[str, Any]] = {
    "small": {"data": "sample", "carts": 200, "min_support": 0.01},
    "full": {"data": "groceries.csv", "carts": 2000, "min_support": 0.001},
}
ATTACH_RATE = 0.1
LIMIT = 3


def main() -> None:
    parser = preset_parser(__doc__ or "", PRESETS)
    args = parser.parse_args()
    preset = PRESETS[args.preset]
    orders: Any = generate_sample_shop(seed=1).orders if preset["data"] == "sample" else args.data / preset["data"]
    data = mine(orders, min_support=preset["min_support"], min_confidence=0.1, workers=1).data
    plain = Recommender(data)
    rng = random.Random(0)
    carts = [rng.sample(data.items, rng.randint(1, 4)) for _ in range(preset["carts"])]
    index = {item: k for k, item in enumerate(data.items)}
    pairs: dict[tuple[int, int], tuple[int, int]] = {}
    for cart in carts[: len(carts) // 2]:
        for suggestion in plain.recommend(cart, limit=LIMIT).items:
            added = int(rng.random() < ATTACH_RATE)
            for cart_item in cart:
                key = (index[cart_item], index[suggestion.item_id])
                shown, attached = pairs.get(key, (0, 0))
                pairs[key] = (shown + 1, attached + added)
    counts = tuple((a, b, n, k) for (a, b), (n, k) in sorted(pairs.items()))
    fed = Recommender(dataclasses.replace(data, feedback=Feedback(pairs=counts, calibration=0.5)))
    result: dict[str, Any] = {"preset": args.preset, "carts": len(carts), "pairs": len(counts)}
    for name, recommender in (("without_feedback", plain), ("with_feedback", fed)):
        for _ in range(2):  # the first pass warms up
            started = time.perf_counter()
            for cart in carts:
                recommender.recommend(cart, limit=LIMIT)
            seconds = time.perf_counter() - started
        result[f"{name}_us_per_answer"] = round(seconds / len(carts) * 1e6, 1)
    result["machine"] = {"python": platform.python_version(), "load_average": list(os.getloadavg())}
    emit(result, args.json)


if __name__ == "__main__":
    main()
