"""``recommender demo``: the built-in sample shop, end to end."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .model import Model

__all__ = ["DemoResult", "run_demo", "DEMO_TABLE"]

# The table of order lines in the demo's SQLite database.
DEMO_TABLE = "order_lines"


@dataclass(frozen=True, kw_only=True)
class DemoResult:
    """Where the demo wrote its files and the model it mined."""

    orders_path: Path
    catalog_path: Path
    model_path: Path
    model: Model
    database_url: str | None = None


def run_demo(
    directory: str | os.PathLike[str],
    *,
    seed: int = 7,
    progress: Callable[[str], None] | None = None,
    sqlite: str | os.PathLike[str] | None = None,
) -> DemoResult:
    """Generate the sample shop into ``directory``, mine it with its catalog, save the model.

    With ``sqlite`` (a file path), the order lines also go into that SQLite database as table
    ``order_lines`` (typed: integer quantities, real prices, timestamps), and the model is mined
    from there, as a shop's nightly job would read its own database.
    """
    from .mining import mine
    from .sample_shop import write_sample_shop

    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    if progress:
        progress("generating the sample shop")
    orders_path, catalog_path = write_sample_shop(target, seed=seed)
    database_url = None
    if sqlite is None:
        model = mine(orders_path, catalog=catalog_path, progress=progress)
    else:
        import pandas as pd

        from .io.database import write_sqlite

        if progress:
            progress("writing the order lines into SQLite")
        ids = {"order_id": str, "item_id": str, "customer_id": str}
        lines = pd.read_csv(orders_path, dtype=ids, parse_dates=["timestamp"])
        database_url = write_sqlite(lines, sqlite, table=DEMO_TABLE)
        model = mine(database_url, table=DEMO_TABLE, catalog=catalog_path, progress=progress)
    model_path = model.save(target / "model.rcm")
    return DemoResult(
        orders_path=orders_path, catalog_path=catalog_path, model_path=model_path, model=model,
        database_url=database_url,
    )  # fmt: skip
