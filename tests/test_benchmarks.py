"""The benchmark scripts run and their results are right; their timings are never asserted."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from .conftest import DATA, REPO, data_file


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
