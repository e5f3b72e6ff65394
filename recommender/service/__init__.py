"""The HTTP service (the ``serve`` extra): FastAPI on uvicorn, built by a factory.

>>> from recommender.service import ServiceSettings
>>> ServiceSettings(model_path="model.rcm").max_cart_items
100
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .settings import ServiceSettings

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["ServiceSettings", "create_app"]


def create_app(settings: ServiceSettings, **options: Any) -> FastAPI:
    """The FastAPI application serving one model file (see :func:`recommender.service.app.create_app`)."""
    from .app import create_app as factory

    return factory(settings, **options)
