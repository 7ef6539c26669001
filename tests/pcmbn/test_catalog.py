"""Catalog loading: the real schemas load, and each kind of hand-editing mistake is named."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from pcmbn.catalog import load_catalog
from pcmbn.domain import Aggregation, MilestoneKind, ValueType
from pcmbn.errors import CatalogError, PcmbnError
from pcmbn.periods import parse_period
from pcmbn.vocabulary import AuditAction, Completeness, Severity, SubmissionStatus

NA = "NA-276-KH-UBND-2021"
ST = "ST-KH-30-7-2024"


def _edit_csv(path: Path, key: str, **changes: str) -> None:
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    fields = list(rows[0])
    for row in rows:
        if row["code"] == key:
            row.update(changes)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _append_csv(path: Path, row: dict[str, str]) -> None:
    fields = next(csv.reader(path.open(encoding="utf-8")))
    with path.open("a", encoding="utf-8", newline="") as handle:
        csv.DictWriter(handle, fieldnames=fields, lineterminator="\n").writerow(row)


def test_project_catalog_loads_with_spec_content() -> None:
    catalog = load_catalog()
    assert len(catalog.indicators) == 35  # 29 of the seeds, 6 from the 2026–2030 programme
    assert len(catalog.indicators_in_force(parse_period("2024-07"))) == 29
    assert catalog.indicators["MH01"].aggregation is Aggregation.LAST
    assert catalog.indicators["KP01"].value_type is ValueType.DECIMAL
    assert catalog.children("NN01") == ["NN02", "NN03"]
    assert catalog.children("NN05") == ["NN07"]
    assert set(catalog.plans) == {NA, ST, "NA-KH-PCMBN-2026", "QG-KH-PCMBN-2026"}
    assert catalog.template.version == 1
    assert catalog.rule("value.child_exceeds_parent").severity == "error"
    assert catalog.rule("value.not_applicable").severity == "warning"


def test_both_provinces_have_their_own_ca_tinh() -> None:
    catalog = load_catalog()
    na = catalog.registry(catalog.plan(NA)).get("CA_TINH")
    st = catalog.registry(catalog.plan(ST)).get("CA_TINH")
    assert na is not None and st is not None
    assert na.valid_to is None
    assert st.valid_to is not None and st.valid_to.isoformat() == "2025-06-30"
    assert st.email and st.email.endswith("soc-trang.example.org")


def test_plan_tasks_are_assigned_by_unit_kind() -> None:
    plan = load_catalog().plan(ST)
    assert [t.code for t in plan.tasks_for("CA")] == ["1", "2"]
    assert [t.code for t in plan.tasks_for("LOCAL")] == ["1", "15"]
    na = load_catalog().plan(NA)
    assert [t.code for t in na.tasks_for("VKS")] == ["b", "đ", "e", "i"]  # issue 12.16: đ, not "dd"


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("2021-07", 31),  # every unit of the 2021 registry
        ("2025-01", 31),  # Cửa Lò ended 31/12/2024, inside the 15/12–14/01 window: still owes it
        ("2025-02", 30),  # ... and is no longer expected after that
        ("2025-03", 30),  # LĐTBXH, TTTT end 28/02/2025 but still owe the 15/02–14/03 report
        ("2025-04", 28),  # the merged departments no longer report
        ("2025-07", 28),  # districts end 30/06/2025, inside the 15/06–14/07 window
        ("2025-08", 8),  # district level abolished: only provincial departments remain
    ],
)
def test_expected_units_follow_validity_dates(period: str, expected: int) -> None:
    catalog = load_catalog()
    plan = catalog.plan(NA)
    units = catalog.registry(plan).expected(plan, parse_period(period))
    active_districts = [u for u in units if u.level == "district"]
    assert len(units) == expected
    if period >= "2025-08":
        assert active_districts == []


def test_unknown_plan_lists_known_plans() -> None:
    with pytest.raises(PcmbnError) as info:
        load_catalog().plan("KH-KHONG-CO")
    assert "KH-KHONG-CO" in str(info.value)
    assert NA in str(info.value)


def test_pcmbn_schemas_points_at_another_catalog(
    schemas_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Adding an indicator and a province is a data change only."""
    _append_csv(
        schemas_copy / "indicators.csv",
        {
            "code": "TT06",
            "group": "Tuyên truyền",
            "name": "Số buổi tuyên truyền trên mạng xã hội",
            "unit_of_measure": "buổi",
            "value_type": "integer",
            "applies_to": "all",
            "aggregation": "sum",
            "parent": "",
            "note": "",
        },
    )
    (schemas_copy / "units" / "units-can-tho-2026.csv").write_text(
        "code,name,kind,level,valid_from,valid_to,phone\n"
        "CA_TP,Công an thành phố Cần Thơ,CA,province_department,2025-07-01,,0292 000000\n"
        "UBND_P_NINH_KIEU,Ủy ban nhân dân phường Ninh Kiều,LOCAL,commune,2025-07-01,,\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("PCMBN_SCHEMAS", str(schemas_copy))
    catalog = load_catalog()
    assert catalog.root == schemas_copy.resolve()
    assert "TT06" in catalog.indicators
    registry = catalog.registries["units-can-tho-2026"]
    assert registry.units["CA_TP"].extra == {"phone": "0292 000000"}
    assert registry.units["UBND_P_NINH_KIEU"].level == "commune"


def _expect_catalog_error(root: Path, *fragments: str) -> None:
    with pytest.raises(CatalogError) as info:
        load_catalog(root)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message


def test_unknown_kind_in_indicator_names_file_and_row(schemas_copy: Path) -> None:
    _edit_csv(schemas_copy / "indicators.csv", "DT01", applies_to="CA,XYZ")
    _expect_catalog_error(schemas_copy, "indicators.csv", "dòng 12 (DT01)", "XYZ")


def test_bad_value_type_names_field(schemas_copy: Path) -> None:
    _edit_csv(schemas_copy / "indicators.csv", "KP01", value_type="money")
    _expect_catalog_error(schemas_copy, "indicators.csv", "(KP01)", "value_type", "money")


def test_missing_parent_is_named(schemas_copy: Path) -> None:
    _edit_csv(schemas_copy / "indicators.csv", "NN02", parent="NN99")
    _expect_catalog_error(schemas_copy, "indicators.csv", "NN02", "NN99")


def test_duplicate_indicator_code(schemas_copy: Path) -> None:
    _edit_csv(schemas_copy / "indicators.csv", "TT02", code="TT01")
    _expect_catalog_error(schemas_copy, "indicators.csv", "dòng 3 (TT01)", "trùng")


def test_unit_dates_out_of_order(schemas_copy: Path) -> None:
    path = schemas_copy / "units" / "units-nghe-an-2021.csv"
    _edit_csv(path, "SO_TP", valid_to="2019-01-01")
    _expect_catalog_error(schemas_copy, "units-nghe-an-2021.csv", "SO_TP")


def test_duplicate_unit_code_in_one_registry(schemas_copy: Path) -> None:
    path = schemas_copy / "units" / "units-soc-trang-2024.csv"
    _edit_csv(path, "BAO_ST", code="DAI_PTTH")
    _expect_catalog_error(schemas_copy, "units-soc-trang-2024.csv", "DAI_PTTH", "trùng")


def test_plan_naming_a_missing_registry(schemas_copy: Path) -> None:
    path = schemas_copy / "plans.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("units-soc-trang-2024.csv", "units-x.csv"),
        encoding="utf-8",
    )
    _expect_catalog_error(schemas_copy, "plans.yaml", ST, "units-x.csv")


