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
from recommender.feedback import Event, EventStore, OrderLine, Served, assign_arm, feedback_report

# Fixtures: the sample shop's model; a fresh database on the test server.
from .test_events import client_for, model, postgres_db  # noqa: F401

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


# -- by rule, through the service ----------------------------------------------------------


def test_attach_rates_by_rule_through_the_service(request, tmp_path, capsys):
    """Answers served by the real app on the sample shop, whose reasons the test first checks;
    impressions and adds sent back through POST /v1/events; and one answer logged by an older
    version (no "because"), which still reports, as "(unknown)"."""
    shop_model = request.getfixturevalue("model")
    url = f"sqlite:///{tmp_path / 'events.db'}"
    control = next(f"c{i}" for i in range(100) if assign_arm(f"c{i}", share=0.5) == "control")
    treated = [f"t{i}" for i in range(100) if assign_arm(f"t{i}", share=0.5) == "treatment"][:3]
    carts = [(treated[0], "KET-BASIC"), (treated[1], "KET-BASIC"), (treated[2], "PHONE-STD"), (control, "PHONE-STD")]
    with client_for(shop_model, events_url=url, holdout_share=0.5, control_suggestions="popular") as client:
        answers = [
            client.post("/v1/recommendations", json={"cart": [item], "session_id": session}).json()
            for session, item in carts
        ]
        reasons = [
            [(s["item_id"], s["reason"].get("because") or s["reason"].get("replaces")) for s in a["items"]]
            for a in answers
        ]
        # What the sample shop's model answers (the two kettle carts alike); popular items name no cart item.
        kettle = [("KET-GLASS", "KET-BASIC"), ("TEA-BREAKFAST", ["KET-BASIC"]), ("MUG-CLASSIC", ["KET-BASIC"])]
        phone = [("PHONE-PRO", "PHONE-STD"), ("CASE-SILICONE", ["PHONE-STD"]), ("CHOC-BOX", ["PHONE-STD"])]
        assert reasons[:3] == [kettle, kettle, phone]
        assert answers[3]["arm"] == "control" and [b for _, b in reasons[3]] == [None, None, None]
        popular = [item for item, _ in reasons[3]]

        events = []
        for (session, _), answer in zip(carts, answers):
            rid, items = answer["recommendation_id"], [s["item_id"] for s in answer["items"]]
            events.append({"type": "impression", "session_id": session, "recommendation_id": rid, "items": items})
        adds = [(0, "TEA-BREAKFAST"), (1, "TEA-BREAKFAST"), (1, "KET-GLASS"), (2, "CASE-SILICONE"), (3, popular[0])]
        adds.append((1, "TEA-BREAKFAST"))  # sent twice: one attach
        for n, item in adds:
            rid = answers[n]["recommendation_id"]
            events.append({"type": "add_to_cart", "session_id": carts[n][0], "item_id": item, "recommendation_id": rid})
        assert client.post("/v1/events", json={"events": events}).json() == {"accepted": 10}
    store = EventStore(url)
    store.append_served([Served(recommendation_id="old", at=NOW, session_id="t", arm="treatment", model_id="m",
                                items=(("TEA-BREAKFAST", "cross_sell"),))])  # fmt: skip
    store.append([shown("t", "old", "TEA-BREAKFAST"), add("t", "TEA-BREAKFAST", "old")])
    store.close()

    report = feedback_report(url)
    assert {key: (r.impressions, r.add_to_cart) for key, r in report.by_rule.items()} == {
        "KET-BASIC -> KET-GLASS": (2, 1),
        "KET-BASIC -> TEA-BREAKFAST": (2, 2),
        "KET-BASIC -> MUG-CLASSIC": (2, 0),
        "PHONE-STD -> PHONE-PRO": (1, 0),
        "PHONE-STD -> CASE-SILICONE": (1, 1),
        "PHONE-STD -> CHOC-BOX": (1, 0),
        **{f"(none) -> {item}": (1, int(item == popular[0])) for item in popular},
        "(unknown) -> TEA-BREAKFAST": (1, 1),
    }
    assert report.by_rule["KET-BASIC -> KET-GLASS"].attach_rate == 0.5
    # The by-item figures pool the rules: TEA-BREAKFAST taken 3 times of 3, by two rules.
    assert (report.by_item["TEA-BREAKFAST"].impressions, report.by_item["TEA-BREAKFAST"].add_to_cart) == (3, 3)
    assert sum(r.impressions for r in report.by_rule.values()) == report.overall.impressions == 13

    assert main(["report", url, "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["by_rule"]["KET-BASIC -> TEA-BREAKFAST"] == {"impressions": 2, "add_to_cart": 2, "attach_rate": 1.0}
    assert main(["report", url, "--format", "csv"]) == 0
    rows = {r["key"]: r for r in csv.DictReader(io.StringIO(capsys.readouterr().out)) if r["section"] == "rule"}
    assert len(rows) == 10 and rows["PHONE-STD -> CASE-SILICONE"]["attach_rate"] == "1.0"
    assert main(["report", url]) == 0
    table = capsys.readouterr().out.split("\nby rule (most added first, 10 shown):\n")[1].splitlines()
    assert table[0].split() == ["KET-BASIC", "->", "TEA-BREAKFAST", "2", "2", "100.00%"]  # the most added first


def test_rules_of_several_cart_items_are_keyed_sorted(tmp_path):
    store = EventStore(f"sqlite:///{tmp_path / 'events.db'}")
    store.append_served([
        Served(recommendation_id="r", at=NOW, session_id="s", arm="treatment", model_id="m", cart=("tea", "milk"),
               items=(("cup", "cross_sell"), ("jam", "cross_sell")), because=(("tea", "milk"), ("tea",))),
    ])  # fmt: skip
    store.append([shown("s", "r", "cup", "jam", "pot"), add("s", "jam", "r")])  # pot: not in the answer's log
    assert [item["because"] for item in store.served()[0]["items"]] == [["tea", "milk"], ["tea"]]
    report = feedback_report(store)
    assert {key: (r.impressions, r.add_to_cart) for key, r in report.by_rule.items()} == {
        "milk + tea -> cup": (1, 0), "tea -> jam": (1, 1), "(unknown) -> pot": (1, 0)}  # fmt: skip
    with pytest.raises(ValueError, match="must name the cart items of each of its 2 suggestions, got 1"):
        Served(recommendation_id="r", at=NOW, session_id="s", arm="treatment", model_id="m",
               items=(("cup", "cross_sell"), ("jam", "cross_sell")), because=(("tea",),))  # fmt: skip
    store.close()
