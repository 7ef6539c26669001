"""The one place that knows file and folder names under the home and outputs folders.

Data officers, scripts and the reminder emails refer to these names (`TongHop_<plan>_<kỳ>.xlsx`,
`NhacNho_…csv`, `…_KiemTra.xlsx`), so they are part of the product: changing one here changes
it everywhere, and nowhere else builds them.

```
<outputs>/<plan>/<period>/TongHop_<plan>_<period>.xlsx   summary workbook
                          NhacNho_<plan>_<period>.csv    who to remind
                          KetQuaKiemTra_<plan>_<period>.html  validation report
                          exports/  feedback/
<outputs>/<plan>/packets/                                conference packets
<home>/locks/<plan>_<period>.lock   <home>/tmp/   <home>/logs/pcmbn.log
<home>/outbox/<plan>/<period>/ (blank templates)   <home>/feedback/ (`pcmbn check`)
<home>/mail/ledger.jsonl (what the mail intake took from each message)
<home>/mail/feedback/ (the annotated copies attached to the mail intake's answers)
<inbox>/<plan>/<period>/
```
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

from pcmbn.settings import Settings

SUMMARY_PREFIX = "TongHop_"
REMINDERS_PREFIX = "NhacNho_"
FEEDBACK_SUFFIX = "_KiemTra"
#: Longest feedback file name, in UTF-8 bytes: file systems stop at 255, and the atomic writer
#: and the outputs' upload add a temporary suffix to it.
FEEDBACK_NAME_MAX_BYTES = 200
#: Hex digits of the submission's sha256 in its feedback name: enough to tell any two files of
#: a month apart, short enough to leave room for the name the unit gave its file.
FEEDBACK_SHA_DIGITS = 12
#: A unit code longer than this (a reception log can say anything) is cut in the name.
FEEDBACK_UNIT_MAX_BYTES = 40
#: Characters Windows, macOS or a mail client refuse or misread in a file name.
_UNSAFE = set('<>:"/\\|?*')
EXPORTS_DIR = "exports"
UPWARD_DIR = "len-cap-tren"
FEEDBACK_DIR = "feedback"
VALIDATION_REPORT_PREFIX = "KetQuaKiemTra_"
PACKETS_DIR = "packets"
LOCKS_DIR = "locks"
TMP_DIR = "tmp"
LOGS_DIR = "logs"
LOG_FILE = "pcmbn.log"
OUTBOX_DIR = "outbox"
MAIL_DIR = "mail"
MAIL_LEDGER = "ledger.jsonl"


def summary_name(plan_id: str, period_code: str) -> str:
    """`TongHop_<plan>_<period>.xlsx`: the provincial summary workbook."""
    return f"{SUMMARY_PREFIX}{plan_id}_{period_code}.xlsx"


def reminders_name(plan_id: str, period_code: str) -> str:
    """`NhacNho_<plan>_<period>.csv`: the reminder list beside the summary."""
    return f"{REMINDERS_PREFIX}{plan_id}_{period_code}.csv"


def validation_report_name(plan_id: str, period_code: str) -> str:
    """`KetQuaKiemTra_<plan>_<period>.html`: the run's self-contained validation report."""
    return f"{VALIDATION_REPORT_PREFIX}{plan_id}_{period_code}.html"


def feedback_name(unit_code: str | None, sha256: str, original_name: str, suffix: str) -> str:
    """`<unit>_<sha256[:12]>_<safe stem>_KiemTra<suffix>`: a unit's annotated copy (`.xlsx`)
    or note (`.txt`) of ONE submission.

    Keyed by the submission (the unit it is recorded under and its content hash), not by the
    name the unit gave it: two units sending `BaoCao.xlsx` get a file each, and a reminder finds
    the addressee's own file from the store. The unit's name for the file follows, made safe
    (NFC; control, path and reserved characters replaced) and cut at a character boundary so the
    whole name stays within `FEEDBACK_NAME_MAX_BYTES` UTF-8 bytes. Without a unit (a file that
    says nothing about itself, checked alone) the name starts with the hash.
    """
    # not a str: no unit known (a store's missing value can reach here as NaN)
    unit = (
        _truncate(_safe_part(unit_code), FEEDBACK_UNIT_MAX_BYTES)
        if isinstance(unit_code, str)
        else ""
    )
    prefix = "_".join(p for p in (unit, sha256[:FEEDBACK_SHA_DIGITS].lower()) if p)
    tail = f"{FEEDBACK_SUFFIX}{suffix}"
    stem = _safe_part(Path(original_name.replace("\\", "/")).stem)
    budget = FEEDBACK_NAME_MAX_BYTES - len(prefix.encode()) - len(tail.encode()) - 1
    stem = _truncate(stem, max(budget, 0))
    return f"{prefix}_{stem}{tail}" if stem else f"{prefix}{tail}"


