"""Where a running service is: `PCMBN_HOME/service.json`, written when it is ready.

The CLI finds the service of its home folder here (or at `PCMBN_SERVICE_URL`); the file names
the web app's and the Prefect API's URLs and the supervisor's process id, so a file left by a
service that died is recognised as stale and ignored.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from pcmbn.office.atomic import atomic_write
from pcmbn.office.jsonio import dumps_strict

SERVICE_FILE = "service.json"


@dataclass(frozen=True)
class ServiceInfo:
    """How to reach a running service."""

    url: str
    prefect_api_url: str
    pid: int
    started_at: str
    access_key: str = ""


def service_file(home: Path) -> Path:
    return home / SERVICE_FILE


def write_service_info(home: Path, info: ServiceInfo) -> Path:
    """Publish the service's whereabouts (atomically: a reader never sees half a file)."""
    path = service_file(home)
    atomic_write(path, dumps_strict(asdict(info), indent=2) + "\n")
    path.chmod(0o600)  # it holds the access key: the office account only
    return path


def remove_service_info(home: Path, pid: int) -> None:
    """Remove the file if it is still this service's (a newer service may have replaced it)."""
    info = read_service_info(home, check_alive=False)
    if info is not None and info.pid == pid:
        with contextlib.suppress(FileNotFoundError):
            service_file(home).unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_service_info(home: Path, check_alive: bool = True) -> ServiceInfo | None:
    """The service of this home folder, or None (no file, unreadable, or its process is gone)."""
    try:
        raw = json.loads(service_file(home).read_text(encoding="utf-8"))
        info = ServiceInfo(
            url=str(raw["url"]),
            prefect_api_url=str(raw["prefect_api_url"]),
            pid=int(raw["pid"]),
            started_at=str(raw["started_at"]),
            access_key=str(raw.get("access_key", "")),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if check_alive and not _alive(info.pid):
        return None
    return info
