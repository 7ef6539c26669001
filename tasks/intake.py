"""Tasks: archive inbox files and read them, in chunks (a task run per file would cost more
orchestration than work: ~12 ms each)."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from pcmbn.intake import InboxFile, Received, archive_file
from pcmbn.reading.guard import Limits
from pcmbn.resources import resources_for
from pcmbn.settings import Settings
from pcmbn.validation.submission import Submission, load_submissions


@task(name="archive-chunk", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def archive_chunk(settings: Settings, items: list[InboxFile]) -> list[Received]:
    """Copy originals into the archive; retried because it is only I/O (and idempotent)."""
    scratch = resources_for(settings).layout.tmp_dir
    return [archive_file(item, settings.archive_root, scratch) for item in items]


@task(name="read-chunk", cache_policy=NO_CACHE)
def read_chunk(settings: Settings, items: list[tuple[int, Received]]) -> list[Submission]:
    """Guard and read archived copies; never raises for a bad file. Entries refused at intake
    (symlinks, FIFOs, over-sized files…) become rejected submissions without being opened."""
    catalog = resources_for(settings).catalog
    readable = [(index, r.local_path, r.name) for index, r in items if r.refusal is None]
    loaded = {
        sub.index: sub for sub in load_submissions(readable, catalog, Limits(), settings=settings)
    }
    return [
        loaded[index]
        if r.refusal is None
        else Submission(index, r.local_path, r.sha256, refusal=r.refusal, original_name=r.name)
        for index, r in items
    ]
