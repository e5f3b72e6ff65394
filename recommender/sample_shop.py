"""The built-in sample shop: a seeded, believable small online shop for demos, notebooks and tests.

A home-and-kitchen and electronics shop of 88 products in twelve categories, with product
families in price tiers (a basic, a glass and a smart kettle), brands, margins, stock and
discontinued flags, and a year of orders by returning customers. Planted in the orders, so that
mining has something true to find: complements bought together (coffee beans with paper
filters, a phone with a case and a screen protector), customers trading up within a family
later in the year, a few returns, and products discontinued part-way through. Nothing is
downloaded; the same seed gives the same shop in every run and process.

>>> shop = generate_sample_shop(seed=7, n_customers=100)
>>> tuple(shop.orders.columns) == ORDER_COLUMNS
True
>>> bool(shop.orders["order_id"].str.startswith("C").any())  # a few returns, Online Retail style
True
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["CATALOG_COLUMNS", "ORDER_COLUMNS", "SampleShop", "generate_sample_shop", "write_sample_shop"]

CATALOG_COLUMNS = ("item_id", "name", "category", "family", "tier", "brand", "price", "margin", "in_stock", "active")
ORDER_COLUMNS = ("order_id", "item_id", "description", "quantity", "unit_price", "customer_id", "timestamp")

# item_id, name, category, family (None: a product of its own), tier, brand, price.
# "Larder" is the cheaper house brand.
_PRODUCTS: tuple[tuple[str, str, str, str | None, int, str, float], ...] = (
    ("COF-BEANS-HOUSE", "House Blend Coffee Beans 500g", "coffee", "coffee-beans", 1, "Larder", 9.99),
    ("COF-BEANS-SINGLE", "Single-Origin Coffee Beans 500g", "coffee", "coffee-beans", 2, "Roastery & Co", 16.99),
    ("COF-BEANS-RESERVE", "Reserve Geisha Coffee Beans 250g", "coffee", "coffee-beans", 3, "Roastery & Co", 29.99),
    ("COF-FILTERS", "Paper Coffee Filters (100)", "coffee", None, 1, "Larder", 3.49),
    ("COF-DRIPPER", "Pour-Over Dripper", "coffee", None, 1, "Brewline", 14.99),
    ("COF-FRENCH-PRESS", "French Press 1L", "coffee", None, 1, "Brewline", 22.99),
    ("COF-MILK-JUG", "Milk Frothing Jug", "coffee", None, 1, "Brewline", 12.99),
    ("COF-DESCALER", "Descaler for Coffee Machines", "coffee", None, 1, "Larder", 7.99),
    ("COF-GRINDER-BLADE", "Blade Coffee Grinder", "kitchen appliances", "coffee-grinder", 1, "Larder", 24.99),
    ("COF-GRINDER-BURR", "Burr Coffee Grinder", "kitchen appliances", "coffee-grinder", 2, "Brewline", 79.99),
    ("COF-GRINDER-PRO", "Precision Burr Grinder", "kitchen appliances", "coffee-grinder", 3, "Brewline", 189.00),
    ("COF-ESPRESSO-BASIC", "Espresso Machine Basic", "kitchen appliances", "espresso-machine", 1, "Larder", 149.00),
    ("COF-ESPRESSO-PLUS", "Espresso Machine Plus", "kitchen appliances", "espresso-machine", 2, "Brewline", 299.00),
    ("COF-ESPRESSO-PRO", "Espresso Machine Pro", "kitchen appliances", "espresso-machine", 3, "Brewline", 599.00),
    ("TEA-BREAKFAST", "English Breakfast Tea (80 bags)", "tea", "tea", 1, "Larder", 3.99),
    ("TEA-GREEN", "Loose Green Tea 100g", "tea", "tea", 2, "Leafhouse", 7.99),
    ("TEA-OOLONG", "Loose Oolong Tea 100g", "tea", "tea", 3, "Leafhouse", 14.99),
    ("TEA-INFUSER", "Tea Infuser", "tea", None, 1, "Leafhouse", 5.99),
    ("TEA-POT", "Ceramic Teapot", "tea", None, 1, "Leafhouse", 24.99),
    ("KET-BASIC", "Basic Kettle", "kitchen appliances", "kettle", 1, "Larder", 19.99),
    ("KET-GLASS", "Glass Kettle", "kitchen appliances", "kettle", 2, "Brewline", 34.99),
    ("KET-SMART", "Smart Temperature Kettle", "kitchen appliances", "kettle", 3, "Brewline", 69.99),
    ("TOAST-2", "2-Slice Toaster", "kitchen appliances", "toaster", 1, "Larder", 24.99),
    ("TOAST-4", "4-Slice Toaster", "kitchen appliances", "toaster", 2, "Brewline", 44.99),
    ("TOAST-RETRO", "Retro 4-Slice Toaster", "kitchen appliances", "toaster", 3, "Brewline", 79.99),
    ("BLEND-BASIC", "Personal Blender", "kitchen appliances", "blender", 1, "Larder", 29.99),
    ("BLEND-PRO", "High-Speed Blender", "kitchen appliances", "blender", 2, "Brewline", 119.00),
    ("BLEND-BOTTLE", "Blender To-Go Bottle", "kitchen appliances", None, 1, "Larder", 9.99),
    ("PAN-20", "Non-Stick Frying Pan 20cm", "cookware", "frying-pan", 1, "Larder", 17.99),
    ("PAN-28-PRO", "Non-Stick Frying Pan 28cm Pro", "cookware", "frying-pan", 2, "Ironside", 34.99),
    ("PAN-CASTIRON", "Cast-Iron Skillet", "cookware", "frying-pan", 3, "Ironside", 59.99),
    ("SPATULA", "Silicone Spatula", "cookware", None, 1, "Larder", 6.99),
    ("KNIFE-CHEF", "Chef's Knife", "cookware", "chef-knife", 1, "Larder", 19.99),
    ("KNIFE-CHEF-PRO", "Forged Chef's Knife", "cookware", "chef-knife", 2, "Ironside", 69.99),
    ("KNIFE-GYUTO", "Japanese Gyuto Knife", "cookware", "chef-knife", 3, "Ironside", 139.00),
    ("BOARD-BAMBOO", "Bamboo Cutting Board", "cookware", None, 1, "Larder", 14.99),
    ("KNIFE-SHARPENER", "Knife Sharpener", "cookware", None, 1, "Ironside", 12.99),
    ("POT-STOCK", "Stock Pot 6L", "cookware", None, 1, "Ironside", 39.99),
    ("OVEN-GLOVES", "Oven Gloves", "cookware", None, 1, "Larder", 8.99),
    ("BAKE-TRAY", "Baking Tray", "baking", None, 1, "Larder", 9.99),
    ("BAKE-PAPER", "Baking Paper Roll", "baking", None, 1, "Larder", 2.99),
    ("MIX-BOWL", "Mixing Bowl Set", "baking", None, 1, "Larder", 19.99),
    ("WHISK", "Balloon Whisk", "baking", None, 1, "Larder", 5.49),
    ("CAKE-TIN", "Springform Cake Tin", "baking", None, 1, "Ironside", 11.99),
    ("SCALE-BASIC", "Kitchen Scale", "baking", "kitchen-scale", 1, "Larder", 14.99),
    ("SCALE-PRECISION", "Precision Kitchen Scale", "baking", "kitchen-scale", 2, "Brewline", 29.99),
    ("MIXER-HAND", "Hand Mixer", "baking", "mixer", 1, "Larder", 34.99),
    ("MIXER-STAND", "Stand Mixer", "baking", "mixer", 2, "Brewline", 249.00),
    ("MUG-CLASSIC", "Classic Mug", "tableware", "mug", 1, "Larder", 5.99),
    ("MUG-STONEWARE", "Stoneware Mug", "tableware", "mug", 2, "Claywork", 11.99),
    ("MUG-DOUBLEWALL", "Double-Wall Glass Mug", "tableware", "mug", 3, "Claywork", 17.99),
    ("PLATE-SET", "Dinner Plate Set (4)", "tableware", None, 1, "Claywork", 29.99),
    ("GLASS-SET", "Tumbler Glasses (6)", "tableware", None, 1, "Claywork", 19.99),
    ("NAPKINS", "Linen Napkins (4)", "tableware", None, 1, "Claywork", 14.99),
    ("PHONE-LITE", "Phone Lite 64GB", "phones", "phone", 1, "Nova", 249.00),
    ("PHONE-STD", "Phone 128GB", "phones", "phone", 2, "Nova", 499.00),
    ("PHONE-PRO", "Phone Pro 256GB", "phones", "phone", 3, "Nova", 899.00),
    ("PHONE-MAX", "Phone Pro Max 512GB", "phones", "phone", 4, "Nova", 1199.00),
    ("CASE-SILICONE", "Silicone Phone Case", "phone accessories", "phone-case", 1, "Nova", 14.99),
    ("CASE-LEATHER", "Leather Phone Case", "phone accessories", "phone-case", 2, "Nova", 39.99),
    ("SCREEN-PROT", "Tempered-Glass Screen Protector", "phone accessories", None, 1, "Nova", 9.99),
    ("CHARGER-USB", "USB-C Charger 20W", "phone accessories", "charger", 1, "Volta", 19.99),
    ("CHARGER-FAST", "Fast Charger 45W", "phone accessories", "charger", 2, "Volta", 34.99),
    ("CABLE-USBC", "USB-C Cable 1m", "phone accessories", None, 1, "Volta", 7.99),
    ("POWERBANK", "Power Bank 10,000mAh", "phone accessories", None, 1, "Volta", 29.99),
    ("CAR-MOUNT", "Car Phone Mount", "phone accessories", None, 1, "Volta", 17.99),
    ("EARBUDS-WIRED", "Wired Earbuds", "audio", "headphones", 1, "Volta", 12.99),
    ("EARBUDS-WIRELESS", "Wireless Earbuds", "audio", "headphones", 2, "Nova", 79.99),
    ("HEADPHONES-NC", "Noise-Cancelling Headphones", "audio", "headphones", 3, "Nova", 249.00),
    ("HEADPHONE-CASE", "Headphone Travel Case", "audio", None, 1, "Volta", 19.99),
    ("SPEAKER-MINI", "Mini Bluetooth Speaker", "audio", "speaker", 1, "Volta", 29.99),
    ("SPEAKER-HOME", "Home Speaker", "audio", "speaker", 2, "Nova", 129.00),
    ("LAMP-DESK", "Desk Lamp", "home office", "desk-lamp", 1, "Larder", 24.99),
    ("LAMP-LED", "LED Desk Lamp Dimmable", "home office", "desk-lamp", 2, "Volta", 49.99),
    ("NOTEBOOK-A5", "A5 Notebook", "home office", None, 1, "Larder", 6.99),
    ("PEN-SET", "Gel Pen Set", "home office", None, 1, "Larder", 8.99),
    ("MOUSE", "Wireless Mouse", "home office", "mouse", 1, "Volta", 19.99),
    ("MOUSE-ERGO", "Ergonomic Mouse", "home office", "mouse", 2, "Volta", 49.99),
    ("MOUSE-PAD", "Mouse Pad", "home office", None, 1, "Larder", 7.99),
    ("KEYBOARD", "Wireless Keyboard", "home office", None, 1, "Volta", 39.99),
    ("DISH-BRUSH", "Dish Brush", "cleaning", None, 1, "Larder", 3.99),
    ("SPONGES", "Sponges (6)", "cleaning", None, 1, "Larder", 2.99),
    ("TEA-TOWELS", "Tea Towels (3)", "cleaning", None, 1, "Claywork", 9.99),
    ("DISH-SOAP", "Eco Dish Soap", "cleaning", None, 1, "Larder", 3.49),
    ("CANDLE", "Scented Candle", "gifts", None, 1, "Claywork", 14.99),
    ("CHOC-BOX", "Chocolate Box", "gifts", None, 1, "Larder", 12.99),
    ("GIFT-WRAP", "Gift Wrap", "gifts", None, 1, "Larder", 3.99),
    ("GIFT-CARD-25", "Gift Card 25", "gifts", None, 1, "Larder", 25.00),
)

# What a basket holding the anchor brings along, and how often: (anchor, items, probability).
# A bundle of three is planted as the full bundle plus each part alone, as real baskets show it.
_PLANTED: tuple[tuple[str, tuple[str, ...], float], ...] = (
    ("COF-BEANS-HOUSE", ("COF-FILTERS",), 0.45), ("COF-DRIPPER", ("COF-FILTERS",), 0.55),
    ("KET-GLASS", ("TEA-GREEN",), 0.4), ("TEA-POT", ("TEA-INFUSER",), 0.5),
    ("PAN-20", ("SPATULA",), 0.45), ("KNIFE-CHEF", ("BOARD-BAMBOO",), 0.45),
    ("BAKE-TRAY", ("BAKE-PAPER",), 0.5), ("MIX-BOWL", ("WHISK",), 0.45),
    ("MOUSE", ("MOUSE-PAD",), 0.45), ("CANDLE", ("GIFT-WRAP",), 0.4),
    ("DISH-BRUSH", ("SPONGES",), 0.45), ("BLEND-BASIC", ("BLEND-BOTTLE",), 0.5),
    ("CHARGER-USB", ("CABLE-USBC",), 0.4),
    ("COF-ESPRESSO-BASIC", ("COF-BEANS-SINGLE", "COF-MILK-JUG"), 0.3),
    ("COF-ESPRESSO-BASIC", ("COF-BEANS-SINGLE",), 0.15), ("COF-ESPRESSO-BASIC", ("COF-MILK-JUG",), 0.15),
    ("PHONE-STD", ("CASE-SILICONE", "SCREEN-PROT"), 0.3),
    ("PHONE-STD", ("CASE-SILICONE",), 0.2), ("PHONE-STD", ("SCREEN-PROT",), 0.15),
    ("KET-BASIC", ("TEA-BREAKFAST", "MUG-CLASSIC"), 0.25),
    ("KET-BASIC", ("TEA-BREAKFAST",), 0.25), ("KET-BASIC", ("MUG-CLASSIC",), 0.1),
)  # fmt: skip
_OUT_OF_STOCK = ("COF-GRINDER-PRO", "MIXER-STAND", "CASE-LEATHER", "SPEAKER-HOME")
# Discontinued products and the share of the period after which the next tier replaces them.
_DISCONTINUED = {"PHONE-LITE": 0.4, "EARBUDS-WIRED": 0.55}
_MARGINS = {
    "coffee": 0.45, "tea": 0.55, "kitchen appliances": 0.25, "cookware": 0.4, "baking": 0.45, "tableware": 0.5,
    "phones": 0.15, "phone accessories": 0.55, "audio": 0.3, "home office": 0.4, "cleaning": 0.5, "gifts": 0.35,
}  # fmt: skip
_TRADE_UP = 0.4  # chance that an owner of a tier comes back for the next one up
_RETURN_SHARE = 0.01
_DAY = 86_400
# Shoppers buy in the day and evening, and a little more at weekends (Monday first).
_HOUR_WEIGHTS = np.array([1, 1, 1, 1, 1, 1, 2, 4, 6, 7, 8, 8, 9, 9, 8, 8, 8, 9, 10, 11, 11, 9, 6, 3], dtype=float)
_WEEKDAY_WEIGHTS = np.array([1.0, 0.95, 0.95, 1.0, 1.1, 1.3, 1.25])


@dataclass(frozen=True, kw_only=True, eq=False)  # eq=False: DataFrames have no truth value to compare by
class SampleShop:
    """A generated shop: its catalog, its order lines, and the structure planted in them.

    Attributes
    ----------
    catalog : pandas.DataFrame
        One row per product, columns :data:`CATALOG_COLUMNS`.
    orders : pandas.DataFrame
        One row per order line, columns :data:`ORDER_COLUMNS`, in time order; returns are
        orders whose id starts with ``"C"`` and whose quantity is negative.
    planted_complements : tuple of (str, str)
        ``(anchor, complement)`` item ids planted as bought together.
    planted_upgrades : tuple of (str, str)
        ``(cheaper, pricier)`` item ids of one family, adjacent tiers, that customers trade up along.
    seed : int
        The seed the shop was generated from.

    Examples
    --------
    >>> shop = generate_sample_shop(seed=1, n_customers=50, days=90)
    >>> ("COF-BEANS-HOUSE", "COF-FILTERS") in shop.planted_complements
    True
    """

    catalog: pd.DataFrame
    orders: pd.DataFrame
    planted_complements: tuple[tuple[str, str], ...]
    planted_upgrades: tuple[tuple[str, str], ...]
    seed: int


def _catalog(rng: np.random.Generator) -> pd.DataFrame:
    frame = pd.DataFrame(list(_PRODUCTS), columns=["item_id", "name", "category", "family", "tier", "brand", "price"])
    # A product of its own is a family of one, so that every row names one.
    frame["family"] = frame["family"].fillna(frame["item_id"].str.lower())
    base = frame["category"].map(_MARGINS).to_numpy(dtype=float)
    # Dearer tiers earn a little more; the house brand a little less.
    margin = base + 0.03 * (frame["tier"].to_numpy() - 1) - 0.03 * (frame["brand"] == "Larder").to_numpy()
    frame["margin"] = np.clip(margin + rng.normal(0.0, 0.02, len(frame)), 0.15, 0.6).round(3)
    frame["in_stock"] = ~frame["item_id"].isin(_OUT_OF_STOCK)
    frame["active"] = ~frame["item_id"].isin(list(_DISCONTINUED))
    return frame.astype({"tier": "int64", "price": "float64"})[list(CATALOG_COLUMNS)]


def _with_complements(
    order: np.ndarray, item: np.ndarray, rng: np.random.Generator, index: dict[str, int]
) -> pd.DataFrame:
    """The lines ``(order, item)`` plus the planted complements drawn for them, one line per distinct item."""
    orders, items = [order], [item]
    for anchor, brought, probability in _PLANTED:
        holders = order[(item == index[anchor]) & (rng.random(len(item)) < probability)]
        for complement in brought:
            orders.append(holders)
            items.append(np.full(len(holders), index[complement]))
    lines = pd.DataFrame({"order": np.concatenate(orders), "item": np.concatenate(items)})
    return lines.drop_duplicates(ignore_index=True)  # the first of repeated lines is kept, in basket order


def _trade_ups(
    customer: np.ndarray,
    item: np.ndarray,
    when: np.ndarray,
    successor: np.ndarray,
    period: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Purchases of the next tier up by owners of a tier, weeks later, and from there the one above.

    Returns the customers, items and times (seconds into the period) of the new purchases.
    """
    customers, items, times = [customer[:0]], [item[:0]], [when[:0]]
    while len(item):
        higher = successor[item]
        later = when + rng.integers(14 * _DAY, 120 * _DAY, size=len(item))
        go = (higher >= 0) & (rng.random(len(item)) < _TRADE_UP) & (later < period)
        customer, item, when = customer[go], higher[go], later[go]
        customers.append(customer)
        items.append(item)
        times.append(when)
    return np.concatenate(customers), np.concatenate(items), np.concatenate(times)


