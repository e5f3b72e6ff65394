"""The model file: one versioned, checksummed, atomically written file of plain data.

Layout: a first line of JSON (the header: format, schema version, the payload's size and
SHA-256), then the payload, gzip-compressed JSON. No pickle: loading reads data, never code.
A file from outside is not trusted beyond its checksum: loading inflates the payload within a
bound (:func:`payload_limit`), reads every field as the type the writer gives it, and checks
the values (:func:`recommender.model_data.check_model`) before anything uses them.
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
import stat
import zlib
from pathlib import Path
from typing import Any

from .exceptions import ArtifactError, ConfigError

# The model's types live in model_data, not in __all__ here: this module reads and writes
# them. The "as" re-exports them to the few modules that still import them from here.
from .model_data import CatalogEntry as CatalogEntry
from .model_data import Customers, Feedback, Recency, WeightTerms, check_model
from .model_data import ModelData as ModelData
from .model_data import RuleCounts as RuleCounts

__all__ = [
    "FORMAT",
    "SCHEMA_VERSION",
    "payload",
    "write_model",
    "read_model",
    "payload_limit",
    "PAYLOAD_LIMIT_ENV",
]

FORMAT = "recommender-model"
# 2: rule p-values and redundancy, category rules, co-bought pairs. 3: learned item-item weights.
# 4: signed weights, and the confidence and popularity terms of the learned score. 5: the
# weighted counts of a model mined with a half-life (recency), the customers' summary. 6: the
# attach counts of a model mined with events (feedback).
# Files of older versions still load (without what came later).
SCHEMA_VERSION = 6
READABLE_SCHEMAS = (1, 2, 3, 4, 5, 6)
_MAX_HEADER = 4096

# The bound on a payload once inflated (see payload_limit): a multiple of its compressed size,
# within a floor and a ceiling; the environment variable, or read_model's argument, sets it.
PAYLOAD_RATIO = 20
MIN_PAYLOAD_LIMIT = 64 * 2**20
MAX_PAYLOAD_LIMIT = 2**30
PAYLOAD_LIMIT_ENV = "RECOMMENDER_MAX_PAYLOAD_BYTES"
_CHUNK = 2**20  # inflated a MiB at a time


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
            "bias": list(data.weight_terms.bias),
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
        "recency": _recency_payload(data.recency),
        "customers": _customers_payload(data.customers),
        "feedback": _feedback_payload(data.feedback),
    }


def _feedback_payload(feedback: Feedback | None) -> dict[str, Any] | None:
    if feedback is None:
        return None
    return {
        "from": [a for a, _, _, _ in feedback.pairs],
        "to": [b for _, b, _, _ in feedback.pairs],
        "impressions": [n for _, _, n, _ in feedback.pairs],
        "attaches": [k for _, _, _, k in feedback.pairs],
        "calibration": feedback.calibration,
        "strength": feedback.strength,
    }


def _feedback_from_payload(raw: Any) -> Feedback | None:
    """The attach counts of a model mined with events; None before schema version 6 and for a
    model mined without them."""
    if raw is None:
        return None
    content = _mapping(raw, "feedback")
    columns = _columns(content, "feedback", {"from": _ints, "to": _ints, "impressions": _ints, "attaches": _ints})
    return Feedback(
        pairs=tuple(zip(*columns)),
        calibration=_float(_field(content, "calibration", "feedback"), "feedback.calibration"),
        strength=_float(_field(content, "strength", "feedback"), "feedback.strength"),
    )


def _customers_payload(customers: Customers | None) -> dict[str, Any] | None:
    if customers is None:
        return None
    return {
        "ids": list(customers.ids),
        "hashed": customers.hashed,
        "segments": list(customers.segments),
        "vital": list(customers.vital),
        "repeats": [list(items) for items in customers.repeats],
        "categories": list(customers.categories),
        "price_levels": [[[c, level] for c, level in levels] for levels in customers.price_levels],
        "again_slots": customers.again_slots,
    }


def _customers_from_payload(raw: Any) -> Customers | None:
    """The customers' summary; None before schema version 5 and for a model without one."""
    if raw is None:
        return None
    content = _mapping(raw, "customers")
    hashed = _field(content, "hashed", "customers")
    if not isinstance(hashed, bool):
        raise ValueError(f"customers.hashed is {_kind(hashed)}, where a boolean is expected")
    levels = []
    for k, entry in enumerate(_list(_field(content, "price_levels", "customers"), "customers.price_levels")):
        pairs = []
        for j, pair in enumerate(_list(entry, f"customers.price_levels[{k}]")):
            where = f"customers.price_levels[{k}][{j}]"
            values = _list(pair, where)
            if len(values) != 2:
                raise ValueError(f"{where} holds {len(values)} values, where a category and a level are expected")
            pairs.append((_int(values[0], where), _float(values[1], where)))
        levels.append(tuple(pairs))
    return Customers(
        ids=_strs(_field(content, "ids", "customers"), "customers.ids"),
        hashed=hashed,
        segments=_strs(_field(content, "segments", "customers"), "customers.segments"),
        vital=_bools(_field(content, "vital", "customers"), "customers.vital"),
        repeats=_int_lists(_field(content, "repeats", "customers"), "customers.repeats"),
        categories=_strs(_field(content, "categories", "customers"), "customers.categories"),
        price_levels=tuple(levels),
        again_slots=_int(content.get("again_slots", 0), "customers.again_slots"),
    )


