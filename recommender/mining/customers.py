"""What the model keeps about each customer, when orders carry a customer id.

A small summary per customer, for the offer to fit the customer: a value segment from
recency, frequency and monetary value (each scored in thirds of the customers), whether the
customer is among those behind 80% of the revenue (the "vital few"), the price level at which
the customer buys in each category (the mean of the prices paid over the category's median
price), and the items the customer bought again and again (in two orders or more). Money is
the catalog price of each item of a basket, summed (the baskets hold distinct items, not
quantities); without prices, each item counts 1.

With a key, customer ids are kept as keyed hashes only (HMAC-SHA256): the service, given the
same key, finds a customer by the id a request carries, and the file alone names nobody.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from ..exceptions import ConfigError
from ..io.baskets import Baskets
from ..model_data import CUSTOMER_KEY_ENV, MAX_AGAIN_SLOTS, SEGMENTS, Customers, hash_customer

__all__ = ["summarise_customers", "check_buy_again", "customer_key", "hash_customer", "CUSTOMER_KEY_ENV", "VITAL_SHARE"]

# The customers behind this share of the revenue are named as such ("vital"): the 80/20 of a
# shop's customer value.
VITAL_SHARE = 0.8
# An item bought in this many of a customer's orders is one the customer buys again.
REPEAT_MIN_ORDERS = 2
# Items bought again kept per customer: an answer shows three items, and a summary stays small.
REPEATS_PER_CUSTOMER = 10
# Categories with a price level kept per customer, the most bought first: the upgrade band
# follows them (recommender.ranking.upgrades). On the Complete Journey (a household buys in 93
# categories at the median) 40 find 85% of what all of them find for 38% of the entries; 10
# found half.
CATEGORIES_PER_CUSTOMER = 40
_DAY = np.timedelta64(86_400_000_000_000, "ns")


def customer_key(environ: dict[str, str] | None = None) -> bytes:
    """The key of the customer hashes, from :data:`CUSTOMER_KEY_ENV`.

    Raises
    ------
    ConfigError
        When it is not set, or shorter than 16 characters.
    """
    value = (os.environ if environ is None else environ).get(CUSTOMER_KEY_ENV, "")
    if len(value) < 16:
        raise ConfigError(
            f"--hash-customers needs a secret key of at least 16 characters in {CUSTOMER_KEY_ENV} (it has "
            f"{len(value)}); set it, e.g. to the output of `openssl rand -hex 32`, for mining and for serving."
        )
    return value.encode("utf-8")


def check_buy_again(value: object) -> int:
    """The places of an answer for items bought again, checked.

    Raises
    ------
    ConfigError
        When it is not a whole number from 0 to :data:`~recommender.model_data.MAX_AGAIN_SLOTS`.
    """
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_AGAIN_SLOTS:
        raise ConfigError(
            f"buy_again must be a whole number of places from 0 to {MAX_AGAIN_SLOTS}, got {value!r}; e.g. "
            "--buy-again 2 gives a known customer's items bought again the first two places."
        )
    return value


def summarise_customers(
    baskets: Baskets, catalog: pd.DataFrame | None, *, key: bytes | None = None, again_slots: int = 0
) -> Customers | None:
    """The summary of every customer of ``baskets`` (None without customers); ``again_slots``
    of an answer's places go to the items a known customer buys again (see
    :mod:`recommender.ranking.customers`).

    Examples
    --------
    >>> orders = pd.DataFrame({
    ...     "order": ["1", "1", "2", "3", "4"], "item": ["tea", "kettle", "tea", "mug", "tea"],
    ...     "customer": ["ann", "ann", "ann", "bob", "cy"], "price": [4.0, 30.0, 4.0, 8.0, 4.0],
    ...     "date": ["2026-01-01", "2026-01-01", "2026-02-01", "2026-01-15", "2026-02-01"]})
    >>> from recommender.io import read_baskets
    >>> baskets = read_baskets(orders)
    >>> summary = summarise_customers(baskets, baskets.catalog)

    Ann spent 38 of 50, Bob 8: together they pass 80% of the revenue. Ann bought tea twice.

    >>> summary.ids, summary.vital, [[baskets.items[i] for i in r] for r in summary.repeats]
    (('ann', 'bob', 'cy'), (True, True, False), [['tea'], [], []])
    >>> summary.segments
    ('loyal', 'lapsed', 'occasional')
    """
    again_slots = check_buy_again(again_slots)
    if baskets.customers is None:
        return None
    who = pd.Series(baskets.customers, dtype=object)
    known = who.notna().to_numpy()
    if not known.any():
        return None
    codes, ids = pd.factorize(who[known].astype(str), sort=True)
    rows = np.flatnonzero(known)
    sizes = np.diff(baskets.indptr)
    prices = _prices(baskets, catalog)
    line_basket = np.repeat(np.arange(len(baskets)), sizes)
    value = np.bincount(line_basket, weights=prices[baskets.indices], minlength=len(baskets))
    n = len(ids)
    frequency = np.bincount(codes, minlength=n).astype(float)
    monetary = np.bincount(codes, weights=value[rows], minlength=n)
    if baskets.timestamps is not None and not np.isnat(np.asarray(baskets.timestamps)[rows]).any():
        times = np.asarray(baskets.timestamps, dtype="datetime64[ns]")[rows]
        last = pd.Series(times).groupby(codes).max().to_numpy()
        recency = (times.max() - last) / _DAY  # days since the last order: smaller is better
        r_score = _thirds(-recency)
    else:
        r_score = np.full(n, 2)
    segments = _segments(r_score, _thirds(frequency), frequency)
    vital = _vital(monetary)
    repeats = _repeats(baskets, rows, codes, n)
    categories, levels = _price_levels(baskets, catalog, rows, codes, n, prices)
    return Customers(
        ids=tuple(hash_customer(str(c), key) for c in ids) if key is not None else tuple(str(c) for c in ids),
        hashed=key is not None,
        segments=tuple(SEGMENTS[s] for s in segments),
        vital=tuple(bool(v) for v in vital),
        repeats=repeats,
        categories=categories,
        price_levels=levels,
        again_slots=again_slots,
    )


def _prices(baskets: Baskets, catalog: pd.DataFrame | None) -> np.ndarray:
    """Each item's catalog price (0 where unknown); 1 for every item when no item has one."""
    if catalog is None or "price" not in catalog:
        return np.ones(baskets.n_items)
    price = catalog["price"].reindex(list(baskets.items)).to_numpy(dtype=float)
    if np.isnan(price).all():
        return np.ones(baskets.n_items)
    return np.nan_to_num(price, nan=0.0)


