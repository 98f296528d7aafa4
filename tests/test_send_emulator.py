"""The sender against a second, independent emulator of the provider (tests/provider_emulator.py).

``p2pfile send`` will meet an emulator it has not seen, one that follows the
provider's documentation but may differ from ``provider_stub.py`` in every way
the documentation allows. Each test here scripts one such difference and
checks, through the CLI and the library :class:`Client`:

- the request: exactly what ``api/peer-to-peer-file.txt`` documents;
- the exit code and the one-line message, with the provider's own message and
  ``message_code`` when it gave them;
- the journal: ``sent`` only with ids, ``failed`` only when the provider or
  the network says nothing was sent, ``unknown`` otherwise; and the rerun:
  nothing is ever uploaded twice without ``--resend``;
- the sentinel token from test_cli_send.py appears in no output, journal or
  exception.
"""

from __future__ import annotations

import hashlib
import json
import socket
import sqlite3
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import xlsxwriter
from provider_emulator import (
    DONE,
    FILES_REQUIRED,
    FIRST_ID,
    WRONG_CREDENTIALS,
    Emulator,
    Hangup,
    Received,
    Reply,
    Step,
    envelope,
    html,
    invalid,
    success,
    unauthorized,
)
from test_cli_send import (  # the sentinel token and its environment
    FIVE_ROWS,
    FIXABLE,
    FIXABLE_CLEAN,
    NEXT_YEAR,
    SENDER,
    TOKEN,
    Run,
    environment,  # noqa: F401 (an autouse fixture: P2PFILE_TOKEN is the sentinel)
)

from p2pfile.cli import main
from p2pfile.errors import AuthError, OutcomeUnknownError, ProviderError, SendError, TransportError
from p2pfile.journal import Journal
from p2pfile.send import XLSX_CONTENT_TYPE, Client

IDS = [FIRST_ID, FIRST_ID + 1]  # FIXABLE's clean form: two rows, two distinct messages
SENT_LINE = f"small.csv (clean rows 1-2): sent, outbox ids {FIRST_ID}, {FIRST_ID + 1}"
LONG_WAIT = 2.5  # a server that "never" answers; the emulator gives up on stopping


# ---------------------------------------------------------------- harness


