"""The ``recommender`` command: argument parsing and messages only.

Errors are one sentence on stderr and exit status 2, never a traceback for bad input.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from .config import RULE_METRICS
from .exceptions import RecommenderError

__all__ = ["main"]

EXIT_BAD_INPUT = 2
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
        return int(args.run(args) or 0)
    except RecommenderError as error:
        print(f"recommender {args.command}: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `recommender rules ... | head`
        return 0


def _parser() -> argparse.ArgumentParser:
    from .config import (
        DEFAULT_MAX_LEN,
        DEFAULT_MAX_PAIRS,
        DEFAULT_MIN_CONFIDENCE,
        DEFAULT_MIN_SUPPORT,
        OBJECTIVES,
    )

    parser = argparse.ArgumentParser(
        prog="recommender",
        description="Mine the baskets of past orders into cross-sell rules and explained suggestions.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        help="run the built-in sample shop end to end",
        description="Generate the built-in sample shop (a year of orders and a catalog), mine it, "
        "save the model and show what it found.",
    )
    demo.add_argument(
        "--out",
        default="recommender-demo",
        metavar="DIR",
        help="folder for orders.csv, catalog.csv and model.rcm (default: %(default)s)",
    )
    demo.add_argument("--seed", type=int, default=7, help="seed of the sample shop (default: %(default)s)")
    demo.set_defaults(run=_demo)

    mine = commands.add_parser(
        "mine",
        help="mine an order file into a model file",
        description="Read orders (long CSV/Parquet, or one basket per line) and mine association "
        "rules into one model file.",
    )
    mine.add_argument("input", metavar="INPUT", help="orders: .csv/.parquet (any compression) or .dat baskets")
    mine.add_argument("-o", "--output", required=True, metavar="MODEL", help="model file to write (e.g. model.rcm)")
    mine.add_argument(
        "--min-support",
        type=float,
        default=DEFAULT_MIN_SUPPORT,
        metavar="F",
        help="least share of baskets for an itemset, inclusive (default: %(default)s)",
    )
    mine.add_argument(
        "--min-confidence",
        type=float,
        default=DEFAULT_MIN_CONFIDENCE,
        metavar="F",
        help="least confidence of a rule, inclusive (default: %(default)s)",
    )
    mine.add_argument(
        "--max-len",
        type=int,
        default=DEFAULT_MAX_LEN,
        metavar="N",
        help="most items in a rule, both sides (2-10, default: %(default)s)",
    )
    mine.add_argument(
        "--max-pairs", type=int, default=DEFAULT_MAX_PAIRS, metavar="N",
        help="stop early when the thresholds leave more frequent pairs, 0: no limit (default: %(default)s)",
    )  # fmt: skip
    mine.add_argument("--catalog", metavar="FILE", help="product catalog: item, name, category, family, price, stock")
    _add_hygiene_options(mine)
    mine.add_argument(
        "--engine",
        choices=("mlxtend", "spark"),
        default="mlxtend",
        help="itemset miner: mlxtend in this process, or Spark MLlib (the spark extra) (default: %(default)s)",
    )
    mine.add_argument(
        "--spark-master",
        metavar="URL",
        help="with --engine spark: master URL, e.g. local[4] or spark://host:7077 (default: a running "
        "session such as spark-submit's, else local[*])",
    )
    mine.add_argument(
        "--spark-conf",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="with --engine spark: a Spark setting, e.g. spark.driver.memory=8g (repeatable)",
    )
    mine.add_argument(
        "--workers",
        type=_positive_int,
        default=None,
        metavar="N",
        help="processes to mine in (default: the machine's cores, at most 8)",
    )
    mine.add_argument(
        "--format",
        choices=("auto", "long", "basket"),
        default="auto",
        help="long = one row per order line; basket = one basket per line (default: %(default)s)",
    )
    columns = mine.add_argument_group("column options (long format; found by usual names when omitted)")
    for role, example in (
        ("order", "InvoiceNo"),
        ("item", "StockCode"),
        ("quantity", "Quantity"),
        ("price", "UnitPrice"),
        ("customer", "CustomerID"),
        ("time", "InvoiceDate"),
        ("name", "Description"),
    ):
        columns.add_argument(f"--{role}-col", metavar="NAME", help=f"the {role} column (e.g. {example})")
    mine.set_defaults(run=_mine)

    rules = commands.add_parser(
        "rules",
        help="list the rules of a model file",
        description="Print the rules of a model, strongest first.",
    )
    rules.add_argument("model", metavar="MODEL", help="model file written by `recommender mine`")
    rules.add_argument(
        "--sort", choices=RULE_SORT_KEYS, default="lift", help="metric to sort by (default: %(default)s)"
    )
    rules.add_argument("--top", type=_positive_int, default=None, metavar="N", help="only the first N rules")
    rules.add_argument(
        "--categories", action="store_true", help="the rules between categories (mined with a hierarchy or catalog)"
    )
    rules.add_argument("--format", choices=("table", "csv", "json"), default="table", help="(default: %(default)s)")
    rules.set_defaults(run=_rules)

    recommend = commands.add_parser(
        "recommend",
        help="suggestions for a cart",
        description="What the checkout would show for a cart: at most LIMIT suggestions, each with its reason.",
    )
    recommend.add_argument("model", metavar="MODEL", help="model file written by `recommender mine`")
    recommend.add_argument("items", metavar="ITEM", nargs="+", help="item ids in the cart")
    recommend.add_argument("--limit", type=_positive_int, default=3, metavar="K", help="(default: %(default)s)")
    recommend.add_argument(
        "--objective",
        choices=OBJECTIVES,
        default="confidence",
        help="rank by likelihood, lift, expected revenue or margin (default: %(default)s)",
    )
    recommend.add_argument(
        "--cart-total", type=float, default=None, metavar="AMOUNT", help="the cart's value, for the free-shipping nudge"
    )
    recommend.add_argument(
        "--free-shipping",
        type=float,
        default=None,
        metavar="AMOUNT",
        help="free-shipping threshold: add-ons that reach it come first",
    )
    recommend.add_argument("--exclude", nargs="*", default=[], metavar="ITEM", help="items not to suggest")
    _add_ranking_options(recommend)
    recommend.add_argument("--format", choices=("table", "json"), default="table", help="(default: %(default)s)")
    recommend.set_defaults(run=_recommend)

    bundle = commands.add_parser(
        "bundle",
        help="the product-page bundle of an item",
        description="The two or three items bought together with ITEM, with the bundle price.",
    )
    bundle.add_argument("model", metavar="MODEL", help="model file written by `recommender mine`")
    bundle.add_argument("item", metavar="ITEM", help="item id of the product page")
    bundle.add_argument(
        "--discount", type=float, default=0.1, metavar="F", help="bundle price = total x (1 - F) (default: %(default)s)"
    )
    bundle.add_argument("--format", choices=("table", "json"), default="table", help="(default: %(default)s)")
    bundle.set_defaults(run=_bundle)

    serve = commands.add_parser(
        "serve",
        help="serve a model over HTTP (the `serve` extra)",
        description="Serve a model file over HTTP (FastAPI on uvicorn): POST /v1/recommendations, "
        "GET /v1/bundles/ITEM, GET /v1/model, /healthz, /readyz. SIGHUP reloads the file; "
        "with RECOMMENDER_ADMIN_TOKEN set, so does POST /v1/admin/reload.",
    )
    serve.add_argument("model", metavar="MODEL", help="model file written by `recommender mine`")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s, this machine only)")
    serve.add_argument("--port", type=int, default=8000, help="(default: %(default)s)")
    serve.add_argument(
        "--workers",
        type=_positive_int,
        default=1,
        metavar="N",
        help="worker processes, each serving the same model (default: %(default)s)",
    )
    serve.add_argument(
        "--free-shipping", type=float, default=None, metavar="AMOUNT", help="free-shipping threshold for the nudge"
    )
    serve.add_argument("--log-level", choices=("debug", "info", "warning", "error"), default="info")
    _add_ranking_options(serve)
    serve.set_defaults(run=_serve)

    evaluate = commands.add_parser(
        "evaluate",
        help="score the suggestions on held-out orders against simple baselines",
        description="Hold out the latest orders (or a random share), mine the rest, hide one item of each "
        "held-out basket and see whether the rules, popular items and item co-occurrence suggest it.",
    )
    evaluate.add_argument("input", metavar="INPUT", help="orders: .csv/.parquet (any compression) or .dat baskets")
    evaluate.add_argument("--limit", type=_positive_int, default=3, metavar="K", help="(default: %(default)s)")
    evaluate.add_argument("--format", choices=("table", "json"), default="table", help="(default: %(default)s)")
    evaluate.add_argument(
        "--test-share", type=float, default=0.2, metavar="F", help="share of orders held out (default: %(default)s)"
    )
    evaluate.add_argument("--seed", type=int, default=0, help="seed of the split and the cases (default: %(default)s)")
    evaluate.add_argument(
        "--max-cases", type=int, default=5000, metavar="N", help="at most N cases, 0: all (default: %(default)s)"
    )
    evaluate.add_argument(
        "--systems", nargs="+", default=None, metavar="NAME",
        help="rules popular cooccurrence cosine random implicit (default: rules popular cooccurrence cosine)",
    )  # fmt: skip
    evaluate.add_argument("--min-support", type=float, default=DEFAULT_MIN_SUPPORT, metavar="F")
    evaluate.add_argument("--min-confidence", type=float, default=DEFAULT_MIN_CONFIDENCE, metavar="F")
    evaluate.add_argument("--max-len", type=int, default=DEFAULT_MAX_LEN, metavar="N")
    evaluate.add_argument("--max-pairs", type=int, default=DEFAULT_MAX_PAIRS, metavar="N", help="0: no limit")
    evaluate.add_argument("--catalog", metavar="FILE", help="product catalog: item, name, category, price, stock")
    evaluate.add_argument("--input-format", choices=("auto", "long", "basket"), default="auto")
    evaluate.add_argument("--workers", type=_positive_int, default=None, metavar="N")
    _add_hygiene_options(evaluate)
    _add_ranking_options(evaluate)
    evaluate.set_defaults(run=_evaluate)
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {value}")
    return value


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


def _add_ranking_options(parser: argparse.ArgumentParser) -> None:
    """How the rules' evidence is weighed: the same options wherever suggestions are made."""
    from .config import COMBINATIONS, RankingConfig

    defaults = RankingConfig()
    parser.add_argument(
        "--combine", choices=COMBINATIONS, default=defaults.combine,
        help="how several rules for one item add up: the strongest one, noisy-or, or the strongest plus the "
        "others' evidence spread over the cart (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--min-lift", type=float, default=defaults.min_lift, metavar="F",
        help="rules of lower lift are not used for cross-sell (default: %(default)s)",
    )  # fmt: skip