def _safe_part(text: str) -> str:
    """One segment of a derived file name: NFC, nothing a file system or a shell misreads."""
    text = unicodedata.normalize("NFC", text)
    chars = [
        "_" if ch in _UNSAFE or (unicodedata.category(ch)[0] in "CZ" and ch != " ") else ch
        for ch in text
    ]
    return "".join(chars).strip(" ._")


def _truncate(text: str, max_bytes: int) -> str:
    """`text` cut to at most `max_bytes` UTF-8 bytes, never inside a character."""
    cut = text.encode("utf-8")[:max_bytes].decode("utf-8", "ignore")
    return cut.rstrip(" ._") if cut != text else text


@dataclass(frozen=True)
class OutputLayout:
    """Paths of one configuration (`from_settings`); pure: nothing is created here."""

    home: Path
    outputs_root: Path
    outputs_url: str | None
    inbox_root: str

    @classmethod
    def from_settings(cls, settings: Settings) -> OutputLayout:
        return cls(
            home=settings.home,
            outputs_root=settings.outputs_root,
            outputs_url=settings.outputs_url,
            inbox_root=settings.inbox_root,
        )

    # --- one plan and period ----------------------------------------------------------------

    def period_dir(self, plan_id: str, period_code: str) -> Path:
        """Summary, exports, feedback and validation report of one plan and period (local)."""
        return self.outputs_root / plan_id / period_code

    def summary(self, plan_id: str, period_code: str) -> Path:
        return self.period_dir(plan_id, period_code) / summary_name(plan_id, period_code)

    def reminders(self, plan_id: str, period_code: str) -> Path:
        return self.period_dir(plan_id, period_code) / reminders_name(plan_id, period_code)

    def exports_dir(self, plan_id: str, period_code: str) -> Path:
        return self.period_dir(plan_id, period_code) / EXPORTS_DIR

    def feedback_dir(self, plan_id: str, period_code: str) -> Path:
        return self.period_dir(plan_id, period_code) / FEEDBACK_DIR

    def validation_report(self, plan_id: str, period_code: str) -> Path:
        """The run's validation report (one HTML file, no outside address in it)."""
        return self.period_dir(plan_id, period_code) / validation_report_name(plan_id, period_code)

    def upward_dir(self, plan_id: str, period_code: str) -> Path:
        """`pcmbn export-upward`'s default folder: the report to the national level."""
        return self.period_dir(plan_id, period_code) / UPWARD_DIR

    def packets_dir(self, plan_id: str) -> Path:
        """Conference packets of a plan: `<outputs>/<plan>/packets`."""
        return self.outputs_root / plan_id / PACKETS_DIR

    def inbox(self, plan_id: str, period_code: str) -> str:
        """The default inbox of a plan and period: `<inbox>/<plan>/<period>` (path or URL)."""
        return f"{self.inbox_root}/{plan_id}/{period_code}"

    def outbox(self, plan_id: str, period_code: str) -> Path:
        """Where the template flow writes a period's blank workbooks by default."""
        return self.home / OUTBOX_DIR / plan_id / period_code

    def lock_file(self, plan_id: str, period_code: str) -> Path:
        """Keeps two runs of the same plan and period from interleaving."""
        return self.home / LOCKS_DIR / f"{plan_id}_{period_code}.lock"

    # --- the home folder --------------------------------------------------------------------

    @property
    def tmp_dir(self) -> Path:
        """Scratch space (archive copies in progress)."""
        return self.home / TMP_DIR

    @property
    def mail_ledger(self) -> Path:
        """The mail intake's ledger (`pcmbn.mailbox.ledger`)."""
        return self.home / MAIL_DIR / MAIL_LEDGER

    @property
    def mail_feedback_dir(self) -> Path:
        """Annotated copies written for the mail intake's answers."""
        return self.home / MAIL_DIR / FEEDBACK_DIR

    @property
    def log_file(self) -> Path:
        """Engineers' log: tracebacks and third-party chatter go here, never to the terminal."""
        return self.home / LOGS_DIR / LOG_FILE

    @property
    def check_feedback_dir(self) -> Path:
        """`pcmbn check`'s default folder for feedback files."""
        return self.home / FEEDBACK_DIR

    # --- remote outputs ---------------------------------------------------------------------

    def remote(self, local: Path) -> str | None:
        """Where a local output file or folder is published, or None when outputs are local."""
        if self.outputs_url is None:
            return None
        relative = local.resolve().relative_to(self.outputs_root.resolve())
        return f"{self.outputs_url}/{relative.as_posix()}" if relative.parts else self.outputs_url

    def where(self, local: Path) -> str:
        """What a person is told: the URL with remote outputs, else the local path."""
        return self.remote(local) or str(local)
