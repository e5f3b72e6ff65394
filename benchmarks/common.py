"""What the benchmark scripts share: their command line and how they report."""

from __future__ import annotations

import argparse
import json
import platform
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"


def preset_parser(doc: str, presets: dict[str, Any]) -> argparse.ArgumentParser:
    """``--preset``, ``--data`` and ``--json``, the options every benchmark takes."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--preset", choices=sorted(presets), default="small")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of the shared data sets")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    return parser


def run_over_datasets(doc: str, presets: dict[str, Any], run_dataset: Callable[..., Any], limit: int) -> None:
    """The main of a benchmark run on each of its preset's data sets: ``run_dataset(name, data
    folder, settings)`` for each, the results with the machine and the date, printed as JSON."""
    args = preset_parser(doc, presets).parse_args()
    settings = presets[args.preset]
    result = {
        "preset": args.preset,
        "limit": limit,
        "datasets": [run_dataset(name, args.data, settings) for name in settings["datasets"]],
        "machine": {"python": platform.python_version(), "processor": platform.processor() or platform.machine()},
        "date": date.today().isoformat(),
    }
    emit(result, args.json)


def emit(result: dict[str, Any], path: Path | None) -> None:
    """Print the results as JSON, and write them to ``path`` when given."""
    text = json.dumps(result, indent=2)
    print(text)
    if path:
        path.write_text(text + "\n")


def pss(pid: int) -> int:
    """Proportional set size of a process, in bytes: resident memory with pages shared between
    processes split between them, so that a sum over processes counts each page once."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    match = re.search(r"^Pss:\s+(\d+) kB", text, re.M)
    return int(match.group(1)) * 1024 if match else 0


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (mining workers, Spark's JVM) that are alive now."""
    found, pending = [pid], [pid]
    while pending:
        for task in Path(f"/proc/{pending.pop()}/task").glob("*"):
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            for child in children:
                if child not in found:
                    found.append(child)
                    pending.append(child)
    return found


def tree_memory(pid: int) -> int:
    """The proportional set size of ``pid`` and its descendants, shared pages once."""
    return sum(pss(p) for p in process_tree(pid))


def read_dataset(name: str, data: Path, file: str | None) -> Any:
    """The baskets of a benchmark's data set: ``sample_shop`` is generated (seed 7, 300
    customers), any other is ``file`` in the shared data folder ``data``."""
    from recommender import read_baskets

    if name == "sample_shop":
        from recommender.sample_shop import generate_sample_shop

        return read_baskets(generate_sample_shop(seed=7, n_customers=300).orders)
    path = data / str(file)
    if not path.exists():
        raise SystemExit(f"{path} is not here; pass --data with the folder of the shared data sets")
    return read_baskets(path)
