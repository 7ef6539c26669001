"""The portal's accounts and sign-in sessions in the store (issue 14), on both backends.

Kept beside `sql.SqlStore` as a mixin so the portal's SQL is one module: `SqlStore` inherits
`AccountsSql`, `Store` inherits `AccountStore`. Rows come back as plain dicts (aware datetimes);
the rules (lockout, idle timeout, hashing) live in `pcmbn.portal`, not here.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

ACCOUNT_COLUMNS = (
    "username",
    "role",
    "unit_code",
    "plan_id",
    "password_hash",
    "must_change",
    "failed_count",
    "locked_until",
    "created_at",
    "rotated_at",
)
SESSION_COLUMNS = ("token_hash", "username", "csrf", "created_at", "last_seen")
#: What `update_account` may change (the key and the creation time never change).
MUTABLE_ACCOUNT_COLUMNS = frozenset(ACCOUNT_COLUMNS) - {"username", "created_at"}


@runtime_checkable
class AccountStore(Protocol):
    """The accounts and sessions part of the store's contract."""

    def put_account(self, account: dict[str, Any]) -> None:
        """Create or replace (rotate) an account; its open sessions end with it."""
        ...

    def account(self, username: str) -> dict[str, Any] | None: ...

    def accounts(self, plan_id: str | None = None) -> list[dict[str, Any]]: ...

    def update_account(self, username: str, changes: dict[str, Any]) -> None: ...

    def create_session(self, session: dict[str, Any]) -> None: ...

    def portal_session(self, token_hash: str) -> dict[str, Any] | None: ...

    def touch_session(self, token_hash: str, at: datetime) -> None: ...

    def end_session(self, token_hash: str) -> None: ...

    def end_sessions(self, username: str) -> None: ...

    def sweep_sessions(self, idle_before: datetime, limit: int) -> int:
        """End at most `limit` sessions last seen before `idle_before`; how many ended."""
        ...


class AccountsSql:
    """`AccountStore` in the SQL both backends accept (mixed into `SqlStore`)."""

    # `_write()` and `_session()` are SqlStore's (this class is only ever mixed into it).
    _write: Callable[..., AbstractContextManager[Any]]
    _session: Callable[[], AbstractContextManager[Any]]

    def put_account(self, account: dict[str, Any]) -> None:
        row = [account.get(c) for c in ACCOUNT_COLUMNS]
        marks = ", ".join("?" for _ in ACCOUNT_COLUMNS)
        with self._write() as s:
            s.execute("DELETE FROM portal_sessions WHERE username = ?", [account["username"]])
            s.execute("DELETE FROM accounts WHERE username = ?", [account["username"]])
            s.execute(f"INSERT INTO accounts ({', '.join(ACCOUNT_COLUMNS)}) VALUES ({marks})", row)

    def account(self, username: str) -> dict[str, Any] | None:
        found = self._select("accounts", ACCOUNT_COLUMNS, "username = ?", [username])
        return found[0] if found else None

    def accounts(self, plan_id: str | None = None) -> list[dict[str, Any]]:
        if plan_id is None:
            return self._select("accounts", ACCOUNT_COLUMNS, "TRUE", [])
        return self._select("accounts", ACCOUNT_COLUMNS, "plan_id = ?", [plan_id])

    def update_account(self, username: str, changes: dict[str, Any]) -> None:
        unknown = set(changes) - MUTABLE_ACCOUNT_COLUMNS
        if unknown:
            raise ValueError(f"not an account column: {sorted(unknown)}")
        if not changes:
            return
        assignments = ", ".join(f"{column} = ?" for column in changes)
        with self._write() as s:
            s.execute(
                f"UPDATE accounts SET {assignments} WHERE username = ?",
                [*changes.values(), username],
            )

    def create_session(self, session: dict[str, Any]) -> None:
        marks = ", ".join("?" for _ in SESSION_COLUMNS)
        with self._write() as s:
            s.execute(
                f"INSERT INTO portal_sessions ({', '.join(SESSION_COLUMNS)}) VALUES ({marks})",
                [session.get(c) for c in SESSION_COLUMNS],
            )

    def portal_session(self, token_hash: str) -> dict[str, Any] | None:
        found = self._select("portal_sessions", SESSION_COLUMNS, "token_hash = ?", [token_hash])
        return found[0] if found else None

    def touch_session(self, token_hash: str, at: datetime) -> None:
        with self._write() as s:
            s.execute(
                "UPDATE portal_sessions SET last_seen = ? WHERE token_hash = ?", [at, token_hash]
            )

    def end_session(self, token_hash: str) -> None:
        with self._write() as s:
            s.execute("DELETE FROM portal_sessions WHERE token_hash = ?", [token_hash])

    def end_sessions(self, username: str) -> None:
        with self._write() as s:
            s.execute("DELETE FROM portal_sessions WHERE username = ?", [username])

    def sweep_sessions(self, idle_before: datetime, limit: int) -> int:
        with self._write() as s:
            ended = s.rows(
                "DELETE FROM portal_sessions WHERE token_hash IN (SELECT token_hash FROM "
                "portal_sessions WHERE last_seen < ? ORDER BY last_seen LIMIT ?) "
                "RETURNING token_hash",
                [idle_before, limit],
            )
        return len(ended)

    def _select(
        self, table: str, columns: tuple[str, ...], where: str, params: list[Any]
    ) -> list[dict[str, Any]]:
        with self._session() as s:
            rows = s.rows(
                f"SELECT {', '.join(columns)} FROM {table} WHERE {where} ORDER BY 1", params
            )
        return [dict(zip(columns, row, strict=True)) for row in rows]
