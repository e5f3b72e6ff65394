"""`recommender report` on a hand-built event log whose every figure is worked out below (issue 18)."""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import UTC, datetime

import pytest
from scipy import stats

from recommender.cli import main
from recommender.feedback import Event, EventStore, OrderLine, Served, feedback_report

from .test_events import postgres_db  # noqa: F401 - a fixture: a fresh database on the test server

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
OLD = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def purchase(session: str, order: str, arm: str, *lines: tuple[str, float, int], at: datetime = NOW) -> Event:
    return Event(
        type="purchase", session_id=session, order_id=order, arm=arm, at=at,
        lines=tuple(OrderLine(item_id=i, price=p, quantity=q) for i, p, q in lines),
    )  # fmt: skip


def add(session: str, item: str, rid: str | None = None) -> Event:
    return Event(type="add_to_cart", session_id=session, item_id=item, recommendation_id=rid, at=NOW)


def shown(session: str, rid: str, *items: str, at: datetime = NOW, arm: str = "treatment") -> Event:
    return Event(type="impression", session_id=session, recommendation_id=rid, items=items, at=at, arm=arm)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    """The log, in SQLite and in a fresh database of the test PostgreSQL server.

    r1 (session t1) served A, B (cross-sell) and C (upgrade); r2 (session t2) served A (cross-sell)
    and D (popular), which the shop showed as D, A; r3 (session c1, control) served the popular P.
    Sessions t* are treated, c* control."""
    url = f"sqlite:///{tmp_path / 'events.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_db")
    store = EventStore(url)
    store.append_served([
        Served(recommendation_id="r1", at=NOW, session_id="t1", arm="treatment", model_id="m",
               items=(("A", "cross_sell"), ("B", "cross_sell"), ("C", "upgrade"))),
        Served(recommendation_id="r2", at=NOW, session_id="t2", arm="treatment", model_id="m",
               items=(("A", "cross_sell"), ("D", "popular"))),
        Served(recommendation_id="r3", at=NOW, session_id="c1", arm="control", model_id="m", items=(("P", "popular"),)),
    ])  # fmt: skip
    store.append([
        shown("t1", "r1", "A", "B", "C"),
        shown("t1", "r1", "A", "B", "C"),  # sent twice: counted once
        shown("t2", "r2", "D", "A"),
        shown("c1", "r3", "P", arm="control"),
        add("t1", "A", "r1"), add("t1", "A", "r1"),  # twice: one attach
        add("t1", "C", "r1"),
        add("t2", "A", "r2"),
        add("t2", "E"),  # not from a suggestion
        add("t2", "B", "r2"),  # B was not shown by r2: not an attach
        Event(type="click", session_id="t2", item_id="D", recommendation_id="r2", at=NOW),
        purchase("t1", "o1", "treatment", ("A", 10.0, 1), ("C", 20.0, 1)),
        purchase("t1", "o1", "treatment", ("A", 10.0, 1), ("C", 20.0, 1), ("X", 5.0, 2)),  # sent again: the last counts
        purchase("t2", "o2", "treatment", ("A", 10.0, 2), ("E", 3.0, 1)),
        purchase("t3", "o3", "treatment", ("X", 5.0, 1)),
        purchase("c1", "o4", "control", ("X", 5.0, 2)),
        purchase("c2", "o5", "control", ("Y", 8.0, 1)),
        purchase("c3", "o6", "control", ("X", 5.0, 1), ("Y", 8.0, 1)),
        # Before --since: an impression nobody took and a large control order.
        shown("t9", "r0", "A", "B", at=OLD),
        purchase("c9", "o0", "control", ("Z", 1000.0, 1), at=OLD),
    ])  # fmt: skip
    store.close()
    return url


def welch(a: list[float], b: list[float]) -> tuple[float, float]:
    """The 95% interval of mean(a) - mean(b) by the textbook formulas (Welch-Satterthwaite)."""
    va, vb = stats.tvar(a) / len(a), stats.tvar(b) / len(b)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = stats.t.ppf(0.975, df) * math.sqrt(va + vb)
    difference = sum(a) / len(a) - sum(b) / len(b)
    return difference - half, difference + half


