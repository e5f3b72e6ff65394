"""Reasons a person can read, next to the numbers behind them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .items import ItemTable

__all__ = ["text_for", "cross_sell_text", "category_text", "upgrade_text", "popular_text", "free_shipping_text"]


def _names(table: ItemTable, items: Sequence[int]) -> str:
    labels = [table.label(i) for i in items]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def cross_sell_text(table: ItemTable, because: Sequence[int], item: int, confidence: float, lift: float) -> str:
    """e.g. "because Tea is in the cart: 42% of those baskets also had Kettle, 3.1x the usual rate"."""
    verb = "is" if len(because) == 1 else "are"
    return (
        f"because {_names(table, because)} {verb} in the cart: {confidence:.0%} of those baskets also had "
        f"{table.label(item)}, {lift:.1f}x the usual rate"
    )


def category_text(because: Sequence[str], category: str, item: str, confidence: float, lift: float) -> str:
    """e.g. "because sausage is in the cart: 42% of those baskets also had dairy produce, 2.1x the
    usual rate; Whole milk sells most there"."""
    names = because[0] if len(because) == 1 else ", ".join(because[:-1]) + " and " + because[-1]
    return (
        f"because {names} {'is' if len(because) == 1 else 'are'} in the cart: {confidence:.0%} of those baskets "
        f"also had {category}, {lift:.1f}x the usual rate; {item} sells most there"
    )


def upgrade_text(table: ItemTable, replaces: int, item: int, share: float, customers: int, basis: str) -> str:
    if basis == "traded_up":
        return (
            f"a step up from {table.label(replaces)}: {customers} of its buyers ({share:.0%}) later bought "
            f"{table.label(item)}"
        )
    return f"a step up from {table.label(replaces)} in the same {basis}"


def popular_text(share: float, category: str | None) -> str:
    where = f" of {category}" if category else ""
    return f"popular{where}: in {share:.1%} of all baskets"


def free_shipping_text(threshold: float, missing: float) -> str:
    return f"takes the cart over the free-shipping threshold of {threshold:g} (it was {missing:.2f} short)"


def text_for(table: ItemTable, kind: str, item: int, reason: Mapping[str, Any]) -> str:
    """The sentence for a suggestion, from the numbers of its reason."""
    if "text" in reason:  # a pinned item's text, written by the pin
        text = str(reason["text"])
    elif kind == "cross_sell":
        because = [table.index[i] for i in reason["because"]]
        text = cross_sell_text(table, because, item, reason["confidence"], reason["lift"])
    elif kind == "upgrade":
        replaces = table.index[reason["replaces"]]
        text = upgrade_text(table, replaces, item, reason["share"], reason["customers"], reason["basis"])
    else:
        text = popular_text(reason["share"], reason.get("category"))
    shipping = reason.get("free_shipping")
    if shipping:
        text += "; " + free_shipping_text(shipping["threshold"], shipping["missing"])
    return text
