"""Work run beside the caller in a forked process (``recommender.mining.beside``), and
``mine`` fitting the learned weights that way: the same model as fitted in one process."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time

import numpy as np
import pytest

import recommender.mining as mining
from recommender import mine
from recommender.mining.beside import Beside

from .test_hardening_inputs import alive

pytestmark = pytest.mark.skipif(os.name != "posix", reason="forks a process")


def test_the_result_comes_back_from_the_forked_process():
    parent = os.getpid()
    with Beside(lambda: (os.getpid(), np.arange(5) ** 2), fork=True) as pending:
        assert pending.forked
        pid, squares = pending.result()
    assert pid != parent  # it ran elsewhere...
    assert squares.tolist() == [0, 1, 4, 9, 16]  # ...and its result came back whole


def test_without_fork_the_work_is_done_when_asked_for():
    done = []
    pending = Beside(lambda: done.append(os.getpid()) or "done", fork=False)
    assert not pending.forked and done == []
    assert pending.result() == "done" and done == [os.getpid()]


def test_what_the_work_raises_is_raised_by_result():
    def work() -> None:
        raise ValueError("a Gram matrix over 3 items was expected")

    with Beside(work, fork=True) as pending, pytest.raises(ValueError, match="over 3 items"):
        pending.result()


def test_a_forked_process_that_dies_without_a_result_is_replaced_by_the_work_done_here(caplog):
    parent = os.getpid()

    def work() -> int:
        if os.getpid() != parent:
            os._exit(3)  # killed before it could answer, as by the kernel's out-of-memory killer
        return 42

    with caplog.at_level(logging.WARNING), Beside(work, fork=True) as pending:
        assert pending.result() == 42
    assert "exit code 3" in caplog.text


def test_closing_before_the_result_stops_the_forked_process():
    pending = Beside(lambda: __import__("time").sleep(60), fork=True)
    process = pending._process
    assert process is not None and process.is_alive()
    pending.close()
    assert not process.is_alive()


def test_mine_fits_the_same_weights_beside_the_mining(monkeypatch):
    rng = np.random.default_rng(3)
    # A shop of 60 items whose baskets hold companions: items i and i+1 often go together.
    baskets = []
    for _ in range(3_000):
        first = int(rng.integers(0, 59))
        extra = rng.choice(60, size=int(rng.integers(0, 4)), replace=False).tolist()
        baskets.append(sorted({f"i{first}", f"i{first + 1}", *(f"i{k}" for k in extra)}))
    alone = mine(baskets, min_support=0.01, workers=1)
    # So small a shop forks too.
    monkeypatch.setattr(mining, "FIT_BESIDE_MIN_LINES", 1_000)
    monkeypatch.setattr(mining, "FIT_BESIDE_MIN_ITEMS", 10)
    forked = []

    class Recorded(Beside):  # the real thing, noting whether it forked
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            forked.append(self.forked)

    monkeypatch.setattr(mining, "Beside", Recorded)
    beside = mine(baskets, min_support=0.01, workers=2)
    assert forked == [True]
    assert "beside the mining" in beside.data.provenance["stages"]["stages"]["weights"]["note"]
    assert "note" not in alone.data.provenance["stages"]["stages"]["weights"]
    assert len(alone.data.weights) > 100
    assert beside.data.weights == alone.data.weights
    assert beside.data.weight_terms == alone.data.weight_terms
    assert beside.data.provenance["weights"] == alone.data.provenance["weights"]
    assert beside.data.rules == alone.data.rules


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="reads processes from /proc")
def test_the_forked_process_ends_with_its_parent_even_killed():
    """A parent killed outright cannot stop what it forked: the process beside ends with it
    (``kill -9`` included), as the mining's workers do."""
    script = (
        "import time\n"
        "from recommender.mining.beside import Beside\n"
        "pending = Beside(lambda: time.sleep(120), fork=True)\n"
        "print(pending._process.pid, flush=True)\n"
        "time.sleep(120)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        child = int(parent.stdout.readline())
        assert alive(child)
        parent.kill()
        parent.wait(timeout=30)
        deadline = time.monotonic() + 10
        while alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(child), "the process beside outlived its parent"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
