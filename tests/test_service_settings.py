"""The service settings travel whole to uvicorn's worker processes (issue 15): every field, of
the ranking too, goes through ``to_env`` and comes back equal from ``from_env``.

The settings with every field changed are built from ``dataclasses.fields`` and the fields'
types, so a field added later is covered without touching this file; one whose type no
candidate fits fails here, saying which.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import types
import typing

import pytest

from recommender import config as config_module
from recommender.config import RankingConfig
from recommender.exceptions import ConfigError
from recommender.service.settings import SETTINGS_ENV, ServiceSettings

# Every string constant of the config module: the choices of fields such as objective.
CHOICES = sorted(
    {
        value
        for constant in vars(config_module).values()
        if isinstance(constant, tuple)
        for value in constant
        if isinstance(value, str)
    }
)
STRINGS = ["t0k3n-" + "x" * 18, *CHOICES, "other.rcm"]


def candidates(hint: typing.Any, default: typing.Any) -> list[typing.Any]:
    """Values of type ``hint`` other than ``default``, most telling first (lists of them for
    containers, so that the dataclass's own normalising is exercised)."""
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return [changed(hint)]
    origin, arguments = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [option for option in arguments if option is not type(None)]
        values = [value for option in inner for value in candidates(option, default)]
        return values + ([None] if default is not None else [])
    if origin is tuple:
        if len(arguments) == 2 and arguments[1] is Ellipsis:
            pool = candidates(arguments[0], None)
            return [tuple(pool[:2]), tuple(pool[1:3]), tuple(pool[:1])]
        pools = [candidates(argument, None)[:6] for argument in arguments]
        return [combination for combination in itertools.product(*pools) if combination != default]
    if origin in (frozenset, set):
        pool = candidates(arguments[0], None)
        return [origin(pool[:2]), origin(pool[1:3])]
    if hint is bool:
        return [not default]
    if hint is int:
        return [value for value in (2, 7, 1, 0, 40, 100_000) if value != default]
    if hint is float:
        return [value for value in (2.5, 5.0, 0.25, 1.5, 0.0, 7.0) if value != default]
    if hint is str:
        return [value for value in STRINGS if value != default]
    raise AssertionError(f"no candidate values for type {hint!r}: add some to this test")


def changed(cls: type) -> typing.Any:
    """An instance of the dataclass ``cls`` with every field away from its default."""
    hints = typing.get_type_hints(cls)
    chosen: dict[str, typing.Any] = {}
    for field in dataclasses.fields(cls):
        if field.default is not dataclasses.MISSING:
            default = field.default
        elif field.default_factory is not dataclasses.MISSING:
            default = field.default_factory()
        else:
            default = None  # required: any valid value will do
        for value in candidates(hints[field.name], default):
            try:
                made = cls(**chosen, **{field.name: value})
            except (ConfigError, TypeError, ValueError):
                continue  # refused (e.g. a string that is not one of the choices): the next one
            if getattr(made, field.name) != default:
                chosen[field.name] = value
                break
        else:
            raise AssertionError(f"no value of {cls.__name__}.{field.name} other than its default: extend candidates()")
    return cls(**chosen)


def test_every_setting_survives_the_trip_to_the_workers():
    settings = changed(ServiceSettings)
    for name, value in [*vars(settings).items(), *vars(settings.ranking).items()]:
        assert value is not None, name
    assert settings.ranking != RankingConfig()
    env = settings.to_env()
    assert set(env) == {SETTINGS_ENV}  # one variable: nothing left behind by a list of fields
    assert ServiceSettings.from_env(env) == settings
    # Equal settings write equal text (sets sorted), so a worker's log can be compared.
    assert ServiceSettings.from_env(env).to_env() == env


def test_defaults_and_a_minimal_document():
    settings = ServiceSettings(model_path="m.rcm")
    assert ServiceSettings.from_env(settings.to_env()) == settings
    assert ServiceSettings.from_env({SETTINGS_ENV: '{"model_path": "m.rcm"}'}) == settings
    hand_written = (
        '{"model_path": "m.rcm", "ranking": {"min_lift": 5, "upgrade_band": [1, 3], "pins": [["KET", ["TEA"]]]}}'
    )
    ranking = ServiceSettings.from_env({SETTINGS_ENV: hand_written}).ranking
    assert ranking == RankingConfig(min_lift=5.0, upgrade_band=(1.0, 3.0), pins=(("KET", ("TEA",)),))
    assert isinstance(ranking.min_lift, float) and ranking.pins == (("KET", ("TEA",)),)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "RECOMMENDER_SETTINGS is not set"),
        ({SETTINGS_ENV: "{nope"}, "not valid JSON"),
        ({SETTINGS_ENV: "[]"}, "must be a JSON object"),
        ({SETTINGS_ENV: '{"model_path": "m.rcm", "ranking": {"min_lfit": 5}}'}, "no setting min_lfit"),
        ({SETTINGS_ENV: '{"model_path": "m.rcm", "ranking": {"min_lift": -1}}'}, "min_lift must be 0 or more"),
        ({SETTINGS_ENV: '{"model_path": "m.rcm", "ranking": {"upgrade_band": 2}}'}, "RankingConfig refuses"),
        ({SETTINGS_ENV: '{"model_path": "m.rcm", "admin_token": "short"}'}, "at least 16 characters"),
        ({SETTINGS_ENV: '{"ranking": {}}'}, "model_path"),
    ],
)
def test_bad_settings_are_refused_with_a_reason(environ, message):
    with pytest.raises(ConfigError, match=message):
        ServiceSettings.from_env(environ)


def test_the_document_is_plain_json():
    settings = ServiceSettings(model_path="m.rcm", ranking=RankingConfig(blocked=frozenset({"b", "a"})))
    document = json.loads(settings.to_env()[SETTINGS_ENV])
    assert document["ranking"]["blocked"] == ["a", "b"] and document["ranking"]["upgrade_band"] == [1.1, 2.0]
