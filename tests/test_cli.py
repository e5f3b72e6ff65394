"""The command line as users run it: a real subprocess for the installed entry point, in-process otherwise."""

from __future__ import annotations

import contextlib
import importlib.metadata
import io
import json
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import fields
from pathlib import Path
from types import SimpleNamespace

import pytest

from recommender.cli import _HelpFormatter, _mining_config, _parser, main
from recommender.config import MiningConfig

from .conftest import data_file


def run(capsys, *argv):
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize(
    "command", [[], ["demo"], ["mine"], ["rules"], ["recommend"], ["bundle"], ["serve"], ["evaluate"]]
)
def test_help_everywhere(command):
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code == 0


def test_no_command_prints_usage_and_exits_2(capsys):
    status, _, err = run(capsys)
    assert status == 2 and "usage" in err


def test_mine_then_rules_as_json_csv_and_table(tmp_path, capsys):
    groceries = data_file("groceries.csv")
    model = tmp_path / "groceries.rcm"
    status, out, err = run(
        capsys,
        "mine",
        str(groceries),
        "-o",
        str(model),
        "--min-support",
        "0.001",
        "--min-confidence",
        "0.5",
        "--max-len",
        "10",
    )
    assert status == 0, err
    assert "9,835 baskets" in out and "5,668 rules" in out and str(model) in out

    status, out, _ = run(capsys, "rules", str(model), "--format", "json")
    rules = json.loads(out)
    assert len(rules) == 5668
    first = rules[0]
    assert {"antecedents", "consequent", "support", "confidence", "lift", "count"} <= set(first)
    assert sorted(first["antecedents"]) == ["Instant food products", "soda"]
    assert first["consequent"] == "hamburger meat" and first["count"] == 12
    assert first["lift"] == pytest.approx(18.9957, abs=1e-4)

    status, out, _ = run(capsys, "rules", str(model), "--sort", "confidence", "--top", "5", "--format", "csv")
    lines = out.strip().splitlines()
    assert len(lines) == 6 and lines[0].startswith("antecedents,consequent")
    confidences = [float(line.split(",")[lines[0].split(",").index("confidence")]) for line in lines[1:]]
    assert confidences == sorted(confidences, reverse=True) and confidences[0] == pytest.approx(1.0)

    status, out, _ = run(capsys, "rules", str(model), "--top", "3")
    assert "Instant food products + soda -> hamburger meat" in out and len(out.strip().splitlines()) == 4


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """`recommender demo` run once: the sample shop's folder (orders, catalog, model) and what it printed."""
    folder = tmp_path_factory.mktemp("shop") / "demo"
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(["demo", "--out", str(folder)])
    assert status == 0, err.getvalue()
    return SimpleNamespace(folder=folder, model=str(folder / "model.rcm"), out=out.getvalue())


def test_demo_runs_end_to_end(demo, capsys):
    assert (demo.folder / "orders.csv").exists() and (demo.folder / "catalog.csv").exists()
    assert "cancellation rows" in demo.out and "strongest rules" in demo.out
    # The model it wrote is complete and names products by their catalog names.
    status, out, _ = run(capsys, "rules", demo.model, "--format", "json", "--top", "5")
    rules = json.loads(out)
    assert len(rules) == 5 and all(rule["lift"] > 3 for rule in rules)
    assert all(rule["consequent_name"] != rule["consequent"] for rule in rules)


def test_rules_of_a_damaged_model_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.rcm"
    bad.write_text("not a model\n")
    status, _, err = run(capsys, "rules", str(bad))
    assert status == 2 and "not a recommender model file" in err and "Traceback" not in err