def _check(name: str, value: object, smallest: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < smallest:
        raise ValueError(f"{name} must be a whole number >= {smallest}, got {value!r}.")
    return int(value)


def generate_sample_shop(
    *, seed: int = 7, n_customers: int = 1200, days: int = 365, start: str = "2025-01-01"
) -> SampleShop:
    """Generate the sample shop: about 11,000 orders of 88 products by 1,200 customers over a year.

    Every draw comes from one ``numpy.random.default_rng(seed)`` in a fixed order, so the same
    arguments give identical frames in every run and process.

    Parameters
    ----------
    seed : int
        Seed of the random generator.
    n_customers : int
        Returning customers (``"C00001"``, ...); each places a gamma-Poisson number of orders,
        so a few loyal customers buy far more often than most.
    days : int
        Length of the order history in days.
    start : str
        Date of its first day, anything :class:`pandas.Timestamp` reads.

    Returns
    -------
    SampleShop
        The catalog, the order lines (timestamps as ``"YYYY-MM-DD HH:MM:SS"`` strings, order
        ids numbered in time order) and the planted complements and trade-ups.

    Raises
    ------
    ValueError
        For a negative seed, fewer than one customer or day, or an unreadable start date.

    Examples
    --------
    >>> shop = generate_sample_shop(seed=3, n_customers=200, days=120)
    >>> shop.catalog.shape
    (88, 10)
    >>> bool(shop.orders["timestamp"].is_monotonic_increasing)
    True
    """
    seed = _check("seed", seed, 0)
    n_customers = _check("n_customers", n_customers, 1)
    days = _check("days", days, 1)
    try:
        origin = pd.Timestamp(start).normalize()
    except (TypeError, ValueError):
        raise ValueError(f"start must be a date such as '2025-01-01', got {start!r}.") from None
    if pd.isna(origin):
        raise ValueError(f"start must be a date such as '2025-01-01', got {start!r}.")
    rng = np.random.default_rng(seed)
    catalog = _catalog(rng)
    ids = catalog["item_id"].to_numpy(dtype=object)
    index = {item: k for k, item in enumerate(ids)}
    n_items, period = len(ids), days * _DAY
    tier = catalog["tier"].to_numpy()
    family = pd.factorize(catalog["family"])[0]
    # The next tier up of the same family, or -1 at the top.
    successor = np.full(n_items, -1)
    for k in range(n_items):
        up = np.flatnonzero((family == family[k]) & (tier == tier[k] + 1))
        successor[k] = up[0] if len(up) else -1

    # Popularity is Zipf-like over a seeded ranking in which cheap products and planted anchors
    # rank higher, add-ons lower: anchors must be bought often enough for their pairs to be
    # measurable, and add-ons sell mostly alongside their anchors.
    anchors = catalog["item_id"].isin(sorted({anchor for anchor, _, _ in _PLANTED})).to_numpy()
    add_ons = catalog["item_id"].isin(sorted({b for _, brought, _ in _PLANTED for b in brought})).to_numpy()
    price_level = np.log10(catalog["price"].to_numpy())
    key = 1.5 * rng.random(n_items) + 0.6 * price_level - 0.5 * anchors + 0.3 * add_ons
    rank = np.argsort(np.argsort(key))
    popularity = 1.0 / (rank + 8.0)  # Zipf-Mandelbrot: a long tail under a flattened head
    # Each customer leans towards a few categories of the shop.
    category = pd.factorize(catalog["category"])[0]
    n_categories = category.max() + 1
    taste = rng.dirichlet(np.full(n_categories, 0.8), size=n_customers)
    preference = popularity * (0.15 + taste[:, category])
    cumulative = np.cumsum(preference, axis=1)
    cumulative /= cumulative[:, -1:]

    # Orders: a gamma-Poisson count per customer, at daytime hours, busier at weekends.
    per_customer = 1 + rng.poisson(rng.gamma(1.3, 5.5, size=n_customers))
    customer = np.repeat(np.arange(n_customers), per_customer)
    n_orders = len(customer)
    day_weights = _WEEKDAY_WEIGHTS[(origin.day_of_week + np.arange(days)) % 7]
    day = rng.choice(days, size=n_orders, p=day_weights / day_weights.sum())
    hour = rng.choice(24, size=n_orders, p=_HOUR_WEIGHTS / _HOUR_WEIGHTS.sum())
    when = day * _DAY + hour * 3600 + rng.integers(0, 3600, size=n_orders)

    # Lines drawn from each customer's preferences; a discontinued product is replaced by the
    # next tier of its family once it is gone.
    line_order = np.repeat(np.arange(n_orders), 1 + rng.poisson(1.6, size=n_orders))
    draws = rng.random(len(line_order))
    item = (cumulative[customer[line_order]] < draws[:, None]).sum(axis=1)
    for discontinued, share in _DISCONTINUED.items():
        gone = (item == index[discontinued]) & (when[line_order] >= share * period)
        item[gone] = successor[index[discontinued]]
    lines = _with_complements(line_order, item, rng, index)

    # Trade-ups start from the first item each customer bought of each family.
    bought = lines.assign(customer=customer[lines["order"]], when=when[lines["order"]], family=family[lines["item"]])
    first = bought.sort_values(["when", "order"], kind="stable").drop_duplicates(["customer", "family"])
    up_customer, up_item, up_when = _trade_ups(
        first["customer"].to_numpy(), first["item"].to_numpy(), first["when"].to_numpy(), successor, period, rng
    )
    n_upgrades = len(up_item)
    customer, when = np.concatenate([customer, up_customer]), np.concatenate([when, up_when])
    # A trade-up is an order of its own, which brings its complements along like any other.
    upgraded = _with_complements(np.arange(n_orders, n_orders + n_upgrades), up_item, rng, index)
    lines = pd.concat([lines, upgraded], ignore_index=True)

    # Quantities: cheap products sometimes by two or three; an occasional 10% promotion.
    price = catalog["price"].to_numpy()[lines["item"]]
    several = (price < 20) & (rng.random(len(lines)) < 0.2)
    quantity = np.where(several, rng.integers(2, 4, size=len(lines)), 1)
    unit_price = np.where(rng.random(len(lines)) < 0.04, (price * 0.9).round(2), price)

    # Returns: a fixed share of lines, each sent back an hour to three weeks later (within the
    # period) in an order of its own.
    line_when = when[lines["order"].to_numpy()]
    candidates = np.flatnonzero(line_when < period - 1 - 3600)
    n_returns = min(round(_RETURN_SHARE * len(lines)), len(candidates))
    returned = np.sort(rng.choice(candidates, size=n_returns, replace=False))
    latest = np.minimum(line_when[returned] + 21 * _DAY, period - 1)
    wait = (rng.random(n_returns) * (latest - line_when[returned] - 3600)).astype(np.int64)
    return_when = line_when[returned] + 3600 + wait
    n_purchases = n_orders + n_upgrades
    order = np.concatenate([lines["order"].to_numpy(), n_purchases + np.arange(n_returns)])
    item = np.concatenate([lines["item"].to_numpy(), lines["item"].to_numpy()[returned]])
    quantity = np.concatenate([quantity, -quantity[returned]])
    unit_price = np.concatenate([unit_price, unit_price[returned]])
    customer = np.concatenate([customer, customer[lines["order"].to_numpy()[returned]]])
    when = np.concatenate([when, return_when])

    # Number every order, purchase or return, in time order: "O000123" or "C000124".
    sequence = np.empty(len(when), dtype=np.int64)
    sequence[np.lexsort((np.arange(len(when)), when))] = np.arange(1, len(when) + 1)
    is_return = np.arange(len(when)) >= n_purchases
    line_rank = np.arange(len(order))  # keeps each basket's lines in the order they were added
    chosen = np.lexsort((line_rank, sequence[order]))
    order, item = order[chosen], item[chosen]
    prefix, number = np.where(is_return[order], "C", "O").tolist(), sequence[order].tolist()
    frame = pd.DataFrame(
        {
            "order_id": [f"{kind}{n:06d}" for kind, n in zip(prefix, number)],
            "item_id": ids[item],
            "description": catalog["name"].to_numpy(dtype=object)[item],
            "quantity": quantity[chosen].astype(np.int64),
            "unit_price": unit_price[chosen].astype(np.float64),
            "customer_id": [f"C{number:05d}" for number in (customer[order] + 1).tolist()],
            "timestamp": (origin + pd.to_timedelta(when[order], unit="s")).strftime("%Y-%m-%d %H:%M:%S"),
        }
    )
    frame = frame.astype({"order_id": str, "item_id": str, "description": str, "customer_id": str, "timestamp": str})
    upgrades = tuple(sorted((ids[k], ids[successor[k]]) for k in range(n_items) if successor[k] >= 0))
    complements = tuple(dict.fromkeys((anchor, b) for anchor, brought, _ in _PLANTED for b in brought))
    return SampleShop(
        catalog=catalog, orders=frame, planted_complements=complements, planted_upgrades=upgrades, seed=seed
    )


def write_sample_shop(directory: str | os.PathLike[str], *, seed: int = 7) -> tuple[Path, Path]:
    """Write ``orders.csv`` and ``catalog.csv`` of the default sample shop into ``directory``.

    Parameters
    ----------
    directory : str or os.PathLike
        Where to write; created, with its parents, if missing. Existing files are replaced.
    seed : int
        Seed of :func:`generate_sample_shop`.

    Returns
    -------
    tuple of Path
        The paths of the orders and of the catalog.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     orders_path, catalog_path = write_sample_shop(folder)
    ...     (orders_path.name, catalog_path.name, len(pd.read_csv(catalog_path)))
    ('orders.csv', 'catalog.csv', 88)
    """
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    shop = generate_sample_shop(seed=seed)
    orders_path, catalog_path = target / "orders.csv", target / "catalog.csv"
    shop.orders.to_csv(orders_path, index=False)
    shop.catalog.to_csv(catalog_path, index=False)
    return orders_path, catalog_path
