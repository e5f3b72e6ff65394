"""The built-in sample shop: a seeded, believable small online shop for demos, notebooks and tests.

A home-and-kitchen and electronics shop of about a hundred products in twelve categories, with
product families in price tiers (a basic, a better and a best kettle), brands, margins, stock
and discontinued flags, and a year of orders by returning customers in which complements are
planted (coffee beans with paper filters, a phone with a case and a screen protector, ...) and
customers trade up within families over time. Nothing is downloaded; the same seed gives the
same shop, byte for byte.

>>> shop = generate_sample_shop(seed=7, n_customers=100)
>>> sorted(shop.catalog.columns) == sorted(CATALOG_COLUMNS)
True
>>> bool(shop.orders["order_id"].str.startswith("C").any())  # a few returns, Online Retail style
True
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["CATALOG_COLUMNS", "ORDER_COLUMNS", "SampleShop", "generate_sample_shop", "write_sample_shop"]

CATALOG_COLUMNS = ("item_id", "name", "category", "family", "tier", "brand", "price", "margin", "in_stock", "active")
ORDER_COLUMNS = ("order_id", "item_id", "description", "quantity", "unit_price", "customer_id", "timestamp")

# item_id, name, category, family (None: a product of its own), tier, brand, price
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

# anchor -> (complement, probability that a basket with the anchor also gets it)
_COMPLEMENTS: dict[str, tuple[tuple[str, float], ...]] = {
    "COF-BEANS-HOUSE": (("COF-FILTERS", 0.45),),
    "COF-BEANS-SINGLE": (("COF-FILTERS", 0.35),),
    "COF-DRIPPER": (("COF-FILTERS", 0.6), ("COF-BEANS-SINGLE", 0.35)),
    "COF-FRENCH-PRESS": (("COF-BEANS-HOUSE", 0.4),),
    "COF-ESPRESSO-BASIC": (("COF-MILK-JUG", 0.5), ("COF-BEANS-SINGLE", 0.45), ("COF-DESCALER", 0.25)),
    "COF-ESPRESSO-PLUS": (("COF-MILK-JUG", 0.5), ("COF-BEANS-SINGLE", 0.45), ("COF-DESCALER", 0.25)),
    "COF-ESPRESSO-PRO": (("COF-MILK-JUG", 0.45), ("COF-BEANS-RESERVE", 0.4)),
    "COF-GRINDER-BLADE": (("COF-BEANS-HOUSE", 0.4),),
    "COF-GRINDER-BURR": (("COF-BEANS-SINGLE", 0.45),),
    "KET-BASIC": (("TEA-BREAKFAST", 0.45), ("MUG-CLASSIC", 0.3)),
    "KET-GLASS": (("TEA-GREEN", 0.4),),
    "KET-SMART": (("TEA-OOLONG", 0.4),),
    "TEA-POT": (("TEA-INFUSER", 0.5), ("TEA-GREEN", 0.35)),
    "TEA-GREEN": (("TEA-INFUSER", 0.25),),
    "TOAST-2": (("BAKE-PAPER", 0.02),),
    "BLEND-BASIC": (("BLEND-BOTTLE", 0.5),),
    "PHONE-LITE": (("CASE-SILICONE", 0.55), ("SCREEN-PROT", 0.45), ("CHARGER-USB", 0.3)),
    "PHONE-STD": (("CASE-SILICONE", 0.5), ("SCREEN-PROT", 0.45), ("CHARGER-USB", 0.3)),
    "PHONE-PRO": (("CASE-LEATHER", 0.45), ("SCREEN-PROT", 0.45), ("CHARGER-FAST", 0.35)),
    "PHONE-MAX": (("CASE-LEATHER", 0.5), ("SCREEN-PROT", 0.4), ("CHARGER-FAST", 0.4)),
    "CHARGER-USB": (("CABLE-USBC", 0.35),),
    "PAN-20": (("SPATULA", 0.45),),
    "PAN-28-PRO": (("SPATULA", 0.4),),
    "PAN-CASTIRON": (("OVEN-GLOVES", 0.35),),
    "KNIFE-CHEF": (("BOARD-BAMBOO", 0.45), ("KNIFE-SHARPENER", 0.2)),
    "KNIFE-CHEF-PRO": (("BOARD-BAMBOO", 0.4), ("KNIFE-SHARPENER", 0.3)),
    "BAKE-TRAY": (("BAKE-PAPER", 0.55),),
    "MIX-BOWL": (("WHISK", 0.45),),
    "CAKE-TIN": (("BAKE-PAPER", 0.4),),
    "MIXER-HAND": (("MIX-BOWL", 0.35),),
    "MOUSE": (("MOUSE-PAD", 0.45),),
    "MOUSE-ERGO": (("MOUSE-PAD", 0.4),),
    "KEYBOARD": (("MOUSE", 0.35),),
    "EARBUDS-WIRELESS": (("HEADPHONE-CASE", 0.35),),
    "HEADPHONES-NC": (("HEADPHONE-CASE", 0.45),),
    "CANDLE": (("GIFT-WRAP", 0.4),),
    "CHOC-BOX": (("GIFT-WRAP", 0.35),),
    "DISH-BRUSH": (("SPONGES", 0.45), ("DISH-SOAP", 0.3)),
    "PLATE-SET": (("NAPKINS", 0.35),),
}
# Pairs the tests check are recovered (each anchor is bought often enough to show it).
_CHECKED_COMPLEMENTS = (
    ("COF-BEANS-HOUSE", "COF-FILTERS"),
    ("COF-DRIPPER", "COF-FILTERS"),
    ("COF-ESPRESSO-BASIC", "COF-MILK-JUG"),
    ("KET-BASIC", "TEA-BREAKFAST"),
    ("TEA-POT", "TEA-INFUSER"),
    ("PHONE-STD", "CASE-SILICONE"),
    ("PHONE-STD", "SCREEN-PROT"),
    ("PAN-20", "SPATULA"),
    ("KNIFE-CHEF", "BOARD-BAMBOO"),
    ("BAKE-TRAY", "BAKE-PAPER"),
    ("MIX-BOWL", "WHISK"),
    ("MOUSE", "MOUSE-PAD"),
    ("CANDLE", "GIFT-WRAP"),
    ("DISH-BRUSH", "SPONGES"),
    ("BLEND-BASIC", "BLEND-BOTTLE"),
)
_OUT_OF_STOCK = ("COF-GRINDER-PRO", "MIXER-STAND", "CASE-LEATHER", "SPEAKER-HOME")
# Discontinued products and the day of the year after which they are no longer sold.
_DISCONTINUED = {"PHONE-LITE": 150, "EARBUDS-WIRED": 200}
_MARGINS = {
    "coffee": 0.45, "tea": 0.55, "kitchen appliances": 0.25, "cookware": 0.4, "baking": 0.45, "tableware": 0.5,
    "phones": 0.15, "phone accessories": 0.55, "audio": 0.3, "home office": 0.4, "cleaning": 0.5, "gifts": 0.35,
}  # fmt: skip
_TRADE_UP_PROBABILITY = 0.45


@dataclass(frozen=True, kw_only=True, eq=False)
class SampleShop:
    """A generated shop: its catalog, its order lines, and what was planted in them."""

    catalog: pd.DataFrame
    orders: pd.DataFrame
    planted_complements: tuple[tuple[str, str], ...]
    planted_upgrades: tuple[tuple[str, str], ...]
    seed: int


def _catalog(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for item_id, name, category, family, tier, brand, price in _PRODUCTS:
        # Margins vary a little around the category's: dearer tiers earn a bit more.
        margin = float(np.clip(_MARGINS[category] + 0.03 * (tier - 1) + rng.normal(0, 0.03), 0.15, 0.6))
        rows.append(
            {
                "item_id": item_id,
                "name": name,
                "category": category,
                "family": family or item_id.lower(),
                "tier": tier,
                "brand": brand,
                "price": price,
                "margin": round(margin, 3),
                "in_stock": item_id not in _OUT_OF_STOCK,
                "active": item_id not in _DISCONTINUED,
            }
        )
    return pd.DataFrame(rows, columns=list(CATALOG_COLUMNS))


def generate_sample_shop(
    *, seed: int = 7, n_customers: int = 1200, days: int = 365, start: str = "2025-01-01"
) -> SampleShop:
    """Generate the sample shop: about 11,000 orders of about a hundred products over a year.

    Parameters
    ----------
    seed : int
        Seed of the one random generator everything is drawn from.
    n_customers : int
        Returning customers; each places a gamma-Poisson number of orders over the year.
    days : int
        Length of the order history.
    start : str
        Date of its first day.
    """
    rng = np.random.default_rng(seed)
    catalog = _catalog(rng)
    ids = catalog["item_id"].tolist()
    names = catalog["name"].tolist()
    prices = catalog["price"].tolist()
    family_of = catalog["family"].tolist()
    tier_of = catalog["tier"].tolist()
    index = {item: k for k, item in enumerate(ids)}
    categories = sorted(set(catalog["category"]))
    members_of = {c: np.flatnonzero(catalog["category"].to_numpy() == c) for c in categories}
    # Popularity within a category: Zipf-like over a shuffled order, entry tiers favoured.
    cumulative = {}
    for category, members in members_of.items():
        weights = (rng.permutation(len(members)) + 1.0) ** -0.6 / catalog["tier"].to_numpy()[members]
        cumulative[category] = np.cumsum(weights) / weights.sum()
    category_weight = rng.dirichlet(np.full(len(categories), 4.0))
    members_of_family: dict[str, list[int]] = defaultdict(list)
    for k, family in enumerate(family_of):
        members_of_family[family].append(k)
    successor = {
        k: next((m for m in members_of_family[family_of[k]] if tier_of[m] == tier_of[k] + 1), None)
        for k in range(len(ids))
    }
    sold_until = {index[i]: day * 86400 for i, day in _DISCONTINUED.items()}
    complements = {index[a]: [(index[c], p) for c, p in pairs] for a, pairs in _COMPLEMENTS.items()}

    def available(item: int, when: float) -> int:
        # A discontinued product is replaced by its family's next tier once it is gone.
        while item in sold_until and when >= sold_until[item] and successor[item] is not None:
            item = successor[item]  # type: ignore[assignment]
        return item

    period = days * 86400
    orders: list[tuple[float, int, list[int]]] = []
    upgrades: set[tuple[str, str]] = set()
    n_orders = rng.poisson(rng.gamma(1.5, 6.0, size=n_customers)) + 1
    for customer in range(n_customers):
        taste = np.cumsum(rng.dirichlet(category_weight * 12.0))
        owned: dict[str, tuple[int, float]] = {}  # family -> first item bought of it, and when
        for when in np.sort(rng.uniform(0, period, size=n_orders[customer])).tolist():
            basket: list[int] = []
            for _ in range(1 + rng.poisson(1.0)):
                category = categories[min(int(np.searchsorted(taste, rng.random())), len(categories) - 1)]
                pick = min(int(np.searchsorted(cumulative[category], rng.random())), len(members_of[category]) - 1)
                basket.append(available(int(members_of[category][pick]), when))
            for anchor in list(basket):
                for complement, probability in complements.get(anchor, ()):
                    if rng.random() < probability:
                        basket.append(available(complement, when))
            orders.append((when, customer, basket))
            for item in basket:
                if len(members_of_family[family_of[item]]) > 1:
                    owned.setdefault(family_of[item], (item, when))
        # Trade-ups: some owners of a lower tier come back for the next one up, and some of
        # those later for the one above that.
        for item, bought_at in owned.values():
            higher = successor[item]
            while higher is not None and rng.random() < _TRADE_UP_PROBABILITY:
                later = bought_at + rng.uniform(20, 120) * 86400
                if later >= period or available(higher, later) != higher:
                    break
                orders.append((later, customer, [higher]))
                upgrades.add((ids[item], ids[higher]))
                item, bought_at, higher = higher, later, successor[higher]

    orders.sort(key=lambda order: (order[0], order[1]))
    columns: dict[str, list[object]] = {name: [] for name in ORDER_COLUMNS}
    seconds: list[int] = []
    returned: list[int] = []
    for number, (when, customer, basket) in enumerate(orders, start=1):
        for item in dict.fromkeys(basket):  # one line per distinct item, in basket order
            price = prices[item]
            columns["order_id"].append(f"O{number:06d}")
            columns["item_id"].append(ids[item])
            columns["description"].append(names[item])
            columns["quantity"].append(1 if price > 20 or rng.random() < 0.8 else int(rng.integers(2, 4)))
            columns["unit_price"].append(round(price * 0.9, 2) if rng.random() < 0.05 else price)
            columns["customer_id"].append(f"C{customer + 1:05d}")
            seconds.append(int(when))
            if rng.random() < 0.01:
                returned.append(len(seconds) - 1)
    # About one line in a hundred comes back within three weeks: an Online Retail style "C" order.
    for number, line in enumerate(returned, start=1):
        for name in ORDER_COLUMNS[1:-1]:
            columns[name].append(columns[name][line])
        columns["order_id"].append(f"C{number:06d}")
        columns["quantity"][-1] = -int(columns["quantity"][line])  # type: ignore[call-overload]
        seconds.append(seconds[line] + int(rng.integers(1, 21)) * 86400)
    columns["timestamp"] = list(pd.Timestamp(start) + pd.to_timedelta(np.asarray(seconds), unit="s"))
    frame = pd.DataFrame(columns, columns=list(ORDER_COLUMNS))
    frame = frame.sort_values(["timestamp", "order_id", "item_id"], kind="stable", ignore_index=True)
    frame["timestamp"] = frame["timestamp"].dt.strftime("%Y-%m-%d %H:%M:%S")
    return SampleShop(
        catalog=catalog,
        orders=frame,
        planted_complements=_CHECKED_COMPLEMENTS,
        planted_upgrades=tuple(sorted(upgrades)),
        seed=seed,
    )


def write_sample_shop(directory: str | os.PathLike[str], *, seed: int = 7) -> tuple[Path, Path]:
    """Write ``orders.csv`` and ``catalog.csv`` of the sample shop into ``directory``.

    Returns the paths of the orders and the catalog.
    """
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    shop = generate_sample_shop(seed=seed)
    orders_path = target / "orders.csv"
    catalog_path = target / "catalog.csv"
    shop.orders.to_csv(orders_path, index=False)
    shop.catalog.to_csv(catalog_path, index=False)
    return orders_path, catalog_path
