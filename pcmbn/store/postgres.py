"""The server backend: a PostgreSQL database (`PCMBN_STORE=postgresql://user@host/db`).

For the always-on service, with writers on several hosts: PostgreSQL's own transactions keep
them apart, so there is no file lock; only runs of the SAME plan and period are serialised (a
transaction-scoped advisory lock), runs of different periods write together. Sessions use the
store's time zone, so timestamps come back exactly as from DuckDB, and results are converted to
the dtypes DuckDB's `.df()` gives, so callers cannot tell the backends apart.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from pcmbn.errors import PcmbnError
from pcmbn.store.sql import TIME_ZONE, Session, SqlStore, migrate

#: Advisory-lock key of the migrations (any constant unlikely to clash with another program).
_MIGRATION_LOCK = 0x70636D626E  # "pcmbn"

# PostgreSQL type OIDs the schema uses.
_INT2, _INT4, _INT8 = 21, 23, 20
_FLOAT4, _FLOAT8, _NUMERIC = 700, 701, 1700
_TIMESTAMP, _TIMESTAMPTZ = 1114, 1184
_BOOL = 16


def _lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for a name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def _placeholders(sql: str) -> str:
    """`?` placeholders (the shared SQL's) as psycopg's `%s`; literal `%` escaped."""
    return sql.replace("%", "%%").replace("?", "%s")


def _native(value: Any) -> Any:
    """A DataFrame cell as a value psycopg adapts (NaN/NaT → NULL, numpy scalars unboxed)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.to_pydatetime()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def _column(values: list[Any], oid: int) -> pd.Series:
    """One result column with the dtype DuckDB's `.df()` gives for the same SQL type."""
    has_null = any(v is None for v in values)
    if oid in (_INT2, _INT4, _INT8):
        width = "64" if oid == _INT8 else ("16" if oid == _INT2 else "32")
        if has_null:
            return pd.Series(values, dtype=f"Int{width}")
        return pd.Series(values, dtype=f"int{width}")
    if oid in (_FLOAT4, _FLOAT8, _NUMERIC):
        return pd.Series([np.nan if v is None else float(v) for v in values], dtype="float64")
    if oid == _TIMESTAMPTZ:
        index = pd.DatetimeIndex(
            pd.to_datetime(values, utc=True) if values else [], tz="UTC"
        ).as_unit("us")
        return pd.Series(index.tz_convert(TIME_ZONE))
    if oid == _TIMESTAMP:
        return pd.Series(pd.DatetimeIndex(pd.to_datetime(values) if values else []).as_unit("us"))
    if oid == _BOOL:
        return pd.Series(values, dtype="boolean" if has_null else "bool")
    if not values or all(v is None for v in values):
        return pd.Series(values, dtype=object)
    return pd.Series(values, dtype="str")


class _PostgresSession(Session):
    def __init__(self, con: Any) -> None:
        self.con = con

    def _run(self, sql: str, params: Sequence[Any]) -> Any:
        if params:
            return self.con.execute(_placeholders(sql), [_native(p) for p in params])
        return self.con.execute(sql)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._run(sql, params)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._run(sql, params).fetchall()

    def frame(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        cursor = self._run(sql, params)
        description = cursor.description or []
        records = cursor.fetchall()
        columns = {
            d.name: _column([r[i] for r in records], d.type_code) for i, d in enumerate(description)
        }
        return pd.DataFrame(columns, index=pd.RangeIndex(len(records)))

    def insert_ignore(self, table: str, frame: pd.DataFrame) -> None:
        # COPY into a temporary table, then one INSERT … ON CONFLICT DO NOTHING: a national
        # month is millions of values, too many for row-by-row statements.
        columns = ", ".join(frame.columns)
        self.con.execute(f"CREATE TEMPORARY TABLE incoming (LIKE {table} INCLUDING DEFAULTS)")
        with self.con.cursor().copy(f"COPY incoming ({columns}) FROM STDIN") as copy:
            for row in frame.itertuples(index=False, name=None):
                copy.write_row([_native(v) for v in row])
        self.con.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM incoming ON CONFLICT DO NOTHING"
        )
        self.con.execute("DROP TABLE incoming")

    @contextmanager
    def staged_hashes(self, hashes: list[str]) -> Iterator[None]:
        self.con.execute("CREATE TEMPORARY TABLE incoming_hashes (sha256 VARCHAR PRIMARY KEY)")
        try:
            with self.con.cursor().copy("COPY incoming_hashes (sha256) FROM STDIN") as copy:
                for sha in dict.fromkeys(hashes):
                    copy.write_row([sha])
            yield
        finally:
            self.con.execute("DROP TABLE IF EXISTS incoming_hashes")


class PostgresStore(SqlStore):
    """Access to a PostgreSQL database; every method opens and closes its own connection."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._migrated = False

    def __repr__(self) -> str:
        # Never print a password that the URL may carry.
        return f"PostgresStore({_redacted(self.url)!r})"

    def _connect(self) -> Any:
        import psycopg  # imported here: the DuckDB default never needs it

        try:
            return psycopg.connect(
                self.url, autocommit=True, options=f"-c TimeZone={TIME_ZONE}", connect_timeout=30
            )
        except psycopg.OperationalError as failed:
            # Unreachable server, wrong password, missing database: the officer can fix these.
            reason = str(failed).strip().splitlines()[-1] if str(failed).strip() else ""
            raise PcmbnError(
                f"Không kết nối được kho lịch sử PostgreSQL {_redacted(self.url)} "
                f"(biến PCMBN_STORE): {reason}"
            ) from failed

    @contextmanager
    def _session(self) -> Iterator[Session]:
        con = self._connect()
        try:
            session = _PostgresSession(con)
            if not self._migrated:
                con.execute("SELECT pg_advisory_lock(%s)", [_MIGRATION_LOCK])
                try:
                    migrate(session)
                finally:
                    con.execute("SELECT pg_advisory_unlock(%s)", [_MIGRATION_LOCK])
                self._migrated = True
            yield session
        finally:
            con.close()

    @contextmanager
    def _transaction(self, session: Session, key: str | None = None) -> Iterator[None]:
        session.execute("BEGIN")
        try:
            if key is not None:
                session.execute("SELECT pg_advisory_xact_lock(?)", [_lock_key(key)])
            yield
        except BaseException:
            session.execute("ROLLBACK")
            raise
        session.execute("COMMIT")


def _redacted(url: str) -> str:
    """The URL without its password."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
