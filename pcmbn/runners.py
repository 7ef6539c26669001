"""Which Prefect task runner reads the inbox's chunks: chosen by configuration at run time.

- `threads` (default): a thread pool sized to the cores; no start-up cost, enough for a
  province (30–170 files a month);
- `processes`: Prefect's process pool sized to the cores; each worker process is warmed when
  it starts (`warm_worker`: the reading path imported, the catalog loaded, the sandbox's
  reader interpreters booted), so its first chunk reads at full speed. The guard and the
  native read already run in the sandbox's worker processes with either runner, so threads
  use every core too; processes pay off most with `PCMBN_READER=inline` (no sandbox), where
  threads share one GIL;
- `dask`: `DaskTaskRunner` from prefect-dask, on a `LocalCluster` of `$PCMBN_DASK_WORKERS`
  worker processes or on an existing scheduler at `$PCMBN_DASK_ADDRESS` (all read into
  `pcmbn.settings.Settings` at the entry point).

Dask workers are other processes: each reports its task runs to the Prefect API. With
Prefect's temporary local server each worker would start a temporary server of its own (slow,
and their runs never reach the UI), so Dask requires `PREFECT_API_URL` to name a real server.
"""

from __future__ import annotations

import os
from typing import Any

from pcmbn.errors import UsageError
from pcmbn.settings import Settings, TaskRunnerName

RUNNERS = tuple(t.value for t in TaskRunnerName)


def task_runner(settings: Settings) -> Any:
    """A new task runner as configured (imports Dask only when it is asked for)."""
    name = settings.task_runner
    if name is TaskRunnerName.THREADS:
        from prefect.task_runners import ThreadPoolTaskRunner

        return ThreadPoolTaskRunner(max_workers=settings.worker_count)
    if name is TaskRunnerName.PROCESSES:
        from prefect.task_runners import ProcessPoolTaskRunner

        return ProcessPoolTaskRunner(
            max_workers=settings.worker_count, initializer=warm_worker, initargs=(settings,)
        )
    # Prefect's own setting, not ours: where its API is (read as Prefect itself reads it).
    if not os.environ.get("PREFECT_API_URL"):
        raise UsageError(
            "Chạy trên Dask cần một máy chủ Prefect thật: chạy `prefect server start` rồi đặt "
            "PREFECT_API_URL=http://<máy chủ>:4200/api (xem README, mục Scale out)."
        )
    from prefect_dask import DaskTaskRunner

    if settings.dask_address:
        return DaskTaskRunner(address=settings.dask_address)
    return DaskTaskRunner(
        cluster_kwargs={
            "n_workers": settings.worker_count,
            "threads_per_worker": 1,
            "processes": True,
        }
    )


def prestart_local_readers(settings: Settings) -> None:
    """With the threads runner the chunks are read in this process: boot the sandbox's reader
    interpreters now, while the inbox is archived (process and Dask workers boot their own)."""
    if settings.task_runner is TaskRunnerName.THREADS:
        from pcmbn.validation.submission import prestart_readers

        prestart_readers(settings)


def warm_worker(settings: Settings) -> None:
    """A process-pool worker's start: what every read chunk needs, done once, before its first
    task (the sandbox's interpreters boot in the background meanwhile). Never raises: a worker
    that cannot warm up still reads, only slower on its first chunk."""
    try:
        from pcmbn.resources import resources_for
        from pcmbn.validation.submission import prestart_readers

        prestart_readers(settings)  # first: the interpreters boot while the catalog loads
        _ = resources_for(settings).catalog  # loaded and cross-checked once per worker
    except Exception:  # noqa: BLE001 - warming up is an optimisation, never a failure
        import logging

        logging.getLogger(__name__).debug("worker warm-up failed", exc_info=True)


def chunk_size(files: int, workers: int, limit: int = 64) -> int:
    """Enough chunks to keep every worker busy, few enough that orchestration stays cheap."""
    per_worker = -(-files // (workers * 4)) if files else 1
    return max(8, min(limit, per_worker))
