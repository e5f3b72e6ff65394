"""Service settings: validated, frozen, from arguments or the environment."""

from __future__ import annotations

import json
import math
import os
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

from ..config import RankingConfig
from ..exceptions import ConfigError, MissingDependencyError
from ..feedback.arms import DEFAULT_SALT, check_salt, check_share
from ..ranking.feedback import FeedbackConfig

__all__ = ["ServiceSettings", "require_serve_extra", "ENV_PREFIX", "SETTINGS_ENV"]

ENV_PREFIX = "RECOMMENDER_"
# The whole of the settings, as JSON, in one variable: `recommender serve --workers N` hands
# them to uvicorn's worker processes this way, so that every field (of the ranking too, those
# added later included) reaches them without a list of fields to keep up to date.
SETTINGS_ENV = f"{ENV_PREFIX}SETTINGS"
# What the control arm gets: no suggestions, or popular items only.
CONTROL_SUGGESTIONS = ("none", "popular")


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
    limit_concurrency : int
        Connections (and requests in progress) a process holds at most; requests past it get a
        503 at once, so that a flood of clients cannot take every file descriptor.
    keep_alive_timeout : float
        Seconds a connection may stay idle after an answer before it is closed.
    header_timeout : float
        Seconds a client has to send a whole request (headers and body), counted from when it
        connects or had its last answer; a connection that sends nothing, or too slowly, is
        closed then.
    max_header_bytes : int
        Largest request head (request line and headers); larger ones get a 431.
    reload_wait_seconds : float
        With several workers, how long a reload by the admin route waits for every worker to
        serve the new model before it answers.
    shared_dir : str or None
        The workers' shared copy of the model (see :mod:`recommender.service.shared`); set by
        ``recommender serve --workers N``, None for one process serving ``model_path``.
    events_url : str or None
        The events store (``sqlite:///events.db`` or ``postgresql://...``): enables
        ``POST /v1/events`` and the log of served answers. None: no events.
    max_events : int
        Most events in one ``POST /v1/events``.
    events_timeout : float
        Seconds a call waits for the store (a locked SQLite file, a PostgreSQL server that does
        not answer) before the events get a 503.
    holdout_share : float
        Share of sessions (by a hash of the request's ``session_id``) in the control arm.
    holdout_salt : str
        Keys that hash: another salt draws another control group (see
        :mod:`recommender.feedback.arms`).
    control_suggestions : {"none", "popular"}
        What the control arm gets: no suggestions, or popular items only.
    explore_share : float
        With a model mined with feedback (``mine --feedback``): the share of answers ranked by
        Thompson sampling, draws from each suggestion's posterior attach rate instead of its
        mean, so that suggestions seen little get shown enough to learn about (see
        :mod:`recommender.ranking.feedback`). 0 (the default): none, answers are deterministic.
    explore_seed : int or None
        Seeds the draws of exploration (simulations and tests); None: the system's entropy.
    """

    model_path: str
    admin_token: str | None = None
    max_cart_items: int = 100
    max_body_bytes: int = 64 * 1024
    ranking: RankingConfig = field(default_factory=RankingConfig)
    limit_concurrency: int = 1000
    keep_alive_timeout: float = 5.0
    header_timeout: float = 10.0
    max_header_bytes: int = 32 * 1024
    reload_wait_seconds: float = 60.0
    shared_dir: str | None = None
    events_url: str | None = None
    max_events: int = 1000
    events_timeout: float = 5.0
    holdout_share: float = 0.0
    holdout_salt: str = DEFAULT_SALT
    control_suggestions: str = "none"  # one of CONTROL_SUGGESTIONS
    explore_share: float = 0.0
    explore_seed: int | None = None

    def __post_init__(self) -> None:
        if not self.model_path:
            raise ConfigError("model_path is empty; pass the model file written by `recommender mine`.")
        if self.admin_token is not None and len(self.admin_token) < 16:
            raise ConfigError(
                "the admin token must be at least 16 characters; generate one with `openssl rand -hex 24`."
            )
        check_share(self.holdout_share)
        check_salt(self.holdout_salt)
        FeedbackConfig(explore_share=self.explore_share)  # refuses a share outside [0, 1]
        if self.control_suggestions not in CONTROL_SUGGESTIONS:
            raise ConfigError(f"control_suggestions must be 'none' or 'popular', got {self.control_suggestions!r}.")
        if self.events_url is not None and not self.events_url:
            raise ConfigError("events_url is empty; give sqlite:///events.db or postgresql://USER@HOST/DATABASE.")
        for name in ("max_cart_items", "max_body_bytes", "limit_concurrency", "max_header_bytes", "max_events"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be a positive whole number, got {value!r}.")
        for name in ("keep_alive_timeout", "header_timeout", "reload_wait_seconds", "events_timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
                raise ConfigError(f"{name} must be a positive number of seconds, got {value!r}.")

    def to_env(self) -> dict[str, str]:
        """The settings as environment variables, for worker processes started by uvicorn.

        Every field, nested ones included, goes into the JSON of one variable,
        :data:`SETTINGS_ENV`, which :meth:`from_env` reads back into equal settings.

        Examples
        --------
        >>> settings = ServiceSettings(model_path="m.rcm", ranking=RankingConfig(min_lift=5.0))
        >>> ServiceSettings.from_env(settings.to_env()) == settings
        True
        """
        return {SETTINGS_ENV: json.dumps(_plain(self), sort_keys=True)}

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServiceSettings:
        """Settings from the JSON in ``RECOMMENDER_SETTINGS``, as :meth:`to_env` writes it.

        Fields left out take their defaults (``model_path`` is required); lists become the
        tuples and frozensets the fields hold, and the dataclasses check the values as when
        they are given in Python.

        Examples
        --------
        >>> env = {"RECOMMENDER_SETTINGS": '{"model_path": "m.rcm", "ranking": {"blocked": ["GIFT-CARD"]}}'}
        >>> ServiceSettings.from_env(env).ranking.blocked
        frozenset({'GIFT-CARD'})
        """
        env = os.environ if environ is None else environ
        text = env.get(SETTINGS_ENV)
        if text is None:
            raise ConfigError(
                f"{SETTINGS_ENV} is not set; it holds the service settings as JSON, "
                'e.g. {"model_path": "model.rcm"} (`recommender serve` sets it for its workers).'
            )
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise ConfigError(f"{SETTINGS_ENV} is not valid JSON ({error}); it holds the service settings.") from None
        return typing.cast(ServiceSettings, _restore(document, cls, SETTINGS_ENV))


def _plain(value: Any) -> Any:
    """``value`` as JSON-ready data: dataclasses as objects of their fields, tuples and sets as
    lists (sets sorted, so that equal settings write the same text)."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value) if f.init}
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    if isinstance(value, (frozenset, set)):
        return sorted((_plain(item) for item in value), key=json.dumps)
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    return value


def _restore(value: Any, hint: Any, where: str) -> Any:
    """``value`` read from JSON, made again into what the type ``hint`` of its field says.

    Only the containers JSON cannot tell apart are rebuilt (a list into a tuple or a frozenset,
    an object into a dataclass, a whole number into a float); the values themselves are left
    to the dataclasses' own checks, which say what is wrong with them.
    """
    if isinstance(hint, type) and is_dataclass(hint):
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a JSON object of {hint.__name__} settings, got {value!r}.")
        hints = typing.get_type_hints(hint)
        names = [f.name for f in fields(hint) if f.init]
        unknown = sorted(set(value) - set(names))
        if unknown:
            raise ConfigError(f"{where} has no setting {', '.join(unknown)}; {hint.__name__} has {', '.join(names)}.")
        arguments = {name: _restore(item, hints[name], f"{where}.{name}") for name, item in value.items()}
        try:
            return hint(**arguments)
        except ConfigError:
            raise
        except (TypeError, ValueError) as error:
            raise ConfigError(f"{where} holds settings {hint.__name__} refuses: {error}.") from None
    origin, arguments_of = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        options = [option for option in arguments_of if option is not type(None)]
        return _restore(value, options[0], where) if len(options) == 1 else value
    if origin is tuple and isinstance(value, list):
        if len(arguments_of) == 2 and arguments_of[1] is Ellipsis:
            return tuple(_restore(item, arguments_of[0], where) for item in value)
        if len(arguments_of) == len(value):
            return tuple(_restore(item, option, where) for item, option in zip(value, arguments_of))
        return tuple(value)  # of the wrong length: the dataclass's check says so
    if origin in (frozenset, set) and isinstance(value, list):
        element = arguments_of[0] if arguments_of else Any
        return origin(_restore(item, element, where) for item in value)
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def require_serve_extra() -> None:
    """Raise a friendly error when FastAPI or uvicorn is missing."""
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise MissingDependencyError(
            'the HTTP service needs the `serve` extra; install it with: pip install -e ".[serve]"'
        ) from None
