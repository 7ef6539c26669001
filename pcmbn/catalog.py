"""Load the domain catalog under `schemas/` (or `$PCMBN_SCHEMAS`) into typed models.

The catalog is the single source of truth: the template, the validation rules and the reports are
generated from it, so adding an indicator or a unit is an edit to a CSV file. Because those files
are edited by hand (often in Excel), loading is strict and every failure names the file and the
entry, in Vietnamese, so a province's data officer can fix it without reading code.
"""

from __future__ import annotations

import csv
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from pcmbn.domain import (
    ALL_KINDS,
    WHOLE,
    Indicator,
    Labels,
    PacketSpec,
    Plan,
    Rule,
    Successor,
    SummarySpec,
    TemplateSpec,
    Unit,
    UnitKind,
)
from pcmbn.errors import CatalogError, PcmbnError
from pcmbn.periods import CutoffRule, Period, PeriodError
from pcmbn.reconciliation import REVIEW_FILE, ReviewSpec, load_review
from pcmbn.settings import Settings
from pcmbn.text import task_code
from pcmbn.vocabulary import RuleId

INDICATORS_FILE = "indicators.csv"
UNITS_DIR = "units"
PLANS_FILE = "plans.yaml"
RULES_FILE = "rules.yaml"
KINDS_FILE = "unit_kinds.yaml"
TEMPLATE_FILE = "template.yaml"
PACKET_FILE = "packet.yaml"
SUMMARY_FILE = "summary.yaml"
LABELS_FILE = "labels.yaml"
#: PyYAML's safe loader, in C when libyaml is there (every command loads the catalog: the
#: pure-Python parser alone took a quarter of a second of each start).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: The key of unit_kinds.yaml that holds the group labels (kind codes are upper case).
GROUPS_KEY = "groups"
SUCCESSORS_FILE = "successors.csv"

M = TypeVar("M", bound=BaseModel)
ND09 = CutoffRule.ND09_2019


@dataclass(frozen=True)
class UnitRegistry:
    """The reporting units of one province, as one CSV file; codes are unique inside it only."""

    name: str
    path: Path
    units: dict[str, Unit]
    #: For a registry joined from several files (a plan spanning a reform): code → the stem of
    #: the file the unit comes from, which its lineage edges name. Empty for one file.
    origin: dict[str, str] = field(default_factory=dict)

    def get(self, code: str) -> Unit | None:
        return self.units.get(code)

    def origin_of(self, code: str) -> str:
        """The registry file (stem) a unit of this registry is listed in."""
        return self.origin.get(code, self.name)

    def expected(self, plan: Plan, period: Period) -> list[Unit]:
        """Units that owe a report for `period` under `plan`'s cut-off rule (validity dates)."""
        return [u for u in self.units.values() if u.active_in(period, plan.reporting.cutoff)]


