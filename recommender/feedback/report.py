"""What the suggestions sell: attach rates, revenue per 1,000 impressions and the uplift of the
treatment arm over the control arm, from the events store.

Definitions (each counted once, however often the shop sends the same event):

- an **impression** is one item shown by one answer: a (recommendation_id, item) pair of an
  impression event; its position is its place in the event's list, from 1; its kind is the one
  the service logged for that answer ("unknown" when the answer's log was dropped);
- an **attach** is an add to cart that names the recommendation_id of an impression holding
  that item; **attach rate** = attaches / impressions, also by kind, position, rule, item and
  arm (a control arm shown popular items has impressions too; the arm is the session's when the
  impression was received);
- a **rule** is what the answer's log says the item was suggested because of, written
  ``"A + B -> X"``: the cart items (sorted) the reason named (a rule's antecedent, the item an
  upgrade replaces), then the item; ``"(none) -> X"`` for an item no cart item led to (popular),
  ``"(unknown) -> X"`` when the log does not say (answers logged by older versions, or not
  logged);
- **attributed revenue** = the price x quantity of the lines of purchases whose (session, item)
  had an attach; given per 1,000 impressions;
- **uplift**: per purchase, its value (sum of price x quantity) and items (sum of quantities);
  each arm's mean and the difference treatment - control, with a 95% confidence interval from
  Welch's t test (``scipy.stats.ttest_ind(equal_var=False)``). Why Welch: the arms differ in
  size (a 5% holdout) and, when suggestions work, in variance too, which the pooled t test would
  get wrong; with hundreds of orders per arm the means are close to normal; and the interval is
  exact arithmetic, the same on every run, where a bootstrap would depend on a seed. Arms are
  the sessions' arms when the events were received (intention to treat: a control session that
  bought counts as control).
"""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .store import EventStore, events_and_served

__all__ = ["AttachRate", "Uplift", "FeedbackReport", "feedback_report", "rule_key"]


@dataclass(frozen=True, kw_only=True)
class AttachRate:
    impressions: int
    add_to_cart: int

    @property
    def attach_rate(self) -> float | None:
        return self.add_to_cart / self.impressions if self.impressions else None

    def to_dict(self) -> dict[str, Any]:
        return {"impressions": self.impressions, "add_to_cart": self.add_to_cart, "attach_rate": self.attach_rate}


@dataclass(frozen=True, kw_only=True)
class Uplift:
    """Treatment against control of one figure per order; ``ci95`` None with fewer than two
    orders in an arm (no variance to go on)."""

    treatment: float | None
    control: float | None
    difference: float | None
    ci95: tuple[float, float] | None
    orders_treatment: int
    orders_control: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "treatment": self.treatment,
            "control": self.control,
            "difference": self.difference,
            "ci95": None if self.ci95 is None else list(self.ci95),
            "orders": {"treatment": self.orders_treatment, "control": self.orders_control},
            "test": "Welch t",
        }


