"""The command line as users run it: a real subprocess for the installed entry point, in-process otherwise."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from recommender.cli import main

from .conftest import data_file


def run(capsys, *argv):
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize("command", [[], ["demo"], ["mine"], ["rules"]])
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


def test_demo_runs_end_to_end(tmp_path, capsys):
    status, out, err = run(capsys, "demo", "--out", str(tmp_path / "demo"))
    assert status == 0, err
    assert (tmp_path / "demo" / "orders.csv").exists() and (tmp_path / "demo" / "catalog.csv").exists()
    assert "cancellation rows" in out and "strongest rules" in out
    # The model it wrote is complete and names products by their catalog names.
    status, out, _ = run(capsys, "rules", str(tmp_path / "demo" / "model.rcm"), "--format", "json", "--top", "5")
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

    assert first() == ("d", 0.6)
    assert first("--combine", "cumulative") == ("c", 0.62)  # 0.5 + (0.4 - 4/25) / 2
    assert first("--combine", "noisy_or") == ("c", 0.7)  # 1 - 0.5 x 0.6
    assert first("--min-lift", "5") == ("d", 0.6)
    status, _, err = run(capsys, "recommend", str(model), "a", "--min-lift", "-1")
    assert status == 2 and "min_lift must be 0 or more" in err
