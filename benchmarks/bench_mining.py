"""Mining benchmark: our pipeline against the way tutorials use mlxtend, in one run.

Both read the same basket file and end with a table of single-consequent rules at the same
thresholds. The tutorial way is the one its documentation teaches: ``TransactionEncoder`` into
a dense boolean DataFrame, ``fpgrowth``, ``association_rules``. Ours is ``recommender.mine``
(sparse, pruned, then mlxtend's ``fpgrowth``; the rule hygiene and the co-bought pairs; not the
learned ranking's item weights, a job the others do not do, unless ``--with-weights``) plus
building ``model.rules``. When pyfim (Borgelt's C implementation) is installed, the same job
by its ``arules`` is measured too.

Wall time with ``time.perf_counter``; memory as the rise of the peak resident set over its
level when the phase starts: the process's own high-water mark (reset between phases through
``/proc/self/clear_refs``) or, when higher, the peak of the proportional set size summed over
the process and its mining workers, sampled every 5 ms (PSS splits the pages a forked worker
shares with its parent, so each page counts once). Ours runs first: what
the allocator keeps from it can only make the tutorial's rise look smaller, never ours.

    python benchmarks/bench_mining.py --preset small   # Groceries, seconds; run by the tests
    python benchmarks/bench_mining.py --preset full    # retail.dat.xz at support 0.0005, max_len 10
"""

from __future__ import annotations

import ctypes
import gc
import lzma
import os
import platform
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import emit, preset_parser, tree_memory

PRESETS: dict[str, dict[str, Any]] = {
    "small": {"file": "groceries.csv", "min_support": 0.001, "min_confidence": 0.5, "max_len": 10},
    "full": {"file": "retail.dat.xz", "min_support": 0.0005, "min_confidence": 0.5, "max_len": 10},
}


def _status(field: str) -> int:
    match = re.search(rf"{field}:\s+(\d+) kB", Path("/proc/self/status").read_text())
    return int(match.group(1)) * 1024 if match else 0


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _release() -> None:
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


@dataclass
class Measure:
    seconds: float
    peak_rise_bytes: int
    result: Any


def _tree_memory() -> int:
    """Memory of this process and all its descendants (the mining workers), shared pages once."""
    return tree_memory(os.getpid())


class _Sampler(threading.Thread):
    """Samples the process tree's resident memory every few milliseconds; keeps the peak."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, _tree_memory())
            self.done.wait(0.005)


def measure(work: Callable[[], Any]) -> Measure:
    _release()
    reset = _reset_peak()
    before = _status("VmRSS")
    before_shared = _tree_memory()
    sampler = _Sampler()
    sampler.start()
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    sampler.done.set()
    sampler.join()
    # The parent's exact high-water mark, or the sampled peak of parent and workers together.
    rise = max((_status("VmHWM") - before) if reset else 0, sampler.peak - before_shared)
    return Measure(seconds=seconds, peak_rise_bytes=rise, result=result)


def ours(
    path: Path, min_support: float, min_confidence: float, max_len: int, *, weights: bool = False
) -> dict[tuple, tuple]:
    from recommender import mine

    # The learned ranking's item weights (a ridge regression on the items, issue 16) are a job
    # neither the tutorial way nor pyfim does: left out unless --with-weights.
    model = mine(path, min_support=min_support, min_confidence=min_confidence, max_len=max_len, learn_weights=weights)
    rules = model.rules
    return {
        (frozenset(a), c): (s, conf)
        for a, c, s, conf in zip(rules["antecedents"], rules["consequent"], rules["support"], rules["confidence"])
    }


def tutorial(path: Path, min_support: float, min_confidence: float, max_len: int) -> dict[tuple, tuple]:
    import pandas as pd
    from mlxtend.frequent_patterns import association_rules, fpgrowth
    from mlxtend.preprocessing import TransactionEncoder

    opener = lzma.open if path.suffix == ".xz" else open
    separator = "," if ".csv" in path.suffixes else None
    with opener(path, "rt") as handle:
        transactions = [[item.strip() for item in line.split(separator)] for line in handle if line.strip()]
    encoder = TransactionEncoder()
    onehot = encoder.fit(transactions).transform(transactions)
    frame = pd.DataFrame(onehot, columns=encoder.columns_)
    itemsets = fpgrowth(frame, min_support=min_support, use_colnames=True, max_len=max_len)
    rules = association_rules(itemsets, num_itemsets=len(frame), metric="confidence", min_threshold=min_confidence)
    rules = rules[rules["consequents"].map(len) == 1]
    return {
        (frozenset(a), next(iter(c))): (s, conf)
        for a, c, s, conf in zip(rules["antecedents"], rules["consequents"], rules["support"], rules["confidence"])
    }


def pyfim(path: Path, min_support: float, min_confidence: float, max_len: int) -> dict[tuple, tuple] | None:
    """The same job with Borgelt's pyfim (C), when it is installed: read the file, ``arules``
    with the rule support of body and head (``mode="o"``, as ours and mlxtend's)."""
    try:
        import fim
    except ImportError:
        return None
    from recommender.config import MiningConfig

    opener = lzma.open if path.suffix == ".xz" else open
    separator = "," if ".csv" in path.suffixes else None
    with opener(path, "rt") as handle:
        transactions = [[item.strip() for item in line.split(separator)] for line in handle if line.strip()]
    min_count = MiningConfig(min_support=min_support).support_count(len(transactions))
    found = fim.arules(
        transactions, supp=-min_count, conf=min_confidence * 100, zmin=2, zmax=max_len, report="ac", mode="o"
    )
    n = len(transactions)
    return {(frozenset(body), head): (count / n, confidence) for head, body, count, confidence in found}


def same_rules(a: dict, b: dict) -> bool:
    if a.keys() != b.keys():
        return False
    return all(abs(a[k][0] - b[k][0]) < 1e-12 and abs(a[k][1] - b[k][1]) < 1e-9 for k in a)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = 0
    try:
        memory = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1)) * 1024
    except (OSError, AttributeError):
        pass
    return f"{cpu}, {os.cpu_count()} cores, {memory / 2**30:.0f} GiB, Python {platform.python_version()}"


