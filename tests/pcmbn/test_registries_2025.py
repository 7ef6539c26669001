"""The 2025 reform as catalog data: today's registries, the resolutions' communes, unit lineage.

The commune lists are compared with fixtures extracted from the texts of NQ 1678/NQ-UBTVQH15
(Nghệ An) and NQ 1668/NQ-UBTVQH15 (Cần Thơ) kept under tests/fixtures/resolutions/ (see the
README there), so a registry that misses or misspells a commune fails here, not in a report.
"""

from __future__ import annotations

import csv
import importlib.util
import os
import re
import subprocess
import sys
import unicodedata
from datetime import date
from pathlib import Path
from types import ModuleType

import pytest

from pcmbn.catalog import load_catalog, predecessors_of, successors_of
from pcmbn.domain import WHOLE, Unit
from pcmbn.errors import CatalogError
from pcmbn.text import fold

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "resolutions"
NA_2021, NA_2025 = "units-nghe-an-2021", "units-nghe-an-2025"
ST_2024, CT_2025 = "units-soc-trang-2024", "units-can-tho-2025"
TODAY = date(2026, 12, 1)

# registry, fixture extracted from the resolution, the resolution's text, communes, wards
RESOLUTIONS = [
    (NA_2025, "nq1678_nghe_an.csv", "1678_NQ-UBTVQH15.md", 119, 11),
    (CT_2025, "nq1668_can_tho.csv", "1668_NQ-UBTVQH15.md", 72, 31),
]
COMMUNE_PREFIX = "ủy ban nhân dân "


