"""The read phase on its own: read + identify per file against the floor, records' pickling,
and the same chunks on threads and on processes (as the two task runners run them).

Usage: python -m bench.read OUT_DIR [N]  (OUT_DIR/inbox as `bench.phases national-data` writes
it); prints one JSON line. `read_phase(out, n)` is the function a `make bench` phase calls
(`bench.phases.PHASES["national-read"] = read_phase`: its dict carries "files" and "wall_s").

- `floor_ms`: python-calamine reading every sheet of a file, nothing else (the bench's floor);
- `inline_ms`: `load_submission` in this process (hash, guard, read, identify, parse numbers);
- `threads_<reader>_s` / `processes_<reader>_s`: the files in `chunk_size` chunks of
  `load_submissions`, on a thread pool and on a spawned process pool of `worker_count`,
  results back in this process; reader `isolated` (the default: guard and read in the
  sandbox's worker processes) and `inline` (everything in the pool's own threads/processes);
- `pickle_us` / `pickle_bytes`: one file's records (what crosses the sandbox's pipe), and per
  value cell.
"""

from __future__ import annotations

import json
import os
import pickle
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any


def _files(out: Path, n: int) -> list[Path]:
    files = sorted((out / "inbox").rglob("BaoCao_*.xlsx"))
    return files[:n] if n else files


def _floor(files: list[Path]) -> tuple[float, float]:
    """(wall, CPU) seconds of the floor over `files`."""
    from python_calamine import CalamineWorkbook

    cpu, start = time.process_time(), time.perf_counter()
    for path in files:
        wb = CalamineWorkbook.from_path(str(path))
        for name in wb.sheet_names:
            wb.get_sheet_by_name(name).to_python()
    return time.perf_counter() - start, time.process_time() - cpu


def _chunk(items: list[tuple[int, Path, str | None]]) -> list[Any]:
    """One `read-chunk`: the task body's work (settings from the environment, as a worker's)."""
    from pcmbn.reading.guard import Limits
    from pcmbn.resources import resources_for
    from pcmbn.settings import Settings
    from pcmbn.validation.submission import load_submissions

    settings = Settings.from_env()
    return load_submissions(items, resources_for(settings).catalog, Limits(), settings=settings)


def _warm() -> None:
    """A worker's start-up (imports, catalog, the sandbox's workers) is not the read phase:
    what `pcmbn.runners.warm_worker` does in a process-pool worker, then one file read."""
    from pcmbn.settings import Settings

    try:
        from pcmbn.runners import warm_worker
    except ImportError:  # an older tree, measured for comparison
        pass
    else:
        warm_worker(Settings.from_env())
    _chunk([(0, Path(os.environ["BENCH_READ_WARM"]), None)])
    time.sleep(0.5)  # every worker of the pool takes one warm-up


