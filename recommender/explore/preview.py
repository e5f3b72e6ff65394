"""What the checkout shows for a cart, and what it filters out and why."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from ..ranking import Recommender

__all__ = ["REASONS", "preview_cart", "explain_filtered"]


#: Why a candidate was not shown, in the order the checks are made (the first that applies wins).
REASONS = {
    "in_cart": "already in the cart",
    "excluded": "excluded by the caller",
    "blocked": "blocked by the shop's configuration",
    "out_of_stock": "out of stock",
    "inactive": "inactive in the catalog (discontinued)",
    "weak_rule": "its rules' lift is below the ranking's min_lift",
    "kind_not_asked": "its kind of suggestion was not asked for",
    "substitute": "same product family as a cart item: a substitute, not a complement",
    "kind_cap": "the answer already holds as many of its kind as allowed",
    "diversity": "the answer already holds an item of its category",
    "below_cut": "ranked below the items shown",
}


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
    >>> from recommender import Recommender, mine
    >>> baskets = [["tea", "kettle"], ["tea", "kettle"], ["mug"], ["mug"], ["mug", "cake"]]
    >>> shown = preview_cart(Recommender(mine(baskets, min_support=0.2).data), ["kettle", "nope"], limit=2)
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
    """The candidates for ``cart`` that the checkout does not show, and why.

    Candidates are re-derived from the model: the consequent of every rule whose antecedent
    lies inside the cart (all of the model's rules, including those the ranking index leaves
    out at load time: into unsellable items, or of lift below ``min_lift``), and the upgrades
    of the cart's items. Each is checked against the policy's reasons in order, the first
    that applies is given (see :data:`REASONS`): ``in_cart``, ``excluded``, ``blocked``,
    ``out_of_stock``, ``inactive``, ``weak_rule``, ``kind_not_asked``, ``substitute``; the
    rest go through the ranking's own selection (same scores, order and caps), where a
    candidate is passed over for ``kind_cap`` or ``diversity``, or falls ``below_cut`` once
    the answer is full. Popular items that fill an answer are not candidates of the rules and
    are not listed.

    Returns
    -------
    pandas.DataFrame
        ``item_id``, ``name``, ``kind``, ``reason`` (a key of :data:`REASONS`), ``detail``
        (a sentence), ``score`` (NaN when filtered before scoring), ``confidence``, ``lift``
        and ``because`` (the cart items of the strongest rule; for an upgrade, the item it
        replaces), most telling first: in the order of the checks, then by strength.

    Examples
    --------
    >>> from recommender import Recommender, mine
    >>> baskets = [["tea", "kettle"], ["tea", "kettle"], ["tea", "mug"], ["mug"]]
    >>> why = explain_filtered(Recommender(mine(baskets, min_support=0.25).data), ["tea", "kettle"], limit=1)
    >>> why[["item_id", "reason", "because"]]
      item_id     reason    because
    0     tea    in_cart  (kettle,)
    1  kettle    in_cart     (tea,)
    2     mug  weak_rule     (tea,)
    """
    from ..config import check_limit
    from ..ranking.policy import select

    limit = check_limit(limit)
    # The ranking's own candidates, scores and marks, so that what is left after the checks
    # below is ordered and capped exactly as Recommender.recommend does it.
    pool = recommender.candidates(
        list(cart), cart_total=cart_total, exclude=tuple(exclude), kinds=kinds, objective=objective
    )
    wanted = pool.kinds
    table = recommender.table
    data = recommender.data
    config = recommender.config
    known: list[int] = []
    for raw in cart:
        item = table.index.get(str(raw).strip())
        if item is not None and item not in known:
            known.append(item)
    excluded = {table.index[e] for e in (str(x).strip() for x in exclude) if e in table.index}
    in_cart = set(known)
    families: dict[str, int] = {}
    for item in known:
        family = table.families[item]
        if family is not None:
            families.setdefault(family, item)

    # Every rule inside the cart, the strongest (confidence, lift, count) per consequent; and
    # the strongest of those the ranking uses (lift >= min_lift).
    best: dict[int, tuple[float, float, int, tuple[int, ...]]] = {}
    usable: set[int] = set()
    n = data.n_baskets
    for antecedent, consequent, count, antecedent_count in zip(
        data.rules.antecedents, data.rules.consequents, data.rules.counts, data.rules.antecedent_counts
    ):
        if not in_cart.issuperset(antecedent):
            continue
        confidence = count / antecedent_count
        lift = confidence * n / data.item_counts[consequent]
        if lift >= config.min_lift:
            usable.add(consequent)
        found = best.get(consequent)
        if found is None or (confidence, lift, count) > found[:3]:
            best[consequent] = (confidence, lift, count, antecedent)
    upgrade_of: dict[int, tuple[float, int]] = {}
    if config.max_upgrades:
        for replaces in known:
            for item, share, _, _ in recommender.upgrades.get(replaces, ()):
                if item not in upgrade_of or share > upgrade_of[item][0]:
                    upgrade_of[item] = (share, replaces)

    rows: list[dict[str, Any]] = []

    def row(item: int, kind: str, reason: str, detail: str, score: float = float("nan")) -> None:
        if kind == "cross_sell" and item in best:
            confidence, lift, _, because = best[item]
        else:
            # An upgrade names the item it replaces; a pinned item, chosen by the shop, nothing.
            because = (upgrade_of[item][1],) if item in upgrade_of else ()
            confidence, lift = float("nan"), float("nan")
        rows.append(
            {
                "item_id": table.ids[item],
                "name": table.label(item),
                "kind": kind,
                "reason": reason,
                "detail": detail,
                "score": score,
                "confidence": confidence,
                "lift": lift,
                "because": tuple(table.ids[i] for i in because),
            }
        )

    blocked = in_cart | excluded
    candidates = pool.candidates
    pinned = {c.item for c in candidates.values() if c.pinned}

    # Checks before scoring, in the policy's order. An item both suggested by a rule and an
    # upgrade is an upgrade when it is of a cart item's family, a cross-sell candidate otherwise,
    # as in Recommender.recommend.
    explained: set[int] = set()
    in_order = sorted(set(best) | set(upgrade_of), key=lambda i: (i not in best, -best.get(i, (0.0,))[0], table.ids[i]))
    for item in in_order:
        as_cross = item in usable and "cross_sell" in wanted
        as_upgrade = item in upgrade_of and "upgrade" in wanted
        if as_upgrade and (not as_cross or table.families[item] in families):
            kind = "upgrade"
        else:
            kind = "cross_sell" if as_cross or item in best else "upgrade"
        entry = data.catalog.get(table.ids[item])
        family = table.families[item]
        explained.add(item)
        if item in in_cart:
            row(item, kind, "in_cart", REASONS["in_cart"])
        elif item in excluded:
            row(item, kind, "excluded", REASONS["excluded"])
        elif table.ids[item] in config.blocked:
            row(item, kind, "blocked", REASONS["blocked"])
        elif entry is not None and not entry.in_stock:
            row(item, kind, "out_of_stock", REASONS["out_of_stock"])
        elif entry is not None and not entry.active:
            row(item, kind, "inactive", REASONS["inactive"])
        elif item in best and item not in usable and not as_upgrade:
            weak = f"lift {best[item][1]:.2f} is below the ranking's min_lift {config.min_lift:g}"
            row(item, kind, "weak_rule", weak)
        elif not (as_cross or as_upgrade):
            row(item, kind, "kind_not_asked", f"{kind} was not among the kinds asked for")
        elif kind == "cross_sell" and family in families and item not in pinned:
            detail = f"same product family ({family}) as {table.label(families[family])} in the cart: a substitute"
            row(item, kind, "substitute", detail)
        else:
            explained.discard(item)

    chosen = select(
        candidates.values(),
        table,
        limit=limit,
        blocked=set(blocked),
        max_per_category=config.max_per_category,
        max_per_kind={"upgrade": config.max_upgrades},
        substitutes=frozenset(families),
    )
    shown = {c.item for c in chosen}
    per_kind: dict[str, int] = {}
    per_category: dict[str, list[int]] = {}
    taken = 0
    for candidate in sorted(candidates.values(), key=lambda c: c.key(table)):
        item = candidate.item
        category = table.categories[item]
        if item in shown:
            taken += 1
            per_kind[candidate.kind] = per_kind.get(candidate.kind, 0) + 1
            if category is not None:
                per_category.setdefault(category, []).append(item)
            continue
        if item in explained:
            continue
        explained.add(item)
        cap = config.max_upgrades if candidate.kind == "upgrade" else limit
        if taken >= limit:
            row(item, candidate.kind, "below_cut", f"ranked below the {limit} items shown", candidate.score)
        elif per_kind.get(candidate.kind, 0) >= cap:
            row(item, candidate.kind, "kind_cap", f"at most {cap} {candidate.kind} per answer", candidate.score)
        elif category is not None and category in per_category:
            other = table.label(per_category[category][0])
            row(item, candidate.kind, "diversity", f"one per category: {other} ({category}) is shown",
                candidate.score)  # fmt: skip
        else:  # pragma: no cover - select() would have taken it; kept so that nothing goes unexplained
            row(item, candidate.kind, "below_cut", REASONS["below_cut"], candidate.score)
    for item in sorted(set(best) | set(upgrade_of)):
        if item not in explained and item not in shown:  # beyond the rules the index keeps per antecedent
            row(item, "cross_sell" if item in best else "upgrade", "below_cut",
                "weaker than the rules the ranking keeps for its antecedent")  # fmt: skip
    columns = ["item_id", "name", "kind", "reason", "detail", "score", "confidence", "lift", "because"]
    return pd.DataFrame(rows, columns=columns)