def _recency_payload(recency: Recency | None) -> dict[str, Any] | None:
    if recency is None:
        return None
    return {
        "half_life_days": recency.half_life_days,
        "at": recency.at,
        "baskets": recency.baskets,
        "item_counts": list(recency.item_counts),
        "rule_counts": list(recency.rule_counts),
        "antecedent_counts": list(recency.antecedent_counts),
    }


def _recency_from_payload(raw: Any) -> Recency | None:
    """The weighted counts of a model mined with a half-life; None before schema version 5 and
    for a model mined without one."""
    if raw is None:
        return None
    content = _mapping(raw, "recency")
    return Recency(
        half_life_days=_float(_field(content, "half_life_days", "recency"), "recency.half_life_days"),
        at=_str(_field(content, "at", "recency"), "recency.at"),
        baskets=_float(_field(content, "baskets", "recency"), "recency.baskets"),
        item_counts=_floats(_field(content, "item_counts", "recency"), "recency.item_counts"),
        rule_counts=_floats(_field(content, "rule_counts", "recency"), "recency.rule_counts"),
        antecedent_counts=_floats(_field(content, "antecedent_counts", "recency"), "recency.antecedent_counts"),
    )


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

    A new file's permissions follow the umask, as for any new file (``0o644`` under the usual
    ``0o022``); a file replaced keeps its permissions (``chmod 644 model.rcm`` holds across
    minings), so a service running as another user that could read the old model reads the new.

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
    try:
        check_model(data)  # a file read_model would refuse is not written
    except ValueError as error:
        raise ArtifactError(f"refusing to write the model to {str(target)!r}: {error}.") from None
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
            _keep_mode(out.fileno(), target)
            out.write(json.dumps(header, sort_keys=True).encode("utf-8") + b"\n")
            out.write(compressed)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def _keep_mode(handle: int, target: Path) -> None:
    """Give the new file (open as ``handle``) the permissions of the file it will replace, if any.

    Set on the temporary file before it is renamed, so the model appears with its mode: no
    moment where a reader finds it with other permissions.
    """
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        return  # a new file: the umask decided
    if os.chmod in os.supports_fd:
        os.chmod(handle, mode)


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


def payload_limit(compressed_bytes: int, *, max_payload_bytes: int | None = None) -> int:
    """The most bytes a model file's payload may inflate to, ``compressed_bytes`` long.

    ``max_payload_bytes`` when given, else the environment's :data:`PAYLOAD_LIMIT_ENV`, else
    :data:`PAYLOAD_RATIO` times the compressed size, at least :data:`MIN_PAYLOAD_LIMIT` and at
    most :data:`MAX_PAYLOAD_LIMIT`. A mined payload compresses 3 to 5 times (3.7 for Groceries'
    model): twenty times leaves room for any model, while a gzip bomb, which inflates a
    thousand times, is stopped early. For a file of up to 3.2 MB the limit is the floor, 64 MiB,
    whose parsing costs about 400 MB at worst (a list of 33 million zeros); the ceiling keeps
    a file from claiming more than 1 GiB, which only a model far beyond any shop's would need.

    Raises
    ------
    ConfigError
        When the environment's limit is not a whole number of bytes of at least 1.

    Examples
    --------
    >>> payload_limit(1_000_000) == MIN_PAYLOAD_LIMIT, payload_limit(10_000_000)
    (True, 200000000)
    >>> payload_limit(10_000_000, max_payload_bytes=5_000)
    5000
    """
    limit = _explicit_limit(max_payload_bytes)
    if limit is not None:
        return limit
    return min(MAX_PAYLOAD_LIMIT, max(MIN_PAYLOAD_LIMIT, PAYLOAD_RATIO * compressed_bytes))


