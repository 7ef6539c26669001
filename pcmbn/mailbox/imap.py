"""The office mailbox over IMAP: TLS, unseen messages, read without marking, flagged at the end.

`imaplib` with an `ssl` context that verifies the certificate and the host name (the system's
CAs, plus `PCMBN_IMAP_CA_FILE` for an office's own CA or the tests' self-signed server).
`PCMBN_IMAP_SECURITY=starttls` upgrades a plain connection before logging in (and refuses a
server that cannot); `plain` is only accepted for a loopback host (`Settings` checks). Messages
are fetched with `BODY.PEEK[]`, which leaves them unseen: a crash before `mark_collected`
leaves the message for the next run instead of losing it.
"""

from __future__ import annotations

import base64
import imaplib
import logging
import re
import ssl
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType

from pcmbn.errors import PcmbnError
from pcmbn.settings import ImapSecurity, Settings

log = logging.getLogger(__name__)

#: The keyword set on every message the intake has taken (besides \\Seen).
COLLECTED_KEYWORD = "$PcmbnCollected"
_UID = re.compile(rb"UID (\d+)")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


@dataclass(frozen=True)
class ImapSettings:
    """Where the mailbox is and how to log in (`from_settings`)."""

    host: str
    port: int
    security: ImapSecurity
    username: str
    password: str
    folder: str = "INBOX"
    done_folder: str | None = None
    ca_file: str | None = None
    timeout: float = 60.0

    @classmethod
    def from_settings(cls, settings: Settings) -> ImapSettings:
        """The mailbox of `settings` (`PCMBN_IMAP_*`); the password from the environment or
        from a Prefect Secret block (`PCMBN_IMAP_SECRET`), read only now, when it is used."""
        if not settings.imap_host:
            raise PcmbnError(
                "Chưa cấu hình hộp thư của cơ quan thường trực (PCMBN_IMAP_HOST) nên không thu "
                "thập được báo cáo gửi qua thư điện tử."
            )
        username = settings.imap_user
        password = settings.imap_password.get_secret_value() if settings.imap_password else None
        if settings.imap_secret:
            from pcmbn.reminders import secret_credentials

            username, password = secret_credentials(
                settings.imap_secret, username, "PCMBN_IMAP_SECRET", "mật khẩu hộp thư"
            )
        if not username or not password:
            raise PcmbnError(
                "Chưa có tên đăng nhập và mật khẩu hộp thư (PCMBN_IMAP_USER, PCMBN_IMAP_PASSWORD "
                "hoặc PCMBN_IMAP_SECRET)."
            )
        default_port = 993 if settings.imap_security == ImapSecurity.TLS else 143
        return cls(
            host=settings.imap_host,
            port=settings.imap_port or default_port,
            security=settings.imap_security,
            username=username,
            password=password,
            folder=settings.imap_folder,
            done_folder=settings.imap_done_folder,
            ca_file=str(settings.imap_ca_file) if settings.imap_ca_file else None,
        )

    def context(self) -> ssl.SSLContext:
        """Certificates and host name verified; the extra CA file trusted too when given."""
        context = ssl.create_default_context()
        if self.ca_file:
            context.load_verify_locations(cafile=self.ca_file)
        return context


@dataclass(frozen=True)
class Fetched:
    """One message's bytes with the server's arrival time."""

    uid: str
    raw: bytes
    arrived: datetime | None


