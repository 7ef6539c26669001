"""The "service" phase of `make bench`: `pcmbn serve` cold start, then the commands a data
officer types, answered by the warm service, beside the same commands in-process.

Targets (issue 13, two cores): ready ≤ 30 s; `pcmbn check` of one workbook ≤ 1 s end to end;
`pcmbn run` of a province month (31 units) ≤ 5 s from command to summary, of 170 units ≤ 10 s;
`pcmbn packet` of the demo sơ kết ≤ 5 s. Every figure is wall time seen by the caller (a
`pcmbn` subprocess, interpreter start included), the median of `REPEAT` tries; the HTTP check
alone is given too. The service runs on a catalog that adds the synthetic 170-unit province of
`bench.history` to the project's own (`PCMBN_SCHEMAS`), so one service answers every row.

The portal (issue 14): one unit's upload to its full result (≤ 1 s warm), then `PORTAL_UNITS`
units of the 170-unit province uploading at once over loopback (all answered, none lost, p95 ≤
3 s): every 201 must come back by its receipt, and the inbox's reception log must hold one row
per receipt.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NA = "NA-276-KH-UBND-2021"
NA_SAMPLES = ROOT / "sample_reports" / NA
#: The demo's months (scripts/demo.sh): the sơ kết packet covers them.
NA_MONTHS = ("2021-05", "2021-06", "2021-07", "2021-08", "2021-09", "2021-10", "2021-11")
BIG_UNITS = 170
BIG_PERIOD = "2026-01"
#: The sample generator needs a few months to place its fates; only the first is run.
BIG_LAST = "2026-03"
#: Tries per figure (the median is reported: the machine is shared).
REPEAT = 3
#: Units uploading at once in the portal's load test (loopback, bounded).
PORTAL_UNITS = 50


def _row(files: int, wall: float) -> dict[str, float]:
    return {"files": files, "wall_s": wall, "process_s": float("nan"), "peak_rss_mb": 0.0}


def _pcmbn(home: Path, *args: str, **env: str) -> float:
    """Wall time of one `pcmbn` command (a new interpreter, as an officer types it)."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pcmbn", *args],
        env={**os.environ, "PCMBN_HOME": str(home), **env},
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def _median(times: list[float]) -> float:
    return statistics.median(times)


def _big_province(out: Path) -> tuple[Path, Path]:
    """The synthetic 170-unit catalog and one month of its filled reports."""
    from bench.history import PLAN_ID, write_catalog

    schemas = write_catalog(out, BIG_UNITS)
    samples = out / "samples"
    subprocess.run(
        [sys.executable, "-m", "pcmbn", "samples", "--plan", PLAN_ID, "--start", BIG_PERIOD,
         "--end", BIG_LAST, "--out", str(samples)],
        env={**os.environ, "PCMBN_SCHEMAS": str(schemas), "PCMBN_HOME": str(out / "gen")},
        check=True, capture_output=True,
    )  # fmt: skip
    return schemas, samples / PLAN_ID / BIG_PERIOD


