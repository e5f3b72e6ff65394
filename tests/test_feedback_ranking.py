"""The feedback ranking's arithmetic (issue 18): an attach rate shrunk toward the rule's
evidence by a beta prior, checked by hand; ignored suggestions sink, taken ones rise; Thompson
sampling draws from the same posterior, seeded."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recommender.exceptions import ConfigError
from recommender.ranking.feedback import (
    AttachIndex,
    FeedbackConfig,
    explore_slots,
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
    slots = [slot for seed in range(2000) for slot in explore_slots(3, config, random.Random(seed))]
    assert sum(slots) / len(slots) == pytest.approx(0.2, abs=0.03)  # the share of exploring slots


@pytest.mark.parametrize(
    ("options", "message"),
    [({"strength": 0}, "strength must be a positive"), ({"calibration": float("inf")}, "calibration"),
     ({"explore_share": 1.5}, "explore_share must be between 0 and 1")],
)  # fmt: skip
def test_bad_settings_are_refused_in_one_sentence(options, message):
    with pytest.raises(ConfigError, match=message):
        FeedbackConfig(**options)
