"""Portal accounts: one-time passwords, argon2id hashes, sign-in with lockout, password change.

The rules live here, the rows in the store (`pcmbn.store.accounts`). A unit account is named
after its unit and plan (`ca_tinh@st-kh-30-7-2024`: the same unit code exists in several
provinces' registries); creating it again rotates it (new one-time password, sessions ended).
Five wrong passwords in a row lock the account for fifteen minutes, and the clerk is told until
when; the first sign-in with a one-time password must change it before anything else.
"""

from __future__ import annotations

import logging
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from pcmbn.errors import PcmbnError
from pcmbn.office.times import datetime_label
from pcmbn.store import Store
from pcmbn.vocabulary import AuditAction, Role

log = logging.getLogger(__name__)

#: Consecutive wrong passwords that lock an account, and for how long.
MAX_FAILURES = 5
LOCK_MINUTES = 15
#: Shortest password a person may choose (one-time passwords are longer).
MIN_PASSWORD_LENGTH = 10
#: Letters of a one-time password: no 0/O, 1/l/I, easy to read out on the telephone.
_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ONE_TIME_LENGTH = 14

_hasher = PasswordHasher()  # argon2id with the library's recommended cost (no work at import)


@cache
def _dummy_hash() -> str:
    """A hash to verify against when the account does not exist (same time as a wrong one)."""
    return _hasher.hash("pcmbn-no-such-account")


class LoginRefused(PcmbnError):
    """A sign-in refused; the message is what the person reads."""


class PasswordRejected(PcmbnError):
    """A new password that cannot be used; the message says why."""


@dataclass(frozen=True)
class Account:
    username: str
    role: Role
    unit_code: str | None
    plan_id: str | None
    must_change: bool
    failed_count: int
    locked_until: datetime | None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Account:
        return cls(
            username=row["username"],
            role=Role(row["role"]),
            unit_code=row["unit_code"],
            plan_id=row["plan_id"],
            must_change=bool(row["must_change"]),
            failed_count=int(row["failed_count"] or 0),
            locked_until=row["locked_until"],
        )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def one_time_password() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(ONE_TIME_LENGTH))


#: A unit leader's username is its specialist's with this prefix.
LEADER_PREFIX = "lanhdao."


def unit_username(unit_code: str, plan_id: str) -> str:
    """`ca_tinh@st-kh-30-7-2024`: a unit's account in one plan."""
    return f"{unit_code.lower()}@{plan_id.lower()}"


def normal_username(username: str) -> str:
    """What a person typed, as the account's key (case and Unicode form do not matter)."""
    return unicodedata.normalize("NFC", username).strip().lower()


def officer_username(name: str) -> str:
    """An officer's account from the name given to `pcmbn accounts create --officer`."""
    cleaned = normal_username(name)
    if not cleaned or any(ch.isspace() or not ch.isprintable() for ch in cleaned):
        raise PasswordRejected(
            f"Tên tài khoản «{name}» không dùng được: cần một từ, không có khoảng trắng."
        )
    return cleaned


def create_account(
    store: Store,
    *,
    username: str,
    role: Role,
    unit_code: str | None,
    plan_id: str | None,
    now: datetime,
    actor: str,
) -> str:
    """Create or rotate an account; returns its one-time password (shown once, never stored)."""
    password = one_time_password()
    existing = store.account(username)
    store.put_account(
        {
            "username": username,
            "role": str(role),
            "unit_code": unit_code,
            "plan_id": plan_id,
            "password_hash": hash_password(password),
            "must_change": True,
            "failed_count": 0,
            "locked_until": None,
            "created_at": existing["created_at"] if existing else now,
            "rotated_at": now,
        }
    )
    detail = f"{'rotated' if existing else 'created'} {username} ({role})"
    store.audit(now, actor, AuditAction.ACCOUNT, plan_id or "", None, detail)
    return password


def lock_message(until: datetime) -> str:
    return (
        "Tài khoản tạm khóa vì nhập sai mật khẩu nhiều lần; "
        f"hãy thử lại sau {datetime_label(until)}."
    )


WRONG_CREDENTIALS = "Tên đăng nhập hoặc mật khẩu không đúng."


def authenticate(store: Store, username: str, password: str, now: datetime) -> Account:
    """The account if the password is right and it is not locked; else `LoginRefused`.

    Every attempt on an existing account is an audit row (ok / failed / locked)."""
    key = normal_username(username)
    row = store.account(key) if key else None
    if row is None:
        password_matches(_dummy_hash(), password)  # the same time as a wrong password
        raise LoginRefused(WRONG_CREDENTIALS)
    account = Account.from_row(row)
    plan = account.plan_id or ""
    if account.locked_until is not None and account.locked_until > now:
        store.audit(now, key, AuditAction.LOGIN, plan, None, "locked")
        raise LoginRefused(lock_message(account.locked_until))
    if not password_matches(row["password_hash"], password):
        failures = account.failed_count + 1
        changes: dict[str, Any] = {"failed_count": failures}
        if failures >= MAX_FAILURES:
            changes = {"failed_count": 0, "locked_until": now + timedelta(minutes=LOCK_MINUTES)}
        store.update_account(key, changes)
        store.audit(now, key, AuditAction.LOGIN, plan, None, "failed")
        if "locked_until" in changes:
            raise LoginRefused(lock_message(changes["locked_until"]))
        left = MAX_FAILURES - failures
        raise LoginRefused(f"{WRONG_CREDENTIALS} Còn {left} lần thử trước khi tài khoản bị khóa.")
    if account.failed_count or account.locked_until is not None:
        store.update_account(key, {"failed_count": 0, "locked_until": None})
    store.audit(now, key, AuditAction.LOGIN, plan, None, "ok")
    return account