@dataclass(frozen=True, kw_only=True)
class FeedbackReport:
    """The report (see the module's docstring for every definition)."""

    overall: AttachRate
    by_kind: dict[str, AttachRate]
    by_position: dict[int, AttachRate]
    by_rule: dict[str, AttachRate]
    by_item: dict[str, AttachRate]
    by_arm: dict[str, AttachRate]
    attributed_revenue: float
    basket_value: Uplift
    items_per_order: Uplift
    since: datetime | None = None
    until: datetime | None = None

    @property
    def revenue_per_1000_impressions(self) -> float | None:
        impressions = self.overall.impressions
        return 1000 * self.attributed_revenue / impressions if impressions else None

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``recommender report --format json`` (DESIGN, Feedback)."""
        return {
            **self.overall.to_dict(),
            "since": None if self.since is None else self.since.isoformat(),
            "until": None if self.until is None else self.until.isoformat(),
            "by_kind": {key: value.to_dict() for key, value in self.by_kind.items()},
            "by_position": {str(key): value.to_dict() for key, value in self.by_position.items()},
            "by_rule": {key: value.to_dict() for key, value in self.by_rule.items()},
            "by_item": {key: value.to_dict() for key, value in self.by_item.items()},
            "by_arm": {key: value.to_dict() for key, value in self.by_arm.items()},
            "attributed_revenue": self.attributed_revenue,
            "revenue_per_1000_impressions": self.revenue_per_1000_impressions,
            "uplift": {"basket_value": self.basket_value.to_dict(), "items_per_order": self.items_per_order.to_dict()},
        }

    def to_csv(self) -> str:
        """One row per attach-rate group and per uplift figure, in one table."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(
            ["section", "key", "impressions", "add_to_cart", "attach_rate", "treatment", "control", "difference",
             "ci95_low", "ci95_high", "orders_treatment", "orders_control"]
        )  # fmt: skip
        groups: list[tuple[str, dict[Any, AttachRate]]] = [
            ("overall", {"all": self.overall}),
            ("kind", self.by_kind),
            ("position", self.by_position),
            ("rule", self.by_rule),
            ("item", self.by_item),
            ("arm", self.by_arm),
        ]
        for section, rates in groups:
            for key, rate in rates.items():
                writer.writerow([section, key, rate.impressions, rate.add_to_cart, _cell(rate.attach_rate)] + [""] * 7)
        for name, uplift in (("basket_value", self.basket_value), ("items_per_order", self.items_per_order)):
            low, high = uplift.ci95 if uplift.ci95 is not None else (None, None)
            writer.writerow(
                ["uplift", name, "", "", "", _cell(uplift.treatment), _cell(uplift.control), _cell(uplift.difference),
                 _cell(low), _cell(high), uplift.orders_treatment, uplift.orders_control]
            )  # fmt: skip
        return out.getvalue()

    def to_table(self) -> str:
        """The report for a terminal."""
        lines = [
            f"impressions {self.overall.impressions:,}, added to cart {self.overall.add_to_cart:,}, "
            f"attach rate {_percent(self.overall.attach_rate)}",
            f"attributed revenue {self.attributed_revenue:,.2f}, "
            f"per 1,000 impressions {_number(self.revenue_per_1000_impressions)}",
        ]
        for title, rates in (("kind", self.by_kind), ("position", self.by_position), ("arm", self.by_arm)):
            lines.append(f"\nby {title}:")
            lines += [
                f"  {key!s:<14} {r.impressions:>9,} {r.add_to_cart:>7,}  {_percent(r.attach_rate)}"
                for key, r in rates.items()
            ]
        for title, rates, width in (("rule", self.by_rule, 36), ("item", self.by_item, 24)):
            lines.append(f"\nby {title} (most added first, 10 shown):")
            lines += [
                f"  {key:<{width}} {r.impressions:>9,} {r.add_to_cart:>7,}  {_percent(r.attach_rate)}"
                for key, r in _most_added(rates)[:10]
            ]
        lines.append("\nuplift, treatment - control (95% CI, Welch t):")
        for name, u in (("basket value", self.basket_value), ("items per order", self.items_per_order)):
            interval = "n/a" if u.ci95 is None else f"[{u.ci95[0]:,.3f}, {u.ci95[1]:,.3f}]"
            lines.append(
                f"  {name:<16} {_number(u.treatment)} vs {_number(u.control)}: {_number(u.difference)} {interval} "
                f"({u.orders_treatment:,} and {u.orders_control:,} orders)"
            )
        return "\n".join(lines)


