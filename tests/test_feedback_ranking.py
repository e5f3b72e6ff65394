"""The feedback ranking's arithmetic (issue 18): an attach rate shrunk toward the rule's
evidence by a beta prior, checked by hand; ignored suggestions sink, taken ones rise; Thompson
sampling draws from the same posterior, seeded."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recommender.exceptions import ConfigError
from recommender.ranking.candidates import Candidate
from recommender.ranking.feedback import (
    AttachIndex,
    FeedbackConfig,
    FeedbackRanking,
    feedback_score,
    posterior,
    rerank,
    thompson_score,
)


def test_the_posterior_by_hand():
    config = FeedbackConfig(strength=10, calibration=0.5)
    # prior mean 0.4 * 0.5 = 0.2, worth 10 impressions: Beta(2, 8); then 30 shown, 12 taken.
    assert posterior(0.4, 30, 12, config) == pytest.approx((14.0, 26.0))
    assert feedback_score(0.4, 30, 12, config) == pytest.approx(14 / 40 / 0.5)  # 0.7: taken more than thought
    assert feedback_score(0.4, 30, 0, config) == pytest.approx(2 / 40 / 0.5)  # 0.1: ignored, sinks
    assert feedback_score(0.4, 0, 0, config) == 0.4  # never shown: the rule's score


@given(
    score=st.floats(0.0, 1.0),
    shown=st.integers(1, 10_000),
    taken=st.floats(0.0, 1.0),
    strength=st.floats(0.5, 500.0),
    calibration=st.floats(0.01, 1.0),
)
def test_more_attaches_never_lower_the_score_and_many_impressions_approach_the_attach_rate(
    score, shown, taken, strength, calibration
):
    config = FeedbackConfig(strength=strength, calibration=calibration)
    added = round(taken * shown)
    moved = feedback_score(score, shown, added, config)
    if added < shown:
        assert feedback_score(score, shown, added + 1, config) >= moved
    # Between the prior's mean and the observed rate (on the attach-rate scale).
    prior, observed = min(score * calibration, 1.0), added / shown
    assert min(prior, observed) - 1e-9 <= moved * calibration <= max(prior, observed) + 1e-9


def test_the_index_sums_a_carts_items_once_and_refuses_impossible_counts():
    index = AttachIndex([("tea", "cup", 10, 4), ("milk", "cup", 5, 1)])
    assert index.counts(["tea", "milk", "tea"], "cup") == (15, 5)
    assert index.counts(["tea"], "jam") == (0, 0)
    with pytest.raises(ConfigError, match="between 0 and its 3 impressions, got 4"):
        AttachIndex([("tea", "cup", 3, 4)])


def test_rerank_sinks_the_ignored_and_raises_the_taken():
    index = AttachIndex([("tea", "cup", 500, 0), ("tea", "jam", 500, 150)])
    ranked = [item for item, _ in rerank({"cup": 0.6, "jam": 0.2, "pot": 0.4}, ["tea"], index,
                                         FeedbackConfig(calibration=0.25))]  # fmt: skip
    assert ranked == ["jam", "pot", "cup"]  # without feedback: cup, pot, jam


def test_thompson_draws_are_seeded_and_centred_on_the_posterior_mean():
    config = FeedbackConfig(strength=10, calibration=0.5, explore_share=0.2)
    draws = [thompson_score(0.4, 30, 12, config, random.Random(seed)) for seed in range(4000)]
    assert draws[:3] == [thompson_score(0.4, 30, 12, config, random.Random(seed)) for seed in range(3)]
    # Beta(14, 26): mean 0.35, sd 0.075; the mean of 4,000 draws is within 4 standard errors.
    assert sum(draws) / len(draws) * 0.5 == pytest.approx(0.35, abs=4 * 0.075 / 4000**0.5)


def _candidates() -> list[Candidate]:
    return [Candidate(item=k, kind="cross_sell", source="rules", likelihood=0.4 - 0.1 * k, strength=0.5, count=10,
                      score=0.4 - 0.1 * k) for k in range(1, 4)]  # fmt: skip


def test_an_exploring_answer_ranks_by_draws_and_only_that_share_of_answers_explores():
    ids = ("tea", "cup", "jam", "pot")
    ranking = FeedbackRanking([(0, 1, 200, 0), (0, 2, 200, 60)], ids, FeedbackConfig(calibration=0.25))
    likelihood = lambda item, x: x  # noqa: E731 - the objective "confidence": the score is the likelihood
    means = _candidates()
    ranking.adjust(means, [0], likelihood)
    assert [ids[c.item] for c in means] == ["jam", "pot", "cup"]  # the posterior means, as rerank orders them
    assert ranking.explored == 0  # by default nothing explores

    explorer = ranking.exploring(0.2, random.Random(7))
    assert explorer.index is ranking.index and explorer.config.calibration == 0.25
    answers, orders = [], []
    for _ in range(2000):
        candidates = _candidates()
        explorer.adjust(candidates, [0], likelihood)
        answers.append(tuple(round(c.score, 6) for c in candidates))
        orders.append(tuple(ids[c.item] for c in candidates))
    # 2,000 answers, a fifth exploring: 400 expected, sd 18
    assert explorer.explored == pytest.approx(400, abs=4 * 18)
    mean_scores = tuple(round(c.score, 6) for c in means)
    assert sum(answer == mean_scores for answer in answers) == 2000 - explorer.explored  # the others: the means
    # An exploring answer draws the never-seen pot from its prior, Beta(0.5, 19.5) (its score
    # 0.1 x 0.25, worth 20 impressions), and the ignored cup from Beta(1.5, 218.5): the cup
    # comes before the pot in 36% of them (by 200,000 draws), sd 2.4% over 400; the jam,
    # Beta(61, 159), stays first but for 0.06% of them.
    explored = [order for answer, order in zip(answers, orders) if answer != mean_scores]
    assert sum(order[1:] == ("cup", "pot") for order in explored) / len(explored) == pytest.approx(0.36, abs=0.1)
    assert sum(order[0] == "jam" for order in explored) >= len(explored) - 3


@pytest.mark.parametrize(
    ("options", "message"),
    [({"strength": 0}, "strength must be a positive"), ({"calibration": float("inf")}, "calibration"),
     ({"explore_share": 1.5}, "explore_share must be between 0 and 1")],
)  # fmt: skip
def test_bad_settings_are_refused_in_one_sentence(options, message):
    with pytest.raises(ConfigError, match=message):
        FeedbackConfig(**options)
