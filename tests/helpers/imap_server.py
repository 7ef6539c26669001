"""A real, throw-away IMAP server for the mail intake's tests: Debian's dovecot (`dovecot-imapd`).

A temporary folder holds a minimal configuration, a self-signed certificate made here (for
127.0.0.1 and localhost, trusted by the tests through `PCMBN_IMAP_CA_FILE`) and one Maildir;
the server listens with implicit TLS on a free loopback port, with one static user. It runs as
the current user; as root (CI), dovecot's own unprivileged accounts (`dovecot`, `dovenull`)
run its processes and own the Maildir, since dovecot refuses to serve mail as root. Messages
are delivered by writing them into `Maildir/new`, as a local delivery agent does.
"""

from __future__ import annotations

import datetime as dt
import grp
import ipaddress
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

DOVECOT = "/usr/sbin/dovecot"
MISSING = "dovecot is not installed: apt-get install dovecot-imapd"
USER, PASSWORD = "bcd138", "mật-khẩu-thử"


def available() -> bool:
    return Path(DOVECOT).is_file() and os.access(DOVECOT, os.X_OK)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _self_signed(cert: Path, key: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(private, hashes.SHA256())
    )
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key.chmod(0o600)


class ImapServer:
    """One dovecot instance; `deliver(raw)` puts a message in the user's INBOX."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="pcmbn-imap-"))
        self.root.chmod(0o755)
        self.maildir = self.root / "Maildir"
        self.ca_file = self.root / "cert.pem"
        self.port = 0
        self._count = 0
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        for sub in ("new", "cur", "tmp"):
            (self.maildir / sub).mkdir(parents=True)
        (self.root / "run").mkdir()
        (self.root / "state").mkdir()
        _self_signed(self.ca_file, self.root / "key.pem")
        me = pwd.getpwuid(os.getuid()).pw_name
        internal, login, mail_user = me, me, me
        if os.geteuid() == 0:
            internal, login, mail_user = "dovecot", "dovenull", "dovecot"
            owner = pwd.getpwnam(mail_user)
            for folder in (self.maildir, *self.maildir.iterdir()):
                os.chown(folder, owner.pw_uid, owner.pw_gid)
        self.port = _free_port()
        config = self.root / "dovecot.conf"
        config.write_text(
            f"""
base_dir = {self.root}/run
state_dir = {self.root}/state
instance_name = pcmbn-test-{uuid.uuid4().hex[:8]}
protocols = imap
listen = 127.0.0.1
log_path = {self.root}/dovecot.log
ssl = required
ssl_cert = <{self.ca_file}
ssl_key = <{self.root}/key.pem
default_internal_user = {internal}
default_internal_group = {grp.getgrgid(pwd.getpwnam(internal).pw_gid).gr_name}
default_login_user = {login}
first_valid_uid = 1
mail_location = maildir:{self.maildir}
auth_mechanisms = plain
passdb {{
  driver = static
  args = user={USER} password={PASSWORD}
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={pwd.getpwnam(mail_user).pw_gid} home={self.root}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    port = {self.port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
""",
            encoding="utf-8",
        )
        # In the foreground (-F): this process owns the server and stops it by its pid; a
        # daemonised dovecot would also keep any pipe given to it open for ever.
        self._process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=(self.root / "stderr.log").open("wb"),
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"dovecot did not listen: {self.log()}")

    def log(self) -> str:
        text = ""
        for name in ("stderr.log", "dovecot.log"):
            path = self.root / name
            if path.exists():
                text += path.read_text(encoding="utf-8", errors="replace")
        return text

    def deliver(self, raw: bytes) -> Path:
        """Write `raw` into the INBOX as a new message (tmp, then rename: Maildir's rule)."""
        self._count += 1
        name = f"{int(time.time())}.M{self._count}P{os.getpid()}.pcmbn-test"
        tmp = self.maildir / "tmp" / name
        tmp.write_bytes(raw)
        if os.geteuid() == 0:
            owner = pwd.getpwnam("dovecot")
            os.chown(tmp, owner.pw_uid, owner.pw_gid)
        target = self.maildir / "new" / name
        tmp.rename(target)
        return target

    def environment(self) -> dict[str, str]:
        """The `PCMBN_IMAP_*` variables reaching this server."""
        return {
            "PCMBN_IMAP_HOST": "127.0.0.1",
            "PCMBN_IMAP_PORT": str(self.port),
            "PCMBN_IMAP_SECURITY": "tls",
            "PCMBN_IMAP_CA_FILE": str(self.ca_file),
            "PCMBN_IMAP_USER": USER,
            "PCMBN_IMAP_PASSWORD": PASSWORD,
        }

    def stop(self) -> None:
        process = getattr(self, "_process", None)
        if process is not None and process.poll() is None:
            process.terminate()  # the master stops its children on SIGTERM
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        shutil.rmtree(self.root, ignore_errors=True)
