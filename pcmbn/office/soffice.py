"""A warm LibreOffice for the service: PDFs without paying LibreOffice's start each time.

`pcmbn packet` through the service spent most of its time starting LibreOffice and loading its
Writer, Calc and PDF code (seconds on two cores) before converting three documents. The service
therefore keeps one LibreOffice running: `WarmOffice` starts the child `uno_worker.py` under a
Python that has LibreOffice's `uno` module (Debian: `python3-uno` in the system interpreter,
not in our virtual environment), which starts headless LibreOffice with its own profile under
`PCMBN_HOME/office/`, converts a warm-up document of each kind and then converts on request
over a JSON-lines pipe. The worker restarts a LibreOffice that died; the service restarts a
worker that died (`WarmOffice.ensure`); `stop` ends the worker's whole process group, so
nothing of LibreOffice outlives the service.

Without `uno` (or LibreOffice) there is no warm office and `office.pdf.to_pdf` keeps its cold
path (one `soffice --convert-to` per call), as the CLI in-process always does.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from pcmbn.office.jsonio import dumps_strict

log = logging.getLogger(__name__)

WORKER = Path(__file__).with_name("uno_worker.py")
#: Longest wait for the worker's first "ready" (a fresh profile is created on the first start).
READY_TIMEOUT_S = 180.0
#: LibreOffices the service keeps warm: two cores, so the appendix (the longest document)
#: converts in one while the report and the summary convert in the other.
WARM_OFFICES = 2
#: Interpreters tried for `import uno`, after LibreOffice's own bundled one (Windows, macOS).
SYSTEM_PYTHONS = ("/usr/bin/python3", "/usr/local/bin/python3")


class WarmOfficeError(RuntimeError):
    """The warm office could not convert (not ready, died, timed out, or said why)."""


def uno_python(program: str) -> str | None:
    """An interpreter that can `import uno` for LibreOffice `program`, or None.

    LibreOffice's own `program/python` first (bundled on Windows and macOS), then the system's
    (Debian's `python3-uno`); each is asked once, in a subprocess, never imported here.
    """
    bundled = Path(program).resolve().parent / "python"
    for candidate in (str(bundled), *SYSTEM_PYTHONS):
        if not Path(candidate).is_file():
            continue
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            done = subprocess.run(  # noqa: S603 (a fixed probe)
                [candidate, "-c", "import uno"], capture_output=True, timeout=30, check=False
            )
            if done.returncode == 0:
                return candidate
    return None


def _die_with_parent() -> None:
    """In the worker before exec: SIGTERM when the service dies, however it dies (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class WarmOffice:
    """The service's warm LibreOffice: one worker child, one conversion request at a time."""

    def __init__(self, program: str, python: str, folder: Path, log_path: Path) -> None:
        self.program, self.python = program, python
        self.folder, self.log_path = folder, log_path
        self.restarts = 0
        self._process: subprocess.Popen[str] | None = None
        self._answers: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._ready = threading.Event()
        self._lock = threading.Lock()  # one request at a time (and one start)
        self._log: IO[bytes] | None = None
        self._next_id = 0
        self._stopped = False
        self.busy = 0  # requests waiting for or in this office (`WarmOffices` picks the least)

    @classmethod
    def for_home(cls, home: Path, program: str | None = None) -> WarmOffice | None:
        """The warm office of the service whose home is `home`; None without LibreOffice or
        without a Python that has `uno` (the cold path then stays)."""
        from pcmbn.office.pdf import soffice

        program = program or soffice()
        if program is None:
            return None
        python = uno_python(program)
        if python is None:
            log.warning("no Python with LibreOffice's uno module: PDFs use the cold path")
            return None
        return cls(program, python, home / "office", home / "logs" / "office.log")

    # --- life -------------------------------------------------------------------------------

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def ready(self) -> bool:
        return self.alive and self._ready.is_set()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> None:
        """Start the worker (it answers "ready" once LibreOffice is warm; `wait_ready`)."""
        self._stopped = False
        self.folder.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        if self._log is None:
            self._log = self.log_path.open("ab")
        self._ready.clear()
        self._answers = queue.Queue()
        # A pipe name of this start: a LibreOffice left over from a killed worker (its group is
        # gone too, but to be safe) never answers the new one.
        pipe = f"pcmbn-office-{os.getpid()}-{time.monotonic_ns()}"
        self._process = subprocess.Popen(  # noqa: S603 (our interpreter and our script)
            [self.python, str(WORKER), self.program, str(self.folder / "profile"), pipe],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            encoding="utf-8",
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,  # noqa: PLW1509
        )
        threading.Thread(
            target=self._read, args=(self._process, self._answers), name="office-out", daemon=True
        ).start()
        log.info("started the warm office (worker pid %s)", self._process.pid)

    def _read(self, process: subprocess.Popen[str], answers: queue.Queue[Any]) -> None:
        """The worker's stdout, line by line: "ready" sets the event, answers are queued."""
        assert process.stdout is not None
        for line in process.stdout:
            with contextlib.suppress(ValueError):
                message = json.loads(line)
                if message.get("ready"):
                    self._ready.set()
                else:
                    answers.put(message)
        answers.put(None)  # the worker ended

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> bool:
        """Wait until LibreOffice is warm (False if the worker died or time ran out)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._ready.wait(0.1):
                return self.alive
            if not self.alive:
                return False
        return self.ready

    def ensure(self) -> None:
        """Start the worker again if it died (the supervisor's watchdog calls this)."""
        if self._stopped or self.alive:
            return
        with self._lock:
            if not self._stopped and not self.alive:
                log.warning("the warm office exited with %s; restarting", self._returncode())
                self.restarts += 1
                self._kill_group()
                self.start()

    def _returncode(self) -> int | None:
        return self._process.returncode if self._process else None

    def stop(self, grace: float = 15.0) -> None:
        """End the worker and its LibreOffice: stdin closed, SIGTERM, then SIGKILL the group."""
        self._stopped = True
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(OSError):
                assert process.stdin is not None
                process.stdin.close()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=grace)
        self._kill_group()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None

    def _kill_group(self) -> None:
        """Whatever is left in the worker's group (its LibreOffice) goes with it."""
        if self._process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._process.pid, signal.SIGKILL)

    # --- work -------------------------------------------------------------------------------

    def convert(self, sources: Sequence[Path], out_dir: Path, timeout: float) -> list[Path]:
        """Convert `sources` to `out_dir/<stem>.pdf` in the warm LibreOffice; their paths.

        Raises `WarmOfficeError` when the office is not there or fails; a timed-out worker is
        ended and started again (the caller may then take the cold path).
        """
        self.busy += 1
        try:
            return self._convert(sources, out_dir, timeout)
        finally:
            self.busy -= 1

    def _convert(self, sources: Sequence[Path], out_dir: Path, timeout: float) -> list[Path]:
        with self._lock:
            if not self.alive:
                if self._stopped:
                    raise WarmOfficeError("the warm office is stopped")
                self.restarts += 1
                self._kill_group()
                self.start()
            if not self.wait_ready(min(timeout, READY_TIMEOUT_S)):
                raise WarmOfficeError("the warm office is not ready")
            self._next_id += 1
            request = {
                "id": self._next_id,
                "sources": [str(Path(s).resolve()) for s in sources],
                "out_dir": str(out_dir.resolve()),
            }
            process = self._process
            assert process is not None and process.stdin is not None
            try:
                process.stdin.write(dumps_strict(request) + "\n")
                process.stdin.flush()
            except OSError as error:
                raise WarmOfficeError(f"the warm office is gone: {error}") from error
            try:
                answer = self._answers.get(timeout=timeout)
            except queue.Empty:
                log.warning("the warm office timed out after %s s; restarting it", timeout)
                self._kill_group()
                self.restarts += 1
                self.start()
                raise WarmOfficeError(f"LibreOffice timed out after {timeout} s") from None
        if answer is None:
            raise WarmOfficeError("the warm office ended during the conversion")
        if "error" in answer:
            raise WarmOfficeError(str(answer["error"]))
        made = [Path(p) for p in answer["made"]]
        if len(made) != len(sources) or not all(p.is_file() for p in made):
            raise WarmOfficeError("the warm office answered without every PDF")
        return made

    def health(self) -> dict[str, Any]:
        """What `/health` says of it."""
        return {"ready": self.ready, "pid": self.pid, "restarts": self.restarts}


class WarmOffices:
    """Several warm LibreOffices (`WARM_OFFICES`), each request to the least busy ready one.

    The same face as one `WarmOffice` (start, wait_ready, ensure, convert, stop, health), so the
    service holds one object; each office has its own profile and log under the home.
    """

    def __init__(self, offices: list[WarmOffice]) -> None:
        self.offices = offices
        self._pick = threading.Lock()

    @classmethod
    def for_home(cls, home: Path, count: int = WARM_OFFICES) -> WarmOffices | None:
        """`count` warm offices of the service at `home`; None when none can run."""
        first = WarmOffice.for_home(home)
        if first is None:
            return None
        offices = [
            WarmOffice(first.program, first.python, home / "office" / str(i),
                       home / "logs" / f"office-{i}.log")
            for i in range(1, count + 1)
        ]  # fmt: skip
        return cls(offices)

    @property
    def alive(self) -> bool:
        return any(office.alive for office in self.offices)

    @property
    def ready(self) -> bool:
        return any(office.ready for office in self.offices)

    def start(self) -> None:
        for office in self.offices:
            office.start()

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> bool:
        return all([office.wait_ready(timeout) for office in self.offices])

    def ensure(self) -> None:
        for office in self.offices:
            office.ensure()

    def stop(self, grace: float = 15.0) -> None:
        for office in self.offices:
            office.stop(grace)

    def convert(self, sources: Sequence[Path], out_dir: Path, timeout: float) -> list[Path]:
        """In the least busy office (a ready one before one still starting)."""
        with self._pick:
            office = min(self.offices, key=lambda o: (not o.ready, o.busy))
            office.busy += 1  # claimed before the next request picks
        try:
            return office.convert(sources, out_dir, timeout)
        finally:
            office.busy -= 1

    def health(self) -> dict[str, Any]:
        return {
            "ready": self.ready,
            "offices": [office.health() for office in self.offices],
            "restarts": sum(office.restarts for office in self.offices),
        }
