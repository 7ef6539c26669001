"""A test-only plan spanning the 2025 reform for Nghệ An (issue 18), added to a copy of schemas/.

Not a real plan (no province issued one plan for January 2025 to June 2026): it joins the two
Nghệ An registries, the districts of `units-nghe-an-2021` until 30/06/2025 and the communes of
`units-nghe-an-2025` from 01/07/2025, so one plan's history holds both sides of the reform and
the comparisons by unit can be tested through the real summary code.
"""

from __future__ import annotations

import shutil
from pathlib import Path

PLAN_ID = "NA-THU-NGHIEM-CAI-CACH-2025"

PLAN_YAML = f"""
- id: {PLAN_ID}
  title: "Kế hoạch thử nghiệm qua sắp xếp đơn vị hành chính 2025 (chỉ dùng trong kiểm thử)"
  province: Nghệ An
  units: [units-nghe-an-2021.csv, units-nghe-an-2025.csv]
  span: {{start: 2025-01, end: 2026-06}}
  reporting: {{frequency: monthly, cutoff: nd09-2019, due_days_after_cutoff: 3}}
  tasks:
    - {{code: "1", text: "Tuyên truyền phòng, chống mua bán người", assigned: [all]}}
    - {{code: "2", text: "UBND cấp huyện: nắm tình hình người đi khỏi địa phương",
        assigned: [LOCAL]}}
    - {{code: "3", text: "UBND cấp xã: nắm tình hình người đi khỏi địa phương",
        assigned: [XA]}}
"""


def reform_schemas(project_root: Path, target: Path) -> Path:
    """A copy of `schemas/` under `target` with the test-only plan appended to plans.yaml."""
    schemas = target / "schemas"
    shutil.copytree(project_root / "schemas", schemas)
    with (schemas / "plans.yaml").open("a", encoding="utf-8") as handle:
        handle.write(PLAN_YAML)
    return schemas
