"""Product-page bundles: the two or three items bought together with one product."""

from __future__ import annotations

from collections import defaultdict

from ..model_data import ModelData
from .items import ItemTable
from .results import Bundle

__all__ = ["BundleIndex"]


class BundleIndex:
    """Frequent itemsets of two and three items, by the products they contain."""

    def __init__(self, data: ModelData) -> None:
        self.containing: dict[int, list[tuple[tuple[int, ...], int]]] = defaultdict(list)
        for members, count in data.itemsets:
            for item in members:
                self.containing[item].append((members, count))
        self.n_baskets = data.n_baskets

    def best(
        self, item: int, table: ItemTable, *, discount: float, triple_share: float, model: dict[str, str]
    ) -> Bundle:
        """The bundle of ``item``: the pair its buyers most often take, extended by a third item
        when that trio is bought at least ``triple_share`` as often; only sellable items."""
        item_id = table.ids[item]
        options = [
            (members, count)
            for members, count in self.containing.get(item, ())
            if all(table.sellable[m] for m in members if m != item)
        ]
        if not options or not table.sellable[item]:
            reason = "not for sale" if not table.sellable[item] else "no items are often bought with it"
            return Bundle(item_id=item_id, reason=reason, model=model)

        def key(option: tuple[tuple[int, ...], int]) -> tuple[int, tuple[str, ...]]:
            members, count = option
            return (-count, tuple(table.ids[m] for m in members))

        pairs = sorted(((m, c) for m, c in options if len(m) == 2), key=key)
        trios = sorted(((m, c) for m, c in options if len(m) == 3), key=key)
        members: tuple[int, ...]
        members, count = pairs[0]
        if trios:
            trio, trio_count = trios[0]
            if trio_count >= triple_share * count:
                members, count = trio, trio_count
        ordered = (item, *sorted((m for m in members if m != item), key=lambda m: (-table.counts[m], table.ids[m])))
        prices = [table.prices[m] for m in ordered]
        total = round(sum(p for p in prices if p is not None), 2) if all(p is not None for p in prices) else None
        confidence = count / table.counts[item]
        expected = 1.0
        for m in ordered:
            expected *= table.support[m]
        lift = (count / self.n_baskets) / expected if expected else 0.0
        names = tuple(table.label(m) for m in ordered)
        return Bundle(
            item_id=item_id,
            items=tuple(table.ids[m] for m in ordered),
            names=names,
            baskets=count,
            support=count / self.n_baskets,
            confidence=confidence,
            lift=lift,
            total_price=total,
            bundle_price=None if total is None else round(total * (1 - discount), 2),
            discount=discount,
            reason=(
                f"{confidence:.0%} of the baskets with {names[0]} also had "
                + " and ".join(names[1:])
                + f", {lift:.1f}x as often as chance"
            ),
            model=model,
        )
