"""What the conference report says in its body instead of quoting every unit (issue 17).

A leader reads a synthesis: the points units raised, each once with how many units raised it,
and a few unit results picked by a rule the report states. The full unit texts go to the
report's appendix table. Pure functions over the packet's frames, so each rule is testable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from pcmbn.office.docx import safe_text
from pcmbn.text import fold

#: How many grouped points (difficulties, proposals) the body lists; the rest are in the appendix.
MAX_POINTS = 8
#: How many units' results the body quotes per workstream.
MAX_HIGHLIGHTS = 3
#: The rule, as the report states it (a reader must know why these units and not others).
HIGHLIGHT_RULE = (
    "tối đa {limit} đơn vị có nhiều kết quả nhất trong lĩnh vực; mỗi đơn vị một kết quả "
    "có số liệu cụ thể, của tháng gần nhất"
)
_SENTENCE_END = re.compile(r"(?<=[.;!?])\s+")
_DIGIT = re.compile(r"\d")


@dataclass
class Point:
    """One difficulty or proposal as written, with the units (and their groups) that raised it."""

    text: str
    units: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)


def sentences(text: str) -> list[str]:
    """A unit's text split into its sentences, each ending with a full stop."""
    parts = (part.strip(" ;") for part in _SENTENCE_END.split(safe_text(text)))
    return [part if part.endswith((".", "!", "?")) else f"{part}." for part in parts if part]


def grouped_points(narratives: pd.DataFrame | None, kind: str) -> list[Point]:
    """Distinct sentences of one kind, most-raised first (ties: first raised first).

    Sentences are compared without diacritics, case or spacing: the same sentence copied by
    twenty communes is one point raised by twenty units.
    """
    if narratives is None or narratives.empty:
        return []
    points: dict[str, Point] = {}
    for row in narratives[narratives["kind"] == kind].itertuples(index=False):
        unit = safe_text(row.unit_name) or safe_text(row.unit_code)
        group = safe_text(row.group_label)
        for sentence in sentences(row.text):
            key = " ".join(fold(sentence).strip(" .").split())
            point = points.setdefault(key, Point(sentence))
            if unit not in point.units:
                point.units.append(unit)
            if group and group not in point.groups:
                point.groups.append(group)
    order = list(points.values())
    return sorted(order, key=lambda p: -len(p.units))


def unit_texts(narratives: pd.DataFrame | None) -> list[tuple[str, str, str, str]]:
    """`(group, unit, difficulties, proposals)` per unit, sorted by group then unit name.

    Each unit's sentences once (a unit repeating itself month after month says it once).
    """
    if narratives is None or narratives.empty:
        return []
    by_unit: dict[tuple[str, str], dict[str, list[str]]] = {}
    for row in narratives.itertuples(index=False):
        unit = safe_text(row.unit_name) or safe_text(row.unit_code)
        texts = by_unit.setdefault((safe_text(row.group_label), unit), {})
        kept = texts.setdefault(str(row.kind), [])
        for sentence in sentences(row.text):
            if fold(sentence) not in {fold(k) for k in kept}:
                kept.append(sentence)
    rows = []
    for (group, unit), texts in sorted(by_unit.items(), key=lambda i: (i[0][0], fold(i[0][1]))):
        rows.append(
            (
                group,
                unit,
                " ".join(texts.get("difficulties", [])),
                " ".join(texts.get("proposals", [])),
            )
        )
    return rows


def highlights(
    tasks: pd.DataFrame | None, keywords: Iterable[str], limit: int = MAX_HIGHLIGHTS
) -> list[tuple[str, str]]:
    """`(unit, result)` for the units with the most results on tasks matching `keywords`.

    The rule (`HIGHLIGHT_RULE`): units ranked by how many distinct results they reported on the
    workstream's tasks; for each, its latest result that carries a figure, else its latest.
    """
    wanted = [fold(k) for k in keywords if k.strip()]
    if not wanted or tasks is None or tasks.empty:
        return []
    found: dict[str, list[tuple[str, str]]] = {}
    for row in tasks.itertuples(index=False):
        result = safe_text(row.result)
        if not result or not any(k in fold(safe_text(row.task_text)) for k in wanted):
            continue
        unit = safe_text(row.unit_name) or safe_text(row.unit_code)
        results = found.setdefault(unit, [])
        if all(fold(result) != fold(r) for _, r in results):
            results.append((safe_text(row.period), result))
    ranked = sorted(found.items(), key=lambda item: -len(item[1]))[:limit]
    picked = []
    for unit, results in ranked:
        latest = sorted(results, key=lambda pr: pr[0], reverse=True)
        with_figure = [r for _, r in latest if _DIGIT.search(r)]
        picked.append((unit, (with_figure or [latest[0][1]])[0]))
    return picked
