"""Which Prefect task runner reads the inbox's chunks: chosen by configuration at run time.

- `threads` (default): a thread pool sized to the cores; no start-up cost, enough for a
  province (30–170 files a month);
- `processes`: Prefect's process pool sized to the cores (reading is Python-bound, so on a
  national month this uses every core);
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

        return ProcessPoolTaskRunner(max_workers=settings.worker_count)
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


def chunk_size(files: int, workers: int, limit: int = 64) -> int:
    """Enough chunks to keep every worker busy, few enough that orchestration stays cheap."""
    per_worker = -(-files // (workers * 4)) if files else 1
    return max(8, min(limit, per_worker))
