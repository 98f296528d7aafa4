"""The sender against a real HTTP server on 127.0.0.1 (tests/provider_stub.py).

Short timeouts keep the whole file to a few seconds; the stub checks every
request the way the provider does, and records what it received.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
import socket
import sqlite3
import sys
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from provider_stub import (
    FILES_REQUIRED,
    FIRST_OUTBOX_ID,
    SEND_PATH,
    ProviderStub,
    parse_multipart,
)
from referencing import Registry, Resource

from p2pfile._version import __version__
from p2pfile.errors import (
    AuthError,
    InputFileError,
    OutcomeUnknownError,
    ProviderError,
    RefusedError,
    SendError,
    TransportError,
    UsageError,
)
from p2pfile.journal import Journal
from p2pfile.send import (
    XLSX_CONTENT_TYPE,
    Client,
    SendResult,
    _outbox_ids,
    _parse_envelope,
    check_base_url,
    check_from_number,
    form_fields,
    load_token,
    plan_clean_csv,
    request_headers,
    send_clean_csv,
)

TOKEN = "stub-token-123"
SENDER = "+983000505"
SCHEMA_PATH = Path(__file__).parent.parent / "schemas" / "provider-envelope.schema.json"
ROWS = [
    ("+989121234567", "سلام، علی"),
    ("+989351234567", 'line one\nline two, with "quotes"'),
    ("+989901234567", "plain"),
    ("+989191234567", "comma, here"),
    ("+989381234567", "last\r\nwith CRLF inside"),
]


# ---------------------------------------------------------------- fixtures and helpers


@pytest.fixture
def stub() -> Iterator[ProviderStub]:
    with ProviderStub(TOKEN, slow_seconds=1.5) as server:
        yield server


@pytest.fixture
def client(stub: ProviderStub) -> Iterator[Client]:
    with Client(TOKEN, base_url=stub.url, timeout=0.5, retries=2, retry_backoff=0.01) as c:
        yield c


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal(tmp_path / "state" / "journal.sqlite3") as j:
        yield j


def canonical(rows: list[tuple[str, str]]) -> bytes:
    """What p2pfile fix writes and the sender re-writes: UTF-8, LF, RFC 4180 quoting."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["recipient", "message"])
    writer.writerows(rows)
    return out.getvalue().encode()


def write_csv(path: Path, rows: list[tuple[str, str]] = ROWS) -> Path:
    path.write_bytes(canonical(rows))
    return path


def parse_upload(data: bytes) -> list[tuple[str, str]]:
    records = list(csv.reader(io.StringIO(data.decode(), newline="")))
    assert records[0] == ["recipient", "message"]
    return [(r[0], r[1]) for r in records[1:]]


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


