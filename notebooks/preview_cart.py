# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # What will a customer with this cart see, and why?
#
# Type a cart in the next cell and run everything (*Run → Run All Cells*): the notebook shows
# exactly what the checkout shows for it (at most three suggestions, each with the sentence
# the shopper reads), the items the rules proposed that the checkout did **not** show and the
# rule that kept each one out, the bundle of a product page, and the upgrade ("upsell") paths
# of the cart's products.
#
# It runs on the built-in sample shop; set `ORDERS` (and `CATALOG`) to use your own orders.

# %% tags=["parameters"]
ORDERS = None  # None: the sample shop; or a file, e.g. "../../shared/data/online_retail.csv.xz"
CATALOG = None  # optional catalog file: names, categories, product families, prices, stock
MIN_SUPPORT = 0.001  # share of baskets; long baskets need more (Online Retail: 0.005 or higher)
MIN_CONFIDENCE = 0.1
MAX_LEN = 3
CART = None  # item ids, e.g. ["KET-BASIC", "TEA-GREEN"]; None: a sample cart
CART_TOTAL = 24.0  # what the cart is worth, for the free-shipping nudge (None: not known)
FREE_SHIPPING = 50.0  # the shop's free-shipping threshold (None: no threshold)
EXCLUDE = []  # items the page must not suggest (e.g. already shown elsewhere)
LIMIT = 3  # suggestions shown
OBJECTIVE = "confidence"  # or "lift", "revenue", "margin"
PRODUCT = None  # a product page to look at; None: the cart's first item

# %%
# %matplotlib inline
import pandas as pd
from IPython.display import Markdown, display

from recommender import RankingConfig, Recommender, explore, mine

pd.set_option("display.max_colwidth", 120)
pd.set_option("display.width", 200)
orders, catalog = explore.load_shop(ORDERS, CATALOG)
model = mine(orders, min_support=MIN_SUPPORT, min_confidence=MIN_CONFIDENCE, max_len=MAX_LEN, catalog=catalog)
rec = Recommender(model.data, config=RankingConfig(free_shipping_threshold=FREE_SHIPPING))
if CART is not None:
    cart = list(CART)
elif ORDERS is None:
    cart = ["KET-BASIC", "TEA-GREEN"]
else:  # the products of the rule seen in the most baskets
    cart = list(explore.rules_table(model, sort="count", top=1)["antecedents"].iloc[0])
display(
    Markdown(
        "The cart: "
        + ", ".join(f"**{model.name_of(i)}** (`{i}`)" for i in cart)
        + (
            f"; worth {CART_TOTAL:.2f}, free shipping from {FREE_SHIPPING:.2f}."
            if CART_TOTAL and FREE_SHIPPING
            else "."
        )
    )
)

# %% [markdown]
# ## What the checkout shows
#
# In this order, with the sentence shown under each suggestion. `kind` is `cross_sell` (bought
# with the cart's products), `upgrade` (a better product of the same family, replacing one in
# the cart), or `popular` (filling in when the rules have too little to say). `score` is what
# the order is decided by (with the default objective, the share of similar baskets that held
# the item).

# %%
shown = explore.preview_cart(rec, cart, limit=LIMIT, cart_total=CART_TOTAL, exclude=EXCLUDE, objective=OBJECTIVE)
notes = []
if shown.attrs["unknown_items"]:
    notes.append(f"not in the model (never sold, or a typo): {', '.join(shown.attrs['unknown_items'])}")
if shown.attrs["fallback"]:
    notes.append(f"popular items filled in ({shown.attrs['fallback']})")
if notes:
    display(Markdown("Note: " + "; ".join(notes) + "."))
shown

# %% [markdown]
# ## What was left out, and why
#
# Every product the ranking proposed for this cart (the learned weights of its products, or the
# rules with `combine="max"`), or an upgrade of one of its products, that the checkout did not
# show. The reasons are checked in this order: already in the cart, excluded,
# blocked, out of stock, discontinued, too weak a rule (lift below 1.5: "popular anyway"),
# a substitute (same product family as a cart item: a second kettle is not a complement of a
# kettle), then the caps of the answer: one upgrade at most, one product per category, and at
# most three in all ("below the cut").

# %%
filtered = explore.explain_filtered(rec, cart, limit=LIMIT, cart_total=CART_TOTAL, exclude=EXCLUDE,
                                    objective=OBJECTIVE)  # fmt: skip
display(
    Markdown(
        f"{len(shown)} shown, {len(filtered)} left out: "
        + ", ".join(f"{n} {reason.replace('_', ' ')}" for reason, n in filtered["reason"].value_counts().items())
    )
)
filtered[["item_id", "name", "kind", "reason", "detail", "score", "confidence", "lift", "because"]]

# %% [markdown]
# ## The same cart under another objective
#
# Ranking by expected revenue (likelihood × price; for an upgrade × the price difference)
# favours pricier items; compare with the answer above.

# %%
explore.preview_cart(rec, cart, limit=LIMIT, cart_total=CART_TOTAL, exclude=EXCLUDE, objective="revenue")

# %% [markdown]
# ## The product page: its bundle
#
# The two or three items most often bought with the product, the price of the set and the
# bundle price.

# %%
product = PRODUCT if PRODUCT is not None else cart[0]
bundle = rec.bundle(product)
if bundle.found:
    display(
        Markdown(
            f"**{' + '.join(bundle.names)}**: {bundle.total_price} → **{bundle.bundle_price}** "
            f"({bundle.discount:.0%} off). {bundle.reason}; seen in {bundle.baskets:,} baskets."
        )
    )
else:
    display(Markdown(f"No bundle for `{product}`: {bundle.reason}."))
pd.DataFrame({"item_id": bundle.items, "name": bundle.names})

# %% [markdown]
# ## The upsell view: upgrade paths
#
# For each product of the cart, the pricier products of its family (or category) the checkout
# may offer instead, within +10% to +100% of its price. `tradeup_customers` counts the
# customers who bought the product and later bought the upgrade (from the orders' customer ids
# and dates); `share` is that count over the product's buyers. An upgrade nobody traded up to
# yet rests on the catalog alone (`basis` = `family` or `category`) and ranks below.

# %%
paths = explore.upgrade_paths(model, rec)
in_cart = paths[paths["item_id"].isin(cart)]
display(Markdown(f"Upgrades of the cart's products ({len(in_cart)}):"))
display(in_cart)
traded = paths[paths["basis"] == "traded_up"]
display(
    Markdown(
        f"In the whole shop: {len(paths):,} upgrade paths from {paths['item_id'].nunique():,} products; "
        f"{len(traded):,} of them seen in the orders, {int(traded['tradeup_customers'].sum()):,} customers in all. "
        "The most travelled:"
    )
)
traded.sort_values(["tradeup_customers", "item_id"], ascending=[False, True]).head(10)

# %%
explore.plot_upgrade_paths(paths)