def _thirds(values: np.ndarray) -> np.ndarray:
    """1, 2 or 3: the third of the customers ``values`` puts each in (3 the highest); ties share
    the lower third."""
    ranks = pd.Series(values).rank(method="min", pct=True).to_numpy()
    scores: np.ndarray = 1 + (ranks > 1 / 3).astype(int) + (ranks > 2 / 3).astype(int)
    return scores


def _segments(r: np.ndarray, f: np.ndarray, orders: np.ndarray) -> np.ndarray:
    """An index into :data:`~recommender.model_data.SEGMENTS` per customer, from recency and
    frequency: champion (recent, frequent), loyal (frequent, not lapsed), new (one order, recent),
    at risk (frequent once, not lately), lapsed (not lately), occasional (the rest)."""
    names = {name: k for k, name in enumerate(SEGMENTS)}
    found = np.full(len(r), names["occasional"])
    found[r == 1] = names["lapsed"]
    found[(r == 1) & (f >= 2) & (orders > 1)] = names["at_risk"]
    found[(r == 3) & (orders == 1)] = names["new"]
    found[(r >= 2) & (f >= 2) & (orders > 1)] = names["loyal"]
    found[(r == 3) & (f == 3) & (orders > 1)] = names["champion"]
    return found


def _vital(monetary: np.ndarray) -> np.ndarray:
    """Whether each customer is among the fewest customers whose revenue reaches
    :data:`VITAL_SHARE` of all (the largest first, ties by position)."""
    total = monetary.sum()
    vital = np.zeros(len(monetary), dtype=bool)
    if total <= 0:
        return vital
    order = np.lexsort((np.arange(len(monetary)), -monetary))
    reached = np.cumsum(monetary[order]) / total
    # Every customer up to and including the one who takes the share over the mark.
    count = int(np.searchsorted(reached, VITAL_SHARE - 1e-12) + 1)
    vital[order[:count]] = True
    return vital


