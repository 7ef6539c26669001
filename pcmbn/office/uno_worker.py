"""The warm PDF converter's child: one headless LibreOffice kept running, driven over UNO.

Run by a Python that can `import uno` (Debian's `python3-uno` lives in the system interpreter,
not in the project's virtual environment), never imported by the project: it uses the standard
library and `uno` only. `pcmbn.office.soffice.WarmOffice` starts it and speaks JSON lines:

    stdin : {"id": 1, "sources": ["/…/BaoCao.docx", …], "out_dir": "/…"}
    stdout: {"ready": true} once LibreOffice answers (and has converted a warm-up document),
            then {"id": 1, "made": ["/…/BaoCao.pdf", …]} or {"id": 1, "error": "…"}

Starting LibreOffice and loading its Writer, Calc and PDF export code costs seconds on two
cores, more than converting a packet's documents; kept warm, a conversion costs only itself.
Each document is loaded hidden and stored with the PDF filter of its kind, as
`soffice --convert-to pdf` does (same filters, default options), so the PDFs are the same.
LibreOffice runs in this process's group with its own profile; when it dies it is started
again (between requests, and once more within a request it died in). Log lines go to stderr.
"""

from __future__ import annotations

import contextlib
import json
import select
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import uno  # type: ignore[import-not-found]
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]

CONNECT_TIMEOUT_S = 120.0
#: How often, while idle, the worker looks whether LibreOffice is still there (seconds).
IDLE_LOOK_S = 1.0
_STRICT = json.JSONEncoder(allow_nan=False)  # ASCII: whatever the locale of this interpreter
FILTERS = (
    ("com.sun.star.sheet.SpreadsheetDocument", "calc_pdf_Export"),
    ("com.sun.star.text.TextDocument", "writer_pdf_Export"),
    ("com.sun.star.presentation.PresentationDocument", "impress_pdf_Export"),
    ("com.sun.star.drawing.DrawingDocument", "draw_pdf_Export"),
)


def _log(message: str) -> None:
    print(
        f"{time.strftime('%Y-%m-%d %H:%M:%S')} uno-worker: {message}", file=sys.stderr, flush=True
    )


def _props(**values: Any) -> tuple[Any, ...]:
    found = []
    for name, value in values.items():
        prop = PropertyValue()
        prop.Name, prop.Value = name, value
        found.append(prop)
    return tuple(found)


