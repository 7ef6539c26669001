"""`pcmbn.storage.publish`: local outputs uploaded to an fsspec URL, never half a file.

Runs against fsspec's `memory://` filesystem (process-wide, so every test gets its own root and
removes it afterwards); S3 or a network share behave the same through the same calls.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import fsspec
import pytest
from fsspec.implementations.memory import MemoryFileSystem

from pcmbn.layout import OutputLayout
from pcmbn.office.atomic import PART_SUFFIX
from pcmbn.settings import Settings
from pcmbn.storage import publish

PLAN = "ST-KH-30-7-2024"
PERIOD = "2024-07"


@pytest.fixture
def memory() -> Iterator[MemoryFileSystem]:
    fs = fsspec.filesystem("memory")
    assert isinstance(fs, MemoryFileSystem)
    yield fs


@pytest.fixture
def root(memory: MemoryFileSystem) -> Iterator[str]:
    """A fresh `/pcmbn-test-…` folder on the memory filesystem, removed afterwards."""
    path = f"/pcmbn-test-{uuid.uuid4().hex}"
    yield path
    if memory.exists(path):
        memory.rm(path, recursive=True)


@pytest.fixture
def layout(root: str, tmp_path: Path) -> OutputLayout:
    return OutputLayout.from_settings(Settings(outputs=f"memory://{root}/outputs", home=tmp_path))


def _write(path: Path, payload: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(payload)
    return path


def _remote(memory: MemoryFileSystem, root: str) -> dict[str, bytes]:
    """Every file under `<root>/outputs`, by path relative to it."""
    base = f"{root}/outputs/"
    if not memory.exists(base):
        return {}
    return {p.removeprefix(base): memory.cat_file(p) for p in memory.find(base)}


def test_the_layout_writes_locally_and_names_the_memory_url(
    layout: OutputLayout, root: str, tmp_path: Path
) -> None:
    summary = layout.summary(PLAN, PERIOD)
    assert summary.is_relative_to(tmp_path)  # the local copy lives under the home folder
    name = f"TongHop_{PLAN}_{PERIOD}.xlsx"
    assert layout.remote(summary) == f"memory://{root}/outputs/{PLAN}/{PERIOD}/{name}"


def test_a_file_is_published_with_its_bytes(
    layout: OutputLayout, memory: MemoryFileSystem, root: str
) -> None:
    summary = _write(layout.summary(PLAN, PERIOD), b"summary workbook")

    urls = publish(summary, layout)

    name = f"{PLAN}/{PERIOD}/TongHop_{PLAN}_{PERIOD}.xlsx"
    assert urls == [f"memory://{root}/outputs/{name}"]
    assert _remote(memory, root) == {name: b"summary workbook"}


def test_publishing_again_replaces_the_remote_copy(
    layout: OutputLayout, memory: MemoryFileSystem, root: str
) -> None:
    summary = _write(layout.summary(PLAN, PERIOD), b"first run")
    publish(summary, layout)
    summary.write_bytes(b"second run, longer")

    publish(summary, layout)

    assert list(_remote(memory, root).values()) == [b"second run, longer"]


#: (path under the period folder, published?): dot-names are temporary and stay local.
FOLDER = [
    (f"TongHop_{PLAN}_{PERIOD}.xlsx", True),
    (f"NhacNho_{PLAN}_{PERIOD}.csv", True),
    ("exports/tong_hop.csv", True),
    ("exports/nested/deep/values.parquet", True),
    (f"KetQuaKiemTra_{PLAN}_{PERIOD}.html", True),
    (f".TongHop_{PLAN}_{PERIOD}.xlsx.part", False),
    ("exports/.tong_hop.csv.part", False),
    (".hidden", False),
]


def test_a_folder_is_published_recursively_without_dot_files(
    layout: OutputLayout, memory: MemoryFileSystem, root: str
) -> None:
    folder = layout.period_dir(PLAN, PERIOD)
    for relative, _ in FOLDER:
        _write(folder / relative, relative.encode())

    urls = publish(folder, layout)

    expected = {f"{PLAN}/{PERIOD}/{rel}": rel.encode() for rel, shown in FOLDER if shown}
    assert _remote(memory, root) == expected
    assert urls == sorted(urls)  # a stable order, so logs and retries read the same
    assert {u.removeprefix(f"memory://{root}/outputs/") for u in urls} == set(expected)


def test_files_inside_a_hidden_staging_folder_are_not_published(
    layout: OutputLayout, memory: MemoryFileSystem, root: str
) -> None:
    packets = layout.packets_dir(PLAN)
    _write(packets / "HoiNghi_so_ket.zip", b"zip")
    _write(packets / ".HoiNghi_so_ket.part" / "manifest.json", b"{}")

    publish(packets, layout)

    assert set(_remote(memory, root)) == {f"{PLAN}/packets/HoiNghi_so_ket.zip"}


@pytest.mark.parametrize(
    "outputs",
    [None, "{tmp}/local-outputs", "file://{tmp}/file-outputs"],
    ids=["default", "folder", "file-url"],
)
def test_nothing_is_published_when_outputs_are_local(
    outputs: str | None, tmp_path: Path, memory: MemoryFileSystem
) -> None:
    if outputs is not None:
        outputs = outputs.format(tmp=tmp_path)
    layout = OutputLayout.from_settings(Settings(outputs=outputs, home=tmp_path))
    before = set(memory.store)
    summary = _write(layout.summary(PLAN, PERIOD), b"summary")

    assert layout.outputs_url is None
    assert publish(summary, layout) == []
    assert publish(layout.period_dir(PLAN, PERIOD), layout) == []
    assert set(memory.store) == before


def test_a_missing_local_output_publishes_nothing(
    layout: OutputLayout, memory: MemoryFileSystem, root: str
) -> None:
    assert publish(layout.summary(PLAN, PERIOD), layout) == []
    assert _remote(memory, root) == {}


def _fail_on_move(memory: MemoryFileSystem, monkeypatch: pytest.MonkeyPatch, after: int) -> None:
    """`mv` works `after` times, then raises as a dropped connection would."""
    real = memory.mv
    calls = {"n": 0}

    def mv(source: str, target: str, **kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] > after:
            raise OSError("connection reset")
        real(source, target, **kwargs)

    monkeypatch.setattr(memory, "mv", mv)


def _fail_half_way_through_upload(
    memory: MemoryFileSystem, monkeypatch: pytest.MonkeyPatch, after: int
) -> None:
    """`put_file` works `after` times, then leaves half the bytes remotely and raises."""
    real = memory.put_file
    calls = {"n": 0}

    def put_file(lpath: str, rpath: str, **kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] > after:
            memory.pipe_file(rpath, Path(lpath).read_bytes()[:3])
            raise OSError("connection reset")
        real(lpath, rpath, **kwargs)

    monkeypatch.setattr(memory, "put_file", put_file)


FAILURES = [_fail_on_move, _fail_half_way_through_upload]


@pytest.mark.parametrize("inject", FAILURES, ids=["mv", "put_file"])
def test_a_failed_upload_leaves_no_part_file_and_keeps_the_old_copy(
    inject, layout: OutputLayout, memory: MemoryFileSystem, root: str, monkeypatch
) -> None:
    summary = _write(layout.summary(PLAN, PERIOD), b"yesterday's summary")
    publish(summary, layout)
    summary.write_bytes(b"today's summary")
    inject(memory, monkeypatch, after=0)

    with pytest.raises(OSError, match="connection reset"):
        publish(summary, layout)

    remote = _remote(memory, root)
    assert not any(PART_SUFFIX in name for name in remote)
    assert list(remote.values()) == [b"yesterday's summary"]


@pytest.mark.parametrize("inject", FAILURES, ids=["mv", "put_file"])
def test_a_folder_upload_failing_on_its_second_file_stops_cleanly(
    inject, layout: OutputLayout, memory: MemoryFileSystem, root: str, monkeypatch
) -> None:
    folder = layout.period_dir(PLAN, PERIOD)
    _write(folder / "a.csv", b"first file")
    _write(folder / "b.csv", b"second file")
    inject(memory, monkeypatch, after=1)

    with pytest.raises(OSError, match="connection reset"):
        publish(folder, layout)

    assert _remote(memory, root) == {f"{PLAN}/{PERIOD}/a.csv": b"first file"}
