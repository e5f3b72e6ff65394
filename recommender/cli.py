"""The ``recommender`` command: argument parsing and messages only.

Errors are one sentence on stderr and exit status 2, never a traceback for bad input.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .config import RULE_METRICS
from .exceptions import ArtifactError, ConfigError, RecommenderError

if TYPE_CHECKING:
    import pandas as pd

    from .config import MiningConfig

__all__ = ["main"]

EXIT_BAD_INPUT = 2
# The commands whose long work and files SIGTERM unwinds (see _terminate_like_interrupt).
UNWIND_ON_SIGTERM = ("demo", "mine", "evaluate")
# What the demo shows: carts of the sample shop that bring out every kind of suggestion.
DEMO_FREE_SHIPPING = 25.0
DEMO_CARTS = (
    (("KET-BASIC",), 19.99),
    (("COF-ESPRESSO-BASIC", "COF-BEANS-SINGLE"), 165.98),
    (("PAN-20",), 17.99),
    ((), 0.0),
)
DEMO_BUNDLE = "COF-ESPRESSO-BASIC"
FALLBACK_TEXTS = {
    "cobought": "items bought with the cart's that no rule covers (too few baskets or too weak)",
    "category_rules": "best sellers of the categories bought with the cart's",
    "category_popular": "popular items of the cart's categories",
    "popular": "popular items",
}
# How the table names a suggestion found by backing off from the rules (its reason's "backoff").
BACKOFF_LABELS = {"cobought": "co-bought", "category_rules": "category rule"}
# Where `rules --item` looks for the item.
ITEM_SIDES = ("any", "antecedent", "consequent")
COLUMN_ROLES = (
    ("order", "InvoiceNo"),
    ("item", "StockCode"),
    ("quantity", "Quantity"),
    ("price", "UnitPrice"),
    ("customer", "CustomerID"),
    ("time", "InvoiceDate"),
    ("name", "Description"),
)
# Sortable columns of the rules table: the counts and every metric but the two side supports.
RULE_SORT_KEYS = ("count", *(m for m in RULE_METRICS if not m.endswith("_support")), "p_value", "confidence_shrunk")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return EXIT_BAD_INPUT
    try:
        with _terminate_like_interrupt(args.command in UNWIND_ON_SIGTERM):
            return int(args.run(args) or 0)
    except RecommenderError as error:
        print(f"recommender {args.command}: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 128 + signal.SIGINT
    except _Terminated:
        print("terminated", file=sys.stderr)
        return 128 + signal.SIGTERM
    except BrokenPipeError:  # `recommender rules ... | head`
        return 0


class _Terminated(BaseException):
    """SIGTERM, raised where the program is, so that it unwinds as it does for Ctrl-C."""


@contextlib.contextmanager
def _terminate_like_interrupt(active: bool) -> Iterator[None]:
    """While active, SIGTERM (kill, systemd, a scheduler's timeout) unwinds the program like
    Ctrl-C: the mining processes are stopped and no temporary model file is left. A second
    SIGTERM ends the program at once. `serve` is left to uvicorn, which shuts down gracefully."""
    if not active or threading.current_thread() is not threading.main_thread():
        yield
        return

    def unwind(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, unwind)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def version() -> str:
    """The installed version of the package (its source's ``__version__`` when not installed)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed_version

    try:
        return installed_version("recommender")
    except PackageNotFoundError:
        from . import __version__

        return __version__


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Every option's help ends with its default; where a bare value would say little (None, an
    empty list) the help says it in words, and is left as it is."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if "default" in text or action.default is None or action.default is False or action.default == []:
            return text
        return super()._get_help_string(action)


class _SubcommandParser(argparse.ArgumentParser):
    """A subcommand's parser, taking options between its positionals.

    ``recommend MODEL --exclude X ITEM`` leaves ITEM unrecognized with Python 3.11's parser, which
    matches a ``nargs="*"`` positional, empty, as soon as it meets MODEL; the intermixed parse
    reads the options first and the positionals after them.
    """

    _intermixed = False

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        if self._intermixed:  # the intermixed parse calls this method for each of its passes
            return super().parse_known_args(args, namespace)
        self._intermixed = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixed = False


def _parser() -> argparse.ArgumentParser:
    from .config import OBJECTIVES

    parser = argparse.ArgumentParser(
        prog="recommender",
        description="Mine the baskets of past orders into cross-sell rules and explained suggestions.",
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"recommender {version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_SubcommandParser)

    def command(name: str, **options: Any) -> argparse.ArgumentParser:
        return commands.add_parser(name, formatter_class=_HelpFormatter, **options)

    demo = command(
        "demo",
        help="run the built-in sample shop end to end",
        description="Generate the built-in sample shop (a year of orders and a catalog), mine it, "
        "save the model and show what it found.",
    )
    demo.add_argument(
        "--out", default="recommender-demo", metavar="DIR", help="folder for orders.csv, catalog.csv and model.rcm"
    )
    demo.add_argument("--seed", type=int, default=7, help="seed of the sample shop")
    demo.add_argument(
        "--sqlite", nargs="?", const="", metavar="FILE",
        help="also write the order lines into a SQLite database (table order_lines) and mine from there, as from a "
        "shop's own database (FILE default: DIR/shop.db; default: mine orders.csv)",
    )  # fmt: skip
    demo.set_defaults(run=_demo)

    mine = command(
        "mine",
        help="mine an order file into a model file",
        description="Read orders (long CSV/Parquet, or one basket per line) and mine association "
        "rules into one model file.",
    )
    mine.add_argument(
        "input", metavar="INPUT",
        help="orders: .csv/.parquet (any compression), .dat baskets, or a database URL with --table or --query",
    )  # fmt: skip
    mine.add_argument(
        "-o", "--output", required=True, metavar="MODEL", help="model file to write, e.g. model.rcm (required)"
    )
    _add_mining_options(mine)
    _add_input_options(mine, format_alias=True)
    _add_leave_out_options(mine)
    people = mine.add_argument_group(
        "customers (orders with a customer id: the model keeps a summary per customer; see the README)"
    )
    people.add_argument(
        "--no-customers", action="store_true",
        help="keep no customer data in the model (default: a summary per customer, when orders have customers)",
    )  # fmt: skip
    people.add_argument(
        "--hash-customers", action="store_true",
        help="keep customers under keyed hashes of their ids only, the key in RECOMMENDER_CUSTOMER_KEY (default: "
        "the shop's ids)",
    )  # fmt: skip
    people.add_argument(
        "--buy-again", type=int, default=0, metavar="N",
        help="a known customer's items bought again and again take the first N places of an answer (default: 0; "
        "worth it where customers restock, as in groceries)",
    )  # fmt: skip
    mine.add_argument(
        "--feedback", default=None, metavar="EVENTS_URL",
        help="an events store (sqlite:///events.db, postgresql://...): the model keeps its attach counts per (cart "
        "item, suggested item), and suggestions shoppers take rise, those they ignore sink (default: none)",
    )  # fmt: skip
    mine.add_argument(
        "--feedback-strength", type=float, default=None, metavar="K",
        help="with --feedback: the impressions a rule's evidence is worth against what shoppers did; larger, "
        "the ranking moves more slowly (default: 20)",
    )  # fmt: skip
    engine = mine.add_argument_group("engine")
    engine.add_argument(
        "--memory", type=_byte_size, default=None, metavar="SIZE",
        help="memory the pair counts may take at once, e.g. 2G or 500M (default: a quarter of the memory "
        "available, at most 1G); lower it on a crowded machine",
    )  # fmt: skip
    engine.add_argument(
        "-v", "--verbose", action="store_true",
        help="print each stage's seconds and peak memory as it ends (default: only the summary; the figures are in the "
        "model's provenance either way)",
    )  # fmt: skip
    engine.add_argument(
        "--engine",
        choices=("mlxtend", "spark"),
        default="mlxtend",
        help="itemset miner: mlxtend in this process, or Spark MLlib (the spark extra)",
    )
    engine.add_argument(
        "--spark-master",
        metavar="URL",
        help="with --engine spark: master URL, e.g. local[4] or spark://host:7077 (default: a running "
        "session such as spark-submit's, else local[*])",
    )
    engine.add_argument(
        "--spark-conf",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="with --engine spark: a Spark setting, e.g. spark.driver.memory=8g (repeatable; default: none)",
    )
    mine.set_defaults(run=_mine)

    rules = command(
        "rules",
        help="list the rules of a model file",
        description="Print the rules of a model, strongest first.",
    )
    rules.add_argument("model", metavar="MODEL", help="model file written by `recommender mine`")
    rules.add_argument("--sort", choices=RULE_SORT_KEYS, default="lift", help="metric to sort by")
    rules.add_argument(
        "--top", type=_positive_int, default=None, metavar="N", help="only the first N rules (default: all)"
    )
    rules.add_argument(
        "--item",
        action="extend",
        type=_id_list,
        default=[],
        metavar="ID",
        help="only the rules holding this item on the side --item-side says (repeatable, or ID,ID,...: rules "
        "holding any of them; with --categories, a category; default: every rule)",
    )
    rules.add_argument(
        "--item-side",
        choices=ITEM_SIDES,
        default="any",
        help="where --item must be: in the antecedent (if bought), the consequent (then bought), or either",
    )
    rules.add_argument(
        "--categories",
        action="store_true",
        help="the rules between categories, mined with a hierarchy or catalog (default: the rules between items)",
    )
    rules.add_argument("--format", choices=("table", "csv", "json"), default="table", help="output format")
    rules.set_defaults(run=_rules)

    recommend = command(
        "recommend",
        help="suggestions for a cart",
        description="What the checkout would show for a cart: at most LIMIT suggestions, each with its reason. "
        "With no ITEM, the cart is empty and the answer is the popular items.",
    )
    recommend.add_argument("model", metavar="MODEL", help="model file written by `recommender mine`")
    recommend.add_argument(
        "items", metavar="ITEM", nargs="*", help="item ids in the cart (default: none, an empty cart)"
    )
    recommend.add_argument("--limit", type=_positive_int, default=3, metavar="K", help="most suggestions")
    recommend.add_argument(
        "--objective",
        choices=OBJECTIVES,
        default="confidence",
        help="rank by likelihood, lift, expected revenue or margin",
    )
    recommend.add_argument(
        "--cart-total",
        type=float,
        default=None,
        metavar="AMOUNT",
        help="the cart's value, for the free-shipping nudge (default: unknown, no nudge)",
    )
    recommend.add_argument(
        "--free-shipping",
        type=float,
        default=None,
        metavar="AMOUNT",
        help="free-shipping threshold: add-ons that reach it come first (default: none)",
    )
    recommend.add_argument(
        "--exclude",
        action="extend",
        type=_id_list,
        default=[],
        metavar="ID",
        help="an item not to suggest (repeatable, or ID,ID,...; default: none)",
    )
    _add_ranking_options(recommend, customers=True)
    recommend.add_argument(
        "--why",
        action="store_true",
        help="also show the decision trace: every candidate considered, its score, and why it was or was not "
        "shown (default: off)",
    )
    recommend.add_argument(
        "--customer", metavar="ID",
        help="the shop's customer id: the items they buy again come first, when the model was mined with "
        "--buy-again (default: none)",
    )  # fmt: skip
    recommend.add_argument("--format", choices=("table", "json"), default="table", help="output format")
    recommend.set_defaults(run=_recommend)

    bundle = command(
        "bundle",
        help="the product-page bundle of an item",
        description="The two or three items bought together with ITEM, with the bundle price.",
    )
    bundle.add_argument("model", metavar="MODEL", help="model file written by `recommender mine`")
    bundle.add_argument("item", metavar="ITEM", help="item id of the product page")
    bundle.add_argument("--discount", type=float, default=0.1, metavar="F", help="bundle price = total x (1 - F)")
    bundle.add_argument("--format", choices=("table", "json"), default="table", help="output format")
    bundle.set_defaults(run=_bundle)

    serve = command(
        "serve",
        help="serve a model over HTTP (the `serve` extra)",
        description="Serve a model file over HTTP (FastAPI on uvicorn): POST /v1/recommendations, "
        "GET /v1/bundles/ITEM, GET /v1/model, /healthz, /readyz. SIGHUP reloads the file; "
        "with RECOMMENDER_ADMIN_TOKEN set, so does POST /v1/admin/reload.",
    )
    serve.add_argument("model", metavar="MODEL", help="model file written by `recommender mine`")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1: this machine only)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on")
    serve.add_argument(
        "--workers", type=_positive_int, default=1, metavar="N", help="worker processes, each serving the same model"
    )
    serve.add_argument(
        "--free-shipping",
        type=float,
        default=None,
        metavar="AMOUNT",
        help="free-shipping threshold for the nudge (default: none)",
    )
    serve.add_argument("--log-level", choices=("debug", "info", "warning", "error"), default="info", help="log level")
    serve.add_argument(
        "--limit-concurrency",
        type=_positive_int,
        default=1000,
        metavar="N",
        help="connections a worker holds at most; requests past them get a 503",
    )
    serve.add_argument(
        "--keep-alive-timeout",
        type=_positive_seconds,
        default=5.0,
        metavar="SECONDS",
        help="close a connection left idle this long after an answer",
    )
    serve.add_argument(
        "--header-timeout",
        type=_positive_seconds,
        default=10.0,
        metavar="SECONDS",
        help="close a connection whose request is not in this long after it connected or had its last answer",
    )
    serve.add_argument(
        "--max-header-bytes",
        type=_positive_int,
        default=32 * 1024,
        metavar="BYTES",
        help="largest request head (request line and headers); larger ones get a 431",
    )
    serve.add_argument(
        "--events",
        metavar="URL",
        default=None,
        help="events store, sqlite:///events.db or postgresql://USER@HOST/DB: enables POST /v1/events and logs "
        "the answers served (default: no events)",
    )
    serve.add_argument(
        "--max-events", type=_positive_int, default=1000, metavar="N", help="most events in one POST /v1/events"
    )
    serve.add_argument(
        "--holdout-share",
        type=float,
        default=0.0,
        metavar="F",
        help="share of sessions (a hash of the request's session_id) kept in the control arm",
    )
    serve.add_argument(
        "--holdout-salt",
        default=None,
        metavar="TEXT",
        help="keys the session hash; another salt draws another control group (default: a fixed salt)",
    )
    serve.add_argument(
        "--control-suggestions",
        choices=("none", "popular"),
        default="none",
        help="what the control arm gets: no suggestions, or popular items only",
    )
    serve.add_argument(
        "--explore-share",
        type=float,
        default=0.0,
        metavar="F",
        help="with a model mined with --feedback: share of answers ranked by Thompson sampling (draws from each "
        "suggestion's attach-rate posterior), so that suggestions seen little get shown (default 0: none)",
    )
    _add_ranking_options(serve, customers=True)
    serve.set_defaults(run=_serve)

    report = command(
        "report",
        help="attach rates, revenue and uplift against the control arm, from the events store",
        description="Read the events store of `serve --events URL`: attach rate (suggested items added to cart / "
        "items shown) by kind, position and item, attributed revenue per 1,000 impressions, and the uplift of "
        "basket value and items per order of the treatment arm over the control arm, with 95%% confidence "
        "intervals (Welch's t test).",
    )
    report.add_argument("events", metavar="EVENTS_URL", help="sqlite:///events.db or postgresql://USER@HOST/DB")
    report.add_argument(
        "--since",
        type=_moment,
        default=None,
        metavar="T",
        help="from this time (ISO; UTC without a zone; default: from the first event)",
    )
    report.add_argument(
        "--until", type=_moment, default=None, metavar="T", help="before this time (ISO; default: to the last event)"
    )
    report.add_argument("--format", choices=("table", "json", "csv"), default="table", help="output format")
    report.set_defaults(run=_report)

    evaluate = command(
        "evaluate",
        help="score the suggestions on held-out orders against simple baselines",
        description="Hold out the latest orders (or a random share), mine the rest, hide one item of each "
        "held-out basket and see whether the rules, popular items and item co-occurrence suggest it.",
    )
    evaluate.add_argument(
        "input", metavar="INPUT",
        help="orders: .csv/.parquet (any compression), .dat baskets, or a database URL with --table or --query",
    )  # fmt: skip
    evaluate.add_argument(
        "--limit", type=_positive_int, default=3, metavar="K", help="suggestions per case (K of hit@K)"
    )
    evaluate.add_argument(
        "--format", choices=("table", "json"), default="table", help="output format (--input-format reads INPUT)"
    )
    evaluate.add_argument("--test-share", type=float, default=0.2, metavar="F", help="share of orders held out")
    evaluate.add_argument("--seed", type=int, default=0, help="seed of the split and the cases")
    evaluate.add_argument("--max-cases", type=int, default=5000, metavar="N", help="at most N cases, 0: all")
    evaluate.add_argument(
        "--systems",
        action="extend",
        type=_id_list,
        default=[],
        metavar="NAME",
        help="a system to score: rules, popular, cooccurrence, cosine, ease, random or implicit (repeatable, or "
        "NAME,NAME,...; default: rules,popular,cooccurrence,cosine,ease)",
    )
    _add_mining_options(evaluate)
    _add_input_options(evaluate, format_alias=False)
    _add_leave_out_options(evaluate)
    _add_ranking_options(evaluate)
    evaluate.set_defaults(run=_evaluate)
    return parser


def _add_leave_out_options(parser: argparse.ArgumentParser) -> None:
    """The items reading leaves out besides those it finds, and those it never does (mine and
    evaluate read orders alike)."""
    leave_out = parser.add_argument_group(
        "non-product lines (postage, fees, adjustments, vouchers: found in long order files from their "
        "descriptions, codes and prices, and left out like cancellations)"
    )
    leave_out.add_argument(
        "--exclude-items", action="extend", type=_id_list, default=[], metavar="ID|FILE",
        help="more items to leave out, in any input format: an id, ID,ID,..., or a file of ids one per line "
        "(repeatable; default: none)",
    )  # fmt: skip
    leave_out.add_argument(
        "--keep-items", action="extend", type=_id_list, default=[], metavar="ID|FILE",
        help="items never left out, whatever the detection says (same forms; default: none)",
    )  # fmt: skip


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {value}")
    return value


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


_BYTE_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def _byte_size(text: str) -> int:
    """A size in bytes: ``2G``, ``500M``, ``1.5G``, ``800000000`` (K, M, G, T are powers of 1024)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*", text, re.I)
    if match is None:
        raise argparse.ArgumentTypeError(f"expected a size such as 2G or 500M, got {text!r}")
    value = int(float(match.group(1)) * _BYTE_UNITS[match.group(2).upper()])
    if value < 1 << 20:
        raise argparse.ArgumentTypeError(f"expected at least 1M, got {text!r}")
    return value


def _count_or_none(text: str) -> int | None:
    """A whole number of at least 1, or 0 for None (no limit)."""
    return None if text.strip() == "0" else _positive_int(text)


def _id_list(text: str) -> list[str]:
    """One id, or several separated by commas (``DOT,POST``); blanks are ignored."""
    ids = [part.strip() for part in text.split(",") if part.strip()]
    if not ids:
        raise argparse.ArgumentTypeError(f"expected an item id or ids separated by commas, got {text!r}")
    return ids


class _Given(argparse.Action):
    """Stores the value and notes that it was given (``DEST_given``), which a default cannot tell."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option_string: str | None = None) -> None:
        setattr(namespace, self.dest, values)
        setattr(namespace, f"{self.dest}_given", True)


def _add_mining_options(parser: argparse.ArgumentParser) -> None:
    """The fields of MiningConfig and the mining processes: the same on `mine` and `evaluate`."""
    from .config import CORRECTIONS, MiningConfig

    defaults = MiningConfig()
    thresholds = parser.add_argument_group("thresholds (all inclusive)")
    thresholds.add_argument(
        "--min-support", type=float, default=defaults.min_support, metavar="F", action=_Given,
        help="least share of baskets holding an itemset (default: %(default)s; when not given, `mine` raises it "
        "to the least support that fits --max-pairs)",
    )  # fmt: skip
    thresholds.add_argument(
        "--min-confidence", type=float, default=defaults.min_confidence, metavar="F",
        help="least confidence of a rule",
    )  # fmt: skip
    thresholds.add_argument(
        "--max-len", type=int, default=defaults.max_len, metavar="N", help="most items in a rule, both sides (2-10)"
    )
    thresholds.add_argument(
        "--max-pairs", type=_count_or_none, default=defaults.max_pairs, metavar="N",
        help="most frequent pairs the thresholds may leave, 0: no limit (past it, `mine` raises a support not "
        "given to fit; a given one stops mining early, naming the support that fits)",
    )  # fmt: skip
    thresholds.add_argument(
        "--max-basket-items", type=_count_or_none, default=defaults.max_basket_items, metavar="N",
        help="most distinct items in one basket, 0: no limit (a larger basket is refused before mining: its pairs "
        "grow with the square of its items)",
    )  # fmt: skip
    parser.add_argument(
        "--workers", type=_positive_int, default=None, metavar="N",
        help="processes to mine in, to count pairs in and to fit the learned weights beside the mining on large "
        "inputs (default: the machine's cores, at most 8; 1: all in this process)",
    )  # fmt: skip
    hygiene = parser.add_argument_group("rule hygiene (every rule's p-value and redundancy are recorded either way)")
    hygiene.add_argument(
        "--min-count", type=_positive_int, default=defaults.min_count, metavar="N",
        help="least baskets behind a rule, whatever the support",
    )  # fmt: skip
    hygiene.add_argument(
        "--max-p", type=float, default=defaults.max_p, metavar="F",
        help="keep rules whose one-sided Fisher test, corrected, has p <= F, e.g. 0.05 (default: keep all)",
    )  # fmt: skip
    hygiene.add_argument(
        "--correction", choices=CORRECTIONS, default=defaults.correction,
        help="multiple-testing correction: Benjamini-Hochberg, Bonferroni, none",
    )  # fmt: skip
    hygiene.add_argument(
        "--prune-redundant", action="store_true",
        help="drop rules that a rule with a smaller antecedent matches or beats in confidence (default: keep them)",
    )  # fmt: skip
    hygiene.add_argument(
        "--shrinkage", type=float, default=defaults.shrinkage, metavar="K",
        help="pseudo-baskets pulling confidences toward the base rate when ranking",
    )  # fmt: skip
    parser.add_argument(
        "--half-life", type=float, default=None, metavar="DAYS",
        help="orders this many days older than the latest count half in the confidences and lifts the rules "
        "rank by (the thresholds stay on the raw counts; the orders need times; default: every order the same)",
    )  # fmt: skip


def _mining_config(args: argparse.Namespace) -> MiningConfig:
    from .config import MiningConfig

    return MiningConfig(
        min_support=args.min_support,
        min_confidence=args.min_confidence,
        max_len=args.max_len,
        max_pairs=args.max_pairs,
        max_basket_items=args.max_basket_items,
        min_count=args.min_count,
        max_p=args.max_p,
        correction=args.correction,
        prune_redundant=args.prune_redundant,
        shrinkage=args.shrinkage,
    )


def _add_input_options(parser: argparse.ArgumentParser, *, format_alias: bool) -> None:
    """How INPUT is read, and what else describes its items: the same on `mine` and `evaluate`.

    On `mine`, ``--format`` names the input format too (the documented spelling); on `evaluate`
    it is the output format.
    """
    reading = parser.add_argument_group("input")
    reading.add_argument(
        *(("--input-format", "--format") if format_alias else ("--input-format",)),
        dest="input_format",
        choices=("auto", "long", "basket"),
        default="auto",
        help="how INPUT is laid out: long = one row per order line, basket = one basket per line, "
        "auto = from its suffix and header",
    )
    database = reading.add_mutually_exclusive_group()
    database.add_argument(
        "--table", metavar="NAME",
        help="with a database URL as INPUT (postgresql://USER:PASSWORD@HOST/DB, sqlite:///shop.db): the table or "
        "view of order lines, read in chunks (schema.table allowed; default: none, INPUT is a file)",
    )  # fmt: skip
    database.add_argument(
        "--query", metavar="SQL",
        help="with a database URL as INPUT: a SELECT whose rows are order lines (instead of --table; default: none)",
    )  # fmt: skip
    reading.add_argument(
        "--catalog", metavar="FILE",
        help="product catalog: item, name, category, family, price, stock (default: none, names and prices "
        "from the orders)",
    )  # fmt: skip
    reading.add_argument(
        "--hierarchy", metavar="FILE",
        help="item -> category table (e.g. groceries_items.csv): category rules back the ranking off "
        "(default: the catalog's categories)",
    )  # fmt: skip
    reading.add_argument(
        "--hierarchy-level", metavar="COLUMN",
        help="the hierarchy's column of categories (default: category, else level2)",
    )  # fmt: skip
    columns = parser.add_argument_group("column options (long format)")
    for role, example in COLUMN_ROLES:
        columns.add_argument(
            f"--{role}-col", metavar="NAME", help=f"the {role} column, e.g. {example} (default: found by usual names)"
        )


def _input_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "format": args.input_format,
        "columns": {role: getattr(args, f"{role}_col") for role, _ in COLUMN_ROLES},
        "catalog": args.catalog,
        "hierarchy": args.hierarchy,
        "hierarchy_level": args.hierarchy_level,
        "table": args.table,
        "query": args.query,
    }


