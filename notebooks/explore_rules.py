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
# # What do customers buy together?
#
# This notebook mines the shop's past orders for **rules**: "customers who bought *this* also
# bought *that*". It runs on the built-in sample shop (a year of orders of a home-and-kitchen
# shop); to use your own orders, change `ORDERS` (and `CATALOG` if you have one) in the next
# cell and run everything again (*Run → Run All Cells*).
#
# Three numbers describe a rule "if bought A, then bought B":
#
# - **support**: the share of all baskets that hold both A and B (how common the pattern is);
# - **confidence**: of the baskets with A, the share that also hold B (how often the
#   suggestion would be right);
# - **lift**: how many times more often B is bought with A than in baskets in general
#   (1 means "no more than usual"; the checkout only uses rules of lift 1 and above).

# %% tags=["parameters"]
ORDERS = None  # None: the sample shop; or a file, e.g. "../../shared/data/online_retail.csv.xz"
CATALOG = None  # optional catalog file: names, categories, product families, prices, stock
MIN_SUPPORT = 0.001  # share of baskets; long baskets need more (Online Retail: 0.005 or higher)
MIN_CONFIDENCE = 0.1
MAX_LEN = 3  # items per rule, both sides together
ITEM = None  # a product to look at (id or exact name); None: the product of the most common rule
CATEGORY = None  # a category to look at; None: the category of ITEM (when the catalog has one)
TOP = 15  # rows per table

# %%
# %matplotlib inline
import pandas as pd
from IPython.display import Markdown, display

from recommender import Recommender, explore, mine

pd.set_option("display.max_colwidth", 50)
pd.set_option("display.width", 200)
orders, catalog = explore.load_shop(ORDERS, CATALOG)
model = mine(orders, min_support=MIN_SUPPORT, min_confidence=MIN_CONFIDENCE, max_len=MAX_LEN, catalog=catalog)
rec = Recommender(model.data)
read = model.provenance["read"]
display(
    Markdown(
        f"**{model.n_baskets:,} baskets** of {len(model.data.items):,} products "
        f"({read['rows_read']:,} order lines read; {read['cancelled_rows'] + read['returned_rows']:,} cancelled "
        f"or returned lines left out) give **{len(model.rules):,} rules** at support ≥ {MIN_SUPPORT:g}, "
        f"confidence ≥ {MIN_CONFIDENCE:g}, at most {MAX_LEN} items per rule."
    )
)

# %% [markdown]
# ## The strongest rules
#
# Sorted by lift: the pairings that are most *specific* (far more common together than apart).
# `count` is the number of baskets behind a rule: a rule seen in 15 baskets is weaker evidence
# than one seen in 500, whatever its lift.

# %%
explore.rules_table(model, top=TOP)

# %% [markdown]
# ## Filters and sorting
#
# The same table for one product (on either side of the rule), keeping only rules right at
# least 30% of the time, most reliable first. Change `ITEM` in the parameter cell to look at
# another product.

# %%
item = ITEM if ITEM is not None else explore.rules_table(model, sort="count", top=1)["consequent"].iloc[0]
display(Markdown(f"Rules about **{model.name_of(item)}** (`{item}`):"))
explore.rules_table(model, item=item, min_confidence=0.3, sort="confidence", top=TOP)

# %%
category = CATEGORY
if category is None and item in model.data.catalog:
    category = model.data.catalog[item].category
if category is None:
    display(Markdown("The catalog has no categories: showing the rules seen in the most baskets instead."))
    table = explore.rules_table(model, sort="count", top=TOP)
else:
    display(Markdown(f"Rules that suggest a product of the category **{category}**, seen in 20 baskets or more:"))
    table = explore.rules_table(model, category=category, min_count=20, sort="lift", top=TOP)
table

# %% [markdown]
# ## Bundles for product pages
#
# For the most popular products, the two or three items most often bought with them, with the
# price of the set and the bundle price (10% off). `confidence` is the share of the product's
# baskets that held the whole bundle.

# %%
explore.top_bundles(model, rec, n=10)

# %% [markdown]
# ## All rules at a glance
#
# Each dot is a rule. Rules to the right are common, rules high up are reliable, bright ones
# are specific (high lift). The useful ones for cross-selling sit high and bright; a rule far
# to the left rests on few baskets.

# %%
explore.plot_rules_scatter(model.rules)

# %% [markdown]
# ## How the strongest rules connect
#
# The 30 rules of highest lift as arrows from "if bought" to "then bought". Products that sit
# in a tight cluster (coffee gear, phone accessories) sell as a set; a grey dot is a set of
# products bought together.

# %%
explore.plot_rule_graph(model.rules, top=30)

# %% [markdown]
# ## What drives a product's attach rate
#
# Every rule that suggests the product: which products (or sets) lead to it, how often the
# suggestion would be right (`confidence`), and which share of the product's own baskets came
# with that antecedent (`share_of_item_baskets`: the shares overlap, since a basket can hold
# several antecedents).

# %%
drivers = explore.attach_rates(model, item)
display(
    Markdown(
        f"**{drivers.attrs['name']}** is in {drivers.attrs['item_baskets']:,} baskets; "
        f"{len(drivers):,} rules lead to it."
    )
)
drivers.head(TOP)
