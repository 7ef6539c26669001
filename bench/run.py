"""Run every benchmark phase in its own process and print/append a results table.

Phases grow with the project: today, writing blank templates, generating filled sample reports
over both plans' spans, and the floor every later stage is compared with (reading every sheet
of those workbooks with python-calamine and nothing else).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).parent / "RESULTS.md"


def _run(phase: str, out: Path, n: int) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.phases", phase, str(out), str(n)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--templates", type=int, default=500, help="blank templates to write")
    parser.add_argument("--out", type=Path, default=Path("bench/out"))
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    rows = [
        ("templates", _run("templates", args.out / "templates", args.templates)),
        ("samples", _run("samples", args.out / "samples", 0)),
        ("floor (calamine read)", _run("floor", args.out / "samples", 0)),
    ]
    table = Table(title=f"pcmbn bench · {os.cpu_count()} cores · {date.today():%d/%m/%Y}")
    for column in ("phase", "files", "wall (s)", "files/s", "peak RSS (MB)"):
        table.add_column(column, justify="right" if column != "phase" else "left")
    lines = []
    for name, r in rows:
        rate = r["files"] / r["wall_s"] if r["wall_s"] else 0.0
        cells = [
            name,
            f"{r['files']:.0f}",
            f"{r['wall_s']:.2f}",
            f"{rate:.1f}",
            f"{r['peak_rss_mb']:.0f}",
        ]
        table.add_row(*cells)
        lines.append("| " + " | ".join(cells) + " |")
    Console().print(table)
    header = (
        f"\n## {date.today():%Y-%m-%d} · {os.cpu_count()} cores\n\n"
        "| phase | files | wall (s) | files/s | peak RSS (MB) |\n|---|---|---|---|---|\n"
    )
    if not RESULTS.exists():
        RESULTS.write_text("# Benchmark results (appended by `make bench`)\n", encoding="utf-8")
    with RESULTS.open("a", encoding="utf-8") as handle:
        handle.write(header + "\n".join(lines) + "\n")
    print(f"Appended to {RESULTS}")


if __name__ == "__main__":
    main()
