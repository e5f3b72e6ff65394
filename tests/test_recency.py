"""Recency (``--half-life``): recent orders weigh more in the confidences and lifts the ranking
uses, while the thresholds, the rules and the reasons stay on the raw basket counts."""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import replace
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recommender import mine
from recommender.artifact import FORMAT, read_model, write_model
from recommender.cli import main
from recommender.config import RankingConfig
from recommender.evaluation import evaluate
from recommender.exceptions import ArtifactError, ConfigError, InputError
from recommender.io import Baskets
from recommender.mining.recency import MIN_WEIGHT, basket_weights, recency_of, weighted_counts
from recommender.model_data import check_model
from recommender.ranking import Recommender
from recommender.sample_shop import generate_sample_shop

from .conftest import run_benchmark

MAX = RankingConfig(combine="max")


def _orders() -> pd.DataFrame:
    """Four old baskets of tea and a kettle (2026-01-01), then two of tea and a mug and two of
    cake, 60 days later. Raw: tea -> kettle 4/6, tea -> mug 2/6. With a half-life of 30 days the
    old baskets weigh 1/4: tea 3, kettle 1, mug 2, cake 2 of 5, so tea -> kettle 1/3, tea -> mug 2/3."""
    rows = []
    for k in range(4):
        rows += [(f"o{k}", "tea", "2026-01-01 10:00"), (f"o{k}", "kettle", "2026-01-01 10:00")]
    for k in range(4, 6):
        rows += [(f"o{k}", "tea", "2026-03-02 10:00"), (f"o{k}", "mug", "2026-03-02 10:00")]
    for k in range(6, 8):
        rows += [(f"o{k}", "cake", "2026-03-02 10:00")]
    return pd.DataFrame(rows, columns=["order_id", "item_id", "timestamp"])


def _mine(**options):
    return mine(_orders(), min_support=0.2, min_confidence=0.3, learn_weights=False, workers=1, **options)


def test_the_weighted_counts_of_the_hand_checked_shop():
    model = _mine(half_life=30)
    recency = model.data.recency
    assert model.data.items == ("cake", "kettle", "mug", "tea")
    assert recency.half_life_days == 30.0 and recency.at == "2026-03-02T10:00:00Z"
    assert recency.baskets == pytest.approx(5.0)
    assert recency.item_counts == pytest.approx((2.0, 1.0, 2.0, 3.0))
    weighted = {
        (model.data.items[c], tuple(model.data.items[a] for a in antecedent)): (w, wa)
        for antecedent, c, w, wa in zip(
            model.data.rules.antecedents, model.data.rules.consequents, recency.rule_counts, recency.antecedent_counts
        )
    }
    assert weighted[("kettle", ("tea",))] == pytest.approx((1.0, 3.0))
    assert weighted[("mug", ("tea",))] == pytest.approx((2.0, 3.0))
    assert weighted[("tea", ("kettle",))] == pytest.approx((1.0, 1.0))
    assert model.data.provenance["recency"] == {
        "half_life_days": 30.0, "at": "2026-03-02T10:00:00Z", "weighted_baskets": pytest.approx(5.0)
    }  # fmt: skip


def test_the_rules_are_the_same_and_the_ranking_follows_the_recent_orders():
    plain, recent = _mine(), _mine(half_life=30)
    assert plain.data.recency is None and plain.data.provenance["recency"] is None
    # Thresholds on raw counts: the same rules with the same counts (arules parity holds).
    assert plain.data.rules == recent.data.rules
    pd.testing.assert_frame_equal(plain.rules, recent.rules)
    before = Recommender(plain.data, config=MAX).recommend(["tea"], limit=2)
    after = Recommender(recent.data, config=MAX).recommend(["tea"], limit=2)
    assert [s.item_id for s in before.items] == ["kettle", "mug"]
    assert [s.item_id for s in after.items] == ["mug", "kettle"]
    assert after.items[0].score == pytest.approx(2 / 3)  # the weighted confidence ranks
    # The reason says what the baskets show: 2 of the 6 baskets with tea had a mug.
    reason = after.items[0].reason
    assert reason["baskets"] == 2 and reason["confidence"] == pytest.approx(1 / 3)
    assert reason["lift"] == pytest.approx(1 / 3 * 8 / 2)


def test_a_lift_floor_reads_the_weighted_lift():
    # tea -> kettle: raw lift 4/6 * 8/4 = 1.33; weighted 1/3 * 5/1 = 1.67. A floor of 1.5 keeps
    # it only with the half-life.
    config = RankingConfig(combine="max", min_lift=1.5)
    assert "kettle" not in [s.item_id for s in Recommender(_mine().data, config=config).recommend(["tea"]).items
                            if s.kind == "cross_sell"]  # fmt: skip
    assert "kettle" in [s.item_id for s in Recommender(_mine(half_life=30).data, config=config).recommend(["tea"]).items
                        if s.kind == "cross_sell"]  # fmt: skip


