"""Run every benchmark phase in its own process and print/append a results table.

Phases grow with the project: writing blank templates, generating filled sample reports over
both plans' spans, the floor every later stage is compared with (reading every sheet of those
workbooks with python-calamine and nothing else), `pcmbn check` over 500 of them and over one
file cold (process start-up included), and refusing a 1 GB zip bomb. "wall" is measured inside
the phase's process, "process" around it (interpreter start and imports included).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).parent / "RESULTS.md"


def _run(phase: str, out: Path, n: int) -> dict[str, float]:
    """Run a phase in a fresh interpreter; "process" is its whole life, start-up included."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "bench.phases", phase, str(out), str(n)],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_s"] = time.perf_counter() - start
    return result


def _make_bomb(path: Path, gigabytes: float = 1.0) -> None:
    """A zip whose one entry inflates to `gigabytes` of zeros (about 1 MB on disk)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    chunk = b"\0" * (1 << 24)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as handle:
            for _ in range(int(gigabytes * 64)):
                handle.write(chunk)


@contextmanager
def prefect_server(home: Path) -> Iterator[str]:
    """A real Prefect server for the national run (as production runs against one)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    home.mkdir(parents=True, exist_ok=True)
    log = (home / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1"]
        + ["--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"Prefect server did not start; see {home}") from None
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()


def hostile(out: Path) -> list[tuple[str, dict[str, float]]]:
    """`pcmbn check` of each of the worst files of `bench.hostile`, one process each."""
    from bench.hostile import CASES

    _run("hostile-data", out, 0)
    return [
        (f"hostile: {label}", _run(f"hostile-{case}", out, 0))
        for case, (label, _, _) in CASES.items()
    ]


def national(args: argparse.Namespace) -> list[tuple[str, dict[str, float]]]:
    """Floor, straightforward pipeline and `pcmbn run` over one national-scale month."""
    out = args.out / "national"
    setup = _run("national-data", out, args.national)
    print(f"generated {setup['files']:.0f} workbooks in {setup['wall_s']:.1f} s", flush=True)
    floor = _run("national-floor", out, 0)
    sample = min(args.straightforward, args.national)
    plain = _run("national-straightforward", out, sample)
    projects = []
    with prefect_server(args.out / "prefect") as url:
        os.environ["PREFECT_API_URL"] = url
        os.environ["BENCH_MONTHS"] = str(args.months)
        for runner in args.runner:
            os.environ["PCMBN_TASK_RUNNER"] = runner
            shutil.rmtree(out / "home", ignore_errors=True)  # each runner from an empty store
            projects.append((runner, _run("national-project", out, 0)))
        del os.environ["PREFECT_API_URL"], os.environ["PCMBN_TASK_RUNNER"]
    project = projects[0][1]
    estimated = dict(plain)
    estimated["files"] = args.national
    estimated["wall_s"] = plain["wall_s"] / max(plain["files"], 1) * args.national
    estimated["process_s"] = float("nan")
    rows = [
        (f"national floor: calamine read ({args.national} files)", floor),
        (f"straightforward pipeline (measured on {sample})", plain),
        (f"straightforward pipeline (× {args.national}, extrapolated)", estimated),
    ]
    for runner, measured in projects:
        rows += _project_rows(runner, measured)
    per_file = project["wall_s"] / max(project["files"], 1)
    ratios = {
        "project / floor (per file)": per_file / (floor["wall_s"] / max(floor["files"], 1)),
        "straightforward / project (per file)": (plain["wall_s"] / max(plain["files"], 1))
        / per_file,
    }
    return rows + [(name, {"ratio": value}) for name, value in ratios.items()]


#: The flow's phases (`pcmbn.timings`), in the order a month goes through them.
PHASE_ORDER = ("archive", "read", "history", "frame", "ge", "record", "aggregate", "outputs")


def _project_rows(runner: str, measured: dict) -> list[tuple[str, dict[str, float]]]:
    """`pcmbn run`'s row, then one per phase (summed over the months), then one per month."""
    files = measured["files"]
    rows = [(f"pcmbn run, Prefect server, {runner} ({files:.0f} files)", measured)]
    phases = measured.get("phases", {})
    for name in (*PHASE_ORDER, *sorted(set(phases) - set(PHASE_ORDER))):
        if name in phases:
            row = {"files": files, "wall_s": phases[name], "process_s": float("nan")}
            rows.append((f"  phase {name}", {**row, "peak_rss_mb": float("nan")}))
    months = measured.get("months", [])
    if len(months) > 1:
        per_month = files / len(months)
        for month in months:
            row = {"files": per_month, "wall_s": month["wall_s"], "process_s": float("nan")}
            rows.append(
                (
                    f"  month {month['month']} (RSS now {month['rss_mb']:.0f} MB)",
                    {**row, "peak_rss_mb": month["peak_rss_mb"]},
                )
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--templates", type=int, default=500, help="blank templates to write")
    parser.add_argument("--check", type=int, default=500, help="workbooks for pcmbn check")
    parser.add_argument("--units", type=int, default=170, help="units of the packet province")
    parser.add_argument("--national", type=int, default=5000, help="workbooks of a national month")
    parser.add_argument(
        "--straightforward",
        type=int,
        default=500,
        help="files the straightforward pipeline is measured on (then extrapolated)",
    )
    parser.add_argument(
        "--months", type=int, default=1, help="national months run in one process (10: a year)"
    )
    parser.add_argument(
        "--runner",
        type=lambda text: [part.strip() for part in text.split(",") if part.strip()],
        default=["threads"],
        help="task runner(s) of the national run, comma-separated: threads, processes, dask",
    )
    parser.add_argument(
        "--only-national", action="store_true", help="skip the province phases and the service"
    )
    parser.add_argument("--out", type=Path, default=Path("bench/out"))
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    samples = args.out / "samples"
    _make_bomb(args.out / "bomb" / "bomb.xlsx")
    if args.only_national:
        _report(national(args))
        return
    rows = [
        ("templates", _run("templates", args.out / "templates", args.templates)),
        ("samples", _run("samples", samples, 0)),
        ("floor (calamine read)", _run("floor", samples, 0)),
        (f"pcmbn check ({args.check} files)", _run("check", samples, args.check)),
        ("pcmbn check (1 file, cold)", _run("check", samples, 1)),
        ("pcmbn check (1 file, warm: GE run only)", _run("check-warm", samples, 1)),
        ("zip bomb 1 GB refused", _run("bomb", args.out / "bomb", 0)),
        *hostile(args.out / "hostile"),
        (
            f"synthetic history ({args.units} units × 12 months, setup)",
            _run("history", args.out / "province", args.units),
        ),
        (
            f"packet tổng kết ({args.units} units × 12 months; files = submissions)",
            _run("packet", args.out / "province", 0),
        ),
    ]
    from bench.service import service

    rows += service(args.out / "service")
    rows += national(args)
    _report(rows)


def _report(rows: list[tuple[str, dict[str, float]]]) -> None:
    """Print the table and append it to RESULTS.md."""
    table = Table(title=f"pcmbn bench · {os.cpu_count()} cores · {date.today():%d/%m/%Y}")
    for column in ("phase", "files", "wall (s)", "process (s)", "files/s", "peak RSS (MB)"):
        table.add_column(column, justify="right" if column != "phase" else "left")
    lines = []
    for name, r in rows:
        if "ratio" in r:
            cells = [name, "", f"× {r['ratio']:.1f}", "", "", ""]
            table.add_row(*cells)
            lines.append("| " + " | ".join(cells) + " |")
            continue
        rate = r["files"] / r["wall_s"] if r["wall_s"] else 0.0
        cells = [
            name,
            f"{r['files']:.0f}",
            f"{r['wall_s']:.3f}",
            f"{r['process_s']:.2f}" if r["process_s"] == r["process_s"] else "—",  # NaN: none
            f"{rate:.1f}",
            f"{r['peak_rss_mb']:.0f}" if r["peak_rss_mb"] == r["peak_rss_mb"] else "—",
        ]
        table.add_row(*cells)
        lines.append("| " + " | ".join(cells) + " |")
    Console().print(table)
    header = (
        f"\n## {date.today():%Y-%m-%d} · {os.cpu_count()} cores\n\n"
        "| phase | files | wall (s) | process (s) | files/s | peak RSS (MB) |\n"
        "|---|---|---|---|---|---|\n"
    )
    if not RESULTS.exists():
        RESULTS.write_text("# Benchmark results (appended by `make bench`)\n", encoding="utf-8")
    with RESULTS.open("a", encoding="utf-8") as handle:
        handle.write(header + "\n".join(lines) + "\n")
    print(f"Appended to {RESULTS}")


if __name__ == "__main__":
    main()
