"""Nghệ An 2026 end to end (issue 18 acceptance): the summary shows the targets and the
interagency reconciliation with values, and `pcmbn export-upward` writes a report that
`pcmbn check` accepts under the national plan; wrong arguments answer in Vietnamese."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from cli import run_pcmbn
from openpyxl import load_workbook

PLAN, NATIONAL = "NA-KH-PCMBN-2026", "QG-KH-PCMBN-2026"


def _pcmbn(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_pcmbn(home, *args, columns=250)


@pytest.mark.slow
def test_export_upward_refuses_a_plan_without_a_national_level(tmp_path: Path) -> None:
    seed = _pcmbn(tmp_path, "export-upward", "--plan", "NA-276-KH-UBND-2021", "--period", "2021-07")
    assert seed.returncode == 1
    assert "không có kế hoạch cấp trên nào nhận báo cáo của Nghệ An" in seed.stdout + seed.stderr
    outside = _pcmbn(tmp_path, "export-upward", "--plan", PLAN, "--period", "2027-01")
    assert outside.returncode == 1
    assert "nằm ngoài thời gian thực hiện kế hoạch" in outside.stdout + outside.stderr
    never = _pcmbn(tmp_path, "export-upward", "--plan", PLAN, "--period", "2026-02")
    assert never.returncode == 1
    assert "chưa được tổng hợp" in never.stdout + never.stderr


@pytest.mark.slow
@pytest.mark.timeout(1200)  # 143 units' samples, a Prefect run, three CLI calls
def test_2026_summary_shows_targets_and_reconciliation_and_export_is_accepted(
    tmp_path: Path,
) -> None:
    samples = tmp_path / "samples"
    made = _pcmbn(
        tmp_path, "samples", "--out", str(samples), "--plan", PLAN,
        "--start", "2026-01", "--end", "2026-02",  # samples need two months (fates)
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    inbox = str(samples / PLAN)
    run = _pcmbn(
        tmp_path, "run", "--plan", PLAN, "--inbox", inbox, "--period", "2026-02",
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    summary = tmp_path / "outputs" / PLAN / "2026-02" / f"TongHop_{PLAN}_2026-02.xlsx"
    wb = load_workbook(summary)
    assert {"ChiTieuPhanDau", "DoiChieuLienNganh"} <= set(wb.sheetnames)
    targets = [r for r in wb["ChiTieuPhanDau"].iter_rows(min_row=8, values_only=True) if r[1]]
    verdicts = {r[8] for r in targets if isinstance(r[0], int)}
    assert len([r for r in targets if isinstance(r[0], int)]) == 5
    assert verdicts <= {"Đạt", "Chưa đạt", "Không phát sinh", "Chưa có số liệu"}
    first = next(r for r in targets if r[0] == 1)
    assert first[2] == "đạt từ 100%" and isinstance(first[4], int | float)
    rows = list(wb["DoiChieuLienNganh"].iter_rows(min_row=8, values_only=True))
    compared = [r for r in rows if r[1] in ("Trong kỳ", "Lũy kế từ đầu năm")]
    assert len(compared) == 12  # six rules, this month and the year so far
    assert all(isinstance(r[3], int | float) and isinstance(r[6], int | float) for r in compared)
    assert all(r[10] in ("Khớp", "Chênh lệch — cần đối chiếu") for r in compared)
    exports = tmp_path / "outputs" / PLAN / "2026-02" / "exports"
    assert (exports / "chi_tieu_phan_dau.csv").is_file()
    assert (exports / "doi_chieu_lien_nganh.csv").is_file()

    out = tmp_path / "upward"
    sent = _pcmbn(
        tmp_path, "export-upward", "--plan", PLAN, "--period", "2026-02", "--out", str(out),
        "--format", "json",
    )  # fmt: skip
    assert sent.returncode == 0, sent.stdout + sent.stderr
    document = json.loads(sent.stdout)
    assert document["plan_id"] == NATIONAL and document["unit_code"] == "NGHE_AN"
    assert document["format"] == "pcmbn.bao-cao-len-cap-tren/1"
    assert {t["id"] for t in document["targets"]} >= {"giai_quyet_to_giac", "xet_xu"}
    assert json.loads((out / "BaoCao_NGHE_AN_2026-02.json").read_text(encoding="utf-8")) == (
        document
    )
    checked = _pcmbn(
        tmp_path, "check", str(out / "BaoCao_NGHE_AN_2026-02.xlsx"), "--format", "json",
        "--no-feedback",
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    result = json.loads(checked.stdout)["files"][0]
    assert result["status"] == "accepted", result
    assert result["plan_id"] == NATIONAL and result["unit_code"] == "NGHE_AN"
    errors = [p for p in result["problems"] if p["severity"] == "error"]
    assert errors == []
