"""The CLI's side of the service: find it, check files through it, run flows in it.

A command asks `connect(settings)`; with a service running for this home folder (its
`service.json`) or named by `PCMBN_SERVICE_URL` (+ `PCMBN_SERVICE_KEY`), it gets a client and
the work happens in the warm service; otherwise None, and the command runs in-process as it
always did. `PCMBN_USE_SERVICE=false` forces in-process.
"""

from __future__ import annotations

import logging
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pcmbn.errors import PcmbnError
from pcmbn.office.jsonio import dumps_strict
from pcmbn.serve.discovery import read_service_info
from pcmbn.serve.http import exchange
from pcmbn.settings import Settings

log = logging.getLogger(__name__)

#: How long one request waits for news of a running job (the service answers at once when the
#: job moves or ends: a long poll, not ten requests a second competing with the run).
WAIT_S = 10.0
#: Pause between two answers without news (a service that does not wait answers at once).
POLL_S = 0.1
#: Longest a command waits for a run of the service (a national month takes minutes).
RUN_TIMEOUT_S = 6 * 3600


@dataclass(frozen=True)
class ServiceClient:
    """Talks to one running service with its access key."""

    url: str
    key: str

    def _request(self, method: str, path: str, body: bytes | None = None,
                 content_type: str = "application/json", timeout: float = 600) -> Any:  # fmt: skip
        answer = exchange(
            self.url.rstrip("/") + path,
            method,
            data=body,
            content_type=content_type,
            headers={"Authorization": f"Bearer {self.key}"},
            timeout=timeout,
        )
        if answer.status == 0:
            raise PcmbnError(f"Không liên lạc được dịch vụ tại {self.url}: {answer.reason}")
        if not answer.ok:
            message = answer.body.get("error") if isinstance(answer.body, dict) else None
            raise PcmbnError(message or f"Dịch vụ trả lời lỗi {answer.status}.")
        return answer.body

    def healthy(self) -> bool:
        return exchange(self.url.rstrip("/") + "/health", timeout=2).status == 200

    def check_file(self, path: Path, feedback: bool = True) -> dict[str, Any]:
        """`pcmbn check --format json`'s document for one file, checked by the warm validator."""
        query = urllib.parse.urlencode({"name": path.name, "feedback": str(feedback).lower()})
        return self._request(
            "POST", f"/api/check?{query}", path.read_bytes(), "application/octet-stream"
        )

    def run_flow(
        self,
        flow: str,
        parameters: dict[str, Any],
        on_state: Callable[[dict[str, Any]], None] | None = None,
        actor: str | None = None,
    ) -> dict[str, Any]:
        """Start `flow` in the service and wait for it; the finished job (state, result).
        `actor` is who typed the command (the audit log's "who")."""
        body = dumps_strict({"flow": flow, "parameters": parameters, "actor": actor}).encode()
        job = self._request("POST", "/api/runs", body)
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while job["state"] in ("PENDING", "RUNNING") and time.monotonic() < deadline:
            if on_state is not None:
                on_state(job)
            seen = job.get("version")
            query = (
                urllib.parse.urlencode({"since": seen, "wait": WAIT_S}) if seen is not None else ""
            )
            began = time.monotonic()
            job = self._request(
                "GET", f"/api/runs/{job['id']}" + (f"?{query}" if query else ""),
                timeout=WAIT_S + 60,
            )  # fmt: skip
            if job.get("version") == seen and time.monotonic() - began < POLL_S:
                time.sleep(POLL_S)  # no news and no wait: an older service; poll gently
        return job


def connect(settings: Settings) -> ServiceClient | None:
    """The running service of these settings, or None (then commands run in-process)."""
    if not settings.use_service:
        return None
    if settings.service_url:
        key = settings.service_key.get_secret_value() if settings.service_key else ""
        client = ServiceClient(settings.service_url, key)
    else:
        info = read_service_info(settings.home)
        if info is None:
            return None
        client = ServiceClient(info.url, info.access_key)
    if not client.healthy():
        log.info("service at %s is not healthy; running in-process", client.url)
        return None
    return client
