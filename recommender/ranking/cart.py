"""The first stage: a cart as the ranking reads it, and the request's options checked."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from ..config import KINDS, OBJECTIVES
from ..exceptions import ConfigError
from .items import ItemTable

__all__ = ["Cart", "read_cart", "read_kinds", "read_objective", "ALL_KINDS"]

ALL_KINDS = frozenset(KINDS)
EMPTY: frozenset[int] = frozenset()


class Cart(NamedTuple):
    """The cart's items the model knows (indices, in the cart's order, once each), the ids it does
    not know, the excluded items it knows, what may not be suggested for it (``blocked``: its
    items and the excluded ones), and the product families of its items (their other members
    are substitutes, not complements)."""

    items: tuple[int, ...]
    unknown: tuple[str, ...]
    excluded: frozenset[int]
    blocked: frozenset[int]
    families: frozenset[str]


def read_cart(table: ItemTable, cart: Sequence[object], exclude: Iterable[object] = ()) -> Cart:
    """The cart and exclusions as item indices. Ids are read as stripped text; an unknown cart
    item is reported (once), an unknown exclusion ignored: neither is an error."""
    index, families = table.index, table.families
    # Ids as the model has them are the common case, one probe each (some end in a space, as two
    # Groceries labels do); anything else is read as its stripped text.
    try:
        found: list[int | None] = [index.get(raw) for raw in cart]  # type: ignore[call-overload]
    except TypeError:  # an unhashable value
        found = [None] * len(cart)
    unknown: list[str] = []
    if None in found:
        for at, raw in enumerate(cart):
            if found[at] is None:
                item_id = _text(raw)
                found[at] = index.get(item_id)
                if found[at] is None and item_id and item_id not in unknown:
                    unknown.append(item_id)
    known: tuple[int, ...] = tuple(item for item in dict.fromkeys(found) if item is not None)
    excluded = frozenset(item for raw in exclude if (item := _look_up(index, raw)) is not None) if exclude else EMPTY
    of_cart: frozenset[str] = frozenset(f for i in known if (f := families[i]) is not None)
    return Cart(known, tuple(unknown), excluded, excluded.union(known), of_cart)


def _look_up(index: dict[str, int], raw: object) -> int | None:
    found = index.get(raw) if isinstance(raw, str) else None
    return found if found is not None else index.get(_text(raw))


def _text(raw: object) -> str:
    """An id as sent: a padded id, a number or any other value is read as its stripped text."""
    return raw.strip() if isinstance(raw, str) else str(raw).strip()


def read_kinds(kinds: Iterable[str] | None) -> frozenset[str]:
    """The kinds of suggestion asked for (all for None), or a ConfigError naming the unknown ones."""
    if kinds is None:
        return ALL_KINDS
    try:
        chosen = frozenset(kinds)
    except TypeError:  # an unhashable value: the message below names it
        chosen = frozenset(map(str, kinds))
    if not chosen <= ALL_KINDS:
        chosen = frozenset(map(str, chosen))
    if not chosen <= ALL_KINDS:
        raise ConfigError(f"unknown kind(s) {sorted(chosen - ALL_KINDS)}; the kinds are {list(KINDS)}.")
    return chosen


def read_objective(objective: str | None, default: str) -> str:
    """The objective asked for (``default`` for None), or a ConfigError."""
    objective = default if objective is None else objective
    if objective not in OBJECTIVES:
        raise ConfigError(f"objective must be one of {OBJECTIVES}, got {objective!r}.")
    return objective
