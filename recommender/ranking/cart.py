"""The first stage: a cart as the ranking reads it, and the request's options checked."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..config import KINDS, OBJECTIVES
from ..exceptions import ConfigError
from .items import ItemTable

__all__ = ["Cart", "read_cart", "read_kinds", "read_objective", "ALL_KINDS"]

ALL_KINDS = frozenset(KINDS)


@dataclass(frozen=True, slots=True)
class Cart:
    """The cart's items the model knows (indices, in the cart's order, once each), the ids it does
    not know, the excluded items it knows, and the product families of the cart's items (their
    other members are substitutes, not complements)."""

    items: tuple[int, ...]
    unknown: tuple[str, ...]
    excluded: frozenset[int]
    families: frozenset[str]

    def blocks(self, item: int) -> bool:
        """Whether ``item`` may not be suggested for this cart: it is in it, or excluded."""
        return item in self.excluded or item in self.items


def read_cart(table: ItemTable, cart: Sequence[object], exclude: Iterable[object] = ()) -> Cart:
    """The cart and exclusions as item indices. Ids are read as stripped text; an unknown cart
    item is reported (once), an unknown exclusion ignored: neither is an error."""
    items: list[int] = []
    unknown: list[str] = []
    for raw in cart:
        item_id = _text(raw)
        item = table.index.get(item_id)
        if item is not None:
            items.append(item)
        elif item_id and item_id not in unknown:
            unknown.append(item_id)
    known = tuple(dict.fromkeys(items))
    excluded = frozenset(item for raw in exclude if (item := table.index.get(_text(raw))) is not None)
    families = frozenset(family for item in known if (family := table.families[item]) is not None)
    return Cart(items=known, unknown=tuple(unknown), excluded=excluded, families=families)


def _text(raw: object) -> str:
    """An id as sent: a padded id, a number or any other value is read as its stripped text."""
    return raw.strip() if isinstance(raw, str) else str(raw).strip()


def read_kinds(kinds: Iterable[str] | None) -> frozenset[str]:
    """The kinds of suggestion asked for (all for None), or a ConfigError naming the unknown ones."""
    if kinds is None:
        return ALL_KINDS
    chosen = frozenset(str(kind) for kind in kinds)
    if not chosen <= ALL_KINDS:
        raise ConfigError(f"unknown kind(s) {sorted(chosen - ALL_KINDS)}; the kinds are {list(KINDS)}.")
    return chosen


def read_objective(objective: str | None, default: str) -> str:
    """The objective asked for (``default`` for None), or a ConfigError."""
    objective = default if objective is None else objective
    if objective not in OBJECTIVES:
        raise ConfigError(f"objective must be one of {OBJECTIVES}, got {objective!r}.")
    return objective