class _Stages:
    """Progress on a terminal: the current stage and the time spent; silent otherwise."""

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        self.bar: Any = None
        if stream.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=None, bar_format="{desc} [{elapsed}]", file=stream, leave=False)

    def __call__(self, stage: str) -> None:
        if self.bar is not None:
            self.bar.set_description_str(stage + " ...")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _run_with_progress(work: Callable[[Callable[[str], None]], Any]) -> Any:
    stages = _Stages()
    try:
        return work(stages)
    finally:
        stages.close()


def _add_ranking_options(parser: argparse.ArgumentParser, *, customers: bool = False) -> None:
    """How the rules' evidence is weighed: the same options wherever suggestions are made (and,
    where requests may name a customer, how the upgrades fit them)."""
    from .config import COMBINATIONS, RankingConfig

    defaults = RankingConfig()
    parser.add_argument(
        "--combine", choices=COMBINATIONS, default=defaults.combine,
        help="how several rules for one item add up: the strongest one, noisy-or, the strongest plus the "
        "others' evidence spread over the cart, or the item-item weights learned at mining time (default: "
        "%(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--min-lift", type=float, default=defaults.min_lift, metavar="F",
        help="rules of lower lift are not used for cross-sell (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--max-per-category", type=_count_or_none, default=defaults.max_per_category, metavar="N",
        help="diversity: at most N suggestions of one catalog category, 0: no limit (default: %(default)s)",
    )  # fmt: skip
    if not customers:
        return
    parser.add_argument(
        "--upgrade-band-follows", type=float, default=defaults.upgrade_band_follows, metavar="F",
        help="for a known customer who pays more than most in a category, the upgrade band's top times their "
        "price level there to the power F, 0: the same band for everyone (default: %(default)s)",
    )  # fmt: skip


