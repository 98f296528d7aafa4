"""The send journal: keys, statuses, durability, and what it refuses to do."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from p2pfile.errors import JournalError, RefusedError, UsageError
from p2pfile.journal import SCHEMA_VERSION, Journal, JournalRecord, default_journal_path

SHA = "a" * 64
OTHER = "b" * 64
SENDER = "+983000505"
LATER = datetime(2031, 5, 1, 6, 30, tzinfo=UTC)


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal(tmp_path / "state" / "p2pfile" / "journal.sqlite3") as j:
        yield j


def test_default_path_follows_xdg_state_home(tmp_path: Path) -> None:
    state = tmp_path / "state"
    assert default_journal_path({"XDG_STATE_HOME": str(state)}) == (
        state / "p2pfile" / "journal.sqlite3"
    )
    home = Path.home() / ".local" / "state" / "p2pfile" / "journal.sqlite3"
    assert default_journal_path({}) == home
    assert default_journal_path({"XDG_STATE_HOME": "relative/dir"}) == home  # spec: ignore


def test_journal_without_a_path_uses_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    with Journal() as journal:
        assert journal.path == tmp_path / "p2pfile" / "journal.sqlite3"
        assert journal.path.exists()


def test_a_record_goes_from_pending_to_sent(journal: Journal) -> None:
    before = datetime.now(UTC)
    record_id = journal.begin(SHA, 3, SENDER, LATER, "clean.csv")
    [pending] = journal.find(SHA, SENDER, LATER)
    assert pending.status == "pending"
    assert pending.effective_status == "unknown"
    assert pending.finished_at is None
    assert pending.started_at >= before.replace(microsecond=0)

    journal.complete(
        record_id, "sent", outbox_ids=[11, 12], http_status=200, message_code="200-1", message="ok"
    )
    record = journal.get(record_id)
    assert record == JournalRecord(
        id=record_id,
        sha256=SHA,
        rows=3,
        from_number=SENDER,
        send_time=LATER,
        filename="clean.csv",
        started_at=record.started_at,
        finished_at=record.finished_at,
        status="sent",
        outbox_ids=(11, 12),
        http_status=200,
        message_code="200-1",
        message="ok",
    )
    assert record.finished_at is not None
    assert record.finished_at >= record.started_at
    assert record.started_at.tzinfo is not None


def test_to_dict_is_json_ready(journal: Journal) -> None:
    record_id = journal.begin(SHA, 1, SENDER, LATER, "clean.csv")
    journal.complete(record_id, "sent", outbox_ids=(5,))
    data = journal.get(record_id).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["send_time"] == "2031-05-01T06:30:00+00:00"
    assert data["outbox_ids"] == [5]
    assert set(data) == set(JournalRecord.__dataclass_fields__)


def test_the_key_is_sha_sender_and_send_time(journal: Journal) -> None:
    now_id = journal.begin(SHA, 1, SENDER, None, "a.csv")
    later_id = journal.begin(SHA, 1, SENDER, LATER, "a.csv")
    journal.begin(SHA, 1, "+981000123", None, "a.csv")
    journal.begin(OTHER, 1, SENDER, None, "a.csv")

    assert [r.id for r in journal.find(SHA, SENDER, None)] == [now_id]
    assert [r.id for r in journal.find(SHA, SENDER, LATER)] == [later_id]
    # The same instant in another zone is the same key: it is stored as UTC text.
    tehran = LATER.astimezone(ZoneInfo("Asia/Tehran"))
    assert [r.id for r in journal.find(SHA, SENDER, tehran)] == [later_id]


def test_recent_is_newest_first(journal: Journal) -> None:
    ids = [journal.begin(SHA, i, SENDER, None, f"{i}.csv") for i in range(5)]
    assert [r.id for r in journal.recent(3)] == ids[::-1][:3]


def test_unknown_can_be_settled_but_sent_and_failed_are_final(journal: Journal) -> None:
    record_id = journal.begin(SHA, 1, SENDER, None, "a.csv")
    journal.complete(record_id, "unknown", message="read timeout")
    journal.complete(record_id, "sent", outbox_ids=[1], message="found in the report")
    assert journal.get(record_id).status == "sent"
    with pytest.raises(UsageError, match="already sent"):
        journal.complete(record_id, "failed")
    failed = journal.begin(SHA, 1, SENDER, None, "a.csv")
    journal.complete(failed, "failed")
    with pytest.raises(UsageError, match="already failed"):
        journal.complete(failed, "sent")


def test_bad_arguments(journal: Journal) -> None:
    with pytest.raises(UsageError, match="sha256"):
        journal.begin("ABC", 1, SENDER, None, "a.csv")
    with pytest.raises(UsageError, match="rows"):
        journal.begin(SHA, -1, SENDER, None, "a.csv")
    with pytest.raises(UsageError, match="timezone-aware"):
        journal.begin(SHA, 1, SENDER, datetime(2031, 1, 1), "a.csv")
    record_id = journal.begin(SHA, 1, SENDER, None, "a.csv")
    with pytest.raises(UsageError, match="status"):
        journal.complete(record_id, "pending")
    with pytest.raises(UsageError, match="no journal record #999"):
        journal.complete(999, "sent")
    with pytest.raises(UsageError, match="no journal record #999"):
        journal.get(999)


@pytest.mark.parametrize(
    ("earlier", "refused"),
    [("pending", True), ("sent", True), ("unknown", True), ("failed", False)],
)
def test_exclusive_begin_refuses_a_live_key(journal: Journal, earlier: str, refused: bool) -> None:
    first = journal.begin(SHA, 1, SENDER, None, "a.csv")
    if earlier != "pending":
        journal.complete(first, earlier)  # type: ignore[arg-type]
    if refused:
        with pytest.raises(RefusedError) as caught:
            journal.begin(SHA, 1, SENDER, None, "a.csv", exclusive=True)
        assert caught.value.journal_ids == (first,)
        assert len(journal.find(SHA, SENDER, None)) == 1  # nothing inserted
    else:
        journal.begin(SHA, 1, SENDER, None, "a.csv", exclusive=True)
        assert len(journal.find(SHA, SENDER, None)) == 2


def test_pending_row_is_committed_before_begin_returns(journal: Journal) -> None:
    journal.begin(SHA, 1, SENDER, None, "a.csv")
    # Another connection (another process) sees it at once.
    with sqlite3.connect(journal.path) as other:
        assert other.execute("SELECT status FROM uploads").fetchall() == [("pending",)]


def test_schema_is_versioned_private_and_wal(journal: Journal) -> None:
    with sqlite3.connect(journal.path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert stat.S_IMODE(journal.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(journal.path.parent.stat().st_mode) == 0o700


def test_records_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    with Journal(path) as journal:
        record_id = journal.begin(SHA, 1, SENDER, None, "a.csv")
    with Journal(path) as journal:
        assert journal.get(record_id).status == "pending"


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    Journal(path).close()
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(JournalError, match="newer than this p2pfile"):
        Journal(path)


def test_an_unusable_location_is_a_journal_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(JournalError, match="cannot use the send journal"):
        Journal(blocker / "journal.sqlite3")
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(os.urandom(4096))
    with pytest.raises(JournalError, match="cannot use the send journal"):
        Journal(garbage)


def test_repr_names_the_path(journal: Journal) -> None:
    assert repr(journal) == f"Journal({str(journal.path)!r})"


# ---------------------------------------------------------------- rows of a content (v2)


def test_exclusive_begin_refuses_rows_of_the_same_content_another_record_covers(
    journal: Journal,
) -> None:
    first = journal.begin(SHA, 3, SENDER, None, "a.part-1.csv", content_sha256=OTHER, first_row=1)
    journal.complete(first, "sent", outbox_ids=[1, 2, 3])
    record = journal.get(first)
    assert (record.content_sha256, record.first_row, record.last_row) == (OTHER, 1, 3)
    assert record.to_dict()["first_row"] == 1
    assert journal.find_content(OTHER, SENDER, None) == [record]
    assert journal.find_content(OTHER, SENDER, LATER) == []

    # Other chunk bytes, but rows 3-4 of the same content: row 3 was sent.
    with pytest.raises(RefusedError) as caught:
        journal.begin("c" * 64, 2, SENDER, None, "b.csv", exclusive=True,
                      content_sha256=OTHER, first_row=3)  # fmt: skip
    assert caught.value.journal_ids == (first,)
    # Rows 4-5 are not covered; nor are rows 1-3 for another sender.
    journal.begin("c" * 64, 2, SENDER, None, "b.csv", exclusive=True,
                  content_sha256=OTHER, first_row=4)  # fmt: skip
    journal.begin("d" * 64, 3, "+981000123", None, "c.csv", exclusive=True,
                  content_sha256=OTHER, first_row=1)  # fmt: skip


def test_a_failed_record_does_not_cover_its_rows(journal: Journal) -> None:
    first = journal.begin(SHA, 3, SENDER, None, "a.csv", content_sha256=OTHER, first_row=1)
    journal.complete(first, "failed")
    journal.begin("c" * 64, 1, SENDER, None, "b.csv", exclusive=True,
                  content_sha256=OTHER, first_row=2)  # fmt: skip


def test_a_row_range_needs_its_content_and_a_row(journal: Journal) -> None:
    with pytest.raises(UsageError, match="go together"):
        journal.begin(SHA, 1, SENDER, None, "a.csv", first_row=1)
    with pytest.raises(UsageError, match="first_row"):
        journal.begin(SHA, 1, SENDER, None, "a.csv", content_sha256=OTHER, first_row=0)
    with pytest.raises(UsageError, match="sha256"):
        journal.begin(SHA, 1, SENDER, None, "a.csv", content_sha256="x", first_row=1)
    assert journal.recent() == []


V1_SCHEMA = """
CREATE TABLE uploads (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    sha256       TEXT    NOT NULL CHECK (length(sha256) = 64),
    rows         INTEGER NOT NULL CHECK (rows >= 0),
    from_number  TEXT    NOT NULL,
    send_time    TEXT,
    filename     TEXT    NOT NULL,
    started_at   TEXT    NOT NULL,
    finished_at  TEXT,
    status       TEXT    NOT NULL
                 CHECK (status IN ('pending', 'sent', 'failed', 'unknown')),
    outbox_ids   TEXT    NOT NULL DEFAULT '[]',
    http_status  INTEGER,
    message_code TEXT,
    message      TEXT
);
CREATE INDEX uploads_key ON uploads (sha256, from_number, send_time);
PRAGMA user_version = 1;
"""


def write_v1_journal(path: Path, *records: tuple[str, int, str]) -> None:
    """A journal as p2pfile 0.x (schema v1) left it: ``(sha256, rows, status)`` records."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        db.executescript(V1_SCHEMA)
        for sha256, rows, status in records:
            db.execute(
                "INSERT INTO uploads (sha256, rows, from_number, send_time, filename, started_at,"
                " finished_at, status, outbox_ids) VALUES (?, ?, ?, NULL, 'old.csv',"
                " '2026-01-01T00:00:00.000+00:00', '2026-01-01T00:00:01.000+00:00', ?, '[7]')",
                (sha256, rows, SENDER, status),
            )
    os.chmod(path, 0o600)