def _portal_load(
    url: str, home: Path, env: dict[str, str], plan: str, inbox: Path, out: Path
) -> list[tuple[str, dict[str, float]]]:
    """Sign `PORTAL_UNITS` units in, time one upload alone, then all of them at once."""
    import csv
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    accounts = out / "accounts.csv"
    _pcmbn(home, "accounts", "create", "--plan", plan, "--all-units", "--out", str(accounts), **env)
    with accounts.open(encoding="utf-8-sig", newline="") as handle:
        issued = {row["unit"]: row for row in csv.DictReader(handle)}
    period = inbox.name
    files = {
        unit: inbox / f"BaoCao_{unit}_{period}.xlsx"
        for unit in sorted(issued)
        if (inbox / f"BaoCao_{unit}_{period}.xlsx").is_file()
    }
    units = list(files)[:PORTAL_UNITS]
    tokens: dict[str, str] = {}
    with httpx.Client(base_url=url, timeout=120) as client:
        for unit in units:
            row = issued[unit]
            new = f"{row['password']}-moi-2026"
            signed = client.post(
                "/api/v1/login", json={"username": row["username"], "password": row["password"]}
            ).json()
            auth = {"Authorization": f"Bearer {signed['token']}"}
            client.post("/api/v1/password", json={"old": row["password"], "new": new}, headers=auth)
            tokens[unit] = signed["token"]

    def upload(client: httpx.Client, unit: str) -> tuple[float, int, dict]:
        began = time.perf_counter()
        answer = client.post(
            "/api/v1/submissions",
            headers={"Authorization": f"Bearer {tokens[unit]}"},
            files={"file": (files[unit].name, files[unit].read_bytes())},
            data={"explanation": "Số liệu đã được đơn vị rà soát."},
        )
        return time.perf_counter() - began, answer.status_code, answer.json()

    rows: list[tuple[str, dict[str, float]]] = []
    with httpx.Client(base_url=url, timeout=120) as client:
        alone = [upload(client, units[0])[0] for _ in range(REPEAT)]
    rows.append(("portal: 1 upload → full result (median)", _row(1, _median(alone))))
    began = time.perf_counter()
    with httpx.Client(base_url=url, timeout=120, limits=httpx.Limits(max_connections=64)) as client:
        with ThreadPoolExecutor(len(units)) as pool:
            answers = list(pool.map(lambda unit: upload(client, unit), units))
        wall = time.perf_counter() - began
        receipts = [body["receipt"]["id"] for _, code, body in answers if code == 201]
        found = sum(
            client.get(
                f"/api/v1/submissions/{rid}",
                headers={"Authorization": f"Bearer {tokens[unit]}"},
            ).status_code
            == 200
            for (_, code, body), unit in zip(answers, units, strict=True)
            if code == 201
            for rid in [body["receipt"]["id"]]
        )
    answered = sum(code in (201, 422) for _, code, _ in answers)
    latencies = sorted(seconds for seconds, _, _ in answers)
    p95 = latencies[max(0, int(round(0.95 * len(latencies))) - 1)]
    log_rows = _reception_rows(home / "inbox" / plan / period)
    lost = len(receipts) - min(found, log_rows)
    rows.append(
        (
            f"portal: {len(units)} units upload at once — p95 (answered {answered}/{len(units)},"
            f" receipts {len(receipts)}, lost {lost})",
            _row(len(units), p95),
        )
    )
    rows.append((f"portal: {len(units)} uploads at once — all answered", _row(len(units), wall)))
    return rows


