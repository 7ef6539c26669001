"""A unit's upload: check it at once with the warm validator, keep it, submit it.

One implementation for the pages and the JSON API. An upload is checked as `pcmbn check` checks
(`WarmValidator.check_bytes`: the run's rules, history included) and kept under the home, per
unit and checksum (`portal/checks/<unit>/<sha256>/`: the original, `check.json`, the annotated
copy), so the result page, the feedback download and "Gửi báo cáo" read it back without a second
check. Submitting hands the file to `pcmbn.submissions.receive` with the unit, sender and time
of the session — never the file's. The unit in the file must be the signed-in unit.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from fastapi import Request
from starlette.concurrency import run_in_threadpool

from pcmbn.office.atomic import atomic_write
from pcmbn.office.jsonio import dumps_strict
from pcmbn.portal.auth import PortalRefusal, Principal, app_context, now_of
from pcmbn.reading.guard import ACCEPTED_EXTENSIONS
from pcmbn.serve.validator import safe_upload_name
from pcmbn.vocabulary import AuditAction, Severity, SubmissionStatus

log = logging.getLogger(__name__)

CHECKS_FOLDER = Path("portal") / "checks"
CHECK_FILE = "check.json"
ORIGINAL_FOLDER = "goc"
FEEDBACK_FOLDER = "kiem-tra"
#: Longest explanation of the warnings kept with a submission.
MAX_EXPLANATION = 2000
_SHA = re.compile(r"[0-9a-f]{64}\Z")


@cache
def portal_words(schemas: Path) -> dict[str, dict[str, str]]:
    """`schemas/portal.yaml`."""
    return yaml.safe_load((schemas / "portal.yaml").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Checked:
    """An uploaded file and its check (the `pcmbn check` file object, problems with their
    indicator where they have one)."""

    unit_code: str
    sha256: str
    name: str
    item: dict[str, Any]
    folder: Path

    @property
    def accepted(self) -> bool:
        return self.item["status"] == SubmissionStatus.ACCEPTED

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [p for p in self.item["problems"] if p["severity"] == Severity.ERROR]

    @property
    def warnings(self) -> list[dict[str, Any]]:
        return [p for p in self.item["problems"] if p["severity"] == Severity.WARNING]

    @property
    def original(self) -> Path:
        return self.folder / ORIGINAL_FOLDER / self.name

    @property
    def feedback(self) -> Path | None:
        folder = self.folder / FEEDBACK_FOLDER
        found = sorted(folder.iterdir()) if folder.is_dir() else []
        return found[0] if found else None

    def public_item(self) -> dict[str, Any]:
        """The file object as the API answers it (no server paths)."""
        item = dict(self.item)
        item["path"] = self.name
        item["feedback"] = self.feedback.name if self.feedback else None
        return item


def checks_root(settings: Any) -> Path:
    return Path(settings.home) / CHECKS_FOLDER


def load_checked(settings: Any, unit_code: str, sha256: str) -> Checked | None:
    """The unit's own upload with this checksum, or None (another unit's is never found)."""
    if not _SHA.match(sha256):
        return None
    folder = checks_root(settings) / unit_code / sha256
    try:
        item = json.loads((folder / CHECK_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return Checked(unit_code, sha256, item["name"], item["file"], folder)


def refuse_extension(name: str) -> None:
    suffix = Path(name).suffix.lower()
    if suffix not in ACCEPTED_EXTENSIONS:
        shown = suffix or "(không có phần mở rộng)"
        raise PortalRefusal(
            415,
            f"Không nhận tệp {shown}: chỉ nhận bảng tính {', '.join(ACCEPTED_EXTENSIONS)}.",
            error="sai_dinh_dang",
        )


async def check_upload(
    request: Request, principal: Principal, name: str, content: bytes
) -> Checked:
    """Check an upload now (limits first: per-minute count, one check at a time per unit)."""
    from pcmbn.portal.limits import MAX_FILE_BYTES, too_large_message

    context = app_context(request)
    unit = str(principal.unit_code)
    name = safe_upload_name(name or "bao-cao.xlsx")
    refuse_extension(name)
    if len(content) > MAX_FILE_BYTES:
        raise PortalRefusal(413, too_large_message(MAX_FILE_BYTES), error="qua_lon")
    if not content:
        raise PortalRefusal(422, "Tệp rỗng: hãy chọn lại tệp báo cáo.", error="tep_rong")
    limits = request.app.state.limits
    limits.take_upload(unit)
    validator = context.validator
    if not validator.state.ready:
        raise PortalRefusal(
            503, "Dịch vụ đang khởi động, hãy thử lại sau ít giây.", error="dang_khoi_dong"
        )
    sha256 = hashlib.sha256(content).hexdigest()
    folder = checks_root(context.resources.settings) / unit / sha256
    with limits.gate.hold(unit):
        document = await run_in_threadpool(
            validator.check_bytes, [(name, content)], folder / FEEDBACK_FOLDER, indicators=True
        )
    (item,) = document["files"]
    item["sha256"] = sha256
    atomic_write(folder / ORIGINAL_FOLDER / name, content)
    atomic_write(folder / CHECK_FILE, dumps_strict({"name": name, "file": item}).encode("utf-8"))
    checked = Checked(unit, sha256, name, item, folder)
    await run_in_threadpool(
        context.resources.store.audit,
        now_of(request),
        principal.username,
        AuditAction.UPLOAD,
        principal.plan_id or "",
        item.get("period"),
        f"{name} sha256 {sha256} {item['status']}",
    )
    return checked


def mismatch_message(resources: Any, checked: Checked, unit_code: str) -> str | None:
    """Why this file cannot be the signed-in unit's (it declares another unit), or None."""
    from pcmbn.submissions import UnitMismatch, ensure_unit_matches

    try:
        ensure_unit_matches(checked.item.get("unit_code"), unit_code, resources.catalog)
    except UnitMismatch as exc:
        return str(exc)
    return None


