"""A known customer's answer: the items they buy again and again, first.

A request may name its customer (``customer_id``, found in the model's summary, see
:mod:`recommender.mining.customers`) or carry the customer's past purchases (``history``). The
items that customer bought in two orders or more (from the summary; from a history, those it
lists twice or more) take the first ``again_slots`` places of the answer, when the model was mined
with them (``mine --buy-again N``), and the cart's own answer fills the rest. Measured on the
Complete Journey, a grocer's baskets, this finds more of what the customer's next basket holds;
on Online Retail, a wholesaler of gifts, it finds less, and the past purchases as a weaker cart
beside the cart find less on both (``benchmarks/README.md``), so nothing else of the history is
used. A known customer's price levels widen their upgrade band (see
:func:`recommender.ranking.upgrades.customer_band`). A model that keeps hashed ids is searched
with the key in ``RECOMMENDER_CUSTOMER_KEY``.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from ..model_data import CUSTOMER_KEY_ENV, ModelData, hash_customer
from .items import ItemTable
from .results import Recommendations, Suggestion

__all__ = ["CustomerBook", "AGAIN_TEXT"]

logger = logging.getLogger(__name__)

AGAIN_TEXT = "bought again and again in earlier orders"


class CustomerBook:
    """The model's customers, found by the id a request carries, and the items each buys again.

    Examples
    --------
    >>> from recommender.model_data import Customers, RuleCounts
    >>> customers = Customers(ids=("ann",), segments=("loyal",), vital=(True,), repeats=((1, 0),), again_slots=1)
    >>> data = ModelData(model_id="m", created_at="2026-01-01T00:00:00Z", n_baskets=3, items=("mug", "tea"),
    ...                  item_counts=(2, 3), rules=RuleCounts(), itemsets=(), customers=customers)
    >>> book = CustomerBook(data, ItemTable(data))
    >>> book.again("ann", ()), book.again("bob", ()), book.again(None, ["mug", "tea", "mug"])
    ([1, 0], [], [0])
    """

    def __init__(self, data: ModelData, table: ItemTable, *, environ: Mapping[str, str] | None = None) -> None:
        customers = data.customers
        self.table = table
        self.slots = 0 if customers is None else customers.again_slots
        self._repeats: dict[str, tuple[int, ...]] = {}
        self._levels: dict[str, dict[str, float]] = {}
        self._key: bytes | None = None
        if customers is None:
            return
        self._repeats = dict(zip(customers.ids, customers.repeats))
        names = customers.categories
        self._levels = {
            customer: {names[k]: level for k, level in levels}
            for customer, levels in zip(customers.ids, customers.price_levels)
            if levels
        }
        if customers.hashed:
            key = (os.environ if environ is None else environ).get(CUSTOMER_KEY_ENV, "")
            self._key = key.encode("utf-8") if key else None
            if self._key is None:
                logger.warning(
                    "the model keeps hashed customer ids and %s is not set: no customer will be recognised",
                    CUSTOMER_KEY_ENV,
                )

    def known(self, customer_id: str | None) -> bool:
        """Whether the model holds a summary of ``customer_id``."""
        return customer_id is not None and self._find(customer_id) is not None

    def _find(self, customer_id: str) -> tuple[int, ...] | None:
        return self._repeats.get(self._stored(customer_id))

    def _stored(self, customer_id: str) -> str:
        """The id as the model keeps it: a keyed hash when the model holds hashes."""
        return hash_customer(customer_id, self._key) if self._key is not None else customer_id

    def price_levels(self, customer_id: str | None) -> dict[str, float]:
        """The price level of a known customer in each category the summary keeps (the mean
        price paid over the category's median price), empty for anyone else."""
        if customer_id is None:
            return {}
        return self._levels.get(self._stored(customer_id), {})

    def again(self, customer_id: str | None, history: Iterable[str]) -> list[int]:
        """The items the customer buys again, the most often bought first: the summary's for a
        known ``customer_id``, otherwise those ``history`` lists twice or more (unknown ids left
        out; ties in the order of the history)."""
        if customer_id is not None:
            found = self._find(customer_id)
            if found is not None:
                return list(found)
        index = self.table.index
        counts = Counter(k for k in (index.get(str(item).strip()) for item in history) if k is not None)
        return [item for item, n in counts.most_common() if n >= 2]

    def place(
        self, answer: Recommendations, again: Sequence[int], *, cart: Iterable[str], exclude: Iterable[str], limit: int
    ) -> Recommendations:
        """``answer`` with up to :attr:`slots` of ``again`` first (those for sale, neither in the
        cart nor excluded, nor among the answer's first ``limit - slots``), then the answer's own
        items, ``limit`` in all."""
        table = self.table
        taken = {str(item).strip() for item in (*cart, *exclude)} | {
            s.item_id for s in answer.items[: max(limit - self.slots, 0)]
        }
        first: list[Suggestion] = []
        top = max((s.score for s in answer.items), default=0.0)
        for item in again:
            if len(first) == min(self.slots, limit):
                break
            item_id = table.ids[item]
            if item_id in taken or not table.sellable[item]:
                continue
            first.append(
                Suggestion(
                    item_id,
                    "cross_sell",
                    top,
                    {"again": True, "text": AGAIN_TEXT},
                    table.names[item],
                    table.prices[item],
                )  # fmt: skip
            )
            taken.add(item_id)
        if not first:
            return answer
        moved = {s.item_id for s in first}
        rest = [s for s in answer.items if s.item_id not in moved]
        items = tuple(first + rest)[:limit]
        return Recommendations(items, answer.unknown_items, answer.fallback, answer.model, answer.trace)
