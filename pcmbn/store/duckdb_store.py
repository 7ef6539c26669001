"""The embedded backend: one DuckDB file (the default; nothing to install).

DuckDB admits one writing process at a time, so every use of the file happens under a file lock
beside it (`<file>.lock`), and two runs of different periods may proceed together. Opening the
file is the expensive part (tens of milliseconds, far more on a busy machine), and a portal
request makes several store calls, so a process *leases* the file (`_Lease`): the first call
takes the lock and opens the connection, the calls that follow reuse it, and the lease ends —
connection closed (DuckDB checkpoints then), lock released — once the store has been idle for
`idle_release` seconds, after `max_hold` seconds under a steady stream of calls, or at the end
of the current call when another process claims the file: a process waiting for the lock
touches `<file>.wanted` while it polls, and the holder gives the lease up and pauses briefly
so the waiter takes it. A Prefect run in a subprocess, a CLI run or a test thus waits about
one call, and never longer than `max_hold`.

Inside a process the lease is shared by every `DuckDBStore` of the same file and serialised by
one re-entrant lock (a DuckDB connection is not for concurrent use, and the file lock already
serialised every call before). The schema check (`migrate`) runs once per lease, and not at
all when the file is exactly as this process left it. The DuckDB specifics live here only:
`register` to hand DataFrames to SQL, `INSERT OR IGNORE`, and the session time zone.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from filelock import FileLock, Timeout

from pcmbn.store.sql import TIME_ZONE, Session, SqlStore, migrate

log = logging.getLogger(__name__)

#: Seconds a lease survives without a call (then the file is another process's to take).
IDLE_RELEASE = 0.2
#: Longest a lease is kept under a steady stream of calls before it is given up once.
MAX_HOLD = 1.0
#: Longest pause after giving a lease up to a waiting process, so the waiter takes the file
#: before this process takes it back (the waiter's claim vanishes as soon as it has it).
YIELD_PAUSE = 0.1
#: How often a waiting process tries the file lock (and renews its claim); how often a holder
#: looks for a claim while idle.
POLL = 0.01
#: A claim not renewed for this long is stale (its process died waiting) and ignored.
CLAIM_STALE = 1.0
#: How long a call waits for the file lock before it fails (a run elsewhere holds it).
LOCK_TIMEOUT = 600


class _DuckDBSession(Session):
    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.con.execute(sql, list(params))

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.con.execute(sql, list(params)).fetchall()

    def frame(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        return self.con.execute(sql, list(params)).df()

    def insert_ignore(self, table: str, frame: pd.DataFrame) -> None:
        self.con.register("incoming", frame)
        try:
            columns = ", ".join(frame.columns)
            self.con.execute(
                f"INSERT OR IGNORE INTO {table} ({columns}) SELECT {columns} FROM incoming"
            )
        finally:
            self.con.unregister("incoming")

    @contextmanager
    def staged_hashes(self, hashes: list[str]) -> Iterator[None]:
        self.con.register("incoming_hashes", pd.DataFrame({"sha256": hashes}))
        try:
            yield
        finally:
            self.con.unregister("incoming_hashes")


class _Lease:
    """This process's hold on one DuckDB file: the file lock and one open connection, kept
    while calls keep coming and given up by a reaper thread once they stop."""

    def __init__(self, path: Path, idle_release: float, max_hold: float) -> None:
        self.path = path
        self.idle_release = idle_release
        self.max_hold = max_hold
        self._reset()

    def _reset(self) -> None:
        """Fresh state (also in a forked child, which must never touch the parent's hold)."""
        # Not thread-local: the reaper thread releases what a request thread acquired.
        self.file_lock = FileLock(str(self.path) + ".lock", thread_local=False)
        #: A waiting process's claim on the file: the holder gives the lease up for it.
        self.claim = Path(str(self.path) + ".wanted")
        self.mutex = threading.RLock()
        self.wake = threading.Condition(self.mutex)
        self.con: duckdb.DuckDBPyConnection | None = None
        self.depth = 0  # callers inside `use()` (re-entrant in one thread)
        self.leased_at = 0.0
        self.last_used = 0.0
        self.pause_until = 0.0
        #: The file as this process left it, migrated (None: check the schema on next open).
        self.migrated: tuple[int, ...] | None = None
        self.reaper: threading.Thread | None = None
        self.leases = 0  # how many times the file was opened (tests, diagnostics)

    @property
    def held(self) -> bool:
        return self.con is not None

    @contextmanager
    def use(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The open, migrated connection, for this thread alone until the block ends."""
        with self.mutex:
            con = self._open()
            self.depth += 1
            failed = False
            try:
                yield con
            except BaseException:
                failed = True
                raise
            finally:
                self.depth -= 1
                now = time.monotonic()
                self.last_used = now
                if self.depth == 0:
                    if failed or self.idle_release <= 0:
                        # After an error the connection's state is not trusted: start afresh.
                        self.release()
                    elif (claimed := self._claimed()) or now - self.leased_at >= self.max_hold:
                        self._give_up(pause=claimed)

    def _open(self) -> duckdb.DuckDBPyConnection:
        if self.con is not None:
            return self.con
        while time.monotonic() < self.pause_until and self._claimed():
            time.sleep(POLL)  # a waiting process is about to take the file: let it
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock_file()
        try:
            con = duckdb.connect(str(self.path))
            try:
                con.execute(f"SET TimeZone = '{TIME_ZONE}'")
                if self.migrated is None or _identity(self.path) != self.migrated:
                    migrate(_DuckDBSession(con))
                self.migrated = None
            except BaseException:
                con.close()
                raise
        except BaseException:
            self.file_lock.release()
            raise
        self.con = con
        self.leased_at = self.last_used = time.monotonic()
        self.leases += 1
        if self.idle_release > 0 and (self.reaper is None or not self.reaper.is_alive()):
            self.reaper = threading.Thread(
                target=self._reap, name=f"duckdb-lease {self.path.name}", daemon=True
            )
            self.reaper.start()
        return con

    def _lock_file(self) -> None:
        """Take the file lock, claiming the file while waiting so its holder gives it up at
        its next idle moment (a claim renewed every poll; removed once the lock is ours)."""
        deadline = time.monotonic() + LOCK_TIMEOUT
        claimed = False
        try:
            while True:
                try:
                    self.file_lock.acquire(timeout=0)
                    return
                except Timeout:
                    if time.monotonic() > deadline:
                        raise
                try:
                    self.claim.touch()
                    claimed = True
                except OSError:
                    pass  # a read-only folder: the holder's bounded hold still applies
                time.sleep(POLL)
        finally:
            if claimed:
                self.claim.unlink(missing_ok=True)

    def _claimed(self) -> bool:
        """Whether another process is waiting for the file (a fresh claim)."""
        try:
            age = time.time() - self.claim.stat().st_mtime
        except OSError:
            return False
        return age < CLAIM_STALE

    def _give_up(self, pause: bool) -> None:
        self.release()
        if pause:
            self.pause_until = time.monotonic() + YIELD_PAUSE

    def _reap(self) -> None:
        """Give the lease up once no call has come for `idle_release` seconds, or at once
        between calls when another process claims the file."""
        with self.mutex:
            while self.con is not None:
                due = self.last_used + self.idle_release - time.monotonic()
                if self.depth == 0 and (due <= 0 or self._claimed()):
                    self._give_up(pause=due > 0)
                    break
                self.wake.wait(min(max(due, 0.001), POLL * 5))
            self.reaper = None

    def release(self) -> None:
        """Close the connection and unlock the file now (a no-op when not held)."""
        with self.mutex:
            con, self.con = self.con, None
            if con is None:
                return
            try:
                con.close()
                # Unchanged at the next open (same file, nobody else wrote): no schema check.
                self.migrated = _identity(self.path)
            finally:
                self.file_lock.release()
                self.wake.notify_all()

    def close(self) -> None:
        """Release, waiting for a call in progress in another thread to finish first."""
        with self.mutex:
            self.release()


def _identity(path: Path) -> tuple[int, ...] | None:
    """The file's identity and last change: another process's write (or a new file in its
    place, even on a reused inode) changes it."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


#: One lease per file and process, shared by every `DuckDBStore` of that file.
_LEASES: weakref.WeakValueDictionary[str, _Lease] = weakref.WeakValueDictionary()
_LEASES_LOCK = threading.Lock()
#: Leases a forked child inherited: kept referenced so their lock is never released from there.
_ORPHANS: list[Any] = []


def _lease_for(path: Path, idle_release: float, max_hold: float) -> _Lease:
    key = os.path.realpath(path)
    with _LEASES_LOCK:
        lease = _LEASES.get(key)
        if lease is None:
            lease = _Lease(Path(key), idle_release, max_hold)
            _LEASES[key] = lease
        return lease


def release_all() -> None:
    """Give up every lease of this process (at exit, and for tests)."""
    with _LEASES_LOCK:
        leases = list(_LEASES.values())
    for lease in leases:
        try:
            lease.close()
        except Exception:  # noqa: BLE001 - exiting: the next lease opens the file anew
            log.exception("could not release %s", lease.path)


def _after_fork_in_child() -> None:
    """A forked child shares the parent's file descriptors: forget the parent's hold (never
    unlocking it from here) and start with fresh locks."""
    global _LEASES_LOCK
    _LEASES_LOCK = threading.Lock()  # another thread may have held it at the fork
    for lease in list(_LEASES.values()):
        _ORPHANS.append((lease.file_lock, lease.con))
        lease._reset()


atexit.register(release_all)
os.register_at_fork(after_in_child=_after_fork_in_child)


class DuckDBStore(SqlStore):
    """Access to the DuckDB file through this process's lease on it (see the module)."""

    def __init__(
        self, path: Path, *, idle_release: float = IDLE_RELEASE, max_hold: float = MAX_HOLD
    ) -> None:
        self.path = Path(path)
        self._lease = _lease_for(self.path, idle_release, max_hold)

    def __repr__(self) -> str:
        return f"DuckDBStore({str(self.path)!r})"

    @property
    def lease(self) -> _Lease:
        """This process's lease on the file (shared with other stores of the same file)."""
        return self._lease

    def close(self) -> None:
        """Give the file back now (the service's shutdown; tests). The store stays usable:
        the next call leases the file again."""
        self._lease.close()

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A raw, migrated connection under the file lock (for tools that need DuckDB itself);
        the calling thread has it to itself until the block ends."""
        with self._lease.use() as con:
            yield con

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self.connect() as con:
            yield _DuckDBSession(con)

    @contextmanager
    def _transaction(self, session: Session, key: str | None = None) -> Iterator[None]:
        # The lease's lock (in the process) and the file lock (between processes) already
        # serialise every writer.
        session.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            session.execute("ROLLBACK")
            raise
        session.execute("COMMIT")