def plan_message(checked: Checked, principal: Principal) -> str | None:
    """Why the file is not a report of the account's plan, or None."""
    plan_id = checked.item.get("plan_id")
    if principal.plan_id and plan_id and plan_id != principal.plan_id:
        return (
            f"Tệp là báo cáo của kế hoạch {plan_id}, không phải kế hoạch {principal.plan_id} "
            "của tài khoản này."
        )
    return None


def submit(request: Request, principal: Principal, checked: Checked, explanation: str) -> Any:
    """Hand an accepted upload to the office (`submissions.receive`): the Receipt. Where the
    plan wants the unit's leader to approve first (`reporting.leader_approval`), a
    specialist's submission waits for that approval instead: an `Awaiting`."""
    from pcmbn.vocabulary import Role

    resources = app_context(request).resources
    plan, period, explanation = _ready_to_send(resources, principal, checked, explanation)
    if plan.reporting.leader_approval and principal.role != Role.UNIT_LEADER:
        now = now_of(request)
        awaiting = Awaiting(checked.sha256, checked.name, principal.username, now, explanation)
        atomic_write(checked.folder / AWAITING_FILE, dumps_strict(awaiting.to_json()).encode())
        resources.store.audit(
            now,
            principal.username,
            AuditAction.SUBMIT,
            plan.id,
            period.code,
            f"chờ lãnh đạo đơn vị duyệt: {checked.name} sha256 {checked.sha256}",
        )
        return awaiting
    return _send(request, principal, checked, plan, period, explanation)


def _ready_to_send(
    resources: Any, principal: Principal, checked: Checked, explanation: str
) -> tuple[Any, Any, str]:
    """The plan, period and cleaned explanation of a file that may be sent, or the refusal."""
    from pcmbn.periods import Period

    unit = str(principal.unit_code)
    wrong_unit = mismatch_message(resources, checked, unit)
    if wrong_unit:
        raise PortalRefusal(422, wrong_unit, error="sai_don_vi")
    if not checked.accepted:
        raise PortalRefusal(
            422, "Tệp còn lỗi: hãy sửa theo kết quả kiểm tra rồi tải lại.", error="con_loi"
        )
    wrong_plan = plan_message(checked, principal)
    if wrong_plan:
        raise PortalRefusal(422, wrong_plan, error="sai_ke_hoach")
    explanation = " ".join(explanation.split())[:MAX_EXPLANATION]
    if checked.warnings and not explanation:
        raise PortalRefusal(
            422,
            "Tệp có cảnh báo: hãy ghi ngắn gọn giải trình cho các cảnh báo trước khi gửi.",
            error="can_giai_trinh",
        )
    plan = resources.catalog.plan(str(checked.item.get("plan_id") or principal.plan_id))
    return plan, Period.from_code(str(checked.item["period"])), explanation


def _send(
    request: Request, principal: Principal, checked: Checked, plan: Any, period: Any, why: str
) -> Any:
    from pcmbn.submissions import receive

    resources = app_context(request).resources
    now = now_of(request)
    receipt = receive(
        resources,
        plan,
        period,
        unit_code=str(principal.unit_code),
        filename=checked.name,
        content=checked.original.read_bytes(),
        received_at=now,
        channel="portal",
        sender=principal.username,
        explanation=why or None,
    )
    resources.store.audit(
        now,
        principal.username,
        AuditAction.SUBMIT,
        plan.id,
        period.code,
        f"{receipt.id} {checked.name} sha256 {checked.sha256}",
    )
    waiting = load_awaiting(checked.folder)
    if waiting is not None and waiting.state == AwaitingState.AWAITING:
        done = replace(waiting, state=AwaitingState.SENT, receipt=receipt.id)
        atomic_write(checked.folder / AWAITING_FILE, dumps_strict(done.to_json()).encode())
    return receipt


# --- the unit leader's approval (plans with `reporting.leader_approval`) --------------------