def test_bad_milestone_period_in_plan(schemas_copy: Path) -> None:
    path = schemas_copy / "plans.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("period: 2021-11,", 'period: "Tháng 13/2021",'),
        encoding="utf-8",
    )
    _expect_catalog_error(schemas_copy, "plans.yaml", NA, "Tháng 13/2021")


@pytest.mark.parametrize(
    ("start", "words"),
    [
        ("2023-12", ["2023-12", "ngoài thời gian thực hiện"]),  # before the plan began
        ("2024-10", ["start", "sau kỳ kết thúc"]),  # after the milestone's own end
    ],
)
def test_a_milestone_start_outside_its_plan_or_after_its_end_is_named(
    schemas_copy: Path, start: str, words: list[str]
) -> None:
    """Issue 12, item 19: a milestone's own span is catalog data, checked on loading."""
    path = schemas_copy / "plans.yaml"
    text = path.read_text(encoding="utf-8")
    assert "period: 2024-09, start: 2024-07," in text
    path.write_text(
        text.replace("period: 2024-09, start: 2024-07,", f"period: 2024-09, start: {start},"),
        encoding="utf-8",
    )
    _expect_catalog_error(schemas_copy, "plans.yaml", ST, *words)


def test_broken_yaml_reports_line(schemas_copy: Path) -> None:
    (schemas_copy / "rules.yaml").write_text("a: [unclosed\n", encoding="utf-8")
    _expect_catalog_error(schemas_copy, "rules.yaml", "dòng")


def test_nfd_and_bom_in_hand_edited_csv_are_normalised(schemas_copy: Path) -> None:
    import unicodedata

    path = schemas_copy / "indicators.csv"
    text = unicodedata.normalize("NFD", path.read_text(encoding="utf-8"))
    path.write_text("\ufeff" + text, encoding="utf-8")
    catalog = load_catalog(schemas_copy)
    assert catalog.indicators["TT01"].group == "Tuyên truyền"


# --- labels, groups and the summary's charts (issue 11: one vocabulary) --------------------------