@dataclass(frozen=True)
class Catalog:
    """Everything the pipeline knows about the domain, loaded once per schemas folder."""

    root: Path
    indicators: dict[str, Indicator]
    kinds: dict[str, UnitKind]
    registries: dict[str, UnitRegistry]
    plans: dict[str, Plan]
    rules: dict[str, Rule]
    template: TemplateSpec
    labels: Labels
    #: Unit group key → label, in the order tables list the groups (unit_kinds.yaml `groups`).
    groups: dict[str, str]
    packet: PacketSpec = field(default_factory=lambda: PacketSpec())
    successors: tuple[Successor, ...] = ()
    _children: dict[str, list[str]] = field(default_factory=dict, repr=False)
    summary: SummarySpec = field(default_factory=lambda: SummarySpec())
    #: Registries joined for plans naming several files (by `Plan.registry_name`).
    _joined: dict[str, UnitRegistry] = field(default_factory=dict, repr=False)
    #: Target verdict words and interagency reconciliation rules (review.yaml).
    review: ReviewSpec = field(default_factory=lambda: ReviewSpec())

    def plan(self, plan_id: str) -> Plan:
        """The plan with this id, or a message listing the plans that exist."""
        try:
            return self.plans[plan_id.strip()]
        except KeyError:
            known = ", ".join(sorted(self.plans)) or "(không có)"
            raise PcmbnError(
                f'Không có kế hoạch "{plan_id}" trong danh mục {self.root / PLANS_FILE}. '
                f"Các kế hoạch hiện có: {known}."
            ) from None

    def registry(self, plan: Plan) -> UnitRegistry:
        """The plan's units: its registry file, or its files joined (see `_joined_registry`)."""
        name = plan.registry_name
        return self.registries.get(name) or self._joined[name]

    def expected_units(self, plan: Plan, period: Period) -> list[Unit]:
        return self.registry(plan).expected(plan, period)

    def indicators_for(
        self, kind: str, period: Period | None = None, rule: CutoffRule | str = ND09
    ) -> list[Indicator]:
        """Indicators a unit of `kind` reports; for `period` when given (validity dates)."""
        return [ind for ind in self.indicators.values() if ind.applies(kind, period, rule)]

    def indicators_in_force(self, period: Period, rule: CutoffRule | str = ND09) -> list[Indicator]:
        """The rows of the report for `period`, applicable or not to a given unit, in order."""
        return [ind for ind in self.indicators.values() if ind.in_force(period, rule)]

    def indicators_in_span(
        self, periods: Iterable[Period], rule: CutoffRule | str = ND09
    ) -> dict[str, Indicator]:
        """The rows a summary or packet over `periods` shows: indicators in force in any of them.

        A seed plan of 2021 must not grow rows for indicators introduced in 2026.
        """
        spans = list(periods)
        return {
            code: ind
            for code, ind in self.indicators.items()
            if any(ind.in_force(p, rule) for p in spans)
        }

    def children(self, code: str) -> list[str]:
        """Codes of the "Trong đó" rows under `code` (e.g. NN02, NN03 under NN01)."""
        return self._children.get(code, [])

    def group_label(self, group: str) -> str:
        """A unit group's label (the key itself for a group the catalog does not name)."""
        return self.groups.get(group, group)

    def group_of(self, unit: Unit) -> str:
        """The group key of a unit's kind (the first group for a kind the catalog lacks)."""
        kind = self.kinds.get(unit.kind)
        return kind.group if kind else next(iter(self.groups), "")

    def not_started_status(self) -> str:
        """The wording of the `not_started` task status, which the summary shades."""
        return self.template.task_status_label("not_started")

    def rule(self, rule_id: str) -> Rule:
        try:
            return self.rules[rule_id]
        except KeyError:
            raise CatalogError(
                f'Danh mục sai — {self.root / RULES_FILE}: thiếu quy tắc kiểm tra "{rule_id}".'
            ) from None


def load_catalog(root: Path | None = None) -> Catalog:
    """Load and cross-check the catalog; cached per folder so flows can call it freely.

    Programs pass `root` (`Resources.catalog` does); without it, `PCMBN_SCHEMAS` is read now
    through `Settings` (tests and one-off scripts).
    """
    return _load_cached((root or Settings.from_env().schemas).resolve())


@lru_cache(maxsize=8)
def _load_cached(root: Path) -> Catalog:
    if not root.is_dir():
        raise CatalogError(f"Không tìm thấy thư mục danh mục {root} (biến PCMBN_SCHEMAS).")
    groups, kinds = _load_kinds(root / KINDS_FILE)
    indicators = _load_indicators(root / INDICATORS_FILE, kinds)
    registries = _load_registries(root / UNITS_DIR, kinds)
    plans = _load_plans(root / PLANS_FILE, kinds, registries)
    joined = {
        plan.registry_name: _joined_registry(root / PLANS_FILE, plan, registries)
        for plan in plans.values()
        if len(plan.registry_names) > 1
    }
    for plan in plans.values():
        _check_targets(root / PLANS_FILE, plan, indicators, kinds)
    rules = _load_rules(root / RULES_FILE)
    template = _load_template(root / TEMPLATE_FILE)
    indicators = _with_default_bounds(indicators, template)
    labels = _load_labels(root / LABELS_FILE)
    summary = _load_summary(root / SUMMARY_FILE, indicators)
    children: dict[str, list[str]] = {}
    for ind in indicators.values():
        if ind.parent:
            children.setdefault(ind.parent, []).append(ind.code)
    packet = _load_packet(root / PACKET_FILE, indicators)
    lineage = _load_successors(root / SUCCESSORS_FILE, registries)
    review = load_review(root / REVIEW_FILE, indicators, kinds)
    return Catalog(
        root,
        indicators,
        kinds,
        registries,
        plans,
        rules,
        template,
        labels,
        groups,
        packet,
        lineage,
        children,
        summary,
        joined,
        review,
    )


