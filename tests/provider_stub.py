"""A fake provider: a real HTTP server on 127.0.0.1 that checks requests as the API does.

It serves ``POST /v1/api/send`` (``url`` is the base URL to give the client),
answers with the documented envelopes, and records every request (headers,
fields, file bytes) for assertions. Checks, in the provider's order:

1. ``Authorization`` equals the expected token, else 401 ``400-1``;
2. ``Accept: application/json``, else an HTML page (what a PHP framework does);
3. a ``multipart/form-data`` body with a Content-Length, ``sending_type`` =
   ``peer_to_peer_file``, ``from_number`` in E.164, ``send_time`` (optional) as
   ``YYYY-MM-DD HH:MM:SS``, and ``files[]`` with a filename and content; else
   422 ``400-2`` with per-field ``errors``.

Then the next queued behaviour (``stub.behaviors.append(...)``) decides the
answer; with none queued it succeeds with one outbox id per data row:

``ok``, ``reject`` (422), ``auth`` (401), ``500``, ``429``, ``non_json``
(200 with HTML), ``echo_auth`` (500 whose body echoes the Authorization
header), ``no_ids`` (200, ``status: true`` but no ids), ``slow`` (sleeps
``slow_seconds`` after reading the body, then succeeds), ``drop`` (reads the
body, closes the connection without answering).
"""

from __future__ import annotations

import csv
import io
import json
import re
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

SEND_PATH = "/v1/api/send"
FIRST_OUTBOX_ID = 1123594208
FILES_REQUIRED = "تکمیل گزینه فایل ها الزامی است"
BAD_CREDENTIALS = "اطلاعات وارد شده صحیح نمی باشد"
DONE = "انجام شد"

_FROM_NUMBER = re.compile(r"\+98[0-9]{4,14}")
_SEND_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")


@dataclass
class Part:
    """One multipart part as received."""

    name: str
    filename: str | None
    content_type: str | None
    content: bytes


@dataclass
class Request:
    """One request as the stub received it."""

    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    parts: list[Part] = field(default_factory=list)
    body: bytes = b""

    @property
    def fields(self) -> dict[str, str]:
        return {p.name: p.content.decode() for p in self.parts if p.filename is None}

    @property
    def files(self) -> list[Part]:
        return [p for p in self.parts if p.filename is not None]


def envelope(
    data: Any,
    *,
    status: bool,
    message: str,
    code: str,
    errors: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "status": status,
        "message": message,
        "message_parameters": [],
        "message_code": code,
    }
    if errors is not None:
        meta["errors"] = errors
    return {"data": data, "meta": meta}


def parse_multipart(body: bytes, content_type: str) -> list[Part] | None:
    """Split a multipart/form-data body exactly (no line-ending changes); None if malformed."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not content_type.startswith("multipart/form-data") or not match:
        return None
    delimiter = b"--" + match.group(1).encode()
    chunks = body.split(delimiter)
    if len(chunks) < 3 or chunks[0] not in (b"", b"\r\n") or not chunks[-1].startswith(b"--"):
        return None
    parts = []
    for chunk in chunks[1:-1]:
        if not (chunk.startswith(b"\r\n") and chunk.endswith(b"\r\n")):
            return None
        head, sep, content = chunk[2:-2].partition(b"\r\n\r\n")
        if not sep:
            return None
        headers = {}
        for line in head.decode().split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        name = re.search(r'(?:^|;)\s*name="([^"]*)"', disposition)
        filename = re.search(r'filename="([^"]*)"', disposition)
        if not name:
            return None
        parts.append(
            Part(
                name.group(1),
                filename.group(1) if filename else None,
                headers.get("content-type"),
                content,
            )
        )
    return parts


def field_errors(parts: list[Part]) -> dict[str, list[str]]:
    """What the provider's validation would say about these fields."""
    fields = {p.name: p.content.decode("utf-8", "replace") for p in parts if p.filename is None}
    files = [p for p in parts if p.name == "files[]" and p.filename]
    errors: dict[str, list[str]] = {}
    if fields.get("sending_type") != "peer_to_peer_file":
        errors["sending_type"] = ["نوع ارسال معتبر نیست"]
    if not _FROM_NUMBER.fullmatch(fields.get("from_number", "")):
        errors["from_number"] = ["شماره فرستنده معتبر نیست"]
    if "send_time" in fields and not _SEND_TIME.fullmatch(fields["send_time"]):
        errors["send_time"] = ["فرمت زمان ارسال معتبر نیست"]
    if not files or not files[0].content:
        errors["files"] = [FILES_REQUIRED]
    return errors


