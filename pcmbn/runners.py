"""Which Prefect task runner reads the inbox's chunks: chosen by configuration at run time.

- `threads` (default): a thread pool sized to the cores; no start-up cost, enough for a
  province (30–170 files a month);
- `processes`: Prefect's process pool sized to the cores (reading is Python-bound, so on a
  national month this uses every core);
- `dask`: `DaskTaskRunner` from prefect-dask, on a `LocalCluster` of `$PCMBN_DASK_WORKERS`
  worker processes or on an existing scheduler at `$PCMBN_DASK_ADDRESS`.

Dask workers are other processes: each reports its task runs to the Prefect API. With
Prefect's temporary local server each worker would start a temporary server of its own (slow,
and their runs never reach the UI), so Dask requires `PREFECT_API_URL` to name a real server.
"""

from __future__ import annotations

import os
from typing import Any

from pcmbn.errors import UsageError

RUNNERS = ("threads", "processes", "dask")


def runner_name() -> str:
    name = os.environ.get("PCMBN_TASK_RUNNER", "threads").strip().lower() or "threads"
    if name not in RUNNERS:
        raise UsageError(
            f"PCMBN_TASK_RUNNER={name!r} không hợp lệ; chọn một trong: {', '.join(RUNNERS)}."
        )
    return name


def workers() -> int:
    configured = os.environ.get("PCMBN_WORKERS") or os.environ.get("PCMBN_DASK_WORKERS")
    return max(1, int(configured)) if configured else max(1, os.cpu_count() or 1)


def task_runner() -> Any:
    """A new task runner as configured (imports Dask only when it is asked for)."""
    name = runner_name()
    if name == "threads":
        from prefect.task_runners import ThreadPoolTaskRunner

        return ThreadPoolTaskRunner(max_workers=workers())
    if name == "processes":
        from prefect.task_runners import ProcessPoolTaskRunner

        return ProcessPoolTaskRunner(max_workers=workers())
    if not os.environ.get("PREFECT_API_URL"):
        raise UsageError(
            "Chạy trên Dask cần một máy chủ Prefect thật: chạy `prefect server start` rồi đặt "
            "PREFECT_API_URL=http://<máy chủ>:4200/api (xem README, mục Scale out)."
        )
    from prefect_dask import DaskTaskRunner

    address = os.environ.get("PCMBN_DASK_ADDRESS")
    if address:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(
        cluster_kwargs={"n_workers": workers(), "threads_per_worker": 1, "processes": True}
    )


def chunk_size(files: int, limit: int = 64) -> int:
    """Enough chunks to keep every worker busy, few enough that orchestration stays cheap."""
    per_worker = -(-files // (workers() * 4)) if files else 1
    return max(8, min(limit, per_worker))
