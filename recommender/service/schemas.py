"""Request and response shapes of the HTTP API; every size is capped here."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model

from ..config import MAX_LIMIT

__all__ = [
    "ItemId",
    "request_model",
    "RecommendationResponse",
    "Considered",
    "BundleResponse",
    "ModelResponse",
    "Health",
    "ErrorResponse",
]

ItemId = Annotated[str, StringConstraints(min_length=1, max_length=128)]
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
    )


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
    source: Literal[
        "rules", "weights", "upgrades", "pins", "cobought", "category_rules", "category_popular", "popular"
    ]
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
