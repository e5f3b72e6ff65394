"""Inputs and interruptions that must not fool `recommender mine`: real processes, real signals,
real files (issue 17, items 6 and 8)."""

from __future__ import annotations

import contextlib
import io
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


def _default_interrupt() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


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
    # A suite started in the background by a shell without job control runs with SIGINT ignored,
    # which a child inherits and Python then leaves ignored: mine gets it back as a terminal has it.
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_default_interrupt
    )
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


# -- an output that cannot be written is refused first, in one sentence ---------------------------


def small_baskets(path: Path) -> Path:
    """300 baskets of 6 of 40 items: mined in a fraction of a second into a model of about 20 kB."""
    rng = np.random.default_rng(1)
    chosen = rng.random((300, 40)).argsort(axis=1)[:, :6]
    path.write_text("\n".join(" ".join(f"i{j}" for j in row) for row in chosen) + "\n")
    return path


def mine_cli(*argv: str) -> tuple[int, str]:
    """``recommender mine ARGV`` in this process: its exit status and what it wrote to stderr."""
    from recommender.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        status = main(["mine", *argv])
    return status, err.getvalue()


def one_sentence(result: tuple[int, str]) -> str:
    status, err = result
    assert status == 2, err
    assert "Traceback" not in err and err.count("\n") == 1, err
    assert err.startswith("recommender mine: error: ")
    return err


def test_an_output_that_cannot_be_written_is_refused_before_mining(tmp_path):
    orders = small_baskets(tmp_path / "orders.dat")
    a_file = tmp_path / "a_file"
    a_file.write_text("not a folder")
    err = one_sentence(mine_cli(str(orders), "-o", str(a_file / "model.rcm")))
    assert "is a file, not a folder" in err and str(a_file) in err
    err = one_sentence(mine_cli(str(orders), "-o", str(tmp_path / "missing" / "model.rcm")))
    assert "does not exist; create it first" in err
    err = one_sentence(mine_cli(str(orders), "-o", str(tmp_path)))
    assert "it is a folder" in err
    if Path("/proc/self").is_dir():
        err = one_sentence(mine_cli(str(orders), "-o", "/proc/model.rcm"))
        assert "'/proc/model.rcm'" in err and "takes no new files" in err
        # Checked first: the orders are not even read (here they are missing).
        err = one_sentence(mine_cli(str(tmp_path / "no_such_orders.dat"), "-o", "/proc/model.rcm"))
        assert "/proc/model.rcm" in err and "no_such_orders" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file", "orders.dat"]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into a read-only folder")
def test_a_read_only_folder_is_refused_before_mining(tmp_path):
    orders = small_baskets(tmp_path / "orders.dat")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    try:
        err = one_sentence(mine_cli(str(orders), "-o", str(locked / "model.rcm")))
    finally:
        locked.chmod(0o755)
    assert "no permission to create files" in err and not list(locked.iterdir())


def test_an_immutable_folder_is_refused_before_mining(tmp_path):
    """chattr +i stops root too; it needs the right (CAP_LINUX_IMMUTABLE) and a file system that has it."""
    orders = small_baskets(tmp_path / "orders.dat")
    frozen = tmp_path / "frozen"
    frozen.mkdir()
    try:
        made = subprocess.run(["chattr", "+i", str(frozen)], capture_output=True, text=True)
    except FileNotFoundError:
        pytest.skip("no chattr here")
    if made.returncode != 0:
        pytest.skip(f"cannot make a folder immutable here: {made.stderr.strip()}")
    try:
        err = one_sentence(mine_cli(str(orders), "-o", str(frozen / "model.rcm")))
    finally:
        subprocess.run(["chattr", "-i", str(frozen)], check=True)
    assert "does not allow new files (immutable" in err and not list(frozen.iterdir())


