"""Comparisons by unit across a reform: who stands for a unit in a period it did not exist in.

History stays under the units as they were (a district's 2025 reports stay the district's); only
a comparison by unit (same period last year, previous period, a unit's own past in the history
rules) looks through `schemas/successors.csv`: a commune of 2026 compared with 2025 takes the
figures of the districts it came from, the whole figure for a `whole` edge, the figure times
the share for a fraction (an estimate, and said so). Province totals never come through here:
they are the sum over the units of each period itself, which is exact on both sides.

One resolution for every comparison site (summary, packets, validation history), so the same
unit and period always give the same figure and the same note.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from pcmbn.catalog import Catalog, UnitRegistry
from pcmbn.domain import WHOLE, Successor
from pcmbn.periods import CutoffRule, Period

#: A history keyed for lookups: (unit code, period code, indicator) → value.
HistoryIndex = Mapping[tuple[str, str, str], float]

#: Lineage chains are short (Cửa Lò → Vinh → communes); this only stops a malformed loop.
_MAX_DEPTH = 8


@dataclass(frozen=True)
class Source:
    """One unit whose figure stands for the compared unit, with the weight applied to it."""

    code: str
    name: str
    weight: float  # product of the shares along the lineage path (1.0 for "whole")
    estimate: bool  # some edge on the path apportioned by a fraction


@dataclass(frozen=True)
class Comparable:
    """A unit's figure for a compared period, and where it came from.

    `sources` is the unit itself when it existed in the period, else its predecessors; `value`
    is None when none of them has a figure (never 0: no report is not a zero).
    """

    value: float | None
    sources: tuple[Source, ...]
    through_lineage: bool
    estimate: bool

    def note(self, catalog: Catalog, comparison: str) -> str | None:
        """ "số liệu cùng kỳ của các đơn vị tiền thân: …" (labels.yaml `lineage`), or None.

        `comparison` is a key of the `lineage` labels: "same_period_last_year" or
        "previous_period".
        """
        if not self.through_lineage:
            return None
        labels = catalog.labels.lineage
        names = ", ".join(dict.fromkeys(s.name for s in self.sources))
        text = labels.predecessors.format(
            comparison=getattr(labels, comparison), units=names or "—"
        )
        return f"{text} ({labels.estimate})" if self.estimate else text


def predecessors(
    catalog: Catalog,
    registry: UnitRegistry,
    code: str,
    period: Period,
    rule: CutoffRule | str = CutoffRule.ND09_2019,
) -> list[Source]:
    """The units of `registry` whose figures for `period` stand for unit `code`.

    The unit itself when it existed in `period` (it owed that report); otherwise its
    predecessors by `successors.csv`, recursively (a predecessor that did not exist then either
    is replaced by its own predecessors, multiplying the shares). A predecessor listed in
    another registry than the plan's has no history under the plan and is left out.
    """
    found: dict[str, Source] = {}
    _collect(catalog, registry, code, period, rule, 1.0, False, found, 0, set())
    return list(found.values())


def _collect(
    catalog: Catalog,
    registry: UnitRegistry,
    code: str,
    period: Period,
    rule: CutoffRule | str,
    weight: float,
    estimate: bool,
    found: dict[str, Source],
    depth: int,
    path: set[str],
) -> None:
    unit = registry.get(code)
    if unit is None or depth > _MAX_DEPTH or code in path:
        return
    if unit.active_in(period, rule):
        before = found.get(code)
        if before is None:
            found[code] = Source(code, unit.name, weight, estimate)
        else:  # two paths to one predecessor (e.g. via two edges): their weights add
            found[code] = Source(
                code, unit.name, before.weight + weight, before.estimate or estimate
            )
        return
    for edge in _edges_into(catalog).get((registry.origin_of(code), code), ()):
        old = registry.get(edge.unit_from)
        if old is None or registry.origin_of(edge.unit_from) != edge.registry_from:
            continue
        _collect(
            catalog,
            registry,
            edge.unit_from,
            period,
            rule,
            weight * edge.fraction,
            estimate or edge.share != WHOLE,
            found,
            depth + 1,
            path | {code},
        )


#: Edges by (registry, unit they lead to), per successors table; the table is kept with its index
#: so the id stays its own. Resolving 130 communes × 12 months scanned the table 20,000 times.
_EDGE_INDEX: dict[int, tuple[tuple[Successor, ...], dict[tuple[str, str], list[Successor]]]] = {}


def _edges_into(catalog: Catalog) -> dict[tuple[str, str], list[Successor]]:
    key = id(catalog.successors)
    cached = _EDGE_INDEX.get(key)
    if cached is None or cached[0] is not catalog.successors:
        index: dict[tuple[str, str], list[Successor]] = {}
        for edge in catalog.successors:
            index.setdefault((edge.registry_to, edge.unit_to), []).append(edge)
        cached = _EDGE_INDEX[key] = (catalog.successors, index)
    return cached[1]


def has_predecessors(catalog: Catalog, registry: UnitRegistry, code: str) -> bool:
    """Whether any lineage edge leads to this unit of `registry`."""
    return bool(_edges_into(catalog).get((registry.origin_of(code), code)))


def history_index(
    frame: pd.DataFrame, column: str = "period_value"
) -> dict[tuple[str, str, str], float]:
    """Current values as a lookup for `comparable_value` (frame: unit_code, period, indicator,
    and `column`); blank values are left out."""
    if frame.empty:
        return {}
    values = frame[frame[column].notna()]
    return {
        (str(u), str(p), str(i)): float(v)
        for u, p, i, v in zip(
            values["unit_code"], values["period"], values["indicator"], values[column], strict=True
        )
    }


def comparable_value(
    history: HistoryIndex,
    catalog: Catalog,
    registry: UnitRegistry,
    code: str,
    period: Period,
    indicator: str,
    rule: CutoffRule | str = CutoffRule.ND09_2019,
    *,
    exact_only: bool = False,
    sources: Sequence[Source] | None = None,
) -> Comparable:
    """Unit `code`'s figure of `indicator` for `period`, through its lineage when needed.

    With `exact_only` (the validation rules: a clerk's figure is never judged against an
    estimate), a resolution that would apportion by a share gives no value. `sources` is
    `predecessors(...)` for this unit and period when the caller already has it (one resolution
    for all the indicators of a unit and period).
    """
    if sources is None:
        sources = predecessors(catalog, registry, code, period, rule)
    sources = tuple(sources)
    through = any(s.code != code for s in sources)
    estimate = any(s.estimate for s in sources)
    if exact_only and estimate:
        return Comparable(None, sources, through, estimate)
    figures = [
        s.weight * history[key]
        for s in sources
        if (key := (s.code, period.code, indicator)) in history
    ]
    value = float(sum(figures)) if figures else None
    return Comparable(value, sources, through, estimate)