def _explicit_limit(max_payload_bytes: int | None) -> int | None:
    """The limit asked for, by argument or else by the environment; None for the derived one."""
    if max_payload_bytes is not None:
        if isinstance(max_payload_bytes, bool) or not isinstance(max_payload_bytes, int) or max_payload_bytes < 1:
            raise ConfigError(
                f"max_payload_bytes must be a whole number of bytes of at least 1, got {max_payload_bytes!r}."
            )
        return max_payload_bytes
    text = os.environ.get(PAYLOAD_LIMIT_ENV, "").strip()
    if not text:
        return None
    try:
        limit = int(text)
    except ValueError:
        limit = 0
    if limit < 1:
        raise ConfigError(
            f"{PAYLOAD_LIMIT_ENV} must be a whole number of bytes of at least 1, got {text!r}; fix or unset it."
        )
    return limit


def read_model(path: str | os.PathLike[str], *, max_payload_bytes: int | None = None) -> ModelData:
    """Load a model file, refusing anything truncated, corrupt, of another schema, too large
    once inflated (see :func:`payload_limit`) or not a model the ranking can serve (see
    :func:`recommender.model_data.check_model`).

    The payload is inflated a chunk at a time and refused as soon as it passes the limit, so a
    file made to inflate without end costs at most the limit in memory.

    Raises
    ------
    ArtifactError
        With the file, what is wrong, and the fix.
    """
    source = Path(path)
    ceiling = _explicit_limit(max_payload_bytes) or MAX_PAYLOAD_LIMIT
    remine = "mine the model again (the file was cut short or changed after it was written)"
    try:
        with source.open("rb") as handle:
            # Read no more than the header says, and the header no further than its bound: not
            # even a device that never ends (/dev/zero) makes this read without end.
            header = _parse_header(handle.readline(_MAX_HEADER), source)
            claimed = header.get("payload_bytes")
            if type(claimed) is int and claimed > ceiling:
                raise ArtifactError(
                    f"model file {str(source)!r} holds {claimed:,} bytes of compressed payload, more than the "
                    f"largest payload allowed ({ceiling:,} bytes); {_raise_the_limit()}."
                )
            compressed = handle.read(claimed + 1) if type(claimed) is int and claimed >= 0 else handle.read(1)
    except FileNotFoundError:
        raise ArtifactError(
            f"model file {str(source)!r} does not exist; check the path or run `recommender mine`."
        ) from None
    except IsADirectoryError:
        raise ArtifactError(f"model path {str(source)!r} is a folder; pass the model file itself.") from None
    except OSError as error:
        raise ArtifactError(f"cannot read model file {str(source)!r}: {error.strerror}.") from None
    if len(compressed) != claimed:
        padded = type(claimed) is int and len(compressed) > claimed
        found = f"more than {claimed:,}" if padded else f"{len(compressed):,}"
        raise ArtifactError(
            f"model file {str(source)!r} is truncated or padded: {found} bytes of payload "
            f"where the header says {claimed!r}; {remine}."
        )
    if hashlib.sha256(compressed).hexdigest() != header.get("payload_sha256"):
        raise ArtifactError(f"model file {str(source)!r} is corrupt: its checksum does not match; {remine}.")
    body = _inflate(
        compressed, limit=payload_limit(len(compressed), max_payload_bytes=max_payload_bytes), source=source
    )
    try:
        content = json.loads(body, parse_constant=_no_constant)
    except RecursionError:
        raise ArtifactError(
            f"model file {str(source)!r} does not hold a valid model: its JSON nests too deep; {remine}."
        ) from None
    except ValueError as error:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise ArtifactError(
            f"model file {str(source)!r} does not hold a valid model: its payload is not JSON ({error}); {remine}."
        ) from None
    del body
    try:
        data = _from_payload(content)
        check_model(data)
    except ValueError as error:
        raise ArtifactError(f"model file {str(source)!r} does not hold a valid model: {error}; {remine}.") from None
    return data


def _raise_the_limit() -> str:
    return (
        f"if the file is a model you trust, raise the limit with the environment variable "
        f"{PAYLOAD_LIMIT_ENV}=BYTES (or read_model(..., max_payload_bytes=BYTES))"
    )