class CountingTransport(httpx.HTTPTransport):
    """The real transport, counting the attempts that reach it."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        return super().handle_request(request)


# ---------------------------------------------------------------- the request


def test_success_sends_exactly_the_documented_request(
    stub: ProviderStub, client: Client, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "clean.csv")
    result = client.send_file(path, SENDER)

    assert result == SendResult(
        message_outbox_ids=tuple(range(FIRST_OUTBOX_ID, FIRST_OUTBOX_ID + len(ROWS))),
        status_code=200,
        message_code="200-1",
        message="انجام شد",
    )
    [request] = stub.requests
    assert (request.method, request.path) == ("POST", SEND_PATH)
    assert request.headers["authorization"] == TOKEN  # raw, no "Bearer"
    assert request.headers["accept"] == "application/json"
    assert request.headers["user-agent"] == f"p2pfile/{__version__} (+httpx)"
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    # Streamed with a known length, not chunked.
    assert int(request.headers["content-length"]) == len(request.body)
    assert "transfer-encoding" not in request.headers
    assert [p.name for p in request.parts] == ["sending_type", "from_number", "files[]"]
    assert request.fields == {"sending_type": "peer_to_peer_file", "from_number": SENDER}
    [upload] = request.files
    assert (upload.filename, upload.content_type) == ("clean.csv", "text/csv")
    assert upload.content == path.read_bytes()


def test_xlsx_goes_with_its_mime_type(stub: ProviderStub, client: Client, tmp_path: Path) -> None:
    path = tmp_path / "Book.XLSX"
    path.write_bytes(b"PK\x03\x04 not really a workbook, the stub does not care")
    client.send_file(path, "+98217000070")
    [upload] = stub.requests[0].files
    assert (upload.filename, upload.content_type) == ("Book.XLSX", XLSX_CONTENT_TYPE)
    assert upload.content == path.read_bytes()


def test_scheduled_send_is_converted_to_utc(
    stub: ProviderStub, client: Client, tmp_path: Path
) -> None:
    tehran = datetime(2031, 3, 21, 12, 0, 5, 999, tzinfo=ZoneInfo("Asia/Tehran"))  # UTC+03:30
    client.send_file(write_csv(tmp_path / "c.csv"), "+981000123", tehran)
    fields = stub.requests[0].fields
    assert fields["send_time"] == "2031-03-21 08:30:05"
    assert list(fields) == ["sending_type", "from_number", "send_time"]


def test_naive_or_past_send_time_is_refused_before_any_request(
    stub: ProviderStub, client: Client, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "c.csv")
    with pytest.raises(UsageError, match="timezone-aware"):
        client.send_file(path, SENDER, datetime(2031, 1, 1, 12, 0))
    with pytest.raises(RefusedError, match="in the past"):
        client.send_file(path, SENDER, datetime.now(UTC) - timedelta(minutes=1))
    assert stub.requests == []


@pytest.mark.parametrize(
    "number",
    ["09123000505", "983000505", "+98300", "+983000505123456789", "+1 3000505", "+98３000505"],
)
def test_bad_from_number_names_the_expected_form(
    client: Client, tmp_path: Path, number: str
) -> None:
    with pytest.raises(UsageError, match=r"E\.164.*\+983000505"):
        client.send_file(write_csv(tmp_path / "c.csv"), number)


@pytest.mark.parametrize("name", ["c.txt", "c.xls", "c"])
def test_only_csv_and_xlsx_are_sent(client: Client, tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text("recipient,message\n")
    with pytest.raises(InputFileError, match=r"\.csv and \.xlsx"):
        client.send_file(tmp_path / name, SENDER)


def test_missing_or_empty_file(client: Client, tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="cannot read"):
        client.send_file(tmp_path / "absent.csv", SENDER)
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(InputFileError, match="empty"):
        client.send_file(tmp_path / "empty.csv", SENDER)


def test_upload_streams_from_disk_in_blocks(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(b"recipient,message\n" + b"+989121234567,x\n" * 40_000)  # 640 KB
    seen: list[int] = []

    class Recorder(httpx.BaseTransport):
        # Not MockTransport: that one read()s the whole request first.
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            assert isinstance(request.stream, httpx.SyncByteStream)
            seen.extend(len(block) for block in request.stream)
            body = {"data": {"message_outbox_ids": [1]}, "meta": {"status": True}}
            return httpx.Response(200, json=body)

    with Client(TOKEN, transport=Recorder()) as client:
        client.send_file(path, SENDER)
    assert max(seen) <= 64 * 1024
    assert sum(seen) > path.stat().st_size


# ---------------------------------------------------------------- the answers


def test_401_is_an_auth_error_and_not_retried(stub: ProviderStub, tmp_path: Path) -> None:
    with (
        Client("wrong-token", base_url=stub.url, timeout=0.5) as client,
        pytest.raises(AuthError, match="rejected the API token") as caught,
    ):
        client.send_file(write_csv(tmp_path / "c.csv"), SENDER)
    assert caught.value.status_code == 401
    assert caught.value.message_code == "400-1"
    assert not caught.value.outcome_unknown
    assert len(stub.requests) == 1


def test_422_carries_field_errors(stub: ProviderStub, client: Client, tmp_path: Path) -> None:
    stub.behaviors.append("reject")
    with pytest.raises(ProviderError, match="HTTP 422, 400-2") as caught:
        client.send_file(write_csv(tmp_path / "c.csv"), SENDER)
    assert caught.value.field_errors == {"files": ["فایل معتبر نیست"]}
    assert not caught.value.outcome_unknown
    assert type(caught.value) is ProviderError


def test_stub_validates_like_the_provider(stub: ProviderStub) -> None:
    """The stub's 422 matches the documented one, so the client tests mean something."""
    response = httpx.post(
        stub.url + "/api/send",
        headers={"Authorization": TOKEN, "Accept": "application/json"},
        files={"sending_type": (None, "peer_to_peer_file"), "from_number": (None, SENDER)},
    )
    assert response.status_code == 422
    assert response.json()["meta"]["errors"] == {"files": [FILES_REQUIRED]}
    assert response.json()["meta"]["message_code"] == "400-2"


@pytest.mark.parametrize("behavior", ["500", "429"])
def test_server_errors_leave_the_outcome_unknown(
    stub: ProviderStub, client: Client, tmp_path: Path, behavior: str
) -> None:
    stub.behaviors.append(behavior)
    with pytest.raises(ProviderError, match=f"HTTP {behavior}") as caught:
        client.send_file(write_csv(tmp_path / "c.csv"), SENDER)
    assert caught.value.outcome_unknown
    assert caught.value.status_code == int(behavior)
    assert len(stub.requests) == 1  # never retried


