"""One benchmark phase per process, so each reports its own wall time and peak RSS.

Usage: python -m bench.phases PHASE OUT_DIR [N]; prints one JSON line.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

from pcmbn.settings import quiet_third_parties


def _samples(out: Path, _n: int) -> int:
    from pcmbn.catalog import load_catalog
    from pcmbn.samples import generate_samples

    result = generate_samples(load_catalog(), out, seed=2024)
    return len(result.files)


def _templates(out: Path, n: int) -> int:
    from pcmbn.catalog import load_catalog
    from pcmbn.periods import months_between
    from pcmbn.template_writer import write_templates

    catalog = load_catalog()
    written = 0
    for plan in catalog.plans.values():
        for month in months_between(plan.span.start, plan.span.end):
            if written >= n:
                return written
            units = catalog.expected_units(plan, month)[: n - written]
            write_templates(catalog, plan, month, units, out / plan.id / month.code)
            written += len(units)
    return written


def _floor(out: Path, _n: int) -> int:
    """Read every sheet of every workbook with python-calamine and nothing else."""
    from python_calamine import CalamineWorkbook

    count = 0
    for path in sorted(out.rglob("BaoCao_*")):
        try:
            wb = CalamineWorkbook.from_path(str(path))
            for name in wb.sheet_names:
                wb.get_sheet_by_name(name).to_python()
            count += 1
        except Exception:  # noqa: BLE001 - damaged samples are part of the set; skip them here
            continue
    return count


def _workbooks(out: Path, n: int) -> list[Path]:
    files = sorted(p for p in out.rglob("BaoCao_*") if p.suffix in (".xlsx", ".xls", ".ods"))
    return files[:n] if n else files


def _check(out: Path, n: int) -> int:
    """`pcmbn check` over n workbooks in this fresh process (start-up and imports included)."""
    from pcmbn.catalog import load_catalog
    from pcmbn.validation.checker import check_files

    files = _workbooks(out, n)
    check_files(files, load_catalog())
    return len(files)


def _check_warm(out: Path, n: int) -> dict[str, float]:
    """The GE run of a warm `pcmbn check` of n workbooks (issue 13: ≤ 1 s end to end for one):
    read and frame once, one run to warm the suite, then the fastest of five runs."""
    from pcmbn.catalog import load_catalog
    from pcmbn.reading.guard import Limits
    from pcmbn.validation.engine import run_expectations
    from pcmbn.validation.frame import build_frame
    from pcmbn.validation.submission import load_submissions

    catalog = load_catalog()
    files = _workbooks(out, n)
    subs = load_submissions([(i, p, None) for i, p in enumerate(files)], catalog, Limits())
    frame, _ = build_frame(subs, catalog)
    run_expectations(frame, catalog)
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        run_expectations(frame, catalog)
        runs.append(time.perf_counter() - start)
    return {"files": len(files), "wall_s": min(runs)}


def _bomb(out: Path, _n: int) -> int:
    """Refuse a zip bomb declaring 1 GB; only the guard is imported in this process."""
    from pcmbn.reading.guard import Refused, inspect_file

    verdict = inspect_file(out / "bomb.xlsx")
    assert isinstance(verdict, Refused) and verdict.rule == "file.zip_bomb", verdict
    return 1


def _hostile_data(out: Path, _n: int) -> int:
    """Setup: the worst workbooks of `bench.hostile` (not a measured phase)."""
    from bench.hostile import write_cases

    return write_cases(out)


def _hostile(case: str) -> Callable[[Path, int], dict[str, float]]:
    """`pcmbn check` of one hostile file, sandboxed reader included, as in production; timed
    after one ordinary check has paid the imports (the cold cost is the "1 file, cold" row)."""

    def phase(out: Path, _n: int) -> dict[str, float]:
        from bench.hostile import CASES, WARM_UP
        from pcmbn.catalog import load_catalog
        from pcmbn.validation.checker import check_files

        catalog = load_catalog()
        check_files([out / WARM_UP], catalog)
        start = time.perf_counter()
        result = check_files([out / CASES[case][1]], catalog)
        wall = time.perf_counter() - start
        assert result.reports[0].status == "rejected" or case == "widest-allowed", result
        return {"files": 1, "wall_s": wall}

    return phase


def _province(out: Path) -> None:
    """Point the catalog and the working data at the synthetic province under `out`."""
    import os

    os.environ["PCMBN_SCHEMAS"] = str(out / "schemas")
    os.environ["PCMBN_HOME"] = str(out / "home")


def _history(out: Path, n: int) -> int:
    """A synthetic province of `n` units with 12 months of history (setup for `packet`)."""
    from bench.history import write_catalog, write_history

    write_catalog(out, n)
    _province(out)
    from pcmbn.settings import Settings

    store = Settings.from_env().store_path
    store.parent.mkdir(parents=True, exist_ok=True)
    return write_history(store, 12)


def _packet(out: Path, _n: int) -> int:
    """The tổng kết packet over the synthetic year, from the history store (no Prefect)."""
    _province(out)
    from bench.history import PLAN_ID
    from pcmbn.packet.build import build_packet_data, resolve_milestone, span_months
    from pcmbn.packet.bundle import write_packet
    from pcmbn.periods import Period
    from pcmbn.resources import resources_for
    from pcmbn.settings import Settings

    resources = resources_for(Settings.from_env())
    catalog = resources.catalog
    plan = catalog.plan(PLAN_ID)
    milestone = resolve_milestone(plan, "tong_ket", Period.from_code("2026"), labels=catalog.labels)
    months = span_months(plan, milestone)
    data = build_packet_data(resources.store, catalog, plan, milestone, months)
    write_packet(data, resources.layout.packets_dir(plan.id), resources.settings.archive_root)
    return int(data.sources["sha256"].nunique())


def _national_data(out: Path, n: int) -> int:
    """Setup: a registry of `n` units and one month of `n` workbooks (not a measured phase)."""
    from bench.history import write_catalog

    write_catalog(out, n)
    _province(out)
    from bench.national import write_month

    return write_month(out / "inbox", n)


def _national_floor(out: Path, _n: int) -> int:
    return _floor(out / "inbox", 0)


def _national_straightforward(out: Path, n: int) -> int:
    """The straightforward pipeline over the first `n` workbooks of the month."""
    _province(out)
    from bench.national import straightforward

    files = sorted((out / "inbox").rglob("BaoCao_*.xlsx"))[:n]
    return straightforward(files, out)


def _national_project(out: Path, _n: int) -> int:
    """`pcmbn run`'s flow over the whole month, against the running Prefect server; with
    per-phase times and, per month of a year (`BENCH_MONTHS`), wall time and RSS."""
    start = time.perf_counter()
    _province(out)
    from bench.history import PLAN_ID
    from bench.national import PERIOD
    from flows.monthly_aggregation import monthly_aggregation
    from pcmbn.timings import taken

    months = int(os.environ.get("BENCH_MONTHS", "1"))
    files = 0
    per_month = []
    phases: dict[str, float] = {}
    for index in range(months):  # a year: the same month's files again, as further months
        began = time.perf_counter()
        taken(reset=True)
        document = (
            monthly_aggregation(plan=PLAN_ID, period=PERIOD, inbox=str(out / "inbox" / PERIOD))
            if index == 0
            else _another_month(out, index + 1)
        )
        spent = taken(reset=True)
        for name, seconds in spent.items():
            phases[name] = phases.get(name, 0.0) + seconds
        files += sum(document["files"].values())
        per_month.append(
            {
                "month": index + 1,
                "wall_s": time.perf_counter() - began,
                "rss_mb": _rss_now_mb(),
                "peak_rss_mb": _peak_rss_mb(),
                "phases": spent,
            }
        )
        print(json.dumps(per_month[-1]), file=sys.stderr, flush=True)
    return {
        "files": files,
        "wall_s": time.perf_counter() - start,
        "phases": phases,
        "months": per_month,
    }


def _rss_now_mb() -> float:
    """This process's resident memory now (Linux; the peak never goes down, this does)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _peak_rss_mb() -> float:
    return (
        max(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,  # the sandbox's workers
        )
        / 1024
    )