def count_messages(part: Part) -> int:
    """One outbox id per message: the data rows of a CSV, 1 for anything else."""
    if not (part.filename or "").endswith(".csv"):
        return 1
    rows = list(csv.reader(io.StringIO(part.content.decode("utf-8"), newline="")))
    return max(len(rows) - 1, 0)


class ProviderStub:
    """The server. Use as a context manager; ``url`` is the client's base URL."""

    def __init__(self, token: str = "stub-token-123", *, slow_seconds: float = 2.0) -> None:
        self.token = token
        self.slow_seconds = slow_seconds
        self.behaviors: deque[str] = deque()
        self.requests: list[Request] = []
        self._next_id = FIRST_OUTBOX_ID
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.stub = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def take_ids(self, count: int) -> list[int]:
        with self._lock:
            first, self._next_id = self._next_id, self._next_id + count
        return list(range(first, first + count))

    def next_behavior(self) -> str:
        with self._lock:
            return self.behaviors.popleft() if self.behaviors else "ok"

    def wait(self, seconds: float) -> None:
        self._stopping.wait(seconds)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real server: chunks reuse a connection
    server: ThreadingHTTPServer

    @property
    def stub(self) -> ProviderStub:
        return self.server.stub  # type: ignore[attr-defined, no-any-return]

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log."""

    def do_GET(self) -> None:
        self._read_body()
        self._json(405, envelope(None, status=False, message="method", code="400-3"))

    def do_POST(self) -> None:
        body = self._read_body()
        if body is None:
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        request = Request(self.command, self.path, headers, body=body)
        with self.stub._lock:
            self.stub.requests.append(request)
        if self.path != SEND_PATH:
            self._json(404, envelope(None, status=False, message="not found", code="404"))
            return
        if headers.get("authorization") != self.stub.token:
            self._json(401, envelope(None, status=False, message=BAD_CREDENTIALS, code="400-1",
                                     errors={}))  # fmt: skip
            return
        if headers.get("accept") != "application/json":
            self._send(200, b"<html><body>login</body></html>", "text/html")
            return
        parts = parse_multipart(body, headers.get("content-type", ""))
        request.parts = parts or []
        errors = {"files": [FILES_REQUIRED]} if parts is None else field_errors(parts)
        if errors:
            self._reject(errors)
            return
        self._behave(self.stub.next_behavior(), request)

    def _behave(self, behavior: str, request: Request) -> None:
        if behavior == "drop":
            self.close_connection = True  # hang up without a word
            return
        if behavior == "slow":
            self.stub.wait(self.stub.slow_seconds)
            behavior = "ok"
        if behavior == "ok":
            ids = self.stub.take_ids(count_messages(request.files[0]))
            self._json(200, envelope({"message_outbox_ids": ids}, status=True, message=DONE,
                                     code="200-1"))  # fmt: skip
        elif behavior == "reject":
            self._reject({"files": ["فایل معتبر نیست"]})
        elif behavior == "auth":
            self._json(401, envelope(None, status=False, message=BAD_CREDENTIALS, code="400-1",
                                     errors={}))  # fmt: skip
        elif behavior in ("500", "429"):
            self._json(int(behavior), envelope(None, status=False, message="خطا", code="500-1"))
        elif behavior == "non_json":
            self._send(200, b"<html><body>Service Unavailable</body></html>", "text/html")
        elif behavior == "echo_auth":
            echoed = f"debug: Authorization={request.headers.get('authorization')}"
            self._send(500, echoed.encode(), "text/plain")
        elif behavior == "no_ids":
            self._json(200, envelope({}, status=True, message=DONE, code="200-1"))
        else:
            raise AssertionError(f"unknown stub behavior {behavior!r}")

    def _reject(self, errors: dict[str, list[str]]) -> None:
        first = next(iter(errors.values()))[0]
        self._json(422, envelope(None, status=False, message=first, code="400-2", errors=errors))

    def _read_body(self) -> bytes | None:
        length = self.headers.get("Content-Length")
        if length is None:
            self._send(411, b"length required", "text/plain")
            return None
        return self.rfile.read(int(length))

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        self._send(status, json.dumps(payload, ensure_ascii=False).encode(), "application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (timeout): fine
