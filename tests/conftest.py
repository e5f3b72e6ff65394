"""Shared fixtures: the real data sets of ../shared/data, skipped with a reason when absent."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("RECOMMENDER_DATA", REPO.parent / "shared" / "data"))


def run_benchmark(script: str, out: Path, *extra: str, env: dict[str, str] | None = None) -> dict:
    """Run ``benchmarks/SCRIPT --preset small --json OUT EXTRA...`` as its own process and return
    its JSON results (``env`` added to the environment)."""
    subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / script), "--preset", "small", "--json", str(out), *extra],
        check=True, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
        timeout=900,
    )  # fmt: skip
    return json.loads(out.read_text())


def data_file(name: str) -> Path:
    """The path of a shared data set, or skip the test when it is not on this machine."""
    path = DATA / name
    if not path.exists():
        pytest.skip(f"{path} is not here (the shared data sets live in ../shared/data)")
    return path


@pytest.fixture
def data() -> object:
    return data_file


def _postgres_bin() -> Path | None:
    """The folder of the newest installed PostgreSQL server's programs (Debian's layout first)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The URL of a real PostgreSQL server (password authentication over TCP, user ``postgres``).

    ``RECOMMENDER_TEST_POSTGRES_URL`` when set (``.ci/run`` starts a server and sets it); else a
    throwaway server started here for the session in a temporary folder; a skip only when no
    PostgreSQL server is installed at all.
    """
    url = os.environ.get("RECOMMENDER_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    bin_dir = _postgres_bin()
    if bin_dir is None:
        pytest.skip(
            "no PostgreSQL server is installed (no initdb under /usr/lib/postgresql/*/bin or on PATH); install "
            "Debian's postgresql package as .ci/run does, or set RECOMMENDER_TEST_POSTGRES_URL"
        )
    as_root = os.geteuid() == 0  # initdb refuses root: run the server as the postgres user
    run_as = ["runuser", "-u", "postgres", "--"] if as_root else []
    folder = Path(tempfile.mkdtemp(prefix="recommender-pg-"))
    password = secrets.token_hex(16)
    (folder / "password").write_text(password + "\n")
    if as_root:
        shutil.chown(folder, "postgres")
        shutil.chown(folder / "password", "postgres")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data = folder / "data"
    subprocess.run(
        [*run_as, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", f"--pwfile={folder / 'password'}",
         "--auth=scram-sha-256", "-E", "UTF8", "--no-locale"],
        check=True, capture_output=True,
    )  # fmt: skip
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg_ctl = [*run_as, str(bin_dir / "pg_ctl"), "-D", str(data)]
    subprocess.run([*pg_ctl, "-l", str(folder / "log"), "-w", "-o", options, "start"], check=True, capture_output=True)
    try:
        yield f"postgresql://postgres:{password}@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*pg_ctl, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)
