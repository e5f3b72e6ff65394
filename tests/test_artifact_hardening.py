"""Model files that cannot hurt: a bounded payload, a validated model, kept permissions.

Every file here is a real file on disk, crafted the way an attacker or an unlucky operator
would make it: the payload changed, then compressed and checksummed again as the writer does,
so that only the loader's own checks stand between it and the server.
"""

from __future__ import annotations

import copy
import gzip
import hashlib
import json
import os
import re
import stat
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recommender import ArtifactError, ConfigError, mine
from recommender.artifact import (
    FORMAT,
    MIN_PAYLOAD_LIMIT,
    PAYLOAD_LIMIT_ENV,
    SCHEMA_VERSION,
    payload_limit,
    read_model,
    write_model,
)
from recommender.config import RankingConfig
from recommender.model import Model
from recommender.ranking import Recommender
from recommender.sample_shop import generate_sample_shop

MiB = 2**20


def write_payload(path: Path, body: bytes, *, compressed: bytes | None = None) -> Path:
    """A model file around ``body`` (JSON bytes), with the header the writer would give it."""
    compressed = gzip.compress(body, mtime=0) if compressed is None else compressed
    header = {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "model_id": "crafted",
        "created_at": "2026-01-01T00:00:00Z",
        "compression": "gzip",
        "payload_bytes": len(compressed),
        "payload_sha256": hashlib.sha256(compressed).hexdigest(),
    }
    path.write_bytes(json.dumps(header, sort_keys=True).encode() + b"\n" + compressed)
    return path


def payload_of(path: Path) -> dict:
    return json.loads(gzip.decompress(path.read_bytes().partition(b"\n")[2]))


@pytest.fixture(scope="module")
def small_model(tmp_path_factory) -> Path:
    """A small model of the sample shop with every part a file holds: rules, bundles, trade-ups,
    buyers, co-bought pairs, learned weights, categories and their rules, a catalog."""
    shop = generate_sample_shop(seed=7, n_customers=60, days=120)
    path = mine(shop.orders, catalog=shop.catalog, min_support=0.02).save(tmp_path_factory.mktemp("m") / "m.rcm")
    data = read_model(path)
    assert data.rules and data.itemsets and data.tradeups and data.buyers and data.cobought and data.weights
    assert data.category_rules and data.catalog
    return path


@pytest.fixture(scope="module")
def base_payload(small_model) -> dict:
    return payload_of(small_model)


# Item 4: a payload that inflates without bound.