# --- file readers -------------------------------------------------------------------------------


def _nfc(value: str) -> str:
    """Hand-edited files arrive in NFD from some editors; compare and store text in NFC."""
    return unicodedata.normalize("NFC", value).strip()


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise CatalogError(f"Danh mục sai — thiếu tệp {path}.")
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return [
                {_nfc(k): _nfc(v or "") for k, v in row.items() if k is not None}
                for row in csv.DictReader(handle)
            ]
    except UnicodeDecodeError as exc:
        raise CatalogError(
            f"Danh mục sai — {path}: tệp phải được lưu với mã UTF-8 ({exc})."
        ) from None


def _read_yaml(path: Path) -> Any:
    if not path.is_file():
        raise CatalogError(f"Danh mục sai — thiếu tệp {path}.")
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)  # noqa: S506
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f", dòng {where.line + 1}" if where is not None else ""
        raise CatalogError(f"Danh mục sai — {path}{line}: YAML không hợp lệ.") from None


def _model(model: type[M], data: Any, path: Path, entry: str) -> M:
    """Build a model, turning pydantic's error into one line naming file, entry and field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field_name = ".".join(str(part) for part in first["loc"]) or "?"
        bad = first.get("input")
        shown = f' = "{bad}"' if isinstance(bad, str | int | float) else ""
        where = f", {entry}" if entry else ""
        raise CatalogError(
            f'Danh mục sai — {path}{where}: trường "{field_name}"{shown} không hợp lệ '
            f"({first['msg']})."
        ) from None
    except PeriodError as exc:
        raise CatalogError(f"Danh mục sai — {path}, {entry}: {exc}") from None


def _split_kinds(raw: str) -> frozenset[str]:
    return frozenset(part.strip() for part in raw.replace(";", ",").split(",") if part.strip())


_DATED_KIND = re.compile(
    r"^\(?\s*([A-Za-z_]+)\s*(?:\(?\s*từ\s+(\d{4}-\d{2}-\d{2})\s*\)?)?\s*\)?$", re.IGNORECASE
)


def _split_dated_kinds(raw: str, path: Path, entry: str) -> tuple[frozenset[str], dict[str, date]]:
    """`applies_to` of an indicator: kinds, each optionally "từ YYYY-MM-DD" (from that day)."""
    kinds: set[str] = set()
    starts: dict[str, date] = {}
    for part in _split_kinds(raw):
        found = _DATED_KIND.match(part)
        try:
            start = date.fromisoformat(found.group(2)) if found and found.group(2) else None
        except ValueError:
            found = None
        if found is None:
            raise CatalogError(
                f'Danh mục sai — {path}, {entry}: "{part}" trong cột applies_to không hợp lệ; '
                'ghi mã loại đơn vị, có thể kèm ngày bắt đầu (ví dụ "NV từ 2025-03-01").'
            )
        kinds.add(found.group(1))
        if start is not None:
            starts[found.group(1)] = start
    return frozenset(kinds), starts


def _check_kinds(kinds: frozenset[str], known: dict[str, UnitKind], path: Path, entry: str) -> None:
    unknown = sorted(kinds - set(known) - {ALL_KINDS})
    if unknown:
        raise CatalogError(
            f"Danh mục sai — {path}, {entry}: loại đơn vị {', '.join(unknown)} không có trong "
            f"{KINDS_FILE}."
        )


def _load_kinds(path: Path) -> tuple[dict[str, str], dict[str, UnitKind]]:
    """The group labels (`groups:`) and the kinds; every kind must name a listed group."""
    data = _read_yaml(path) or {}
    if not isinstance(data, dict):
        raise CatalogError(f"Danh mục sai — {path}: cần một bảng mã loại đơn vị → tên, nhóm.")
    raw_groups = data.pop(GROUPS_KEY, None)
    if not isinstance(raw_groups, dict) or not raw_groups:
        raise CatalogError(
            f'Danh mục sai — {path}: thiếu mục "{GROUPS_KEY}" (mã nhóm đơn vị → tên nhóm, theo '
            "thứ tự trình bày)."
        )
    groups: dict[str, str] = {}
    for key, label in raw_groups.items():
        if not isinstance(label, str) or not label.strip():
            raise CatalogError(
                f'Danh mục sai — {path}, mục {GROUPS_KEY}: nhóm "{key}" chưa có tên nhóm.'
            )
        groups[str(key)] = _nfc(label)
    kinds = {
        code: _model(UnitKind, {"code": code, **(spec or {})}, path, f"mục {code}")
        for code, spec in data.items()
    }
    for kind in kinds.values():
        if kind.group not in groups:
            known = ", ".join(groups)
            raise CatalogError(
                f'Danh mục sai — {path}, mục {kind.code}: nhóm "{kind.group}" không có trong mục '
                f"{GROUPS_KEY} ({known})."
            )
    return groups, kinds


def _load_template(path: Path) -> TemplateSpec:
    """The workbook contract; the keys the code looks labels up by must be present."""
    data = _read_yaml(path)
    bounds = data.get("value_bounds") if isinstance(data, dict) else None
    if bounds is not None and not isinstance(bounds, dict):
        raise CatalogError(
            f"Danh mục sai — {path}, mục value_bounds: cần một bảng kiểu số liệu → giới hạn "
            "(integer: …, decimal: …)."
        )
    for value_type, raw in (bounds or {}).items():
        line = _yaml_line(path, f"{value_type}:", after="value_bounds")
        _positive_bound(raw, path, f"dòng {line} (value_bounds.{value_type})", "giới hạn")
    template = _model(TemplateSpec, data, path, "")
    needed = {
        "indicator_columns": (
            {c.key for c in template.indicator_columns},
            ("period_value", "cumulative"),
        ),
        "task_statuses": ({s.key for s in template.task_statuses}, ("not_started",)),
        "narrative_blocks": (
            {b.key for b in template.narrative_blocks},
            ("difficulties", "proposals"),
        ),
    }
    for section, (present, keys) in needed.items():
        for key in keys:
            if key not in present:
                raise CatalogError(f'Danh mục sai — {path}, mục {section}: thiếu khóa "{key}".')
    return template


def _load_labels(path: Path) -> Labels:
    """The status labels; every member of every status enum must have one."""
    data = _read_yaml(path) or {}
    if not isinstance(data, dict):
        raise CatalogError(f"Danh mục sai — {path}: cần các mục nhãn (completeness, severity, …).")
    for section, info in Labels.model_fields.items():
        entries = data.get(section)
        if not isinstance(entries, dict):
            raise CatalogError(f'Danh mục sai — {path}: thiếu mục "{section}".')
        enum = _enum_of(info.annotation)
        missing = [m.value for m in enum if m.value not in entries] if enum else []
        if missing:
            raise CatalogError(
                f'Danh mục sai — {path}, mục {section}: thiếu nhãn cho "{missing[0]}".'
            )
        unknown = [k for k in entries if enum and k not in {m.value for m in enum}]
        if unknown:
            allowed = ", ".join(m.value for m in enum) if enum else ""
            raise CatalogError(
                f'Danh mục sai — {path}, mục {section}: khóa "{unknown[0]}" không hợp lệ '
                f"(dùng: {allowed})."
            )
    return _model(Labels, data, path, "")


def _yaml_line(path: Path, needle: str, *, after: str) -> str:
    """The line number of the first `needle` after the line holding `after`, for a message."""
    started = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        started = started or after in line
        if started and needle in line:
            return str(number)
    return "?"


def _enum_of(annotation: Any) -> Any:
    """The key enum of a `dict[SomeEnum, …]` field of `Labels`."""
    args = getattr(annotation, "__args__", ())
    return args[0] if args else None


def _load_summary(path: Path, indicators: dict[str, Indicator]) -> SummarySpec:
    """The summary's key indicators and line charts; every code must be an indicator."""
    spec = _model(SummarySpec, _read_yaml(path) or {}, path, "")
    for section, codes in (
        ("key_indicators", spec.key_indicators),
        ("line_charts", spec.line_charts),
    ):
        for code in sorted(codes) if isinstance(codes, frozenset) else codes:
            if code not in indicators:
                raise CatalogError(
                    f'Danh mục sai — {path}, mục {section}: không có chỉ tiêu "{code}" trong '
                    f"{INDICATORS_FILE}."
                )
    return spec


