"""Pandas views and matplotlib plots of a model, for merchandisers working in Jupyter.

Everything here takes a :class:`~recommender.model.Model` (and, for what the checkout shows, a
:class:`~recommender.ranking.Recommender` built on it) and returns a new DataFrame or a
:class:`matplotlib.figure.Figure`; nothing is drawn on screen, printed or mutated. Figures are
made without pyplot, so they work on any backend (Agg included) and are displayed by Jupyter
when a cell returns them.

>>> from recommender import Recommender, mine
>>> model = mine([["tea", "kettle"], ["tea", "kettle"], ["tea"], ["mug"]], min_support=0.5)
>>> rules_table(model)[["if_bought", "then_bought", "confidence", "lift"]].to_dict("records")
[{'if_bought': 'kettle', 'then_bought': 'tea', 'confidence': 1.0, 'lift': 1.3333333333333333}, {'if_bought': 'tea', 'then_bought': 'kettle', 'confidence': 0.6666666666666666, 'lift': 1.3333333333333333}]
"""  # noqa: E501

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .artifact import ModelData, RuleCounts
from .config import RankingConfig
from .exceptions import ConfigError, MissingDependencyError
from .model import Model
from .ranking import Recommender

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .io import OrdersInput
    from .io.baskets import Baskets

__all__ = [
    "SORTABLE",
    "REASONS",
    "load_shop",
    "rules_table",
    "top_bundles",
    "attach_rates",
    "plot_rules_scatter",
    "plot_rule_graph",
    "threshold_sweep",
    "plot_sweep",
    "preview_cart",
    "explain_filtered",
    "upgrade_paths",
    "plot_upgrade_paths",
]

SORTABLE = ("lift", "confidence", "support", "count", "leverage", "conviction")

#: Why a candidate was not shown, in the order the checks are made (the first that applies wins).
REASONS = {
    "in_cart": "already in the cart",
    "excluded": "excluded by the caller",
    "blocked": "blocked by the shop's configuration",
    "out_of_stock": "out of stock",
    "inactive": "inactive in the catalog (discontinued)",
    "weak_rule": "its rules' lift is below the ranking's min_lift",
    "kind_not_asked": "its kind of suggestion was not asked for",
    "substitute": "same product family as a cart item: a substitute, not a complement",
    "kind_cap": "the answer already holds as many of its kind as allowed",
    "diversity": "the answer already holds an item of its category",
    "below_cut": "ranked below the items shown",
}

_SEP = " + "


# -- data --------------------------------------------------------------------------------------


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
    from .sample_shop import generate_sample_shop

    shop = generate_sample_shop(seed=seed)
    return shop.orders, shop.catalog if catalog is None else catalog


def _categories(model: Model) -> dict[str, str | None]:
    return {item: entry.category for item, entry in model.data.catalog.items()}


def _resolve(model: Model, item: str) -> str:
    """An item id from an id or an exact catalog name (strict: offline code raises)."""
    key = str(item).strip()
    if key in model.data.catalog or key in set(model.data.items):
        return key
    by_name = [i for i, entry in model.data.catalog.items() if entry.name == key]
    if len(by_name) == 1:
        return by_name[0]
    raise ConfigError(f"item {item!r} is neither an item id nor the name of one product; pick one of model.items.")


def rules_table(
    model: Model,
    *,
    item: str | None = None,
    category: str | None = None,
    min_lift: float | None = None,
    min_confidence: float | None = None,
    min_support: float | None = None,
    min_count: int | None = None,
    sort: str = "lift",
    top: int | None = None,
) -> pd.DataFrame:
    """The rules with product names, filtered and sorted, one row per rule.

    Parameters
    ----------
    model : Model
    item : str, optional
        Keep rules where this item (an id or an exact product name) is on either side.
    category : str, optional
        Keep rules whose consequent (the suggested item) is of this catalog category.
    min_lift, min_confidence, min_support, min_count : optional
        Inclusive floors on the rule's metrics and basket count.
    sort : {"lift", "confidence", "support", "count", "leverage", "conviction"}
        Sorted descending by this, then by confidence, count and the item ids.
    top : int, optional
        Keep the first ``top`` rows.

    Returns
    -------
    pandas.DataFrame
        ``if_bought`` (antecedent names joined by " + "), ``then_bought`` (consequent name),
        ``antecedents``, ``consequent``, ``category`` (of the consequent), ``count``,
        ``support``, ``confidence``, ``lift``, ``leverage``, ``conviction``.

    Examples
    --------
    >>> from recommender import mine
    >>> model = mine([["tea", "kettle"], ["tea", "kettle"], ["tea"], ["mug", "cake"], ["mug", "cake"]],
    ...              min_support=0.4)
    >>> rules_table(model, item="kettle", sort="confidence")[["antecedents", "consequent", "confidence"]]
      antecedents consequent  confidence
    0   (kettle,)        tea    1.000000
    1      (tea,)     kettle    0.666667
    """
    if sort not in SORTABLE:
        raise ConfigError(f"sort must be one of {SORTABLE}, got {sort!r}.")
    rules = model.rules
    keep = np.ones(len(rules), dtype=bool)
    if item is not None:
        wanted = _resolve(model, item)
        keep &= np.asarray([c == wanted or wanted in a for a, c in zip(rules["antecedents"], rules["consequent"])],
                           dtype=bool)  # fmt: skip
    categories = _categories(model)
    category_of = rules["consequent"].map(lambda c: categories.get(c))
    if category is not None:
        keep &= (category_of == category).to_numpy(dtype=bool)
    for column, floor in (("lift", min_lift), ("confidence", min_confidence), ("support", min_support),
                          ("count", min_count)):  # fmt: skip
        if floor is not None:
            keep &= (rules[column] >= floor).to_numpy(dtype=bool)
    table = pd.DataFrame(
        {
            "if_bought": [_SEP.join(names) for names in rules["antecedent_names"]],
            "then_bought": rules["consequent_name"],
            "antecedents": rules["antecedents"],
            "consequent": rules["consequent"],
            "category": category_of,
            **{c: rules[c] for c in ("count", "support", "confidence", "lift", "leverage", "conviction")},
        }
    )[keep]
    # Full key: the metric, then confidence and count, then the ids (determinism).
    keys = {"confidence": ["confidence", "lift", "count"], "count": ["count", "confidence", "lift"]}.get(
        sort, [sort, "confidence", "count"]
    )
    table = table.assign(_a=table["antecedents"].map(_SEP.join)).sort_values(
        [*keys, "_a", "consequent"], ascending=[False, False, False, True, True], kind="mergesort"
    )
    table = table.drop(columns="_a").reset_index(drop=True)
    return table if top is None else table.head(top).reset_index(drop=True)


