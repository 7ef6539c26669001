"""A small hand-made `PacketData` for the report and chart writers.

Built here, not from the history store, so each assertion can name the number it expects:
Sóc Trăng's campaign span July–September 2024, a few indicators with values and NaN where nobody
reported, and unit text that looks like a formula or holds a control character.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pytest

from pcmbn.catalog import load_catalog
from pcmbn.packet.model import (
    COMPLETENESS_COLUMNS,
    NARRATIVES_COLUMNS,
    SERIES_COLUMNS,
    SOURCES_COLUMNS,
    TASKS_COLUMNS,
    TOTALS_COLUMNS,
    Comparison,
    PacketData,
)
from pcmbn.periods import Period, months_between

PLAN = "ST-KH-30-7-2024"
GENERATED = datetime(2024, 9, 17, 2, 30, tzinfo=UTC)
NAN = math.nan

#: code → (value, previous, last_year); every other catalog indicator is NaN (nobody reported).
TOTALS = {
    "DT01": (12500.0, 10000.0, 12500.0),
    "DT02": (20.0, NAN, 25.0),
    "NN01": (8.0, 0.0, 6.0),
    "NN02": (3.0, NAN, NAN),
    "TT01": (45.0, 40.0, NAN),
    "TT02": (12500.0, 9000.0, NAN),
    "KP01": (2.5, NAN, NAN),
}
#: (month, code, value); DT01 has no August row (a gap, not a zero).
BY_MONTH = [
    ("2024-07", "DT01", 5000.0),
    ("2024-09", "DT01", 7500.0),
    ("2024-07", "NN01", 2.0),
    ("2024-08", "NN01", 3.0),
    ("2024-09", "NN01", 3.0),
    ("2024-08", "NN02", 3.0),
    ("2024-07", "TT01", 10.0),
    ("2024-08", "TT01", 15.0),
    ("2024-09", "TT01", 20.0),
    ("2024-07", "TT02", 2500.0),
    ("2024-08", "TT02", 4000.0),
    ("2024-09", "TT02", 6000.0),
]


def _change(value: float, base: float) -> float:
    if math.isnan(value) or math.isnan(base) or base == 0:
        return NAN
    return (value - base) / base


def _totals(catalog: Any) -> pd.DataFrame:
    rows = []
    for code, ind in catalog.indicators.items():
        value, previous, last_year = TOTALS.get(code, (NAN, NAN, NAN))
        rows.append(
            {
                "code": code,
                "group": ind.group,
                "name": ind.name,
                "unit_of_measure": ind.unit_of_measure,
                "aggregation": ind.aggregation.value,
                "value": value,
                "previous": previous,
                "last_year": last_year,
                "change_prev_pct": _change(value, previous),
                "change_year_pct": _change(value, last_year),
            }
        )
    return pd.DataFrame(rows, columns=TOTALS_COLUMNS)


def _tasks() -> pd.DataFrame:
    rows = [
        ("2", "Công an tỉnh: phòng ngừa xã hội, tuyên truyền; cao điểm tấn công trấn áp",
         "CA_TINH", "Công an tỉnh", "Đang thực hiện", "=SUM(A1)", None, "2024-09", False),
        ("3", "Bộ đội Biên phòng: cao điểm tại khu vực biên giới biển; hỗ trợ nạn nhân",
         "BP_TINH", "Bộ Chỉ huy Bộ đội Biên phòng tỉnh", None, None, None, None, True),
        ("8", "Sở GDĐT: giáo dục kỹ năng sống, tuyên truyền pháp luật cho học sinh",
         "SO_GDDT", "Sở Giáo dục và Đào tạo", "Hoàn thành",
         "Tổ chức 12 buổi ngoại khóa cho 3.000 học sinh", None, "2024-08", False),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=TASKS_COLUMNS)


def _narratives() -> pd.DataFrame:
    rows = [
        ("difficulties", "Sở, ban, ngành tỉnh", "CA_TINH", "Công an tỉnh", "T7/2024, T8/2024",
         "Địa bàn rộng,\x07 lực lượng mỏng"),
        ("proposals", "Sở, ban, ngành tỉnh", "SO_TTTT", "Sở Thông tin và Truyền thông", "T9/2024",
         "+84 đầu số tổng đài 111 cần được quảng bá rộng hơn"),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=NARRATIVES_COLUMNS)


def _completeness() -> pd.DataFrame:
    rows = [
        ("CA_TINH", "Công an tỉnh", "Sở, ban, ngành tỉnh", 3, 2, 1, 0, 0),
        ("SO_TTTT", "Sở Thông tin và Truyền thông", "Sở, ban, ngành tỉnh", 3, 1, 0, 1, 1),
    ]
    return pd.DataFrame(rows, columns=COMPLETENESS_COLUMNS)


def build_packet(**overrides: Any) -> PacketData:
    """The sample packet; keyword arguments replace fields (e.g. `missing_periods=[...]`)."""
    catalog = load_catalog()
    plan = catalog.plan(PLAN)
    months = tuple(months_between(Period.month(2024, 7), Period.month(2024, 9)))
    previous = tuple(months_between(Period.month(2024, 4), Period.month(2024, 6)))
    last_year = tuple(Period.month(2023, m.index) for m in months)
    by_month = pd.DataFrame(
        [(key, f"T{int(key[5:])}/{key[:4]}", code, v) for key, code, v in BY_MONTH],
        columns=SERIES_COLUMNS,
    )
    campaign = plan.campaigns[0]
    by_campaign = pd.DataFrame(
        [("cao_diem", campaign.name, "DT01", 12500.0), ("cao_diem", campaign.name, "DT02", 20.0)],
        columns=SERIES_COLUMNS,
    )
    data = PacketData(
        catalog=catalog,
        plan=plan,
        milestone=plan.milestones[1],
        months=months,
        generated_at=GENERATED,
        missing_periods=[],
        unapproved_periods=[],
        previous=Comparison("Tháng 4/2024 – Tháng 6/2024", previous, 3),
        last_year=Comparison("Tháng 7/2023 – Tháng 9/2023", last_year, 2),
        totals=_totals(catalog),
        by_month=by_month,
        by_quarter=pd.DataFrame(columns=list(SERIES_COLUMNS)),
        by_unit=pd.DataFrame(columns=list(SERIES_COLUMNS)),
        by_group=pd.DataFrame(columns=list(SERIES_COLUMNS)),
        completeness=_completeness(),
        tasks=_tasks(),
        narratives=_narratives(),
        sources=pd.DataFrame(columns=list(SOURCES_COLUMNS)),
        refs={},
        campaign_name=campaign.name,
        campaign_months=months,
        by_campaign=by_campaign,
    )
    return replace(data, **overrides)


@pytest.fixture
def make_packet() -> Callable[..., PacketData]:
    return build_packet
