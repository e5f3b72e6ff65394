"""What the benchmark scripts share: their command line and how they report."""

from __future__ import annotations

import argparse
import json
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


def emit(result: dict[str, Any], path: Path | None) -> None:
    """Print the results as JSON, and write them to ``path`` when given."""
    text = json.dumps(result, indent=2)
    print(text)
    if path:
        path.write_text(text + "\n")
