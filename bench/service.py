"""The "service" phase of `make bench`: `pcmbn serve` cold start, then the commands a data
officer types, answered by the warm service, beside the same commands in-process.

Targets (issue 13, two cores): ready ≤ 30 s; one workbook checked ≤ 1 s; a province month
`pcmbn run` ≤ 5 s from command to summary. Every figure is wall time seen by the caller.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MONTH = ROOT / "sample_reports" / "ST-KH-30-7-2024" / "2024-07"


def _row(files: int, wall: float) -> dict[str, float]:
    return {"files": files, "wall_s": wall, "process_s": float("nan"), "peak_rss_mb": 0.0}


def _pcmbn(home: Path, *args: str, **env: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pcmbn", *args],
        env={**os.environ, "PCMBN_HOME": str(home), **env},
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def service(out: Path) -> list[tuple[str, dict[str, float]]]:
    """Start the service in a fresh home under `out`, measure, stop it."""
    from pcmbn.serve.children import free_port, get_json
    from pcmbn.serve.client import ServiceClient

    home = out / "home"
    port, prefect_port = free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    out.mkdir(parents=True, exist_ok=True)
    log = (out / "serve.out").open("wb")
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "pcmbn", "serve", "--port", str(port),
         "--prefect-port", str(prefect_port)],
        env={**os.environ, "PCMBN_HOME": str(home)}, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    rows: list[tuple[str, dict[str, float]]] = []
    try:
        while get_json(f"{url}/health")[0] != 200:
            if process.poll() is not None or time.perf_counter() - start > 600:
                raise RuntimeError(f"pcmbn serve did not become ready; see {out}")
            time.sleep(0.25)
        rows.append(
            ("service: pcmbn serve cold start → ready", _row(0, time.perf_counter() - start))
        )
        info = json.loads((home / "service.json").read_text(encoding="utf-8"))
        client = ServiceClient(info["url"], info["access_key"])
        sample = sorted(MONTH.glob("*.xlsx"))[0]
        timings = []
        for _ in range(5):
            began = time.perf_counter()
            client.check_file(sample)
            timings.append(time.perf_counter() - began)
        rows.append(
            ("service: check 1 workbook (HTTP, median of 5)", _row(1, statistics.median(timings)))
        )
        files = len(list(MONTH.glob("*.xlsx")))
        args = ("run", "--plan", "ST-KH-30-7-2024", "--period", "2024-07", "--inbox", str(MONTH))
        rows.append(
            (
                f"service: pcmbn run, province month (first, {files} files)",
                _row(files, _pcmbn(home, *args)),
            )
        )
        rows.append(
            (
                f"service: pcmbn run, same month again ({files} files)",
                _row(files, _pcmbn(home, *args)),
            )
        )
        rows.append(
            (
                f"in-process: pcmbn run, province month ({files} files)",
                _row(files, _pcmbn(out / "alone", *args, PCMBN_USE_SERVICE="false")),
            )
        )
        rows.append(
            (
                "in-process: pcmbn check 1 workbook (cold)",
                _row(
                    1,
                    _pcmbn(
                        out / "alone",
                        "check",
                        "--no-feedback",
                        str(sample),
                        PCMBN_USE_SERVICE="false",
                    ),
                ),
            )
        )
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=180)
        log.close()
    return rows