def _positive_bound(raw: Any, path: Path, entry: str, what: str) -> float:
    """A plausibility bound as written by hand: a finite number above zero, or a clear error."""
    try:
        number = float(str(raw).replace("_", "")) if not isinstance(raw, bool) else math.nan
    except (TypeError, ValueError, OverflowError):
        number = math.nan
    if not (math.isfinite(number) and number > 0):
        raise CatalogError(
            f'Danh mục sai — {path}, {entry}: {what} = "{raw}" phải là một số dương (giá trị lớn '
            "nhất hợp lý của một ô số liệu, ví dụ 10000000)."
        )
    return number


def _with_default_bounds(
    indicators: dict[str, Indicator], template: TemplateSpec
) -> dict[str, Indicator]:
    """Give each indicator without its own `max_value` the default bound of its value type."""
    return {
        code: ind
        if ind.max_value is not None or ind.value_type not in template.value_bounds
        else ind.model_copy(update={"max_value": template.value_bounds[ind.value_type]})
        for code, ind in indicators.items()
    }


def _load_indicators(path: Path, kinds: dict[str, UnitKind]) -> dict[str, Indicator]:
    indicators: dict[str, Indicator] = {}
    for line, row in enumerate(_read_csv(path), start=2):
        entry = f"dòng {line} ({row.get('code') or '?'})"
        data = {k: (v or None) for k, v in row.items()}
        data["applies_to"], data["applies_from"] = _split_dated_kinds(
            row.get("applies_to", ""), path, entry
        )
        if data.get("max_value") is not None:
            data["max_value"] = _positive_bound(row["max_value"], path, entry, "cột max_value")
        ind = _model(Indicator, data, path, entry)
        if ind.code in indicators:
            raise CatalogError(f"Danh mục sai — {path}, {entry}: mã chỉ tiêu bị trùng.")
        if not ind.applies_to:
            raise CatalogError(f"Danh mục sai — {path}, {entry}: cột applies_to đang trống.")
        _check_kinds(ind.applies_to, kinds, path, entry)
        indicators[ind.code] = ind
    for line, ind in enumerate(indicators.values(), start=2):
        parent = indicators.get(ind.parent) if ind.parent else None
        if ind.parent and parent is None:
            raise CatalogError(
                f'Danh mục sai — {path}, dòng {line} ({ind.code}): chỉ tiêu cha "{ind.parent}" '
                "không có trong danh mục."
            )
        if parent is not None and parent.aggregation != ind.aggregation:
            raise CatalogError(
                f"Danh mục sai — {path}, dòng {line} ({ind.code}): cách tổng hợp phải giống chỉ "
                f"tiêu cha {parent.code}."
            )
    if not indicators:
        raise CatalogError(f"Danh mục sai — {path}: không có chỉ tiêu nào.")
    return indicators