@pytest.mark.parametrize(
    ("behavior", "problem"),
    [("non_json", "not JSON"), ("no_ids", "message_outbox_ids")],
)
def test_a_200_that_is_not_a_usable_envelope(
    stub: ProviderStub, client: Client, tmp_path: Path, behavior: str, problem: str
) -> None:
    stub.behaviors.append(behavior)
    with pytest.raises(ProviderError, match=problem) as caught:
        client.send_file(write_csv(tmp_path / "c.csv"), SENDER)
    assert caught.value.status_code == 200
    assert caught.value.outcome_unknown  # a 200 may well have sent it
    assert "\n" not in str(caught.value)


def test_non_json_error_shows_status_and_body_start(tmp_path: Path) -> None:
    page = "<html><head><title>502 Bad Gateway</title></head>" + "x" * 1000 + "</html>"
    transport = httpx.MockTransport(lambda _: httpx.Response(502, text=page))
    with Client(TOKEN, transport=transport) as client, pytest.raises(ProviderError) as caught:
        client.send_file(write_csv(tmp_path / "c.csv"), SENDER)
    text = str(caught.value)
    assert "HTTP 502" in text
    assert "502 Bad Gateway" in text
    assert caught.value.body_excerpt is not None
    assert len(caught.value.body_excerpt) == 200
    assert caught.value.outcome_unknown


# ---------------------------------------------------------------- the network


def test_slow_server_is_an_unknown_outcome(
    stub: ProviderStub, client: Client, tmp_path: Path
) -> None:
    stub.behaviors.append("slow")
    path = write_csv(tmp_path / "c.csv")
    with pytest.raises(OutcomeUnknownError, match="no answer"):
        client.send_file(path, SENDER)
    [request] = stub.requests  # the whole body arrived, and it was not sent again
    assert request.files[0].content == path.read_bytes()


def test_dropped_connection_is_unknown_journaled_and_refused_next_time(
    stub: ProviderStub, client: Client, journal: Journal, tmp_path: Path
) -> None:
    stub.behaviors.append("drop")
    path = write_csv(tmp_path / "clean.csv")
    [outcome] = send_clean_csv(client, journal, path, SENDER)

    assert outcome.status == "unknown"
    assert isinstance(outcome.error, OutcomeUnknownError)
    assert len(stub.requests) == 1
    [record] = journal.find(outcome.sha256, SENDER, None)
    assert record.status == "unknown"
    assert record.id == outcome.journal_id

    with pytest.raises(RefusedError, match=rf"unknown outcome \(journal #{record.id}\)") as caught:
        send_clean_csv(client, journal, path, SENDER)
    assert caught.value.journal_ids == (record.id,)
    assert len(stub.requests) == 1  # refused before any request


def test_connection_refused_is_retried_then_fails(journal: Journal, tmp_path: Path) -> None:
    transport = CountingTransport()
    url = f"http://127.0.0.1:{free_port()}/v1"
    with Client(TOKEN, base_url=url, transport=transport, retries=2, retry_backoff=0.01) as client:
        [outcome] = send_clean_csv(client, journal, write_csv(tmp_path / "c.csv"), SENDER)
    assert transport.calls == 3
    assert outcome.status == "failed"
    assert type(outcome.error) is TransportError
    assert "after 3 attempts; nothing was sent" in str(outcome.error)
    assert journal.get(outcome.journal_id or 0).status == "failed"


