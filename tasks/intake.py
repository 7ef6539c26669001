"""Tasks: archive inbox files and read them, in chunks (a task run per file would cost more
orchestration than work: ~12 ms each)."""

from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

from pcmbn.catalog import load_catalog
from pcmbn.intake import InboxFile, Received, archive_file
from pcmbn.reading.guard import Limits
from pcmbn.validation.submission import Submission, load_submissions


@task(name="archive-chunk", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def archive_chunk(items: list[InboxFile], archive_root: str, scratch: str) -> list[Received]:
    """Copy originals into the archive; retried because it is only I/O (and idempotent)."""
    return [archive_file(item, archive_root, Path(scratch)) for item in items]


@task(name="read-chunk", cache_policy=NO_CACHE)
def read_chunk(items: list[tuple[int, Received]]) -> list[Submission]:
    """Guard and read archived copies; never raises for a bad file."""
    catalog = load_catalog()
    return load_submissions(
        [(index, r.local_path, r.name) for index, r in items], catalog, Limits()
    )
