"""Request and response shapes of the HTTP API; every size is capped here."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model

from ..config import MAX_LIMIT

__all__ = [
    "ItemId",
    "request_model",
    "events_model",
    "RecommendationResponse",
    "Considered",
    "BundleResponse",
    "ModelResponse",
    "Health",
    "ErrorResponse",
    "EventsAccepted",
]

ItemId = Annotated[str, StringConstraints(min_length=1, max_length=128)]
SessionId = Annotated[str, StringConstraints(min_length=1, max_length=128)]
RecommendationId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
EventId = Annotated[str, StringConstraints(min_length=1, max_length=128)]
Arm = Literal["treatment", "control"]
Kind = Literal["cross_sell", "upgrade", "popular"]
Objective = Literal["confidence", "lift", "revenue", "margin"]


def request_model(max_items: int) -> type[BaseModel]:
    """The body of ``POST /v1/recommendations``, its lists capped at ``max_items``."""
    return create_model(
        "RecommendationRequest",
        __config__=ConfigDict(extra="forbid"),
        cart=(list[ItemId], Field(default_factory=list, max_length=max_items, description="item ids in the cart")),
        limit=(int, Field(3, ge=1, le=MAX_LIMIT, description="most suggestions to return")),
        cart_total=(
            float | None,
            Field(None, ge=0, le=1e9, allow_inf_nan=False, description="the cart's value, for free shipping"),
        ),
        exclude=(list[ItemId], Field(default_factory=list, max_length=max_items, description="never suggest these")),
        kinds=(list[Kind] | None, Field(None, min_length=1, max_length=3, description="kinds wanted (default all)")),
        objective=(Objective | None, Field(None, description="rank by likelihood, lift, revenue or margin")),
        trace=(
            bool,
            Field(False, description="also return every candidate considered, its score and why it was (not) shown"),
        ),
        session_id=(
            SessionId | None,
            Field(None, description="a stable shopper or session id: decides the arm (treatment or control)"),
        ),
        customer_id=(
            SessionId | None,
            Field(None, description="the shop's customer id: the items they buy again come first, when the model "
                  "was mined with --buy-again"),
        ),  # fmt: skip
        history=(
            list[ItemId],
            Field(default_factory=list, max_length=max_items, description="the customer's past purchases, when "
                  "the model does not know them: items listed twice or more count as bought again"),
        ),  # fmt: skip
    )


def events_model(max_items: int, max_events: int) -> type[BaseModel]:
    """The body of ``POST /v1/events``: at most ``max_events`` events, each list capped at
    ``max_items``; the ``type`` field tells the shapes apart, so an error names the field of the
    shape that was meant (``events.3.purchase.items.0.price``)."""
    strict = ConfigDict(extra="forbid")
    when = Field(None, description="when it happened (ISO 8601; without a zone: UTC); default: when received")
    once = Field(None, description="the shop's unique id of the event: sent again (a retry), it is stored once")

    class Impression(BaseModel):
        model_config = strict
        type: Literal["impression"]
        session_id: SessionId
        recommendation_id: RecommendationId
        items: list[ItemId] = Field(max_length=max_items, description="the item ids shown, in their order")
        at: datetime | None = when
        event_id: EventId | None = once

    class ItemAction(BaseModel):
        model_config = strict
        type: Literal["click", "add_to_cart"]
        session_id: SessionId
        item_id: ItemId
        recommendation_id: RecommendationId | None = Field(None, description="when it came from a suggestion")
        at: datetime | None = when
        event_id: EventId | None = once

    class OrderLine(BaseModel):
        model_config = strict
        item_id: ItemId
        price: float = Field(ge=0, le=1e9, allow_inf_nan=False, description="unit price")
        quantity: int = Field(ge=1, le=1_000_000)

    class Purchase(BaseModel):
        model_config = strict
        type: Literal["purchase"]
        session_id: SessionId
        order_id: Annotated[str, StringConstraints(min_length=1, max_length=128)]
        items: list[OrderLine] = Field(min_length=1, max_length=max_items)
        at: datetime | None = when
        event_id: EventId | None = once

    Event = Annotated[Impression | ItemAction | Purchase, Field(discriminator="type")]
    return create_model(
        "EventBatch",
        __config__=strict,
        events=(list[Event], Field(min_length=1, max_length=max_events, description="the events, oldest first")),
    )


class EventsAccepted(BaseModel):
    accepted: int = Field(description="events stored durably (committed)")


class ModelRef(BaseModel):
    id: str
    created_at: str


class Suggestion(BaseModel):
    item_id: str
    kind: Kind
    score: float
    name: str | None
    price: float | None
    reason: dict[str, Any] = Field(description="why: the rule, the trade-ups or the popularity, and a sentence")


class Considered(BaseModel):
    item_id: str
    name: str | None
    kind: Kind
    source: Literal["rules", "weights", "upgrades", "pins", "cobought", "category_rules", "category_popular", "popular"]
    score: float
    status: str = Field(description="'shown', or why not: in_cart, excluded, blocked, out_of_stock, inactive, "
                        "lift_floor, substitute, kind_cap, category_cap, below_limit")  # fmt: skip
    detail: str
    because: list[str]
    confidence: float | None
    lift: float | None
    baskets: int | None
    position: int | None


class RecommendationResponse(BaseModel):
    model: ModelRef
    items: list[Suggestion]
    unknown_items: list[str]
    fallback: Literal["cobought", "category_rules", "category_popular", "popular"] | None
    trace: list[Considered] | None = Field(None, description="only when the request asks for it")
    recommendation_id: str = Field(description="unique per answer: send it back with the impression and adds")
    arm: Arm = Field(description="'control' answers hold no suggestions, or popular items only")


class BundleItem(BaseModel):
    item_id: str
    name: str | None


class BundleResponse(BaseModel):
    model: ModelRef
    item_id: str
    items: list[BundleItem] = Field(description="the product first; empty when it has no bundle")
    baskets: int
    support: float
    confidence: float
    lift: float
    total_price: float | None
    bundle_price: float | None
    discount: float
    reason: str


class ModelResponse(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    created_at: str
    baskets: int
    items: int
    rules: int
    thresholds: dict[str, Any]
    loaded_at: float
    reloads: int
    failed_reloads: int


class Health(BaseModel):
    status: str


class ErrorResponse(BaseModel):
    detail: Any
