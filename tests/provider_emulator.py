"""A second emulator of the provider, written from its documentation alone.

The documentation is ``api/peer-to-peer-file.txt`` (the provider's page for
``POST {base_url}/api/send``) and ``api/README.md`` (the envelope and the
documented failures). This emulator shares no code with ``provider_stub.py``:
it parses multipart bodies with the standard library's MIME parser (RFC 2046
and RFC 7578) instead of splitting bytes by hand, checks the request the way
a Laravel-style API would (route, then method, then the token, then the
form), and lets every test script, request by request, what the server does
next, down to the socket:

- a :class:`Reply` is an HTTP answer: any status, headers and body, sent at
  once, late (``delay``), a byte at a time (``trickle``), cut short
  (``length`` larger than the body), chunked, gzipped, after a
  ``100 Continue``, or HTTP/1.0 style (no length, the close ends it);
  ``before_body`` answers as soon as the request's headers are in, as nginx
  does for a 413, then drains the body (or, ``drain=False``, just closes);
- a :class:`Hangup` closes the connection without a word, before reading the
  body or after it, optionally after a wait (a server that never answers);
- a callable gets the emulator and the request and returns either, so a test
  can answer with the real outbox ids in any shape.

With nothing scripted, a request that passes validation gets the documented
success: HTTP 200, ``data.message_outbox_ids`` with one id per *distinct
message* in the file ("one ID per message sent, regardless of how many
recipients it had"). A request that fails validation gets the documented
401 (``400-1``) or 422 (``400-2`` with per-field ``errors``), a wrong path a
404, a wrong method a 405, and the scripted step is not used.

Only 127.0.0.1, only the standard library; every wait is bounded and ends
when the emulator stops.
"""

from __future__ import annotations

import contextlib
import csv
import email.parser
import email.policy
import gzip
import io
import json
import re
import socket
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

DONE = "انجام شد"
WRONG_CREDENTIALS = "اطلاعات وارد شده صحیح نمی باشد"
FILES_REQUIRED = "تکمیل گزینه فایل ها الزامی است"
INVALID = "مقدار وارد شده معتبر نیست"
FIRST_ID = 7_000_000_001
SEND_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")
E164 = re.compile(r"\+[1-9][0-9]{6,14}")
#: The longest any scripted wait may last: tests stay short even if a client hangs on.
MAX_WAIT = 3.0


# ---------------------------------------------------------------- what was received


@dataclass
class FormPart:
    """One part of a multipart/form-data body, as the MIME parser saw it."""

    name: str
    filename: str | None
    content_type: str | None  # None when the part had no Content-Type header
    data: bytes
    disposition: str  # the raw Content-Disposition header


@dataclass
class Received:
    """One request: everything a test may want to assert on."""

    method: str
    path: str
    version: str
    headers: list[tuple[str, str]]  # in order, names as sent
    body: bytes | None = None  # None: the server never read it
    parts: list[FormPart] = field(default_factory=list)
    problems: dict[str, list[str]] = field(default_factory=dict)  # validation errors

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        return values[0] if values else None

    def header_count(self, name: str) -> int:
        return sum(1 for k, _ in self.headers if k.lower() == name.lower())

    @property
    def field_names(self) -> list[str]:
        return [p.name for p in self.parts]

    @property
    def fields(self) -> dict[str, str]:
        return {p.name: p.data.decode("utf-8") for p in self.parts if p.filename is None}

    @property
    def upload(self) -> FormPart:
        [part] = [p for p in self.parts if p.filename is not None]
        return part


# ---------------------------------------------------------------- what to answer


@dataclass(frozen=True)
class Reply:
    """An HTTP answer. ``body``: bytes as they are, str as UTF-8, anything else as JSON."""

    status: int = 200
    body: Any = b""
    content_type: str | None = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    reason: str | None = None
    before_body: bool = False  # answer once the headers are in, then drain the body
    drain: bool = True  # with before_body: False closes at once, unread body and all
    delay: float = 0.0  # wait this long before the status line
    trickle: float | None = None  # wait this long before each byte of the body
    length: int | None = None  # the Content-Length to declare, if not the body's
    chunked: bool = False  # Transfer-Encoding: chunked
    gzip: bool = False  # Content-Encoding: gzip
    http10: bool = False  # HTTP/1.0: no Content-Length, the close ends the body
    close: bool = False  # Connection: close
    interim: bool = False  # send "100 Continue" first

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body, ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class Hangup:
    """Close the connection without answering."""

    before_body: bool = False  # close as soon as the headers are in; the body is never read
    after: float = 0.0  # wait this long first (longer than the client's timeout: no answer)


