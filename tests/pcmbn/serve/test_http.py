"""The one HTTP core (`pcmbn.serve.http.exchange`) and the three callers built on it: the
supervisor's health polls and Prefect API calls, and the CLI's client of the web app."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from pcmbn.errors import PcmbnError
from pcmbn.serve.children import free_port, get_json
from pcmbn.serve.client import ServiceClient
from pcmbn.serve.http import exchange
from pcmbn.serve.supervisor import count_deployments


class _Handler(BaseHTTPRequestHandler):
    """Answers by path: what a Prefect API or the service's web app would say."""

    seen: list[dict[str, Any]] = []

    def _answer(self, status: int, body: Any) -> None:
        raw = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
        if self.path == "/health":
            self._answer(200, {"status": "ok"})
        elif self.path == "/starting":
            self._answer(503, {"status": "starting"})
        elif self.path == "/empty":
            self.send_response(204)
            self.end_headers()
        else:
            self._answer(404, {"error": "Không có lượt chạy này."})

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        type(self).seen.append(
            {"path": self.path, "body": body, "headers": dict(self.headers.items())}
        )
        if self.path == "/api/deployments/filter":
            names = json.loads(body)["deployments"]["name"]["any_"]
            self._answer(200, [{"name": n} for n in names[:1]])
        elif self.path.startswith("/api/check"):
            self._answer(200, {"files": [], "size": len(body)})
        else:
            self._answer(400, {"error": "Yêu cầu không hợp lệ."})

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    _Handler.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_json_answers_and_errors_are_told_apart(server: str) -> None:
    ok = exchange(f"{server}/health")
    assert (ok.status, ok.body, ok.ok) == (200, {"status": "ok"}, True)
    starting = exchange(f"{server}/starting")
    assert (starting.status, starting.body, starting.ok) == (503, {"status": "starting"}, False)
    assert exchange(f"{server}/empty").body is None
    refused = exchange(f"http://127.0.0.1:{free_port()}/health", timeout=1)
    assert refused.status == 0 and refused.reason and not refused.ok


def test_a_json_body_is_strict_json(server: str) -> None:
    with pytest.raises(ValueError, match="JSON"):
        exchange(f"{server}/api/x", "POST", json_body={"value": float("nan")})
    answer = exchange(f"{server}/api/x", "POST", json_body={"tên": "Nghệ An"})
    assert answer.status == 400 and answer.body == {"error": "Yêu cầu không hợp lệ."}
    assert json.loads(_Handler.seen[-1]["body"]) == {"tên": "Nghệ An"}


def test_the_supervisors_calls(server: str) -> None:
    assert get_json(f"{server}/health") == (200, {"status": "ok"})
    assert get_json(f"{server}/starting") == (503, {"status": "starting"})
    assert get_json(f"http://127.0.0.1:{free_port()}/health", timeout=1) == (0, None)
    assert count_deployments(f"{server}/api", ["a", "b"]) == 1
    assert count_deployments(f"http://127.0.0.1:{free_port()}/api", ["a"]) == 0


def test_the_clients_calls_say_what_went_wrong_in_vietnamese(server: str, tmp_path) -> None:
    client = ServiceClient(server, "khoa-bi-mat")
    assert client.healthy()
    workbook = tmp_path / "Báo cáo.xlsx"
    workbook.write_bytes(b"PK\x03\x04" + b"x" * 96)
    assert client.check_file(workbook)["size"] == 100
    sent = _Handler.seen[-1]
    assert sent["headers"]["Authorization"] == "Bearer khoa-bi-mat"
    assert sent["headers"]["Content-Type"] == "application/octet-stream"
    with pytest.raises(PcmbnError, match="Không có lượt chạy này"):
        client._request("GET", "/api/runs/khong-co")  # noqa: SLF001
    gone = ServiceClient(f"http://127.0.0.1:{free_port()}", "k")
    assert not gone.healthy()
    with pytest.raises(PcmbnError, match="Không liên lạc được dịch vụ"):
        gone._request("GET", "/api/runs/x", timeout=1)  # noqa: SLF001
