"""Wall time per pipeline phase (read, history, frame, GE, record, aggregate, outputs).

The bench prints them per month (`bench.phases`), so the next bottleneck is visible without a
profiler; the flow and the checker mark their phases with `timed`. A process-wide tally (the
flow's phases run in its own process; a read on the process runner is timed around the
subflow), guarded by a lock for the thread runner. Nothing is recorded at import time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

_TOTALS: dict[str, float] = {}
_LOCK = threading.Lock()


@contextmanager
def timed(phase: str) -> Iterator[None]:
    """Add the block's wall time to `phase`."""
    start = time.perf_counter()
    try:
        yield
    finally:
        spent = time.perf_counter() - start
        with _LOCK:
            _TOTALS[phase] = _TOTALS.get(phase, 0.0) + spent


def taken(reset: bool = False) -> dict[str, float]:
    """Seconds per phase so far (and start again when `reset`)."""
    with _LOCK:
        found = dict(_TOTALS)
        if reset:
            _TOTALS.clear()
    return found
