"""What the checkout shows for a cart, and what it filters out and why."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from ..ranking import Recommender
from ..ranking.policy import DROPPED

__all__ = ["REASONS", "preview_cart", "explain_filtered"]


#: Why a candidate was not shown, in the order the policy checks (the first that applies wins).
REASONS = DROPPED
# The trace's sources whose candidates explain_filtered lists: what the learned weights, the
# rules and the shop put forward, not what fills an answer.
CANDIDATE_SOURCES = frozenset({"weights", "rules", "upgrades", "pins"})


def preview_cart(
    recommender: Recommender,
    cart: Sequence[str],
    *,
    limit: int = 3,
    cart_total: float | None = None,
    **options: Any,
) -> pd.DataFrame:
    """What the checkout shows for ``cart``: one row per suggestion, in order, with its reason.

    ``options`` are passed to :meth:`Recommender.recommend` (``exclude``, ``kinds``,
    ``objective``). The table's ``attrs`` hold ``unknown_items`` and ``fallback``.

    Examples
    --------
    >>> from recommender import RankingConfig, Recommender, mine
    >>> baskets = [["tea", "kettle"], ["tea", "kettle"], ["mug"], ["mug"], ["mug", "cake"]]
    >>> rules = Recommender(mine(baskets, min_support=0.2).data, config=RankingConfig(combine="max"))
    >>> shown = preview_cart(rules, ["kettle", "nope"], limit=2)
    >>> shown[["rank", "item_id", "kind", "score"]]
       rank item_id        kind  score
    0     1     tea  cross_sell    1.0
    1     2     mug     popular    0.6
    >>> shown.attrs["unknown_items"], shown.attrs["fallback"]
    (('nope',), 'popular')
    """
    answer = recommender.recommend(list(cart), limit=limit, cart_total=cart_total, **options)
    table = pd.DataFrame(
        [
            {
                "rank": rank,
                "item_id": s.item_id,
                "name": s.name or s.item_id,
                "kind": s.kind,
                "score": s.score,
                "price": s.price,
                "reason": s.reason.get("text", ""),
                # What the suggestion rests on: a rule, an upgrade, a back-off, popularity.
                "evidence": s.reason.get("backoff")
                or ("pinned" if "pinned" in s.reason else {"cross_sell": "rule"}.get(s.kind, s.kind)),
            }
            for rank, s in enumerate(answer.items, start=1)
        ],
        columns=["rank", "item_id", "name", "kind", "score", "price", "reason", "evidence"],
    )
    table.attrs.update(unknown_items=answer.unknown_items, fallback=answer.fallback)
    return table


def explain_filtered(
    recommender: Recommender,
    cart: Sequence[str],
    *,
    limit: int = 3,
    cart_total: float | None = None,
    exclude: Iterable[str] = (),
    kinds: Iterable[str] | None = None,
    objective: str | None = None,
) -> pd.DataFrame:
    """The candidates of the learned weights or the rules, upgrades and pins for ``cart`` that
    the checkout does not show, and why: the ranking's own decision trace
    (``Recommender.recommend(..., trace=True)``), one row per item, nothing worked out again here.

    Candidates are the items the cart's learned weights reach (the default ranking) or, ranking
    with the rules, the consequents of the rules inside the cart (those the ranking leaves out
    too: into items not for sale, or under the lift floor); the upgrades of its items and the
    shop's pins; popular items and back-offs that fill an answer are not listed. Each gets the
    first reason the policy gave (see :data:`REASONS`): ``in_cart``, ``excluded``, ``blocked``,
    ``out_of_stock``, ``inactive``, ``lift_floor``, ``substitute``, ``kind_cap``,
    ``category_cap``, or ``below_limit`` once the answer is full.

    Returns
    -------
    pandas.DataFrame
        ``item_id``, ``name``, ``kind``, ``reason`` (a key of :data:`REASONS`), ``detail``
        (a sentence), ``score``, ``confidence``, ``lift`` and ``because`` (the cart items of the
        strongest rule or pair; for an upgrade, the item it replaces), in the order of :data:`REASONS`,
        then by score.

    Examples
    --------
    >>> from recommender import RankingConfig, Recommender, mine
    >>> baskets = [["tea", "kettle"], ["tea", "kettle"], ["tea", "mug"], ["mug"]]
    >>> rec = Recommender(mine(baskets, min_support=0.25).data, config=RankingConfig(combine="max"))
    >>> why = explain_filtered(rec, ["tea", "kettle"], limit=1, kinds=["cross_sell"])
    >>> why[["item_id", "reason", "because"]]
      item_id      reason    because
    0     tea     in_cart  (kettle,)
    1  kettle     in_cart     (tea,)
    2     mug  lift_floor     (tea,)
    """
    answer = recommender.recommend(
        list(cart), limit=limit, cart_total=cart_total, exclude=exclude, kinds=kinds, objective=objective, trace=True
    )
    trace = answer.trace or ()
    shown = set(answer.item_ids)
    rows: dict[str, dict[str, Any]] = {}
    for line in trace:
        if line.source not in CANDIDATE_SOURCES or line.status == "shown" or line.item_id in shown:
            continue
        rows.setdefault(
            line.item_id,
            {
                "item_id": line.item_id,
                "name": line.name or line.item_id,
                "kind": line.kind,
                "reason": line.status,
                "detail": line.detail,
                "score": line.score,
                "confidence": float("nan") if line.confidence is None else line.confidence,
                "lift": float("nan") if line.lift is None else line.lift,
                "because": line.because,
            },
        )
    order = {reason: at for at, reason in enumerate(REASONS)}
    ordered = sorted(rows.values(), key=lambda row: (order[row["reason"]], -row["score"], row["item_id"]))
    columns = ["item_id", "name", "kind", "reason", "detail", "score", "confidence", "lift", "because"]
    return pd.DataFrame(ordered, columns=columns)
