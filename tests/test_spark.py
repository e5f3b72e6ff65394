"""The Spark engine writes the model the mlxtend engine writes: same rules, counts and metrics.

One local Spark session (``local[2]``) serves the whole module; the tests that need none run
the CLI in a subprocess (no pyspark, no Java) and skip nothing.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from recommender import mine
from recommender.config import RULE_METRICS

from .conftest import REPO, data_file
from .test_oracle import shops

HAS_PYSPARK = importlib.util.find_spec("pyspark") is not None
needs_pyspark = pytest.mark.skipif(not HAS_PYSPARK, reason="pyspark is not installed (the spark extra)")
EXACT = ["antecedents", "consequent", "count", "antecedent_count", "consequent_count"]


@pytest.fixture(scope="module")
def spark():
    """One local session for the module; mine(engine="spark") joins it instead of starting one."""
    pytest.importorskip("pyspark")
    from recommender.mining.spark_engine import SparkSettings, spark_session

    session = spark_session(
        SparkSettings.of(
            master="local[2]",
            conf=["spark.ui.enabled=false", "spark.sql.shuffle.partitions=4", "spark.default.parallelism=2"],
        )
    )
    yield session
    session.stop()


def sorted_rules(model) -> pd.DataFrame:
    rules = model.rules.copy()
    rules["antecedents"] = rules["antecedents"].map(tuple)
    return rules.sort_values(["antecedents", "consequent"]).reset_index(drop=True)


def assert_same_model(spark_model, mlxtend_model) -> None:
    """Identical rule sets with identical counts; every metric equal as floats."""
    a, b = sorted_rules(spark_model), sorted_rules(mlxtend_model)
    assert len(a) == len(b)
    assert a[EXACT].to_dict("records") == b[EXACT].to_dict("records")
    for metric in RULE_METRICS:
        assert a[metric].to_numpy() == pytest.approx(b[metric].to_numpy(), rel=1e-12, abs=1e-15), metric
    assert spark_model.data.itemsets == mlxtend_model.data.itemsets  # the bundles
    assert spark_model.data.items == mlxtend_model.data.items
    assert spark_model.data.item_counts == mlxtend_model.data.item_counts
    assert spark_model.n_baskets == mlxtend_model.n_baskets
    assert spark_model.config["min_count"] == mlxtend_model.config["min_count"]
    assert spark_model.config["engine"] == "spark"


@needs_pyspark
@pytest.mark.slow
def test_groceries_same_5668_rules_as_mlxtend(spark, tmp_path):
    path = data_file("groceries.csv")
    thresholds = {"min_support": 0.001, "min_confidence": 0.5, "max_len": 10}
    with_spark = mine(path, engine="spark", **thresholds)
    with_mlxtend = mine(path, engine="mlxtend", **thresholds)
    assert len(with_spark.rules) == 5668  # R arules' apriori() on the same thresholds
    assert_same_model(with_spark, with_mlxtend)
    versions = with_spark.provenance["versions"]
    assert versions["pyspark"] and "mlxtend" not in versions
    assert with_spark.provenance["spark"]["master"] == "local[2]"
    # The artifact is the one the service loads.
    from recommender import Recommender

    loaded = Recommender.load(with_spark.save(tmp_path / "spark.rcm"))
    assert loaded.recommend(["whole milk", "yogurt"], limit=3).items


@needs_pyspark
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(shop=shops(min_baskets=2))
def test_random_shops_same_rules_as_mlxtend(spark, shop):
    baskets, min_support, min_confidence, max_len = shop
    thresholds = {"min_support": min_support, "min_confidence": min_confidence, "max_len": max_len, "max_pairs": None}
    assert_same_model(mine(baskets, engine="spark", **thresholds), mine(baskets, engine="mlxtend", **thresholds))


def long_orders(rng: np.random.Generator, n_orders: int = 400) -> pd.DataFrame:
    """Order lines with everything a reader must handle: repeats, cancellations, returns, blanks."""
    items = [f"SKU-{k:02d}" for k in range(25)]
    weights = 1.0 / np.arange(1, 26)
    rows = []
    for order in range(n_orders):
        size = int(rng.integers(1, 7))
        chosen = rng.choice(items, size=size, replace=False, p=weights / weights.sum())
        if order % 7 == 0:
            chosen = np.append(chosen, "SKU-00")  # the bundle of the shop
            chosen = np.append(chosen, "SKU-01")
        for item in chosen:
            rows.append({"InvoiceNo": str(10_000 + order), "StockCode": item, "Quantity": 1.0, "UnitPrice": 2.5})
        if order % 11 == 0:  # the same item on two lines
            rows.append({"InvoiceNo": str(10_000 + order), "StockCode": chosen[0], "Quantity": 2.0, "UnitPrice": 2.5})
        if order % 13 == 0:  # a return
            rows.append({"InvoiceNo": str(10_000 + order), "StockCode": "SKU-24", "Quantity": -1.0, "UnitPrice": 2.5})
    rows.append({"InvoiceNo": "C10003", "StockCode": "SKU-03", "Quantity": -1.0, "UnitPrice": 2.5})
    rows.append({"InvoiceNo": "10005", "StockCode": "  ", "Quantity": 1.0, "UnitPrice": 2.5})
    return pd.DataFrame(rows)


@needs_pyspark
def test_parquet_folder_stays_in_spark(spark, tmp_path):
    frame = long_orders(np.random.default_rng(8))
    folder = tmp_path / "orders"
    folder.mkdir()
    for part, chunk in enumerate(np.array_split(np.arange(len(frame)), 3)):  # a folder of part files
        frame.iloc[chunk].to_parquet(folder / f"part-{part:05d}.parquet", index=False)
    thresholds = {"min_support": 0.02, "min_confidence": 0.1, "max_len": 3}
    with_spark = mine(folder, engine="spark", **thresholds)
    with_mlxtend = mine(folder, engine="mlxtend", **thresholds)
    assert len(with_spark.rules) > 10
    assert_same_model(with_spark, with_mlxtend)
    # Read in Spark with the pandas reader's semantics, and nothing of the baskets on the driver.
    assert with_spark.provenance["read"] == with_mlxtend.provenance["read"]
    read = with_spark.provenance["read"]
    assert read["cancelled_rows"] == 1 and read["returned_rows"] > 0 and read["repeated_item_rows"] > 0
    assert read["missing_item_rows"] == 1
    assert with_spark.provenance["input"]["sha256"] == with_mlxtend.provenance["input"]["sha256"]
    assert with_spark.provenance["spark"]["input_in_spark"] is True
    assert "skipped" in with_spark.provenance["spark"]["tradeups"]
    assert with_spark.baskets is None


def day_lines(rng: np.random.Generator) -> tuple[pd.DataFrame, int]:
    """Lines of 80 customers over 8 days with no order id, each visit at 00:30, 12:00 or 23:30,
    and how many visits (customer days) they make: the baskets both readers must find."""
    items = [f"P{k:02d}" for k in range(12)]
    rows, visits = [], set()
    for customer in range(80):
        for day in rng.choice(8, size=int(rng.integers(1, 5)), replace=False):
            at = (
                pd.Timestamp("2015-07-01")
                + pd.Timedelta(days=int(day))
                + pd.Timedelta(rng.choice(["00:30:00", "12:00:00", "23:30:00"]))
            )
            chosen = list(rng.choice(items, size=int(rng.integers(1, 5)), replace=False))
            if customer % 3 == 0:
                chosen += [item for item in ("P10", "P11") if item not in chosen]  # the shop's pair
            rows += [{"Member_number": float(1000 + customer), "Date": at, "itemDescription": item} for item in chosen]
            visits.add((customer, at.date()))
    return pd.DataFrame(rows), len(visits)


@needs_pyspark
@pytest.mark.slow
@pytest.mark.parametrize("written", ["utc timestamps", "naive timestamps", "text", "text with a zone"])
def test_day_baskets_read_in_spark_are_the_pandas_readers(spark, tmp_path, written):
    """A Parquet file without an order column: Spark groups each customer's lines of one day as
    the pandas reader does, whatever the session's time zone (Tokyo here, UTC+9: a day taken in
    it would move the visits at 00:30 and 23:30). Times with a zone count in UTC (the text's
    "+01:00" visits at 00:30 fall on the day before), times without one as written."""
    frame, visits = day_lines(np.random.default_rng(3))
    if written == "utc timestamps":
        frame["Date"] = frame["Date"].dt.tz_localize("UTC")
    elif written == "text":
        frame["Date"] = frame["Date"].dt.strftime("%Y-%m-%d %H:%M:%S")
    elif written == "text with a zone":
        frame["Date"] = frame["Date"].dt.strftime("%Y-%m-%dT%H:%M:%S+01:00")
        shifted = frame.assign(day=(frame["Date"].str[:19].map(pd.Timestamp) - pd.Timedelta(hours=1)).dt.date)
        visits = len(shifted[["Member_number", "day"]].drop_duplicates())
    path = tmp_path / "visits.parquet"
    frame.to_parquet(path, index=False)
    zone = spark.conf.get("spark.sql.session.timeZone")
    spark.conf.set("spark.sql.session.timeZone", "Asia/Tokyo")
    try:
        thresholds = {"min_support": 0.02, "min_confidence": 0.1, "max_len": 3}
        with_spark = mine(path, engine="spark", **thresholds)
    finally:
        spark.conf.set("spark.sql.session.timeZone", zone)
    with_mlxtend = mine(path, engine="mlxtend", **thresholds)
    assert with_mlxtend.n_baskets == visits
    assert len(with_spark.rules) > 5
    assert_same_model(with_spark, with_mlxtend)
    assert with_spark.provenance["read"] == with_mlxtend.provenance["read"]
    assert with_spark.provenance["read"]["day_baskets"] == ["Member_number", "Date"]


@needs_pyspark
def test_day_baskets_in_spark_refuse_dates_spark_cannot_read(spark, tmp_path):
    from recommender.exceptions import InputError

    frame = pd.DataFrame(
        {"customer": ["7", "7", "8"], "time": ["2015-01-12", "13/01/2015", "2015-01-12"], "item": list("abc")}
    )
    frame.to_parquet(tmp_path / "visits.parquet", index=False)
    with pytest.raises(InputError, match=r"column 'time' must hold dates, but a line has '13/01/2015'.*--engine spark"):
        mine(tmp_path / "visits.parquet", engine="spark", min_support=0.5)


@needs_pyspark
def test_support_boundary_where_spark_would_round_up(spark):
    # 0.07 * 100 is 7.000000000000001 in floating point: Spark's own ceil(minSupport * n) would
    # ask for 8 baskets, while 7 / 100 >= 0.07 holds. The engine must keep the pair at 7.
    baskets = [["tea", "kettle"]] * 7 + [["mug"]] * 93
    model = mine(baskets, engine="spark", min_support=0.07, min_confidence=0.5)
    assert model.config["min_count"] == 7
    assert sorted_rules(model)[["antecedents", "consequent", "count"]].to_dict("records") == [
        {"antecedents": ("kettle",), "consequent": "tea", "count": 7},
        {"antecedents": ("tea",), "consequent": "kettle", "count": 7},
    ]


@needs_pyspark
def test_spark_max_pairs_guard(spark):
    baskets = [list("abcdef")] * 5 + [list("ab")] * 3
    with pytest.raises(ValueError, match="more than max_pairs 3.*raise --min-support to"):
        mine(baskets, engine="spark", min_support=0.5, max_pairs=3)


def run_cli(args: list[str], env: dict[str, str], *, prelude: str = "") -> subprocess.CompletedProcess[str]:
    code = f"import sys\n{prelude}\nfrom recommender.cli import main\nsys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=120, cwd=REPO
    )


def baskets_file(tmp_path: Path) -> Path:
    path = tmp_path / "baskets.csv"
    path.write_text("tea,kettle\ntea,kettle\ntea\nmug,tea\n")
    return path


def test_cli_without_pyspark_says_how_to_install(tmp_path):
    # The interpreter is told pyspark cannot be imported, as on a machine without the extra.
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = run_cli(
        ["mine", str(baskets_file(tmp_path)), "-o", str(tmp_path / "m.rcm"), "--engine", "spark"],
        env,
        prelude="sys.modules['pyspark'] = None",
    )
    assert done.returncode == 2, done.stderr
    assert 'pip install -e ".[spark]"' in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "m.rcm").exists()


@needs_pyspark
def test_cli_without_java_says_so(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"JAVA_HOME", "PYSPARK_GATEWAY_PORT"}}
    empty = tmp_path / "bin"
    empty.mkdir()
    env.update(PATH=str(empty), PYTHONPATH=str(REPO))
    args = ["mine", str(baskets_file(tmp_path)), "-o", str(tmp_path / "m.rcm"), "--engine", "spark"]
    done = run_cli(args, env)
    assert done.returncode == 2, done.stderr
    assert "Java 17" in done.stderr and "JAVA_HOME" in done.stderr and "Traceback" not in done.stderr
    done = run_cli(args, {**env, "JAVA_HOME": str(tmp_path / "no-jdk")})
    assert done.returncode == 2 and "no-jdk" in done.stderr and "does not exist" in done.stderr


def test_cli_bad_spark_conf(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    args = ["mine", str(baskets_file(tmp_path)), "-o", str(tmp_path / "m.rcm"), "--engine", "spark"]
    done = run_cli([*args, "--spark-conf", "driver.memory"], env)
    assert done.returncode == 2 and "KEY=VALUE" in done.stderr


def test_spark_settings_without_the_spark_engine_are_refused():
    with pytest.raises(ValueError, match="apply to the spark engine only.*--engine spark"):
        mine([["tea", "kettle"]], spark_master="local[2]")


@needs_pyspark
@pytest.mark.slow
def test_cli_mines_with_spark_end_to_end(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    model = tmp_path / "m.rcm"
    done = run_cli(
        [
            "mine", str(baskets_file(tmp_path)), "-o", str(model), "--engine", "spark", "--min-support", "0.5",
            "--spark-master", "local[1]", "--spark-conf", "spark.ui.enabled=false",
        ],
        env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert ", 2 rules in" in done.stdout  # kettle -> tea (confidence 1) and tea -> kettle (0.5)
    from recommender import Recommender

    loaded = Recommender.load(model)
    assert loaded.recommend(["kettle"], limit=1).items[0].item_id == "tea"