def _ranking_options(args: argparse.Namespace) -> dict[str, Any]:
    options = {"combine": args.combine, "min_lift": args.min_lift, "max_per_category": args.max_per_category}
    if hasattr(args, "upgrade_band_follows"):
        options["upgrade_band_follows"] = args.upgrade_band_follows
    return options


def _mine(args: argparse.Namespace) -> int:
    from .io.non_products import read_item_list
    from .io.source import check_writable, write_error
    from .mining import mine

    config = _mining_config(args)
    exclude_items, keep_items = read_item_list(args.exclude_items), read_item_list(args.keep_items)
    output = Path(args.output)
    check_writable(output)  # before the minutes of mining, not after them
    started = time.perf_counter()
    model = _run_with_progress(
        lambda progress: mine(
            args.input,
            config=config,
            **_input_options(args),
            engine=args.engine,
            workers=args.workers,
            spark_master=args.spark_master,
            spark_conf=args.spark_conf,
            progress=progress,
            exclude_items=exclude_items,
            keep_items=keep_items,
            fit_support=not getattr(args, "min_support_given", False),
            half_life=args.half_life,
            keep_customers=not args.no_customers,
            hash_customers=args.hash_customers,
            buy_again=args.buy_again,
            memory=args.memory,
            report_stages=(lambda line: print(line, file=sys.stderr, flush=True)) if args.verbose else None,
            feedback=args.feedback,
            feedback_strength=args.feedback_strength,
        )
    )
    try:
        path = model.save(output)
    except OSError as error:  # the disk filled up while mining, say
        raise ArtifactError(write_error(output, error)) from None
    _print_mining_summary(model, seconds=time.perf_counter() - started)
    print(f"model written to {path} (id {model.id})")
    return 0


