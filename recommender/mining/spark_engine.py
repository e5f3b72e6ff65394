"""The adapter to Apache Spark: the only module that imports pyspark, and only when called.

Spark MLlib's ``pyspark.ml.fpm.FPGrowth`` mines the frequent itemsets; everything after that
(rules, metrics, bundles, the artifact) is the same code as for the mlxtend engine, fed with
the counts Spark found. What comes back to the driver is small by construction: the item
table (one count per item), the frequent itemsets of at most ``max_len`` items with their
counts, and a few totals.

Two ways in:

* :class:`~recommender.io.Baskets` (every input the readers of :mod:`recommender.io` take)
  are pruned to their frequent items on the driver and shipped to Spark as one Arrow table
  of item-index arrays;
* a Parquet file or folder of order lines (of any size) is read by Spark itself
  (:func:`read_parquet_orders`): grouping lines into baskets (by order, or by customer and
  day when there is no order column), dropping cancellations and returns, counting baskets
  and items all happen in Spark, and no basket reaches the driver.

Spark's minimum count is ``ceil(minSupport * n)`` over the rows it is given; the support
passed to it is chosen so that this count equals :meth:`MiningConfig.min_count
<recommender.config.MiningConfig.min_count>`, so both engines draw the threshold at the same
basket.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..exceptions import ConfigError, InputError, MissingDependencyError
from ..io import ColumnSpec, ReadSummary, SourceInfo
from ..io.baskets import Baskets
from .encode import support_that_fits

if TYPE_CHECKING:  # pragma: no cover - typing only; pyspark is an optional extra
    from pyspark.sql import DataFrame, SparkSession

__all__ = [
    "INSTALL_HINT",
    "SparkOrders",
    "SparkSettings",
    "parse_spark_conf",
    "reads_in_spark",
    "read_orders",
    "read_parquet_orders",
    "spark_frequent_itemsets",
    "spark_session",
    "spark_version",
]

logger = logging.getLogger(__name__)

INSTALL_HINT = 'pip install -e ".[spark]" (or pip install "recommender[spark]")'
DEFAULT_MASTER = "local[*]"
APP_NAME = "recommender mine"
# Spark's own log4j profile prints every WARN of start-up; a miner's user wants errors only.
_QUIET_LOG4J = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
"""
Progress = Callable[[str], None]


@dataclass(frozen=True, kw_only=True)
class SparkSettings:
    """Where and how to run Spark.

    Parameters
    ----------
    master : str or None
        A master URL (``local[4]``, ``spark://host:7077``, ``yarn``...). None: the session
        that is already running (spark-submit, a notebook), else what the ``spark-submit``
        defaults and ``SPARK_*`` environment say, which is ``local[*]`` on a plain machine.
    conf : tuple of (str, str)
        Spark settings passed through as they are (``spark.driver.memory``, ...).

    Examples
    --------
    >>> SparkSettings(conf=parse_spark_conf(["spark.driver.memory=4g"])).conf
    (('spark.driver.memory', '4g'),)
    """

    master: str | None = None
    conf: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(
        cls, *, master: str | None = None, conf: Mapping[str, str] | Iterable[str | tuple[str, str]] | None = None
    ) -> SparkSettings:
        """Settings from the options as users give them (``KEY=VALUE`` strings or a mapping)."""
        return cls(master=master, conf=parse_spark_conf(conf))

    def __post_init__(self) -> None:
        if self.master is not None and (not isinstance(self.master, str) or not self.master.strip()):
            raise ConfigError(f"spark master must be a master URL such as 'local[4]', got {self.master!r}.")
        object.__setattr__(self, "conf", parse_spark_conf(self.conf))


