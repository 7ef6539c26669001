"""Run the native workbook parse in child processes, so a crash costs one file, not the month.

python-calamine is Rust: a layout it cannot hold (one text cell at XFD1048576) makes it abort the
whole interpreter (SIGABRT, no exception to catch), and a workbook within the guard's byte limits
can still ask for minutes of CPU or gigabytes of memory. Each untrusted workbook is therefore read
by a small pool of worker interpreters (`python -m pcmbn.reading.sandbox`), each with its own
address-space limit (RLIMIT_AS) and a CPU budget per file (RLIMIT_CPU, raised before each file),
and a wall-clock timeout in the parent. A worker that dies, overruns or runs out of memory makes
`ReaderCrashed` for that file only; the worker is replaced and the rest of the batch goes on.
The guard runs there too (`read_guarded`): it is pure Python, a streaming pass over every XML
part, and in the parent it would hold the one GIL all reading threads share.

Workers are plain subprocesses speaking length-prefixed pickles over their stdin/stdout: they
work from Prefect's process pool and Dask's daemonic workers alike (multiprocessing refuses
children there), start once per process and are reused for every file. `PCMBN_READER=inline`
reads in-process (benchmarks, debugging); the default is isolated.

Nothing here reads the environment: the mode and the limits come from the entry point's
`Settings` (`ReaderLimits.from_settings`, `pcmbn.validation.submission.default_reader`), passed
down like every other setting, so a task on a process or Dask worker reads with the values the
entry point validated.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import pickle
import queue
import select
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from pcmbn.domain import TemplateSpec
from pcmbn.reading.guard import Limits, Refused, SheetLayout, inspect_file
from pcmbn.reading.workbook import WorkbookRecords, read_workbook

if TYPE_CHECKING:  # not imported at run time: the worker interpreters stay small
    from pcmbn.settings import Settings

_HEADER = struct.Struct("<Q")
_MIB = 1024 * 1024
MODES = ("isolated", "inline")


@dataclass(frozen=True)
class ReaderLimits:
    """Per-file ceilings of a worker; generous for a report (a few hundred ms, tens of MB)."""

    cpu_seconds: int = 20
    memory_mb: int = 1024  # address space of the worker interpreter, imports included
    wall_seconds: float = 60.0  # a loaded machine may be slow; CPU is the tight bound

    @classmethod
    def from_settings(cls, settings: Settings) -> ReaderLimits:
        """`PCMBN_READER_CPU_S`, `PCMBN_READER_MEMORY_MB`, `PCMBN_READER_TIMEOUT_S`, as the
        entry point read them."""
        return cls(
            cpu_seconds=settings.reader_cpu_s,
            memory_mb=settings.reader_memory_mb,
            wall_seconds=settings.reader_timeout_s,
        )


class ReaderCrashed(Exception):
    """The worker reading one file died, overran its limits or timed out."""

    def __init__(self, detail: str, log: str) -> None:
        super().__init__(log)
        self.detail = detail  # Vietnamese, for the clerk's message
        self.log = log  # English, for the engineers' log


class ReaderFailed(Exception):
    """The reader raised inside the worker (a malformed file); carries its repr and text."""

    def __init__(self, text: str, log: str) -> None:
        super().__init__(text)
        self.log = log


def read_inline(path: Path, spec: TemplateSpec, layout: SheetLayout | None) -> WorkbookRecords:
    """The same read in this process (no protection against native crashes)."""
    return read_workbook(Path(path).read_bytes(), spec, layout)


def read_guarded(path: Path, spec: TemplateSpec, limits: Limits) -> WorkbookRecords | Refused:
    """The guard, then the read of what it admits, in this process: the guard's refusal or the
    records. In a worker, both run under its limits and, above all, in parallel with the other
    workers: the guard is pure Python (a streaming pass over every XML part), and in the
    parent it would hold the GIL that all reading threads share."""
    verdict = inspect_file(Path(path), limits)
    if isinstance(verdict, Refused):
        return verdict
    return read_inline(path, spec, verdict.layout)


#: Templates sent to workers, by identity: id -> (key, the template, kept alive so its id is
#: not reused); a worker is sent each template once, then only its key (pickling a template
#: costs more than a report's own records, in the parent and again in the worker).
_TEMPLATES: dict[int, tuple[int, TemplateSpec]] = {}
_TEMPLATES_KEPT = 8
_templates_lock = threading.Lock()
_template_keys = itertools.count(1)


def _template_key(spec: TemplateSpec) -> int:
    with _templates_lock:
        found = _TEMPLATES.get(id(spec))
        if found is None or found[1] is not spec:
            if len(_TEMPLATES) >= _TEMPLATES_KEPT:
                _TEMPLATES.pop(next(iter(_TEMPLATES)))
            found = _TEMPLATES[id(spec)] = (next(_template_keys), spec)  # never reused
        return found[0]


def _hold(held: dict[int, Any], key: int, value: Any) -> None:
    """Keep `key` among the last `_TEMPLATES_KEPT` held; the parent's record of a worker and
    the worker itself apply this same rule to the same sequence of templates."""
    if len(held) >= _TEMPLATES_KEPT:
        held.pop(next(iter(held)))
    held[key] = value


class _Worker:
    """One worker interpreter and its pipes; stderr goes to a temp file (never blocks)."""

    def __init__(self, limits: ReaderLimits) -> None:
        self.broken = False  # died of a Python error of its own (set by `why`)
        #: keys of the templates this worker holds, oldest first (as `_hold` keeps them there)
        self.templates: dict[int, None] = {}
        self.stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - lives with the worker
        env = {**os.environ, "RUST_BACKTRACE": "0", "PYTHONFAULTHANDLER": ""}
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pcmbn.reading.sandbox",
                str(limits.cpu_seconds),
                str(limits.memory_mb),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            env=env,
            close_fds=True,
        )

    def call(self, job: Any, timeout: float) -> Any:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        payload = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
        self.proc.stdin.write(_HEADER.pack(len(payload)) + payload)
        self.proc.stdin.flush()
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        (size,) = _HEADER.unpack(_read_exact(fd, _HEADER.size, deadline))
        return pickle.loads(_read_exact(fd, size, deadline))

    def why(self) -> tuple[str, str]:
        """Vietnamese and English accounts of how the worker ended (after it was stopped)."""
        code = self.proc.poll()
        self.stderr.seek(0, os.SEEK_END)
        self.stderr.seek(max(0, self.stderr.tell() - 2000))
        tail = self.stderr.read().decode("utf-8", "replace").strip()
        memory = "memory allocation" in tail or "MemoryError" in tail
        self.broken = code == 1 and not memory and "Traceback (most recent call last)" in tail
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            if name == "SIGXCPU":
                return "đọc tệp tốn quá nhiều thời gian xử lý", f"{name}; {tail[-500:]}"
            if memory:
                return "đọc tệp cần quá nhiều bộ nhớ", f"{name}; {tail[-500:]}"
            return f"trình đọc bảng tính dừng đột ngột ({name})", f"{name}; {tail[-500:]}"
        if memory:
            return "đọc tệp cần quá nhiều bộ nhớ", f"exit {code}; {tail[-500:]}"
        return "trình đọc bảng tính dừng đột ngột", f"exit {code}; {tail[-500:]}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def close(self) -> None:
        """Ask politely (an empty job), then stop."""
        try:
            if self.proc.poll() is None and self.proc.stdin is not None:
                self.proc.stdin.write(_HEADER.pack(0))
                self.proc.stdin.flush()
                self.proc.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired, ValueError):
            pass
        self.stop()
        self.stderr.close()


class _Timeout(Exception):
    pass


def _read_exact(fd: int, size: int, deadline: float) -> bytes:
    chunks, missing = [], size
    while missing:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise _Timeout
        chunk = os.read(fd, min(missing, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


class ReaderPool:
    """Up to `workers` reusable worker interpreters, shared by the threads of one process."""

    def __init__(self, workers: int | None = None, limits: ReaderLimits | None = None) -> None:
        self.size = max(1, workers or min(4, os.cpu_count() or 1))
        self.limits = limits or ReaderLimits()
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(self.size)
        self._closed = False
        self._fresh = True  # no worker taken yet (`prestart` may fill the pool)

    def read(self, path: Path, spec: TemplateSpec, layout: SheetLayout | None) -> WorkbookRecords:
        """Read one workbook in a worker; `ReaderCrashed` if the worker did not survive it."""
        return self._run((str(path), spec, layout, None))

    def read_guarded(
        self, path: Path, spec: TemplateSpec, limits: Limits
    ) -> WorkbookRecords | Refused:
        """`read_guarded` in a worker: the guard's refusal or the records; `ReaderCrashed` if
        the worker did not survive the file, `ReaderFailed` if the library raised."""
        return self._run((str(path), spec, None, limits))

    def _run(self, job: tuple[str, TemplateSpec, SheetLayout | None, Limits | None]) -> Any:
        path, spec, layout, guard = job
        key = _template_key(spec)
        with self._slots:
            worker = self._take()
            sent = (path, key, None if key in worker.templates else spec, layout, guard)
            try:
                kind, *rest = worker.call(sent, self.limits.wall_seconds)
                if sent[2] is not None:
                    _hold(worker.templates, key, None)
            except _Timeout:
                worker.stop()
                worker.stderr.close()
                limit = f"{self.limits.wall_seconds:g}"
                raise ReaderCrashed(
                    f"đọc tệp quá {limit} giây", f"wall timeout {limit} s"
                ) from None
            except (EOFError, OSError, pickle.UnpicklingError, struct.error):
                worker.stop()
                detail, log = worker.why()
                worker.stderr.close()
                if worker.broken:
                    # the worker itself broke (environment, imports), not a file: say so loudly
                    raise RuntimeError(f"reader worker failed: {log}") from None
                raise ReaderCrashed(detail, log) from None
            self._idle.put(worker)
        if kind == "ok":
            return rest[0]
        if kind == "memory":
            raise ReaderCrashed("đọc tệp cần quá nhiều bộ nhớ", rest[0])
        raise ReaderFailed(rest[0], rest[1])

    def prestart(self) -> int:
        """Start the pool's workers now (their interpreters boot while the caller does other
        work, such as archiving the inbox); returns how many were started. Only a pool that has
        not read yet is filled: it never holds more than `size` workers."""
        started = 0
        while self._fresh and not self._closed and self._idle.qsize() < self.size:
            self._idle.put(_Worker(self.limits))
            started += 1
        return started

    def _take(self) -> _Worker:
        self._fresh = False
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            return _Worker(self.limits)

    def close(self) -> None:
        self._closed = True
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return


_shared: ReaderPool | None = None
_shared_lock = threading.Lock()


def shared_pool(limits: ReaderLimits | None = None) -> ReaderPool:
    """The process's pool with these limits (default: `ReaderLimits()`), started on first use
    and closed at exit; its workers are reused. Asked for other limits (another entry point's
    settings in the same process), it is replaced."""
    global _shared
    wanted = limits or ReaderLimits()
    with _shared_lock:
        if _shared is not None and not _shared._closed and _shared.limits != wanted:
            _shared.close()
        if _shared is None or _shared._closed:
            _shared = ReaderPool(limits=wanted)
            atexit.register(_shared.close)
        return _shared


# --- the worker side -----------------------------------------------------------------------------


def _recv(stream: IO[bytes]) -> Any:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    if size == 0:
        return None
    return pickle.loads(stream.read(size))


def _serve(cpu_seconds: int, memory_mb: int) -> None:
    """Worker loop: set the limits, then read one job at a time until told to stop."""
    import resource

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    memory = memory_mb * _MIB
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard == resource.RLIM_INFINITY or hard > memory:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but replies may reach the pipe
    templates: dict[int, TemplateSpec] = {}
    while (job := _recv(source)) is not None:
        path, key, sent, layout, guard = job
        if sent is not None:
            _hold(templates, key, sent)
        spec = templates[key]
        used = resource.getrusage(resource.RUSAGE_SELF)
        spent = int(used.ru_utime + used.ru_stime) + 1
        _, cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)
        soft = spent + cpu_seconds
        if cpu_hard != resource.RLIM_INFINITY:
            soft = min(soft, cpu_hard)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, cpu_hard))
        try:
            done = (
                read_inline(Path(path), spec, layout)
                if guard is None
                else read_guarded(Path(path), spec, guard)
            )
            reply: tuple[Any, ...] = ("ok", done)
        except MemoryError:
            reply = ("memory", "MemoryError")
        except Exception as exc:  # noqa: BLE001 - the parent turns it into file.corrupt
            reply = ("error", str(exc), repr(exc))
        try:
            payload = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - a value that does not pickle is still one file
            payload = pickle.dumps(("error", str(exc), f"reply not picklable: {exc!r}"))
        sink.write(_HEADER.pack(len(payload)) + payload)
        sink.flush()


if __name__ == "__main__":
    _serve(int(sys.argv[1]), int(sys.argv[2]))
