"""Sample generator: deterministic, plausible, consistent, and carrying every listed quirk."""

from __future__ import annotations

import csv
import hashlib
import random
from datetime import datetime
from pathlib import Path

import pytest
from cli import run_pcmbn
from python_calamine import CalamineWorkbook

from pcmbn.catalog import load_catalog
from pcmbn.domain import Aggregation
from pcmbn.periods import Period, due_date, months_between, parse_period
from pcmbn.sample_values import yearly_series
from pcmbn.samples import QUIRKS, RECEIVED_LOG, SampleSet, generate_samples, read_manifests

NA = "NA-276-KH-UBND-2021"
ST = "ST-KH-30-7-2024"


def _generate(out: Path, seed: int = 7) -> SampleSet:
    return generate_samples(
        load_catalog(),
        out,
        plan_ids=[NA],
        seed=seed,
        start=parse_period("2021-06"),
        end=parse_period("2021-07"),
    )


@pytest.fixture(scope="module")
def two_months(tmp_path_factory: pytest.TempPathFactory) -> SampleSet:
    return _generate(tmp_path_factory.mktemp("samples"))


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.slow
def test_same_seed_same_bytes_other_seed_other_bytes(two_months: SampleSet, tmp_path: Path) -> None:
    again = _generate(tmp_path / "again")
    assert _digests(two_months.root) == _digests(again.root)
    other = _generate(tmp_path / "other", seed=8)
    assert _digests(two_months.root) != _digests(other.root)


def test_every_quirk_once_and_described(two_months: SampleSet) -> None:
    notes = [f.note for f in two_months.files]
    readme = (two_months.root / "README.md").read_text(encoding="utf-8")
    for quirk in QUIRKS:
        assert notes.count(quirk.description) == 1, quirk.key
        assert quirk.description in readme
    corrections = [f for f in two_months.files if "ban sua" in f.relpath]
    assert len(corrections) == 2


def test_a_few_late_and_missing(two_months: SampleSet) -> None:
    assert 0 < sum(f.late for f in two_months.files) < len(two_months.files) / 4
    assert len(two_months.missing) < 10


def test_reception_log_matches_files(two_months: SampleSet) -> None:
    plan = load_catalog().plan(NA)
    for month in ("2021-06", "2021-07"):
        folder = two_months.root / NA / month
        with (folder / RECEIVED_LOG).open(encoding="utf-8") as handle:
            log = list(csv.DictReader(handle))
        on_disk = {p.name for p in folder.iterdir() if p.name != RECEIVED_LOG}
        assert {row["file"] for row in log} == on_disk
        due = due_date(parse_period(month), plan.reporting.cutoff)
        by_name = {
            Path(f.relpath).name: f
            for f in two_months.files
            if f.relpath.startswith(f"{NA}/{month}/")
        }
        for row in log:
            received = datetime.fromisoformat(row["received_at"])
            assert received.utcoffset() is not None
            assert (received.date() > due) == by_name[row["file"]].late


def test_readable_quirks_open_as_workbooks_and_hostile_ones_do_not(two_months: SampleSet) -> None:
    by_note = {f.note: two_months.root / f.relpath for f in two_months.files}
    for quirk in QUIRKS:
        path = by_note[quirk.description]
        if quirk.key in {"encrypted", "not_a_workbook", "truncated_zip"}:
            with pytest.raises(Exception):  # noqa: B017 - any library error: the reader's job
                CalamineWorkbook.from_path(str(path)).get_sheet_by_name("ChiTieu").to_python()
        else:
            rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("ChiTieu").to_python()
            assert len(rows) > 30, quirk.key
    assert by_note[next(q.description for q in QUIRKS if q.key == "legacy_xls")].suffix == ".xls"
    assert by_note[next(q.description for q in QUIRKS if q.key == "ods")].suffix == ".ods"


def test_ordinary_file_holds_the_simulated_figures(two_months: SampleSet) -> None:
    ordinary = next(f for f in two_months.files if not f.note and f.unit_code == "CA_TINH")
    rows = (
        CalamineWorkbook.from_path(str(two_months.root / ordinary.relpath))
        .get_sheet_by_name("ChiTieu")
        .to_python()
    )
    values = {
        row[1]: (row[4], row[5])
        for row in rows
        if isinstance(row[1], str) and len(row[1]) == 4 and row[1][:2].isalpha()
    }
    catalog = load_catalog()
    plan = catalog.plan(NA)
    unit = catalog.registry(plan).units["CA_TINH"]
    months = months_between(Period.month(2021, 1), plan.span.end.last_month)
    series = yearly_series(
        catalog,
        unit,
        months,
        rng=random.Random(f"7:{NA}:CA_TINH"),
        province=plan.province,
        campaign_months=set(),
    )
    period_values, cumulative = series[ordinary.period]
    for code in period_values:
        assert values[code] == (
            pytest.approx(period_values[code]),
            pytest.approx(cumulative[code]),
        ), code


