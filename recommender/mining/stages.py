"""Where mining spends its time and memory: seconds and peak memory per stage.

The peak is this process's resident high-water mark during the stage (Linux: ``VmHWM`` in
``/proc/self/status``, reset at each stage through ``/proc/self/clear_refs``), and for stages
that fork mining processes, the largest resident peak of those (``RUSAGE_CHILDREN``, which
counts each worker alone; shared pages are counted in each). Elsewhere, or where the reset is
refused, the peak is the process's high-water mark so far, and the record says so.
"""

from __future__ import annotations

import re
import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["StageClock"]

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_bytes(field: str) -> int:
    try:
        match = re.search(rf"^{field}:\s+(\d+) kB", _STATUS.read_text(), re.M)
    except OSError:
        return 0
    return int(match.group(1)) * 1024 if match else 0


def _reset_peak() -> bool:
    """Reset this process's resident high-water mark to its current size (Linux 4.0+)."""
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


def _peak_bytes() -> int:
    peak = _status_bytes("VmHWM")
    if not peak:  # no /proc: ru_maxrss is in kB on Linux, bytes on macOS; either way a bound
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return peak


def _children_peak_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024


class StageClock:
    """Times stages one after another; ``lap(name)`` closes the stage that ran since the last.

    ``report``, when given, gets one line per stage as it closes (``mine --verbose``).

    Examples
    --------
    >>> clock = StageClock()
    >>> clock.lap("read")
    >>> sorted(clock.stages["read"])
    ['peak_mb', 'seconds']
    """

    def __init__(self, report: Callable[[str], None] | None = None) -> None:
        self.stages: dict[str, dict[str, Any]] = {}
        self.report = report
        self.resets = _reset_peak()
        self._started = self._clock = time.perf_counter()
        self._children = _children_peak_bytes()

    @property
    def seconds(self) -> dict[str, float]:
        """Seconds per stage, as ``provenance["timings_seconds"]`` has always held them."""
        return {name: stage["seconds"] for name, stage in self.stages.items()}

    def lap(self, name: str, *, note: str | None = None) -> None:
        now = time.perf_counter()
        stage: dict[str, Any] = {"seconds": round(now - self._clock, 4), "peak_mb": round(_peak_bytes() / 2**20, 1)}
        children = _children_peak_bytes()
        if children > self._children:  # a worker that ended in this stage peaked higher than any before
            stage["workers_peak_mb"] = round(children / 2**20, 1)
            self._children = children
        if note is not None:
            stage["note"] = note
        self.stages[name] = stage
        if self.report is not None:
            workers = f", workers {stage['workers_peak_mb']:,.0f} MB" if "workers_peak_mb" in stage else ""
            said = f" ({note})" if note is not None else ""
            self.report(f"{name}: {stage['seconds']:.2f} s, peak {stage['peak_mb']:,.0f} MB{workers}{said}")
        self.resets = _reset_peak() and self.resets
        self._clock = time.perf_counter()

    def as_dict(self) -> dict[str, Any]:
        """The stages for a model's provenance, and how the peaks were measured."""
        return {
            "stages": self.stages,
            "total_seconds": round(time.perf_counter() - self._started, 4),
            "peak": "per stage (VmHWM reset at each stage)" if self.resets else "high-water mark since the start",
        }
