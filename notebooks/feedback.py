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
# # Do the suggestions sell?
#
# The service records what it suggested; the shop sends back what shoppers saw, added to their
# cart and bought (`POST /v1/events`); a small **control** group of shoppers gets no suggestions.
# `recommender report` (here `feedback_report()`) turns that into the figures below: how often a
# suggestion is taken (**attach rate**), by position and by kind, which products are taken and
# which are ignored, the revenue they bring per 1,000 suggestions shown, and whether orders of
# shoppers who saw suggestions are bigger than those of the control group (**uplift**).
#
# **The traffic here is simulated.** This notebook has no shop to listen to, so it makes up one
# day: shoppers whose carts are real baskets of the sample shop, a checkout that asks the real
# model for three suggestions, and shoppers who take each suggestion with a probability *we*
# chose (hidden from the report). Every answer and event goes into a temporary SQLite events
# store through the same code the service uses, and the report reads it back. With your shop's
# store, skip the simulation: `report = feedback_report("sqlite:///events.db")` (or a
# `postgresql://` URL) and run the cells from "The report" on.

# %% tags=["parameters"]
ORDERS = None  # None: the sample shop; or a file of orders whose baskets the simulated shoppers carry
CATALOG = None  # optional catalog file (names and prices)
MIN_SUPPORT = 0.001
MIN_CONFIDENCE = 0.1
MAX_LEN = 3
SESSIONS = 800  # simulated checkouts, one order each
HOLDOUT_SHARE = 0.2  # share of sessions in the control arm (the service's --holdout-share)
SMALL_HOLDOUT_SHARE = 0.05  # a second simulated day with a production-sized control arm, to compare
SEED = 0  # the simulation's seed: the same seed, the same day
# The hidden behaviour: the chance a shopper adds a suggestion, by kind, times a factor by position.
TAKE = {"cross_sell": 0.12, "upgrade": 0.06, "popular": 0.04}
POSITION_FACTOR = [1.0, 0.7, 0.5]
MIN_IMPRESSIONS = 20  # an item needs this many impressions to be ranked among the most and least taken

# %%
# %matplotlib inline
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display
from scipy import stats

from recommender import Recommender, explore, mine
from recommender.feedback import (
    Event,
    EventStore,
    OrderLine,
    Served,
    assign_arm,
    cart_items_behind,
    feedback_report,
)
from recommender.io import read_baskets

pd.set_option("display.width", 200)
orders, catalog = explore.load_shop(ORDERS, CATALOG)
model = mine(orders, min_support=MIN_SUPPORT, min_confidence=MIN_CONFIDENCE, max_len=MAX_LEN, catalog=catalog)
rec = Recommender(model.data)

# The baskets shoppers carry to the checkout: the shop's orders as the model reads them (returns,
# postage and vouchers left out), one of each product, at the price the orders show.
read = read_baskets(orders)
baskets = [list(read.basket(i)) for i in range(len(read))]
prices = read.catalog["price"].dropna().astype(float).to_dict() if read.catalog is not None else {}
display(Markdown(f"The model: **{len(model.rules):,} rules** from **{len(baskets):,} baskets**."))

# %% [markdown]
# ## A simulated day of traffic
#
# For each of `SESSIONS` sessions: a real basket drawn at random is the cart (one of each
# product); the session's arm comes from the service's own hash of its id (`assign_arm`, a share
# `HOLDOUT_SHARE` in control). A treated cart gets the model's three suggestions
# (`Recommender.recommend`, what the service answers); the service logs the answer, and the shop
# reports an `impression` of what it showed. The shopper adds each suggestion with the hidden
# probability `TAKE[kind] × POSITION_FACTOR[position]` × an appeal of the product (drawn once per
# product, between 0.5 and 1.5); an added upgrade replaces the product it upgrades. Then everyone
# pays: a `purchase` with the lines and prices.
# A control cart is answered with no suggestions, so nothing is shown or added.
#
# The simulation also keeps what it *expected* each treated order to gain from the hidden
# probabilities: the true uplift, which a real shop never knows and the report has to estimate.