def gzip_bomb(path: Path, inflated: int) -> Path:
    """A model file whose checksummed payload inflates to ``inflated`` bytes of JSON-looking
    text (a list of zeros), about a thousand times its compressed size."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = b"0," * (MiB // 2)
    parts = [packer.compress(b'{"items":[')]
    parts += [packer.compress(chunk) for _ in range(inflated // len(chunk))]
    parts.append(packer.compress(b"0]}") + packer.flush())
    return write_payload(path, b"", compressed=b"".join(parts))


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    """256 MiB of payload in a file of about 250 kB: far past the default limit for its size."""
    path = gzip_bomb(tmp_path_factory.mktemp("bomb") / "bomb.rcm", 256 * MiB)
    assert path.stat().st_size < MiB
    return path


def test_a_gzip_bomb_is_refused_with_memory_bounded_by_the_limit(bomb):
    """The payload is inflated a chunk at a time and refused once past the limit (64 MiB for a
    file this small): the process never holds the 256 MiB, let alone what parsing would take."""
    code = (
        "import sys\n"
        "from recommender import ArtifactError\n"
        "from recommender.artifact import read_model\n"
        "try:\n"
        f"    read_model({str(bomb)!r})\n"
        "except ArtifactError as error:\n"
        "    print(error)\n"
        # The peak of this process's own memory (ru_maxrss would count the parent's, across exec).
        "status = open('/proc/self/status').read()\n"
        "print(int(status.split('VmHWM:')[1].split()[0]) // 1024)\n"
    )
    env = {key: value for key, value in os.environ.items() if key != PAYLOAD_LIMIT_ENV}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    message, peak_mb = result.stdout.strip().rsplit("\n", 1)
    assert f"inflates to more than {MIN_PAYLOAD_LIMIT:,} bytes" in message
    assert PAYLOAD_LIMIT_ENV in message and "max_payload_bytes" in message
    # About 64 MiB of payload plus the interpreter; inflating it all would take 256 MiB more.
    assert int(peak_mb) < 64 + 80


def test_the_limit_is_a_setting_and_the_message_says_how_to_raise_it(small_model, monkeypatch):
    inflated = len(gzip.decompress(small_model.read_bytes().partition(b"\n")[2]))
    limit = (small_model.stat().st_size + inflated) // 2  # above the file's size, below its payload's
    assert small_model.stat().st_size < limit < inflated
    with pytest.raises(ArtifactError, match=f"inflates to more than {limit:,} bytes.*{PAYLOAD_LIMIT_ENV}=BYTES"):
        read_model(small_model, max_payload_bytes=limit)
    assert read_model(small_model, max_payload_bytes=inflated).items  # exactly the payload: loads
    with pytest.raises(ArtifactError, match=f"more than {inflated - 1:,} bytes"):
        read_model(small_model, max_payload_bytes=inflated - 1)
    monkeypatch.setenv(PAYLOAD_LIMIT_ENV, str(limit))
    with pytest.raises(ArtifactError, match=f"inflates to more than {limit:,} bytes"):
        read_model(small_model)
    # A compressed payload larger than the limit is refused before it is read.
    monkeypatch.setenv(PAYLOAD_LIMIT_ENV, "10")
    with pytest.raises(ArtifactError, match="holds [0-9,]+ bytes of compressed payload, more than the largest payload"):
        read_model(small_model)
    monkeypatch.setenv(PAYLOAD_LIMIT_ENV, "lots")
    with pytest.raises(ConfigError, match=f"{PAYLOAD_LIMIT_ENV} must be a whole number of bytes.*'lots'"):
        read_model(small_model)
    monkeypatch.setenv(PAYLOAD_LIMIT_ENV, str(10**9))
    assert read_model(small_model).items
    with pytest.raises(ConfigError, match="max_payload_bytes"):
        read_model(small_model, max_payload_bytes=0)


def test_reading_stops_where_the_header_says(small_model, tmp_path):
    """No more is read than the header's size (and one byte to tell padding): a device that never
    ends is refused at once, under a cap on memory that reading it whole would break."""
    code = (
        "import resource\n"
        "resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30))\n"
        "from recommender.artifact import read_model\n"
        "from recommender import ArtifactError\n"
        "try:\n"
        "    read_model('/dev/zero')\n"
        "except ArtifactError as error:\n"
        "    print(error)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "'/dev/zero' is not a recommender model file" in result.stdout, result.stderr[-500:]
    padded = tmp_path / "padded.rcm"
    padded.write_bytes(small_model.read_bytes() + b"\0" * 1000)
    with pytest.raises(ArtifactError, match="is truncated or padded: more than [0-9,]+ bytes of payload"):
        read_model(padded)


def test_the_default_limit_follows_the_file_size_within_a_floor_and_a_ceiling(monkeypatch):
    monkeypatch.delenv(PAYLOAD_LIMIT_ENV, raising=False)
    assert payload_limit(1_000) == MIN_PAYLOAD_LIMIT
    assert payload_limit(10 * MiB) == 200 * MiB
    assert payload_limit(10**10) == 2**30
    assert payload_limit(10**10, max_payload_bytes=5) == 5


def test_the_rules_command_refuses_a_bomb_with_one_sentence(bomb):
    env = {key: value for key, value in os.environ.items() if key != PAYLOAD_LIMIT_ENV}
    result = subprocess.run(
        [sys.executable, "-m", "recommender.cli", "rules", str(bomb)], capture_output=True, text=True, env=env
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert PAYLOAD_LIMIT_ENV in result.stderr


def test_a_reload_of_a_bomb_is_refused_and_the_old_model_serves(small_model, bomb, tmp_path):
    from recommender.service.holder import ModelHolder

    live = tmp_path / "live.rcm"
    live.write_bytes(small_model.read_bytes())
    holder = ModelHolder(str(live), RankingConfig())
    before = holder.current
    live.write_bytes(bomb.read_bytes())
    with pytest.raises(ArtifactError, match="inflates to more than"):
        holder.reload()
    assert holder.current is before and holder.failed_reloads == 1
    assert holder.current.recommend([before.data.items[0]]).items


# Item 5: a valid checksum on a payload that is no model.


def _set(path: tuple, value):
    def change(content):
        *parents, last = path
        node = content
        for key in parents:
            node = node[key]
        node[last] = value

    return change


def _delete(*path):
    def change(content):
        *parents, last = path
        node = content
        for key in parents:
            node = node[key]
        del node[last]

    return change


def _without_pairs(content):
    """A bundle of three whose pairs are not bundles: a product page's bundle starts from a pair."""
    content["itemsets"] = {"items": [[0, 1, 2]], "counts": [1]}