def _ranking_options(args: argparse.Namespace) -> dict[str, Any]:
    return {"combine": args.combine, "min_lift": args.min_lift}


def _add_hygiene_options(parser: argparse.ArgumentParser) -> None:
    from .config import CORRECTIONS

    hygiene = parser.add_argument_group("rule hygiene (every rule's p-value and redundancy are recorded either way)")
    hygiene.add_argument(
        "--min-count", type=_positive_int, default=1, metavar="N",
        help="least baskets behind a rule, whatever the support (default: %(default)s)",
    )  # fmt: skip
    hygiene.add_argument(
        "--max-p", type=float, default=None, metavar="F",
        help="keep rules whose one-sided Fisher test, corrected, has p <= F (e.g. 0.05; default: keep all)",
    )  # fmt: skip
    hygiene.add_argument(
        "--correction", choices=CORRECTIONS, default="fdr_bh",
        help="multiple-testing correction: Benjamini-Hochberg, Bonferroni, none (default: %(default)s)",
    )  # fmt: skip
    hygiene.add_argument(
        "--prune-redundant", action="store_true",
        help="drop rules that a rule with a smaller antecedent matches or beats in confidence",
    )  # fmt: skip
    hygiene.add_argument(
        "--shrinkage", type=float, default=0.0, metavar="K",
        help="pseudo-baskets pulling confidences toward the base rate when ranking (default: %(default)s)",
    )  # fmt: skip
    hygiene.add_argument(
        "--hierarchy", metavar="FILE",
        help="item -> category table (e.g. groceries_items.csv): category rules back the ranking off",
    )  # fmt: skip
    hygiene.add_argument(
        "--hierarchy-level", metavar="COLUMN", help="the hierarchy's column of categories (default: category/level2)"
    )


