"""Flow: the packet for a sơ kết or tổng kết conference, read from the history store.

resolve the milestone and its span → read the span's figures, completeness, task progress and
narratives → charts, appendix workbook, draft report, manifest → zip, archived with its checksum.
Returns the JSON contract of `pcmbn packet --format json`.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.utilities.annotations import opaque

from flows.naming import packet_run_name, tag_run
from pcmbn.packet.build import resolve_milestone, span_months
from pcmbn.packet.model import ref_total
from pcmbn.periods import parse_period
from pcmbn.resources import resources_for
from pcmbn.settings import Settings
from tasks.packet import read_packet_data, write_and_record_packet


@flow(name="conference-packet", flow_run_name=packet_run_name)
def conference_packet(
    plan: str, milestone: str, period: str | None = None, start: str | None = None
) -> dict[str, Any]:
    """Build the packet of `plan`'s `milestone` (so_ket | tong_ket)."""
    logger = get_run_logger()
    settings = Settings.from_env()
    resources = resources_for(settings)
    the_plan = resources.catalog.plan(plan)
    # Flow parameters are text (deployments pass strings): parsed once, here.
    the_period = parse_period(period) if period else None
    the_start = parse_period(start) if start else None
    labels = resources.catalog.labels
    the_milestone = resolve_milestone(the_plan, milestone, the_period, labels=labels)
    months = span_months(the_plan, the_milestone, the_start)
    tag_run(the_plan.id, [months[-1].code])
    logger.info(
        "Lập gói tài liệu %s kế hoạch %s: đọc số liệu %s tháng, %s – %s, từ sổ lịch sử",
        the_milestone.name,
        the_plan.id,
        len(months),
        months[0].label_vi,
        months[-1].label_vi,
    )
    data = read_packet_data(settings, the_plan.id, opaque(the_milestone), opaque(months))
    if data.missing_periods:
        logger.warning(
            "Chưa có báo cáo nào của: %s", ", ".join(p.in_sentence for p in data.missing_periods)
        )
    logger.info("Ghi bảng phụ lục, biểu đồ, dự thảo báo cáo và nén thành gói")
    # `opaque`: Prefect would otherwise walk the packet's every figure looking for futures
    # (≈ 0.4 s a task run on two cores).
    files = write_and_record_packet(settings, opaque(data))
    logger.info("Đã lưu gói tài liệu %s (SHA-256 %s)", files.zip_path, files.sha256)
    document = {
        "packet": resources.layout.where(files.zip_path),
        "plan_id": the_plan.id,
        "milestone": the_milestone.kind.value,
        "span": {"start": months[0].code, "end": months[-1].code},
        "missing_periods": [p.code for p in data.missing_periods],
        "totals": data.json_totals,
        # totals that include a unit figure with an unresolved warning (marked "(*)")
        "warned_totals": [code for code in data.json_totals if data.is_warned(ref_total(code))],
    }
    notes = []
    if data.missing_periods:
        notes.append("**Chưa đủ số liệu:** " + ", ".join(p.code for p in data.missing_periods))
    if data.unapproved_periods:
        notes.append("**Chưa phê duyệt:** " + ", ".join(p.code for p in data.unapproved_periods))
    create_markdown_artifact(
        key="goi-hoi-nghi",
        markdown=(
            f"## {the_milestone.name} · {the_plan.id}\n\n"
            f"Số liệu {data.span_label}.\n\n"
            + "\n\n".join(notes)
            + f"\n\nGói tài liệu: `{files.zip_path}` (SHA-256 `{files.sha256}`)"
        ),
        description="Gói tài liệu hội nghị sơ kết, tổng kết",
    )
    return document
