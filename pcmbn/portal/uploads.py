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
from dataclasses import dataclass
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
    """Hand an accepted upload to the office (`submissions.receive`); the Receipt."""
    from pcmbn.periods import Period
    from pcmbn.submissions import receive

    resources = app_context(request).resources
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
    period = Period.from_code(str(checked.item["period"]))
    now = now_of(request)
    receipt = receive(
        resources,
        plan,
        period,
        unit_code=unit,
        filename=checked.name,
        content=checked.original.read_bytes(),
        received_at=now,
        channel="portal",
        sender=principal.username,
        explanation=explanation or None,
    )
    resources.store.audit(
        now,
        principal.username,
        AuditAction.SUBMIT,
        plan.id,
        period.code,
        f"{receipt.id} {checked.name} sha256 {checked.sha256}",
    )
    return receipt


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