def _print_mining_summary(model: Any, *, seconds: float) -> None:
    read = model.provenance["read"]
    counts = model.provenance["counts"]
    config = model.config
    from .io.baskets import ReadSummary

    print(ReadSummary.from_dict(read).describe())
    for note in model.provenance.get("notes", ()):
        print(note)
    print(
        f"mined {counts['baskets']:,} baskets at support >= {config['min_support']:g} "
        f"({config['min_count']:,} baskets), confidence >= {config['min_confidence']:g}, "
        f"max_len {config['max_len']}: {counts['frequent_items']:,} frequent items, "
        f"{counts['frequent_itemsets']:,} frequent itemsets, {counts['rules']:,} rules in {seconds:.1f} s"
    )
    hygiene = config.get("hygiene")
    if hygiene:
        applied = [f"{hygiene['redundant']:,} of {hygiene['tested']:,} rules redundant"]
        if hygiene["max_p"] is not None:
            applied.append(
                f"{hygiene['not_significant']:,} not significant at p <= {hygiene['max_p']:g} ({hygiene['correction']})"
            )
        dropped = hygiene["tested"] - hygiene["kept"]
        print(f"rule hygiene: {', '.join(applied)}; {dropped:,} dropped, {hygiene['kept']:,} kept")
    if counts.get("category_rules"):
        print(f"{counts['category_rules']:,} rules between {len(model.data.categories):,} categories")
    feedback = model.provenance.get("feedback")
    if feedback:
        print(
            f"feedback from {feedback['source']}: {feedback['impressions']:,} impressions and "
            f"{feedback['attaches']:,} attaches over {feedback['pairs']:,} (cart item, suggested item) pairs kept "
            f"({feedback['left_out']['pairs']:,} pairs of items not in the model left out)"
        )