def _fixture(name: str) -> list[dict[str, str]]:
    with (FIXTURES / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


def _parser() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "parse_resolution", ROOT / "scripts/parse_resolution.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _communes(registry: str) -> list[Unit]:
    return [u for u in load_catalog().registries[registry].units.values() if u.level == "commune"]


def _commune_key(unit: Unit) -> str:
    """ "Ủy ban nhân dân xã Diễn Châu" → "xa dien chau", the fixture's "type name" folded."""
    name = unicodedata.normalize("NFC", unit.name)
    assert name.lower().startswith(COMMUNE_PREFIX), unit.name
    return fold(name[len(COMMUNE_PREFIX) :])


@pytest.mark.parametrize("registry", [NA_2025, CT_2025])
def test_every_unit_of_today_has_code_name_and_kind(registry: str) -> None:
    catalog = load_catalog()
    today = [u for u in catalog.registries[registry].units.values() if u.active_on(TODAY)]
    assert len(today) >= 100
    for unit in today:
        assert unit.code and unit.name.strip() and unit.kind in catalog.kinds, unit
        assert unit.email and unit.email.endswith(".example.org"), unit
    communes = [u for u in today if u.level == "commune"]
    assert {u.kind for u in communes} == {"XA"}
    assert all(u.valid_from == date(2025, 7, 1) for u in communes)
    codes = [u.extra.get("ma_dvhc", "") for u in communes]
    assert all(re.fullmatch(r"\d{5}", c) for c in codes) and len(set(codes)) == len(codes)
    assert not any(u.kind == "LOCAL" for u in today), "the district level is gone since 01/07/2025"


@pytest.mark.parametrize(("registry", "fixture", "text", "communes", "wards"), RESOLUTIONS)
def test_no_commune_of_the_resolution_is_missing(
    registry: str, fixture: str, text: str, communes: int, wards: int
) -> None:
    listed = _fixture(fixture)
    assert sum(r["type"] == "xã" for r in listed) == communes
    assert sum(r["type"] == "phường" for r in listed) == wards
    wanted = {fold(f"{r['type']} {r['name']}") for r in listed}
    have = [_commune_key(u) for u in _communes(registry)]
    assert len(have) == len(set(have))
    assert sorted(wanted - set(have)) == [], "communes of the resolution missing in the registry"
    assert sorted(set(have) - wanted) == [], "communes in the registry the resolution does not name"


@pytest.mark.parametrize(("registry", "fixture", "text", "communes", "wards"), RESOLUTIONS)
def test_fixture_is_what_the_resolution_text_says(
    registry: str, fixture: str, text: str, communes: int, wards: int
) -> None:
    """The fixture is reproducible from the saved text, and matches its own closing count."""
    source = unicodedata.normalize("NFC", (FIXTURES / text).read_text(encoding="utf-8"))
    parsed = _parser().parse(source)
    assert parsed == _fixture(fixture)
    summary = " ".join(source.replace("\xa0", " ").split())
    total = communes + wards
    assert re.search(rf"có {total} đơn vị hành chính cấp xã, gồm", summary)
    assert f"{communes} xã" in summary and f"{wards} phường" in summary


def test_predecessor_phrases_are_split_into_units() -> None:
    split = _parser().split_units
    assert split("thị trấn Diễn Thành và các xã Diễn Hoa, Diễn Phúc, Ngọc Bích") == [
        "thị trấn Diễn Thành",
        "xã Diễn Hoa",
        "xã Diễn Phúc",
        "xã Ngọc Bích",
    ]
    assert split(
        "phường An Thới, phường Bình Thủy và phần còn lại của phường Bùi Hữu Nghĩa sau khi sắp "
        "xếp theo quy định tại khoản 2 Điều này"
    ) == ["phường An Thới", "phường Bình Thủy", "phần còn lại phường Bùi Hữu Nghĩa"]


def test_lineage_covers_every_unit_closed_in_2025() -> None:
    catalog = load_catalog()
    closed = [
        (name, unit.code)
        for name, registry in catalog.registries.items()
        for unit in registry.units.values()
        if unit.valid_to is not None and unit.valid_to.year == 2025
    ]
    assert len(closed) >= 2 + 20 + 26  # NA's two departments and 20 districts, all of Sóc Trăng
    orphans = [key for key in closed if not successors_of(catalog, *key)]
    assert orphans == []


def test_district_shares_add_up_and_every_commune_has_its_predecessors() -> None:
    catalog = load_catalog()
    for name, registry in catalog.registries.items():
        for unit in registry.units.values():
            edges = successors_of(catalog, name, unit.code)
            if unit.level == "district" and edges and edges[0].share != WHOLE:
                assert sum(e.fraction for e in edges) == pytest.approx(1, abs=0.001)
    # every commune of Nghệ An comes from its old districts (Vinh took in Cửa Lò on 01/01/2025)
    for commune in _communes(NA_2025):
        edges = predecessors_of(catalog, NA_2025, commune.code)
        assert edges and all(e.registry_from == NA_2021 for e in edges), commune.code
        assert all(e.from_date == date(2025, 7, 1) for e in edges)
    assert [e.unit_to for e in successors_of(catalog, NA_2021, "UBND_TX_CUA_LO")] == [
        "UBND_TP_VINH"
    ]
    # Cần Thơ's communes from Sóc Trăng: the ones the resolution builds from Sóc Trăng's units
    from_st = {u.code for u in _communes(CT_2025) if predecessors_of(catalog, CT_2025, u.code)}
    assert len(from_st) >= 30
    phu_loi = predecessors_of(catalog, CT_2025, "PHUONG_PHU_LOI")
    assert [e.unit_from for e in phu_loi] == ["UBND_TP_SOC_TRANG"]
    assert "khoản 23" in (phu_loi[0].basis or "")


def test_merged_departments_hand_over_to_todays_departments() -> None:
    catalog = load_catalog()
    labour = {e.unit_to for e in successors_of(catalog, NA_2021, "SO_LDTBXH")}
    assert {"SO_NV", "SO_YT"} <= labour
    assert {e.unit_to for e in successors_of(catalog, NA_2021, "SO_TTTT")} == {
        "SO_KHCN",
        "SO_VHTTDL",
    }
    assert [e.unit_to for e in successors_of(catalog, ST_2024, "CA_TINH")] == ["CA_TP"]
    assert {e.unit_to for e in successors_of(catalog, ST_2024, "BAO_ST")} == {"BAO_PTTH"}


def _edit_successor(path: Path, line: int, **changes: str) -> None:
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    rows[line - 2].update(changes)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _expect(root: Path, *fragments: str) -> None:
    with pytest.raises(CatalogError) as info:
        load_catalog(root)
    for fragment in fragments:
        assert fragment in str(info.value), str(info.value)


def test_unknown_successor_unit_names_file_and_line(schemas_copy: Path) -> None:
    _edit_successor(schemas_copy / "successors.csv", 3, unit_to="SO_XYZ")
    _expect(schemas_copy, "successors.csv", "dòng 3", "SO_XYZ", "units-nghe-an-2025.csv")


def test_unknown_registry_is_named(schemas_copy: Path) -> None:
    _edit_successor(schemas_copy / "successors.csv", 4, registry_from="units-ha-noi-2024")
    _expect(schemas_copy, "successors.csv", "dòng 4", "units-ha-noi-2024")


def test_predecessor_still_open_is_refused(schemas_copy: Path) -> None:
    _edit_successor(schemas_copy / "successors.csv", 2, unit_from="CA_TINH")
    _expect(schemas_copy, "successors.csv", "dòng 2", "CA_TINH", "chưa kết thúc")


def test_shares_must_add_up_to_one(schemas_copy: Path) -> None:
    path = schemas_copy / "successors.csv"
    line = next(
        n
        for n, row in enumerate(csv.DictReader(path.open(encoding="utf-8")), start=2)
        if row["unit_from"] == "UBND_H_ANH_SON"
    )
    _edit_successor(path, line, share="0.5")
    _expect(schemas_copy, "successors.csv", "UBND_H_ANH_SON", "cộng lại bằng")


def test_bad_share_names_the_field(schemas_copy: Path) -> None:
    _edit_successor(schemas_copy / "successors.csv", 2, share="một nửa")
    _expect(schemas_copy, "successors.csv", "dòng 2", "share")


def test_catalog_without_lineage_file_still_loads(schemas_copy: Path) -> None:
    (schemas_copy / "successors.csv").unlink()
    assert load_catalog(schemas_copy).successors == ()


def test_pcmbn_catalog_command_accepts_the_2025_catalog() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pcmbn", "catalog"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "120"},
    )
    assert result.returncode == 0, result.stderr
    assert "loại đơn vị" in result.stdout


