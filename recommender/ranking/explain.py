"""Reasons a person can read, next to the numbers behind them."""

from __future__ import annotations

from collections.abc import Sequence

from .items import ItemTable

__all__ = ["cross_sell_text", "upgrade_text", "popular_text", "free_shipping_text"]


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
