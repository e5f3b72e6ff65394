"""The orders and catalog a notebook starts from."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from ..io import OrdersInput

__all__ = ["load_shop"]


def load_shop(
    orders: OrdersInput | None = None, catalog: str | pd.DataFrame | None = None, *, seed: int = 7
) -> tuple[OrdersInput, str | pd.DataFrame | None]:
    """The orders and catalog a notebook works on: the built-in sample shop unless given.

    Parameters
    ----------
    orders : path, DataFrame or list of baskets, optional
        Anything :func:`recommender.mine` reads; ``None`` generates the sample shop.
    catalog : path or DataFrame, optional
        The catalog; with ``orders=None`` the sample shop's catalog is used.
    seed : int
        Seed of the sample shop.

    Examples
    --------
    >>> orders, catalog = load_shop()
    >>> len(catalog), orders.columns[0]
    (88, 'order_id')
    """
    if orders is not None:
        return orders, catalog
    from ..sample_shop import generate_sample_shop

    shop = generate_sample_shop(seed=seed)
    return shop.orders, shop.catalog if catalog is None else catalog
