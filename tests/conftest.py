"""Shared fixtures: the real data sets of ../shared/data, skipped with a reason when absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("RECOMMENDER_DATA", REPO.parent / "shared" / "data"))


def data_file(name: str) -> Path:
    """The path of a shared data set, or skip the test when it is not on this machine."""
    path = DATA / name
    if not path.exists():
        pytest.skip(f"{path} is not here (the shared data sets live in ../shared/data)")
    return path


@pytest.fixture
def data() -> object:
    return data_file