def parse_spark_conf(conf: Mapping[str, str] | Iterable[str | tuple[str, str]] | None) -> tuple[tuple[str, str], ...]:
    """Spark settings from ``KEY=VALUE`` strings, pairs or a mapping, checked and in order.

    Examples
    --------
    >>> parse_spark_conf(["spark.sql.shuffle.partitions=8", ("spark.driver.memory", "2g")])
    (('spark.sql.shuffle.partitions', '8'), ('spark.driver.memory', '2g'))
    >>> parse_spark_conf(["driver.memory"])
    Traceback (most recent call last):
    ...
    recommender.exceptions.ConfigError: spark conf 'driver.memory' is not KEY=VALUE; pass e.g. --spark-conf spark.driver.memory=4g.
    """  # noqa: E501
    if conf is None:
        return ()
    entries: Iterable[Any] = conf.items() if isinstance(conf, Mapping) else conf
    if isinstance(entries, (str, bytes)):
        entries = [entries]
    found: list[tuple[str, str]] = []
    for entry in entries:
        if isinstance(entry, str):
            key, equals, value = entry.partition("=")
            if not equals:
                raise ConfigError(
                    f"spark conf {entry!r} is not KEY=VALUE; pass e.g. --spark-conf spark.driver.memory=4g."
                )
        elif isinstance(entry, tuple) and len(entry) == 2:
            key, value = str(entry[0]), str(entry[1])
        else:
            raise ConfigError(f"spark conf {entry!r} is neither 'KEY=VALUE' nor a (key, value) pair.")
        key, value = key.strip(), value.strip()
        if not key.startswith("spark."):
            raise ConfigError(
                f"spark conf key {key!r} is not a Spark setting (they start with 'spark.'); "
                "pass e.g. --spark-conf spark.driver.memory=4g."
            )
        found.append((key, value))
    return tuple(found)


def _pyspark() -> Any:
    try:
        import pyspark
    except ImportError:
        raise MissingDependencyError(
            f"the spark engine needs pyspark, which is not installed; install it with {INSTALL_HINT}, "
            "or mine with --engine mlxtend."
        ) from None
    return pyspark


def spark_version() -> str:
    """The installed pyspark's version (raises :class:`MissingDependencyError` without it)."""
    return str(_pyspark().__version__)