def _reception_rows(folder: Path) -> int:
    """Rows of the portal inbox's reception log (one per receipt, none lost)."""
    import csv

    log = folder / "received.csv"
    if not log.is_file():
        return 0
    with log.open(encoding="utf-8-sig", newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def service(out: Path, *, only_portal: bool = False) -> list[tuple[str, dict[str, float]]]:
    """Start the service in a fresh home under `out`, measure, stop it; then in-process.

    `only_portal` measures the cold start and the portal's load alone (a quicker loop while
    working on issue 14's target)."""
    from bench.history import PLAN_ID
    from pcmbn.serve.children import free_port, get_json
    from pcmbn.serve.client import ServiceClient

    out.mkdir(parents=True, exist_ok=True)
    schemas, big_inbox = _big_province(out / "province")
    big_files = sum(p.suffix != ".csv" for p in big_inbox.iterdir())
    home, alone = out / "home", out / "alone"
    catalog_env = {"PCMBN_SCHEMAS": str(schemas)}
    port, prefect_port = free_port(), free_port()
    url = f"http://127.0.0.1:{port}"
    log = (out / "serve.out").open("wb")
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "pcmbn", "serve", "--port", str(port),
         "--prefect-port", str(prefect_port)],
        env={**os.environ, "PCMBN_HOME": str(home), **catalog_env}, stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    rows: list[tuple[str, dict[str, float]]] = []
    month = NA_SAMPLES / NA_MONTHS[-1]
    files = sum(p.suffix != ".csv" for p in month.iterdir())
    sample = sorted(month.glob("*.xlsx"))[0]

    def run_args(plan: str, period: str, inbox: Path) -> tuple[str, ...]:
        return ("run", "--plan", plan, "--period", period, "--inbox", str(inbox))

    packet_args = ("packet", "--plan", NA, "--milestone", "so_ket")
    try:
        while get_json(f"{url}/health")[0] != 200:
            if process.poll() is not None or time.perf_counter() - start > 600:
                raise RuntimeError(f"pcmbn serve did not become ready; see {out}")
            time.sleep(0.1)
        rows.append(
            ("service: pcmbn serve cold start → ready", _row(0, time.perf_counter() - start))
        )
        if only_portal:
            return rows + _portal_load(url, home, catalog_env, PLAN_ID, big_inbox, out / "portal")
        info = json.loads((home / "service.json").read_text(encoding="utf-8"))
        client = ServiceClient(info["url"], info["access_key"])
        timings = []
        for _ in range(5):
            began = time.perf_counter()
            client.check_file(sample)
            timings.append(time.perf_counter() - began)
        rows.append(
            ("service: check 1 workbook (HTTP only, median of 5)", _row(1, _median(timings)))
        )
        checks = [
            _pcmbn(home, "check", "--no-feedback", str(sample), **catalog_env)
            for _ in range(REPEAT)
        ]
        rows.append(("service: pcmbn check 1 workbook (end to end)", _row(1, _median(checks))))
        # The demo's months first (the packet needs them); the last one is then timed again.
        months = [a for m in NA_MONTHS[:-1] for a in ("--period", m)]
        _pcmbn(home, "run", "--plan", NA, "--inbox", str(NA_SAMPLES), *months, **catalog_env)
        runs = [
            _pcmbn(home, *run_args(NA, NA_MONTHS[-1], month), **catalog_env) for _ in range(REPEAT)
        ]
        rows.append(
            (f"service: pcmbn run, province month ({files} files)", _row(files, _median(runs)))
        )
        bigs = [
            _pcmbn(home, *run_args(PLAN_ID, BIG_PERIOD, big_inbox), **catalog_env)
            for _ in range(REPEAT)
        ]
        rows.append(
            (
                f"service: pcmbn run, {BIG_UNITS} units ({big_files} files)",
                _row(big_files, _median(bigs)),
            )
        )
        packets = [_pcmbn(home, *packet_args, **catalog_env) for _ in range(REPEAT)]
        rows.append(("service: pcmbn packet, demo sơ kết", _row(0, _median(packets))))
        rows += _portal_load(url, home, catalog_env, PLAN_ID, big_inbox, out / "portal")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=180)
        log.close()
    # In-process, on a copy of the service's history (the packet reads the demo's months).
    off = {**catalog_env, "PCMBN_USE_SERVICE": "false"}
    shutil.copytree(home, alone, ignore=shutil.ignore_patterns("prefect", "service.json", "logs"))
    rows.append(
        (
            "in-process: pcmbn check 1 workbook (cold)",
            _row(1, _pcmbn(alone, "check", "--no-feedback", str(sample), **off)),
        )
    )
    rows.append(
        (
            f"in-process: pcmbn run, province month ({files} files)",
            _row(files, _pcmbn(alone, *run_args(NA, NA_MONTHS[-1], month), **off)),
        )
    )
    rows.append(
        (
            f"in-process: pcmbn run, {BIG_UNITS} units ({big_files} files)",
            _row(big_files, _pcmbn(alone, *run_args(PLAN_ID, BIG_PERIOD, big_inbox), **off)),
        )
    )
    rows.append(
        ("in-process: pcmbn packet, demo sơ kết", _row(0, _pcmbn(alone, *packet_args, **off)))
    )
    return rows


if __name__ == "__main__":
    # `python -m bench.service [--only portal] [OUT]`: the service phase alone (or only its
    # portal load), printed as the RESULTS rows.
    argv = sys.argv[1:]
    only_portal = argv[:2] == ["--only", "portal"]
    argv = argv[2:] if only_portal else argv
    target = Path(argv[0]) if argv else ROOT / "bench" / "out" / "service"
    shutil.rmtree(target, ignore_errors=True)
    for name, r in service(target, only_portal=only_portal):
        print(f"| {name} | {r['files']:.0f} | {r['wall_s']:.2f} |", flush=True)