def _inflate(compressed: bytes, *, limit: int, source: Path) -> bytearray:
    """The gzip ``compressed`` inflated, a chunk at a time, refused once past ``limit`` bytes."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # a gzip member, nothing else
    body = bytearray()
    pending = compressed
    not_gzip = f"model file {str(source)!r} does not hold a valid model: its payload is not one gzip stream"
    try:
        while not inflater.eof:
            chunk = inflater.decompress(pending, min(_CHUNK, limit + 1 - len(body)))
            pending = inflater.unconsumed_tail
            body += chunk
            if len(body) > limit:
                raise ArtifactError(
                    f"model file {str(source)!r} inflates to more than {limit:,} bytes, the largest payload "
                    f"allowed for a file of its size; {_raise_the_limit()}."
                )
            if not chunk and not pending:
                raise ArtifactError(f"{not_gzip} (it ends early); mine the model again.")
    except zlib.error as error:
        raise ArtifactError(f"{not_gzip} ({error}); mine the model again.") from None
    if inflater.unused_data:
        raise ArtifactError(f"{not_gzip} (bytes follow its end); mine the model again.")
    return body


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number the model file may hold")


# Reading the payload: each value of the type the writer gives it, or a ValueError naming
# the field. Types are checked, never coerced: str() of a dict would make an item id of it.


def _mapping(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{name} is {_kind(value)}, where a mapping is expected")
    return value


def _field(mapping: dict[str, Any], key: str, name: str) -> Any:
    if key not in mapping:
        raise ValueError(f"{name}.{key} is missing" if name else f"{key} is missing")
    return mapping[key]


def _list(value: Any, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"{name} is {_kind(value)}, where a list is expected")
    return value


def _int(value: Any, name: str) -> int:
    if type(value) is not int:
        raise ValueError(f"{name} is {_kind(value)}, where a whole number is expected")
    return value


def _str(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} is {_kind(value)}, where a string is expected")
    return value


def _float(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} is {_kind(value)}, where a number is expected")
    try:
        return float(value)
    except OverflowError:
        raise ValueError(f"{name} is a number too large for a float") from None


def _ints(value: Any, name: str) -> tuple[int, ...]:
    values = _list(value, name)
    if not all(type(v) is int for v in values):
        k = next(k for k, v in enumerate(values) if type(v) is not int)
        _int(values[k], f"{name}[{k}]")
    return tuple(values)


def _strs(value: Any, name: str) -> tuple[str, ...]:
    values = _list(value, name)
    if not all(isinstance(v, str) for v in values):
        k = next(k for k, v in enumerate(values) if not isinstance(v, str))
        _str(values[k], f"{name}[{k}]")
    return tuple(values)


def _floats(value: Any, name: str) -> tuple[float, ...]:
    values = _list(value, name)
    if all(type(v) is float for v in values):
        return tuple(values)
    return tuple(_float(v, f"{name}[{k}]") for k, v in enumerate(values))


def _bools(value: Any, name: str) -> tuple[bool, ...]:
    values = _list(value, name)
    for k, v in enumerate(values):
        if not isinstance(v, bool):
            raise ValueError(f"{name}[{k}] is {_kind(v)}, where true or false is expected")
    return tuple(values)


def _int_lists(value: Any, name: str) -> tuple[tuple[int, ...], ...]:
    values = _list(value, name)
    if all(type(v) is list for v in values) and all(type(i) is int for v in values for i in v):
        return tuple(map(tuple, values))
    return tuple(_ints(v, f"{name}[{k}]") for k, v in enumerate(values))


def _columns(mapping: dict[str, Any], name: str, readers: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The parallel columns ``readers`` names, each read by its reader, all of one length."""
    columns = [read(_field(mapping, key, name), f"{name}.{key}") for key, read in readers.items()]
    lengths = {key: len(column) for key, column in zip(readers, columns)}
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{key} {length}" for key, length in lengths.items())
        raise ValueError(f"the columns of {name} differ in length ({described})")
    return columns


def _kind(value: Any) -> str:
    """What a JSON value is, for a message: its type and, when short, the value."""
    kind = {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )
    shown = repr(value)
    return f"{kind} ({shown})" if len(shown) <= 40 else kind


def _rules_from_payload(raw: dict[str, Any], name: str) -> RuleCounts:
    antecedents, consequents, counts, antecedent_counts = _columns(
        raw, name, {"antecedents": _int_lists, "consequents": _ints, "counts": _ints, "antecedent_counts": _ints}
    )
    # Absent from files of schema version 1.
    p_adjusted = _floats(raw.get("p_adjusted", []), f"{name}.p_adjusted")
    redundant = _bools(raw.get("redundant", []), f"{name}.redundant")
    for key, column in (("p_adjusted", p_adjusted), ("redundant", redundant)):
        if column and len(column) != len(consequents):
            raise ValueError(f"{name}.{key} holds {len(column)} values for {len(consequents)} rules")
    return RuleCounts(
        antecedents=antecedents,
        consequents=consequents,
        counts=counts,
        antecedent_counts=antecedent_counts,
        p_adjusted=p_adjusted,
        redundant=redundant,
    )