def _check_java() -> None:
    """Fail before Spark tries to start a JVM that is not there."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        java = Path(java_home) / "bin" / "java"
        if not java.exists():
            raise MissingDependencyError(
                f"JAVA_HOME is {java_home!r} but {str(java)!r} does not exist; point JAVA_HOME at a Java 17 "
                "(or newer) installation, or unset it to use the java on PATH."
            )
        return
    if shutil.which("java") is None:
        raise MissingDependencyError(
            "the spark engine needs Java 17 or newer, and none was found (JAVA_HOME is not set and no java "
            "is on PATH); install a JDK (e.g. apt-get install openjdk-17-jre-headless), set JAVA_HOME, "
            "or mine with --engine mlxtend."
        )


def _quiet_log4j_option() -> str:
    """A JVM option pointing log4j at a profile that prints errors only."""
    path = Path(tempfile.gettempdir()) / f"recommender-spark-log4j2-{os.getuid() if hasattr(os, 'getuid') else 0}"
    path = path.with_suffix(".properties")
    if not path.exists() or path.read_text() != _QUIET_LOG4J:
        path.write_text(_QUIET_LOG4J)
    return f"-Dlog4j2.configurationFile={path.as_uri()}"


def spark_session(settings: SparkSettings | None = None) -> SparkSession:
    """The running Spark session, or a new one started with ``settings``.

    An active session (spark-submit, a notebook, a test fixture) is reused as it is, with
    ``SparkSession.builder.getOrCreate()`` semantics. A new one runs in local mode with all
    cores unless a master is given, shows no console progress bars and logs errors only.

    Raises
    ------
    MissingDependencyError
        Without pyspark, or without Java.
    ConfigError
        When Spark does not start (a bad master URL or setting).

    Examples
    --------
    >>> spark = spark_session(SparkSettings(master="local[2]"))  # doctest: +SKIP
    """
    settings = settings or SparkSettings()
    _pyspark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        if settings.master is not None and settings.master != active.sparkContext.master:
            logger.warning(
                "reusing the running Spark session on %s; --spark-master %s is ignored",
                active.sparkContext.master,
                settings.master,
            )
        if settings.conf:
            logger.warning("reusing the running Spark session; its settings stand, --spark-conf is not applied")
        return active
    # Under spark-submit the JVM started this Python process: Java is there by definition.
    if not os.environ.get("PYSPARK_GATEWAY_PORT"):
        _check_java()
    given = dict(settings.conf)
    builder = SparkSession.builder.appName(APP_NAME)
    if settings.master is not None:
        builder = builder.master(settings.master)
    defaults = {
        "spark.ui.showConsoleProgress": "false",
        # Spark's 200 shuffle partitions suit a cluster; on one machine their per-task cost
        # dominates a grouping of a few million lines.
        **({"spark.sql.shuffle.partitions": str(4 * (os.cpu_count() or 1))} if _is_local(settings.master) else {}),
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.driver.extraJavaOptions": _quiet_log4j_option(),
    }
    for key, value in {**defaults, **given}.items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as error:  # noqa: BLE001 - py4j and the JVM raise many types; all mean "did not start"
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ConfigError(
            f"Spark did not start (master {settings.master or DEFAULT_MASTER!r}): {reason}; check --spark-master "
            f"and --spark-conf, and that Java 17 or newer runs (JAVA_HOME={os.environ.get('JAVA_HOME')!r})."
        ) from None
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _is_local(master: str | None) -> bool:
    """Whether a new session runs on this machine (no master given means spark-submit's local[*])."""
    return (master or DEFAULT_MASTER).startswith("local")


@dataclass(frozen=True, kw_only=True, eq=False)
class SparkOrders:
    """Orders that stay in Spark: what :func:`~recommender.mining.mine` needs of them.

    The same attributes as :class:`~recommender.io.Baskets` that mining reads (items, counts,
    summary, source), without the baskets themselves: those are ``frame``, a Spark DataFrame
    of distinct ``(order, item)`` lines, cached in the cluster.
    """

    items: tuple[str, ...]
    counts: np.ndarray
    n_baskets: int
    summary: ReadSummary
    source: SourceInfo
    frame: Any = field(repr=False)
    catalog: None = None
    customers: None = None
    timestamps: None = None

    def __len__(self) -> int:
        return self.n_baskets

    @property
    def n_items(self) -> int:
        return len(self.items)

    def item_counts(self) -> np.ndarray:
        """Baskets holding each item, aligned with :attr:`items`."""
        return self.counts

    def content_sha256(self) -> str:
        return self.source.sha256


def reads_in_spark(orders: object, *, format: str = "auto") -> bool:
    """Whether ``orders`` is a Parquet file or folder that Spark should read itself.

    Examples
    --------
    >>> reads_in_spark("orders.parquet"), reads_in_spark("baskets.csv"), reads_in_spark([["tea"]])
    (True, False, False)
    """
    if format == "basket" or not isinstance(orders, (str, os.PathLike)):
        return False
    text = os.fspath(orders)
    if "://" in str(text):
        return True  # hdfs://, s3a://...: only Spark can read it
    path = Path(text)
    return path.suffix.lower() in {".parquet", ".pq"} or (path.is_dir() and any(path.glob("*.parquet")))


def _source_info(location: str) -> SourceInfo:
    path = Path(location)
    if "://" not in location and path.exists():
        from ..io.source import file_sha256

        sha, size = file_sha256(path)
        return SourceInfo(name=path.name, kind="spark:parquet", sha256=sha, size_bytes=size)
    # A cluster path cannot be read here; the digest names it, it does not vouch for its content.
    return SourceInfo(name=location, kind="spark:parquet", sha256=hashlib.sha256(location.encode()).hexdigest())


def read_parquet_orders(
    spark: SparkSession,
    location: str | os.PathLike[str],
    *,
    columns: ColumnSpec | Mapping[str, str | None] | None = None,
) -> SparkOrders:
    """Read a long order table in Parquet (a file or a folder of any size) into Spark.

    Columns are found as :func:`recommender.io.read_baskets` finds them; order and item ids
    become stripped strings, blanks are missing; cancellations (orders starting with ``C``
    and a digit) and returns (negative quantity, or line total without one) are dropped and
    counted, and repeated lines of an item merge into their basket, as the pandas reader does.
    Only the counts and the item table come back to the driver.

    Examples
    --------
    >>> orders = read_parquet_orders(spark_session(), "orders/")  # doctest: +SKIP
    >>> orders.summary.describe(), len(orders)  # doctest: +SKIP
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    from ..io.orders import _resolve

    text = os.fspath(location)
    what = f"orders {text!r}"
    if "://" not in text and not Path(text).exists():
        raise InputError(f"orders file {text!r} does not exist; check the path.")
    try:
        lines = spark.read.parquet(text)
    except Exception as error:  # noqa: BLE001 - Spark's AnalysisException and py4j errors
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise InputError(f"Spark cannot read {what} as Parquet: {reason}; check that it is Parquet.") from None
    role = _resolve(list(lines.columns), ColumnSpec.coerce(columns), what, by_day=True)
    by_day = role["order"] is None  # no order column: a basket is a customer's lines of one day
    if by_day:
        order = _customer_days(lines, str(role["customer"]), str(role["time"]), what)
    else:
        order = _id_column(str(role["order"]))
    item = _id_column(str(role["item"]))
    signed_name = role["quantity"] or role["line_total"]
    signed = F.col(f"`{signed_name}`").cast("double") if signed_name else F.lit(None).cast("double")
    flagged = lines.select(order.alias("order"), item.alias("item"), signed.alias("signed"))
    present = F.col("order").isNotNull() & F.col("item").isNotNull()
    # Online Retail's convention: an invoice number starting with C is a cancellation (a day
    # basket has no invoice number to tell one).
    cancelled = F.lit(False) if by_day else present & F.col("order").rlike(r"^[Cc][0-9]")
    returned = present & ~cancelled & F.coalesce(F.col("signed") < 0, F.lit(False))
    flagged = flagged.select(
        "order",
        "item",
        present.alias("present"),
        cancelled.alias("cancelled"),
        returned.alias("returned"),
    )
    kept = flagged.where(F.col("present") & ~F.col("cancelled") & ~F.col("returned")).select("order", "item")
    distinct = kept.distinct().persist(StorageLevel.MEMORY_AND_DISK)
    totals = flagged.agg(
        F.count(F.lit(1)).alias("rows"),
        F.sum((~F.col("present")).cast("long")).alias("missing"),
        F.sum(F.col("cancelled").cast("long")).alias("cancelled"),
        F.sum(F.col("returned").cast("long")).alias("returned"),
    ).collect()[0]
    n_baskets = int(distinct.agg(F.countDistinct("order")).collect()[0][0])
    item_table = distinct.groupBy("item").count().toArrow()
    names = [str(name) for name in item_table.column("item").to_pylist()]
    counts = np.asarray(item_table.column("count").to_numpy(), dtype=np.int64)
    order_of = np.argsort(np.asarray(names, dtype=object), kind="stable")
    items = tuple(names[i] for i in order_of)
    counts = counts[order_of]
    rows = int(totals["rows"] or 0)
    missing = int(totals["missing"] or 0)
    n_cancelled = int(totals["cancelled"] or 0)
    n_returned = int(totals["returned"] or 0)
    kept_rows = rows - missing - n_cancelled - n_returned
    if n_baskets == 0:
        raise InputError(
            f"{what} holds no purchases (dropped: {missing:,} rows without an item, {n_cancelled:,} "
            f"cancellations, {n_returned:,} returns); check that it is the right file and that its order "
            "and item columns are filled."
        )
    summary = ReadSummary(
        rows_read=rows,
        baskets=n_baskets,
        items=len(items),
        cancelled_rows=n_cancelled,
        returned_rows=n_returned,
        missing_item_rows=missing,
        repeated_item_rows=kept_rows - int(counts.sum()),
        day_baskets=(str(role["customer"]), str(role["time"])) if by_day else None,
    )
    return SparkOrders(
        items=items, counts=counts, n_baskets=n_baskets, summary=summary, source=_source_info(text), frame=distinct
    )


def _id_column(name: str) -> Any:
    """The ids of column ``name`` as stripped strings, blanks missing."""
    from pyspark.sql import functions as F

    value = F.trim(F.col(f"`{name}`").cast("string"))
    return F.when(value == "", None).otherwise(value)


# A time written with its zone: 2011-01-04T23:30:00Z, ...+01:00, ...-0500.
_ZONED = r"(Z|[+-][0-9]{2}:?[0-9]{2})$"


def _customer_days(lines: DataFrame, customer: str, time: str, what: str) -> Any:
    """Each line's basket in a table without an order column: its customer and the calendar day
    of its time, labelled ``"customer YYYY-MM-DD"`` as the pandas reader labels day baskets;
    missing when either is. The day is the pandas reader's: a time with a zone (a Parquet
    timestamp is one) counts in UTC, one without as written, whatever the Spark session's zone.

    Raises
    ------
    InputError
        When the time column holds neither dates nor text Spark reads as one (Spark reads dates
        written year first; the pandas reader also reads day-first and month-first ones).
    """
    from pyspark.sql import functions as F
    from pyspark.sql.types import DateType, StringType, TimestampNTZType, TimestampType

    kind = lines.schema[time].dataType
    column = F.col(f"`{time}`")

    def utc_day(instant: Any) -> Any:
        return F.date_from_unix_date(F.floor(F.unix_timestamp(instant) / 86400).cast("int"))

    if isinstance(kind, (DateType, TimestampNTZType)):
        day = F.to_date(column)
    elif isinstance(kind, TimestampType):
        day = utc_day(column)
    elif isinstance(kind, StringType):
        text = F.trim(column)
        parsed = F.try_to_timestamp(text)
        # Without a zone, parsed and turned back into a day in the session's zone: as written.
        day = F.when(text.rlike(_ZONED), utc_day(parsed)).otherwise(F.to_date(parsed))
        unread = lines.where((text != "") & day.isNull()).select(column).limit(1).collect()
        if unread:
            raise InputError(
                f"{what}: column {time!r} must hold dates, but a line has {unread[0][0]!r}; Spark reads dates "
                "written YYYY-MM-DD[ HH:MM:SS]: write them so, or read the file without --engine spark (its "
                "reader also takes day-first and month-first dates)."
            )
    else:
        raise InputError(
            f"{what}: column {time!r} must hold dates or times, not {kind.simpleString()}; name another column "
            "with --time-col."
        )
    who = F.regexp_replace(_id_column(customer), r"^([0-9]+)\.0$", "$1")
    return F.concat(who, F.lit(" "), F.date_format(day, "yyyy-MM-dd"))


def read_orders(
    orders: object,
    *,
    format: str = "auto",
    columns: ColumnSpec | Mapping[str, str | None] | None = None,
    settings: SparkSettings | None = None,
) -> Baskets | SparkOrders:
    """Start (or join) Spark, then read: Parquet stays in Spark, anything else is read here.

    Spark starts first so that a missing Java or a bad master fails before a long read.

    Examples
    --------
    >>> read_orders("orders.parquet", settings=SparkSettings(master="local[2]"))  # doctest: +SKIP
    """
    from ..io import read_baskets

    spark = spark_session(settings)
    if reads_in_spark(orders, format=format) and isinstance(orders, (str, os.PathLike)):
        return read_parquet_orders(spark, orders, columns=columns)
    return read_baskets(orders, format=format, columns=columns)  # type: ignore[arg-type]


def _support_for(min_count: int, rows: int) -> float:
    """The support Spark needs so that its ``ceil(minSupport * rows)`` is ``min_count``.

    Half a basket below the count keeps the product clear of any rounding of the division.

    Examples
    --------
    >>> import math
    >>> from recommender.config import MiningConfig
    >>> MiningConfig(min_support=0.07).support_count(100)  # 7 / 100 >= 0.07
    7
    >>> math.ceil(0.07 * 100), math.ceil(_support_for(7, 100) * 100)  # Spark's count: plain, ours
    (8, 7)
    """
    return min(1.0, (min_count - 0.5) / rows)


def _shipped_baskets(spark: SparkSession, baskets: Baskets, frequent: np.ndarray) -> tuple[DataFrame, int]:
    """Baskets as a Spark DataFrame of item-index arrays, only frequent items, only baskets of two or more."""
    import pyarrow as pa

    basket_of = np.repeat(np.arange(len(baskets), dtype=np.int64), np.diff(baskets.indptr))
    keep = frequent[baskets.indices]
    lengths = np.bincount(basket_of[keep], minlength=len(baskets))
    long_enough = lengths >= 2
    keep &= long_enough[basket_of]
    values = baskets.indices[keep].astype(np.int32)
    offsets = np.zeros(int(long_enough.sum()) + 1, dtype=np.int32)
    np.cumsum(lengths[long_enough], out=offsets[1:])
    table = pa.table({"items": pa.ListArray.from_arrays(pa.array(offsets), pa.array(values))})
    return spark.createDataFrame(table), int(long_enough.sum())


def _lines_to_baskets(orders: SparkOrders, frequent: np.ndarray) -> tuple[DataFrame, int]:
    """The order lines kept in Spark, grouped into baskets of frequent item indices (two or more)."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    spark = orders.frame.sparkSession
    index = [(orders.items[j], int(j)) for j in np.flatnonzero(frequent)]
    vocabulary = spark.createDataFrame(index, schema="item string, idx int")
    baskets = (
        orders.frame.join(F.broadcast(vocabulary), "item")
        .groupBy("order")
        .agg(F.collect_list("idx").alias("items"))
        .where(F.size("items") >= 2)
        .select("items")
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    return baskets, baskets.count()


@dataclass(frozen=True, kw_only=True)
class SparkMined:
    """What Spark found: itemsets of two to ``max_len`` items and how much it mined."""

    itemsets: dict[tuple[int, ...], int]
    mined_baskets: int
    mined_items: int
    provenance: dict[str, Any]


def spark_frequent_itemsets(
    orders: Baskets | SparkOrders,
    item_counts: np.ndarray,
    *,
    min_count: int,
    max_len: int,
    max_pairs: int | None,
    settings: SparkSettings | None = None,
    progress: Progress | None = None,
) -> SparkMined:
    """Frequent itemsets of two to ``max_len`` items, mined by Spark's FPGrowth.

    Spark has no ``max_len``: it mines every length, and longer itemsets are dropped in Spark
    before anything is collected. Before collecting, the frequent pairs are counted in Spark
    and the run stops, as the mlxtend engine does, when there are more than ``max_pairs``.

    Examples
    --------
    >>> from recommender.io import read_baskets
    >>> b = read_baskets([["tea", "kettle"], ["tea", "kettle"], ["tea"]])
    >>> spark_frequent_itemsets(b, b.item_counts(), min_count=2, max_len=3,
    ...                         max_pairs=None).itemsets  # doctest: +SKIP
    {(0, 1): 2}
    """

    say = progress or (lambda stage: logger.info("%s", stage))
    frequent = np.asarray(item_counts) >= min_count
    mined_items = int(frequent.sum())
    spark = orders.frame.sparkSession if isinstance(orders, SparkOrders) else spark_session(settings)
    provenance: dict[str, Any] = {
        "master": spark.sparkContext.master,
        "default_parallelism": spark.sparkContext.defaultParallelism,
        "input_in_spark": isinstance(orders, SparkOrders),
    }
    if isinstance(orders, SparkOrders):
        provenance["tradeups"] = "skipped: orders read by Spark are not brought to the driver"
    try:
        if mined_items < 2:
            return SparkMined(itemsets={}, mined_baskets=0, mined_items=mined_items, provenance=provenance)
        in_spark = isinstance(orders, SparkOrders)
        say("grouping order lines into baskets in spark" if in_spark else "shipping baskets to spark")
        if isinstance(orders, SparkOrders):
            frame, rows = _lines_to_baskets(orders, frequent)
        else:
            frame, rows = _shipped_baskets(spark, orders, frequent)
        try:
            if rows < min_count:
                return SparkMined(itemsets={}, mined_baskets=rows, mined_items=mined_items, provenance=provenance)
            support = _support_for(min_count, rows)
            provenance["fpgrowth_min_support"] = support
            provenance["fpgrowth_rows"] = rows
            say(f"mining itemsets with spark fpgrowth ({rows:,} baskets)")
            table = _mine(frame, support=support, min_count=min_count, max_len=max_len, max_pairs=max_pairs,
                          n_baskets=len(orders), say=say)  # fmt: skip
        finally:
            frame.unpersist()
    finally:
        if isinstance(orders, SparkOrders):
            orders.frame.unpersist()  # the lines were cached for counting and grouping: done with them
    items = table.column("items").combine_chunks()
    offsets = items.offsets.to_numpy()
    values = items.values.to_numpy()
    freq = table.column("freq").to_numpy()
    itemsets = {tuple(sorted(values[offsets[k] : offsets[k + 1]].tolist())): int(freq[k]) for k in range(len(freq))}
    return SparkMined(itemsets=itemsets, mined_baskets=rows, mined_items=mined_items, provenance=provenance)


def _mine(
    frame: DataFrame,
    *,
    support: float,
    min_count: int,
    max_len: int,
    max_pairs: int | None,
    n_baskets: int,
    say: Progress,
) -> Any:
    """Run FPGrowth on ``frame`` and collect its itemsets of two to ``max_len`` items as an Arrow table."""
    from pyspark.ml.fpm import FPGrowth
    from pyspark.sql import functions as F

    model = FPGrowth(itemsCol="items", minSupport=support, minConfidence=1.0).fit(frame)
    # FPGrowth's itemsets are a lazy view over the mined RDD: cache the kept part once.
    found = model.freqItemsets.where(
        (F.size("items") >= 2) & (F.size("items") <= max_len) & (F.col("freq") >= min_count)
    ).cache()
    try:
        n_pairs = found.where(F.size("items") == 2).count()
        if max_pairs is not None and n_pairs > max_pairs:
            past = found.where(F.size("items") == 2).orderBy(F.desc("freq")).limit(max_pairs + 1).agg(F.min("freq"))
            _too_many_pairs(n_pairs, max_pairs, int(past.collect()[0][0]), min_count, n_baskets)
        say("collecting frequent itemsets")
        return found.toArrow()
    finally:
        found.unpersist()


def _too_many_pairs(n_pairs: int, max_pairs: int, past: int, min_count: int, n_baskets: int) -> None:
    suggestion = support_that_fits(past, n_baskets)
    raise ConfigError(
        f"at a least count of {min_count:,} baskets these {n_baskets:,} orders hold {n_pairs:,} frequent pairs "
        f"of items, more than max_pairs {max_pairs:,}: the model would be too large to serve well; raise "
        f"--min-support to {suggestion:g} or more, or raise --max-pairs."
    )