@pytest.mark.parametrize(
    ("exc", "expected", "calls"),
    [
        (httpx.ConnectError("refused"), TransportError, 3),
        (httpx.ConnectTimeout("slow dns"), TransportError, 3),
        (httpx.PoolTimeout("pool"), TransportError, 1),
        (httpx.ReadTimeout("read"), OutcomeUnknownError, 1),
        (httpx.WriteTimeout("write"), OutcomeUnknownError, 1),
        (httpx.RemoteProtocolError("disconnected"), OutcomeUnknownError, 1),
        (httpx.ReadError("reset"), OutcomeUnknownError, 1),
        (httpx.WriteError("broken pipe"), OutcomeUnknownError, 1),
    ],
)
def test_httpx_errors_map_by_whether_the_body_may_have_left(
    tmp_path: Path, exc: Exception, expected: type[SendError], calls: int
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        raise exc

    transport = httpx.MockTransport(handler)
    with (
        Client(TOKEN, transport=transport, retries=2, retry_backoff=0.0) as client,
        pytest.raises(expected) as caught,
    ):
        client.send_file(write_csv(tmp_path / "c.csv"), SENDER)
    assert type(caught.value) is expected
    assert len(seen) == calls
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None  # the httpx request (and its headers) is gone


# ---------------------------------------------------------------- chunks, resume, resend


def test_chunks_resume_after_a_failure(
    stub: ProviderStub, client: Client, journal: Journal, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "clean.csv")
    stub.behaviors.extend(["ok", "reject"])
    first = send_clean_csv(client, journal, path, SENDER, chunk_rows=2)

    assert [o.status for o in first] == ["sent", "failed", "not_attempted"]
    assert [(o.first_row, o.last_row) for o in first] == [(1, 2), (3, 4), (5, 5)]
    assert [o.filename for o in first] == [f"clean.part-00{i}-of-003.csv" for i in (1, 2, 3)]
    assert isinstance(first[1].error, ProviderError)
    assert len(stub.requests) == 2
    assert parse_upload(stub.requests[0].files[0].content) == ROWS[0:2]
    assert parse_upload(stub.requests[1].files[0].content) == ROWS[2:4]
    assert stub.requests[0].files[0].filename == "clean.part-001-of-003.csv"

    second = send_clean_csv(client, journal, path, SENDER, chunk_rows=2)
    assert [o.status for o in second] == ["skipped", "sent", "sent"]
    assert second[0].earlier[0].id == first[0].journal_id
    assert second[0].outbox_ids == first[0].outbox_ids
    assert len(stub.requests) == 4
    assert stub.requests[2].files[0].content == stub.requests[1].files[0].content
    assert parse_upload(stub.requests[3].files[0].content) == ROWS[4:5]
    assert [r.status for r in journal.recent()] == ["sent", "sent", "failed", "sent"]

    third = send_clean_csv(client, journal, path, SENDER, chunk_rows=2)
    assert [o.status for o in third] == ["skipped"] * 3
    assert len(stub.requests) == 4


def test_unknown_chunk_blocks_the_rerun_until_resend(
    stub: ProviderStub, client: Client, journal: Journal, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "clean.csv")
    stub.behaviors.extend(["ok", "500"])
    first = send_clean_csv(client, journal, path, SENDER, chunk_rows=2)
    assert [o.status for o in first] == ["sent", "unknown", "not_attempted"]
    assert journal.get(first[1].journal_id or 0).http_status == 500

    with pytest.raises(
        RefusedError, match=r"clean rows 3-4 were uploaded at .* unknown outcome \(journal #2\)"
    ):
        send_clean_csv(client, journal, path, SENDER, chunk_rows=2)
    assert len(stub.requests) == 2

    again = send_clean_csv(client, journal, path, SENDER, chunk_rows=2, resend=True)
    assert [o.status for o in again] == ["sent", "sent", "sent"]
    assert len(stub.requests) == 5


def test_settling_an_unknown_record_lets_the_run_resume(
    stub: ProviderStub, client: Client, journal: Journal, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "clean.csv")
    stub.behaviors.append("drop")
    [outcome] = send_clean_csv(client, journal, path, SENDER)
    journal.complete(outcome.journal_id or 0, "failed", message="not in the provider's report")
    [retry] = send_clean_csv(client, journal, path, SENDER)
    assert retry.status == "sent"
    assert len(stub.requests) == 2


def test_resend_sends_a_sent_file_again(
    stub: ProviderStub, client: Client, journal: Journal, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "clean.csv")
    [first] = send_clean_csv(client, journal, path, SENDER)
    [skipped] = send_clean_csv(client, journal, path, SENDER)
    [again] = send_clean_csv(client, journal, path, SENDER, resend=True)
    assert (first.status, skipped.status, again.status) == ("sent", "skipped", "sent")
    assert again.outbox_ids != first.outbox_ids
    assert len(stub.requests) == 2
    assert stub.requests[0].files[0].content == stub.requests[1].files[0].content
    assert stub.requests[0].files[0].filename == "clean.csv"


def test_key_is_content_sender_and_time(
    stub: ProviderStub, client: Client, journal: Journal, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "clean.csv")
    later = datetime(2031, 1, 1, 9, 0, tzinfo=UTC)
    statuses = [
        send_clean_csv(client, journal, path, SENDER)[0].status,
        send_clean_csv(client, journal, path, "+981000123")[0].status,
        send_clean_csv(client, journal, path, SENDER, later)[0].status,
        send_clean_csv(client, journal, path, SENDER, later.astimezone(ZoneInfo("Asia/Tehran")))[
            0
        ].status,
    ]
    assert statuses == ["sent", "sent", "sent", "skipped"]
    # Same rows, different bytes on disk (CRLF, BOM): same canonical chunk, same key.
    (tmp_path / "crlf.csv").write_bytes(b"\xef\xbb\xbf" + canonical(ROWS).replace(b"s\n", b"s\r\n"))
    assert send_clean_csv(client, journal, tmp_path / "crlf.csv", SENDER)[0].status == "skipped"


def test_rows_sent_are_skipped_whatever_the_chunk_size(
    stub: ProviderStub, client: Client, journal: Journal, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "clean.csv")
    stub.behaviors.extend(["ok", "reject"])
    first = send_clean_csv(client, journal, path, SENDER, chunk_rows=2)
    assert [o.status for o in first] == ["sent", "failed", "not_attempted"]
    assert journal.get(first[0].journal_id or 0).content_sha256 == first[0].content_sha256

    plan = plan_clean_csv(path, SENDER, chunk_rows=4, journal=journal)
    assert [(p.first_row, p.last_row, p.action) for p in plan] == [(1, 2, "skip"), (3, 5, "send")]

    second = send_clean_csv(client, journal, path, SENDER, chunk_rows=4)
    assert [(o.first_row, o.last_row, o.status) for o in second] == [
        (1, 2, "skipped"),
        (3, 5, "sent"),
    ]
    assert [(p.sha256, p.filename) for p in plan] == [(o.sha256, o.filename) for o in second]
    assert parse_upload(stub.requests[2].files[0].content) == ROWS[2:5]
    for size in (None, 1, 3, 5):
        outcomes = send_clean_csv(client, journal, path, SENDER, chunk_rows=size)
        assert {o.status for o in outcomes} == {"skipped"}
        assert sum(o.rows for o in outcomes) == 5
    assert len(stub.requests) == 3
    record = journal.get(second[1].journal_id or 0)
    assert (record.first_row, record.last_row, record.rows) == (3, 5, 3)


def test_the_whole_content_digest_is_the_one_request_upload(
    stub: ProviderStub, client: Client, journal: Journal, tmp_path: Path
) -> None:
    # So a v1 record of a file sent whole (migrated as rows 1..n of its sha256) still blocks.
    path = write_csv(tmp_path / "clean.csv")
    [whole] = plan_clean_csv(path, SENDER)
    assert whole.content_sha256 == whole.sha256 == hashlib.sha256(canonical(ROWS)).hexdigest()
    chunks = plan_clean_csv(path, SENDER, chunk_rows=2)
    assert {c.content_sha256 for c in chunks} == {whole.sha256}


def test_a_pending_record_counts_as_unknown(
    stub: ProviderStub, client: Client, journal: Journal, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "clean.csv")
    [outcome] = send_clean_csv(client, journal, path, SENDER, resend=True)
    # A process that died mid-request left this behind:
    journal.begin(outcome.sha256, 5, SENDER, None, "clean.csv")
    with pytest.raises(RefusedError, match="clean rows 1-5 are being uploaded by another run"):
        send_clean_csv(client, journal, path, SENDER)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "header"),
        (b"phone,text\n+989121234567,x\n", "header"),
        (b"recipient,message\n", "no data rows"),
        (b"recipient,message\n+989121234567,x,extra\n", ":2: expected 2 fields"),
        (b'recipient,message\n+989121234567,"a\nb"\n+989121234568\n', ":4: expected 2 fields"),
        (b"recipient,message\n+989121234567,\xff\n", "not UTF-8"),
        (b'recipient,message\n+989121234567,"open\n', "broken CSV"),
    ],
)
def test_an_unclean_file_is_an_input_error(
    stub: ProviderStub, client: Client, journal: Journal, content: bytes, problem: str
) -> None:
    bad = journal.path.parent / "bad.csv"
    bad.write_bytes(content)
    with pytest.raises(InputFileError, match=problem):
        send_clean_csv(client, journal, bad, SENDER)
    assert stub.requests == []
    assert journal.recent() == []


