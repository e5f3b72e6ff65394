"""The policy stage: which scored candidates a shopper may see, in what order. Every rule of
what an answer may hold is here: never the cart, an exclusion, a blocked, inactive or
out-of-stock item; substitutes of the cart only as upgrades; caps per kind and per category;
pins first; the free-shipping nudge.

When asked, :func:`select` notes for every candidate it looks at whether it was taken or why
not (:data:`DROPPED`): the decision trace that the CLI's ``--why``, the HTTP ``trace`` flag
and the notebooks read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .candidates import Candidate
from .cart import Cart
from .items import ItemTable

__all__ = ["DROPPED", "Caps", "Decision", "select", "mark_free_shipping", "unsellable"]

# Why a candidate was not shown, as the trace says it.
DROPPED = {
    "in_cart": "already in the cart",
    "excluded": "excluded by the request",
    "blocked": "blocked by the shop's settings",
    "out_of_stock": "out of stock",
    "inactive": "inactive in the catalog (discontinued)",
    "lift_floor": "its rules are below the lift floor",
    "substitute": "of the same product family as a cart item: only an upgrade may show it",
    "kind_cap": "the answer already holds as many suggestions of its kind as allowed",
    "category_cap": "the answer already holds as many suggestions of its category as allowed",
    "below_limit": "ranked below the suggestions shown",
}


@dataclass(frozen=True, slots=True)
class Caps:
    """At most ``max_per_category`` suggestions of one category (None: no cap) and
    ``max_upgrades`` upgrades (None: no cap). Upgrades replace a cart item rather than add to the
    category, so the category cap neither holds them back nor counts them; pinned items are
    exempt from it but count."""

    max_per_category: int | None
    max_upgrades: int | None


@dataclass(frozen=True, slots=True)
class Decision:
    """One line of the trace: a candidate, and ``"shown"`` or the key of :data:`DROPPED`."""

    candidate: Candidate
    status: str


def select(
    candidates: Iterable[Candidate],
    table: ItemTable,
    cart: Cart,
    *,
    limit: int,
    caps: Caps,
    already: Iterable[Candidate] = (),
    trace: list[Decision] | None = None,
) -> list[Candidate]:
    """At most ``limit`` candidates, best first (:meth:`Candidate.key`), one per item, within
    the caps. ``already`` chosen candidates count towards the caps and are not taken again.
    With a ``trace`` list, every candidate is looked at and its decision appended."""
    chosen: list[Candidate] = []
    taken: set[int] = set()
    per_kind: dict[str, int] = {}
    per_category: dict[str, int] = {}
    for earlier in already:
        _count(earlier, table, taken, per_kind, per_category)
    for candidate in sorted(candidates, key=lambda c: c.key(table.ids)):
        if candidate.item in taken:
            continue
        status = _dropped(candidate, table, cart, caps, per_kind, per_category)
        if status is None and len(chosen) == limit:
            status = "below_limit"
        if trace is not None:
            trace.append(Decision(candidate, status or "shown"))
        if status is not None:
            continue
        chosen.append(candidate)
        _count(candidate, table, taken, per_kind, per_category)
        if len(chosen) == limit and trace is None:
            break
    return chosen


def _count(
    candidate: Candidate, table: ItemTable, taken: set[int], per_kind: dict[str, int], per_category: dict[str, int]
) -> None:
    """Count a chosen candidate towards the caps; an upgrade not towards its category's: it
    replaces a cart item, it adds none."""
    taken.add(candidate.item)
    per_kind[candidate.kind] = per_kind.get(candidate.kind, 0) + 1
    category = table.categories[candidate.item]
    if category is not None and candidate.kind != "upgrade":
        per_category[category] = per_category.get(category, 0) + 1


def _dropped(
    candidate: Candidate,
    table: ItemTable,
    cart: Cart,
    caps: Caps,
    per_kind: dict[str, int],
    per_category: dict[str, int],
) -> str | None:
    """Why ``candidate`` may not be taken now (a key of :data:`DROPPED`), or None."""
    item = candidate.item
    if item in cart.items:
        return "in_cart"
    if item in cart.excluded:
        return "excluded"
    if not table.sellable[item]:
        return unsellable(table, item)
    if candidate.below_floor:
        return "lift_floor"
    pinned, kind = candidate.pinned, candidate.kind
    if cart.families and kind != "upgrade" and not pinned and table.families[item] in cart.families:
        return "substitute"
    if kind == "upgrade" and caps.max_upgrades is not None and per_kind.get(kind, 0) >= caps.max_upgrades:
        return "kind_cap"
    category = table.categories[item]
    if (
        caps.max_per_category is not None
        and kind != "upgrade"
        and not pinned
        and category is not None
        and per_category.get(category, 0) >= caps.max_per_category
    ):
        return "category_cap"
    return None


def unsellable(table: ItemTable, item: int) -> str:
    """Why an item that may not be sold is not: the shop's settings block it, or the catalog
    has it inactive or out of stock."""
    if table.ids[item] in table.blocked:
        return "blocked"
    return "inactive" if not table.active[item] else "out_of_stock"


def mark_free_shipping(candidates: Iterable[Candidate], table: ItemTable, *, missing: float) -> None:
    """Mark the candidates whose price (an upgrade's: the difference to the item it replaces)
    covers the ``missing`` amount that keeps the cart from free shipping."""
    for candidate in candidates:
        price = table.prices[candidate.item]
        if price is None:
            continue
        if candidate.replaces is not None:
            price -= table.prices[candidate.replaces] or 0.0
        if price >= missing:
            candidate.bridges = True