# %%
def simulate_day(url: str, *, share: float, seed: int) -> dict[str, float]:
    """Write one simulated day into the events store at ``url``; returns the true figures."""
    rng = np.random.default_rng(seed)
    appeal = {item: rng.uniform(0.5, 1.5) for item in sorted(prices)}
    store = EventStore(url)
    start = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    events: list[Event] = []
    served: list[Served] = []
    expected_value, expected_items, treated = 0.0, 0.0, 0
    for k in range(SESSIONS):
        session = f"s{seed}-{k:05d}"
        arm = assign_arm(session, share=share)
        basket = baskets[rng.integers(len(baskets))]
        cart = list(basket)
        at = start + timedelta(seconds=float(k) * 12 * 3600 / SESSIONS)  # spread over 12 hours
        answer = rec.recommend(cart, limit=3)
        shown = answer.items if arm == "treatment" else ()  # the control arm gets no suggestions
        recommendation = f"r{seed}-{k:05d}"
        served.append(
            Served(
                recommendation_id=recommendation,
                at=at,
                session_id=session,
                arm=arm,
                model_id=answer.model.get("id", ""),
                items=tuple((s.item_id, s.kind) for s in shown),
                because=tuple(cart_items_behind(s.reason) for s in shown),
            )
        )
        bought = {item: (1, prices.get(item, 0.0)) for item in basket}
        treated += arm == "treatment"
        if shown:
            events.append(
                Event(
                    type="impression",
                    session_id=session,
                    at=at,
                    arm=arm,
                    recommendation_id=recommendation,
                    items=tuple(s.item_id for s in shown),
                )
            )
        for position, suggestion in enumerate(shown):
            price = float(suggestion.price or prices.get(suggestion.item_id, 0.0))
            chance = min(
                1.0, TAKE.get(suggestion.kind, 0.04) * POSITION_FACTOR[position] * appeal.get(suggestion.item_id, 1.0)
            )
            replaces = suggestion.reason.get("replaces") if suggestion.kind == "upgrade" else None
            quantity = bought[replaces][0] if replaces in bought else 1
            gain = price * quantity - (bought[replaces][0] * bought[replaces][1] if replaces in bought else 0.0)
            expected_value += chance * gain
            expected_items += chance * (0 if replaces in bought else 1)
            if rng.random() < chance:
                events.append(
                    Event(
                        type="add_to_cart",
                        session_id=session,
                        at=at + timedelta(seconds=20),
                        arm=arm,
                        recommendation_id=recommendation,
                        item_id=suggestion.item_id,
                    )
                )
                bought.pop(replaces, None)
                bought[suggestion.item_id] = (quantity, price)
        events.append(
            Event(
                type="purchase",
                session_id=session,
                at=at + timedelta(minutes=3),
                arm=arm,
                order_id=f"A-{seed}-{k:05d}",
                lines=tuple(
                    OrderLine(item_id=item, price=price, quantity=quantity)
                    for item, (quantity, price) in bought.items()
                ),
            )
        )
        if len(events) >= 200 or k == SESSIONS - 1:  # the shop posts its events in batches
            store.append(events)
            store.append_served(served)
            events, served = [], []
    store.close()
    return {"basket_value": expected_value / treated, "items_per_order": expected_items / treated}


folder = tempfile.TemporaryDirectory(prefix="recommender-feedback-")
url = f"sqlite:///{Path(folder.name) / 'events.db'}"
truth = simulate_day(url, share=HOLDOUT_SHARE, seed=SEED)
store = EventStore(url)
stored = pd.DataFrame(store.events())
display(
    Markdown(
        f"Simulated: **{SESSIONS:,} sessions**, {stored['session_id'][stored['arm'] == 'control'].nunique():,} "
        f"of them in control; {len(stored):,} events stored: "
        + ", ".join(f"{n:,} {kind}" for kind, n in stored["type"].value_counts().items())
        + "."
    )
)

# %% [markdown]
# ## The report
#
# `feedback_report(store)` reads the events (here all of them; `since=` and `until=` choose a
# window) and the service's log of what it answered.

# %%
report = feedback_report(store)
print(report.to_table())

# %% [markdown]
# ## Attach rate by position and by kind
#
# The attach rate is the share of suggestions shown that the shopper added to the cart from the
# suggestion. The black lines are 95% intervals (Wilson's, from scipy): the range the true rate
# lies in, given how many impressions there were; a bar over few impressions has a long line and
# says little. Here the hidden chances fall with the position (`POSITION_FACTOR`), and the report
# finds that back.
# `cross_sell` are products bought with the cart's, `upgrade` a better product of the same
# family, `popular` best sellers filling in where the rules had too little to say.


