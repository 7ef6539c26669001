"""`service.json`: written for the CLI, private, ignored once its service is gone."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from pcmbn.serve.discovery import (
    ServiceInfo,
    read_service_info,
    remove_service_info,
    service_file,
    write_service_info,
)


def _info(pid: int) -> ServiceInfo:
    return ServiceInfo("http://127.0.0.1:1", "http://127.0.0.1:2/api", pid, "2026-12-01", "k")


def test_written_private_and_read_back(tmp_path: Path) -> None:
    path = write_service_info(tmp_path, _info(os.getpid()))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_service_info(tmp_path) == _info(os.getpid())


def test_a_file_left_by_a_dead_service_is_ignored(tmp_path: Path) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                          capture_output=True, text=True)  # fmt: skip
    write_service_info(tmp_path, _info(int(gone.stdout)))
    assert read_service_info(tmp_path) is None
    assert read_service_info(tmp_path, check_alive=False) is not None


def test_unreadable_or_absent_is_none(tmp_path: Path) -> None:
    assert read_service_info(tmp_path) is None
    service_file(tmp_path).write_text("{not json", encoding="utf-8")
    assert read_service_info(tmp_path) is None


def test_removal_spares_a_newer_services_file(tmp_path: Path) -> None:
    write_service_info(tmp_path, _info(os.getpid()))
    remove_service_info(tmp_path, pid=os.getpid() + 1)
    assert service_file(tmp_path).exists()
    remove_service_info(tmp_path, pid=os.getpid())
    assert not service_file(tmp_path).exists()