def _hygiene_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "min_count": args.min_count,
        "max_p": args.max_p,
        "correction": args.correction,
        "prune_redundant": args.prune_redundant,
        "shrinkage": args.shrinkage,
        "hierarchy": args.hierarchy,
        "hierarchy_level": args.hierarchy_level,
    }


def _mine(args: argparse.Namespace) -> int:
    from .mining import mine

    columns = {
        role: getattr(args, f"{role}_col")
        for role in ("order", "item", "quantity", "price", "customer", "time", "name")
    }
    started = time.perf_counter()
    model = _run_with_progress(
        lambda progress: mine(
            args.input,
            min_support=args.min_support,
            min_confidence=args.min_confidence,
            max_len=args.max_len,
            max_pairs=args.max_pairs or None,
            catalog=args.catalog,
            **_hygiene_options(args),
            format=args.format,
            columns=columns,
            engine=args.engine,
            workers=args.workers,
            spark_master=args.spark_master,
            spark_conf=args.spark_conf,
            progress=progress,
        )
    )
    path = model.save(args.output)
    _print_mining_summary(model, seconds=time.perf_counter() - started)
    print(f"model written to {path} (id {model.id})")
    return 0


def _print_mining_summary(model: Any, *, seconds: float) -> None:
    read = model.provenance["read"]
    counts = model.provenance["counts"]
    config = model.config
    from .io.baskets import ReadSummary

    print(ReadSummary(**read).describe())
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