_UNIT_FIELDS = {"code", "name", "kind", "level", "valid_from", "valid_to", "email", "contact"}


def _load_registries(folder: Path, kinds: dict[str, UnitKind]) -> dict[str, UnitRegistry]:
    if not folder.is_dir():
        raise CatalogError(f"Danh mục sai — thiếu thư mục danh sách đơn vị {folder}.")
    registries: dict[str, UnitRegistry] = {}
    for path in sorted(folder.glob("*.csv")):
        units: dict[str, Unit] = {}
        for line, row in enumerate(_read_csv(path), start=2):
            entry = f"dòng {line} ({row.get('code') or '?'})"
            data: dict[str, Any] = {k: v or None for k, v in row.items() if k in _UNIT_FIELDS}
            data["extra"] = {k: v for k, v in row.items() if k not in _UNIT_FIELDS and v}
            unit = _model(Unit, data, path, entry)
            if unit.code in units:
                raise CatalogError(f"Danh mục sai — {path}, {entry}: mã đơn vị bị trùng.")
            _check_kinds(frozenset({unit.kind}), kinds, path, entry)
            units[unit.code] = unit
        registries[path.stem] = UnitRegistry(path.stem, path, units)
    return registries


def _load_plans(
    path: Path, kinds: dict[str, UnitKind], registries: dict[str, UnitRegistry]
) -> dict[str, Plan]:
    data = _read_yaml(path) or []
    if not isinstance(data, list):
        raise CatalogError(f"Danh mục sai — {path}: cần một danh sách kế hoạch.")
    plans: dict[str, Plan] = {}
    for index, raw in enumerate(data, start=1):
        entry = f"kế hoạch thứ {index} ({raw.get('id', '?') if isinstance(raw, dict) else '?'})"
        if isinstance(raw, dict):
            for task in raw.get("tasks") or []:
                if isinstance(task, dict):
                    task["code"] = task_code(str(task.get("code", "")))
        plan = _model(Plan, raw, path, entry)
        if plan.id in plans:
            raise CatalogError(f"Danh mục sai — {path}, {entry}: mã kế hoạch bị trùng.")
        for name in plan.registry_names:
            if name not in registries:
                raise CatalogError(
                    f'Danh mục sai — {path}, {entry}: không có danh sách đơn vị "{name}.csv" '
                    f"trong thư mục {UNITS_DIR}/."
                )
        for task in plan.tasks:
            _check_kinds(task.assigned, kinds, path, f"{entry}, nhiệm vụ {task.code}")
        for milestone in plan.milestones:
            if not plan.covers(milestone.period.last_month):
                raise CatalogError(
                    f"Danh mục sai — {path}, {entry}: mốc {milestone.name} ({milestone.period}) "
                    "nằm ngoài thời gian thực hiện kế hoạch."
                )
            if milestone.start is not None and not plan.covers(milestone.start.first_month):
                raise CatalogError(
                    f"Danh mục sai — {path}, {entry}: kỳ bắt đầu {milestone.start} của mốc "
                    f"{milestone.name} nằm ngoài thời gian thực hiện kế hoạch."
                )
        plans[plan.id] = plan
    return plans