@pytest.mark.parametrize("chunk_rows", [0, -1, True, 1.5])
def test_chunk_rows_must_be_positive(
    client: Client, journal: Journal, tmp_path: Path, chunk_rows: Any
) -> None:
    with pytest.raises(UsageError, match="chunk_rows"):
        send_clean_csv(
            client, journal, write_csv(tmp_path / "c.csv"), SENDER, chunk_rows=chunk_rows
        )


def test_a_plan_is_what_the_send_then_does(
    stub: ProviderStub, client: Client, journal: Journal, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "clean.csv")
    before = plan_clean_csv(path, SENDER, chunk_rows=2)  # no journal: everything would go
    assert [(p.filename, p.first_row, p.last_row, p.action) for p in before] == [
        ("clean.part-001-of-003.csv", 1, 2, "send"),
        ("clean.part-002-of-003.csv", 3, 4, "send"),
        ("clean.part-003-of-003.csv", 5, 5, "send"),
    ]
    assert stub.requests == []
    stub.behaviors.extend(["ok", "500"])
    sent = send_clean_csv(client, journal, path, SENDER, chunk_rows=2)
    assert [(p.sha256, p.filename) for p in before] == [(o.sha256, o.filename) for o in sent]

    after = plan_clean_csv(path, SENDER, chunk_rows=2, journal=journal)
    assert [p.action for p in after] == ["skip", "refuse", "send"]
    assert [[r.id for r in p.earlier] for p in after] == [
        [sent[0].journal_id],
        [sent[1].journal_id],
        [],
    ]
    resend = plan_clean_csv(path, SENDER, chunk_rows=2, journal=journal, resend=True)
    assert [p.action for p in resend] == ["send"] * 3
    assert len(stub.requests) == 2  # planning never sends
    assert len(journal.recent()) == 2  # nor journals


