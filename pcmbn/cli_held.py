"""`pcmbn held …`: the officer's decisions on files held by the mail intake (unknown sender, a
file of another unit than its sender's): list them, assign one to a unit, discard one.

A module of its own so that `pcmbn/cli.py` stays one `add_typer` line away from it; the commands
call `pcmbn.submissions` (the same functions the desk calls) and print Vietnamese lines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from pcmbn.cli_frame import VietnameseTyper
from pcmbn.vocabulary import ReceiptStatus

if TYPE_CHECKING:
    from pcmbn.domain import Plan
    from pcmbn.periods import Period
    from pcmbn.resources import Resources

held_app = VietnameseTyper(
    name="held",
    help=(
        "Tệp tạm giữ từ hộp thư (người gửi lạ, tệp của đơn vị khác với đơn vị gửi): xem danh "
        "sách, giao cho một đơn vị hoặc hủy — mỗi quyết định đều được ghi nhật ký."
    ),
    no_args_is_help=True,
)


@held_app.command("list")
def held_list(
    ctx: typer.Context,
    every: Annotated[bool, typer.Option("--all", help="Cả các tệp đã giao hoặc đã hủy.")] = False,
) -> None:
    """Xem các tệp đang tạm giữ chờ cán bộ quyết định."""
    from pcmbn.cli import _resources, console
    from pcmbn.submissions import held_items

    resources = _resources(ctx)
    labels = resources.catalog.labels
    items = held_items(resources, None if every else "held")
    if not items:
        console.print("Không có tệp nào đang tạm giữ.", highlight=False)
        return
    table = Table("Mã", "Thời điểm nhận", "Người gửi", "Tệp", "Lý do", "Tình trạng")
    for item in items:
        table.add_row(
            item.id,
            item.received_vi,
            item.sender,
            item.filename,
            item.message,
            labels.held_state[item.state],  # type: ignore[index]
        )
    console.print(table)


@held_app.command("assign")
def held_assign(
    ctx: typer.Context,
    held_id: Annotated[str, typer.Argument(help="Mã tệp tạm giữ, ví dụ TG-000001.")],
    unit: Annotated[str, typer.Option("--unit", help="Mã đơn vị nhận tệp, ví dụ CA_TINH.")],
    plan: Annotated[str, typer.Option("--plan", "-p", help="Mã kế hoạch.")],
    period: Annotated[str, typer.Option("--period", help="Kỳ báo cáo, ví dụ 2024-07.")],
) -> None:
    """Giao một tệp tạm giữ cho đơn vị: tệp vào hộp nhận của kỳ với thời điểm nhận ban đầu."""
    from pcmbn.cli import _resources, console
    from pcmbn.periods import parse_period
    from pcmbn.submissions import assign_held

    resources = _resources(ctx)
    the_plan, the_period = resources.catalog.plan(plan), parse_period(period)
    receipt = assign_held(
        resources,
        held_id.strip(),
        unit_code=unit,
        plan=the_plan,
        period=the_period,
        actor=resources.settings.actor,
    )
    console.print(
        f"Đã giao tệp {held_id.strip()} cho đơn vị {receipt.unit_code}, kỳ "
        f"{the_period.label_vi} — số biên nhận {receipt.id} (nhận lúc {receipt.received_vi}). "
        f"Tệp được tính ở lượt tổng hợp sau: pcmbn run --plan {the_plan.id} "
        f"--period {the_period.code}",
        highlight=False,
    )


@held_app.command("discard")
def held_discard(
    ctx: typer.Context,
    held_id: Annotated[str, typer.Argument(help="Mã tệp tạm giữ, ví dụ TG-000001.")],
    reason: Annotated[
        str | None, typer.Option("--reason", help="Lý do hủy (bắt buộc, được ghi nhận).")
    ] = None,
) -> None:
    """Hủy một tệp tạm giữ (bản gốc vẫn được lưu trong kho lưu trữ)."""
    from pcmbn.cli import _resources, console
    from pcmbn.submissions import discard_held

    resources = _resources(ctx)
    discard_held(resources, held_id.strip(), actor=resources.settings.actor, reason=reason or "")
    console.print(f"Đã hủy tệp tạm giữ {held_id.strip()}.", highlight=False)


def print_period_deliveries(resources: Resources, plan: Plan, period: Period) -> None:
    """`pcmbn status`'s lines on deliveries: files returned to their units (with the reason),
    files received since the last run (not yet counted) and every file held for the officer."""
    from pcmbn.cli import console
    from pcmbn.submissions import desk_matrix, held_items, receipts_for_period

    returned = resources.catalog.labels.receipt_status[ReceiptStatus.RETURNED]
    receipts = receipts_for_period(resources, plan.id, period)
    for receipt in receipts:
        if receipt.status == ReceiptStatus.RETURNED:
            console.print(
                f"[magenta]{returned}[/magenta]: {receipt.unit_code} — biên nhận {receipt.id}"
                f" ({receipt.original_name}, nhận lúc {receipt.received_vi}); lý do: "
                f"{receipt.return_reason or '—'}",
                highlight=False,
            )
    waiting = [row for row in desk_matrix(resources, plan, period) if row.status == "received"]
    if waiting:
        console.print(
            f"[cyan]Đã nhận, chưa tổng hợp[/cyan] ({len(waiting)} đơn vị): "
            + ", ".join(f"{row.unit_code} ({row.receipt_id})" for row in waiting)
            + f". Chạy: pcmbn run --plan {plan.id} --period {period.code}",
            highlight=False,
        )
    held = held_items(resources)
    for item in held:
        console.print(
            f"[yellow]Tạm giữ[/yellow] {item.id}: {item.filename} từ {item.sender} "
            f"(nhận lúc {item.received_vi}) — {item.message}",
            highlight=False,
        )
    if held:
        console.print(
            "Giao tệp tạm giữ cho đơn vị: pcmbn held assign MÃ --unit ĐƠN_VỊ --plan KẾ_HOẠCH "
            "--period KỲ; hủy: pcmbn held discard MÃ --reason LÝ_DO",
            highlight=False,
        )