def test_every_figure_of_the_hand_built_log(url):
    report = feedback_report(url, since=datetime(2026, 6, 1, tzinfo=UTC))
    # Impressions (r1, A) (r1, B) (r1, C) (r2, D) (r2, A) (r3, P); attaches (r1, A) (r1, C) (r2, A).
    assert (report.overall.impressions, report.overall.add_to_cart) == (6, 3)
    assert report.overall.attach_rate == pytest.approx(3 / 6)
    assert {k: (r.impressions, r.add_to_cart) for k, r in report.by_kind.items()} == {
        "cross_sell": (3, 2), "upgrade": (1, 1), "popular": (2, 0)}  # fmt: skip
    assert {k: (r.impressions, r.add_to_cart) for k, r in report.by_position.items()} == {
        1: (3, 1), 2: (2, 1), 3: (1, 1)}  # fmt: skip
    assert {k: (r.impressions, r.add_to_cart) for k, r in report.by_item.items()} == {
        "A": (2, 2), "B": (1, 0), "C": (1, 1), "D": (1, 0), "P": (1, 0)}  # fmt: skip
    assert {k: (r.impressions, r.add_to_cart) for k, r in report.by_arm.items()} == {
        "treatment": (5, 3), "control": (1, 0)}  # fmt: skip
    # Attributed: t1's A (10) and C (20), t2's two A (20); not E, not X.
    assert report.attributed_revenue == pytest.approx(50.0)
    assert report.revenue_per_1000_impressions == pytest.approx(1000 * 50 / 6)
    # Orders: treatment 40 (o1 as last sent), 23, 5; control 10, 8, 13.
    value = report.basket_value
    assert (value.orders_treatment, value.orders_control) == (3, 3)
    assert value.treatment == pytest.approx(68 / 3) and value.control == pytest.approx(31 / 3)
    assert value.difference == pytest.approx(37 / 3)
    assert value.ci95 == pytest.approx(welch([40, 23, 5], [10, 8, 13]))
    assert value.ci95[0] < 0 < value.ci95[1]  # three orders an arm prove nothing
    items = report.items_per_order
    assert (items.treatment, items.control, items.difference) == pytest.approx((8 / 3, 5 / 3, 1.0))
    assert items.ci95 == pytest.approx(welch([4, 3, 1], [2, 1, 2]))


def test_the_window_and_the_whole_log(url):
    everything = feedback_report(url)
    assert everything.overall.impressions == 8 and everything.by_kind["unknown"].impressions == 2
    assert everything.basket_value.orders_control == 4
    assert everything.basket_value.control == pytest.approx((10 + 8 + 13 + 1000) / 4)
    nothing = feedback_report(url, until=datetime(2026, 1, 1, tzinfo=UTC))
    assert nothing.overall.impressions == 0 and nothing.overall.attach_rate is None
    assert nothing.revenue_per_1000_impressions is None and nothing.basket_value.ci95 is None


def test_the_cli_in_json_csv_and_table(url, capsys):
    assert main(["report", url, "--since", "2026-06-01", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["impressions"], document["add_to_cart"], document["attach_rate"]) == (6, 3, pytest.approx(0.5))
    assert document["by_kind"]["upgrade"] == {"impressions": 1, "add_to_cart": 1, "attach_rate": 1.0}
    assert document["by_position"]["1"]["attach_rate"] == pytest.approx(1 / 3)
    assert document["by_arm"]["control"] == {"impressions": 1, "add_to_cart": 0, "attach_rate": 0.0}
    basket = document["uplift"]["basket_value"]
    assert basket["difference"] == pytest.approx(37 / 3)
    assert basket["ci95"] == pytest.approx(list(welch([40, 23, 5], [10, 8, 13])))
    assert set(document["uplift"]["items_per_order"]) >= {"treatment", "control", "difference", "ci95"}
    assert document["revenue_per_1000_impressions"] == pytest.approx(50_000 / 6)

    assert main(["report", url, "--since", "2026-06-01T00:00:00+02:00", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    kinds = {r["key"]: r["attach_rate"] for r in rows if r["section"] == "kind"}
    assert kinds == {"cross_sell": repr(round(2 / 3, 10)), "popular": "0.0", "upgrade": "1.0"}
    assert {r["key"]: r["impressions"] for r in rows if r["section"] == "arm"} == {"control": "1", "treatment": "5"}
    uplift = next(r for r in rows if r["key"] == "items_per_order")
    assert float(uplift["difference"]) == pytest.approx(1.0) and uplift["orders_control"] == "3"

    assert main(["report", url, "--since", "2026-06-01"]) == 0
    table = capsys.readouterr().out
    assert "attach rate 50.00%" in table and "per 1,000 impressions 8,333.333" in table


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["sqlite:///{folder}/none.db"], "there is no events store at"),
        (["mysql://u@h/db"], "must be SQLite or PostgreSQL"),
        (["{url}", "--since", "2026-12-01", "--until", "2026-11-01"], "must be before --until"),
    ],
)
def test_bad_input_is_one_sentence_and_exit_2(url, tmp_path, capsys, arguments, message):
    arguments = [a.format(folder=tmp_path, url=url) for a in arguments]
    assert main(["report", *arguments]) == 2
    assert message in capsys.readouterr().err
