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
import tempfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .exceptions import ArtifactError

__all__ = [
    "FORMAT",
    "SCHEMA_VERSION",
    "CatalogEntry",
    "RuleCounts",
    "ModelData",
    "write_model",
    "read_model",
]

FORMAT = "recommender-model"
# 2: rule p-values and redundancy, category rules, co-bought pairs. Files of version 1 still
# load (without them).
SCHEMA_VERSION = 2
READABLE_SCHEMAS = (1, 2)
_MAX_HEADER = 4096


@dataclass(frozen=True, kw_only=True)
class CatalogEntry:
    """What the catalog knows of one item; ``None`` where it knows nothing."""

    name: str | None = None
    category: str | None = None
    family: str | None = None
    brand: str | None = None
    price: float | None = None
    margin: float | None = None
    in_stock: bool = True
    active: bool = True


@dataclass(frozen=True, kw_only=True)
class RuleCounts:
    """Rules as parallel tuples: antecedent (sorted item indices), consequent, basket counts.

    ``p_adjusted`` (the Fisher p-value adjusted across every rule tested, which the kept
    rules alone cannot reproduce) and ``redundant`` are empty when not computed.
    """

    antecedents: tuple[tuple[int, ...], ...] = ()
    consequents: tuple[int, ...] = ()
    counts: tuple[int, ...] = ()
    antecedent_counts: tuple[int, ...] = ()
    p_adjusted: tuple[float, ...] = ()
    redundant: tuple[bool, ...] = ()

    def __post_init__(self) -> None:
        n = len(self.consequents)
        if not len(self.antecedents) == len(self.counts) == len(self.antecedent_counts) == n:
            raise ValueError("rule columns must have the same length")
        if len(self.p_adjusted) not in (0, n) or len(self.redundant) not in (0, n):
            raise ValueError("rule columns must have the same length")

    def __len__(self) -> int:
        return len(self.consequents)


@dataclass(frozen=True, kw_only=True)
class ModelData:
    """Everything a model file holds, as plain Python values.

    Item ``i`` is ``items[i]``; rules and itemsets refer to items by index. ``tradeups`` are
    ``(a, b, customers)``: how many customers who bought ``a`` later bought the pricier ``b`` of
    the same family; ``buyers`` the customers who bought each item (empty without customers).
    ``category_rules`` are rules between the ``categories`` (indices into them), mined from
    the baskets' categories, with ``category_counts`` the baskets holding each category.
    ``cobought`` are ``(a, b, baskets)``: for each item, the few items bought with it most
    often, below the support threshold too (the ranking's item-level back-off).
    """

    model_id: str
    created_at: str
    n_baskets: int
    items: tuple[str, ...]
    item_counts: tuple[int, ...]
    rules: RuleCounts
    itemsets: tuple[tuple[tuple[int, ...], int], ...]
    tradeups: tuple[tuple[int, int, int], ...] = ()
    buyers: tuple[int, ...] = ()
    catalog: Mapping[str, CatalogEntry] = field(default_factory=dict)
    config: Mapping[str, Any] = field(default_factory=dict)
    provenance: Mapping[str, Any] = field(default_factory=dict)
    categories: tuple[str, ...] = ()
    category_counts: tuple[int, ...] = ()
    category_rules: RuleCounts = field(default_factory=RuleCounts)
    cobought: tuple[tuple[int, int, int], ...] = ()

    def payload(self) -> dict[str, Any]:
        """The JSON-ready payload (columnar, compact)."""
        catalog_ids = sorted(self.catalog)
        return {
            "model": {"id": self.model_id, "created_at": self.created_at},
            "n_baskets": self.n_baskets,
            "items": list(self.items),
            "item_counts": list(self.item_counts),
            "rules": _rules_payload(self.rules),
            "categories": {
                "names": list(self.categories),
                "counts": list(self.category_counts),
                "rules": _rules_payload(self.category_rules),
            },
            "itemsets": {
                "items": [list(items) for items, _ in self.itemsets],
                "counts": [count for _, count in self.itemsets],
            },
            "tradeups": {
                "from": [a for a, _, _ in self.tradeups],
                "to": [b for _, b, _ in self.tradeups],
                "customers": [c for _, _, c in self.tradeups],
            },
            "buyers": list(self.buyers),
            "cobought": {
                "from": [a for a, _, _ in self.cobought],
                "to": [b for _, b, _ in self.cobought],
                "baskets": [c for _, _, c in self.cobought],
            },
            "catalog": {
                "item_id": catalog_ids,
                **{
                    name: [_json_value(getattr(self.catalog[i], name)) for i in catalog_ids]
                    for name in ("name", "category", "family", "brand", "price", "margin", "in_stock", "active")
                },
            },
            "config": dict(self.config),
            "provenance": dict(self.provenance),
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

    Examples
    --------
    >>> import tempfile, pathlib
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
    body = json.dumps(data.payload(), separators=(",", ":"), allow_nan=False).encode("utf-8")
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
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
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
        payload = json.loads(gzip.decompress(compressed))
        return _from_payload(payload)
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


def _from_payload(payload: dict[str, Any]) -> ModelData:
    items = tuple(str(i) for i in payload["items"])
    n_items = len(items)
    item_counts = tuple(int(c) for c in payload["item_counts"])
    if len(item_counts) != n_items:
        raise ValueError("items and item_counts differ in length")
    rules = _rules_from_payload(payload["rules"], n_items)
    sets = payload["itemsets"]
    itemsets = tuple(
        (tuple(int(i) for i in members), int(count))
        for members, count in zip(sets["items"], sets["counts"], strict=True)
    )
    raw_tradeups = payload["tradeups"]
    tradeups = tuple(
        (int(a), int(b), int(c))
        for a, b, c in zip(raw_tradeups["from"], raw_tradeups["to"], raw_tradeups["customers"], strict=True)
    )
    if any(not (0 <= a < n_items and 0 <= b < n_items) for a, b, _ in tradeups):
        raise ValueError("a trade-up refers to an item outside the model")
    raw_cobought = payload.get("cobought", {"from": [], "to": [], "baskets": []})
    cobought = tuple(
        (int(a), int(b), int(c))
        for a, b, c in zip(raw_cobought["from"], raw_cobought["to"], raw_cobought["baskets"], strict=True)
    )
    if any(not (0 <= a < n_items and 0 <= b < n_items) for a, b, _ in cobought):
        raise ValueError("a co-bought pair refers to an item outside the model")
    buyers = tuple(int(c) for c in payload["buyers"])
    if buyers and len(buyers) != n_items:
        raise ValueError("items and buyers differ in length")
    raw_catalog = payload["catalog"]
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
    raw_categories = payload.get("categories", {"names": [], "counts": [], "rules": {}})
    categories = tuple(str(c) for c in raw_categories["names"])
    category_counts = tuple(int(c) for c in raw_categories["counts"])
    if len(category_counts) != len(categories):
        raise ValueError("categories and their counts differ in length")
    category_rules = (
        _rules_from_payload(raw_categories["rules"], len(categories)) if raw_categories["rules"] else RuleCounts()
    )
    model = payload["model"]
    return ModelData(
        model_id=str(model["id"]),
        created_at=str(model["created_at"]),
        n_baskets=int(payload["n_baskets"]),
        items=items,
        item_counts=item_counts,
        rules=rules,
        itemsets=itemsets,
        tradeups=tradeups,
        buyers=buyers,
        catalog=catalog,
        config=dict(payload["config"]),
        provenance=dict(payload["provenance"]),
        categories=categories,
        category_counts=category_counts,
        category_rules=category_rules,
        cobought=cobought,
    )
