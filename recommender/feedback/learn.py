"""What ``recommender mine --feedback EVENTS`` puts in the model: the attach counts of the events
store, by item index, and the calibration of the ranking's beta prior
(:mod:`recommender.ranking.feedback`).

The calibration puts a rule's score on the attach-rate scale: the shop's attach rate over the
mean confidence of what it showed, both over the impressions of pairs that a rule of the model
joins (``cart item -> suggested item``). The attach rate is taken as ``(attaches + 1) /
(impressions + 2)`` (Laplace's rule), so that a shop with no attach yet still has a positive one.
Without such a pair the calibration is 1 (the scales taken as equal).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from ..exceptions import ConfigError, StoreUnavailableError
from ..model_data import Feedback, RuleCounts
from .attach import AttachCounts, attach_counts
from .store import EventStore

__all__ = ["read_feedback", "feedback_of", "public_url", "check_strength"]

# Impressions the rule's evidence is worth in the ranking's prior (FeedbackConfig's default).
DEFAULT_STRENGTH = 20.0


def check_strength(value: float | None) -> float:
    """The prior's weight in impressions (``None``: the default), refused unless a finite positive number.

    >>> check_strength(None), check_strength(50)
    (20.0, 50.0)
    """
    if value is None:
        return DEFAULT_STRENGTH
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise ConfigError(
            f"the feedback strength must be a positive number of impressions (default {DEFAULT_STRENGTH:g}), "
            f"got {value!r}; give --feedback-strength 50, say."
        )
    return float(value)


def public_url(url: str) -> str:
    """``url`` without its password, as the model's provenance records it.

    >>> public_url("postgresql://shop:secret@db.example/events")
    'postgresql://shop@db.example/events'
    """
    return str(make_url(url)._replace(password=None).render_as_string(hide_password=False))


def read_feedback(url: str, *, since: datetime | None = None, until: datetime | None = None) -> AttachCounts:
    """The attach counts of the events store at ``url``, refusing one that cannot be read
    (a SQLite file that does not exist is not made empty)."""
    store = EventStore(url)  # a URL that names no store is a ConfigError here
    fix = "check the URL given to --feedback (feedback=), or mine without it"
    try:
        if store.url.get_backend_name() == "sqlite" and not Path(str(store.url.database)).is_file():
            raise StoreUnavailableError(
                f"the events store {store.where} cannot be read: the file does not exist; {fix}."
            )
        try:
            return attach_counts(store, since=since, until=until)
        except StoreUnavailableError as error:
            raise StoreUnavailableError(f"{str(error).rstrip('.')}; {fix}.") from None
    finally:
        store.close()


def feedback_of(
    counts: AttachCounts,
    items: Sequence[str],
    rules: RuleCounts,
    *,
    source: str,
    strength: float = DEFAULT_STRENGTH,
) -> tuple[Feedback, dict[str, Any]]:
    """The model's feedback section for a model of ``items`` and ``rules``, and its provenance:
    the events' ``source`` (without password), the pairs, impressions and attaches kept, those
    of items the model does not know (left out), the impressions without a cart, the calibration.

    >>> rules = RuleCounts(antecedents=((0,),), consequents=(1,), counts=(5,), antecedent_counts=(10,))
    >>> counts = AttachCounts(pairs=(("tea", "cup", 48, 11), ("tea", "gone", 3, 1)), unpaired=2)
    >>> section, notes = feedback_of(counts, ("tea", "cup"), rules, source="sqlite:///events.db")
    >>> section.pairs, round(section.calibration, 4)  # (11 + 1) / (48 + 2) over a confidence of 0.5
    (((0, 1, 48, 11),), 0.48)
    >>> notes["left_out"], notes["unpaired_impressions"]
    ({'pairs': 1, 'impressions': 3}, 2)
    """
    index = {item: k for k, item in enumerate(items)}
    confidence = {
        (antecedent[0], consequent): count / antecedent_count
        for antecedent, consequent, count, antecedent_count in zip(
            rules.antecedents, rules.consequents, rules.counts, rules.antecedent_counts
        )
        if len(antecedent) == 1
    }
    pairs: list[tuple[int, int, int, int]] = []
    left_out = [0, 0]
    shown = added = 0
    ruled = [0, 0, 0.0]  # impressions, attaches and impressions times confidence of ruled pairs
    for cart_item, item, n, k in counts.pairs:
        a, b = index.get(cart_item), index.get(item)
        if a is None or b is None:
            left_out[0] += 1
            left_out[1] += n
            continue
        pairs.append((a, b, n, k))
        shown += n
        added += k
        if (a, b) in confidence:
            ruled[0] += n
            ruled[1] += k
            ruled[2] += n * confidence[(a, b)]
    calibration = 1.0
    if ruled[2] > 0:
        calibration = ((ruled[1] + 1) / (ruled[0] + 2)) / (ruled[2] / ruled[0])
    section = Feedback(pairs=tuple(sorted(pairs)), calibration=calibration, strength=float(strength))
    notes = {
        "source": source,
        "pairs": len(pairs),
        "impressions": shown,
        "attaches": added,
        "left_out": {"pairs": left_out[0], "impressions": left_out[1]},
        "unpaired_impressions": counts.unpaired,
        "calibration": calibration,
        "strength": float(strength),
    }
    return section, notes