def _sandbox_cpu() -> float:
    """CPU seconds spent so far by this process's sandbox workers (from /proc)."""
    from pcmbn.reading import sandbox

    pool = sandbox._shared
    if pool is None:
        return 0.0
    total = 0.0
    for worker in list(pool._idle.queue):
        try:
            fields = Path(f"/proc/{worker.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _pooled(files: list[Path], executor: Any, workers: int) -> float:
    from pcmbn.runners import chunk_size

    items = [(i, p, p.name) for i, p in enumerate(files)]
    size = chunk_size(len(items), workers)
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    warm = [executor.submit(_warm) for _ in range(workers)]
    for future in warm:
        future.result()
    cpu, sandboxed, start = time.process_time(), _sandbox_cpu(), time.perf_counter()
    read = [sub for result in executor.map(_chunk, chunks) for sub in result]
    wall = time.perf_counter() - start
    CPU[type(executor).__name__] = (time.process_time() - cpu, _sandbox_cpu() - sandboxed)
    assert len(read) == len(files) and all(s.refusal is None for s in read), "unreadable file"
    return wall


#: executor -> (this process's CPU s, its sandbox workers' CPU s) during the last `_pooled` run
CPU: dict[str, tuple[float, float]] = {}


def read_phase(out: Path, n: int) -> dict[str, Any]:
    """The figures of the read phase over the first `n` workbooks of `out/inbox`."""
    from pcmbn.reading.guard import Limits
    from pcmbn.reading.sandbox import read_inline
    from pcmbn.resources import resources_for
    from pcmbn.settings import Settings

    os.environ.setdefault("PCMBN_SCHEMAS", str(out / "schemas"))
    os.environ.setdefault("PCMBN_HOME", str(out / "home"))
    settings = Settings.from_env()
    catalog = resources_for(settings).catalog
    files = _files(out, n)
    os.environ["BENCH_READ_WARM"] = str(files[0])
    from pcmbn.validation.submission import load_submission

    floor, floor_cpu = _floor(files)
    cpu, start = time.process_time(), time.perf_counter()
    subs = [
        load_submission(i, p, catalog, Limits(), reader=read_inline) for i, p in enumerate(files)
    ]
    inline, inline_cpu = time.perf_counter() - start, time.process_time() - cpu
    records = [s.records for s in subs if s.records is not None]
    cells = sum(2 * len(r.indicators) for r in records)
    start = time.perf_counter()
    blobs = [pickle.dumps(r, protocol=pickle.HIGHEST_PROTOCOL) for r in records]
    pickled = time.perf_counter() - start
    start = time.perf_counter()
    for blob in blobs:
        pickle.loads(blob)
    unpickled = time.perf_counter() - start
    size = sum(map(len, blobs))
    workers = settings.worker_count
    runs: dict[str, float] = {}
    for reader in ("isolated", "inline"):
        os.environ["PCMBN_READER"] = reader  # before the pools start: workers inherit it
        with ThreadPoolExecutor(max_workers=workers) as threads:
            runs[f"threads_{reader}_s"] = _pooled(files, threads, workers)
        # The threads runner's critical path: this process's CPU (one GIL) against the CPU
        # its sandbox workers spent in parallel; on idle cores the wall is about the larger.
        here, sandboxed = CPU["ThreadPoolExecutor"]
        runs[f"threads_{reader}_parent_cpu_s"] = here
        runs[f"threads_{reader}_sandbox_cpu_s"] = sandboxed
        spawn = get_context("spawn")  # as Prefect's process pool starts its workers
        with ProcessPoolExecutor(max_workers=workers, mp_context=spawn) as processes:
            runs[f"processes_{reader}_s"] = _pooled(files, processes, workers)
    count = len(files)
    return {
        "files": count,
        # `bench.phases` reads a dict's "files" and "wall_s": the default runner's read phase
        "wall_s": runs["threads_isolated_s"],
        "workers": workers,
        "floor_ms": floor / count * 1e3,
        "inline_ms": inline / count * 1e3,
        "inline_vs_floor": inline / floor,
        # CPU time: what a busy machine's wall clock hides (other processes share the cores)
        "floor_cpu_ms": floor_cpu / count * 1e3,
        "inline_cpu_ms": inline_cpu / count * 1e3,
        "inline_vs_floor_cpu": inline_cpu / floor_cpu,
        **runs,
        **{f"{key[:-2]}_ms_per_file": wall / count * 1e3 for key, wall in runs.items()},
        "processes_vs_threads_isolated": runs["threads_isolated_s"] / runs["processes_isolated_s"],
        "processes_vs_threads_inline": runs["threads_inline_s"] / runs["processes_inline_s"],
        "pickle_us": pickled / len(records) * 1e6,
        "unpickle_us": unpickled / len(records) * 1e6,
        "pickle_bytes": size / len(records),
        "pickle_bytes_per_cell": size / max(cells, 1),
        "pickle_us_per_cell": pickled / max(cells, 1) * 1e6,
    }


def main() -> None:
    from pcmbn.settings import quiet_third_parties

    quiet_third_parties()
    out = Path(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    print(json.dumps(read_phase(out, n)))


if __name__ == "__main__":
    main()