def test_the_model_file_keeps_the_weights_and_older_files_still_load(tmp_path):
    model = _mine(half_life=30)
    path = model.save(tmp_path / "recent.rcm")
    loaded = read_model(path)
    assert loaded.recency == model.data.recency
    again = Recommender.load(path, config=MAX).recommend(["tea"], limit=2)
    assert [s.item_id for s in again.items] == ["mug", "kettle"]
    # A file of schema version 4 (before recency) loads, without weights.
    body = json.loads(gzip.decompress(path.read_bytes().partition(b"\n")[2]))
    del body["recency"]
    compressed = gzip.compress(json.dumps(body).encode(), mtime=0)
    header = {"format": FORMAT, "schema_version": 4, "model_id": "old", "created_at": "2026-01-01T00:00:00Z",
              "compression": "gzip", "payload_bytes": len(compressed),
              "payload_sha256": hashlib.sha256(compressed).hexdigest()}  # fmt: skip
    old = tmp_path / "old.rcm"
    old.write_bytes(json.dumps(header).encode() + b"\n" + compressed)
    assert read_model(old).recency is None
    assert [s.item_id for s in Recommender.load(old, config=MAX).recommend(["tea"], limit=2).items] == [
        "kettle", "mug"
    ]  # fmt: skip


def test_weighted_counts_out_of_their_bounds_are_refused(tmp_path):
    data = _mine(half_life=30).data
    recency = data.recency
    too_heavy = replace(recency, item_counts=(2.0, 5.0, 2.0, 3.0))  # kettle is in 4 baskets
    with pytest.raises(ValueError, match=r"recency.item_counts\[1\] is 5.0"):
        check_model(replace(data, recency=too_heavy))
    over = replace(recency, rule_counts=tuple(c + 10 for c in recency.rule_counts))
    with pytest.raises(ValueError, match=r"recency.rule_counts\[0\]"):
        check_model(replace(data, recency=over))
    short = replace(recency, rule_counts=recency.rule_counts[:-1])
    with pytest.raises(ArtifactError, match="recency.rule_counts holds"):
        write_model(replace(data, recency=short), tmp_path / "m.rcm")
    assert not (tmp_path / "m.rcm").exists()


@pytest.mark.parametrize("half_life", [0, -3, float("inf"), float("nan"), True, "30"])
def test_a_half_life_that_is_not_a_positive_number_of_days_is_refused(half_life):
    with pytest.raises(ConfigError, match="half_life must be a positive number of days"):
        _mine(half_life=half_life)


def test_orders_without_times_cannot_weigh_by_age():
    with pytest.raises(InputError, match="has no order times"):
        mine([["tea", "kettle"], ["tea"]], min_support=0.5, half_life=30, learn_weights=False)
    orders = _orders()
    orders.loc[orders["order_id"] == "o7", "timestamp"] = None
    with pytest.raises(InputError, match="1 of the 8 orders .* have no time"):
        mine(orders, min_support=0.2, half_life=30, learn_weights=False)


def test_basket_weights_halve_every_half_life_and_never_reach_zero():
    times = np.array(["2000-01-01", "2026-01-01", "2026-01-31", "2026-03-02"], dtype="datetime64[ns]")
    weights = basket_weights(times, 30.0)
    assert weights[1:].tolist() == pytest.approx([0.25, 0.5, 1.0])
    assert weights[0] == pytest.approx(2.0 ** -(9557 / 30))  # 26 years: tiny, but a weight
    assert basket_weights(times, 1.0)[0] == MIN_WEIGHT  # 2 ** -9557 is 0 as a float


@settings(max_examples=40, deadline=None)
@given(
    baskets=st.lists(st.sets(st.integers(0, 5), min_size=1, max_size=5), min_size=1, max_size=25),
    raw_weights=st.lists(st.floats(0.01, 1.0), min_size=25, max_size=25),
)
def test_weighted_counts_match_brute_force(baskets, raw_weights):
    b = Baskets.from_lists([[f"i{k}" for k in sorted(basket)] for basket in baskets])
    weights = np.asarray(raw_weights[: len(b)])
    itemsets = [s for size in (1, 2, 3, 4) for s in combinations(range(b.n_items), size)]
    found = weighted_counts(b, weights, itemsets)
    held = [set(b.indices[b.indptr[i] : b.indptr[i + 1]].tolist()) for i in range(len(b))]
    expected = [sum(w for basket, w in zip(held, weights) if set(s) <= basket) for s in itemsets]
    assert found.tolist() == pytest.approx(expected)
    # Every weight 1: the weighted counts are the basket counts.
    ones = weighted_counts(b, np.ones(len(b)), itemsets)
    assert ones.tolist() == [sum(set(s) <= basket for basket in held) for s in itemsets]