def _demo(args: argparse.Namespace) -> int:
    from .demo import DEMO_TABLE, run_demo
    from .io.source import check_writable

    started = time.perf_counter()
    sqlite = None if args.sqlite is None else Path(args.sqlite or Path(args.out) / "shop.db")
    if sqlite is not None:
        Path(args.out).mkdir(parents=True, exist_ok=True)  # the default database goes there
        check_writable(sqlite, "database")
    result = _run_with_progress(lambda progress: run_demo(args.out, seed=args.seed, progress=progress, sqlite=sqlite))
    model = result.model
    print(f"sample shop written to {result.orders_path} and {result.catalog_path}")
    if result.database_url:
        print(f"its order lines written to {sqlite} (table {DEMO_TABLE}), mined from {result.database_url}")
    _print_mining_summary(model, seconds=time.perf_counter() - started)
    print(f"model written to {result.model_path} (id {model.id})\n")
    print("strongest rules (by lift):")
    print(_rules_table(model.rules.head(8)))

    from .config import RankingConfig
    from .ranking import Recommender

    recommender = Recommender(model.data, config=RankingConfig(free_shipping_threshold=DEMO_FREE_SHIPPING))
    for cart, total in DEMO_CARTS:
        answer = recommender.recommend(cart, cart_total=total)
        names = ", ".join(recommender.table.label(recommender.table.index[i]) for i in cart) or "an empty cart"
        print(f"\ncheckout with {names} (cart total {total:.2f}, free shipping from {DEMO_FREE_SHIPPING:g}):")
        for suggestion in answer.items:
            print(
                f"  - {suggestion.name or suggestion.item_id} ({suggestion.kind}): {suggestion.reason.get('text', '')}"
            )
        if answer.fallback:
            print(f"  ({FALLBACK_TEXTS[answer.fallback]} filled in)")
    print()
    print(_bundle_text(recommender.bundle(DEMO_BUNDLE)))
    print(
        f"\nnext: recommender rules {result.model_path} --top 20\n"
        f"      recommender recommend {result.model_path} KET-BASIC TEA-GREEN --format json\n"
        f"      recommender bundle {result.model_path} COF-ESPRESSO-BASIC\n"
        f"      recommender mine YOUR_ORDERS.csv -o model.rcm\n"
        f"      recommender mine {result.database_url or 'sqlite:///shop.db'} --table {DEMO_TABLE} -o model.rcm"
        "   (or postgresql://...)"
    )
    return 0