def _joined_registry(path: Path, plan: Plan, registries: dict[str, UnitRegistry]) -> UnitRegistry:
    """The units of a plan naming several registry files, in the files' order.

    A code listed in more than one file is one unit continuing across the reform (Công an tỉnh
    in both Nghệ An registries): the later file's entry stands, and it must be of the same kind.
    Every other unit keeps the file it comes from (`origin`), so lineage edges, which name files,
    find it in the plan's history.
    """
    units: dict[str, Unit] = {}
    origin: dict[str, str] = {}
    for name in plan.registry_names:
        for code, unit in registries[name].units.items():
            before = units.get(code)
            if before is not None and before.kind != unit.kind:
                raise CatalogError(
                    f"Danh mục sai — {path}, kế hoạch {plan.id}: đơn vị {code} là loại "
                    f"{before.kind} trong {origin[code]} nhưng loại {unit.kind} trong {name}; một "
                    "mã có trong nhiều danh sách phải là cùng một đơn vị."
                )
            units[code] = unit
            origin[code] = name
    last = registries[plan.registry_names[-1]]
    return UnitRegistry(plan.registry_name, last.path, units, origin)


def _check_targets(
    path: Path, plan: Plan, indicators: dict[str, Indicator], kinds: dict[str, UnitKind]
) -> None:
    """A target must read indicators that exist, are in force at the end of the plan and that
    at least one of the counted kinds reports; otherwise its value could never be computed."""
    seen: set[str] = set()
    for target in plan.targets:
        entry = f"kế hoạch {plan.id}, chỉ tiêu phấn đấu {target.id}"
        if target.id in seen:
            raise CatalogError(f"Danh mục sai — {path}, {entry}: mã chỉ tiêu phấn đấu bị trùng.")
        seen.add(target.id)
        _check_kinds(target.kinds, kinds, path, entry)
        for code in target.codes:
            ind = indicators.get(code)
            if ind is None:
                raise CatalogError(
                    f'Danh mục sai — {path}, {entry}: không có chỉ tiêu "{code}" trong '
                    f"{INDICATORS_FILE}."
                )
            end = plan.span.end.last_month
            if not ind.in_force(end, plan.reporting.cutoff):
                raise CatalogError(
                    f"Danh mục sai — {path}, {entry}: chỉ tiêu {code} không còn hiệu lực trong kỳ "
                    f"{end} (cột valid_from, valid_to của {INDICATORS_FILE})."
                )
            counted = kinds if ALL_KINDS in target.kinds else target.kinds
            if not any(ind.applies(kind, end, plan.reporting.cutoff) for kind in counted):
                raise CatalogError(
                    f"Danh mục sai — {path}, {entry}: chỉ tiêu {code} không áp dụng cho loại đơn "
                    f"vị nào được tính ({', '.join(sorted(target.kinds))})."
                )