def _unpaired_positive_weight(content):
    """A positive weight explains a suggestion by its pair: one of 0 baskets explains nothing.
    (A negative weight on such a pair is what mining keeps: it only lowers a score.)"""
    weights = content["weights"]
    assert 0 in weights["baskets"]  # mined: negative weights between items never bought together
    k = next(k for k, w in enumerate(weights["weight"]) if w > 0)
    weights["baskets"][k] = 0


def _feedback(**changes):
    """A feedback section (attach counts of items 0 -> 1 and 1 -> 2), with ``changes`` made."""

    def change(content):
        section = {"from": [0, 1], "to": [1, 2], "impressions": [40, 10], "attaches": [12, 0]}
        section |= {"calibration": 0.5, "strength": 20.0}
        for key, value in changes.items():
            if isinstance(value, tuple):  # (position, value) in a column
                section[key][value[0]] = value[1]
            else:
                section[key] = value
        content["feedback"] = section

    return change


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


CRAFTED = {
    "n_baskets 0": (_set(("n_baskets",), 0), "n_baskets is 0"),
    "n_baskets a string": (_set(("n_baskets",), "560"), "n_baskets is a string"),
    "n_baskets true": (_set(("n_baskets",), True), "n_baskets is a boolean"),
    "an item that is a number": (_set(("items", 0), 7), r"items\[0\] is a number"),
    "an item listed twice": (lambda c: c["items"].__setitem__(1, c["items"][0]), "items holds .* twice"),
    "a catalog name that is a dict": (_set(("catalog", "name", 0), {"a": 1}), r"catalog.name\[0\] is a mapping"),
    "a negative price": (_set(("catalog", "price", 0), -5.0), "catalog.price of item"),
    "in_stock as a string": (_set(("catalog", "in_stock", 0), "yes"), r"catalog.in_stock\[0\] is a string"),
    "a count above n_baskets": (_set(("item_counts", 0), 10**6), r"item_counts\[0\] is 1000000"),
    "a rule into no item": (_set(("rules", "consequents", 0), 10**6), r"rules.consequents\[0\] is 1000000"),
    "a rule without baskets": (_set(("rules", "counts", 0), 0), r"rules.counts\[0\]"),
    "a rule's antecedent unsorted": (_set(("rules", "antecedents", 0), [5, 2]), r"rules.antecedents\[0\]"),
    "a p-value of 2": (_set(("rules", "p_adjusted", 0), 2.0), r"rules.p_adjusted\[0\] is 2.0"),
    "rule columns of two lengths": (_delete("rules", "counts", 0), "the columns of rules differ in length"),
    "a trio without its pairs": (_without_pairs, "but not each of its pairs is an itemset"),
    "a single-item bundle": (_set(("itemsets", "items", 0), [3]), r"itemsets.items\[0\] is \[3\]"),
    "a co-bought pair of one item": (
        lambda c: c["cobought"]["to"].__setitem__(0, c["cobought"]["from"][0]),
        r"cobought\[0\] pairs items (\d+) and \1",
    ),
    "an infinite weight": (_set(("weights", "weight", 0), "__inf__"), "Infinity is not a number"),
    "a weight of 1e999": (_set(("weights", "weight", 0), "__1e999__"), r"weights.weight\[0\] is inf"),
    "a negative confidence term": (_set(("weights", "confidence_term"), -1.0), "weights.confidence_term is -1.0"),
    "a positive weight on a pair never bought together": (
        _unpaired_positive_weight,
        r"weights\[\d+\] pairs items \d+ and \d+ in 0 baskets, where two items are paired in at least one",
    ),
    "more attaches than impressions": (
        _feedback(attaches=(1, 11)),
        r"feedback.pairs\[1\] has 11 attaches in 10 impressions, where 0 <= attaches <= impressions",
    ),
    "negative impressions": (_feedback(impressions=(0, -1)), r"feedback.pairs\[0\] has 12 attaches in -1"),
    "attaches that are a string": (_feedback(attaches=(0, "12")), r"feedback.attaches\[0\] is a string"),
    "feedback into no item": (_feedback(to=(0, 10**6)), r"feedback.to\[0\] is 1000000, not the index"),
    "feedback of an item to itself": (_feedback(to=(1, 1)), r"feedback.pairs\[1\] pairs items 1 and 1"),
    "feedback columns of two lengths": (_feedback(to=[1]), "the columns of feedback differ in length"),
    "a calibration of 0": (_feedback(calibration=0.0), "feedback.calibration is 0.0, where a positive number"),
    # Found by the fuzz test below: a score divided by it was infinite, and the answer no JSON.
    "a calibration of 1e-320": (_feedback(calibration=1e-320), "feedback.calibration is 1e-320, where a positive"),
    "an infinite strength": (_feedback(strength="__inf__"), "Infinity is not a number"),
    "no calibration": (_feedback(calibration=None), "feedback.calibration is null"),
    "a category name that is a list": (_set(("categories", "names", 0), ["x"]), r"categories.names\[0\] is a list"),
    "a category rule into no category": (
        _set(("categories", "rules", "consequents", 0), 99),
        r"categories.rules.consequents\[0\] is 99",
    ),
    "buyers of another length": (_delete("buyers", 0), "buyers holds 86 values for 87 items"),
    "a negative shrinkage": (_set(("config", "shrinkage"), -2.0), "config.shrinkage is -2.0"),
    "min_count missing a number": (_set(("config", "min_count"), None), "config.min_count is None"),
    "config nested 100,000 deep": (_set(("config", "deep"), "__deep__"), "nests too deep"),
    "provenance nested 40 deep": (_set(("provenance", "deep"), "__deep40__"), "nested deeper than 32 levels"),
    "items nested 100,000 deep": (_set(("items",), "__deep__"), "nests too deep"),
    "no model id": (_delete("model", "id"), "model.id is missing"),
    "the model id a dict": (_set(("model", "id"), {"x": 1}), "model.id is a mapping"),
    "no rules": (_delete("rules"), "rules is missing"),
    "an empty payload": (lambda content: content.clear(), "model is missing"),
}