class Office:
    """One LibreOffice process and the UNO desktop that drives it."""

    def __init__(self, program: str, profile: Path, pipe: str) -> None:
        self.program, self.profile, self.pipe = program, profile, pipe
        self.process: subprocess.Popen[bytes] | None = None
        self.desktop: Any = None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        """Start LibreOffice, connect, and convert one small document of each kind."""
        began = time.monotonic()
        self.process = subprocess.Popen(  # noqa: S603 (LibreOffice, our arguments)
            [
                self.program,
                "--headless",
                "--invisible",
                "--norestore",
                "--nologo",
                "--nodefault",
                "--nolockcheck",
                f"-env:UserInstallation={self.profile.as_uri()}",
                f"--accept=pipe,name={self.pipe};urp;StarOffice.ComponentContext",
            ],
            stdin=subprocess.DEVNULL,
            stdout=sys.stderr,
            stderr=sys.stderr,
        )
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local
        )
        url = f"uno:pipe,name={self.pipe};urp;StarOffice.ComponentContext"
        while True:
            try:
                context = resolver.resolve(url)
                break
            except Exception:  # noqa: BLE001 - NoConnectException until it listens
                if not self.alive or time.monotonic() - began > CONNECT_TIMEOUT_S:
                    raise RuntimeError("LibreOffice did not start") from None
                time.sleep(0.05)
        self.desktop = context.ServiceManager.createInstanceWithContext(
            "com.sun.star.frame.Desktop", context
        )
        self._warm_up()
        _log(f"LibreOffice ready (pid {self.process.pid}) in {time.monotonic() - began:.1f} s")

    def _warm_up(self) -> None:
        """Load Writer, Calc and the PDF export once, so the first real request is warm."""
        with tempfile.TemporaryDirectory(prefix="pcmbn-uno-") as work:
            for factory in ("swriter", "scalc"):
                doc = self.desktop.loadComponentFromURL(
                    f"private:factory/{factory}", "_blank", 0, _props(Hidden=True)
                )
                try:
                    target = uno.systemPathToFileUrl(str(Path(work) / f"{factory}.pdf"))
                    doc.storeToURL(target, _props(FilterName=_filter(doc)))
                finally:
                    doc.close(True)

    def convert(self, source: Path, out_dir: Path) -> Path:
        """`source` → `out_dir/<stem>.pdf`, with the PDF filter of the document's kind."""
        target = out_dir / f"{source.stem}.pdf"
        doc = self.desktop.loadComponentFromURL(
            uno.systemPathToFileUrl(str(source)), "_blank", 0, _props(Hidden=True)
        )
        if doc is None:
            raise RuntimeError(f"{source.name}: LibreOffice cannot open it")
        try:
            doc.storeToURL(uno.systemPathToFileUrl(str(target)), _props(FilterName=_filter(doc)))
        finally:
            doc.close(True)
        return target

    def answers(self) -> bool:
        """Whether LibreOffice still answers over UNO (a killed one raises)."""
        try:
            self.desktop.getComponents()
        except Exception:  # noqa: BLE001 - DisposedException and friends
            return False
        return self.alive

    def stop(self) -> None:
        process, self.process = self.process, None  # once, even from the SIGTERM handler
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(Exception):  # it goes either way
                self.desktop.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _answer(message: dict[str, Any]) -> None:
    """One JSON line to the service. Strict (no NaN) like the project's `jsonio.dumps_strict`,
    which this interpreter cannot import (it runs outside the project's environment)."""
    print(_STRICT.encode(message), flush=True)


def _filter(doc: Any) -> str:
    for service, name in FILTERS:
        if doc.supportsService(service):
            return name
    return "writer_pdf_Export"


def _handle(office: Office, request: dict[str, Any]) -> dict[str, Any]:
    """Convert a request's sources; a LibreOffice that died on the way is restarted once."""
    out_dir = Path(request["out_dir"])
    out_dir.mkdir(parents=True, exist_ok=True)
    made: list[str] = []
    for raw in request["sources"]:
        source = Path(raw)
        for attempt in (1, 2):
            try:
                made.append(str(office.convert(source, out_dir)))
                break
            except Exception as error:  # noqa: BLE001 - answered, the worker lives on
                if office.answers() or attempt == 2:
                    return {"id": request["id"], "error": f"{source.name}: {error}"}
                _log(f"LibreOffice died converting {source.name}; starting it again")
                office.stop()
                office.start()
    return {"id": request["id"], "made": made}


def main(argv: list[str]) -> int:
    program, profile, pipe = argv[1], Path(argv[2]), argv[3]
    office = Office(program, profile, pipe)

    def leave(_signum: int, _frame: Any) -> None:
        office.stop()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, leave)
    office.start()
    _answer({"ready": True, "pid": office.process.pid})  # type: ignore[union-attr]
    stdin = sys.stdin
    while True:
        readable, _, _ = select.select([stdin], [], [], IDLE_LOOK_S)
        if not readable:
            if not office.alive:
                _log("LibreOffice exited; starting it again")
                office.stop()
                office.start()
            continue
        line = stdin.readline()
        if not line:  # the service closed our stdin: it is stopping
            office.stop()
            return 0
        request = json.loads(line)
        if not office.alive:
            _log("LibreOffice exited; starting it again")
            office.stop()
            office.start()
        began = time.monotonic()
        answer = _handle(office, request)
        names = ", ".join(Path(s).name for s in request["sources"])
        _log(f"converted {names} in {time.monotonic() - began:.2f} s")
        _answer(answer)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