def _from_payload(raw: Any) -> ModelData:
    """The model of a decoded payload, every field of its type; values are checked after."""
    content = _mapping(raw, "the payload")
    model = _mapping(_field(content, "model", ""), "model")
    sets = _mapping(_field(content, "itemsets", ""), "itemsets")
    members, set_counts = _columns(sets, "itemsets", {"items": _int_lists, "counts": _ints})
    tradeups = _columns(
        _mapping(_field(content, "tradeups", ""), "tradeups"),
        "tradeups",
        {"from": _ints, "to": _ints, "customers": _ints},
    )
    # Absent from files of schema version 1.
    cobought = _columns(
        _mapping(content.get("cobought", {"from": [], "to": [], "baskets": []}), "cobought"),
        "cobought",
        {"from": _ints, "to": _ints, "baskets": _ints},
    )
    # Absent before schema version 3; the terms before 4; the bias before 7.
    raw_weights = _mapping(content.get("weights", {"from": [], "to": [], "weight": [], "baskets": []}), "weights")
    weights = _columns(raw_weights, "weights", {"from": _ints, "to": _ints, "weight": _floats, "baskets": _ints})
    weight_terms = WeightTerms(
        _float(raw_weights.get("confidence_term", 0.0), "weights.confidence_term"),
        _float(raw_weights.get("popularity_term", 0.0), "weights.popularity_term"),
        _floats(raw_weights.get("bias", []), "weights.bias"),
    )
    raw_catalog = _mapping(_field(content, "catalog", ""), "catalog")
    ids, names, categories, families, brands, prices, margins, in_stock, active = _columns(
        raw_catalog,
        "catalog",
        {
            "item_id": _strs,
            **{key: _optional(_str) for key in ("name", "category", "family", "brand")},
            "price": _optional(_float),
            "margin": _optional(_float),
            "in_stock": _bools,
            "active": _bools,
        },
    )
    if len(set(ids)) != len(ids):
        raise ValueError("catalog.item_id lists an item twice")
    catalog = {
        item: CatalogEntry(
            name=names[k],
            category=categories[k],
            family=families[k],
            brand=brands[k],
            price=prices[k],
            margin=margins[k],
            in_stock=in_stock[k],
            active=active[k],
        )
        for k, item in enumerate(ids)
    }
    # Absent from files of schema version 1.
    raw_categories = _mapping(content.get("categories", {"names": [], "counts": [], "rules": {}}), "categories")
    raw_category_rules = _mapping(_field(raw_categories, "rules", "categories"), "categories.rules")
    return ModelData(
        model_id=_str(_field(model, "id", "model"), "model.id"),
        created_at=_str(_field(model, "created_at", "model"), "model.created_at"),
        n_baskets=_int(_field(content, "n_baskets", ""), "n_baskets"),
        items=_strs(_field(content, "items", ""), "items"),
        item_counts=_ints(_field(content, "item_counts", ""), "item_counts"),
        rules=_rules_from_payload(_mapping(_field(content, "rules", ""), "rules"), "rules"),
        itemsets=tuple(zip(members, set_counts)),
        tradeups=tuple(zip(*tradeups)),
        buyers=_ints(_field(content, "buyers", ""), "buyers"),
        catalog=catalog,
        config=_mapping(_field(content, "config", ""), "config"),
        provenance=_mapping(_field(content, "provenance", ""), "provenance"),
        categories=_strs(_field(raw_categories, "names", "categories"), "categories.names"),
        category_counts=_ints(_field(raw_categories, "counts", "categories"), "categories.counts"),
        category_rules=_rules_from_payload(raw_category_rules, "categories.rules")
        if raw_category_rules
        else RuleCounts(),
        cobought=tuple(zip(*cobought)),
        weights=tuple(zip(*weights)),
        weight_terms=weight_terms,
        recency=_recency_from_payload(content.get("recency")),
        customers=_customers_from_payload(content.get("customers")),
        feedback=_feedback_from_payload(content.get("feedback")),
    )


def _optional(read: Any) -> Any:
    """A reader of a column whose values are read by ``read``, or null."""

    def read_column(value: Any, name: str) -> tuple[Any, ...]:
        return tuple(None if v is None else read(v, f"{name}[{k}]") for k, v in enumerate(_list(value, name)))

    return read_column