def change_password(store: Store, username: str, old: str, new: str, now: datetime) -> None:
    """Replace a password (the old one must be right); the one-time flag is cleared."""
    row = store.account(username)
    if row is None or not password_matches(row["password_hash"], old):
        raise PasswordRejected("Mật khẩu hiện tại không đúng.")
    if len(new) < MIN_PASSWORD_LENGTH:
        raise PasswordRejected(f"Mật khẩu mới cần ít nhất {MIN_PASSWORD_LENGTH} ký tự.")
    if new == old:
        raise PasswordRejected("Mật khẩu mới phải khác mật khẩu cũ.")
    if normal_username(new) == username or new.lower() in username:
        raise PasswordRejected("Mật khẩu mới không được giống tên đăng nhập.")
    store.update_account(
        username, {"password_hash": hash_password(new), "must_change": False, "rotated_at": now}
    )
    store.audit(now, username, AuditAction.PASSWORD, row["plan_id"] or "", None, "changed")


def utc_now() -> datetime:
    return datetime.now(UTC)


# --- issuing accounts (`pcmbn accounts create`) -----------------------------------------------


@dataclass(frozen=True)
class Issued:
    """An account just created or rotated, with its one-time password (handed out once)."""

    unit_code: str | None
    unit_name: str
    email: str | None
    username: str
    password: str


ISSUED_COLUMNS = ("unit", "username", "password")


def issue_unit_accounts(
    resources: Any,
    plan: Any,
    unit_codes: list[str] | None,
    now: datetime,
    actor: str,
    leader: bool = False,
) -> list[Issued]:
    """Create or rotate the accounts of `unit_codes` (None: every unit of the plan's registry
    expected in its current period) for `plan`; unknown codes are refused before any change.
    `leader`: the units' leaders' accounts (`lanhdao.<unit>@<plan>`), who approve what their
    specialist submitted where the plan asks for it (`reporting.leader_approval`)."""
    from pcmbn.clock import today_in_vietnam
    from pcmbn.portal.current import current_period

    registry = resources.catalog.registry(plan)
    if unit_codes is None:
        units = resources.catalog.expected_units(plan, current_period(plan, today_in_vietnam()))
    else:
        unknown = [code for code in unit_codes if registry.get(code) is None]
        if unknown:
            raise PcmbnError(
                f"Không có đơn vị {', '.join(unknown)} trong danh mục đơn vị của kế hoạch "
                f"{plan.id} ({registry.path.name})."
            )
        units = [registry.get(code) for code in dict.fromkeys(unit_codes)]
    issued = []
    for unit in units:
        username = unit_username(unit.code, plan.id)
        if leader:
            username = f"{LEADER_PREFIX}{username}"
        password = create_account(
            resources.store,
            username=username,
            role=Role.UNIT_LEADER if leader else Role.UNIT_SPECIALIST,
            unit_code=unit.code,
            plan_id=plan.id,
            now=now,
            actor=actor,
        )
        issued.append(Issued(unit.code, unit.name, unit.email, username, password))
    return issued


def issue_officer(resources: Any, name: str, now: datetime, actor: str) -> Issued:
    """Create or rotate an officer's account."""
    username = officer_username(name)
    password = create_account(
        resources.store,
        username=username,
        role=Role.OFFICER,
        unit_code=None,
        plan_id=None,
        now=now,
        actor=actor,
    )
    return Issued(None, name, None, username, password)


def issued_csv(issued: list[Issued]) -> bytes:
    """The hand-out sheet `unit,username,password`, through the one CSV writer (formula cells
    neutralised, UTF-8 with BOM: Excel opens it with its diacritics)."""
    from pcmbn.office.csv import to_csv_bytes

    rows = [
        {"unit": i.unit_code or "", "username": i.username, "password": i.password} for i in issued
    ]
    return to_csv_bytes(rows, ISSUED_COLUMNS)


def account_letters(issued: list[Issued], plan: Any, portal_url: str) -> list[Any]:
    """One e-mail per unit with its username and one-time password (sent by the mailer)."""
    from pcmbn.reminders import Reminder
    from pcmbn.vocabulary import Completeness

    letters = []
    for item in issued:
        body = (
            f"Kính gửi {item.unit_name},\n\n"
            f"Cơ quan Thường trực Ban Chỉ đạo 138 cấp tài khoản gửi báo cáo của đơn vị trên cổng "
            f"báo cáo (kế hoạch {plan.id}):\n\n"
            f"  Địa chỉ: {portal_url}/dang-nhap\n"
            f"  Tên đăng nhập: {item.username}\n"
            f"  Mật khẩu dùng một lần: {item.password}\n\n"
            "Lần đăng nhập đầu tiên, cổng yêu cầu đặt mật khẩu mới (ít nhất "
            f"{MIN_PASSWORD_LENGTH} ký tự). Mật khẩu cũ của đơn vị (nếu có) không còn dùng được.\n"
        )
        letters.append(
            Reminder(
                unit_code=item.unit_code or "",
                unit_name=item.unit_name,
                status=Completeness.MISSING,  # the mailer's type; not a reminder's status here
                to=item.email,
                subject=f"Tài khoản cổng báo cáo PCMBN — {item.unit_name}",
                body=body,
            )
        )
    return letters
