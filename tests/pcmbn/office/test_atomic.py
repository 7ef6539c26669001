"""`atomic_write`, `atomic_folder` and `atomic_put`: whole files or none, cleanup on failure."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import fsspec
import pytest

from pcmbn.office.atomic import (
    atomic_folder,
    atomic_put,
    atomic_write,
    atomic_write_many,
    part_name,
)


def _writer(tmp: Path) -> None:
    tmp.write_bytes(b"from a writer")


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b"bytes", b"bytes"),
        ("văn bản", "văn bản".encode()),
        (_writer, b"from a writer"),
    ],
)
def test_writes_every_kind_of_payload(tmp_path: Path, payload: object, expected: bytes) -> None:
    target = tmp_path / "sub" / "out.bin"
    assert atomic_write(target, payload) == target  # type: ignore[arg-type]
    assert target.read_bytes() == expected
    assert sorted(p.name for p in target.parent.iterdir()) == ["out.bin"]


def _failing_writer(tmp: Path) -> None:
    tmp.write_bytes(b"half a fi")
    raise OSError("disk full")


@pytest.mark.parametrize("old", [None, b"the old file"])
def test_failure_mid_write_leaves_no_temp_file_and_the_old_target(
    tmp_path: Path, old: bytes | None
) -> None:
    target = tmp_path / "out.xlsx"
    if old is not None:
        target.write_bytes(old)
    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, _failing_writer)
    assert not part_name(target).exists()
    assert (target.read_bytes() if target.exists() else None) == old
    assert [p.name for p in tmp_path.iterdir()] == ([] if old is None else ["out.xlsx"])


def test_temp_name_is_hidden_beside_the_target(tmp_path: Path) -> None:
    assert part_name(tmp_path / "TongHop.xlsx") == tmp_path / ".TongHop.xlsx.part"


_KILLED = """
import sys
from pathlib import Path
from pcmbn.office.atomic import atomic_write
atomic_write(Path(sys.argv[1]), b"new", crash_point=sys.argv[2])
"""


@pytest.mark.parametrize(("point", "killed"), [("summary", True), ("packet", False)])
def test_crash_point_name_is_honoured(tmp_path: Path, point: str, killed: bool) -> None:
    target = tmp_path / "out.xlsx"
    target.write_bytes(b"old")
    env = {**os.environ, "PCMBN_CRASH_AT": "summary"}
    run = subprocess.run(
        [sys.executable, "-c", _KILLED, str(target), point], env=env, check=False, timeout=60
    )
    if killed:
        assert run.returncode == -9  # SIGKILL, between the complete temp file and the rename
        assert target.read_bytes() == b"old"
        assert part_name(target).read_bytes() == b"new"
    else:
        assert run.returncode == 0
        assert target.read_bytes() == b"new"
        assert not part_name(target).exists()


def test_atomic_folder_replaces_the_old_folder_in_one_rename(tmp_path: Path) -> None:
    target = tmp_path / "packet"
    (target / "old").mkdir(parents=True)
    with atomic_folder(target) as staging:
        assert staging == tmp_path / ".packet.part"
        (staging / "new.txt").write_text("x")
    assert [p.name for p in target.iterdir()] == ["new.txt"]
    assert not (tmp_path / ".packet.part").exists()


def test_atomic_folder_failure_keeps_the_old_folder(tmp_path: Path) -> None:
    target = tmp_path / "packet"
    (target / "old").mkdir(parents=True)
    with pytest.raises(RuntimeError), atomic_folder(target) as staging:
        (staging / "half").write_text("x")
        raise RuntimeError("chart failed")
    assert [p.name for p in target.iterdir()] == ["old"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["packet"]


@pytest.mark.parametrize("kind", ["bytes", "file"])
def test_atomic_put_uploads_via_a_part_name(tmp_path: Path, kind: str) -> None:
    fs = fsspec.filesystem("memory")
    local = tmp_path / "a.zip"
    local.write_bytes(b"zip")
    source: Path | bytes = b"zip" if kind == "bytes" else local
    root = f"/atomic-{kind}"
    fs.makedirs(root, exist_ok=True)
    assert atomic_put(fs, source, f"{root}/a.zip", tag="x1") == f"{root}/a.zip"
    assert fs.cat_file(f"{root}/a.zip") == b"zip"
    assert [p.rsplit("/", 1)[-1] for p in fs.ls(root, detail=False)] == ["a.zip"]


def test_atomic_put_failure_removes_the_partial_upload(monkeypatch: pytest.MonkeyPatch) -> None:
    fs = fsspec.filesystem("memory")
    fs.makedirs("/atomic-fail", exist_ok=True)

    def broken_mv(*_args: object, **_kwargs: object) -> None:
        raise OSError("network down")

    monkeypatch.setattr(fs, "mv", broken_mv)
    with pytest.raises(OSError, match="network down"):
        atomic_put(fs, b"zip", "/atomic-fail/a.zip")
    assert fs.ls("/atomic-fail", detail=False) == []


# --- atomic_write_many: files that must agree (a zip and its checksum) ---------------------------


def test_atomic_write_many_puts_every_file_and_leaves_no_part(tmp_path: Path) -> None:
    zip_path, seal = tmp_path / "p.zip", tmp_path / "p.zip.sha256"
    assert atomic_write_many([(zip_path, b"zip"), (seal, "sum  p.zip\n")]) == [zip_path, seal]
    assert zip_path.read_bytes() == b"zip" and seal.read_text() == "sum  p.zip\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.zip", "p.zip.sha256"]


def test_atomic_write_many_failure_keeps_every_old_target(tmp_path: Path) -> None:
    zip_path, seal = tmp_path / "p.zip", tmp_path / "p.zip.sha256"
    zip_path.write_bytes(b"old zip")
    seal.write_text("old sum")
    with pytest.raises(OSError, match="disk full"):
        atomic_write_many([(zip_path, b"new zip"), (seal, _failing_writer)])
    assert zip_path.read_bytes() == b"old zip" and seal.read_text() == "old sum"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.zip", "p.zip.sha256"]


_KILLED_MANY = """
import os, signal, sys
from pathlib import Path
from pcmbn.office import atomic
if sys.argv[2] == "between":  # die right after the first rename, as a power cut would
    real = os.replace
    def replace(src, dst):
        real(src, dst)
        os.kill(os.getpid(), signal.SIGKILL)
    atomic.os.replace = replace