def feedback_report(
    store: EventStore | str, *, since: datetime | None = None, until: datetime | None = None
) -> FeedbackReport:
    """The report of the events with ``since <= at < until`` in ``store`` (a store or its URL).

    Raises
    ------
    StoreUnavailableError
        When the store cannot be read.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from datetime import datetime, UTC
    >>> from recommender.feedback import Event, EventStore
    >>> store = EventStore(f"sqlite:///{pathlib.Path(tempfile.mkdtemp())}/events.db")
    >>> now = datetime.now(UTC)
    >>> _ = store.append([
    ...     Event(type="impression", session_id="s", recommendation_id="r", items=("tea", "mug"), at=now),
    ...     Event(type="add_to_cart", session_id="s", recommendation_id="r", item_id="tea", at=now),
    ... ])
    >>> feedback_report(store).overall.attach_rate
    0.5
    """
    events, served = events_and_served(store, since=since, until=until)
    kinds = {(s["recommendation_id"], item["item_id"]): item["kind"] for s in served for item in s["items"] or ()}
    rules = {
        (s["recommendation_id"], item["item_id"]): rule_key(item.get("because"), item["item_id"])
        for s in served
        for item in s["items"] or ()
    }

    shown: dict[tuple[str, str], tuple[int, str]] = {}  # (recommendation_id, item) -> position, arm
    for event in events:
        if event["type"] == "impression":
            for position, item in enumerate(event["items"] or (), start=1):
                shown.setdefault((event["recommendation_id"], item), (position, event["arm"]))
    attached: set[tuple[str, str]] = set()
    attached_in_session: set[tuple[str, str]] = set()
    for event in events:
        key = (event["recommendation_id"], event["item_id"])
        if event["type"] == "add_to_cart" and key in shown:
            attached.add(key)
            attached_in_session.add((event["session_id"], event["item_id"]))

    # group -> key -> [impressions, attaches]
    counts: dict[str, dict[Any, list[int]]] = {
        group: defaultdict(lambda: [0, 0]) for group in ("kind", "position", "rule", "item", "arm")
    }
    for key, (position, arm) in shown.items():
        added = int(key in attached)
        for group, value in (
            ("kind", kinds.get(key, "unknown")),
            ("position", position),
            ("rule", rules.get(key) or rule_key(None, key[1])),
            ("item", key[1]),
            ("arm", arm),
        ):
            counts[group][value][0] += 1
            counts[group][value][1] += added

    def rates(group: str) -> dict[Any, AttachRate]:
        return {key: AttachRate(impressions=n, add_to_cart=a) for key, (n, a) in sorted(counts[group].items())}

    orders: dict[tuple[str, str], dict[str, Any]] = {}  # (session, order) -> the last purchase event sent for it
    for event in events:
        if event["type"] == "purchase":
            orders[(event["session_id"], event["order_id"])] = event
    revenue = 0.0
    values: dict[str, list[float]] = {"treatment": [], "control": []}
    sizes: dict[str, list[float]] = {"treatment": [], "control": []}
    for (session, _), event in orders.items():
        lines = event["items"] or ()
        revenue += sum(
            line["price"] * line["quantity"] for line in lines if (session, line["item_id"]) in attached_in_session
        )
        values[event["arm"]].append(sum(line["price"] * line["quantity"] for line in lines))
        sizes[event["arm"]].append(float(sum(line["quantity"] for line in lines)))
    return FeedbackReport(
        overall=AttachRate(impressions=len(shown), add_to_cart=len(attached)),
        by_kind=rates("kind"),
        by_position=rates("position"),
        by_rule=rates("rule"),
        by_item=rates("item"),
        by_arm=rates("arm"),
        attributed_revenue=revenue,
        basket_value=_uplift(values["treatment"], values["control"]),
        items_per_order=_uplift(sizes["treatment"], sizes["control"]),
        since=since,
        until=until,
    )


def rule_key(because: list[str] | None, item: str) -> str:
    """``"A + B -> X"``: the cart items the suggestion of ``item`` was because of, sorted (``None``:
    not logged).

    >>> rule_key(["tea", "milk"], "cup"), rule_key([], "cup"), rule_key(None, "cup")
    ('milk + tea -> cup', '(none) -> cup', '(unknown) -> cup')
    """
    if because is None:
        return f"(unknown) -> {item}"
    return f"{' + '.join(sorted(because)) or '(none)'} -> {item}"


def _most_added(rates: dict[str, AttachRate]) -> list[tuple[str, AttachRate]]:
    return sorted(rates.items(), key=lambda pair: (-pair[1].add_to_cart, -pair[1].impressions, pair[0]))


def _uplift(treatment: list[float], control: list[float]) -> Uplift:
    mean_t = sum(treatment) / len(treatment) if treatment else None
    mean_c = sum(control) / len(control) if control else None
    difference = None if mean_t is None or mean_c is None else mean_t - mean_c
    interval = None
    if len(treatment) >= 2 and len(control) >= 2:
        from scipy import stats  # here: the service imports this package, and scipy stays off its path

        low, high = stats.ttest_ind(treatment, control, equal_var=False).confidence_interval(0.95)
        if math.isfinite(low) and math.isfinite(high):
            interval = (float(low), float(high))
        elif difference is not None:  # both arms without any spread: the difference is exact
            interval = (difference, difference)
    return Uplift(
        treatment=mean_t,
        control=mean_c,
        difference=difference,
        ci95=interval,
        orders_treatment=len(treatment),
        orders_control=len(control),
    )


def _cell(value: float | None) -> str:
    return "" if value is None else repr(round(value, 10))


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.2f}%"


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.3f}"
