"""Inbox, archive and outputs on fsspec storage (`memory://` here; S3 or a share in production)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import fsspec
import pytest

from flows.monthly_aggregation import monthly_aggregation
from pcmbn.settings import PROJECT_ROOT, outputs_dir

PLAN = "ST-KH-30-7-2024"
PERIOD = "2024-07"


@pytest.mark.slow
def test_outputs_are_published_to_the_configured_url(
    prefect_harness: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory = fsspec.filesystem("memory")
    for path in (PROJECT_ROOT / "sample_reports" / PLAN / PERIOD).iterdir():
        memory.pipe(f"/office/inbox/{PLAN}/{PERIOD}/{path.name}", path.read_bytes())
    monkeypatch.setenv("PCMBN_INBOX", "memory://office/inbox")
    monkeypatch.setenv("PCMBN_ARCHIVE", "memory://office/archive")
    monkeypatch.setenv("PCMBN_OUTPUTS", "memory://office/outputs")
    try:
        _check_run(memory)
    finally:
        memory.rm("/office", recursive=True)  # the memory filesystem is process-wide


def _check_run(memory: fsspec.AbstractFileSystem) -> None:
    document = monthly_aggregation(plan=PLAN, period=PERIOD)

    summary = document["outputs"]["summary"]
    assert summary == f"memory://office/outputs/{PLAN}/{PERIOD}/TongHop_{PLAN}_{PERIOD}.xlsx"
    local = outputs_dir(PLAN, PERIOD)
    with fsspec.open(summary, "rb") as handle:
        assert handle.read() == (local / Path(summary).name).read_bytes()
    published = {
        p.removeprefix(f"/office/outputs/{PLAN}/{PERIOD}/")
        for p in memory.find(f"/office/outputs/{PLAN}/{PERIOD}")
    }
    written = {
        p.relative_to(local).as_posix()
        for p in local.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }
    assert published == written and "exports/tong_hop.csv" in published
    assert not any(p.endswith(".part") for p in published)
    archived = {
        Path(p).name.split(".")[0]: memory.cat_file(p) for p in memory.find("/office/archive")
    }
    assert all(hashlib.sha256(data).hexdigest() == sha for sha, data in archived.items())
    sent = {
        hashlib.sha256(p.read_bytes()).hexdigest()
        for p in (PROJECT_ROOT / "sample_reports" / PLAN / PERIOD).glob("BaoCao_*")
    }
    assert sent <= set(archived)  # every original kept, in the configured archive
