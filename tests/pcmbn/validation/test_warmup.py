"""Great Expectations is imported in the background when a run starts, never at import time."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import json, sys, time
import flows.monthly_aggregation, pcmbn.service, pcmbn.validation.checker, pcmbn.validation.engine
from pcmbn.validation.warmup import start_ge_import
before = "great_expectations" in sys.modules
started = time.perf_counter()
thread = start_ge_import()
returned = time.perf_counter() - started
same = start_ge_import() is thread
thread.join()
print(json.dumps({
    "before": before,
    "returned_s": returned,
    "same_thread": same,
    "after": "great_expectations.expectations.row_conditions" in sys.modules,
    "again": start_ge_import() is None,
}))
"""


@pytest.mark.slow  # a fresh interpreter imports GE (seconds)
def test_ge_is_imported_by_the_background_thread_and_only_once() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=300, check=True
    )
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    assert probe["before"] is False  # importing our modules (flow, service, engine) does not
    assert probe["returned_s"] < 0.5  # the caller goes on reading at once
    assert probe["same_thread"] is True  # a second caller waits on the same import
    assert probe["after"] is True
    assert probe["again"] is True  # already imported: nothing more to start