def _series(plan_id: str, unit_code: str, seed: int) -> dict[str, tuple[dict, dict]]:
    catalog = load_catalog()
    plan = catalog.plan(plan_id)
    unit = catalog.registry(plan).units[unit_code]
    months = months_between(Period.month(plan.span.start.year, 1), plan.span.end.last_month)
    campaign = {"2024-07", "2024-08", "2024-09"} if plan_id == ST else set()
    return yearly_series(
        catalog,
        unit,
        months,
        rng=random.Random(seed),
        province=plan.province,
        campaign_months=campaign,
    )


@pytest.mark.parametrize("unit_code", ["CA_TINH", "UBND_H_KY_SON", "SO_LDTBXH", "TA_TINH"])
def test_cumulatives_consistent_and_children_within_parents(unit_code: str) -> None:
    catalog = load_catalog()
    for seed in range(5):
        series = _series(NA, unit_code, seed)
        previous: dict[str, float] = {}
        for month_code, (period_values, cumulative) in series.items():
            if month_code.endswith("-01"):
                previous = {}
            for code, value in period_values.items():
                ind = catalog.indicators[code]
                assert value >= 0
                if ind.aggregation is Aggregation.LAST:
                    assert cumulative[code] == value
                else:
                    assert cumulative[code] == pytest.approx(previous.get(code, 0) + value)
                if ind.parent and ind.parent in period_values:
                    assert value <= period_values[ind.parent], (month_code, code)
                    assert cumulative[code] <= cumulative[ind.parent]
            previous = dict(cumulative)


def test_magnitudes_are_plausible_for_a_hot_spot_province() -> None:
    catalog = load_catalog()
    plan = catalog.plan(NA)
    months = [m.code for m in months_between(parse_period("2021-05"), parse_period("2021-10"))]
    cases, zero_months, unit_months = 0, 0, 0
    for unit in catalog.registry(plan).units.values():
        series = _series(NA, unit.code, seed=2024)
        for month in months:
            value = series[month][0].get("DT01")
            if value is None:
                continue
            cases += value
            unit_months += 1
            zero_months += value == 0
    assert 3 <= cases <= 40  # Nghệ An, 6 months of 2020: 14 cases
    assert zero_months / unit_months >= 0.5  # most units report 0 cases in most months


def test_peak_campaign_is_visibly_busier() -> None:
    catalog = load_catalog()
    plan = catalog.plan(ST)
    totals: dict[str, int] = {}
    for unit in catalog.registry(plan).units.values():
        for month, (values, _) in _series(ST, unit.code, seed=11).items():
            totals[month] = totals.get(month, 0) + int(values["TT01"])
    campaign = [totals[m] for m in ("2024-07", "2024-08", "2024-09")]
    others = [v for m, v in totals.items() if m not in ("2024-07", "2024-08", "2024-09")]
    assert min(campaign) > 1.5 * (sum(others) / len(others))


def test_manifest_lists_every_file_and_missing_unit(two_months: SampleSet) -> None:
    rows = read_manifests(two_months.root)
    files = [r for r in rows if r["file"]]
    assert sorted(r["file"] for r in files) == sorted(f.relpath for f in two_months.files)
    assert all((two_months.root / r["file"]).is_file() for r in files)
    missing = {(r["period"], r["unit_code"]) for r in rows if r["expected"] == "missing"}
    assert missing == {(period, unit) for _, period, unit in two_months.missing}
    by_file = {r["file"]: r for r in files}
    rejected = [f for f in two_months.files if f.expected == "rejected"]
    assert rejected and all(by_file[f.relpath]["expected"] == "rejected" for f in rejected)


def test_committed_samples_are_what_the_command_makes(tmp_path: Path) -> None:
    """`sample_reports/` is generated, never hand-edited: regenerating gives the same bytes."""
    from pcmbn.settings import PROJECT_ROOT

    committed = PROJECT_ROOT / "sample_reports"
    generate_samples(
        load_catalog(),
        tmp_path,
        plan_ids=[ST],
        seed=2024,
        start=parse_period("2024-07"),
        end=parse_period("2024-09"),
    )
    fresh = {k: v for k, v in _digests(tmp_path).items() if k.startswith(ST)}
    kept = {k: v for k, v in _digests(committed).items() if k.startswith(ST)}
    assert fresh == kept


@pytest.mark.parametrize(
    ("month", "with_wrong_period"),
    [("2021-08", True), ("2021-05", False)],  # 2021-05 opens the plan: no earlier month to send
)
def test_samples_for_a_single_month_from_the_command_line(
    tmp_path: Path, month: str, with_wrong_period: bool
) -> None:
    """One month is a normal request (`--start M --end M`): every quirk that fits lands in it."""
    out = tmp_path / "mau"
    result = run_pcmbn(
        tmp_path / "home",
        "samples",
        "--out",
        str(out),
        "--plan",
        NA,
        "--start",
        month,
        "--end",
        month,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "tệp báo cáo mẫu" in result.stdout
    rows = read_manifests(out)
    assert {r["period"] for r in rows} <= {month, parse_period(month).previous().code}
    notes = [r["note"] for r in rows]
    for quirk in QUIRKS:
        expected = 0 if quirk.key == "wrong_period" and not with_wrong_period else 1
        assert notes.count(quirk.description) == expected, quirk.key
    assert sum("ban sua" in r["file"] for r in rows) == 2
