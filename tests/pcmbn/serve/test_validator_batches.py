"""The warm validator batches callers who arrive together, and each gets its own answer."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pcmbn.resources import resources_for
from pcmbn.serve.validator import WarmValidator
from pcmbn.settings import PROJECT_ROOT, Settings

pytestmark = pytest.mark.slow
MONTH = PROJECT_ROOT / "sample_reports" / "ST-KH-30-7-2024" / "2024-07"


def test_concurrent_checks_share_batches_and_each_gets_its_own_file(tmp_path: Path) -> None:
    files = sorted(MONTH.glob("*.xlsx"))[:8]
    validator = WarmValidator(resources_for(Settings.from_env()))
    validator.warm()
    assert validator.state.ready, validator.state.error
    alone = {
        path.name: validator.check_bytes([(path.name, path.read_bytes())], None)["files"][0]
        for path in files
    }
    before = validator.state.batches
    # Hold the lock as a running batch would, so every caller queues behind it.
    gate = threading.Event()
    validator._lock.acquire()
    held = True
    try:

        def check(path: Path) -> dict[str, object]:
            gate.set()
            folder = tmp_path / path.stem
            return validator.check_bytes([(path.name, path.read_bytes())], folder)

        with ThreadPoolExecutor(len(files)) as pool:
            futures = [pool.submit(check, path) for path in files]
            gate.wait(5)
            while len(validator._queue) < len(files):
                threading.Event().wait(0.01)
            validator._lock.release()
            held = False
            documents = [future.result(timeout=120) for future in futures]
    finally:
        if held:
            validator._lock.release()
    assert validator.state.batches - before == 1  # eight callers, one Great Expectations run
    for path, document in zip(files, documents, strict=True):
        (item,) = document["files"]
        expected = alone[path.name]
        assert item["unit_code"] == expected["unit_code"] and item["status"] == expected["status"]
        assert item["problems"] == expected["problems"]
        if item["problems"]:
            assert Path(item["feedback"]).parent == tmp_path / path.stem


def test_a_failing_batch_fails_every_caller_without_hanging(tmp_path: Path, monkeypatch) -> None:
    validator = WarmValidator(resources_for(Settings.from_env()))

    def broken(*_args, **_kwargs):
        raise RuntimeError("store unreachable")

    monkeypatch.setattr("pcmbn.service.check_reports", broken)
    sample = sorted(MONTH.glob("*.xlsx"))[0]
    with ThreadPoolExecutor(3) as pool:
        futures = [
            pool.submit(validator.check_bytes, [(sample.name, sample.read_bytes())], None)
            for _ in range(3)
        ]
        for future in futures:
            with pytest.raises(RuntimeError, match="store unreachable"):
                future.result(timeout=30)


def test_callers_arriving_a_moment_apart_share_one_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A burst reaches the validator spread over a moment: the batch waits for it."""
    import pcmbn.serve.validator as module

    monkeypatch.setattr(module, "GATHER_QUIET", 0.4)
    monkeypatch.setattr(module, "GATHER_MAX", 5.0)
    files = sorted(MONTH.glob("*.xlsx"))[:4]
    validator = WarmValidator(resources_for(Settings.from_env()))
    validator.warm()
    assert validator.state.ready, validator.state.error
    before = validator.state.batches

    def check(path: Path) -> dict[str, object]:
        return validator.check_bytes([(path.name, path.read_bytes())], tmp_path / path.stem)

    with ThreadPoolExecutor(len(files)) as pool:
        futures = []
        for path in files:
            futures.append(pool.submit(check, path))
            time.sleep(0.05)  # one after another, as requests come off the network
        documents = [future.result(timeout=120) for future in futures]
    assert validator.state.batches - before == 1
    assert [Path(str(d["files"][0]["path"])).name for d in documents] == [p.name for p in files]