class Mailbox:
    """One IMAP session on the configured folder (a context manager)."""

    def __init__(self, settings: ImapSettings) -> None:
        self.settings = settings
        self._imap: imaplib.IMAP4 | None = None

    def __enter__(self) -> Mailbox:
        s = self.settings
        where = f"{s.host}:{s.port}"
        try:
            if s.security == ImapSecurity.TLS:
                imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                    s.host, s.port, ssl_context=s.context(), timeout=s.timeout
                )
            else:
                imap = imaplib.IMAP4(s.host, s.port, timeout=s.timeout)
                if s.security == ImapSecurity.STARTTLS:
                    imap.starttls(ssl_context=s.context())
            self._imap = imap
            _login(imap, s.username, s.password)
            _ok(imap.select(_quoted(s.folder)), f"open folder {s.folder}")
        except imaplib.IMAP4.error as exc:
            self._close()
            log.warning("IMAP %s refused: %r", where, exc)
            raise PcmbnError(
                f"Máy chủ hộp thư {where} từ chối: sai tên đăng nhập, mật khẩu hoặc không có thư "
                f"mục “{s.folder}”."
            ) from exc
        except (OSError, ssl.SSLError) as exc:
            self._close()
            log.warning("IMAP %s unreachable: %r", where, exc)
            reason = (
                " (chứng chỉ của máy chủ không hợp lệ)"
                if isinstance(exc, ssl.SSLCertVerificationError)
                else ""
            )
            raise PcmbnError(f"Không kết nối được máy chủ hộp thư {where}{reason}.") from exc
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._close()

    def _close(self) -> None:
        imap, self._imap = self._imap, None
        if imap is None:
            return
        try:
            if imap.state == "SELECTED":
                imap.close()
            imap.logout()
        except (imaplib.IMAP4.error, OSError):
            pass

    @property
    def imap(self) -> imaplib.IMAP4:
        if self._imap is None:
            raise RuntimeError("mailbox not open")
        return self._imap

    def unseen(self) -> list[str]:
        """UIDs of the folder's unseen messages not yet collected, oldest first."""
        data = _ok(self.imap.uid("SEARCH", "UNSEEN", "UNKEYWORD", COLLECTED_KEYWORD), "SEARCH")
        return [uid.decode() for uid in (data[0] or b"").split()]

    def size(self, uid: str) -> int:
        """The message's size in bytes, before downloading it."""
        data = _ok(self.imap.uid("FETCH", uid, "(RFC822.SIZE)"), "FETCH SIZE")
        for item in data:
            line = item[0] if isinstance(item, tuple) else item
            match = _SIZE.search(line or b"")
            if match:
                return int(match.group(1))
        return 0

    def fetch(self, uid: str, headers_only: bool = False) -> Fetched:
        """The message's bytes (or its header alone), leaving it unseen (`BODY.PEEK`)."""
        part = "BODY.PEEK[HEADER]" if headers_only else "BODY.PEEK[]"
        data = _ok(self.imap.uid("FETCH", uid, f"(INTERNALDATE {part})"), "FETCH")
        for item in data:
            if isinstance(item, tuple) and _UID.search(item[0]):
                arrived = imaplib.Internaldate2tuple(item[0])
                when = datetime(*arrived[:6]).astimezone() if arrived else None
                return Fetched(uid, bytes(item[1]), when)
        raise PcmbnError(f"Máy chủ hộp thư không trả về thư số {uid}.")

    def mark_collected(self, uid: str) -> None:
        """Flag the message as read and collected, then move it when a folder is configured."""
        flags = f"(\\Seen {COLLECTED_KEYWORD})"
        _ok(self.imap.uid("STORE", uid, "+FLAGS.SILENT", flags), "STORE")
        done = self.settings.done_folder
        if not done:
            return
        self.imap.create(_quoted(done))  # "already exists" is fine
        if b"MOVE" in b" ".join(c.encode() for c in self.imap.capabilities):
            _ok(self.imap.uid("MOVE", uid, _quoted(done)), "MOVE")
            return
        _ok(self.imap.uid("COPY", uid, _quoted(done)), "COPY")
        _ok(self.imap.uid("STORE", uid, "+FLAGS.SILENT", "(\\Deleted)"), "STORE")
        self.imap.expunge()


def _login(imap: imaplib.IMAP4, username: str, password: str) -> None:
    """LOGIN, except for non-ASCII credentials (a Vietnamese password): imaplib sends commands
    as ASCII, so those go as AUTHENTICATE PLAIN, whose credentials are UTF-8 (RFC 4616)."""
    if (username + password).isascii():
        _ok(imap.login(username, password), "LOGIN")
        return
    token = f"\0{username}\0{password}".encode()
    _ok(imap.authenticate("PLAIN", lambda _challenge: token), "AUTHENTICATE")


def _quoted(folder: str) -> str:
    """A folder name as an IMAP quoted string, in IMAP's modified UTF-7 (RFC 3501 §5.1.3):
    a Vietnamese folder name such as “Báo cáo” travels as `B&AOE-o c&AOE-o`."""
    return '"' + utf7_folder(folder).replace("\\", "\\\\").replace('"', '\\"') + '"'


def utf7_folder(name: str) -> str:
    """`name` in modified UTF-7: printable ASCII as is (`&` as `&-`), other runs as `&…-`
    holding their UTF-16BE in base64 with `,` for `/`."""
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            data = "".join(run).encode("utf-16-be")
            out.append(
                "&" + base64.b64encode(data).decode("ascii").rstrip("=").replace("/", ",") + "-"
            )
            run.clear()

    for ch in name:
        if " " <= ch <= "~":
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            run.append(ch)
    flush()
    return "".join(out)


def _ok(answer: tuple[str, list], command: str) -> list:
    status, data = answer
    if status != "OK":
        raise imaplib.IMAP4.error(f"{command}: {status} {data!r}")
    return data