Step = Reply | Hangup | Callable[["Emulator", Received], "Reply | Hangup"]


def envelope(
    data: Any,
    *,
    status: bool,
    message: Any,
    code: Any,
    errors: Any = None,
    parameters: Any = (),
    **extra_meta: Any,
) -> dict[str, Any]:
    """The documented envelope; ``errors`` is left out when None, as in the success sample."""
    meta: dict[str, Any] = {
        "status": status,
        "message": message,
        "message_parameters": list(parameters),
        "message_code": code,
    }
    if errors is not None:
        meta["errors"] = errors
    meta.update(extra_meta)
    return {"data": data, "meta": meta}


def success(ids: list[int] | list[str]) -> dict[str, Any]:
    """The documented success body."""
    return envelope({"message_outbox_ids": ids}, status=True, message=DONE, code="200-1")


def unauthorized() -> Reply:
    """The documented 401."""
    body = envelope(None, status=False, message=WRONG_CREDENTIALS, code="400-1", errors={})
    return Reply(401, body)


def invalid(errors: dict[str, list[str]]) -> Reply:
    """The documented 422: the first message as ``message``, every field in ``errors``."""
    first = next(iter(errors.values()))[0]
    return Reply(422, envelope(None, status=False, message=first, code="400-2", errors=errors))


def html(status: int, title: str, **kwargs: Any) -> Reply:
    """An error page as nginx writes it."""
    page = (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )
    return Reply(status, page, "text/html", **kwargs)


# ---------------------------------------------------------------- the server


