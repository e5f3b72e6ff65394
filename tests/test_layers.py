"""Layers that never point up: every import of the package, read from the source with ``ast``.

Each module of ``recommender/`` belongs to one layer of :data:`LAYERS` and may import modules
of its own layer and of the layers below, never of a layer above; function-level imports
count as much as module-level ones (a late import hides a cycle, it does not remove it), and
so do imports under ``TYPE_CHECKING``. Examples in docstrings are not imports.

That the serving path stays light when it runs (no pandas, scipy or mlxtend in
``sys.modules``) is checked by ``test_artifact.py::test_loading_imports_no_pandas_scipy_or_mlxtend``
and ``test_ranking_invariants.py::test_serving_imports_no_pandas_scipy_or_mlxtend``; here
the same is checked of every import statement, including the ones no test happens to run.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = "recommender"
SOURCE = Path(__file__).resolve().parent.parent / PACKAGE

# Bottom to top. A name stands for the module and, for a package, every module in it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("recommender.exceptions",),
    ("recommender.config", "recommender.model_data"),
    # The file format, the readers, the statistics of rules on counts, the sample shop's
    # generator, the feedback store (events, control arm, report, attach counts, which mining
    # reads with --feedback): each needs only settings, errors and the model's types.
    (
        "recommender.artifact",
        "recommender.io",
        "recommender.rule_stats",
        "recommender.sample_shop",
        "recommender.feedback",
    ),
    # The pandas face of a model: built from its data, by the miner or from a file.
    ("recommender.model",),
    # mine() returns a Model, so the miner sits above it.
    ("recommender.mining",),
    ("recommender.evaluation", "recommender.explore", "recommender.ranking"),
    ("recommender.service", "recommender.cli", "recommender.demo"),
)

# Stricter than their layer: what these may import from the package besides themselves.
ONLY_FROM_PACKAGE = {
    "recommender.model_data": {"recommender.exceptions"},
    "recommender.ranking": {
        "recommender.model_data",
        "recommender.artifact",
        "recommender.config",
        "recommender.exceptions",
    },
}

# The serving path: loading a model and recommending. Standard library only, at any depth, but
# for what SERVING_PATH_MAY_IMPORT names.
STANDARD_LIBRARY_ONLY = (
    "recommender.exceptions",
    "recommender.config",
    "recommender.model_data",
    "recommender.artifact",
    "recommender.ranking",
)

# The learned weights of a cart are scored with numpy, a few vectorised steps where a Python
# loop over the same weights costs several times the rules' whole answer; a model ranked by its
# rules never imports the module (test_ranking_invariants.py). DESIGN keeps pandas, scipy and
# mlxtend off the serving path, numpy included nowhere else.
SERVING_PATH_MAY_IMPORT = {"recommender.ranking.learned": {"numpy"}}

# (importer, imported) pairs that break the table today, each with the reason it may for now.
# Empty: add to it only with the issue that removes the entry.
KNOWN_VIOLATIONS: frozenset[tuple[str, str]] = frozenset()


def _module_names() -> dict[str, Path]:
    names = {}
    for path in sorted(SOURCE.rglob("*.py")):
        parts = path.relative_to(SOURCE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


MODULES = _module_names()


def _owner(module: str, groups: tuple[str, ...] | set[str]) -> str | None:
    """The entry of ``groups`` that ``module`` is or lies under, if any."""
    for group in groups:
        if module == group or module.startswith(group + "."):
            return group
    return None


def _layer(module: str) -> int | None:
    for level, groups in enumerate(LAYERS):
        if _owner(module, groups) is not None:
            return level
    return None


def imports_of(module: str) -> set[str]:
    """Every module ``module`` imports, anywhere in its code, relative imports resolved.

    ``from X import name`` imports ``X.name`` when that is a module of the package, else ``X``.
    """
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            for alias in node.names:
                found.add(f"{origin}.{alias.name}" if f"{origin}.{alias.name}" in MODULES else origin)
    return found


def _in_package(name: str) -> bool:
    return name == PACKAGE or name.startswith(PACKAGE + ".")


def test_every_module_has_a_layer():
    assert [m for m in MODULES if m != PACKAGE and _layer(m) is None] == []


def test_the_import_reader_resolves_relative_and_late_imports():
    # model.py imports from the module beside it, and at least one module imports late.
    assert "recommender.model_data" in imports_of("recommender.model")
    assert "recommender.ranking.explain" in imports_of("recommender.ranking.recommender")
    assert "recommender.mining" in imports_of("recommender.evaluation")  # inside evaluate()


def _violations() -> set[tuple[str, str]]:
    found = set()
    for module in MODULES:
        if module == PACKAGE:  # re-exports the public names, lazily
            continue
        for target in imports_of(module):
            # Importing any module of the package runs its __init__ anyway.
            if not _in_package(target) or target == PACKAGE:
                continue
            if _layer(target) > _layer(module):
                found.add((module, target))
    return found


def test_no_module_imports_a_higher_layer():
    found = _violations()
    assert sorted(found - KNOWN_VIOLATIONS) == []
    assert sorted(KNOWN_VIOLATIONS - found) == [], "fixed: remove these from KNOWN_VIOLATIONS"


@pytest.mark.parametrize("group", sorted(ONLY_FROM_PACKAGE))
def test_narrow_modules_import_only_what_they_may(group):
    allowed = ONLY_FROM_PACKAGE[group] | {group, PACKAGE}
    wrong = {
        (module, target)
        for module in MODULES
        if _owner(module, {group})
        for target in imports_of(module)
        if _in_package(target) and _owner(target, allowed) is None
    }
    assert sorted(wrong) == []


def test_the_serving_path_imports_only_the_standard_library():
    foreign = {
        (module, target)
        for module in MODULES
        if _owner(module, STANDARD_LIBRARY_ONLY)
        for target in imports_of(module)
        if not _in_package(target)
        and target.partition(".")[0] not in sys.stdlib_module_names
        and target.partition(".")[0] not in SERVING_PATH_MAY_IMPORT.get(module, set())
    }
    assert sorted(foreign) == []
