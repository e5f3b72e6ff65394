"""The benchmark scripts run and their results are right; their timings are never asserted."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from .conftest import DATA, REPO, data_file, run_benchmark


@pytest.mark.slow
def test_mining_benchmark_small_preset(tmp_path):
    data_file("groceries.csv")
    out = tmp_path / "mining.json"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "bench_mining.py"),
            "--preset",
            "small",
            "--data",
            str(DATA),
            "--json",
            str(out),
        ],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    result = json.loads(out.read_text())
    assert result["same_rules"] is True
    assert result["rules"] == 5668
    assert result["ours"]["seconds"] > 0 and result["tutorial"]["seconds"] > 0
    assert result["ours"]["peak_mb"] >= 0 and result["tutorial"]["peak_mb"] > 0


@pytest.mark.slow
def test_recommend_benchmark_small_preset(tmp_path):
    data_file("groceries.csv")
    result = run_benchmark("bench_recommend.py", tmp_path / "recommend.json", "--data", str(DATA))
    agreed, total = map(int, result["same_answers"].split("/"))
    assert total == 100 and agreed == total  # every answer equals the pandas approach's
    assert result["rules"] > 5000 and result["ours_us"]["p50"] > 0 and result["load"]["seconds"] > 0


@pytest.mark.slow
def test_service_benchmark_small_preset(tmp_path):
    pytest.importorskip("uvicorn")
    result = run_benchmark("bench_service.py", tmp_path / "service.json")
    assert result["errors"] == 0 and result["requests"] > 100
    assert result["p50_ms"] <= result["p99_ms"] and result["server_rss_mb"]["after"] > 0


@pytest.mark.slow
def test_quality_benchmark_small_preset(tmp_path):
    data_file("groceries.csv")
    result = run_benchmark("bench_quality.py", tmp_path / "quality.json", "--data", str(DATA))
    (table,) = result["tables"]
    systems = table["systems"]
    assert table["counts"]["cases"] == 500 and {"rules", "popular", "cooccurrence", "ease", "random"} <= set(systems)
    # Every system well above a random guess, which finds the item about 3 times in 169.
    for name in ("rules", "popular", "cooccurrence", "cosine", "ease"):
        assert systems[name]["hit_rate"] > 3 * systems["random"]["hit_rate"] > 0
    # EASE states what it chose; beyond the obvious, popular items never hit (they are the obvious).
    assert table["ease"]["lambda_source"] == "validation" and table["ease"]["items_modelled"] == 168
    assert table["beyond"]["popular"] == 0.0 and table["beyond"]["ease"] > 0
    assert [(s["parameter"], s["value"]) for s in result["sweeps"]] == [
        ("min_confidence", 0.05), ("min_confidence", 0.1), ("combine", "max"), ("combine", "noisy_or"),
        ("combine", "cumulative"),
    ]  # fmt: skip
    (seeded,) = result["seeded"]
    assert set(seeded["systems"]) == {"rules", "rules, cumulative", "popular", "cooccurrence", "cosine", "ease"}
    assert [run["seed"] for run in seeded["runs"]] == [0, 1]
    assert all(run["ease"]["lambda"] > 0 for run in seeded["runs"])
    assert all(0 < s["hit_rate"] < 0.5 and s["rules"] > 0 for s in result["sweeps"])


@pytest.mark.slow
def test_scale_benchmark_small_preset(tmp_path):
    pytest.importorskip("pyspark")
    result = run_benchmark("bench_scale.py", tmp_path / "scale.json", "--workdir", str(tmp_path / "work"))
    assert [row["baskets"] for row in result["runs"]] == [5_000, 10_000]
    for row in result["runs"]:
        assert row["same_rules"] is True  # both engines, the same rules with the same counts
        for engine in ("mlxtend", "spark"):
            run = row[engine]
            assert run["baskets"] == row["baskets"] and run["rules"] > 0
            assert run["seconds"] > 0 and run["peak_mb"] > 0
            assert 0 < row["bundles_found"][engine] <= result["bundles"]


@pytest.mark.slow
def test_database_benchmark_small_preset(tmp_path, postgres_url):
    result = run_benchmark("bench_database.py", tmp_path / "database.json", "--postgres", postgres_url)
    assert result["rows"] == 31_446 and result["same_baskets"] is True  # every source, the same baskets
    assert result["summary"].startswith("31,446 rows read: 12,259 baskets of 87 distinct items")
    assert set(result["read"]) == {
        "csv", "parquet", "sqlite", "postgresql_chunk_1000", "postgresql_chunk_10000", "postgresql_chunk_100000",
    }  # fmt: skip
    for run in [*result["read"].values(), result["fetch"]["sqlalchemy_chunk_50000"]]:
        assert run["rows"] == 31_446 and run["rows_per_s"] > 0 and run["peak_mb"] >= result["imports_peak_mb"] > 0


@pytest.mark.slow
def test_service_benchmark_events_sqlite(tmp_path):
    pytest.importorskip("uvicorn")
    result = run_benchmark(
        "bench_service.py", tmp_path / "events.json", "--events", "sqlite", "--duration", "2",
        "--connections", "2", "--event-connections", "2",
    )  # fmt: skip
    events = result["events"]
    assert result["errors"] == 0 and result["requests"] > 0  # recommendations answered alongside
    assert events["errors"] == 0 and events["error_examples"] == []
    # Every event acknowledged with 202, warm-up included, is a row of the store; batches of 10.
    assert events["stored"] == events["acknowledged_with_warm_up"] >= events["acknowledged"] > 0
    assert events["acknowledged"] % 10 == 0 and events["store"] == "sqlite"


@pytest.mark.slow
def test_reading_benchmark_small_preset(tmp_path):
    result = run_benchmark("bench_reading.py", tmp_path / "reading.json", "--workdir", str(tmp_path / "work"))
    assert [(run["lines"], run["format"]) for run in result["runs"]] == [
        (20_000, "csv"), (20_000, "parquet"), (60_000, "csv"), (60_000, "parquet"),
    ]  # fmt: skip
    for run in result["runs"]:
        # Every line read, 10 lines an order, the items of 2,000 that the lines drew.
        assert run["rows"] == run["lines"] and run["baskets"] == run["lines"] // 10
        assert 1_000 < run["items"] <= 2_000 and run["read_seconds"] > 0 and run["peak_rise_mb"] >= 0
