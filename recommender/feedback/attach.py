"""Attach counts per (cart item, suggested item): what ``mine --feedback`` learns from.

A suggestion shown to a cart is shown to each item of that cart: the answer's cart comes from
the served-answers log, the items shown and their adds from the events, counted as the report
counts them (``report.py``): an impression is a (recommendation_id, item) pair, an attach an add
to cart naming that recommendation_id and item, each counted once however often it was sent.
Impressions whose answer was not logged (the log is best effort) or was logged without its cart
(rows of older versions) have no cart to pair with and are counted apart, as ``unpaired``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from .store import EventStore, events_and_served

__all__ = ["AttachCounts", "attach_counts"]


@dataclass(frozen=True, kw_only=True)
class AttachCounts:
    """``pairs``: ``(cart item, suggested item, impressions, attaches)``, sorted by the two ids;
    ``unpaired``: impressions without a logged cart."""

    pairs: tuple[tuple[str, str, int, int], ...]
    unpaired: int

    def __post_init__(self) -> None:
        for cart_item, item, shown, added in self.pairs:
            if not 0 <= added <= shown:
                raise ValueError(
                    f"the attach count of ({cart_item!r}, {item!r}) must be between 0 and its {shown} "
                    f"impressions, got {added}."
                )


def attach_counts(
    store: EventStore | str, *, since: datetime | None = None, until: datetime | None = None
) -> AttachCounts:
    """Impressions and attaches per (cart item, suggested item) of the events with
    ``since <= at < until`` in ``store`` (an :class:`EventStore` or its URL).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from datetime import datetime, UTC
    >>> from recommender.feedback import Event, Served
    >>> store = EventStore(f"sqlite:///{pathlib.Path(tempfile.mkdtemp())}/events.db")
    >>> now = datetime.now(UTC)
    >>> _ = store.append_served([Served(recommendation_id="r", at=now, session_id="s", arm="treatment",
    ...                                 model_id="m", items=(("cup", "cross_sell"), ("jam", "cross_sell")),
    ...                                 cart=("tea", "milk"))])
    >>> _ = store.append([
    ...     Event(type="impression", session_id="s", recommendation_id="r", items=("cup", "jam"), at=now),
    ...     Event(type="add_to_cart", session_id="s", recommendation_id="r", item_id="cup", at=now),
    ... ])
    >>> attach_counts(store).pairs
    (('milk', 'cup', 1, 1), ('milk', 'jam', 1, 0), ('tea', 'cup', 1, 1), ('tea', 'jam', 1, 0))
    """
    events, served = events_and_served(store, since=since, until=until)
    carts = {row["recommendation_id"]: row["cart"] for row in served if row.get("cart")}
    shown: set[tuple[str, str]] = set()
    for event in events:
        if event["type"] == "impression":
            shown.update((event["recommendation_id"], item) for item in event["items"] or ())
    attached = {
        (event["recommendation_id"], event["item_id"])
        for event in events
        if event["type"] == "add_to_cart" and (event["recommendation_id"], event["item_id"]) in shown
    }
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    unpaired = 0
    for recommendation_id, item in shown:
        cart = carts.get(recommendation_id)
        if not cart:
            unpaired += 1
            continue
        added = int((recommendation_id, item) in attached)
        for cart_item in dict.fromkeys(cart):  # a cart item sent twice is one cart item
            if cart_item != item:
                pair = counts[(cart_item, item)]
                pair[0] += 1
                pair[1] += added
    return AttachCounts(
        pairs=tuple((a, b, n, k) for (a, b), (n, k) in sorted(counts.items())),
        unpaired=unpaired,
    )