root = Path(sys.argv[1])
atomic.atomic_write_many(
    [(root / "p.zip", b"new zip"), (root / "p.zip.sha256", "new sum")], crash_point="packet"
)
"""


@pytest.mark.parametrize("moment", ["packet", "between"])
def test_a_kill_never_leaves_a_seal_beside_other_bytes(tmp_path: Path, moment: str) -> None:
    """SIGKILL at the crash point (every temp file complete) or between the two renames."""
    zip_path, seal = tmp_path / "p.zip", tmp_path / "p.zip.sha256"
    zip_path.write_bytes(b"old zip")
    seal.write_text("old sum")
    env = {**os.environ, "PCMBN_CRASH_AT": "packet" if moment == "packet" else ""}
    run = subprocess.run(
        [sys.executable, "-c", _KILLED_MANY, str(tmp_path), moment],
        env=env,
        check=False,
        timeout=60,
    )
    assert run.returncode == -9
    pairs = {b"old zip": "old sum", b"new zip": "new sum"}
    if seal.exists():
        assert pairs[zip_path.read_bytes()] == seal.read_text()
    if moment == "packet":  # nothing renamed yet: the old pair, and both temp files complete
        assert (zip_path.read_bytes(), seal.read_text()) == (b"old zip", "old sum")
        assert part_name(zip_path).read_bytes() == b"new zip"
        assert part_name(seal).read_text() == "new sum"
    else:  # the new zip is in; its old seal went first, the new one never came
        assert zip_path.read_bytes() == b"new zip" and not seal.exists()
    atomic_write_many([(zip_path, b"new zip"), (seal, "new sum")])  # the next write heals it
    assert seal.read_text() == "new sum"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.zip", "p.zip.sha256"]
