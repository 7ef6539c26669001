"""The embedded backend: one DuckDB file (the default; nothing to install).

Connections are short-lived and serialised by a file lock beside the database, because DuckDB
admits one writing process at a time and two runs of different periods may proceed together.
The DuckDB specifics live here only: `register` to hand DataFrames to SQL, `INSERT OR IGNORE`,
and the session time zone.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from filelock import FileLock

from pcmbn.store.sql import TIME_ZONE, Session, SqlStore, migrate


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


class DuckDBStore(SqlStore):
    """Access to the DuckDB file; every method opens and closes its own connection."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = FileLock(str(self.path) + ".lock", timeout=600)

    def __repr__(self) -> str:
        return f"DuckDBStore({str(self.path)!r})"

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A raw, migrated connection under the file lock (for tools that need DuckDB itself)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            con = duckdb.connect(str(self.path))
            try:
                con.execute(f"SET TimeZone = '{TIME_ZONE}'")
                migrate(_DuckDBSession(con))
                yield con
            finally:
                con.close()

    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self.connect() as con:
            yield _DuckDBSession(con)

    @contextmanager
    def _transaction(self, session: Session, key: str | None = None) -> Iterator[None]:
        # The file lock held by the session already serialises every writer.
        session.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            session.execute("ROLLBACK")
            raise
        session.execute("COMMIT")