class Emulator:
    """The provider on 127.0.0.1. A context manager; ``url`` is the base URL to give a client.

    ``base_path`` is where the API lives (the documented base URL ends in
    ``/v1``); ``steps`` are used one per request that reaches them, in order.
    """

    def __init__(self, token: str, *, base_path: str = "/v1", reject_past: bool = True) -> None:
        self.token = token
        self.base_path = base_path
        self.reject_past = reject_past
        self.steps: deque[Step] = deque()
        self.received: list[Received] = []
        self.connections = 0
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._next_id = FIRST_ID
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.emulator = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def origin(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def url(self) -> str:
        return self.origin + self.base_path

    @property
    def send_path(self) -> str:
        return f"{self.base_path}/api/send"

    def script(self, *steps: Step) -> None:
        self.steps.extend(steps)

    @property
    def uploads(self) -> list[Received]:
        """Requests whose body was read in full (what may have been sent)."""
        return [r for r in self.received if r.body is not None]

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop serving and close the listening socket (a later connect is refused)."""
        if self.stopping.is_set():
            return
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def wait(self, seconds: float) -> None:
        self.stopping.wait(min(seconds, MAX_WAIT))

    def next_step(self) -> Step | None:
        with self._lock:
            return self.steps.popleft() if self.steps else None

    def record(self, request: Received) -> None:
        with self._lock:
            self.received.append(request)

    def allocate(self, request: Received) -> list[int]:
        """Fresh outbox ids for this upload: one per distinct message."""
        count = count_messages(request.upload)
        with self._lock:
            first, self._next_id = self._next_id, self._next_id + count
        return list(range(first, first + count))

    def default(self, request: Received) -> Reply:
        return Reply(200, success(self.allocate(request)))


# ---------------------------------------------------------------- validation


def parse_form(content_type: str, body: bytes) -> tuple[list[FormPart], list[str]]:
    """The parts of a multipart/form-data body, and what is wrong with its structure."""
    header = EmailMessage()
    header["Content-Type"] = content_type
    if header.get_content_type() != "multipart/form-data":
        return [], [f"Content-Type is {header.get_content_type()}, not multipart/form-data"]
    boundary = header.get_boundary()
    if not boundary:
        return [], ["no boundary in Content-Type"]
    problems = []
    delimiter = b"--" + boundary.encode("ascii", "replace")
    if not body.startswith(delimiter + b"\r\n"):
        problems.append("the body does not start with the boundary")
    if not body.rstrip(b"\r\n").endswith(delimiter + b"--"):
        problems.append("the body does not end with the closing boundary")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        return [], [*problems, "not a multipart body"]
    parts = []
    for part in message.iter_parts():
        disposition = str(part.get("Content-Disposition", ""))
        if part.get_content_disposition() != "form-data":
            problems.append(f"a part's disposition is not form-data: {disposition!r}")
            continue
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            problems.append(f"a part has no name: {disposition!r}")
            continue
        payload = part.get_payload(decode=True)
        parts.append(
            FormPart(
                name=name,
                filename=part.get_filename(),
                content_type=str(part["Content-Type"]) if part["Content-Type"] else None,
                data=payload if isinstance(payload, bytes) else b"",
                disposition=disposition,
            )
        )
    return parts, problems


def validate(parts: list[FormPart], *, reject_past: bool) -> dict[str, list[str]]:
    """The provider's validation of the documented fields, keyed as its 422 keys them."""
    errors: dict[str, list[str]] = {}
    names = [p.name for p in parts]
    for name in sorted({n for n in names if names.count(n) > 1}):
        errors[name.removesuffix("[]")] = [f"{name} is given {names.count(name)} times"]
    texts = {p.name: p.data for p in parts if p.filename is None}
    if texts.get("sending_type") != b"peer_to_peer_file":
        errors["sending_type"] = [INVALID]
    if not E164.fullmatch(texts.get("from_number", b"").decode("utf-8", "replace")):
        errors["from_number"] = [INVALID]
    if "send_time" in texts:
        problem = _send_time_problem(texts["send_time"], reject_past=reject_past)
        if problem:
            errors["send_time"] = [problem]
    files = [p for p in parts if p.name == "files[]" and p.filename is not None]
    if not files or not files[0].data:
        errors["files"] = [FILES_REQUIRED]
    else:
        problem = _file_problem(files[0])
        if problem:
            errors["files"] = [problem]
    return errors


def _send_time_problem(value: bytes, *, reject_past: bool) -> str | None:
    text = value.decode("utf-8", "replace")
    if not SEND_TIME.fullmatch(text):
        return "send_time must be YYYY-MM-DD HH:MM:SS"
    try:
        when = datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return "send_time is not a real time"
    if reject_past and when < datetime.now(UTC).replace(tzinfo=None):
        return "send_time is in the past"
    return None


def _file_problem(part: FormPart) -> str | None:
    name = part.filename or ""
    if name.lower().endswith(".xlsx"):
        return None if part.data.startswith(b"PK") else "the file is not an XLSX workbook"
    if not name.lower().endswith(".csv"):
        return "files must be CSV or XLSX"
    try:
        rows = list(csv.reader(io.StringIO(part.data.decode("utf-8"), newline="")))
    except (UnicodeDecodeError, csv.Error):
        return "the CSV file cannot be read"
    if not rows or rows[0] != ["recipient", "message"]:
        return "the CSV header must be recipient,message"
    if len(rows) < 2 or any(len(r) != 2 for r in rows[1:]):
        return "every CSV row must have a recipient and a message"
    return None


def count_messages(part: FormPart) -> int:
    """Distinct messages in the file (an XLSX counts as one)."""
    if not (part.filename or "").lower().endswith(".csv"):
        return 1
    rows = list(csv.reader(io.StringIO(part.data.decode("utf-8"), newline="")))
    return len({r[1] for r in rows[1:]})


# ---------------------------------------------------------------- the handler


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-answer is a scenario, not an error: no traceback."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 5  # a client that stops talking cannot hold a thread for long
    server: ThreadingHTTPServer

    @property
    def emulator(self) -> Emulator:
        return self.server.emulator  # type: ignore[attr-defined, no-any-return]

    def log_message(self, format: str, *args: Any) -> None:
        """No access log on stderr."""

    def setup(self) -> None:
        super().setup()
        with self.emulator._lock:
            self.emulator.connections += 1

    def do_POST(self) -> None:
        self._serve()

    do_GET = do_PUT = do_DELETE = do_PATCH = do_POST  # noqa: N815

    def _serve(self) -> None:
        emulator = self.emulator
        request = Received(
            self.command, self.path, self.request_version, list(self.headers.items())
        )
        emulator.record(request)
        step = emulator.next_step()
        if isinstance(step, Hangup) and step.before_body:
            emulator.wait(step.after)
            self._hang_up()
            return
        if isinstance(step, Reply) and step.before_body:
            self._answer(step)
            if step.drain:
                self._linger()
            else:
                self._hang_up()
            return
        answer = self._read_and_check(request)
        if answer is not None:
            self._answer(answer)
            return
        if callable(step) and not isinstance(step, Reply | Hangup):
            step = step(emulator, request)
        if step is None:
            step = emulator.default(request)
        if isinstance(step, Hangup):
            emulator.wait(step.after)
            self._hang_up()
        else:
            self._answer(step)

    def _read_and_check(self, request: Received) -> Reply | None:
        """Read the body and check the request in the provider's order; an error reply, or None."""
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self.close_connection = True
            return Reply(411, "Length Required", "text/plain")
        request.body = self.rfile.read(int(length))
        if request.path.split("?")[0] != self.emulator.send_path:
            return html(404, "404 Not Found")
        if request.method != "POST":
            return Reply(
                405,
                envelope(None, status=False, message="Method Not Allowed", code="405"),
                headers=(("Allow", "POST"),),
            )
        if request.header_count("Authorization") != 1 or (
            request.header("Authorization") != self.emulator.token
        ):
            return unauthorized()
        parts, problems = parse_form(request.header("Content-Type") or "", request.body)
        request.parts = parts
        errors = validate(parts, reject_past=self.emulator.reject_past)
        if problems:
            errors.setdefault("files", [FILES_REQUIRED])
            request.problems["multipart"] = problems
        request.problems.update(errors)
        return invalid(errors) if errors else None

    # -- writing

    def _answer(self, reply: Reply) -> None:
        self.emulator.wait(reply.delay)
        if self.emulator.stopping.is_set():
            self._hang_up()
            return
        body = reply.payload()
        headers = [("Server", "nginx"), *reply.headers]
        if reply.content_type is not None:
            headers.append(("Content-Type", reply.content_type))
        if reply.gzip:
            body = gzip.compress(body)
            headers.append(("Content-Encoding", "gzip"))
        version = "HTTP/1.0" if reply.http10 else "HTTP/1.1"
        if reply.chunked:
            headers.append(("Transfer-Encoding", "chunked"))
        elif not reply.http10:
            headers.append(("Content-Length", str(reply.length or len(body))))
        close = reply.close or reply.http10 or reply.before_body or self.close_connection
        if close:
            headers.append(("Connection", "close"))
        reason = (
            reply.reason
            if reply.reason is not None
            else self.responses.get(reply.status, ("Unknown",))[0]
        )
        head = f"{version} {reply.status} {reason}\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in headers
        )
        try:
            if reply.interim:
                self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.wfile.write(head.encode("latin-1") + b"\r\n")
            if reply.chunked:
                body = (
                    b"".join(
                        b"%x\r\n%s\r\n" % (len(piece), piece)
                        for piece in (body[i : i + 7] for i in range(0, len(body), 7))
                    )
                    + b"0\r\n\r\n"
                )
            if reply.trickle is None:
                self.wfile.write(body)
            else:
                for byte in body:
                    self.emulator.wait(reply.trickle)
                    if self.emulator.stopping.is_set():
                        break
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
            self.wfile.flush()
        except OSError:
            close = True  # the client gave up: fine
        if close or (reply.length is not None and reply.length > len(body)):
            self.close_connection = True

    def _hang_up(self) -> None:
        self.close_connection = True
        self._abort()

    def _abort(self) -> None:
        # Close now, discarding what the client sent: with unread data the kernel resets.
        with contextlib.suppress(OSError):
            self.connection.close()

    def _linger(self) -> None:
        """After an early answer: stop writing, read and drop the rest, then close (as nginx)."""
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(1.0)
            while self.rfile.read1(65536):
                pass
        except OSError:
            pass