def test_every_status_has_its_label_from_labels_yaml() -> None:
    labels = load_catalog().labels
    assert labels.completeness == {
        Completeness.ON_TIME: "Đúng hạn",
        Completeness.LATE: "Muộn",
        Completeness.MISSING: "Chưa gửi",
        Completeness.REJECTED: "Bị từ chối",
        Completeness.RETURNED: "Bị trả lại",  # issue 14: returned to the unit by the office
    }
    assert labels.severity == {Severity.ERROR: "Lỗi", Severity.WARNING: "Cảnh báo"}
    assert set(labels.submission) == set(SubmissionStatus)
    assert set(labels.audit_actions) == set(AuditAction)
    assert labels.action("approve") == "Phê duyệt"
    assert labels.action("future_action") == "future_action"
    assert labels.milestones[MilestoneKind.SO_KET].in_sentence == "sơ kết"


def test_groups_come_from_unit_kinds_in_order() -> None:
    catalog = load_catalog()
    assert catalog.groups == {
        "province_department": "Sở, ban, ngành tỉnh",
        "local_government": "UBND địa phương",
    }
    assert "groups" not in catalog.kinds
    assert {kind.group for kind in catalog.kinds.values()} <= set(catalog.groups)


def test_summary_yaml_names_key_indicators_and_line_charts() -> None:
    summary = load_catalog().summary
    assert summary.key_indicators == ("DT01", "NN01", "NN02", "TT01", "TT02")
    assert summary.line_charts == {"TT01", "TT02"}


def test_template_gives_one_label_per_column() -> None:
    template = load_catalog().template
    assert template.value_label("period") == "Kỳ này"
    assert template.value_label("cumulative") == "Lũy kế từ đầu năm"
    assert template.narrative_label("proposals") == "Đề xuất, kiến nghị"
    assert load_catalog().not_started_status() == "Chưa triển khai"


def _edit_yaml(path: Path, edit: Callable[[Any], None]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "edit", "fragments"),
    [
        (
            "labels.yaml",
            lambda d: d["completeness"].pop("late"),
            ("labels.yaml", "mục completeness", 'thiếu nhãn cho "late"'),
        ),
        (
            "labels.yaml",
            lambda d: d["severity"].update(fatal="Nghiêm trọng"),
            ("labels.yaml", "mục severity", 'khóa "fatal" không hợp lệ', "error, warning"),
        ),
        (
            "labels.yaml",
            lambda d: d.pop("audit_actions"),
            ("labels.yaml", 'thiếu mục "audit_actions"'),
        ),
        (
            "unit_kinds.yaml",
            lambda d: d.pop("groups"),
            ("unit_kinds.yaml", 'thiếu mục "groups"'),
        ),
        (
            "unit_kinds.yaml",
            lambda d: d["groups"].pop("local_government"),
            ("unit_kinds.yaml", "mục LOCAL", 'nhóm "local_government"', "province_department"),
        ),
        (
            "unit_kinds.yaml",
            lambda d: d["groups"].update(local_government=""),
            ("unit_kinds.yaml", 'nhóm "local_government" chưa có tên nhóm'),
        ),
        (
            "summary.yaml",
            lambda d: d["key_indicators"].append("ZZ99"),
            ("summary.yaml", "mục key_indicators", 'không có chỉ tiêu "ZZ99"'),
        ),
        (
            "summary.yaml",
            lambda d: d.update(line_charts=["TT01", "QQ01"]),
            ("summary.yaml", "mục line_charts", 'không có chỉ tiêu "QQ01"'),
        ),
        (
            "template.yaml",
            lambda d: d["task_statuses"].pop(0),
            ("template.yaml", "mục task_statuses", 'thiếu khóa "not_started"'),
        ),
        (
            "rules.yaml",
            lambda d: d.pop("value.outlier"),
            ("rules.yaml", 'thiếu quy tắc kiểm tra "value.outlier"'),
        ),
    ],
    ids=[
        "missing-label",
        "unknown-severity",
        "missing-section",
        "no-groups",
        "kind-in-unknown-group",
        "empty-group-label",
        "unknown-key-indicator",
        "unknown-line-chart",
        "no-not-started-status",
        "rule-the-code-uses",
    ],
)
def test_vocabulary_mistakes_are_named(
    schemas_copy: Path,
    file: str,
    edit: Callable[[Any], None],
    fragments: tuple[str, ...],
) -> None:
    _edit_yaml(schemas_copy / file, edit)
    _expect_catalog_error(schemas_copy, *fragments)


def test_renamed_not_started_status_keeps_the_shading(schemas_copy: Path) -> None:
    """A province that renames "Chưa triển khai" still gets it from the catalog, not from code."""

    def rename(data: Any) -> None:
        data["task_statuses"][0]["label"] = "Chưa thực hiện"

    _edit_yaml(schemas_copy / "template.yaml", rename)
    assert load_catalog(schemas_copy).not_started_status() == "Chưa thực hiện"