def _load_packet(path: Path, indicators: dict[str, Indicator]) -> PacketSpec:
    """Charts and report sections; optional (a catalog without it gets no charts)."""
    if not path.exists():
        return PacketSpec()
    spec = _model(PacketSpec, _read_yaml(path) or {}, path, "")
    groups = {ind.group for ind in indicators.values()}
    for chart in spec.charts:
        for code in (*chart.indicators, *chart.secondary):
            if code not in indicators:
                raise CatalogError(
                    f'Danh mục sai — {path}, biểu đồ {chart.key}: không có chỉ tiêu "{code}".'
                )
    for stream in spec.workstreams:
        for group in stream.groups:
            if group not in groups:
                raise CatalogError(
                    f'Danh mục sai — {path}, mục {stream.key}: không có nhóm chỉ tiêu "{group}".'
                )
    return spec


def _load_rules(path: Path) -> dict[str, Rule]:
    data = _read_yaml(path) or {}
    if not isinstance(data, dict):
        raise CatalogError(f"Danh mục sai — {path}: cần một bảng mã quy tắc → mức độ, thông báo.")
    rules = {
        rule_id: _model(Rule, {"id": rule_id, **(spec or {})}, path, f"quy tắc {rule_id}")
        for rule_id, spec in data.items()
    }
    for rule_id in RuleId:
        if rule_id.value not in rules:
            raise CatalogError(
                f'Danh mục sai — {path}: thiếu quy tắc kiểm tra "{rule_id.value}" (chương trình '
                "kiểm tra theo quy tắc này)."
            )
    return rules


# --- unit lineage (issue 18) --------------------------------------------------------------------

_SUCCESSOR_FIELDS = ("registry_from", "unit_from", "registry_to", "unit_to", "from_date", "share")