def in_own_mounts(script: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run ``script`` (sh) as root of a user and mount namespace: it may mount a small tmpfs, read
    only or full, whoever runs the tests; skip where namespaces are not allowed."""
    probe = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"no user and mount namespaces here: {probe.stderr.decode().strip()}")
    return subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script],
        capture_output=True, text=True, cwd=tmp_path,
        env={**os.environ, "PYTHON": sys.executable, "ORDERS": str(small_baskets(tmp_path / "orders.dat"))},
    )  # fmt: skip


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="tmpfs mounts in a namespace are Linux's")
@pytest.mark.parametrize(
    "mount, fill, said",
    [
        ("-o ro", 0, "its file system is read-only"),
        ("-o size=64k", 1 << 20, "the disk is full"),  # full before mining: the check finds it
        ("-o size=64k", 52 << 10, "the disk is full"),  # room for the check, not for the 20 kB model
    ],
)
def test_a_read_only_or_full_disk_is_one_sentence_and_leaves_nothing(tmp_path, mount, fill, said):
    (tmp_path / "disk").mkdir()
    script = f"""
        mount -t tmpfs {mount} tmpfs disk || exit 90
        {f"head -c {fill} /dev/zero > disk/filler 2>/dev/null" if fill else ""}
        "$PYTHON" -m recommender.cli mine "$ORDERS" -o disk/model.rcm --min-support 0.02
        echo "status $?"
        ls -A disk
    """
    result = in_own_mounts(script, tmp_path)
    if result.returncode == 90:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
    out = result.stdout.splitlines()
    assert "status 2" in out, result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert said in result.stderr and "disk/model.rcm" in result.stderr
    assert out[out.index("status 2") + 1 :] == ([] if mount == "-o ro" else ["filler"])  # no model, no temporary file


# -- text that changes encoding half-way, named by its line ----------------------------------------


def test_a_latin1_line_past_the_first_megabyte_of_a_basket_csv_is_named(tmp_path):
    path = tmp_path / "baskets.csv"
    lines = [f"crème brûlée {i % 50},tea {i % 7},milk\n" for i in range(40_000)]
    path.write_bytes("".join(lines).encode("utf-8") + "café,thé\n".encode("latin-1") + b"tea,milk\n")
    assert path.stat().st_size > 1 << 20
    err = one_sentence(mine_cli(str(path), "-o", str(tmp_path / "model.rcm")))
    assert "is not valid UTF-8 at line 40,001 (byte " in err and "re-save it as UTF-8" in err
    assert not (tmp_path / "model.rcm").exists()


def test_a_long_csv_is_read_in_latin1_or_refused_at_the_line_that_breaks_utf8(tmp_path):
    header = "InvoiceNo,StockCode,Description,Quantity\n"
    body = "".join(f"{i // 3},{i % 11},Crème n°{i % 11},1\n" for i in range(60_000))
    old_export = tmp_path / "latin1.csv"
    old_export.write_bytes((header + body[:20_000]).encode("latin-1"))
    model = tmp_path / "model.rcm"
    status, err = mine_cli(str(old_export), "-o", str(model), "--min-support", "0.01")
    assert status == 0, err
    from recommender.model import Model

    assert Model.load(model).name_of("3") == "Crème n°3"

    mixed = tmp_path / "mixed.csv"
    mixed.write_bytes((header + body).encode("utf-8") + "99999,12,Thé,1\n".encode("latin-1"))
    assert mixed.stat().st_size > 1 << 20
    err = one_sentence(mine_cli(str(mixed), "-o", str(tmp_path / "other.rcm")))
    assert "is not valid UTF-8 at line 60,002 (byte " in err and "position" not in err


# -- one basket too large to pair up ---------------------------------------------------------------


def test_a_basket_too_large_to_pair_up_is_refused_before_mining(tmp_path):
    """A missing order column makes one basket of every line: its pairs grow with the square of
    its items (4.17 million items: a MemoryError after 22 s), so it is refused before any is counted."""
    path = tmp_path / "one_order.csv"
    path.write_text("order,item\n" + "".join(f"7,item{i}\n" for i in range(5_001)) + "8,item1\n8,item2\n")
    err = one_sentence(mine_cli(str(path), "-o", str(tmp_path / "model.rcm")))
    assert "order '7' holds 5,001 distinct items (12,502,500 pairs to count)" in err
    assert "more than max_basket_items 5,000" in err and "--max-basket-items" in err
    baskets = tmp_path / "baskets.dat"
    baskets.write_text("a b c\n" + " ".join(f"x{i}" for i in range(12)) + "\na b\n")
    err = one_sentence(mine_cli(str(baskets), "-o", str(tmp_path / "model.rcm"), "--max-basket-items", "11"))
    assert "basket 2 (in file order) holds 12 distinct items" in err
    assert mine_cli(str(baskets), "-o", str(tmp_path / "model.rcm"), "--max-basket-items", "12")[0] == 0


def test_a_catalog_in_latin1_is_read_and_one_that_changes_encoding_is_named(tmp_path):
    from recommender import InputError
    from recommender.io import read_catalog

    old_export = tmp_path / "catalog.csv"
    old_export.write_bytes("item_id,name\nA1,Crème brûlée\n".encode("latin-1"))
    assert read_catalog(old_export).loc["A1", "name"] == "Crème brûlée"
    mixed = tmp_path / "mixed.csv"
    rows = "".join(f"A{i},Crème n°{i}\n" for i in range(70_000))
    mixed.write_bytes(("item_id,name\n" + rows).encode("utf-8") + "B1,Thé\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"catalog '.*mixed.csv' is not valid UTF-8 at line 70,002 \(byte "):
        read_catalog(mixed)
