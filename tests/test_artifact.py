"""The model file: round trip, refusal of damaged files, atomic writes, a light load path."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from recommender import ArtifactError, mine
from recommender.artifact import read_model, write_model
from recommender.model import Model

BASKETS = [["tea", "kettle", "mug"], ["tea", "kettle"], ["tea", "mug"], ["tea"], ["coffee", "mug"]] * 3


@pytest.fixture
def model():
    catalog = pd.DataFrame(
        {
            "item_id": ["tea", "kettle", "mug"],
            "name": ["Green tea", "Kettle", "Mug"],
            "category": ["tea", "appliances", "tableware"],
            "price": [3.5, 20.0, None],
            "in_stock": ["yes", "no", "yes"],
        }
    )
    return mine(BASKETS, min_support=0.2, min_confidence=0.3, max_len=3, catalog=catalog)


def test_round_trip_keeps_everything(tmp_path, model):
    path = model.save(tmp_path / "model.rcm")
    loaded = Model.load(path)
    assert loaded.data == model.data
    pd.testing.assert_frame_equal(loaded.rules, model.rules)
    pd.testing.assert_frame_equal(loaded.itemsets, model.itemsets)
    assert loaded.catalog.loc["kettle", "in_stock"] is False or not loaded.catalog.loc["kettle", "in_stock"]
    assert loaded.catalog.loc["mug", "price"] is None or pd.isna(loaded.catalog.loc["mug", "price"])
    assert loaded.rules["consequent_name"].isin(["Green tea", "Kettle", "Mug", "coffee"]).all()


def test_provenance_is_recorded(tmp_path, model):
    provenance = Model.load(model.save(tmp_path / "m.rcm")).provenance
    assert provenance["counts"]["baskets"] == 15
    assert provenance["counts"]["rules"] == len(model.rules)
    assert len(provenance["input"]["sha256"]) == 64
    assert set(provenance["versions"]) >= {"recommender", "python", "mlxtend", "pandas", "scipy", "numpy"}
    hygiene = model.config["hygiene"]
    assert {key: value for key, value in model.config.items() if key != "hygiene"} == {
        "min_support": 0.2,
        "min_confidence": 0.3,
        "max_len": 3,
        "max_pairs": 50_000,
        "min_count": 3,
        "min_count_floor": 1,
        "max_p": None,
        "correction": "fdr_bh",
        "prune_redundant": False,
        "shrinkage": 0.0,
        "engine": "mlxtend",
    }
    # Nothing asked of the hygiene: every rule tested and kept, the redundant ones only flagged.
    assert hygiene["tested"] == hygiene["kept"] == len(model.rules)
    assert hygiene["not_significant"] == 0
    assert hygiene["redundant"] == int(model.rules["redundant"].sum())


def test_the_same_input_gives_the_same_content_digest(tmp_path):
    a = mine(BASKETS, min_support=0.2)
    b = mine(list(reversed(BASKETS)), min_support=0.2)
    assert a.provenance["input"]["sha256"] == b.provenance["input"]["sha256"]


def test_truncated_file_is_refused(tmp_path, model):
    path = model.save(tmp_path / "model.rcm")
    raw = path.read_bytes()
    for cut in (len(raw) - 1, len(raw) // 2, raw.index(b"\n") + 1, 10, 0):
        path.write_bytes(raw[:cut])
        with pytest.raises(ArtifactError, match="truncated|not a recommender model"):
            read_model(path)


def test_corrupt_byte_is_refused(tmp_path, model):
    path = model.save(tmp_path / "model.rcm")
    raw = bytearray(path.read_bytes())
    raw[-20] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(ArtifactError, match="corrupt"):
        read_model(path)


def test_other_schema_and_other_files_are_refused(tmp_path, model):
    path = model.save(tmp_path / "model.rcm")
    header, _, payload = path.read_bytes().partition(b"\n")
    newer = json.loads(header)
    newer["schema_version"] = 99
    path.write_bytes(json.dumps(newer).encode() + b"\n" + payload)
    with pytest.raises(ArtifactError, match="schema version 99"):
        read_model(path)
    other = tmp_path / "orders.csv"
    other.write_text("order_id,item_id\n1,a\n")
    with pytest.raises(ArtifactError, match="not a recommender model file"):
        read_model(other)
    with pytest.raises(ArtifactError, match="does not exist"):
        read_model(tmp_path / "nope.rcm")


def test_write_is_atomic_and_leaves_no_temporary_file(tmp_path, model, monkeypatch):
    path = model.save(tmp_path / "model.rcm")
    before = path.read_bytes()

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_model(model.data, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.rcm"]


def test_loading_imports_no_pandas_scipy_or_mlxtend(tmp_path, model):
    path = model.save(tmp_path / "model.rcm")
    code = (
        "import sys, recommender\n"
        "from recommender.artifact import read_model\n"
        f"data = read_model({str(path)!r})\n"
        "assert len(data.rules) > 0\n"
        "heavy = sorted(m for m in ('pandas', 'scipy', 'mlxtend', 'numpy') if m in sys.modules)\n"
        "print(heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