def _rules(args: argparse.Namespace) -> int:
    from .model import Model

    model = Model.load(args.model)
    table = model.category_rules if args.categories else model.rules
    if args.item:
        known = model.data.categories if args.categories else model.data.items
        table = _rules_holding(table, args.item, side=args.item_side, known=known, categories=args.categories)
    if args.sort != "lift":
        # Smallest p-values are the strongest evidence; every other key reads best when high.
        ascending = [args.sort == "p_value", False, False]
        table = table.sort_values([args.sort, "lift", "count"], ascending=ascending, kind="stable", ignore_index=True)
    if args.top:
        table = table.head(args.top)
    if args.format == "json":
        records = [_rule_record({str(k): v for k, v in row.items()}) for row in table.to_dict("records")]
        json.dump(records, sys.stdout, indent=1)
        sys.stdout.write("\n")
    elif args.format == "csv":
        out = table.assign(
            antecedents=table["antecedents"].map(" & ".join),
            antecedent_names=table["antecedent_names"].map(" & ".join),
        )
        out.to_csv(sys.stdout, index=False)
    else:
        if table.empty and args.item:
            print(f"no rules hold {', '.join(args.item)} ({args.item_side} side)", file=sys.stderr)
        elif table.empty:
            print("no rules: lower --min-support or --min-confidence when mining", file=sys.stderr)
        else:
            print(_rules_table(table))
    return 0