def run(preset: str, data: Path, min_confidence: float | None = None, *, weights: bool = False) -> dict[str, Any]:
    settings = dict(PRESETS[preset])
    if min_confidence is not None:
        settings["min_confidence"] = min_confidence
    path = data / settings["file"]
    if not path.exists():
        raise SystemExit(f"{path} is not here; pass --data with the folder of the shared data sets")
    args = (path, settings["min_support"], settings["min_confidence"], settings["max_len"])
    # Libraries are imported before either phase, so neither is charged for loading them.
    import mlxtend.frequent_patterns  # noqa: F401
    import mlxtend.preprocessing  # noqa: F401

    import recommender.mining  # noqa: F401

    mine_ours = measure(lambda: ours(*args, weights=weights))
    mine_tutorial = measure(lambda: tutorial(*args))
    mine_pyfim = measure(lambda: pyfim(*args))
    import mlxtend
    import pandas as pd

    return {
        "preset": preset,
        **settings,
        "machine": machine(),
        "versions": {"mlxtend": mlxtend.__version__, "pandas": pd.__version__},
        "date": time.strftime("%Y-%m-%d"),
        "workers": min(8, os.cpu_count() or 1),
        "with_weights": weights,
        "load_average": os.getloadavg(),
        "rules": len(mine_ours.result),
        "same_rules": same_rules(mine_ours.result, mine_tutorial.result),
        "ours": {"seconds": round(mine_ours.seconds, 3), "peak_mb": round(mine_ours.peak_rise_bytes / 2**20, 1)},
        "tutorial": {
            "seconds": round(mine_tutorial.seconds, 3),
            "peak_mb": round(mine_tutorial.peak_rise_bytes / 2**20, 1),
        },
        "speedup": round(mine_tutorial.seconds / mine_ours.seconds, 2),
        "memory_ratio": round(mine_ours.peak_rise_bytes / max(1, mine_tutorial.peak_rise_bytes), 3),
        "pyfim": None
        if mine_pyfim.result is None
        else {
            "seconds": round(mine_pyfim.seconds, 3),
            "peak_mb": round(mine_pyfim.peak_rise_bytes / 2**20, 1),
            "same_rules": same_rules(mine_ours.result, mine_pyfim.result),
            "ours_over_pyfim_seconds": round(mine_ours.seconds / mine_pyfim.seconds, 2),
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = preset_parser(__doc__, PRESETS)
    parser.add_argument("--min-confidence", type=float, help="the confidence (default: the preset's, 0.5)")
    parser.add_argument(
        "--with-weights", action="store_true", help="also fit the learned ranking's item weights in ours (default: not)"
    )
    args = parser.parse_args(argv)
    result = run(args.preset, args.data, args.min_confidence, weights=args.with_weights)
    emit(result, args.json)
    print(
        f"\n{result['file']} support {result['min_support']} confidence {result['min_confidence']} "
        f"max_len {result['max_len']}: {result['rules']:,} rules, same rules: {result['same_rules']}\n"
        f"  ours     {result['ours']['seconds']:8.2f} s {result['ours']['peak_mb']:9.1f} MB\n"
        f"  tutorial {result['tutorial']['seconds']:8.2f} s {result['tutorial']['peak_mb']:9.1f} MB\n"
        f"  speed-up {result['speedup']:.1f}x, memory {result['memory_ratio']:.3f} of the tutorial's",
        file=sys.stderr,
    )
    if result["pyfim"]:
        fim = result["pyfim"]
        print(
            f"  pyfim    {fim['seconds']:8.2f} s {fim['peak_mb']:9.1f} MB (same rules: {fim['same_rules']}; "
            f"ours take {fim['ours_over_pyfim_seconds']:.1f}x its time)",
            file=sys.stderr,
        )
    return 0 if result["same_rules"] else 1


if __name__ == "__main__":
    sys.exit(main())