# %%
def wilson(added: int, shown: int) -> tuple[float, float]:
    """The 95% Wilson interval of added / shown (scipy's)."""
    if shown == 0:
        return (0.0, 0.0)
    interval = stats.binomtest(added, shown).proportion_ci(confidence_level=0.95, method="wilson")
    return (float(interval.low), float(interval.high))


def attach_frame(rates: dict) -> pd.DataFrame:
    frame = pd.DataFrame(
        [{"key": str(key), "impressions": r.impressions, "add_to_cart": r.add_to_cart, "attach_rate": r.attach_rate}
         for key, r in rates.items()]
    )  # fmt: skip
    bounds = [wilson(a, n) for a, n in zip(frame["add_to_cart"], frame["impressions"], strict=True)]
    frame["ci95_low"] = [low for low, _ in bounds]
    frame["ci95_high"] = [high for _, high in bounds]
    return frame


by_position, by_kind = attach_frame(report.by_position), attach_frame(report.by_kind)
figure, axes = plt.subplots(1, 2, figsize=(10, 3.8))
for ax, frame, title in ((axes[0], by_position, "by position"), (axes[1], by_kind, "by kind")):
    errors = [frame["attach_rate"] - frame["ci95_low"], frame["ci95_high"] - frame["attach_rate"]]
    ax.bar(frame["key"], frame["attach_rate"], yerr=errors, capsize=4, color="tab:blue")
    for x, (rate, n) in enumerate(zip(frame["attach_rate"], frame["impressions"], strict=True)):
        ax.annotate(f"{rate:.1%}\n{n:,} shown", (x, 0), xytext=(0, 4), textcoords="offset points", ha="center",
                    color="white", fontsize=8)  # fmt: skip
    ax.set_title(f"Attach rate {title}")
    ax.yaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
axes[0].set_xlabel("position in the answer (1 = first)")
figure.tight_layout()
display(figure)
plt.close(figure)
display(by_position.round(4), by_kind.round(4))

# %% [markdown]
# ## The products most and least taken
#
# Attach rate per suggested product, among those shown at least `MIN_IMPRESSIONS` times (a
# product shown five times and taken once is luck, not a finding). A product shown often and
# rarely taken is a candidate to block or to show lower; one often taken, a candidate for the
# product page too.

# %%
items = attach_frame(report.by_item).rename(columns={"key": "item_id"})
items.insert(1, "name", items["item_id"].map(model.name_of))
ranked = items[items["impressions"] >= MIN_IMPRESSIONS].sort_values(["attach_rate", "impressions"], ascending=False)
display(
    Markdown(
        f"{len(ranked)} of {len(items)} suggested products were shown at least {MIN_IMPRESSIONS} times. Most taken:"
    )
)
display(ranked.head(8).round(4))
display(Markdown("Least taken:"))
display(ranked.tail(8).iloc[::-1].round(4))

# %% [markdown]
# ## The rules most taken
#
# The same by rule: the cart items a suggestion was shown because of, then the item
# (`"milk + tea -> cup"`; an upgrade's rule names the item it replaces). A product taken often
# after one cart item and ignored after another shows here, not in the table above.

# %%
rules = attach_frame(report.by_rule).rename(columns={"key": "rule"})
display(
    rules[rules["impressions"] >= MIN_IMPRESSIONS]
    .sort_values(["add_to_cart", "impressions"], ascending=False)
    .head(8)
    .round(4)
)

# %% [markdown]
# ## Revenue per 1,000 impressions
#
# What the suggestions sold: the price × quantity of purchased lines that were added from a
# suggestion, per 1,000 suggestions shown. It compares models, placements and periods of
# different traffic on one scale.

# %%
display(
    Markdown(
        f"**{report.revenue_per_1000_impressions:,.2f} per 1,000 impressions**: {report.attributed_revenue:,.2f} "
        f"of revenue from suggestions over {report.overall.impressions:,} impressions "
        f"(overall attach rate {report.overall.attach_rate:.1%})."
    )
)

# %% [markdown]
# ## Uplift: bigger orders with suggestions than without?
#
# For each order, its value and its number of items; the mean of the treated orders minus that
# of the control orders, with the 95% interval of Welch's t test. Read the interval as the range
# of uplifts the data are consistent with: when it lies above zero, the suggestions made orders
# bigger; when it straddles zero, this much traffic cannot tell an uplift from chance. Its width
# depends mostly on the **smaller** arm: the same day with a 5% control group (the second bar of
# each panel, a second simulated day) gives a wider interval than with 20%, and
# the half-width shrinks only with the square root of the orders: halving it takes four times the
# traffic. The red mark is
# the true uplift the simulation built in, which a real shop never sees.