def _rules_holding(
    table: pd.DataFrame, wanted: Sequence[str], *, side: str, known: Sequence[str], categories: bool
) -> pd.DataFrame:
    """The rules holding any of the ``wanted`` items on ``side``; an id the model does not know is
    an error (a typo would otherwise read as an item without rules)."""
    known_ids = set(known)
    unknown = [item for item in wanted if item not in known_ids]
    if unknown:
        what = "categories" if categories else "items"
        example = f", e.g. {known[0]!r}" if known else ""
        raise ConfigError(
            f"--item {unknown[0]!r} is none of the {len(known_ids):,} {what} of this model{example}; "
            f"pass {'a category as the catalog names it' if categories else 'an item id as the orders write it'}."
        )
    ids = set(wanted)
    in_antecedent = table["antecedents"].map(lambda antecedent: not ids.isdisjoint(antecedent))
    in_consequent = table["consequent"].isin(ids)
    keep = {"antecedent": in_antecedent, "consequent": in_consequent, "any": in_antecedent | in_consequent}[side]
    return table[keep.to_numpy(dtype=bool)].reset_index(drop=True)


def _recommend(args: argparse.Namespace) -> int:
    from .config import RankingConfig
    from .ranking import Recommender

    config = RankingConfig(
        limit=args.limit, objective=args.objective, free_shipping_threshold=args.free_shipping,
        **_ranking_options(args),
    )  # fmt: skip
    answer = Recommender.load(args.model, config=config).recommend(
        args.items, cart_total=args.cart_total, exclude=args.exclude, trace=args.why, customer_id=args.customer
    )
    if args.format == "json":
        json.dump(answer.to_dict(), sys.stdout, indent=1)
        sys.stdout.write("\n")
        return 0
    for rank, suggestion in enumerate(answer.items, start=1):
        label = suggestion.name or suggestion.item_id
        price = f"  {suggestion.price:.2f}" if suggestion.price is not None else ""
        kind = _kind_label(suggestion)
        print(f"{rank}. {label} [{suggestion.item_id}]{price}  ({kind}, score {suggestion.score:.3f})")
        print(f"   {suggestion.reason.get('text', '')}")
    if not answer.items:
        print("no suggestions: every candidate is in the cart, excluded, blocked or out of stock")
    if answer.unknown_items:
        print(f"unknown items (not in the model): {', '.join(answer.unknown_items)}")
    if answer.fallback and not args.items:
        print(f"fallback: {FALLBACK_TEXTS[answer.fallback]}, for an empty cart")
    elif answer.fallback:
        print(f"fallback: {FALLBACK_TEXTS[answer.fallback]} filled in where the item rules had too little")
    if answer.trace is not None:
        _print_trace(answer.trace)
    return 0


TRACE_SHOWN = 40  # lines of the trace a terminal shows; --format json gives them all


def _print_trace(trace: Sequence[Any]) -> None:
    """The decision trace as a table: what was considered, from where, its score, and the verdict."""
    print(f"\nwhy: {len(trace)} candidates considered, in the order the policy looked at them")
    rows = [
        (
            f"{line.position}." if line.position else "-",
            f"{line.item_id}",
            line.source,
            f"{line.score:.3f}",
            line.status,
            line.detail if line.status != "shown" else "",
        )
        for line in trace[:TRACE_SHOWN]
    ]
    header = ("shown", "item", "source", "score", "status", "why not")
    widths = [max(len(row[k]) for row in [header, *rows]) for k in range(5)]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[5])
    if len(trace) > TRACE_SHOWN:
        print(f"... and {len(trace) - TRACE_SHOWN} more (--format json lists them all)")


def _kind_label(suggestion: Any) -> str:
    """The kind, and for a suggestion backed off from the rules where it came from:
    ``cross_sell (co-bought)``, ``cross_sell (category rule)``."""
    backoff = suggestion.reason.get("backoff")
    if suggestion.reason.get("again"):
        return "bought again"
    return f"{suggestion.kind} ({BACKOFF_LABELS.get(backoff, backoff)})" if backoff else str(suggestion.kind)