def test_installed_console_script_reports_errors_without_traceback(tmp_path):
    beside = Path(sys.executable).parent / "recommender"
    script = str(beside) if beside.exists() else shutil.which("recommender")
    if script is None:
        pytest.skip("the package is not installed (pip install -e .) in this environment")
    result = subprocess.run(
        [script, "mine", str(tmp_path / "none.csv"), "-o", str(tmp_path / "m.rcm")], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert result.stderr.startswith("recommender mine: error:") and "Traceback" not in result.stderr


def test_import_is_light():
    """`import recommender` and the error types pull in neither pandas, scipy nor mlxtend."""
    code = (
        "import sys, recommender\nfrom recommender import RecommenderError\n"
        "print(sorted(m for m in ('pandas', 'scipy', 'mlxtend', 'numpy') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_recommend_weighs_rules_as_asked(tmp_path, capsys):
    """The baskets of test_ranking's cumulative case: a -> d 0.6 (lift 5), b -> c 0.5 (3.1), a -> c 0.4 (2.5)."""
    baskets = tmp_path / "shop.dat"
    baskets.write_text("a c\n" * 2 + "a d\n" * 3 + "b c\n" * 2 + "b\n" * 2 + "e\n" * 16)
    model = tmp_path / "shop.rcm"
    status, _, err = run(capsys, "mine", str(baskets), "-o", str(model), "--min-support", "0.08", "--max-len", "2")
    assert status == 0, err

    def first(*options):
        status, out, err = run(capsys, "recommend", str(model), "a", "b", "--format", "json", *options)
        assert status == 0, err
        top = json.loads(out)["items"][0]
        return top["item_id"], round(top["score"], 4)

    assert first("--combine", "max") == ("d", 0.6)
    assert first("--combine", "cumulative") == ("c", 0.62)  # 0.5 + (0.4 - 4/25) / 2
    assert first("--combine", "noisy_or") == ("c", 0.7)  # 1 - 0.5 x 0.6
    assert first("--combine", "max", "--min-lift", "5") == ("d", 0.6)
    status, _, err = run(capsys, "recommend", str(model), "a", "--min-lift", "-1")
    assert status == 2 and "min_lift must be 0 or more" in err


# -- options: the same mining flags on mine and evaluate, a default shown on every one ----------


def _subcommands() -> dict:
    parser = _parser()
    (commands,) = [a for a in parser._actions if isinstance(a, type(parser._subparsers._group_actions[0]))]
    return dict(commands.choices)


def _options(subparser) -> dict:
    return {action.dest: action for action in subparser._actions if action.option_strings}


MINING_DESTS = {f.name for f in fields(MiningConfig)}
INPUT_DESTS = {"input_format", "catalog", "hierarchy", "hierarchy_level", "workers"} | {
    f"{role}_col" for role in ("order", "item", "quantity", "price", "customer", "time", "name")
}


def test_mine_and_evaluate_take_the_same_mining_and_input_flags():
    commands = _subcommands()
    mine, evaluate = _options(commands["mine"]), _options(commands["evaluate"])
    # Every field of MiningConfig has its flag on both, with MiningConfig's default.
    assert MINING_DESTS <= set(mine) and MINING_DESTS <= set(evaluate)
    defaults = MiningConfig()
    for dest in MINING_DESTS:
        assert mine[dest].default == getattr(defaults, dest), dest
    for dest in MINING_DESTS | INPUT_DESTS:
        a, b = mine[dest], evaluate[dest]
        same = ("default", "type", "choices", "help", "nargs", "metavar", "const")
        assert [getattr(a, k) for k in same] == [getattr(b, k) for k in same], dest
        assert f"--{dest.replace('_', '-')}" in a.option_strings and a.option_strings[0] == b.option_strings[0]
    # The input format: --input-format on both; on mine --format is its alias, on evaluate the output.
    assert mine["input_format"].option_strings == ["--input-format", "--format"]
    assert evaluate["input_format"].option_strings == ["--input-format"]
    assert evaluate["format"].choices == ("table", "json") and "output" in evaluate["format"].help

    flags = ["--min-support", "0.01", "--min-confidence", "0.3", "--max-len", "4", "--max-pairs", "0",
             "--min-count", "5", "--max-p", "0.05", "--correction", "bonferroni", "--prune-redundant",
             "--shrinkage", "10", "--input-format", "basket", "--workers", "2"]  # fmt: skip
    parser = _parser()
    mined = parser.parse_args(["mine", "orders.dat", "-o", "m.rcm", *flags])
    evaluated = parser.parse_args(["evaluate", "orders.dat", *flags, "--format", "json"])
    assert _mining_config(mined) == _mining_config(evaluated) == MiningConfig(
        min_support=0.01, min_confidence=0.3, max_len=4, max_pairs=None, min_count=5, max_p=0.05,
        correction="bonferroni", prune_redundant=True, shrinkage=10.0,
    )  # fmt: skip
    assert (mined.input_format, mined.workers) == (evaluated.input_format, evaluated.workers) == ("basket", 2)
    assert evaluated.format == "json"
    assert parser.parse_args(["mine", "o.dat", "-o", "m.rcm", "--format", "long"]).input_format == "long"


def test_every_option_of_every_command_has_help_and_a_default():
    parser = _parser()
    formatter = _HelpFormatter("recommender")
    commands = {"": parser, **_subcommands()}
    for name, subparser in commands.items():
        for action in subparser._actions:
            if not action.option_strings or action.dest in ("help", "version") or action.required:
                continue
            text = formatter._get_help_string(action) or ""
            assert "default" in text, (name, action.option_strings, text)
            text % {"default": action.default, "prog": "recommender"}  # renders


def test_version_is_the_installed_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"recommender {importlib.metadata.version('recommender')}\n"


def test_list_options_take_one_value_per_use_and_leave_the_positionals():
    parser = _parser()
    args = parser.parse_args(["recommend", "m.rcm", "--exclude", "DOT", "21731", "--exclude", "A,B", "22086"])
    assert (args.model, args.items, args.exclude) == ("m.rcm", ["21731", "22086"], ["DOT", "A", "B"])
    args = parser.parse_args(["evaluate", "--systems", "popular", "orders.csv", "--systems", "rules,cosine"])
    assert (args.input, args.systems) == ("orders.csv", ["popular", "rules", "cosine"])
    args = parser.parse_args(["rules", "--item", "A,B", "m.rcm", "--item", "C"])
    assert (args.model, args.item) == ("m.rcm", ["A", "B", "C"])


# -- recommend, rules on the sample shop ----------------------------------------------------------


def _json(capsys, *argv):
    status, out, err = run(capsys, *argv)
    assert status == 0, err
    return json.loads(out)


def test_exclude_before_the_cart(demo, capsys):
    from recommender import Recommender

    plain = _json(capsys, "recommend", demo.model, "KET-BASIC", "--format", "json")
    first, second = (item["item_id"] for item in plain["items"][:2])
    answer = _json(capsys, "recommend", demo.model, "--exclude", first, "KET-BASIC", "--format", "json")
    ids = [item["item_id"] for item in answer["items"]]
    assert first not in ids and answer["unknown_items"] == [] and len(ids) == 3
    expected = Recommender.load(demo.model).recommend(["KET-BASIC"], exclude=[first])
    assert ids == [s.item_id for s in expected.items]
    both = _json(capsys, "recommend", demo.model, "--exclude", f"{first},{second}", "KET-BASIC", "--format", "json")
    again = _json(capsys, "recommend", demo.model, "KET-BASIC", "--exclude", first, "--exclude", second,
                  "--format", "json")  # fmt: skip
    assert both["items"] == again["items"] and not {first, second} & {i["item_id"] for i in both["items"]}


def _best_sellers(model_path: str) -> list[tuple[str, str | None]]:
    """Sellable items, most bought first (ties by id), with their categories."""
    from recommender.model import Model

    data = Model.load(model_path).data
    ranked = sorted(zip(data.items, data.item_counts), key=lambda pair: (-pair[1], pair[0]))
    return [
        (item, data.catalog[item].category)
        for item, _ in ranked
        if data.catalog[item].in_stock and data.catalog[item].active
    ]


def test_an_empty_cart_gets_popular_items_and_max_per_category_caps_them(demo, capsys):
    sellers = _best_sellers(demo.model)
    answer = _json(capsys, "recommend", demo.model, "--format", "json")
    assert answer["fallback"] == "popular" and answer["unknown_items"] == []
    assert {item["kind"] for item in answer["items"]} == {"popular"}
    # One per category by default: the best seller of each of the first three categories met.
    first_of_category: dict[str | None, str] = {}
    for item, category in sellers:
        first_of_category.setdefault(category, item)
    assert [i["item_id"] for i in answer["items"]] == list(first_of_category.values())[:3]
    uncapped = _json(capsys, "recommend", demo.model, "--format", "json", "--max-per-category", "0")
    assert [i["item_id"] for i in uncapped["items"]] == [item for item, _ in sellers[:3]]
    assert uncapped["items"] != answer["items"]  # the sample shop's 1st and 3rd best sellers share a category
    status, out, _ = run(capsys, "recommend", demo.model)
    assert status == 0 and "(popular, score" in out and "fallback: popular items, for an empty cart" in out


def test_max_per_category_caps_a_cart_s_suggestions(demo, capsys):
    from recommender.model import Model

    catalog = Model.load(demo.model).data.catalog

    def most_of_one_category(*options):
        # Ranked by the rules, whose ten for the blender, uncapped, hold three of one category.
        command = ["recommend", demo.model, "BLEND-PRO", "--limit", "10", "--combine", "max", "--format", "json"]
        answer = _json(capsys, *command, *options)
        assert len(answer["items"]) == 10
        return max(Counter(catalog[i["item_id"]].category for i in answer["items"]).values())

    assert most_of_one_category() == 1
    assert most_of_one_category("--max-per-category", "2") == 2
    assert most_of_one_category("--max-per-category", "0") > 2


def test_the_table_says_where_a_back_off_came_from(demo, capsys):
    labels = {"cobought": "co-bought", "category_rules": "category rule"}
    seen = set()
    for cart in (["BAKE-PAPER"], ["BLEND-PRO"]):
        # The rules' ranking, whose back-offs these are.
        answer = _json(capsys, "recommend", demo.model, *cart, "--limit", "10", "--combine", "max", "--format", "json")
        status, out, _ = run(capsys, "recommend", demo.model, *cart, "--limit", "10", "--combine", "max")
        lines = out.splitlines()
        for rank, item in enumerate(answer["items"], start=1):
            head, text = lines[2 * rank - 2], lines[2 * rank - 1].strip()
            backoff = item["reason"].get("backoff")
            kind = f"{item['kind']} ({labels[backoff]})" if backoff else item["kind"]
            assert head.startswith(f"{rank}. ") and f"[{item['item_id']}]" in head and f"({kind}, score" in head
            if item["kind"] == "popular" and item["reason"].get("category"):
                assert text.startswith(f"popular in {item['reason']['category']}: in ")
                seen.add("popular in a category")
            seen.add(kind)
    # The sample shop's carts bring out every label.
    assert {"cross_sell", "cross_sell (co-bought)", "cross_sell (category rule)", "popular in a category"} <= seen


def test_rules_of_an_item(demo, capsys):
    every = _json(capsys, "rules", demo.model, "--format", "json")
    item = "KET-BASIC"

    def holding(rules, side="any"):
        left = [r for r in rules if item in r["antecedents"]]
        right = [r for r in rules if r["consequent"] == item]
        return {"antecedent": left, "consequent": right, "any": [r for r in rules if r in left or r in right]}[side]

    for side in ("any", "antecedent", "consequent"):
        found = _json(capsys, "rules", demo.model, "--item", item, "--item-side", side, "--format", "json")
        assert found == holding(every, side) and len(found) > 0, side
    assert len(holding(every, "any")) < len(every)
    # Sorting and the top N apply to the item's rules.
    top = _json(capsys, "rules", demo.model, "--item", item, "--sort", "confidence", "--top", "3", "--format", "json")
    by_confidence = _json(capsys, "rules", demo.model, "--sort", "confidence", "--format", "json")
    assert top == holding(by_confidence)[:3]
    # Several items: rules holding any of them.
    two = _json(capsys, "rules", demo.model, "--item", f"{item},MUG-CLASSIC", "--format", "json")
    assert len(two) == sum(1 for r in every if {item, "MUG-CLASSIC"} & {*r["antecedents"], r["consequent"]})
    status, out, _ = run(capsys, "rules", demo.model, "--item", item, "--format", "csv")
    assert status == 0 and len(out.strip().splitlines()) == len(holding(every)) + 1
    status, out, _ = run(capsys, "rules", demo.model, "--item", item, "--top", "4")
    assert status == 0 and all("Basic Kettle" in line for line in out.strip().splitlines()[1:])
    status, _, err = run(capsys, "rules", demo.model, "--item", "NO-SUCH-ITEM")
    assert status == 2 and "'NO-SUCH-ITEM' is none of the" in err and "Traceback" not in err


def test_why_shows_the_decision_trace(demo, capsys):
    """--why prints the trace after the answer; with --format json it is the answer's "trace",
    the same the Python API gives. Cart: the basic kettle and green tea, the classic mug excluded:
    the demo's PAN-20 upgrade case and the kettle's upgrade that takes the one upgrade slot."""
    from recommender import Recommender

    cart = ["KET-BASIC", "TEA-GREEN"]
    answer = _json(capsys, "recommend", demo.model, *cart, "--exclude", "MUG-CLASSIC", "--why", "--format", "json")
    expected = Recommender.load(demo.model).recommend(cart, exclude=["MUG-CLASSIC"], trace=True)
    assert answer["trace"] == json.loads(json.dumps([line.to_dict() for line in expected.trace]))
    status = {}
    for line in answer["trace"]:
        status.setdefault(line["item_id"], line["status"])
    assert status["MUG-CLASSIC"] == "excluded" and status["TEA-OOLONG"] == "kind_cap"
    assert status["KET-GLASS"] == "shown" and status["TEA-BREAKFAST"] == "substitute"
    code, out, _ = run(capsys, "recommend", demo.model, *cart, "--exclude", "MUG-CLASSIC", "--why")
    assert code == 0 and "why:" in out
    lines = out.splitlines()
    header = next(at for at, line in enumerate(lines) if line.startswith("shown  item"))
    rows = {cells[1]: cells[4] for cells in (line.split() for line in lines[header + 1 :]) if len(cells) >= 5}
    assert rows["MUG-CLASSIC"] == "excluded" and rows["KET-GLASS"] == "shown"
    # Without --why, no trace: neither in JSON nor in the table.
    plain = _json(capsys, "recommend", demo.model, *cart, "--format", "json")
    assert "trace" not in plain


def test_the_pans_upgrade_is_shown(demo, capsys):
    """The issue's case: 215 buyers (38%) of the 20 cm pan traded up to the 28 cm Pro; a weaker
    complement of the same category (cookware) no longer pushes it out."""
    answer = _json(capsys, "recommend", demo.model, "PAN-20", "--format", "json")
    upgrade = next(item for item in answer["items"] if item["kind"] == "upgrade")
    assert upgrade["item_id"] == "PAN-28-PRO" and upgrade["reason"]["customers"] == 215
    assert upgrade["reason"]["share"] == pytest.approx(0.378, abs=0.001)
