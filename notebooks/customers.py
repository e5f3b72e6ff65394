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
# # Who are the shop's customers, and what does each kind see?
#
# When orders carry a customer id, the model keeps a small summary of each customer: a value
# segment (from how recently and how often they ordered), whether they are among the few
# customers behind 80% of the revenue, and the items they buy again and again. This notebook
# shows
#
# - the **value curve**: the share of the revenue brought by the best customers (the 80/20 of
#   a shop);
# - the **segments**: how many customers each holds, and how much they spend;
# - **what each segment is offered for the same cart**: one customer of each segment asks with
#   the same cart; a model mined with `buy_again` gives the items that customer buys again the
#   first places.
#
# It runs on the built-in sample shop; set `ORDERS` (and `CATALOG`) to use your own orders.

# %% tags=["parameters"]
ORDERS = None  # None: the sample shop; or a file with a customer column, e.g. "../../shared/data/online_retail.csv.xz"
CATALOG = None  # optional catalog file: names, categories, product families, prices, stock
MIN_SUPPORT = 0.005  # share of baskets; long baskets need more (Online Retail: 0.005 or higher)
BUY_AGAIN = 1  # places of an answer for the items a known customer buys again (0: none)
CART = None  # item ids, e.g. ["KET-BASIC"]; None: the most bought item
LIMIT = 3  # suggestions shown

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display

from recommender import Recommender, explore, mine

pd.set_option("display.max_colwidth", 100)
orders, catalog = explore.load_shop(ORDERS, CATALOG)
model = mine(orders, min_support=MIN_SUPPORT, catalog=catalog, buy_again=BUY_AGAIN)
summary = model.data.customers
if summary is None:
    raise SystemExit("these orders carry no customer id: there is nothing to show here")
baskets = model.baskets
display(Markdown(f"{len(summary.ids):,} customers, {len(baskets):,} orders."))

# %% [markdown]
# ## The value curve
#
# A customer's revenue is what their orders are worth at the catalog's prices (each distinct
# item of an order once, as the model counts it). The curve sorts customers from the best and
# shows the share of the revenue the best x% bring; the dot marks the customers the model names
# as "vital": the fewest whose revenue reaches 80%.

# %%
price = pd.Series({item: entry.price or 0.0 for item, entry in model.data.catalog.items()})
order_value = pd.Series([price.reindex(list(baskets.basket(i))).fillna(0.0).sum() for i in range(len(baskets))])
revenue = order_value.groupby(pd.Series(baskets.customers)).sum().reindex(list(summary.ids)).fillna(0.0)
ranked = revenue.sort_values(ascending=False)
customers_share = np.arange(1, len(ranked) + 1) / len(ranked)
revenue_share = ranked.cumsum().to_numpy() / ranked.sum()
vital_count = int(sum(summary.vital))
figure, axes = plt.subplots(figsize=(6, 4))
axes.plot(customers_share * 100, revenue_share * 100)
axes.plot([0, 100], [0, 100], linestyle=":", color="grey")
axes.scatter([customers_share[vital_count - 1] * 100], [revenue_share[vital_count - 1] * 100], color="red", zorder=3)
axes.set_xlabel("share of customers, best first (%)")
axes.set_ylabel("share of revenue (%)")
axes.set_title("The value curve")
display(figure)
plt.close(figure)
display(
    Markdown(
        f"The best **{vital_count / len(ranked):.0%}** of the customers ({vital_count:,}) bring "
        f"**{revenue_share[vital_count - 1]:.0%}** of the revenue."
    )
)

# %% [markdown]
# ## The segments
#
# From how recently and how often each customer ordered, each scored in thirds of the customers:
# **champion** (recent and frequent), **loyal** (frequent, not lapsed), **new** (one order,
# recently), **at risk** (frequent once, not lately), **lapsed** (not lately), **occasional**
# (the rest). `vital` counts those among the customers behind 80% of the revenue.

# %%
people = pd.DataFrame(
    {
        "segment": summary.segments,
        "vital": summary.vital,
        "revenue": revenue.to_numpy(),
        "items bought again": [len(items) for items in summary.repeats],
    },
    index=list(summary.ids),
)
segments = people.groupby("segment").agg(
    customers=("vital", "size"),
    vital=("vital", "sum"),
    revenue=("revenue", "sum"),
    mean_revenue=("revenue", "mean"),
    buying_again=("items bought again", lambda n: int((n > 0).sum())),
)
segments["share of revenue"] = (segments["revenue"] / segments["revenue"].sum()).round(3)
segments = segments.sort_values("revenue", ascending=False)
display(segments.round(2))

# %% [markdown]
# ## What each segment is offered for the same cart
#
# One customer of each segment (the one who buys the most items again) asks with the same cart.
# The items they buy again take the first place when the model gives them one (`BUY_AGAIN`),
# the cart's own suggestions the rest: the reason says which is which.

# %%
rec = Recommender(model.data)
if CART is not None:
    cart = list(CART)
else:
    cart = [model.data.items[int(np.argmax(model.data.item_counts))]]
rows = []
for segment in segments.index:
    members = people[people["segment"] == segment]
    customer = members["items bought again"].idxmax()
    answer = rec.recommend(cart, limit=LIMIT, customer_id=customer)
    for position, suggestion in enumerate(answer.items, start=1):
        rows.append(
            {
                "segment": segment,
                "customer": customer,
                "rank": position,
                "item": model.name_of(suggestion.item_id),
                "kind": "bought again" if suggestion.reason.get("again") else suggestion.kind,
                "reason": suggestion.reason.get("text", ""),
            }
        )
offers = pd.DataFrame(rows)
display(Markdown("The cart: " + ", ".join(f"**{model.name_of(i)}** (`{i}`)" for i in cart)))
display(offers)
again = offers[offers["kind"] == "bought again"]
display(
    Markdown(
        f"{again['segment'].nunique()} of the {len(segments)} segments' customers see an item they buy again first; "
        "without a customer id every segment sees the cart's own suggestions. Measured on real shops "
        "(`benchmarks/README.md`, Customers), items bought again help where customers restock (groceries) "
        "and cost where each order is new (Online Retail): mine with `buy_again` only where they help."
    )
)
