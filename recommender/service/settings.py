"""Service settings: validated, frozen, from arguments or the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..config import RankingConfig
from ..exceptions import ConfigError, MissingDependencyError

__all__ = ["ServiceSettings", "require_serve_extra", "ENV_PREFIX"]

ENV_PREFIX = "RECOMMENDER_"


@dataclass(frozen=True, kw_only=True)
class ServiceSettings:
    """What the service serves and how much it accepts.

    Parameters
    ----------
    model_path : str
        The model file; reloads read the same path again.
    admin_token : str or None
        Enables ``POST /v1/admin/reload`` for callers sending ``Authorization: Bearer TOKEN``.
        Off (the route does not exist) when None.
    max_cart_items : int
        Longest cart (and exclusion list) accepted.
    max_body_bytes : int
        Largest request body accepted.
    ranking : RankingConfig
        Limits, objective, diversity, pins, blocks of every answer.
    """

    model_path: str
    admin_token: str | None = None
    max_cart_items: int = 100
    max_body_bytes: int = 64 * 1024
    ranking: RankingConfig = field(default_factory=RankingConfig)

    def __post_init__(self) -> None:
        if not self.model_path:
            raise ConfigError("model_path is empty; pass the model file written by `recommender mine`.")
        if self.admin_token is not None and len(self.admin_token) < 16:
            raise ConfigError(
                "the admin token must be at least 16 characters; generate one with `openssl rand -hex 24`."
            )
        for name in ("max_cart_items", "max_body_bytes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be a positive whole number, got {value!r}.")

    def to_env(self) -> dict[str, str]:
        """The settings as environment variables, for worker processes started by uvicorn."""
        env = {
            f"{ENV_PREFIX}MODEL": self.model_path,
            f"{ENV_PREFIX}MAX_CART_ITEMS": str(self.max_cart_items),
            f"{ENV_PREFIX}MAX_BODY_BYTES": str(self.max_body_bytes),
            f"{ENV_PREFIX}LIMIT": str(self.ranking.limit),
            f"{ENV_PREFIX}OBJECTIVE": self.ranking.objective,
        }
        if self.ranking.free_shipping_threshold is not None:
            env[f"{ENV_PREFIX}FREE_SHIPPING"] = str(self.ranking.free_shipping_threshold)
        if self.admin_token is not None:
            env[f"{ENV_PREFIX}ADMIN_TOKEN"] = self.admin_token
        return env

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServiceSettings:
        """Settings from ``RECOMMENDER_*`` variables (``RECOMMENDER_MODEL`` is required)."""
        env = os.environ if environ is None else environ
        model = env.get(f"{ENV_PREFIX}MODEL", "")
        free_shipping = env.get(f"{ENV_PREFIX}FREE_SHIPPING")
        try:
            ranking = RankingConfig(
                limit=int(env.get(f"{ENV_PREFIX}LIMIT", "3")),
                objective=env.get(f"{ENV_PREFIX}OBJECTIVE", "confidence"),
                free_shipping_threshold=float(free_shipping) if free_shipping else None,
            )
            return cls(
                model_path=model,
                admin_token=env.get(f"{ENV_PREFIX}ADMIN_TOKEN") or None,
                max_cart_items=int(env.get(f"{ENV_PREFIX}MAX_CART_ITEMS", "100")),
                max_body_bytes=int(env.get(f"{ENV_PREFIX}MAX_BODY_BYTES", str(64 * 1024))),
                ranking=ranking,
            )
        except ValueError as error:
            if isinstance(error, ConfigError):
                raise
            raise ConfigError(f"a {ENV_PREFIX}* setting is not a number: {error}.") from None


def require_serve_extra() -> None:
    """Raise a friendly error when FastAPI or uvicorn is missing."""
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise MissingDependencyError(
            'the HTTP service needs the `serve` extra; install it with: pip install -e ".[serve]"'
        ) from None