def _demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    started = time.perf_counter()
    result = _run_with_progress(lambda progress: run_demo(args.out, seed=args.seed, progress=progress))
    model = result.model
    print(f"sample shop written to {result.orders_path} and {result.catalog_path}")
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
        f"      recommender mine YOUR_ORDERS.csv -o model.rcm"
    )
    return 0


def _rules(args: argparse.Namespace) -> int:
    from .model import Model

    model = Model.load(args.model)
    table = model.category_rules if args.categories else model.rules
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
        if table.empty:
            print("no rules: lower --min-support or --min-confidence when mining", file=sys.stderr)
        else:
            print(_rules_table(table))
    return 0


def _recommend(args: argparse.Namespace) -> int:
    from .config import RankingConfig
    from .ranking import Recommender

    config = RankingConfig(
        limit=args.limit, objective=args.objective, free_shipping_threshold=args.free_shipping,
        **_ranking_options(args),
    )  # fmt: skip
    answer = Recommender.load(args.model, config=config).recommend(
        args.items, cart_total=args.cart_total, exclude=args.exclude
    )
    if args.format == "json":
        json.dump(answer.to_dict(), sys.stdout, indent=1)
        sys.stdout.write("\n")
        return 0
    for rank, suggestion in enumerate(answer.items, start=1):
        label = suggestion.name or suggestion.item_id
        price = f"  {suggestion.price:.2f}" if suggestion.price is not None else ""
        print(f"{rank}. {label} [{suggestion.item_id}]{price}  ({suggestion.kind}, score {suggestion.score:.3f})")
        print(f"   {suggestion.reason.get('text', '')}")
    if not answer.items:
        print("no suggestions: every candidate is in the cart, excluded, blocked or out of stock")
    if answer.unknown_items:
        print(f"unknown items (not in the model): {', '.join(answer.unknown_items)}")
    if answer.fallback:
        print(f"fallback: {FALLBACK_TEXTS[answer.fallback]} filled in where the item rules had too little")
    return 0


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
    import uvicorn

    settings = ServiceSettings(
        model_path=args.model,
        admin_token=os.environ.get("RECOMMENDER_ADMIN_TOKEN") or None,
        ranking=RankingConfig(free_shipping_threshold=args.free_shipping, **_ranking_options(args)),
    )
    from .service.app import LOG_FORMAT

    logging.basicConfig(level=args.log_level.upper(), format=LOG_FORMAT)
    os.environ["RECOMMENDER_LOG_LEVEL"] = args.log_level
    if args.workers == 1:
        from .service import create_app

        app = create_app(settings)  # loads the model now: a bad file stops here, with exit status 2
        uvicorn.run(app, host=args.host, port=args.port, access_log=False, log_level=args.log_level)
        return 0
    from .ranking import Recommender

    Recommender.load(settings.model_path)  # refuse a bad file before starting any worker
    os.environ.update(settings.to_env())
    uvicorn.run(
        "recommender.service.app:app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,
        log_level=args.log_level,
    )
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from .config import RankingConfig
    from .evaluation import DEFAULT_SYSTEMS, evaluate

    result = _run_with_progress(
        lambda progress: evaluate(
            args.input,
            limit=args.limit,
            test_share=args.test_share,
            seed=args.seed,
            max_cases=args.max_cases or None,
            systems=args.systems or DEFAULT_SYSTEMS,
            min_support=args.min_support,
            min_confidence=args.min_confidence,
            max_len=args.max_len,
            max_pairs=args.max_pairs or None,
            catalog=args.catalog,
            format=args.input_format,
            workers=args.workers,
            ranking=RankingConfig(**_ranking_options(args)),
            progress=progress,
            **_hygiene_options(args),
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