def test_the_sample_shop_with_a_half_life_is_a_model_that_serves(tmp_path):
    shop = generate_sample_shop(seed=7, n_customers=80, days=200)
    model = mine(shop.orders, catalog=shop.catalog, min_support=0.02, half_life=30, workers=1)
    check_model(model.data)
    rules = model.data.rules
    recency = recency_of(model.baskets, rules, 30.0)
    assert recency == model.data.recency
    assert all(0 < w <= c for w, c in zip(recency.rule_counts, rules.counts))
    answer = Recommender(read_model(model.save(tmp_path / "m.rcm"))).recommend(list(shop.orders["item_id"][:2]))
    assert answer.items


# -- command line and evaluate ------------------------------------------------------------------------


def test_mine_and_evaluate_take_half_life(tmp_path, capsys):
    orders = tmp_path / "orders.csv"
    generate_sample_shop(seed=7, n_customers=80, days=200).orders.to_csv(orders, index=False)
    model = tmp_path / "m.rcm"
    assert main(["mine", str(orders), "-o", str(model), "--min-support", "0.02", "--half-life", "45",
                 "--workers", "1"]) == 0  # fmt: skip
    assert read_model(model).provenance["recency"]["half_life_days"] == 45.0
    capsys.readouterr()
    assert main(["evaluate", str(orders), "--min-support", "0.02", "--half-life", "45", "--systems", "rules,popular",
                 "--format", "json", "--max-cases", "200", "--workers", "1"]) == 0  # fmt: skip
    result = json.loads(capsys.readouterr().out)
    assert result["half_life_days"] == 45.0 and result["split"]["method"] == "time"
    assert 0.0 <= result["systems"]["rules"]["hit_rate"] <= 1.0


def test_bad_half_lives_exit_2_with_one_sentence_and_write_nothing(tmp_path, capsys):
    orders = tmp_path / "orders.csv"
    _orders().to_csv(orders, index=False)
    model = tmp_path / "m.rcm"
    assert main(["mine", str(orders), "-o", str(model), "--half-life", "0"]) == 2
    err = capsys.readouterr().err
    assert "half_life must be a positive number of days, got 0.0" in err and err.count("\n") == 1
    baskets = tmp_path / "baskets.dat"
    baskets.write_text("tea kettle\ntea\n")
    assert main(["mine", str(baskets), "-o", str(model), "--half-life", "30"]) == 2
    assert "has no order times" in capsys.readouterr().err
    assert not model.exists()


def test_evaluate_half_life_is_the_api_s():
    orders = _orders()
    kept = evaluate(orders, limit=1, test_share=0.5, min_support=0.2, min_confidence=0.3, systems=("rules",),
                    half_life=30, workers=1, ranking=MAX)  # fmt: skip
    assert kept.half_life == 30.0 and "half-life of 30 days" in kept.describe()


def test_recency_benchmark_small_preset(tmp_path):
    (result,) = run_benchmark("bench_recency.py", tmp_path / "recency.json")["datasets"]
    assert set(result["summary"]) == {"none", "30", "120"}
    assert result["summary"]["none"]["hit_rate_difference"] == 0.0
    for runs in result["runs"].values():
        assert [run["seed"] for run in runs] == [0, 1] and all(0.0 <= run["hit_rate"] <= 1.0 for run in runs)


def test_ease_weighs_its_gram_matrix_by_age():
    from recommender.evaluation.baselines import EASE, _gram

    orders = _orders()
    baskets = mine(orders, min_support=0.2, learn_weights=False, workers=1).baskets
    columns = np.arange(baskets.n_items)
    # cake, kettle, mug, tea: four old baskets of tea and a kettle weigh 1/4 each at 30 days.
    gram = _gram(baskets, columns, half_life=30.0)
    assert gram[3, 3] == pytest.approx(3.0) and gram[1, 3] == pytest.approx(1.0) and gram[2, 3] == pytest.approx(2.0)
    assert _gram(baskets, columns)[1, 3] == 4.0
    assert dict(EASE(baskets, l2=1.0, half_life=30.0).details())["half_life"] == 30.0
    with pytest.raises(InputError, match="no time on every order"):
        EASE(Baskets.from_lists([["tea", "kettle"], ["tea"]]), l2=1.0, half_life=30.0)
