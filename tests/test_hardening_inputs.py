"""Inputs and interruptions that must not fool `recommender mine`: real processes, real signals,
real files (issue 17, items 6 and 8)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

# -- mining workers end with their parent ------------------------------------------------------


def busy_baskets(path: Path) -> Path:
    """The smallest input found that keeps two mining processes busy for about two seconds:
    5,000 baskets of 20 of 150 items, every pair frequent at support 0.01."""
    rng = np.random.default_rng(17)
    chosen = rng.random((5000, 150)).argsort(axis=1)[:, :20]
    path.write_text("\n".join(" ".join(f"i{j}" for j in row) for row in chosen) + "\n")
    return path


def children(pid: int) -> list[int]:
    """The live child processes of ``pid``, from /proc (psutil may not be installed)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            state, parent = stat[stat.rindex(")") + 2 :].split()[:2]
            if int(parent) == pid and state != "Z":
                found.append(int(entry))
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"  # a zombie has ended; its new parent may not reap it


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
@pytest.mark.parametrize(
    "signum, status, said",
    [(signal.SIGTERM, 128 + signal.SIGTERM, "terminated"), (signal.SIGINT, 128 + signal.SIGINT, "interrupted"),
     (signal.SIGKILL, -signal.SIGKILL, "")],
)  # fmt: skip
def test_mining_workers_end_with_their_parent(tmp_path, signum, status, said):
    """SIGTERM unwinds like SIGINT (workers stopped, no model, no temporary file, exit 128 + the
    signal); on SIGKILL the parent cannot clean up, and the workers end with it all the same."""
    orders = busy_baskets(tmp_path / "busy.dat")
    model = tmp_path / "model.rcm"
    command = [sys.executable, "-m", "recommender.cli", "mine", str(orders), "-o", str(model),
               "--min-support", "0.01", "--max-pairs", "0", "--workers", "2"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while not workers and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
            workers = children(process.pid)
        assert workers, f"no mining process was seen (exit status {process.poll()})"
        time.sleep(0.3)  # well into the first batches
        workers = children(process.pid) or workers
        os.kill(process.pid, signum)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == status, err
    assert "Traceback" not in err and (said in err.splitlines()[-1:] or not said)
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in workers if alive(pid)], "mining processes outlived their parent"
    assert not model.exists() and not list(tmp_path.glob(".model.rcm.*"))
