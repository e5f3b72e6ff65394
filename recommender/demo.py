"""``recommender demo``: the built-in sample shop, end to end."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .model import Model

__all__ = ["DemoResult", "run_demo"]


@dataclass(frozen=True, kw_only=True)
class DemoResult:
    """Where the demo wrote its files and the model it mined."""

    orders_path: Path
    catalog_path: Path
    model_path: Path
    model: Model


def run_demo(
    directory: str | os.PathLike[str],
    *,
    seed: int = 7,
    progress: Callable[[str], None] | None = None,
) -> DemoResult:
    """Generate the sample shop into ``directory``, mine it with its catalog, save the model."""
    from .mining import mine
    from .sample_shop import write_sample_shop

    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    if progress:
        progress("generating the sample shop")
    orders_path, catalog_path = write_sample_shop(target, seed=seed)
    model = mine(orders_path, catalog=catalog_path, progress=progress)
    model_path = model.save(target / "model.rcm")
    return DemoResult(orders_path=orders_path, catalog_path=catalog_path, model_path=model_path, model=model)