def craft(path: Path, content: dict, change) -> Path:
    content = copy.deepcopy(content)
    change(content)
    text = json.dumps(content, allow_nan=True)
    deep, deep40 = _nested(100_000), _nested(40)
    for marker, replacement in (
        ('"__inf__"', "Infinity"),
        ('"__1e999__"', "1e999"),
        ('"__deep__"', deep),
        ('"__deep40__"', deep40),
    ):
        text = text.replace(marker, replacement)
    return write_payload(path, text.encode())


@pytest.mark.parametrize("case", list(CRAFTED))
def test_a_crafted_payload_is_refused_naming_the_field(case, base_payload, tmp_path):
    change, message = CRAFTED[case]
    path = craft(tmp_path / "crafted.rcm", base_payload, change)
    with pytest.raises(ArtifactError) as refused:
        read_model(path)
    text = str(refused.value)
    assert text.startswith(f"model file {str(path)!r} does not hold a valid model: ")
    assert text.endswith("; mine the model again (the file was cut short or changed after it was written).")
    assert "\n" not in text
    assert re.search(message, text), text


def test_the_untouched_payload_still_loads(base_payload, tmp_path):
    """The crafting itself (decode, encode, compress, checksum) makes a file that loads."""
    path = craft(tmp_path / "same.rcm", base_payload, lambda content: None)
    assert read_model(path).items == tuple(base_payload["items"])