def test_plan_checks_its_arguments_as_a_send_does(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "clean.csv")
    with pytest.raises(UsageError, match=r"E\.164"):
        plan_clean_csv(path, "3000505")
    with pytest.raises(UsageError, match="chunk_rows"):
        plan_clean_csv(path, SENDER, chunk_rows=0)
    with pytest.raises(RefusedError, match="in the past"):
        plan_clean_csv(path, SENDER, datetime(2020, 1, 1, tzinfo=UTC))


def test_the_request_can_be_shown_without_the_token() -> None:
    assert request_headers() == {
        "Authorization": "<redacted>",
        "Accept": "application/json",
        "User-Agent": f"p2pfile/{__version__} (+httpx)",
    }
    assert request_headers(TOKEN)["Authorization"] == TOKEN
    when = datetime(2031, 3, 21, 12, 0, tzinfo=ZoneInfo("Asia/Tehran"))
    assert form_fields(SENDER, when) == {
        "sending_type": "peer_to_peer_file",
        "from_number": SENDER,
        "send_time": "2031-03-21 08:30:00",
    }
    assert check_from_number(SENDER) == SENDER
    assert check_base_url("https://edge.ippanel.com/v1/") == "https://edge.ippanel.com/v1"
    with pytest.raises(UsageError, match="https://"):
        check_base_url("http://edge.ippanel.com/v1")


