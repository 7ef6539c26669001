"""Child processes of the service: start with a log file, watch, stop gently then firmly.

Each child gets its own process group, so stopping it also stops what it started (Prefect's
runner executes flow runs in subprocesses of its own), and its output goes to one log file under
`PCMBN_HOME/logs` (engineers read those; people see the service's own Vietnamese lines).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from pcmbn.serve.http import exchange

#: Longest pause between two looks while waiting for a child (a ready child is seen this soon).
POLL_MAX_S = 0.25


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the supervisor dies, however it dies (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on `host` right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_in_use(host: str, port: int) -> bool:
    """Whether something already listens on `host:port` (checked before binding our own)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def get_json(url: str, timeout: float = 2.0) -> tuple[int, Any]:
    """`GET url` → (status, parsed JSON or None); a connection failure is status 0."""
    answer = exchange(url, timeout=timeout)
    return answer.status, answer.body


def wait_until(
    ready: Callable[[], bool], timeout: float, alive: Callable[[], bool] = lambda: True
) -> bool:
    """Poll `ready` until it is true (True), `alive` turns false or time runs out (False)."""
    deadline = time.monotonic() + timeout
    delay = 0.05
    while time.monotonic() < deadline:
        if ready():
            return True
        if not alive():
            return False
        time.sleep(delay)
        delay = min(POLL_MAX_S, delay * 1.5)
    return ready()


@dataclass
class Child:
    """One supervised child process."""

    name: str
    command: Sequence[str]
    env: Mapping[str, str]
    cwd: Path
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        """Start it in a new process group, output appended to its log file."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            list(self.command),
            cwd=self.cwd,
            env=dict(self.env),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,  # noqa: PLW1509
        )

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def stop(self, grace: float = 20.0) -> int | None:
        """SIGTERM to the group, SIGKILL after `grace` s; the exit code (None if never run)."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        # Whatever the child started in its group and left behind goes with it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        if self._log is not None:
            self._log.close()
            self._log = None
        return process.returncode
