"""The sandbox reads with the entry point's settings, never the environment of the moment.

`PCMBN_READER` and its limits are validated once at the entry point (`Settings`) and passed
down; a variable changed later, or set differently in a worker's environment, changes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from report_fixtures import Fixture, write_fixture

from pcmbn.catalog import load_catalog
from pcmbn.reading import sandbox
from pcmbn.reading.guard import Limits
from pcmbn.reading.sandbox import ReaderLimits, ReaderPool, shared_pool
from pcmbn.settings import ReaderMode, Settings
from pcmbn.validation.submission import load_submissions


@pytest.fixture
def parsed_here(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the workbooks parsed in this process (the isolated reader's workers are other
    processes: they never reach this list)."""
    seen: list[str] = []
    real = sandbox.read_workbook

    def counting(data: bytes, *args: Any) -> Any:
        seen.append("parsed")
        return real(data, *args)

    monkeypatch.setattr(sandbox, "read_workbook", counting)
    return seen


@pytest.mark.timeout(120)
def test_the_settings_choose_the_reader_not_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parsed_here: list[str]
) -> None:
    catalog = load_catalog()
    path = write_fixture(Fixture("BaoCao_CA_TINH"), tmp_path, catalog)
    items = [(0, path, None)]

    monkeypatch.setenv("PCMBN_READER", "inline")  # set after the entry point read its settings
    isolated = Settings(reader=ReaderMode.ISOLATED)
    [sub] = load_submissions(items, catalog, Limits(), settings=isolated)
    assert sub.unit_code == "CA_TINH" and parsed_here == []  # read in a worker

    monkeypatch.delenv("PCMBN_READER")
    inline = Settings(reader=ReaderMode.INLINE)
    [sub] = load_submissions(items, catalog, Limits(), settings=inline)
    assert sub.unit_code == "CA_TINH" and parsed_here == ["parsed"]  # read in this process


def test_the_limits_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PCMBN_READER_TIMEOUT_S", "30")
    monkeypatch.setenv("PCMBN_READER_CPU_S", "3")
    assert ReaderPool(workers=1).limits == ReaderLimits()  # no settings: the defaults
    settings = Settings(reader_cpu_s=7, reader_memory_mb=512, reader_timeout_s=9.5)
    limits = ReaderLimits.from_settings(settings)
    assert limits == ReaderLimits(cpu_seconds=7, memory_mb=512, wall_seconds=9.5)
    pool = shared_pool(limits)
    assert pool.limits == limits
    assert shared_pool(limits) is pool  # the same settings keep the same workers
    assert shared_pool().limits == ReaderLimits()  # other settings: another pool