def test_a_model_that_would_not_load_is_not_written(small_model, tmp_path):
    import dataclasses

    data = read_model(small_model)
    target = tmp_path / "model.rcm"
    with pytest.raises(ArtifactError, match="refusing to write the model to .*: n_baskets is 0"):
        write_model(dataclasses.replace(data, n_baskets=0), target)
    assert list(tmp_path.iterdir()) == []


# The loader fuzzed: any mutation is refused with ArtifactError or serves without an exception.


def _paths(node, prefix=()):
    """Every path into ``node`` (dict keys, list indices), containers included."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, child in node.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(node, list):
        for k, child in enumerate(node):
            found += _paths(child, (*prefix, k))
    return found


def _groups(content) -> list[list[tuple]]:
    """The paths grouped by field (first two keys), so every field is as likely to be hit as
    the long arrays of weights."""
    groups: dict[tuple, list[tuple]] = {}
    for path in _paths(content):
        groups.setdefault(path[:2], []).append(path)
    return [groups[key] for key in sorted(groups, key=repr)]


JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 1, 2**31, 2**63, 10**30, 0.5, -0.0, 1e308, -1e308, 1e-320]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=4),
    st.lists(st.integers(min_value=-3, max_value=200), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.just("__deep__"),
)


def _mutate(content, data, *, only: str | None = None) -> bytes:
    """One mutation of ``content`` drawn by hypothesis, as the payload's bytes (with ``only``, of
    that section, and never by flipping bytes)."""
    kinds = ["delete", "replace", "number"] + ([] if only else ["bytes"])
    kind = data.draw(st.sampled_from(kinds), label="kind")
    if kind == "bytes":
        body = bytearray(json.dumps(content).encode())
        for _ in range(data.draw(st.integers(1, 3), label="flips")):
            at = data.draw(st.integers(0, len(body) - 1), label="at")
            body[at] = data.draw(st.integers(0, 255), label="byte")
        return bytes(body)
    groups = [group for group in _groups(content) if only is None or group[0][0] == only]
    group = groups[data.draw(st.integers(0, len(groups) - 1), label="field")]
    path = group[data.draw(st.integers(0, len(group) - 1), label="path")]
    *parents, last = path
    node = content
    for key in parents:
        node = node[key]
    if kind == "delete":
        del node[last]
    elif kind == "replace" or not isinstance(node[last], (int, float)):
        node[last] = data.draw(JSON_VALUES, label="value")
    else:
        old = node[last]
        node[last] = data.draw(
            st.sampled_from([old + 1, old - 1, -old, 0, -1, old * 1000, 2**63, 0.5, float(old) + 0.5]), label="number"
        )
    return json.dumps(content, allow_nan=True).replace('"__deep__"', _nested(5_000)).encode()


def serve_every_way(data) -> None:
    """What the service and the CLI do with a loaded model, for a few carts."""
    items, catalog = list(data.items), list(data.catalog)
    carts = [[], items[:1], items[-1:], items[:3], catalog[-2:], ["nope", *items[1:2]], items]
    configs = (
        RankingConfig(),
        RankingConfig(combine="max", objective="margin", max_per_category=None),
        RankingConfig(combine="cumulative", free_shipping_threshold=30.0, max_upgrades=2, shrinkage=None),
    )
    for config in configs:
        recommender = Recommender(data, config=config)
        json.dumps(recommender.describe(), allow_nan=False)
        for cart in carts:
            for options in ({}, {"trace": True}, {"kinds": ["upgrade"]}, {"objective": "revenue", "cart_total": 12.0}):
                answer = recommender.recommend(cart, limit=3, **options)
                json.dumps(answer.to_dict(), allow_nan=False)
        for item in [*items[:5], *catalog[-3:], "nope"]:
            json.dumps(recommender.bundle(item).to_dict(), allow_nan=False)
    model = Model(data)  # what `recommender rules` shows
    for table in (model.rules, model.items, model.itemsets, model.category_rules):
        table.to_json()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_mutation_is_refused_or_serves(base_payload, tmp_path, data):
    content = copy.deepcopy(base_payload)
    path = write_payload(tmp_path / "fuzzed.rcm", _mutate(content, data))
    try:
        loaded = read_model(path)
    except ArtifactError as error:
        assert "\n" not in str(error)
        return
    serve_every_way(loaded)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_mutation_of_the_feedback_section_is_refused_or_serves(base_payload, tmp_path, data):
    """The attach counts (schema 6) fuzzed alone: a file that loads serves every way."""
    content = copy.deepcopy(base_payload)
    _feedback()(content)
    path = write_payload(tmp_path / "fuzzed.rcm", _mutate(content, data, only="feedback"))
    try:
        loaded = read_model(path)
    except ArtifactError as error:
        assert "\n" not in str(error)
        return
    serve_every_way(loaded)


def test_a_model_with_a_feedback_section_serves(base_payload, tmp_path):
    content = copy.deepcopy(base_payload)
    _feedback()(content)
    data = read_model(write_payload(tmp_path / "fed.rcm", json.dumps(content).encode()))
    assert data.feedback is not None and len(data.feedback.pairs) == 2
    serve_every_way(data)


def test_the_mutations_reach_a_served_model(base_payload):
    """Some mutations leave a valid model (a price changed, a provenance note deleted): the
    fuzz test serves those, not only refuses."""
    served = copy.deepcopy(base_payload)
    served["catalog"]["price"][0] = 1e6
    del served["provenance"]["notes"]
    from recommender.artifact import _from_payload
    from recommender.model_data import check_model

    data = _from_payload(served)
    check_model(data)
    serve_every_way(data)


# Item 9: a model file keeps its permissions.


@pytest.mark.parametrize("kept", [0o644, 0o640, 0o600, 0o664])
def test_a_replaced_model_keeps_its_mode_whatever_the_umask(small_model, tmp_path, kept):
    """chmod 644 model.rcm, mine again: still 644, even under umask 077."""
    data = read_model(small_model)
    path = tmp_path / "model.rcm"
    write_model(data, path)
    path.chmod(kept)
    previous = os.umask(0o077)
    try:
        write_model(data, path)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(os.stat(path).st_mode) == kept
    assert read_model(path) == data
    assert [p.name for p in tmp_path.iterdir()] == ["model.rcm"]


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_model_follows_the_umask(small_model, tmp_path, umask, mode):
    data = read_model(small_model)
    path = tmp_path / "model.rcm"
    previous = os.umask(umask)
    try:
        write_model(data, path)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(os.stat(path).st_mode) == mode
