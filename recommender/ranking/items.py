"""What the ranking layer knows of every item, in flat lists indexed like the model's items."""

from __future__ import annotations

from ..model_data import ModelData

__all__ = ["ItemTable"]


class ItemTable:
    """Ids, names, prices, margins, categories, families, popularity and sellability.

    Items of the catalog that never sold are appended after the model's items, so they can be
    shown (as upgrades) and recognised in a cart.
    """

    def __init__(self, data: ModelData, *, blocked: frozenset[str] = frozenset()) -> None:
        self.blocked = blocked
        extra = sorted(set(data.catalog) - set(data.items))
        self.ids: list[str] = [*data.items, *extra]
        self.index: dict[str, int] = {item: k for k, item in enumerate(self.ids)}
        self.counts: list[int] = [*data.item_counts, *([0] * len(extra))]
        n = max(data.n_baskets, 1)
        self.support: list[float] = [count / n for count in self.counts]
        self.names: list[str | None] = []
        self.prices: list[float | None] = []
        self.margins: list[float | None] = []
        self.categories: list[str | None] = []
        self.families: list[str | None] = []
        self.sellable: list[bool] = []
        self.active: list[bool] = []
        for item in self.ids:
            entry = data.catalog.get(item)
            self.names.append(entry.name if entry else None)
            self.prices.append(entry.price if entry else None)
            self.margins.append(entry.margin if entry else None)
            self.categories.append(entry.category if entry else None)
            self.families.append(entry.family if entry else None)
            self.active.append(entry is None or entry.active)
            self.sellable.append(item not in blocked and (entry is None or (entry.active and entry.in_stock)))

    def __len__(self) -> int:
        return len(self.ids)

    def label(self, item: int) -> str:
        """The name of an item for a person, its id when it has none."""
        return self.names[item] or self.ids[item]