AWAITING_FILE = "cho-duyet.json"


class AwaitingState:
    AWAITING = "awaiting"  # chờ lãnh đạo đơn vị duyệt
    RETURNED = "returned"  # lãnh đạo trả lại chuyên viên
    SENT = "sent"  # lãnh đạo đã duyệt và gửi lên


@dataclass(frozen=True)
class Awaiting:
    """A specialist's submission waiting for the unit leader (kept beside the check)."""

    sha256: str
    name: str
    by: str
    at: datetime
    explanation: str
    state: str = AwaitingState.AWAITING
    reason: str | None = None
    receipt: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "name": self.name,
            "by": self.by,
            "at": self.at.isoformat(),
            "explanation": self.explanation,
            "state": self.state,
            "reason": self.reason,
            "receipt": self.receipt,
        }


def load_awaiting(folder: Path) -> Awaiting | None:
    path = folder / AWAITING_FILE
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    return Awaiting(**{**data, "at": datetime.fromisoformat(data["at"])})


def awaiting_for_unit(settings: Any, unit_code: str) -> list[Awaiting]:
    """The unit's submissions still waiting for its leader, oldest first."""
    root = checks_root(settings) / unit_code
    found = [load_awaiting(folder) for folder in root.iterdir()] if root.is_dir() else []
    waiting = [a for a in found if a is not None and a.state == AwaitingState.AWAITING]
    return sorted(waiting, key=lambda a: a.at)


def leader_decides(
    request: Request, principal: Principal, sha256: str, approve: bool, reason: str = ""
) -> Any:
    """The unit leader approves a waiting submission (sent up now, under the leader's name,
    with the specialist's explanation: the Receipt) or returns it to the specialist with a
    reason (the updated `Awaiting`)."""
    from pcmbn.vocabulary import Role

    if principal.role != Role.UNIT_LEADER:
        raise PortalRefusal(403, "Chỉ lãnh đạo đơn vị duyệt báo cáo.", error="khong_duoc_phep")
    resources = app_context(request).resources
    checked = load_checked(resources.settings, str(principal.unit_code), sha256)
    waiting = load_awaiting(checked.folder) if checked is not None else None
    if checked is None or waiting is None:
        raise PortalRefusal(404, "Không có báo cáo chờ duyệt này.", error="khong_tim_thay")
    if waiting.state != AwaitingState.AWAITING:
        raise PortalRefusal(409, "Báo cáo này đã được xử lý.", error="da_xu_ly")
    plan, period, _ = _ready_to_send(resources, principal, checked, waiting.explanation)
    if approve:
        return _send(request, principal, checked, plan, period, waiting.explanation)
    reason = " ".join(reason.split())[:MAX_EXPLANATION]
    if not reason:
        raise PortalRefusal(422, "Cần ghi lý do trả lại.", error="can_ly_do")
    returned = replace(waiting, state=AwaitingState.RETURNED, reason=reason)
    atomic_write(checked.folder / AWAITING_FILE, dumps_strict(returned.to_json()).encode())
    resources.store.audit(
        now_of(request),
        principal.username,
        AuditAction.RETURN,
        plan.id,
        period.code,
        f"lãnh đạo đơn vị trả lại chuyên viên {waiting.by}: {checked.name}; lý do: {reason}",
    )
    return returned


def own_receipt(request: Request, principal: Principal, receipt_id: str) -> Any:
    """The receipt if the principal may see it (its unit's, or any for an officer); else 404."""
    from pcmbn.submissions import get_receipt

    receipt = get_receipt(app_context(request).resources, receipt_id)
    if receipt is None or (not principal.is_officer and receipt.unit_code != principal.unit_code):
        raise PortalRefusal(404, "Không có biên nhận này.", error="khong_tim_thay")
    if not principal.is_officer and principal.plan_id and receipt.plan_id != principal.plan_id:
        raise PortalRefusal(404, "Không có biên nhận này.", error="khong_tim_thay")
    return receipt


def receipt_text(receipt: Any, unit_name: str) -> str:
    """The downloadable receipt (plain text, UTF-8)."""
    from pcmbn.office.times import datetime_label

    lines = [
        "BIÊN NHẬN BÁO CÁO",
        "Cơ quan Thường trực Ban Chỉ đạo 138",
        "",
        f"Số biên nhận: {receipt.id}",
        f"Đơn vị: {unit_name} ({receipt.unit_code})",
        f"Kế hoạch: {receipt.plan_id}",
        f"Kỳ báo cáo: {receipt.period}",
        f"Thời điểm nhận: {datetime_label(receipt.received_at)}",
        f"Người gửi: {receipt.sender}",
        f"Tệp: {receipt.original_name} ({receipt.size} byte)",
        f"SHA-256: {receipt.sha256}",
    ]
    if receipt.explanation:
        lines.append(f"Giải trình cảnh báo: {receipt.explanation}")
    return "\r\n".join(lines) + "\r\n"
