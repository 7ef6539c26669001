"""Plausible monthly figures per unit kind, for samples and benchmarks.

Magnitudes follow the spec's "Orders of magnitude": trafficking cases are rare and concentrated
(a hot-spot province saw ~14 cases in 6 months), propaganda figures are large, money is in
millions of đồng. A peak campaign multiplies activity. Each month is simulated from January so
cumulative values are exactly consistent, as a careful clerk's would be.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from pcmbn.catalog import Catalog
from pcmbn.domain import Aggregation, Unit, ValueType
from pcmbn.periods import CutoffRule, Period

Number = int | float

#: Mean monthly counts per indicator and unit kind ("*" is every other kind).
#: A commune (XA, since 01/07/2025) is a small unit: a hundred of them report in one province, so
#: their means are a fraction of a former district's (LOCAL) and most of their months are zeros.
#: The means of kinds in the seed registries drive the committed `sample_reports/`: changing one
#: changes those bytes (`make samples` must regenerate them identically).
_BASE: dict[str, dict[str, float]] = {
    "TT01": {"LOCAL": 6, "XA": 1.5, "CA": 8, "BP": 5, "PN": 5, "MTTQ": 4, "*": 1.5},
    "TT03": {"PTTH": 14, "TTTT": 6, "CA": 3, "XA": 0.2, "*": 0.6},
    "TT04": {"LOCAL": 1.2, "XA": 0.3, "CA": 1, "PN": 1, "*": 0.4},
    "TT05": {"TTTT": 0.4, "KHCN": 0.4},
    "TH01": {"*": 0.15, "CA": 0.4, "LOCAL": 0.3, "XA": 0.05},
    "KT01": {"LOCAL": 1.5, "XA": 0.15, "VHTTDL": 2, "LDTBXH": 1.2, "CA": 1, "*": 0.3},
    "DT01": {"CA": 1.2, "BP": 0.35},
    "TX01": {"VKS": 0.8},
    "XX01": {"TA": 0.6},
    "NN05": {"LDTBXH": 0.5, "YT": 0.5, "PN": 0.4, "LOCAL": 0.2, "XA": 0.01, "TP": 0.2, "*": 0.3},
    "KP01": {"*": 0.25},
}
#: Victims received per month by a unit that is not a detecting force (CA, BP).
_VICTIMS_RECEIVED = {"LDTBXH": 0.25, "LOCAL": 0.25, "YT": 0.2, "XA": 0.008}
#: Indicators of the 2026–2030 programme's targets (tips and the case pipeline); drawn from
#: their own generator, only where in force, so earlier sample sets keep their exact bytes.
TARGET_CODES = frozenset({"TG01", "TG02", "TG03", "DT06", "TX03", "XX03"})
#: Province hot-spot factor on detection (Nghệ An borders Laos; Sóc Trăng far less).
_CASE_FACTOR = {"Nghệ An": 1.0, "Sóc Trăng": 0.3}


@dataclass(frozen=True)
class MonthlyFigures:
    """One unit's true figures for one month, before any clerk's quirks."""

    period: Period
    values: dict[str, Number]


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _binomial(rng: random.Random, n: int, p: float) -> int:
    return sum(1 for _ in range(n) if rng.random() < p)


def _mean(code: str, kind: str) -> float:
    table = _BASE.get(code, {})
    return table.get(kind, table.get("*", 0.0))


def simulate_month(
    rng: random.Random,
    unit: Unit,
    period: Period,
    *,
    province: str,
    intensity: float,
    models: int,
) -> dict[str, Number]:
    """All figures of one unit for one month; `intensity` > 1 during a peak campaign."""
    k = unit.kind
    case_factor = _CASE_FACTOR.get(province, 0.5) * intensity
    v: dict[str, Number] = {}
    v["TT01"] = _poisson(rng, _mean("TT01", k) * intensity)
    v["TT02"] = sum(rng.randint(40, 180) for _ in range(int(v["TT01"])))
    v["TT03"] = _poisson(rng, _mean("TT03", k) * intensity)
    v["TT04"] = _poisson(rng, _mean("TT04", k) * intensity) * rng.choice((50, 100, 200, 500))
    v["TT05"] = (
        rng.choice((120_000, 250_000, 480_000))
        if rng.random() < _mean("TT05", k) * intensity
        else 0
    )
    v["TH01"] = _poisson(rng, _mean("TH01", k))
    v["TH02"] = sum(rng.randint(25, 70) for _ in range(int(v["TH01"])))
    v["KT01"] = _poisson(rng, _mean("KT01", k) * intensity)
    v["KT02"] = _binomial(rng, int(v["KT01"]), 0.15)
    v["KT03"] = round(
        sum(rng.choice((2.5, 5.0, 7.5, 12.0, 15.0)) for _ in range(int(v["KT02"]))), 1
    )
    cases = _poisson(rng, _mean("DT01", k) * case_factor)
    v["DT01"] = cases
    v["DT02"] = sum(rng.randint(1, 3) for _ in range(cases))
    v["DT03"] = _binomial(rng, cases, 0.7)
    v["DT04"] = _binomial(rng, int(v["DT02"]), 0.7)
    v["DT05"] = 1 if cases >= 2 and rng.random() < 0.3 else 0
    v["TX01"] = _poisson(rng, _mean("TX01", k) * case_factor)
    v["TX02"] = sum(rng.randint(1, 3) for _ in range(int(v["TX01"])))
    v["XX01"] = _poisson(rng, _mean("XX01", k) * case_factor)
    v["XX02"] = sum(rng.randint(1, 3) for _ in range(int(v["XX01"])))
    victims = sum(rng.randint(1, 2) for _ in range(cases))
    if k in _VICTIMS_RECEIVED:
        victims = _poisson(rng, _VICTIMS_RECEIVED[k] * case_factor)
    v["NN01"] = victims
    v["NN02"] = _binomial(rng, victims, 0.15)
    v["NN03"] = _binomial(rng, victims, 0.75)
    v["NN04"] = _binomial(rng, victims, 0.6) if k in ("CA", "BP") else 0
    v["NN05"] = victims if k in ("CA", "BP") else _poisson(rng, _mean("NN05", k) * case_factor)
    v["NN06"] = sum(rng.randint(1, 3) for _ in range(int(v["NN05"])))
    v["NN07"] = _binomial(rng, int(v["NN05"]), 0.4)
    v["MH01"] = models
    if k == "XA":  # a commune's budget line: a few million đồng, allotted in January
        funded = rng.random() < 0.05 or period.index == 1
        v["KP01"] = rng.choice((2.0, 3.5, 5.0, 8.0)) if funded else 0.0
    else:
        funded = rng.random() < _mean("KP01", k) or period.index in (1, 7)
        v["KP01"] = round(rng.choice((10.0, 25.5, 40.0, 75.25, 120.0)), 2) if funded else 0.0
    v["KP02"] = round(float(v["KP01"]) * rng.choice((0.5, 0.8, 1.0)), 2)
    return v


def simulate_targets(
    rng: random.Random, unit: Unit, v: dict[str, Number], *, province: str, intensity: float
) -> None:
    """Tips and the case pipeline behind the programme's targets, consistent with `v`.

    Tips (tố giác, tin báo) run ahead of cases; nearly all are classified and most resolved in
    the month; the procuracy and the court take up a little more than they dispose of, so the
    yearly ratios land around the targets (some met, some just missed), as in real reviews.
    """
    k = unit.kind
    case_factor = _CASE_FACTOR.get(province, 0.5) * intensity
    cases = int(v.get("DT01", 0))
    tips = cases + _poisson(rng, {"CA": 0.9, "BP": 0.3}.get(k, 0.0) * case_factor)
    v["TG01"] = tips
    v["TG02"] = tips - (1 if tips and rng.random() < 0.03 else 0)
    v["TG03"] = _binomial(rng, int(v["TG02"]), 0.93)
    v["DT06"] = _binomial(rng, int(v.get("DT03", 0)), 0.9)
    v["TX03"] = int(v.get("TX01", 0)) + (1 if k == "VKS" and rng.random() < 0.05 else 0)
    v["XX03"] = int(v.get("XX01", 0)) + (1 if k == "TA" and rng.random() < 0.07 else 0)


def yearly_series(
    catalog: Catalog,
    unit: Unit,
    months: list[Period],
    *,
    rng: random.Random,
    province: str,
    campaign_months: set[str],
    rule: CutoffRule | str = CutoffRule.ND09_2019,
) -> dict[str, tuple[dict[str, Number], dict[str, Number]]]:
    """Per month code: (period values, cumulative since January), only for applicable codes.

    `months` must start in January of its first year (or earlier) for cumulatives to be true.
    Applicability is decided per month under `rule` (an indicator of 2026 is absent before).
    """
    targets_rng = random.Random(f"targets:{rng.getstate()[1][:4]}")  # consumes nothing
    out: dict[str, tuple[dict[str, Number], dict[str, Number]]] = {}
    running: dict[str, Number] = {}
    models = rng.randint(1, 4) if unit.kind in ("LOCAL", "PN", "MTTQ") else rng.randint(0, 1)
    for month in months:
        if month.index == 1:
            running = {}
        if rng.random() < 0.05:
            models += 1
        intensity = 2.5 if month.code in campaign_months else 1.0
        raw = simulate_month(
            rng, unit, month, province=province, intensity=intensity, models=models
        )
        owed = {ind.code for ind in catalog.indicators_for(unit.kind, month, rule)}
        if owed & TARGET_CODES:
            simulate_targets(targets_rng, unit, raw, province=province, intensity=intensity)
        period_values: dict[str, Number] = {}
        cumulative: dict[str, Number] = {}
        for code, ind in catalog.indicators.items():
            if code not in owed:
                continue
            value = raw.get(code, 0)
            if ind.value_type is ValueType.INTEGER:
                value = int(value)
            period_values[code] = value
            if ind.aggregation is Aggregation.LAST:
                cumulative[code] = value
            else:
                total = running.get(code, 0) + value
                running[code] = round(total, 2) if isinstance(total, float) else total
                cumulative[code] = running[code]
        out[month.code] = (period_values, cumulative)
    return out