def _load_successors(path: Path, registries: dict[str, UnitRegistry]) -> tuple[Successor, ...]:
    """Unit lineage; optional (a catalog without the file has no lineage).

    Every row must name units that exist, a predecessor that had closed before `from_date` and a
    successor that was open on it, so a comparison never follows an edge into nothing.
    """
    if not path.exists():
        return ()
    rows = _read_csv(path)
    missing = [name for name in _SUCCESSOR_FIELDS if rows and name not in rows[0]]
    if missing:
        raise CatalogError(f"Danh mục sai — {path}: thiếu cột {', '.join(missing)}.")
    edges: list[Successor] = []
    seen: dict[tuple[str, str, str, str], int] = {}
    lines: dict[tuple[str, str], list[int]] = {}
    for line, row in enumerate(rows, start=2):
        entry = f"dòng {line} ({row.get('unit_from') or '?'} → {row.get('unit_to') or '?'})"
        data = {k: v or None for k, v in row.items()}
        for side in ("registry_from", "registry_to"):
            if data.get(side):
                data[side] = str(data[side]).removesuffix(".csv")
        edge = _model(Successor, data, path, entry)
        old = _lineage_unit(path, entry, registries, edge.registry_from, edge.unit_from)
        new = _lineage_unit(path, entry, registries, edge.registry_to, edge.unit_to)
        if old.valid_to is None or old.valid_to >= edge.from_date:
            raise CatalogError(
                f"Danh mục sai — {path}, {entry}: đơn vị {old.code} ({edge.registry_from}) chưa "
                f"kết thúc trước ngày {edge.from_date:%d/%m/%Y} (cột valid_to của đơn vị)."
            )
        if not new.active_on(edge.from_date):
            raise CatalogError(
                f"Danh mục sai — {path}, {entry}: đơn vị {new.code} ({edge.registry_to}) không "
                f"hoạt động vào ngày {edge.from_date:%d/%m/%Y} (cột valid_from, valid_to)."
            )
        key = (edge.registry_from, edge.unit_from, edge.registry_to, edge.unit_to)
        if key in seen:
            raise CatalogError(f"Danh mục sai — {path}, {entry}: trùng với dòng {seen[key]}.")
        seen[key] = line
        lines.setdefault((edge.registry_from, edge.unit_from), []).append(line)
        edges.append(edge)
    for (registry, code), where in lines.items():
        group = [e for e in edges if (e.registry_from, e.unit_from) == (registry, code)]
        fractions = [e for e in group if e.share != WHOLE]
        if not fractions:
            continue
        total = sum(e.fraction for e in fractions)
        if len(fractions) != len(group) or abs(total - 1) > 0.001:
            shown = ", ".join(str(n) for n in where)
            raise CatalogError(
                f"Danh mục sai — {path}, dòng {shown}: tỷ lệ chia của đơn vị {code} ({registry}) "
                f"cộng lại bằng {total:.4f}; các tỷ lệ phải cộng lại bằng 1 và không trộn với "
                f'"{WHOLE}".'
            )
    return tuple(edges)


def _lineage_unit(
    path: Path, entry: str, registries: dict[str, UnitRegistry], registry: str, code: str
) -> Unit:
    found = registries.get(registry)
    if found is None:
        raise CatalogError(
            f'Danh mục sai — {path}, {entry}: không có danh sách đơn vị "{registry}" trong thư mục '
            f"{UNITS_DIR}/."
        )
    unit = found.get(code)
    if unit is None:
        raise CatalogError(
            f'Danh mục sai — {path}, {entry}: không có đơn vị "{code}" trong danh sách '
            f"{found.path.name}."
        )
    return unit


def successors_of(catalog: Catalog, registry: str, code: str) -> list[Successor]:
    """The edges out of a closed unit (empty for a unit that did not close)."""
    return [e for e in catalog.successors if (e.registry_from, e.unit_from) == (registry, code)]


def predecessors_of(catalog: Catalog, registry: str, code: str) -> list[Successor]:
    """The edges into a unit of today: whose figures its comparisons show ("đơn vị tiền thân")."""
    return [e for e in catalog.successors if (e.registry_to, e.unit_to) == (registry, code)]
