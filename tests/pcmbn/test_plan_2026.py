"""Nghệ An under the 2026–2030 programme: the plan, its targets, and indicators valid from a date.

The contract changes over time: the 2026 indicators and the kinds that took over a field of work
in 2025 must appear in today's templates and never in the seeds' (whose bytes `make demo` and
the committed `sample_reports/` depend on).
"""

from __future__ import annotations

import csv
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pcmbn.catalog import load_catalog
from pcmbn.domain import Target, TargetKind
from pcmbn.errors import CatalogError
from pcmbn.periods import CutoffRule, parse_period
from pcmbn.samples import generate_samples
from pcmbn.template_writer import write_templates
from pcmbn.validation.checker import ACCEPTED, REJECTED, check_files

PLAN = "NA-KH-PCMBN-2026"
NEW_CODES = {"TG01", "TG02", "TG03", "DT06", "TX03", "XX03"}
TODAY_KINDS = {"XA", "CA", "BP", "VKS", "TA", "NV", "YT", "VHTTDL", "GDDT", "TP", "KHCN", "MTTQ"}


def _expect_catalog_error(root: Path, *fragments: str) -> None:
    with pytest.raises(CatalogError) as info:
        load_catalog(root)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message


def _edit_plan(root: Path, plan_id: str, **changes: object) -> None:
    path = root / "plans.yaml"
    plans = yaml.safe_load(path.read_text(encoding="utf-8"))
    next(p for p in plans if p["id"] == plan_id).update(changes)
    path.write_text(yaml.safe_dump(plans, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _rewrite_indicators(root: Path, edit: object) -> None:
    path = root / "indicators.csv"
    with path.open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields, rows = list(reader.fieldnames or []), list(reader)
    rows = [row for row in rows if edit(row) is not False]  # type: ignore[operator]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


# --- the plan -----------------------------------------------------------------------------------


def test_the_2026_plan_reports_monthly_on_todays_registry() -> None:
    catalog = load_catalog()
    plan = catalog.plan(PLAN)
    assert plan.registry_name == "units-nghe-an-2025"
    assert (str(plan.span.start), str(plan.span.end)) == ("2026-01", "2026-12")
    assert plan.reporting.cutoff is CutoffRule.ND09_2019
    assert [(m.kind.value, str(m.period)) for m in plan.milestones] == [
        ("so_ket", "2026-H1"),
        ("tong_ket", "2026"),
    ]
    assert any("33/QĐ-TTg" in basis for basis in plan.legal_bases)
    assert any("53/2024/QH15" in basis for basis in plan.legal_bases)
    assert any("162/2025/NĐ-CP" in basis for basis in plan.legal_bases)


def test_every_kind_of_today_has_its_own_task() -> None:
    catalog = load_catalog()
    plan = catalog.plan(PLAN)
    units = catalog.expected_units(plan, parse_period("2026-12"))
    kinds = {unit.kind for unit in units}
    assert kinds >= TODAY_KINDS
    for kind in kinds:
        own = [task for task in plan.tasks_for(kind) if "all" not in task.assigned]
        assert own, kind
    assigned = {kind for task in plan.tasks for kind in task.assigned} - {"all"}
    assert assigned <= kinds  # no task for a kind that no longer reports (LDTBXH, LOCAL)


def test_todays_kinds_report_the_fields_they_took_over() -> None:
    catalog = load_catalog()
    december = parse_period("2026-12")
    owed = {k: {i.code for i in catalog.indicators_for(k, december)} for k in catalog.kinds}
    assert owed["XA"] >= {"TT01", "KT01", "NN01", "NN05", "MH01", "KP01"}
    assert owed["YT"] >= {"NN01", "NN05", "NN06", "NN07"}  # victim support, from Sở LĐTBXH
    assert owed["NV"] >= {"KT01", "KT02", "KT03"}  # labour-export brokers, from Sở LĐTBXH
    assert "TT05" in owed["KHCN"]  # messages to subscribers, from Sở TTTT
    assert owed["CA"] >= {"TG01", "TG02", "TG03", "DT03", "DT06"}
    assert owed["VKS"] >= {"TX01", "TX03"} and owed["TA"] >= {"XX01", "XX03"}


# --- indicator validity ---------------------------------------------------------------------------


def test_2026_indicators_are_absent_before_2026() -> None:
    catalog = load_catalog()
    rule = CutoffRule.ND09_2019
    before = {i.code for i in catalog.indicators_in_force(parse_period("2025-12"), rule)}
    after = {i.code for i in catalog.indicators_in_force(parse_period("2026-01"), rule)}
    assert after - before == NEW_CODES
    assert len(before) == 29
    # a year's summary window overlaps the validity: the indicators belong to the 2026 review
    assert catalog.indicators["TG01"].in_force(parse_period("2026"), rule)
    assert not catalog.indicators["TG01"].applies("CA", parse_period("2025-12"))
    assert catalog.indicators["TG01"].applies("CA", parse_period("2026-01"))


def test_a_kind_reports_from_the_day_it_took_the_work_over() -> None:
    kt01 = load_catalog().indicators["KT01"]
    assert kt01.applies_from["NV"].isoformat() == "2025-03-01"
    # ND 09/2019 windows: 2025-02 ends on 14/02, 2025-03 on 14/03 (the merger is inside it)
    assert not kt01.applies("NV", parse_period("2024-07"))
    assert not kt01.applies("NV", parse_period("2025-02"))
    assert kt01.applies("NV", parse_period("2025-03"))
    assert kt01.applies("NV")  # a stored value: only the kind counts
    assert kt01.dated_for("NV") and not kt01.dated_for("CA")


def test_seed_templates_do_not_see_the_new_contract(schemas_copy: Path, tmp_path: Path) -> None:
    """The seeds' templates are byte-identical with and without today's additions."""

    def seeds_only(row: dict[str, str]) -> bool:
        if row["valid_from"]:
            return False
        kinds = [k.strip() for k in row["applies_to"].split(",")]
        row["applies_to"] = ",".join(
            k for k in kinds if "từ" not in k and k not in {"XA", "YT", "KHCN"}
        )
        return True

    _rewrite_indicators(schemas_copy, seeds_only)
    plans_path = schemas_copy / "plans.yaml"
    plans = yaml.safe_load(plans_path.read_text(encoding="utf-8"))
    plans_path.write_text(  # the national plan (issue 18.6) reads the 2026 indicators too
        yaml.safe_dump(
            [p for p in plans if p["id"] not in {PLAN, "QG-KH-PCMBN-2026"}], allow_unicode=True
        ),
        "utf-8",
    )
    review_path = schemas_copy / "review.yaml"  # reconciliation rules on 2026 indicators go
    review = yaml.safe_load(review_path.read_text(encoding="utf-8"))
    rules = review["reconciliation"]["rules"]
    review["reconciliation"]["rules"] = [
        r for r in rules if not {r["left"]["indicator"], r["right"]["indicator"]} & NEW_CODES
    ]
    review_path.write_text(yaml.safe_dump(review, allow_unicode=True), "utf-8")
    seeds = load_catalog(schemas_copy)
    today = load_catalog()
    assert len(seeds.indicators) == 29
    for plan_id, period in (("NA-276-KH-UBND-2021", "2021-06"), ("ST-KH-30-7-2024", "2024-07")):
        digests = []
        for n, catalog in enumerate((seeds, today)):
            plan = catalog.plan(plan_id)
            month = parse_period(period)
            units = catalog.expected_units(plan, month)
            paths = write_templates(catalog, plan, month, units, tmp_path / f"{plan_id}-{n}")
            digests.append(
                {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(paths)}
            )
        assert digests[0] == digests[1], plan_id
        workbooks = [name for name in digests[0] if name.endswith(".xlsx")]
        assert len(workbooks) == {"NA-276-KH-UBND-2021": 31, "ST-KH-30-7-2024": 26}[plan_id]


def test_wrong_dated_kind_names_file_and_row(schemas_copy: Path) -> None:
    def edit(row: dict[str, str]) -> None:
        if row["code"] == "KT01":
            row["applies_to"] = "CA,NV tu 01/03/2025"

    _rewrite_indicators(schemas_copy, edit)
    _expect_catalog_error(
        schemas_copy, "indicators.csv", "dòng 9 (KT01)", '"NV tu 01/03/2025"', "NV từ 2025-03-01"
    )


def test_validity_ending_before_it_starts_is_refused(schemas_copy: Path) -> None:
    def edit(row: dict[str, str]) -> None:
        if row["code"] == "TG01":
            row["valid_to"] = "2025-12-31"

    _rewrite_indicators(schemas_copy, edit)
    _expect_catalog_error(schemas_copy, "indicators.csv", "(TG01)", "valid_to trước valid_from")


def test_unknown_dated_kind_is_refused(schemas_copy: Path) -> None:
    def edit(row: dict[str, str]) -> None:
        if row["code"] == "KT01":
            row["applies_to"] = "CA,SOLDTBXH từ 2025-03-01"

    _rewrite_indicators(schemas_copy, edit)
    _expect_catalog_error(schemas_copy, "indicators.csv", "(KT01)", "SOLDTBXH")


# --- targets ------------------------------------------------------------------------------------


def test_the_plan_carries_bcd_138_targets() -> None:
    plan = load_catalog().plan(PLAN)
    targets = {t.id: t for t in plan.targets}
    assert {
        tid: (t.numerator, t.denominator, t.comparison, t.threshold) for tid, t in targets.items()
    } == {
        "tiep_nhan_phan_loai": ("TG02", "TG01", ">=", 1.0),
        "giai_quyet_to_giac": ("TG03", "TG01", ">=", 0.9),
        "dieu_tra": ("DT06", "DT03", ">=", 0.9),
        "truy_to": ("TX01", "TX03", ">=", 0.95),
        "xet_xu": ("XX01", "XX03", ">=", 0.9),
    }
    assert all(t.kind is TargetKind.RATIO for t in targets.values())
    assert targets["truy_to"].counts("VKS") and not targets["truy_to"].counts("CA")
    assert "90%" in targets["giai_quyet_to_giac"].label
    assert load_catalog().plan("NA-276-KH-UBND-2021").targets == ()


def test_target_values_and_verdicts() -> None:
    ratio = Target(
        id="giai_quyet",
        label="Giải quyết trên 90% tố giác, tin báo",
        kind="ratio",
        numerator="TG03",
        denominator="TG01",
        threshold=0.9,
    )
    assert ratio.value({"TG03": 9, "TG01": 10}) == pytest.approx(0.9)
    assert ratio.met(ratio.value({"TG03": 9, "TG01": 10})) is True  # 9/10 meets "≥ 90%"
    assert ratio.met(ratio.value({"TG03": 8, "TG01": 10})) is False
    assert ratio.value({"TG03": 0, "TG01": 0}) is None  # nothing received: not "100%"
    assert ratio.met(None) is None
    count = Target(
        id="tuyen_truyen",
        label="Tổ chức ít nhất 500 buổi tuyên truyền",
        kind="count",
        indicator="TT01",
        threshold=500,
        kinds=["XA"],
    )
    assert count.codes == ("TT01",)
    assert count.met(count.value({"TT01": 512})) is True
    assert count.counts("XA") and not count.counts("CA")


@pytest.mark.parametrize(
    ("target", "fragments"),
    [
        (
            {"numerator": "TG99"},
            ['không có chỉ tiêu "TG99"', "chỉ tiêu phấn đấu giai_quyet_to_giac"],
        ),
        ({"threshold": 90}, ["targets.1", "trong khoảng 0 đến 1"]),
        ({"kinds": ["XA"]}, ["TG03 không áp dụng cho loại đơn vị nào được tính (XA)"]),
        ({"kinds": ["XYZ"]}, ["loại đơn vị XYZ"]),
        ({"indicator": "TT01"}, ["targets.1", "không có indicator"]),
    ],
)
def test_wrong_target_names_file_plan_and_target(
    schemas_copy: Path, target: dict[str, object], fragments: list[str]
) -> None:
    plans = yaml.safe_load((schemas_copy / "plans.yaml").read_text(encoding="utf-8"))
    targets = next(p for p in plans if p["id"] == PLAN)["targets"]
    targets[1].update(target)
    _edit_plan(schemas_copy, PLAN, targets=targets)
    _expect_catalog_error(schemas_copy, "plans.yaml", PLAN, *fragments)


def test_target_on_an_indicator_not_yet_in_force_is_refused(schemas_copy: Path) -> None:
    _edit_plan(
        schemas_copy,
        "ST-KH-30-7-2024",
        targets=[
            {
                "id": "giai_quyet",
                "label": "Giải quyết trên 90% tố giác, tin báo",
                "kind": "ratio",
                "numerator": "TG03",
                "denominator": "TG01",
                "threshold": 0.9,
            }
        ],
    )
    _expect_catalog_error(schemas_copy, "plans.yaml", "TG03 không còn hiệu lực trong kỳ 2024-12")


# --- the 2026 year end to end -------------------------------------------------------------------


@pytest.mark.slow
def test_all_unit_templates_for_december_2026(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pcmbn", "template", "--plan", PLAN, "--period", "2026-12"]
        + ["--all-units", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert result.returncode == 0, result.stderr
    workbooks = sorted(tmp_path.glob("*.xlsx"))
    assert len(workbooks) == 143  # 13 provincial units + 130 communes and wards
    assert len(list(tmp_path.glob("*.zip"))) == 1
    assert (tmp_path / "BaoCao_XA_ANH_SON_2026-12.xlsx").exists()


@pytest.mark.slow
def test_two_months_of_2026_samples_pass_check(tmp_path: Path) -> None:
    catalog = load_catalog()
    samples = generate_samples(
        catalog,
        tmp_path,
        plan_ids=[PLAN],
        seed=2026,
        start=parse_period("2026-01"),
        end=parse_period("2026-02"),
    )
    assert 250 < len(samples.files) < 300  # 143 units a month, a few missing, corrections
    result = check_files([samples.root / f.relpath for f in samples.files], catalog)
    by_name = {r.submission.path.name: r for r in result.reports}
    verdicts = {}
    for sample in samples.files:
        report = by_name[Path(sample.relpath).name]
        wanted = REJECTED if sample.expected == "rejected" else ACCEPTED
        verdicts[sample.relpath] = (report.status, wanted, [p.rule for p in report.problems])
    wrong = {k: v for k, v in verdicts.items() if v[0] != v[1]}
    assert not wrong
    clean = [r for r in result.reports if not r.problems]
    assert len(clean) > 0.9 * len(result.reports)

    # the 2026 contract is in the files: the police report tips, communes do not
    def accepted(unit: str) -> list[set[str]]:
        return [
            {code for code, v in r.values().items() if v["period"] is not None}
            for r in result.reports
            if f"_{unit}_" in r.submission.path.name and r.status == ACCEPTED and not r.problems
        ]

    assert all(NEW_CODES - {"TX03", "XX03"} <= codes for codes in accepted("CA_TINH"))
    assert all("TX03" in codes for codes in accepted("VKS_TINH"))
    communes = accepted("XA_ANH_SON") + accepted("PHUONG_VINH_HUNG")
    assert communes and not any(NEW_CODES & codes for codes in communes)
