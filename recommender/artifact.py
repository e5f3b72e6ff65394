"""The model file: one versioned, checksummed, atomically written file of plain data.

Layout: a first line of JSON (the header: format, schema version, the payload's size and
SHA-256), then the payload, gzip-compressed JSON. No pickle: loading reads data, never code.
This module uses the standard library only, so that serving never imports pandas, scipy or
mlxtend.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import os
import secrets
import zlib
from pathlib import Path
from typing import Any

from .exceptions import ArtifactError

# The model's types live in model_data, not in __all__ here: this module reads and writes
# them. The "as" re-exports them to the few modules that still import them from here.
from .model_data import CatalogEntry as CatalogEntry
from .model_data import ModelData as ModelData
from .model_data import RuleCounts as RuleCounts
from .model_data import WeightTerms

__all__ = [
    "FORMAT",
    "SCHEMA_VERSION",
    "payload",
    "write_model",
    "read_model",
]

FORMAT = "recommender-model"
# 2: rule p-values and redundancy, category rules, co-bought pairs. 3: learned item-item weights.
# 4: signed weights, and the confidence and popularity terms of the learned score.
# Files of older versions still load (without what came later).
SCHEMA_VERSION = 4
READABLE_SCHEMAS = (1, 2, 3, 4)
_MAX_HEADER = 4096


def payload(data: ModelData) -> dict[str, Any]:
    """The JSON-ready payload of a model file (columnar, compact): what :func:`write_model`
    compresses, and what :func:`read_model` decodes back into the same :class:`ModelData`.

    Examples
    --------
    >>> from recommender.model_data import ModelData, RuleCounts
    >>> data = ModelData(model_id="m1", created_at="2026-01-01T00:00:00Z", n_baskets=2,
    ...                  items=("kettle", "tea"), item_counts=(1, 2), rules=RuleCounts(), itemsets=())
    >>> payload(data)["items"], payload(data)["rules"]["consequents"]
    (['kettle', 'tea'], [])
    """
    catalog_ids = sorted(data.catalog)
    return {
        "model": {"id": data.model_id, "created_at": data.created_at},
        "n_baskets": data.n_baskets,
        "items": list(data.items),
        "item_counts": list(data.item_counts),
        "rules": _rules_payload(data.rules),
        "categories": {
            "names": list(data.categories),
            "counts": list(data.category_counts),
            "rules": _rules_payload(data.category_rules),
        },
        "itemsets": {
            "items": [list(items) for items, _ in data.itemsets],
            "counts": [count for _, count in data.itemsets],
        },
        "tradeups": {
            "from": [a for a, _, _ in data.tradeups],
            "to": [b for _, b, _ in data.tradeups],
            "customers": [c for _, _, c in data.tradeups],
        },
        "buyers": list(data.buyers),
        "cobought": {
            "from": [a for a, _, _ in data.cobought],
            "to": [b for _, b, _ in data.cobought],
            "baskets": [c for _, _, c in data.cobought],
        },
        "weights": {
            "from": [a for a, _, _, _ in data.weights],
            "to": [b for _, b, _, _ in data.weights],
            "weight": [w for _, _, w, _ in data.weights],
            "baskets": [c for _, _, _, c in data.weights],
            "confidence_term": data.weight_terms.confidence,
            "popularity_term": data.weight_terms.popularity,
        },
        "catalog": {
            "item_id": catalog_ids,
            **{
                name: [_json_value(getattr(data.catalog[i], name)) for i in catalog_ids]
                for name in ("name", "category", "family", "brand", "price", "margin", "in_stock", "active")
            },
        },
        "config": dict(data.config),
        "provenance": dict(data.provenance),
    }


def _rules_payload(rules: RuleCounts) -> dict[str, list[Any]]:
    return {
        "antecedents": [list(a) for a in rules.antecedents],
        "consequents": list(rules.consequents),
        "counts": list(rules.counts),
        "antecedent_counts": list(rules.antecedent_counts),
        "p_adjusted": list(rules.p_adjusted),
        "redundant": list(rules.redundant),
    }


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def new_model_id(created_at: str, content_sha256: str) -> str:
    """A short id that differs for every model file: time and content together."""
    return hashlib.sha256(f"{created_at}|{content_sha256}".encode()).hexdigest()[:16]


def write_model(data: ModelData, path: str | os.PathLike[str]) -> Path:
    """Write ``data`` to ``path`` atomically: a reader sees the old file or the new, never half.

    The file's permissions follow the umask, as for any new file (``0o644`` under the usual
    ``0o022``), also when it replaces an older model.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from recommender.model_data import ModelData, RuleCounts
    >>> data = ModelData(model_id="m1", created_at="2026-01-01T00:00:00Z", n_baskets=2,
    ...                  items=("kettle", "tea"), item_counts=(1, 2), rules=RuleCounts(), itemsets=())
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "model.rcm"
    >>> read_model(write_model(data, target)).items
    ('kettle', 'tea')
    """
    target = Path(path)
    if target.is_dir():
        raise ArtifactError(
            f"cannot write the model to {str(target)!r}: it is a folder; name a file such as model.rcm."
        )
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise ArtifactError(
            f"cannot write the model to {str(target)!r}: folder {str(parent)!r} does not exist; create it first."
        )
    body = json.dumps(payload(data), separators=(",", ":"), allow_nan=False).encode("utf-8")
    compressed = gzip.compress(body, compresslevel=6, mtime=0)
    header = {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "model_id": data.model_id,
        "created_at": data.created_at,
        "compression": "gzip",
        "payload_bytes": len(compressed),
        "payload_sha256": hashlib.sha256(compressed).hexdigest(),
    }
    handle, temporary = _create_beside(target)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(json.dumps(header, sort_keys=True).encode("utf-8") + b"\n")
            out.write(compressed)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def _create_beside(target: Path) -> tuple[int, Path]:
    """Create and open a new, empty temporary file in ``target``'s folder.

    The file is created with mode ``0o666`` and the kernel applies the umask (or the
    folder's default ACL), as for any file a program creates: the nightly job's model is
    then readable by a service running as another user when the umask allows it.
    ``tempfile.mkstemp`` would create it ``0o600`` whatever the umask. Reading the umask to
    chmod afterwards would need ``os.umask`` to set it, which changes it for every thread
    of the process for a moment; creating the file this way reads nothing.
    """
    for _ in range(100):
        candidate = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
            return os.open(candidate, flags, 0o666), candidate
        except FileExistsError:
            continue
    raise ArtifactError(
        f"cannot write the model to {str(target)!r}: no free temporary name beside it; "
        f"remove the stale .{target.name}.*.tmp files."
    )


def _parse_header(line: bytes, source: Path) -> dict[str, Any]:
    not_model = f"{str(source)!r} is not a recommender model file; pass a file written by `recommender mine`."
    if not line.endswith(b"\n"):
        raise ArtifactError(not_model)
    try:
        header = json.loads(line)
    except ValueError:
        raise ArtifactError(not_model) from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ArtifactError(not_model)
    version = header.get("schema_version")
    if version not in READABLE_SCHEMAS:
        raise ArtifactError(
            f"model file {str(source)!r} has schema version {version!r}, this version of recommender "
            f"reads versions {', '.join(map(str, READABLE_SCHEMAS))}; mine the model again with this version."
        )
    return header


def read_model(path: str | os.PathLike[str]) -> ModelData:
    """Load a model file, refusing anything truncated, corrupt or of another schema.

    Raises
    ------
    ArtifactError
        With the file, what is wrong, and the fix.
    """
    source = Path(path)
    try:
        raw = source.read_bytes()
    except FileNotFoundError:
        raise ArtifactError(
            f"model file {str(source)!r} does not exist; check the path or run `recommender mine`."
        ) from None
    except IsADirectoryError:
        raise ArtifactError(f"model path {str(source)!r} is a folder; pass the model file itself.") from None
    except OSError as error:
        raise ArtifactError(f"cannot read model file {str(source)!r}: {error.strerror}.") from None
    end = raw.find(b"\n", 0, _MAX_HEADER)
    header = _parse_header(raw[: end + 1] if end >= 0 else raw[:_MAX_HEADER], source)
    compressed = raw[end + 1 :]
    remine = "mine the model again (the file was cut short or changed after it was written)"
    if len(compressed) != header.get("payload_bytes"):
        raise ArtifactError(
            f"model file {str(source)!r} is truncated or padded: {len(compressed):,} bytes of payload "
            f"where the header says {header.get('payload_bytes')!r}; {remine}."
        )
    if hashlib.sha256(compressed).hexdigest() != header.get("payload_sha256"):
        raise ArtifactError(f"model file {str(source)!r} is corrupt: its checksum does not match; {remine}.")
    try:
        return _from_payload(json.loads(gzip.decompress(compressed)))
    except (OSError, EOFError, zlib.error, ValueError, KeyError, TypeError, IndexError) as error:
        raise ArtifactError(
            f"model file {str(source)!r} does not hold a valid model ({type(error).__name__}: {error}); {remine}."
        ) from None


def _rules_from_payload(raw: dict[str, Any], n_items: int) -> RuleCounts:
    antecedents = tuple(tuple(int(i) for i in a) for a in raw["antecedents"])
    consequents = tuple(int(c) for c in raw["consequents"])
    for antecedent, consequent in zip(antecedents, consequents):
        if (
            not antecedent
            or consequent >= n_items
            or max(antecedent) >= n_items
            or min(antecedent) < 0
            or consequent < 0
        ):
            raise ValueError("a rule refers to an item outside the model")
    return RuleCounts(
        antecedents=antecedents,
        consequents=consequents,
        counts=tuple(int(c) for c in raw["counts"]),
        antecedent_counts=tuple(int(c) for c in raw["antecedent_counts"]),
        # Absent from files of schema version 1.
        p_adjusted=tuple(float(p) for p in raw.get("p_adjusted", ())),
        redundant=tuple(bool(r) for r in raw.get("redundant", ())),
    )


def _from_payload(content: dict[str, Any]) -> ModelData:
    items = tuple(str(i) for i in content["items"])
    n_items = len(items)
    item_counts = tuple(int(c) for c in content["item_counts"])
    if len(item_counts) != n_items:
        raise ValueError("items and item_counts differ in length")
    rules = _rules_from_payload(content["rules"], n_items)
    sets = content["itemsets"]
    itemsets = tuple(
        (tuple(int(i) for i in members), int(count))
        for members, count in zip(sets["items"], sets["counts"], strict=True)
    )
    raw_tradeups = content["tradeups"]
    tradeups = tuple(
        (int(a), int(b), int(c))
        for a, b, c in zip(raw_tradeups["from"], raw_tradeups["to"], raw_tradeups["customers"], strict=True)
    )
    if any(not (0 <= a < n_items and 0 <= b < n_items) for a, b, _ in tradeups):
        raise ValueError("a trade-up refers to an item outside the model")
    raw_cobought = content.get("cobought", {"from": [], "to": [], "baskets": []})
    cobought = tuple(
        (int(a), int(b), int(c))
        for a, b, c in zip(raw_cobought["from"], raw_cobought["to"], raw_cobought["baskets"], strict=True)
    )
    if any(not (0 <= a < n_items and 0 <= b < n_items) for a, b, _ in cobought):
        raise ValueError("a co-bought pair refers to an item outside the model")
    raw_weights = content.get("weights", {"from": [], "to": [], "weight": [], "baskets": []})
    weights = tuple(
        (int(a), int(b), float(w), int(c))
        for a, b, w, c in zip(
            raw_weights["from"], raw_weights["to"], raw_weights["weight"], raw_weights["baskets"], strict=True
        )
    )
    if any(not (0 <= a < n_items and 0 <= b < n_items and math.isfinite(w)) for a, b, w, _ in weights):
        raise ValueError("a learned weight refers to an item outside the model or is not a number")
    weight_terms = WeightTerms(
        float(raw_weights.get("confidence_term", 0.0)), float(raw_weights.get("popularity_term", 0.0))
    )
    if not (math.isfinite(weight_terms.confidence) and weight_terms.confidence >= 0):
        raise ValueError("the confidence term of the learned score is negative or not a number")
    if not math.isfinite(weight_terms.popularity):
        raise ValueError("the popularity term of the learned score is not a number")
    buyers = tuple(int(c) for c in content["buyers"])
    if buyers and len(buyers) != n_items:
        raise ValueError("items and buyers differ in length")
    raw_catalog = content["catalog"]
    ids = raw_catalog["item_id"]
    catalog = {
        str(item): CatalogEntry(
            name=raw_catalog["name"][k],
            category=raw_catalog["category"][k],
            family=raw_catalog["family"][k],
            brand=raw_catalog["brand"][k],
            price=None if raw_catalog["price"][k] is None else float(raw_catalog["price"][k]),
            margin=None if raw_catalog["margin"][k] is None else float(raw_catalog["margin"][k]),
            in_stock=bool(raw_catalog["in_stock"][k]),
            active=bool(raw_catalog["active"][k]),
        )
        for k, item in enumerate(ids)
    }
    raw_categories = content.get("categories", {"names": [], "counts": [], "rules": {}})
    categories = tuple(str(c) for c in raw_categories["names"])
    category_counts = tuple(int(c) for c in raw_categories["counts"])
    if len(category_counts) != len(categories):
        raise ValueError("categories and their counts differ in length")
    category_rules = (
        _rules_from_payload(raw_categories["rules"], len(categories)) if raw_categories["rules"] else RuleCounts()
    )
    model = content["model"]
    return ModelData(
        model_id=str(model["id"]),
        created_at=str(model["created_at"]),
        n_baskets=int(content["n_baskets"]),
        items=items,
        item_counts=item_counts,
        rules=rules,
        itemsets=itemsets,
        tradeups=tradeups,
        buyers=buyers,
        catalog=catalog,
        config=dict(content["config"]),
        provenance=dict(content["provenance"]),
        categories=categories,
        category_counts=category_counts,
        category_rules=category_rules,
        cobought=cobought,
        weights=weights,
        weight_terms=weight_terms,
    )
