"""Every figure of the notebooks, made without pyplot.

A bare :class:`matplotlib.figure.Figure` has no global state and opens no window, so the
plots are the same on every backend (Agg included); Jupyter displays a figure a cell returns.
matplotlib is imported only when a plot is drawn, so the tables work without it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..exceptions import MissingDependencyError
from .tables import _SEP

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plot_rules_scatter", "plot_rule_graph", "plot_sweep", "plot_upgrade_paths"]


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
