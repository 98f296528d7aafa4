"""`p2pfile send` and `p2pfile journal` as a user runs them, against a real server on 127.0.0.1.

Every test runs with a sentinel token; a fixture checks after each test that
the token appeared in nothing the commands printed.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from provider_stub import BAD_CREDENTIALS, FIRST_OUTBOX_ID, ProviderStub

from p2pfile.cli import main
from p2pfile.errors import SendError
from p2pfile.journal import Journal, JournalRecord
from p2pfile.send import send_clean_csv

TOKEN = "SENTINEL-k3y-7f0c2b9e51d4"
SENDER = "+983000505"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
#: Only rows safe fixes can save: Persian digits and spaces, a +98 form, a duplicate.
FIXABLE = (
    'recipient,message\n۰۹۱۲ ۳۴۵ ۶۷۸۹,سلام\n+98 912 345 6789,سلام\n0935 123 4567,"hello, world"\n'
)
FIXABLE_CLEAN = 'recipient,message\n+989123456789,سلام\n+989351234567,"hello, world"\n'.encode()
FIVE_ROWS = "recipient,message\n" + "".join(f"0912123456{i},message {i}\n" for i in range(5))
NEXT_YEAR = datetime.now(UTC).year + 1


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


class Cli:
    """Runs ``main([...])`` with the stub's URL and a private journal; keeps every output."""

    def __init__(self, stub: ProviderStub, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
        self.stub = stub
        self.journal = tmp_path / "state" / "journal.sqlite3"
        self.capsys = capsys
        self.transcript: list[str] = []

    def __call__(self, *args: str) -> Run:
        code = main(list(args))
        captured = self.capsys.readouterr()
        self.transcript += [captured.out, captured.err]
        return Run(code, captured.out, captured.err)

    def send(self, path: Path, *extra: str, isolated: bool = True) -> Run:
        args = ["send", str(path), "--from", SENDER, "--base-url", self.stub.url]
        args += ["--journal", str(self.journal), "--timeout", "5"]
        return self(*args, *(["--isolated"] if isolated else []), *extra)

    def records(self) -> list[JournalRecord]:
        with Journal(self.journal) as journal:
            return journal.recent()


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("P2PFILE_TOKEN", TOKEN)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    monkeypatch.delenv("P2PFILE_BASE_URL", raising=False)


@pytest.fixture
def stub() -> Iterator[ProviderStub]:
    with ProviderStub(TOKEN, slow_seconds=1.5) as server:
        yield server


@pytest.fixture
def cli(stub: ProviderStub, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[Cli]:
    runner = Cli(stub, tmp_path, capsys)
    yield runner
    for text in runner.transcript:
        assert TOKEN not in text


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def fixable(tmp_path: Path) -> Path:
    return write(tmp_path / "small.csv", FIXABLE)


@pytest.fixture
def messy(tmp_path: Path) -> Path:
    return Path(shutil.copy(EXAMPLES / "messy.csv", tmp_path / "messy.csv"))


# ---------------------------------------------------------------- what goes out


def test_a_fixable_file_goes_out_as_its_canonical_clean_csv(cli: Cli, fixable: Path) -> None:
    run = cli.send(fixable)

    assert run.code == 0, run.err
    [request] = cli.stub.requests
    [upload] = request.files
    assert (upload.name, upload.filename, upload.content_type) == (
        "files[]",
        "small.csv",
        "text/csv",
    )
    assert upload.content == FIXABLE_CLEAN
    assert request.fields == {"sending_type": "peer_to_peer_file", "from_number": SENDER}
    assert [p.name for p in request.parts] == ["sending_type", "from_number", "files[]"]
    assert request.headers["authorization"] == TOKEN
    assert request.headers["accept"] == "application/json"
    assert request.headers["user-agent"].startswith("p2pfile/")
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert fixable.read_text(encoding="utf-8") == FIXABLE  # the input is never touched

    assert "3 rows in, 2 to send, 0 rejected, 1 duplicate dropped" in run.out
    assert "dropped line 3: duplicate of line 2 (D101)" in run.out
    ids = f"{FIRST_OUTBOX_ID}, {FIRST_OUTBOX_ID + 1}"
    assert f"small.csv (clean rows 1-2): sent, outbox ids {ids} (journal #1)" in run.out
    assert f"journal: {cli.journal}" in run.out
    [record] = cli.records()
    assert (record.status, record.rows, record.outbox_ids) == ("sent", 2, (1123594208, 1123594209))


def test_json_output_of_a_send(cli: Cli, fixable: Path) -> None:
    run = cli.send(fixable, "--json")

    assert run.code == 0
    data = run.json
    assert data["exit_code"] == 0
    assert data["dry_run"] is False
    assert data["rows"] == {"in": 3, "to_send": 2, "rejected": 0, "duplicates": 1}
    assert data["duplicates"] == [[3, 2]]
    assert data["outbox_ids"] == [FIRST_OUTBOX_ID, FIRST_OUTBOX_ID + 1]
    [chunk] = data["chunks"]
    assert (chunk["status"], chunk["filename"], chunk["journal_id"]) == ("sent", "small.csv", 1)
    assert data["journal"] == str(cli.journal)
    assert "error" not in data


def test_an_input_named_like_the_rejects_file(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path / "rejects.csv", FIXABLE)
    assert cli.send(path).code == 0
    assert cli.stub.requests[0].files[0].filename == "rejects.csv"
    assert cli.stub.requests[0].files[0].content == FIXABLE_CLEAN


def test_xlsx_input_is_sent_as_its_clean_csv(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    for i, row in enumerate(
        [("recipient", "message"), ("09121234567", "سلام"), ("0935 123 4567", "hi")]
    ):
        sheet.write_row(i, 0, row)
    workbook.close()

    assert cli.send(path).code == 0
    [upload] = cli.stub.requests[0].files
    assert (upload.filename, upload.content_type) == ("book.csv", "text/csv")
    assert upload.content == "recipient,message\n+989121234567,سلام\n+989351234567,hi\n".encode()


# ---------------------------------------------------------------- rows that cannot be sent


def test_rows_no_safe_fix_can_save_refuse_the_send(cli: Cli, messy: Path) -> None:
    run = cli.send(messy)

    assert run.code == 1
    assert cli.stub.requests == []
    assert "11 rows no safe fix can save; nothing was sent" in run.err
    assert "  P206 scientific-notation x1: line 7" in run.err
    assert "  P205 unknown-prefix x1: line 10" in run.err
    assert "--skip-invalid" in run.err
    assert not (messy.parent / "messy.rejects.csv").exists()
    assert not cli.journal.exists()


def test_skip_invalid_sends_what_fix_writes_and_keeps_the_rejects(
    cli: Cli, messy: Path, tmp_path: Path
) -> None:
    run = cli.send(messy, "--skip-invalid")

    assert run.code == 0, run.err
    rejects = messy.parent / "messy.rejects.csv"
    assert f"11 rejected rows left out, written to {rejects}" in run.out
    assert len(rejects.read_text(encoding="utf-8").splitlines()) == 1 + 11
    # Exactly the bytes `p2pfile fix` writes with safe fixes only: nothing else is uploaded.
    fixed = tmp_path / "fixed" / "messy.csv"
    fixed.parent.mkdir()
    cli("fix", "--isolated", str(messy), "-o", str(fixed), "--rejects", str(tmp_path / "r.csv"))
    [upload] = cli.stub.requests[0].files
    assert upload.content == fixed.read_bytes()
    assert upload.content.count(b"\n+98") == 7


def test_rejects_go_where_asked_and_only_with_skip_invalid(
    cli: Cli, messy: Path, tmp_path: Path
) -> None:
    target = tmp_path / "out" / "bad.csv"
    target.parent.mkdir()
    assert cli.send(messy, "--skip-invalid", "--rejects", str(target)).code == 0
    assert target.read_text(encoding="utf-8").startswith("line,row,recipient,message,codes")

    run = cli.send(messy, "--rejects", str(target))
    assert run.code == 2
    assert "--skip-invalid" in run.err
    run = cli.send(messy, "--skip-invalid", "--rejects", str(messy))
    assert run.code == 2
    assert "would overwrite the input" in run.err


def test_a_file_with_nothing_left_to_send(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path / "bad.csv", "recipient,message\n09061234567,hi\n")
    run = cli.send(path, "--skip-invalid")
    assert run.code == 1
    assert "no rows left to send" in run.err
    assert cli.stub.requests == []


# ---------------------------------------------------------------- arguments


@pytest.mark.parametrize(
    ("at", "tz", "expected"),
    [
        (f"{NEXT_YEAR}-06-01 10:00", "Asia/Tehran", f"{NEXT_YEAR}-06-01 06:30:00"),
        (f"{NEXT_YEAR}-06-01 10:00:30", None, f"{NEXT_YEAR}-06-01 10:00:30"),
        (f"{NEXT_YEAR}-06-01T10:00:00+03:30", None, f"{NEXT_YEAR}-06-01 06:30:00"),
        (f"{NEXT_YEAR}-06-01T10:00Z", None, f"{NEXT_YEAR}-06-01 10:00:00"),
    ],
)
def test_a_scheduled_send_goes_out_in_utc(
    cli: Cli, fixable: Path, at: str, tz: str | None, expected: str
) -> None:
    run = cli.send(fixable, "--at", at, *(["--tz", tz] if tz else []))

    assert run.code == 0, run.err
    assert cli.stub.requests[0].fields["send_time"] == expected
    assert f"when: {expected} UTC" in run.out
    assert cli.records()[0].send_time == datetime.fromisoformat(expected).replace(tzinfo=UTC)


def _last_sunday(month: int) -> int:
    day = datetime(NEXT_YEAR, month + 1, 1) - timedelta(days=1)
    return (day - timedelta(days=(day.weekday() + 1) % 7)).day


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--at", "2020-01-01 10:00"], "in the past"),
        (["--at", "tomorrow"], "expected 'YYYY-MM-DD HH:MM[:SS]'"),
        (["--at", f"{NEXT_YEAR}-02-30 10:00"], "not a real time"),
        (["--at", f"{NEXT_YEAR}-06-01T10:00+03:30", "--tz", "Asia/Tehran"], "one or the other"),
        (["--at", f"{NEXT_YEAR}-06-01 10:00", "--tz", "Mars/Olympus"], "unknown time zone"),
        (["--at", f"{NEXT_YEAR}-06-01 10:00", "--tz", "Asia"], "unknown time zone"),
        (["--tz", "Asia/Tehran"], "give --at too"),
        (
            ["--at", f"{NEXT_YEAR}-03-{_last_sunday(3):02d} 02:30", "--tz", "Europe/Berlin"],
            "does not exist in Europe/Berlin",
        ),
        (
            ["--at", f"{NEXT_YEAR}-10-{_last_sunday(10):02d} 02:30", "--tz", "Europe/Berlin"],
            "happens twice",
        ),
        (["--base-url", "http://example.com/v1"], "https://"),
        (["--chunk-rows", "0"], "--chunk-rows"),
        (["--config", "p2pfile.toml"], "exclude each other"),
    ],
)
def test_bad_arguments_exit_2_before_any_request(
    cli: Cli, fixable: Path, args: list[str], message: str
) -> None:
    run = cli.send(fixable, *args)
    assert run.code == 2
    assert message in run.err
    assert cli.stub.requests == []
    assert not cli.journal.exists()


@pytest.mark.parametrize(
    ("sender", "hint"),
    [
        ("3000505", "did you mean +983000505?"),
        ("983000505", "did you mean +983000505?"),
        ("+1 555 0100", "e.g. +983000505"),
        ("+۹۸۳۰۰۰۵۰۵", "e.g. +983000505"),
    ],
)
def test_a_sender_line_not_in_e164_is_refused(
    cli: Cli, fixable: Path, sender: str, hint: str
) -> None:
    run = cli("send", str(fixable), "--from", sender, "--base-url", cli.stub.url, "--isolated")
    assert run.code == 2
    assert "is not a sender line in E.164" in run.err
    assert hint in run.err
    assert cli.stub.requests == []


def test_a_missing_token_is_a_one_line_error(
    cli: Cli, fixable: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("P2PFILE_TOKEN")
    run = cli.send(fixable)
    assert run.code == 2
    assert run.err.count("\n") == 1
    assert "no API token: set P2PFILE_TOKEN" in run.err
    assert run.out == ""
    assert cli.stub.requests == []


def test_the_token_from_a_private_file(
    cli: Cli, fixable: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("P2PFILE_TOKEN")
    token_file = write(tmp_path / "token", TOKEN + "\n")
    token_file.chmod(0o644)
    run = cli.send(fixable, "--token-file", str(token_file))
    assert run.code == 2
    assert "chmod 600" in run.err

    token_file.chmod(0o600)
    assert cli.send(fixable, "--token-file", str(token_file)).code == 0
    assert cli.stub.requests[0].headers["authorization"] == TOKEN


def test_base_url_from_the_environment(
    cli: Cli, fixable: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("P2PFILE_BASE_URL", cli.stub.url)
    run = cli("send", str(fixable), "--from", SENDER, "--journal", str(cli.journal), "--isolated")
    assert run.code == 0, run.err
    assert len(cli.stub.requests) == 1


# ---------------------------------------------------------------- the provider says no


@pytest.mark.parametrize(
    ("behavior", "said", "status"),
    [
        ("auth", f"provider says: {BAD_CREDENTIALS} (HTTP 401, message_code 400-1)", "failed"),
        ("reject", "provider says: فایل معتبر نیست (HTTP 422, message_code 400-2)", "failed"),
        ("429", "provider says: خطا (HTTP 429, message_code 500-1)", "unknown"),
        ("500", "provider says: خطا (HTTP 500, message_code 500-1)", "unknown"),
    ],
)
def test_provider_errors_exit_3_with_its_message_and_code(
    cli: Cli, fixable: Path, behavior: str, said: str, status: str
) -> None:
    cli.stub.behaviors.append(behavior)
    run = cli.send(fixable)

    assert run.code == 3
    assert run.err.startswith("p2pfile: send failed: ")
    assert said in run.err
    assert cli.records()[0].status == status
    if status == "unknown":
        assert "may or may not have been accepted" in run.err
        assert "--resend" in run.err
    else:
        assert "nothing was sent" in run.err
    assert len(cli.stub.requests) == 1  # never retried


def test_a_422_is_shown_field_by_field(cli: Cli, fixable: Path) -> None:
    cli.stub.behaviors.append("reject")
    run = cli.send(fixable, "--json")
    assert run.code == 3
    assert "  field files: فایل معتبر نیست" in run.err
    error = run.json["error"]
    assert error["field_errors"] == {"files": ["فایل معتبر نیست"]}
    assert (error["status_code"], error["message_code"], error["type"]) == (
        422,
        "400-2",
        "ProviderError",
    )


def test_a_wrong_token_gets_the_providers_401(
    cli: Cli, fixable: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("P2PFILE_TOKEN", "not-the-right-key")
    run = cli.send(fixable)
    assert run.code == 3
    assert "rejected the API token (HTTP 401, 400-1)" in run.err
    assert "not-the-right-key" not in run.out + run.err


def test_no_answer_in_time_is_an_unknown_outcome(cli: Cli, fixable: Path) -> None:
    cli.stub.behaviors.append("slow")
    run = cli.send(fixable, "--timeout", "0.3")
    assert run.code == 3
    assert "no answer from" in run.err
    assert cli.records()[0].status == "unknown"


def test_nobody_listening_is_exit_3_and_nothing_sent(cli: Cli, fixable: Path) -> None:
    cli.stub.__exit__(None, None, None)  # the port is closed now
    run = cli.send(fixable)
    assert run.code == 3
    assert "nothing was sent" in run.err
    assert cli.records()[0].status == "failed"


def test_a_dropped_connection_blocks_the_rerun_until_resend(cli: Cli, fixable: Path) -> None:
    cli.stub.behaviors.append("drop")
    first = cli.send(fixable)
    assert first.code == 3
    assert "dropped the connection" in first.err
    assert "journal #1 records this upload as unknown" in first.err
    assert cli.records()[0].status == "unknown"

    second = cli.send(fixable)
    assert second.code == 3
    assert second.err.startswith("p2pfile: refused: ")
    assert "journal #1: unknown since " in second.err
    assert "--resend" in second.err
    assert len(cli.stub.requests) == 1  # refused before any request

    third = cli.send(fixable, "--resend")
    assert third.code == 0, third.err
    assert len(cli.stub.requests) == 2
    assert [r.status for r in cli.records()] == ["sent", "unknown"]


def test_an_unknown_chunk_settled_by_hand_lets_the_rerun_resume(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path / "five.csv", FIVE_ROWS)
    cli.stub.behaviors.extend(["ok", "drop"])
    first = cli.send(path, "--chunk-rows", "2")
    assert first.code == 3
    assert "p2pfile journal --mark 2 failed" in first.err
    assert "--resend sends every chunk again, those already sent too" in first.err

    refused = cli.send(path, "--chunk-rows", "2")
    assert refused.code == 3
    assert "p2pfile journal --mark 2 failed" in refused.err
    assert len(cli.stub.requests) == 2

    marked = cli("journal", "--journal", str(cli.journal), "--mark", "2", "failed")
    assert marked.code == 0
    assert marked.out == "journal #2: marked failed; a rerun of the same send sends it\n"
    resumed = cli.send(path, "--chunk-rows", "2")
    assert resumed.code == 0, resumed.err
    names = [r.files[0].filename for r in cli.stub.requests]
    assert names == [f"five.part-00{i}-of-003.csv" for i in (1, 2, 2, 3)]  # chunk 1 never again

    final = cli("journal", "--journal", str(cli.journal), "--mark", "2", "sent")
    assert final.code == 2
    assert "already failed; it cannot change" in final.err
    missing = cli("journal", "--journal", str(tmp_path / "none.sqlite3"), "--mark", "1", "sent")
    assert missing.code == 2
    assert not (tmp_path / "none.sqlite3").exists()


def test_content_already_sent_is_refused_with_what_is_known(cli: Cli, fixable: Path) -> None:
    assert cli.send(fixable).code == 0
    again = cli.send(fixable, "--json")

    assert again.code == 3
    assert "was already sent from +983000505; nothing was sent now" in again.err
    assert "journal #1: sent at " in again.err
    assert f"outbox ids {FIRST_OUTBOX_ID}, {FIRST_OUTBOX_ID + 1}" in again.err
    assert "--resend" in again.err
    assert again.json["chunks"][0]["status"] == "skipped"
    assert len(cli.stub.requests) == 1


def test_a_chunked_send_resumes_where_it_stopped(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path / "five.csv", FIVE_ROWS)
    cli.stub.behaviors.extend(["ok", "reject"])
    first = cli.send(path, "--chunk-rows", "2")

    assert first.code == 3
    assert "chunk 1/3 (clean rows 1-2, five.part-001-of-003.csv): sent" in first.out
    assert "chunk 2/3 (clean rows 3-4, five.part-002-of-003.csv): failed" in first.out
    assert "chunk 3/3 (clean rows 5-5, five.part-003-of-003.csv): not attempted" in first.out
    assert "send failed: chunk 2/3" in first.err
    assert "the 1 chunk before it went out" in first.err

    second = cli.send(path, "--chunk-rows", "2")
    assert second.code == 0, second.err
    assert "chunk 1/3 (clean rows 1-2, five.part-001-of-003.csv): skipped" in second.out
    assert "sent 3 rows in 2 requests; " in second.out
    assert "; 2 rows skipped as sent earlier (clean rows 1-2 in journal #1); " in second.out
    names = [r.files[0].filename for r in cli.stub.requests]
    assert names == [f"five.part-00{i}-of-003.csv" for i in (1, 2, 2, 3)]
    assert [r.status for r in cli.records()] == ["sent", "sent", "failed", "sent"]


# ---------------------------------------------------------------- dry run


def test_a_dry_run_makes_no_request_and_needs_no_token(
    cli: Cli, fixable: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("P2PFILE_TOKEN")
    run = cli.send(fixable, "--dry-run", "--at", f"{NEXT_YEAR}-06-01 10:00", "--tz", "Asia/Tehran")

    assert run.code == 0, run.err
    assert cli.stub.requests == []
    assert not cli.journal.exists()
    assert f"request: POST {cli.stub.url}/api/send (1 request)" in run.out
    for line in [
        "  header Authorization: <redacted>",
        "  header Accept: application/json",
        "  field sending_type: peer_to_peer_file",
        f"  field from_number: {SENDER}",
        f"  field send_time: {NEXT_YEAR}-06-01 06:30:00",
        "parts: 2 (GSM-7 1 message in 1 part, UCS-2 1 message in 1 part)",
        "operators: MCI 1, Irancell 1",
    ]:
        assert line in run.out.splitlines()
    assert "  field files[]: small.csv (text/csv), clean rows 1-2, sha256 " in run.out
    assert "token: no API token" in run.out
    assert "cost: no tariff" in run.out


def test_a_dry_run_prices_chunks_and_speaks_json(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path / "five.csv", FIVE_ROWS)
    prices = {"persian_mci": 1330, "english_mci": 600, "persian_other": 1400, "english_other": 650}
    tariff = "[tariff]\n" + "".join(f"{key} = {value}\n" for key, value in prices.items())
    write(tmp_path / "p2pfile.toml", tariff)
    run = cli.send(path, "--dry-run", "--chunk-rows", "2", "--json", isolated=False)

    assert run.code == 0, run.err
    assert cli.stub.requests == []
    data = run.json
    assert data["dry_run"] is True
    assert data["stats"]["cost"]["total"] == 5 * 600
    request = data["request"]
    assert request["headers"]["Authorization"] == "<redacted>"
    assert request["fields"] == {"sending_type": "peer_to_peer_file", "from_number": SENDER}
    assert [f["filename"] for f in request["files"]] == [
        f"five.part-00{i}-of-003.csv" for i in (1, 2, 3)
    ]
    assert [f["action"] for f in request["files"]] == ["send"] * 3
    assert data["token"]["found"] is True

    text = cli.send(path, "--dry-run", isolated=False)
    assert "estimated cost: 3,000 rials (mci english 5 x 600)" in text.out


def test_a_dry_run_reports_what_a_send_would_refuse(cli: Cli, fixable: Path, messy: Path) -> None:
    run = cli.send(messy, "--dry-run")
    assert run.code == 1
    assert "11 rows no safe fix can save" in run.err

    run = cli.send(messy, "--dry-run", "--skip-invalid")
    assert run.code == 0
    assert "11 rejected rows would be left out and written to" in run.out
    assert not (messy.parent / "messy.rejects.csv").exists()

    cli.stub.behaviors.append("drop")
    assert cli.send(fixable).code == 3
    run = cli.send(fixable, "--dry-run")
    assert run.code == 3
    assert "refused: journal #1 unknown since" in run.out
    assert "a send would be refused" in run.err
    assert cli.send(fixable, "--dry-run", "--resend").code == 0
    assert len(cli.stub.requests) == 1


# ---------------------------------------------------------------- secrets


def test_the_token_appears_nowhere(cli: Cli, messy: Path, tmp_path: Path) -> None:
    cli.stub.behaviors.append("echo_auth")  # a 500 whose body echoes the Authorization header
    run = cli.send(messy, "--skip-invalid", "--json")
    assert run.code == 3
    assert "<token>" in run.err  # masked where the provider echoed it
    assert cli.send(messy, "--dry-run", "--skip-invalid", "--json").code == 3
    cli("journal", "--journal", str(cli.journal), "--json")
    cli("journal", "--journal", str(cli.journal))

    token = TOKEN.encode()
    journal_files = list(cli.journal.parent.iterdir())
    assert journal_files
    for path in [*journal_files, messy.parent / "messy.rejects.csv"]:
        assert token not in path.read_bytes(), path
    # (the cli fixture checks everything printed)


# ---------------------------------------------------------------- p2pfile journal


def test_journal_lists_uploads_newest_first(cli: Cli, fixable: Path) -> None:
    empty = cli("journal", "--journal", str(cli.journal))
    assert empty.code == 0
    assert empty.out == f"no uploads journaled yet in {cli.journal}\n"
    assert not cli.journal.exists()  # listing never creates it

    assert cli.send(fixable).code == 0
    cli.stub.behaviors.append("500")
    assert cli.send(fixable, "--resend").code == 3

    text = cli("journal", "--journal", str(cli.journal))
    assert text.code == 0
    lines = text.out.splitlines()
    assert lines[0] == f"{cli.journal}: the last 2 uploads, newest first"
    assert lines[1].startswith("#2 unknown: started ")
    assert "    HTTP 500, 500-1: the provider failed (HTTP 500, 500-1)" in text.out
    assert lines[4].startswith("#1 sent: started ")
    assert "small.csv, 2 rows, sha256 " in lines[5]
    assert f"from {SENDER}, send now" in lines[5]
    assert lines[6] == f"    outbox ids {FIRST_OUTBOX_ID}, {FIRST_OUTBOX_ID + 1}; HTTP 200, 200-1"

    data = cli("journal", "--journal", str(cli.journal), "--json", "--limit", "1").json
    assert data["journal"] == str(cli.journal)
    [record] = data["records"]
    assert (record["id"], record["status"], record["http_status"]) == (2, "unknown", 500)


def test_journal_defaults_to_xdg_state_home(cli: Cli, tmp_path: Path) -> None:
    run = cli("journal", "--json")
    assert run.json == {
        "journal": str(tmp_path / "xdg-state" / "p2pfile" / "journal.sqlite3"),
        "records": [],
    }


def test_an_unusable_journal(cli: Cli, fixable: Path) -> None:
    cli.journal.parent.mkdir(parents=True)
    cli.journal.write_bytes(b"this is not a database" * 100)
    run = cli.send(fixable)
    assert run.code == 3
    assert "cannot use the send journal" in run.err
    assert cli.stub.requests == []

    listing = cli("journal", "--journal", str(cli.journal))
    assert listing.code == 2
    assert "cannot use the send journal" in listing.err


# ---------------------------------------------------------------- the command itself


def test_send_help_reads_well(cli: Cli) -> None:
    run = cli("send", "--help")
    assert run.code == 0
    for text in ["--from NUMBER", "--dry-run", "Examples:", "--tz Asia/Tehran", "Exit codes:"]:
        assert text in run.out
    assert "P2PFILE_BASE_URL" in run.out


def test_main_maps_a_send_error_to_exit_3(
    cli: Cli, fixable: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise SendError("the scratch disk is full")

    monkeypatch.setattr("p2pfile._cli_send._prepare", broken)
    run = cli.send(fixable)
    assert run.code == 3
    assert run.err == "p2pfile: send failed: the scratch disk is full\n"


def test_the_upload_is_streamed_from_a_private_directory(
    cli: Cli, fixable: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, int]] = []

    def spy(client: Any, journal: Any, path: Path, *args: Any, **kwargs: Any) -> Any:
        seen.append((str(path), os.stat(path.parent).st_mode & 0o777))
        return send_clean_csv(client, journal, path, *args, **kwargs)

    monkeypatch.setattr("p2pfile._cli_send.send_clean_csv", spy)
    assert cli.send(fixable).code == 0
    [(path, mode)] = seen
    assert mode == 0o700
    assert not Path(path).exists()  # removed after the run