_TEXT = st.text(st.sampled_from('ab ,"\r\nس😀'), max_size=8)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.tuples(_TEXT, _TEXT), min_size=1, max_size=12), size=st.integers(1, 5))
def test_chunks_are_canonical_and_lose_nothing(
    tmp_path: Path, rows: list[tuple[str, str]], size: int
) -> None:
    uploads: list[tuple[bytes, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        uploads.append((request.read(), request.headers["content-type"]))
        body = {"data": {"message_outbox_ids": [1]}, "meta": {"status": True}}
        return httpx.Response(200, json=body)

    source = tmp_path / "rows.csv"
    with source.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([("recipient", "message"), *rows])  # CRLF, minimal quoting
    with (
        Client(TOKEN, transport=httpx.MockTransport(handler)) as client,
        Journal(tmp_path / f"j{len(uploads)}{size}{id(rows)}.sqlite3") as journal,
    ):
        outcomes = send_clean_csv(client, journal, source, SENDER, chunk_rows=size, resend=True)
    assert len(outcomes) == -(-len(rows) // size)
    got: list[tuple[str, str]] = []
    for body in uploads:
        [upload] = [p for p in parse_multipart(*body) or [] if p.name == "files[]"]
        data = upload.content
        got.extend(parse_upload(data))
        text = data.decode()
        assert not text.startswith("\ufeff")
        assert data == _canonical_bytes(parse_upload(data))
    assert got == rows


def _canonical_bytes(rows: list[tuple[str, str]]) -> bytes:
    def quote(field: str) -> str:
        if any(c in field for c in ',"\r\n'):
            return '"' + field.replace('"', '""') + '"'
        return field

    lines = ["recipient,message", *(f"{quote(a)},{quote(b)}" for a, b in rows)]
    return ("\n".join(lines) + "\n").encode()


# ---------------------------------------------------------------- configuration


@pytest.mark.parametrize(
    "url",
    [
        "http://edge.ippanel.com/v1",
        "http://10.0.0.1/v1",
        "http://192.168.1.1:8080",
        "ftp://127.0.0.1/v1",
        "edge.ippanel.com/v1",
        "https://user:secret@edge.ippanel.com/v1",
        "https://edge.ippanel.com/v1?x=1",
    ],
)
def test_base_url_must_be_https_unless_loopback(url: str) -> None:
    with pytest.raises(UsageError, match="base_url"):
        Client(TOKEN, base_url=url)


@pytest.mark.parametrize(
    ("url", "endpoint"),
    [
        ("https://edge.ippanel.com/v1", "https://edge.ippanel.com/v1/api/send"),
        ("https://edge.ippanel.com/v1/", "https://edge.ippanel.com/v1/api/send"),
        ("http://127.0.0.2:8080/v1", "http://127.0.0.2:8080/v1/api/send"),
        ("http://[::1]:9000", "http://[::1]:9000/api/send"),
        ("http://LOCALHOST:9000/v1", "http://localhost:9000/v1/api/send"),
    ],
)
def test_accepted_base_urls(url: str, endpoint: str) -> None:
    with Client(TOKEN, base_url=url) as client:
        assert client.send_url == endpoint


@pytest.mark.parametrize(
    "kwargs", [{"timeout": 0}, {"timeout": -1}, {"retries": -1}, {"retry_backoff": -0.1}]
)
def test_bad_client_settings(kwargs: dict[str, Any]) -> None:
    with pytest.raises(UsageError):
        Client(TOKEN, **kwargs)


@pytest.mark.parametrize("token", ["", "two words", "line\nbreak", "تو\u200ckن", "tab\tx"])
def test_malformed_token_is_refused_without_echo(token: str) -> None:
    with pytest.raises(UsageError) as caught:
        Client(token)
    if token:
        assert token not in str(caught.value)


def test_load_token_from_environment() -> None:
    assert load_token({"P2PFILE_TOKEN": "  abc.DEF-123\n"}) == "abc.DEF-123"
    with pytest.raises(UsageError, match="set P2PFILE_TOKEN"):
        load_token({})
    with pytest.raises(UsageError, match="empty"):
        load_token({"P2PFILE_TOKEN": " \n"})


def test_load_token_from_a_private_file(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("file-token\n")
    path.chmod(0o600)
    # The explicit file wins over the environment.
    assert load_token({"P2PFILE_TOKEN": "env-token"}, token_file=path) == "file-token"


def test_load_token_refuses_a_shared_file(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("shared-token-value\n")
    path.chmod(0o644)
    with pytest.raises(UsageError, match="chmod 600") as caught:
        load_token({}, token_file=path)
    assert "shared-token-value" not in str(caught.value)


@pytest.mark.parametrize("content", ["", "  \n", "zq1-first\nzq2-second\n", "zq3 zq4\n"])
def test_load_token_bad_file_content_is_not_echoed(tmp_path: Path, content: str) -> None:
    path = tmp_path / "token"
    path.write_text(content)
    path.chmod(0o600)
    with pytest.raises(UsageError) as caught:
        load_token({}, token_file=path)
    for word in content.split():
        assert word not in str(caught.value)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX pipes")
def test_load_token_from_a_pipe() -> None:
    """``--token-file <(secret-tool lookup ...)`` or ``/dev/stdin``: the token comes from
    a password manager, neither from the environment nor from disk."""
    read_end, write_end = os.pipe()
    os.write(write_end, b"pipe-token\n")
    os.close(write_end)
    try:
        assert load_token({}, token_file=f"/dev/fd/{read_end}") == "pipe-token"
    finally:
        os.close(read_end)


def test_load_token_refuses_a_directory(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a regular file or a pipe"):
        load_token({}, token_file=tmp_path)


def test_load_token_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read token file"):
        load_token({}, token_file=tmp_path / "nope")


# ---------------------------------------------------------------- secrets


SENTINEL = "SENTINEL-7f3a9c-do-not-leak"


def test_the_token_never_leaks(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)  # httpx and httpcore log requests at DEBUG
    path = write_csv(tmp_path / "clean.csv")
    errors: list[BaseException] = []
    journal_path = tmp_path / "journal.sqlite3"
    with (
        ProviderStub(SENTINEL, slow_seconds=1.0) as stub,
        Client(SENTINEL, base_url=stub.url, timeout=0.4, retry_backoff=0.0) as client,
        Journal(journal_path) as journal,
    ):
        assert SENTINEL not in repr(client)
        for behavior in ["echo_auth", "500", "reject", "auth", "non_json", "drop", "slow"]:
            stub.behaviors.append(behavior)
            outcomes = send_clean_csv(client, journal, path, SENDER, resend=True)
            assert outcomes[0].error is not None, behavior
            errors.append(outcomes[0].error)
        client.send_file(path, SENDER)  # and a success
        with Client("wrong", base_url=stub.url) as other, pytest.raises(AuthError) as caught:
            other.send_file(path, SENDER)
        errors.append(caught.value)
    with Client(SENTINEL, base_url=f"http://127.0.0.1:{free_port()}", retry_backoff=0.0) as dead:
        with pytest.raises(TransportError) as refused:
            dead.send_file(path, SENDER)
        errors.append(refused.value)
    with pytest.raises(UsageError) as bad_url:
        Client(SENTINEL, base_url="http://example.com")
    errors.append(bad_url.value)

    assert "<token>" in str(errors[0])  # the echoed header was masked
    for exc in errors:
        shown = "".join(traceback.format_exception(exc)) + repr(exc)
        shown += repr(vars(exc))
        assert SENTINEL not in shown, type(exc)
    for record in journal_path.parent.glob("journal.sqlite3*"):
        assert SENTINEL.encode() not in record.read_bytes()
    with sqlite3.connect(journal_path) as db:
        dump = "\n".join(db.iterdump())
    assert SENTINEL not in dump
    assert SENTINEL not in caplog.text
    captured = capsys.readouterr()
    assert SENTINEL not in captured.out + captured.err
    assert captured.out == ""  # nothing prints


# ---------------------------------------------------------------- the envelope schema


def _validator(pointer: str = "") -> jsonschema.Draft202012Validator:
    """A validator for the schema file, or for one of its ``$defs`` (``pointer``)."""
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    registry: Registry[Any] = Registry().with_resource(
        schema["$id"], Resource.from_contents(schema)
    )
    target = {"$ref": schema["$id"] + pointer} if pointer else schema
    return jsonschema.Draft202012Validator(target, registry=registry)


ENVELOPE = _validator()
SEND_SUCCESS = _validator("#/$defs/sendSuccess")
SEND_SUCCESS_DATA = _validator("#/$defs/sendSuccessData")
DOCUMENTED_META = _validator("#/$defs/documentedMeta")


DOCUMENTED = [
    {
        "data": {"message_outbox_ids": [1123594208, 1123594210]},
        "meta": {
            "status": True,
            "message": "انجام شد",
            "message_parameters": [],
            "message_code": "200-1",
        },
    },
    {
        "data": None,
        "meta": {
            "status": False,
            "message": "اطلاعات وارد شده صحیح نمی باشد",
            "message_parameters": [],
            "message_code": "400-1",
            "errors": {},
        },
    },
    {
        "data": None,
        "meta": {
            "status": False,
            "message": FILES_REQUIRED,
            "message_parameters": [],
            "message_code": "400-2",
            "errors": {"files": [FILES_REQUIRED]},
        },
    },
]


def test_documented_envelopes_fit_the_schema_and_the_parser() -> None:
    for doc in DOCUMENTED:
        ENVELOPE.validate(doc)
        DOCUMENTED_META.validate(doc["meta"])
        assert not isinstance(_parse_envelope(json.dumps(doc).encode()), str)
    SEND_SUCCESS.validate(DOCUMENTED[0])
    assert not SEND_SUCCESS.is_valid(DOCUMENTED[1])
    assert not ENVELOPE.is_valid({"data": None})
    assert not SEND_SUCCESS.is_valid({"meta": {"status": True}})  # success needs its data
    assert not DOCUMENTED_META.is_valid({"status": True, "message_code": 200})


@pytest.mark.parametrize(
    ("data", "ids"),
    [
        ({"message_outbox_ids": [1123594208, 1123594210]}, (1123594208, 1123594210)),
        ({"message_outbox_ids": ["1123594208", 7.0]}, (1123594208, 7)),
        ({"message_outbox_ids": 5, "extra": True}, (5,)),
        ([3, "4"], (3, 4)),
        ({"message_outbox_ids": []}, None),
        ({"message_outbox_ids": None}, None),
        ({"message_outbox_ids": [1, True]}, None),
        ({"message_outbox_ids": [1, -2]}, None),
        ({"message_outbox_ids": ["12a"]}, None),
        ({"message_outbox_ids": [1.5]}, None),
        ({"ids": [1]}, None),
        ([], None),
        (None, None),
        (7, None),
    ],
)
def test_outbox_ids_in_the_shapes_read(data: Any, ids: tuple[int, ...] | None) -> None:
    assert _outbox_ids(data) == ids
    assert SEND_SUCCESS_DATA.is_valid(data) == (ids is not None)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=3),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=6,
)
_META = st.fixed_dictionaries(
    {},
    optional={
        "status": st.booleans() | _JSON,
        "message": st.text(max_size=3) | st.none() | _JSON,
        "message_code": st.sampled_from(["200-1", "400-2"]) | st.none() | _JSON,
        "message_parameters": st.just([]) | st.none() | _JSON,
        "errors": st.dictionaries(st.text(max_size=3), st.lists(st.text(max_size=3), max_size=2))
        | st.just([])
        | st.none()
        | _JSON,
    },
)
_ID = st.integers() | st.from_regex(r"\A[0-9]{1,20}\Z") | _JSON
_DATA = (
    st.fixed_dictionaries({}, optional={"message_outbox_ids": st.lists(_ID, max_size=3) | _ID})
    | st.lists(_ID, max_size=3)
    | _JSON
)
_ENVELOPE = st.fixed_dictionaries({}, optional={"data": _DATA, "meta": _META | _JSON}) | _JSON


@settings(max_examples=150, deadline=None)
@given(doc=_ENVELOPE)
def test_hand_written_validator_agrees_with_the_schema(doc: Any) -> None:
    schema_ok = ENVELOPE.is_valid(doc)
    parsed = _parse_envelope(json.dumps(doc).encode())
    assert schema_ok == (not isinstance(parsed, str)), parsed
    if schema_ok:
        ids_ok = SEND_SUCCESS_DATA.is_valid(doc.get("data"))
        assert ids_ok == (_outbox_ids(doc.get("data")) is not None)
