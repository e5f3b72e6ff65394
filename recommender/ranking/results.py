"""What the ranking layer answers: suggestions with their reasons, and bundles."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Suggestion", "Considered", "Recommendations", "Bundle"]


@dataclass(frozen=True)
class Suggestion:
    """One suggested item: its kind, its score (in the unit of the objective) and why."""

    item_id: str
    kind: str
    score: float
    reason: Mapping[str, Any]
    name: str | None = None
    price: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "kind": self.kind,
            "score": self.score,
            "name": self.name,
            "price": self.price,
            "reason": dict(self.reason),
        }


@dataclass(frozen=True, kw_only=True)
class Considered:
    """One line of the decision trace: a candidate the ranking considered, where it came from,
    its score, and whether it was shown (at ``position``, 1 first) or why not.

    ``source`` is ``"rules"``, ``"upgrades"``, ``"pins"``, ``"cobought"``, ``"category_rules"``,
    ``"category_popular"`` or ``"popular"``; ``status`` is ``"shown"`` or one of ``in_cart``,
    ``excluded``, ``blocked``, ``out_of_stock``, ``lift_floor``, ``substitute``, ``kind_cap``,
    ``category_cap``, ``below_limit``, which ``detail`` says in words.
    """

    item_id: str
    name: str | None
    kind: str
    source: str
    score: float
    status: str
    detail: str
    because: tuple[str, ...] = ()
    confidence: float | None = None
    lift: float | None = None
    baskets: int | None = None
    position: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "name": self.name,
            "kind": self.kind,
            "source": self.source,
            "score": self.score,
            "status": self.status,
            "detail": self.detail,
            "because": list(self.because),
            "confidence": self.confidence,
            "lift": self.lift,
            "baskets": self.baskets,
            "position": self.position,
        }


@dataclass(frozen=True)
class Recommendations:
    """The answer for one cart: at most ``limit`` suggestions, best first.

    ``unknown_items`` are cart items the model has never seen (reported, not fatal);
    ``fallback`` says what filled in after the item rules: ``"cobought"`` (items bought with a
    cart item in too few baskets for a rule), ``"category_rules"`` (best sellers of
    the categories the cart's categories point to), ``"category_popular"`` or ``"popular"``.
    ``trace``, when asked for, holds every candidate considered, in the order the policy looked
    at them, with why it was or was not shown.
    """

    items: tuple[Suggestion, ...]
    unknown_items: tuple[str, ...] = ()
    fallback: str | None = None
    model: Mapping[str, str] = field(default_factory=dict)
    trace: tuple[Considered, ...] | None = None

    def __len__(self) -> int:
        return len(self.items)

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(s.item_id for s in self.items)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape shared by ``recommender recommend --format json`` and the HTTP service
        (with ``"trace"`` only when it was asked for)."""
        shape: dict[str, Any] = {
            "model": dict(self.model),
            "items": [s.to_dict() for s in self.items],
            "unknown_items": list(self.unknown_items),
            "fallback": self.fallback,
        }
        if self.trace is not None:
            shape["trace"] = [line.to_dict() for line in self.trace]
        return shape


@dataclass(frozen=True, kw_only=True)
class Bundle:
    """Items bought together with one product, for its product page.

    ``items`` starts with the product itself; empty when the product has no bundle.
    ``confidence`` is the share of the product's baskets that held the whole bundle.
    """

    item_id: str
    items: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    baskets: int = 0
    support: float = 0.0
    confidence: float = 0.0
    lift: float = 0.0
    total_price: float | None = None
    bundle_price: float | None = None
    discount: float = 0.0
    reason: str = ""
    model: Mapping[str, str] = field(default_factory=dict)

    @property
    def found(self) -> bool:
        return bool(self.items)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": dict(self.model),
            "item_id": self.item_id,
            "items": [{"item_id": i, "name": n} for i, n in zip(self.items, self.names)],
            "baskets": self.baskets,
            "support": self.support,
            "confidence": self.confidence,
            "lift": self.lift,
            "total_price": self.total_price,
            "bundle_price": self.bundle_price,
            "discount": self.discount,
            "reason": self.reason,
        }