class Cli:
    """``main([...])`` against the emulator with a private journal; keeps every output."""

    def __init__(self, emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
        self.emulator = emulator
        self.journal = tmp_path / "state" / "journal.sqlite3"
        self.capsys = capsys
        self.transcript: list[str] = []

    def __call__(self, *args: str) -> Run:
        code = main(list(args))
        captured = self.capsys.readouterr()
        self.transcript += [captured.out, captured.err]
        return Run(code, captured.out, captured.err)

    def send(self, path: Path, *extra: str, base_url: str | None = None, timeout: str = "2") -> Run:
        args = ["send", str(path), "--from", SENDER, "--isolated"]
        args += ["--base-url", base_url or self.emulator.url, "--journal", str(self.journal)]
        return self(*args, "--timeout", timeout, *extra)

    def statuses(self) -> list[str]:
        """The journal's statuses, oldest first."""
        if not self.journal.exists():
            return []
        with Journal(self.journal) as journal:
            return [r.status for r in reversed(journal.recent(100))]


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(TOKEN) as server:
        yield server


@pytest.fixture
def cli(emulator: Emulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[Cli]:
    runner = Cli(emulator, tmp_path, capsys)
    yield runner
    for text in runner.transcript:
        assert TOKEN not in text
    if runner.journal.parent.exists():
        for path in runner.journal.parent.iterdir():
            assert TOKEN.encode() not in path.read_bytes(), path


@pytest.fixture
def fixable(tmp_path: Path) -> Path:
    path = tmp_path / "small.csv"
    path.write_text(FIXABLE, encoding="utf-8")
    return path


@pytest.fixture
def clean(tmp_path: Path) -> Path:
    """A canonical clean CSV, what the library's Client uploads as it is."""
    path = tmp_path / "clean.csv"
    path.write_bytes(FIXABLE_CLEAN)
    return path


def client_for(emulator: Emulator, timeout: float = 2.0, base_url: str | None = None) -> Client:
    return Client(TOKEN, base_url=base_url or emulator.url, timeout=timeout, retry_backoff=0.0)


def shown(exc: BaseException) -> str:
    """Everything an exception can show: traceback, repr, attributes."""
    return "".join(traceback.format_exception(exc)) + repr(exc) + repr(vars(exc))


def with_ids(shape: Any) -> Step:
    """A step answering 200 with this emulator's ids for the upload, put in ``shape(ids)``."""

    def step(emulator: Emulator, request: Received) -> Reply:
        reply = shape(emulator.allocate(request))
        return reply if isinstance(reply, Reply) else Reply(200, reply)

    return step


# ---------------------------------------------------------------- the request, claim by claim


def test_the_request_is_the_documented_one(cli: Cli, fixable: Path) -> None:
    run = cli.send(fixable)

    assert run.code == 0, run.err
    [request] = cli.emulator.received
    assert request.problems == {}  # the emulator's own validation passed
    # POST {base_url}/api/send
    assert (request.method, request.path) == ("POST", "/v1/api/send")
    # Authorization: the raw token, once, no "Bearer"
    assert request.header_count("Authorization") == 1
    assert request.header("Authorization") == TOKEN
    # Content-Type: multipart/form-data (with its boundary); the curl example's Accept
    content_type = request.header("Content-Type") or ""
    assert content_type.startswith("multipart/form-data; boundary=")
    assert request.header("Accept") == "application/json"
    # a length, not chunked: PHP and nginx read such bodies everywhere
    assert request.header("Content-Length") == str(len(request.body or b""))
    assert request.header("Transfer-Encoding") is None
    # the fields in the documented order; no send_time when sending now
    assert request.field_names == ["sending_type", "from_number", "files[]"]
    assert request.fields == {"sending_type": "peer_to_peer_file", "from_number": SENDER}
    # files[]: the clean CSV, named .csv, as text/csv
    upload = request.upload
    assert (upload.name, upload.filename, upload.content_type) == (
        "files[]",
        "small.csv",
        "text/csv",
    )
    assert upload.data == FIXABLE_CLEAN
    assert upload.data.startswith(b"recipient,message\n")
    # success: HTTP 200, one id per message
    assert SENT_LINE + " (journal #1)" in run.out
    assert cli.statuses() == ["sent"]
    with Journal(cli.journal) as journal:
        [record] = journal.recent()
    assert (record.outbox_ids, record.http_status, record.message_code) == (
        tuple(IDS),
        200,
        "200-1",
    )
    assert (record.message, record.filename) == (DONE, "small.csv")


@pytest.mark.parametrize(
    ("at", "tz", "utc"),
    [
        (f"{NEXT_YEAR}-03-12 21:20:02", None, f"{NEXT_YEAR}-03-12 21:20:02"),
        (f"{NEXT_YEAR}-06-01 10:00", "Asia/Tehran", f"{NEXT_YEAR}-06-01 06:30:00"),
        (f"{NEXT_YEAR}-01-01T00:10:00+03:30", None, f"{NEXT_YEAR - 1}-12-31 20:40:00"),
    ],
)
def test_send_time_is_utc_in_the_documented_format_and_place(
    cli: Cli, fixable: Path, at: str, tz: str | None, utc: str
) -> None:
    run = cli.send(fixable, "--at", at, *(["--tz", tz] if tz else []))

    assert run.code == 0, run.err
    [request] = cli.emulator.received
    assert request.problems == {}
    assert request.field_names == ["sending_type", "from_number", "send_time", "files[]"]
    assert request.fields["send_time"] == utc


def test_a_persian_xlsx_name_goes_as_its_clean_csv_name(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "مشتریان.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    for i, row in enumerate(
        [("recipient", "message"), ("09121234567", "سلام"), ("09351234567", "hi")]
    ):
        sheet.write_row(i, 0, row)
    workbook.close()

    run = cli.send(path)

    assert run.code == 0, run.err
    upload = cli.emulator.received[0].upload
    # The content is CSV, so the name ends in .csv and the type is text/csv.
    assert (upload.filename, upload.content_type) == ("مشتریان.csv", "text/csv")
    # RFC 7578 section 4.2 / HTML5: the name in UTF-8 in a quoted string (no filename*),
    # as browsers and curl send it; the standard library's MIME parser reads it back.
    assert 'filename="مشتریان.csv"' in upload.disposition
    assert "filename*" not in upload.disposition
    assert upload.data == "recipient,message\n+989121234567,سلام\n+989351234567,hi\n".encode()
    assert "مشتریان.csv (clean rows 1-2): sent" in run.out


def test_a_name_with_a_quote_is_escaped_not_broken(emulator: Emulator, tmp_path: Path) -> None:
    path = tmp_path / 'say "hi", \\ bye.csv'
    path.write_bytes(FIXABLE_CLEAN)
    with client_for(emulator) as client:
        client.send_file(path, SENDER)
    [request] = emulator.received
    assert request.problems == {}
    assert request.upload.filename == "say %22hi%22, \\ bye.csv"  # HTML5 form encoding
    assert request.upload.data == FIXABLE_CLEAN


def test_the_library_sends_an_xlsx_as_it_is(emulator: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    workbook.add_worksheet().write_row(0, 0, ("09121234567", "hi"))
    workbook.close()
    with client_for(emulator) as client:
        result = client.send_file(path, SENDER)
    assert result.message_outbox_ids == (FIRST_ID,)
    upload = emulator.received[0].upload
    assert (upload.filename, upload.content_type) == ("book.xlsx", XLSX_CONTENT_TYPE)
    assert upload.data == path.read_bytes()


def test_the_emulator_refuses_what_the_documentation_refuses(emulator: Emulator) -> None:
    """So that the successes above mean something."""
    url = emulator.url + "/api/send"
    csv_file = ("a.csv", b"recipient,message\n09123456789,hi\n", "text/csv")
    good = {"sending_type": "peer_to_peer_file", "from_number": SENDER}
    with httpx.Client(timeout=2) as http:
        bearer = http.post(
            url,
            data=good,
            files={"files[]": csv_file},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        no_file = http.post(url, data=good, headers={"Authorization": TOKEN})
        bad_time = http.post(
            url,
            data={**good, "send_time": "2030-01-01T10:00:00Z"},
            files={"files[]": csv_file},
            headers={"Authorization": TOKEN},
        )
        past = http.post(
            url,
            data={**good, "send_time": "2020-01-01 10:00:00"},
            files={"files[]": csv_file},
            headers={"Authorization": TOKEN},
        )
        wrong_path = http.post(emulator.origin + "/api/send", headers={"Authorization": TOKEN})
    assert bearer.status_code == 401
    assert bearer.json()["meta"]["message_code"] == "400-1"
    assert no_file.status_code == 422
    assert no_file.json()["meta"]["errors"]["files"] == [FILES_REQUIRED]
    assert bad_time.status_code == 422
    assert "send_time" in bad_time.json()["meta"]["errors"]
    assert past.status_code == 422
    assert wrong_path.status_code == 404


def test_a_bearer_token_is_refused_before_any_request(
    cli: Cli, fixable: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("P2PFILE_TOKEN", f"Bearer {TOKEN}")
    run = cli.send(fixable)
    assert run.code == 2
    assert "remove 'Bearer '" in run.err
    assert cli.emulator.received == []


# ---------------------------------------------------------------- successes, as documented or close


SUCCESSES: dict[str, Step] = {
    "documented": with_ids(success),
    "extra keys everywhere": with_ids(
        lambda ids: {
            "data": {"message_outbox_ids": ids, "bulk_id": 99, "cost": 1.5},
            "meta": {**success(ids)["meta"], "errors": None, "trace_id": "abc"},
            "links": [],
        }
    ),
    "ids as strings": with_ids(lambda ids: success([str(i) for i in ids])),
    "ids as the data itself": with_ids(lambda ids: {**success(ids), "data": ids}),
    "201 Created": with_ids(lambda ids: Reply(201, success(ids))),
    "202 Accepted": with_ids(lambda ids: Reply(202, success(ids))),
    "numeric message_code, null message": with_ids(
        lambda ids: envelope({"message_outbox_ids": ids}, status=True, message=None, code=2001)
    ),
    "errors as []": with_ids(
        lambda ids: envelope(
            {"message_outbox_ids": ids}, status=True, message=DONE, code="200-1", errors=[]
        )
    ),
    "text/html content type": with_ids(lambda ids: Reply(200, success(ids), "text/html")),
    "no content type": with_ids(lambda ids: Reply(200, success(ids), None)),
    "charset=utf-8 with a BOM": with_ids(
        lambda ids: Reply(
            200,
            b"\xef\xbb\xbf" + json.dumps(success(ids), ensure_ascii=False).encode(),
            "application/json; charset=UTF-8",
        )
    ),
    "UTF-16": with_ids(
        lambda ids: Reply(
            200, json.dumps(success(ids)).encode("utf-16"), "application/json; charset=utf-16"
        )
    ),
    "windows-1256": with_ids(
        lambda ids: Reply(
            200,
            json.dumps(success(ids), ensure_ascii=False).encode("cp1256"),
            "application/json; charset=windows-1256",
        )
    ),
    "gzip": with_ids(lambda ids: Reply(200, success(ids), gzip=True)),
    "chunked": with_ids(lambda ids: Reply(200, success(ids), chunked=True)),
    "HTTP/1.0, the close ends the body": with_ids(
        lambda ids: Reply(200, success(ids), http10=True)
    ),
    "100 Continue first": with_ids(lambda ids: Reply(200, success(ids), interim=True)),
    "headers late, within the timeout": with_ids(lambda ids: Reply(200, success(ids), delay=0.3)),
    "a 4 MB body": with_ids(lambda ids: {**success(ids), "padding": "x" * 4_000_000}),
}


@pytest.mark.parametrize("step", SUCCESSES.values(), ids=SUCCESSES.keys())
def test_every_readable_success_is_sent(cli: Cli, fixable: Path, step: Step) -> None:
    cli.emulator.script(step)
    run = cli.send(fixable)

    assert run.code == 0, run.err
    assert SENT_LINE in run.out
    assert cli.statuses() == ["sent"]
    with Journal(cli.journal) as journal:
        assert journal.recent()[0].outbox_ids == tuple(IDS)
    assert len(cli.emulator.received) == 1


@pytest.mark.parametrize("step", SUCCESSES.values(), ids=SUCCESSES.keys())
def test_the_library_reads_every_success(emulator: Emulator, clean: Path, step: Step) -> None:
    emulator.script(step)
    with client_for(emulator) as client:
        result = client.send_file(clean, SENDER)
    assert result.message_outbox_ids == tuple(IDS)
    assert result.status_code in (200, 201, 202)


# ---------------------------------------------------------------- every other answer


@dataclass(frozen=True)
class Case:
    step: Step
    journal: str  # "failed": nothing was sent; "unknown": it may have been
    says: tuple[str, ...] = ()  # in what the CLI prints on stderr
    error: type[SendError] = ProviderError
    status_code: int | None = None


CASES: dict[str, Case] = {
    # 2xx that is not a readable success: the provider may well have sent it
    "200 with an empty body": Case(Reply(200, b""), "unknown", ("HTTP 200", "the body is empty")),
    "200 HTML": Case(
        html(200, "Welcome"), "unknown", ("HTTP 200 from the provider, but not its JSON envelope",)
    ),
    "200 JSON without meta": Case(
        with_ids(lambda ids: {"message_outbox_ids": ids}), "unknown", ("no 'meta' object",)
    ),
    "200 status 'true' as a string": Case(
        Reply(200, {"data": {"message_outbox_ids": [1]}, "meta": {"status": "true"}}),
        "unknown",
        ("'meta.status' is not a boolean",),
    ),
    "200 status true, data null": Case(
        Reply(200, envelope(None, status=True, message=DONE, code="200-1")),
        "unknown",
        (
            "the provider said the upload was accepted (HTTP 200, 200-1) "
            "but listed no message_outbox_ids",
        ),
    ),
    "200 status true, no ids": Case(
        Reply(200, envelope({"message_outbox_ids": []}, status=True, message=DONE, code="200-1")),
        "unknown",
        ("listed no message_outbox_ids",),
    ),
    "200 cut short": Case(
        with_ids(lambda ids: Reply(200, json.dumps(success(ids))[:40], length=500)),
        "unknown",
        ("the body broke off",),
    ),
    "204 No Content": Case(Reply(204, b"", None), "unknown", ("HTTP 204",)),
    # 2xx, but the provider's own "no"
    "200 with status false": Case(
        Reply(200, envelope(None, status=False, message="اعتبار کافی نیست", code="400-9")),
        "failed",
        ("provider says: اعتبار کافی نیست (HTTP 200, message_code 400-9)",),
    ),
    "200 status false in windows-1256": Case(
        Reply(
            200,
            json.dumps(
                envelope(None, status=False, message="رقم المرسل غير صالح", code="400-4"),
                ensure_ascii=False,
            ).encode("cp1256"),
            "application/json; charset=windows-1256",
        ),
        "failed",
        ("provider says: رقم المرسل غير صالح (HTTP 200, message_code 400-4)",),
    ),
    # 4xx: refused, nothing was sent
    "400": Case(
        Reply(400, envelope(None, status=False, message="درخواست نامعتبر", code="400-3")),
        "failed",
        ("provider says: درخواست نامعتبر (HTTP 400, message_code 400-3)",),
    ),
    "401 documented": Case(
        unauthorized(),
        "failed",
        (
            "rejected the API token (HTTP 401, 400-1)",
            f"provider says: {WRONG_CREDENTIALS} (HTTP 401, message_code 400-1)",
            "an API key made in the panel does not expire",
        ),
        AuthError,
    ),
    "401 from a gateway, no body": Case(
        Reply(401, b"", None), "failed", ("rejected the API token (HTTP 401)",), AuthError
    ),
    "403 HTML": Case(html(403, "403 Forbidden"), "failed", ("HTTP 403", "403 Forbidden")),
    "404 nginx": Case(
        html(404, "404 Not Found"),
        "failed",
        ("HTTP 404", "check the base URL: the upload went to POST "),
    ),
    "405 with Allow": Case(
        Reply(
            405,
            envelope(None, status=False, message="Method Not Allowed", code="405"),
            headers=(("Allow", "GET"),),
        ),
        "failed",
        ("HTTP 405", "check the base URL"),
    ),
    "408": Case(Reply(408, "Request Timeout", "text/plain"), "failed", ("HTTP 408",)),
    "413 before the body is read": Case(
        html(413, "413 Request Entity Too Large", before_body=True),
        "failed",
        ("HTTP 413", "send this one in chunks (--chunk-rows)"),
    ),
    "415": Case(Reply(415, b"", None), "failed", ("HTTP 415", "did not take the upload's format")),
    "422 documented": Case(
        invalid({"files": [FILES_REQUIRED]}),
        "failed",
        (
            f"provider says: {FILES_REQUIRED} (HTTP 422, message_code 400-2)",
            f"  field files: {FILES_REQUIRED}",
        ),
    ),
    "422 Laravel's own shape": Case(
        Reply(
            422,
            {
                "message": "The given data was invalid.",
                "errors": {"files.0": ["The files.0 must be a file of type: csv, xlsx."]},
            },
        ),
        "failed",
        (
            "provider says: The given data was invalid. (HTTP 422, message_code -)",
            "  field files.0: The files.0 must be a file of type: csv, xlsx.",
        ),
    ),
    "422 errors as strings and a list": Case(
        Reply(
            422,
            envelope(
                None,
                status=False,
                message="نامعتبر",
                code="400-2",
                errors={"from_number": "شماره نامعتبر", "send_time": ["a", "b"]},
            ),
        ),
        "failed",
        ("  field from_number: شماره نامعتبر", "  field send_time: a; b"),
    ),
    "422 errors as a bare list": Case(
        Reply(422, envelope(None, status=False, message="x", code="400-2", errors=["bad row 3"])),
        "failed",
        ("  error: bad row 3",),
    ),
    "422 with 2000 field errors": Case(
        Reply(
            422,
            envelope(
                None,
                status=False,
                message="خطا " * 200,
                code="400-2",
                errors={f"files.{i}": ["شماره نامعتبر"] for i in range(2000)},
            ),
        ),
        "failed",
        ("  ... and 1,990 more fields (--json has all)", "and 1,995 more fields"),
    ),
    # 3xx: never followed, so nothing went anywhere else
    "301": Case(
        Reply(301, b"", None, headers=(("Location", "https://api.example.net/v1/api/send"),)),
        "failed",
        ("HTTP 301, a redirect to 'https://api.example.net/v1/api/send', which was not followed",),
    ),
    "302 without Location": Case(Reply(302, b"", None), "failed", ("no Location",)),
    "303 after a POST": Case(
        Reply(303, b"", None, headers=(("Location", "/v1/report/1"),)),
        "unknown",
        ("HTTP 303",),
    ),
    # 429 and 5xx: documented as nothing; the server's fault, the outcome unknown
    "429": Case(
        Reply(429, envelope(None, status=False, message="Too Many Attempts.", code="429")),
        "unknown",
        ("limiting the rate", "provider says: Too Many Attempts. (HTTP 429, message_code 429)"),
    ),
    "429 with Retry-After": Case(
        Reply(429, b"", None, headers=(("Retry-After", "30"),)), "unknown", ("Retry-After: 30",)
    ),
    "500 envelope": Case(
        Reply(500, envelope(None, status=False, message="خطای سرور", code="500-1")),
        "unknown",
        ("provider says: خطای سرور (HTTP 500, message_code 500-1)",),
    ),
    "502 nginx": Case(html(502, "502 Bad Gateway"), "unknown", ("HTTP 502", "502 Bad Gateway")),
    "503 with Retry-After": Case(
        html(503, "503 Service Unavailable", headers=(("Retry-After", "120"),)),
        "unknown",
        ("HTTP 503", "Retry-After: 120"),
    ),
    "504 nginx": Case(html(504, "504 Gateway Time-out"), "unknown", ("HTTP 504",)),
    "500 body cut short": Case(Reply(500, "{", length=300), "unknown", ("the body broke off",)),
    "422 body cut short": Case(Reply(422, '{"data"', length=300), "failed", ("HTTP 422",)),
    # the connection
    "closed before the body was read": Case(
        Hangup(before_body=True), "unknown", ("dropped the connection",), OutcomeUnknownError
    ),
    "closed after the body was read": Case(
        Hangup(), "unknown", ("dropped the connection",), OutcomeUnknownError
    ),
    "never answers": Case(
        Hangup(after=LONG_WAIT), "unknown", ("no answer from",), OutcomeUnknownError
    ),
    "headers too late": Case(
        with_ids(lambda ids: Reply(200, success(ids), delay=LONG_WAIT)),
        "unknown",
        ("no answer from",),
        OutcomeUnknownError,
    ),
    "the body stalls": Case(
        with_ids(lambda ids: Reply(200, success(ids), trickle=LONG_WAIT)),
        "unknown",
        ("the body stopped arriving",),
    ),
    "the body trickles": Case(
        with_ids(lambda ids: Reply(200, success(ids), trickle=0.05)),
        "unknown",
        ("still trickling in",),
    ),
    "a body too large": Case(
        with_ids(lambda ids: {**success(ids), "padding": "x" * 17_000_000}),
        "unknown",
        ("the body is larger than",),
    ),
    "a gzip body that is not gzip": Case(
        Reply(200, b"not gzip at all", headers=(("Content-Encoding", "gzip"),)),
        "unknown",
        ("the body broke off (DecodingError",),
    ),
}
#: Seconds after which a run that waits on nothing counts as hung: on a quiet
#: machine such runs take well under 2 s, but one took 3.2 s on a machine busy with
#: other work, so a tighter bound would only measure the machine.
HANG = 10.0
#: Cases where the CLI runs with a short timeout (they wait on purpose).
SLOW = {"never answers", "headers too late", "the body stalls", "the body trickles"}


@pytest.mark.parametrize("name", CASES)
def test_every_other_answer_exits_3_journaled_and_never_sent_twice(
    cli: Cli, fixable: Path, name: str
) -> None:
    case = CASES[name]
    cli.emulator.script(case.step)
    started = time.monotonic()
    run = cli.send(fixable, timeout="0.4" if name in SLOW else "2")

    # Every wait is bounded: a slow case must give up before the server's stall ends
    # (LONG_WAIT); the others wait on nothing, and only a hang would take HANG.
    assert time.monotonic() - started < (LONG_WAIT if name in SLOW else HANG)
    assert run.code == 3, run.out
    first = run.err.splitlines()[0]
    assert first.startswith("p2pfile: send failed: "), run.err
    assert len(first) < 1200
    for text in case.says:
        assert text in run.err, run.err
    assert cli.statuses() == [case.journal]
    assert len(cli.emulator.received) == 1  # never retried
    if case.journal == "unknown":
        assert "may or may not have been accepted" in run.err
        assert "p2pfile journal --mark 1 failed" in run.err
    else:
        assert "nothing was sent" in run.err

    again = cli.send(fixable)
    if case.journal == "unknown":  # refused before any request
        assert again.code == 3
        assert again.err.startswith("p2pfile: refused: ")
        assert len(cli.emulator.received) == 1
    else:  # nothing was sent, so the same command sends it now
        assert again.code == 0, again.err
        assert cli.statuses() == ["failed", "sent"]
    assert len(cli.emulator.received) == 1 + (case.journal == "failed")


@pytest.mark.parametrize("name", CASES)
def test_the_library_client_raises_the_same(emulator: Emulator, clean: Path, name: str) -> None:
    case = CASES[name]
    emulator.script(case.step)
    with (
        client_for(emulator, timeout=0.4 if name in SLOW else 2.0) as client,
        pytest.raises(SendError) as caught,
    ):
        client.send_file(clean, SENDER)
    exc = caught.value
    assert isinstance(exc, case.error), exc
    assert exc.outcome_unknown == (case.journal == "unknown")
    assert "\n" not in str(exc)
    assert exc.__cause__ is None
    assert exc.__context__ is None
    if isinstance(exc, ProviderError):
        assert exc.status_code is not None
    assert TOKEN not in shown(exc)
    assert len(emulator.received) == 1


@pytest.fixture
def big(tmp_path: Path) -> Path:
    """A 5 MB clean CSV: larger than every socket buffer, so the upload takes many writes."""
    path = tmp_path / "big.csv"
    rows = "".join(f"+98912{i:07d},message number {i % 7}\n" for i in range(150_000))
    path.write_text("recipient,message\n" + rows, encoding="utf-8")
    return path


def test_a_large_upload_arrives_whole(emulator: Emulator, big: Path) -> None:
    # The emulator parses 5 MB of multipart in Python: on a busy machine that took
    # more than the 2 s the other tests allow for an answer.
    with client_for(emulator, timeout=HANG) as client:
        result = client.send_file(big, SENDER)
    assert len(result.message_outbox_ids) == 7  # one per distinct message
    assert emulator.received[0].upload.data == big.read_bytes()


@pytest.mark.parametrize("drain", [True, False], ids=["nginx drains", "closes at once"])
def test_a_413_before_a_large_upload_is_read(emulator: Emulator, big: Path, drain: bool) -> None:
    emulator.script(html(413, "413 Request Entity Too Large", before_body=True, drain=drain))
    with client_for(emulator) as client, pytest.raises(SendError) as caught:
        client.send_file(big, SENDER)
    exc = caught.value
    if isinstance(exc, ProviderError):  # the answer was read: a refusal, nothing was sent
        assert (exc.status_code, exc.outcome_unknown) == (413, False)
        assert "--chunk-rows" in str(exc)
    else:  # the reset won the race with the answer: never a guess that nothing was sent
        assert isinstance(exc, OutcomeUnknownError)
    [request] = emulator.received
    assert request.body is None  # the emulator never read it


def test_json_output_carries_the_providers_words(cli: Cli, fixable: Path) -> None:
    cli.emulator.script(CASES["422 errors as strings and a list"].step)
    run = cli.send(fixable, "--json")
    assert run.code == 3
    error = run.json["error"]
    assert (error["status_code"], error["message_code"], error["provider_message"]) == (
        422,
        "400-2",
        "نامعتبر",
    )
    assert error["field_errors"] == {"from_number": ["شماره نامعتبر"], "send_time": ["a", "b"]}
    assert error["outcome_unknown"] is False
    assert run.json["chunks"][0]["status"] == "failed"


def test_a_sent_file_is_refused_and_an_unknown_one_goes_again_only_with_resend(
    cli: Cli, fixable: Path
) -> None:
    assert cli.send(fixable).code == 0
    again = cli.send(fixable)
    assert again.code == 3
    assert "was already sent" in again.err
    cli.emulator.script(Hangup())
    assert cli.send(fixable, "--resend").code == 3
    refused = cli.send(fixable)
    assert refused.code == 3
    assert refused.err.startswith("p2pfile: refused: ")
    assert cli.send(fixable, "--resend").code == 0
    assert cli.statuses() == ["sent", "unknown", "sent"]
    assert len(cli.emulator.received) == 3


# ---------------------------------------------------------------- redirects


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_never_followed_with_the_file_or_the_token(
    cli: Cli, fixable: Path, status: int
) -> None:
    with Emulator(TOKEN) as elsewhere:
        target = elsewhere.url + "/api/send"
        cli.emulator.script(Reply(status, b"", None, headers=(("Location", target),)))
        run = cli.send(fixable)

        assert run.code == 3
        assert elsewhere.received == []  # neither the file nor the Authorization went there
        assert f"a redirect to '{target}', which was not followed" in run.err
        assert cli.statuses() == ["unknown" if status == 303 else "failed"]
        assert len(cli.emulator.received) == 1


# ---------------------------------------------------------------- nobody there


def test_nobody_listening_is_retried_then_nothing_was_sent(emulator: Emulator, clean: Path) -> None:
    emulator.stop()
    with (
        Client(TOKEN, base_url=emulator.url, timeout=1, retries=2, retry_backoff=0) as client,
        pytest.raises(TransportError) as caught,
    ):
        client.send_file(clean, SENDER)
    assert type(caught.value) is TransportError
    assert "after 3 attempts; nothing was sent" in str(caught.value)
    assert not caught.value.outcome_unknown


def test_a_server_that_never_accepts_the_connection(cli: Cli, fixable: Path) -> None:
    """The kernel completes the handshake (the backlog) but nobody ever reads or answers."""
    with socket.create_server(("127.0.0.1", 0), backlog=4) as silent:
        port = silent.getsockname()[1]
        started = time.monotonic()
        run = cli.send(fixable, base_url=f"http://127.0.0.1:{port}/v1", timeout="0.4")
    assert time.monotonic() - started < HANG
    assert run.code == 3
    assert "no answer from" in run.err  # the request went into the socket: it may be read later
    assert cli.statuses() == ["unknown"]


def test_a_wrong_base_path_is_a_refusal_with_a_hint(cli: Cli, fixable: Path) -> None:
    run = cli.send(fixable, base_url=cli.emulator.origin)  # the /v1 left out
    assert run.code == 3
    assert "HTTP 404" in run.err
    assert f"the upload went to POST {cli.emulator.origin}/api/send" in run.err
    assert cli.statuses() == ["failed"]
    assert cli.emulator.received[0].path == "/api/send"


# ---------------------------------------------------------------- chunks


def test_chunks_share_a_connection_and_resume_after_a_refusal(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "five.csv"
    path.write_text(FIVE_ROWS, encoding="utf-8")
    refusal = Reply(200, envelope(None, status=False, message="اعتبار کافی نیست", code="400-9"))
    cli.emulator.script(with_ids(success), refusal)

    first = cli.send(path, "--chunk-rows", "2")
    assert first.code == 3
    assert "chunk 2/3 (clean rows 3-4, five.part-002-of-003.csv): failed" in first.out
    assert "chunk 3/3 (clean rows 5-5, five.part-003-of-003.csv): not attempted" in first.out
    assert cli.emulator.connections == 1  # keep-alive across chunks

    second = cli.send(path, "--chunk-rows", "2")
    assert second.code == 0, second.err
    names = [r.upload.filename for r in cli.emulator.received]
    assert names == [f"five.part-00{i}-of-003.csv" for i in (1, 2, 2, 3)]
    assert cli.statuses() == ["sent", "failed", "sent", "sent"]


def test_a_server_that_closes_after_every_answer(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "five.csv"
    path.write_text(FIVE_ROWS, encoding="utf-8")
    closing = with_ids(lambda ids: Reply(200, success(ids), close=True))
    cli.emulator.script(closing, closing, closing)
    run = cli.send(path, "--chunk-rows", "2")
    assert run.code == 0, run.err
    assert cli.emulator.connections == 3
    assert cli.statuses() == ["sent", "sent", "sent"]


def test_an_unknown_chunk_stops_the_run_and_blocks_the_rerun(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "five.csv"
    path.write_text(FIVE_ROWS, encoding="utf-8")
    cli.emulator.script(with_ids(success), html(502, "502 Bad Gateway"))

    first = cli.send(path, "--chunk-rows", "2")
    assert first.code == 3
    assert "chunk 2/3 (clean rows 3-4, five.part-002-of-003.csv): UNKNOWN" in first.out
    again = cli.send(path, "--chunk-rows", "2")
    assert again.code == 3
    assert again.err.startswith("p2pfile: refused: clean rows 3-4 were uploaded at ")
    assert len(cli.emulator.received) == 2
    assert cli.statuses() == ["sent", "unknown"]


# ---------------------------------------------------------------- the token


def _echo(where: str) -> Step:
    def step(emulator: Emulator, request: Received) -> Reply:
        token = request.header("Authorization") or ""
        if where == "html":
            return Reply(500, f"<pre>Authorization: {token}</pre>", "text/html")
        if where == "message":
            body = envelope(
                None,
                status=False,
                message=f"bad key {token}",
                code=token,
                errors={token: [f"key {token}"], "files": [token]},
            )
            return Reply(422, body)
        if where == "location":
            return Reply(302, b"", None, headers=(("Location", f"/login?key={token}"),))
        return Reply(429, b"", None, headers=(("Retry-After", token),))

    return step


@pytest.mark.parametrize("where", ["html", "message", "location", "retry-after"])
def test_a_token_echoed_by_the_server_is_masked_everywhere(
    cli: Cli, fixable: Path, where: str
) -> None:
    cli.emulator.script(_echo(where))
    run = cli.send(fixable, "--json")
    assert run.code == 3
    assert "<token>" in run.err
    cli("journal", "--journal", str(cli.journal))
    cli("journal", "--journal", str(cli.journal), "--json")
    # (the cli fixture checks every output and every journal file for the token)


@pytest.mark.parametrize("where", ["html", "message", "location", "retry-after"])
def test_a_token_echoed_never_reaches_an_exception(
    emulator: Emulator, clean: Path, where: str
) -> None:
    emulator.script(_echo(where))
    with client_for(emulator) as client, pytest.raises(ProviderError) as caught:
        client.send_file(clean, SENDER)
    assert TOKEN not in shown(caught.value)


def test_control_characters_from_the_server_are_not_echoed(cli: Cli, fixable: Path) -> None:
    message = "\x1b[2J\x1b]0;pwned\x07خطا\r\nline two"
    cli.emulator.script(Reply(422, envelope(None, status=False, message=message, code="400-2")))
    run = cli.send(fixable)
    assert run.code == 3
    assert "\x1b" not in run.err
    assert "\x07" not in run.err
    assert "خطا line two" in run.err


# ---------------------------------------------------------------- a scheduled send, end to end


def test_a_scheduled_send_then_a_rerun_for_another_time(cli: Cli, fixable: Path) -> None:
    soon = datetime.now(UTC) + timedelta(days=2)
    later = soon + timedelta(hours=1)
    first = cli.send(fixable, "--at", soon.strftime("%Y-%m-%d %H:%M:%S"))
    second = cli.send(fixable, "--at", later.strftime("%Y-%m-%d %H:%M:%S"))
    assert (first.code, second.code) == (0, 0), first.err + second.err
    times = [r.fields["send_time"] for r in cli.emulator.received]
    assert times == [soon.strftime("%Y-%m-%d %H:%M:%S"), later.strftime("%Y-%m-%d %H:%M:%S")]
    assert cli.send(fixable, "--at", soon.strftime("%Y-%m-%d %H:%M:%S")).code == 3  # already sent
    assert len(cli.emulator.received) == 2


# ---------------------------------------------------------------- rows, whatever the chunks


SEVEN_ROWS = "recipient,message\n" + "".join(f"0912123456{i},message {i}\n" for i in range(7))


@pytest.fixture
def seven(tmp_path: Path) -> Path:
    path = tmp_path / "seven.csv"
    path.write_text(SEVEN_ROWS, encoding="utf-8")
    return path


def uploaded_rows(emulator: Emulator) -> list[str]:
    """Every data line the emulator received, in order, over all uploads."""
    return [
        line
        for request in emulator.received
        for line in request.upload.data.decode("utf-8").splitlines()[1:]
    ]


def test_a_file_sent_whole_is_refused_when_rerun_in_other_chunks(cli: Cli, seven: Path) -> None:
    assert cli.send(seven).code == 0
    again = cli.send(seven, "--chunk-rows", "3")

    assert again.code == 3
    assert len(cli.emulator.received) == 1  # nobody gets the SMS twice
    assert "seven.csv (clean rows 1-7): skipped: sent at " in again.out
    assert "was already sent from +983000505; nothing was sent now" in again.err
    assert "(journaled as sent: clean rows 1-7)" in again.err
    assert "journal #1: sent at " in again.err
    assert ", clean rows 1-7, outbox ids " in again.err
    assert "add --resend (recipients get it twice)" in again.err

    dry = cli.send(seven, "--chunk-rows", "2", "--dry-run")
    assert dry.code == 3
    assert "(0 requests)" in dry.out
    assert "  clean rows 1-7: would be skipped: journal #1 sent since " in dry.out

    resend = cli.send(seven, "--chunk-rows", "3", "--resend")
    assert resend.code == 0, resend.err
    assert len(cli.emulator.received) == 4  # explicitly asked for: 3 more requests
    assert cli.statuses() == ["sent"] * 4


def test_a_resume_with_another_chunk_size_sends_only_the_rows_not_yet_sent(
    cli: Cli, seven: Path
) -> None:
    refusal = Reply(200, envelope(None, status=False, message="اعتبار کافی نیست", code="400-9"))
    cli.emulator.script(with_ids(success), refusal)
    first = cli.send(seven, "--chunk-rows", "3")
    assert first.code == 3
    assert "chunk 2/3 (clean rows 4-6, seven.part-002-of-003.csv): failed" in first.out

    dry = cli.send(seven, "--chunk-rows", "2", "--dry-run", "--json")
    assert dry.code == 0, dry.err
    files = dry.json["request"]["files"]
    assert [(f["first_row"], f["last_row"], f["action"]) for f in files] == [
        (1, 3, "skip"),
        (4, 5, "send"),
        (6, 7, "send"),
    ]
    assert files[0]["journal_ids"] == [1]
    assert (dry.json["rows_to_send"], dry.json["rows_skipped"]) == (4, 3)
    text = cli.send(seven, "--chunk-rows", "2", "--dry-run")
    assert "  clean rows 1-3: would be skipped: journal #1 sent since " in text.out
    assert "would send 4 rows in 2 requests; 3 rows would be skipped as sent earlier" in text.out

    second = cli.send(seven, "--chunk-rows", "2")
    assert second.code == 0, second.err
    assert "chunk 1/3 (clean rows 1-3, seven.part-001-of-003.csv): skipped" in second.out
    assert "chunk 2/3 (clean rows 4-5, seven.part-002-of-003.csv): sent" in second.out
    assert "chunk 3/3 (clean rows 6-7, seven.part-003-of-003.csv): sent" in second.out
    assert "sent 4 rows in 2 requests; " in second.out
    assert "; 3 rows skipped as sent earlier (clean rows 1-3 in journal #1); " in second.out
    rows = uploaded_rows(cli.emulator)
    # rows 4-6 went out in the refused request too: every row accepted exactly once after it
    accepted = rows[:3] + rows[6:]
    assert sorted(accepted) == sorted(f"+98912123456{i},message {i}" for i in range(7))
    assert cli.statuses() == ["sent", "failed", "sent", "sent"]

    third = cli.send(seven)  # whole, as a third chunk size: nothing left
    assert third.code == 3
    assert "(journaled as sent: clean rows 1-7)" in third.err
    assert len(cli.emulator.received) == 4


def test_rows_whose_outcome_is_unknown_block_a_rerun_in_other_chunks(cli: Cli, seven: Path) -> None:
    cli.emulator.script(with_ids(success), html(502, "502 Bad Gateway"))
    first = cli.send(seven, "--chunk-rows", "3")
    assert first.code == 3
    assert "chunk 2/3 (clean rows 4-6, seven.part-002-of-003.csv): UNKNOWN" in first.out

    for size in ("2", "4", "7"):
        again = cli.send(seven, "--chunk-rows", size)
        assert again.code == 3
        assert "clean rows 4-6 were uploaded at " in again.err
        assert "with an unknown outcome (journal #2)" in again.err
        assert "journal #2: unknown since " in again.err
        assert "p2pfile journal --mark 2 failed" in again.err
    assert len(cli.emulator.received) == 2

    dry = cli.send(seven, "--chunk-rows", "2", "--dry-run")
    assert dry.code == 3
    assert "  clean rows 4-6: refused: journal #2 unknown since " in dry.out
    assert "a send would be refused: clean rows 4-6 may have been sent already" in dry.err

    assert cli("journal", "--journal", str(cli.journal), "--mark", "2", "failed").code == 0
    resumed = cli.send(seven, "--chunk-rows", "2")
    assert resumed.code == 0, resumed.err
    assert uploaded_rows(cli.emulator)[6:] == [f"+98912123456{i},message {i}" for i in (3, 4, 5, 6)]
    assert cli.statuses() == ["sent", "failed", "sent", "sent"]


def test_a_v1_journal_still_blocks_a_file_it_saw_sent_whole(cli: Cli, seven: Path) -> None:
    from test_journal import write_v1_journal

    clean = "recipient,message\n" + "".join(f"+98912123456{i},message {i}\n" for i in range(7))
    sha256 = hashlib.sha256(clean.encode()).hexdigest()
    write_v1_journal(cli.journal, (sha256, 7, "sent"))  # what an older p2pfile left

    again = cli.send(seven, "--chunk-rows", "3")
    assert again.code == 3
    assert "(journaled as sent: clean rows 1-7)" in again.err
    assert "journal #1: sent at 2026-01-01 00:00:00 UTC, clean rows 1-7, outbox ids 7" in again.err
    assert cli.emulator.received == []
    listed = cli("journal", "--journal", str(cli.journal))
    assert f"old.csv, 7 rows, sha256 {sha256[:12]}, clean rows 1-7 of content" in listed.out


# ---------------------------------------------------------------- rows, not files (journal v3)

REPAIR = [f"0912200000{i}" for i in range(10)]
BROKEN = {2: "0912200000X", 7: "021 8877 6655"}  # rows 3 and 8: no safe fix saves them


def repair_files(tmp_path: Path) -> tuple[Path, Path]:
    bad, repaired = tmp_path / "bad.csv", tmp_path / "repaired.csv"
    lines = [f"{BROKEN.get(i, n)},repair test {i}\n" for i, n in enumerate(REPAIR)]
    bad.write_text("recipient,message\n" + "".join(lines), encoding="utf-8")
    good = [f"{n},repair test {i}\n" for i, n in enumerate(REPAIR)]
    repaired.write_text("recipient,message\n" + "".join(good), encoding="utf-8")
    return bad, repaired


@pytest.mark.parametrize("chunk", [(), ("--chunk-rows", "2"), ("--chunk-rows", "3")])
def test_a_repaired_source_sends_only_the_rows_not_sent_before(
    cli: Cli, tmp_path: Path, chunk: tuple[str, ...]
) -> None:
    bad, repaired = repair_files(tmp_path)
    first = cli.send(bad, "--skip-invalid", "--rejects", str(tmp_path / "rej.csv"), *chunk)
    assert first.code == 0, first.err
    assert len(uploaded_rows(cli.emulator)) == 8

    second = cli.send(repaired, *chunk)  # the rejects fixed in the source, all sent again
    assert second.code == 0, second.err
    rows = uploaded_rows(cli.emulator)
    assert len(rows) == len(set(rows)) == 10  # every recipient got the SMS exactly once
    assert "sent 2 rows in 1 request; " in second.out  # rows 3 and 8, gathered
    assert "clean rows 3, 8" in second.out
    assert "8 rows skipped as sent earlier (clean rows 1-2 in journal #" in second.out

    third = cli.send(repaired, "--chunk-rows", "4")  # any cut: nothing left
    assert third.code == 3
    assert "nothing was sent now" in third.err
    assert " rows of bad." in third.err  # the records are of the first file
    assert len(uploaded_rows(cli.emulator)) == 10
    # The row keys are keyed digests: no recipient or message in the journal's files.
    data = b"".join(p.read_bytes() for p in cli.journal.parent.iterdir())
    assert b"9122000003" not in data
    assert b"repair test" not in data
    assert stat_mode(cli.journal) == 0o600


def test_rows_of_another_file_in_flight_or_unknown_refuse_the_run(cli: Cli, tmp_path: Path) -> None:
    bad, repaired = repair_files(tmp_path)
    cli.emulator.script(html(502, "502 Bad Gateway"))
    first = cli.send(bad, "--skip-invalid", "--rejects", str(tmp_path / "rej.csv"))
    assert first.code == 3
    again = cli.send(repaired)
    assert again.code == 3
    assert "clean rows 1-2 were uploaded at " in again.err
    assert "with an unknown outcome (journal #1)" in again.err
    assert len(cli.emulator.received) == 1
    resend = cli.send(repaired, "--resend")
    assert resend.code == 0, resend.err
    assert len(uploaded_rows(cli.emulator)) == 8 + 10


def stat_mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_a_hand_mark_during_the_upload_is_refused_and_the_answer_wins(
    cli: Cli, fixable: Path
) -> None:
    journal = str(cli.journal)
    meanwhile: dict[str, int] = {}

    def slow(emulator: Emulator, request: Received) -> Reply:
        # Another terminal, while the request is in flight:
        meanwhile["second_send"] = main(
            [
                "send",
                str(fixable),
                "--from",
                SENDER,
                "--isolated",
                "--base-url",
                emulator.url,
                "--journal",
                journal,
            ]
        )
        meanwhile["mark"] = main(["journal", "--journal", journal, "--mark", "1", "failed"])
        meanwhile["forced"] = main(
            ["journal", "--journal", journal, "--mark", "1", "failed", "--force"]
        )
        return Reply(200, success(emulator.allocate(request)))

    cli.emulator.script(slow)
    run = cli.send(fixable)

    assert meanwhile == {"second_send": 3, "mark": 2, "forced": 0}
    assert "clean rows 1-2 are being uploaded by another run" in run.err
    assert "pending since " in run.err
    assert "unknown outcome" not in run.err
    assert "--mark 1 failed" not in run.err  # the refusal does not suggest it
    assert "journal #1 is pending since " in run.err
    assert "its run may still be uploading it" in run.err
    assert "it was pending: if its run is still uploading and the provider accepts" in run.out

    assert run.code == 0, run.err
    assert SENT_LINE in run.out
    assert "journal #1 had been marked failed by hand during the upload" in run.out
    with Journal(cli.journal) as j:
        record = j.get(1)
    assert (record.status, record.outbox_ids) == ("sent", tuple(IDS))

    rerun = cli.send(fixable)
    assert rerun.code == 3
    assert len(cli.emulator.received) == 1  # nobody got it twice


def test_a_stale_pending_record_can_be_marked(cli: Cli, fixable: Path) -> None:
    with Journal(cli.journal) as j:
        j.begin("a" * 64, 2, SENDER, None, "small.csv")
    refused = cli("journal", "--journal", str(cli.journal), "--mark", "1", "failed")
    assert refused.code == 2
    with Journal(cli.journal) as j:
        j._db.execute("UPDATE uploads SET started_at = '2026-01-01T00:00:00.000+00:00'")
    assert cli("journal", "--journal", str(cli.journal), "--mark", "1", "failed").code == 0


def write_v1_chunks(path: Path, clean_rows: list[str], size: int, statuses: list[str]) -> None:
    """The journal an older p2pfile left after ``send --chunk-rows size``."""
    from test_journal import write_v1_journal

    parts = [clean_rows[i : i + size] for i in range(0, len(clean_rows), size)]
    records = []
    for part, status in zip(parts, statuses, strict=True):
        data = "recipient,message\n" + "".join(f"{row}\n" for row in part)
        records.append((hashlib.sha256(data.encode()).hexdigest(), len(part), status))
    write_v1_journal(path, *records)
    with sqlite3.connect(path) as db:
        for k in range(1, len(parts) + 1):
            name = f"seven.part-{k:03d}-of-{len(parts):03d}.csv"
            db.execute("UPDATE uploads SET filename = ? WHERE id = ?", (name, k))


SEVEN_CLEAN = [f"+98912123456{i},message {i}" for i in range(7)]


def test_v1_chunks_block_a_rerun_in_other_chunks(cli: Cli, seven: Path) -> None:
    write_v1_chunks(cli.journal, SEVEN_CLEAN, 3, ["sent", "sent", "sent"])
    for size in ("5", "2"):
        again = cli.send(seven, "--chunk-rows", size)
        assert again.code == 3, again.out
        assert "nothing was sent now" in again.err
    assert cli.emulator.received == []


def test_a_v1_chunked_send_stopped_halfway_resumes_in_other_chunks(cli: Cli, seven: Path) -> None:
    write_v1_chunks(cli.journal, SEVEN_CLEAN, 3, ["sent", "failed", "sent"])
    run = cli.send(seven, "--chunk-rows", "2")
    assert run.code == 0, run.err
    assert uploaded_rows(cli.emulator) == SEVEN_CLEAN[3:6]
    assert "p2pfile: warning" not in run.err


def test_unmatched_v1_chunks_of_the_sender_warn(cli: Cli, seven: Path) -> None:
    edited = ["+989121234560,message 0", "+989121234569,new", *SEVEN_CLEAN[1:]]
    write_v1_chunks(cli.journal, edited, 3, ["sent", "sent", "sent"])
    dry = cli.send(seven, "--chunk-rows", "2", "--dry-run")
    assert "p2pfile: warning: journal #1, #2, #3: 3 chunks an older p2pfile sent" in dry.err
    run = cli.send(seven, "--chunk-rows", "2")
    assert "p2pfile: warning: journal #1, #2, #3: 3 chunks an older p2pfile sent" in run.err
    assert run.code == 0, run.err