def top_bundles(model: Model, recommender: Recommender, n: int = 10) -> pd.DataFrame:
    """The product-page bundle of the most popular products, one row per distinct bundle.

    Products are taken by popularity; a bundle already listed for a more popular product
    (the same set of items) is not listed again.

    Returns
    -------
    pandas.DataFrame
        ``product``, ``product_name``, ``bundle`` (names joined by " + "), ``items``,
        ``baskets`` (holding the whole bundle), ``confidence`` (share of the product's baskets),
        ``lift``, ``total_price``, ``bundle_price``.

    Examples
    --------
    >>> from recommender import Recommender, mine
    >>> model = mine([["tea", "kettle"], ["tea", "kettle"], ["tea"], ["mug"]], min_support=0.5)
    >>> top_bundles(model, Recommender(model.data))[["product", "items", "baskets", "confidence"]]
      product          items  baskets  confidence
    0     tea  (tea, kettle)        2    0.666667
    """
    if n < 1:
        raise ConfigError(f"n must be at least 1, got {n!r}.")
    rows: list[dict[str, Any]] = []
    seen: set[frozenset[str]] = set()
    for item_id in model.items["item_id"]:
        bundle = recommender.bundle(item_id)
        if not bundle.found or frozenset(bundle.items) in seen:
            continue
        seen.add(frozenset(bundle.items))
        rows.append(
            {
                "product": item_id,
                "product_name": bundle.names[0],
                "bundle": _SEP.join(bundle.names),
                "items": bundle.items,
                "baskets": bundle.baskets,
                "confidence": bundle.confidence,
                "lift": bundle.lift,
                "total_price": bundle.total_price,
                "bundle_price": bundle.bundle_price,
            }
        )
        if len(rows) == n:
            break
    columns = ["product", "product_name", "bundle", "items", "baskets", "confidence", "lift", "total_price",
               "bundle_price"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def attach_rates(model: Model, item: str) -> pd.DataFrame:
    """What drives a product's attach rate: the rules that suggest it, strongest evidence first.

    ``share_of_item_baskets`` is the share of the item's baskets that also held the rule's
    antecedent (rule count / item count): how much of the item's sales each antecedent goes
    with. Shares of different antecedents overlap (one basket can hold several), so they do
    not add up to one. The table's ``attrs`` hold the item, its name and its basket count.

    Examples
    --------
    >>> from recommender import mine
    >>> model = mine([["tea", "kettle"], ["tea", "kettle"], ["tea", "mug"], ["tea"]], min_support=0.25)
    >>> drivers = attach_rates(model, "tea")
    >>> drivers[["if_bought", "count", "confidence", "share_of_item_baskets"]]
      if_bought  count  confidence  share_of_item_baskets
    0    kettle      2         1.0                   0.50
    1       mug      1         1.0                   0.25
    >>> drivers.attrs["item_baskets"]
    4
    """
    item_id = _resolve(model, item)
    rules = model.rules
    mine_ = rules[rules["consequent"] == item_id]
    items = list(model.data.items)
    item_count = int(model.data.item_counts[items.index(item_id)]) if item_id in items else 0
    table = pd.DataFrame(
        {
            "if_bought": [_SEP.join(n) for n in mine_["antecedent_names"]],
            "antecedents": mine_["antecedents"],
            "count": mine_["count"],
            "antecedent_count": mine_["antecedent_count"],
            "confidence": mine_["confidence"],
            "lift": mine_["lift"],
            "share_of_item_baskets": mine_["count"] / item_count if item_count else mine_["count"] * 0.0,
        }
    )
    table = table.assign(_a=table["antecedents"].map(_SEP.join)).sort_values(
        ["count", "confidence", "_a"], ascending=[False, False, True], kind="mergesort"
    )
    table = table.drop(columns="_a").reset_index(drop=True)
    table.attrs.update(item=item_id, name=model.name_of(item_id), item_baskets=item_count)
    return table


# -- plots -------------------------------------------------------------------------------------


def _figure(width: float, height: float) -> Figure:
    # A bare Figure, not pyplot: no global state, no window, the same on every backend.
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise MissingDependencyError(
            "the plots need matplotlib, which is not installed: pip install 'recommender[notebooks]'."
        ) from None
    return Figure(figsize=(width, height), layout="constrained")


def plot_rules_scatter(rules: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Support against confidence of every rule, coloured by lift (with a colour bar).

    ``rules`` is ``model.rules`` or a :func:`rules_table` (any frame with ``support``,
    ``confidence`` and ``lift`` columns).

    Examples
    --------
    >>> from recommender import mine
    >>> fig = plot_rules_scatter(mine([["tea", "kettle"], ["tea"]], min_support=0.5).rules)
    >>> ax = fig.axes[0]
    >>> ax.get_xlabel(), ax.get_ylabel(), fig.axes[1].get_ylabel()
    ('support (share of baskets)', 'confidence', 'lift')
    """
    fig = _figure(7, 4.5)
    ax = fig.add_subplot()
    order = np.argsort(rules["lift"].to_numpy())  # strongest drawn last, on top
    points = ax.scatter(
        rules["support"].to_numpy()[order],
        rules["confidence"].to_numpy()[order],
        c=rules["lift"].to_numpy()[order],
        cmap="viridis",
        s=14,
        alpha=0.8,
        edgecolors="none",
    )
    fig.colorbar(points, ax=ax, label="lift")
    if len(rules) and float(rules["support"].min()) > 0:
        ax.set_xscale("log")  # supports span decades; most rules sit near the threshold
    ax.set_xlabel("support (share of baskets)")
    ax.set_ylabel("confidence")
    ax.set_title(title or f"{len(rules):,} rules")
    ax.grid(alpha=0.3)
    return fig


def _short(text: str, width: int = 24) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def plot_rule_graph(rules: pd.DataFrame, top: int = 30, *, title: str | None = None) -> Figure:
    """The ``top`` rules of highest lift as a directed graph between products.

    Each node is a product, or a set of products bought together when a rule's antecedent has
    several (labelled "A + B"); an arrow goes from antecedent to consequent, coloured by lift.
    Nodes sit on a circle; drawn with matplotlib alone.

    Examples
    --------
    >>> from recommender import mine
    >>> fig = plot_rule_graph(mine([["tea", "kettle"], ["tea", "kettle"], ["mug"]], min_support=0.5).rules)
    >>> sorted(t.get_text() for t in fig.axes[0].texts if t.get_text())
    ['kettle', 'tea']
    """
    strongest = rules.sort_values(["lift", "confidence", "count"], ascending=False, kind="mergesort").head(top)
    edges: list[tuple[tuple[str, ...], tuple[str, ...], float]] = []
    labels: dict[tuple[str, ...], str] = {}
    for row in strongest.to_dict("records"):
        source: tuple[str, ...] = tuple(row["antecedents"])
        target: tuple[str, ...] = (row["consequent"],)
        # Names from model.rules or from rules_table(); ids when the frame has neither.
        if "antecedent_names" in row:
            label, name = _SEP.join(_short(str(n), 16) for n in row["antecedent_names"]), row["consequent_name"]
        elif "if_bought" in row:
            label, name = str(row["if_bought"]), row["then_bought"]
        else:
            label, name = _SEP.join(source), row["consequent"]
        labels.setdefault(source, _short(label, 30))
        labels.setdefault(target, _short(str(name)))
        edges.append((source, target, float(row["lift"])))
    fig = _figure(10, 9)
    ax = fig.add_subplot()
    ax.set_axis_off()
    fig.suptitle(title or f"the {len(edges)} rules of highest lift (arrow: if bought → then bought)")
    if not edges:
        ax.text(0.5, 0.5, "no rules to draw", ha="center", va="center", transform=ax.transAxes)
        return fig
    # Circular layout, clusters kept together: a breadth-first walk over the rules (and from a
    # set of products to its members) from the strongest rule on, so that products bought
    # together sit on one arc and most arrows stay short.
    neighbours: dict[tuple[str, ...], list[tuple[str, ...]]] = {n: [] for n in labels}
    for start, end, _ in edges:
        neighbours[start].append(end)
        neighbours[end].append(start)
        for member in start if len(start) > 1 else ():
            if (member,) in neighbours:
                neighbours[start].append((member,))
                neighbours[(member,)].append(start)
    nodes: list[tuple[str, ...]] = []
    for start in labels:
        queue = [start]
        while queue:
            node = queue.pop(0)
            if node not in nodes:
                nodes.append(node)
                queue.extend(n for n in neighbours[node] if n not in nodes)
    angle = {n: math.pi / 2 - 2 * math.pi * k / len(nodes) for k, n in enumerate(nodes)}
    position = {n: (math.cos(a), math.sin(a)) for n, a in angle.items()}
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    lifts = [lift for _, _, lift in edges]
    norm = Normalize(vmin=min(lifts), vmax=max(lifts) if max(lifts) > min(lifts) else min(lifts) + 1)
    cmap = colormaps["viridis"]
    for start, end, lift in sorted(edges, key=lambda e: e[2]):
        ax.annotate(
            "",
            xy=position[end],
            xytext=position[start],
            arrowprops={
                "arrowstyle": "-|>",
                "color": cmap(norm(lift)),
                "lw": 1.2,
                "shrinkA": 10,
                "shrinkB": 10,
                "connectionstyle": "arc3,rad=0.12",
                "alpha": 0.85,
            },
        )
    xs, ys = zip(*(position[n] for n in nodes))
    sizes = [90 if len(n) == 1 else 50 for n in nodes]
    ax.scatter(xs, ys, s=sizes, c=["#444" if len(n) == 1 else "#999" for n in nodes], zorder=3)
    for n in nodes:
        x, y = position[n]
        degrees = math.degrees(angle[n]) % 360
        right = x >= -1e-9
        ax.text(1.07 * x, 1.07 * y, labels[n], ha="left" if right else "right", va="center", fontsize=8,
                rotation=degrees if right else degrees - 180, rotation_mode="anchor")  # fmt: skip
    # Room for the labels: about 30 characters of 8 points, some 1.3 radii on this figure.
    ax.set_xlim(-2.45, 2.45)
    ax.set_ylim(-2.45, 2.45)
    ax.set_aspect("equal")
    fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, label="lift", shrink=0.6)
    return fig


# -- thresholds --------------------------------------------------------------------------------


def _subset(baskets: Baskets, rows: np.ndarray) -> Baskets:
    """The baskets of ``rows`` (sorted positions), keeping the vocabulary, customers and times."""
    starts, ends = baskets.indptr[rows], baskets.indptr[rows + 1]
    lengths = ends - starts
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    indices = np.concatenate([baskets.indices[s:e] for s, e in zip(starts, ends)]) if len(rows) else baskets.indices[:0]

    def pick(values: Sequence[Any] | None) -> tuple[Any, ...] | None:
        return None if values is None else tuple(values[int(i)] for i in rows)

    return replace(
        baskets,
        indptr=indptr,
        indices=indices,
        basket_ids=pick(baskets.basket_ids),
        customers=pick(baskets.customers),
        timestamps=None if baskets.timestamps is None else baskets.timestamps[rows],
        summary=replace(baskets.summary, baskets=len(rows)),
    )


def _at_confidence(data: ModelData, min_confidence: float) -> ModelData:
    """The model's rules of confidence at least ``min_confidence`` (mining's own arithmetic)."""
    rules = data.rules
    keep = [k for k in range(len(rules)) if rules.counts[k] / rules.antecedent_counts[k] >= min_confidence]
    return replace(
        data,
        rules=RuleCounts(
            antecedents=tuple(rules.antecedents[k] for k in keep),
            consequents=tuple(rules.consequents[k] for k in keep),
            counts=tuple(rules.counts[k] for k in keep),
            antecedent_counts=tuple(rules.antecedent_counts[k] for k in keep),
        ),
    )


def threshold_sweep(
    orders: OrdersInput,
    *,
    supports: Iterable[float] = (0.001, 0.002, 0.005, 0.01),
    confidences: Iterable[float] = (0.1, 0.2, 0.4),
    max_lens: Iterable[int] = (2, 3),
    catalog: str | pd.DataFrame | None = None,
    test_share: float = 0.2,
    seed: int = 0,
    limit: int = 3,
    config: RankingConfig | None = None,
    workers: int | None = None,
) -> pd.DataFrame:
    """Rule count, coverage and a quick held-out hit rate for every combination of thresholds.

    For each ``(min_support, max_len)`` the orders are mined once, at the lowest confidence;
    higher confidences keep a subset of those rules (the same rules mining would give).

    - ``rules``: rules mined from all the orders.
    - ``coverage``: share of the shop's items (catalog and orders) that at least one rule
      suggests (as its consequent); ``covered_items`` / ``shop_items``.
    - ``hit_rate``: a quick proxy of how useful the rules are, not a full evaluation. The
      baskets are split at random (``seed``) into ``1 - test_share`` to mine and
      ``test_share`` to test. In each test basket of two or more items one item, drawn at
      random once for all thresholds, is hidden; the rest is the cart, and it is a hit when
      ``Recommender.recommend(cart, limit=limit, kinds=["cross_sell"])`` suggests the hidden
      item. ``hits`` / ``test_cases``. Items the policy never shows (out of stock, of a cart
      item's family) cannot be hit, and popular items do not fill in.

    Examples
    --------
    >>> baskets = [["tea", "kettle"]] * 6 + [["mug", "cake"]] * 3 + [["tea"]]
    >>> sweep = threshold_sweep(baskets, supports=(0.2, 0.5), confidences=(0.5,), max_lens=(2,))
    >>> sweep[["min_support", "rules", "covered_items", "coverage"]]
       min_support  rules  covered_items  coverage
    0          0.2      4              4       1.0
    1          0.5      2              2       0.5
    """
    from .io import read_baskets
    from .mining import mine

    supports, confidences, max_lens = sorted(set(supports)), sorted(set(confidences)), sorted(set(max_lens))
    if not supports or not confidences or not max_lens:
        raise ConfigError("supports, confidences and max_lens each need at least one value.")
    if not 0 < test_share < 1:
        raise ConfigError(f"test_share must be between 0 and 1 (exclusive), got {test_share!r}.")
    baskets = read_baskets(orders)
    rng = np.random.default_rng(seed)
    n = len(baskets)
    order = rng.permutation(n)
    n_test = max(1, round(test_share * n))
    test_rows, train_rows = np.sort(order[:n_test]), np.sort(order[n_test:])
    train = _subset(baskets, train_rows)
    cases: list[tuple[list[str], str]] = []
    for row in test_rows:
        basket = list(baskets.basket(int(row)))
        if len(basket) >= 2:
            hidden = basket.pop(int(rng.integers(len(basket))))
            cases.append((basket, hidden))

    rows: list[dict[str, Any]] = []
    for max_len in max_lens:
        for support in supports:
            full, trained = (
                mine(
                    part,
                    min_support=support,
                    min_confidence=confidences[0],
                    max_len=max_len,
                    catalog=catalog,
                    workers=workers,
                )  # fmt: skip
                for part in (baskets, train)
            )
            shop_items = len(set(full.data.items) | set(full.data.catalog))
            for confidence in confidences:
                data = _at_confidence(full.data, confidence)
                covered = len(set(data.rules.consequents))
                rec = Recommender(_at_confidence(trained.data, confidence), config=config)
                hits = sum(
                    hidden in rec.recommend(cart, limit=limit, kinds=["cross_sell"]).item_ids for cart, hidden in cases
                )
                rows.append(
                    {
                        "min_support": support,
                        "min_confidence": confidence,
                        "max_len": max_len,
                        "rules": len(data.rules),
                        "covered_items": covered,
                        "shop_items": shop_items,
                        "coverage": covered / shop_items if shop_items else 0.0,
                        "test_cases": len(cases),
                        "hits": hits,
                        "hit_rate": hits / len(cases) if cases else float("nan"),
                    }
                )
    sweep = pd.DataFrame(rows).sort_values(["min_support", "min_confidence", "max_len"], ignore_index=True)
    sweep.attrs.update(baskets=n, test_baskets=n_test, limit=limit, seed=seed)
    return sweep


def plot_sweep(sweep: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Three panels against min_support: rule count (log scale), coverage, hit rate.

    One line per ``(min_confidence, max_len)``.

    Examples
    --------
    >>> sweep = pd.DataFrame({"min_support": [0.1, 0.2] * 2, "min_confidence": [0.1] * 4, "max_len": [2, 2, 3, 3],
    ...                       "rules": [9, 4, 12, 4], "coverage": [0.5, 0.25, 0.5, 0.25], "hit_rate": [0.3, 0.2] * 2})
    >>> [ax.get_ylabel() for ax in plot_sweep(sweep).axes]
    ['rules', 'coverage (share of items suggested)', 'hit rate']
    """
    fig = _figure(13, 4)
    panels = (("rules", "rules"), ("coverage", "coverage (share of items suggested)"), ("hit_rate", "hit rate"))
    axes = fig.subplots(1, 3)
    for ax, (column, label) in zip(axes, panels):
        # Colour by confidence, line style by max_len: lines that coincide stay visible.
        lengths = sorted(sweep["max_len"].unique())
        confidences = sorted(sweep["min_confidence"].unique())
        for (confidence, max_len), group in sweep.groupby(["min_confidence", "max_len"], sort=True):
            group = group.sort_values("min_support")
            ax.plot(
                group["min_support"],
                group[column],
                marker="o",
                color=f"C{confidences.index(confidence)}",
                linestyle=("-", "--", ":", "-.")[lengths.index(max_len) % 4],
                label=f"conf ≥ {confidence:g}, max_len {max_len}",
            )
        ax.set_xscale("log")
        ax.set_xlabel("min_support")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3, which="both")
        if column == "rules":
            ax.set_yscale("symlog", linthresh=10)  # log-like, and 0 rules still has a place
            ax.set_ylim(bottom=0)
        else:
            ax.set_ylim(0, max(0.05, float(np.nanmax(sweep[column].to_numpy(dtype=float), initial=0.0)) * 1.1))
    axes[-1].legend(fontsize=7)
    fig.suptitle(title or "the effect of the thresholds")
    return fig


# -- what the checkout shows -------------------------------------------------------------------


def preview_cart(
    recommender: Recommender,
    cart: Sequence[str],
    *,
    limit: int = 3,
    cart_total: float | None = None,
    **options: Any,
) -> pd.DataFrame:
    """What the checkout shows for ``cart``: one row per suggestion, in order, with its reason.

    ``options`` are passed to :meth:`Recommender.recommend` (``exclude``, ``kinds``,
    ``objective``). The table's ``attrs`` hold ``unknown_items`` and ``fallback``.

    Examples
    --------
    >>> from recommender import Recommender, mine
    >>> baskets = [["tea", "kettle"], ["tea", "kettle"], ["mug"], ["mug"], ["mug", "cake"]]
    >>> shown = preview_cart(Recommender(mine(baskets, min_support=0.2).data), ["kettle", "nope"], limit=2)
    >>> shown[["rank", "item_id", "kind", "score"]]
       rank item_id        kind  score
    0     1     tea  cross_sell    1.0
    1     2     mug     popular    0.6
    >>> shown.attrs["unknown_items"], shown.attrs["fallback"]
    (('nope',), 'popular')
    """
    answer = recommender.recommend(list(cart), limit=limit, cart_total=cart_total, **options)
    table = pd.DataFrame(
        [
            {
                "rank": rank,
                "item_id": s.item_id,
                "name": s.name or s.item_id,
                "kind": s.kind,
                "score": s.score,
                "price": s.price,
                "reason": s.reason.get("text", ""),
                # What the suggestion rests on: a rule, an upgrade, a back-off, popularity.
                "evidence": s.reason.get("backoff")
                or ("pinned" if "pinned" in s.reason else {"cross_sell": "rule"}.get(s.kind, s.kind)),
            }
            for rank, s in enumerate(answer.items, start=1)
        ],
        columns=["rank", "item_id", "name", "kind", "score", "price", "reason", "evidence"],
    )
    table.attrs.update(unknown_items=answer.unknown_items, fallback=answer.fallback)
    return table


def explain_filtered(
    recommender: Recommender,
    cart: Sequence[str],
    *,
    limit: int = 3,
    cart_total: float | None = None,
    exclude: Iterable[str] = (),
    kinds: Iterable[str] | None = None,
    objective: str | None = None,
) -> pd.DataFrame:
    """The candidates for ``cart`` that the checkout does not show, and why.

    Candidates are re-derived from the model: the consequent of every rule whose antecedent
    lies inside the cart (all of the model's rules, including those the ranking index leaves
    out at load time: into unsellable items, or of lift below ``min_lift``), and the upgrades
    of the cart's items. Each is checked against the policy's reasons in order, the first
    that applies is given (see :data:`REASONS`): ``in_cart``, ``excluded``, ``blocked``,
    ``out_of_stock``, ``inactive``, ``weak_rule``, ``kind_not_asked``, ``substitute``; the
    rest go through the ranking's own selection (same scores, order and caps), where a
    candidate is passed over for ``kind_cap`` or ``diversity``, or falls ``below_cut`` once
    the answer is full. Popular items that fill an answer are not candidates of the rules and
    are not listed.

    Returns
    -------
    pandas.DataFrame
        ``item_id``, ``name``, ``kind``, ``reason`` (a key of :data:`REASONS`), ``detail``
        (a sentence), ``score`` (NaN when filtered before scoring), ``confidence``, ``lift``
        and ``because`` (the cart items of the strongest rule; for an upgrade, the item it
        replaces), most telling first: in the order of the checks, then by strength.

    Examples
    --------
    >>> from recommender import Recommender, mine
    >>> baskets = [["tea", "kettle"], ["tea", "kettle"], ["tea", "mug"], ["mug"]]
    >>> why = explain_filtered(Recommender(mine(baskets, min_support=0.25).data), ["tea", "kettle"], limit=1)
    >>> why[["item_id", "reason", "because"]]
      item_id     reason    because
    0     tea    in_cart  (kettle,)
    1  kettle    in_cart     (tea,)
    2     mug  weak_rule     (tea,)
    """
    from .config import check_limit
    from .ranking.policy import select

    limit = check_limit(limit)
    # The ranking's own candidates, scores and marks, so that what is left after the checks
    # below is ordered and capped exactly as Recommender.recommend does it.
    pool = recommender.candidates(
        list(cart), cart_total=cart_total, exclude=tuple(exclude), kinds=kinds, objective=objective
    )
    wanted = pool.kinds
    table = recommender.table
    data = recommender.data
    config = recommender.config
    known: list[int] = []
    for raw in cart:
        item = table.index.get(str(raw).strip())
        if item is not None and item not in known:
            known.append(item)
    excluded = {table.index[e] for e in (str(x).strip() for x in exclude) if e in table.index}
    in_cart = set(known)
    families: dict[str, int] = {}
    for item in known:
        family = table.families[item]
        if family is not None:
            families.setdefault(family, item)

    # Every rule inside the cart, the strongest (confidence, lift, count) per consequent; and
    # the strongest of those the ranking uses (lift >= min_lift).
    best: dict[int, tuple[float, float, int, tuple[int, ...]]] = {}
    usable: set[int] = set()
    n = data.n_baskets
    for antecedent, consequent, count, antecedent_count in zip(
        data.rules.antecedents, data.rules.consequents, data.rules.counts, data.rules.antecedent_counts
    ):
        if not in_cart.issuperset(antecedent):
            continue
        confidence = count / antecedent_count
        lift = confidence * n / data.item_counts[consequent]
        if lift >= config.min_lift:
            usable.add(consequent)
        found = best.get(consequent)
        if found is None or (confidence, lift, count) > found[:3]:
            best[consequent] = (confidence, lift, count, antecedent)
    upgrade_of: dict[int, tuple[float, int]] = {}
    if config.max_upgrades:
        for replaces in known:
            for item, share, _, _ in recommender.upgrades.get(replaces, ()):
                if item not in upgrade_of or share > upgrade_of[item][0]:
                    upgrade_of[item] = (share, replaces)

    rows: list[dict[str, Any]] = []

    def row(item: int, kind: str, reason: str, detail: str, score: float = float("nan")) -> None:
        if kind == "cross_sell" and item in best:
            confidence, lift, _, because = best[item]
        else:
            # An upgrade names the item it replaces; a pinned item, chosen by the shop, nothing.
            because = (upgrade_of[item][1],) if item in upgrade_of else ()
            confidence, lift = float("nan"), float("nan")
        rows.append(
            {
                "item_id": table.ids[item],
                "name": table.label(item),
                "kind": kind,
                "reason": reason,
                "detail": detail,
                "score": score,
                "confidence": confidence,
                "lift": lift,
                "because": tuple(table.ids[i] for i in because),
            }
        )

    blocked = in_cart | excluded
    candidates = pool.candidates
    pinned = {c.item for c in candidates.values() if c.pinned}

    # Checks before scoring, in the policy's order. An item both suggested by a rule and an
    # upgrade is an upgrade when it is of a cart item's family, a cross-sell candidate otherwise,
    # as in Recommender.recommend.
    explained: set[int] = set()
    in_order = sorted(set(best) | set(upgrade_of), key=lambda i: (i not in best, -best.get(i, (0.0,))[0], table.ids[i]))
    for item in in_order:
        as_cross = item in usable and "cross_sell" in wanted
        as_upgrade = item in upgrade_of and "upgrade" in wanted
        if as_upgrade and (not as_cross or table.families[item] in families):
            kind = "upgrade"
        else:
            kind = "cross_sell" if as_cross or item in best else "upgrade"
        entry = data.catalog.get(table.ids[item])
        family = table.families[item]
        explained.add(item)
        if item in in_cart:
            row(item, kind, "in_cart", REASONS["in_cart"])
        elif item in excluded:
            row(item, kind, "excluded", REASONS["excluded"])
        elif table.ids[item] in config.blocked:
            row(item, kind, "blocked", REASONS["blocked"])
        elif entry is not None and not entry.in_stock:
            row(item, kind, "out_of_stock", REASONS["out_of_stock"])
        elif entry is not None and not entry.active:
            row(item, kind, "inactive", REASONS["inactive"])
        elif item in best and item not in usable and not as_upgrade:
            weak = f"lift {best[item][1]:.2f} is below the ranking's min_lift {config.min_lift:g}"
            row(item, kind, "weak_rule", weak)
        elif not (as_cross or as_upgrade):
            row(item, kind, "kind_not_asked", f"{kind} was not among the kinds asked for")
        elif kind == "cross_sell" and family in families and item not in pinned:
            detail = f"same product family ({family}) as {table.label(families[family])} in the cart: a substitute"
            row(item, kind, "substitute", detail)
        else:
            explained.discard(item)

    chosen = select(
        candidates.values(),
        table,
        limit=limit,
        blocked=set(blocked),
        max_per_category=config.max_per_category,
        max_per_kind={"upgrade": config.max_upgrades},
        substitutes=frozenset(families),
    )
    shown = {c.item for c in chosen}
    per_kind: dict[str, int] = {}
    per_category: dict[str, list[int]] = {}
    taken = 0
    for candidate in sorted(candidates.values(), key=lambda c: c.key(table)):
        item = candidate.item
        category = table.categories[item]
        if item in shown:
            taken += 1
            per_kind[candidate.kind] = per_kind.get(candidate.kind, 0) + 1
            if category is not None:
                per_category.setdefault(category, []).append(item)
            continue
        if item in explained:
            continue
        explained.add(item)
        cap = config.max_upgrades if candidate.kind == "upgrade" else limit
        if taken >= limit:
            row(item, candidate.kind, "below_cut", f"ranked below the {limit} items shown", candidate.score)
        elif per_kind.get(candidate.kind, 0) >= cap:
            row(item, candidate.kind, "kind_cap", f"at most {cap} {candidate.kind} per answer", candidate.score)
        elif category is not None and category in per_category:
            other = table.label(per_category[category][0])
            row(item, candidate.kind, "diversity", f"one per category: {other} ({category}) is shown",
                candidate.score)  # fmt: skip
        else:  # pragma: no cover - select() would have taken it; kept so that nothing goes unexplained
            row(item, candidate.kind, "below_cut", REASONS["below_cut"], candidate.score)
    for item in sorted(set(best) | set(upgrade_of)):
        if item not in explained and item not in shown:  # beyond the rules the index keeps per antecedent
            row(item, "cross_sell" if item in best else "upgrade", "below_cut",
                "weaker than the rules the ranking keeps for its antecedent")  # fmt: skip
    columns = ["item_id", "name", "kind", "reason", "detail", "score", "confidence", "lift", "because"]
    return pd.DataFrame(rows, columns=columns)


def upgrade_paths(model: Model, recommender: Recommender) -> pd.DataFrame:
    """Every upgrade the ranking may offer, per product family (or category), cheapest first.

    Returns
    -------
    pandas.DataFrame
        ``group`` (family, or category for items without one), ``item_id``, ``name``,
        ``price``, ``upgrade_id``, ``upgrade_name``, ``upgrade_price``, ``price_ratio``,
        ``tradeup_customers`` (buyers of the item who later bought the upgrade), ``share``
        (of the item's buyers; for an upgrade without trade-ups, the upgrade's popularity),
        ``basis`` (``traded_up``, ``family`` or ``category``), ``rank`` (1: offered first) and
        ``upgrade_sellable`` (False: out of stock, inactive or blocked, so not offered now).

    Examples
    --------
    >>> from recommender import Recommender, mine
    >>> catalog = pd.DataFrame({"item_id": ["k1", "k2"], "family": ["kettle"] * 2, "price": [20.0, 30.0]})
    >>> model = mine([["k1"], ["k2"], ["k1"]], min_support=0.3, catalog=catalog)
    >>> upgrade_paths(model, Recommender(model.data))[["group", "item_id", "upgrade_id", "price_ratio", "basis"]]
        group item_id upgrade_id  price_ratio   basis
    0  kettle      k1         k2          1.5  family
    """
    table = recommender.table
    rows = []
    for item, options in recommender.upgrades.items():
        for rank, (upgrade, share, customers, basis) in enumerate(options, start=1):
            price, upgrade_price = table.prices[item], table.prices[upgrade]
            rows.append(
                {
                    "group": table.families[item] or table.categories[item],
                    "item_id": table.ids[item],
                    "name": model.name_of(table.ids[item]),
                    "price": price,
                    "upgrade_id": table.ids[upgrade],
                    "upgrade_name": model.name_of(table.ids[upgrade]),
                    "upgrade_price": upgrade_price,
                    "price_ratio": upgrade_price / price if price and upgrade_price is not None else float("nan"),
                    "tradeup_customers": customers,
                    "share": share,
                    "basis": basis,
                    "rank": rank,
                    "upgrade_sellable": table.sellable[upgrade],
                }
            )
    columns = ["group", "item_id", "name", "price", "upgrade_id", "upgrade_name", "upgrade_price", "price_ratio",
               "tradeup_customers", "share", "basis", "rank", "upgrade_sellable"]  # fmt: skip
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values(["group", "price", "item_id", "rank"], ignore_index=True)


def plot_upgrade_paths(paths: pd.DataFrame, *, groups: Sequence[str] | None = None, top: int = 12) -> Figure:
    """Price ladders of the upgrades: one row per family (or category), its items at their prices,
    an arrow from each item to its upgrades.

    Solid arrows are trade-ups seen in the orders (thicker: more customers, the count written
    on the arrow); dashed ones rest on the catalog's family or category alone.

    Parameters
    ----------
    paths : pandas.DataFrame
        :func:`upgrade_paths`.
    groups : list of str, optional
        The families or categories to draw; by default the ``top`` with the most trade-up
        customers (then the most upgrades).

    Examples
    --------
    >>> paths = pd.DataFrame({"group": ["kettle"], "name": ["Kettle"], "price": [20.0], "upgrade_name": ["Glass"],
    ...                       "upgrade_price": [35.0], "tradeup_customers": [4], "basis": ["traded_up"]})
    >>> ax = plot_upgrade_paths(paths).axes[0]
    >>> ax.get_xlabel(), [t.get_text() for t in ax.get_yticklabels()]
    ('price', ['kettle'])
    """
    if groups is None:
        weight = paths.groupby("group").agg(customers=("tradeup_customers", "sum"), upgrades=("group", "size"))
        ranked = weight.assign(name=weight.index).sort_values(["customers", "upgrades", "name"],
                                                              ascending=[False, False, True])  # fmt: skip
        groups = list(ranked.index[:top])
    groups = list(groups)
    shown = paths[paths["group"].isin(groups)]
    fig = _figure(11, 1.2 + 0.8 * max(len(groups), 1))
    ax = fig.add_subplot()
    ax.set_xlabel("price")
    ax.set_title("upgrade paths (solid: customers traded up, with their count; dashed: same family only)")
    if shown.empty:
        ax.text(0.5, 0.5, "no upgrade paths (the catalog has no families or categories with prices)",
                ha="center", va="center", transform=ax.transAxes)  # fmt: skip
        ax.set_yticks([])
        return fig
    row_of = {g: k for k, g in enumerate(groups)}
    most = max(int(shown["tradeup_customers"].max()), 1)
    # Each group's products, cheapest first, labelled above their dot on alternating lines so
    # that neighbours' names do not overlap.
    for group, members in shown.groupby("group"):
        y = row_of[str(group)]
        prices = dict(zip(members["name"], members["price"]))
        prices.update(zip(members["upgrade_name"], members["upgrade_price"]))
        for k, (name, price) in enumerate(sorted(prices.items(), key=lambda p: (p[1], p[0]))):
            ax.plot([price], [y], "o", color="#444", ms=5, zorder=3)
            ax.annotate(_short(str(name), 26), (price, y), textcoords="offset points",
                        xytext=(0, 6 + 10 * (k % 2)), ha="center", fontsize=7)  # fmt: skip
    for path in shown.to_dict("records"):
        y = row_of[path["group"]]
        traded = path["basis"] == "traded_up"
        ax.annotate(
            "",
            xy=(path["upgrade_price"], y),
            xytext=(path["price"], y),
            arrowprops={
                "arrowstyle": "-|>",
                "color": "tab:green" if traded else "tab:gray",
                "lw": 0.8 + 3.0 * path["tradeup_customers"] / most,
                "linestyle": "-" if traded else "--",
                "connectionstyle": "arc3,rad=0.35",
                "shrinkA": 4,
                "shrinkB": 4,
            },
        )
        if traded:
            middle = (path["price"] * path["upgrade_price"]) ** 0.5
            ax.annotate(str(path["tradeup_customers"]), (middle, y), textcoords="offset points", xytext=(0, -27),
                        ha="center", fontsize=7, color="tab:green")  # fmt: skip
    ax.set_xscale("log")
    ax.set_yticks(range(len(groups)), groups)
    ax.set_ylim(len(groups) - 0.4, -0.6)
    ax.grid(axis="x", alpha=0.3, which="both")
    return fig
