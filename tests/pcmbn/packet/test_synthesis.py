"""The body's synthesis rules (issue 17): points once with who raised them, a stated pick."""

from __future__ import annotations

import pandas as pd

from pcmbn.packet.model import NARRATIVES_COLUMNS, TASKS_COLUMNS
from pcmbn.packet.synthesis import grouped_points, highlights, sentences, unit_texts


def _narratives(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        [(kind, group, unit, unit, "T7/2024", text) for kind, group, unit, text in rows],
        columns=NARRATIVES_COLUMNS,
    )


def test_the_same_sentence_from_many_units_is_one_point_most_raised_first() -> None:
    frame = _narratives(
        [
            ("difficulties", "UBND địa phương", "Xã A", "Thiếu kinh phí. Địa bàn rộng."),
            ("difficulties", "UBND địa phương", "Xã B", "thiếu  kinh phí"),
            ("difficulties", "Sở, ban, ngành tỉnh", "Công an tỉnh", "Thiếu kinh phí."),
            ("proposals", "Sở, ban, ngành tỉnh", "Công an tỉnh", "Đề nghị tập huấn."),
        ]
    )
    points = grouped_points(frame, "difficulties")
    assert [(p.text, len(p.units)) for p in points] == [
        ("Thiếu kinh phí.", 3),
        ("Địa bàn rộng.", 1),
    ]
    assert points[0].groups == ["UBND địa phương", "Sở, ban, ngành tỉnh"]
    assert sentences("Một; hai.  Ba") == ["Một.", "hai.", "Ba."]


def test_unit_texts_are_sorted_by_group_then_unit_and_said_once() -> None:
    frame = _narratives(
        [
            ("difficulties", "UBND địa phương", "Xã B", "Thiếu kinh phí."),
            ("difficulties", "UBND địa phương", "Xã B", "Thiếu kinh phí."),
            ("proposals", "Sở, ban, ngành tỉnh", "Công an tỉnh", "Đề nghị tập huấn."),
            ("difficulties", "UBND địa phương", "Xã A", "Địa bàn rộng."),
        ]
    )
    assert unit_texts(frame) == [
        ("Sở, ban, ngành tỉnh", "Công an tỉnh", "", "Đề nghị tập huấn."),
        ("UBND địa phương", "Xã A", "Địa bàn rộng.", ""),
        ("UBND địa phương", "Xã B", "Thiếu kinh phí.", ""),
    ]


def test_highlights_pick_the_most_active_units_and_their_latest_figure() -> None:
    task = "Tuyên truyền phòng, chống mua bán người"
    rows = [
        ("1", task, "A", "Đơn vị A", "", "Đã tổ chức 3 buổi", None, "2024-07", False),
        ("1", task, "A", "Đơn vị A", "", "Đã tổ chức 5 buổi", None, "2024-08", False),
        ("1", task, "A", "Đơn vị A", "", "Tiếp tục duy trì", None, "2024-09", False),
        ("1", task, "B", "Đơn vị B", "", "Đã phát tờ rơi", None, "2024-09", False),
        ("1", "Hợp tác quốc tế", "C", "Đơn vị C", "", "Họp 2 lần", None, "2024-09", False),
    ]
    tasks = pd.DataFrame(rows, columns=TASKS_COLUMNS)
    assert highlights(tasks, ["tuyen truyen"], limit=3) == [
        ("Đơn vị A", "Đã tổ chức 5 buổi"),
        ("Đơn vị B", "Đã phát tờ rơi"),
    ]
    assert highlights(tasks, ["tuyen truyen"], limit=1) == [("Đơn vị A", "Đã tổ chức 5 buổi")]