def _repeats(baskets: Baskets, rows: np.ndarray, codes: np.ndarray, n: int) -> tuple[tuple[int, ...], ...]:
    """Per customer, the items in :data:`REPEAT_MIN_ORDERS` of their orders or more, the most
    often bought first (then by index), at most :data:`REPEATS_PER_CUSTOMER`."""
    sizes = np.diff(baskets.indptr)[rows]
    starts = baskets.indptr[rows]
    positions = np.repeat(starts - np.concatenate(([0], np.cumsum(sizes)[:-1])), sizes) + np.arange(sizes.sum())
    pairs = pd.DataFrame({"customer": np.repeat(codes, sizes), "item": baskets.indices[positions]})
    counts = pairs.value_counts().rename("orders").reset_index()
    counts = counts[counts["orders"] >= REPEAT_MIN_ORDERS].sort_values(
        ["customer", "orders", "item"], ascending=[True, False, True]
    )
    found: list[tuple[int, ...]] = [()] * n
    for customer, group in counts.groupby("customer", sort=False):
        found[int(customer)] = tuple(int(i) for i in group["item"].to_numpy()[:REPEATS_PER_CUSTOMER])
    return tuple(found)


def _price_levels(
    baskets: Baskets, catalog: pd.DataFrame | None, rows: np.ndarray, codes: np.ndarray, n: int, prices: np.ndarray
) -> tuple[tuple[str, ...], tuple[tuple[tuple[int, float], ...], ...]]:
    """The categories, and per customer ``(category, level)``: the mean, over the items bought in
    the category, of their price over the category's median item price (1: the usual price; 2:
    twice it), for the customer's most bought categories. Empty without categories and prices."""
    if catalog is None or "category" not in catalog or "price" not in catalog:
        return (), ((),) * n
    category = catalog["category"].reindex(list(baskets.items))
    priced = category.notna().to_numpy() & (prices > 0)
    if not priced.any():
        return (), ((),) * n
    codes_of, names = pd.factorize(category.where(priced), sort=True)
    median = pd.Series(prices[priced]).groupby(codes_of[priced]).median().to_numpy()
    sizes = np.diff(baskets.indptr)[rows]
    starts = baskets.indptr[rows]
    positions = np.repeat(starts - np.concatenate(([0], np.cumsum(sizes)[:-1])), sizes) + np.arange(sizes.sum())
    items = baskets.indices[positions]
    keep = priced[items]
    items = items[keep]
    lines = pd.DataFrame({
        "customer": np.repeat(codes, sizes)[keep],
        "category": codes_of[items],
        "level": prices[items] / median[codes_of[items]],
    })  # fmt: skip
    grouped = lines.groupby(["customer", "category"])["level"].agg(["mean", "size"]).reset_index()
    grouped = grouped.sort_values(["customer", "size", "category"], ascending=[True, False, True])
    found: list[tuple[tuple[int, float], ...]] = [()] * n
    for customer, group in grouped.groupby("customer", sort=False):
        top = group.head(CATEGORIES_PER_CUSTOMER).sort_values("category")
        found[int(customer)] = tuple((int(c), round(float(level), 3)) for c, level in zip(top["category"], top["mean"]))
    return tuple(str(name) for name in names), tuple(found)