def _bundle(args: argparse.Namespace) -> int:
    from .config import RankingConfig
    from .ranking import Recommender

    bundle = Recommender.load(args.model, config=RankingConfig(bundle_discount=args.discount)).bundle(args.item)
    if args.format == "json":
        json.dump(bundle.to_dict(), sys.stdout, indent=1)
        sys.stdout.write("\n")
        return 0
    print(_bundle_text(bundle))
    return 0


def _bundle_text(bundle: Any) -> str:
    if not bundle.found:
        return f"no bundle for {bundle.item_id}: {bundle.reason}"
    lines = [f"bundle for {bundle.names[0]} [{bundle.item_id}]: {' + '.join(bundle.names)}"]
    if bundle.total_price is not None:
        lines.append(
            f"   {bundle.total_price:.2f} bought separately, {bundle.bundle_price:.2f} as a bundle "
            f"({bundle.discount:.0%} off)"
        )
    lines.append(f"   {bundle.reason} ({bundle.baskets} baskets)")
    return "\n".join(lines)


def _serve(args: argparse.Namespace) -> int:
    import logging
    import os

    from .config import RankingConfig
    from .service.settings import ServiceSettings, require_serve_extra

    require_serve_extra()
    settings = ServiceSettings(
        model_path=args.model,
        admin_token=os.environ.get("RECOMMENDER_ADMIN_TOKEN") or None,
        ranking=RankingConfig(free_shipping_threshold=args.free_shipping, **_ranking_options(args)),
        limit_concurrency=args.limit_concurrency,
        keep_alive_timeout=args.keep_alive_timeout,
        header_timeout=args.header_timeout,
        max_header_bytes=args.max_header_bytes,
        events_url=args.events,
        max_events=args.max_events,
        holdout_share=args.holdout_share,
        control_suggestions=args.control_suggestions,
        explore_share=args.explore_share,
        **({} if args.holdout_salt is None else {"holdout_salt": args.holdout_salt}),
    )
    from .service.app import LOG_FORMAT
    from .service.serving import serve

    logging.basicConfig(level=args.log_level.upper(), format=LOG_FORMAT)
    if settings.events_url is not None:
        _prepare_events_store(settings.events_url)
    os.environ["RECOMMENDER_LOG_LEVEL"] = args.log_level
    # A bad model file stops here, with exit status 2, before anything listens.
    serve(settings, host=args.host, port=args.port, workers=args.workers, log_level=args.log_level)
    return 0


def _moment(text: str) -> Any:
    from datetime import UTC, datetime

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an ISO date or time such as 2026-11-01 or 2026-11-01T08:00:00+01:00, got {text!r}"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _report(args: argparse.Namespace) -> int:
    from .feedback import EventStore, feedback_report

    store = EventStore(args.events)
    if store.url.get_backend_name() == "sqlite" and not Path(store.url.database or "").is_file():
        raise ConfigError(f"there is no events store at {store.url.database!r}; give the file of `serve --events`.")
    if args.since is not None and args.until is not None and args.since >= args.until:
        raise ConfigError(f"--since ({args.since.isoformat()}) must be before --until ({args.until.isoformat()}).")
    try:
        report = feedback_report(store, since=args.since, until=args.until)
    finally:
        store.close()
    if args.format == "json":
        print(json.dumps(report.to_dict(), indent=2))
    elif args.format == "csv":
        sys.stdout.write(report.to_csv())
    else:
        print(report.to_table())
    return 0


def _prepare_events_store(url: str) -> None:
    """A URL that cannot name a store stops `serve` (exit 2); a store that is down does not
    (suggestions go on, events get 503 until it is back). The tables are made here, once, before
    the workers start."""
    import logging

    from .exceptions import StoreUnavailableError
    from .feedback import EventStore

    store = EventStore(url)
    try:
        store.ensure_schema()
    except StoreUnavailableError as error:
        logging.getLogger("recommender.serve").warning("%s; serving, and events get 503 until it is back", error)
    finally:
        store.close()


def _evaluate(args: argparse.Namespace) -> int:
    from .config import RankingConfig
    from .evaluation import DEFAULT_SYSTEMS, evaluate
    from .io.non_products import read_item_list

    config = _mining_config(args)
    ranking = RankingConfig(**_ranking_options(args))
    result = _run_with_progress(
        lambda progress: evaluate(
            args.input,
            limit=args.limit,
            test_share=args.test_share,
            seed=args.seed,
            max_cases=args.max_cases or None,
            systems=args.systems or DEFAULT_SYSTEMS,
            config=config,
            **_input_options(args),
            workers=args.workers,
            ranking=ranking,
            progress=progress,
            half_life=args.half_life,
            exclude_items=read_item_list(args.exclude_items),
            keep_items=read_item_list(args.keep_items),
        )
    )
    if args.format == "json":
        json.dump(result.as_dict(), sys.stdout, indent=1)
        sys.stdout.write("\n")
        return 0
    print(result.describe())
    print(result.table())
    return 0


def _rule_record(row: dict[str, Any]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, float) and not math.isfinite(value):
            value = None  # conviction of a rule that always holds; JSON has no infinity
        elif hasattr(value, "item"):
            value = value.item()
        record[key] = value
    return record


def _rules_table(table: Any) -> str:
    shown = table.assign(
        rule=[f"{' + '.join(a)} -> {c}" for a, c in zip(table["antecedent_names"], table["consequent_name"])]
    )[["rule", "count", "support", "confidence", "lift", "p_adjusted", "redundant"]]
    return str(
        shown.to_string(
            index=False,
            formatters={
                "support": "{:.4f}".format,
                "confidence": "{:.3f}".format,
                "lift": "{:.2f}".format,
                "p_adjusted": "{:.1e}".format,
            },
        )
    )


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
