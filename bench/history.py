"""A synthetic province for benchmarks: a catalog with N units and a history of M months.

After the 2025 reorganisation a province has 100–170 reporting units (departments and
communes). Generating and validating that many workbooks per month is measured elsewhere; the
packet benchmark needs only the history store, so it is written directly here through the
same `HistoryStore.record_run` the monthly flow uses (archive paths are placeholders).
"""

from __future__ import annotations

import csv
import hashlib
import random
import shutil
from datetime import UTC, datetime
from pathlib import Path

import yaml

from pcmbn.settings import PROJECT_ROOT

PLAN_ID = "BENCH-2026"
DEPARTMENTS = ("CA", "BP", "LDTBXH", "TP", "VKS", "TA", "PN", "TTTT", "VHTTDL", "GDDT")


def write_catalog(out: Path, units: int) -> Path:
    """Copy `schemas/`, add a registry of `units` units and a 2026 plan using it."""
    root = out / "schemas"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(PROJECT_ROOT / "schemas", root)
    with (root / "units" / "units-bench.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "name", "kind", "level", "valid_from", "valid_to", "email"])
        for i, kind in enumerate(DEPARTMENTS[: min(units, len(DEPARTMENTS))]):
            writer.writerow(
                [f"{kind}_TINH", f"Sở/ngành {kind}", kind, "province_department", "2025-07-01"]
                + ["", f"u{i}@bench.example.org"]
            )
        for i in range(max(0, units - len(DEPARTMENTS))):
            writer.writerow(
                [f"XA_{i:03d}", f"UBND xã số {i + 1}", "LOCAL", "commune", "2025-07-01", ""]
                + [f"xa{i}@bench.example.org"]
            )
    plans = yaml.safe_load((root / "plans.yaml").read_text(encoding="utf-8"))
    base = next(p for p in plans if p["id"] == "ST-KH-30-7-2024")
    plans.append(
        {
            **base,
            "id": PLAN_ID,
            "title": "Kế hoạch thực hiện Chương trình phòng, chống mua bán người năm 2026",
            "number": "01/KH-BCĐ",
            "issued": "2026-01-05",
            "units": "units-bench.csv",
            "span": {"start": "2026-01", "end": "2026-12"},
            "campaigns": [{"name": "Cao điểm 2026", "start": "2026-07-01", "end": "2026-09-30"}],
            "milestones": [{"kind": "tong_ket", "period": "2026", "name": "Tổng kết năm 2026"}],
        }
    )
    (root / "plans.yaml").write_text(
        yaml.safe_dump(plans, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return root


def write_history(store_path: Path, months: int, seed: int = 2026) -> int:
    """`months` months of one accepted submission per expected unit; returns submissions."""
    from pcmbn.catalog import load_catalog
    from pcmbn.periods import Period
    from pcmbn.store.history import HistoryStore, RunRecord, SubmissionRecord

    rng = random.Random(seed)
    catalog = load_catalog()
    plan = catalog.plan(PLAN_ID)
    store = HistoryStore(store_path)
    count = 0
    for index in range(1, months + 1):
        period = Period.month(2026, index)
        records = []
        for unit in catalog.expected_units(plan, period):
            sha = hashlib.sha256(f"{unit.code}|{period.code}".encode()).hexdigest()
            values = [
                {
                    "indicator": ind.code,
                    "period_value": float(rng.randint(0, 9)),
                    "cumulative": None,
                    "sheet": "ChiTieu",
                    "period_cell": f"E{10 + row}",
                    "cumulative_cell": f"F{10 + row}",
                }
                for row, ind in enumerate(
                    catalog.indicators_for(unit.kind, period, plan.reporting.cutoff)
                )
            ]
            tasks = [
                {
                    "task_code": task.code,
                    "status": rng.choice(["Đang triển khai", "Hoàn thành", "Chưa triển khai"]),
                    "result": f"Kết quả tháng {index} của {unit.name}.",
                    "difficulty": None,
                    "cell": "C5",
                }
                for task in plan.tasks_for(unit.kind)
            ]
            narratives = [
                {"kind": "difficulties", "text": "Kinh phí còn hạn chế.", "sheet": "KienNghi"}
                | {"cell": "B3"},
                {"kind": "proposals", "text": f"Đề nghị tập huấn cho {unit.name}."}
                | {"sheet": "KienNghi", "cell": "B4"},
            ]
            records.append(
                SubmissionRecord(
                    sha256=sha,
                    original_name=f"BaoCao_{unit.code}_{period.code}.xlsx",
                    received_at=datetime(2026, index, 16, 8, tzinfo=UTC),
                    archive_path=f"/archive/{sha[:2]}/{sha}.xlsx",
                    size=20_000,
                    status="accepted",
                    plan_id=plan.id,
                    period=period.code,
                    unit_code=unit.code,
                    values=values,
                    tasks=tasks,
                    narratives=narratives,
                )
            )
        store.record_run(
            RunRecord(
                f"bench-{period.code}",
                plan.id,
                period.code,
                None,
                datetime(2026, index, 18, tzinfo=UTC),
                records,
            )
        )
        count += len(records)
    return count