def _another_month(out: Path, month: int) -> dict:
    from bench.history import PLAN_ID
    from bench.national import write_month
    from flows.monthly_aggregation import monthly_aggregation

    period = f"2026-{month:02d}"
    folder = out / "inbox" / period
    if not folder.exists():
        write_month(out / "inbox", len(list((out / "inbox" / "2026-01").glob("*.xlsx"))), period)
    return monthly_aggregation(plan=PLAN_ID, period=period, inbox=str(folder))


PHASES = {
    "national-data": _national_data,
    "national-floor": _national_floor,
    "national-straightforward": _national_straightforward,
    "national-project": _national_project,
    "history": _history,
    "packet": _packet,
    "samples": _samples,
    "templates": _templates,
    "floor": _floor,
    "check": _check,
    "check-warm": _check_warm,
    "bomb": _bomb,
    "hostile-data": _hostile_data,
    **{
        f"hostile-{case}": _hostile(case)
        for case in (
            "far-cell",
            "far-cell-xls",
            "shared-part",
            "xls-records",
            "ods-repeat",
            "ods-cells",
            "widest-allowed",
        )
    },
}


def main() -> None:
    quiet_third_parties()
    phase, out = sys.argv[1], Path(sys.argv[2])
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    start = time.perf_counter()
    files = PHASES[phase](out, n)
    wall = time.perf_counter() - start  # in-process; run.py also times the whole process
    extra: dict = {}
    if isinstance(files, dict):  # a phase that times its own measured part
        extra = {k: v for k, v in files.items() if k not in ("files", "wall_s")}
        files, wall = files["files"], files["wall_s"]
    rss_mb = _peak_rss_mb()
    result = {"phase": phase, "files": files, "wall_s": wall, "peak_rss_mb": rss_mb, **extra}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