# %%
small_url = f"sqlite:///{Path(folder.name) / 'events-small-holdout.db'}"
small_truth = simulate_day(small_url, share=SMALL_HOLDOUT_SHARE, seed=SEED + 1)
small = feedback_report(small_url)
rows = []
for label, result, true in ((f"{HOLDOUT_SHARE:.0%} control", report, truth),
                            (f"{SMALL_HOLDOUT_SHARE:.0%} control", small, small_truth)):  # fmt: skip
    for name in ("basket_value", "items_per_order"):
        uplift = getattr(result, name)
        rows.append({"holdout": label, "figure": name, "treatment": uplift.treatment, "control": uplift.control,
                     "difference": uplift.difference, "ci95_low": uplift.ci95[0], "ci95_high": uplift.ci95[1],
                     "true_uplift": true[name], "orders_treatment": uplift.orders_treatment,
                     "orders_control": uplift.orders_control})  # fmt: skip
uplift = pd.DataFrame(rows)
figure, axes = plt.subplots(1, 2, figsize=(10, 3.8))
for ax, (name, frame) in zip(axes, uplift.groupby("figure", sort=True), strict=True):
    x = np.arange(len(frame))
    errors = [frame["difference"] - frame["ci95_low"], frame["ci95_high"] - frame["difference"]]
    ax.errorbar(x, frame["difference"], yerr=errors, fmt="o", capsize=6, color="tab:blue", label="estimate, 95% CI")
    ax.scatter(x, frame["true_uplift"], marker="_", s=400, color="tab:red", label="true (simulated)", zorder=3)
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set_xticks(
        x, [f"{h}\n({c:,} control orders)" for h, c in zip(frame["holdout"], frame["orders_control"], strict=True)]
    )
    ax.set_xlim(-0.6, len(frame) - 0.4)
    ax.set_title(f"Uplift of {name.replace('_', ' ')}, treatment - control")
axes[0].legend(loc="upper left", fontsize=8)
figure.tight_layout()
display(figure)
plt.close(figure)
display(uplift.round(3))

# %%
main = uplift[uplift["holdout"] == f"{HOLDOUT_SHARE:.0%} control"].set_index("figure")
sentences = []
for name, unit in (("basket_value", "basket value"), ("items_per_order", "items per order")):
    row = main.loc[name]
    if row["ci95_low"] > 0:
        verdict = "above zero: on this traffic, orders with suggestions were bigger"
    elif row["ci95_high"] < 0:
        verdict = "below zero: on this traffic, orders with suggestions were smaller"
    else:
        verdict = "it includes zero: this traffic cannot tell an uplift from chance"
    true = row["true_uplift"]
    if row["ci95_low"] <= true <= row["ci95_high"]:
        truth_told = f"it covers the true uplift the simulation built in, {true:+,.2f}"
    else:
        truth_told = (
            f"it misses the true uplift the simulation built in, {true:+,.2f}: a 95% interval does on about one "
            "day in twenty, and a few very large orders landing in one arm are enough"
        )
    sentences.append(
        f"- {unit.capitalize()}: treated orders **{row['treatment']:,.2f}**, control orders **{row['control']:,.2f}**: "
        f"uplift **{row['difference']:+,.2f}**, 95% interval [{row['ci95_low']:+,.2f}, {row['ci95_high']:+,.2f}] "
        f"({verdict}); {truth_told}."
    )
widths = uplift.assign(width=uplift["ci95_high"] - uplift["ci95_low"]).pivot(
    index="figure", columns="holdout", values="width"
)
ratio = widths[f"{SMALL_HOLDOUT_SHARE:.0%} control"] / widths[f"{HOLDOUT_SHARE:.0%} control"]
sentences.append(
    f"- With a {SMALL_HOLDOUT_SHARE:.0%} control group the intervals are {ratio['basket_value']:.1f} and "
    f"{ratio['items_per_order']:.1f} times as wide: a small control arm withholds suggestions from few shoppers, "
    "but it needs more days of traffic to prove as much (halving an interval takes four times the orders)."
)
display(Markdown("\n".join(sentences)))

# %% [markdown]
# The temporary events stores are deleted here.

# %%
store.close()
folder.cleanup()