# --- the old communes behind the district shares ------------------------------------------------

_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7"}
# The old list names a commune differently from the resolution's text.
_OLD_NAME = {"xa hung yen nam": "xa hung yen"}


def _name_key(text: str) -> str:
    """Folded "type name" without a "(huyện …)" qualifier; "Hòa Tú II" and "Hòa Tú 2" meet."""
    words = fold(re.sub(r"\s*\(.*?\)", "", text)).split()
    words[-1] = _ROMAN.get(words[-1], words[-1])
    key = " ".join(words)
    return _OLD_NAME.get(key, key)


def test_old_communes_are_the_ones_the_resolution_names() -> None:
    old = _fixture("old_communes.csv")
    assert len({r["old_code"] for r in old}) == len(old), "an old commune merged twice"
    by_unit: dict[tuple[str, str], set[str]] = {}
    for row in old:
        by_unit.setdefault((row["registry_to"], row["unit_to"]), set()).add(
            _name_key(row["old_name"])
        )
    catalog = load_catalog()
    for registry, fixture, *_ in RESOLUTIONS:
        codes = {_commune_key(u): u.code for u in _communes(registry)}
        for row in _fixture(fixture):
            code = codes[fold(f"{row['type']} {row['name']}")]
            named = {_name_key(p) for p in row["predecessors"].split("; ")}
            found = by_unit.get((registry, code), set())
            assert found <= named, (row["name"], found - named)
            if registry == NA_2025:  # every predecessor is a Nghệ An commune
                assert found == named, (row["name"], named - found)
            froms = {e.unit_from for e in predecessors_of(catalog, registry, code)}
            districts = {
                r["unit_from"] for r in old if (r["registry_to"], r["unit_to"]) == (registry, code)
            }
            assert froms == districts, row["name"]


def test_district_shares_are_the_count_of_old_communes() -> None:
    old = _fixture("old_communes.csv")
    catalog = load_catalog()
    for registry_from in (NA_2021, ST_2024):
        districts = {r["unit_from"] for r in old if r["registry_from"] == registry_from}
        for district in districts:
            mine = [
                r for r in old if (r["registry_from"], r["unit_from"]) == (registry_from, district)
            ]
            for edge in successors_of(catalog, registry_from, district):
                count = sum(r["unit_to"] == edge.unit_to for r in mine)
                assert edge.fraction == pytest.approx(count / len(mine), abs=0.0001), edge
