"""The effect of the mining thresholds: rule count, coverage and a quick held-out hit rate.

The holdout is the offline evaluation's (:mod:`recommender.evaluation`): its random split of
the orders (:func:`~recommender.evaluation.split_baskets`), its leave-one-out
:class:`~recommender.evaluation.Cases` and its hit rate (:func:`~recommender.evaluation.metrics.hit_rate`).
What the sweep adds is the grid of thresholds, mined once per ``(min_support, max_len)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..artifact import ModelData, RuleCounts
from ..config import RankingConfig
from ..exceptions import ConfigError
from ..ranking import Recommender

if TYPE_CHECKING:
    from ..evaluation.splits import Cases
    from ..io import OrdersInput
    from ..io.baskets import Baskets

__all__ = ["threshold_sweep"]


def _at_confidence(data: ModelData, min_confidence: float) -> ModelData:
    """The model's rules of confidence at least ``min_confidence`` (mining's own arithmetic)."""
    rules = data.rules
    keep = [k for k in range(len(rules)) if rules.counts[k] / rules.antecedent_counts[k] >= min_confidence]
    return replace(
        data,
        rules=RuleCounts(
            antecedents=tuple(rules.antecedents[k] for k in keep),
            consequents=tuple(rules.consequents[k] for k in keep),
            counts=tuple(rules.counts[k] for k in keep),
            antecedent_counts=tuple(rules.antecedent_counts[k] for k in keep),
        ),
    )


def _hide_one(test: Baskets, rng: np.random.Generator) -> Cases:
    """Leave-one-out cases: one item of every test basket of two or more, drawn with ``rng``.

    :func:`~recommender.evaluation.leave_one_out` hides a uniformly drawn item too, but draws
    differently (one float per basket, all at once): with it a seed would hide other items,
    and every sweep made so far would move. Kept until those are measured again.
    """
    from ..evaluation.splits import Cases

    carts: list[tuple[str, ...]] = []
    hidden: list[str] = []
    rows: list[int] = []
    for row in range(len(test)):
        basket = list(test.basket(row))
        if len(basket) >= 2:
            hidden.append(basket.pop(int(rng.integers(len(basket)))))
            carts.append(tuple(basket))
            rows.append(row)
    return Cases(carts=tuple(carts), hidden=tuple(hidden), rows=np.asarray(rows, dtype=np.int64), eligible=len(rows))


def _ranks(recommender: Recommender, cases: Cases, *, limit: int) -> np.ndarray:
    """The 1-based rank of each case's hidden item among the cross-sell suggestions, 0 when absent."""
    answers = recommender.recommend_many(cases.carts, limit=limit, kinds=["cross_sell"])
    return np.array(
        [a.item_ids.index(h) + 1 if h in a.item_ids else 0 for a, h in zip(answers, cases.hidden)], dtype=np.int64
    )


def threshold_sweep(
    orders: OrdersInput,
    *,
    supports: Iterable[float] = (0.001, 0.002, 0.005, 0.01),
    confidences: Iterable[float] = (0.1, 0.2, 0.4),
    max_lens: Iterable[int] = (2, 3),
    catalog: str | pd.DataFrame | None = None,
    test_share: float = 0.2,
    seed: int = 0,
    limit: int = 3,
    config: RankingConfig | None = None,
    workers: int | None = None,
) -> pd.DataFrame:
    """Rule count, coverage and a quick held-out hit rate for every combination of thresholds.

    For each ``(min_support, max_len)`` the orders are mined once, at the lowest confidence;
    higher confidences keep a subset of those rules (the same rules mining would give).

    - ``rules``: rules mined from all the orders.
    - ``coverage``: share of the shop's items (catalog and orders) that at least one rule
      suggests (as its consequent); ``covered_items`` / ``shop_items``.
    - ``hit_rate``: a quick proxy of how useful the rules are, not a full evaluation. The
      baskets are split at random (``seed``) into ``1 - test_share`` to mine and
      ``test_share`` to test. In each test basket of two or more items one item, drawn at
      random once for all thresholds, is hidden; the rest is the cart, and it is a hit when
      ``Recommender.recommend(cart, limit=limit, kinds=["cross_sell"])`` suggests the hidden
      item. ``hits`` / ``test_cases``. Items the policy never shows (out of stock, of a cart
      item's family) cannot be hit, and popular items do not fill in. The answers rank with
      the rules (``combine="max"``) unless ``config`` says otherwise: the thresholds change
      the rules, not the learned weights.

    Examples
    --------
    >>> baskets = [["tea", "kettle"]] * 6 + [["mug", "cake"]] * 3 + [["tea"]]
    >>> sweep = threshold_sweep(baskets, supports=(0.2, 0.5), confidences=(0.5,), max_lens=(2,))
    >>> sweep[["min_support", "rules", "covered_items", "coverage"]]
       min_support  rules  covered_items  coverage
    0          0.2      4              4       1.0
    1          0.5      2              2       0.5
    """
    from ..evaluation.metrics import hit_rate
    from ..evaluation.splits import split_baskets
    from ..io import read_baskets
    from ..mining import mine

    supports, confidences, max_lens = sorted(set(supports)), sorted(set(confidences)), sorted(set(max_lens))
    if not supports or not confidences or not max_lens:
        raise ConfigError("supports, confidences and max_lens each need at least one value.")
    config = config if config is not None else RankingConfig(combine="max")
    baskets = read_baskets(orders)
    # One generator for the split and then the hidden items: the seed fixes both.
    rng = np.random.default_rng(seed)
    parts = split_baskets(baskets, test_share=test_share, seed=rng, method="random")
    train = parts.train
    cases = _hide_one(parts.test, rng)

    rows: list[dict[str, Any]] = []
    for max_len in max_lens:
        for support in supports:
            full, trained = (
                mine(
                    part,
                    min_support=support,
                    min_confidence=confidences[0],
                    max_len=max_len,
                    catalog=catalog,
                    workers=workers,
                    learn_weights=config.combine == "learned",  # the weights do not move with the thresholds
                )  # fmt: skip
                for part in (baskets, train)
            )
            shop_items = len(set(full.data.items) | set(full.data.catalog))
            for confidence in confidences:
                data = _at_confidence(full.data, confidence)
                covered = len(set(data.rules.consequents))
                ranks = _ranks(Recommender(_at_confidence(trained.data, confidence), config=config), cases, limit=limit)
                rows.append(
                    {
                        "min_support": support,
                        "min_confidence": confidence,
                        "max_len": max_len,
                        "rules": len(data.rules),
                        "covered_items": covered,
                        "shop_items": shop_items,
                        "coverage": covered / shop_items if shop_items else 0.0,
                        "test_cases": len(cases),
                        "hits": int(np.count_nonzero(ranks)),
                        # NaN, not hit_rate's 0, when no test basket holds two items: nothing was measured.
                        "hit_rate": hit_rate(ranks) if len(cases) else float("nan"),
                    }
                )
    sweep = pd.DataFrame(rows).sort_values(["min_support", "min_confidence", "max_len"], ignore_index=True)
    sweep.attrs.update(baskets=len(baskets), test_baskets=len(parts.test), limit=limit, seed=seed)
    return sweep
