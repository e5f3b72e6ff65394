"""Exploration in the service (issue 18): ``serve --explore-share F`` ranks that share of the
answers of a model mined with feedback by Thompson sampling; by default none, and answers are
the same every time. In-process through the app's factory, on the tea shop of
``test_feedback_mine`` (cups and jam shown for a cart of tea 30 times, the jam taken 25 times)."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi", reason="the service tests need the `serve` extra")

from fastapi.testclient import TestClient  # noqa: E402

from recommender import mine  # noqa: E402
from recommender.cli import main  # noqa: E402
from recommender.exceptions import ConfigError  # noqa: E402
from recommender.feedback import EventStore  # noqa: E402
from recommender.service import ServiceSettings, create_app  # noqa: E402

from .test_feedback_mine import BASKETS, _fill  # noqa: E402

TOKEN = "explore-test-token-0123456789"


@pytest.fixture(scope="module")
def fed_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("explore")
    _fill(EventStore(f"sqlite:///{folder / 'events.db'}"))
    return mine(BASKETS, min_support=0.05, feedback=f"sqlite:///{folder / 'events.db'}").save(folder / "fed.rcm")


def _answers(client: TestClient, n: int) -> list[tuple[tuple[str, float], ...]]:
    """The items and scores of ``n`` answers for a cart of tea."""
    return [
        tuple(
            (item["item_id"], item["score"])
            for item in client.post("/v1/recommendations", json={"cart": ["tea"]}).json()["items"]
        )
        for _ in range(n)
    ]


def test_by_default_nothing_explores(fed_model):
    with TestClient(create_app(ServiceSettings(model_path=str(fed_model)), handle_sighup=False)) as client:
        answers = _answers(client, 50)
    assert len(set(answers)) == 1 and answers[0][0][0] == "jam"  # taken 25 times in 30: first


def test_a_share_of_answers_explores_and_keeps_exploring_after_a_reload(fed_model):
    with TestClient(create_app(ServiceSettings(model_path=str(fed_model)), handle_sighup=False)) as client:
        (means,) = set(_answers(client, 1))
    settings = ServiceSettings(model_path=str(fed_model), explore_share=0.3, admin_token=TOKEN)
    app = create_app(settings, handle_sighup=False)
    with TestClient(app) as client:
        answers = _answers(client, 400)
        ranking = app.state.holder.current.feedback
        # 400 answers, each exploring with probability 0.3: 120 expected, sd 9.2
        assert ranking.explored == pytest.approx(120, abs=4 * 9.2)
        # An exploring answer scores each candidate by a draw from its posterior (never its
        # mean); the others are the answer without exploration, exactly.
        assert sum(answer != means for answer in answers) == ranking.explored
        # The jam's posterior, Beta(25.2, 24.8), keeps it first against the cups', Beta(0.3, 49.7)
        # (their learned scores' prior, worth 20 impressions, and 30 shown, 25 and 0 taken).
        assert all(answer[0][0] == "jam" for answer in answers)
        response = client.post("/v1/admin/reload", headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 200
        reloaded = app.state.holder.current.feedback
        assert reloaded is not ranking and reloaded.config.explore_share == 0.3
        _answers(client, 100)
        assert 0 < reloaded.explored < 100


def test_the_share_reaches_the_workers_and_a_bad_one_is_refused(fed_model, capsys):
    settings = ServiceSettings(model_path=str(fed_model), explore_share=0.1)
    assert ServiceSettings.from_env(settings.to_env()) == settings  # how `serve --workers N` hands it on
    with pytest.raises(ConfigError, match=r"explore_share must be between 0 and 1 \(0.1: a tenth"):
        ServiceSettings(model_path=str(fed_model), explore_share=1.5)
    assert main(["serve", str(fed_model), "--explore-share", "2"]) == 2
    error = capsys.readouterr().err.strip()
    assert "explore_share must be between 0 and 1" in error and len(error.splitlines()) == 1


def test_seeded_exploration_draws_the_same_answers(fed_model):
    runs = []
    for _ in range(2):
        settings = ServiceSettings(model_path=str(fed_model), explore_share=0.5, explore_seed=3)
        with TestClient(create_app(settings, handle_sighup=False)) as client:
            runs.append(_answers(client, 40))
    assert runs[0] == runs[1] and len(set(runs[0])) > 1
