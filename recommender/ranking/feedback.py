"""Feedback in the ranking: a suggestion's score moved by what shoppers did with it.

What the rules know is a co-purchase rate (the confidence of ``cart -> item``); what the shop
wants is the rate at which shoppers take the suggestion (its attach rate), and the two differ:
an item always bought with tea may be bought anyway, and never taken from a suggestion. Attach
counts per (cart item, suggested item) (``recommender.feedback.attach_counts``) say which.

Few shoppers see most suggestions, so their attach rate alone is noise. It is shrunk toward the
rule's evidence with a beta prior: the rule's score, put on the attach-rate scale by
``calibration`` (the shop's attach rate over the mean score of what it showed), is the prior
mean, worth ``strength`` impressions. With ``n`` impressions and ``k`` attaches of a suggestion
for the cart, the posterior mean is ``(strength * calibration * score + k) / (strength + n)``,
given back on the score's scale (divided by ``calibration``): a suggestion nobody saw keeps its
score, one shoppers keep ignoring sinks, one they take rises, and the more they saw it, the more
their choice counts.

Thompson sampling (optional, ``explore_share``): that share of the answers ranks every candidate
by a draw from its posterior instead of its mean (so that share of the slots explores), so that
suggestions seen little, or not at all, get shown enough to learn about, and no more than the
share the shop allows. The service turns it on (``recommender serve --explore-share 0.1``, see
:meth:`FeedbackRanking.exploring`); by default nothing explores and answers are deterministic.

Pure functions of their inputs (no pandas, scipy or numpy: the serving path imports this), the
random generator passed in.
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..exceptions import ConfigError

__all__ = [
    "FeedbackConfig",
    "AttachIndex",
    "FeedbackRanking",
    "posterior",
    "feedback_score",
    "rerank",
    "thompson_score",
]


@dataclass(frozen=True, kw_only=True)
class FeedbackConfig:
    """How much feedback moves the ranking.

    Parameters
    ----------
    strength : float
        Impressions the rule's evidence is worth (the prior's weight); larger: slower to move.
    calibration : float
        Attach rate per unit of score: the shop's attach rate over the mean score of what was
        shown (estimated when mining with feedback); it puts the rule's score on the
        attach-rate scale.
    explore_share : float
        Share of the answers (and so of the slots) ranked by Thompson sampling (0: none).
    """

    strength: float = 20.0
    calibration: float = 1.0
    explore_share: float = 0.0

    def __post_init__(self) -> None:
        for name, default in (("strength", 20.0), ("calibration", 1.0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
                raise ConfigError(f"feedback {name} must be a positive number (default {default}), got {value!r}.")
        share = self.explore_share
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0.0 <= share <= 1.0:
            raise ConfigError(f"explore_share must be between 0 and 1 (0.1: a tenth of the answers), got {share!r}.")


class AttachIndex:
    """Impressions and attaches per (cart item, suggested item), summed over a cart's items.

    >>> index = AttachIndex([("tea", "cup", 10, 4), ("milk", "cup", 5, 0)])
    >>> index.counts(["tea", "milk"], "cup")
    (15, 4)
    >>> index.counts(["bread"], "cup")
    (0, 0)
    """

    def __init__(self, pairs: Iterable[tuple[str, str, int, int]]) -> None:
        self._pairs: dict[tuple[str, str], tuple[int, int]] = {}
        for cart_item, item, shown, added in pairs:
            if not 0 <= added <= shown:
                raise ConfigError(
                    f"the attach count of ({cart_item!r}, {item!r}) must be between 0 and its {shown} "
                    f"impressions, got {added}."
                )
            self._pairs[(cart_item, item)] = (shown, added)

    def __len__(self) -> int:
        return len(self._pairs)

    def counts(self, cart: Sequence[str], item: str) -> tuple[int, int]:
        """Impressions and attaches of ``item`` for the items of ``cart`` (each counted once)."""
        shown = added = 0
        for cart_item in dict.fromkeys(cart):
            pair = self._pairs.get((cart_item, item))
            if pair is not None:
                shown += pair[0]
                added += pair[1]
        return shown, added


def posterior(score: float, shown: int, added: int, config: FeedbackConfig) -> tuple[float, float]:
    """The beta posterior ``(alpha, beta)`` of a suggestion's attach rate: the prior's mean is the
    score on the attach-rate scale (at most 1), worth ``config.strength`` impressions."""
    prior = min(max(score * config.calibration, 0.0), 1.0)
    return config.strength * prior + added, config.strength * (1.0 - prior) + (shown - added)


def feedback_score(score: float, shown: int, added: int, config: FeedbackConfig) -> float:
    """The score moved by ``added`` attaches in ``shown`` impressions: the posterior mean of the
    attach rate, back on the score's scale.

    >>> config = FeedbackConfig(strength=20, calibration=0.25)
    >>> feedback_score(0.4, 0, 0, config)  # nobody saw it: the rule's score
    0.4
    >>> round(feedback_score(0.4, 100, 0, config), 4)  # seen 100 times, never taken: sinks
    0.0667
    >>> round(feedback_score(0.4, 100, 30, config), 4)  # taken 30% of the time: rises
    1.0667
    """
    alpha, beta = posterior(score, shown, added, config)
    if shown == 0:
        return score  # the prior's mean, exactly (no rounding through the calibration)
    return alpha / (alpha + beta) / config.calibration


# -- the hook where scores are combined ----------------------------------------------------------
# The ranking calls feedback_score (or thompson_score in an exploring answer) on each candidate's
# score before ordering; everything else in the ranking stays as it is.


def thompson_score(score: float, shown: int, added: int, config: FeedbackConfig, rng: random.Random) -> float:
    """A draw from the suggestion's posterior attach rate, on the score's scale."""
    alpha, beta = posterior(score, shown, added, config)
    return rng.betavariate(max(alpha, 1e-9), max(beta, 1e-9)) / config.calibration


def rerank(
    scores: Mapping[str, float], cart: Sequence[str], index: AttachIndex, config: FeedbackConfig
) -> list[tuple[str, float]]:
    """Candidates ordered by their feedback score (highest first, then by id): the ranking
    without exploration.

    >>> index = AttachIndex([("tea", "cup", 200, 2), ("tea", "jam", 200, 60)])
    >>> ranked = rerank({"cup": 0.5, "jam": 0.3, "pot": 0.2}, ["tea"], index, FeedbackConfig(calibration=0.2))
    >>> [(item, round(score, 4)) for item, score in ranked]  # jam: (20 * 0.06 + 60) / 220 / 0.2
    [('jam', 1.3909), ('pot', 0.2), ('cup', 0.0909)]
    """
    moved = {item: feedback_score(score, *index.counts(cart, item), config) for item, score in scores.items()}
    return sorted(moved.items(), key=lambda pair: (-pair[1], pair[0]))


class FeedbackRanking:
    """The hook of a model with attach counts (``ModelData.feedback``) in the ranking: the rules'
    or learned weights' candidates of a cart, their likelihood replaced by :func:`feedback_score`
    (the posterior mean of the attach rate, on the likelihood's scale), scored again for the
    objective by ``value`` and sorted again as the candidate stage sorts them.

    ``ids`` are the model's item ids (``pairs`` index them); ``value(objective, item,
    likelihood)`` is the scoring stage's worth of a candidate (:func:`.scores.value`).
    """

    def __init__(
        self,
        pairs: Iterable[tuple[int, int, int, int]],
        ids: Sequence[str],
        config: FeedbackConfig,
        *,
        rng: random.Random | None = None,
    ) -> None:
        self.index = AttachIndex((ids[a], ids[b], shown, added) for a, b, shown, added in pairs)
        self.ids = ids
        self.config = config
        self.rng = rng or random.Random()
        self.explored = 0  # answers ranked by Thompson sampling

    def exploring(self, share: float, rng: random.Random | None = None) -> FeedbackRanking:
        """The same counts and prior, with ``share`` of the answers ranked by Thompson sampling
        (draws from ``rng``: seeded in tests and simulations, from the system's entropy if None)."""
        explorer = FeedbackRanking((), self.ids, dataclasses.replace(self.config, explore_share=share), rng=rng)
        explorer.index = self.index
        return explorer

    def adjust(self, candidates: list[Any], cart: Sequence[int], value: Callable[[int, float], float]) -> None:
        """Move each candidate's likelihood and score by its counts for ``cart`` (item indices),
        in place, and sort the list again (best first, then by strength, baskets and id).

        In an exploring answer (``config.explore_share`` of them), each candidate's likelihood
        is a draw from its posterior instead (seen or not), its score the draw's worth."""
        ids, config = self.ids, self.config
        names = [ids[item] for item in cart]
        explore = config.explore_share > 0.0 and self.rng.random() < config.explore_share
        if explore:
            self.explored += 1
        for candidate in candidates:
            shown, added = self.index.counts(names, ids[candidate.item])
            if explore:
                candidate.likelihood = thompson_score(candidate.likelihood, shown, added, config, self.rng)
                candidate.score = value(candidate.item, candidate.likelihood)
            elif shown:
                candidate.likelihood = feedback_score(candidate.likelihood, shown, added, config)
                candidate.score = value(candidate.item, candidate.likelihood)
        candidates.sort(key=lambda c: (-c.score, -c.strength, -c.count, ids[c.item]))
