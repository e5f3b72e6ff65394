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
# # Choosing the thresholds
#
# Mining keeps a rule when it is common enough (**minimum support**: the share of baskets
# that must hold it), reliable enough (**minimum confidence**) and short enough (**max_len**:
# items per rule). Lower thresholds give more rules, suggestions for more products, and a
# bigger, noisier model; higher ones give fewer, sturdier rules. This notebook tries a grid of
# thresholds and measures, for each:
#
# - **rules**: how many rules mining finds;
# - **coverage**: the share of the shop's products that at least one rule can suggest;
# - **hit rate**: a quick check of usefulness. A random 20% of the baskets is held back; the
#   rules are mined from the other 80%. From each held-back basket of two or more products one
#   product is hidden and the checkout is asked for three cross-sell suggestions for the rest:
#   a hit when the hidden product is among them. It is a quick proxy, not a full evaluation
#   (that comes with the `evaluate` command): it rewards the rules for guessing what the
#   customer bought anyway.
#
# It runs on the built-in sample shop; set `ORDERS` to use your own orders (with long baskets,
# like Online Retail's 25 items on average, start the supports at 0.005).

# %% tags=["parameters"]
ORDERS = None  # None: the sample shop; or a file, e.g. "../../shared/data/online_retail.csv.xz"
CATALOG = None  # optional catalog file
SUPPORTS = [0.001, 0.002, 0.005, 0.01, 0.02]
CONFIDENCES = [0.1, 0.2, 0.4]
MAX_LENS = [2, 3]
TEST_SHARE = 0.2  # share of baskets held back to measure the hit rate
SEED = 0  # the random split; change it to see how much the hit rate moves by chance
TOLERANCE = 0.01  # hit rate a smaller model may give up against the best (0.01: one point)

# %%
# %matplotlib inline
import pandas as pd
from IPython.display import Markdown, display

from recommender import explore

pd.set_option("display.width", 200)
orders, catalog = explore.load_shop(ORDERS, CATALOG)
sweep = explore.threshold_sweep(orders, supports=SUPPORTS, confidences=CONFIDENCES, max_lens=MAX_LENS,
                                catalog=catalog, test_share=TEST_SHARE, seed=SEED)  # fmt: skip
display(
    Markdown(
        f"{sweep.attrs['baskets']:,} baskets; {sweep.attrs['test_baskets']:,} held back, of which "
        f"{int(sweep['test_cases'].iloc[0]):,} have two products or more (the test cases)."
    )
)
sweep

# %% [markdown]
# ## The trade-off in pictures
#
# One line per confidence and max_len. Rules fall fast as the support rises; coverage and hit
# rate fall with them, but not always as fast: where the hit rate stays flat, the extra rules
# of the lower support add little.

# %%
explore.plot_sweep(sweep)

# %% [markdown]
# ## Rules and hit rate by support and confidence
#
# With rules of up to three items (or the longest `max_len` tried).

# %%
longest = sweep[sweep["max_len"] == max(MAX_LENS)]
display(
    longest.pivot(index="min_support", columns="min_confidence", values="rules").rename_axis(
        index="min_support", columns="rules at min_confidence"
    )
)
longest.pivot(index="min_support", columns="min_confidence", values="hit_rate").round(3).rename_axis(
    index="min_support", columns="hit rate at min_confidence"
)

# %% [markdown]
# ## What the numbers say
#
# The best hit rate, and the smallest model (fewest rules) that comes within `TOLERANCE` of it:
# the thresholds worth using, since fewer rules are faster to serve and easier to check.

# %%
best = sweep.sort_values(["hit_rate", "rules"], ascending=[False, True]).iloc[0]
good = sweep[sweep["hit_rate"] >= best["hit_rate"] - TOLERANCE]
pick = good.sort_values(["rules", "hit_rate"], ascending=[True, False]).iloc[0]
by_len = sweep.groupby("max_len")["hit_rate"].max()
lines = [
    f"- The best hit rate is **{best['hit_rate']:.1%}** (support {best['min_support']:g}, confidence "
    f"{best['min_confidence']:g}, max_len {int(best['max_len'])}: {int(best['rules']):,} rules, "
    f"{best['coverage']:.0%} of the products covered)."
]
if pick.name == best.name:
    lines.append(f"- No smaller model comes within {TOLERANCE:.0%} of it: these are the thresholds to use.")
else:
    lines.append(
        f"- Within {TOLERANCE:.0%} of it, the smallest model is support **{pick['min_support']:g}**, confidence "
        f"**{pick['min_confidence']:g}**, max_len **{int(pick['max_len'])}**: {int(pick['rules']):,} rules "
        f"({pick['rules'] / max(best['rules'], 1):.0%} of the best's), hit rate {pick['hit_rate']:.1%}, "
        f"coverage {pick['coverage']:.0%}: the thresholds worth using."
    )
if len(by_len) > 1:
    lines.append(
        "- Longer rules "
        + ("help" if by_len.iloc[-1] > by_len.iloc[0] + TOLERANCE else "add little")
        + ": the best hit rate is "
        + ", ".join(f"{v:.1%} at max_len {k}" for k, v in by_len.items())
        + "."
    )
strictest = sweep.sort_values(["min_support", "min_confidence", "max_len"]).iloc[-1]
verdict = (
    "too strict, the hit rate has dropped"
    if strictest["hit_rate"] < best["hit_rate"] - TOLERANCE
    else "as good as the best, so higher thresholds may do"
)
lines.append(
    f"- At the strictest thresholds tried (support {strictest['min_support']:g}, confidence "
    f"{strictest['min_confidence']:g}) {int(strictest['rules']):,} rules remain, hit rate "
    f"{strictest['hit_rate']:.1%}: {verdict}."
)
display(Markdown("\n".join(lines)))
