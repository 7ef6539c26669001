"""The history store's former home, kept so existing imports work unchanged.

`HistoryStore` is the DuckDB backend (`pcmbn.store.duckdb_store.DuckDBStore`); new code opens a
store with `pcmbn.store.open_store` and types against `pcmbn.store.base.Store`.
"""

from __future__ import annotations

from pcmbn.store.base import TABLES, RunRecord, Store, SubmissionRecord
from pcmbn.store.duckdb_store import DuckDBStore

HistoryStore = DuckDBStore

__all__ = ["TABLES", "DuckDBStore", "HistoryStore", "RunRecord", "Store", "SubmissionRecord"]
