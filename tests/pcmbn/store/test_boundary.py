"""SQL stays inside `pcmbn/store/`: the rest of the program calls the store's named methods."""

from __future__ import annotations

import re

from pcmbn.settings import PROJECT_ROOT

SQL = re.compile(r"\.query\(|\b(SELECT \S|INSERT INTO|DELETE FROM|UPDATE \w+ SET)\b")


def test_no_raw_sql_outside_the_store() -> None:
    offenders = []
    for folder in ("pcmbn", "flows", "tasks", "bench"):
        for path in sorted((PROJECT_ROOT / folder).rglob("*.py")):
            if path.is_relative_to(PROJECT_ROOT / "pcmbn" / "store"):
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if SQL.search(line):
                    offenders.append(f"{path.relative_to(PROJECT_ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_store_interface_names_no_raw_query() -> None:
    from pcmbn.store.base import Store

    assert not hasattr(Store, "query")
