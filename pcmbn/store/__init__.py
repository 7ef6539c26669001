"""The history store: submissions, values, problems, tasks, narratives, runs, approvals, packets.

One interface (`Store`), two backends: the embedded DuckDB file (default) and PostgreSQL.
`open_store` picks the backend from the target `PCMBN_STORE` names.
"""

from __future__ import annotations

from pathlib import Path

from pcmbn.store.base import Store

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(target: str | Path) -> bool:
    """Whether a store target names a PostgreSQL database rather than a DuckDB file."""
    return isinstance(target, str) and target.lower().startswith(POSTGRES_SCHEMES)


def open_store(target: str | Path) -> Store:
    """A `postgresql://…` (or `postgres://…`) URL → `PostgresStore`; anything else is the path
    of a DuckDB file → `DuckDBStore`. Opening connects to nothing: each method does."""
    if is_postgres_url(target):
        from pcmbn.store.postgres import PostgresStore

        return PostgresStore(str(target))
    from pcmbn.store.duckdb_store import DuckDBStore

    return DuckDBStore(Path(target))


__all__ = ["Store", "is_postgres_url", "open_store"]