def test_a_v1_journal_is_migrated_and_its_records_still_block(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    write_v1_journal(path, (SHA, 7, "sent"), (OTHER, 2, "failed"))
    with Journal(path) as journal:
        old, failed = journal.get(1), journal.get(2)
        # A v1 upload was itself a whole canonical clean CSV: rows 1..rows of its own content.
        assert (old.content_sha256, old.first_row, old.last_row) == (SHA, 1, 7)
        assert (old.status, old.outbox_ids) == ("sent", (7,))
        assert (failed.content_sha256, failed.first_row, failed.last_row) == (OTHER, 1, 2)
        assert journal.find(SHA, SENDER, None) == [old]  # the old key still works
        with pytest.raises(RefusedError) as caught:  # rows 4-6 of it, cut another way
            journal.begin("c" * 64, 3, SENDER, None, "new.csv", exclusive=True,
                          content_sha256=SHA, first_row=4)  # fmt: skip
        assert caught.value.journal_ids == (1,)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
    with Journal(path) as journal:  # reopening migrates nothing twice
        assert len(journal.recent()) == 2


def test_the_providers_sent_answer_overrides_a_failed_hand_mark(journal: Journal) -> None:
    record = journal.begin(SHA, 2, SENDER, None, "clean.csv")
    journal.complete(record, "failed", message="marked failed by hand")
    with pytest.raises(UsageError, match="already failed"):  # a hand mark cannot undo it
        journal.complete(record, "sent", outbox_ids=[5, 6])
    before = journal.complete(record, "sent", outbox_ids=[5, 6], http_status=200, answer=True)
    assert before == "failed"
    settled = journal.get(record)
    assert (settled.status, settled.outbox_ids) == ("sent", (5, 6))
    assert "overrides a failed mark" in (settled.message or "")
    with pytest.raises(UsageError, match="already sent"):  # sent stays final
        journal.complete(record, "failed", answer=True)
    marked = journal.begin(OTHER, 2, SENDER, None, "clean.csv")
    journal.complete(marked, "sent", message="marked sent by hand")
    assert journal.complete(marked, "sent", outbox_ids=[8, 9], answer=True) == "sent"
    assert journal.get(marked).outbox_ids == (8, 9)  # the ids are kept, not lost


def test_row_keys_find_rows_of_any_content_by_sender_and_time(journal: Journal) -> None:
    key = journal.row_hasher()
    rows = [f"+98912123456{i},hi\n".encode() for i in range(4)]
    keys = [key(r) for r in rows]
    assert all(-(2**63) <= k < 2**63 for k in keys)
    assert len(set(keys)) == 4
    sent = journal.begin(SHA, 2, SENDER, None, "a.csv", row_keys=keys[:2])
    journal.complete(sent, "sent", outbox_ids=[1, 2])
    failed = journal.begin(OTHER, 1, SENDER, None, "b.csv", row_keys=keys[2:3])
    journal.complete(failed, "failed")

    hits = journal.find_rows([keys[3], keys[1], keys[2], keys[0]], SENDER, None)
    assert [(i, r.id) for i, r in hits] == [(1, sent), (3, sent)]  # failed does not count
    runs = journal.find_row_runs([keys[0], keys[1], keys[3], keys[2], keys[0]], SENDER, None)
    assert [(a, b, r.id) for a, b, r in runs] == [(0, 1, sent), (4, 4, sent)]
    assert journal.find_rows(keys, SENDER, LATER) == []  # another send time
    assert journal.find_rows(keys, "+983000506", None) == []  # another sender
    with pytest.raises(RefusedError) as caught:  # another process got there first
        journal.begin("c" * 64, 2, SENDER, None, "c.csv", exclusive=True, row_keys=keys[1:3])
    assert caught.value.journal_ids == (sent,)


def test_each_journal_has_its_own_row_key_secret(tmp_path: Path) -> None:
    with Journal(tmp_path / "a.sqlite3") as a, Journal(tmp_path / "b.sqlite3") as b:
        line = b"+989121234567,hi\n"
        assert a.row_hasher()(line) != b.row_hasher()(line)
        assert a.row_hasher()(line) == a.row_hasher()(line)
    with Journal(tmp_path / "a.sqlite3") as again, Journal(tmp_path / "a.sqlite3") as same:
        assert again.row_hasher()(line) == same.row_hasher()(line)


def test_a_v2_journal_is_migrated_to_v3_and_keeps_its_ranges(tmp_path: Path) -> None:
    path = tmp_path / "v2.sqlite3"
    write_v1_journal(path, (SHA, 7, "sent"))
    with sqlite3.connect(path) as db:  # what the v2 release did to it
        for statement in (
            "ALTER TABLE uploads ADD COLUMN content_sha256 TEXT",
            "ALTER TABLE uploads ADD COLUMN first_row INTEGER",
            "ALTER TABLE uploads ADD COLUMN last_row INTEGER",
            f"UPDATE uploads SET content_sha256 = '{OTHER}', first_row = 3, last_row = 9",
            "PRAGMA user_version = 2",
        ):
            db.execute(statement)
    with Journal(path) as journal:
        old = journal.get(1)
        assert (old.content_sha256, old.first_row, old.last_row) == (OTHER, 3, 9)
        with pytest.raises(RefusedError):  # its range still blocks, without row keys
            journal.begin("c" * 64, 2, SENDER, None, "n.csv", exclusive=True,
                          content_sha256=OTHER, first_row=8)  # fmt: skip
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 3
        assert db.execute("SELECT count(*) FROM row_keys").fetchone()[0] == 0
